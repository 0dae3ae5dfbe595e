#!/bin/bash
# SPDX-License-Identifier: BSD-3-Clause
# Copyright (c) 2026 the SoFW authors
# Bad input gets a clear error and a log line, and nothing is lost: while
# one HRAC (site-b) exchanges frames through the tunnel, another client
# sends every kind of bad request.  Each gets the right status and
# X-SoFW-Error code, hras-fcgi logs it with the peer address, and site-b's
# frames all arrive, in order.
. "$(dirname "$0")/../lib.sh"

URL=http://127.0.0.1/sofw/
H() { python3 "$SOFW_TOP/tests/tools/sofw-http.py" "$URL" "$@"; }

# status check: expect STATUS ERRORCODE -- command...
expect() {
	local status=$1 code=$2
	shift 2
	local out
	out=$(H "$@" 2>&1 | tail -n 1)
	log "$* -> $out"
	[[ "$out" == "status $status error=$code"* ]] ||
		fail "$*: expected status $status error=$code, got: $out"
}

hex_frame() { # type flags len-field payload-hex
	printf '01%02x%02x00%08x0000000000000000%s' "$1" "$2" "$3" "$4"
}

log "== a hracs file others can read is refused"
make_identity site-a
make_identity site-b
chmod 644 "$T/hracs"
# a configuration error (identities file): exit 2 (hras-fcgi.8); with a
# users file, so that it is the identities file that is refused
make_user alice alice-pw
ours refuse timeout 10 "$BIN/hras-fcgi" -f -s "unix:$T/x.sock" --hracs "$T/hracs" \
	--users "$T/users"
expect_rc 2 $? "hras-fcgi with a world-readable identities file"
grep -q "readable by others (mode 0644); run: chmod 600" "$T/refuse.out" ||
	fail "no actionable message: $(cat "$T/refuse.out")"
chmod 600 "$T/hracs"

start_hras --echo --frame-timeout 3
start_nginx

log "== site-b exchanges frames all along"
# the binary itself, not probe(): a function run with & is a subshell,
# and ending it at cleanup would leave the binary running
"$PROBE" --id site-b --secret-file "$T/site-b.secret" --server $URL \
	--sip 1000 --rtp 1000 --rate 200 --timeout 60 >"$T/probe.out" 2>&1 &
PROBE_PID=$!
track $PROBE_PID sofw-probe 0 143 # a test tool: SIGTERM (a test that failed) ends it
wait_log "$T/hras.log" "session of HRAC 'site-b' opened" 200

log "== opening"
expect 401 auth-required open-raw
# a challenge carries a nonce (sofw-tunnel.7: WWW-Authenticate: SoFW
# nonce="..."), a fresh one each time
n1=$(H open-raw | sed -n 's/^challenge SoFW nonce="\([0-9a-f]\{16,\}\)"$/\1/p')
n2=$(H open-raw | sed -n 's/^challenge SoFW nonce="\([0-9a-f]\{16,\}\)"$/\1/p')
log "challenge nonces: $n1 $n2"
[ -n "$n1" ] && [ -n "$n2" ] || fail "a 401 to open without a SoFW nonce challenge (got: '$n1', '$n2')"
[ "$n1" != "$n2" ] || fail "two challenges with the same nonce"
expect 400 bad-authorization open-raw 'SoFW id="site-a"'
expect 401 auth-required open-raw 'SoFW id="site-a", nonce="00", proof="00"'
expect 403 forbidden open site-a "not-the-secret"
expect_log "$T/hras.log" "open refused from 127\.0\.0\.1:[0-9]+: wrong secret for HRAC 'site-a'"
expect 403 forbidden open nobody "whatever"
expect_log "$T/hras.log" "open refused from 127\.0\.0\.1:[0-9]+: unknown HRAC identity 'nobody'"
expect 401 auth-required replay site-a "$(cat "$T/site-a.secret")"
expect_log "$T/hras.log" "replayed proof refused"
head -c 6000 /dev/zero >"$T/big"
out=$(curl -s -o /dev/null -w '%{http_code}' --data-binary @"$T/big" ${URL}open)
[ "$out" = 413 ] || fail "a large open body got $out, not 413"
expect 405 method get open
expect 404 not-found post nowhere

