# SPDX-License-Identifier: BSD-3-Clause
# Copyright (c) 2026 the SoFW authors
# tests/fault.sh: two calls through a fault, measured.  The fault tests
# (tests/it/t_fault_*.sh) and the fault benchmark (bench/fault.sh) source
# it first thing: it sources lib.sh (so the script runs in a namespace of
# its own, the others it makes named sofw-flt-PID-*), sip.sh and fw.sh.
#
# The firewall world of the voice tests (fw.sh), HRAS keeping its
# registrations in $T/hras.state, site a's hrac through its Squid (plain
# or CONNECT + TLS).  Two calls: alice (inside, 10.77.10.11) calls
# olivia (outside, 192.0.2.10) and oscar (outside, 192.0.2.11) calls bob
# (inside, 10.77.10.12).  Each phone sends RTP at 50 packets/s (172
# bytes, G.711's) to the media address its peer's SDP named, as a phone
# does (tests/tools/fault-media.py): four streams, c1-up and c2-up from
# the inside out, c1-down and c2-down from the outside in.
#
# Timeline: the streams start once both calls talk; FAULT_PRE_MS later
# one component is killed (SIGKILL: a crash) and FAULT_RESTART_MS after
# the kill started again with the same configuration and addresses.  A
# probe takes the moment it is usable again, BACK (Squid and nginx:
# they accept TCP; hras-fcgi: its log says "ready"; hrac: the moment it
# is started).  The streams run FAULT_POST_MS past BACK.  Both callers
# send an UPDATE a few hundred ms after the kill, so a SIP request
# crosses the fault each way, and hang up after the streams with BYE,
# expecting 200 (tests/sipp/uac_talk.xml).
#
# The network fault, net, kills nothing: site a's uplink (the link from
# Squid's host to the outside) goes silent, every packet either way
# dropped as it arrives at either end (nftables, netdev ingress: no RST,
# no ICMP, the link stays up, as when a line or a router beyond it
# fails), and comes back FAULT_RESTART_MS later; BACK is the moment the
# rules are gone.  NS_TAG (default flt) names the namespaces.

NS_TAG=${NS_TAG:-flt}
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
. "$SOFW_TOP/tests/sip.sh"
. "$SOFW_TOP/tests/fw.sh"

FM=$SOFW_TOP/tests/tools/fault-media.py
FAULT_PRE_MS=${FAULT_PRE_MS:-2000}
FAULT_RESTART_MS=${FAULT_RESTART_MS:-1000}
FAULT_POST_MS=${FAULT_POST_MS:-5000}
FAULT_PROBLEMS=()

# mono: CLOCK_MONOTONIC in ns; without a fork once FAULT_CLOCK_OFF (its
# offset from the real time clock) is known, for the faults whose own
# steps take milliseconds (net)
mono() {
	if [ -n "${FAULT_CLOCK_OFF:-}" ]; then
		echo $((${EPOCHREALTIME/./} * 1000 + FAULT_CLOCK_OFF))
	else
		python3 "$FM" now
	fi
}

# fault_world [hras args]: the world, HRAS keeping its registrations;
# the outside phones registered
fault_world() {
	fw_world --state "$T/hras.state" "$@"
	register - olivia 192.0.2.10
	register - oscar 192.0.2.11
}

# fault_hrac plain|connect: (a new) hrac of site a, through Squid as a
# plain proxy or with CONNECT + TLS; the inside phones registered
fault_hrac() {
	local n
	FAULT_MODE=$1
	[ -n "${FW_HRAC_a:-}" ] && kill -0 "$FW_HRAC_a" 2>/dev/null && stop_pid "$FW_HRAC_a"
	n=$(grep -cE "info: (up|down): (streaming|batch POST|long polling) works" "$T/hrac-a.log" 2>/dev/null)
	fw_hrac a "$FAULT_MODE"
	# both streams up (HRAS logs "media on" for the first hrac only)
	wait_more "$T/hrac-a.log" "info: (up|down): (streaming|batch POST|long polling) works" $((n + 1)) 200
	register lan-a alice $FW_PLAN.11
	register lan-a bob $FW_PLAN.12
}

