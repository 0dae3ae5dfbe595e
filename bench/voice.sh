#!/bin/bash
# SPDX-License-Identifier: BSD-3-Clause
# Copyright (c) 2026 the SoFW authors
# bench/voice.sh (make bench): N concurrent calls through Squid CONNECT +
# TLS in the namespaces of the voice tests, N = 50, 100, 200, 400.
#
# Each call is set up with sipp (caller inside, callee outside) and
# carries G.711 (172-byte packets, 50/s each way): the inside phone sends
# every stream, the outside phone echoes each packet, so each packet
# crosses hrac, Squid, nginx, hras-fcgi and the relay twice.  Reported:
# loss, round trip (median, p99) and what the tunnel adds over the same
# streams on a routed path without it (a LAN routed to the outside
# through a forwarding host, measured in the same run), and the CPU time
# of hrac, hras-fcgi, nginx and Squid per call-second, also as a multiple
# of what the echo (the plainest relay: one receive, one send per packet)
# took in the same run, a figure that the machine's speed of the day
# does not move.
. "$(dirname "$0")/../tests/lib.sh"
. "$SOFW_TOP/tests/sip.sh"
. "$SOFW_TOP/tests/fw.sh"

SECS=${VOICE_BENCH_SECS:-10}
CALLS=${VOICE_BENCH_CALLS:-50 100 200 400}
LOAD=$BIN/tests/rtp-load
HZ=$(getconf CLK_TCK)

make_user caller caller-pw
make_user callee callee-pw
fw_world --rate-limit 0 --rtp-ports 30000-31999 --media-timeout 120 >/dev/null
fw_hrac a connect --rtp-ports 40000-41999 >/dev/null

# the routed path of the baseline: lan-r -> router (forwarding) -> wan
ip netns add "$(fw_ns lan-r)" && NETNS+=("$(fw_ns lan-r)")
ip netns add "$(fw_ns router)" && NETNS+=("$(fw_ns router)")
ip -n "$(fw_ns lan-r)" link set lo up
ip -n "$(fw_ns router)" link set lo up
ip link add fwr type veth peer name upr netns "$(fw_ns router)"
ip addr add 198.51.100.9/30 dev fwr && ip link set fwr up
ip -n "$(fw_ns router)" addr add 198.51.100.10/30 dev upr
ip -n "$(fw_ns router)" link set upr up
ip -n "$(fw_ns router)" link add inr type veth peer name eth0 netns "$(fw_ns lan-r)"
ip -n "$(fw_ns router)" addr add 10.77.11.1/24 dev inr
ip -n "$(fw_ns router)" link set inr up
ip -n "$(fw_ns lan-r)" addr add 10.77.11.11/24 dev eth0
ip -n "$(fw_ns lan-r)" link set eth0 up
ip -n "$(fw_ns lan-r)" route add default via 10.77.11.1
ip -n "$(fw_ns router)" route add default via 198.51.100.9
ip netns exec "$(fw_ns router)" sysctl -qw net.ipv4.ip_forward=1
ip route add 10.77.11.0/24 via 198.51.100.10

SQUID_A=$(cat "$T/squid-a/squid.pid" 2>/dev/null)
field() { sed -n "s/.*\b$1=\([0-9]*\).*/\1/p" <<<"$2"; }

# the callee, outside: answers every call, media at 192.0.2.10:16000
(cd "$T" && sipp 192.0.2.1:5060 -sf "$SIPP_SCEN/bench_register.xml" -s callee \
	-au callee -ap callee-pw -m 1 -i 192.0.2.10 -p 5060 -nostdin >/dev/null 2>&1) ||
	fail "the callee could not register"
(cd "$T" && exec sipp -sf "$SIPP_SCEN/bench_uas.xml" -i 192.0.2.10 -p 5060 \
	-set mip 192.0.2.10 -set mport 16000 -nostdin -timeout 1200s \
	-trace_msg >/dev/null 2>&1) &
track $!

