#!/bin/bash
# The relay follows every offer/answer: early media (SDP in a 183),
# UPDATE (RFC 3311) moving a phone's media, and a call with audio and
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
	sleep 0.3
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
media_answer - olivia 192.0.2.10 16000
TALK_MS=2500 media_call lan-a alice $FW_PLAN.11 olivia 7000 uac_update.xml \
	-set mport2 7010
wait_step uac-alice-olivia talking
peer=$(media_peer uac-alice-olivia)
talk lan-a $FW_PLAN.11 7000 "$peer"
wait_step uac-alice-olivia updated
received uas-olivia UPDATE | tr -d '\r' | grep -q "^c=IN IP4 192.0.2.1$" ||
	fail "the UPDATE olivia got does not name HRAS"
talk lan-a $FW_PLAN.11 7010 "$peer"
call_ended "UPDATE"

log "== audio and video (rtcp-mux): every m= line is relayed"
echo_at 16010
media_answer - olivia 192.0.2.10 16000 uas_av.xml -set vport 16010
TALK_MS=6000 media_call lan-a alice $FW_PLAN.11 olivia 7000 uac_av.xml \
	-set vport 7020
wait_step uac-alice-olivia talking
audio=$(media_peer uac-alice-olivia)
video=$(media_peer uac-alice-olivia "SIP/2.0 200" video)
[ -n "$video" ] && [ "$video" != "$audio" ] || fail "no relay port for video: '$video'"
talk lan-a $FW_PLAN.11 7000 "$audio"
talk lan-a $FW_PLAN.11 7020 "$video"
call_ended "audio and video"
log "early media, UPDATE and audio+video are relayed"
