# shellcheck shell=bash
# SPDX-License-Identifier: BSD-3-Clause
# Copyright (c) 2026 the SoFW authors
# bench/figures.sh: what the benchmarks that run rtp-load (bench/voice.sh,
# bench/sockets.sh) share to make their figures: its output's fields, CPU
# per call-second, medians, and how much of the box the host took while a
# measurement ran (the "steal" of /proc/stat), to leave out what was
# measured in such a spell.  The caller sets HZ and SECS.

# field NAME TEXT: the number after NAME= in TEXT (rtp-load's output)
field() { sed -n "s/.*\b$1=\([0-9]*\).*/\1/p" <<<"$2"; }
# per_cs TICKS N [DIGITS]: ms per call-second (the load runs SECS s), to
# DIGITS (2) decimals
per_cs() {
	awk -v t="$1" -v hz="$HZ" -v n="$2" -v s="$SECS" -v d="${3:-2}" \
		'BEGIN { printf "%.*f", d, t * 1000 / hz / (n * s) }'
}
# median LIST: the middle value (the lower of two)
median() {
	tr ' ' '\n' <<<"$1" | grep . | sort -g |
		awk '{ v[NR] = $1 } END { if (NR) print v[int((NR + 1) / 2)] }'
}

# box_ticks: the whole box's CPU ticks since boot, "ALL STOLEN"
# (/proc/stat's first line: user nice system idle iowait irq softirq
# steal; guest time is within user already)
box_ticks() {
	awk '$1 == "cpu" { s = 0; for (i = 2; i <= 9; i++) s += $i; print s, $9; exit }' /proc/stat
}
# steal_pct "ALL0 STOLEN0" "ALL1 STOLEN1": % of the box stolen between
steal_pct() {
	awk -v a="$1" -v b="$2" 'BEGIN { split(a, x, " "); split(b, y, " ")
		t = y[1] - x[1]; printf "%.1f", (t > 0 ? 100 * (y[2] - x[2]) / t : 0) }'
}
