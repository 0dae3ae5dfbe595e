#!/usr/bin/env python3
# SPDX-License-Identifier: BSD-3-Clause
# Copyright (c) 2026 the SoFW authors
"""Forged SIP for the security tests: what an attacker sends, and a sink
that counts what reaches a place nothing should reach.

usage:
  sip-forge.py dialog FILE
      FILE is a phone's sipp message log; prints, as shell assignments,
      what the first 200 OK it received says of the dialog: CALLID,
      FTAG, TTAG (From and To tags), RR (its Record-Route values, top
      first, comma-separated) and CONTACT (the far party's Contact URI).
  sip-forge.py send --from IP[:PORT] --to IP:PORT [--wait S]
      Sends the SIP message on standard input (lines end in CRLF on the
      wire; Content-Length is filled in) from that address and prints
      "status CODE" for the first response, or "none" after S seconds.
  sip-forge.py sink --bind IP:PORT --seconds S [--tcp]
      Counts what arrives on UDP (and TCP) for S seconds, or until
      SIGTERM: "received N".
"""
import argparse
import re
import select
import signal
import socket
import sys
import time


def dialog(path):
    text = open(path, errors="replace").read().replace("\r", "")
    for block in re.split(r"\n-{5,}[^\n]*\n", text):
        m = re.search(r"^SIP/2\.0 200 .*?(?=\n\n)", block, re.S | re.M)
        if not m:
            continue
        msg = m.group(0)

        def hdr(name):
            return re.findall(r"^%s:\s*(.*)$" % name, msg, re.M | re.I)
        rr = ",".join(v.strip() for line in hdr("Record-Route") for v in line.split(","))
        ftag = re.search(r"tag=([^;>\s]+)", hdr("From")[0]).group(1)
        ttag = re.search(r"tag=([^;>\s]+)", hdr("To")[0]).group(1)
        contact = re.search(r"<([^>]+)>", hdr("Contact")[0]).group(1)
        print("CALLID='%s'" % hdr("Call-ID")[0].strip())
        print("FTAG='%s'" % ftag)
        print("TTAG='%s'" % ttag)
        print("RR='%s'" % rr)
        print("CONTACT='%s'" % contact)
        return 0
    sys.exit("no 200 OK in " + path)


def hostport(s, port=0):
    host, _, p = s.rpartition(":")
    if not host:
        return s, port
    return host, int(p)


def send(args):
    msg = sys.stdin.read().replace("\r", "")
    head, _, body = msg.partition("\n\n")
    body = body.replace("\n", "\r\n")
    head = re.sub(r"(?im)^Content-Length:.*$", "Content-Length: %d" % len(body), head)
    wire = (head.replace("\n", "\r\n") + "\r\n\r\n" + body).encode()
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.bind(hostport(args.frm))
    s.sendto(wire, hostport(args.to))
    end = time.monotonic() + args.wait
    while time.monotonic() < end:
        r, _, _ = select.select([s], [], [], end - time.monotonic())
        if not r:
            break
        data = s.recv(65536).decode(errors="replace")
        m = re.match(r"SIP/2\.0 (\d+)", data)
        if m and m.group(1) != "100":
            print("status", m.group(1))
            return
    print("none")


def sink(args):
    host, port = hostport(args.bind)
    u = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    u.bind((host, port))
    socks = [u]
    if args.tcp:
        t = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        t.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        t.bind((host, port))
        t.listen(16)
        socks.append(t)
    n = 0
    end = time.monotonic() + args.seconds

    def stop(*_):
        nonlocal end
        end = 0
    signal.signal(signal.SIGTERM, stop)
    while time.monotonic() < end:
        # a short wait: SIGTERM must end it at once (select is resumed
        # after a signal, with its full timeout)
        r, _, _ = select.select(socks, [], [], min(0.5, max(0, end - time.monotonic())))
        for x in r:
            if x.type == socket.SOCK_STREAM and x is not u and x in socks[1:2]:
                c, _ = x.accept()
                socks.append(c)
                n += 1
            elif x is u:
                u.recv(65536)
                n += 1
            elif not x.recv(65536):
                socks.remove(x)
    print("received", n)
    sys.stdout.flush()


def main():
    p = argparse.ArgumentParser()
    sub = p.add_subparsers(dest="cmd", required=True)
    d = sub.add_parser("dialog")
    d.add_argument("file")
    s = sub.add_parser("send")
    s.add_argument("--from", dest="frm", required=True)
    s.add_argument("--to", required=True)
    s.add_argument("--wait", type=float, default=2.0)
    k = sub.add_parser("sink")
    k.add_argument("--bind", required=True)
    k.add_argument("--seconds", type=float, required=True)
    k.add_argument("--tcp", action="store_true")
    a = p.parse_args()
    if a.cmd == "dialog":
        return dialog(a.file)
    if a.cmd == "send":
        return send(a)
    return sink(a)


sys.exit(main())
