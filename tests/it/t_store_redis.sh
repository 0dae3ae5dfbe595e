#!/bin/bash
# SPDX-License-Identifier: BSD-3-Clause
# Copyright (c) 2026 the SoFW authors
# One node with --store redis (issue 13, part 2): registrations live in
# Redis, so a restarted hras-fcgi (no --state file) still knows them and
# a call reaches a phone that did not register again; a Redis restarted
# (appendonly, killed hard) loses nothing, and hras-fcgi reconnects by
# itself; the metrics say so.  A Redis that is a replica for a while
# (READONLY) loses no change either.  A wrong password is refused clearly.
. "$(dirname "$0")/../lib.sh"
. "$SOFW_TOP/tests/sip.sh"

command -v redis-server >/dev/null || fail "needs redis-server"
mkdir -p "$T/redis"
REDIS_SOCK=$T/redis/redis.sock
echo "the-store-password-$$" >"$T/redis.pw"
chmod 600 "$T/redis.pw"

REDIS_PID=
start_redis() {
	redis-server --port 0 --unixsocket "$REDIS_SOCK" --unixsocketperm 700 \
		--dir "$T/redis" --appendonly yes --appendfsync always --save '' \
		--requirepass "$(cat "$T/redis.pw")" --daemonize no \
		>>"$T/redis.log" 2>&1 &
	REDIS_PID=$!
	track $REDIS_PID redis-server
	for _ in $(seq 100); do
		[ -S "$REDIS_SOCK" ] && rcli PING 2>/dev/null | grep -q PONG && return 0
		sleep 0.05
	done
	fail "redis-server does not answer"
}
rcli() { redis-cli -s "$REDIS_SOCK" --no-auth-warning -a "$(cat "$T/redis.pw")" "$@"; }
bindings() { rcli --scan --pattern 'sofw:b:*' | wc -l; }
metric() { curl -s http://192.0.2.1/sofw/metrics | awk -v m="$1" '$1 == m { print $2 }'; }
# wait_metric NAME VALUE: within 3 s (the metrics are rendered each second)
wait_metric() {
	for _ in $(seq 30); do
		[ "$(metric "$1")" = "$2" ] && return 0
		sleep 0.1
	done
	fail "$1 is '$(metric "$1")', not $2"
}

start_redis
STORE=(--store "redis+unix://$REDIS_SOCK" --store-password-file "$T/redis.pw"
	--node-id solo --status-allow 192.0.2.0/24)
sip_world "${STORE[@]}"
grep -q "store: up, redis+unix://$REDIS_SOCK?db=0 (node solo)" "$T/hras.log" ||
	wait_log "$T/hras.log" "store: up" 100
grep -q "$(cat "$T/redis.pw")" "$T/hras.log" && fail "the password is in the log"

register site-a alice 10.77.1.10
register - olivia 192.0.2.10
for _ in $(seq 40); do [ "$(bindings)" = 2 ] && break; sleep 0.05; done
[ "$(bindings)" = 2 ] || fail "Redis holds $(bindings) bindings, expected 2"
key=$(rcli --scan --pattern 'sofw:b:olivia@*')
ttl=$(rcli TTL "$key")
[ "$ttl" -gt 250 ] && [ "$ttl" -le 300 ] || fail "olivia's binding has TTL '$ttl', expected her 300 s"
wait_metric sofw_hras_store_up 1

log "== hras-fcgi restarted: the registrations come back from Redis"
media=$(grep -c "HRAC 'site-a': media on" "$T/hras.log")
stop_hras
start_hras "${HRAS_ARGS[@]}"
wait_log "$T/hras.log" "store: 2 registrations known, 2 read from the store" 100
# the HRAC reconnects to the new process
wait_more "$T/hras.log" "HRAC 'site-a': media on" "$media" 300
answer - olivia 192.0.2.10 uas.xml
call site-a alice 10.77.1.10 olivia uac.xml -timeout 10 -timeout_error ||
	fail "alice could not call olivia after the restart"
wait_uas "olivia, not registered again"
answer site-a alice 10.77.1.10 uas.xml
call - olivia 192.0.2.10 alice uac.xml -timeout 10 -timeout_error ||
	fail "olivia could not call alice after the restart"
wait_uas "alice, not registered again"
log "calls both ways with no REGISTER since the restart"

log "== Redis killed and restarted: nothing lost, hras-fcgi reconnects"
ups=$(grep -c "store: up" "$T/hras.log")
kill_expect "$REDIS_PID" KILL 137
wait_log "$T/hras.log" "store: commands connection to .* lost" 100
wait_metric sofw_hras_store_up 0
# a change while Redis is away waits in the queue
register - oscar 192.0.2.11
start_redis
wait_more "$T/hras.log" "store: up" "$ups" 100
for _ in $(seq 40); do [ "$(bindings)" = 3 ] && break; sleep 0.05; done
[ "$(bindings)" = 3 ] ||
	fail "after Redis's restart it holds $(bindings) bindings, expected 3 (2 kept, oscar's written once back)"
wait_metric sofw_hras_store_up 1
answer - olivia 192.0.2.10 uas.xml
call - oscar 192.0.2.11 olivia uac.xml -timeout 10 -timeout_error || fail "oscar -> olivia after Redis's restart"
wait_uas "olivia after Redis's restart"

log "== Redis a replica for a while (a floating address mid-failover): changes wait for it"
# a master that is not there: Redis keeps its data, and refuses writes
rcli REPLICAOF 127.0.0.1 1 | grep -q OK || fail "REPLICAOF refused"
register - carol 192.0.2.12
wait_log "$T/hras.log" "store: .* takes no commands now .READONLY" 100
[ "$(bindings)" = 3 ] || fail "a read-only Redis holds $(bindings) bindings"
rcli REPLICAOF NO ONE | grep -q OK || fail "REPLICAOF NO ONE refused"
# the commands connection is made again within the backoff (2 s at most)
for _ in $(seq 80); do [ "$(bindings)" = 4 ] && break; sleep 0.05; done
[ "$(bindings)" = 4 ] ||
	fail "carol's registration, refused by the replica, never reached Redis ($(bindings) bindings)"
wait_metric sofw_hras_store_up 1
log "carol's binding, refused while Redis was a replica, written once it was master"

log "== a wrong password: refused, said clearly, the service goes on"
stop_hras
echo wrong >"$T/redis.pw.bad"
chmod 600 "$T/redis.pw.bad"
start_hras --sip 192.0.2.1:5060 --domain $DOMAIN --users "$T/users" \
	--store "redis+unix://$REDIS_SOCK" --store-password-file "$T/redis.pw.bad"
wait_log "$T/hras.log" "store: .* refused the login" 100
register - olivia 192.0.2.10
log "--store redis keeps registrations across restarts of hras-fcgi and of Redis"
