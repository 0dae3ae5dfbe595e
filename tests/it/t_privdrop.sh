#!/bin/bash
# SPDX-License-Identifier: BSD-3-Clause
# Copyright (c) 2026 the SoFW authors
# Least privilege without systemd: hras-fcgi started as root binds SIP
# port 5060 and its unix socket, gives the socket to sofw:www-data 0660,
# and runs as the system user sofw (made by systemd-sysusers, as the
# package does); Debian's nginx, its workers running as www-data, reaches
# it, and a real call goes through.  hrac drops to sofw too.  A state
# directory sofw cannot write, and --user when not root, are refused
# with a line that says so.
. "$(dirname "$0")/../lib.sh"
. "$SOFW_TOP/tests/sip.sh"

log "== the sofw system user, from a sysusers.d line"
cat >"$T/sofw-sysusers.conf" <<'EOF'
u sofw - "SoFW relay agents" /var/lib/sofw
EOF
systemd-sysusers "$T/sofw-sysusers.conf" || fail "systemd-sysusers"
SOFW_UID=$(id -u sofw) || fail "no user sofw after systemd-sysusers"
SOFW_GID=$(id -g sofw)
log "sofw is uid $SOFW_UID, gid $SOFW_GID"

wan_up
make_identity site-a
make_identity site-b
for u in alice olivia; do make_user $u $u-pw; done
install -d -o sofw -g sofw -m 0750 "$T/state"
# as RuntimeDirectory= makes it: sofw may remove its socket and pid file
install -d -o sofw -g sofw -m 0755 "$T/run"

log "== hras-fcgi --user sofw, its socket sofw:www-data 0660"
HRAS_SOCKET=unix:$T/run/hras.sock
start_hras --sip 192.0.2.1:5060 --domain $DOMAIN --users "$T/users" \
	--state "$T/state/registrations" --user sofw --socket-owner sofw \
	--socket-group www-data --socket-mode 0660 --pidfile "$T/run/hras.pid"
read -r uid_r uid_e uid_s uid_f < <(awk '/^Uid:/ { print $2, $3, $4, $5 }' "/proc/$HRAS_PID/status")
[ "$uid_r $uid_e $uid_s $uid_f" = "$SOFW_UID $SOFW_UID $SOFW_UID $SOFW_UID" ] ||
	fail "hras-fcgi runs as uid $uid_r/$uid_e/$uid_s, not sofw ($SOFW_UID)"
awk '/^Gid:/ { print $2, $3, $4 }' "/proc/$HRAS_PID/status" | grep -qx "$SOFW_GID $SOFW_GID $SOFW_GID" ||
	fail "hras-fcgi's group is not sofw's: $(grep ^Gid: "/proc/$HRAS_PID/status")"
grep -q "^CapEff:	0000000000000000$" "/proc/$HRAS_PID/status" ||
	fail "hras-fcgi kept capabilities: $(grep ^CapEff "/proc/$HRAS_PID/status")"
[ "$(stat -c '%U:%G %a' "$T/run/hras.sock")" = "sofw:www-data 660" ] ||
	fail "the socket is $(stat -c '%U:%G %a' "$T/run/hras.sock")"
[ "$(cat "$T/run/hras.pid")" = "$HRAS_PID" ] || fail "the pid file does not name hras-fcgi"
log "hras-fcgi (pid $HRAS_PID) runs as sofw; SIP 5060 bound before; socket sofw:www-data 0660"

log "== nginx with workers as www-data"
start_nginx
sed -i '1i user www-data;' "$T/nginx.conf"
reload_nginx
for p in $(pgrep -P "$NGINX_PID"); do
	[ "$(ps -o user= -p "$p")" = www-data ] || fail "nginx worker $p runs as $(ps -o user= -p "$p")"
