#!/bin/bash
# SPDX-License-Identifier: BSD-3-Clause
# Copyright (c) 2026 the SoFW authors
# bench/voice.sh (make bench): N concurrent calls over three paths in
# the same run, scored against issue 13's targets.
#
# Each call carries G.711 (172-byte packets, 50/s each way): the inside
# phone sends every stream (tests/tools/rtp-load), the outside phone
# (192.0.2.10) echoes each packet; reported per path: round trip (median,
# p99), loss, and the CPU time of the path's processes per call-second.
#
#   routed  a LAN routed to the outside through a forwarding host: the
#           kernel alone (no process of its own; the echo's CPU is shown
#           beside every path as the plainest relay's cost on this
#           machine, in this run)
#   hop     the routed path with one user-space process in it (rtp-load
#           relay: one recvfrom and one sendto a packet, each way): the
#           floor of what one process in a path adds, in wake-ups and
#           CPU, on this machine in this run (OpenVPN's path has four,
#           SoFW's four)
#   OpenVPN site a's LAN through its Squid (CONNECT, TCP) to nginx's
#           stream module and the OpenVPN server (bench/ovpn.sh; with
#           TCP_NODELAY, as one would set it for voice: Nagle's
#           algorithm alone adds about 1-2 ms to its median); the
#           streams are plain IP inside it.  CPU: both openvpn processes,
#           Squid and that nginx
#   SoFW    N calls set up with sipp (caller inside, callee outside),
#           hrac through the same Squid with CONNECT + TLS; each packet
#           crosses hrac, Squid, nginx, hras-fcgi and the relay twice.
#           CPU: hrac, Squid, nginx and hras-fcgi
#
# N = 1 (one call at idle), then VOICE_BENCH_CALLS (default 10 100 200),
# VOICE_BENCH_SECS (10) seconds of media each.  Each N is measured in
# VOICE_BENCH_ROUNDS (3) rounds, the four paths one after another in
# each, and every figure is the median of its rounds (loss: all their
# packets): on a noisy box one round's ratio moves by a third, and a
# burst of load elsewhere then hits one path of one round, not the
# verdict.  Then, for OpenVPN and SoFW each, a step search (one round a
# step) for the largest N with at most 0.1 % loss: N from
# VOICE_BENCH_SEARCH (100 200 400 800 1600, ascending; empty: no search)
# until the first that loses more, then VOICE_BENCH_REFINE (2) steps
# that halve the gap between the last N that kept and the first that
# lost (N a multiple of 50); no step begins after
# VOICE_BENCH_BUDGET (900) seconds of the search.  Before the search, one idle call
# captured at each hop (run_stages; VOICE_BENCH_STAGES=0: not).  Every step is bounded
# in time (rtp-load runs its seconds, under timeout; sipp under
# -timeout).  VOICE_BENCH_TICK_US (1000): the load's streams due within
# one tick leave together (rtp-load --tick-us; 100 spreads them as
# independent phones' would).  VOICE_BENCH_FCGI (unset: the unix socket)
# puts hras-fcgi's FastCGI socket elsewhere, e.g. 127.0.0.1:9000 (with
# VOICE_BENCH_HRAS_ARGS="--socket-peer-user nobody", the tests' nginx
# workers' user).  VOICE_BENCH_HRAC_ARGS and VOICE_BENCH_HRAS_ARGS add options
# to hrac's and hras-fcgi's command lines (e.g. --coalesce-us 0, to
# compare; or hrac's --http-version 2: nginx offers HTTP/2 on 443).
# VOICE_BENCH_RTT_DIR (unset: none) keeps every echo's send time and round
# trip of each measurement, in DIR/PATH-N-TIME.rtt (rtp-load --rtt-file),
# to see when the slow ones came.  Each measurement's line in the log names
# where packets were dropped meanwhile, if anywhere ("dropped: ..."): a
# namespace's UDP sockets ("lan-a/udp", full buffers) or interfaces
# ("-/tun0", a full queue; "-" is the outside), and for SoFW the counters
# of hrac's and hras-fcgi's metrics ("hrac/media_stale": the up queue's
# age bound), so that a loss says which queue overflowed.
#
# Steal: on a virtual machine the host takes CPU time from the guest
# when it is busy elsewhere (the "steal" of /proc/stat), in spells of
# seconds; a path measured in such a spell shows the host's load, not
# its own (seen here: 20-30 % of the box stolen for the ten seconds of
# one path and none for the next, its RTT p99 three times the other's).
# Every measurement notes the share of the box stolen while it ran; a
# round in which one path's share exceeds VOICE_BENCH_STEAL_MAX (3 %)
# is disturbed: it does not count towards the ROUNDS, and another is
# measured, at most VOICE_BENCH_REDO (2) more for each N; the figures
# are the medians of the clean rounds (of all, if none was clean).  A
# search step is measured again likewise (the last kept).  The rounds
# also alternate the order of OpenVPN and SoFW, so that a drift in the
# box's load over a round does not always fall on the same path.
#
# The targets (issue 13, part 1), as ratios to the paths measured in the
# same run: at 10 calls, SoFW's CPU per call-second and RTT median at most
# OpenVPN's; at 200 calls, its CPU per call-second and RTT p99 at most half
# OpenVPN's, and no loss; its largest N with at most 0.1 % loss at least
# twice OpenVPN's; one call at idle adds at most 0.3 ms (RTT median) to
# the routed path.  One PASS or MISS line each.
. "$(dirname "$0")/../tests/lib.sh"
. "$SOFW_TOP/tests/sip.sh"
. "$SOFW_TOP/tests/fw.sh"
. "$SOFW_TOP/bench/figures.sh"

