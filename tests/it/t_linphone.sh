#!/bin/bash
# SPDX-License-Identifier: BSD-3-Clause
# Copyright (c) 2026 the SoFW authors
# A second real softphone (issue 11, item 7): headless linphonec (Debian's
# linphone-cli, "soundcard use files") behind the simulated corporate
# firewall, and another one outside.  alice (site a: hrac through Squid as
# a plain HTTP proxy) and bob (site b: CONNECT + TLS) each call olivia
# outside and are called by her.  In every call a known tone goes in on
# each side and the same tone comes out on the other (recorded, checked
# by frequency), before a hold and after the resume; the hold and the
# resume reach the far phone as re-INVITEs whose SDP says so (sendonly,
# recvonly, then neither), and the held party hears the hold music (a
# tone of its own); DTMF digits sent as RFC 4733 telephone-events (no
# INFO) arrive intact, each once; every SDP a phone gets names its relay
# (HRAS outside, hrac inside) for media; the call ends with BYE and HRAS
# keeps no relay port; no request carries credentials for HRAS's realm
# to a phone; HRAS hands every packet for an inside phone to its HRAC;
# the phones unregister when they quit.
#
# Each linphonec is a host of its own (a network namespace with one
# address: linphone takes its SDP address from its route), alice and bob
# on their LAN (10.77.10.21, the same private address at both sites),
# olivia on the wan (192.0.2.20).  linphonec reads its commands from a
# FIFO and writes its events to $T/lp-NAME.log; its SIP and media log is
# $T/lp-NAME.debug.
. "$(dirname "$0")/../lib.sh"
. "$SOFW_TOP/tests/sip.sh"
. "$SOFW_TOP/tests/fw.sh"
# this test's namespaces say whose they are ($NS-lin-...: sofw-PID-lin-...,
# sofw-TAG-PID-lin-... under NS_TAG)
fw_ns() { echo "$NS-lin-$1"; }

skip() {
	echo "SKIP: $*"
	exit 0
}
# make check installs both (scripts/deps.sh): only a bare machine skips
command -v linphonec >/dev/null ||
	skip "linphonec is not installed (Debian package linphone-cli)"
command -v sox >/dev/null || skip "sox is not installed (Debian package sox)"

TONES=$SOFW_TOP/tests/tools/tone-check.py
# the tone each phone plays: any other one in a recording is a fault
declare -A TONE=([alice]=800 [bob]=1100 [olivia]=1700)
# what a phone plays while it holds a call (any phone)
HOLD_TONE=2300
# the relay each phone must be given for media: HRAS outside, hrac inside
declare -A RELAY=([alice]=$FW_PLAN.10 [bob]=$FW_PLAN.10 [olivia]=192.0.2.1)
declare -A LP_FD=() LP_PID=() LP_MARK=() LP_DMARK=() LP_NS=()

# ---- the phones' hosts -----------------------------------------------
# lp_host NAME LAN|- IP: a namespace ph-NAME with one address, linked to
# lan-LAN (the address is on the LAN's /24, hrac's host routes it) or to
# the wan (a /32 routed by the wan, HRAS its gateway)
lp_host() {
	local name=$1 lan=$2 ip=$3 ns
	ns=$(fw_ns "ph-$name")
	ip netns add "$ns" && NETNS+=("$ns") || fail "netns $ns"
	LP_NS[$name]=$ns
	ip -n "$ns" link set lo up
	if [ "$lan" = - ]; then
		ip link add "lp$name" type veth peer name eth0 netns "$ns" ||
			fail "veth for $name"
		ip link set "lp$name" up
		ip route add "$ip/32" dev "lp$name" src 192.0.2.1
		ip -n "$ns" addr add "$ip/32" dev eth0
		ip -n "$ns" link set eth0 up
		ip -n "$ns" route add 192.0.2.1/32 dev eth0
		ip -n "$ns" route add default via 192.0.2.1 dev eth0
	else
		ip -n "$(fw_ns "lan-$lan")" link add "lp$name" type veth \
			peer name eth0 netns "$ns" || fail "veth for $name"
		ip -n "$(fw_ns "lan-$lan")" link set "lp$name" up
		ip -n "$(fw_ns "lan-$lan")" route add "$ip/32" dev "lp$name"
		ip -n "$ns" addr add "$ip/24" dev eth0
		ip -n "$ns" link set eth0 up
		# hrac's host does not forward: the LAN still has no way out
		ip -n "$ns" route add default via "$FW_PLAN.10"
	fi
}

