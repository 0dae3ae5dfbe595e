#!/bin/bash
# SPDX-License-Identifier: BSD-3-Clause
# Copyright (c) 2026 the SoFW authors
# The registrar: digest challenge and a wrong password, re-registration,
# 423 below the minimum, expiry, removal with Contact: *, registrations
# kept across a restart of hras-fcgi (--state), an inside phone
# unreachable while its HRAC is away and reachable again when it is
# back, without registering again; an outside phone over TCP.
. "$(dirname "$0")/../lib.sh"
. "$SOFW_TOP/tests/sip.sh"

sip_world --state "$T/state" --expires-min 2

log "== a wrong password is challenged again, and logged"
if sipp_at site-a reg-bad 10.77.1.1:5060 -sf "$SIPP_SCEN/register.xml" -s alice \
	-au alice -ap not-her-password -set domain $DOMAIN -set expires 300 \
	-m 1 -i 10.77.1.10 -p 5060 >"$T/bad.out" 2>&1; then
	fail "a wrong password registered"
fi
grep -q "401 Unauthorized" "$T"/sipp-reg-bad/*errors.log || fail "no second 401"
expect_log "$T/hras.log" "REGISTER for alice from 10.77.1.10:5060 via site-a: wrong credentials"

log "== SHA-256 digest (RFC 8760), MD5 too; a replayed answer is refused"
digest() { python3 "$SOFW_TOP/tests/tools/sip-digest.py" --server 192.0.2.1:5060 \
	--from 192.0.2.12 --user carol "$@"; }
out=$(digest --password carol-pw --algorithm SHA-256 --replay)
log "SHA-256: $out"
[ "$out" = "status 200
replay 401" ] || fail "SHA-256 registration or replay: $out"
out=$(digest --password carol-pw --algorithm MD5)
[ "$out" = "status 200" ] || fail "MD5 registration: $out"
out=$(digest --password wrong --algorithm SHA-256)
[ "$out" = "status 401" ] || fail "a wrong SHA-256 password: $out"

# state_lines AOR: the bindings of AOR in the state file (rewritten at
# most once a second after a change)
state_lines() { grep "^b	$1	" "$T/state" 2>/dev/null; }
# wait_state AOR OLD: until AOR's lines in the state file are no longer
# OLD (within 5 s)
wait_state() {
	for _ in $(seq 100); do
		[ "$(state_lines "$1")" != "$2" ] && return 0
		sleep 0.05
	done
	fail "the state file still has for $1: ${2:-nothing}"
}

log "== register, and register again"
register site-a alice 10.77.1.10
received reg-alice "SIP/2.0 401" | grep "^WWW-Authenticate:" >"$T/chal" || true
sed -n 's/.*algorithm=\([A-Z0-9-]*\).*/\1/p' "$T/chal" | tr '\n' ' ' | grep -qx "MD5 SHA-256 " ||
	fail "challenges are not MD5 then SHA-256: $(cat "$T/chal")"
wait_state alice@example.test ""
before=$(state_lines alice@example.test)
register site-a alice 10.77.1.10
# the refresh is saved (a new Call-ID and expiry): the binding was
# updated, not doubled
wait_state alice@example.test "$before"
log "alice's bindings after registering again: $(state_lines alice@example.test | cut -f1-4)"
[ "$(state_lines alice@example.test | wc -l)" = 1 ] ||
	fail "re-registration made a second binding: $(state_lines alice@example.test)"

log "== below the minimum: 423 with Min-Expires"
sipp_at - brief 192.0.2.1:5060 -sf "$SIPP_SCEN/register_brief.xml" -s olivia \
	-au olivia -ap olivia-pw -set domain $DOMAIN -set expires 1 -m 1 \
	-i 192.0.2.10 -p 5060 >"$T/brief.out" 2>&1 || fail "no 423"

log "== a short registration expires"
register - oscar 192.0.2.11 3
registered=${EPOCHREALTIME/./}
wait_state oscar@example.test ""
# the binding goes from the state file when it has expired: at the next
# sweep (every 5 s) and save (1 s later)
for _ in $(seq 300); do
	[ -z "$(state_lines oscar@example.test)" ] && break
	sleep 0.05
