#!/bin/bash
# SPDX-License-Identifier: BSD-3-Clause
# Copyright (c) 2026 the SoFW authors
# Media failover (issue 13 part 2, sofw(7) "Media failover"): two
# hras-fcgi nodes share a real redis-server (--store redis+unix://),
# each in a network namespace of its own with its own address: node-a on
# 192.0.2.21 (SIP and relay), node-b on 192.0.2.22.  nginx sends the
# HRACs to node-a, and to node-b when node-a is gone.  Two calls through
# node-a (tests/fault.sh: alice inside calls olivia outside, oscar
# outside calls bob inside, RTP at 50 packets/s each way), then node-a
# is killed (SIGKILL) and its address moved to node-b's namespace (what
# keepalived does with a floating IP: here ip addr and a route).  node-b
# must take the calls over: the media of both calls comes back within
# GOAL_MS of its take-over and KILL_GOAL_MS of the kill, the calls end with BYE 200 (the BYE of the
# outside phone comes to node-a's address, now node-b's), and a new call
# each way works without registering again.  The failover times are
# printed: kill -> take-over, and kill -> media back.
NS_TAG=${NS_TAG:-cfo}
. "$(dirname "$0")/../fault.sh"

GOAL_MS=${GOAL_MS:-2000} # media back within this long of the take-over
KILL_GOAL_MS=${KILL_GOAL_MS:-2000} # ... and of the kill (issue 13)
RELAY_A=192.0.2.21 RELAY_B=192.0.2.22
FAULT_RELAY=$RELAY_A
FAULT_RESTART_MS=${MOVE_MS:-200} # the address moves this long after the kill
# the UPDATE of each call after the take-over (an in-dialog request in
# the gap is retransmitted: tested by t_fault_hras, not here)
FAULT_UPDATE_AFTER_MS=5000
FAULT_POST_MS=4000
server_of() { [ "$1" = - ] && echo $RELAY_A:5060 || echo $FW_PLAN.10:5060; }

command -v redis-server >/dev/null || fail "redis-server is not installed (scripts/deps.sh)"

# node_ns X ADDR: namespace node-X linked to the wan, ADDR on it; a
# survivor binds a dead node's address before it arrives (sofw(7))
node_ns() {
	local ns
	ns=$(fw_ns "node-$1")
	ip netns add "$ns" && NETNS+=("$ns") || fail "netns $ns"
	ip -n "$ns" link set lo up
	ip link add "n$1" type veth peer name eth0 netns "$ns"
	ip link set "n$1" up
	ip -n "$ns" addr add "$2/32" dev eth0
	ip -n "$ns" link set eth0 up
	ip -n "$ns" route add default dev eth0
	ip route add "$2/32" dev "n$1"
	ip netns exec "$ns" sysctl -qw net.ipv4.ip_nonlocal_bind=1
}

# move_address ADDR FROM TO: keepalived's part, the floating address to
# node TO's namespace (the wan's route follows, as a gratuitous ARP
# would make it)
move_address() {
	ip -n "$(fw_ns "node-$2")" addr del "$1/32" dev eth0 2>/dev/null
	ip -n "$(fw_ns "node-$3")" addr add "$1/32" dev eth0
	ip route replace "$1/32" dev "n$3"
	ip neigh flush to "$1" 2>/dev/null
}

# start_node X ADDR PORTS: hras-fcgi node-X in its namespace
NODE_PID_a= NODE_PID_b=
start_node() {
	local x=$1 addr=$2 ports=$3 n
	n=$(grep -c "info: ready" "$T/node-$x.log" 2>/dev/null)
	ip netns exec "$(fw_ns "node-$x")" "$BIN/hras-fcgi" -f \
		-s "unix:$T/node-$x.sock" --socket-mode 0666 --hracs "$T/hracs" -v \
		--sip "$addr:5060" --domain $DOMAIN --users "$T/users" \
		--public-ip "$addr" --rtp-ports "$ports" --state "$T/node-$x.state" \
		--store "redis+unix://$T/redis.sock" --node-id "node-$x" \
		--status-allow 192.0.2.0/24 \
		>>"$T/node-$x.log" 2>&1 &
	printf -v "NODE_PID_$x" %s $!
	track $! "hras-fcgi node-$x"
	wait_more "$T/node-$x.log" "info: ready" "${n:-0}"
}

# nginx sends the HRACs to node-a, to node-b when node-a is gone
cluster_nginx() {
	HRAS_SOCKET=sofw_nodes
	NGINX_ADDR=192.0.2.1
	NGINX_HTTP_EXTRA="upstream sofw_nodes { server unix:$T/node-a.sock; server unix:$T/node-b.sock backup; }"
	start_nginx
}

