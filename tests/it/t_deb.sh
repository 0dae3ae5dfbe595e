#!/bin/bash
# SPDX-License-Identifier: BSD-3-Clause
# Copyright (c) 2026 the SoFW authors
# The Debian packages: dpkg-buildpackage -us -uc -b builds sofw-server and
# sofw-client from a copy of the tree; their contents are what sofw(7)
# tells an administrator to use (programs, units, sysusers.d/tmpfiles.d,
# manual pages, the nginx snippet, examples, the credential ones 0600, no
# test template); lintian reports no error; the extracted programs run;
# systemd-analyze verify passes the extracted units; systemd-sysusers makes
# the sofw user from the package's file.  (No systemd runs as PID 1 here,
# so the units are verified, not started: tests that hras-fcgi and hrac
# take LISTEN_FDS and report to NOTIFY_SOCKET use systemd-socket-activate.)
#
# Then an administrator's day, as sofw(7) INSTALLING THE DEBIAN PACKAGES
# tells it, on a copy of this host (an overlay over /, in a mount
# namespace of the test's own: the host itself is never touched):
# dpkg -i both packages, the example nginx site, the configuration from
# the examples, -t as sofw, both services started as their units say
# (ExecStart as User=, the socket of hras-fcgi.socket with its owner and
# mode, NOTIFY_SOCKET), a call between an inside and an outside phone,
# the metrics scraped, and the unit's ExecReload.
#
# The package build is the same in the sanitizer run (a package is built
# with dpkg-buildflags, never with SANITIZE): it runs there too.
SOFW_MOUNTNS=1
. "$(dirname "$0")/../lib.sh"
. "$SOFW_TOP/tests/sip.sh"

[ -e "$SOFW_TOP/.git" ] || fail "not a git checkout: the tree to package is git's list of files"
mkdir -p "$T/src/sofw"
# the files git knows and the new ones it would add (not build output)
git -C "$SOFW_TOP" ls-files -z -co --exclude-standard |
	(cd "$SOFW_TOP" && tar --null -T - -cf -) | tar -C "$T/src/sofw" -xf - ||
	fail "copying the tree"
log "building the packages"
(cd "$T/src/sofw" && DEB_BUILD_OPTIONS="nocheck parallel=2" \
	dpkg-buildpackage -us -uc -b) >"$T/dpkg-buildpackage.log" 2>&1 || {
	tail -40 "$T/dpkg-buildpackage.log"
	fail "dpkg-buildpackage -us -uc -b"
}
grep -q -- '-Werror off' "$T/dpkg-buildpackage.log" || fail "the package build has -Werror on"
grep -q 'D_FORTIFY_SOURCE=2.*-fstack-protector-strong' "$T/dpkg-buildpackage.log" ||
	fail "dpkg-buildflags' flags are not on the compile lines"
SRV=$(compgen -G "$T/src/sofw-server_*_*.deb") || fail "no sofw-server .deb"
CLI=$(compgen -G "$T/src/sofw-client_*_*.deb") || fail "no sofw-client .deb"
log "built ${SRV##*/} and ${CLI##*/}"

# contents: "MODE PATH" per file
contents() { dpkg-deb -c "$1" | awk '{ print $1, substr($6, 2) }'; }
contents "$SRV" >"$T/server.list"
contents "$CLI" >"$T/client.list"
has() { # LIST MODE-REGEX PATH
	grep -qE "^$2 $3\$" "$T/$1.list" || fail "$1 package lacks $3 ($2): $(grep -F "$3" "$T/$1.list")"
}
has server '-rwxr-xr-x' /usr/sbin/hras-fcgi
has server '-rw-r--r--' /lib/systemd/system/hras-fcgi.socket
has server '-rw-r--r--' /lib/systemd/system/hras-fcgi.service
has server '-rw-r--r--' /usr/lib/sysusers.d/sofw-server.conf
has server '-rw-r--r--' /usr/lib/tmpfiles.d/sofw.conf
has server '-rw-r--r--' /usr/share/sofw/nginx/sofw.conf
for m in man8/hras-fcgi.8 man5/hras-fcgi.conf.5 man7/sofw.7 man7/sofw-tunnel.7 \
	man7/sofw-security.7; do
	has server '-rw-r--r--' "/usr/share/man/$m.gz"
