# SPDX-License-Identifier: BSD-3-Clause
# Copyright (c) 2026 the SoFW authors
# bench/steps.sh: the rate search of the SIP benchmarks (bench/sip.sh,
# bench/cluster.sh), sourced after tests/lib.sh.  The caller defines
# step ARGS... RATE: 0 when RATE attempts/s were sustained (every attempt
# succeeded, the step did not run late), STEP_LOG its one-line account,
# STEP_RATE the rate it really offered if not RATE; and sets SECS (a
# step's seconds) and MAX_RATE.

# counter FILE LABEL: the cumulative column of a sipp screen line
counter() {
	sed -n "s/^ *$2 *|.*| *\([0-9]*\) *$/\1/p" "$1" | tail -1
}

# step_in_time T0 T1: the step (started T0, ended T1) did not run late
step_in_time() {
	awk -v a="$1" -v b="$2" -v s="$SECS" 'BEGIN { exit !(b - a < s * 1.5 + 2) }'
}

# sustained ARGS...: the highest rate `step ARGS... RATE` sustained, rates
# doubling from 100/s until a step fails (at most MAX_RATE)
sustained() {
	local best=0 rate=100
	while [ $rate -le "$MAX_RATE" ]; do
		STEP_RATE=$rate
		if step "$@" $rate; then
			best=$STEP_RATE
			echo "      $STEP_LOG" >&2
		else
			echo "      $STEP_LOG: not sustained" >&2
			break
		fi
		rate=$((rate * 2))
	done
	echo $best
}

# ratio A B: A / B to two decimals, n/a without a B
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { if (b > 0) printf "%.2f", a / b; else print "n/a" }'; }

# rates_table HEAD BASE KEY NAME [KEY NAME]...: the rates the caller's
# R[KEY,reg] and R[KEY,call] hold, a row NAME per KEY, each rate with its
# ratio to BASE's; HEAD names the first column
rates_table() {
	local head=$1 base=$2 f='  %-34s %12s %8s %12s %8s\n'
	shift 2
	# shellcheck disable=SC2059
	printf "$f" "$head" "REGISTER/s" ratio "calls/s" ratio
	while [ $# -ge 2 ]; do
		# shellcheck disable=SC2059
		printf "$f" "$2" "${R[$1,reg]}" \
			"$(ratio "${R[$1,reg]}" "${R[$base,reg]:-0}")" "${R[$1,call]}" \
			"$(ratio "${R[$1,call]}" "${R[$base,call]:-0}")"
		shift 2
	done
}