SECS=${VOICE_BENCH_SECS:-10}
CALLS=${VOICE_BENCH_CALLS:-10 100 200}
SEARCH=${VOICE_BENCH_SEARCH-100 200 400 800 1600}
BUDGET=${VOICE_BENCH_BUDGET:-900}
REFINE=${VOICE_BENCH_REFINE:-2}
STAGES=${VOICE_BENCH_STAGES:-1}
ROUNDS=${VOICE_BENCH_ROUNDS:-3}
TICK_US=${VOICE_BENCH_TICK_US:-1000}
RTT_DIR=${VOICE_BENCH_RTT_DIR:-}
STEAL_MAX=${VOICE_BENCH_STEAL_MAX:-3}
REDO=${VOICE_BENCH_REDO:-2}
REDONE=0    # search steps measured again
DISTURBED=0 # rounds left out
LOSS_OK=0.1 # %
LOAD=$BIN/tests/rtp-load
HRAS_SOCKET=${VOICE_BENCH_FCGI:-$HRAS_SOCKET}
HZ=$(getconf CLK_TCK)
T0=$SECONDS

make_user caller caller-pw
make_user callee callee-pw
# relay ports for 4000 calls: one site may hold half of them (its share,
# hras-fcgi(8)), and the search goes up to 1600
# shellcheck disable=SC2086
fw_world --rate-limit 0 --rtp-ports 30000-37999 --media-timeout 120 \
	${VOICE_BENCH_HRAS_ARGS:-} >/dev/null
# shellcheck disable=SC2086
fw_hrac a connect --rtp-ports 40000-47999 --metrics-file "$T/hrac-a.prom" \
	${VOICE_BENCH_HRAC_ARGS:-} >/dev/null
SQUID_A=$FW_SQUID_a
. "$SOFW_TOP/bench/ovpn.sh"
vpn_world >/dev/null

# the routed path: lan-r -> router (forwarding) -> wan
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

# cpu PID...: their CPU time (and their children's) in clock ticks
cpu() {
	local t=0 p
	for p in "$@"; do t=$((t + $(cpu_ticks "$p"))); done
	echo $t
}

# the callee, outside: answers every call, media at 192.0.2.10:16000;
# registered for 7200 s (hras-fcgi's expires-max), as the bench may
# outlast bench_register.xml's 300 s
sed 's/^\( *Expires:\) 300$/\1 7200/' "$SIPP_SCEN/bench_register.xml" >"$T/register-long.xml"
grep -q 'Expires: 7200' "$T/register-long.xml" || fail "bench_register.xml has no 'Expires: 300' to lengthen"
(cd "$T" && sipp 192.0.2.1:5060 -sf "$T/register-long.xml" -s callee \
	-au callee -ap callee-pw -m 1 -i 192.0.2.10 -p 5060 -nostdin >/dev/null 2>&1) ||
	fail "the callee could not register"
