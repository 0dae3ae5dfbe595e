#!/bin/bash
# SPDX-License-Identifier: BSD-3-Clause
# Copyright (c) 2026 the SoFW authors
# hrac --diagnose fails with a sentence a network administrator can act
# on, and a non-zero exit, for each way the path to HRAS can be broken.
. "$(dirname "$0")/../lib.sh"

start_hras --echo
start_nginx
start_squid basic

# expect_diag "sentence regex" -- hrac options: exit 1 (hrac.8: "1 when
# something failed (the tunnel, for --diagnose)") and the sentence
expect_diag() {
	local want=$1
	shift
	diagnose site-a "$@"
	expect_rc 1 $? "diagnose that should fail with: $want"
	grep -qE "^result: FAILED: .*$want" "$T/diag.out" ||
		fail "diagnose did not say: $want"
}

log "== proxy wants authentication, none given (plain, then CONNECT)"
expect_diag "proxy answered 407: proxy authentication required \(give --proxy-user USER:PASS\)" \
	--server http://127.0.0.1/sofw/ --proxy $PROXY
expect_diag "proxy answered 407 to CONNECT: proxy authentication required" \
	--server https://127.0.0.1/sofw/ --cacert "$T/hras.crt" --proxy $PROXY

log "== wrong proxy password"
expect_diag "proxy answered 407: .*credentials given with --proxy-user were refused" \
	--server http://127.0.0.1/sofw/ --proxy $PROXY --proxy-user alice:wrong

log "== CONNECT to a port other than 443"
expect_diag "CONNECT to port 8443 refused by the proxy \(403\): most proxies allow CONNECT only to port 443" \
	--server https://127.0.0.1:8443/sofw/ --cacert "$T/hras.crt" --proxy $PROXY \
	--proxy-user alice:wonderland

log "== no proxy where one is configured"
expect_diag "cannot connect to the proxy 127.0.0.1:3129" \
	--server http://127.0.0.1/sofw/ --proxy http://127.0.0.1:3129

log "== a firewall: direct connection refused"
expect_diag "cannot connect to HRAS 127.0.0.1:81: .*this network may need --proxy" \
	--server http://127.0.0.1:81/sofw/

log "== HRAS certificate not trusted"
expect_diag "TLS: the certificate of 127.0.0.1 is not trusted.*--cacert FILE" \
	--server https://127.0.0.1/sofw/ --proxy $PROXY --proxy-user alice:wonderland

log "== wrong URL path"
expect_diag "no SoFW endpoint at http://127.0.0.1/wrong/ \(404\)" \
	--server http://127.0.0.1/wrong/

log "== wrong secret"
printf 'not-the-secret\n' >"$T/wrong.secret"
chmod 600 "$T/wrong.secret"
ours diag "$BIN/hrac" --id site-a --secret-file "$T/wrong.secret" --diagnose \
	--server http://127.0.0.1/sofw/
expect_rc 1 $? "diagnose with a wrong secret"
cat "$T/diag.out"
grep -q "result: FAILED: HRAS refused identity 'site-a': identity or secret not accepted" "$T/diag.out" ||
	fail "wrong secret not reported"

log "== a secret file others can read"
chmod 644 "$T/wrong.secret"
# a configuration error: exit 2 (hrac.8)
ours diag "$BIN/hrac" --id site-a --secret-file "$T/wrong.secret" --diagnose \
	--server http://127.0.0.1/sofw/
expect_rc 2 $? "a world-readable secret file"
grep -q "readable by others (mode 0644); run: chmod 600" "$T/diag.out" ||
	fail "no actionable message for the secret file: $(cat "$T/diag.out")"

log "== hras-fcgi not running behind nginx"
stop_hras
expect_diag "nginx answered 502: hras-fcgi is not running or not reachable on its FastCGI socket" \
	--server http://127.0.0.1/sofw/
expect_diag "the path \(proxy or nginx\) answered 502: hras-fcgi is not running" \
	--server http://127.0.0.1/sofw/ --proxy $PROXY --proxy-user alice:wonderland

log "== nginx not running behind the proxy"
stop_nginx
expect_diag "the proxy \(squid[^)]*\) answered 50[234]: it cannot reach the web server at 127.0.0.1" \
	--server http://127.0.0.1/sofw/ --proxy $PROXY --proxy-user alice:wonderland

log "every failure explained"
