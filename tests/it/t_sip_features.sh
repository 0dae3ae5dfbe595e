#!/bin/bash
# SPDX-License-Identifier: BSD-3-Clause
# Copyright (c) 2026 the SoFW authors
# The proxy's answers where a call does not simply connect: busy (486),
# unknown user (404), a known user not registered (480), CANCEL (487),
# no answer (Timer C: 408), forking to two contacts (the 2xx wins, else
# the best failure), re-INVITE along the recorded route, MESSAGE, and
# OPTIONS to the server itself.
. "$(dirname "$0")/../lib.sh"
. "$SOFW_TOP/tests/sip.sh"

sip_world --timer-c 5 --state "$T/state"
register site-a alice 10.77.1.10
register site-b bob 10.77.1.10
register - olivia 192.0.2.10
register - oscar 192.0.2.11

log "== busy"
answer - olivia 192.0.2.10 uas_busy.xml
expect_final 486 site-a alice 10.77.1.10 olivia
wait_uas "olivia busy"

log "== unknown user, and a user who is not registered"
expect_final 404 site-a alice 10.77.1.10 nobody
expect_final 480 - oscar 192.0.2.11 carol

log "== CANCEL before the answer (a caller from another domain: no credentials)"
answer site-b bob 10.77.1.10 uas_ring.xml
call - oscar 192.0.2.11 bob uac_cancel.xml -set fromdomain visitor.test ||
	fail "CANCEL: the caller did not see 200 to CANCEL and 487"
wait_uas "bob was cancelled"
received uas-bob CANCEL | grep -q "^CANCEL sip:bob@10.77.1.10" || fail "bob got no CANCEL"

log "== no answer: Timer C (5 s here) cancels, the caller gets 408"
answer - olivia 192.0.2.10 uas_ring.xml
start=$(date +%s)
expect_final 408 site-a alice 10.77.1.10 olivia
wait_uas "olivia was cancelled by Timer C"
el=$(($(date +%s) - start))
[ $el -ge 4 ] && [ $el -le 12 ] || fail "Timer C took $el s"

log "== forking: olivia on two phones, one busy, one answers"
register - olivia 192.0.2.12
answer - olivia 192.0.2.10 uas_busy.xml
busy_pid=$UAS_PID
answer - olivia2 192.0.2.12 uas.xml
UAS_PID2=$UAS_PID
call site-a alice 10.77.1.10 olivia || fail "forked call did not connect"
wait $UAS_PID2 || fail "the answering branch failed"
wait $busy_pid || fail "the busy branch failed"

log "== forking: both busy: the caller gets 486"
answer - olivia 192.0.2.10 uas_busy.xml
b1=$UAS_PID
answer - olivia2 192.0.2.12 uas_busy.xml
expect_final 486 site-a alice 10.77.1.10 olivia
wait $b1 && wait $UAS_PID || fail "a busy branch failed"

log "== re-INVITE (hold) and BYE along the recorded route"
answer site-a alice 10.77.1.10 uas_reinvite.xml
call - oscar 192.0.2.11 alice uac_reinvite.xml || fail "re-INVITE call"
wait_uas "alice's re-INVITE"

log "== MESSAGE from inside to the other site"
answer site-b bob 10.77.1.10 uas_message.xml
call site-a alice 10.77.1.10 bob uac_message.xml || fail "MESSAGE"
wait_uas "bob's MESSAGE"

log "== OPTIONS to the server itself"
sipp_at - options 192.0.2.1:5060 -sf "$SIPP_SCEN/options.xml" -m 1 \
	-i 192.0.2.13 -p 5060 >"$T/options.out" 2>&1 || fail "OPTIONS"
log "every answer as RFC 3261 says"
