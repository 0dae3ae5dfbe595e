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

# answer_with SCENARIO [sipp args]: olivia answers one call, an echo on
# 192.0.2.10:16000
answer_with() {
	local scen=$1
	shift
	sipp_at - uas-olivia -sf "$SIPP_SCEN/$scen" -s olivia \
		-set mip 192.0.2.10 -set mport 16000 "$@" -m 1 -i 192.0.2.10 \
		-p 5060 >"$T/uas.out" 2>&1 &
	UAS_PID=$!
	echo_at 16000
}
echo_at() {
	timeout 60 python3 "$SOFW_TOP/tests/tools/rtp-peer.py" echo \
		--bind 192.0.2.10:$1 --seconds 15 >"$T/echo-$1.out" 2>&1 &
	ECHOES+=($!)
	sleep 0.3
}
ECHOES=()

# the address and port of an m= line of the SDP in the first RESPONSE
sdp_peer() { received "$1" "$2" | tr -d '\r' | awk -v m="m=$3" '
	/^c=IN IP4 / { ip = $3 }
	index($0, m " ") == 1 { split($0, f, " "); print ip ":" f[2]; exit }'; }

log "== early media: the 183's SDP is relayed, voice flows before the answer"
answer_with uas_early.xml
TALK_MS=1000 media_call lan-a alice $FW_PLAN.11 olivia 7000
for _ in $(seq 100); do
	[ -n "$(sdp_peer uac-alice-olivia "SIP/2.0 183" audio)" ] && break
	sleep 0.05
done
peer=$(sdp_peer uac-alice-olivia "SIP/2.0 183" audio)
case $peer in $FW_PLAN.10:4*) ;; *) fail "the 183 does not name hrac: '$peer'" ;; esac
talk lan-a $FW_PLAN.11 7000 "$peer"
wait "$UAC_PID" || fail "the early-media call failed"
wait "$UAS_PID" || fail "olivia's early-media scenario failed"
relay_idle

log "== UPDATE moves alice's media to another port"
answer_with uas_media.xml
sipp_at lan-a uac-alice-olivia $FW_PLAN.10:5060 -sf "$SIPP_SCEN/uac_update.xml" \
	-s alice -au alice -ap alice-pw -set domain $DOMAIN -set fromdomain $DOMAIN \
	-set callee olivia -set maxfwd 70 -set mip $FW_PLAN.11 -set mport 7000 \
	-set mport2 7010 -d 2500 -m 1 -i $FW_PLAN.11 -p 5061 >"$T/uac.out" 2>&1 &
UAC_PID=$!
wait_step uac-alice-olivia talking
peer=$(sdp_peer uac-alice-olivia "SIP/2.0 200" audio)
talk lan-a $FW_PLAN.11 7000 "$peer"
wait_step uac-alice-olivia updated
received uas-olivia UPDATE | tr -d '\r' | grep -q "^c=IN IP4 192.0.2.1$" ||
	fail "the UPDATE olivia got does not name HRAS"
talk lan-a $FW_PLAN.11 7010 "$peer"
wait "$UAC_PID" || fail "the UPDATE call failed"
wait "$UAS_PID" || fail "olivia's scenario failed"
relay_idle

log "== audio and video (rtcp-mux): every m= line is relayed"
echo_at 16010
answer_with uas_av.xml -set vport 16010
sipp_at lan-a uac-alice-olivia $FW_PLAN.10:5060 -sf "$SIPP_SCEN/uac_av.xml" \
	-s alice -au alice -ap alice-pw -set domain $DOMAIN -set fromdomain $DOMAIN \
	-set callee olivia -set maxfwd 70 -set mip $FW_PLAN.11 -set mport 7000 \
	-set vport 7020 -d 3500 -m 1 -i $FW_PLAN.11 -p 5061 >"$T/uac.out" 2>&1 &
UAC_PID=$!
wait_step uac-alice-olivia talking
audio=$(sdp_peer uac-alice-olivia "SIP/2.0 200" audio)
video=$(sdp_peer uac-alice-olivia "SIP/2.0 200" video)
[ -n "$video" ] && [ "$video" != "$audio" ] || fail "no relay port for video: '$video'"
talk lan-a $FW_PLAN.11 7000 "$audio"
talk lan-a $FW_PLAN.11 7020 "$video"
wait "$UAC_PID" || fail "the audio+video call failed"
wait "$UAS_PID" || fail "olivia's audio+video scenario failed"
relay_idle
log "early media, UPDATE and audio+video are relayed"
