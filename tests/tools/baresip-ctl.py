#!/usr/bin/env python3
# SPDX-License-Identifier: BSD-3-Clause
# Copyright (c) 2026 the SoFW authors
"""Drive a headless baresip through its ctrl_tcp module (netstrings of JSON).

baresip-ctl.py ADDR:PORT [--cmd "COMMAND PARAMS"]... [--wait TYPE]...
               [--timeout S]

Sends each command in turn, and after each --cmd waits for the next
--wait event type (e.g. CALL_ESTABLISHED, CALL_CLOSED).  Prints every
event as "CLASS TYPE PARAM" and every response as "response OK DATA".
Exits 0 when every awaited event came, 1 on a timeout, 2 on a refused
command.
"""
import argparse
import json
import socket
import sys
import time


def netstring(obj):
    data = json.dumps(obj).encode()
    return str(len(data)).encode() + b":" + data + b","


class Ctl:
    def __init__(self, addr, deadline):
        host, port = addr.rsplit(":", 1)
        self.sock = socket.create_connection((host, int(port)), timeout=5)
        self.buf = b""
        self.deadline = deadline

    def messages(self):
        while True:
            colon = self.buf.find(b":")
            if colon > 0:
                n = int(self.buf[:colon])
                if len(self.buf) >= colon + 1 + n + 1:
                    msg = self.buf[colon + 1:colon + 1 + n]
                    self.buf = self.buf[colon + 2 + n:]
                    yield json.loads(msg)
                    continue
            left = self.deadline - time.monotonic()
            if left <= 0:
                return
            self.sock.settimeout(left)
            try:
                data = self.sock.recv(65536)
            except socket.timeout:
                return
            if not data:
                return
            self.buf += data


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("addr")
    ap.add_argument("--cmd", action="append", default=[])
    ap.add_argument("--wait", action="append", default=[])
    ap.add_argument("--timeout", type=float, default=20)
    a = ap.parse_args()

    ctl = Ctl(a.addr, time.monotonic() + a.timeout)
    steps = list(zip(a.cmd, a.wait)) + [(c, None) for c in a.cmd[len(a.wait):]]
    steps += [(None, w) for w in a.wait[len(a.cmd):]]
    msgs = ctl.messages()
    for i, (cmd, wait) in enumerate(steps):
        if cmd:
            word, _, params = cmd.partition(" ")
            ctl.sock.sendall(netstring({"command": word, "params": params,
                                        "token": str(i)}))
        pending_resp = cmd is not None
        while pending_resp or wait:
            m = next(msgs, None)
            if m is None:
                print("timeout waiting for %s" % (wait or "a response"))
                return 1
            if m.get("response"):
                print("response %s %s" % (m.get("ok"), m.get("data", "")))
                sys.stdout.flush()
                if not m.get("ok"):
                    return 2
                pending_resp = False
            elif m.get("event"):
                print("%s %s %s" % (m.get("class"), m.get("type"),
                                    m.get("param", "")))
                sys.stdout.flush()
                if m.get("type") == wait:
                    wait = None
    return 0


if __name__ == "__main__":
    sys.exit(main())
