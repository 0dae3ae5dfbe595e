#!/bin/bash
# SPDX-License-Identifier: BSD-3-Clause
# Copyright (c) 2026 the SoFW authors
# bench/sip.sh (make bench): REGISTER/s and call setups/s, with sipp.
#
# Systems, all on this machine in this run:
#   kamailio   Debian's kamailio with tests/kamailio/kamailio.cfg (digest
#              on REGISTER and INVITE, like HRAS), outside phones (the
#              baseline)
#   outside    hras-fcgi, outside phones straight to it (UDP)
#   tunnel     hras-fcgi, inside phones in a LAN whose only exit is
#              Squid, through hrac and the tunnel (CONNECT + TLS)
# A step offers RATE attempts/s for SECS seconds; a system sustains RATE
# when every attempt succeeded (no failure, no timeout) and the step did
# not run late.  Rates double until a step fails (at most MAX_RATE).
# Calls: INVITE, 407, ACK, INVITE, 100, 180, 200, ACK, BYE, 200, to a
# sipp callee outside.  Figures are printed as ratios to kamailio.
. "$(dirname "$0")/../tests/lib.sh"
. "$SOFW_TOP/tests/sip.sh"
. "$SOFW_TOP/tests/fw.sh"
. "$SOFW_TOP/bench/steps.sh"

SECS=${SIP_BENCH_SECS:-3}
MAX_RATE=${SIP_BENCH_MAX_RATE:-3200}

command -v kamailio >/dev/null || fail "kamailio is not installed (Debian package kamailio)"

# the caller (who also registers again and again) and the callee
make_user caller caller-pw
make_user callee callee-pw
# a registering user per step: each step's phone has a port of its own,
# hence a contact of its own, and an AOR takes --max-contacts at most
for i in $(seq 60); do make_user "r$i" "r$i-pw"; done

fw_world --rate-limit 0 --max-transactions 1000000 --timer-c 30 >/dev/null
fw_hrac a connect >/dev/null
ip addr add 192.0.2.2/32 dev lo

# kamailio on 192.0.2.2:5060, 2 workers (this machine has 2 cores)
sed -e "s/CHILDREN/2/" -e "s/LISTEN/192.0.2.2:5060/" \
	"$SOFW_TOP/tests/kamailio/kamailio.cfg" >"$T/kamailio.cfg"
kamailio -f "$T/kamailio.cfg" -DD -E -P "$T/kamailio.pid" -w "$T" \
	-Y "$T" >"$T/kamailio.log" 2>&1 &
KAM_PID=$!
track $KAM_PID
sleep 1
kill -0 $KAM_PID 2>/dev/null || fail "kamailio did not start: $(tail -5 "$T/kamailio.log")"

# step WHERE SERVER IP SCENARIO RATE: 0 when RATE was sustained
step() {
	local where=$1 server=$2 ip=$3 scen=$4 rate=$5 n t0 t1 ok bad run=()
	n=$((rate * SECS))
	# a port of its own: late answers to an earlier step go elsewhere
	# (counted in a file: steps run in command substitutions)
	STEP_NO=$(($(cat "$T/step-no" 2>/dev/null || echo 0) + 1))
	echo $STEP_NO >"$T/step-no"
	user=caller
	[ "$scen" = bench_register.xml ] && user=r$STEP_NO
	[ "$where" != - ] && run=(ip netns exec "$(fw_ns "$where")")
	rm -f "$T"/bench-step_*
	t0=$(date +%s.%N)
	(cd "$T" && "${run[@]}" timeout $((SECS + 40)) sipp "$server" \
		-sf "$SIPP_SCEN/$scen" -s $user -au $user -ap $user-pw \
		-r "$rate" -m "$n" \
		-l $((rate * 8)) -i "$ip" -p $((5100 + STEP_NO)) -nostdin -trace_screen -trace_err \
		-screen_file "$T/bench-step_screen.log" -timeout $((SECS + 30))s \
		-recv_timeout 8000 -max_recv_loops 10000 -max_sched_loops 10000 \
		>/dev/null 2>&1)
	t1=$(date +%s.%N)
	ok=$(counter "$T/bench-step_screen.log" "Successful call")
	bad=$(counter "$T/bench-step_screen.log" "Failed call")
	STEP_LOG="$rate/s: ${ok:-0} ok, ${bad:-?} failed in $(awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.1f", b - a }') s"
	[ "${ok:-0}" = "$n" ] && [ "${bad:-1}" = 0 ] && step_in_time "$t0" "$t1"
}

