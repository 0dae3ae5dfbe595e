#!/bin/bash
# SPDX-License-Identifier: BSD-3-Clause
# Copyright (c) 2026 the SoFW authors
# hras-fcgi's down writes come in batches (hras-fcgi(8), --coalesce-us):
# by default one per loop iteration that queued frames, never a timed
# wait; with --coalesce-us N a busy stream also gathers for N us.
# Through real nginx with --echo: a burst of media (the frames of one up
# chunk reach the loop together) leaves in far fewer writes than frames
# (sofw_hras_tunnel_down_writes_total against the down frames; the
# wake-up per iteration itself is test_down_coalesce's); frames paced
# far apart leave one write each, and arrive no later than with a timed
# window (which never delays a lone frame either).  By default the loop
# thread writes most lone frames itself, its stream's writer left asleep
# (sofw_hras_tunnel_down_direct_writes_total; down_direct.h); under a
# window it never does.  A reload sets the window live.
. "$(dirname "$0")/../lib.sh"

URL=http://127.0.0.1/sofw/
CHECK="python3 $SOFW_TOP/tests/tools/prom-check.py"
: >"$T/hras.conf"
start_hras --echo -c "$T/hras.conf"
start_nginx

# count NAME: down frames, down writes and the loop thread's own writes
# now, as "FRAMES WRITES DIRECT"
count() {
	sleep 1.2 # the report is refreshed once a second
	curl -s --max-time 5 -o "$T/$1.prom" "${URL}metrics" ||
		fail "no metrics"
	$CHECK "$T/$1.prom" >/dev/null || fail "the metrics do not parse ($1)"
	echo "$($CHECK --get 'sofw_hras_tunnel_frames_total{direction="down"}' "$T/$1.prom")" \
		"$($CHECK --get sofw_hras_tunnel_down_writes_total "$T/$1.prom")" \
		"$($CHECK --get sofw_hras_tunnel_down_direct_writes_total "$T/$1.prom")"
}

# field FILE KEY: a value of the probe's result line
field() { sed -n "s/^result .*\b$2=\([0-9]*\).*/\1/p" "$1"; }

# burst WHAT: 4000 media frames at 8000/s, echoed down, in <= 1/3 writes
burst() {
	local f0 w0 d0 f1 w1 d1 frames writes
	read -r f0 w0 d0 < <(count "b0$1")
	probe site-a --server "$URL" --rtp 4000 --rtp-size 172 --rate 8000 \
		--max-loss 0 >"$T/burst$1.out" 2>&1 || {
		sed 's/^/    probe: /' "$T/burst$1.out"
		fail "frames lost or out of order ($1)"
	}
	read -r f1 w1 d1 < <(count "b1$1")
	frames=$((f1 - f0)) writes=$((w1 - w0))
	log "$1: a burst's $frames frames went down in $writes writes ($((d1 - d0)) by the loop thread)"
	[ "$frames" -ge 4000 ] || fail "only $frames frames went down ($1)"
	[ "$writes" -gt 0 ] || fail "no down write counted ($1)"
	[ $((writes * 3)) -le "$frames" ] ||
		fail "a burst of $frames frames took $writes writes ($1; want <= 1/3)"
}

# lone WHAT: frames at 20/s leave one write each; prints the down
# median; the loop thread's share of the writes goes to $T/direct-WHAT
lone() {
	local f0 w0 d0 f1 w1 d1 frames writes
	read -r f0 w0 d0 < <(count "l0$1")
	probe site-a --server "$URL" --bench --streams 1 --fps 20 --seconds 4 \
		>"$T/lone$1.out" 2>&1 ||
		fail "bench probe failed ($1): $(tail -3 "$T/lone$1.out")"
	read -r f1 w1 d1 < <(count "l1$1")
	frames=$((f1 - f0)) writes=$((w1 - w0))
	log "$1: lone frames: $frames in $writes writes, $((d1 - d0)) by the loop thread; $(grep ^result "$T/lone$1.out")" >&2
	echo "$((d1 - d0)) $writes" >"$T/direct-$1"
	[ "$frames" -ge 70 ] || fail "only $frames frames went down ($1)"
	# keepalives and acks may share a write with a pong, nothing more
	[ $((writes * 10)) -ge $((frames * 9)) ] ||
		fail "lone frames were gathered ($1): $frames frames in $writes writes"
	field "$T/lone$1.out" down_median_us
}

log "== default: the loop's batches, no timed wait"
"$BIN/hras-fcgi" --help 2>&1 | grep -A1 -e --coalesce-us | grep -q "(default 0)" ||
	fail "--coalesce-us does not default to 0"
burst loop
batched=$(lone loop)
read -r direct writes <"$T/direct-loop"
[ $((direct * 2)) -ge "$writes" ] ||
	fail "the loop thread wrote $direct of $writes lone writes itself (want >= half)"

log "== --coalesce-us 500 (reloaded): timed gathering on top"
printf 'coalesce-us 500\n' >"$T/hras.conf"
before=$(grep -c "reloaded" "$T/hras.log")
kill -HUP "$HRAS_PID"
wait_log_more "$T/hras.log" "reloaded: changed: coalesce-us" "${before:-0}"
burst timed
timed=$(lone timed)
read -r direct writes <"$T/direct-timed"
[ "$direct" -eq 0 ] ||
	fail "the loop thread wrote $direct of $writes itself under a window"

log "lone frames down, median: $batched us by default, $timed us with a 500 us window"
[ -n "$batched" ] && [ -n "$timed" ] || fail "no down median measured"
# a lone frame held for a window (or a timer) would arrive 500 us later;
# under a window the writer thread, not the loop, writes (one wake-up
# more: 90 us in a CI run), and a busy host adds its own, so the bound
# sits between that and a window's hold
[ "$batched" -lt $((timed + 350)) ] ||
	fail "lone frames delayed by default: $batched us against $timed us"
[ "$timed" -lt $((batched + 350)) ] ||
	fail "lone frames delayed by the window: $timed us against $batched us"

log "down writes come in batches and lone frames are not delayed"
