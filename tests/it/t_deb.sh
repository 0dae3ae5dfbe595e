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
# The package build is the same in the sanitizer run (a package is built
# with dpkg-buildflags, never with SANITIZE): it runs there too.
. "$(dirname "$0")/../lib.sh"

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
lintian --pedantic "$T"/src/sofw_*.changes >"$T/lintian.log" 2>&1
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