done
EX=/usr/share/doc/sofw-server/examples
has server '-rw-r--r--' $EX/hras-fcgi.conf.example
has server '-rw-r--r--' $EX/sofw-site.conf
has server '-rw-r--r--' $EX/sofw-cluster.conf
has server '-rw-r--r--' $EX/sofw.json
has server '-rw-------' $EX/hracs.example
has server '-rw-------' $EX/users.example
has server 'drwxr-xr-x' /etc/sofw/
has client '-rwxr-xr-x' /usr/sbin/hrac
has client '-rw-r--r--' /lib/systemd/system/hrac.service
has client '-rw-r--r--' /usr/lib/sysusers.d/sofw-client.conf
has client '-rw-r--r--' /usr/share/man/man8/hrac.8.gz
has client '-rw-r--r--' /usr/share/man/man5/hrac.conf.5.gz
has client '-rw-r--r--' /usr/share/doc/sofw-client/examples/hrac.conf.example
has client 'drwxr-xr-x' /etc/sofw/
# nothing of the tests, no example posing as a configuration in /etc, and
# nothing both packages ship (they may share a host)
grep -E ' (.*/nginx/sofw-server\.conf|.*/nginx\.conf\.in|/etc/sofw/.+)$' "$T/server.list" "$T/client.list" &&
	fail "a test template or an example in /etc is packaged"
both=$(comm -12 <(awk '$1 !~ /^d/ { print $2 }' "$T/server.list" | sort) \
	<(awk '$1 !~ /^d/ { print $2 }' "$T/client.list" | sort))
[ -z "$both" ] || fail "files in both packages: $both"
dpkg-deb -f "$SRV" Recommends | grep -qw nginx || fail "sofw-server does not recommend nginx"
dpkg-deb -f "$SRV" Depends | grep -q libfcgi || fail "sofw-server's Depends lack libfcgi (shlibs)"
dpkg-deb -f "$CLI" Depends | grep -q libcurl || fail "sofw-client's Depends lack libcurl (shlibs)"
# the sofw user exists before tmpfiles.d gives it its directories
dpkg-deb -e "$SRV" "$T/server.ctl" || fail "dpkg-deb -e"
su=$(grep -n 'systemd-sysusers' "$T/server.ctl/postinst" | head -1 | cut -d: -f1)
tf=$(grep -n 'systemd-tmpfiles' "$T/server.ctl/postinst" | head -1 | cut -d: -f1)
[ -n "$su" ] && [ -n "$tf" ] && [ "$su" -lt "$tf" ] ||
	fail "postinst does not run systemd-sysusers before systemd-tmpfiles"
grep -q "deb-systemd-invoke start" "$T/server.ctl/postinst" &&
	fail "postinst starts the service before it is configured"
log "contents as documented; credential examples 0600; postinst makes the user, then the directories"

command -v lintian >/dev/null || fail "lintian is not installed (scripts/deps.sh check)"
TMPDIR=$T lintian --pedantic "$T"/src/sofw_*.changes >"$T/lintian.log" 2>&1
rc=$?
grep -E '^[EW]:' "$T/lintian.log" | sed 's/^/lintian: /'
grep -q '^E:' "$T/lintian.log" && fail "lintian reports errors"
[ $rc = 0 ] || fail "lintian exited $rc: $(head -5 "$T/lintian.log")"
log "lintian: no errors ($(grep -c '^W:' "$T/lintian.log") warnings)"

