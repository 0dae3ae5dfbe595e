#!/bin/bash
# SPDX-License-Identifier: BSD-3-Clause
# Copyright (c) 2026 the SoFW authors
# make install honours DESTDIR and PREFIX: programs, manual pages, the
# nginx snippet and site example, the systemd units, sysusers.d and
# tmpfiles.d files and example configurations land where they should, the
# credential examples are 0600 and refused as they are, the site passes
# nginx -t, the installed programs run, and make uninstall takes it all
# away again.  The build: hardened binaries (BIND_NOW, stack protector,
# _FORTIFY_SOURCE), CFLAGS/CPPFLAGS/LDFLAGS from the builder honoured,
# -Werror only in a checkout.
. "$(dirname "$0")/../lib.sh"

SAN=0
[ "$B" = build-asan ] && SAN=1
make -C "$SOFW_TOP" --no-print-directory install SANITIZE=$SAN \
	DESTDIR="$T/root" PREFIX=/opt/sofw >"$T/install.log" 2>&1 ||
	{ cat "$T/install.log"; fail "make install"; }
R=$T/root/opt/sofw

for f in sbin/hras-fcgi sbin/hrac share/man/man8/hrac.8 share/man/man8/hras-fcgi.8 \
	share/man/man7/sofw-tunnel.7 share/man/man7/sofw.7 share/man/man7/sofw-security.7 \
	share/man/man5/hrac.conf.5 share/man/man5/hras-fcgi.conf.5 \
	share/sofw/nginx/sofw.conf share/sofw/nginx/sofw-site.conf \
	share/sofw/nginx/sofw-cluster.conf \
	lib/systemd/system/hras-fcgi.socket lib/systemd/system/hras-fcgi.service \
	lib/systemd/system/hrac.service lib/sysusers.d/sofw.conf lib/tmpfiles.d/sofw.conf \
	etc/sofw/hrac.conf.example etc/sofw/hras-fcgi.conf.example \
	etc/sofw/hracs.example etc/sofw/users.example; do
	[ -e "$R/$f" ] || fail "not installed: /opt/sofw/$f"
done
# the tests' nginx template is not a configuration anyone should install
[ -z "$(find "$T/root" -name 'sofw-server.conf' -o -name 'nginx.conf.in')" ] ||
	fail "the tests' nginx template was installed"
grep -rl '@[A-Z_]*@' "$R/share/sofw" && fail "an installed nginx file has @...@ placeholders"
log "installed under DESTDIR with PREFIX=/opt/sofw"

# the units name this install's paths
grep -qx 'ExecStart=/opt/sofw/sbin/hras-fcgi -f -c /opt/sofw/etc/sofw/hras-fcgi.conf' \
	"$R/lib/systemd/system/hras-fcgi.service" || fail "hras-fcgi.service: ExecStart not this install's"
grep -qx 'ExecStart=/opt/sofw/sbin/hrac -f -c /opt/sofw/etc/sofw/hrac.conf' \
	"$R/lib/systemd/system/hrac.service" || fail "hrac.service: ExecStart not this install's"
grep -q "include /opt/sofw/share/sofw/nginx/sofw.conf;" "$R/share/sofw/nginx/sofw-site.conf" ||
	fail "sofw-site.conf does not include this install's snippet"

# the credential examples: 0600, and refused as they are
for f in hracs users; do
	m=$(stat -c %a "$R/etc/sofw/$f.example")
	[ "$m" = 600 ] || fail "$f.example installed mode $m, not 600"
done
m=$(stat -c %a "$R/etc/sofw/hras-fcgi.conf.example")
[ "$m" = 644 ] || fail "hras-fcgi.conf.example installed mode $m, not 644"
make_identity site-a
ours hracs timeout 20 "$R/sbin/hras-fcgi" -f --hracs "$R/etc/sofw/hracs.example" \
	--open-registrar -s "unix:$T/ex.sock" --sip 127.0.0.1:15098
rc=$?
[ "$rc" != 0 ] && [ "$rc" != 124 ] || fail "hras-fcgi started with the example hracs"
grep -q "hracs.example line [0-9]*: replace the example secret" "$T/hracs.out" ||
	fail "hras-fcgi did not say to replace the example secret: $(cat "$T/hracs.out")"
ours users timeout 20 "$R/sbin/hras-fcgi" -f --hracs "$T/hracs" --users "$R/etc/sofw/users.example" \
	-s "unix:$T/ex.sock" --sip 127.0.0.1:15098
rc=$?
[ "$rc" != 0 ] && [ "$rc" != 124 ] || fail "hras-fcgi started with the example users"
grep -q "users.example line [0-9]*: replace the example secret" "$T/users.out" ||
	fail "hras-fcgi did not say to replace the example secret: $(cat "$T/users.out")"
log "credential examples are 0600 and refused: $(head -1 "$T/hracs.out")"

# the site example is a real TLS server: nginx -t passes once its
# certificate exists (here the test's, in place of the example's paths;
# and the snippet is under DESTDIR)
gen_cert
mkdir -p "$T/ng"
cp /etc/nginx/fastcgi_params "$T/ng/"
sed -e "s|/etc/ssl/certs/sofw.example.com.pem|$T/hras.crt|" \
	-e "s|/etc/ssl/private/sofw.example.com.key|$T/hras.key|" \
	-e "s|include /opt/sofw/|include $T/root/opt/sofw/|" \
	"$R/share/sofw/nginx/sofw-site.conf" >"$T/ng/site.conf"
