#!/bin/bash
# SPDX-License-Identifier: BSD-3-Clause
# Copyright (c) 2026 the SoFW authors
# bench/fault.sh (make bench): how soon media comes back after a fault,
# SoFW against OpenVPN through the same Squid, measured in the same run
# (issue 11's table).
#
# The world of the fault tests (tests/fault.sh): site a's LAN, whose only
# way out is Squid; nginx and hras-fcgi outside; hrac through Squid
# CONNECT + TLS.  Two calls both ways (alice inside calls olivia outside,
# oscar outside calls bob inside), RTP at 50 packets/s each way: four
# streams.  In the middle of the calls one component is killed (SIGKILL)
# and started again 1 s later:
#
#   squid  Squid
#   nginx  nginx (SoFW's; on the reference path the nginx in front of
#          the OpenVPN server)
#   hras   hras-fcgi (on the reference path: the OpenVPN server, the
#          outside process that holds the tunnel's state)
#   net    nothing killed: the site's uplink (Squid's host to the
#          outside) silent, every packet dropped, and restored 1 s
#          later (tests/fault.sh); both paths cross it
#
# Recovery: from the moment the component is usable again (it accepts
# TCP; hras-fcgi: it logs "ready"; net: the uplink is restored) to the first packet after it on the
# stream that comes back last; "never" if one did not within
# FAULT_POST_MS (8 s).  Loss and duplicates: packets of the four streams.
#
# The reference path (bench/ovpn.sh): OpenVPN through the same Squid,
# the same four streams at 50 packets/s between the inside phones' VPN
# address and the outside phones: the media of the same two calls once
# SIP had set them up, carried as plain IP with no relay (the VPN's best
# case; its SIP server plays no part in it).
#
# FAULT_BENCH=squid,nginx,hras,net selects faults; FAULT_BENCH_ROUNDS
# (default 2) runs each that many times, one table row each.
. "$(dirname "$0")/../tests/fault.sh"

FAULT_POST_MS=${FAULT_POST_MS:-8000}
ROUNDS=${FAULT_BENCH_ROUNDS:-2}
FAULTS=${FAULT_BENCH:-squid,nginx,hras,net}
. "$SOFW_TOP/bench/ovpn.sh"

# ---- the reference path's components, for fault_run ----------------------
fault_pid_ovpn_server() { echo "$VPN_SERVER_PID"; }
fault_start_ovpn_server() {
	fault_probe - listen 127.0.0.1 1194
	vpn_server
}
fault_pid_ovpn_nginx() { echo "$VPN_NGINX_PID"; }
fault_start_ovpn_nginx() {
	fault_probe - listen 192.0.2.2 443
	vpn_nginx
}

# vpn_streams: the four streams of the two calls over the VPN; sets
# FAULT_IN, FAULT_OUT as fault_calls does
vpn_streams() {
	rm -f "$T/media-in.json" "$T/media-out.json"
	ip netns exec "$(fw_ns lan-a)" python3 "$FM" run --out "$T/media-in.json" \
		--seconds 100 --stream c1-up $VPN_IN:7100 192.0.2.10:16100 \
		--stream c2-up $VPN_IN:7102 192.0.2.11:16102 >"$T/media-in.out" 2>&1 &
	FAULT_IN=$!
	python3 "$FM" run --out "$T/media-out.json" --seconds 100 \
		--stream c1-down 192.0.2.10:16100 $VPN_IN:7100 \
		--stream c2-down 192.0.2.11:16102 $VPN_IN:7102 >"$T/media-out.out" 2>&1 &
	FAULT_OUT=$!
	wait_udp lan-a $VPN_IN 7102
	wait_udp - 192.0.2.11 16102
	sleep 0.5 # as the calls' streams start about this long after "talking"
}

# ---- one fault on each path ---------------------------------------------
declare -A R

