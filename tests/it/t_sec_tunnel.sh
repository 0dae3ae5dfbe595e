#!/bin/bash
# SPDX-License-Identifier: BSD-3-Clause
# Copyright (c) 2026 the SoFW authors
# The tunnel's door, attacked from outside (sofw-security(7), THE TUNNEL):
#  - wrong proofs use up nothing: after many of them, the right one opens;
#  - a request seen on the path cannot be replayed, and the token alone
#    is refused;
#  - slow opens hold nginx connections, not hras-fcgi's threads: a site
#    opens and carries frames while they trickle;
#  - a second hrac with a connected identity is refused, says so and
#    exits 1, HRAS logs it once; the first keeps its session;
#  - hrac --diagnose beside a running hrac opens a probe session and
#    leaves the running one's session alone;
#  - an identity removed from the file loses its session at SIGHUP, and
#    cannot open again;
#  - with fewer open files than its bounds need, hras-fcgi says so and
#    takes fewer phones and relay pairs.
. "$(dirname "$0")/../lib.sh"

# a few threads: a pool slow clients could take if they reached it
start_hras --echo --threads 8 --max-sessions 8
start_nginx
URL=http://127.0.0.1/sofw/
H() { python3 "$SOFW_TOP/tests/tools/sofw-http.py" "$URL" "$@"; }
SECRET_A=$(cat "$T/site-a.secret")

log "== 300 wrong proofs, then the right one opens (the cache of used nonces holds 64 here)"
out=$(H wrong-proofs site-a 300)
log "$out"
[ "$out" = "403 x300" ] || fail "wrong proofs: $out"
tok=$(H open site-a "$SECRET_A" | sed -n 's/^token //p')
[ -n "$tok" ] || fail "the right proof did not open a session after wrong ones"
log "the right proof still opens"

log "== a request seen on the path: replayed, refused; the token alone: refused"
out=$(H replay-down "$tok" | tr '\n' ' ')
log "$out"
[[ "$out" == "status 200 error=None status 404 error=unknown-session "* ]] ||
	fail "a replayed request: $out"
expect_log "$T/hras.log" "down from 127\.0\.0\.1:[0-9]+ for 'site-a': no valid request proof"
out=$(H down "${tok%%.*}")
[[ "$out" == "status 404 error=unknown-session"* ]] || fail "the token alone: $out"
# a proof under another key (a forger knows the token, not the key)
out=$(H down "${tok%%.*}.0000000000000000000000000000000000000000000000000000000000000000")
[[ "$out" == "status 404 error=unknown-session"* ]] || fail "a forged proof: $out"
H close "$tok" >/dev/null

log "== 40 opens sending their body one byte a second; a site opens meanwhile"
slow=()
for i in $(seq 40); do
	H slow-open 15 >"$T/slow-$i.out" 2>&1 &
	slow+=($!)
done
sleep 1 # the slow clients are what is tested: they must be sending
probe site-a --server "$URL" --sip 50 --rtp 50 --timeout 10 >"$T/probe.out" 2>&1 ||
	fail "no tunnel while slow opens trickle: $(tail -3 "$T/probe.out")"
grep -q "result ok=1" "$T/probe.out" || fail "the tunnel lost frames: $(tail -1 "$T/probe.out")"
log "a site opened and carried frames while 40 opens trickled"
grep -q "opens at once already" "$T/hras.log" &&
	fail "slow opens reached hras-fcgi's threads"
for p in "${slow[@]}"; do kill "$p" 2>/dev/null; wait "$p" 2>/dev/null; done

log "== an open-files limit below the bounds: fewer phones and relay pairs, said"
ours lowfd timeout 3 prlimit --nofile=1024:1024 "$BIN/hras-fcgi" -f --echo \
	-s "unix:$T/lowfd.sock" --hracs "$T/hracs"
expect_rc 124 $? "hras-fcgi with 1024 open files"
grep -qE "open files: the limit is 1024, the bounds need [0-9]+: at most [0-9]+ inside phones and [0-9]+ relay port pairs" \
	"$T/lowfd.out" || fail "no word of the open-files limit: $(head -3 "$T/lowfd.out")"

log "== one identity, two hracs: the second is refused and stops"
start_hrac site-a --server "$URL" --sip 127.0.0.1:5070
FIRST=$HRAC_PID
wait_log "$T/hrac-site-a.log" "up: (streaming|batch POST) works"
ours second timeout 20 "$BIN/hrac" -f --id site-a --secret-file "$T/site-a.secret" \
	--server "$URL" --sip 127.0.0.1:5071
expect_rc 1 $? "a second hrac with a connected identity"
grep -q "HRAS refused this hrac: .*identity 'site-a' is connected from 127\.0\.0\.1.* by another hrac: stop that one, or start this one with --takeover" \
	"$T/second.out" || fail "the second hrac did not say why: $(tail -3 "$T/second.out")"
ours third timeout 20 "$BIN/hrac" -f --id site-a --secret-file "$T/site-a.secret" \
	--server "$URL" --sip 127.0.0.1:5072
expect_rc 1 $? "a third hrac"
[ "$(grep -c "open from .* for HRAC 'site-a' refused: that identity is connected" "$T/hras.log")" = 1 ] ||
	fail "HRAS did not log the conflict exactly once"
kill -0 "$FIRST" || fail "the first hrac is gone"
grep -q "session lost" "$T/hrac-site-a.log" && fail "the first hrac lost its session"
log "the second and third were refused (exit 1, a clear message), logged once; the first kept its session"

log "== hrac --diagnose beside the running hrac"
diagnose site-a --server "$URL" || fail "diagnose beside a running hrac failed"
expect_log "$T/hras.log" "probe session of HRAC 'site-a' opened"
sleep 1 # the running hrac would notice a lost session at once
grep -q "session lost" "$T/hrac-site-a.log" && fail "diagnose disturbed the running hrac"
[ "$(grep -c "session open" "$T/hrac-site-a.log")" = 1 ] ||
	fail "the running hrac had to open again"
log "diagnose used a probe session; the running hrac kept its own"

log "== site-a removed from the identities: its session ends at SIGHUP"
grep -v "^site-a:" "$T/hracs" >"$T/hracs.new"
cat "$T/hracs.new" >"$T/hracs"
kill -HUP "$HRAS_PID"
wait_log "$T/hras.log" "HRAC 'site-a' revoked"
wait_log "$T/hras.log" "session of HRAC 'site-a' dropped: its identity was revoked"
wait_log "$T/hrac-site-a.log" "session lost"
wait_log "$T/hras.log" "open refused from .*: unknown HRAC identity 'site-a'" 300
log "a revoked identity lost its session and cannot open again"
