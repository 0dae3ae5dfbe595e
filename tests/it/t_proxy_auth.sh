#!/bin/bash
# SPDX-License-Identifier: BSD-3-Clause
# Copyright (c) 2026 the SoFW authors
# Proxy authentication: Basic, Digest and NTLM, plain and CONNECT.  hrac
# learns the scheme from the first 407 (on the small open request) and
# uses it alone on the streamed POST, which curl could not rewind after a
# late 407.  Also the proxy taken from the environment, and no_proxy.
. "$(dirname "$0")/../lib.sh"

start_hras --echo
start_nginx

check() {
	local what=$1
	shift
	log "== $what"
	diagnose site-a "$@" || fail "$what: diagnose failed"
	grep -q "up:         streaming" "$T/diag.out" || fail "$what: the streamed POST did not work"
	probe site-a "$@" --sip 100 --rtp 100 --rate 200 --expect-down streaming \
		--expect-up streaming >"$T/probe.out" 2>&1
	local rc=$?
	sed 's/^/    probe: /' "$T/probe.out"
	[ $rc = 0 ] || fail "$what: frames"
}

# each test Squid offers one scheme; another: one it does not offer
declare -A OTHER=([digest]=basic [ntlm]=digest [basic]=ntlm)
for scheme in digest ntlm basic; do
	start_squid $scheme
	check "$scheme, plain proxy" --server http://127.0.0.1/sofw/ \
		--proxy $PROXY --proxy-user alice:wonderland
	check "$scheme, CONNECT + TLS" --server https://127.0.0.1/sofw/ \
		--cacert "$T/hras.crt" --proxy $PROXY --proxy-user alice:wonderland
	# the credentials from a file of their own (not seen in ps)
	printf 'alice:wonderland\n' >"$T/proxy.pw"
	chmod 600 "$T/proxy.pw"
	check "$scheme, credentials from --proxy-user-file" \
		--server http://127.0.0.1/sofw/ --proxy $PROXY \
		--proxy-user-file "$T/proxy.pw"
	# the scheme is forced when the deployer knows it
	check "$scheme forced with --proxy-auth" --server http://127.0.0.1/sofw/ \
		--proxy $PROXY --proxy-user alice:wonderland --proxy-auth $scheme
	# and forcing one the proxy does not offer fails: the forced scheme
	# is the one used
	log "== ${OTHER[$scheme]} forced on a proxy that offers only $scheme"
	diagnose site-a --server http://127.0.0.1/sofw/ --proxy $PROXY \
		--proxy-user alice:wonderland --proxy-auth "${OTHER[$scheme]}"
	expect_rc 1 $? "--proxy-auth ${OTHER[$scheme]} on a $scheme proxy"
	grep -q "^result: FAILED: proxy answered 407" "$T/diag.out" ||
		fail "--proxy-auth ${OTHER[$scheme]} on a $scheme proxy: not refused by the proxy"
	# this Squid's own log (lib.sh starts each with a new one): requests
	# of the user alice let through (native format: the 8th field is the
	# user; ntlm_fake_auth logs it as DOMAIN\\alice)
	awk '$8 ~ /alice/ && $4 ~ /\/200$/' "$T/squid/squid-access.log" | grep -q . ||
		fail "$scheme: Squid logged no request of the authenticated user alice: $(tail -5 "$T/squid/squid-access.log")"
	stop_squid
done

start_squid none
log "== proxy from https_proxy, and no_proxy"
https_proxy=$PROXY diagnose site-a --server https://127.0.0.1/sofw/ \
	--cacert "$T/hras.crt" || fail "https_proxy not used"
grep -q "path:       CONNECT through $PROXY (TLS)" "$T/diag.out" || fail "path with https_proxy"
https_proxy=$PROXY no_proxy=127.0.0.1 diagnose site-a \
	--server https://127.0.0.1/sofw/ --cacert "$T/hras.crt" || fail "no_proxy"
grep -q "path:       direct (TLS)" "$T/diag.out" || fail "no_proxy not honoured"
http_proxy=$PROXY diagnose site-a --server http://127.0.0.1/sofw/ || fail "http_proxy"
grep -q "path:       plain HTTP proxy $PROXY" "$T/diag.out" || fail "path with http_proxy"
log "proxy authentication and proxy selection work"
