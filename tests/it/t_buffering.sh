#!/bin/bash
# SPDX-License-Identifier: BSD-3-Clause
# Copyright (c) 2026 the SoFW authors
# A path that buffers (nginx with fastcgi buffering and request buffering
# on, X-Accel-Buffering ignored, like a scanning gateway): hrac notices
# that the stream's probe frame does not arrive and that the up probe is
# not answered, falls back to long polling and batch POSTs, says why, and
# frames still arrive complete and in order.
. "$(dirname "$0")/../lib.sh"

start_hras --echo
start_nginx

log "== hrac --diagnose through the buffering server"
diagnose site-a --server http://127.0.0.1:8081/sofw/ ||
	fail "diagnose failed on a buffering path"
grep -qE "down: +long polling \(no (frame|response) within [0-9]+ ms.*: the path (may )?buffers? responses\)" "$T/diag.out" ||
	fail "down fallback not reported with its reason"
grep -q "up:         batch POSTs (no answer to the up probe" "$T/diag.out" ||
	fail "up fallback not reported with its reason"
grep -q "result: OK: the tunnel works (down long polling, up batch POSTs)" "$T/diag.out" ||
	fail "no OK verdict"

log "== frames through the buffering server after the fallback"
probe site-a --server http://127.0.0.1:8081/sofw/ --sip 100 --rtp 100 \
	--rate 100 --expect-down "long polling" --expect-up "batch" \
	>"$T/probe.out" 2>&1
rc=$?
sed 's/^/    probe: /' "$T/probe.out"
[ $rc = 0 ] || fail "frames lost or out of order after the fallback"

log "== the fallback modes forced on a streaming path also work"
probe site-a --server http://127.0.0.1/sofw/ --down-mode poll --up-mode batch \
	--sip 100 --rtp 100 --rate 100 --expect-down "long polling" \
	--expect-up "batch" >"$T/probe2.out" 2>&1
rc=$?
sed 's/^/    probe: /' "$T/probe2.out"
[ $rc = 0 ] || fail "forced fallback modes failed"

# the real hrac logs which mode it uses and why
start_hrac site-b --server http://127.0.0.1:8081/sofw/ --sip 127.0.0.1:5060 \
	--reprobe 3
wait_log "$T/hrac-site-b.log" "up: batch POST works" 300
expect_log "$T/hrac-site-b.log" "down: no (frame|response) within [0-9]+ ms.*: the path (may )?buffers? responses: switching to long polling"
expect_log "$T/hrac-site-b.log" "up: no answer to the up probe .*: switching to one POST per batch"
phone() {
	python3 "$SOFW_TOP/tests/tools/sip-udp-echo.py" 127.0.0.1 5060 100 1000 50 20 \
		>"$T/phone.out" 2>&1 || { cat "$T/phone.out"; fail "SIP: $1"; }
	sed 's/^/    phone: /' "$T/phone.out"
}
phone "through the fallback modes"

log "== --reprobe: streaming is tried again when idle, and given up again"
L=$T/hrac-site-b.log
wait_log "$L" "down: trying streaming again" 400
wait_log "$L" "up: trying streaming again" 100
wait_more "$L" "switching to long polling" 1 400
wait_more "$L" "switching to one POST per batch" 1 400
grep -q "down: streaming works" "$L" && fail "streamed down through a buffering path"
phone "after a failed reprobe"

log "== the path stops buffering: hrac streams again"
sed -i -e 's/fastcgi_buffering on;/fastcgi_buffering off;/' \
	-e 's/fastcgi_request_buffering on;/fastcgi_request_buffering off;/' \
	-e '/fastcgi_ignore_headers X-Accel-Buffering;/d' "$T/nginx.conf"
kill -HUP "$NGINX_PID"
wait_log "$L" "down: streaming works" 600
wait_log "$L" "up: streaming works" 200
phone "streaming again"
n=$(grep -cE "switching to|trying streaming again" "$L")
# This sleep is what is tested: that nothing happens.  A fallback or a
# re-probe could come at the earliest 5 s of quiet (REPROBE_QUIET_MS)
# after a reprobe period (--reprobe 3): 9 s without one shows there is
# none on a path that streams.
sleep 9
[ "$(grep -cE "switching to|trying streaming again" "$L")" = "$n" ] ||
	fail "fell back, or probed again, on a streaming path: $(grep -E "switching to|trying streaming again" "$L" | tail -2)"
log "fallbacks work, and are left when the path streams"
