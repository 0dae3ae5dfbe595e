# SPDX-License-Identifier: BSD-3-Clause
# Copyright (c) 2026 the SoFW authors
# bench/ovpn.sh: the benchmarks' reference path, OpenVPN through the same
# Squid as SoFW (bench/fault.sh, bench/voice.sh source it after
# tests/lib.sh, sip.sh and fw.sh, once fw_world has made site a).
#
# OpenVPN (Debian's 2.6), in the namespaces of fw.sh: its client in
# site a's LAN (proto tcp-client, --http-proxy to the site's Squid,
# which CONNECTs it to port 443), nginx's stream module on 192.0.2.2:443
# passing the TCP on to the OpenVPN server on 127.0.0.1:1194 (point to
# point, TLS with self-signed certificates made here and pinned with
# --peer-fingerprint, --persist-tun, the default connect-retry of 1 s,
# TCP_NODELAY on both ends: without it Nagle's algorithm holds small
# packets back, adding 1-2 ms to the round trip of a few calls, a
# handicap no one running voice over it would leave).
# The LAN reaches the outside phones 192.0.2.10 and .11 through it, from
# VPN_IN; the traffic is plain IP with no relay (a VPN's best case).
#
# PIDs: VPN_SERVER_PID, VPN_NGINX_PID (its master; the worker is its
# child), VPN_CLIENT_PID.

STREAM_MOD=/usr/lib/nginx/modules/ngx_stream_module.so
FM=${FM:-$SOFW_TOP/tests/tools/fault-media.py}
V=$T/ovpn
VPN_IN=10.77.99.2 VPN_OUT=10.77.99.1
VPN_SERVER_PID= VPN_NGINX_PID= VPN_CLIENT_PID=
# both ends' socket flags (OVPN_SOCKET_FLAGS= for OpenVPN's default,
# Nagle on)
VPN_FLAGS=(${OVPN_SOCKET_FLAGS-TCP_NODELAY})
VPN_FLAGS=(${VPN_FLAGS:+--socket-flags "${VPN_FLAGS[@]}"})
[ -f "$STREAM_MOD" ] || fail "no $STREAM_MOD (Debian's libnginx-mod-stream)"
command -v openvpn >/dev/null || fail "no openvpn (Debian's openvpn)"

# two self-signed certificates; each end pins the other's
vpn_keys() {
	local n
	mkdir -p "$V"
	chmod 700 "$V"
	for n in server client; do
		openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 \
			-nodes -days 2 -subj "/CN=bench-$n" -keyout "$V/$n.key" \
			-out "$V/$n.crt" >/dev/null 2>&1 || fail "openssl: the $n certificate"
		openssl x509 -in "$V/$n.crt" -noout -fingerprint -sha256 |
			cut -d= -f2 >"$V/$n.fp"
	done
}

vpn_server() {
	openvpn --dev tun --ifconfig $VPN_OUT $VPN_IN --proto tcp-server \
		--local 127.0.0.1 --lport 1194 --tls-server --dh none \
		--cert "$V/server.crt" --key "$V/server.key" \
		--peer-fingerprint "$(cat "$V/client.fp")" --persist-tun \
		--persist-key "${VPN_FLAGS[@]}" --verb 3 >>"$T/ovpn-server.log" 2>&1 &
	VPN_SERVER_PID=$!
	track $VPN_SERVER_PID "openvpn server"
}

vpn_nginx() {
	mkdir -p "$V/nginx"
	cat >"$V/nginx/nginx.conf" <<-EOT
		load_module $STREAM_MOD;
		worker_processes 1;
		pid $V/nginx/nginx.pid;
		error_log $V/nginx/error.log info;
		events { worker_connections 256; }
		stream {
		    server {
		        listen 192.0.2.2:443;
		        proxy_pass 127.0.0.1:1194;
		    }
		}
	EOT
	nginx -p "$V/nginx" -c "$V/nginx/nginx.conf" -g 'daemon off;' \
		>>"$T/ovpn-nginx.log" 2>&1 &
	VPN_NGINX_PID=$!
	track $VPN_NGINX_PID "nginx (OpenVPN's)"
}

vpn_client() {
	# a simple command, so that $! is openvpn itself (ip execs it)
	ip netns exec "$(fw_ns lan-a)" openvpn --dev tun \
		--ifconfig $VPN_IN $VPN_OUT --proto tcp-client \
		--remote 192.0.2.2 443 --http-proxy $FW_PLAN.1 3128 --nobind \
		--tls-client --cert "$V/client.crt" --key "$V/client.key" \
		--peer-fingerprint "$(cat "$V/server.fp")" --persist-tun \
		--persist-key "${VPN_FLAGS[@]}" --route 192.0.2.10 \
		--route 192.0.2.11 --verb 3 \
		>>"$T/ovpn-client.log" 2>&1 &
	VPN_CLIENT_PID=$!
	track $VPN_CLIENT_PID "openvpn client"
}

# vpn_up: the client's last word is that its tunnel is up (within 30 s)
vpn_up() {
	for _ in $(seq 600); do
		grep -E "Initialization Sequence Completed|Restart pause|restarting|SIGUSR1" \
			"$T/ovpn-client.log" 2>/dev/null | tail -1 |
			grep -q "Initialization Sequence Completed" && return 0
		sleep 0.05
	done
	fail "the OpenVPN tunnel did not come up within 30 s"
}

# vpn_listens HOST PORT: (a connection would make the OpenVPN server
# restart, with a pause)
vpn_listens() {
	python3 "$FM" when listen "$1" "$2" --out /dev/null --timeout 10 >/dev/null ||
		fail "nothing listens on $1:$2"
}

# vpn_world: the whole reference path, up
vpn_world() {
	ip addr add 192.0.2.2/32 dev lo
	vpn_keys
	vpn_server
	vpn_listens 127.0.0.1 1194
	vpn_nginx
	vpn_listens 192.0.2.2 443
	vpn_client
	vpn_up
	log "OpenVPN up: $VPN_IN (lan-a) <-> $VPN_OUT, through Squid and nginx"
}
