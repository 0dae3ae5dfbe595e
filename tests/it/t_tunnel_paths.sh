#!/bin/bash
# SPDX-License-Identifier: BSD-3-Clause
# Copyright (c) 2026 the SoFW authors
# The tunnel carries SIP-sized (1 KiB) and RTP-sized (172 B) frames both
# ways, complete and in order, on every path: direct (HTTP, HTTPS, and
# HTTPS with HTTP/2), through Squid as a plain proxy, through Squid
# CONNECT with TLS (HTTP/1.1 and HTTP/2), and through Squid with Basic
# proxy authentication (plain and CONNECT).
. "$(dirname "$0")/../lib.sh"

start_hras --echo
start_nginx
start_squid basic

run_path() {
	local what=$1
	shift
	log "== $what: hrac --diagnose"
	diagnose site-a "$@" || fail "$what: diagnose failed"
	grep -q "down:       streaming" "$T/diag.out" || fail "$what: down not streaming"
	grep -q "up:         streaming" "$T/diag.out" || fail "$what: up not streaming"
	log "== $what: 200 SIP frames of 1 KiB and 200 RTP frames of 172 B each way"
	probe site-a "$@" --sip 200 --sip-size 1024 --rtp 200 --rtp-size 172 \
		--rate 400 --expect-down streaming --expect-up streaming \
		>"$T/probe.out" 2>&1
	local rc=$?
	sed 's/^/    probe: /' "$T/probe.out"
	[ $rc = 0 ] || fail "$what: frames lost, duplicated, damaged or out of order"
	grep -q "sip_recv=200 " "$T/probe.out" || fail "$what: SIP count"
	grep -q "rtp_recv=200 " "$T/probe.out" || fail "$what: RTP count"
}

# nginx's 443 offers HTTP/2 as well (ALPN), as nginx/sofw-site.conf
# does, and hrac offers HTTP/1.1 alone unless told (--http-version 2):
# then libcurl takes HTTP/2, through a CONNECT proxy too (ALPN is end to
# end)
requests_over() { grep -c "\"\(GET /sofw/down\|POST /sofw/up\) HTTP/$1\"" "$T/nginx-access.log"; }
run_path "direct HTTP" --server http://127.0.0.1/sofw/
h1=$(requests_over 1.1)
run_path "direct HTTPS, by default" --server https://127.0.0.1/sofw/ --cacert "$T/hras.crt"
grep -q "path:       direct (TLS)" "$T/diag.out" || fail "path not reported as direct TLS"
grep -q "http:       HTTP/1.1" "$T/diag.out" || fail "diagnose did not report HTTP/1.1"
[ "$(requests_over 2.0)" = 0 ] || fail "HTTP/2 was used though not asked for (nginx's log)"
[ "$(requests_over 1.1)" -ge $((h1 + 2)) ] || fail "down and up did not go over HTTP/1.1 (nginx's log)"
run_path "direct HTTPS, HTTP/2" --server https://127.0.0.1/sofw/ --cacert "$T/hras.crt" \
	--http-version 2
grep -q "http:       HTTP/2" "$T/diag.out" || fail "diagnose did not report HTTP/2"
[ "$(requests_over 2.0)" -ge 2 ] || fail "down and up did not go over HTTP/2 (nginx's log)"

run_path "Squid plain, Basic auth" --server http://127.0.0.1/sofw/ \
	--proxy $PROXY --proxy-user alice:wonderland
grep -q "path:       plain HTTP proxy" "$T/diag.out" || fail "path not reported as plain proxy"

run_path "Squid CONNECT + TLS, Basic auth" --server https://127.0.0.1/sofw/ \
	--cacert "$T/hras.crt" --proxy $PROXY --proxy-user alice:wonderland
grep -q "path:       CONNECT through" "$T/diag.out" || fail "path not reported as CONNECT"
grep -qE "TLS peer: +CN = hras.test" "$T/diag.out" || fail "TLS peer not reported"
h2=$(requests_over 2.0)
run_path "Squid CONNECT + TLS, HTTP/2, Basic auth" --server https://127.0.0.1/sofw/ \
	--cacert "$T/hras.crt" --proxy $PROXY --proxy-user alice:wonderland --http-version 2
[ "$(requests_over 2.0)" -ge $((h2 + 2)) ] || fail "down and up through CONNECT did not go over HTTP/2"

# The up probe's PING is media, dropped once older than media-max-age: it
# goes when the stream's body starts, not when the request does, so a
# slow start (Squid, CONNECT, TLS) is not taken for a path that buffers.
# With 1 ms, a PING queued with the request aged out every time.  The
# round-trip pings after the probes are media too, each queued on an idle
# link: on a busy box (the ASan build beside another test) one may wait
# over 1 ms for the loop's pass and age out, which is the bound doing its
# job, so a result failed by a lost ping alone is not this step's failure.
log "== up probe of a request slower to start than media-max-age"
diagnose site-a --server https://127.0.0.1/sofw/ --cacert "$T/hras.crt" \
	--proxy $PROXY --proxy-user alice:wonderland --media-max-age 1 ||
	grep -qE "result: FAILED: ping [0-9]+ got no answer" "$T/diag.out" ||
	fail "diagnose with media-max-age 1 failed"
grep -q "session:    opened" "$T/diag.out" ||
	fail "no session opened with media-max-age 1"
grep -q "down:       streaming" "$T/diag.out" ||
	fail "the down probe did not stream with media-max-age 1"
grep -q "up:         streaming" "$T/diag.out" ||
	fail "an up probe aged out while its request started"

# Squid really carried the traffic, both ways of using it
grep -q "POST http://127.0.0.1/sofw/up" "$T/squid/squid-access.log" ||
	fail "no plain-proxied POST in Squid's log"
grep -q "CONNECT 127.0.0.1:443" "$T/squid/squid-access.log" ||
	fail "no CONNECT in Squid's log"

# and without auth: a Squid that needs none
stop_squid
start_squid none
run_path "Squid plain, no auth" --server http://127.0.0.1/sofw/ --proxy $PROXY
run_path "Squid CONNECT + TLS, no auth" --server https://127.0.0.1/sofw/ \
	--cacert "$T/hras.crt" --proxy $PROXY

log "all paths carry frames both ways"