# ---- linphonec ---------------------------------------------------------
# lp_start NAME PROXY: linphonec of user NAME on its host, registering to
# PROXY (hrac or HRAS) with PROXY as its outbound proxy; G.711 only, DTMF
# as RFC 4733 events, sound from and to WAV files
lp_start() {
	local name=$1 proxy=$2 d=$T/lp-$1 fd
	mkdir -p "$d/home/.local/share/linphone"
	cat >"$d/linphonerc" <<RC
[sip]
sip_port=5060
sip_tcp_port=0
sip_tls_port=0
use_rfc2833=1
use_info=0
register_only_when_network_is_up=0
inc_timeout=60
default_proxy=0

[proxy_0]
reg_proxy=<sip:$proxy;transport=udp>
reg_route=<sip:$proxy;transport=udp;lr>
reg_identity="$name" <sip:$name@$DOMAIN>
reg_expires=300
reg_sendregister=1
publish=0
dial_escape_plus=0

[auth_info_0]
username=$name
passwd=$name-pw
realm=$DOMAIN
domain=$DOMAIN

[rtp]
audio_rtp_port=7078
audio_jitt_comp=60

[net]
firewall_policy=0

[sound]
echocancellation=0

[video]
enabled=0
automatically_initiate=0
automatically_accept=0

[audio_codec_0]
mime=PCMU
rate=8000
channels=1
enabled=1

[audio_codec_1]
mime=PCMA
rate=8000
channels=1
enabled=1

[audio_codec_2]
mime=opus
rate=48000
channels=2
enabled=0

[audio_codec_3]
mime=speex
rate=16000
channels=1
enabled=0

[audio_codec_4]
mime=speex
rate=8000
channels=1
enabled=0

[audio_codec_5]
mime=G729
rate=8000
channels=1
enabled=0
RC
	sox -n -r 8000 -c 1 -b 16 "$d/tone.wav" synth 30 sine "${TONE[$name]}" vol 0.5 ||
		fail "sox could not make $name's tone"
	sox -n -r 8000 -c 1 -b 16 "$d/hold.wav" synth 30 sine "$HOLD_TONE" vol 0.5 ||
		fail "sox could not make the hold music"
	mkfifo "$d/in" || fail "mkfifo"
	# the test holds the FIFO open (read-write: never blocks): linphonec
	# reads its commands from it for as long as the test runs
	exec {fd}<>"$d/in"
	LP_FD[$name]=$fd
	LP_MARK[$name]=0 LP_DMARK[$name]=0
	# a simple command, so that $! is linphonec itself (ip execs it);
	# it ends on SIGTERM with 143, on "quit" with 0.  Its HOME and
	# TMPDIR (where it leaves a pulse-* directory) are the test's.
	HOME=$d/home TMPDIR=$d ip netns exec "${LP_NS[$name]}" linphonec -c "$d/linphonerc" \
		-d 6 -l "$T/lp-$name.debug" <"$d/in" >"$T/lp-$name.log" 2>&1 &
	LP_PID[$name]=$!
	track $! "linphonec $name" 0 143
	lp_wait "$name" "linphonec> " 200
	lp "$name" "soundcard use files"
	lp_wait "$name" "Using wav files instead of soundcard|soundcard" 100
	grep -q "Using wav files instead of soundcard" "$T/lp-$name.log" ||
		skip "this linphonec cannot use WAV files for sound: $(tail -1 "$T/lp-$name.log")"
	lp "$name" "play $d/tone.wav"
}

