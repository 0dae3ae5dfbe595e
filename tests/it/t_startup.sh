#!/bin/bash
# SPDX-License-Identifier: BSD-3-Clause
# Copyright (c) 2026 the SoFW authors
# Start-up, as an administrator meets it (review 2026-12, section 4):
# every configuration error gives one line naming the option or file and
# exit status 2 before daemonizing; what only binding can tell (a port in
# use) still reaches the terminal, exit 1, from the daemon through the
# first process; -t checks and binds nothing; the pid file is locked and
# a second instance leaves the first's socket and pid file alone; the
# FastCGI socket is hras-fcgi's own (no libfcgi "bind/listen:", no file
# made of a bad spec, loopback unless --socket-remote); systemd socket
# activation and Type=notify readiness.
. "$(dirname "$0")/../lib.sh"

wan_up
make_identity site-a
for u in alice olivia; do make_user $u $u-pw; done
mkdir -p "$T/cwd"
cd "$T/cwd" || fail "cd"

HRAS=("$BIN/hras-fcgi" --hracs "$T/hracs" --open-registrar)
HRAC=("$BIN/hrac" --server http://192.0.2.1/sofw/ --id site-a
	--secret-file "$T/site-a.secret")

# refused RC LINE NAME command...: the command (not in the foreground:
# as a daemon would start) ends at once with RC and an output line LINE
# (fixed text), and with no other error line
refused() {
	local rc=$1 line=$2 name=$3 got
	shift 3
	timeout 10 "$@" </dev/null >"$T/$name.out" 2>&1
	got=$?
	[ "$got" = 124 ] && fail "$name: still running after 10 s (not refused)"
	grep -qF -- "$line" "$T/$name.out" ||
		fail "$name: no line '$line' in: $(cat "$T/$name.out")"
	expect_rc "$rc" "$got" "$name ($(head -1 "$T/$name.out"))"
	[ "$(grep -cE "error|hras-fcgi: |hrac: " "$T/$name.out")" = 1 ] ||
		fail "$name: more than one error line: $(cat "$T/$name.out")"
	log "$name: exit $got, '$line'"
}

log "== hras-fcgi: configuration errors exit 2 with one line, before daemonizing"
printf 'alice:example.test:nothex\n' >"$T/badusers"
chmod 600 "$T/badusers"
cp "$T/users" "$T/users644" && chmod 644 "$T/users644"
S=(-s "unix:$T/h.sock")
refused 2 "users: $T/badusers line 1: HA1 is 32 (MD5) or 64 (SHA-256) hex digits" \
	badusers "${HRAS[@]}" "${S[@]}" --users "$T/badusers" --sip 127.0.0.1:15060
refused 2 "users644: readable by others (mode 0644); run: chmod 600" \
	users644 "${HRAS[@]}" "${S[@]}" --users "$T/users644" --sip 127.0.0.1:15060
refused 2 "digest-algorithms: 'sha1' is not md5 or sha-256" \
	digest "${HRAS[@]}" "${S[@]}" --digest-algorithms sha1
refused 2 "--sip takes ADDR:PORT, e.g. 192.0.2.1:5060 or [2001:db8::1]:5060, not 'notanaddress'" \
	sipbad "${HRAS[@]}" "${S[@]}" --sip notanaddress
refused 2 "--sip 0.0.0.0:15099: a wildcard address is not supported" \
	sipany "${HRAS[@]}" "${S[@]}" --sip 0.0.0.0:15099
refused 2 "--state $T/nodir/reg: the directory $T/nodir does not exist" \
	state "${HRAS[@]}" "${S[@]}" --state "$T/nodir/reg"
refused 2 "--outbound takes a SIP URI like sip:trunk.example.net:5060, not 'not a uri'" \
	outbound "${HRAS[@]}" "${S[@]}" --outbound "not a uri"
refused 2 "--user nosuchsofwuser: no such user" \
	user "${HRAS[@]}" "${S[@]}" --user nosuchsofwuser
refused 2 "--pidfile $T/nodir/hras.pid: the directory $T/nodir does not exist" \
	pidfile "${HRAS[@]}" "${S[@]}" --pidfile "$T/nodir/hras.pid"