# start_callee SERVER IP: a sipp callee on IP registered at SERVER (an
# address per system: late retransmissions of one do not reach the next)
start_callee() {
	(cd "$T" && sipp "$1" -sf "$SIPP_SCEN/bench_register.xml" \
		-s callee -au callee -ap callee-pw -m 1 -i "$2" -p 5060 -nostdin \
		>/dev/null 2>&1) || fail "the callee could not register at $1"
	(cd "$T" && exec sipp -sf "$SIPP_SCEN/bench_uas.xml" -i "$2" \
		-set mip "$2" -set mport 16000 -p 5060 -nostdin -timeout 600s >/dev/null 2>&1) &
	CALLEE_PID=$!
	track $CALLEE_PID
	sleep 0.3
}

declare -A R
sys_where() {
	case $1 in
	kamailio) where=- server=192.0.2.2:5060 ip=192.0.2.11 callee=192.0.2.12 ;;
	outside) where=- server=192.0.2.1:5060 ip=192.0.2.11 callee=192.0.2.10 ;;
	tunnel) where=lan-a server=$FW_PLAN.10:5060 ip=$FW_PLAN.11 callee=192.0.2.13 ;;
	esac
}
SYSTEMS=${SIP_BENCH_SYSTEMS:-kamailio outside tunnel}
# calls first: the REGISTER steps at thousands per second leave libre
# transactions (32 s) behind them that would weigh on the calls
for sys in $SYSTEMS; do
	[ -n "${SIP_BENCH_NO_CALLS:-}" ] && break
	sys_where $sys
	start_callee "${server/#$FW_PLAN.10:5060/192.0.2.1:5060}" "$callee"
	echo "   $sys: calls" >&2
	R[$sys,call]=$(sustained "$where" "$server" "$ip" bench_uac.xml)
	stop_pid "$CALLEE_PID"
	# the step that failed leaves transactions in hras-fcgi (timers B
	# and F: 32 s): the next system on it starts from a quiet server, as
	# kamailio did
	if [ "$sys" = outside ] && [[ " $SYSTEMS " == *" tunnel "* ]]; then
		sleep 33
	fi
done
for sys in $SYSTEMS; do
	sys_where $sys
	echo "   $sys: REGISTER" >&2
	R[$sys,reg]=$(sustained "$where" "$server" "$ip" bench_register.xml)
done

RCVBUF_ERRORS=$(nstat -az UdpRcvbufErrors 2>/dev/null | awk '/UdpRcvbufErrors/ { print $2 }')

echo
echo "SIP rates sustained with 0 failed (steps of ${SECS} s, doubling from 100/s, at most $MAX_RATE/s):"
rows=()
for sys in $SYSTEMS; do
	case $sys in
	kamailio) rows+=("$sys" "kamailio 5.6 (baseline)") ;;
	outside) rows+=("$sys" "hras-fcgi, outside phones") ;;
	tunnel) rows+=("$sys" "hras-fcgi, inside via Squid+TLS") ;;
	esac
done
rates_table system kamailio "${rows[@]}"
echo "sip bench: outside $(ratio "${R[outside,call]:-0}" "${R[kamailio,call]:-0}") of kamailio's calls/s (target 0.50), tunnel $(ratio "${R[tunnel,call]:-0}" "${R[kamailio,call]:-0}") (target 0.25)"
[ "${MAX_RATE}" -le "${R[kamailio,call]:-0}" ] &&
	echo "note: kamailio reached the highest rate offered; raise SIP_BENCH_MAX_RATE for its limit"
echo "UDP datagrams dropped on full receive buffers on the outside host during the run: ${RCVBUF_ERRORS:-?}"
exit 0