cluster_world() {
	local key
	wan_up
	make_identity site-a
	make_identity site-b
	for u in alice bob olivia oscar; do make_user $u $u-pw; done
	redis-server --port 0 --unixsocket "$T/redis.sock" --unixsocketperm 777 \
		--save "" --appendonly no --dir "$T" >"$T/redis.log" 2>&1 &
	track $! redis-server
	for _ in $(seq 200); do [ -S "$T/redis.sock" ] && break; sleep 0.05; done
	# the nodes share the key of Record-Route tokens: a dialog's
	# requests verify at whichever node they come to
	key=$(head -c 32 /dev/urandom | od -An -tx1 | tr -d ' \n')
	for x in a b; do
		printf '# sofw-state 1\nkey\t%s\n' "$key" >"$T/node-$x.state"
		chmod 600 "$T/node-$x.state"
	done
	node_ns a $RELAY_A
	node_ns b $RELAY_B
	start_node a $RELAY_A 30000-30499
	start_node b $RELAY_B 30500-30999
	HRAS_PID=$NODE_PID_a
	ln -s node-a.log "$T/hras.log" # where fw.sh looks for the HRACs' arrival
	cluster_nginx
	fw_site a 0
	fw_site b 1
	fw_squid a
	fw_squid b
	register - olivia 192.0.2.10
	register - oscar 192.0.2.11
}

fault_pid_node() { echo "$NODE_PID_a"; }

# the floating address moves; BACK is the moment node-b took over
fault_start_node() {
	python3 "$FM" when log "$T/node-b.log" "took over [0-9]+ calls" \
		--out "$T/fault-back" --timeout 30 >/dev/null &
	FAULT_PROBE=$!
	move_address $RELAY_A a b
	mono >"$T/moved"
}

cluster_world
log "==== mid-call, node-a killed (SIGKILL), its address moved to node-b $FAULT_RESTART_MS ms later"
fault_hrac plain
grep -q "HRAC 'site-a'" "$T/node-a.log" || fail "site-a's hrac is not on node-a"
fault_calls
redis-cli -s "$T/redis.sock" --raw GET sofw:calls:node-a | grep -c "^c" |
	grep -qx 2 || fail "node-a's two calls are not in Redis: $(redis-cli -s "$T/redis.sock" --raw GET sofw:calls:node-a | head -5)"
fault_run node
down=$(cat "$T/fault-down") back=$(cat "$T/fault-back")
grep -E "node node-a is dead|took over" "$T/node-b.log" | sed 's/^/    node-b: /'
fault_check_media "$GOAL_MS"
fault_check_sip
for s in c1-up c1-down c2-up c2-down; do
	rec=$(fault_figure recovery_ms $s)
	[ -n "$rec" ] && [ "${rec%.*}" -ge 0 ] &&
		log "failover figure: $s media back $(((back - down) / 1000000 + ${rec%.*})) ms after the kill ($((( back - down) / 1000000)) ms to the take-over, ${rec%.*} ms after it)"
	# the issue's promise: media back within 2 s of the node's death
	[ -n "$rec" ] && [ "${rec%.*}" -ge 0 ] &&
		[ $(((back - down) / 1000000 + ${rec%.*})) -gt "$KILL_GOAL_MS" ] &&
		problem "$s: media back $(((back - down) / 1000000 + ${rec%.*})) ms after the kill, goal $KILL_GOAL_MS ms"
done
[ -z "$(redis-cli -s "$T/redis.sock" --raw GET sofw:calls:node-a)" ] ||
	problem "node-a's calls are still in Redis after the take-over"
grep -q "HRAC 'site-a'" "$T/node-b.log" || problem "site-a's hrac did not come to node-b"
# the registrations are Redis's: new calls both ways through node-b
# (the outside phones still at node-a's address) without registering again
fault_new_calls
# node-a started again (its calls file still holds the two calls): they
# are node-b's now, Redis says so, and node-a must not take them up
grep -q "^c	" "$T/node-a.state.calls" || problem "node-a's calls file did not hold the calls"
n=$(grep -c "store: up" "$T/node-a.log")
start_node a $RELAY_A 30000-30499
wait_more "$T/node-a.log" "store: up" "$n" 100
sleep 1.5
[ -z "$(redis-cli -s "$T/redis.sock" --raw GET sofw:calls:node-a)" ] ||
	problem "node-a started again took up calls that node-b had taken over"
log "node-a started again: it took up none of the calls node-b had taken over"
fault_verdict "node-a killed, its calls taken over by node-b"