# lp NAME COMMAND: a command line to NAME's linphonec
lp() {
	kill -0 "${LP_PID[$1]}" 2>/dev/null || fail "linphonec $1 is gone: $(tail -5 "$T/lp-$1.log")"
	printf '%s\n' "$2" >&"${LP_FD[$1]}"
}

# lp_mark NAME...: later lp_wait, lp_since and lp_rx see only what comes
# after
lp_mark() {
	local n
	for n in "$@"; do
		LP_MARK[$n]=$(wc -l <"$T/lp-$n.log")
		LP_DMARK[$n]=$(wc -l <"$T/lp-$n.debug")
	done
}

# lp_since NAME: what NAME's linphonec printed since its mark
lp_since() { tail -n "+$((${LP_MARK[$1]} + 1))" "$T/lp-$1.log"; }

# lp_wait NAME REGEX [TRIES]: NAME printed a line matching REGEX since
# its mark (0.05 s a try, default 200)
lp_wait() {
	local name=$1 re=$2 tries=${3:-200}
	for _ in $(seq "$tries"); do
		lp_since "$name" | grep -qE "$re" && return 0
		kill -0 "${LP_PID[$name]}" 2>/dev/null || break
		sleep 0.05
	done
	echo "---- linphonec $name since the mark:"
	lp_since "$name" | tail -20
	fail "linphonec $name: no line matching '$re'"
}

# lp_registered NAME WHERE: HRAS bound NAME (through site WHERE's hrac or
# directly), and linphonec says it is registered
lp_registered() {
	local name=$1 where=$2 re
	if [ "$where" = - ]; then
		re="$name@$DOMAIN registered sip:$name@192\.0\.2\.20"
	else
		re="$name@$DOMAIN registered sip:$name@$FW_PLAN\.21[^ ]* .*via HRAC site-$where"
	fi
	wait_log "$T/hras.log" "$re" 300
	lp_mark "$name"
	for _ in $(seq 50); do
		lp "$name" "status register"
		sleep 0.1
		lp_since "$name" | grep -q "registered, identity=.*sip:$name@$DOMAIN" && break
	done
	lp_since "$name" | grep -q "registered, identity=.*sip:$name@$DOMAIN" ||
		fail "linphonec $name does not say it is registered: $(lp_since "$name" | tail -3)"
	log "$name registered ($(grep -E "$re" "$T/hras.log" | tail -1 | cut -c1-150))"
}

# tone_in FILE NAME|hold MIN_S: the recording FILE holds at least MIN_S
# seconds of NAME's tone (or of the hold music), and nothing of the
# other phones' tones
tone_in() {
	local file=$1 name=$2 min=$3 args=() n out freq
	freq=${TONE[$name]:-$HOLD_TONE}
	for n in "${!TONE[@]}"; do
		[ "$n" != "$name" ] && args+=(--other "${TONE[$n]}")
	done
	out=$(python3 "$TONES" "$file" --freq "$freq" "${args[@]}" \
		--min-seconds "$min") ||
		fail "not ${min} s of ${name/#hold/the hold music}'s $freq Hz tone alone: $out"
	log "  $out"
}

# dtmf_received NAME: the digits NAME's linphonec received since its mark
dtmf_received() {
	lp_since "$1" | sed -n 's/.*Receiving tone \(.\) from .*/\1/p' | tr -d '\n'
}

# lp_received NAME [START]: the SIP messages (requests and responses)
# NAME's linphonec received, from its debug log (which has each message
# it read) from line START on (default 1), each followed by a line "--"
lp_received() {
	tail -n "+${2:-1}" "$T/lp-$1.debug" | awk '
		/^[0-9][0-9][0-9][0-9]-[0-9][0-9]-[0-9][0-9] / { if (grab) print "--"; grab = 0 }
		/ received \[[0-9]+\] new bytes from / { grab = 1; next }
		grab' | tr -d '\r'
}

