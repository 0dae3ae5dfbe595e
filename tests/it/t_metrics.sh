#!/bin/bash
# SPDX-License-Identifier: BSD-3-Clause
# Copyright (c) 2026 the SoFW authors
# Metrics an administrator scrapes (hras-fcgi(8), hrac(8): METRICS): HRAS's
# {base}/metrics and hrac's --metrics-file, read by a strict parser of the
# Prometheus text format before, during and after a real call with media
# through Squid; the counters move as they must (registrations, calls
# active, SIP requests by method and responses by class, relay packets,
# tunnel up per HRAC, auth failures); OpenMetrics for a scraper that
# asks for it.  /metrics follows --status-allow;
# hrac --status exits 0 while the tunnel is up and 1 once HRAS is gone,
# and --status --json is one JSON object.  The Grafana dashboard names
# only metrics these scrapes have.
. "$(dirname "$0")/../lib.sh"
. "$SOFW_TOP/tests/sip.sh"
. "$SOFW_TOP/tests/fw.sh"

CHECK="python3 $SOFW_TOP/tests/tools/prom-check.py"
URL=http://192.0.2.1/sofw/metrics

# scrape NAME: HRAS's metrics into $T/NAME.prom, checked strictly
scrape() {
	curl -s -D "$T/$1.hdr" --max-time 5 -o "$T/$1.prom" "$URL" ||
		fail "no answer from $URL"
	grep -qi "^content-type: text/plain; version=0.0.4" "$T/$1.hdr" ||
		fail "metrics content type: $(grep -i content-type "$T/$1.hdr")"
	$CHECK "$T/$1.prom" >"$T/$1.samples" || fail "the metrics do not parse ($1)"
}

# val NAME SERIES: a sample of the scrape NAME (or of a file path)
val() {
	local f=$1
	[ -f "$f" ] || f=$T/$1.prom
	$CHECK --get "$2" "$f" || fail "no sample $2 in ${f##*/}"
}

# fresh NAME: a scrape taken after the report's next refresh (1 s)
fresh() { sleep 1.2; scrape "$1"; }

# hrac_val SERIES: from hrac's metrics file (written every 5 s; a copy
# is read so that a rewrite does not race the reader)
hrac_val() {
	cp "$T/hrac-a.prom" "$T/hrac-a.copy" || fail "no hrac metrics file"
	$CHECK "$T/hrac-a.copy" >/dev/null || fail "hrac's metrics file does not parse"
	val "$T/hrac-a.copy" "$1"
}

# wait_hrac SERIES CMP VALUE: hrac's metrics file says so within 8 s
wait_hrac() {
	local v
	for _ in $(seq 80); do
		v=$(hrac_val "$1")
		test "${v%.*}" "$2" "$3" && return 0
		sleep 0.1
	done
	fail "hrac's $1 is $v, expected $2 $3"
}

t0=$(date +%s)
fw_world
log "== before anything: HRAS up, site-b configured but never connected"
scrape m0
[ "$(val m0 'sofw_hras_build_info{version="0.1"}')" = 1 ] || fail "no build info"
up=$(val m0 sofw_hras_uptime_seconds)
[ "$up" -lt 120 ] || fail "uptime $up s: not this process's"
start=$(val m0 sofw_hras_start_time_seconds)
if [ "$start" -lt $((t0 - 1)) ] || [ "$start" -gt "$(date +%s)" ]; then
	fail "start time $start: not when this test started HRAS ($t0)"
fi
status | python3 -c 'import json,sys; u=json.load(sys.stdin)["uptime_s"]; assert u < 120, u' ||
	fail "the status's uptime_s is not this process's"
[ "$(val m0 'sofw_hras_tunnel_up{hrac="site-a"}')" = 0 ] || fail "site-a up before its hrac ran"

fw_hrac a plain --metrics-file "$T/hrac-a.prom"
fresh m1
[ "$(val m1 'sofw_hras_tunnel_up{hrac="site-a"}')" = 1 ] || fail "site-a not up"
[ "$(val m1 'sofw_hras_tunnel_up{hrac="site-b"}')" = 0 ] || fail "site-b, never connected, not 0"
[ "$(val m1 sofw_hras_hracs)" = 2 ] || fail "not 2 HRACs configured"
[ "$(val m1 sofw_hras_tunnel_opens_total)" -ge 1 ] || fail "no tunnel open counted"
[ "$(val m1 'sofw_hras_tunnel_frames_total{direction="up"}')" -gt 0 ] || fail "no frames up"
[ "$(val m1 'sofw_hras_tunnel_bytes_total{direction="down"}')" -gt 0 ] || fail "no bytes down"
log "tunnel up: site-a 1, site-b 0"

