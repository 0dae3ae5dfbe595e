#!/bin/bash
# SPDX-License-Identifier: BSD-3-Clause
# Copyright (c) 2026 the SoFW authors
# bench/cluster.sh (make bench, BENCH=cluster): the figures of several
# hras-fcgi nodes sharing a Redis (issue 13 part 2, sofw(7) SIZING).
#
# 1. Redis commands per REGISTER and per call: redis-server's INFO
#    commandstats before and after a known number of REGISTERs (refreshes
#    of one binding) and of calls (INVITE, 407, ACK, INVITE, 100, 180,
#    200, ACK, BYE, 200 between two outside phones, the caller on node 2,
#    the callee registered through node 1, so the call goes through both
#    nodes), less what the nodes send when idle (heartbeats, the poll of
#    the calls' nodes) over as long; calls hung up at once at 50/s, and
#    calls held 2 s at 2/s (the calls' snapshot is written at most every
#    50 ms: many calls a second share writes).
# 2. REGISTER/s and calls/s of 1, 2 and 3 nodes on this machine, each
#    with its own SIP address (192.0.2.21-23) and one sipp per node
#    offering the node its share of the load (calls to a callee
#    registered through the same node); as bench/sip.sh: a step
#    offers RATE attempts/s (all nodes together) for SECS seconds, is
#    sustained when every attempt succeeded and it did not run late, and
#    rates double until a step fails.  One node with --store file is the
#    baseline (what Redis costs), the ratios are to one node on Redis.
# 3. Failover: a node killed mid-call (tests/it/t_cluster_failover.sh):
#    -> its calls taken over, -> their media back, -> its HRAC at home on
#    the survivor; Redis killed and restarted -> every node reconnected.
# The nodes and phones all run on this machine (2 cores): more nodes
# share the same cores, so the figures say what Redis and the nodes'
# coordination cost, not what N machines would do.
. "$(dirname "$0")/../tests/lib.sh"
. "$SOFW_TOP/tests/sip.sh"
. "$SOFW_TOP/bench/steps.sh"

SECS=${CLUSTER_BENCH_SECS:-3}
MAX_RATE=${CLUSTER_BENCH_MAX_RATE:-3200}
NODES_MAX=3 # processes stay bounded: at most 3 nodes, 3 callers, 3 callees
OPS_REGS=${CLUSTER_BENCH_OPS_REGS:-300}
OPS_CALLS=${CLUSTER_BENCH_OPS_CALLS:-200}
OPS_HELD=${CLUSTER_BENCH_OPS_HELD:-16}

command -v redis-server >/dev/null || fail "redis-server is not installed (scripts/deps.sh)"

make_user callee callee-pw
for n in $(seq $NODES_MAX); do
	make_user "caller$n" "caller$n-pw"
	make_user "callee$n" "callee$n-pw"
	# in the rate steps node n's caller calls node n's callee: each node
	# carries its share of the calls (a call across two nodes is the
	# Redis commands' measure, below)
	sed "s/callee@/callee$n@/g" "$SIPP_SCEN/bench_uac.xml" >"$T/uac-$n.xml"
done
# a registering user per step and node: an AOR takes --max-contacts
for i in $(seq 120); do make_user "r$i" "r$i-pw"; done
make_user opsreg opsreg-pw
make_identity site-a
ip addr add 192.0.2.10/32 dev lo # the callee
for n in $(seq $NODES_MAX); do
	ip addr add "192.0.2.2$n/32" dev lo # node n
	ip addr add "192.0.2.3$n/32" dev lo # its callers
	ip addr add "192.0.2.4$n/32" dev lo # its callee
done
# the nodes share the Record-Route key (sofw(7) SEVERAL NODES)
KEY=$(head -c 32 /dev/urandom | od -An -tx1 | tr -d ' \n')

REDIS_PID=
start_redis() {
	redis-server --port 0 --unixsocket "$T/redis.sock" --unixsocketperm 700 \
		--save "" --appendonly yes --dir "$T" >>"$T/redis.log" 2>&1 &
	REDIS_PID=$!
	track $REDIS_PID redis-server
	for _ in $(seq 200); do
		redis-cli -s "$T/redis.sock" PING 2>/dev/null | grep -q PONG && return 0
		sleep 0.05
	done
	fail "redis-server did not start"
}
rcli() { redis-cli -s "$T/redis.sock" "$@"; }

