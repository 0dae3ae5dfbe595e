#!/bin/sh
# SPDX-License-Identifier: BSD-3-Clause
# Copyright (c) 2026 the SoFW authors
# deps.sh PURPOSE: install the Debian packages SoFW needs for PURPOSE
# (build, check, demo, bench) when they are missing.
#
# As root it installs them with apt-get; otherwise it prints the exact
# command to run and stops, so nothing happens behind an operator's back.

set -u
purpose=${1:-check}

build="gcc make pkg-config libre-dev libfcgi-dev libcurl4-openssl-dev libssl-dev libhiredis-dev"
# the Debian packages' build and checks (tests/it/t_deb.sh): dh, lintian,
# systemd-analyze verify and systemd-sysusers on the units
pkg="dpkg-dev debhelper fakeroot lintian systemd"
# nftables: the network fault (tests/fault.sh, net) silences a link
run="nginx squid redis-server spawn-fcgi openssl curl iproute2 nftables procps psmisc python3 groff-base"
sip="sip-tester baresip-core"
# the second real softphone of the suite (tests/it/t_linphone.sh) and the
# tones it plays
phones="linphone-cli sox"
# systemd: systemd-socket-activate and systemd-sysusers (t_startup,
# t_privdrop: socket activation, the sofw system user)
tools="clang libclang-rt-14-dev e2fsprogs util-linux systemd"

case "$purpose" in
build) want="$build" ;;
check) want="$build $run $sip $phones $tools $pkg" ;;
bench) want="$build $run $sip $tools kamailio openvpn libnginx-mod-stream redis-tools tcpdump" ;;
demo) want="$build $run $sip" ;;
*) echo "deps.sh: unknown purpose '$purpose' (build, check, demo, bench)" >&2; exit 2 ;;
esac

missing=""
for p in $want; do
	st=$(dpkg-query -W -f='${Status}' "$p" 2>/dev/null)
	case "$st" in
	*" installed") ;;
	*) missing="$missing $p" ;;
	esac
done

[ -z "$missing" ] && exit 0

echo "SoFW needs these Debian packages for '$purpose':$missing"
if [ "$(id -u)" != 0 ]; then
	echo "Run as root:"
	echo "  apt-get update && apt-get install -y --no-install-recommends$missing"
	exit 1
fi

export DEBIAN_FRONTEND=noninteractive
# Package scripts must not start system-wide nginx or squid: tests start
# their own instances, and a stray daemon would hold ports 80 and 3128.
policy=/usr/sbin/policy-rc.d
if [ ! -e "$policy" ]; then
	printf '#!/bin/sh\nexit 101\n' >"$policy"
	chmod 755 "$policy"
	trap 'rm -f "$policy"' EXIT INT TERM
fi

# shellcheck disable=SC2086
if ! apt-get install -y --no-install-recommends $missing </dev/null; then
	echo "deps.sh: install failed; refreshing the package lists and retrying"
	apt-get update </dev/null || exit 1
	# shellcheck disable=SC2086
	apt-get install -y --no-install-recommends $missing </dev/null || exit 1
fi
echo "deps.sh: installed$missing"