# lp_rx NAME REGEX: the messages NAME received since its mark whose first
# line matches REGEX ("^INVITE ", "^SIP/2.0 200 "), each followed by "--"
lp_rx() {
	lp_received "$1" "$((${LP_DMARK[$1]} + 1))" | awk -v m="$2" '
		BEGIN { first = 1 }
		first { keep = $0 ~ m; first = 0 }
		keep
		/^--$/ { first = 1 }'
}

# lp_sdp_dir NAME REGEX: the direction attributes of the SDP in the
# messages NAME received since its mark whose first line matches REGEX,
# one line per message ("sendrecv" where none is written: the default)
lp_sdp_dir() {
	lp_rx "$1" "$2" | awk '
		/^v=0$/ { sdp = 1; dir = "sendrecv" }
		/^a=(sendrecv|sendonly|recvonly|inactive)$/ { dir = substr($0, 3) }
		/^--$/ { if (sdp) print dir; sdp = 0 }'
}

# no_credentials_reach NAME: the requests NAME received through HRAS
# (re-INVITEs, ACKs, BYEs too) carry no credentials for HRAS's realm:
# linphone sends them unasked on every request once challenged, and they
# are HRAS's to consume (RFC 3261 22.3), never a far party's to see
no_credentials_reach() {
	local n
	n=$(lp_received "$1" | grep -ciE "^Proxy-Authorization:.*realm=\"?$DOMAIN")
	[ "$n" = 0 ] || fail "$1 got $n requests with credentials for HRAS's realm: $(lp_received "$1" | grep -iE '^(INVITE|ACK|BYE) sip:|^Proxy-Authorization' | head -4)"
	log "$1 received $(lp_received "$1" | grep -cE '^[A-Z]+ sip:') requests, none with credentials for $DOMAIN"
}