# figures PATH FAULT ROUND: the report's summary into R
figures() {
	local k=$1,$2,$3 rec
	rec=$(fault_figure max_recovery_ms)
	[ "${rec:--1}" -lt 0 ] && rec=never
	R[$k,rec]=$rec
	R[$k,lost]=$(fault_figure lost) R[$k,sent]=$(fault_figure sent)
	R[$k,dup]=$(fault_figure dup) R[$k,outage]=$(fault_figure outage_ms)
	[ "$rec" = never ] && rec="never back" || rec="back $rec ms after the component"
	log "$1, $2 (round $3): media $rec, ${R[$k,lost]} of ${R[$k,sent]} lost, ${R[$k,dup]} twice, outage ${R[$k,outage]} ms"
}

sofw_fault() {
	local what=$1 round=$2 ok=yes p
	log "==== SoFW mid-call, $(fault_says "$what") (round $round)"
	fault_calls
	fault_run "$what"
	figures sofw "$what" "$round"
	# the calls end with BYE about 3 s later, or have failed: a caller
	# still running after 8 s (and its called phone after 3 s more) is
	# stopped
	for p in "$FAULT_UAC1" "$FAULT_UAC2"; do
		fault_wait "$p" 8 || ok=no
	done
	for p in "$FAULT_UAS1" "$FAULT_UAS2"; do
		fault_wait "$p" 3
	done
	R[sofw,$what,$round,bye]=$ok
	log "SoFW, $what (round $round): both calls ended with BYE 200: $ok"
	# after hras-fcgi's restart the inside phones register again
	register lan-a alice $FW_PLAN.11
	register lan-a bob $FW_PLAN.12
}

vpn_fault() {
	local what=$1 round=$2 comp
	case $what in
	squid) comp=squid ;;
	nginx) comp=ovpn_nginx ;;
	hras) comp=ovpn_server ;;
	net) comp=net ;;
	esac
	log "==== OpenVPN mid-call, $(fault_says "$comp") (round $round)"
	vpn_up
	vpn_streams
	fault_run "$comp"
	figures ovpn "$what" "$round"
}

fault_world >/dev/null
fault_hrac connect >/dev/null
vpn_world

for round in $(seq "$ROUNDS"); do
	for what in squid nginx hras net; do
		case ",$FAULTS," in *",$what,"*) ;; *) continue ;; esac
		vpn_fault "$what" "$round"
		sofw_fault "$what" "$round"
	done
done

# ---- the table ----------------------------------------------------------
ratio() {
	case "$1,$2" in
	never,never) echo - ;;
	never,*) echo never ;;
	*,never) echo n/a ;;
	*) awk -v a="$1" -v b="$2" 'BEGIN { if (b > 0) printf "%.3f", a / b; else print "n/a" }' ;;
	esac
}
echo
echo "fault bench: two calls, 50 packets/s each way (4 streams); the component"
echo "killed and started again (or the uplink silent and restored) ${FAULT_RESTART_MS} ms later;"
echo "recovery from the moment it is usable again; ratio SoFW / OpenVPN (below 1:"
echo "SoFW is back sooner)"
printf '  %-23s %5s %8s %10s %6s %11s %11s %7s %4s\n' fault round "SoFW ms" \
	"OpenVPN ms" ratio "loss SoFW" "loss OVPN" "dup S/O" BYE
for round in $(seq "$ROUNDS"); do
	for what in squid nginx hras net; do
		case ",$FAULTS," in *",$what,"*) ;; *) continue ;; esac
		case $what in
		squid) label="Squid" ;;
		nginx) label="nginx" ;;
		hras) label="hras-fcgi / OVPN server" ;;
		net) label="uplink silent" ;;
		esac
		s=sofw,$what,$round o=ovpn,$what,$round
		printf '  %-23s %5s %8s %10s %6s %11s %11s %7s %4s\n' "$label" "$round" \
			"${R[$s,rec]}" "${R[$o,rec]}" "$(ratio "${R[$s,rec]}" "${R[$o,rec]}")" \
			"${R[$s,lost]}/${R[$s,sent]}" "${R[$o,lost]}/${R[$o,sent]}" \
			"${R[$s,dup]}/${R[$o,dup]}" "${R[$s,bye]}"
	done
done
echo "  (loss: packets of the four streams lost / sent; BYE: both SoFW calls"
echo "  ended with BYE 200; goal: SoFW back within 500 ms of Squid, nginx and"
echo "  the uplink, 1000 ms of hras-fcgi)"