# fault_answer WHERE USER IP MPORT: USER answers one call with media at
# IP:MPORT (uas_media.xml: answers the UPDATE and the BYE); sets FAULT_PID
fault_answer() {
	local where=$1 user=$2 ip=$3 mport=$4
	sipp_fresh "uas-$user"
	sipp_at "$where" "uas-$user" -sf "$SIPP_SCEN/uas_media.xml" -s "$user" \
		-set mip "$ip" -set mport "$mport" -m 1 -i "$ip" -p 5060 \
		>"$T/uas-$user.out" 2>&1 &
	FAULT_PID=$!
	wait_udp "$where" "$ip" 5060
}

# fault_dial WHERE USER IP CALLEE MPORT: USER calls CALLEE with
# uac_talk.xml; sets FAULT_PID
fault_dial() {
	local where=$1 user=$2 ip=$3 callee=$4 mport=$5 t1 t2
	# the UPDATE leaves a few hundred ms after the kill (the streams
	# start about half a second after both calls talk; later with
	# FAULT_UPDATE_AFTER_MS); the BYE after the streams end
	t1=$((FAULT_PRE_MS + ${FAULT_UPDATE_AFTER_MS:-900}))
	t2=$((FAULT_RESTART_MS + FAULT_POST_MS + 1500))
	sipp_fresh "uac-$user-$callee"
	sipp_at "$where" "uac-$user-$callee" "$(server_of "$where")" \
		-sf "$SIPP_SCEN/uac_talk.xml" -s "$user" -au "$user" \
		-ap "$user-pw" -set domain $DOMAIN -set fromdomain $DOMAIN \
		-set callee "$callee" -set maxfwd 70 -set mip "$ip" \
		-set mport "$mport" -set talk2 "$t2" -d "$t1" -m 1 -i "$ip" \
		-p 5061 >"$T/uac-$user.out" 2>&1 &
	FAULT_PID=$!
}

# fault_calls: both calls set up and talking, the four streams running.
# Sets FAULT_UAC1/2, FAULT_UAS1/2 (sipp), FAULT_IN/OUT (the streams)
fault_calls() {
	local p1 p2 p3 p4
	fault_answer - olivia 192.0.2.10 16000
	FAULT_UAS1=$FAULT_PID
	fault_answer lan-a bob $FW_PLAN.12 7002
	FAULT_UAS2=$FAULT_PID
	fault_dial lan-a alice $FW_PLAN.11 olivia 7000
	FAULT_UAC1=$FAULT_PID
	fault_dial - oscar 192.0.2.11 bob 16002
	FAULT_UAC2=$FAULT_PID
	wait_step uac-alice-olivia talking "$FAULT_UAC1"
	wait_step uac-oscar-bob talking "$FAULT_UAC2"
	# each phone sends to what its peer's SDP named: the 200 OK for
	# the callers, the INVITE for the called phones
	p1=$(media_peer uac-alice-olivia) p2=$(media_peer uas-olivia INVITE)
	p3=$(media_peer uac-oscar-bob) p4=$(media_peer uas-bob INVITE)
	FAULT_PEERS="$p1 $p2 $p3 $p4"
	case "$p1,$p2,$p3,$p4" in
	$FW_PLAN.10:*,${FAULT_RELAY:-192.0.2.1}:*,${FAULT_RELAY:-192.0.2.1}:*,$FW_PLAN.10:*) ;;
	*) fail "the calls' media addresses are not hrac's and HRAS's: alice->$p1 olivia->$p2 oscar->$p3 bob->$p4" ;;
	esac
	log "calls talking; media: alice->$p1 olivia->$p2 oscar->$p3 bob->$p4"
	rm -f "$T/media-in.json" "$T/media-out.json"
	# a simple command, so that $! is the tool itself (ip execs it)
	ip netns exec "$(fw_ns lan-a)" python3 "$FM" run --out "$T/media-in.json" --seconds 100 \
		--stream c1-up $FW_PLAN.11:7000 "$p1" \
		--stream c2-up $FW_PLAN.12:7002 "$p4" >"$T/media-in.out" 2>&1 &
	FAULT_IN=$!
	python3 "$FM" run --out "$T/media-out.json" --seconds 100 \
		--stream c1-down 192.0.2.10:16000 "$p2" \
		--stream c2-down 192.0.2.11:16002 "$p3" >"$T/media-out.out" 2>&1 &
	FAULT_OUT=$!
	wait_udp lan-a $FW_PLAN.11 7000
	wait_udp - 192.0.2.11 16002
}

