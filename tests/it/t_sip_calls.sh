#!/bin/bash
# SPDX-License-Identifier: BSD-3-Clause
# Copyright (c) 2026 the SoFW authors
# Calls through HRAS: inside phones (through their HRAC and the tunnel)
# and outside phones (straight to HRAS), with digest authentication.
# inside->outside, outside->inside, inside->inside across two HRACs whose
# phones have the same private address, inside->inside on one HRAC;
# what each side received (Record-Route, Via) is checked.
. "$(dirname "$0")/../lib.sh"
. "$SOFW_TOP/tests/sip.sh"

sip_world

register site-a alice 10.77.1.10
register site-a alice2 10.77.1.11
register site-b bob 10.77.1.10
register - olivia 192.0.2.10
register - oscar 192.0.2.11

rr_count() { received "$1" INVITE | grep -c '^Record-Route:'; }

log "== inside (site-a) calls outside"
answer - olivia 192.0.2.10 uas.xml
call site-a alice 10.77.1.10 olivia || fail "alice -> olivia"
wait_uas "olivia"
[ "$(rr_count uas-olivia)" = 2 ] || fail "inside->outside INVITE should carry two Record-Route entries (RFC 5658)"
received uas-olivia INVITE | grep -q "^Via: SIP/2.0/UDP 192.0.2.1:5060;branch=z9hG4bK" ||
	fail "top Via of the INVITE is not HRAS's"
received uas-olivia INVITE | grep -q "^Via: SIP/2.0/UDP 10.77.1.10:5061;.*received=" ||
	fail "the inside phone's Via lacks received"

log "== outside calls inside (site-a)"
answer site-a alice 10.77.1.10 uas.xml
call - oscar 192.0.2.11 alice || fail "oscar -> alice"
wait_uas "alice"
[ "$(rr_count uas-alice)" = 2 ] || fail "outside->inside INVITE should carry two Record-Route entries"
received uas-alice INVITE | grep -q "^Record-Route: <sip:10.77.1.1:5060;lr;sofw=isite-a" ||
	fail "the inside-facing Record-Route is not the HRAC's LAN address"

log "== inside (site-a) calls inside (site-b): same private addresses"
answer site-b bob 10.77.1.10 uas.xml
call site-a alice 10.77.1.10 bob || fail "alice -> bob"
wait_uas "bob"
received uas-bob INVITE | grep -q "^Record-Route: <sip:10.77.1.1:5060;lr;sofw=isite-b" ||
	fail "site-b's Record-Route missing"
# site-a's entry is there, hidden from site-b (review L7)
received uas-bob INVITE | grep -q "^Record-Route: <sip:192.0.2.1:5060;lr;sofw=h\." ||
	fail "site-a's Record-Route missing, or not hidden from site-b"
received uas-bob INVITE | grep -q "sofw=isite-a" && fail "site-b saw site-a's Record-Route in clear"

log "== inside calls inside on the same HRAC"
answer site-a alice2 10.77.1.11 uas.xml
call site-a alice 10.77.1.10 alice2 || fail "alice -> alice2"
wait_uas "alice2"
[ "$(rr_count uas-alice2)" = 1 ] || fail "one interface, one Record-Route entry"

log "== outside calls outside"
answer - olivia 192.0.2.10 uas.xml
call - oscar 192.0.2.11 olivia || fail "oscar -> olivia"
wait_uas "olivia (outside)"
[ "$(rr_count uas-olivia)" = 1 ] || fail "outside->outside: one Record-Route entry"

grep -E "info: .*(registered|dropped)" "$T/hras.log" | tail -3
log "calls in every direction work"
