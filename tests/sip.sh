# SPDX-License-Identifier: BSD-3-Clause
# Copyright (c) 2026 the SoFW authors
# tests/sip.sh: SIP phones for integration tests (after tests/lib.sh).
#
# A phone is a sipp run with a scenario from tests/sipp, either on the
# wan (outside phones: 192.0.2.10 and up, talking to HRAS at
# 192.0.2.1:5060) or in a site (inside phones: 10.77.1.10 and up,
# talking to their HRAC at 10.77.1.1:5060).  Every run logs its messages
# and errors in $T/sipp-NAME/.

DOMAIN=example.test

# the site where a phone lives, or "-" for the wan
where_of() { case $1 in 192.0.2.*) echo - ;; *) echo "$2" ;; esac; }

# sipp_fresh NAME: an empty log directory for the sipp run NAME.  A caller
# that runs sipp_at in the background calls it first: otherwise what it
# reads next may still be the previous run's logs.
sipp_fresh() { rm -rf "$T/sipp-$1" && mkdir -p "$T/sipp-$1"; }

sipp_at() { # WHERE NAME sipp-args...
	local where=$1 name=$2 dir
	shift 2
	dir=$T/sipp-$name
	sipp_fresh "$name"
	if [ "$where" = - ]; then
		(cd "$dir" && timeout 60 sipp "$@" -nostdin -trace_msg -trace_err -trace_logs)
	else
		(cd "$dir" && timeout 60 ip netns exec "$NS-$where" sipp "$@" \
			-nostdin -trace_msg -trace_err -trace_logs)
	fi
}

server_of() { [ "$1" = - ] && echo 192.0.2.1:5060 || echo 10.77.1.1:5060; }

# wait_udp WHERE IP PORT: a socket is bound to UDP IP:PORT in the site or
# LAN WHERE (- for the wan): the phone or echo started there is ready
wait_udp() {
	local where=$1 want=$2:$3 run=()
	[ "$where" != - ] && run=(ip netns exec "$NS-$where")
	case $2 in *:*) want="[$2]:$3" ;; esac
	for _ in $(seq 200); do
		"${run[@]}" ss -Hlun | awk -v a="$want" '$4 == a { f = 1 } END { exit !f }' &&
			return 0
		sleep 0.05
	done
	fail "nothing listens on UDP $want (${where/#-/wan})"
}

# register SITE|- USER IP [EXPIRES]: the phone USER registers from IP:5060
register() {
	local where=$1 user=$2 ip=$3 exp=${4:-300}
	sipp_at "$where" "reg-$user" "$(server_of "$where")" \
		-sf "$SIPP_SCEN/register.xml" -s "$user" -au "$user" \
		-ap "$user-pw" -set domain $DOMAIN -set expires "$exp" -m 1 \
		-i "$ip" -p 5060 >"$T/reg-$user.out" 2>&1 ||
		{ cat "$T"/sipp-reg-$user/*errors.log 2>/dev/null; fail "$user could not register"; }
	log "$user registered from $ip ($where)"
}

# answer SITE|- USER IP SCENARIO [sipp args]: a phone waiting for one
# call, returns once its SIP socket is bound; sets UAS_PID
answer() {
	local where=$1 user=$2 ip=$3 scen=$4
	shift 4
	sipp_fresh "uas-$user"
	sipp_at "$where" "uas-$user" -sf "$SIPP_SCEN/$scen" -s "$user" -m 1 \
		-i "$ip" -p 5060 "$@" >"$T/uas-$user.out" 2>&1 &
	UAS_PID=$!
	wait_udp "$where" "$ip" 5060
}

# call SITE|- USER IP CALLEE [SCENARIO [sipp args]]: USER calls from IP:5061
call() {
	local where=$1 user=$2 ip=$3 callee=$4 scen=${5:-uac.xml}
	shift 5 2>/dev/null || shift $#
	sipp_at "$where" "uac-$user-$callee" "$(server_of "$where")" \
		-sf "$SIPP_SCEN/$scen" -s "$user" -au "$user" -ap "$user-pw" \
		-set domain $DOMAIN -set fromdomain $DOMAIN \
		-set callee "$callee" -set maxfwd 70 \
		-m 1 -i "$ip" -p 5061 "$@" >"$T/uac-$user.out" 2>&1
}

# expect_final CODE SITE|- USER IP CALLEE [sipp args]: the call fails so
expect_final() {
	local code=$1 where=$2 user=$3 ip=$4 callee=$5 got
	shift 5
	call "$where" "$user" "$ip" "$callee" uac_final.xml "$@" ||
		fail "$user -> $callee: the scenario failed"
	got=$(final_code "uac-$user-$callee")
	[ "$got" = "$code" ] || fail "$user -> $callee: got $got, expected $code"
	log "$user -> $callee: $got as expected"
}

# The world of the SIP tests: wan (HRAS, outside phones) and two sites
sip_world() {
	wan_up
	make_identity site-a
	make_identity site-b
	for u in alice alice2 bob carol olivia oscar; do make_user $u $u-pw; done
	start_hras --sip 192.0.2.1:5060 --domain $DOMAIN --users "$T/users" "$@"
	start_nginx
	site site-a 1
	site site-b 2
	start_site_hrac site-a --server http://192.0.2.1/sofw/
	start_site_hrac site-b --server http://192.0.2.1/sofw/
}

# final_code NAME: the final response a uac_final.xml run logged
final_code() {
	sed -n 's/.*final \([0-9]*\).*/\1/p' "$T"/sipp-$1/*_logs.log 2>/dev/null | tail -1
}

# wait_uas: the answering phone's scenario must have completed
wait_uas() {
	wait "$UAS_PID" || { cat "$T"/sipp-uas-*/*errors.log 2>/dev/null | tail -5; fail "the called phone's scenario failed: $1"; }
}

# received NAME METHOD: the first METHOD (or response line) a phone received
received() {
	awk -v m="$2" '/^-----/ {grab=0; rx=0} /message received/ {rx=1} rx && /^[A-Z]+ sip:|^SIP\/2.0/ { if (index($0, m) == 1 && !done) {grab=1; done=1} } grab' \
		"$T"/sipp-$1/*_messages.log 2>/dev/null
}
