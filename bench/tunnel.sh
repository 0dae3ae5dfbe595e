#!/bin/bash
# SPDX-License-Identifier: BSD-3-Clause
# Copyright (c) 2026 the SoFW authors
# bench/tunnel.sh (make bench): the tunnel's one-way frame latency and CPU cost.
#
# Frames of 172 bytes (RTP-sized), S streams x 50 frames/s each way, go
# up through the tunnel to hras-fcgi, which answers each (PONG) down the
# tunnel with its own timestamp; one clock (same host) gives both one-way
# times.  The baseline is the same schedule over raw UDP on loopback,
# measured in the same run: figures are printed as the latency the tunnel
# adds over it, and as ratios, because these machines are noisy.
#
# Paths: direct to nginx, through Squid as a plain proxy, through Squid
# CONNECT + TLS.  Streams: 1 and 200.  SECONDS (default 10) per run.
. "$(dirname "$0")/../tests/lib.sh"

SECS=${SECONDS_PER_RUN:-10}
FPS=50
SIZE=172

start_hras --echo
start_nginx
start_squid none

HZ=$(getconf CLK_TCK)

field() { sed -n "s/.* $1=\([^ ]*\).*/\1/p" "$2"; }
ms() { awk -v u="$1" 'BEGIN { printf "%.3f", u / 1000 }'; }

declare -A R

run_udp() {
	local s=$1
	"$PROBE" --bench --udp --streams "$s" --fps $FPS --size $SIZE \
		--seconds "$SECS" >"$T/udp-$s.out" 2>&1 || fail "UDP baseline"
	R[udp,$s,med]=$(field oneway_median_us "$T/udp-$s.out")
	R[udp,$s,p99]=$(field oneway_p99_us "$T/udp-$s.out")
	R[udp,$s,lost]=$(field lost "$T/udp-$s.out")
	R[udp,$s,sent]=$(field sent "$T/udp-$s.out")
}

run_tunnel() {
	local name=$1 s=$2
	shift 2
	local h0 n0 q0 h1 n1 q1
	h0=$(cpu_ticks "$HRAS_PID"); n0=$(cpu_ticks "$NGINX_PID")
	q0=$(cpu_ticks "$SQUID_PID")
	probe site-a --bench --streams "$s" --fps $FPS --size $SIZE \
		--seconds "$SECS" "$@" >"$T/$name-$s.out" 2>&1 ||
		{ cat "$T/$name-$s.out"; fail "$name with $s streams"; }
	h1=$(cpu_ticks "$HRAS_PID"); n1=$(cpu_ticks "$NGINX_PID")
	q1=$(cpu_ticks "$SQUID_PID")
	local f=$T/$name-$s.out
	for k in sent recv lost up_median_us up_p99_us down_median_us \
		down_p99_us cpu_ms; do
		R[$name,$s,$k]=$(field $k "$f")
	done
	R[$name,$s,hras_ms]=$(((h1 - h0) * 1000 / HZ))
	R[$name,$s,nginx_ms]=$(((n1 - n0) * 1000 / HZ))
	R[$name,$s,squid_ms]=$(((q1 - q0) * 1000 / HZ))
}

for s in 1 200; do
	log "raw UDP, $s streams"
	run_udp $s
	log "direct, $s streams"
	run_tunnel direct $s --server http://127.0.0.1/sofw/
	log "Squid plain, $s streams"
	run_tunnel plain $s --server http://127.0.0.1/sofw/ --proxy $PROXY
	log "Squid CONNECT + TLS, $s streams"
	run_tunnel connect $s --server https://127.0.0.1/sofw/ \
		--cacert "$T/hras.crt" --proxy $PROXY
done

echo
echo "SoFW tunnel latency, $(nproc) CPUs, loopback; $SIZE-byte frames, $FPS/s per stream each way, $SECS s per run"
echo "(one-way times in ms, median / p99; 'added' = tunnel minus raw UDP of the same run)"
echo
printf '%-22s %7s %8s %5s  %-15s %-15s %-15s %-15s\n' path streams frames lost \
	"up" "down" "added up" "added down"