# start_nodes STORE N: N nodes, node n on 192.0.2.2n
NODE_PIDS=()
start_nodes() {
	local store=$1 n extra=()
	NODE_PIDS=()
	for n in $(seq "$2"); do
		printf '# sofw-state 1\nkey\t%s\n' "$KEY" >"$T/node-$n.state"
		chmod 600 "$T/node-$n.state"
		: >"$T/node-$n.log"
		[ "$store" = file ] || extra=(--node-id "node-$n")
		"$BIN/hras-fcgi" -f -s "unix:$T/node-$n.sock" --hracs "$T/hracs" \
			--sip "192.0.2.2$n:5060" --domain $DOMAIN --users "$T/users" \
			--public-ip "192.0.2.2$n" --rtp-ports "$((20000 + n * 2000))-$((21999 + n * 2000))" \
			--state "$T/node-$n.state" --store "$store" ${extra[@]+"${extra[@]}"} \
			--rate-limit 0 --max-transactions 1000000 --timer-c 30 \
			>>"$T/node-$n.log" 2>&1 &
		NODE_PIDS+=($!)
		track $! "hras-fcgi node-$n"
		wait_more "$T/node-$n.log" "info: ready" 0
	done
	if [ "$store" != file ]; then
		for n in $(seq "$2"); do wait_more "$T/node-$n.log" "store: up" 0; done
	fi
}
stop_nodes() {
	local p
	for p in "${NODE_PIDS[@]}"; do stop_pid "$p"; done
	NODE_PIDS=()
}

# sipp_run NODE SCENARIO-FILE USER RATE COUNT PORT NAME [SIPP-ARGS]: one
# phone's run against node NODE
sipp_run() {
	local node=$1 scen=$2 user=$3 rate=$4 count=$5 port=$6 name=$7
	shift 7
	(cd "$T" && exec timeout $((SECS + 40)) sipp "192.0.2.2$node:5060" \
		-sf "$scen" -s "$user" -au "$user" -ap "$user-pw" \
		-r "$rate" -m "$count" -l $((rate * 8 + 10)) -i "192.0.2.3$node" -p "$port" \
		-nostdin -trace_screen -trace_err -screen_file "$T/$name-screen.log" \
		-timeout $((SECS + 15))s -recv_timeout 8000 \
		-max_recv_loops 10000 -max_sched_loops 10000 "$@" >/dev/null 2>&1)
}

STEP_NO=0
# step NODES SCENARIO RATE: 0 when the nodes together sustained RATE/s
step() {
	local nodes=$1 scen=$2 rate=$3 n per ok=0 bad=0 o b t0 t1 pids=() user sf
	per=$((rate / nodes))
	STEP_NO=$((STEP_NO + 1))
	rm -f "$T"/step-*-screen.log
	t0=$(date +%s.%N)
	for n in $(seq "$nodes"); do
		user=caller$n sf=$T/uac-$n.xml
		[ "$scen" = bench_register.xml ] &&
			user=r$((((STEP_NO - 1) * NODES_MAX + n - 1) % 120 + 1)) sf=$SIPP_SCEN/$scen
		sipp_run "$n" "$sf" "$user" "$per" $((per * SECS)) \
			$((6000 + (STEP_NO % 200) * 4 + n)) "step-$n" &
		pids+=($!)
	done
	wait "${pids[@]}"
	t1=$(date +%s.%N)
	for n in $(seq "$nodes"); do
		o=$(counter "$T/step-$n-screen.log" "Successful call")
		b=$(counter "$T/step-$n-screen.log" "Failed call")
		ok=$((ok + ${o:-0})) bad=$((bad + ${b:-1}))
	done
	STEP_LOG="$((per * nodes))/s: $ok ok, $bad failed in $(awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.1f", b - a }') s"
	STEP_RATE=$((per * nodes))
	[ "$ok" = $((per * SECS * nodes)) ] && [ "$bad" = 0 ] && step_in_time "$t0" "$t1"
}

