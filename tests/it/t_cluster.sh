#!/bin/bash
# SPDX-License-Identifier: BSD-3-Clause
# Copyright (c) 2026 the SoFW authors
# Several nodes (issue 13, part 2): two hras-fcgi nodes (192.0.2.21 and
# .22, FastCGI over TCP) share one Redis (appendonly) behind one nginx
# that hashes on X-SoFW-Id (nginx/sofw-cluster.conf as shipped).  Two
# sites' HRACs are at home on different nodes; outside phones register
# through different nodes; calls with audio work across nodes.  A node
# killed (SIGKILL): its HRAC is at home on the other node within 2 s, and
# the registrations are kept (a call to a phone that registered through
# the dead node's HRAC works without a new REGISTER).  Requests forged
# from outside with site-a's X-SoFW-Id (so nginx routes them to its home
# node), with its token seen on the path but no proof, or a made-up
# token: 404 unknown-session, a wrong open proof 403, and nothing they
# carry reaches a phone or the far end of site-a's call, which goes on.
# Redis killed and restarted: nothing lost, the nodes reconnect by
# themselves.  Forwards between nodes: forged ones are refused (407), and
# a genuine one is never sent back to the node it came from (480).
. "$(dirname "$0")/../lib.sh"
. "$SOFW_TOP/tests/sip.sh"
. "$SOFW_TOP/tests/fw.sh"

command -v redis-server >/dev/null || fail "needs redis-server"
# outside phones register and call through the node VIA names
VIA=192.0.2.21
server_of() { [ "$1" = - ] && echo $VIA:5060 || echo 10.77.1.1:5060; }

echo "cluster-$$-$RANDOM" >"$T/redis.pw"
chmod 600 "$T/redis.pw"
REDIS_PID=
start_redis() {
	mkdir -p "$T/redis"
	redis-server --bind 192.0.2.1 --port 6379 --dir "$T/redis" \
		--appendonly yes --appendfsync always --save '' \
		--requirepass "$(cat "$T/redis.pw")" --daemonize no \
		>>"$T/redis.log" 2>&1 &
	REDIS_PID=$!
	track $REDIS_PID redis-server
	wait_tcp 192.0.2.1 6379
}
rcli() { redis-cli -h 192.0.2.1 --no-auth-warning -a "$(cat "$T/redis.pw")" "$@"; }
bindings() { rcli --scan --pattern 'sofw:b:*' | wc -l; }

# start_node N: node N on 192.0.2.2N: FastCGI :9000, SIP :5060
declare -A NODE_PID=()
start_node() {
	local n=$1 a=192.0.2.2$1
	"$BIN/hras-fcgi" -f -v -s "$a:9000" --socket-remote --hracs "$T/hracs" \
		--sip "$a:5060" --domain $DOMAIN --users "$T/users" \
		--public-ip "$a" --rtp-ports 3${n}000-3${n}999 \
		--status-allow 192.0.2.0/24 --store redis://192.0.2.1:6379 \
		--store-password-file "$T/redis.pw" \
		--node-id "node$n" --node-sip "$a:5060" >>"$T/node$n.log" 2>&1 &
	NODE_PID[$n]=$!
	track $! "hras-fcgi node$n"
	wait_log "$T/node$n.log" "store: up" 100
}

# home_of HRAC: the node whose log last says the HRAC is at home there
home_of() {
	grep -H "store: HRAC $1 is at home on this node" "$T"/node?.log |
		sort -t' ' -k2,2 | tail -1 | sed 's|.*/node\([0-9]\)\.log:.*|\1|'
}

wan_up
ip addr add 192.0.2.21/32 dev lo
ip addr add 192.0.2.22/32 dev lo
make_identity site-a
make_identity site-b
for u in alice bob olivia oscar; do make_user $u $u-pw; done
start_redis
start_node 1
start_node 2
wait_log "$T/node1.log" "store: node node2 is up" 100