# fault_pid WHAT: the PID of squid, nginx, hras or hrac; of another
# component, what the caller's fault_pid_WHAT prints
fault_pid() {
	case $1 in
	squid) echo "$FW_SQUID_a" ;;
	nginx) echo "$NGINX_PID" ;;
	hras) echo "$HRAS_PID" ;;
	hrac) echo "$FW_HRAC_a" ;;
	*) "fault_pid_$1" ;;
	esac
}

# fault_says WHAT: what the fault does, for the log
fault_says() {
	case $1 in
	net) echo "the uplink of site a silent (every packet dropped), restored" ;;
	*) echo "$1 killed (SIGKILL), started again" ;;
	esac
}

# fault_net_cut add|delete: the rules that silence site a's uplink, at
# both ends of it (Squid's host: upa; the wan: fwa), put in place or
# taken away at the same moment (two nft runs in parallel).  The moment
# each run returned goes to $T/net-add-upa etc.
fault_net_cut() {
	local op=$1 dev pids=() run
	[ -n "${FAULT_CLOCK_OFF:-}" ] ||
		FAULT_CLOCK_OFF=$(python3 -c 'import time; print(time.monotonic_ns() - time.time_ns())')
	mono >"$T/net-$op-start"
	for dev in upa fwa; do
		run=(nft -f -)
		[ $dev = upa ] && run=(ip netns exec "$(fw_ns proxy-a)" nft -f -)
		if [ "$op" = add ]; then
			printf '%s\n' "table netdev sofw_cut {" "chain in {" \
				"type filter hook ingress device $dev priority 0; policy drop;" "}" "}"
		else
			echo "delete table netdev sofw_cut"
		fi | { "${run[@]}" && mono >"$T/net-$op-$dev"; } &
		pids+=($!)
	done
	for dev in 0 1; do
		wait "${pids[$dev]}" || fail "nft: cannot $op the rules of the cut"
	done
}

# fault_net_at add|delete first|last: the moment the first or the last
# end of the uplink took the change
fault_net_at() {
	sort -n "$T/net-$1-upa" "$T/net-$1-fwa" | if [ "$2" = first ]; then head -1; else tail -1; fi
}

# fault_kill WHAT: SIGKILL for the component (and its children: nginx's
# workers), the moment in $T/fault-down; net: the uplink cut
fault_kill() {
	local pid kids k
	if [ "$1" = net ]; then
		# down from the moment one end is cut; the restore starts as
		# long before its time as the cut took (nft is slow under load)
		fault_net_cut add
		fault_net_at add first >"$T/fault-down"
		FAULT_LEAD=$(($(fault_net_at add last) - $(cat "$T/net-add-start")))
		return
	fi
	pid=$(fault_pid "$1")
	kill -0 "$pid" 2>/dev/null || fail "$1 (pid $pid) was not running before the fault"
	kids=$(pgrep -P "$pid")
	mono >"$T/fault-down"
	# shellcheck disable=SC2086
	kill -KILL "$pid" $kids
	wait "$pid" 2>/dev/null
	untrack "$pid"
	# a child (nginx's worker) is reaped by whoever adopts it: dead is
	# enough (a zombie holds no socket)
	for k in $kids; do
		for _ in $(seq 100); do
			grep -qs "^State:[[:space:]]*[^Z[:space:]]" "/proc/$k/status" || continue 2
			sleep 0.01
		done
		fail "$1's child $k outlived SIGKILL by 1 s: $(grep -s '^State' "/proc/$k/status"), in $(cat "/proc/$k/wchan" 2>/dev/null)"
	done
}

