#!/bin/bash
# SPDX-License-Identifier: BSD-3-Clause
# Copyright (c) 2026 the SoFW authors
# bench/sessions.sh (make bench): what idle tunnel sessions cost one node.
#
# K HRACs hold their sessions open at once to one hras-fcgi (--threads
# 4096) behind nginx over HTTPS: each is a sofw-probe, which opens the
# tunnel as hrac does (one streaming down GET and one streaming up POST),
# sending one 172-byte ping a second that hras-fcgi answers (an idle
# hrac sends a keepalive every 20 s: this is more).  The HRACs come up
# 10 a second.  For K in SESSIONS_BENCH_STEPS (100 200 400), the sessions
# added on top of the last step's: how many stream up (the others fell
# back to batch POSTs), hras-fcgi's and nginx's
# resident memory, hras-fcgi's threads, nginx's connections, and both
# programs' CPU time over SESSIONS_BENCH_SECS (10) s; printed per session,
# less what the node had with no session (measured first, in the same
# run: the baseline).  The sizing in sofw(7) extrapolates from these.
. "$(dirname "$0")/../tests/lib.sh"

STEPS=${SESSIONS_BENCH_STEPS:-100 200 400}
SECS=${SESSIONS_BENCH_SECS:-10}
MAX=$(printf '%s\n' $STEPS | sort -n | tail -1)
HZ=$(getconf CLK_TCK)
URL=https://127.0.0.1/sofw/

for i in $(seq "$MAX"); do make_identity "s$i"; done
start_hras --echo --threads 4096 --max-sessions $((MAX + 16))
start_nginx
NGINX_WORKER=$(pgrep -P "$NGINX_PID" | head -1)
[ -n "$NGINX_WORKER" ] || fail "no nginx worker"

rss_kb() { awk '/^VmRSS:/ { print $2 }' "/proc/$1/status"; }
threads() { awk '/^Threads:/ { print $2 }' "/proc/$1/status"; }
# sessions up now, by the metrics (refreshed once a second)
sessions_up() {
	curl -s --max-time 5 "http://127.0.0.1/sofw/metrics" |
		grep -c '^sofw_hras_tunnel_up{.*} 1$'
}
# nginx's worker's descriptors: its connections to the clients and to
# hras-fcgi, and its own files
nginx_fds() { ls "/proc/$NGINX_WORKER/fd" | wc -l; }

declare -A R
# measure K: the node's figures now, K sessions up, into R[K,*]
measure() {
	local k=$1 h0 n0
	h0=$(cpu_ticks "$HRAS_PID") n0=$(cpu_ticks "$NGINX_WORKER")
	sleep "$SECS"
	R[$k,hcpu]=$(($(cpu_ticks "$HRAS_PID") - h0))
	R[$k,ncpu]=$(($(cpu_ticks "$NGINX_WORKER") - n0))
	R[$k,hrss]=$(rss_kb "$HRAS_PID") R[$k,nrss]=$(rss_kb "$NGINX_WORKER")
	R[$k,thr]=$(threads "$HRAS_PID") R[$k,fds]=$(nginx_fds)
	echo "   $k sessions: hras-fcgi ${R[$k,hrss]} kB, ${R[$k,thr]} threads," \
		"${R[$k,hcpu]} ticks; nginx ${R[$k,nrss]} kB, ${R[$k,fds]} fds," \
		"${R[$k,ncpu]} ticks in $SECS s" >&2
}

measure 0
up=0
for k in $STEPS; do
	# the sessions added, 10 a second: sites coming up one by one (each
	# opens with four TLS handshakes; a herd of them at once on this
	# box's two cores is another measure, see sofw(7) SIZING)
	for i in $(seq $((up + 1)) "$k"); do
		# the program itself in the background (not lib.sh's probe
		# function, whose subshell would be what the cleanup stops)
		"$PROBE" --id "s$i" --secret-file "$T/s$i.secret" \
			--server "$URL" --cacert "$T/hras.crt" --bench \
			--streams 1 --fps 1 --size 172 --seconds 3600 \
			>"$T/probe-$i.out" 2>&1 &
		track $! "probe s$i" 0 143 # ended by the cleanup
		[ $((i % 10)) = 0 ] && sleep 1
	done
	for _ in $(seq 120); do
		got=$(sessions_up)
		[ "${got:-0}" -ge "$k" ] && break
		sleep 0.5
	done
	[ "${got:-0}" -ge "$k" ] || fail "only $got of $k sessions came up (hras.log: $(grep -c warn "$T/hras.log") warnings)"
	up=$k
	sleep 3 # the opens' own work done, the streams' probes answered
	R[$k,streaming]=$(cat "$T"/probe-*.out | grep -c '^up: streaming')
	echo "   $k sessions up, ${R[$k,streaming]} streaming up (the others: batch POSTs)" >&2
	measure "$k"
done

# per K, less the baseline: per session
per() { awk -v a="$1" -v b="$2" -v k="$3" 'BEGIN { printf "%.1f", (a - b) / k }'; }
# cpu TICKS K: ms of CPU per session-second
cpu() { awk -v t="$1" -v b="$2" -v k="$3" -v hz="$HZ" -v s="$SECS" \
	'BEGIN { printf "%.3f", (t - b) * 1000 / hz / s / k }'; }
echo
echo "Idle tunnel sessions on one node (one ping a second each way; nginx over HTTPS),"
echo "per session, less the node with none measured first in this run:"
printf '  %8s | %12s %9s %12s | %12s %9s %12s\n' sessions "hras kB" threads "hras CPU" \
	"nginx kB" "nginx fds" "nginx CPU"
printf '  %8s | %12s %9s %12s | %12s %9s %12s\n' 0 "${R[0,hrss]} all" "${R[0,thr]} all" \
	"$(cpu "${R[0,hcpu]}" 0 1) ms/s" "${R[0,nrss]} all" "${R[0,fds]} all" "$(cpu "${R[0,ncpu]}" 0 1) ms/s"
for k in $STEPS; do
	printf '  %8s | %12s %9s %12s | %12s %9s %12s\n' "$k" \
		"$(per "${R[$k,hrss]}" "${R[0,hrss]}" "$k")" \
		"$(per "${R[$k,thr]}" "${R[0,thr]}" "$k")" \
		"$(cpu "${R[$k,hcpu]}" "${R[0,hcpu]}" "$k")" \
		"$(per "${R[$k,nrss]}" "${R[0,nrss]}" "$k")" \
		"$(per "${R[$k,fds]}" "${R[0,fds]}" "$k")" \
		"$(cpu "${R[$k,ncpu]}" "${R[0,ncpu]}" "$k")"
done
tps=$(per "${R[$MAX,thr]}" "${R[0,thr]}" "$MAX")
for k in $STEPS; do
	[ "${R[$k,streaming]}" -ge "$k" ] ||
		echo "  ($k sessions: only ${R[$k,streaming]} streamed up; the others sent batch POSTs)"
done
echo "  (CPU in ms per session-second.  hras-fcgi holds $tps worker threads a session: at"
echo "   --threads 4096, its most, one node holds about $(awk -v t="$tps" \
	'BEGIN { if (t > 0) printf "%d", 4096 / t; else print "?" }') sessions)"
