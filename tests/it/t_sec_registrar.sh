#!/bin/bash
# SPDX-License-Identifier: BSD-3-Clause
# Copyright (c) 2026 the SoFW authors
# The registrar's door (sofw-security(7), SIGNALLING):
#  - hras-fcgi will not run a SIP service without users unless told to
#    (--open-registrar): exit 2 and a message saying so;
#  - with --auth-inside no, a phone of a site registers without
#    credentials an address of record nobody holds, or its site holds,
#    but not one bound through another site or outside (403), and the
#    binding that was there still reaches its phone.
. "$(dirname "$0")/../lib.sh"
. "$SOFW_TOP/tests/sip.sh"

log "== --auth-inside no: a site speaks for its own phones only"
sip_world --auth-inside=no --max-transactions 160

log "== no users, no --open-registrar: refused at start"
ours refuse "$BIN/hras-fcgi" -f -s "unix:$T/x.sock" --hracs "$T/hracs" \
	--sip 127.0.0.1:5099
expect_rc 2 $? "hras-fcgi without --users"
grep -q "no --users: without them anyone could register any address of record and call out; give --users FILE, or --open-registrar to run so on purpose" \
	"$T/refuse.out" || fail "no clear message: $(cat "$T/refuse.out")"
[ -e "$T/x.sock" ] && fail "it opened its socket before refusing"

register site-a alice 10.77.1.10
register - olivia 192.0.2.10
# without credentials (a wrong password would be no use: none is asked)
reg_as() { # SITE USER IP: a REGISTER for USER without credentials
	sipp_at "$1" "reg-$2-$1" "$(server_of "$1")" -sf "$SIPP_SCEN/register_final.xml" \
		-s "$2" -set domain $DOMAIN -set expires 300 -m 1 -i "$3" -p 5062 \
		>"$T/reg-$2-$1.out" 2>&1
}
final_of() { sed -n 's/.*final \([0-9]*\).*/\1/p' "$T"/sipp-reg-$1/*_logs.log | tail -1; }

reg_as site-a alice2 10.77.1.11
[ "$(final_of alice2-site-a)" = 200 ] || fail "a new address of record: $(final_of alice2-site-a)"
reg_as site-a alice 10.77.1.11
[ "$(final_of alice-site-a)" = 200 ] || fail "alice's own site: $(final_of alice-site-a)"
reg_as site-b alice 10.77.1.12
[ "$(final_of alice-site-b)" = 403 ] || fail "site b took alice: $(final_of alice-site-b)"
expect_log "$T/hras.log" "REGISTER from 10\.77\.1\.12:5062 via site-b for alice@$DOMAIN refused: bound through HRAC site-a, and the phone did not authenticate"
reg_as site-b olivia 10.77.1.12
[ "$(final_of olivia-site-b)" = 403 ] || fail "site b took olivia: $(final_of olivia-site-b)"
expect_log "$T/hras.log" "for olivia@$DOMAIN refused: bound outside"

log "== an authenticated user speaks for itself only"
# olivia's password, oscar's address of record: 403
sipp_at - reg-as-oscar 192.0.2.1:5060 -sf "$SIPP_SCEN/register.xml" -s oscar \
	-au olivia -ap olivia-pw -set domain $DOMAIN -set expires 300 -m 1 \
	-i 192.0.2.10 -p 5063 >"$T/reg-as-oscar.out" 2>&1 &&
	fail "olivia registered oscar's address of record"
expect_log "$T/hras.log" "REGISTER from 192\.0\.2\.10:5063: user 'olivia' may not register oscar"
expect_final 403 - olivia 192.0.2.10 alice -s oscar
expect_log "$T/hras.log" "INVITE from 192\.0\.2\.10:5061: user 'olivia' may not send as oscar"

log "== one source holds a tenth of the proxy's transactions (16 of 160)"
# oscar's phone is a black hole: the transactions to it stay open
register - oscar 192.0.2.11
python3 "$SOFW_TOP/tests/tools/sip-forge.py" sink --bind 192.0.2.11:5060 --seconds 60 \
	>"$T/oscar-hole.out" &
HOLE=$!
wait_udp - 192.0.2.11 5060
out=$(python3 "$SOFW_TOP/tests/tools/sip-raw.py" --server 192.0.2.1:5060 --from 192.0.2.13 \
	--count 40 --rate 400 options-to oscar)
log "40 OPTIONS to oscar from 192.0.2.13 -> $(echo $out)"
echo "$out" | grep -qx "503: 24" || fail "the source's share was not 16 transactions: $out"
expect_log "$T/hras.log" "o:192\.0\.2\.13 holds 16 proxy transactions, its share"
out=$(python3 "$SOFW_TOP/tests/tools/sip-raw.py" --server 192.0.2.1:5060 --from 192.0.2.12 \
	options-to oscar)
[ "$out" = "status none" ] || fail "another source was refused too: $out"
kill "$HOLE"
wait "$HOLE"

# olivia still reaches alice at site a, not site b
answer site-a alice 10.77.1.10 uas.xml
call - olivia 192.0.2.10 alice || fail "olivia could not call alice"
wait_uas "alice, still reached at site a"
log "site b could take neither alice nor olivia"