log "== unknown sessions"
expect 404 unknown-session up 0123456789abcdef0123456789abcdef 00
expect 404 unknown-session down 0123456789abcdef0123456789abcdef
expect 404 unknown-session post close
expect_log "$T/hras.log" "up from 127\.0\.0\.1:[0-9]+: unknown or expired session"

log "== bad frames in a valid session"
TOKEN=$(H open site-a "$(cat "$T/site-a.secret")" | sed -n 's/^token //p')
[ -n "$TOKEN" ] || fail "could not open a session for site-a"
expect 400 bad-frame up "$TOKEN" 474554202f20485454502f312e310d0a
expect_log "$T/hras.log" "up stream of 'site-a' from 127\.0\.0\.1:[0-9]+ refused after 0 frames: unknown frame version"
expect 400 bad-frame up "$TOKEN" 0205000000000000000000000000000000
expect 400 bad-frame up "$TOKEN" "$(hex_frame 9 0 0 '')"
expect 400 truncated up "$TOKEN" "$(hex_frame 5 4 8 0102)"
expect_log "$T/hras.log" "body ends inside a frame"
expect 413 frame-too-large up "$TOKEN" "$(hex_frame 5 4 70000 00)"
expect_log "$T/hras.log" "frame payload over max-payload"
# valid frames before the bad one are taken, then the request is refused
good=$(hex_frame 5 4 4 70696e67)
expect 400 bad-frame up "$TOKEN" "$good$good""ff"
expect_log "$T/hras.log" "refused after 2 frames"

log "== a client sending one byte a second"
out=$(H slow-up "$TOKEN" 20)
log "slow-up -> $out"
[[ "$out" == "status 408 error=timeout after "* ]] || fail "slow client: $out"
secs=$(echo "$out" | sed 's/.*after \([0-9]*\).*/\1/')
[ "$secs" -le 8 ] || fail "slow client held on for $secs s (frame-timeout 3)"
expect_log "$T/hras.log" "frame not completed within frame-timeout"

log "== the same on open: nginx holds it, never a worker thread"
# nginx reads an open's body whole before hras-fcgi sees the request
# (nginx/sofw.conf): 5 s after the last byte it ends the request (408 in
# its log) and closes the connection, without an answer
out=$(H slow-open 3)
log "slow-open -> $out"
[[ "$out" =~ ^"status none error=None after "([0-9]+) ]] && [ "${BASH_REMATCH[1]}" -le 10 ] ||
	fail "slow open: $out"
grep -q '"POST /sofw/open HTTP/1.1" 408' "$T/nginx-access.log" ||
	fail "nginx did not end the slow open (408)"
grep -q "open from .*: body not sent in time" "$T/hras.log" &&
	fail "a slow open reached hras-fcgi"

log "== one session cannot hold every worker thread"
out=$(H hold-ups "$TOKEN" 5)
log "5 streamed up POSTs at once -> $out"
[[ "$out" == "status 429 error=too-many"* ]] || fail "5th up POST: $out"
expect_log "$T/hras.log" "4 up requests already open: answered 429"

log "== peers that vanish together, and a stray SIGUSR1, stop nothing"
# SIGPIPE (13) and SIGUSR1 (10) ignored: libre and libfcgi install
# handlers of their own, and one SIGPIPE too many used to end hras-fcgi
ign=$((16#$(sed -n 's/^SigIgn:[[:space:]]*//p' "/proc/$HRAS_PID/status")))
[ $(((ign >> 12) & 1)) = 1 ] || fail "hras-fcgi does not ignore SIGPIPE"
[ $(((ign >> 9) & 1)) = 1 ] || fail "hras-fcgi does not ignore SIGUSR1"
kill -USR1 "$HRAS_PID"
for i in $(seq 8); do
	out=$(H hold-ups "$TOKEN" 5)
	[[ "$out" == "status 429"* ]] || fail "round $i of held up POSTs: $out"
done
kill -0 "$HRAS_PID" || fail "hras-fcgi died when its peers went away"

log "== the session that sent bad frames still works"
expect 200 None up "$TOKEN" "$good"

log "== and site-b never noticed"
wait $PROBE_PID
rc=$?
untrack $PROBE_PID
sed 's/^/    probe: /' "$T/probe.out"
[ $rc = 0 ] || fail "site-b's frames suffered from the bad input"
kill -0 "$HRAS_PID" || fail "hras-fcgi died"
log "bad input answered, logged, and harmless"
