#!/bin/bash
# SPDX-License-Identifier: BSD-3-Clause
# Copyright (c) 2026 the SoFW authors
# make install honours DESTDIR and PREFIX: programs, manual pages, the
# nginx snippet and example configurations land where they should, and
# the installed programs run.
. "$(dirname "$0")/../lib.sh"

SAN=0
[ "$B" = build-asan ] && SAN=1
make -C "$SOFW_TOP" --no-print-directory install SANITIZE=$SAN \
	DESTDIR="$T/root" PREFIX=/opt/sofw >"$T/install.log" 2>&1 ||
	{ cat "$T/install.log"; fail "make install"; }

for f in sbin/hras-fcgi sbin/hrac share/man/man8/hrac.8 share/man/man8/hras-fcgi.8 \
	share/man/man7/sofw-tunnel.7 share/man/man7/sofw.7 share/man/man5/hrac.conf.5 \
	share/man/man5/hras-fcgi.conf.5 share/sofw/nginx/sofw.conf \
	etc/sofw/hrac.conf.example etc/sofw/hras-fcgi.conf.example etc/sofw/users.example; do
	[ -e "$T/root/opt/sofw/$f" ] || fail "not installed: /opt/sofw/$f"
done
# (their output in $T: a sanitizer report there fails the test)
ours version "$T/root/opt/sofw/sbin/hrac" --version || fail "installed hrac --version failed"
grep -q "^hrac " "$T/version.out" || fail "installed hrac does not run"
ours version "$T/root/opt/sofw/sbin/hras-fcgi" --version ||
	fail "installed hras-fcgi --version failed"
grep -q "^hras-fcgi " "$T/version.out" || fail "installed hras-fcgi does not run"
log "installed under DESTDIR with PREFIX=/opt/sofw"
