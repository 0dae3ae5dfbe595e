#!/bin/bash
# SPDX-License-Identifier: BSD-3-Clause
# Copyright (c) 2026 the SoFW authors
# hrac's batching of writes up the tunnel (hrac(8), --coalesce-us),
# through Squid CONNECT + TLS with the up stream proven, counted by
# sofw_hrac_tunnel_writes_total and sofw_hrac_tunnel_frames_total of
# --metrics-file.
#
# The default (--coalesce-us 0): what one pass of the loop reads leaves in
# one write, and nothing waits for a timer.  Requests a phone sends one
# at a time, 200 ms apart, each leave in a write of their own (writes >=
# frames); the media of 20 calls arriving together (hrac stopped while
# one packet per call reaches its port, then continued: all its sockets
# readable in one wake-up) leaves in far fewer writes than frames.  Down,
# the echoes of such bursts, in TLS records that arrive together, reach
# the phone at once: none waits for the next burst (curl_loop.c).
# A timed window (site b, --coalesce-us 500) also gathers what arrives
# one datagram per wake-up (a burst of SIP requests), and steady media
# spread in time holds the ports between windows, still dropping a LAN
# stranger's packets; hras-fcgi's relay window (--relay-window-us) does
# the same for the far phone's packets coming back, and drops an outside
# stranger's.  A window above the bound is refused with a clear
# error.
. "$(dirname "$0")/../lib.sh"
. "$SOFW_TOP/tests/sip.sh"
. "$SOFW_TOP/tests/fw.sh"

CHECK="python3 $SOFW_TOP/tests/tools/prom-check.py"
CALLS=20

# values FILE NAME...: the metrics' values in FILE, on one line
values() {
	local f=$1 n v=()
	shift
	$CHECK "$f" >/dev/null || fail "${f##*/} does not parse"
	for n in "$@"; do v+=("$($CHECK --get "$n" "$f")"); done
	echo "${v[*]}"
}

# hrac_values X NAME...: the same, from one copy of site X's metrics file
hrac_values() {
	local x=$1
	shift
	cp "$T/hrac-$x.prom" "$T/hrac-$x.copy" || fail "no hrac metrics file"
	values "$T/hrac-$x.copy" "$@"
}

# counts X: "FRAMES WRITES" up
counts() {
	hrac_values "$1" 'sofw_hrac_tunnel_frames_total{direction="up"}' \
		'sofw_hrac_tunnel_writes_total{direction="up"}'
}

# settle X MIN_FRAMES: once the file (rewritten every 5 s) counts them
settle() {
	local f w
	for _ in $(seq 120); do
		read -r f w < <(counts "$1")
		[ "$f" -ge "$2" ] && { echo "$f $w"; return 0; }
		sleep 0.1
	done
	fail "hrac $1's up frames stayed at $f, expected >= $2"
}

# fresh X: "FRAMES WRITES" once the file has been written again (every
# 5 s): all that went before is in it
fresh() {
	local m0
	m0=$(stat -c %y "$T/hrac-$1.prom")
	for _ in $(seq 80); do
		[ "$(stat -c %y "$T/hrac-$1.prom")" != "$m0" ] && break
		sleep 0.1
	done
	[ "$(stat -c %y "$T/hrac-$1.prom")" != "$m0" ] || fail "hrac $1's metrics file was not written again"
	counts "$1"
}

