#!/bin/bash
# SPDX-License-Identifier: BSD-3-Clause
# Copyright (c) 2026 the SoFW authors
# hrac restarts lose nothing queued that a phone would not resend (issue
# 11, item 3).  A phone on SIP over TCP never resends a request: one that
# hrac has taken but HRAS has not acknowledged when hrac stops must not
# vanish.  hrac waits a moment for HRAS, then answers it 503 with
# Retry-After itself; the phone, told so, registers again once hrac is
# back.  HRAS is frozen (SIGSTOP) so that the REGISTER stays queued.
. "$(dirname "$0")/../lib.sh"
. "$SOFW_TOP/tests/sip.sh"

sip_world --state "$T/state"

log "== a TCP phone's REGISTER, queued in hrac while HRAS is frozen"
kill -STOP "$HRAS_PID"
sipp_fresh reg-queued
(cd "$T/sipp-reg-queued" && exec timeout 30 ip netns exec "$NS-site-a" \
	sipp 10.77.1.1:5060 -t t1 -sf "$SIPP_SCEN/register_final.xml" -s alice \
	-set domain $DOMAIN -set expires 300 -m 1 -i 10.77.1.11 -p 5062 \
	-timeout 20 -timeout_error -nostdin -trace_msg -trace_err -trace_logs) \
	>"$T/reg-queued.out" 2>&1 &
phone=$!
for _ in $(seq 100); do
	grep -qs "^REGISTER sip:" "$T"/sipp-reg-queued/*_messages.log && break
	sleep 0.05
done
grep -qs "^REGISTER sip:" "$T"/sipp-reg-queued/*_messages.log ||
	fail "the phone sent no REGISTER"
sleep 0.5 # in hrac's queue, not acknowledged: HRAS is frozen

log "== hrac stops (SIGTERM): the phone is answered, not left waiting"
t0=$(date +%s%N)
kill_expect "$SITE_HRAC_site_a" TERM 0
ms=$((($(date +%s%N) - t0) / 1000000))
kill -CONT "$HRAS_PID"
wait "$phone" || fail "the phone got no answer to its queued REGISTER: $(tail -3 "$T/reg-queued.out")"
got=$(final_code reg-queued)
[ "$got" = 503 ] || fail "the queued REGISTER got $got, expected 503 from hrac"
grep -q "^Retry-After: " "$T"/sipp-reg-queued/*_messages.log ||
	fail "hrac's 503 has no Retry-After"
expect_log "$T/hrac-site-a.log" "SIP messages did not reach HRAS: the phones whose requests they are get 503"
log "the phone had its 503; hrac ended ${ms} ms after SIGTERM"

log "== HRAS thawed, hrac starts again: the phone registers over TCP"
start_site_hrac site-a --server http://192.0.2.1/sofw/
sipp_at site-a reg-again 10.77.1.1:5060 -t t1 -sf "$SIPP_SCEN/register.xml" \
	-s alice -au alice -ap alice-pw -set domain $DOMAIN -set expires 300 \
	-m 1 -i 10.77.1.11 -p 5062 -timeout 20 -timeout_error \
	>"$T/reg-again.out" 2>&1 || fail "the phone could not register again: $(tail -3 "$T/reg-again.out")"
expect_log "$T/hras.log" "alice@example.test registered sip:alice@10.77.1.11:5062;transport=TCP via HRAC site-a"

log "== with HRAS answering, a stop loses nothing and answers nothing itself"
start=$(grep -c "request answered 503" "$T/hrac-site-a.log")
register site-b bob 10.77.1.10
kill_expect "$SITE_HRAC_site_b" TERM 0
grep -q "did not reach HRAS" "$T/hrac-site-b.log" &&
	fail "hrac site-b had unacknowledged messages with HRAS up"
[ "$(grep -c "request answered 503" "$T/hrac-site-a.log")" = "$start" ] ||
	fail "hrac answered 503 with HRAS up"
log "nothing left unacknowledged, no 503 of hrac's own"