X=$T/x
dpkg-deb -x "$SRV" "$X" && dpkg-deb -x "$CLI" "$X" || fail "dpkg-deb -x"
ours version "$X/usr/sbin/hras-fcgi" --version || fail "packaged hras-fcgi --version failed"
grep -q '^hras-fcgi ' "$T/version.out" || fail "packaged hras-fcgi does not run"
ours version "$X/usr/sbin/hrac" --version || fail "packaged hrac --version failed"
grep -q '^hrac ' "$T/version.out" || fail "packaged hrac does not run"
for p in hras-fcgi hrac; do
	readelf -d "$X/usr/sbin/$p" | grep -q BIND_NOW || fail "packaged $p: no BIND_NOW"
done

# the units: as shipped they name /usr/sbin and /etc/sofw; verified with
# the programs at their extracted paths and the packages' manual pages
U=$X/lib/systemd/system
grep -qx 'ExecStart=/usr/sbin/hras-fcgi -f -c /etc/sofw/hras-fcgi.conf' "$U/hras-fcgi.service" ||
	fail "hras-fcgi.service's ExecStart"
grep -qx 'ExecStart=/usr/sbin/hrac -f -c /etc/sofw/hrac.conf' "$U/hrac.service" ||
	fail "hrac.service's ExecStart"
grep -qx 'ListenStream=/run/sofw/hras.sock' "$U/hras-fcgi.socket" || fail "socket path"
grep -q 'fastcgi_pass unix:/run/sofw/hras.sock;' "$X/usr/share/sofw/nginx/sofw.conf" ||
	fail "the nginx snippet does not point at hras-fcgi.socket's path"
mkdir -p "$T/units"
for u in hras-fcgi.socket hras-fcgi.service hrac.service; do
	sed "s|=/usr/sbin/|=$X/usr/sbin/|" "$U/$u" >"$T/units/$u"
done
(cd "$T/units" && MANPATH=$X/usr/share/man systemd-analyze verify \
	hras-fcgi.socket hras-fcgi.service hrac.service) >"$T/verify.log" 2>&1 ||
	fail "systemd-analyze verify failed: $(cat "$T/verify.log")"
[ ! -s "$T/verify.log" ] || fail "systemd-analyze verify is not clean: $(cat "$T/verify.log")"
log "systemd-analyze verify: clean"

# the sofw user as systemd-sysusers makes it from the package's file
mkdir -p "$T/sysroot/etc"
systemd-sysusers --root="$T/sysroot" "$X/usr/lib/sysusers.d/sofw-server.conf" \
	>"$T/sysusers.log" 2>&1 || fail "systemd-sysusers: $(cat "$T/sysusers.log")"
grep -qE '^sofw:x:[0-9]+:[0-9]+:SoFW relay agents:/var/lib/sofw:/usr/sbin/nologin$' \
	"$T/sysroot/etc/passwd" || fail "sofw user: $(cat "$T/sysroot/etc/passwd")"
grep -E '^[^:]+:[^:]*:[0-9]+:.*\bsofw\b' "$T/sysroot/etc/group" | grep -v '^sofw:' &&
	fail "sofw was added to another group"
log "sysusers: $(grep '^sofw:' "$T/sysroot/etc/passwd")"

log "== a copy of this host: an overlay over /, seen only by this test"
R=$T/root
mkdir -p "$T/upper" "$R"
mount -t tmpfs -o mode=0755 tmpfs "$T/upper" || fail "tmpfs for the overlay"
mkdir -p "$T/upper/u" "$T/upper/w"
mount -t overlay overlay -o "lowerdir=/,upperdir=$T/upper/u,workdir=$T/upper/w" "$R" ||
	fail "overlay over /"
CLEANUP_LAST+=("umount -R '$R'" "umount '$T/upper'")
mount -t proc proc "$R/proc"
# fresh /dev, /run and /tmp: no host device node can be removed through it,
# and no systemd runs here (postinst then starts nothing)
for d in dev run tmp; do mount -t tmpfs -o mode=0755 tmpfs "$R/$d"; done
chmod 1777 "$R/tmp"
for n in null:1:3 zero:1:5 random:1:8 urandom:1:9; do
	IFS=: read -r name ma mi <<<"$n"
	mknod -m 666 "$R/dev/$name" c "$ma" "$mi"