done
[ -z "$(state_lines oscar@example.test)" ] || fail "oscar's 3 s binding did not leave the state file within 15 s"
gone_ms=$(((${EPOCHREALTIME/./} - registered) / 1000))
log "oscar's 3 s binding left the state file after $gone_ms ms"
[ "$gone_ms" -ge 2500 ] || fail "oscar's 3 s binding expired after $gone_ms ms"
expect_final 480 site-a alice 10.77.1.10 oscar

log "== Contact: * removes every binding"
register - olivia 192.0.2.10
register - olivia 192.0.2.12
sipp_at - unreg 192.0.2.1:5060 -sf "$SIPP_SCEN/unregister.xml" -s olivia \
	-au olivia -ap olivia-pw -set domain $DOMAIN -m 1 -i 192.0.2.10 -p 5060 \
	>"$T/unreg.out" 2>&1 || fail "unregister"
expect_final 480 site-a alice 10.77.1.10 olivia

log "== the state survives a restart of hras-fcgi"
register - olivia 192.0.2.10
ready="HRAC 'site-a': phones send SIP"
n=$(grep -c "$ready" "$T/hras.log")
stop_hras
start_hras --sip 192.0.2.1:5060 --domain $DOMAIN --users "$T/users" \
	--state "$T/state" --expires-min 2
expect_log "$T/hras.log" "state file .*: [0-9]+ bindings restored"
# site-a's hrac is back in the new hras-fcgi (not the old one's line)
wait_more "$T/hras.log" "$ready" "$n" 300
answer - olivia 192.0.2.10 uas.xml
call site-a alice 10.77.1.10 olivia || fail "call after the restart"
wait_uas "olivia after the restart"

log "== an inside phone is unreachable while its HRAC is away"
register site-b bob 10.77.1.10
stop_pid "$SITE_HRAC_site_b" # this test's own, never another's
wait_log "$T/hras.log" "session of HRAC 'site-b' dropped: closed by the HRAC" 100
expect_final 480 - olivia 192.0.2.10 bob
log "== and reachable again when it is back, without registering"
start_site_hrac site-b --server http://192.0.2.1/sofw/
answer site-b bob 10.77.1.10 uas.xml
call - oscar 192.0.2.11 bob || fail "bob unreachable after his HRAC came back"
wait_uas "bob after his HRAC came back"

log "== an outside phone over TCP"
sipp_at - reg-tcp 192.0.2.1:5060 -t t1 -sf "$SIPP_SCEN/register.xml" -s oscar \
	-au oscar -ap oscar-pw -set domain $DOMAIN -set expires 300 -m 1 \
	-i 192.0.2.11 -p 5062 >"$T/regtcp.out" 2>&1 || fail "TCP register"
grep -q "oscar@example.test registered sip:oscar@192.0.2.11:5062;transport=TCP" "$T/hras.log" ||
	fail "TCP binding not logged"

log "== an inside phone over TCP: registers and calls over one connection"
sipp_at site-a reg-tcp-in 10.77.1.1:5060 -t t1 -sf "$SIPP_SCEN/register.xml" \
	-s alice2 -au alice2 -ap alice2-pw -set domain $DOMAIN -set expires 300 \
	-m 1 -i 10.77.1.11 -p 5062 >"$T/regtcpin.out" 2>&1 || fail "inside TCP register"
grep -Eq "alice2@example.test registered sip:alice2@10.77.1.11:5062;transport=TCP via HRAC site-a" "$T/hras.log" ||
	fail "inside TCP binding not logged"
answer - olivia 192.0.2.10 uas.xml
call site-a alice2 10.77.1.11 olivia uac.xml -t t1 ||
	fail "an inside phone could not call over TCP"
wait_uas "olivia, called over TCP"
log "== a TCP stream that is not SIP is closed, with a log line"
ip netns exec "$NS-site-a" bash -c 'exec 3<>/dev/tcp/10.77.1.1/5060 &&
	printf "OPTIONS sip:x SIP/2.0\r\nVia: SIP/2.0/TCP x\r\n\r\n" >&3 &&
	timeout 5 cat <&3 >/dev/null' || fail "hrac did not close the bad stream"
expect_log "$T/hrac-site-a.log" "SIP over TCP from 10.77.1.1:[0-9]+ closed: not a SIP stream"
log "registrar works"