(cd "$T" && exec sipp -sf "$SIPP_SCEN/bench_uas.xml" -i 192.0.2.10 -p 5060 \
	-set mip 192.0.2.10 -set mport 16000 -nostdin -timeout 3600s \
	-trace_msg >/dev/null 2>&1) &
track $!

declare -A R
# R[PATH,N,x]: x = sent lost med p99 (us) cpu (tunnel, ms per
# call-second) parts (its processes') e (the echo's) steal (% of the
# box, while it ran) note

# kernel_drops: "WHERE COUNT" for each namespace of the run (- the
# outside): "NETNS/udp", the datagrams its kernel dropped for a full
# socket buffer, sending or receiving; "NETNS/IFACE", the packets an
# interface dropped (a tun device's full queue, say).  /proc/net is the
# reader's namespace's.
kernel_drops() {
	local ns run
	for ns in - "${NETNS[@]}"; do
		run=()
		[ "$ns" = - ] || run=(ip netns exec "$ns")
		"${run[@]}" sh -c 'cat /proc/net/snmp && echo -- && cat /proc/net/dev' |
			awk -v ns="${ns#"$NS"-}" '
			$1 == "--" { dev = 1; next }
			!dev && $1 == "Udp:" && !h { for (i = 2; i <= NF; i++) c[$i] = i; h = 1; next }
			!dev && $1 == "Udp:" { print ns "/udp", $c["RcvbufErrors"] + $c["SndbufErrors"] }
			# face: bytes packets errs drop ... (received), bytes packets errs drop (sent)
			dev && $1 ~ /:$/ && NF == 17 { sub(/:$/, "", $1); print ns "/" $1, $5 + $13 }'
	done
}
# sofw_drops: "WHO/REASON COUNT" of what hrac and hras-fcgi dropped so
# far, from their metrics (hras-fcgi renders them once a second, hrac
# writes its file at the tick after a SIGUSR1: read 1.2 s after)
sofw_drops() {
	kill -USR1 "$FW_HRAC_a" 2>/dev/null
	sleep 1.2
	{
		cat "$T/hrac-a.prom" 2>/dev/null
		curl -s --max-time 5 http://192.0.2.1/sofw/metrics
	} | awk '/^sofw_(hrac|hras)_[a-z_]*dropped[a-z_]*_total/ {
		split($1, w, "_"); r = $1; sub(/.*reason="/, "", r); sub(/".*/, "", r)
		print w[2] "/" r, $NF }'
}
# drops PATH: the kernel's, and SoFW's for its path
drops() {
	kernel_drops
	[ "$1" != sofw ] || sofw_drops
}
# drops_since "BEFORE" PATH: those that dropped since, "WHERE COUNT, ..."
drops_since() {
	drops "$2" | awk 'NR == FNR { was[$1] = $2; next }
		$2 > was[$1] { printf "%s%s %d", sep, $1, $2 - was[$1]; sep = ", " }' <(echo "$1") -
}

