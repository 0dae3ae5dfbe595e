#!/bin/bash
# SPDX-License-Identifier: BSD-3-Clause
# Copyright (c) 2026 the SoFW authors
# Logs (issue 12, item 7): libre's own lines (a SIP port in use: libre's
# "tcp: sock_bind") reach the log as plain lines, no ANSI escape in
# stderr; when stderr is the journal ($JOURNAL_STREAM names it) each line
# starts with its <N> priority and has no time stamp of its own;
# --log-facility puts syslog lines in the facility asked for (a syslog
# socket of the test's own, in a mount namespace of its own: the
# priority field <PRI> is facility * 8 + level); a bad facility is
# refused at start.
. "$(dirname "$0")/../lib.sh"

make_identity site-a
# a program already has the SIP port's TCP side (its UDP side is free:
# the TCP bind, whose failure libre reports itself, is the one that fails)
python3 -c 'import socket, time
s = socket.socket(); s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.bind(("127.0.0.1", 5070)); s.listen(); time.sleep(60)' &
HOLD=$!
track $HOLD "port holder" 143
wait_tcp 127.0.0.1 5070

log "== the SIP port in use: libre's line, without colours"
ours inuse "$BIN/hras-fcgi" -f -s unix:"$T/a.sock" --hracs "$T/hracs" \
	--open-registrar --sip 127.0.0.1:5070
[ $? != 0 ] || fail "hras-fcgi started on a SIP port in use"
sed 's/^/    /' "$T/inuse.out"
grep -q "warning: libre: tcp: sock_bind: .*Address already in use" "$T/inuse.out" ||
	fail "libre's line is not in the log"
grep -q $'\e' "$T/inuse.out" && fail "an ANSI escape in stderr"
log "libre's line is a plain log line"

log "== stderr is the journal: <N> priorities, no time stamp"
: >"$T/journal.err"
JOURNAL_STREAM=$(stat -c '%d:%i' "$T/journal.err") \
	"$BIN/hras-fcgi" -f -s unix:"$T/a.sock" --hracs "$T/hracs" \
	--open-registrar --sip 127.0.0.1:5070 2>>"$T/journal.err"
sed 's/^/    /' "$T/journal.err"
[ -s "$T/journal.err" ] || fail "nothing logged"
grep -qv '^<[0-7]>' "$T/journal.err" && fail "a line without its <N> priority"
grep -q '^<4>warning: libre: tcp: sock_bind' "$T/journal.err" || fail "libre's warning not <4>"
grep -q '^<3>error: ' "$T/journal.err" || fail "no <3> error line"
grep -qE '^<[0-7]>[0-9]{4}-|[0-9]{2}:[0-9]{2}:[0-9]{2}\.[0-9]{3}' "$T/journal.err" &&
	fail "a time stamp of our own in the journal"
# stderr elsewhere: a stale JOURNAL_STREAM (inherited by a shell) is ignored
JOURNAL_STREAM=1:1 ours nojournal "$BIN/hras-fcgi" -f -s unix:"$T/a.sock" \
	--hracs "$T/hracs" --open-registrar --sip 127.0.0.1:5070
grep -q '^<' "$T/nojournal.out" && fail "<N> prefixes while stderr is not the journal"
log "journal lines carry their priority"

log "== --log-facility"
ours badfac "$BIN/hras-fcgi" -f --hracs "$T/hracs" --echo --log-facility kern
expect_rc 2 $? "--log-facility kern"
grep -q "log-facility is daemon, user or local0 .. local7, not 'kern'" "$T/badfac.out" ||
	fail "no clear refusal: $(cat "$T/badfac.out")"
ours badfac "$BIN/hrac" --server http://127.0.0.1/sofw/ --id site-a \
	--secret-file "$T/site-a.secret" --log-facility nope --diagnose
expect_rc 2 $? "hrac --log-facility nope"

# syslog(3) writes to /dev/log: one of the test's own, in a mount
# namespace of its own (a tmpfs on /dev there), read by a small receiver
cat >"$T/syslogd.py" <<'PYEOF'
import socket, sys
s = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
s.bind(sys.argv[1])
with open(sys.argv[2], "ab", 0) as f:
    while True:
        f.write(s.recv(65536) + b"\n")
PYEOF
unshare -m bash -c '
	mount -t tmpfs tmpfs /dev || exit 1
	mknod -m 666 /dev/null c 1 3 && mknod -m 666 /dev/urandom c 1 9 || exit 1
	python3 "$1" /dev/log "$2" & r=$!
	for _ in $(seq 50); do [ -S /dev/log ] && break; sleep 0.1; done
	"$3" -s unix:"$4" --hracs "$5" --echo --log-facility local3 --pidfile "$6"
	for _ in $(seq 50); do grep -q "ready" "$2" 2>/dev/null && break; sleep 0.1; done
	[ -f "$6" ] && kill "$(cat "$6")"
	for _ in $(seq 50); do grep -q "shutting down" "$2" && break; sleep 0.1; done
	kill $r
' _ "$T/syslogd.py" "$T/syslog.out" "$BIN/hras-fcgi" "$T/d.sock" "$T/hracs" "$T/d.pid"
sed 's/^/    syslog: /' "$T/syslog.out"
# local3 = 19: info is <158>, warning <156>
grep -q '^<158>.*hras-fcgi\[[0-9]*\]: ready' "$T/syslog.out" ||
	fail "no 'ready' line in facility local3 (<158>)"
grep -qv '^<15[0-9]>' "$T/syslog.out" && fail "a line outside local3"
log "syslog lines go to the facility asked for"