done
in_root() { chroot "$R" "$@"; }
in_root test -e /usr/sbin/hras-fcgi && fail "this host has hras-fcgi installed already"

log "== 1. dpkg -i sofw-server and sofw-client"
cp "$SRV" "$CLI" "$R/tmp/"
in_root dpkg -i "/tmp/${SRV##*/}" "/tmp/${CLI##*/}" >"$T/dpkg-i.log" 2>&1 ||
	fail "dpkg -i: $(tail -20 "$T/dpkg-i.log")"
in_root id sofw >/dev/null || fail "no sofw user after dpkg -i"
[ "$(in_root stat -c '%U %a' /var/lib/sofw)" = "sofw 750" ] ||
	fail "/var/lib/sofw is $(in_root stat -c '%U %a' /var/lib/sofw)"
[ -d "$R/etc/sofw" ] || fail "no /etc/sofw"
grep -q sofw /etc/passwd && [ "$(grep -c '^sofw:' /etc/passwd)" = 1 ] && log "(the host has a sofw user of its own)"
log "installed: $(in_root dpkg-query -W sofw-server sofw-client | tr '\n' ' ')"

log "== 2. the example nginx site, with this host's certificate"
gen_cert
wan_up
echo "192.0.2.1 hras.test" >>"$R/etc/hosts"
cp "$T/hras.crt" "$R/etc/ssl/certs/hras.test.pem"
install -m 600 "$T/hras.key" "$R/etc/ssl/private/hras.test.key"
sed -e 's/server_name sofw.example.com;/server_name hras.test;/' \
	-e 's|/etc/ssl/certs/sofw.example.com.pem|/etc/ssl/certs/hras.test.pem|' \
	-e 's|/etc/ssl/private/sofw.example.com.key|/etc/ssl/private/hras.test.key|' \
	"$R/usr/share/doc/sofw-server/examples/sofw-site.conf" >"$R/etc/nginx/sites-available/sofw"
ln -s ../sites-available/sofw "$R/etc/nginx/sites-enabled/sofw"
in_root nginx -t >"$T/nginx-t.log" 2>&1 || fail "nginx -t: $(cat "$T/nginx-t.log")"

log "== 3. the configuration from the examples"
EX=$R/usr/share/doc/sofw-server/examples
# as written, the example secrets are refused
cp "$EX/hracs.example" "$R/etc/sofw/hracs"
in_root chown sofw:sofw /etc/sofw/hracs
sed -e '/^socket/d' -e '/^user /d' -e '/^group /d' -e '/^pidfile /d' \
	-e 's/^domain .*/domain example.test/' "$EX/hras-fcgi.conf.example" \
	>"$R/etc/sofw/hras-fcgi.conf"
: >"$R/etc/sofw/users"
in_root chown sofw:sofw /etc/sofw/users
chmod 600 "$R/etc/sofw/users"
in_root runuser -u sofw -- hras-fcgi -t -c /etc/sofw/hras-fcgi.conf >"$T/t1.out" 2>&1
expect_rc 2 $? "hras-fcgi -t with the example hracs"
grep -q "replace the example secret" "$T/t1.out" || fail "the example secret: $(cat "$T/t1.out")"
SECRET=$(openssl rand -base64 24)
in_root install -m 600 -o sofw -g sofw /dev/null /etc/sofw/hracs
echo "site-a:$SECRET" >>"$R/etc/sofw/hracs"
for u in alice olivia; do
	printf '%s:%s:%s' $u example.test "$u-pw" | md5sum |
		sed "s/^\([0-9a-f]*\).*/$u:example.test:\1/" >>"$R/etc/sofw/users"
