# SPDX-License-Identifier: BSD-3-Clause
# Copyright (c) 2026 the SoFW authors
# tests/lib.sh: what integration tests share.  Source it first thing:
#
#   . "$(dirname "$0")/../lib.sh"
#
# It moves the test into a network namespace of its own (so fixed ports
# never collide, and the real ports 80/443 can be used as in production),
# makes a temporary directory $T, and on exit stops every server it
# started (by PID) and fails the test if a sanitizer reported anything.
#
# Ports inside the namespace: nginx 80 (HTTP), 443 and 8443 (HTTPS), 8081
# (a path that buffers); 443 offers HTTP/2 too; Squid 3128;
# hras-fcgi on unix:$T/hras.sock.

set -u
SOFW_TOP=${SOFW_TOP:-$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)}
B=${B:-build}
BIN=$SOFW_TOP/$B
PROBE=$BIN/tests/sofw-probe
export SOFW_TOP B

if [ "${SOFW_NETNS:-}" != 1 ]; then
	if [ "$(id -u)" != 0 ]; then
		echo "this test needs root (it makes a network namespace)"
		exit 1
	fi
	# SOFW_MOUNTNS=1: a mount namespace of its own too (a test that
	# mounts: whatever it leaves goes with the namespace)
	SOFW_NETNS=1 exec unshare --net \
		${SOFW_MOUNTNS:+--mount --propagation private} -- bash "$0" "$@"
fi
ip link set lo up

# the names of the test's other namespaces (ip netns: host-wide) begin
# with $NS: sofw-PID, or sofw-TAG-PID for a test that sets NS_TAG (the
# fault tests: flt)
NS=sofw-${NS_TAG:+$NS_TAG-}$$

T=$(mktemp -d "${TMPDIR:-/tmp}/sofw-test.XXXXXX")
chmod 755 "$T"

# Known leaks of our programs that LeakSanitizer must not fail a test on,
# each until it is fixed: keep this list short, and say why.  (None now.)
: >"$T/lsan.supp"
export LSAN_OPTIONS="${LSAN_OPTIONS:+$LSAN_OPTIONS:}suppressions=$T/lsan.supp:print_suppressions=1"
SAN_FAIL=0

log() { echo "[$(date +%T.%3N)] $*"; }

dump_logs() {
	for f in "$T"/*.log; do
		[ -s "$f" ] || continue
		echo "---- ${f##*/} (last 30 lines)"
		tail -n 30 "$f"
	done
	# the phones: what sipp said, and its last messages
	for f in "$T"/sipp-*/*_errors.log "$T"/sipp-*/*_messages.log; do
		[ -s "$f" ] || continue
		echo "---- ${f#"$T"/} (last 40 lines)"
		tail -n 40 "$f" | tr -d '\r'
	done
}

fail() {
	echo "FAIL: $*"
	dump_logs
	exit 1
}

# Sanitizer reports in any log fail the test, even if everything else passed
SAN_RE="ERROR: (AddressSanitizer|LeakSanitizer)|runtime error:"
check_sanitizers() {
	local files hits
	# only the files that exist: grep's status is 2 when one is missing
	# (no *.err, say), even when another matched
	files=$(compgen -G "$T/*.log"; compgen -G "$T/*.out"; compgen -G "$T/*.err")
	[ -n "$files" ] || return 0
	hits=$(grep -lE "$SAN_RE" $files)
	if [ -n "$hits" ]; then
		echo "FAIL: sanitizer report in: $(echo $hits)"
		# shellcheck disable=SC2086
		grep -hE -A20 "$SAN_RE" $hits | head -60
		SAN_FAIL=1
	fi
}

NETNS=()

# ---- the processes a test starts ----------------------------------------
# track PID NAME [STATUS...]: a process started in the background that
# must run until the test stops it (a daemon).  stop_pid, or cleanup at
# the end, then requires that it was still running (did not crash or exit
# on its own), that it ended within 5 s of SIGTERM (no SIGKILL needed)
# and that it exited with one of the STATUS values (default 0: hras-fcgi,
# hrac, nginx, Squid and sipp all exit 0 on SIGTERM).  Anything else
# fails the test, with the status and the logs.  A test that ends a
# process on purpose in another way says so with kill_expect.
PIDS=()
declare -A PID_NAME=() PID_OK=()
DAEMON_FAIL=0

