#!/bin/bash
# SPDX-License-Identifier: BSD-3-Clause
# Copyright (c) 2026 the SoFW authors
# The relay follows every offer/answer: early media (SDP in a 183),
# UPDATE (RFC 3311) moving a phone's media (inside, and outside: nothing
# goes to its old address), and a call with audio and
# video (rtcp-mux on video): voice flows in each, through Squid (plain).
. "$(dirname "$0")/../lib.sh"
. "$SOFW_TOP/tests/sip.sh"
. "$SOFW_TOP/tests/fw.sh"

fw_world
fw_hrac a plain
register lan-a alice $FW_PLAN.11
register - olivia 192.0.2.10

# an echo of the outside phone's video
echo_at() {
	timeout 60 python3 "$SOFW_TOP/tests/tools/rtp-peer.py" echo \
		--bind 192.0.2.10:$1 --seconds 15 >"$T/echo-$1.out" 2>&1 &
	VIDEO_ECHO=$!
	wait_udp - 192.0.2.10 "$1"
	wait_udp - 192.0.2.10 $(($1 + 1))
}

log "== early media: the 183's SDP is relayed, voice flows before the answer"
media_answer - olivia 192.0.2.10 16000 uas_early.xml
TALK_MS=1000 media_call lan-a alice $FW_PLAN.11 olivia 7000
for _ in $(seq 100); do
	[ -n "$(media_peer uac-alice-olivia "SIP/2.0 183")" ] && break
	sleep 0.05
done
peer=$(media_peer uac-alice-olivia "SIP/2.0 183")
case $peer in $FW_PLAN.10:4*) ;; *) fail "the 183 does not name hrac: '$peer'" ;; esac
talk lan-a $FW_PLAN.11 7000 "$peer"
call_ended "early media"

log "== UPDATE moves alice's media to another port"
TALK_MS=2500 voice_call lan-a alice $FW_PLAN.11 7000 - olivia 192.0.2.10 16000 \
	uac_update.xml -set mport2 7010
wait_step uac-alice-olivia updated
received uas-olivia UPDATE | tr -d '\r' | grep -q "^c=IN IP4 192.0.2.1$" ||
	fail "the UPDATE olivia got does not name HRAS"
talk lan-a $FW_PLAN.11 7010 "$PEER"
call_ended "UPDATE"

log "== UPDATE moves olivia's media: alice's follows it, none goes where it was"
# alice's media leaves HRAS from the worker that reads it once its route
# is settled (up_route.h); the UPDATE voids the route, and the loop
# settles it anew on the new address.  A sink on the old one proves no
# packet went on by the old route.
TALK_MS=2500 voice_call - olivia 192.0.2.10 16000 lan-a alice $FW_PLAN.11 7000 \
	uac_update.xml -set mport2 16020
wait_step uac-olivia-alice updated
python3 "$SOFW_TOP/tests/tools/sip-forge.py" sink --bind 192.0.2.10:16000 \
	--seconds 60 >"$T/sink-old.out" &
SINK_OLD=$!
wait_udp - 192.0.2.10 16000
talk - 192.0.2.10 16020 "$PEER"
call_ended "olivia's UPDATE"
kill "$SINK_OLD"
wait "$SINK_OLD"
[ "$(cat "$T/sink-old.out")" = "received 0" ] ||
	fail "alice's media went to olivia's old address: $(cat "$T/sink-old.out")"

log "== audio and video (rtcp-mux): every m= line is relayed"
echo_at 16010
# three talks in one call: each takes 1 s of packets and up to 2.5 s under
# AddressSanitizer on a loaded box; the call must outlast the last one
TALK_MS=12000 UAS_SCEN=uas_av.xml UAS_ARGS="-set vport 16010" voice_call \
	lan-a alice $FW_PLAN.11 7000 - olivia 192.0.2.10 16000 uac_av.xml -set vport 7020
video=$(media_peer uac-alice-olivia "SIP/2.0 200" video)
[ -n "$video" ] && [ "$video" != "$PEER" ] || fail "no relay port for video: '$video'"
# video negotiated rtcp-mux both ways: RTCP sent on the RTP port comes
# back on it; RTCP that reaches hrac and HRAS on the ports above RTP (a
# phone that sends it there) is still sent on to each phone's RTP port
# (hras-fcgi.8: "RTCP goes on the port above RTP, or on the RTP port with
# rtcp-mux"), never to the port above
talk lan-a $FW_PLAN.11 7020 "$video" mux
talk lan-a $FW_PLAN.11 7020 "$video" mux-odd
call_ended "audio and video"
v=$(cat "$T/echo-16010.out")
log "olivia's video echo got: $v"
[ "$(field_of rtcp_on_rtp "$v")" -ge 8 ] && [ "$(field_of rtcp_on_odd "$v")" = 0 ] ||
	fail "rtcp-mux: olivia's video RTCP did not come to its RTP port alone: $v"
log "early media, UPDATE and audio+video are relayed"