# nginx: the shipped cluster site, its upstream our two nodes, plain HTTP
mkdir -p "$T/nginx-tmp"
sed -e 's|server 10.0.0.1:9000|server 192.0.2.21:9000|' \
	-e 's|server 10.0.0.2:9000|server 192.0.2.22:9000|' \
	-e '/server 10.0.0.3:9000/d' -e '/listen \[::\]/d' -e '/ssl_/d' \
	-e 's|listen 443 ssl http2;|listen 192.0.2.1:80;|' \
	-e 's|include fastcgi_params;|include /etc/nginx/fastcgi_params;|' \
	"$SOFW_TOP/nginx/sofw-cluster.conf" >"$T/sofw-cluster.conf"
cat >"$T/nginx.conf" <<NGINX
worker_processes 1;
pid $T/nginx.pid;
error_log $T/nginx-error.log info;
events { worker_connections 1024; }
http {
    log_format sofw '\$request_method \$uri \$status id=\$http_x_sofw_id up=\$upstream_addr';
    access_log $T/nginx-access.log sofw;
    client_body_temp_path $T/nginx-tmp/body;
    fastcgi_temp_path $T/nginx-tmp/fastcgi;
    proxy_temp_path $T/nginx-tmp/proxy;
    uwsgi_temp_path $T/nginx-tmp/uwsgi;
    scgi_temp_path $T/nginx-tmp/scgi;
    include $T/sofw-cluster.conf;
}
NGINX
nginx -p "$T" -c "$T/nginx.conf" -g 'daemon off;' >>"$T/nginx.log" 2>&1 &
NGINX_PID=$!
track $NGINX_PID nginx
wait_tcp 192.0.2.1 80

# nginx's consistent hash (160 points per node, crc32) puts site-a on
# node2 and site-b on node1 with these node addresses
site site-a 1
site site-b 2
# someone on site-a's path (plain HTTP): the last session token it saw
python3 - wsite-a "$T/site-a.token" <<'PY' &
import re, signal, socket, sys
signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))
s = socket.socket(socket.AF_PACKET, socket.SOCK_RAW, socket.htons(3))
s.bind((sys.argv[1], 0))
open(sys.argv[2], "wb").close()  # listening
last = b""
while True:
    m = re.search(rb"X-SoFW-Session: ([0-9a-f]{32})", s.recv(65536))
    if m and m.group(1) != last:
        last = m.group(1)
        open(sys.argv[2], "wb").write(last + b"\n")
PY
track $! "site-a's path sniffer"
for _ in $(seq 100); do [ -e "$T/site-a.token" ] && break; sleep 0.02; done
start_site_hrac site-a --server http://192.0.2.1/sofw/
start_site_hrac site-b --server http://192.0.2.1/sofw/
for _ in $(seq 40); do
	[ -n "$(home_of site-a)" ] && [ -n "$(home_of site-b)" ] && break
	sleep 0.05
done
A=$(home_of site-a) C=$(home_of site-b)
log "site-a is at home on node$A, site-b on node$C"
[ -n "$A" ] && [ -n "$C" ] || fail "the HRACs did not settle on a node"
[ "$A" != "$C" ] || fail "both HRACs hash to node$A: the test needs them apart"
rcli GET sofw:home:site-a | grep -qx "site-a:node$A" || fail "Redis does not say site-a is on node$A"

register site-a alice 10.77.1.10
register site-b bob 10.77.1.10
VIA=192.0.2.2$A register - olivia 192.0.2.10
VIA=192.0.2.2$C register - oscar 192.0.2.11
for _ in $(seq 40); do [ "$(bindings)" = 4 ] && break; sleep 0.05; done
[ "$(bindings)" = 4 ] || fail "Redis holds $(bindings) bindings, expected 4"

# call_done WHAT: the caller's and the called phone's scenarios completed
call_done() {
	wait "$UAC_PID" || fail "$1: the caller's scenario failed"
	wait_uas "$1"
	kill "$ECHO_PID" 2>/dev/null
	wait "$ECHO_PID" || fail "$1: the called phone's echo failed"
}

