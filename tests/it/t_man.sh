#!/bin/bash
# Every manual page renders without a warning, and every option of both
# programs is documented in the program's page and its config-file page.
set -u
cd "${SOFW_TOP:-$(dirname "$0")/../..}" || exit 2
fail=0

for page in man/*.[0-9]; do
	warn=$(groff -ww -man -Tutf8 "$page" 2>&1 >/dev/null)
	if [ -n "$warn" ]; then
		echo "FAIL: $page: $warn"
		fail=1
	else
		echo "ok: $page renders cleanly"
	fi
done

check() { # source page confpage
	local src=$1 page=$2 conf=$3 name
	for name in $(grep -o 'OPT("[a-z-]*"' "$src" | sed 's/OPT("//; s/"//'); do
		# in roff a hyphen in an option is written \-
		grep -qF -- "\\-\\-${name//-/\\-}" "$page" ||
			{ echo "FAIL: --$name not in $page"; fail=1; }
		case $name in config | help | version) continue ;; esac
		grep -qE "^\.B[RI]? $name( |$)" "$conf" ||
			{ echo "FAIL: key $name not in $conf"; fail=1; }
	done
	echo "checked the options of $src against $page and $conf"
}
check src/hrac/hrac_conf.c man/hrac.8 man/hrac.conf.5
check src/hras-fcgi/hras_conf.c man/hras-fcgi.8 man/hras-fcgi.conf.5

exit $fail