done
in_root runuser -u sofw -- hras-fcgi -t -c /etc/sofw/hras-fcgi.conf >"$T/t2.out" 2>&1 ||
	fail "hras-fcgi -t as sofw: $(cat "$T/t2.out")"
grep -qx "hras-fcgi: configuration OK" "$T/t2.out" || fail "-t said: $(cat "$T/t2.out")"

# the inside host's side, on the same copy (the packages may share a host)
sed -e '/^user /d' -e '/^group /d' -e '/^pidfile /d' \
	-e 's|^server .*|server https://hras.test/sofw/|' \
	-e 's|^sip .*|sip 10.77.1.1:5060|' "$R/usr/share/doc/sofw-client/examples/hrac.conf.example" \
	>"$R/etc/sofw/hrac.conf"
echo "cacert /etc/ssl/certs/hras.test.pem" >>"$R/etc/sofw/hrac.conf"
in_root install -m 600 -o sofw -g sofw /dev/null /etc/sofw/hrac.secret
echo "$SECRET" >>"$R/etc/sofw/hrac.secret"
in_root runuser -u sofw -- hrac -t -c /etc/sofw/hrac.conf >"$T/t3.out" 2>&1 ||
	fail "hrac -t as sofw: $(cat "$T/t3.out")"
log "-t as sofw: $(cat "$T/t2.out") / $(cat "$T/t3.out")"

log "== 4. the services, as their units start them"
unit() { sed -n "s/^$2=//p" "$R/lib/systemd/system/$1"; }
[ "$(unit hras-fcgi.service Type)" = notify ] || fail "hras-fcgi.service is not Type=notify"
[ "$(unit hrac.service Type)" = notify ] || fail "hrac.service is not Type=notify"
python3 - "$R/run/notify.sock" "$T/notify.log" <<'PY' &
import os, socket, sys
s = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM | socket.SOCK_CLOEXEC)
s.bind(sys.argv[1])
os.chmod(sys.argv[1], 0o666)  # the services run as sofw
with open(sys.argv[2], "a", buffering=1) as log:
    log.write("listening\n")
    while True:
        msg, _, _, addr = s.recvmsg(4096)
        log.write(msg.decode().replace("\n", "|") + "\n")
PY
NOTIFY=$!
track $NOTIFY "notify receiver" 0 143
wait_log "$T/notify.log" listening
# hras-fcgi.socket: systemd opens the socket, with its owner and mode
SOCK=$(unit hras-fcgi.socket ListenStream)
mkdir -p "$R$(dirname "$SOCK")"
in_root chown sofw "$(dirname "$SOCK")"
# hras-fcgi.service: ExecStart as User=/Group=, the socket as fd 3
read -r -a START <<<"$(unit hras-fcgi.service ExecStart)"
chroot "$R" systemd-socket-activate -l "$SOCK" -E NOTIFY_SOCKET=/run/notify.sock \
	setpriv --reuid="$(unit hras-fcgi.service User)" --regid="$(unit hras-fcgi.service Group)" \
	--init-groups -- "${START[@]}" >"$T/hras.log" 2>&1 &
