#!/bin/bash
# SPDX-License-Identifier: BSD-3-Clause
# Copyright (c) 2026 the SoFW authors
# A real SIP phone: headless baresip inside site-a registers through hrac
# over TCP (digest challenged), is called from outside on that same
# connection (auto-answer), and places a call that a sipp phone outside
# answers; each side sees the other's answer and the BYE.
. "$(dirname "$0")/../lib.sh"
. "$(dirname "$0")/../sip.sh"

command -v baresip >/dev/null || fail "baresip is not installed (Debian package baresip)"
sip_world --digest-algorithms md5

ctl() { in_site site-a python3 "$SOFW_TOP/tests/tools/baresip-ctl.py" 10.77.1.12:4444 "$@"; }

B=$T/baresip
mkdir -p "$B"
cat >"$B/config" <<CFG
poll_method epoll
sip_listen 10.77.1.12:5070
audio_player aubridge,nil
audio_source aubridge,nil
audio_alert aubridge,nil
module_path /usr/lib/baresip/modules
module g711.so
module aubridge.so
module_tmp uuid.so
module_tmp account.so
module_app menu.so
module_app ctrl_tcp.so
ctrl_tcp_listen 10.77.1.12:4444
CFG
cat >"$B/accounts" <<ACC
<sip:carol@$DOMAIN;transport=tcp>;auth_pass=carol-pw;outbound="sip:10.77.1.1:5060;transport=tcp";regint=300;answermode=auto
ACC

log "== baresip registers through hrac over TCP"
# -t: baresip quits by itself long after any run of this test (the test
# stops it); under timeout(1), SIGTERM ends it with 143
in_site site-a timeout 600 baresip -f "$B" -t 540 </dev/null >"$T/baresip.log" 2>&1 &
BARESIP=$!
track $BARESIP baresip 0 143
wait_log "$T/hras.log" "carol@$DOMAIN registered sip:carol[^ ]*transport=tcp[^ ]* via HRAC site-a" 200

log "== an outside phone calls baresip: it answers over its TCP connection"
call - oscar 192.0.2.11 carol || { tail -20 "$T/baresip.log"; fail "the call to baresip failed"; }
received uac-oscar-carol "SIP/2.0 200" >"$T/200.txt"
grep -qi "^Server: baresip" "$T/200.txt" || fail "the 200 OK is not baresip's"
grep -q "^Record-Route: " "$T/200.txt" || fail "no Record-Route in baresip's 200 OK"
grep -Eq "^Contact: <sip:carol-[^>]*@10\.77\.1\.[0-9]+:[0-9]+;transport=tcp>" "$T/200.txt" ||
	fail "baresip's Contact is not kept"

log "== baresip calls an outside phone that sipp answers"
register - olivia 192.0.2.10
answer - olivia 192.0.2.10 uas.xml
ctl --cmd "dial sip:olivia@$DOMAIN" --wait CALL_ESTABLISHED --timeout 15 >"$T/ctl.out" ||
	{ cat "$T/ctl.out"; tail -20 "$T/baresip.log"; fail "baresip's call was not answered"; }
ctl --cmd "hangup" --wait CALL_CLOSED --timeout 10 >>"$T/ctl.out" ||
	{ cat "$T/ctl.out"; fail "baresip could not hang up"; }
wait_uas "olivia, called by baresip"
received uas-olivia INVITE >"$T/invite.txt"
grep -qi "^User-Agent: baresip" "$T/invite.txt" || fail "the INVITE is not baresip's"
grep -q "^Proxy-Authorization" "$T/invite.txt" && fail "HRAS passed on the credentials it consumed"
grep -Eq "^Via: SIP/2.0/UDP 192.0.2.1:5060;branch=z9hG4bK" "$T/invite.txt" || fail "no Via of HRAS on top"
expect_log "$T/hras.log" "carol@$DOMAIN registered"
log "baresip registers, calls and is called through hrac"