# udp_sink WHERE IP PORT SECONDS OUT: a phone or relay target (WHERE a
# site or - for the wan) that counts for SECONDS what reaches it, into OUT;
# sets SINK_PID
udp_sink() {
	local run=()
	[ "$1" != - ] && run=(ip netns exec "$NS-$1")
	"${run[@]}" timeout $(($4 + 2)) python3 -c '
import socket, sys, time
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.bind((sys.argv[1], int(sys.argv[2]))); s.settimeout(0.2)
n, end = 0, time.time() + float(sys.argv[3])
while time.time() < end:
    try:
        s.recv(4000); n += 1
    except socket.timeout:
        pass
print(n)' "$2" "$3" "$4" >"$5" 2>&1 &
	SINK_PID=$!
	wait_udp "$1" "$2" "$3"
}

# forged_up RELAY: frames of site-a's inside phone alice: an OPTIONS for
# a sink on the wan, and 20 RTP packets (a stranger's SSRC) of alice's
# call on relay port RELAY
forged_up() {
	python3 - "$1" <<'PY'
import struct, sys
relay = int(sys.argv[1])
alice = bytes([10, 77, 1, 10])
sip = (b"OPTIONS sip:sink@192.0.2.12:5098 SIP/2.0\r\n"
       b"Via: SIP/2.0/UDP 10.77.1.10:5060;branch=z9hG4bK-forged\r\n"
       b"Max-Forwards: 70\r\nFrom: <sip:alice@example.test>;tag=f\r\n"
       b"To: <sip:sink@192.0.2.12>\r\nCall-ID: forged-up@x\r\n"
       b"CSeq: 1 OPTIONS\r\nContent-Length: 0\r\n\r\n")
out = struct.pack("!BBBBIHH", 1, 1, 2, 0, len(sip), 5060, 0) + alice
out += struct.pack("!II", 1, 0) + sip
for i in range(20):
    rtp = struct.pack("!BBHII", 0x80, 0, i, i * 160, 0xbad0bad0) + bytes(160)
    out += struct.pack("!BBBBIHH", 1, 2, 0, 0, len(rtp), 7000, relay) + alice + rtp
sys.stdout.write(out.hex())
PY
}

log "== alice (site-a, node$A) calls olivia (registered through node$A)"
# the forgeries below run between the call's two talks: seven requests
# of a Python client, 4 s on a box busy with other tests (seen in CI),
# when the call hung up 3 s after it resumed (TALK_MS): it talks longer
TALK_MS=6000 voice_call site-a alice 10.77.1.10 7000 - olivia 192.0.2.10 16000