# start_callee USER IP NODE: a sipp UAS on IP registered through NODE
CALLEE_PIDS=()
start_callee() {
	(cd "$T" && timeout 20 sipp "192.0.2.2$3:5060" -sf "$SIPP_SCEN/bench_register.xml" \
		-s "$1" -au "$1" -ap "$1-pw" -m 1 -i "$2" -p 5060 -nostdin \
		>/dev/null 2>&1) || fail "$1 could not register at node $3"
	(cd "$T" && exec sipp -sf "$SIPP_SCEN/bench_uas.xml" -i "$2" \
		-set mip "$2" -set mport 16000 -p 5060 -nostdin -timeout 900s \
		>/dev/null 2>&1) &
	CALLEE_PIDS+=($!)
	track $! "sipp $1" 0 1 # 1: after a step that failed
	sleep 0.3
}
stop_callees() {
	local p
	for p in "${CALLEE_PIDS[@]}"; do stop_pid "$p"; done
	CALLEE_PIDS=()
}

# ---- 1. Redis commands per REGISTER and per call ------------------------
# commandstats: "cmd calls" lines
cmdstats() {
	rcli INFO commandstats | tr -d '\r' |
		sed -n 's/^cmdstat_\([a-z|]*\):calls=\([0-9]*\),.*/\1 \2/p'
}
# the bytes Redis received from its clients so far
inbytes() { rcli INFO stats | tr -d '\r' | sed -n 's/^total_net_input_bytes://p'; }
# ops_window SECONDS-FILE STATS-FILE COMMAND...: the commands Redis ran
# while COMMAND ran, and how long it took
ops_window() {
	local tf=$1 sf=$2 a b t0 t1
	shift 2
	cmdstats >"$T/ops-before"
	echo "bytes $(inbytes)" >>"$T/ops-before"
	t0=$(date +%s.%N)
	"$@" || echo "ops measure: $* failed" >&2
	t1=$(date +%s.%N)
	cmdstats >"$T/ops-after"
	echo "bytes $(inbytes)" >>"$T/ops-after"
	awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.3f\n", b - a }' >"$tf"
	awk 'NR == FNR { b[$1] = $2; next } { d = $2 - b[$1]; if (d > 0) print $1, d }' \
		"$T/ops-before" "$T/ops-after" | grep -v '^info ' >"$sf"
}
# per_op STATS TIME IDLE-STATS IDLE-TIME COUNT: per command, (load - idle
# scaled to the load's duration) / COUNT; the total last
per_op() {
	awk -v t="$2" -v it="$4" -v n="$5" '
		NR == FNR { idle[$1] = $2; next }
		{ load[$1] = $2 }
		END {
			for (c in idle) if (!(c in load)) load[c] = 0
			for (c in load) {
				v = (load[c] - idle[c] * t / it) / n
				if (c == "bytes") { bytes = v; continue }
				if (v < 0.005) continue
				printf "    %-10s %6.2f\n", c, v
				tot += v
			}
			printf "    %-10s %6.2f  (%.0f bytes to Redis)\n", "total", tot, bytes
		}' "$3" "$1" | sort -k1,1 | awk '$1 == "total" { last = $0; next } { print } END { print last }'
}
idle_wait() { sleep "$1"; }
# each run waits 2 s past its last message: what the nodes write late
# (the calls' snapshot, at most once a second) falls in its window
regs_run() { sipp_run 1 "$SIPP_SCEN/bench_register.xml" opsreg 50 "$OPS_REGS" 5901 ops-reg && sleep 2; }
calls_run() { sipp_run 2 "$SIPP_SCEN/bench_uac.xml" caller2 50 "$OPS_CALLS" 5902 ops-call && sleep 2; }
# calls held 2 s, 2 a second: the calls' snapshot is written at most every
# 50 ms, so at 50 calls/s many calls share a write; at a call a second
# per node each call's start and end are writes of their own
held_run() {
	sipp_run 2 "$SIPP_SCEN/bench_hold.xml" caller2 2 "$OPS_HELD" 5903 ops-held \
		-d 2000 -set mip 192.0.2.32 -set mport 17000 && sleep 2
}

