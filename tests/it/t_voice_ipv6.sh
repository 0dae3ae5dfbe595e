#!/bin/bash
# SPDX-License-Identifier: BSD-3-Clause
# Copyright (c) 2026 the SoFW authors
# An outside network on IPv6: hras-fcgi also takes SIP on fd77:2::1 and
# gives outside phones that address for media (--public-ip), while the
# inside stays IPv4 behind Squid.  An inside phone calls an IPv6 phone:
# each side's SDP names its own family, Record-Route faces the IPv6 phone
# with the IPv6 address, and voice flows both ways.
. "$(dirname "$0")/../lib.sh"
. "$SOFW_TOP/tests/sip.sh"
. "$SOFW_TOP/tests/fw.sh"

HRAS6=fd77:2::1
OLIVIA6=fd77:2::10
ip addr add $HRAS6/128 dev lo nodad || fail "no IPv6 here"
ip addr add $OLIVIA6/128 dev lo nodad
fw_world --sip "[$HRAS6]:5060" --public-ip $HRAS6
fw_hrac a plain
expect_log "$T/hras.log" "media relay on \[?$HRAS6\]?"

log "== an IPv6 phone and an inside phone register"
register lan-a alice $FW_PLAN.11
sipp_at - reg-olivia "[$HRAS6]:5060" -sf "$SIPP_SCEN/register.xml" \
	-s olivia -au olivia -ap olivia-pw -set domain $DOMAIN -set expires 300 \
	-m 1 -i $OLIVIA6 -p 5060 >"$T/reg-olivia.out" 2>&1 ||
	fail "olivia could not register over IPv6"
wait_log "$T/hras.log" "olivia@$DOMAIN registered sip:olivia@\[$OLIVIA6\]:5060"

log "== alice (IPv4, inside) calls olivia (IPv6, outside)"
# alice's 200 must name hrac
TALK_MS=2500 PEER_LIKE="$FW_PLAN.10:4*" voice_call \
	lan-a alice $FW_PLAN.11 7000 - olivia $OLIVIA6 16000
invite=$(received uas-olivia INVITE | tr -d '\r')
grep -q "^c=IN IP6 $HRAS6$" <<<"$invite" ||
	fail "olivia's SDP does not name HRAS's IPv6 address: $(grep '^c=' <<<"$invite")"
grep -q "^Record-Route: <sip:\[$HRAS6\]:5060;lr;" <<<"$invite" ||
	fail "olivia's Record-Route is not IPv6: $(grep '^Record-Route' <<<"$invite")"
call_ended "olivia over IPv6"
log "an IPv6 outside phone talks to an IPv4 inside phone"