# load PATH N NETNS BIND DESTS PID...: the streams from BIND in NETNS to
# DESTS, the echo outside, the CPU of PIDs around them; into R[PATH,N,*]
load() {
	local path=$1 n=$2 ns=$3 bind=$4 dests=$5 echo_pid out p t0 e0 k b0 u0 dropped
	shift 5
	local -a c0=() parts=()
	"$LOAD" echo --bind 192.0.2.10:16000 --seconds $((SECS + 30)) >/dev/null &
	echo_pid=$!
	wait_udp - 192.0.2.10 16000
	# before the CPU is counted: reading SoFW's counters costs a request
	u0=$(drops "$path")
	for p in "$@"; do c0+=("$(cpu "$p")"); done
	e0=$(cpu $echo_pid) t0=$SECONDS b0=$(box_ticks)
	out=$(timeout -k 5 $((SECS + 20)) ip netns exec "$ns" "$LOAD" send \
		--bind "$bind" --dests "$dests" --seconds "$SECS" --tick-us "$TICK_US" \
		${RTT_DIR:+--rtt-file "$RTT_DIR/$path-$n-$(date +%s).rtt"})
	R[$path,$n,steal]=$(steal_pct "$b0" "$(box_ticks)")
	k=0
	for p in "$@"; do
		parts+=("$(per_cs $(($(cpu "$p") - c0[k])) "$n")")
		k=$((k + 1))
	done
	R[$path,$n,e]=$(per_cs $(($(cpu $echo_pid) - e0)) "$n")
	kill $echo_pid 2>/dev/null
	wait $echo_pid 2>/dev/null
	# where the lost went: full queues and socket buffers
	dropped=$(drops_since "$u0" "$path")
	[ -n "$(field sent "$out")" ] || fail "$path, $n calls: rtp-load said '$out'"
	R[$path,$n,sent]=$(field sent "$out") R[$path,$n,lost]=$(field lost "$out")
	R[$path,$n,med]=$(field rtt_median_us "$out") R[$path,$n,p99]=$(field rtt_p99_us "$out")
	R[$path,$n,parts]=${parts[*]:-}
	R[$path,$n,cpu]=$(awk '{ s = 0; for (i = 1; i <= NF; i++) s += $i; printf "%.2f", s }' \
		<<<"${parts[*]:-0}")
	echo "   $path, $n calls: $out; CPU ${R[$path,$n,cpu]} ms per call-second (${parts[*]:-}), steal ${R[$path,$n,steal]} %${dropped:+; dropped: $dropped} [$((SECONDS - t0)) s]" >&2
}

run_routed() {
	for _ in $(seq "$1"); do echo 192.0.2.10:16000; done >"$T/dests-plain"
	load routed "$1" "$(fw_ns lan-r)" 10.77.11.11:7000 "$T/dests-plain"
}

run_hop() {
	local relay
	for _ in $(seq "$1"); do echo 192.0.2.10:16002; done >"$T/dests-hop"
	"$LOAD" relay --bind 192.0.2.10:16002 --to 192.0.2.10:16000 \
		--seconds $((SECS + 30)) >/dev/null &
	relay=$!
	wait_udp - 192.0.2.10 16002
	load hop "$1" "$(fw_ns lan-r)" 10.77.11.11:7000 "$T/dests-hop" "$relay"
	kill $relay 2>/dev/null
	wait $relay 2>/dev/null
}

run_ovpn() {
	for _ in $(seq "$1"); do echo 192.0.2.10:16000; done >"$T/dests-plain"
	load ovpn "$1" "$(fw_ns lan-a)" $VPN_IN:7000 "$T/dests-plain" \
		"$VPN_CLIENT_PID" "$SQUID_A" "$VPN_NGINX_PID" "$VPN_SERVER_PID"
}