# fault_probe WHERE tcp|listen HOST PORT: in the background, the moment
# a TCP connection from WHERE (a namespace of fw.sh, - for the wan) to
# HOST:PORT is accepted (tcp), or a socket there listens on it (listen:
# for a server that a probe's connection would disturb), goes to
# $T/fault-back; FAULT_PROBE is its PID
fault_probe() {
	local run=()
	[ "$1" != - ] && run=(ip netns exec "$(fw_ns "$1")")
	"${run[@]}" python3 "$FM" when "$2" "$3" "$4" --out "$T/fault-back" \
		--timeout 30 >/dev/null &
	FAULT_PROBE=$!
}

# fault_start WHAT: start the component again (same configuration and
# addresses) and wait until it is usable; the moment in $T/fault-back.
# Another component is the caller's: fault_start_WHAT starts it, after
# fault_probe or writing $T/fault-back itself
fault_start() {
	local n
	FAULT_PROBE=
	rm -f "$T/fault-back"
	mono >"$T/fault-start"
	case $1 in
	squid)
		fault_probe lan-a tcp $FW_PLAN.1 3128
		fw_squid a
		;;
	nginx)
		fault_probe - tcp 192.0.2.1 "$([ "$FAULT_MODE" = connect ] && echo 443 || echo 80)"
		start_nginx
		;;
	hras)
		n=$(grep -c "info: ready" "$T/hras.log")
		python3 "$FM" when log "$T/hras.log" "info: ready" --after "$n" \
			--out "$T/fault-back" --timeout 30 >/dev/null &
		FAULT_PROBE=$!
		start_hras "${HRAS_ARGS[@]}"
		;;
	hrac)
		# usable from its start: phones send to it at once
		cp "$T/fault-start" "$T/fault-back"
		fw_hrac a "$FAULT_MODE"
		;;
	net)
		# usable from the moment both ends are open again
		fault_net_cut delete
		fault_net_at delete last >"$T/fault-back"
		log "uplink cut in $((($(fault_net_at add last) - $(cat "$T/net-add-start")) / 1000000)) ms, restored in $((($(fault_net_at delete last) - $(cat "$T/net-delete-start")) / 1000000)) ms; the ends within $((($(fault_net_at add last) - $(fault_net_at add first)) / 1000)) us, restored within $((($(fault_net_at delete last) - $(fault_net_at delete first)) / 1000)) us"
		;;
	*) "fault_start_$1" ;;
	esac
	if [ -n "$FAULT_PROBE" ]; then
		wait "$FAULT_PROBE" || fail "$1 was not usable again within 30 s of its start"
	fi
}

# fault_run WHAT: the fault in the middle of the calls, then the streams
# stop FAULT_POST_MS after BACK; the report in $T/fault-report
fault_run() {
	local what=$1 back left
	FAULT_LEAD=0 # ns: how long before its time the start begins
	sleep "$(awk -v m="$FAULT_PRE_MS" 'BEGIN { print m / 1000 }')"
	log "== $(fault_says "$what") $FAULT_RESTART_MS ms later"
	fault_kill "$what"
	left=$((($(cat "$T/fault-down") + FAULT_RESTART_MS * 1000000 - FAULT_LEAD - $(mono)) / 1000000))
	[ "$left" -gt 0 ] && sleep "$(awk -v m="$left" 'BEGIN { print m / 1000 }')"
	fault_start "$what"
	back=$(cat "$T/fault-back")
	log "$what usable again $(((back - $(cat "$T/fault-down")) / 1000000)) ms after the fault, $(((back - $(cat "$T/fault-start")) / 1000000)) ms after its start"
	left=$(((back + FAULT_POST_MS * 1000000 - $(mono)) / 1000000))
	[ "$left" -gt 0 ] && sleep "$(awk -v m="$left" 'BEGIN { print m / 1000 }')"
	kill -TERM "$FAULT_IN" "$FAULT_OUT" 2>/dev/null
	wait "$FAULT_IN" || fail "the inside phones' streams failed (status $?): $(cat "$T/media-in.out")"
	wait "$FAULT_OUT" || fail "the outside phones' streams failed (status $?): $(cat "$T/media-out.out")"
	python3 "$FM" report "$T/media-in.json" "$T/media-out.json" \
		--down "$T/fault-down" --back "$T/fault-back" >"$T/fault-report" ||
		fail "fault-media.py report failed"
	sed 's/^/    media: /' "$T/fault-report"
}

