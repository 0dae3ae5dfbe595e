#!/usr/bin/env python3
# SPDX-License-Identifier: BSD-3-Clause
# Copyright (c) 2026 the SoFW authors
"""A second, independent client of the SoFW tunnel endpoints, written from
sofw-tunnel(7), for tests that need to send what hrac never would.

usage: sofw-http.py BASE_URL COMMAND [ARGS]
  open ID SECRET [probe|takeover]
                            challenge + proof; prints "token CRED", where
                            CRED is TOKEN.KEY: the session token and the
                            key its requests are proved with
                            (X-SoFW-Instance: $SOFW_INSTANCE, default
                            sofw-http)
  open-raw [AUTH]           one open with this Authorization header; first
                            prints "challenge " and its WWW-Authenticate
  replay ID SECRET          open, then the same proof again
  up TOKEN HEX|@FILE        POST the body to up
  down TOKEN                GET down, print the status
  down-count TOKEN SECONDS  GET down, count the frames that come
  slow-up TOKEN SECONDS     POST up chunked, one byte per second
  slow-open SECONDS         POST open chunked, one byte per second
  hold-ups TOKEN N          hold N streamed up POSTs open; status of the last
  wrong-proofs ID N         N challenges answered with a wrong proof;
                            prints "STATUS xCOUNT" for each status seen
  replay-down CRED          GET down with a right proof, then again with
                            the very same headers (a proxy replaying it)
  close CRED                POST close
  poll CRED                 one long poll: "status N frames K"
  resume ID SECRET [no]     the L8 check against an --echo HRAS: open,
                            send SIP frames 1..5 up, take their echoes
                            down without acknowledging them, open again
                            with X-SoFW-Resume (not with "no"); prints
                            "resume N" (HRAS's answer) and "again K",
                            the echoes the new session delivers again
  get PATH / post PATH      a bare request
CRED is TOKEN.KEY as open prints it; a bare TOKEN sends no proof.
Each request prints "status N", the X-SoFW-Error code and the body's
first line; exit 0 unless the connection itself failed.
With SOFW_ID set, every request carries X-SoFW-Id: $SOFW_ID (the header
a load balancer routes on), whatever identity it proves.
"""
import hashlib
import hmac
import http.client
import os
import re
import socket
import sys
import time
import urllib.parse


def conn(base):
    u = urllib.parse.urlsplit(base)
    return http.client.HTTPConnection(u.hostname, u.port or 80, timeout=30), u.path


def show(r, body):
    line = body.decode(errors="replace").split("\n")[0]
    print("status %d error=%s body=%s" % (r.status, r.getheader("X-SoFW-Error"), line))
    sys.stdout.flush()


def with_id(h=None):
    """@h, and X-SoFW-Id when SOFW_ID names one"""
    h = dict(h or {})
    if os.environ.get("SOFW_ID"):
        h["X-SoFW-Id"] = os.environ["SOFW_ID"]
    return h


def request(base, method, path, body=None, headers=None):
    c, p = conn(base)
    c.request(method, p + path, body=body, headers=with_id(headers))
    r = c.getresponse()
    b = r.read()
    show(r, b)
    return r, b


def proof(secret, nonce, ident):
    msg = ("SoFW-1 %s %s" % (nonce, ident)).encode()
    return hmac.new(secret.encode(), msg, hashlib.sha256).hexdigest()


def challenge(base):
    r, _ = request(base, "POST", "open", b"")
    m = re.search(r'nonce="([0-9a-f]+)"', r.getheader("WWW-Authenticate") or "")
    if r.status != 401 or not m:
        sys.exit("no challenge")
    return m.group(1)


def session_key(secret, nonce, ident):
    msg = ("SoFW-1 key %s %s" % (nonce, ident)).encode()
    return hmac.new(secret.encode(), msg, hashlib.sha256).hexdigest()


