#!/usr/bin/env python3
# SPDX-License-Identifier: BSD-3-Clause
# Copyright (c) 2026 the SoFW authors
"""A stand-in phone for tunnel tests: sends numbered SIP-sized datagrams to
hrac's SIP port and checks that hras-fcgi's echo brings every one back
exactly once, in order, byte for byte.

usage: sip-udp-echo.py HOST PORT COUNT SIZE RATE TIMEOUT [EVERY]
Prints one "result ..." line; exit 0 when every check passed.  With
EVERY, also a line "progress received=N" (flushed) each EVERY datagrams
that come back, for a test to act while datagrams are in flight.
"""
import select
import socket
import sys
import time


def payload(i, size):
    head = ("MESSAGE sip:echo@test SIP/2.0\r\nX-Seq: %d\r\n\r\n" % i).encode()
    body = bytes((97 + (j * 7 + i) % 26) for j in range(max(0, size - len(head))))
    return head + body


def main():
    host, port, count, size, rate, timeout = sys.argv[1:7]
    port, count, size = int(port), int(count), int(size)
    rate, timeout = float(rate), float(timeout)
    every = int(sys.argv[7]) if len(sys.argv) > 7 else 0

    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.bind(("127.0.0.1", 0))
    s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 1 << 20)
    got = []
    bad = 0
    sent = 0
    start = time.monotonic()
    deadline = start + count / rate + timeout

    while time.monotonic() < deadline and len(got) < count:
        now = time.monotonic()
        due = min(count, int((now - start) * rate) + 1)
        while sent < due:
            sent += 1
            s.sendto(payload(sent, size), (host, port))
        r, _, _ = select.select([s], [], [], 0.005)
        while r:
            data, _ = s.recvfrom(70000)
            try:
                seq = int(data.split(b"X-Seq: ", 1)[1].split(b"\r\n", 1)[0])
            except (IndexError, ValueError):
                seq = -1
            if seq < 1 or data != payload(seq, size):
                bad += 1
            got.append(seq)
            if every and len(got) % every == 0:
                print("progress received=%d" % len(got), flush=True)
            r, _, _ = select.select([s], [], [], 0)

    in_order = got == list(range(1, len(got) + 1))
    dups = len(got) - len(set(got))
    ok = in_order and len(got) == count and bad == 0 and dups == 0
    first_gap = next((i + 1 for i, v in enumerate(got) if v != i + 1), 0)
    print("result ok=%d sent=%d received=%d duplicates=%d damaged=%d "
          "in_order=%d first_out_of_order_at=%d seconds=%.1f"
          % (ok, sent, len(got), dups, bad, in_order, first_gap,
             time.monotonic() - start))
    sys.exit(0 if ok else 1)


main()
