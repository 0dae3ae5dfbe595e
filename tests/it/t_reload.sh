#!/bin/bash
# SPDX-License-Identifier: BSD-3-Clause
# Copyright (c) 2026 the SoFW authors
# SIGHUP reloads the whole configuration (issue 12, item 7), seen from
# outside.  hras-fcgi: verbose, status-allow, a new HRAC identity and a
# new user take effect (the status answers the new network only, the new
# HRAC opens, the new user registers); a changed --sip needs a restart
# and is not applied; a broken configuration is refused whole and the
# old one keeps serving.  hrac: it survives SIGHUP; a proxy added to its
# config file takes its tunnel through Squid (Squid's log shows it), the
# session resumed; a new server URL (https) takes it through CONNECT; a
# changed --sip needs a restart; a broken config is refused.
. "$(dirname "$0")/../lib.sh"
. "$SOFW_TOP/tests/sip.sh"

wan_up
make_identity site-a
make_identity site-b
make_user alice alice-pw
printf 'hracs %s\nusers %s\ndomain %s\nsip 192.0.2.1:5060\n' \
	"$T/hracs" "$T/users" "$DOMAIN" >"$T/hras.conf"
chmod 600 "$T/hras.conf"
# systemd's side of Type=notify: what hras-fcgi tells it, one line each
python3 -c 'import socket, sys
s = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM); s.bind(sys.argv[1])
f = open(sys.argv[2], "ab", 0)
while True: f.write(s.recv(4096) + b"\n")' "$T/notify.sock" "$T/notify.out" &
track $! "notify socket" 143
for _ in $(seq 50); do [ -S "$T/notify.sock" ] && break; sleep 0.1; done
NOTIFY_SOCKET=$T/notify.sock "$BIN/hras-fcgi" -f -s "$HRAS_SOCKET" \
	--socket-mode 0666 -c "$T/hras.conf" >>"$T/hras.log" 2>&1 &
HRAS_PID=$!
track $HRAS_PID hras-fcgi
wait_log "$T/hras.log" "info: ready"
start_nginx

status_from() { # ADDR: the status endpoint's answer to a client at ADDR
	curl -s -o /dev/null -w '%{http_code}' --max-time 5 --interface "$1" \
		http://192.0.2.1/sofw/status
}
# reload PID LOG: SIGHUP, and wait for the reload's last line
reload() {
	local before
	before=$(grep -cE "reloaded|reload refused" "$2")
	kill -HUP "$1" || fail "the process is gone"
	wait_log_more "$2" "reloaded|reload refused" "${before:-0}"
	kill -0 "$1" 2>/dev/null || fail "the process died on SIGHUP"
}
try_register() { # USER: 0 if USER (password USER-pw) can register
	sipp_at - "reg-$1" 192.0.2.1:5060 -sf "$SIPP_SCEN/register.xml" \
		-s "$1" -au "$1" -ap "$1-pw" -set domain $DOMAIN -set expires 60 \
		-m 1 -i 192.0.2.10 -p 5060 -timeout 5s -timeout_error >"$T/reg-$1.out" 2>&1
}

log "== hras-fcgi: before"
[ "$(status_from 127.0.0.1)" = 200 ] || fail "status from loopback"
[ "$(status_from 192.0.2.1)" = 403 ] || fail "status from 192.0.2.1"
make_identity site-c # in the file, not yet loaded
diagnose site-c --server http://192.0.2.1/sofw/ && fail "site-c opened before the reload"
make_user bob bob-pw
try_register bob && fail "bob registered before the reload"
try_register alice || fail "alice cannot register"
grep -q "debug:" "$T/hras.log" && fail "debug lines before verbose"

log "== hras-fcgi: verbose, status-allow, a restart-only --sip; the files changed"
printf 'verbose 1\nstatus-allow 192.0.2.0/24\nsip 192.0.2.1:5070\nmedia-queue 2097152\n' >>"$T/hras.conf"
reload $HRAS_PID "$T/hras.log"
expect_log "$T/hras.log" "reloaded: changed: verbose, media-queue, status-allow; 3 HRAC identities; users read from $T/users"
expect_log "$T/hras.log" "reload: sip changed: it needs a restart, NOT applied"
[ "$(status_from 127.0.0.1)" = 403 ] || fail "status-allow: loopback still allowed"
[ "$(status_from 192.0.2.1)" = 200 ] || fail "status-allow: 192.0.2.1 not allowed"
log "the status answers 192.0.2.0/24 only now"
diagnose site-c --server http://192.0.2.1/sofw/ || fail "the new HRAC site-c cannot open"
try_register bob || fail "the new user bob cannot register"
log "the new HRAC opens, the new user registers"
grep -A1 "^RELOADING=1$" "$T/notify.out" | grep -q "^READY=1$" ||
	fail "systemd was not told RELOADING=1 then READY=1: $(cat "$T/notify.out")"
