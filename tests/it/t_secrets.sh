#!/bin/bash
# SPDX-License-Identifier: BSD-3-Clause
# Copyright (c) 2026 the SoFW authors
# Secrets stay secret (issue 12, item 5): hrac runs through a Squid that
# asks for a password, the password given each way an administrator might
# (a URL on the command line, https_proxy, --proxy-user on the command
# line, proxy-user in a config file of mode 0600); with the tunnel up
# through the authenticated proxy (Squid's log shows alice's requests
# let through), the password is in no log, not in the status file, not in
# hrac --status or --diagnose output, not in ps or /proc/PID/cmdline and
# environ.  Also: short HRAC secrets get a warning.
. "$(dirname "$0")/../lib.sh"

PW=wonderland # lib.sh's Squid: alice:wonderland
start_hras --echo
start_nginx
start_squid basic

n=0
# run_case WHAT [VAR=VALUE] -- hrac arguments...
run_case() {
	local what=$1 envs=() pid alice_before alice_after f
	shift
	while [ "$1" != -- ]; do
		envs+=("$1")
		shift
	done
	shift
	n=$((n + 1))
	log "== $what"
	alice_before=$(awk '$8 ~ /alice/ && $4 ~ /\/200$/' "$T/squid/squid-access.log" 2>/dev/null | wc -l)
	env "${envs[@]}" "$BIN/hrac" -f -v --id site-a --secret-file "$T/site-a.secret" \
		--sip 127.0.0.1:5060 --status-file "$T/st-$n" "$@" >"$T/hrac-$n.log" 2>&1 &
	pid=$!
	track $pid "hrac $n"
	wait_log "$T/hrac-$n.log" "session open" 300
	wait_log "$T/hrac-$n.log" "up: (streaming|batch POST) works" 300
	kill -USR1 $pid # the state in the log too
	wait_log "$T/hrac-$n.log" "info: status: " 100
	for _ in $(seq 40); do [ -s "$T/st-$n" ] && break; sleep 0.1; done
	[ -s "$T/st-$n" ] || fail "$what: no status file"
	# the path went through Squid, authenticated as alice
	grep -qE "session open \((plain HTTP proxy|CONNECT through) http://[^ ]*127.0.0.1:3128" "$T/hrac-$n.log" ||
		fail "$what: the tunnel did not go through the proxy: $(grep 'session open' "$T/hrac-$n.log")"

	# everything a person or another user can see
	ps -o args= -p $pid >"$T/ps-$n"
	tr '\0' ' ' <"/proc/$pid/cmdline" >"$T/cmdline-$n"
	tr '\0' '\n' <"/proc/$pid/environ" >"$T/environ-$n"
	ours status "$BIN/hrac" --status --status-file "$T/st-$n"
	cp "$T/status.out" "$T/status-$n.out"
	ours diag env "${envs[@]}" "$BIN/hrac" --id site-a \
		--secret-file "$T/site-a.secret" --diagnose --pings 3 "$@"
	grep -q "^result: OK" "$T/diag.out" || fail "$what: diagnose: $(cat "$T/diag.out")"
	cp "$T/diag.out" "$T/diag-case-$n.out"
	sed 's/^/    ps: /' "$T/ps-$n"
	grep -h "path:\|tunnel to" "$T/diag-case-$n.out" "$T/hrac-$n.log" | head -2 | sed 's/^/    shown: /'
	for f in "$T/hrac-$n.log" "$T/st-$n" "$T/ps-$n" "$T/cmdline-$n" \
		"$T/environ-$n" "$T/status-$n.out" "$T/diag-case-$n.out" "$T/hras.log"; do
		if grep -q "$PW" "$f"; then
			grep -n "$PW" "$f" | head -3
			fail "$what: the password is in ${f##*/}"
		fi
	done
	stop_pid $pid
	untrack $pid
	# Squid logs a request (a CONNECT tunnel too) when it ends
	for _ in $(seq 50); do
		alice_after=$(awk '$8 ~ /alice/ && $4 ~ /\/200$/' "$T/squid/squid-access.log" | wc -l)
		[ "$alice_after" -gt "$alice_before" ] && break
		sleep 0.1
	done
	[ "$alice_after" -gt "$alice_before" ] ||
		fail "$what: Squid let no request of alice through"
	log "Squid let $((alice_after - alice_before)) requests of alice through"
	grep -q "$PW" "$T/hrac-$n.log" && fail "$what: the password is in the log after the stop"
	log "$what: the password is nowhere to be seen"
}

run_case "a URL with the password on the command line" -- \
	--server http://127.0.0.1/sofw/ --proxy "http://alice:$PW@127.0.0.1:3128"
grep -q "alice:\*\*\*@127.0.0.1:3128" "$T/hrac-$n.log" ||
	fail "the URL is not shown redacted: $(grep 'tunnel to' "$T/hrac-$n.log")"

run_case "https_proxy with the password, CONNECT + TLS" \
	"https_proxy=http://alice:$PW@127.0.0.1:3128" -- \
	--server https://127.0.0.1/sofw/ --cacert "$T/hras.crt"
grep -q "CONNECT through http://alice:\*\*\*@127.0.0.1:3128" "$T/status-$n.out" ||
	fail "status: the path is not shown redacted: $(cat "$T/status-$n.out")"

run_case "--proxy-user on the command line" -- \
	--server http://127.0.0.1/sofw/ --proxy $PROXY --proxy-user "alice:$PW"
grep -q -- "--proxy-user alice:\*\*\*" "$T/ps-$n" || fail "ps does not show alice:***: $(cat "$T/ps-$n")"

printf 'server http://127.0.0.1/sofw/\nproxy %s\nproxy-user alice:%s\n' "$PROXY" "$PW" >"$T/hrac.conf"
chmod 600 "$T/hrac.conf"
run_case "proxy-user in a config file of mode 0600" -- -c "$T/hrac.conf"

log "== short HRAC secrets are warned about"
make_identity tiny abc
ours short "$BIN/hrac" --id tiny --secret-file "$T/tiny.secret" \
	--server http://127.0.0.1/sofw/ --diagnose --pings 1
grep -q "tiny.secret: the secret is 3 bytes: give it at least 16" "$T/short.out" ||
	fail "hrac: no warning about a short secret: $(cat "$T/short.out")"
# it stops soon after (no such socket directory): the warning came first
ours shorthras "$BIN/hras-fcgi" -f -s unix:"$T/nodir/x.sock" --hracs "$T/hracs" --echo
grep -q "line [0-9]*: the secret of 'tiny' is 3 bytes" "$T/shorthras.out" ||
	fail "hras-fcgi: no warning about a short secret: $(head -5 "$T/shorthras.out")"
log "passwords stay secret"
