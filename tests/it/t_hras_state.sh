#!/bin/bash
# SPDX-License-Identifier: BSD-3-Clause
# Copyright (c) 2026 the SoFW authors
# hras-fcgi keeps its state off the loop thread (issue 11, item 2): with
# the file system of --state frozen (fsfreeze: every write to it waits),
# REGISTERs are still answered and a call still goes through, at once;
# thawed, the registrations file and the calls file hold what changed.
# Written on the loop thread (as before), the first save would stop the
# whole service until the disk came back.
. "$(dirname "$0")/../lib.sh"
. "$SOFW_TOP/tests/sip.sh"

command -v fsfreeze >/dev/null && command -v mkfs.ext4 >/dev/null ||
	fail "needs fsfreeze (util-linux) and mkfs.ext4 (e2fsprogs)"
truncate -s 32M "$T/state.img"
mkfs.ext4 -q -F "$T/state.img" || fail "mkfs.ext4"
mkdir "$T/statefs"
mount -o loop "$T/state.img" "$T/statefs" || fail "cannot mount a loop device"
CLEANUP_FIRST+=("fsfreeze -u '$T/statefs'")
CLEANUP_LAST+=("umount '$T/statefs'")

sip_world --state "$T/statefs/state"
register - olivia 192.0.2.10
register - oscar 192.0.2.11
for _ in $(seq 40); do
	grep -q "oscar@example.test" "$T/statefs/state" 2>/dev/null && break
	sleep 0.05
done
grep -q "oscar@example.test" "$T/statefs/state" || fail "oscar not in the state file"

log "== the state's disk frozen"
fsfreeze -f "$T/statefs" || fail "fsfreeze"
# a change, and time for its save to start (and wait on the disk)
register site-a alice 10.77.1.10
sleep 1.5
t0=$(date +%s%N)
sipp_at site-b reg-frozen 10.77.1.1:5060 -sf "$SIPP_SCEN/register.xml" -s bob \
	-au bob -ap bob-pw -set domain $DOMAIN -set expires 300 -m 1 \
	-i 10.77.1.10 -p 5060 -timeout 5 -timeout_error >"$T/reg-frozen.out" 2>&1 ||
	fail "a REGISTER was not answered while the state's disk was frozen"
ms=$((($(date +%s%N) - t0) / 1000000))
log "bob registered in $ms ms with the disk frozen"
answer - olivia 192.0.2.10 uas.xml
call site-a alice 10.77.1.10 olivia uac.xml -timeout 10 -timeout_error ||
	fail "a call failed while the state's disk was frozen"
wait_uas "olivia, called with the disk frozen"
log "a call went through with the disk frozen"
grep -q "bob@example.test" "$T/hras.log" || fail "HRAS did not log bob"

log "== thawed: the files catch up"
fsfreeze -u "$T/statefs"
for _ in $(seq 60); do
	grep -q "bob@example.test" "$T/statefs/state" 2>/dev/null && break
	sleep 0.05
done
grep -q "bob@example.test" "$T/statefs/state" || fail "bob's binding never reached the state file"
head -1 "$T/statefs/state.calls" | grep -qx "# sofw-calls 1" || fail "no calls file"
[ "$(stat -c %a "$T/statefs/state.calls")" = 600 ] || fail "the calls file is not 0600"
# the temporaries are gone: only the two files (and lost+found) remain
left=$(ls -A "$T/statefs" | grep -vxE "state|state.calls|lost\+found")
[ -z "$left" ] || fail "files left beside the state: $left"
log "state and calls files written once the disk was back, nothing left beside them"
