#!/bin/bash
# SPDX-License-Identifier: BSD-3-Clause
# Copyright (c) 2026 the SoFW authors
# Sessions and streams over time: keepalives on an idle stream, streams
# renewed make-before-break with nothing lost, a second open replacing the
# first, an idle session dropped, close freeing at once; hras-fcgi on a
# TCP FastCGI socket and on the inherited fd 0 of spawn-fcgi.
. "$(dirname "$0")/../lib.sh"

URL=http://127.0.0.1/sofw/
H() { python3 "$SOFW_TOP/tests/tools/sofw-http.py" "$URL" "$@"; }
open_token() { H open "$1" "$(cat "$T/$1.secret")" | sed -n 's/^token //p'; }

HRAS_SOCKET=127.0.0.1:9000
start_hras --echo --keepalive 2 --down-max 10 --session-idle 5
start_nginx

log "== keepalives every 2 s on an idle down stream (FastCGI over TCP)"
tok=$(open_token site-a)
[ -n "$tok" ] || fail "open"
out=$(H down-count "$tok" 5.5)
log "$out"
n=$(echo "$out" | sed -n 's/.*frames \([0-9]*\).*/\1/p')
# the probe keepalive at once, then one each 2 s: 3 or 4 in 5.5 s
[ "$n" -ge 3 ] && [ "$n" -le 4 ] || fail "expected 3-4 keepalives in 5.5 s, got $n"

log "== a second open replaces the first"
tok2=$(open_token site-a)
opened=${EPOCHREALTIME/./}
out=$(H up "$tok" 0105040000000004000000000000000070696e67)
[[ "$out" == "status 404 error=unknown-session"* ]] || fail "old token still works: $out"
expect_log "$T/hras.log" "session of HRAC 'site-a' re-opened \(replaces the earlier one\)"

log "== a re-open resumes: what was delivered is not delivered again (L8)"
# site-b: its echoes came down, were delivered, never acknowledged
out=$(H resume site-b "$(cat "$T/site-b.secret")" no)
log "$out"
grep -q "^again 5$" <<<"$out" ||
	fail "without X-SoFW-Resume the 5 echoes should come again: $out"
out=$(H resume site-b "$(cat "$T/site-b.secret")")
log "$out"
grep -q "^resume 6$" <<<"$out" || fail "HRAS did not say it had frames 1..5: $out"
grep -q "^again 0$" <<<"$out" || fail "echoes delivered twice after a resume: $out"
expect_log "$T/hras.log" "session of HRAC 'site-b' re-opened .* \(resumes where the last one ended\)"

log "== a session without a down stream is dropped after session-idle"
wait_log "$T/hras.log" "session of HRAC 'site-a' dropped: no down stream for 5 s" 300
idle=$(((${EPOCHREALTIME/./} - opened) / 1000))
log "dropped $idle ms after it was opened"
# not before its 5 s (give or take the time python takes to exit)
[ "$idle" -ge 4500 ] || fail "the idle session was dropped after $idle ms, before session-idle (5 s)"
out=$(H up "$tok2" 0105040000000004000000000000000070696e67)
[[ "$out" == "status 404 error=unknown-session"* ]] || fail "idle session still there: $out"

log "== close frees the session at once"
tok=$(open_token site-b)
# a close without the session's header closes nothing
out=$(H post close)
[[ "$out" == "status 404 error=unknown-session"* ]] || fail "close without a session: $out"
out=$(H close "$tok")
[[ "$out" == "status 200 error=None body=closed"* ]] || fail "close: $out"
expect_log "$T/hras.log" "session of HRAC 'site-b' dropped: closed by the HRAC"

log "== a long poll when all that is queued is media too old to send"
tok=$(open_token site-b)
# an RTP frame up: the echo queues it down, where nothing takes it
out=$(H up "$tok" 01020000000000041f409c400a00000172747021)
[[ "$out" == "status 200"* ]] || fail "an RTP frame up: $out"
sleep 0.3 # the frame is older than media-max-age (60 ms): that is the case
out=$(H poll "$tok")
log "poll -> $out"
# a keepalive, never a response without a frame (nginx's 502)
[ "$out" = "status 200 frames 1" ] || fail "a poll with only stale media queued: $out"

log "== streams renewed every 10 s: 25 s of SIP through the real hrac, nothing lost"
start_hrac site-a --server $URL --sip 127.0.0.1:5060
wait_log "$T/hrac-site-a.log" "up: streaming works" 200
before_down=$(grep -cE "down stream of 'site-a' from [0-9.:]+$" "$T/hras.log")
before_up=$(grep -c "up stream of 'site-a'" "$T/hras.log")
python3 "$SOFW_TOP/tests/tools/sip-udp-echo.py" 127.0.0.1 5060 500 800 20 10 \
	>"$T/phone.out" 2>&1 || { cat "$T/phone.out"; fail "SIP across stream renewals"; }
sed 's/^/    phone: /' "$T/phone.out"
downs=$(($(grep -cE "down stream of 'site-a' from [0-9.:]+$" "$T/hras.log") - before_down))
ups=$(($(grep -c "up stream of 'site-a'" "$T/hras.log") - before_up))
log "streams renewed in 25 s: down $downs, up $ups"
[ "$downs" -ge 2 ] && [ "$ups" -ge 2 ] || fail "streams were not renewed"
grep -E "warning: (down|up):" "$T/hrac-site-a.log" &&
	fail "a renewal was seen as a failure"
grep -q "superseded" "$T/hras.log" || fail "no stream superseded by its successor"
stop_pid $HRAC_PID
stop_hras
stop_nginx

log "== hras-fcgi on the fd 0 spawn-fcgi hands it"
HRAS_SOCKET=unix:$T/spawned.sock
spawn-fcgi -n -s "$T/spawned.sock" -M 0666 -- "$BIN/hras-fcgi" -f \
	--hracs "$T/hracs" --echo -v >>"$T/hras-spawned.log" 2>&1 &
SPAWN_PID=$!
track $SPAWN_PID "hras-fcgi (spawn-fcgi -n execs it)"
wait_log "$T/hras-spawned.log" "FastCGI on fd 0" 200
start_nginx
diagnose site-b --server $URL || fail "diagnose through the spawned hras-fcgi"
log "sessions and streams behave over time"
