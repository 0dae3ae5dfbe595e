#!/bin/bash
# SPDX-License-Identifier: BSD-3-Clause
# Copyright (c) 2026 the SoFW authors
# bench/sockets.sh (make bench): what a relay's sockets cost per packet,
# one socket shared by all calls against one socket a call.
#
# hrac's LAN side and hras-fcgi's relay each have a socket a call, woken
# by epoll and read with recvmmsg, so at N calls in 1 ms ticks each read
# finds one packet: the "recvmmsg on the relay and media sockets" of
# issue 13 batches nothing there.  One socket for all calls would read a
# tick's packets with one recvmmsg and send them with one sendmmsg, but
# it would have to tell the calls apart by their source addresses.  This
# bench measures what that would save, on the plainest relay (rtp-load
# relay, on this benchmark's loopback, N streams each way at 50 packets/s
# with the far end echoing), in three forms:
#   one       one socket, one recvfrom and one sendto a packet (the
#             baseline: bench/voice.sh's hop)
#   batched   one socket, recvmmsg and sendmmsg of up to 32
#   per-call  a pair of sockets a call, epoll, recvmmsg and sendmmsg of
#             up to 32 a socket (both ends' UDP sides of SoFW)
# and prints each one's CPU per call-second and its ratio to the
# baseline, the medians of SOCKETS_BENCH_ROUNDS (5) rounds in which the
# host took at most SOCKETS_BENCH_STEAL_MAX (3) % of the box (of all
# rounds if none; bench/figures.sh), the forms' order rotating by round.
# SOCKETS_BENCH_CALLS (200) streams, SOCKETS_BENCH_SECS (6) s each.

. "$(dirname "$0")/../tests/lib.sh"
. "$SOFW_TOP/bench/figures.sh"

N=${SOCKETS_BENCH_CALLS:-200}
SECS=${SOCKETS_BENCH_SECS:-6}
ROUNDS=${SOCKETS_BENCH_ROUNDS:-5}
STEAL_MAX=${SOCKETS_BENCH_STEAL_MAX:-3}
LOAD=$BIN/tests/rtp-load
HZ=$(getconf CLK_TCK)
FORMS="one batched per-call"
ECHO=127.0.0.1:19000 RELAY_PORT=20000

[ -x "$LOAD" ] || fail "no $LOAD (make tests)"
for _ in $(seq "$N"); do echo "127.0.0.1:$RELAY_PORT"; done >"$T/dests-one"
for i in $(seq 0 $((N - 1))); do echo "127.0.0.1:$((RELAY_PORT + i))"; done >"$T/dests-per-call"

# measure FORM ROUND: one run of FORM, "CPU_MS_PER_CALL_SECOND STEAL_PCT"
# in $T/FORM.ROUND
measure() {
	local form=$1 args=(--batch 32) dests=one echo relay t0 b0 out
	case $form in
	one) args=(--batch 1) ;;
	per-call) args=(--batch 32 --calls "$N") dests=per-call ;;
	esac
	"$LOAD" echo --bind $ECHO --seconds $((SECS + 5)) >/dev/null &
	echo=$!
	"$LOAD" relay --bind 127.0.0.1:$RELAY_PORT --to $ECHO \
		--seconds $((SECS + 5)) "${args[@]}" >/dev/null &
	relay=$!
	sleep 0.3
	if ! kill -0 $relay 2>/dev/null || ! kill -0 $echo 2>/dev/null; then
		fail "rtp-load relay ($form) or its echo did not start"
	fi
	t0=$(cpu_ticks $relay) b0=$(box_ticks)
	out=$(timeout $((SECS + 10)) "$LOAD" send --bind 127.0.0.1:19500 \
		--dests "$T/dests-$dests" --seconds "$SECS")
	echo "$(per_cs $(($(cpu_ticks $relay) - t0)) "$N" 3) $(steal_pct "$b0" "$(box_ticks)")" \
		>"$T/$form.$2"
	kill $relay $echo 2>/dev/null
	wait $relay $echo 2>/dev/null
	[ "$(field lost "$out")" = 0 ] || fail "$form lost packets: $out"
	echo "   round $2, $form: $(cut -d' ' -f1 "$T/$form.$2") ms per call-second, steal $(cut -d' ' -f2 "$T/$form.$2") %" >&2
}
# figure FORM: the median of its clean rounds' CPU (of all rounds' if
# none was clean), and how many rounds were clean
figure() {
	local clean
	clean=$(awk -v max="$STEAL_MAX" '$2 <= max { print $1 }' "$T/$1".*)
	echo "$(median "${clean:-$(cut -d' ' -f1 "$T/$1".*)}") $(wc -w <<<"$clean")"
}

echo "relay sockets: $N streams each way, 50 packets/s, $SECS s a run, $ROUNDS rounds" >&2
for r in $(seq "$ROUNDS"); do
	read -ra forms <<<"$FORMS"
	for _ in $(seq $(((r - 1) % 3))); do forms=("${forms[1]}" "${forms[2]}" "${forms[0]}"); done
	set -- "${forms[@]}"
	for form in "$@"; do measure "$form" "$r"; done
done

echo "relay CPU per call-second at $N calls (ms; median of clean rounds (the lower of two), ratio to one socket, one system call a packet):"
read -r base _ < <(figure one)
for form in $FORMS; do
	read -r m c < <(figure "$form")
	printf '  %-10s %7s ms  %5s  (%s clean rounds of %s)\n' "$form" "$m" \
		"$(awk -v a="$m" -v b="$base" 'BEGIN { printf "%.2f", a / b }')" "$c" "$ROUNDS"
done