for s in 1 200; do
	um=${R[udp,$s,med]} up=${R[udp,$s,p99]}
	printf '%-22s %7s %8s %5s  %-15s %-15s\n' "raw UDP (baseline)" $s \
		"${R[udp,$s,sent]}" "${R[udp,$s,lost]}" \
		"$(ms $um) / $(ms $up)" "$(ms $um) / $(ms $up)"
	for p in direct plain connect; do
		case $p in direct) label="direct";; plain) label="Squid plain";;
			connect) label="Squid CONNECT+TLS";; esac
		printf '%-22s %7s %8s %5s  %-15s %-15s %-15s %-15s\n' "$label" $s \
			"${R[$p,$s,sent]}" "${R[$p,$s,lost]}" \
			"$(ms ${R[$p,$s,up_median_us]}) / $(ms ${R[$p,$s,up_p99_us]})" \
			"$(ms ${R[$p,$s,down_median_us]}) / $(ms ${R[$p,$s,down_p99_us]})" \
			"$(ms $((R[$p,$s,up_median_us] - um))) / $(ms $((R[$p,$s,up_p99_us] - up)))" \
			"$(ms $((R[$p,$s,down_median_us] - um))) / $(ms $((R[$p,$s,down_p99_us] - up)))"
	done
done

echo
echo "CPU per 1000 frames (ms; frames counted both ways):"
printf '%-22s %7s %10s %10s %10s %10s\n' path streams "hrac(probe)" hras-fcgi nginx squid
for s in 1 200; do
	for p in direct plain connect; do
		n=$((R[$p,$s,sent] + R[$p,$s,recv]))
		[ "$n" -gt 0 ] || n=1
		printf '%-22s %7s %10s %10s %10s %10s\n' $p $s \
			"$(awk -v c="${R[$p,$s,cpu_ms]}" -v n=$n 'BEGIN{printf "%.2f", c*1000/n}')" \
			"$(awk -v c="${R[$p,$s,hras_ms]}" -v n=$n 'BEGIN{printf "%.2f", c*1000/n}')" \
			"$(awk -v c="${R[$p,$s,nginx_ms]}" -v n=$n 'BEGIN{printf "%.2f", c*1000/n}')" \
			"$(awk -v c="${R[$p,$s,squid_ms]}" -v n=$n 'BEGIN{printf "%.2f", c*1000/n}')"
	done
done

# the issue's target: CONNECT + TLS, 200 streams
au=$((R[connect,200,up_median_us] - R[udp,200,med]))
ad=$((R[connect,200,down_median_us] - R[udp,200,med]))
pu=$((R[connect,200,up_p99_us] - R[udp,200,p99]))
pd=$((R[connect,200,down_p99_us] - R[udp,200,p99]))
echo
verdict=met
[ $au -le 500 ] && [ $ad -le 500 ] && [ $pu -le 1500 ] && [ $pd -le 1500 ] &&
	[ "${R[connect,200,lost]}" = 0 ] || verdict=MISSED
echo "target (CONNECT+TLS, 200 streams: added <= 0.5 ms median, <= 1.5 ms p99 each way, 0 lost): $verdict"
echo "  added median up $(ms $au) down $(ms $ad); added p99 up $(ms $pu) down $(ms $pd); lost ${R[connect,200,lost]}"
echo "  ratio to raw UDP (median): up $(awk -v a="${R[connect,200,up_median_us]}" -v b="${R[udp,200,med]}" 'BEGIN{printf "%.1f", a/(b?b:1)}')x, down $(awk -v a="${R[connect,200,down_median_us]}" -v b="${R[udp,200,med]}" 'BEGIN{printf "%.1f", a/(b?b:1)}')x"