done
code=$(curl -s -o /dev/null -w '%{http_code}' http://192.0.2.1/sofw/open)
[ "$code" = 405 ] || fail "nginx (www-data) could not reach hras-fcgi: $code"

log "== hrac --user sofw"
site site-a 1
site site-b 2
start_site_hrac site-a --server http://192.0.2.1/sofw/ --user sofw
HRAC_A=$SITE_HRAC_site_a
grep -q "^Uid:	$SOFW_UID	$SOFW_UID	$SOFW_UID" "/proc/$HRAC_A/status" ||
	fail "hrac runs as $(grep ^Uid: "/proc/$HRAC_A/status")"
start_site_hrac site-b --server http://192.0.2.1/sofw/

log "== a call through nginx (www-data) and hras-fcgi (sofw)"
register site-a alice 10.77.1.10
register - olivia 192.0.2.10
answer - olivia 192.0.2.10 uas.xml
call site-a alice 10.77.1.10 olivia || fail "alice -> olivia"
wait_uas "olivia"
log "alice (inside) called olivia (outside)"
# the registrations were saved by sofw, in the directory it owns
for _ in $(seq 100); do
	grep -q alice "$T/state/registrations" 2>/dev/null && break
	sleep 0.1
done
grep -q alice "$T/state/registrations" || fail "the state file was not saved as sofw"
[ "$(stat -c %U "$T/state/registrations")" = sofw ] ||
	fail "the state file belongs to $(stat -c %U "$T/state/registrations")"

log "== SIGHUP as sofw: files only root can read are refused with the fix, sofw's are taken"
kill -HUP "$HRAS_PID"
wait_log "$T/hras.log" "reload refused, the running configuration stays: .*$T/hracs: Permission denied \(this process runs as sofw: run chown sofw $T/hracs\)"
chown sofw "$T/hracs" "$T/users"
kill -HUP "$HRAS_PID"
wait_log "$T/hras.log" "info: reloaded: "
code=$(curl -s -o /dev/null -w '%{http_code}' http://192.0.2.1/sofw/open)
[ "$code" = 405 ] || fail "hras-fcgi does not serve after the reload: $code"

log "== a clean stop removes the socket and the pid file"
stop_hras
[ -e "$T/run/hras.sock" ] && fail "the socket is left"
[ -e "$T/run/hras.pid" ] && fail "the pid file is left"

log "== a state directory sofw cannot write: one line, exit 2"
mkdir -p "$T/rootonly"
timeout 10 "$BIN/hras-fcgi" -f -s "unix:$T/run/b.sock" --hracs "$T/hracs" \
	--sip 127.0.0.1:15060 --users "$T/users" --state "$T/rootonly/reg" \
	--user sofw >"$T/rootonly.out" 2>&1
expect_rc 2 $? "--state not writable by --user"
grep -q "error: --state $T/rootonly/reg: not writable by uid $SOFW_UID" "$T/rootonly.out" ||
	fail "no clear line: $(cat "$T/rootonly.out")"
[ -e "$T/run/b.sock" ] && fail "the failed start left its socket"

log "== --user when not root: one line, exit 1"
install -o nobody -m 0600 "$T/hracs" "$T/hracs-nobody"
timeout 10 setpriv --reuid=nobody --regid=nogroup --clear-groups \
	"$BIN/hras-fcgi" -f -s 127.0.0.1:19010 --hracs "$T/hracs-nobody" --echo \
	--user sofw >"$T/notroot.out" 2>&1
expect_rc 1 $? "--user as nobody"
grep -q "only root can change to another user or group" "$T/notroot.out" ||
	fail "no clear line: $(cat "$T/notroot.out")"

log "== a socket directory the user may not write: one line naming it, exit 1"
timeout 10 setpriv --reuid=nobody --regid=nogroup --clear-groups \
	"$BIN/hras-fcgi" -f -s "unix:$T/run/nobody.sock" --hracs "$T/hracs-nobody" \
	--echo >"$T/sockperm.out" 2>&1
expect_rc 1 $? "a socket in a directory nobody may not write"
grep -qx "hras-fcgi: --socket unix:$T/run/nobody.sock: cannot listen on $T/run/nobody.sock: Permission denied (this user may not create it there)" \
	"$T/sockperm.out" || fail "no clear line: $(cat "$T/sockperm.out")"
exit 0