# calls X: $CALLS calls from site X's phone, held; their hrac ports in
# $T/ports-X
calls() {
	mkdir -p "$T/calls-$1"
	(cd "$T/calls-$1" && exec ip netns exec "$(fw_ns "lan-$1")" sipp $FW_PLAN.10:5060 \
		-sf "$SIPP_SCEN/bench_hold.xml" -s caller -au caller -ap caller-pw \
		-set mip $FW_PLAN.11 -set mport 7000 -d 60000 -m $CALLS -r 100 -l $CALLS \
		-i $FW_PLAN.11 -p 5061 -nostdin -trace_msg -timeout 90s >/dev/null 2>&1) &
	track $! "site $1's calls" 0 143 15
	for _ in $(seq 200); do
		[ "$(grep -c "^SIP/2.0 200" "$T"/calls-"$1"/*_messages.log 2>/dev/null)" -ge $CALLS ] && break
		sleep 0.05
	done
	# hrac's port of each call, from the 200 OKs
	tr -d '\r' <"$T"/calls-"$1"/*_messages.log | awk '
		/^SIP\/2.0 200/ { in200 = 1 }
		/^-----/ { in200 = 0 }
		in200 && /^m=audio / { print $2; in200 = 0 }' | sort -u >"$T/ports-$1"
	[ "$(wc -l <"$T/ports-$1")" = $CALLS ] ||
		fail "site $1: $(wc -l <"$T/ports-$1") of $CALLS calls set up"
}

# reads X: "WOKEN WINDOW", site X's passes over its media ports
reads() {
	hrac_values "$1" 'sofw_hrac_media_reads_total{by="wakeup"}' \
		'sofw_hrac_media_reads_total{by="window"}'
}

# drops X: site X's media packets dropped as not from the call's phone
drops() {
	hrac_values "$1" 'sofw_hrac_media_dropped_packets_total{reason="stranger"}'
}

# relay_reads: "WOKEN WINDOW", hras-fcgi's passes over its outside ports
relay_reads() {
	curl -s --max-time 5 -o "$T/hras.prom" http://192.0.2.1/sofw/metrics ||
		fail "no metrics from hras-fcgi"
	values "$T/hras.prom" 'sofw_hras_relay_reads_total{by="wakeup"}' \
		'sofw_hras_relay_reads_total{by="window"}'
}

# strangers WHERE FROM PORTS TO IDX: in the background (STRANGER_PID),
# 50 rounds 40 ms apart of an RTP packet from FROM (IP:PORT, in WHERE's
# namespace) to each port listed in the file PORTS at TO; IDX, 8 hex
# digits, is what rtp-load reads at bytes 12-15 as its stream
strangers() {
	local where=$1 run=()
	shift
	[ "$where" != - ] && run=(ip netns exec "$(fw_ns "$where")")
	"${run[@]}" python3 -c '
import socket, sys, time
ip, port = sys.argv[1].rsplit(":", 1)
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.bind((ip, int(port)))
ports = [int(p) for p in open(sys.argv[2])]
pkt = b"\x80\x00" + bytes(10) + bytes.fromhex(sys.argv[4]) + bytes(156)
for _ in range(50):
    for p in ports:
        s.sendto(pkt, (sys.argv[3], p))
    time.sleep(0.04)' "$@" &
	STRANGER_PID=$!
}

# windowed WHO WOKEN ENDS SENT K: WHO's window held its ports: at most
# one pass per window (3 s / 500 us, and the tail), and at most one
# packet in K woke it
windowed() {
	[ "$3" -gt 0 ] || fail "no window's end read $1's ports"
	[ "$3" -le 6500 ] || fail "$1: $3 window passes in 3 s of 500 us windows"
	[ $(($5 * $2)) -le "$4" ] ||
		fail "$2 of $4 packets woke $1 while its window held the ports"
}

# options X N RATE: N OPTIONS from site X's phone to its hrac (RATE 0: at once)
options() {
	ip netns exec "$(fw_ns "lan-$1")" python3 "$SOFW_TOP/tests/tools/sip-raw.py" \
		--server "$FW_PLAN.10:5060" --from "$FW_PLAN.11" --count "$2" \
		--rate "$3" options >"$T/options.out" 2>&1 ||
		fail "sip-raw: $(cat "$T/options.out")"
}

log "== a window above the bound is refused"
ours big "$BIN/hrac" --coalesce-us 501 --server http://192.0.2.1/sofw/ --id x \
	--secret-file /dev/null -t
rc=$?
[ "$rc" != 0 ] || fail "--coalesce-us 501 accepted"
grep -q "coalesce-us" "$T/big.out" || fail "the refusal does not name the option: $(cat "$T/big.out")"

make_user caller caller-pw
make_user callee callee-pw
fw_world --rate-limit 0 --relay-window-us 500
fw_hrac a connect --metrics-file "$T/hrac-a.prom"
fw_hrac b connect --metrics-file "$T/hrac-b.prom" --coalesce-us 500
wait_log "$T/hrac-a.log" "up: streaming works" 100
wait_log "$T/hrac-b.log" "up: streaming works" 100
read -r f0 w0 < <(settle a 1)

log "== one request at a time: each in a write of its own"
options a 10 5
read -r f1 w1 < <(settle a $((f0 + 10)))
log "10 requests 200 ms apart: $((f1 - f0)) frames up in $((w1 - w0)) writes"
[ $((w1 - w0)) -ge $((f1 - f0)) ] ||
	fail "lone requests shared writes: $((f1 - f0)) frames in $((w1 - w0)) writes"

log "== $CALLS calls' media arriving together: far fewer writes than frames"
(cd "$T" && sipp 192.0.2.1:5060 -sf "$SIPP_SCEN/bench_register.xml" -s callee \
	-au callee -ap callee-pw -m 1 -i 192.0.2.10 -p 5060 -nostdin >/dev/null 2>&1) ||
	fail "the callee could not register"
(cd "$T" && exec sipp -sf "$SIPP_SCEN/bench_uas.xml" -i 192.0.2.10 -p 5060 \
	-set mip 192.0.2.10 -set mport 16000 -nostdin -timeout 120s >/dev/null 2>&1) &
track $!
calls a
read -r f2 w2 < <(fresh a)
for _ in 1 2 3 4 5; do
	kill -STOP "$FW_HRAC_a"
	in_ns lan-a python3 -c '
import socket, sys
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.bind((sys.argv[1], 7100))
for p in open(sys.argv[2]):
    s.sendto(b"\x80\x00" + bytes(170), (sys.argv[3], int(p)))' \
		$FW_PLAN.11 "$T/ports-a" $FW_PLAN.10 || fail "the burst was not sent"
	sleep 0.1
	kill -CONT "$FW_HRAC_a"
	sleep 0.2
done
read -r f3 w3 < <(fresh a)
log "5 bursts of $CALLS calls' packets: $((f3 - f2)) frames up in $((w3 - w2)) writes"
[ $((f3 - f2)) -ge $((5 * CALLS)) ] || fail "only $((f3 - f2)) frames of the bursts went up"
[ $((3 * (w3 - w2))) -le $((f3 - f2)) ] ||
	fail "a burst of $((f3 - f2)) frames took $((w3 - w2)) writes"

log "== the echoes of a burst come down at once, none waits for the next burst"
# Each call's phone sends at the same instant, 10 times a second, and the
# far phone echoes: the echoes come down in TLS records close together,
# which OpenSSL reads ahead in one read (hrac's tunnel_xfer.c).  curl
# reads one record a pass, so without hrac running it again while
# records wait (curl_loop.c, tls_drain), the later ones waited for the
# socket's next data, the next burst 100 ms on (seen: 5 % of the packets
# of 20 calls at 50 bursts/s one burst late).  From port 7100, where the
# bursts above came from: hrac has taken that as the phone's.
sed "s/^/$FW_PLAN.10:/" "$T/ports-a" >"$T/dests-a"
"$BIN/tests/rtp-load" echo --bind 192.0.2.10:16000 --seconds 6 >"$T/echo-a.out" &
echo_pid=$!
track $echo_pid "the far phone's echo" 0 143
wait_udp - 192.0.2.10 16000
out=$(timeout 20 ip netns exec "$(fw_ns lan-a)" "$BIN/tests/rtp-load" send \
	--bind $FW_PLAN.11:7100 --dests "$T/dests-a" --seconds 5 --pps 10 --burst 1) ||
	fail "rtp-load: $out"
log "bursts of $CALLS packets every 100 ms: $out"
sent=$(sed -n 's/.*\bsent=\([0-9]*\).*/\1/p' <<<"$out")
lost=$(sed -n 's/.*\blost=\([0-9]*\).*/\1/p' <<<"$out")
p99=$(sed -n 's/.*\brtt_p99_us=\([0-9]*\).*/\1/p' <<<"$out")
[ "${sent:-0}" -ge $((CALLS * 45)) ] || fail "rtp-load sent ${sent:-nothing}"
[ "${lost:-1}" = 0 ] || fail "$lost of $sent echoes did not come back"
# a packet one burst late has a round trip over 100 ms
[ "${p99:-100000}" -lt 50000 ] ||
	fail "1 % of the echoes came back after ${p99} us: held until the next burst?"
wait $echo_pid || fail "the far phone's echo failed"
untrack $echo_pid

log "== --coalesce-us 500: a burst of requests, one per wake-up, gathered too"
read -r f4 w4 < <(settle b 1)
options b 200 0
read -r f5 w5 < <(settle b $((f4 + 200)))
log "200 requests at once: $((f5 - f4)) frames up in $((w5 - w4)) writes"
[ $((2 * (w5 - w4))) -le $((f5 - f4)) ] ||
	fail "a burst of $((f5 - f4)) frames took $((w5 - w4)) writes"
log "== --coalesce-us 500, steady media: the window's end reads the ports, no packet wakes hrac"
# 20 calls through site b, 200 packets/s each, spread as independent
# phones' (one every 250 us in all, half the window; rtp-load's 100 us
# ticks, not its 1 ms bursts): each packet echoed by the far phone.
# Without the hold, thousands of them wake hrac.  Meanwhile a stranger on
# the LAN ($FW_PLAN.12, no call's phone) sends to the same ports: the
# window's drain must drop its packets as a wake-up's read does, and the
# far phone's echo, the sink, counts every packet that reached it.
# The echo's packets come back through hras-fcgi's relay window
# (--relay-window-us 500): its outside ports are read together too, and
# a stranger outside (192.0.2.13) sends to them all the while; the phone
# counts every packet of its streams that reached it (the stranger's
# name stream 0).
calls b
sed "s/^/$FW_PLAN.10:/" "$T/ports-b" >"$T/dests-b"
status | python3 -c '
import json, sys
def legs(o):
    if isinstance(o, dict):
        if "relay_port" in o and o.get("inside") is False:
            yield o["relay_port"]
        for v in o.values():
            yield from legs(v)
    elif isinstance(o, list):
        for v in o:
            yield from legs(v)
print("\n".join(str(p) for p in sorted(set(legs(json.load(sys.stdin))))))' >"$T/relay-ports"
[ "$(wc -l <"$T/relay-ports")" -ge $CALLS ] ||
	fail "$(wc -l <"$T/relay-ports") outside relay ports for $CALLS calls"
read -r f6 _ < <(fresh b)
read -r r0 q0 < <(reads b)
read -r h0 g0 < <(relay_reads)
x0=$(status_field drops_stranger)
d0=$(drops b)
"$BIN/tests/rtp-load" echo --bind 192.0.2.10:16000 --seconds 6 >"$T/echo-b.out" &
echo_pid=$!
track $echo_pid "the far phone's echo" 0 143
wait_udp - 192.0.2.10 16000
strangers lan-b $FW_PLAN.12:7300 "$T/ports-b" $FW_PLAN.10 ffffffff
stranger_pid=$STRANGER_PID
# naming stream 0 of the phone, which counts what reaches it
strangers - 192.0.2.13:7400 "$T/relay-ports" 192.0.2.1 00000000
outsider_pid=$STRANGER_PID
out=$(timeout 20 ip netns exec "$(fw_ns lan-b)" "$BIN/tests/rtp-load" send \
	--bind $FW_PLAN.11:7200 --dests "$T/dests-b" --seconds 3 --pps 200 --tick-us 100) ||
	fail "rtp-load: $out"
wait $stranger_pid || fail "the stranger's packets were not sent"
wait $outsider_pid || fail "the outside stranger's packets were not sent"
log "media through site b: $out"
wait $echo_pid || fail "the far phone's echo failed"
untrack $echo_pid
read -r f7 _ < <(fresh b)
read -r r1 q1 < <(reads b)
read -r h1 g1 < <(relay_reads)
x1=$(status_field drops_stranger)
d1=$(drops b)
received=$(sed -n 's/.*received=\([0-9]*\).*/\1/p' <<<"$out")
outsider=$((50 * $(wc -l <"$T/relay-ports")))
sent=$(sed -n 's/.*sent=\([0-9]*\).*/\1/p' <<<"$out")
lost=$(sed -n 's/.* lost=\([0-9]*\).*/\1/p' <<<"$out")
echoed=$(sed -n 's/^echoed=\([0-9]*\)$/\1/p' "$T/echo-b.out")
log "$((f7 - f6)) frames up; passes over the ports: $((r1 - r0)) woken by a packet, $((q1 - q0)) at a window's end"
log "the far phone echoed ${echoed:-nothing}; the stranger's $((50 * CALLS)) packets: $((d1 - d0)) dropped by hrac"
[ "${sent:-0}" -ge 10000 ] || fail "rtp-load sent ${sent:-nothing}"
[ "$lost" = 0 ] || fail "$lost of $sent packets were lost through the window"
[ $((f7 - f6)) -ge "$sent" ] || fail "only $((f7 - f6)) of $sent packets went up"
[ "${echoed:-0}" = "$sent" ] ||
	fail "the far phone got ${echoed:-no} packets, the phone sent $sent: a stranger's got through"
[ $((d1 - d0)) -ge $((50 * CALLS)) ] ||
	fail "hrac dropped $((d1 - d0)) of the stranger's $((50 * CALLS)) packets"
expect_log "$T/hrac-b.log" "media from $FW_PLAN.12:7300 on port [0-9]+ dropped: not the call's phone"
# one pass per window at most (3 s / 500 us, and the tail), and packets
# that wake the loop only when the link was idle
windowed hrac $((r1 - r0)) $((q1 - q0)) "$sent" 10
log "hras-fcgi's passes over its outside ports: $((h1 - h0)) woken by a packet, $((g1 - g0)) at a window's end; the outside stranger's $outsider packets: $((x1 - x0)) dropped"
[ "$received" = "$sent" ] ||
	fail "the phone got $received packets of its streams for $sent sent: a stranger's got through"
[ $((x1 - x0)) -ge "$outsider" ] ||
	fail "hras-fcgi dropped $((x1 - x0)) of the outside stranger's $outsider packets"
expect_log "$T/hras.log" "packet from 192.0.2.13:7400 to relay port [0-9]+ dropped: not the call's party"
# the echoes come back in hrac's windows' bursts, so a relay window now
# and then ends empty and releases: the next burst's first packet is read
# at once (an idle link), its second holds again (measured: about 2200
# wake-ups, 3200 under ASan; without the window 13000)
windowed hras-fcgi $((h1 - h0)) $((g1 - g0)) "$sent" 3
log "batching: lone requests alone, what arrives together together"