HRAS_PID=$!
track $HRAS_PID "hras-fcgi (as its unit)"
wait_log "$T/hras.log" "Listening on $SOCK"
in_root chown "$(unit hras-fcgi.socket SocketUser):$(unit hras-fcgi.socket SocketGroup)" "$SOCK"
in_root chmod "$(unit hras-fcgi.socket SocketMode)" "$SOCK"
chroot "$R" nginx -g 'daemon off;' >"$T/nginx.log" 2>&1 &
NGINX_PID=$!
track $NGINX_PID nginx
wait_tcp 192.0.2.1 443
# the first request starts it, as the socket would (the unit also starts
# it at boot)
code=$(curl -s -o /dev/null -w '%{http_code}' --cacert "$T/hras.crt" \
	--resolve hras.test:443:192.0.2.1 https://hras.test/sofw/open)
[ "$code" = 405 ] || fail "nginx -> hras.sock -> hras-fcgi: $code ($(tail -3 "$R/var/log/nginx/error.log"))"
wait_log "$T/notify.log" "^READY=1"
grep -q "^Uid:	$(in_root id -u sofw)	" "/proc/$HRAS_PID/status" ||
	fail "hras-fcgi does not run as sofw: $(grep ^Uid: "/proc/$HRAS_PID/status")"
log "hras-fcgi: $(grep -m1 "info: ready" "$T/hras.log")"

site site-a 1
read -r -a START <<<"$(unit hrac.service ExecStart)"
ip netns exec "$NS-site-a" chroot "$R" env NOTIFY_SOCKET=/run/notify.sock \
	setpriv --reuid="$(unit hrac.service User)" --regid="$(unit hrac.service Group)" \
	--init-groups -- "${START[@]}" >"$T/hrac.log" 2>&1 &
HRAC_PID=$!
track $HRAC_PID "hrac (as its unit)"
wait_log "$T/notify.log" "^STATUS=tunnel up to https://hras.test/sofw/" 300

log "== 5. a call: alice inside, olivia outside"
register site-a alice 10.77.1.10
register - olivia 192.0.2.10
answer - olivia 192.0.2.10 uas.xml
call site-a alice 10.77.1.10 olivia || fail "alice -> olivia"
wait_uas olivia
log "alice (inside, through hrac) called olivia (outside)"

log "== 6. the metrics, from the status-allow address"
# (rendered once a second: the last call may take a second to show)
for _ in $(seq 30); do
	curl -s --cacert "$T/hras.crt" --resolve hras.test:443:127.0.0.1 \
		https://hras.test/sofw/metrics >"$T/metrics.txt" || fail "no /metrics"
	grep -qE '^sofw_hras_sip_requests_total\{method="BYE",direction="in"\} [1-9]' \
		"$T/metrics.txt" && break
	sleep 0.2
done
grep -q '^sofw_hras_tunnel_up{hrac="site-a"} 1$' "$T/metrics.txt" ||
	fail "site-a's tunnel is not up in the metrics: $(grep tunnel_up "$T/metrics.txt")"
regs=$(awk '$1 == "sofw_hras_registrations" { print $2 }' "$T/metrics.txt")
[ "${regs:-0}" -ge 2 ] || fail "registrations in the metrics: ${regs:-none}"
for m in INVITE BYE; do
	grep -qE "^sofw_hras_sip_requests_total\\{method=\"$m\",direction=\"in\"\\} [1-9]" \
		"$T/metrics.txt" || fail "no $m counted: $(grep sip_requests "$T/metrics.txt")"
done
in_root runuser -u sofw -- hrac --status -c /etc/sofw/hrac.conf >"$T/status.out" 2>&1 ||
	fail "hrac --status says the tunnel is down: $(cat "$T/status.out")"
log "metrics: $regs registrations, site-a up; hrac --status exits 0"

log "== 7. systemctl reload: the unit's ExecReload"
MAINPID=$HRAS_PID
reload=$(unit hras-fcgi.service ExecReload)
: >"$T/notify.log"
eval "${reload//\$MAINPID/$MAINPID}" || fail "ExecReload: $reload"
wait_log "$T/notify.log" "^RELOADING=1"
wait_log "$T/notify.log" "^READY=1"
wait_log "$T/hras.log" "info: reloaded: "
kill -0 "$HRAS_PID" || fail "hras-fcgi died on its reload"
MAINPID=$HRAC_PID
reload=$(unit hrac.service ExecReload)
eval "${reload//\$MAINPID/$MAINPID}" || fail "hrac's ExecReload: $reload"
wait_log "$T/hrac.log" "info: reloaded: "
kill -0 "$HRAC_PID" || fail "hrac died on its reload"
log "reloaded: $(grep -c '^RELOADING=1' "$T/notify.log") RELOADING=1, both still running"