declare -A R
for n in $CALLS; do
	# baseline: the same streams, routed, no tunnel
	"$LOAD" echo --bind 192.0.2.10:16000 --seconds $((SECS + 4)) >/dev/null &
	echo_pid=$!
	for i in $(seq "$n"); do echo 192.0.2.10:16000; done >"$T/dests-routed"
	base=$(ip netns exec "$(fw_ns lan-r)" "$LOAD" send --bind 10.77.11.11:7000 \
		--dests "$T/dests-routed" --seconds "$SECS")
	wait $echo_pid

	# N calls through SoFW, held while the media runs
	rm -rf "$T/sipp-calls"
	mkdir -p "$T/sipp-calls"
	hold=$(((n / 100 + SECS + 12) * 1000))
	(cd "$T/sipp-calls" && exec ip netns exec "$(fw_ns lan-a)" sipp $FW_PLAN.10:5060 \
		-sf "$SIPP_SCEN/bench_hold.xml" -s caller -au caller -ap caller-pw \
		-set mip $FW_PLAN.11 -set mport 7000 -d $hold -m "$n" -r 100 -l "$n" \
		-i $FW_PLAN.11 -p 5061 -nostdin -trace_msg -trace_screen \
		-timeout $((hold / 1000 + 60))s >/dev/null 2>&1) &
	calls_pid=$!
	for _ in $(seq 600); do
		got=$(grep -c "^SIP/2.0 200" "$T"/sipp-calls/*_messages.log 2>/dev/null)
		[ "${got:-0}" -ge "$n" ] && break
		sleep 0.05
	done
	# the hrac port of each call, from the 200 OKs alice's side got
	tr -d '\r' <"$T"/sipp-calls/*_messages.log | awk '
		/^SIP\/2.0 200/ { in200 = 1 }
		/^-----/ { in200 = 0 }
		in200 && /^c=IN IP4 / { ip = $3 }
		in200 && /^m=audio / { print ip ":" $2; in200 = 0 }' | sort -u >"$T/dests-tunnel"
	[ "$(wc -l <"$T/dests-tunnel")" = "$n" ] ||
		fail "$n calls: only $(wc -l <"$T/dests-tunnel") were set up"

	"$LOAD" echo --bind 192.0.2.10:16000 --seconds $((SECS + 4)) >/dev/null &
	echo_pid=$!
	h0=$(cpu_ticks "$HRAS_PID") n0=$(cpu_ticks "$NGINX_PID")
	q0=$(cpu_ticks "$SQUID_A") c0=$(cpu_ticks "$FW_HRAC_a")
	e0=$(cpu_ticks "$echo_pid")
	out=$(ip netns exec "$(fw_ns lan-a)" "$LOAD" send --bind $FW_PLAN.11:7000 \
		--dests "$T/dests-tunnel" --seconds "$SECS")
	h1=$(cpu_ticks "$HRAS_PID") n1=$(cpu_ticks "$NGINX_PID")
	q1=$(cpu_ticks "$SQUID_A") c1=$(cpu_ticks "$FW_HRAC_a")
	e1=$(cpu_ticks "$echo_pid")
	wait $echo_pid
	wait $calls_pid || echo "   (note: the sipp run of $n calls reported failures)" >&2

	R[$n,sent]=$(field sent "$out") R[$n,lost]=$(field lost "$out")
	R[$n,med]=$(field rtt_median_us "$out") R[$n,p99]=$(field rtt_p99_us "$out")
	R[$n,bmed]=$(field rtt_median_us "$base") R[$n,bp99]=$(field rtt_p99_us "$base")
	R[$n,blost]=$(field lost "$base")
	# CPU ms per call-second (the load runs SECS s)
	# e: the far phone's echo, one receive and one send per packet: what
	# the plainest relay costs on this machine, in this run
	for k in c:$((c1 - c0)) h:$((h1 - h0)) n:$((n1 - n0)) q:$((q1 - q0)) \
		e:$((e1 - e0)); do
		R[$n,${k%%:*}]=$(awk -v t="${k#*:}" -v hz="$HZ" -v n="$n" -v s="$SECS" \
			'BEGIN { printf "%.2f", t * 1000 / hz / (n * s) }')
	done
	echo "   $n calls: tunnel $out | routed $base" >&2
done

us() { awk -v u="$1" 'BEGIN { printf "%.3f", u / 1000 }'; }
add() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%+.3f", (a - b) / 1000 }'; }
pct() { awk -v l="$1" -v s="$2" 'BEGIN { if (s > 0) printf "%.4f", 100 * l / s; else print "n/a" }'; }
echo
echo "Voice: N calls through Squid CONNECT + TLS, G.711 50 packets/s each way, $SECS s; round trip (far phone echoes) in ms"
printf '  %5s %9s %8s | %9s %9s | %9s %9s | %10s %10s | %s\n' calls packets "loss %" \
	"rtt med" "rtt p99" "routed med" "routed p99" "added med" "added p99" \
	"CPU ms per call-second: hrac hras nginx squid = total (echo; total/echo)"
best=0
for n in $CALLS; do
	total=$(awk -v a="${R[$n,c]}" -v b="${R[$n,h]}" -v c="${R[$n,n]}" -v d="${R[$n,q]}" \
		'BEGIN { printf "%.2f", a + b + c + d }')
	loss=$(pct "${R[$n,lost]}" "${R[$n,sent]}")
	per_echo=$(awk -v a="$total" -v e="${R[$n,e]}" 'BEGIN { if (e > 0) printf "%.1f", a / e; else print "n/a" }')
	printf '  %5s %9s %8s | %9s %9s | %9s %9s | %10s %10s | %s %s %s %s = %s (%s; %sx)\n' "$n" \
		"${R[$n,sent]}" "$loss" "$(us "${R[$n,med]}")" "$(us "${R[$n,p99]}")" \
		"$(us "${R[$n,bmed]}")" "$(us "${R[$n,bp99]}")" \
		"$(add "${R[$n,med]}" "${R[$n,bmed]}")" "$(add "${R[$n,p99]}" "${R[$n,bp99]}")" \
		"${R[$n,c]}" "${R[$n,h]}" "${R[$n,n]}" "${R[$n,q]}" "$total" \
		"${R[$n,e]}" "$per_echo"
	awk -v l="$loss" 'BEGIN { exit !(l != "n/a" && l <= 0.1) }' && best=$n
done
echo "largest N with loss <= 0.1 %: $best (targets at 200 calls: loss <= 0.01 %, added round trip <= 0.5 ms median and <= 1.5 ms p99, total CPU <= 4 ms per call-second)"
exit 0