cat >"$T/ng/nginx.conf" <<EOF
pid $T/ng/nginx.pid;
error_log $T/ng/error.log;
events {}
http { include $T/ng/site.conf; }
EOF
nginx -t -p "$T/ng" -c "$T/ng/nginx.conf" >"$T/nginx-t.log" 2>&1 ||
	fail "nginx -t on the installed sofw-site.conf: $(cat "$T/nginx-t.log")"
log "nginx -t: the installed site example is a valid TLS server"

# (their output in $T: a sanitizer report there fails the test)
ours version "$R/sbin/hrac" --version || fail "installed hrac --version failed"
grep -q "^hrac " "$T/version.out" || fail "installed hrac does not run"
ours version "$R/sbin/hras-fcgi" --version ||
	fail "installed hras-fcgi --version failed"
grep -q "^hras-fcgi " "$T/version.out" || fail "installed hras-fcgi does not run"

# hardening: full RELRO (BIND_NOW), PIE, the stack protector or FORTIFY's
# checked functions
for p in hras-fcgi hrac; do
	readelf -d "$R/sbin/$p" | grep -q 'BIND_NOW' || fail "$p: no BIND_NOW (full RELRO)"
	readelf -h "$R/sbin/$p" | grep -q 'Type: *DYN' || fail "$p: not PIE"
	nm -D "$R/sbin/$p" | grep -qE '__stack_chk_fail|__[a-z_]+_chk@' ||
		fail "$p: neither the stack protector nor _FORTIFY_SOURCE"
done
log "hardened: BIND_NOW, PIE, $(nm -D "$R/sbin/hras-fcgi" | grep -cE '_chk@') checked functions"

make -C "$SOFW_TOP" --no-print-directory uninstall SANITIZE=$SAN \
	DESTDIR="$T/root" PREFIX=/opt/sofw >"$T/uninstall.log" 2>&1 ||
	{ cat "$T/uninstall.log"; fail "make uninstall"; }
left=$(find "$T/root" -type f)
[ -z "$left" ] || fail "make uninstall left: $left"
log "make uninstall removed every file"

# the builder's flags: added to SoFW's own (the include paths stay), from
# the make command line and from the environment; a change rebuilds
SANFLAG=
[ "$SAN" = 1 ] && SANFLAG=SANITIZE=1
CPPFLAGS=-DSOFW_T_ENV_CPP LDFLAGS=-Wl,--build-id=sha1 \
	make -C "$SOFW_TOP" --no-print-directory -f mk/build.mk $SANFLAG B="$T/b" \
	CFLAGS="-DSOFW_T_CMDLINE -O1" "$T/b/hrac" >"$T/flags.log" 2>&1 ||
	{ tail -20 "$T/flags.log"; fail "make CFLAGS=... did not build"; }
grep -q -- '-Isrc/common .*-DSOFW_T_ENV_CPP.*-DSOFW_T_CMDLINE -O1 -c -o .*main.o' "$T/flags.log" ||
	fail "the builder's CPPFLAGS/CFLAGS are not on the compile line after SoFW's: $(grep -m1 main.o "$T/flags.log")"
grep -q -- '-Wl,-z,now .*-Wl,--build-id=sha1 -o .*/hrac ' "$T/flags.log" ||
	fail "the builder's LDFLAGS are not on the link line"
ours version "$T/b/hrac" --version || fail "hrac built with CFLAGS=... does not run"
log "CFLAGS, CPPFLAGS, LDFLAGS from the builder honoured"

# -Werror: on in a git checkout, off elsewhere, as configure is told
mkdir -p "$T/cfg-here" "$T/cfg-tar"
cp "$SOFW_TOP/configure" "$T/cfg-tar/"
(cd "$T/cfg-tar" && ./configure >/dev/null) || fail "configure outside a checkout"
grep -qx 'WERROR ?= 0' "$T/cfg-tar/config.mk" || fail "-Werror on outside a checkout"
(cd "$T/cfg-tar" && ./configure --enable-werror >/dev/null) || fail "configure --enable-werror"
grep -qx 'WERROR ?= 1' "$T/cfg-tar/config.mk" || fail "--enable-werror did not turn -Werror on"
if [ -e "$SOFW_TOP/.git" ]; then
	(cd "$T/cfg-here" && "$SOFW_TOP/configure" >/dev/null) || fail "configure in a checkout"
	grep -qx 'WERROR ?= 1' "$T/cfg-here/config.mk" || fail "-Werror off in a checkout"
	(cd "$T/cfg-here" && "$SOFW_TOP/configure" --disable-werror >/dev/null) ||
		fail "configure --disable-werror"
	grep -qx 'WERROR ?= 0' "$T/cfg-here/config.mk" || fail "--disable-werror did not turn -Werror off"
fi
make -n -C "$SOFW_TOP" --no-print-directory -f mk/build.mk B="$T/b0" WERROR=0 \
	"$T/b0/src/common/log.o" | grep -q -- '-Werror ' && fail "WERROR=0 still builds with -Werror"
make -n -C "$SOFW_TOP" --no-print-directory -f mk/build.mk B="$T/b1" WERROR=1 \
	"$T/b1/src/common/log.o" | grep -q -- '-Werror ' || fail "WERROR=1 builds without -Werror"
log "-Werror in a checkout (make check) and with --enable-werror only"
