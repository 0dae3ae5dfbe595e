# shellcheck shell=bash
# SPDX-License-Identifier: BSD-3-Clause
# Copyright (c) 2026 the SoFW authors
# bench/steal.sh: how much of the box the host took while a measurement
# ran (the "steal" of /proc/stat), for the benchmarks that leave out what
# was measured in such a spell (bench/voice.sh, bench/sockets.sh).

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
