#!/bin/bash
# SPDX-License-Identifier: BSD-3-Clause
# Copyright (c) 2026 the SoFW authors
# Signalling and media of a call, attacked from outside the programs
# (sofw-security(7), SIGNALLING and MEDIA).  olivia (outside) calls alice
# (inside site a, behind Squid); while they talk:
#  - olivia's own in-dialog request naming a third host as its
#    Request-URI goes to alice, never to that host (no open relay);
#  - the same request from a stranger who knows the dialog's Route,
#    Call-ID and tags is refused (403), and so is one from a LAN host
#    that is not alice, through hrac;
#  - a "stray" 200 OK whose Vias name a sink, with SDP naming a LAN
#    host, reaches nobody and changes no relay leg;
#  - RTP from a LAN host in no call, to hrac's media port of the call,
#    reaches neither olivia nor HRAS's relay;
# and the call goes on and ends normally.  A sink on the wan and one in
# the LAN count everything that reaches them: both must stay at 0.
. "$(dirname "$0")/../lib.sh"
. "$SOFW_TOP/tests/sip.sh"
. "$SOFW_TOP/tests/fw.sh"

FORGE="python3 $SOFW_TOP/tests/tools/sip-forge.py"
fw_world
fw_hrac a plain
register lan-a alice $FW_PLAN.11
register - olivia 192.0.2.10

# the sinks: a wan host and a LAN host that nothing may be made to reach
$FORGE sink --bind 192.0.2.12:5090 --seconds 120 --tcp >"$T/sink-wan.out" &
SINK_WAN=$!
ip netns exec "$(fw_ns lan-a)" $FORGE sink --bind $FW_PLAN.12:5090 --seconds 120 >"$T/sink-lan.out" &
SINK_LAN=$!
wait_udp - 192.0.2.12 5090
wait_udp lan-a $FW_PLAN.12 5090
# what reaches olivia's media port from the relay, while no one talks
$FORGE sink --bind 192.0.2.10:16000 --seconds 120 >"$T/sink-olivia.out" &
SINK_OLIVIA=$!
wait_udp - 192.0.2.10 16000