# media_via_relay NAME: every SDP NAME received (offers and answers, in
# requests and responses) names NAME's relay for media, and nothing else;
# an outside phone's holds no inside address at all (the origin too is
# rewritten)
media_via_relay() {
	local sdp bad re=${RELAY[$1]//./\\.}
	sdp=$(lp_received "$1" | grep -E '^(c=|o=|m=|a=rtcp:)')
	[ -n "$sdp" ] || fail "$1 received no SDP"
	bad=$(grep -E '^c=' <<<"$sdp" | grep -vE "^c=IN IP4 $re\$")
	bad+=$(grep -E '^a=rtcp:.* IN ' <<<"$sdp" | grep -vE " IN IP4 $re\$")
	[ "$1" = olivia ] && bad+=$(grep -F "$FW_PLAN." <<<"$sdp")
	[ -z "$bad" ] || fail "$1 was given media addresses other than its relay ${RELAY[$1]}: $(sort -u <<<"$bad" | head -3)"
	log "$1: $(grep -c '^c=' <<<"$sdp") SDP bodies received, each naming its relay ${RELAY[$1]} alone"
}

# sdp_names FILE NAME WHAT: the SDP in FILE (what NAME received) names
# NAME's relay for media, and offers telephone-event
sdp_names() {
	grep -q "^c=IN IP4 ${RELAY[$2]}$" "$1" ||
		fail "$3 $2 got does not name its relay ${RELAY[$2]} for media: $(grep '^c=' "$1")"
	grep -q "^a=rtpmap:[0-9]* telephone-event/8000" "$1" ||
		fail "$3 $2 got has no telephone-event"
}

# sdp_dirs WHAT A OFFER B ANSWER: since their marks, B received one
# re-INVITE, whose SDP is OFFER (sendonly...), and A one 200 with SDP,
# whose SDP is ANSWER
sdp_dirs() {
	local got
	got=$(lp_sdp_dir "$4" '^INVITE ' | tr '\n' ' ')
	[ "$got" = "$3 " ] || fail "$1: $4 got re-INVITEs with SDP '$got', not one $3"
	got=$(lp_sdp_dir "$2" '^SIP/2.0 200 ' | tr '\n' ' ')
	[ "$got" = "$5 " ] || fail "$1: $2 got 200s with SDP '$got', not one $5"
}

CALLS=0
# lp_call CALLER CALLEE DIGITS: CALLER calls CALLEE, who answers; tones
# both ways; CALLER sends DIGITS; CALLER holds the call, then resumes
# it; tones both ways again; CALLER hangs up
lp_call() {
	local a=$1 b=$2 digits=$3 got n r
	CALLS=$((CALLS + 1))
	n=$CALLS r=$T/rec-$CALLS
	log "== call $n: $a calls $b"
	lp "$a" "record $r-$a-talk.wav"
	lp "$b" "record $r-$b-talk.wav"
	lp_mark "$a" "$b"
	lp "$a" "call sip:$b@$DOMAIN"
	lp_wait "$b" "Receiving new incoming call from" 300
	lp "$b" "answer"
	lp_wait "$a" "Media streams established with" 200
	lp_wait "$b" "Media streams established with" 200
	# the offer and the answer each name the receiver's relay, with
	# telephone-event
	lp_rx "$b" '^INVITE ' >"$r-offer.txt"
	lp_rx "$a" '^SIP/2.0 200 ' >"$r-answer.txt"
	sdp_names "$r-offer.txt" "$b" "the offer"
	sdp_names "$r-answer.txt" "$a" "the answer"
	log "$a and $b talk"
	sleep 2

	log "$a sends DTMF $digits"
	lp_mark "$b"
	lp "$a" "$digits"
	for _ in $(seq 200); do
		[ "$(dtmf_received "$b")" = "$digits" ] && break
		sleep 0.05
	done
	sleep 0.3 # a duplicate (an end packet taken for a new event) would show now
	got=$(dtmf_received "$b")
	[ "$got" = "$digits" ] ||
		fail "$b received the DTMF digits '$got', $a sent '$digits'"
	# they came in RTP: the audio stream decoded each telephone-event
	# (mediastreamer logs it), and no INFO carried any
	got=$(tail -n "+$((${LP_DMARK[$b]} + 1))" "$T/lp-$b.debug" |
		sed -n 's/.*mediastreamer-message-Receiving dtmf \(.\)\.$/\1/p' | tr -d '\n')
	[ "$got" = "$digits" ] ||
		fail "$b's audio stream decoded the telephone-events '$got', $a sent '$digits'"
	[ -z "$(lp_rx "$b" '^INFO ')" ] || fail "$b received DTMF as SIP INFO"
	log "$b received the digits $got (RFC 4733 telephone-event)"

	log "$a holds the call"
	# the hold music: a paused linphonec plays its play file, which it
	# opens anew when the hold restarts its stream
	lp "$a" "play $T/lp-$a/hold.wav"
	lp_mark "$a" "$b"
	lp "$a" "pause"
	lp_wait "$a" "Call [0-9]+ with .* is now paused" 200
	lp_wait "$b" "Call [0-9]+ has been paused by" 200
	lp "$b" "record $r-$b-hold.wav"
	sdp_dirs "the hold" "$a" sendonly "$b" recvonly
	log "the hold reached $b (sendonly), its answer $a (recvonly)"
	sleep 2
	log "$a resumes the call"
	lp "$a" "play $T/lp-$a/tone.wav" # from the resume on
	lp "$a" "record $r-$a-resumed.wav"
	lp "$b" "record $r-$b-resumed.wav"
	lp_mark "$a" "$b"
	lp "$a" "resume"
	lp_wait "$a" "Media streams established with" 200
	lp_wait "$b" "Media streams established with" 200
	sdp_dirs "the resume" "$a" sendrecv "$b" sendrecv
	sleep 2

	lp_mark "$a" "$b"
	lp "$a" "terminate"
	lp_wait "$a" "Call [0-9]+ with .* ended" 200
	lp_wait "$b" "Call [0-9]+ with .* ended" 200
	relay_idle
	log "the call ended with BYE; HRAS has no call and no relay port"

	log "what each heard:"
	tone_in "$r-$b-talk.wav" "$a" 1.2
	tone_in "$r-$a-talk.wav" "$b" 1.2
	tone_in "$r-$b-hold.wav" hold 1.0
	tone_in "$r-$b-resumed.wav" "$a" 1.2
	tone_in "$r-$a-resumed.wav" "$b" 1.2
}

# ---- the world -------------------------------------------------------
fw_world
fw_hrac a plain
fw_hrac b connect
expect_log "$T/hrac-a.log" "tunnel to http://192.0.2.1/sofw/: plain HTTP proxy http://$FW_PLAN.1:3128"
expect_log "$T/hrac-b.log" "tunnel to https://192.0.2.1/sofw/: CONNECT through http://$FW_PLAN.1:3128"

lp_host alice a $FW_PLAN.21
lp_host bob b $FW_PLAN.21
lp_host olivia - 192.0.2.20
# the LANs' only way out is Squid: the phones reach nothing outside
for n in alice bob; do
	for port in 80 443; do
		if in_ns "ph-$n" timeout 3 bash -c "exec 3<>/dev/tcp/192.0.2.1/$port" 2>/dev/null; then
			fail "$n's host reaches the outside (192.0.2.1:$port) without SoFW"
		fi
	done
done

log "== the phones register: alice and bob through their hrac, olivia to HRAS"
lp_start alice "$FW_PLAN.10:5060"
lp_start bob "$FW_PLAN.10:5060"
lp_start olivia 192.0.2.1:5060
lp_registered alice a
lp_registered bob b
lp_registered olivia -

log "== site a: hrac through Squid, plain HTTP"
lp_call alice olivia "1#9"
lp_call olivia alice "*05"

log "== site b: hrac through Squid, CONNECT + TLS"
lp_call bob olivia "27*"
lp_call olivia bob "#83"

for n in alice bob olivia; do
	no_credentials_reach $n
	media_via_relay $n
done
# HRAS handed every packet for an inside phone to its HRAC's session
# (none refused: queue full, no session), and dropped none of the
# phones' packets as a stranger's: an inside phone that sends media at
# once with its 200 OK (linphonec: a STUN packet on RTP and RTCP) has
# those first packets reach the relay before the answer does (the
# answer goes through the gateway's loopback socket, a loop turn
# later); the relay holds them until the answer names the phone.
drops=$(status_field drops_tunnel)
[ "$drops" = 0 ] || fail "HRAS could not hand $drops packets to an HRAC's session"
drops=$(status_field drops_stranger)
[ "$drops" = 0 ] || fail "HRAS dropped $drops of the phones' packets as strangers'"
log "HRAS handed every packet for the inside to its HRAC and dropped none as a stranger's; $(status_field drops_no_peer) came before a peer was known"

log "== the phones quit (and unregister)"
for n in alice bob olivia; do
	lp "$n" quit
done
for n in alice bob olivia; do
	gone "${LP_PID[$n]}" 200 || fail "linphonec $n did not quit"
	wait "${LP_PID[$n]}"
	rc=$?
	untrack "${LP_PID[$n]}"
	[ $rc = 0 ] || fail "linphonec $n exited with $rc$(status_name $rc)"
	wait_log "$T/hras.log" "$n@$DOMAIN unregistered sip:$n@" 100
done
log "each unregistered as it quit"
fw_connect_carried b
grep -q "POST http://192.0.2.1/sofw/" "$T/squid-a/squid-access.log" ||
	fail "Squid of site a did not carry the tunnel as plain HTTP"
log "linphonec registers, calls and is called both ways through Squid (plain and CONNECT), with audio, hold/resume and DTMF"
