#!/bin/bash
# SPDX-License-Identifier: BSD-3-Clause
# Copyright (c) 2026 the SoFW authors
# hras-fcgi gathers a busy down stream's frames into fewer writes
# (--coalesce-us, hras-fcgi(8)) and never delays a lone frame: through
# real nginx with --echo, a burst of media leaves in far fewer writes than
# frames (sofw_hras_tunnel_down_writes_total against the down frames;
# the probe's own 1 ms pacing batches too, so the rule itself is
# test_down_coalesce's); frames paced far apart leave one write each and
# arrive as fast as with coalescing off (a reload turns it off live).
. "$(dirname "$0")/../lib.sh"

URL=http://127.0.0.1/sofw/
CHECK="python3 $SOFW_TOP/tests/tools/prom-check.py"
printf 'coalesce-us 500\n' >"$T/hras.conf"
start_hras --echo -c "$T/hras.conf"
start_nginx

# count NAME: down frames and down writes now, as "FRAMES WRITES"
count() {
	sleep 1.2 # the report is refreshed once a second
	curl -s --max-time 5 -o "$T/$1.prom" "${URL}metrics" ||
		fail "no metrics"
	$CHECK "$T/$1.prom" >/dev/null || fail "the metrics do not parse ($1)"
	echo "$($CHECK --get 'sofw_hras_tunnel_frames_total{direction="down"}' "$T/$1.prom")" \
		"$($CHECK --get sofw_hras_tunnel_down_writes_total "$T/$1.prom")"
}

# field FILE KEY: a value of the probe's result line
field() { sed -n "s/^result .*\b$2=\([0-9]*\).*/\1/p" "$1"; }

log "== a burst: 4000 media frames at 8000/s, echoed down"
read -r f0 w0 < <(count m0)
probe site-a --server "$URL" --rtp 4000 --rtp-size 172 --rate 8000 \
	--max-loss 0 >"$T/burst.out" 2>&1 || {
	sed 's/^/    probe: /' "$T/burst.out"
	fail "frames lost or out of order with coalescing"
}
read -r f1 w1 < <(count m1)
frames=$((f1 - f0)) writes=$((w1 - w0))
log "down: $frames frames in $writes writes"
[ "$frames" -ge 4000 ] || fail "only $frames frames went down"
[ "$writes" -gt 0 ] || fail "no down write counted"
[ $((writes * 3)) -le "$frames" ] ||
	fail "a burst of $frames frames took $writes writes (want <= 1/3)"

log "== lone frames (20/s): one write each, not delayed"
read -r f0 w0 < <(count m2)
probe site-a --server "$URL" --bench --streams 1 --fps 20 --seconds 4 \
	>"$T/lone.out" 2>&1 || fail "bench probe failed: $(tail -3 "$T/lone.out")"
read -r f1 w1 < <(count m3)
frames=$((f1 - f0)) writes=$((w1 - w0))
log "down: $frames frames in $writes writes; $(grep ^result "$T/lone.out")"
[ "$frames" -ge 70 ] || fail "only $frames frames went down"
# keepalives and acks may share a write with a pong, nothing more
[ $((writes * 10)) -ge $((frames * 9)) ] ||
	fail "lone frames were gathered: $frames frames in $writes writes"
on=$(field "$T/lone.out" down_median_us)

printf 'coalesce-us 0\n' >"$T/hras.conf"
before=$(grep -c "reloaded" "$T/hras.log")
kill -HUP "$HRAS_PID"
wait_log_more "$T/hras.log" "reloaded: changed: coalesce-us" "${before:-0}"
probe site-a --server "$URL" --bench --streams 1 --fps 20 --seconds 4 \
	>"$T/lone0.out" 2>&1 || fail "bench probe failed: $(tail -3 "$T/lone0.out")"
off=$(field "$T/lone0.out" down_median_us)
log "lone frames down, median: $on us with a 500 us window, $off us without"
[ -n "$on" ] && [ -n "$off" ] || fail "no down median measured"
# a lone frame held for the window would arrive 500 us later
[ "$on" -lt $((off + 250)) ] ||
	fail "lone frames delayed by the window: $on us against $off us"

log "coalescing gathers busy streams and leaves lone frames alone"