log "== hras-fcgi: the FastCGI socket spec"
refused 2 "--socket unix:$T/nodir/h.sock: the directory $T/nodir does not exist" \
	sockdir "${HRAS[@]}" -s "unix:$T/nodir/h.sock"
refused 2 "--socket notahost:abc: the port must be a number from 1 to 65535" \
	socknotahost "${HRAS[@]}" -s notahost:abc
refused 2 "--socket 19003: give an address with the port, e.g. 127.0.0.1:19003" \
	sockport "${HRAS[@]}" -s 19003
refused 2 "--socket :19004: give the address to listen on, e.g. 127.0.0.1:19004" \
	sockcolon "${HRAS[@]}" -s :19004
long=$T/$(printf 'x%.0s' $(seq 120))
refused 2 "the path is $((${#long})) bytes long; a unix socket's path holds at most 107" \
	socklong "${HRAS[@]}" -s "unix:$long"
refused 2 "--socket 192.0.2.1:19005: not a loopback address: the FastCGI port would be open to other hosts; give --socket-remote" \
	sockremote "${HRAS[@]}" -s 192.0.2.1:19005
[ -z "$(ls -A "$T/cwd")" ] || fail "a bad --socket left a file behind: $(ls -A "$T/cwd")"
grep -l "bind/listen" "$T"/*.out && fail "libfcgi's own message reached the terminal"
log "no file made of a bad spec, no 'bind/listen:'"

log "== hras-fcgi: no --socket and no socket passed is an error at once"
refused 2 "no FastCGI socket: give --socket unix:PATH or HOST:PORT" \
	nosock "${HRAS[@]}" -f
grep -q "accept failed" "$T/nosock.out" && fail "accept retried"

log "== hras-fcgi -t: checks, says so, binds nothing"
ours t "${HRAS[@]}" -t -s "unix:$T/t.sock" --sip 127.0.0.1:15061 \
	--users "$T/users" --state "$T/reg"
expect_rc 0 $? "hras-fcgi -t with a good configuration"
grep -qx "hras-fcgi: configuration OK" "$T/t.out" || fail "-t: $(cat "$T/t.out")"
[ -e "$T/t.sock" ] || [ -e "$T/reg" ] && fail "-t made the socket or the state file"
ss -Hlun | grep -q ":15061 " && fail "-t bound SIP"
refused 2 "users: $T/badusers line 1" \
	tbad "${HRAS[@]}" -t -s "unix:$T/t.sock" --users "$T/badusers"
log "-t: OK for a good configuration, the error line for a bad one"

log "== hrac: configuration errors exit 2 with one line, before daemonizing"
refused 2 "--rtp-ports takes LO-HI within 1024-65535" rtp "${HRAC[@]}" --rtp-ports 5-3
refused 2 "--sip takes ADDR:PORT, e.g. 0.0.0.0:5060 or 192.168.1.2:5060, not 'notanaddress'" \
	csip "${HRAC[@]}" --sip notanaddress
refused 2 "--allow takes a network like 10.0.0.0/8, not '10.0.0.0/99'" \
	allow "${HRAC[@]}" --allow 10.0.0.0/99
refused 2 "--rtp-ip takes an IPv4 or IPv6 address, not 'foo'" rtpip "${HRAC[@]}" --rtp-ip foo
refused 2 "hrac: --secret-file $T/none: No such file or directory" \
	nosecret "${HRAC[@]}" --secret-file "$T/none"
refused 2 "--proxy: 'htp:/proxy..corp:abc' is not a proxy URL" \
	proxy "${HRAC[@]}" --proxy 'htp:/proxy..corp:abc'
refused 2 "--proxy: 'http://***@proxy..corp:80' is not a proxy URL" \
	proxypw "${HRAC[@]}" --proxy 'http://carol:EnvPass@proxy..corp:80'
grep -q EnvPass "$T/proxypw.out" && fail "the proxy password was printed"
refused 2 "--status-file $T/nodir/st: the directory $T/nodir does not exist" \
	status "${HRAC[@]}" --status-file "$T/nodir/st"
ours ct "${HRAC[@]}" -t --sip 127.0.0.1:15062
expect_rc 0 $? "hrac -t"
grep -qx "hrac: configuration OK" "$T/ct.out" || fail "hrac -t: $(cat "$T/ct.out")"

log "== errors only binding finds: exit 1, from the daemon through the first process"
python3 -c '
import socket, sys, time
s = socket.socket(); s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.bind(("127.0.0.1", 19006)); s.listen()
u = socket.socket(socket.AF_INET, socket.SOCK_DGRAM); u.bind(("127.0.0.1", 15070))
print("bound", flush=True); time.sleep(120)' >"$T/squat.out" 2>&1 &
SQUAT=$!
track $SQUAT squatter 0 143
wait_log "$T/squat.out" bound
refused 1 "--socket 127.0.0.1:19006: cannot listen: Address already in use" \
	tcpinuse "${HRAS[@]}" -s 127.0.0.1:19006
refused 1 "cannot listen for SIP on 127.0.0.1:15070: Address already in use" \
	sipinuse "${HRAS[@]}" -s "unix:$T/s.sock" --sip 127.0.0.1:15070 --pidfile "$T/s.pid"
[ -e "$T/s.sock" ] && fail "the socket of a failed start was left behind"
[ -e "$T/s.pid" ] && fail "the pid file of a failed start was left behind"
grep -q "start-up:" "$T/sipinuse.out" && fail "a redundant start-up: line"
refused 1 "cannot listen for SIP on 127.0.0.1:15070: Address already in use" \
	csipinuse "${HRAC[@]}" --sip 127.0.0.1:15070
stop_pid $SQUAT

log "== the pid file is locked: a second hras-fcgi leaves the first alone"
HRAS_SOCKET=unix:$T/hras.sock
start_nginx
"${HRAS[@]}" -s "$HRAS_SOCKET" --socket-mode 0666 --pidfile "$T/hras.pid" \
	--sip 127.0.0.1:15080 >"$T/first.out" 2>&1
expect_rc 0 $? "hras-fcgi as a daemon: $(cat "$T/first.out")"
FIRST=$(cat "$T/hras.pid")
CLEANUP_FIRST+=("kill $FIRST")
kill -0 "$FIRST" || fail "the pid file does not name the daemon"
[ -S "$T/hras.sock" ] || fail "no socket once the first process returned"
served() {
	[ "$(curl -s -o /dev/null -w '%{http_code}' http://192.0.2.1/sofw/open)" = 405 ]
}
served || fail "the first hras-fcgi does not answer when its start-up returned"
sock_ino=$(stat -c %i "$T/hras.sock") pid_ino=$(stat -c %i "$T/hras.pid")
refused 1 "another instance is running: the pid file $T/hras.pid is locked by pid $FIRST" \
	second "${HRAS[@]}" -s "$HRAS_SOCKET" --pidfile "$T/hras.pid" --sip 127.0.0.1:15081
refused 1 "another hras-fcgi is listening on $T/hras.sock" \
	third "${HRAS[@]}" -s "$HRAS_SOCKET" --sip 127.0.0.1:15082
[ "$(stat -c %i "$T/hras.sock")" = "$sock_ino" ] || fail "the first one's socket was replaced"
[ "$(stat -c %i "$T/hras.pid")" = "$pid_ino" ] || fail "the first one's pid file was replaced"
[ "$(cat "$T/hras.pid")" = "$FIRST" ] || fail "the pid file was rewritten"
served || fail "the first hras-fcgi stopped answering"
log "second and third refused; the first still serves, its socket and pid file intact"
kill "$FIRST"
gone "$FIRST" || fail "hras-fcgi did not end on SIGTERM"
[ -e "$T/hras.pid" ] && fail "the pid file is left after a clean stop"
[ -e "$T/hras.sock" ] && fail "the socket is left after a clean stop"

log "== the pid file is locked: a second hrac leaves the first alone"
"${HRAC[@]}" --sip 127.0.0.1:15090 --rtp-ports 42000-42099 \
	--pidfile "$T/hrac.pid" >"$T/cfirst.out" 2>&1
expect_rc 0 $? "hrac as a daemon: $(cat "$T/cfirst.out")"
CFIRST=$(cat "$T/hrac.pid")
CLEANUP_FIRST+=("kill $CFIRST")
refused 1 "another instance is running: the pid file $T/hrac.pid is locked by pid $CFIRST" \
	csecond "${HRAC[@]}" --sip 127.0.0.1:15091 --pidfile "$T/hrac.pid"
[ "$(cat "$T/hrac.pid")" = "$CFIRST" ] || fail "the second hrac changed the pid file"
kill -0 "$CFIRST" || fail "the first hrac is gone"
kill "$CFIRST"
gone "$CFIRST" || fail "hrac did not end on SIGTERM"
[ -e "$T/hrac.pid" ] && fail "hrac's pid file is left after a clean stop"

log "== a TCP FastCGI socket beyond loopback only with --socket-remote"
ours remote "${HRAS[@]}" -t -s 192.0.2.1:19007 --socket-remote
expect_rc 0 $? "--socket-remote: $(cat "$T/remote.out")"
"${HRAS[@]}" -f --echo -s 192.0.2.1:19007 --socket-remote >"$T/remote.log" 2>&1 &
REMOTE=$!
track $REMOTE "hras-fcgi on 192.0.2.1"
wait_log "$T/remote.log" "info: ready: .* FastCGI on 192.0.2.1:19007"
ss -Hltn | grep -q "192.0.2.1:19007 " || fail "not listening on 192.0.2.1:19007"
stop_pid $REMOTE

log "== a TCP FastCGI socket on loopback: --socket-peer-user admits one user's sockets"
refused 2 "--socket-peer-user is for a TCP --socket" peer-unix \
	"${HRAS[@]}" -s "unix:$T/peer.sock" --socket-peer-user nobody
refused 2 "--socket-peer-user nosuchuser: no such user" peer-nouser \
	"${HRAS[@]}" -s 127.0.0.1:19008 --socket-peer-user nosuchuser
# fcgi GET PATH PARAM...: one FastCGI request straight to 127.0.0.1:19008,
# as user $AS (Debian's python3, the script on standard input: the
# user may read neither root's own python nor the tree)
fcgi() {
	setpriv --reuid "$AS" --regid "$(id -g "$AS")" --clear-groups /usr/bin/python3 - \
		127.0.0.1:19008 "$@" <"$SOFW_TOP/tests/tools/fcgi-get.py"
}
# the attack: a local program speaks FastCGI past nginx, naming itself
# the monitoring host the status is for; without the option it is served
"${HRAS[@]}" -f --echo -s 127.0.0.1:19008 --status-allow 192.0.2.50/32 \
	>"$T/peer0.log" 2>&1 &
PEER=$!
track $PEER "hras-fcgi on 127.0.0.1:19008"
wait_log "$T/peer0.log" "info: ready: .* FastCGI on 127.0.0.1:19008"
AS=daemon fcgi /sofw/status REMOTE_ADDR=192.0.2.50 >"$T/peer0.out"
grep -q '"sessions"' "$T/peer0.out" ||
	fail "without --socket-peer-user, the spoofed request was not served: $(cat "$T/peer0.out")"
stop_pid $PEER
"${HRAS[@]}" -f --echo -s 127.0.0.1:19008 --status-allow 192.0.2.50/32 \
	--socket-peer-user nobody >"$T/peer1.log" 2>&1 &
PEER=$!
track $PEER "hras-fcgi on 127.0.0.1:19008, --socket-peer-user nobody"
wait_log "$T/peer1.log" "info: ready: .* FastCGI on 127.0.0.1:19008"
for who in daemon root; do
	AS=$who fcgi /sofw/status REMOTE_ADDR=192.0.2.50 >"$T/peer-$who.out"
	grep -qx "bytes=0" "$T/peer-$who.out" ||
		fail "a connection of $who got an answer: $(cat "$T/peer-$who.out")"
done
wait_log "$T/peer1.log" "warning: FastCGI connection refused: from a socket of uid $(id -u daemon), not --socket-peer-user's uid $(id -u nobody) .1 refused so far."
# the user named is served, and the daemon kept serving after refusals
AS=nobody fcgi /sofw/status REMOTE_ADDR=192.0.2.50 >"$T/peer-nobody.out"
grep -q '"sessions"' "$T/peer-nobody.out" ||
	fail "--socket-peer-user nobody: nobody's request was not served: $(cat "$T/peer-nobody.out")"
stop_pid $PEER
log "--socket-peer-user: daemon and root closed unanswered, nobody served"

log "== systemd socket activation and Type=notify"
stop_nginx
HRAS_SOCKET=unix:$T/act.sock
start_nginx
# the notification socket: each datagram a line; at READY=1 it asks
# nginx at once, and the answer must be hras-fcgi's (405), not a 502
python3 - "$T/notify.sock" "$T/notify.log" <<'PY' &
import socket, subprocess, sys
s = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
s.bind(sys.argv[1])
with open(sys.argv[2], "a", buffering=1) as log:
    log.write("listening\n")
    while True:
        msg = s.recv(4096).decode()
        for line in msg.split("\n"):
            if line == "READY=1":
                code = subprocess.run(["curl", "-s", "-o", "/dev/null", "-w",
                                       "%{http_code}",
                                       "http://192.0.2.1/sofw/open"],
                                      capture_output=True, text=True).stdout
                log.write("READY=1 then %s\n" % code)
            else:
                log.write(line + "\n")
PY
NOTIFY=$!
track $NOTIFY "notify receiver" 0 143
wait_log "$T/notify.log" listening
systemd-socket-activate -l "$T/act.sock" -E NOTIFY_SOCKET="$T/notify.sock" \
	"$BIN/hras-fcgi" -f --echo --hracs "$T/hracs" >"$T/act.log" 2>&1 &
ACT=$!
track $ACT "hras-fcgi (socket-activated)"
wait_log "$T/act.log" "Listening on $T/act.sock"
# for nginx's workers, as SocketMode= would make it
chmod 666 "$T/act.sock"
grep -q READY "$T/notify.log" && fail "READY=1 before hras-fcgi was even started"
# the first connection starts it (systemd-socket-activate waits for one)
code=$(curl -s -o /dev/null -w '%{http_code}' http://192.0.2.1/sofw/open)
[ "$code" = 405 ] || fail "the request that activated hras-fcgi got $code"
wait_log "$T/act.log" "info: ready: .* FastCGI on fd 3 from systemd"
wait_log "$T/notify.log" "READY=1 then"
grep -q "READY=1 then 405" "$T/notify.log" ||
	fail "at READY=1 the socket was not served: $(cat "$T/notify.log")"
grep -q "^STATUS=ready: 1 HRAC identities" "$T/notify.log" || fail "no STATUS= with READY=1"
kill -TERM $ACT
wait_log "$T/notify.log" "STOPPING=1"
gone $ACT || fail "hras-fcgi did not stop"
wait $ACT
untrack $ACT
log "activated on fd 3; READY=1 when served, STOPPING=1 at the end"

log "== hrac under Type=notify: READY=1 once bound, STATUS= as the tunnel goes"
stop_nginx
HRAS_SOCKET=unix:$T/hras.sock
start_hras --sip 127.0.0.1:15100 --users "$T/users"
start_nginx
: >"$T/notify.log"
NOTIFY_SOCKET=$T/notify.sock start_hrac site-a --server http://192.0.2.1/sofw/ \
	--sip 127.0.0.1:15101 --rtp-ports 42100-42199
wait_log "$T/notify.log" "^STATUS=tunnel up to http://192.0.2.1/sofw/"
head -1 "$T/notify.log" | grep -q "^READY=1 then" ||
	fail "hrac's first notification was not READY=1: $(cat "$T/notify.log")"
grep -q "^STATUS=tunnel connecting to http://192.0.2.1/sofw/" "$T/notify.log" ||
	fail "no STATUS= with READY=1: $(cat "$T/notify.log")"
stop_hras
wait_log "$T/notify.log" "^STATUS=tunnel down: "
stop_pid $HRAC_PID
grep -q "^STOPPING=1" "$T/notify.log" || fail "hrac sent no STOPPING=1"
log "hrac: $(tr '\n' '|' <"$T/notify.log")"
stop_pid $NOTIFY
exit 0