# fault_figure NAME [STREAM]: a figure of the report (the summary line,
# or one stream's)
fault_figure() {
	local line
	if [ -n "${2:-}" ]; then
		line=$(grep "^stream $2 " "$T/fault-report")
	else
		line=$(grep "^summary " "$T/fault-report")
	fi
	sed -n "s/.*\b$1=\(-\?[0-9.]*\).*/\1/p" <<<"$line"
}

problem() {
	FAULT_PROBLEMS+=("$*")
	log "PROBLEM: $*"
}

# fault_check_media GOAL_MS: each stream was flowing before the fault,
# came back within GOAL_MS of BACK, lost at most what the outage and the
# goal explain, and nothing arrived twice or damaged.  The bound on loss:
# (BACK - DOWN + GOAL_MS) / 20 ms + 10 per stream: every packet sent
# while the component was down or within the goal after, plus 10 for
# those in flight or queued at the kill.
fault_check_media() {
	local goal=$1 s outage max rec lost dup bad before
	outage=$(fault_figure outage_ms)
	max=$(((outage + goal) / 20 + 10))
	for s in c1-up c1-down c2-up c2-down; do
		rec=$(fault_figure recovery_ms $s) lost=$(fault_figure lost $s)
		dup=$(fault_figure dup $s) bad=$(fault_figure corrupt $s)
		before=$(fault_figure before $s)
		[ -n "$rec" ] || { problem "$s: no figures (the stream did not run)"; continue; }
		# FAULT_PRE_MS of media at 50/s, less the start: a stream that
		# did not flow before the fault makes the rest meaningless
		[ "$before" -ge $((FAULT_PRE_MS / 20 * 3 / 4)) ] ||
			problem "$s: only $before packets arrived before the fault (the call's media did not flow)"
		if [ "${rec%.*}" -lt 0 ]; then
			problem "$s: media never came back ($((FAULT_POST_MS / 1000)) s watched after the component was back)"
		elif [ "${rec%.*}" -gt "$goal" ]; then
			problem "$s: media back $rec ms after the component was, goal $goal ms"
		fi
		[ "$lost" -le "$max" ] ||
			problem "$s: $lost packets lost, more than the $max the outage explains ((${outage} ms + $goal ms) / 20 ms + 10)"
		[ "$dup" = 0 ] || problem "$s: $dup packets arrived twice"
		[ "$bad" = 0 ] || problem "$s: $bad packets damaged"
	done
}

# fault_wait PID SECONDS: the exit status of PID (one of ours), which is
# given SECONDS to end and then SIGTERM (status 143)
fault_wait() {
	local i
	for ((i = 0; i < $2 * 20; i++)); do
		kill -0 "$1" 2>/dev/null || break
		sleep 0.05
	done
	if kill -0 "$1" 2>/dev/null; then
		# shellcheck disable=SC2046
		kill -TERM $(tree_of "$1") 2>/dev/null
	fi
	wait "$1"
}

# tree_of PID: PID and its descendants (a sipp run is a subshell, timeout
# and sipp)
tree_of() {
	local k
	echo "$1"
	for k in $(pgrep -P "$1"); do
		tree_of "$k"
	done
}