log "== the access rule of the status"
code=$(curl -s -o /dev/null -w '%{http_code}' --interface 198.51.100.1 $URL)
[ "$code" = 403 ] || fail "metrics served outside --status-allow ($code)"
code=$(curl -s -o /dev/null -w '%{http_code}' -X POST $URL)
[ "$code" = 405 ] || fail "POST metrics answered $code, not 405"
grep -qi "^cache-control: no-store" "$T/m1.hdr" || fail "metrics may be cached"
# a scraper that asks for OpenMetrics gets it: the same series
curl -s -D "$T/om.hdr" -o "$T/om.txt" --max-time 5 \
	-H 'Accept: application/openmetrics-text;version=1.0.0,text/plain;version=0.0.4;q=0.5' $URL
grep -qi "^content-type: application/openmetrics-text; version=1.0.0" "$T/om.hdr" ||
	fail "OpenMetrics content type: $(grep -i content-type "$T/om.hdr")"
scrape m1b
$CHECK --openmetrics "$T/om.txt" "$T/m1b.prom" || fail "the OpenMetrics form"

log "== registrations, and an auth failure"
regs=$(val m1 sofw_hras_registrations)
reg200=$(val m1 'sofw_hras_sip_responses_total{class="2xx",direction="out"}')
register lan-a alice $FW_PLAN.11
register - olivia 192.0.2.10
sipp_at - reg-bad 192.0.2.1:5060 -sf "$SIPP_SCEN/register.xml" -s oscar \
	-au oscar -ap wrong-pw -set domain $DOMAIN -set expires 300 -m 1 \
	-i 192.0.2.11 -p 5060 -timeout 3 -timeout_error >"$T/reg-bad.out" 2>&1 &&
	fail "a wrong password registered"
fresh m2
[ "$(val m2 sofw_hras_registrations)" -eq $((regs + 2)) ] ||
	fail "registrations $(val m2 sofw_hras_registrations), expected $((regs + 2))"
[ "$(val m2 'sofw_hras_sip_requests_total{direction="in",method="REGISTER"}')" -ge 4 ] ||
	fail "REGISTERs not counted"
[ "$(val m2 'sofw_hras_sip_responses_total{class="2xx",direction="out"}')" -ge $((reg200 + 2)) ] ||
	fail "2xx responses not counted"
[ "$(val m2 'sofw_hras_sip_responses_total{class="4xx",direction="out"}')" -ge 3 ] ||
	fail "4xx responses (challenges, the refusal) not counted"
[ "$(val m2 sofw_hras_sip_auth_failures_total)" -ge 1 ] || fail "the auth failure not counted"
log "registrations $(val m2 sofw_hras_registrations), auth failures $(val m2 sofw_hras_sip_auth_failures_total)"

log "== during a call with media"
pk0=$(val m2 sofw_hras_relay_packets_total)
hup0=$(hrac_val 'sofw_hrac_media_packets_total{direction="up"}')
TALK_MS=6000 PEER_LIKE="$FW_PLAN.10:4*" voice_call lan-a alice $FW_PLAN.11 7000 - olivia 192.0.2.10 16000
fresh m3
[ "$(val m3 sofw_hras_calls_active)" = 1 ] || fail "calls active $(val m3 sofw_hras_calls_active) during the call"
[ "$(val m3 sofw_hras_relay_calls)" = 1 ] || fail "relay calls not 1 during the call"
[ "$(val m3 sofw_hras_relay_ports_in_use)" -ge 4 ] || fail "no relay ports in use"
pk1=$(val m3 sofw_hras_relay_packets_total)
[ "$pk1" -ge $((pk0 + 100)) ] || fail "relay packets $pk0 -> $pk1: the call's not counted"
[ "$(val m3 'sofw_hras_sip_requests_total{direction="in",method="INVITE"}')" -ge 1 ] ||
	fail "the INVITE not counted"
wait_hrac 'sofw_hrac_media_packets_total{direction="up"}' -ge $((hup0 + 50))
wait_hrac sofw_hrac_media_pairs_open -ge 1
log "during the call: calls 1, relay packets $pk0 -> $pk1"

call_ended "alice calls olivia"
fresh m4
[ "$(val m4 sofw_hras_calls_active)" = 0 ] || fail "calls active $(val m4 sofw_hras_calls_active) after the BYE"
[ "$(val m4 sofw_hras_relay_ports_in_use)" = 0 ] || fail "relay ports still in use"
[ "$(val m4 'sofw_hras_sip_requests_total{direction="in",method="BYE"}')" -ge 1 ] ||
	fail "the BYE not counted"