start_redis
log "==== Redis commands per REGISTER and per call (2 nodes)"
start_nodes "redis+unix://$T/redis.sock" 2
start_callee callee 192.0.2.10 1
sleep 1
ops_window "$T/t-idle" "$T/s-idle" idle_wait 4
ops_window "$T/t-reg" "$T/s-reg" regs_run
ok=$(counter "$T/ops-reg-screen.log" "Successful call")
[ "${ok:-0}" = "$OPS_REGS" ] || OPS_REGS=${ok:-0} # per REGISTER that succeeded
ops_window "$T/t-call" "$T/s-call" calls_run
ok=$(counter "$T/ops-call-screen.log" "Successful call")
[ "${ok:-0}" = "$OPS_CALLS" ] || OPS_CALLS=${ok:-0}
ops_window "$T/t-held" "$T/s-held" held_run
ok=$(counter "$T/ops-held-screen.log" "Successful call")
[ "${ok:-0}" = "$OPS_HELD" ] || OPS_HELD=${ok:-0}
[ "$OPS_REGS" -gt 0 ] && [ "$OPS_CALLS" -gt 0 ] && [ "$OPS_HELD" -gt 0 ] ||
	fail "no REGISTER or no call succeeded"
REG_OPS=$(per_op "$T/s-reg" "$(cat "$T/t-reg")" "$T/s-idle" "$(cat "$T/t-idle")" "$OPS_REGS")
log "per REGISTER:" $REG_OPS
CALL_OPS=$(per_op "$T/s-call" "$(cat "$T/t-call")" "$T/s-idle" "$(cat "$T/t-idle")" "$OPS_CALLS")
log "per call:" $CALL_OPS
HELD_OPS=$(per_op "$T/s-held" "$(cat "$T/t-held")" "$T/s-idle" "$(cat "$T/t-idle")" "$OPS_HELD")
log "per held call:" $HELD_OPS
IDLE_OPS=$(awk -v t="$(cat "$T/t-idle")" '$1 != "bytes" { s += $2 } END { printf "%.1f", s / t }' "$T/s-idle")
stop_callees
stop_nodes
rcli FLUSHALL >/dev/null

# ---- 2. rates with 1, 2, 3 nodes ----------------------------------------
declare -A R
CONFIGS=${CLUSTER_BENCH_CONFIGS:-file1 redis1 redis2 redis3}
for c in $CONFIGS; do
	n=${c#file} n=${n#redis}
	store="redis+unix://$T/redis.sock"
	case $c in file*) store=file ;; esac
	log "==== $n node(s), --store ${store%%:*}"
	start_nodes "$store" "$n"
	for i in $(seq "$n"); do start_callee "callee$i" "192.0.2.4$i" "$i"; done
	echo "   $c: calls" >&2
	R[$c,call]=$(sustained "$n" bench_uac.xml)
	stop_callees
	echo "   $c: REGISTER" >&2
	R[$c,reg]=$(sustained "$n" bench_register.xml)
	stop_nodes
	[ "$store" = file ] || rcli FLUSHALL >/dev/null
done

# ---- 3. failover ---------------------------------------------------------
# Redis killed (SIGKILL) and started again 1 s later: until each of 3
# nodes says its store is up again
log "==== Redis killed and restarted under 3 nodes"
start_nodes "redis+unix://$T/redis.sock" 3
kill -KILL "$REDIS_PID"
wait "$REDIS_PID" 2>/dev/null
untrack "$REDIS_PID"
sleep 1
before=()
for n in 1 2 3; do before+=("$(grep -c "store: up" "$T/node-$n.log")"); done
start_redis
t0=$(date +%s%N)
RECONNECT=()
for _ in $(seq 500); do
	all=1
	for n in 1 2 3; do
		[ -n "${RECONNECT[n]:-}" ] && continue
		if [ "$(grep -c "store: up" "$T/node-$n.log")" -gt "${before[n - 1]}" ]; then
			RECONNECT[n]=$((($(date +%s%N) - t0) / 1000000))
		else
			all=0
		fi
	done
	[ $all = 1 ] && break
	sleep 0.02
done
stop_nodes

log "==== a node killed mid-call (tests/it/t_cluster_failover.sh)"
mkdir -p "$T/fo"
env -u SOFW_NETNS TMPDIR="$T/fo" KEEP=1 NS_TAG="${NS_TAG:-cb}fo" \
	timeout 300 bash "$SOFW_TOP/tests/it/t_cluster_failover.sh" >"$T/failover.out" 2>&1