# sipp_why NAME: the last step the sipp run NAME logged and its last error
sipp_why() {
	local step err
	step=$(grep -ho "step [a-z]*" "$T"/sipp-$1/*_logs.log 2>/dev/null | tail -1)
	# an error is a line that begins with its date (a message quoted in
	# it goes on over the lines after)
	err=$(grep -hE "^[0-9]{4}-[0-9]{2}-[0-9]{2}" "$T"/sipp-$1/*_errors.log 2>/dev/null | grep -v "watchdog" | tail -1 | cut -f3- | sed "s/^[0-9.]*: //" | cut -c1-200)
	echo "last ${step:-step none}; ${err:-no error logged}"
}

# fault_check_sip: both calls ended as their scenarios say (the UPDATE
# across the fault answered, BYE answered 200), and no phone got a SIP
# message more often than its peer sent it (tests/tools/sip-once.py)
fault_check_sip() {
	local r out
	fault_wait "$FAULT_UAC1" 30 || problem "alice's call to olivia failed: $(sipp_why uac-alice-olivia)"
	fault_wait "$FAULT_UAC2" 30 || problem "oscar's call to bob failed: $(sipp_why uac-oscar-bob)"
	# a called phone whose caller gave up waits for a BYE that never
	# comes: 5 s, then it is stopped
	fault_wait "$FAULT_UAS1" 5 || problem "olivia's side of alice's call failed: $(sipp_why uas-olivia)"
	fault_wait "$FAULT_UAS2" 5 || problem "bob's side of oscar's call failed: $(sipp_why uas-bob)"
	for r in uac-alice-olivia uac-oscar-bob; do
		grep -qs "step ended" "$T"/sipp-$r/*_logs.log &&
			log "$r: BYE answered 200, the call ended normally"
	done
	for r in "uac-alice-olivia uas-olivia" "uac-oscar-bob uas-bob"; do
		# shellcheck disable=SC2086
		set -- $r
		out=$(python3 "$SOFW_TOP/tests/tools/sip-once.py" "$T/sipp-$1" "$T/sipp-$2") ||
			problem "SIP between $1 and $2: $(grep -v '^ok' <<<"$out" | tr '\n' ' ')"
		sed "s/^/    sip $1 <-> $2: /" <<<"$out"
	done
}

# fault_new_calls: after the fault, a new call each way with media: the
# inside phones are still registered (bob is called without registering
# again), RTP flows both ways, the calls end and leave no relay
fault_new_calls() {
	log "== a new call each way after the fault"
	# uac_talk.xml: talks TALK_MS (talk takes 2 s), UPDATE, BYE
	TALK_MS=2500 ECHO_SECONDS=10 voice_call lan-a alice $FW_PLAN.11 7004 \
		- olivia 192.0.2.10 16004 uac_talk.xml -set talk2 100
	call_ended "alice calls olivia after the fault"
	TALK_MS=2500 ECHO_SECONDS=10 voice_call - oscar 192.0.2.11 16006 \
		lan-a bob $FW_PLAN.12 7006 uac_talk.xml -set talk2 100
	call_ended "oscar calls bob after the fault"
	log "new calls work both ways"
}

# fault_verdict WHAT: fail with every problem found, or pass
fault_verdict() {
	if [ ${#FAULT_PROBLEMS[@]} -gt 0 ]; then
		printf '  - %s\n' "${FAULT_PROBLEMS[@]}"
		fail "$1: ${#FAULT_PROBLEMS[@]} problems (above)"
	fi
	log "$1: recovered as required"
}

# fault_test WHAT GOAL_MS MODE...: the whole fault test, once per hrac
# MODE (plain, connect; MODE:MS for a round whose restart comes MS
# later, not FAULT_RESTART_MS): the world, the two calls, WHAT killed
# and started again, media, SIP and a new call each way checked; then
# the verdict, every problem listed
fault_test() {
	local what=$1 goal=$2 mode restart=$FAULT_RESTART_MS
	shift 2
	fault_world
	for mode in "$@"; do
		FAULT_RESTART_MS=$restart
		[ "${mode#*:}" != "$mode" ] && FAULT_RESTART_MS=${mode#*:}
		mode=${mode%%:*}
		log "==== mid-call, $(fault_says "$what") $FAULT_RESTART_MS ms later: hrac through Squid, $mode"
		fault_hrac "$mode"
		fault_calls
		fault_run "$what"
		fault_check_media "$goal"
		fault_check_sip
		fault_new_calls
	done
	fault_verdict "$(fault_says "$what")"
}
