#!/bin/bash
# SPDX-License-Identifier: BSD-3-Clause
# Copyright (c) 2026 the SoFW authors
# SIP frames are never lost or duplicated across an HTTP reconnect: the
# real hrac carries numbered SIP datagrams from a stand-in phone to
# hras-fcgi (echo) and back while Squid and then nginx are restarted
# under it.  Every datagram must come back exactly once, in order.
. "$(dirname "$0")/../lib.sh"

start_hras --echo
start_nginx
start_squid none

phone() { # 600 datagrams at 40/s: 15 s in flight; progress each 20
	python3 "$SOFW_TOP/tests/tools/sip-udp-echo.py" 127.0.0.1 "$1" "$2" 900 40 40 20
}

run() {
	local what=$1 sipport=$2
	shift 2
	log "== $what"
	start_hrac site-a --sip 127.0.0.1:$sipport "$@"
	local hrac=$HRAC_PID
	wait_log "$T/hrac-site-a.log" "up: streaming works" 200

	phone $sipport 600 >"$T/phone.out" 2>&1 &
	local ph=$! L=$T/hrac-site-a.log cut back
	# 2 s of datagrams have come back: the next ones are in flight
	wait_log "$T/phone.out" "progress received=80" 200
	log "restarting Squid"
	cut=$(grep -cE "warning: (down|up): " "$L")
	back=$(grep -c "down: streaming again" "$L")
	stop_squid
	wait_more "$L" "warning: (down|up): " "$cut" 200 # hrac saw it go
	start_squid
	wait_more "$L" "down: streaming again" "$back" 300 # and recovered
	log "restarting nginx"
	cut=$(grep -cE "warning: (down|up): " "$L")
	back=$(grep -c "down: streaming again" "$L")
	stop_nginx
	wait_more "$L" "warning: (down|up): " "$cut" 200
	start_nginx
	wait_more "$L" "down: streaming again" "$back" 300
	grep -q "result " "$T/phone.out" &&
		fail "$what: the phone was done before the restarts were"
	wait $ph
	local rc=$?
	grep -v '^progress' "$T/phone.out" | sed 's/^/    phone: /'
	[ $rc = 0 ] || fail "$what: SIP datagrams lost, duplicated or reordered"
	grep -q "received=600 duplicates=0 damaged=0 in_order=1" "$T/phone.out" ||
		fail "$what: not every datagram came back once, in order"
	# the tunnel really broke and recovered, more than once
	local breaks
	breaks=$(grep -cE "warning: (down|up): " "$T/hrac-site-a.log")
	log "hrac reported $breaks failed streams and recovered"
	[ "$breaks" -ge 2 ] || fail "$what: the restarts did not break the tunnel?"
	stop_pid $hrac
	mv "$T/hrac-site-a.log" "$T/hrac-site-a-$sipport.log"
}

run "through Squid as a plain proxy" 5060 \
	--server http://127.0.0.1/sofw/ --proxy $PROXY
run "through Squid CONNECT + TLS" 5062 \
	--server https://127.0.0.1/sofw/ --cacert "$T/hras.crt" --proxy $PROXY

log "no SIP frame lost or duplicated across reconnects"