REQ = [time.time_ns() // 1000]  # request numbers: never used before


def session_headers(cred, method, endpoint):
    """X-SoFW-Session, and X-SoFW-Auth when CRED holds the key"""
    token, _, key = cred.partition(".")
    h = {"X-SoFW-Session": token}
    if key:
        REQ[0] += 1
        msg = ("SoFW-1 %s %s %s %d" % (method, endpoint, token, REQ[0])).encode()
        mac = hmac.new(key.encode(), msg, hashlib.sha256).hexdigest()[:32]
        h["X-SoFW-Auth"] = "%d %s" % (REQ[0], mac)
    return h


def sip_frame(seq, ack):
    """A SIP frame (REL) from inside phone 10.77.1.11:5060"""
    pl = ("MESSAGE sip:echo@test SIP/2.0\r\nX-Seq: %d\r\n\r\n" % seq).encode()
    return (bytes([1, 1, 2, 0]) + len(pl).to_bytes(4, "big") + (5060).to_bytes(2, "big")
            + bytes(2) + bytes([10, 77, 1, 11]) + seq.to_bytes(4, "big")
            + ack.to_bytes(4, "big") + pl)


def split_frames(body):
    """(type, seq) of each whole frame of a down body, and what is left"""
    out = []
    while len(body) >= 8:
        flags, length = body[2], int.from_bytes(body[4:8], "big")
        addr = 16 if flags & 1 else 4
        need = 12 + addr + (8 if flags & 2 else 0) + length
        if len(body) < need:
            break
        seq = int.from_bytes(body[12 + addr:16 + addr], "big") if flags & 2 else 0
        out.append((body[1], seq))
        body = body[need:]
    return out, body


def frames_of(body):
    """(type, seq) of each frame of a down body"""
    return split_frames(body)[0]


def open_session(base, ident, secret, extra=None):
    nonce = challenge(base)
    h = auth(ident, nonce, proof(secret, nonce, ident))
    h["X-SoFW-Instance"] = os.environ.get("SOFW_INSTANCE", "sofw-http")
    h.update(extra or {})
    REQ[0] = 0
    r, b = request(base, "POST", "open", b"", h)
    m = re.search(rb"session: ([0-9a-f]{32})", b)
    if not m:
        sys.exit("open failed")
    res = re.search(rb"\nresume: ([0-9]+)", b)
    return (m.group(1).decode() + "." + session_key(secret, nonce, ident),
            int(res.group(1)) if res else 0)


def poll_sip(base, cred, want, tries):
    """Probe polls (answered at once) until @want SIP frames came"""
    seqs = []
    for _ in range(tries):
        c, p = conn(base)
        c.request("GET", p + "down?mode=poll&probe=1",
                  headers=session_headers(cred, "GET", "down"))
        r = c.getresponse()
        seqs += [q for t, q in frames_of(r.read()) if t == 1]
        if len(seqs) >= want:
            break
        time.sleep(0.1)
    return seqs


def resume_check(base, ident, secret, resume):
    cred, _ = open_session(base, ident, secret)
    # what an earlier epoch left unacknowledged comes first, and every
    # poll carries all that is not acknowledged: wait for those and the
    # 5 echoes, not for the first 5 frames (the echoes may come later)
    carried = len(poll_sip(base, cred, 0, 1))
    body = b"".join(sip_frame(i, 0) for i in range(1, 6))
    request(base, "POST", "up?mode=batch", body, session_headers(cred, "POST", "up"))
    seqs = poll_sip(base, cred, carried + 5, 30)
    print("echoes %s" % seqs)
    # delivered, never acknowledged: the path breaks here
    extra = {"X-SoFW-Resume": "%s %d" % (cred.split(".")[0], max(seqs) + 1)} if resume else {}
    cred2, resumed = open_session(base, ident, secret, extra)
    print("resume %d" % resumed)
    print("again %d" % len(poll_sip(base, cred2, 1, 5)))


def raw_headers(h):
    return "".join("%s: %s\r\n" % kv for kv in h.items())


def auth(ident, nonce, pf):
    return {"Authorization": 'SoFW id="%s", nonce="%s", proof="%s"' % (ident, nonce, pf)}


def main():
    base, cmd, args = sys.argv[1], sys.argv[2], sys.argv[3:]
    if not base.endswith("/"):
        base += "/"
    if cmd == "open":
        ident, secret = args[0], args[1]
        nonce = challenge(base)
        h = auth(ident, nonce, proof(secret, nonce, ident))
        h["X-SoFW-Instance"] = os.environ.get("SOFW_INSTANCE", "sofw-http")
        if args[2:] == ["probe"]:
            h["X-SoFW-Probe"] = "1"
        if args[2:] == ["takeover"]:
            h["X-SoFW-Takeover"] = "1"
        r, b = request(base, "POST", "open", b"", h)
        m = re.search(rb"session: ([0-9a-f]{32})", b)
        if m:
            print("token %s.%s" % (m.group(1).decode(), session_key(secret, nonce, ident)))
    elif cmd == "open-raw":
        c, p = conn(base)
        c.request("POST", p + "open", body=b"",
                  headers=with_id({"Authorization": args[0]} if args else {}))
        r = c.getresponse()
        b = r.read()
        print("challenge", r.getheader("WWW-Authenticate") or "none")
        show(r, b)
    elif cmd == "replay":
        ident, secret = args
        nonce = challenge(base)
        h = auth(ident, nonce, proof(secret, nonce, ident))
        request(base, "POST", "open", b"", h)
        request(base, "POST", "open", b"", h)
    elif cmd == "up":
        token, data = args
        body = open(data[1:], "rb").read() if data.startswith("@") else bytes.fromhex(data)
        request(base, "POST", "up", body, session_headers(token, "POST", "up"))
    elif cmd == "down":
        c, p = conn(base)
        c.request("GET", p + "down", headers=with_id(session_headers(args[0], "GET", "down")))
        r = c.getresponse()
        print("status %d error=%s" % (r.status, r.getheader("X-SoFW-Error")))
    elif cmd == "wrong-proofs":
        ident, n, seen = args[0], int(args[1]), {}
        for _ in range(n):
            c, p = conn(base)
            c.request("POST", p + "open", body=b"")
            r = c.getresponse()
            r.read()
            m = re.search(r'nonce="([0-9a-f]+)"', r.getheader("WWW-Authenticate") or "")
            c.request("POST", p + "open", body=b"", headers=auth(ident, m.group(1), "00" * 32))
            r = c.getresponse()
            r.read()
            seen[r.status] = seen.get(r.status, 0) + 1
        print(" ".join("%d x%d" % kv for kv in sorted(seen.items())))
    elif cmd == "replay-down":
        h = session_headers(args[0], "GET", "down")
        for _ in range(2):
            c, p = conn(base)
            c.request("GET", p + "down?mode=poll&probe=1", headers=h)
            r = c.getresponse()
            r.read()
            print("status %d error=%s" % (r.status, r.getheader("X-SoFW-Error")))
    elif cmd == "poll":
        c, p = conn(base)
        c.request("GET", p + "down?mode=poll", headers=session_headers(args[0], "GET", "down"))
        r = c.getresponse()
        frames = len(frames_of(r.read()))
        print("status %d frames %d" % (r.status, frames))
    elif cmd == "resume":
        resume_check(base, args[0], args[1], args[2:] != ["no"])
    elif cmd == "close":
        request(base, "POST", "close", b"", session_headers(args[0], "POST", "close"))
    elif cmd == "down-count":
        token, seconds = args[0], float(args[1])
        u = urllib.parse.urlsplit(base)
        s = socket.create_connection((u.hostname, u.port or 80))
        s.sendall(("GET %sdown HTTP/1.1\r\nHost: x\r\n%s\r\n"
                   % (u.path, raw_headers(session_headers(token, "GET", "down")))).encode())
        end = time.monotonic() + seconds
        raw, body, frames, ended, status = b"", b"", 0, False, 0
        s.settimeout(0.2)
        while time.monotonic() < end and not ended:
            try:
                d = s.recv(65536)
            except socket.timeout:
                continue
            if not d:
                ended = True
            raw += d
            if not status and b"\r\n\r\n" in raw:
                head, raw = raw.split(b"\r\n\r\n", 1)
                status = int(head.split(b" ", 2)[1])
            while status:  # de-chunk what is complete
                if b"\r\n" not in raw:
                    break
                size_line, rest = raw.split(b"\r\n", 1)
                size = int(size_line.split(b";")[0], 16)
                if len(rest) < size + 2:
                    break
                if size == 0:
                    ended = True
                body += rest[:size]
                raw = rest[size + 2:]
            got, body = split_frames(body)
            frames += len(got)
        print("status %d frames %d ended %d" % (status, frames, ended))
    elif cmd == "hold-ups":
        token, n = args[0], int(args[1])
        u = urllib.parse.urlsplit(base)
        socks = []
        for _ in range(n):
            s = socket.create_connection((u.hostname, u.port or 80))
            s.sendall(("POST %sup HTTP/1.1\r\nHost: x\r\n%s"
                       "Transfer-Encoding: chunked\r\n\r\n"
                       % (u.path, raw_headers(session_headers(token, "POST", "up")))).encode())
            socks.append(s)
            time.sleep(0.2)
        s = socks[-1]
        s.settimeout(5)
        try:
            reply = s.recv(4096)
        except socket.timeout:
            reply = b""
        status = reply.split(b" ", 2)[1].decode() if reply.startswith(b"HTTP/") else "none"
        err = re.search(rb"X-SoFW-Error: (\S+)", reply)
        print("status %s error=%s" % (status, err.group(1).decode() if err else None))
        for s in socks:
            s.close()
    elif cmd in ("slow-up", "slow-open"):
        token = args[0] if cmd == "slow-up" else ""
        seconds = int(args[-1])
        u = urllib.parse.urlsplit(base)
        s = socket.create_connection((u.hostname, u.port or 80))
        h = session_headers(token, "POST", cmd[5:]) if token else {}
        s.sendall(("POST %s%s HTTP/1.1\r\nHost: x\r\n%s"
                   "Transfer-Encoding: chunked\r\n\r\n"
                   % (u.path, cmd[5:], raw_headers(h))).encode())
        # a valid frame header announcing 100 bytes, then one byte a second
        frame = bytes([1, 5, 4, 0, 0, 0, 0, 100, 0, 0, 0, 0, 0, 0, 0, 0]) + b"x" * 100
        start = time.monotonic()
        s.settimeout(1.0)
        reply = b""
        for i in range(min(len(frame), seconds)):
            try:
                s.sendall(b"1\r\n" + frame[i:i + 1] + b"\r\n")
            except OSError:
                break
            try:
                reply += s.recv(4096)
                if reply:
                    break
            except socket.timeout:
                pass
        s.settimeout(10)
        try:
            while b"\r\n\r\n" not in reply:
                d = s.recv(4096)
                if not d:
                    break
                reply += d
        except OSError:
            pass
        status = reply.split(b" ", 2)[1].decode() if reply.startswith(b"HTTP/") else "none"
        err = re.search(rb"X-SoFW-Error: (\S+)", reply)
        print("status %s error=%s after %.1f s" % (status, err.group(1).decode() if err else None,
                                                   time.monotonic() - start))
    elif cmd in ("get", "post"):
        request(base, cmd.upper(), args[0], b"" if cmd == "post" else None)
    else:
        sys.exit("unknown command " + cmd)


main()
