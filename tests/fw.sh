# SPDX-License-Identifier: BSD-3-Clause
# Copyright (c) 2026 the SoFW authors
# The corporate firewall of the voice tests (source after lib.sh, sip.sh).
#
#   lan-X (10.77.10.0/24)  --  proxy-X (Squid)  --  wan (this test's own
#   phones .11 .12, hrac .10   10.77.10.1 |          namespace: nginx and
#   no route out               198.51.100.(4n+2)     hras-fcgi on 192.0.2.1,
#                              IP forwarding off      outside phones .10-.13)
#
# Two sites (X = a, b) have the same private plan.  The only way out of a
# LAN is Squid on its proxy host.

FW_PLAN=10.77.10
fw_ns() { echo "$NS-$1"; }
in_ns() { local ns; ns=$(fw_ns "$1"); shift; ip netns exec "$ns" "$@"; }

# fw_site X N: lan-X and proxy-X, linked to wan by 198.51.100.(4N+1)/30
fw_site() {
	local x=$1 n=$2 lan proxy w p
	lan=$(fw_ns lan-$x) proxy=$(fw_ns proxy-$x)
	w=198.51.100.$((4 * n + 1)) p=198.51.100.$((4 * n + 2))
	ip netns add "$lan" && NETNS+=("$lan") || fail "netns $lan"
	ip netns add "$proxy" && NETNS+=("$proxy") || fail "netns $proxy"
	ip -n "$lan" link set lo up
	ip -n "$proxy" link set lo up
	# proxy host <-> wan
	ip link add "fw$x" type veth peer name "up$x" netns "$proxy"
	ip addr add "$w/30" dev "fw$x"
	ip link set "fw$x" up
	ip -n "$proxy" addr add "$p/30" dev "up$x"
	ip -n "$proxy" link set "up$x" up
	ip -n "$proxy" route add default via "$w"
	ip netns exec "$proxy" sysctl -qw net.ipv4.ip_forward=0
	# lan <-> proxy host: no default route in the LAN
	ip -n "$proxy" link add "in$x" type veth peer name "eth0" netns "$lan"
	ip -n "$proxy" addr add "$FW_PLAN.1/24" dev "in$x"
	ip -n "$proxy" link set "in$x" up
	ip -n "$lan" addr add "$FW_PLAN.10/24" dev eth0
	for i in 11 12; do
		ip -n "$lan" addr add "$FW_PLAN.$i/32" dev eth0
	done
	ip -n "$lan" link set eth0 up
}