[ "$(val m4 sofw_hras_relay_packets_total)" -ge "$pk1" ] || fail "a counter went back"
[ "$(val m4 sofw_hras_calls_total)" -ge 1 ] || fail "calls_total"
# alice's media, once her leg latched, went out from the worker that read
# it (up_route.h): all but the first of each kind, and those just after a
# change to the relay's state (the other leg latching), which the loop
# thread relays to settle the route again
routed=$(($(val m4 sofw_hras_relay_routed_packets_total) - $(val m2 sofw_hras_relay_routed_packets_total)))
relayed=$(($(val m4 sofw_hras_relay_packets_total) - pk0))
wait_hrac 'sofw_hrac_media_packets_total{direction="up"}' -ge $((hup0 + 55))
up=$(($(hrac_val 'sofw_hrac_media_packets_total{direction="up"}') - hup0))
log "after the call: calls 0, BYE counted; $routed of alice's $up packets sent on by workers"
[ "$routed" -ge $((up - 10)) ] && [ "$routed" -le "$relayed" ] ||
	fail "workers sent $routed of alice's $up packets (want all but 10 at most; $relayed relayed)"

log "== hrac's side: the metrics file and --status"
st=$(stat -c %a "$T/hrac-a.prom")
[ "$st" = 644 ] || fail "the metrics file is mode $st"
grep -qE "http://|password|pw" "$T/hrac-a.prom" && fail "a URL or a password in the metrics file"
[ "$(hrac_val sofw_hrac_tunnel_up)" = 1 ] || fail "hrac's tunnel_up not 1"
[ "$(hrac_val sofw_hrac_tunnel_opens_total)" -ge 1 ] || fail "hrac's opens"
[ "$(hrac_val sofw_hrac_phones)" -ge 1 ] || fail "hrac saw no phone"
[ "$(hrac_val 'sofw_hrac_build_info{hrac="site-a",version="0.1"}')" = 1 ] || fail "hrac's build info"
ours hrac-status "$BIN/hrac" --status --status-file "$T/hrac-a.status"
expect_rc 0 $? "hrac --status while the tunnel is up"
grep -q "^tunnel: open to http://192.0.2.1/sofw/, path plain HTTP proxy" "$T/hrac-status.out" ||
	fail "hrac --status: $(cat "$T/hrac-status.out")"
grep -q "^tunnel: last opened 20" "$T/hrac-status.out" || fail "no last open time"
grep -q ';$' "$T/hrac-status.out" && fail "a stray ';' in hrac --status"
ours hrac-json "$BIN/hrac" --status --json --status-file "$T/hrac-a.status"
expect_rc 0 $? "hrac --status --json while the tunnel is up"
python3 -c '
import json, sys
o = json.loads(open(sys.argv[1]).readline())  # stderr may follow
assert o["tunnel"]["open"] is True and o["fresh"] is True, o
assert o["id"] == "site-a" and o["sip"]["phones"] >= 1, o
assert o["media"]["packets_up"] >= 50, o
assert isinstance(o["tunnel"]["last_open"], int), o' "$T/hrac-json.out" ||
	fail "hrac --status --json: $(cat "$T/hrac-json.out")"
cp "$T/hrac-a.prom" "$T/hrac-up.prom"

log "== the dashboard names only metrics that are emitted"
$CHECK --dashboard "$SOFW_TOP/contrib/grafana/sofw.json" "$T/m4.prom" "$T/hrac-up.prom" ||
	fail "the Grafana dashboard"

log "== HRAS stops: hrac says the tunnel is down"
stop_hras
wait_hrac sofw_hrac_tunnel_up = 0
for _ in $(seq 80); do
	ours hrac-status "$BIN/hrac" --status --status-file "$T/hrac-a.status"
	rc=$?
	[ $rc = 1 ] && break
	sleep 0.1
done
expect_rc 1 "$rc" "hrac --status with HRAS gone"
grep -q "^tunnel: not open" "$T/hrac-status.out" || fail "hrac --status: $(cat "$T/hrac-status.out")"
ours hrac-json "$BIN/hrac" --status --json --status-file "$T/hrac-a.status"
expect_rc 1 $? "hrac --status --json with HRAS gone"
python3 -c '
import json, sys
o = json.loads(open(sys.argv[1]).readline())  # stderr may follow
assert o["tunnel"]["open"] is False and o["tunnel"]["last_error"], o' "$T/hrac-json.out" ||
	fail "hrac --status --json: $(cat "$T/hrac-json.out")"
# a status file nobody has written for a minute: hrac is not running
cp "$T/hrac-a.status" "$T/old.status"
touch -d '1 minute ago' "$T/old.status"
ours hrac-old "$BIN/hrac" --status --status-file "$T/old.status"
expect_rc 1 $? "hrac --status with a stale status file"
grep -q "s old: hrac is not running" "$T/hrac-old.out" || fail "stale: $(cat "$T/hrac-old.out")"
ours hrac-usage "$BIN/hrac" --status
expect_rc 2 $? "hrac --status without --status-file"
log "metrics and hrac --status move as they must"