track() {
	local p=$1
	PIDS+=("$p")
	PID_NAME[$p]=${2:-pid $p}
	shift
	[ $# -gt 0 ] && shift
	PID_OK[$p]=${*:-0}
}

untrack() {
	local p keep=()
	for p in "${PIDS[@]}"; do
		[ "$p" != "$1" ] && keep+=("$p")
	done
	PIDS=("${keep[@]}")
}

# status_name N: " (killed by SIGSEGV)" for a status over 128
status_name() {
	[ "$1" -gt 128 ] && [ "$1" -lt 160 ] && echo " (killed by SIG$(kill -l "$(($1 - 128))"))"
}

# ended PID WAS_ALIVE KILLED: collect the status of a tracked process
# that was signalled (or found dead: WAS_ALIVE 0; KILLED 1 if it needed
# SIGKILL); returns 1, with the reason in $WHY, unless it ended as it
# should.  (Not in $(...): only this shell can wait for its children.)
WHY=
ended() {
	local p=$1 was_alive=$2 killed=$3 st name ok
	name=${PID_NAME[$p]:-pid $p} ok=${PID_OK[$p]:-0}
	wait "$p" 2>/dev/null
	st=$?
	untrack "$p"
	if [ "$was_alive" = 0 ]; then
		WHY="$name (pid $p) had already ended, with status $st$(status_name "$st"), before the test stopped it"
		return 1
	fi
	if [ "$killed" = 1 ]; then
		WHY="$name (pid $p) did not end within 5 s of SIGTERM: SIGKILLed"
		return 1
	fi
	case " $ok " in *" $st "*) return 0 ;; esac
	WHY="$name (pid $p) exited with status $st$(status_name "$st") after SIGTERM (expected ${ok// / or })"
	return 1
}

# kill_hard PID: SIGKILL for a process that ignored SIGTERM, and for its
# children (nginx's workers would outlive their master)
kill_hard() {
	local kids
	kids=$(pgrep -P "$1")
	# shellcheck disable=SC2086
	kill -KILL "$1" $kids 2>/dev/null
}

# gone PID [TRIES]: wait (0.05 s a try, 100 tries) until PID has ended
gone() {
	for _ in $(seq "${2:-100}"); do
		kill -0 "$1" 2>/dev/null || return 0
		sleep 0.05
	done
	return 1
}

# Stop one process we started (tracked), by PID, and check how it ended
stop_pid() {
	local p=$1 alive=1 killed=0
	kill -0 "$p" 2>/dev/null || alive=0
	if [ $alive = 1 ]; then
		kill -TERM "$p" 2>/dev/null
		gone "$p" || { kill_hard "$p"; killed=1; }
	fi
	ended "$p" $alive $killed || fail "$WHY"
	log "stopped ${PID_NAME[$p]:-pid $p}: it ended cleanly"
}

# kill_expect PID SIGNAL STATUS...: the test ends a tracked process on
# purpose with SIGNAL; it must end within 5 s with one of STATUS
kill_expect() {
	local p=$1 sig=$2 st
	shift 2
	kill -0 "$p" 2>/dev/null ||
		fail "${PID_NAME[$p]:-pid $p} had already ended before SIG$sig"
	kill "-$sig" "$p"
	gone "$p" || { kill_hard "$p"; wait "$p" 2>/dev/null; untrack "$p"; fail "${PID_NAME[$p]:-pid $p} did not end within 5 s of SIG$sig"; }
	wait "$p" 2>/dev/null
	st=$?
	untrack "$p"
	case " $* " in *" $st "*) ;; *) fail "${PID_NAME[$p]:-pid $p} exited with status $st$(status_name "$st") after SIG$sig (expected ${*// / or })" ;; esac
	log "SIG$sig: ${PID_NAME[$p]:-pid $p} exited with status $st, as expected"
}

# commands a test adds: run first when it ends (before its processes
# are stopped), and last (once they are gone, before $T is removed)
CLEANUP_FIRST=()
CLEANUP_LAST=()

