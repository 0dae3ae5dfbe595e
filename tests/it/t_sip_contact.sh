#!/bin/bash
# SPDX-License-Identifier: BSD-3-Clause
# Copyright (c) 2026 the SoFW authors
# A REGISTER binds the Contact it names (RFC 3261 §10.2), unless NAT is
# evident or the phone asks to be reached the way it registered (issue
# 11, item 5):
#  - olivia registers from 192.0.2.10 a Contact on 192.0.2.11 (another
#    device, a third-party registration): a call for her goes to .11;
#  - oscar registers from 192.0.2.12:5064 a Contact with a private
#    address (a phone behind NAT): the call goes to where he registered
#    from;
#  - carol registers a Contact with ;ob (RFC 5626) naming 192.0.2.13: the
#    call goes the way she registered, from 192.0.2.10:5066.
. "$(dirname "$0")/../lib.sh"
. "$SOFW_TOP/tests/sip.sh"

sip_world

reg_contact() { # USER IP PORT CONTACT
	sipp_at - "reg-$1" 192.0.2.1:5060 -sf "$SIPP_SCEN/register_contact.xml" \
		-s "$1" -au "$1" -ap "$1-pw" -set domain $DOMAIN -set expires 300 \
		-set contact "$4" -m 1 -i "$2" -p "$3" >"$T/reg-$1.out" 2>&1 ||
		fail "$1 could not register $4: $(tail -3 "$T/reg-$1.out")"
}
# called USER IP PORT: USER's phone at IP:PORT gets the call of bob
called() {
	sipp_fresh "uas-$1"
	sipp_at - "uas-$1" -sf "$SIPP_SCEN/uas.xml" -s "$1" -m 1 -i "$2" -p "$3" \
		>"$T/uas-$1.out" 2>&1 &
	UAS_PID=$!
	wait_udp - "$2" "$3"
	call - bob 192.0.2.12 "$1" || fail "bob -> $1 failed"
	wait_uas "$1, at $2:$3"
	log "bob's call for $1 reached $2:$3"
}

log "== a third party's Contact"
reg_contact olivia 192.0.2.10 5062 "sip:olivia@192.0.2.11:5070"
called olivia 192.0.2.11 5070

log "== behind NAT: a private Contact"
reg_contact oscar 192.0.2.13 5064 "sip:oscar@10.9.9.9:5060"
called oscar 192.0.2.13 5064

log "== asked for (RFC 5626 ;ob): the way it registered"
reg_contact carol 192.0.2.10 5066 "sip:carol@192.0.2.11:5072;ob"
called carol 192.0.2.10 5066
