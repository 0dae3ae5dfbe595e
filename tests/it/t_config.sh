#!/bin/bash
# SPDX-License-Identifier: BSD-3-Clause
# Copyright (c) 2026 the SoFW authors
# Every option also works from the config file (-c), the command line
# overrides it, and the TLS and CONNECT switches do what they say.
. "$(dirname "$0")/../lib.sh"

start_squid none

log "== hras-fcgi from a config file"
make_identity site-a
cat >"$T/hras.conf" <<CONF
# hras-fcgi test configuration
socket unix:$T/hras.sock
socket-mode 0666
hracs $T/hracs
base-path /tunnel/
keepalive 7
echo yes
verbose 1
CONF
"$BIN/hras-fcgi" -f -c "$T/hras.conf" >>"$T/hras.log" 2>&1 &
HRAS_PID=$!
track $HRAS_PID hras-fcgi
wait_log "$T/hras.log" "info: ready: 1 HRAC identities, endpoints under /tunnel/" 200
start_nginx
sed -i 's|location /sofw/ {|location /tunnel/ {|' "$T/sofw.conf"
reload_nginx
# /tunnel/ now reaches hras-fcgi (405 to a GET of open), not nginx's 404
code=$(curl -s -o /dev/null -w '%{http_code}' http://127.0.0.1/tunnel/open)
[ "$code" = 405 ] || fail "nginx did not take /tunnel/ after SIGHUP: $code"

log "== hrac from a config file"
cat >"$T/hrac.conf" <<CONF
# hrac test configuration
server https://127.0.0.1/tunnel/
proxy $PROXY
cacert $T/hras.crt
id site-a
secret-file $T/site-a.secret
pings 5
CONF
ours diag "$BIN/hrac" -c "$T/hrac.conf" --diagnose ||
	{ cat "$T/diag.out"; fail "hrac -c FILE --diagnose"; }
cat "$T/diag.out"
grep -q "session:    opened (keepalive 7 s" "$T/diag.out" || fail "hras-fcgi keepalive from its file"
grep -q "round trip: 5 pings" "$T/diag.out" || fail "hrac pings from its file"

log "== the command line overrides the file"
ours diag "$BIN/hrac" -c "$T/hrac.conf" --diagnose --pings 3 ||
	fail "override"
grep -q "round trip: 3 pings" "$T/diag.out" || fail "--pings did not override the file"

log "== an unknown key names the file and line"
printf 'server http://x/\nbogus-key 1\n' >"$T/bad.conf"
ours bad "$BIN/hrac" -c "$T/bad.conf" --diagnose
expect_rc 2 $? "a config file with an unknown key"
grep -q "config file $T/bad.conf line 2: unknown option 'bogus-key'" "$T/bad.out" ||
	fail "no line number: $(cat "$T/bad.out")"

log "== a key set twice names both lines: which value was meant?"
printf 'server http://x/\npings 4\n# later, someone adds\npings 9\n' >"$T/bad.conf"
ours bad "$BIN/hrac" -c "$T/bad.conf" --diagnose
expect_rc 2 $? "a config file setting pings twice"
grep -q "config file $T/bad.conf line 4: 'pings' was already set on line 2" "$T/bad.out" ||
	fail "a key set twice was not refused clearly: $(cat "$T/bad.out")"

log "== the proxy password: not in a file others can read (review L12)"
printf 'server http://127.0.0.1/tunnel/\nid site-a\nsecret-file %s\nproxy-user alice:wonderland\n' \
	"$T/site-a.secret" >"$T/pw.conf"
chmod 644 "$T/pw.conf"
ours bad "$BIN/hrac" -c "$T/pw.conf" --diagnose
expect_rc 2 $? "a readable config file holding proxy-user"
grep -q "$T/pw.conf holds a proxy password (proxy-user, or a URL with user:password@) and others can read it (mode 644)" "$T/bad.out" ||
	fail "no clear refusal: $(cat "$T/bad.out")"
# a proxy URL with the password in it is one too
printf 'server http://127.0.0.1/tunnel/\nid site-a\nsecret-file %s\nproxy http://alice:wonderland@127.0.0.1:3128\n' \
	"$T/site-a.secret" >"$T/pw.conf"
ours bad "$BIN/hrac" -c "$T/pw.conf" --diagnose
expect_rc 2 $? "a readable config file holding a proxy URL with a password"
grep -q "$T/pw.conf holds a proxy password" "$T/bad.out" ||
	fail "no refusal of a URL's password: $(cat "$T/bad.out")"
grep -q wonderland "$T/bad.out" && fail "the refusal shows the password"
printf 'alice:wonderland\n' >"$T/proxy.pw"
chmod 644 "$T/proxy.pw"
ours bad "$BIN/hrac" --server http://127.0.0.1/tunnel/ --id site-a \
	--secret-file "$T/site-a.secret" --proxy-user-file "$T/proxy.pw" --diagnose
expect_rc 2 $? "a readable --proxy-user-file"
grep -q "proxy.pw: readable by others" "$T/bad.out" || fail "no refusal: $(cat "$T/bad.out")"

log "== --insecure skips verification (and is needed without --cacert)"
ours diag "$BIN/hrac" --server https://127.0.0.1/tunnel/ --id site-a \
	--secret-file "$T/site-a.secret" --insecure --diagnose ||
	{ cat "$T/diag.out"; fail "--insecure"; }

log "== --proxy-tunnel sends CONNECT even for http://"
ours diag "$BIN/hrac" --server http://127.0.0.1/tunnel/ --id site-a --proxy $PROXY \
	--secret-file "$T/site-a.secret" --proxy-tunnel --diagnose
expect_rc 1 $? "--proxy-tunnel to port 80 (Squid's stock rules refuse CONNECT there)"
cat "$T/diag.out"
grep -q "path:       CONNECT through $PROXY" "$T/diag.out" || fail "path"
grep -q "CONNECT to port 80 refused by the proxy (403)" "$T/diag.out" ||
	fail "--proxy-tunnel did not use CONNECT"
log "config files and switches work"