# run_sofw N [PATH]: N calls through SoFW, held while the media runs
# (their figures under PATH, default sofw)
run_sofw() {
	local n=$1 path=${2:-sofw} hold calls_pid got=0 t0=$SECONDS until
	rm -rf "$T/sipp-calls"
	mkdir -p "$T/sipp-calls"
	# the first call is answered about n/100 s before the last (-r 100;
	# twice that, for a box that sets calls up slower), then the media
	# runs SECS s and 1 s for the last echoes
	hold=$(((2 * n / 100 + SECS + 6) * 1000))
	(cd "$T/sipp-calls" && exec ip netns exec "$(fw_ns lan-a)" sipp $FW_PLAN.10:5060 \
		-sf "$SIPP_SCEN/bench_hold.xml" -s caller -au caller -ap caller-pw \
		-set mip $FW_PLAN.11 -set mport 7000 -d $hold -m "$n" -r 100 -l "$n" \
		-i $FW_PLAN.11 -p 5061 -nostdin -trace_msg -trace_screen \
		-timeout $((hold / 1000 + 60))s >/dev/null 2>&1) &
	calls_pid=$!
	# answered at half sipp's rate, and 20 s more
	until=$((SECONDS + n / 50 + 20))
	while [ $SECONDS -lt $until ]; do
		got=$(grep -c "^SIP/2.0 200" "$T"/sipp-calls/*_messages.log 2>/dev/null)
		[ "${got:-0}" -ge "$n" ] && break
		sleep 0.05
	done
	# the hrac port of each call, from the 200 OKs the caller got (a
	# call HRAS did not relay names the callee's own address)
	tr -d '\r' <"$T"/sipp-calls/*_messages.log | awk '
		/^SIP\/2.0 200/ { in200 = 1 }
		/^-----/ { in200 = 0 }
		in200 && /^c=IN IP4 / { ip = $3 }
		in200 && /^m=audio / { print ip ":" $2; in200 = 0 }' | sort -u >"$T/dests-tunnel"
	got=$(wc -l <"$T/dests-tunnel")
	if [ "$got" = "$n" ]; then
		echo "   $path, $n calls set up [$((SECONDS - t0)) s]" >&2
		load "$path" "$n" "$(fw_ns lan-a)" $FW_PLAN.11:7000 "$T/dests-tunnel" \
			"$FW_HRAC_a" "$SQUID_A" "$NGINX_PID" "$HRAS_PID"
	else
		# counted as lost: a call that is not set up carries nothing
		R[$path,$n,sent]=$((n * 50 * SECS)) R[$path,$n,lost]=$((n * 50 * SECS))
		R[$path,$n,note]="only $got of $n calls set up and relayed"
		echo "   $path, $n calls: ${R[$path,$n,note]}" >&2
	fi
	wait $calls_pid || echo "   (note: the sipp run of $n calls reported failures)" >&2
}

# measured PATH N: R holds it
measured() { [ -n "${R[$1,$2,sent]:-}" ]; }
loss() {
	awk -v l="${R[$1,$2,lost]}" -v s="${R[$1,$2,sent]}" \
		'BEGIN { if (s > 0) printf "%.3f", 100 * l / s; else print 100 }'
}
loss_ok() { awk -v l="$(loss "$1" "$2")" -v ok=$LOSS_OK 'BEGIN { exit !(l <= ok) }'; }
# ns_of PATH: the Ns measured, ascending
ns_of() {
	local k
	for k in "${!R[@]}"; do
		case $k in "$1",*,sent) k=${k#"$1",} && echo "${k%,sent}" ;; esac
	done | sort -n
}
# first_lost PATH: the smallest N measured that lost more than LOSS_OK
first_lost() {
	local n
	for n in $(ns_of "$1"); do
		loss_ok "$1" "$n" || { echo "$n"; return; }
	done
}
# best PATH: the largest N with loss <= LOSS_OK below the first N that
# lost more ("N+" if none did)
best() {
	local n b=0
	for n in $(ns_of "$1"); do
		loss_ok "$1" "$n" || { echo "$b"; return; }
		b=$n
	done
	echo "$b+"
}

# ---- rounds -------------------------------------------------------------
declare -A RR RD
# RR[PATH,N,x]: the clean rounds' figures so far (lists for the medians;
# sums of sent and lost; "cpu|parts;" of each round); RD: the disturbed
# rounds'
ROUND_KEYS="sent lost med p99 cpu parts e steal rounds note"

# forget PATH N: R holds no figure of PATH at N (a new round)
forget() {
	local x
	for x in $ROUND_KEYS; do unset "R[$1,$2,$x]"; done
}
# keep PATH N [RD]: this round's figures of PATH at N calls, set aside
# (in RR; in RD, a disturbed round's)
keep() {
	local x
	local -n A=${3:-RR}
	for x in med p99 cpu e steal; do A[$1,$2,$x]+="${R[$1,$2,$x]:-} "; done
	A[$1,$2,sent]=$((${A[$1,$2,sent]:-0} + ${R[$1,$2,sent]:-0}))
	A[$1,$2,lost]=$((${A[$1,$2,lost]:-0} + ${R[$1,$2,lost]:-0}))
	A[$1,$2,parts]+="${R[$1,$2,cpu]:-}|${R[$1,$2,parts]:-};"
	[ -z "${R[$1,$2,note]:-}" ] || A[$1,$2,note]=${R[$1,$2,note]}
}
# settle PATH N: R holds the rounds' medians, and the parts of the round
# whose CPU is the median
settle() {
	local x src=RR
	[ -n "${RR[$1,$2,parts]:-}" ] || src=RD
	local -n A=$src
	forget "$1" "$2"
	for x in med p99 cpu e steal; do R[$1,$2,$x]=$(median "${A[$1,$2,$x]}"); done
	R[$1,$2,sent]=${A[$1,$2,sent]} R[$1,$2,lost]=${A[$1,$2,lost]}
	R[$1,$2,parts]=$(tr ';' '\n' <<<"${A[$1,$2,parts]}" |
		awk -F'|' -v c="${R[$1,$2,cpu]}" '$1 == c { print $2; exit }')
	[ -z "${A[$1,$2,note]:-}" ] || R[$1,$2,note]=${A[$1,$2,note]}
	R[$1,$2,rounds]=$(($(tr -cd ';' <<<"${A[$1,$2,parts]}" | wc -c)))
	[ $src = RR ] || R[$1,$2,rounds]+=" disturbed"
}

# stolen PATH... N: a path measured at N lost more than STEAL_MAX % of
# the box to the host
stolen() {
	local n=${*: -1} p
	for p in "${@:1:$#-1}"; do
		awk -v s="${R[$p,$n,steal]:-0}" -v m="$STEAL_MAX" 'BEGIN { exit !(s > m) }' &&
			return 0
	done
	return 1
}
# redo WHAT REDOS: whether to measure WHAT again after REDOS redos
redo() {
	[ "$2" -lt "$REDO" ] || {
		echo "   ($1: host steal above $STEAL_MAX % still, after $REDO redos: kept)" >&2
		return 1
	}
	REDONE=$((REDONE + 1))
	echo "   ($1: host steal above $STEAL_MAX %: measured again)" >&2
}

for n in 1 $CALLS; do
	clean=0 tries=0
	while [ $clean -lt "$ROUNDS" ] && [ $tries -lt $((ROUNDS + REDO)) ]; do
		tries=$((tries + 1))
		echo "  $n calls, round $tries ($clean of $ROUNDS clean so far)" >&2
		order="routed hop ovpn sofw"
		[ $((tries % 2)) = 1 ] || order="routed hop sofw ovpn"
		for p in $order; do
			forget $p "$n"
			run_$p "$n"
		done
		if stolen routed hop ovpn sofw "$n"; then
			DISTURBED=$((DISTURBED + 1))
			echo "   (host steal above $STEAL_MAX %: a disturbed round, left out if another is clean)" >&2
			for p in $order; do keep $p "$n" RD; done
		else
			for p in $order; do keep $p "$n"; done
			clean=$((clean + 1))
		fi
	done
	for p in routed hop ovpn sofw; do settle $p "$n"; done
done
# run_stages: one more idle call through SoFW, captured (tcpdump) at the
# LAN's lo and eth0, the proxy host's uplink and the outside's lo, and
# followed packet by packet through the eight points (bench/idle-stages.py):
# where the idle round trip goes.  Not a row of the table: the captures
# add their own work to every packet.
run_stages() {
	local d=$T/stages k
	local -a cap=() pids=() errs=()
	mkdir -p "$d"
	command -v tcpdump >/dev/null || {
		echo "  (tcpdump is missing: no stages; scripts/deps.sh bench installs it)" >"$d/out"
		return 0
	}
	cap=("lan lan-a lo udp" "lan-eth lan-a eth0 tcp" "proxy-up proxy-a upa tcp" "wan - lo udp")
	for k in "${cap[@]}"; do
		# shellcheck disable=SC2086 # "NAME NETNS IFACE FILTER"
		set -- $k
		if [ "$2" = - ]; then
			tcpdump -i "$3" -w "$d/$1.pcap" "$4" 2>"$d/$1.err" &
		else
			ip netns exec "$(fw_ns "$2")" tcpdump -i "$3" -w "$d/$1.pcap" "$4" 2>"$d/$1.err" &
		fi
		pids+=($!) errs+=("$d/$1.err")
		track $! "tcpdump $1"
	done
	for k in "${errs[@]}"; do wait_log "$k" "listening on" 100; done
	run_sofw 1 stages
	kill -INT "${pids[@]}" 2>/dev/null
	for k in "${pids[@]}"; do
		wait "$k" 2>/dev/null
		untrack "$k"
	done
	python3 "$SOFW_TOP/bench/idle-stages.py" "$d" $FW_PLAN.11:7000 $FW_PLAN.10 \
		$FW_PLAN.1:3128 198.51.100.2 192.0.2.1:443 192.0.2.10:16000 >"$d/out" 2>&1 ||
		echo "  (idle-stages.py failed: $(tail -1 "$d/out"))" >"$d/out"
	sed 's/^/ /' "$d/out" >&2
}
[ "$STAGES" = 0 ] || run_stages

# step PATH N: one step of the search (measured again while stolen)
step() {
	local redos=0
	while :; do
		forget "$1" "$2"
		run_"$1" "$2"
		stolen "$1" "$2" && redo "$1, $2 calls" $redos || return 0
		redos=$((redos + 1))
	done
}
T_SEARCH=$SECONDS
searched=
for path in ovpn sofw; do
	for n in $SEARCH; do
		# steps below the first N that lost (a row of CALLS may have lost
		# already: the steps under it still count)
		f=$(first_lost $path)
		[ -z "$f" ] || [ "$n" -lt "$f" ] || break
		measured $path "$n" && continue
		if [ $((SECONDS - T_SEARCH)) -ge "$BUDGET" ]; then
			searched=" (the search stopped at the time budget, ${BUDGET} s)"
			break
		fi
		step $path "$n"
	done
	# the steps double: halve the gap between the last N that kept its
	# packets and the first that lost, REFINE times (to a multiple of 50),
	# or two paths that part between steps compare as equal
	for _ in $(seq "$REFINE"); do
		b=$(best $path)
		case $b in *+) break ;; esac
		f=$(first_lost $path)
		m=$(((b + f) / 2 / 50 * 50))
		[ "$m" -gt "$b" ] && [ "$m" -lt "$f" ] || break
		if [ $((SECONDS - T_SEARCH)) -ge "$BUDGET" ]; then
			searched=" (the search stopped at the time budget, ${BUDGET} s)"
			break
		fi
		step $path "$m"
	done
done

# ---- the table ----------------------------------------------------------
ms() { awk -v u="$1" 'BEGIN { printf "%.3f", u / 1000 }'; }
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { if (b > 0) printf "%.2f", a / b; else print "n/a" }'; }
echo
echo "Voice: N calls, G.711 50 packets/s each way (sent in ticks of $TICK_US us), $SECS s each, medians of $ROUNDS clean rounds (the search: one);"
echo "packets and loss: all the counted rounds'; round trip (the far phone echoes) in ms;"
echo "CPU in ms per call-second of the path's processes (hop: its relay; OpenVPN: client squid nginx server;"
echo "SoFW: hrac squid nginx hras-fcgi), and of the far phone's echo; the share of the box the"
echo "host stole while the path ran (%; rounds above $STEAL_MAX % left out: $DISTURBED, with their figures in the"
echo "log; search steps above it measured again: $REDONE); rounds: how many rounds a row is the median of"
printf '  %5s %-7s %8s %7s | %8s %8s | %8s %8s | %7s %-27s | %5s | %5s | %s\n' calls path packets "loss %" \
	"rtt med" "rtt p99" "+med" "+p99" CPU "(parts)" echo steal rounds
for n in $(for p in routed hop ovpn sofw; do ns_of $p; done | sort -nu); do
	for p in routed hop ovpn sofw; do
		measured $p "$n" || continue
		if [ -n "${R[$p,$n,note]:-}" ]; then
			printf '  %5s %-7s %s\n' "$n" "$p" "${R[$p,$n,note]}"
			continue
		fi
		add_med=- add_p99=-
		if [ $p != routed ] && measured routed "$n"; then
			add_med=$(ms $((R[$p,$n,med] - R[routed,$n,med])))
			add_p99=$(ms $((R[$p,$n,p99] - R[routed,$n,p99])))
		fi
		cpu=${R[$p,$n,cpu]} && [ $p = routed ] && cpu=-
		printf '  %5s %-7s %8s %7s | %8s %8s | %8s %8s | %7s %-27s | %5s | %5s | %s\n' "$n" "$p" \
			"${R[$p,$n,sent]}" "$(loss $p "$n")" "$(ms "${R[$p,$n,med]}")" \
			"$(ms "${R[$p,$n,p99]}")" "$add_med" "$add_p99" "$cpu" \
			"(${R[$p,$n,parts]})" "${R[$p,$n,e]}" "${R[$p,$n,steal]:--}" "${R[$p,$n,rounds]:-1}"
	done
done

# ---- the targets (issue 13, part 1) -------------------------------------
# target TEXT VALUE OP LIMIT: one line, PASS or MISS (n/a: not measured)
target() {
	local verdict
	if [ "$2" = n/a ]; then
		verdict=n/a
	else
		verdict=$(awk -v v="$2" -v l="$4" -v op="$3" 'BEGIN {
			ok = op == "<=" ? v <= l : v >= l; print ok ? "PASS" : "MISS" }')
	fi
	printf '  %-4s %-55s %8s (target %s %s)\n' "$verdict" "$1" "$2" "$3" "$4"
}
# rat N X: SoFW's X over OpenVPN's at N calls
rat() {
	measured sofw "$1" && measured ovpn "$1" && [ -z "${R[sofw,$1,note]:-}" ] ||
		{ echo n/a && return; }
	ratio "${R[sofw,$1,$2]}" "${R[ovpn,$1,$2]}"
}
echo
echo "Targets (issue 13, part 1; ratios SoFW : OpenVPN through the same Squid, this run)$searched:"
target "10 calls: CPU per call-second, SoFW : OpenVPN" "$(rat 10 cpu)" "<=" 1
target "10 calls: RTT median, SoFW : OpenVPN" "$(rat 10 med)" "<=" 1
target "200 calls: CPU per call-second, SoFW : OpenVPN" "$(rat 200 cpu)" "<=" 0.5
target "200 calls: RTT p99, SoFW : OpenVPN" "$(rat 200 p99)" "<=" 0.5
l200=n/a
measured sofw 200 && l200=$(loss sofw 200)
target "200 calls: SoFW's loss, %" "$l200" "<=" 0
bs=$(best sofw) bo=$(best ovpn)
if [ "${bo%+}" = 0 ]; then
	bratio=n/a && [ "${bs%+}" != 0 ] && bratio=999 # OpenVPN lost at every N
else
	bratio=$(ratio "${bs%+}" "${bo%+}")
fi
case $bs,$bo in *+,*+) bratio=n/a ;; esac # both beyond the search: no verdict
target "largest N with <= $LOSS_OK % loss, SoFW ($bs) : OpenVPN ($bo)" "$bratio" ">=" 2
idle=n/a
measured sofw 1 && measured routed 1 && [ -z "${R[sofw,1,note]:-}" ] &&
	idle=$(ms $((R[sofw,1,med] - R[routed,1,med])))
target "1 call at idle: RTT median added over routed, ms" "$idle" "<=" 0.3
if measured hop 1 && measured routed 1; then
	hop1=$(ms $((R[hop,1,med] - R[routed,1,med])))
	echo "  (the floor: one user-space process in the path (hop) added $hop1 ms to the idle RTT median;"
	echo "   OpenVPN's path and SoFW's have four each: $(awk -v h="$hop1" 'BEGIN { printf "%.3f", 4 * h }') ms)"
fi
if [ -s "$T/stages/out" ]; then
	echo "  Where one idle call's round trip goes (another call, captured at each hop; the captures add"
	echo "  their own work, so the steps sum to more than the row above):"
	cat "$T/stages/out"
fi
echo "  (N+: no loss above $LOSS_OK % up to N, the search's end; the bench took $((SECONDS - T0)) s)"
exit 0
