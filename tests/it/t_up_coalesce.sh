#!/bin/bash
# SPDX-License-Identifier: BSD-3-Clause
# Copyright (c) 2026 the SoFW authors
# hrac's coalescing of writes up the tunnel (hrac(8), --coalesce-us),
# through Squid CONNECT + TLS with the up stream proven: requests a phone
# sends one at a time, 200 ms apart, each leave in a write of their own
# (none waited for company: writes >= frames); a burst of them leaves in
# far fewer writes than frames.  Counted by sofw_hrac_tunnel_writes_total
# and sofw_hrac_tunnel_frames_total of --metrics-file.  A window above
# the bound is refused with a clear error.
. "$(dirname "$0")/../lib.sh"
. "$SOFW_TOP/tests/sip.sh"
. "$SOFW_TOP/tests/fw.sh"

CHECK="python3 $SOFW_TOP/tests/tools/prom-check.py"

# counts: "FRAMES WRITES" up, from one copy of hrac's metrics file
counts() {
	cp "$T/hrac-a.prom" "$T/hrac-a.copy" || fail "no hrac metrics file"
	$CHECK "$T/hrac-a.copy" >/dev/null || fail "hrac's metrics file does not parse"
	echo "$($CHECK --get 'sofw_hrac_tunnel_frames_total{direction="up"}' "$T/hrac-a.copy")" \
		"$($CHECK --get 'sofw_hrac_tunnel_writes_total{direction="up"}' "$T/hrac-a.copy")"
}

# settle MIN_FRAMES: once the file (rewritten every 5 s) counts them
settle() {
	local f w
	for _ in $(seq 120); do
		read -r f w < <(counts)
		[ "$f" -ge "$1" ] && { echo "$f $w"; return 0; }
		sleep 0.1
	done
	fail "hrac's up frames stayed at $f, expected >= $1"
}

# options N RATE: N OPTIONS from the phone to hrac (RATE 0: at once)
options() {
	ip netns exec "$(fw_ns lan-a)" python3 "$SOFW_TOP/tests/tools/sip-raw.py" \
		--server "$FW_PLAN.10:5060" --from "$FW_PLAN.11" --count "$1" \
		--rate "$2" options >"$T/options.out" 2>&1 ||
		fail "sip-raw: $(cat "$T/options.out")"
}

log "== a window above the bound is refused"
ours big "$BIN/hrac" --coalesce-us 501 --server http://192.0.2.1/sofw/ --id x \
	--secret-file /dev/null -t
rc=$?
[ "$rc" != 0 ] || fail "--coalesce-us 501 accepted"
grep -q "coalesce-us" "$T/big.out" || fail "the refusal does not name the option: $(cat "$T/big.out")"

fw_world
fw_hrac a connect --metrics-file "$T/hrac-a.prom" --coalesce-us 500
wait_log "$T/hrac-a.log" "up: streaming works" 100
read -r f0 w0 < <(settle 1)

log "== one request at a time: each in a write of its own"
options 10 5
read -r f1 w1 < <(settle $((f0 + 10)))
log "10 requests 200 ms apart: $((f1 - f0)) frames up in $((w1 - w0)) writes"
[ $((w1 - w0)) -ge $((f1 - f0)) ] ||
	fail "lone requests shared writes: $((f1 - f0)) frames in $((w1 - w0)) writes"

log "== a burst: far fewer writes than frames"
options 200 0
read -r f2 w2 < <(settle $((f1 + 200)))
log "200 requests at once: $((f2 - f1)) frames up in $((w2 - w1)) writes"
[ $((2 * (w2 - w1))) -le $((f2 - f1)) ] ||
	fail "a burst of $((f2 - f1)) frames took $((w2 - w1)) writes"
log "coalescing: lone requests alone, a burst together"
