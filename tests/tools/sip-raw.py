#!/usr/bin/env python3
# SPDX-License-Identifier: BSD-3-Clause
# Copyright (c) 2026 the SoFW authors
"""Send raw SIP to a server and print the status of every response.

usage: sip-raw.py --server HOST:PORT [--tcp] [--count N] [--rate R] [--from IP] KIND [ARG]
KIND names a message built below (a request a phone would never send);
%(...)s fields are filled per message.  Prints "status CODE" for each
final response, or "none" when nothing came back within 2 s; with
--count, prints a tally "CODE: n" of all responses instead.
"""
import socket
import sys
import time
import uuid

BASE = ("{method} {ruri} SIP/2.0\r\n"
        "Via: SIP/2.0/{tp} {src}:{sport};branch=z9hG4bK{branch};rport\r\n"
        "{extra_via}"
        "From: <sip:tester@visitor.test>;tag={tag}\r\n"
        "To: <{to}>{totag}\r\n"
        "Call-ID: {callid}\r\n"
        "CSeq: 1 {cseqm}\r\n"
        "{route}"
        "Max-Forwards: {maxfwd}\r\n"
        "{headers}"
        "Content-Length: {clen}\r\n\r\n{body}")


def build(kind, arg, src, sport, tp, server):
    f = dict(method="OPTIONS", ruri="sip:olivia@example.test", tp=tp, src=src,
             sport=sport, branch=uuid.uuid4().hex[:12], extra_via="",
             tag=uuid.uuid4().hex[:8], to="sip:olivia@example.test", totag="",
             callid=uuid.uuid4().hex, cseqm=None, route="", maxfwd="70",
             headers="", clen=None, body="")
    if kind == "options":
        pass
    elif kind == "options-to":
        f["ruri"] = f["to"] = "sip:%s@example.test" % arg
    elif kind == "ping":
        f["ruri"] = f["to"] = "sip:" + server
    elif kind == "no-callid":
        msg = build("options", arg, src, sport, tp, server)
        return b"".join(l + b"\r\n" for l in msg.split(b"\r\n")[:-2]
                        if not l.startswith(b"Call-ID")) + b"\r\n"
    elif kind == "cseq-mismatch":
        f["cseqm"] = "INVITE"
    elif kind == "short-body":
        f["clen"] = "100"
        f["body"] = "0123456789"
    elif kind == "maxfwd0":
        f["method"] = "INVITE"
        f["maxfwd"] = "0"
    elif kind == "loop":
        f["method"] = "INVITE"
        f["extra_via"] = ("Via: SIP/2.0/UDP %s;branch=z9hG4bKa1\r\n"
                          "Via: SIP/2.0/UDP %s;branch=z9hG4bKa2\r\n"
                          % (server, server))
    elif kind == "proxy-require":
        f["headers"] = "Proxy-Require: sofw-magic\r\n"
    elif kind == "tel":
        f["ruri"] = "tel:+123456"
    elif kind == "foreign":
        f["method"] = "INVITE"
        f["ruri"] = f["to"] = "sip:someone@elsewhere.test"
    elif kind == "forged-route":
        f["method"] = "BYE"
        f["totag"] = ";tag=abc"
        f["route"] = "Route: <sip:%s;lr;sofw=o.000000000000>\r\n" % server
        f["ruri"] = "sip:victim@198.51.100.7:5060"
    elif kind == "big":
        f["method"] = "MESSAGE"
        f["ruri"] = f["to"] = "sip:carol@example.test"
        f["headers"] = "Content-Type: text/plain\r\n"
        f["body"] = "x" * int(arg)
    elif kind == "garbage":
        return b"\x00\x01this is not SIP at all\r\n\r\n"
    else:
        sys.exit("unknown kind " + kind)
    if f["cseqm"] is None:
        f["cseqm"] = f["method"]
    if f["clen"] is None:
        f["clen"] = str(len(f["body"]))
    return BASE.format(**f).encode()


def main():
    args = sys.argv[1:]
    tcp, count, rate, src, server = False, 1, 0.0, "192.0.2.13", "127.0.0.1:5060"
    while args and args[0].startswith("--"):
        o = args.pop(0)
        if o == "--tcp":
            tcp = True
        elif o == "--count":
            count = int(args.pop(0))
        elif o == "--rate":
            rate = float(args.pop(0))
        elif o == "--from":
            src = args.pop(0)
        elif o == "--server":
            server = args.pop(0)
    host, port = server.rsplit(":", 1)
    port = int(port)
    kind = args[0]
    arg = args[1] if len(args) > 1 else None

    if tcp:
        s = socket.create_connection((host, port), source_address=(src, 0))
    else:
        s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4 << 20)
        s.bind((src, 0))
    sport = s.getsockname()[1]
    tally = {}
    # built before the first is sent, so that a burst (--rate 0) leaves
    # as fast as the socket takes it, not at the pace of building
    msgs = [build(kind, arg, src, sport, "TCP" if tcp else "UDP", server)
            for _ in range(count)]
    start = time.monotonic()
    for i, msg in enumerate(msgs):
        try:
            if tcp:
                s.sendall(msg)
            else:
                s.sendto(msg, (host, port))
        except OSError as e:
            print("send failed:", e)
            break
        if rate:
            delay = start + (i + 1) / rate - time.monotonic()
            if delay > 0:
                time.sleep(delay)
    s.settimeout(2.0)
    got = []
    while True:
        try:
            data = s.recv(70000)
        except (socket.timeout, ConnectionError):
            break
        if not data:
            got.append("closed")
            break
        for part in data.split(b"SIP/2.0 ")[1:]:
            code = part[:3].decode(errors="replace")
            if code.startswith("1"):
                continue
            got.append(code)
            tally[code] = tally.get(code, 0) + 1
        if count == 1 and got:
            break
    if count > 1:
        for k in sorted(tally):
            print("%s: %d" % (k, tally[k]))
    else:
        print("status", got[0] if got else "none")


main()