log "== requests forged with site-a's X-SoFW-Id, mid-call: refused on node$A, nothing gets through"
[ -s "$T/site-a.token" ] || fail "the sniffer on site-a's path saw no session token"
tok=$(cat "$T/site-a.token")
other=$(head -c 16 /dev/urandom | od -An -tx1 | tr -d ' \n')
key=$(head -c 32 /dev/urandom | od -An -tx1 | tr -d ' \n')
opens=$(grep -c "session of HRAC 'site-a'" "$T/node$A.log")
lost=$(grep -c "session lost" "$T/hrac-site-a.log")
seen=$(wc -l <"$T/nginx-access.log")
udp_sink site-a 10.77.1.10 5060 2 "$T/sink-alice.out"
SINK_A=$SINK_PID
udp_sink - 192.0.2.12 5098 2 "$T/sink-wan.out"
SINK_W=$SINK_PID
frames=$(forged_up "${PEER##*:}")
H() { SOFW_ID=site-a python3 "$SOFW_TOP/tests/tools/sofw-http.py" http://192.0.2.1/sofw/ "$@"; }
for req in "up $tok $frames" "up $tok.$key $frames" "up $other.$key $frames" \
	"down $tok.$key" "close $tok.$key"; do
	# shellcheck disable=SC2086
	got=$(H $req)
	[[ "$got" == "status 404 error=unknown-session"* ]] ||
		fail "forged '${req:0:50}...' was answered '$got', not 404 unknown-session"
done
got=$(H open-raw)
nonce=$(sed -n 's/^challenge SoFW nonce="\([0-9a-f]*\)".*/\1/p' <<<"$got")
[ -n "$nonce" ] && [[ "$got" == *"status 401 error=auth-required"* ]] ||
	fail "an open with site-a's X-SoFW-Id was not challenged: $got"
got=$(H open-raw "SoFW id=\"site-a\", nonce=\"$nonce\", proof=\"$key\"")
[[ "$got" == *"status 403 error=forbidden"* ]] ||
	fail "an open of site-a with a wrong proof was answered: $got"
# nginx sent them all to site-a's home, which holds its session
tail -n +$((seen + 1)) "$T/nginx-access.log" >"$T/forged-access.log"
[ "$(grep -c " 40[134] id=site-a up=192.0.2.2$A:9000$" "$T/forged-access.log")" = 7 ] ||
	fail "the forged requests did not all reach node$A: $(cat "$T/forged-access.log")"
[ "$(grep -c "for 'site-a': no valid request proof" "$T/node$A.log")" -ge 4 ] ||
	fail "node$A did not find site-a's session for the token seen on the path"
expect_log "$T/node$A.log" "open refused from .*: wrong secret for HRAC 'site-a'"
# site-a's session is the one it had, and its call carries audio still
# (while the sinks count: the call hangs up soon after it resumes)
wait_step uac-alice-olivia resumed
talk site-a 10.77.1.10 7000 "$PEER"
call_done "alice -> olivia"
wait "$SINK_A" && wait "$SINK_W" || fail "a sink failed"
[ "$(cat "$T/sink-alice.out") $(cat "$T/sink-wan.out")" = "0 0" ] ||
	fail "forged frames got through: $(cat "$T/sink-alice.out") packets to alice's phone, $(cat "$T/sink-wan.out") to the wan's sink"
[ "$(grep -c "session of HRAC 'site-a'" "$T/node$A.log")" = "$opens" ] &&
	[ "$(grep -c "session lost" "$T/hrac-site-a.log")" = "$lost" ] ||
	fail "site-a's session was replaced or lost during the forgeries"
echo_out=$(cat "$T/echo-olivia.out")
[ "$(field_of strangers "$echo_out")" = 0 ] ||
	fail "forged RTP reached olivia, the far end of site-a's call: $echo_out"
log "7 forged requests refused (404, 401, 403) on node$A; 0 packets reached the sinks or olivia; site-a's session and call unharmed"

log "== bob (site-b, node$C) calls olivia (registered through node$A): through node$A"
voice_call site-b bob 10.77.1.10 7002 - olivia 192.0.2.10 16002
call_done "bob -> olivia"
# through the node she registered through (her NAT lets only it in)
received uas-olivia INVITE | grep -q "^Via: SIP/2.0/UDP 192.0.2.2$A:5060" ||
	fail "the INVITE did not reach olivia through node$A, her registration's"

log "== oscar (through node$C) calls alice (site-a, node$A): node$C forwards to node$A"
VIA=192.0.2.2$C
voice_call - oscar 192.0.2.11 16008 site-a alice 10.77.1.10 7008
call_done "oscar -> alice across nodes"
received uas-alice INVITE | grep -q "^Record-Route: .*192.0.2.2$C" ||
	fail "node$C did not Record-Route itself on the INVITE it forwarded"

# invite SRC NODE [PROVER KEY]: an INVITE for alice from SRC:5099 to node
# NODE, claiming oscar (one of ours), without credentials; with PROVER,
# the X-SoFW-Node proof of node PROVER under KEY (sofw:rr-key's hex);
# prints the final answer
invite() {
	python3 - "$@" <<'PY'
import hashlib, hmac, socket, sys
src, node = sys.argv[1], sys.argv[2]
cid = "invite-%s-%s@x" % (src, node)
hdr = ""
if len(sys.argv) > 4:
    mac = hmac.new(bytes.fromhex(sys.argv[4]),
                   ("SoFW-node node%s %s 1 INVITE" % (sys.argv[3], cid)).encode(),
                   hashlib.sha256).hexdigest()
    hdr = "X-SoFW-Node: node%s %s\r\n" % (sys.argv[3], mac)
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.bind((src, 5099)); s.settimeout(3)
m = ("INVITE sip:alice@example.test SIP/2.0\r\n"
     "Via: SIP/2.0/UDP %s:5099;branch=z9hG4bK-%s;rport\r\n"
     "Max-Forwards: 69\r\nFrom: <sip:oscar@example.test>;tag=f1\r\n"
     "To: <sip:alice@example.test>\r\nCall-ID: %s\r\n"
     "CSeq: 1 INVITE\r\nContact: <sip:oscar@%s:5099>\r\n%s"
     "Content-Length: 0\r\n\r\n") % (src, cid, cid, src, hdr)
s.sendto(m.encode(), ("192.0.2.2" + node, 5060))
while True:
    r = s.recv(4000).decode().split("\r\n")[0]
    if not r.startswith("SIP/2.0 1"):
        print(r); break
PY
}
# sink_alice: alice's phone becomes a sink that counts what reaches it
# for 3 s (into $T/sink-alice.out; SINK_PID)
sink_alice() { udp_sink site-a 10.77.1.10 5060 3 "$T/sink-alice.out"; }
log "== forged forwards: from an address no node announces, or from a node's without its proof"
sink_alice
got=$(invite 192.0.2.12 "$A")
[[ "$got" == "SIP/2.0 407"* ]] || fail "a forged forward from 192.0.2.12 was answered '$got', not 407"
got=$(invite "192.0.2.2$C" "$A")
[[ "$got" == "SIP/2.0 407"* ]] || fail "a forward from node$C's address without its proof was answered '$got', not 407"
wait "$SINK_PID" || fail "alice's sink failed: $(cat "$T/sink-alice.out")"
[ "$(cat "$T/sink-alice.out")" = 0 ] ||
	fail "the forged INVITEs reached alice: $(cat "$T/sink-alice.out") packets"
log "refused with 407, nothing reached alice"

# A forward node$C would send straight back to the node it came from (a
# moment when two nodes' views of a home differ): a genuine forward, with
# node$A's proof under the cluster's key, from node$A's address to node$C
# for alice, whose HRAC is at home on node$A.  node$C must not pass it
# back (the two would bounce it until Max-Forwards ran out): 480.
log "== a forward is never sent back to the node it came from"
sink_alice
got=$(invite "192.0.2.2$A" "$C" "$A" "$(rcli GET sofw:rr-key)")
[[ "$got" == "SIP/2.0 480"* ]] || fail "node$C answered a forward from node$A for alice '$got', not 480"
grep -q "not sent back to node node$A" "$T/node$C.log" ||
	fail "node$C's log does not say why it refused the forward"
wait "$SINK_PID" || fail "alice's sink failed: $(cat "$T/sink-alice.out")"
[ "$(cat "$T/sink-alice.out")" = 0 ] ||
	fail "the forward bounced back reached alice: $(cat "$T/sink-alice.out") packets"
log "480, not bounced back; nothing reached alice"

log "== node$A killed: site-a moves to node$C"
homes=$(grep -c "store: HRAC site-a is at home" "$T/node$C.log")
t0=$(date +%s%N)
kill_expect "${NODE_PID[$A]}" KILL 137
wait_more "$T/node$C.log" "store: HRAC site-a is at home" "$homes" 100
ms=$((($(date +%s%N) - t0) / 1000000))
log "site-a is at home on node$C $ms ms after node$A was killed"
[ "$ms" -le 2000 ] || fail "site-a took $ms ms to reach node$C (more than 2 s)"
wait_log "$T/node$C.log" "store: node node$A is gone" 100

log "== oscar (through node$C) calls alice: her registration was kept"
VIA=192.0.2.2$C
voice_call - oscar 192.0.2.11 16004 site-a alice 10.77.1.10 7004
call_done "oscar -> alice after the failover"

log "== Redis killed and restarted: nothing lost, the node reconnects"
before=$(bindings)
ups=$(grep -c "store: up" "$T/node$C.log")
kill_expect "$REDIS_PID" KILL 137
wait_log "$T/node$C.log" "store: commands connection to .* lost" 100
start_redis
wait_more "$T/node$C.log" "store: up" "$ups" 100
[ "$(bindings)" -ge "$before" ] || fail "Redis holds $(bindings) bindings after its restart, $before before"
rcli GET sofw:home:site-a | grep -qx "site-a:node$C" ||
	fail "site-a's home was not written back after Redis's restart"
voice_call site-a alice 10.77.1.10 7006 - oscar 192.0.2.11 16006
call_done "alice -> oscar after Redis's restart"
log "two nodes share registrations and homes; a node's loss and Redis's restart lose nothing"
