#!/bin/bash
# SPDX-License-Identifier: BSD-3-Clause
# Copyright (c) 2026 the SoFW authors
# The documentation says what the programs do:
#  - every manual page renders without a warning;
#  - every option each program lists in --help (made from its options
#    table) is in the program's page and, as a key, in its config page;
#  - every default the table holds (--help prints "(default X)") is the
#    default both pages state for that option, and the value the example
#    config shows when it shows the key;
#  - README's layout section names every directory of the tree, and only
#    directories that exist.
set -u
cd "${SOFW_TOP:-$(dirname "$0")/../..}" || exit 2
B=${B:-build}
check=tests/tools/doc-check.py
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

python3 $check options "$B/hras-fcgi" man/hras-fcgi.8 man/hras-fcgi.conf.5 \
	etc/hras-fcgi.conf.example || fail=1
python3 $check options "$B/hrac" man/hrac.8 man/hrac.conf.5 \
	etc/hrac.conf.example || fail=1
python3 $check layout || fail=1

exit $fail
