#!/usr/bin/env python3
# SPDX-License-Identifier: BSD-3-Clause
# Copyright (c) 2026 the SoFW authors
"""An RTP/RTCP endpoint for the voice tests: sends known packets and
checks what comes back.

rtp-peer.py send --bind IP:PORT --to IP:PORT (IPv6: [IP]:PORT) [--count N] [--ptime MS] [--rtcp-mux]
    Sends N RTP packets (PCMU, 160 bytes of payload that depend on the
    sequence number) and an RTCP packet every 10th from PORT+1 to the
    destination's port+1 (with --rtcp-mux, RFC 5761: from PORT to the
    destination's port); counts the packets that come back (the far end
    echoes) and checks each payload.
rtp-peer.py echo --bind IP:PORT [--seconds S]
    Sends every RTP and RTCP packet back to where it came from (from the
    port it came to), after checking its payload; stops after S seconds.

Both print one line of counts: sent, received, intact, corrupt, rtcp,
rtcp_on_rtp and rtcp_on_odd (the RTCP packets that came to PORT and to
PORT+1), strangers (packets whose SSRC is not the sender's).  Exit 0.
"""
import argparse
import select
import signal
import socket
import struct
import sys
import time

SSRC = 0x5f0f0001


def payload(seq):
    """8 bytes of send time (CLOCK_MONOTONIC ns: one clock for every
    namespace of the host), then a pattern of the sequence number"""
    return bytes((seq * 7 + i) & 0xff for i in range(152))


def stamp():
    return struct.pack("!Q", time.monotonic_ns())


def rtp(seq, ssrc=SSRC):
    return struct.pack("!BBHII", 0x80, 0, seq & 0xffff, seq * 160, ssrc) + stamp() + payload(seq)


def age_ms(data):
    sent, = struct.unpack("!Q", data[12:20])
    return (time.monotonic_ns() - sent) / 1e6


def restamp(data):
    return data[:12] + stamp() + data[20:]


def stats(v):
    if not v:
        return "none"
    v = sorted(v)
    return "median %.3f ms, p99 %.3f ms" % (v[len(v) // 2], v[min(len(v) - 1, int(len(v) * 0.99))])


def rtcp(seq):
    # a sender report with no report blocks
    return struct.pack("!BBHIIIIII", 0x80, 200, 6, SSRC, 0, 0, seq * 160, seq, seq * 172)


def check(data):
    """(ok, is_rtcp, ssrc)"""
    if len(data) < 12 or data[0] >> 6 != 2:
        return False, False, 0
    if data[1] in (200, 201):
        return True, True, struct.unpack("!I", data[4:8])[0]
    seq, = struct.unpack("!H", data[2:4])
    ssrc, = struct.unpack("!I", data[8:12])
    return data[20:] == payload(seq), False, ssrc


def addr(s):
    """IP:PORT or [IPv6]:PORT"""
    host, port = s.rsplit(":", 1)
    return host.strip("[]"), int(port)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("mode", choices=["send", "echo", "stranger"])
    ap.add_argument("--bind", required=True)
    ap.add_argument("--to")
    ap.add_argument("--count", type=int, default=100)
    ap.add_argument("--ptime", type=float, default=20)
    ap.add_argument("--seconds", type=float, default=10)
    ap.add_argument("--rtcp-mux", action="store_true")
    a = ap.parse_args()

    host, port = addr(a.bind)
    socks = []
    for p in (port, port + 1):
        s = socket.socket(socket.AF_INET6 if ":" in host else socket.AF_INET,
                          socket.SOCK_DGRAM)
        s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        s.bind((host, p))
        s.setblocking(False)
        socks.append(s)
    n = {"sent": 0, "received": 0, "intact": 0, "corrupt": 0, "rtcp": 0,
         "rtcp_on_rtp": 0, "rtcp_on_odd": 0, "strangers": 0}
    oneway = []  # ms: the far end's send time to our arrival

    def receive(timeout, echo):
        r, _, _ = select.select(socks, [], [], max(timeout, 0))
        for s in r:
            try:
                data, src = s.recvfrom(4096)
            except BlockingIOError:
                continue
            ok, is_rtcp, ssrc = check(data)
            if ssrc != SSRC:
                n["strangers"] += 1
                continue
            n["received"] += 1
            if is_rtcp:
                n["rtcp"] += 1
                n["rtcp_on_odd" if s is socks[1] else "rtcp_on_rtp"] += 1
            elif ok:
                n["intact"] += 1
                oneway.append(age_ms(data))
                if echo:
                    data = restamp(data)
            else:
                n["corrupt"] += 1
            if echo:
                s.sendto(data, src)

    if a.mode == "stranger":
        # packets with another SSRC, to a relay port
        th, tp = addr(a.to)
        for i in range(a.count):
            socks[0].sendto(rtp(i, ssrc=0xbad0bad0), (th, tp))
            time.sleep(a.ptime / 1000)
        n["sent"] = a.count
    elif a.mode == "send":
        th, tp = addr(a.to)
        t0 = time.monotonic()
        for i in range(a.count):
            socks[0].sendto(rtp(i), (th, tp))
            n["sent"] += 1
            if i % 10 == 0:
                if a.rtcp_mux:
                    socks[0].sendto(rtcp(i), (th, tp))
                else:
                    socks[1].sendto(rtcp(i), (th, tp + 1))
            while True:
                left = t0 + (i + 1) * a.ptime / 1000 - time.monotonic()
                if left <= 0:
                    break
                receive(left, False)
        end = time.monotonic() + 1.0
        while time.monotonic() < end:
            receive(end - time.monotonic(), False)
    else:
        # SIGTERM ends the echo early, still with its report
        stop = []
        signal.signal(signal.SIGTERM, lambda *_: stop.append(1))
        end = time.monotonic() + a.seconds
        while time.monotonic() < end and not stop:
            try:
                receive(min(end - time.monotonic(), 0.2), True)
            except InterruptedError:
                pass
        # GNU timeout passes its SIGTERM to the child and then to its
        # whole group: a second one may come while the interpreter
        # finalizes, when Python has put the default action back (exit
        # 143, seen once in CI); an ignored signal it leaves ignored
        signal.signal(signal.SIGTERM, signal.SIG_IGN)

    print(" ".join("%s=%d" % kv for kv in n.items()) +
          " | one-way to here: " + stats(oneway))
    return 0


if __name__ == "__main__":
    sys.exit(main())