FO_RC=$?
FO_DIR=$(sed -n 's/^kept //p' "$T/failover.out" | tail -1)
TAKEOVER=$(sed -n 's/.*failover figure: .*(\([0-9]*\) ms to the take-over.*/\1/p' "$T/failover.out" | head -1)
MEDIA=$(sed -n 's/.*failover figure: \([a-z0-9-]*\) media back \([0-9]*\) ms after the kill.*/\1 \2/p' "$T/failover.out")
# the HRAC at home on the survivor: node-b's log stamps, from its
# take-over (TAKEOVER ms after the kill)
HRAC_MS=
if [ -n "$FO_DIR" ] && [ -n "$TAKEOVER" ]; then
	stamp() { grep -m1 -E "$1" "$FO_DIR/node-b.log" | awk '{ split($2, a, ":"); printf "%.0f\n", (a[1] * 3600 + a[2] * 60 + a[3]) * 1000 }'; }
	a=$(stamp "took over [0-9]+ calls") b=$(stamp "HRAC site-a is at home")
	[ -n "$a" ] && [ -n "$b" ] && HRAC_MS=$((TAKEOVER + b - a))
fi
[ -n "$FO_DIR" ] && rm -rf --one-file-system "$FO_DIR"

# ---- the figures ---------------------------------------------------------
echo
echo "Redis commands per REGISTER (refresh of one binding, $OPS_REGS at 50/s, node 1):"
echo "$REG_OPS"
echo "Redis commands per call (INVITE..BYE at once, outside -> outside, $OPS_CALLS at 50/s, caller on node 2, callee's binding from node 1: through both):"
echo "$CALL_OPS"
echo "Redis commands per call held 2 s, $OPS_HELD at 2/s (the same path):"
echo "$HELD_OPS"
echo "  (idle: $IDLE_OPS commands/s for 2 nodes, heartbeats and polls, subtracted)"
echo
echo "SIP rates sustained with 0 failed, all nodes on this machine (steps of ${SECS} s, doubling from 100/s, at most $MAX_RATE/s):"
rows=()
for c in $CONFIGS; do
	n=${c#file} n=${n#redis}
	case $c in
	file*) rows+=("$c" "1, --store file (no Redis)") ;;
	redis1) rows+=("$c" "1, Redis (ratio base)") ;;
	*) rows+=("$c" "$n, Redis") ;;
	esac
done
rates_table nodes redis1 "${rows[@]}"
for c in $CONFIGS; do
	[ "${R[$c,reg]:-0}" -ge $((MAX_RATE - 3)) ] || [ "${R[$c,call]:-0}" -ge $((MAX_RATE - 3)) ] &&
		echo "note: $c reached the highest rate offered; raise CLUSTER_BENCH_MAX_RATE for its limit"
done
echo
echo "Failover:"
echo "  Redis killed, started again 1 s later: nodes' store up again ${RECONNECT[1]:-?} / ${RECONNECT[2]:-?} / ${RECONNECT[3]:-?} ms after its start"
if [ $FO_RC = 0 ]; then
	echo "  node killed mid-call (SIGKILL, its address moved 200 ms later): calls taken over ${TAKEOVER:-?} ms after the kill; its HRAC at home on the survivor ${HRAC_MS:-?} ms after the kill"
	echo "$MEDIA" | awk 'NF { printf "  media back, %s: %s ms after the kill\n", $1, $2 }'
else
	echo "  node killed mid-call: tests/it/t_cluster_failover.sh failed (status $FO_RC):"
	tail -20 "$T/failover.out" | sed 's/^/    /'
fi
if command -v redis-benchmark >/dev/null; then
	echo
	echo "Redis's own ceiling on this machine (redis-benchmark, 50 clients, unix socket, no pipelining):"
	timeout 60 redis-benchmark -s "$T/redis.sock" -q -n 100000 -c 50 -t set,get 2>/dev/null |
		tr '\r' '\n' | grep -E '^(SET|GET): [0-9.]+ requests' | sed 's/^/  /'
fi
exit 0
