#!/bin/bash
# SPDX-License-Identifier: BSD-3-Clause
# Copyright (c) 2026 the SoFW authors
# Inside phones as desk phones are (issue 11, item 6): a phone whose Via
# asks for no rport (RFC 3581 is optional) registers through hrac and
# gets its answers; one that has hrac as its outbound proxy (a Route
# naming hrac's LAN address) calls out, and the outside party sees
# neither that Route nor a received=127.0.0.1 of the tunnel gateway.
. "$(dirname "$0")/../lib.sh"
. "$SOFW_TOP/tests/sip.sh"

sip_world

log "== REGISTER without rport, through hrac"
sipp_at site-a reg-norport 10.77.1.1:5060 -sf "$SIPP_SCEN/register_norport.xml" \
	-s alice -au alice -ap alice-pw -set domain $DOMAIN -set expires 300 \
	-m 1 -i 10.77.1.10 -p 5060 -timeout 10 -timeout_error >"$T/reg-norport.out" 2>&1 ||
	fail "a phone without rport could not register: $(tail -3 "$T/reg-norport.out")"
log "alice registered with a Via that asks for no rport"

log "== a call out with hrac as outbound proxy, no rport"
register - olivia 192.0.2.10
answer - olivia 192.0.2.10 uas.xml
call site-a alice 10.77.1.10 olivia uac_outproxy.xml ||
	fail "the call with an outbound proxy Route failed"
wait_uas "olivia, called through hrac as outbound proxy"
invite=$(received uas-olivia INVITE | tr -d '\r')
grep -q "^Route:.*10\.77\.1\.1:5060" <<<"$invite" &&
	fail "olivia got the phone's Route to hrac: $(grep ^Route <<<"$invite")"
grep -q "received=127\.0\.0\.1" <<<"$invite" &&
	fail "olivia saw the gateway's loopback address: $(grep ^Via <<<"$invite")"
grep -q "^Via: SIP/2.0/UDP 10\.77\.1\.10:5061" <<<"$invite" ||
	fail "the phone's Via is not passed on: $(grep ^Via <<<"$invite")"
log "olivia saw no Route to hrac and no gateway address"
# the site's Record-Route entry, as the outside party sees it, names
# neither the HRAC nor its LAN address (review L7): ours stands in
rr=$(grep "^Record-Route" <<<"$invite")
[ -n "$rr" ] || fail "olivia's INVITE has no Record-Route"
grep -qE "10\.77\.|site-a" <<<"$rr" && fail "olivia saw the site in the Record-Route: $rr"
log "olivia's Record-Route names no site: $(tr '\n' ' ' <<<"$rr")"

log "== olivia calls alice: the answer she gets names no site either"
register site-a alice 10.77.1.10
answer site-a alice 10.77.1.10 uas.xml
call - olivia 192.0.2.10 alice || fail "olivia could not call alice (or her BYE failed)"
wait_uas "alice, called by olivia"
ok=$(received uac-olivia-alice "SIP/2.0 200" | tr -d '\r')
rr=$(grep "^Record-Route" <<<"$ok")
[ -n "$rr" ] || fail "olivia's 200 OK has no Record-Route"
grep -qE "10\.77\.|site-a" <<<"$rr" && fail "olivia saw the site in the 200's Record-Route: $rr"
[ "$(grep -o "sofw=" <<<"$rr" | wc -l)" = 2 ] || fail "olivia's 200 lost a Record-Route value: $rr"
inv=$(received uas-alice INVITE | tr -d '\r')
grep -q "^Record-Route: <sip:10\.77\.1\.1:5060;lr;sofw=isite-a\." <<<"$inv" ||
	fail "alice did not get her site's entry in clear: $(grep ^Record-Route <<<"$inv")"
log "alice's INVITE has her hrac's entry, olivia's 200 has it hidden; the BYE went through both"