cleanup() {
	local rc=$? i p n c
	local -A alive=() killed=()
	for c in "${CLEANUP_FIRST[@]}"; do eval "$c" 2>/dev/null; done
	# the tracked processes, one at a time: none may have died on its
	# own, each must end cleanly on SIGTERM.  The clients (hrac, probes,
	# phones) go first, then the servers (hras-fcgi, nginx, Squid), each
	# group the last started first: so a server is never stopped under a
	# client that would reconnect while it shuts down.
	local order=() servers=()
	for ((i = ${#PIDS[@]} - 1; i >= 0; i--)); do
		p=${PIDS[i]}
		case ${PID_NAME[$p]:-} in
		hras-fcgi* | nginx* | squid*) servers+=("$p") ;;
		*) order+=("$p") ;;
		esac
	done
	for p in "${order[@]}" "${servers[@]}"; do
		alive[$p]=1 killed[$p]=0
		kill -0 "$p" 2>/dev/null || alive[$p]=0
		if [ "${alive[$p]}" = 1 ]; then
			kill -TERM "$p" 2>/dev/null
			gone "$p" || { kill_hard "$p"; killed[$p]=1; }
		fi
	done
	for p in "${PIDS[@]}"; do
		if ! ended "$p" "${alive[$p]}" "${killed[$p]}"; then
			echo "FAIL: $WHY"
			DAEMON_FAIL=1
		fi
	done
	# what is left in the test's namespaces (phones, echoes) goes
	for n in "${NETNS[@]}"; do
		ip netns pids "$n" 2>/dev/null | xargs -r kill -KILL 2>/dev/null
	done
	wait 2>/dev/null
	for n in "${NETNS[@]}"; do
		ip netns del "$n" 2>/dev/null
	done
	for c in "${CLEANUP_LAST[@]}"; do eval "$c" 2>/dev/null; done
	check_sanitizers
	[ $DAEMON_FAIL = 1 ] && [ $rc = 0 ] && dump_logs
	if [ "${KEEP:-}" = 1 ]; then
		echo "kept $T"
	else
		# never into a file system mounted below $T (a test's root)
		rm -rf --one-file-system "$T"
	fi
	[ $SAN_FAIL = 1 ] && exit 1
	[ $DAEMON_FAIL = 1 ] && exit 1
	exit $rc
}
trap cleanup EXIT

# benchmarks: CPU time so far
cpu_ticks() { # utime + stime of a PID and its children, in clock ticks
	local t=0 p
	for p in $1 $(pgrep -P "$1"); do
		t=$((t + $(awk '{ print $14 + $15 }' "/proc/$p/stat" 2>/dev/null || echo 0)))
	done
	echo $t
}

wait_tcp() {
	local host=$1 port=$2 tries=${3:-100}
	for _ in $(seq "$tries"); do
		(exec 3<>"/dev/tcp/$host/$port") 2>/dev/null && return 0
		sleep 0.05
	done
	fail "nothing listens on $host:$port"
}

wait_log() {
	local file=$1 re=$2 tries=${3:-100}
	for _ in $(seq "$tries"); do
		grep -qE "$re" "$file" 2>/dev/null && return 0
		sleep 0.05
	done
	fail "no line matching '$re' in ${file##*/}"
}

# wait_log_more FILE RE N [TRIES]: more than N lines match (a log that a
# restarted daemon appends to already holds the last run's lines)
wait_log_more() {
	local file=$1 re=$2 n=$3 tries=${4:-100} c
	for _ in $(seq "$tries"); do
		c=$(grep -cE "$re" "$file" 2>/dev/null)
		[ "${c:-0}" -gt "$n" ] && return 0
		sleep 0.05
	done
	fail "no new line matching '$re' in ${file##*/}"
}

expect_log() {
	grep -qE "$2" "$1" || fail "expected a line matching '$2' in ${1##*/}"
	log "log ${1##*/} has: $(grep -hE "$2" "$1" | head -1 | cut -c1-160)"
}

# An HRAC identity: a line in $T/hracs and $T/NAME.secret
make_identity() {
	local name=$1 secret=${2:-$(head -c 18 /dev/urandom | base64 | tr '+/' '-_')}
	printf '%s:%s\n' "$name" "$secret" >>"$T/hracs"
	chmod 600 "$T/hracs"
	printf '%s\n' "$secret" >"$T/$name.secret"
	chmod 600 "$T/$name.secret"
}

# wait_more FILE REGEX N: until more than N lines match
wait_more() {
	local file=$1 re=$2 n=$3 tries=${4:-200}
	for _ in $(seq "$tries"); do
		[ "$(grep -cE "$re" "$file" 2>/dev/null)" -gt "$n" ] && return 0
		sleep 0.05
	done
	fail "no new line matching '$re' in ${file##*/}"
}

HRAS_PID=
HRAS_SOCKET=unix:$T/hras.sock
HRAS_ARGS=() # the arguments of the last start_hras: a restart repeats them
start_hras() {
	local before
	HRAS_ARGS=("$@")
	before=$(grep -c "info: ready" "$T/hras.log" 2>/dev/null || true)
	[ -f "$T/hracs" ] || { make_identity site-a; make_identity site-b; }
	"$BIN/hras-fcgi" -f -s "$HRAS_SOCKET" --socket-mode 0666 \
		--hracs "$T/hracs" -v "$@" >>"$T/hras.log" 2>&1 &
	HRAS_PID=$!
	track $HRAS_PID hras-fcgi
	wait_more "$T/hras.log" "info: ready" "${before:-0}"
}

stop_hras() { stop_pid "$HRAS_PID"; }

gen_cert() {
	[ -f "$T/hras.crt" ] && return 0
	openssl req -x509 -newkey rsa:2048 -nodes -days 2 -subj /CN=hras.test \
		-addext "subjectAltName=DNS:hras.test,IP:127.0.0.1,IP:127.0.0.2,IP:192.0.2.1" \
		-keyout "$T/hras.key" -out "$T/hras.crt" >/dev/null 2>&1 ||
		fail "openssl could not make a certificate"
}

NGINX_PID=
NGINX_ADDR=127.0.0.1
NGINX_HTTP_EXTRA= # a line for nginx's http block (an upstream of nodes)
start_nginx() {
	gen_cert
	mkdir -p "$T/nginx-tmp"
	sed -e "s|unix:/run/sofw/hras.sock|$HRAS_SOCKET|" \
		-e "s|include fastcgi_params;|include /etc/nginx/fastcgi_params;|" \
		"$SOFW_TOP/nginx/sofw.conf" >"$T/sofw.conf"
	sed -e "s|@DIR@|$T|g" -e "s|@FCGI@|$HRAS_SOCKET|g" \
		-e "s|@HTTP@|$NGINX_ADDR:80|" -e "s|@HTTPS@|$NGINX_ADDR:443|" \
		-e "s|@HTTPS_ALT@|$NGINX_ADDR:8443|" -e "s|@BUFFERED@|$NGINX_ADDR:8081|" \
		${NGINX_HTTP_EXTRA:+-e "/^http {/a $NGINX_HTTP_EXTRA"} \
		"$SOFW_TOP/tests/nginx.conf.in" >"$T/nginx.conf"
	nginx -p "$T" -c "$T/nginx.conf" -g 'daemon off;' >>"$T/nginx.log" 2>&1 &
	NGINX_PID=$!
	track $NGINX_PID nginx
	wait_tcp "$NGINX_ADDR" 80
	wait_tcp "$NGINX_ADDR" 443
}

stop_nginx() { stop_pid "$NGINX_PID"; }

# reload_nginx: SIGHUP, then wait until the workers of the old
# configuration have exited: until then a new connection may still be
# served by one of them (with long-lived connections open, they linger)
reload_nginx() {
	local old p left
	old=$(pgrep -P "$NGINX_PID")
	kill -HUP "$NGINX_PID" || fail "nginx is gone"
	for _ in $(seq 200); do
		left=
		for p in $old; do
			kill -0 "$p" 2>/dev/null && left=1
		done
		[ -z "$left" ] && [ -n "$(pgrep -P "$NGINX_PID")" ] && return 0
		sleep 0.05
	done
	fail "nginx's old workers did not exit within 10 s of SIGHUP"
}

SQUID_PID=
SQUID_AUTH=none
start_squid() {
	local auth=${1:-$SQUID_AUTH}
	SQUID_AUTH=$auth
	mkdir -p "$T/squid"
	chown proxy:proxy "$T/squid"
	sed -e "s|@DIR@|$T/squid|g" "$SOFW_TOP/squid-test/auth-$auth.conf" \
		>"$T/squid/auth.conf"
	sed -e "s|@DIR@|$T/squid|g" -e "s|@LISTEN@|127.0.0.1:3128|" \
		-e "s|@LAN@|${SQUID_LAN:-127.0.0.0/8}|" \
		"$SOFW_TOP/squid-test/squid.conf" >"$T/squid/squid.conf"
	# users: alice:wonderland for Basic (APR1 hash) and Digest
	openssl passwd -apr1 wonderland | sed 's/^/alice:/' >"$T/squid/squid-passwd"
	echo "alice:wonderland" >"$T/squid/squid-digest-passwd"
	chown proxy:proxy "$T"/squid/*
	# each Squid's access log of its own: a check of it sees only what
	# went through this one
	rm -f "$T/squid/squid-access.log"
	squid -N -f "$T/squid/squid.conf" >>"$T/squid.log" 2>&1 &
	SQUID_PID=$!
	track $SQUID_PID squid
	wait_tcp 127.0.0.1 3128 200
}

stop_squid() { stop_pid "$SQUID_PID"; }

PROXY=http://127.0.0.1:3128

# ours NAME command...: run one of our programs in the foreground with
# its output (stdout and stderr) in a file of its own, $T/NAME-N.out for
# the Nth run, and $T/NAME.out pointing to the latest; returns its exit
# status.  No run's output is overwritten, so that cleanup scans every
# one for sanitizer reports; a report fails the test at once.
declare -A OURS_N=()
ours() {
	local name=$1 n rc
	shift
	n=$((${OURS_N[$name]:-0} + 1))
	OURS_N[$name]=$n
	"$@" >"$T/$name-$n.out" 2>&1
	rc=$?
	ln -sfn "$name-$n.out" "$T/$name.out"
	if grep -qE "$SAN_RE" "$T/$name-$n.out"; then
		grep -E -A20 "$SAN_RE" "$T/$name-$n.out" | head -40
		fail "sanitizer report in the output of $*"
	fi
	return $rc
}

# expect_rc WANT GOT WHAT: an exit status is the one the manual promises
expect_rc() {
	[ "$2" = "$1" ] || fail "$3: exit status $2$(status_name "$2"), expected $1"
}

# hrac --diagnose with the test's identity; output in $T/diag.out (a
# link to this run's own $T/diag-N.out); returns hrac's exit status
diagnose() {
	local id=$1 rc
	shift
	ours diag "$BIN/hrac" --id "$id" --secret-file "$T/$id.secret" \
		--diagnose --pings 10 "$@"
	rc=$?
	sed 's/^/    diag: /' "$T/diag.out"
	return $rc
}

HRAC_PID=
start_hrac() {
	local id=$1
	shift
	"$BIN/hrac" -f -v --id "$id" --secret-file "$T/$id.secret" "$@" \
		>>"$T/hrac-$id.log" 2>&1 &
	HRAC_PID=$!
	track $HRAC_PID "hrac $id"
}

# sofw-probe: hrac's tunnel code in a test harness (tests/tools/sofw-probe.c)
probe() {
	local id=$1
	shift
	"$PROBE" --id "$id" --secret-file "$T/$id.secret" "$@"
}

# ---- network namespaces -------------------------------------------------
# The test's own namespace is the Internet ("wan"): HRAS answers on
# 192.0.2.1, outside phones use 192.0.2.10 and up.  site NAME N creates a
# LAN namespace $NS-NAME whose hosts all live at 10.77.1.x (every
# site has the same private plan), linked to the wan by 10.77.20N.0/30
# and routed through it.  in_site NAME cmd... runs a command there.

wan_up() {
	ip addr add 192.0.2.1/32 dev lo
	for i in 10 11 12 13; do
		ip addr add 192.0.2.$i/32 dev lo
	done
	NGINX_ADDR=192.0.2.1
}

site() {
	local name=$1 n=$2 ns=$NS-$1
	ip netns add "$ns" || fail "ip netns add $ns"
	NETNS+=("$ns")
	ip link add "w$name" type veth peer name "s$name" netns "$ns" ||
		fail "veth for $name"
	ip addr add "10.77.20$n.1/30" dev "w$name"
	ip link set "w$name" up
	ip -n "$ns" link set lo up
	ip -n "$ns" link set "s$name" up
	ip -n "$ns" addr add "10.77.20$n.2/30" dev "s$name"
	ip -n "$ns" route add default via "10.77.20$n.1"
	for i in 1 10 11 12; do
		ip -n "$ns" addr add "10.77.1.$i/32" dev lo
	done
}

in_site() {
	local ns=$NS-$1
	shift
	ip netns exec "$ns" "$@"
}

# hrac of a site: in_site NAME, identity NAME, SIP on 10.77.1.1:5060
start_site_hrac() {
	local name=$1 up="up: (streaming|batch POST) works" before
	shift
	before=$(grep -cE "$up" "$T/hrac-$name.log" 2>/dev/null)
	# a simple command, so that $! is hrac itself (ip execs it)
	ip netns exec "$NS-$name" "$BIN/hrac" -f -v --id "$name" \
		--secret-file "$T/$name.secret" --sip 10.77.1.1:5060 "$@" \
		>>"$T/hrac-$name.log" 2>&1 &
	printf -v "SITE_HRAC_${name//-/_}" %s $!
	track $! "hrac $name"
	wait_log_more "$T/hrac-$name.log" "$up" "${before:-0}" 300
}

# A user of the users file: NAME PASSWORD (realm example.test)
make_user() {
	local h
	h=$(printf '%s:example.test:%s' "$1" "$2" | md5sum | cut -d' ' -f1)
	printf '%s:example.test:%s\n' "$1" "$h" >>"$T/users"
	h=$(printf '%s:example.test:%s' "$1" "$2" | sha256sum | cut -d' ' -f1)
	printf '%s:example.test:%s\n' "$1" "$h" >>"$T/users"
	chmod 600 "$T/users"
}

# sipp [in_site NAME] ...: a SIP test phone; logs in $T
SIPP_SCEN=$SOFW_TOP/tests/sipp