# fw_squid X: Squid on proxy-X for its LAN (plain and CONNECT to 443);
# its PID in FW_SQUID_X
fw_squid() {
	local x=$1 d=$T/squid-$1
	mkdir -p "$d"
	chown proxy:proxy "$d"
	sed -e "s|@DIR@|$d|g" "$SOFW_TOP/squid-test/auth-none.conf" >"$d/auth.conf"
	sed -e "s|@DIR@|$d|g" -e "s|@LISTEN@|$FW_PLAN.1:3128|" \
		-e "s|@LAN@|$FW_PLAN.0/24|" "$SOFW_TOP/squid-test/squid.conf" \
		>"$d/squid.conf"
	chown proxy:proxy "$d"/*
	ip netns exec "$(fw_ns "proxy-$x")" squid -N -f "$d/squid.conf" \
		>>"$T/squid-$x.log" 2>&1 &
	printf -v "FW_SQUID_$x" %s $!
	track $! "squid of proxy-$x"
	for _ in $(seq 200); do
		in_ns "lan-$x" bash -c "exec 3<>/dev/tcp/$FW_PLAN.1/3128" 2>/dev/null && return 0
		sleep 0.05
	done
	fail "Squid on proxy-$x does not listen"
}

# fw_hrac X plain|connect [hrac args]: hrac of lan-X through its Squid
fw_hrac() {
	local x=$1 mode=$2 url
	shift 2
	if [ "$mode" = connect ]; then
		url="https://192.0.2.1/sofw/ --cacert $T/hras.crt"
	else
		url="http://192.0.2.1/sofw/"
	fi
	# a simple command, so that $! is hrac itself (ip execs it)
	# shellcheck disable=SC2086
	ip netns exec "$(fw_ns "lan-$x")" "$BIN/hrac" -f -v --id "site-$x" \
		--secret-file "$T/site-$x.secret" --server $url \
		--proxy "http://$FW_PLAN.1:3128" --sip "$FW_PLAN.10:5060" \
		--rtp-ip "$FW_PLAN.10" --rtp-ports 40000-40999 \
		--status-file "$T/hrac-$x.status" "$@" >>"$T/hrac-$x.log" 2>&1 &
	FW_HRAC_PID=$!
	printf -v "FW_HRAC_$x" %s $!
	track $FW_HRAC_PID "hrac site-$x"
	wait_log "$T/hras.log" "HRAC 'site-$x': media on $FW_PLAN.10" 200
}

# fw_connect_carried X: Squid of site X carried hrac's tunnel to HRAS as
# a CONNECT.  Squid logs a CONNECT when it ends: this stops hrac of lan-X.
fw_connect_carried() {
	local pid=FW_HRAC_$1 log=$T/squid-$1/squid-access.log
	stop_pid "${!pid}"
	for _ in $(seq 50); do
		grep -q "CONNECT 192.0.2.1:443" "$log" && break
		sleep 0.1
	done
	grep -q "TCP_TUNNEL/200 .* CONNECT 192.0.2.1:443" "$log" ||
		fail "Squid of site $1 did not carry the tunnel"
}

# fw_world [hras args]: wan with HRAS, nginx, users; site a (and b)
fw_world() {
	wan_up
	make_identity site-a
	make_identity site-b
	for u in alice bob olivia oscar; do make_user $u $u-pw; done
	NGINX_ADDR=192.0.2.1
	start_hras --sip 192.0.2.1:5060 --domain $DOMAIN --users "$T/users" \
		--public-ip 192.0.2.1 --rtp-ports 30000-30999 \
		--status-allow 192.0.2.0/24 "$@"
	start_nginx
	fw_site a 0
	fw_site b 1
	fw_squid a
	fw_squid b
}

# status: HRAS's JSON report
status() { curl -s --max-time 5 http://192.0.2.1/sofw/status; }

# status_field NAME: a number from the relay totals
status_field() { status | python3 -c "import json,sys; print(json.load(sys.stdin)['relay']['$1'])"; }

# phones of a LAN register and call through its hrac
server_of() { [ "$1" = - ] && echo 192.0.2.1:5060 || echo $FW_PLAN.10:5060; }

# media_answer WHERE USER IP MPORT [SCENARIO [sipp args]]: USER answers
# one call (default uas_media.xml) with media at IP:MPORT, where an RTP
# echo runs; sets UAS_PID, ECHO_PID
media_answer() {
	local where=$1 user=$2 ip=$3 mport=$4 scen=${5:-uas_media.xml} run=()
	shift 5 2>/dev/null || shift $#
	# a simple command, so that ECHO_PID is the echo itself (ip execs
	# it), not a subshell running in_ns: call_ended's SIGTERM must reach it
	[ "$where" != - ] && run=(ip netns exec "$(fw_ns "$where")")
	sipp_fresh "uas-$user"
	sipp_at "$where" "uas-$user" -sf "$SIPP_SCEN/$scen" -s "$user" \
		-set mip "$ip" -set mport "$mport" "$@" -m 1 -i "$ip" -p 5060 \
		>"$T/uas-$user.out" 2>&1 &
	UAS_PID=$!
	"${run[@]}" timeout 60 python3 "$SOFW_TOP/tests/tools/rtp-peer.py" echo \
		--bind "$ip:$mport" --seconds "${ECHO_SECONDS:-20}" \
		>"$T/echo-$user.out" 2>&1 &
	ECHO_PID=$! ECHO_OUT=$T/echo-$user.out
	wait_udp "$where" "$ip" 5060
	wait_udp "$where" "$ip" "$mport"
	wait_udp "$where" "$ip" $((mport + 1))
}

# media_call WHERE USER IP CALLEE MPORT [SCENARIO [sipp args]]: USER
# calls with media at IP:MPORT; the default uac_media.xml talks for
# TALK_MS, holds, resumes, talks, hangs up; sets UAC_PID
media_call() {
	local where=$1 user=$2 ip=$3 callee=$4 mport=$5 scen=${6:-uac_media.xml}
	shift 6 2>/dev/null || shift $#
	sipp_fresh "uac-$user-$callee"
	sipp_at "$where" "uac-$user-$callee" "$(server_of "$where")" \
		-sf "$SIPP_SCEN/$scen" -s "$user" -au "$user" \
		-ap "$user-pw" -set domain $DOMAIN -set fromdomain $DOMAIN \
		-set callee "$callee" -set maxfwd 70 -set mip "$ip" \
		-set mport "$mport" "$@" -d "${TALK_MS:-3000}" -m 1 -i "$ip" -p 5061 \
		>"$T/uac-$user.out" 2>&1 &
	UAC_PID=$!
}

# voice_call WHERE USER IP MPORT CWHERE CALLEE CIP CMPORT [SCENARIO [sipp
# args]]: the call of the voice tests.  CALLEE answers at CIP (media
# echoed at CIP:CMPORT; scenario UAS_SCEN, default uas_media.xml, with the
# words of UAS_ARGS), USER calls it from IP with media at IP:MPORT
# (media_call's SCENARIO and args), and once the caller is talking, RTP
# and RTCP go to the media address its 200 OK names and come back intact;
# that address is left in PEER, which must match the pattern PEER_LIKE if
# set.  UAC_PID, UAS_PID, ECHO_PID as media_call and media_answer set them.
voice_call() {
	local where=$1 user=$2 ip=$3 mport=$4 cwhere=$5 callee=$6 cip=$7 cmport=$8
	shift 8
	# shellcheck disable=SC2086
	media_answer "$cwhere" "$callee" "$cip" "$cmport" \
		"${UAS_SCEN:-uas_media.xml}" ${UAS_ARGS:-}
	media_call "$where" "$user" "$ip" "$callee" "$mport" "$@"
	wait_step "uac-$user-$callee" talking
	PEER=$(media_peer "uac-$user-$callee")
	# shellcheck disable=SC2254
	case $PEER in
	${PEER_LIKE:-?*}) ;;
	*) fail "$user -> $callee: the 200 OK names '$PEER' for media, not ${PEER_LIKE:-an address}" ;;
	esac
	talk "$where" "$ip" "$mport" "$PEER"
}

# call_ended WHAT: the caller's and the called phone's scenarios
# completed, HRAS is back to no call and no relay port, the echoes stop
# (the phone's, and VIDEO_ECHO if set)
call_ended() {
	wait "$UAC_PID" || fail "$1: the caller's scenario failed"
	wait_uas "$1"
	relay_idle
	# the echoes end on SIGTERM (or by themselves) with exit 0
	kill "$ECHO_PID" ${VIDEO_ECHO:-} 2>/dev/null
	wait "$ECHO_PID" ||
		fail "$1: the called phone's echo failed (exit $?): $(tail -5 "$ECHO_OUT" 2>/dev/null)"
	if [ -n "${VIDEO_ECHO:-}" ]; then
		wait "$VIDEO_ECHO" || fail "$1: the video echo failed"
	fi
}

# wait_step NAME STEP [PID]: the sipp run NAME (process PID, default
# UAC_PID) logged "step STEP", within 15 s
wait_step() {
	for _ in $(seq 300); do
		grep -qs "step $2" "$T"/sipp-$1/*_logs.log && return 0
		kill -0 "${3:-$UAC_PID}" 2>/dev/null || break
		sleep 0.05
	done
	cat "$T"/sipp-$1/*errors.log 2>/dev/null | tail -5
	fail "$1 never reached '$2'"
}

# media_peer NAME [RESPONSE [MEDIA]]: IP:PORT that the SDP of the first
# RESPONSE (default the 200 OK) NAME received names for MEDIA (audio)
media_peer() {
	received "$1" "${2:-SIP/2.0 200}" | tr -d '\r' | awk -v m="m=${3:-audio}" '
		/^c=IN IP4 / { ip = $3 }
		index($0, m " ") == 1 { split($0, f, " "); print ip ":" f[2]; exit }'
}

# talk WHERE IP MPORT DST [MUX]: send 50 RTP packets (and RTCP) to DST
# and expect them all back, intact (the far phone echoes).  MUX: the
# call negotiated rtcp-mux.  "mux" sends RTCP on the RTP port (RFC 5761)
# and it must come back on the RTP port, never on the port above;
# "mux-odd" sends it from and to the ports above RTP, to see where HRAS
# sends it on to the far phone (the test checks the far echo: its RTP
# port), and takes it back on either port (replies go where the RTCP
# came from: latching)
talk() {
	local where=$1 ip=$2 mport=$3 dst=$4 mux=${5:-} run=() out args=()
	[ "$where" != - ] && run=(in_ns "$where")
	[ "$mux" = mux ] && args=(--rtcp-mux)
	out=$("${run[@]}" timeout 30 python3 "$SOFW_TOP/tests/tools/rtp-peer.py" \
		send --bind "$ip:$mport" --to "$dst" --count 50 "${args[@]}")
	log "RTP $ip:$mport -> $dst and back${mux:+ ($mux)}: $out"
	[ "$(field_of received "$out")" -ge 49 ] || fail "RTP lost: $out"
	[ "$(field_of intact "$out")" -ge 49 ] || fail "RTP not intact: $out"
	[ "$(field_of corrupt "$out")" = 0 ] || fail "RTP corrupted: $out"
	[ "$(field_of rtcp "$out")" -ge 4 ] || fail "RTCP lost: $out"
	if [ "$mux" = mux ]; then
		[ "$(field_of rtcp_on_rtp "$out")" -ge 4 ] &&
			[ "$(field_of rtcp_on_odd "$out")" = 0 ] ||
			fail "rtcp-mux: RTCP did not come back on the RTP port alone: $out"
	fi
}
field_of() { sed -n "s/.*\b$1=\([0-9]*\).*/\1/p" <<<"$2"; }

# wait_status NAME VALUE: HRAS's relay totals say NAME is VALUE, within
# 3 s (the report is refreshed every second); returns 1 if not
wait_status() {
	for _ in $(seq 30); do
		[ "$(status_field "$1")" = "$2" ] && return 0
		sleep 0.1
	done
	return 1
}

# relay_idle: HRAS reports no call and no open relay port (within 3 s)
relay_idle() {
	local calls ports
	for _ in $(seq 30); do
		calls=$(status_field calls) ports=$(status_field open_relay_ports)
		[ "$calls" = 0 ] && [ "$ports" = 0 ] && return 0
		sleep 0.1
	done
	fail "after the call HRAS still has $calls calls, $ports relay ports"
}