log "== olivia calls alice; they talk"
TALK_MS=14000 media_answer lan-a alice $FW_PLAN.11 7000 uas_media.xml -aa
TALK_MS=14000 media_call - olivia 192.0.2.10 alice 16000
wait_step uac-olivia-alice talking
eval "$($FORGE dialog "$(ls "$T"/sipp-uac-olivia-alice/*_messages.log)")"
log "dialog $CALLID: olivia $FTAG, alice $TTAG, Record-Route $RR"
# olivia's route set: the Record-Route reversed (RFC 3261 §12.1.2)
ROUTES=$(tr ',' '\n' <<<"$RR" | tac | sed 's/^/Route: /')
ROUTES_ALICE=$(tr ',' '\n' <<<"$RR" | sed 's/^/Route: /')

indialog() { # METHOD RURI FROMTAG TOTAG ROUTES
	cat <<EOF
$1 $2 SIP/2.0
Via: SIP/2.0/UDP @SRC@;branch=z9hG4bK$RANDOM$RANDOM;rport
$5
From: <sip:olivia@$DOMAIN>;tag=$3
To: <sip:alice@$DOMAIN>;tag=$4
Call-ID: $CALLID
CSeq: 77 $1
Max-Forwards: 70
Content-Length: 0

EOF
}
send_from() { # [lan-a] IP:PORT TO MESSAGE...: the message, with its Via
	# source filled in, sent from IP:PORT (in lan-a: from that LAN)
	local run=() from to
	[ "$1" = lan-a ] && { run=(in_ns lan-a); shift; }
	from=$1 to=$2
	shift 2
	"$@" | sed "s/@SRC@/$from/" | "${run[@]}" $FORGE send --from "$from" --to "$to"
}

log "== olivia's INFO naming a third host as Request-URI"
out=$(send_from 192.0.2.10:5070 192.0.2.1:5060 indialog INFO \
	"sip:x@192.0.2.12:5090" "$FTAG" "$TTAG" "$ROUTES")
log "olivia's INFO to sip:x@192.0.2.12:5090 -> $out (alice answers it)"
[ "$out" = "status 200" ] || fail "olivia's in-dialog INFO did not reach alice: $out"

log "== a stranger with the dialog's Route, Call-ID and tags"
out=$(send_from 192.0.2.13:5070 192.0.2.1:5060 indialog INFO \
	"sip:x@192.0.2.12:5090" "$FTAG" "$TTAG" "$ROUTES")
[ "$out" = "status 403" ] || fail "a stranger's in-dialog request: $out"
expect_log "$T/hras.log" "INFO from 192\.0\.2\.13:5070: in-dialog from another address than the party's: 403"
out=$(send_from 192.0.2.13:5071 192.0.2.1:5060 indialog BYE \
	"$CONTACT" "$FTAG" "$TTAG" "$ROUTES")
[ "$out" = "status 403" ] || fail "a stranger's BYE: $out"

log "== a LAN host that is not alice, through hrac"
out=$(send_from lan-a $FW_PLAN.12:5070 $FW_PLAN.10:5060 indialog BYE \
	"sip:olivia@192.0.2.10:5061" "$TTAG" "$FTAG" "$ROUTES_ALICE")
log "BYE from $FW_PLAN.12 -> $out"
[ "$out" = "status 403" ] || fail "a LAN stranger's BYE: $out"
expect_log "$T/hras.log" "BYE from $FW_PLAN\.12:5070 via site-a: in-dialog from another phone than the party: 403"

log "== a stray 200 OK: Vias name the sink, SDP names a LAN host"
out=$(cat <<EOF | $FORGE send --from 192.0.2.13:5072 --to 192.0.2.1:5060
SIP/2.0 200 OK
Via: SIP/2.0/UDP 192.0.2.1:5060;branch=z9hG4bKforged1
Via: SIP/2.0/UDP 192.0.2.12:5090;branch=z9hG4bKforged2;received=192.0.2.12;rport=5090
From: <sip:olivia@$DOMAIN>;tag=$FTAG
To: <sip:alice@$DOMAIN>;tag=$FTAG
Call-ID: $CALLID
CSeq: 1 INVITE
Contact: <sip:x@192.0.2.13:5072>
Content-Type: application/sdp
Content-Length: 0

v=0
o=x 1 1 IN IP4 $FW_PLAN.12
s=-
c=IN IP4 $FW_PLAN.12
t=0 0
m=audio 5090 RTP/AVP 0
EOF
)
[ "$out" = none ] || fail "the stray 200 OK got an answer: $out"
curl -s --max-time 5 'http://192.0.2.1/sofw/status?calls=1' >"$T/status.json"
# a call's identifiers only when asked for: the plain report has none
grep -q '"call_id":"'"$CALLID"'"' "$T/status.json" || fail "?calls=1 does not name the call"
status | grep -q '"call_id"' && fail "the plain report names the calls"
python3 - "$T/status.json" "$FW_PLAN.11:7000" <<'PY' || fail "the stray 200 OK changed the relay: $(cat "$T/status.json")"
import json, sys
calls = json.load(open(sys.argv[1]))["calls"]
assert len(calls) == 1, calls
legs = calls[0]["streams"][0]["legs"]
inside = [l for l in legs if l["inside"]][0]
assert inside["peer"] == sys.argv[2], inside
PY
log "the relay's inside leg still names alice"

log "== RTP from a LAN host in no call to hrac's media port of the call"
port=$(python3 -c 'import json,sys; c=json.load(open(sys.argv[1]))["calls"][0]; print([l for l in c["streams"][0]["legs"] if l["inside"]][0]["relay_port"])' "$T/status.json")
before=$(status_field packets)
in_ns lan-a python3 "$SOFW_TOP/tests/tools/rtp-peer.py" stranger \
	--bind $FW_PLAN.12:6100 --to "$FW_PLAN.10:$port" --count 20 >/dev/null
sleep 1 # what the stranger sent has had time to arrive anywhere
after=$(status_field packets)
[ "$after" = "$before" ] || fail "HRAS relayed the LAN stranger's packets ($before -> $after)"
wait_log "$T/hrac-a.log" "media from $FW_PLAN\.12:6100 on port $port dropped: not the call's phone"
log "hrac dropped them; HRAS relayed none"

log "== the call goes on and ends normally"
wait "$UAC_PID" || fail "olivia's call failed"
wait_uas "alice"
kill "$ECHO_PID" 2>/dev/null
wait "$ECHO_PID"
relay_idle
kill "$SINK_OLIVIA" "$SINK_WAN" "$SINK_LAN"
wait "$SINK_OLIVIA"
wait "$SINK_WAN"
wait "$SINK_LAN"
for s in wan lan; do
	out=$(cat "$T/sink-$s.out")
	[ "$out" = "received 0" ] || fail "something reached the $s sink: $out"
done
out=$(cat "$T/sink-olivia.out")
[ "$out" = "received 0" ] || fail "the LAN stranger's RTP reached olivia: $out"
log "nothing reached the sinks, nothing of the stranger reached olivia"