log "systemd is told RELOADING=1, then READY=1"
grep -q "debug:" "$T/hras.log" || fail "no debug lines after verbose 1"
ss -Hlun | grep -q "192.0.2.1:5070" && fail "--sip was applied without a restart"
ss -Hlun | grep -q "192.0.2.1:5060" || fail "SIP on 5060 is gone"

log "== hras-fcgi: a broken configuration is refused whole"
cp "$T/hras.conf" "$T/hras.conf.good"
printf 'status-allow 127.0.0.0/8\nkeepalive banana\n' >>"$T/hras.conf"
reload $HRAS_PID "$T/hras.log"
expect_log "$T/hras.log" "reload refused, the running configuration stays: .*keepalive"
[ "$(status_from 192.0.2.1)" = 200 ] || fail "the old status-allow is gone"
[ "$(status_from 127.0.0.1)" = 403 ] || fail "half of the broken config applied"
cp "$T/hras.conf.good" "$T/hras.conf"
chmod 644 "$T/hracs"
reload $HRAS_PID "$T/hras.log"
expect_log "$T/hras.log" "reload refused, .*HRAC identities: .*readable by others"
chmod 600 "$T/hracs"
diagnose site-a --server http://192.0.2.1/sofw/ || fail "the old config no longer serves"
log "the old configuration keeps serving"

log "== hrac: survives SIGHUP; a proxy added, then a new server URL"
printf 'server http://192.0.2.1/sofw/\nid site-a\nsecret-file %s\nsip 127.0.0.1:5062\n' \
	"$T/site-a.secret" >"$T/hrac.conf"
"$BIN/hrac" -f -c "$T/hrac.conf" >>"$T/hrac.log" 2>&1 &
HPID=$!
track $HPID hrac
wait_log "$T/hrac.log" "session open \(direct" 300
reload $HPID "$T/hrac.log"
expect_log "$T/hrac.log" "reloaded: no option changed"

start_squid none
echo "proxy $PROXY" >>"$T/hrac.conf"
reload $HPID "$T/hrac.log"
expect_log "$T/hrac.log" "reloaded: changed: proxy"
wait_log "$T/hrac.log" "session open \(plain HTTP proxy $PROXY" 300
expect_log "$T/hrac.log" "session resumed: of"
for _ in $(seq 50); do
	grep -q "192.0.2.1/sofw/" "$T/squid/squid-access.log" 2>/dev/null && break
	sleep 0.1
done
grep -q "192.0.2.1/sofw/" "$T/squid/squid-access.log" ||
	fail "Squid saw no request of hrac's"
log "Squid's log: $(grep -c "192.0.2.1/sofw/" "$T/squid/squid-access.log") requests of hrac's tunnel"

sed -i 's|^sip .*|sip 127.0.0.1:5063|' "$T/hrac.conf"
echo "proxy-auth banana" >>"$T/hrac.conf"
reload $HPID "$T/hrac.log"
expect_log "$T/hrac.log" "reload refused, the running configuration stays: --proxy-auth"
sed -i '/proxy-auth banana/d' "$T/hrac.conf"
reload $HPID "$T/hrac.log"
expect_log "$T/hrac.log" "reload: sip changed: it needs a restart, NOT applied"
ss -Hlun | grep -q "127.0.0.1:5062" || fail "hrac's SIP on 5062 is gone"
ss -Hlun | grep -q "127.0.0.1:5063" && fail "hrac's --sip applied without a restart"

sed -i "s|^server .*|server https://192.0.2.1/sofw/|" "$T/hrac.conf"
echo "cacert $T/hras.crt" >>"$T/hrac.conf"
reload $HPID "$T/hrac.log"
expect_log "$T/hrac.log" "reloaded: changed: server, cacert"
wait_log "$T/hrac.log" "session open \(CONNECT through $PROXY \(TLS\)" 300
kill -0 $HPID || fail "hrac is gone"
grep "reload" "$T/hras.log" "$T/hrac.log" | sed 's/^/    /'
log "hrac reloads: it takes the new path and server, and stays up"
