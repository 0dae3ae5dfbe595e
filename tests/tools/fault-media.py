#!/usr/bin/env python3
# SPDX-License-Identifier: BSD-3-Clause
# Copyright (c) 2026 the SoFW authors
"""Media across a fault: RTP streams at 50 packets/s both ways, and how
long they take to come back once the faulted component is usable again.

fault-media.py run --stream NAME BIND TO [--stream ...] --out FILE
                   [--seconds S] [--linger S] [--ptime MS] [--size BYTES]
    For each stream, binds BIND (IP:PORT) and sends a G.711-like RTP
    packet every PTIME ms (default 20: 50/s) to TO, SIZE bytes in all
    (default 172: 12 of RTP header, 160 of payload).  The payload holds
    the send time (CLOCK_MONOTONIC ns, the same clock in every network
    namespace of the host), the sender's stream NAME and a pattern of
    the sequence number.  Everything that arrives on BIND is recorded:
    whose stream, sequence number, send and arrival time.  Runs S
    seconds (default 120) or until SIGTERM or SIGINT; then stops
    sending, listens LINGER s more (default 0.5) and writes FILE (JSON).
    The two ends of a call each run one (inside phone, outside phone):
    each sends one direction and receives the other.

fault-media.py report FILE... [--down NS|FILE] [--back NS|FILE]
                              [--ptime MS]
    Joins what the ends sent and received.  One line per stream (one
    direction of one call), named by its sender:

      stream NAME sent=N received=N lost=N dup=N corrupt=N late=N
             gap_ms=G recovery_ms=R age_ms=A before=N after=N

    sent counts the packets sent while the receiver listened (from its
    start to LINGER before its end, so the packets in flight at the end
    are not lost), those the host refused to send included (send_errors:
    no route, say); lost = sent - distinct received; dup: copies of a
    packet already received; late: arrived more than 150 ms after they
    were sent; gap_ms: the longest time without a packet (between two
    arrivals, or from the last one to the end when the stream never came
    back); recovery_ms: from BACK (the moment the faulted component was
    usable again, a CLOCK_MONOTONIC ns, given or read from a file the
    test wrote) to the first packet that arrived after it, -1 if none
    did (recovered=0); age_ms: that packet's one-way delay; before and
    after: packets that arrived before DOWN (the fault) and after BACK.
    Then one line

      summary streams=N recovered=N sent=N received=N lost=N dup=N
              corrupt=N max_gap_ms=G max_recovery_ms=R outage_ms=O

    (outage_ms: BACK - DOWN).  Exit 0 (the test judges the figures).

fault-media.py when tcp HOST PORT --out FILE [--timeout S]
fault-media.py when listen HOST PORT --out FILE [--timeout S]
fault-media.py when log FILE REGEX --after N --out FILE [--timeout S]
    Waits (a try every 5 ms) until a TCP connection to HOST:PORT is
    accepted, or a socket of this network namespace listens on IPv4
    HOST:PORT (it would accept: for a server that a probe's connection
    would disturb), or until more than N lines of FILE match REGEX, then
    writes that moment (CLOCK_MONOTONIC ns) to --out and prints it.
    Exit 1 if it did not happen within S seconds (default 60).

fault-media.py now
    Prints CLOCK_MONOTONIC in ns (the moment of a kill, say).
"""
import argparse
import json
import os
import re
import select
import signal
import socket
import struct
import sys
import time
import zlib

HDR = struct.Struct("!BBHII")  # RTP: V/P/X/CC, M/PT, seq, timestamp, SSRC
BODY = struct.Struct("!Q16s")  # send time (ns), sender's stream name
LATE_NS = 150 * 1000000


def addr(s):
    """IP:PORT or [IPv6]:PORT"""
    host, port = s.rsplit(":", 1)
    return host.strip("[]"), int(port)


def ssrc_of(name):
    return zlib.crc32(name.encode()) & 0xffffffff


def pattern(seq, n):
    return bytes((seq * 7 + i) & 0xff for i in range(n))


def packet(name, seq, size):
    head = HDR.pack(0x80, 0, seq & 0xffff, (seq * 160) & 0xffffffff, ssrc_of(name))
    body = BODY.pack(time.monotonic_ns(), name.encode()[:16])
    rest = size - HDR.size - BODY.size
    return head + body + pattern(seq, rest)


def parse(data):
    """(name, seq, sent_ns, intact) or None for a stranger's packet"""
    if len(data) < HDR.size + BODY.size or data[0] >> 6 != 2:
        return None
    _, _, seq, _, ssrc = HDR.unpack_from(data)
    sent, raw = BODY.unpack_from(data, HDR.size)
    name = raw.rstrip(b"\0").decode(errors="replace")
    if ssrc != ssrc_of(name):
        return None
    rest = data[HDR.size + BODY.size:]
    return name, seq, sent, rest == pattern(seq, len(rest))


def run(a):
    streams = []
    for name, bind, to in a.stream:
        if len(name.encode()) > 16:
            sys.exit("stream name %r: 16 bytes at most" % name)
        host, port = addr(bind)
        s = socket.socket(socket.AF_INET6 if ":" in host else socket.AF_INET,
                          socket.SOCK_DGRAM)
        s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        s.bind((host, port))
        s.setblocking(False)
        streams.append({"name": name, "bind": bind, "to": to, "dst": addr(to),
                        "sock": s, "sent": [], "send_errors": 0})
    by_sock = {st["sock"]: st for st in streams}
    got = {st["name"]: [] for st in streams}  # local stream -> arrivals
    strangers = {st["name"]: 0 for st in streams}
    stop = []
    signal.signal(signal.SIGTERM, lambda *_: stop.append(1))
    signal.signal(signal.SIGINT, lambda *_: stop.append(1))

    def receive(timeout):
        try:
            r, _, _ = select.select(list(by_sock), [], [], max(timeout, 0))
        except InterruptedError:
            return
        now = time.monotonic_ns()
        for s in r:
            while True:
                try:
                    data, _ = s.recvfrom(4096)
                except (BlockingIOError, InterruptedError):
                    break
                except OSError:  # ICMP errors reported on the socket
                    break
                p = parse(data)
                st = by_sock[s]
                if p is None:
                    strangers[st["name"]] += 1
                else:
                    got[st["name"]].append([p[0], p[1], p[2], now, int(p[3])])

    period = a.ptime * 1000000
    start = time.monotonic_ns()
    deadline = start + int(a.seconds * 1e9)
    i = 0
    while not stop and time.monotonic_ns() < deadline:
        for st in streams:
            t = time.monotonic_ns()
            # a packet the host could not send (no route while a VPN's
            # tunnel device is down, say) is sent and lost, as a phone's
            # would be: the peer's ear does not tell the two apart
            st["sent"].append([i, t])
            try:
                st["sock"].sendto(packet(st["name"], i, a.size), st["dst"])
            except OSError:
                st["send_errors"] += 1
        i += 1
        while not stop:
            left = start + i * period - time.monotonic_ns()
            if left <= 0:
                break
            receive(left / 1e9)
    stopped = time.monotonic_ns()
    end = stopped + int(a.linger * 1e9)
    while time.monotonic_ns() < end:
        receive((end - time.monotonic_ns()) / 1e9)
    out = {"start_ns": start, "stop_ns": stopped, "end_ns": end,
           "linger_ns": int(a.linger * 1e9), "ptime_ms": a.ptime, "streams": []}
    for st in streams:
        out["streams"].append({
            "name": st["name"], "bind": st["bind"], "to": st["to"],
            "sent": st["sent"], "send_errors": st["send_errors"],
            "received": got[st["name"]], "strangers": strangers[st["name"]]})
    tmp = a.out + ".tmp"
    with open(tmp, "w") as f:
        json.dump(out, f)
    os.rename(tmp, a.out)
    print("sent %d packets on %d streams, received %d" % (
        sum(len(st["sent"]) for st in streams), len(streams),
        sum(len(v) for v in got.values())))
    return 0


def moment(v):
    """a CLOCK_MONOTONIC ns, given or in a file; None if neither"""
    if v is None:
        return None
    if re.fullmatch(r"\d+", v):
        return int(v)
    try:
        with open(v) as f:
            return int(f.read().split()[0])
    except (OSError, ValueError, IndexError):
        return None


def report(a):
    down, back = moment(a.down), moment(a.back)
    ends = []
    for fn in a.files:
        with open(fn) as f:
            ends.append(json.load(f))
    # who sends each stream, and where (which end) it is received
    senders = {}
    arrivals = {}  # stream name -> [(seq, sent, recv, intact)]
    listen = {}  # stream name -> (start, end) of its receiver
    for e in ends:
        for st in e["streams"]:
            senders[st["name"]] = st
            for name, seq, sent, recv, ok in st["received"]:
                arrivals.setdefault(name, []).append((seq, sent, recv, ok))
                listen[name] = (e["start_ns"], e["end_ns"] - e["linger_ns"])
    tot = {"streams": 0, "recovered": 0, "sent": 0, "received": 0, "lost": 0,
           "dup": 0, "corrupt": 0}
    max_gap = 0
    max_rec = None
    never = False
    for name in sorted(senders):
        st = senders[name]
        arr = sorted(arrivals.get(name, []), key=lambda x: x[2])
        if name in listen:
            lo, hi = listen[name]
        else:
            # nothing arrived at all: every packet sent counts
            lo = min((t for _, t in st["sent"]), default=0)
            hi = max((t for _, t in st["sent"]), default=0)
        sent = [(q, t) for q, t in st["sent"] if lo <= t <= hi]
        want = {q for q, _ in sent}
        seen = set()
        dup = corrupt = late = 0
        for seq, snt, rcv, ok in arr:
            if not ok:
                corrupt += 1
            key = (seq, snt)
            if key in seen:
                dup += 1
            seen.add(key)
            if rcv - snt > LATE_NS:
                late += 1
        got_seqs = {seq for seq, _ in seen}
        received = len(got_seqs & want)
        lost = len(want) - received
        # the longest time without a packet; a stream that never came
        # back: up to the end of its sending
        gap = 0
        times = [r for _, _, r, _ in arr]
        first_send = min((t for _, t in sent), default=lo)
        last_send = max((t for _, t in sent), default=hi)
        prev = times[0] if times else first_send
        for r in times[1:]:
            gap = max(gap, r - prev)
            prev = r
        if back is not None and not [r for r in times if r >= back]:
            gap = max(gap, last_send - prev)
        rec = age = -1
        before = len([r for r in times if down is not None and r < down])
        after = 0
        if back is not None:
            later = [(r, s) for _, s, r, _ in arr if r >= back]
            after = len(later)
            if later:
                r, s = later[0]
                rec = (r - back) / 1e6
                age = (r - s) / 1e6
        print("stream %s sent=%d received=%d lost=%d dup=%d corrupt=%d late=%d "
              "gap_ms=%.0f recovery_ms=%.0f age_ms=%.1f before=%d after=%d "
              "send_errors=%d strangers=%d" % (
                  name, len(want), received, lost, dup, corrupt, late, gap / 1e6,
                  rec, age, before, after, st["send_errors"], st["strangers"]))
        tot["streams"] += 1
        tot["sent"] += len(want)
        tot["received"] += received
        tot["lost"] += lost
        tot["dup"] += dup
        tot["corrupt"] += corrupt
        max_gap = max(max_gap, gap)
        if back is not None:
            if rec < 0:
                never = True
            else:
                tot["recovered"] += 1
                max_rec = rec if max_rec is None else max(max_rec, rec)
    outage = (back - down) / 1e6 if back is not None and down is not None else -1
    rec_s = -1 if never or max_rec is None else max_rec
    print("summary " + " ".join("%s=%d" % kv for kv in tot.items()) +
          " max_gap_ms=%.0f max_recovery_ms=%.0f outage_ms=%.0f" % (
              max_gap / 1e6, rec_s, outage))
    return 0


def when(a):
    end = time.monotonic() + a.timeout
    if a.what == "tcp":
        host, port = a.args[0], int(a.args[1])
        fam = socket.AF_INET6 if ":" in host else socket.AF_INET

        def ready():
            s = socket.socket(fam, socket.SOCK_STREAM)
            s.settimeout(0.2)
            try:
                s.connect((host, port))
                return True
            except OSError:
                return False
            finally:
                s.close()
    elif a.what == "listen":
        # /proc/net/tcp: local address as hex of the address in host
        # order and of the port; state 0A is LISTEN
        want = "%08X:%04X" % (struct.unpack("<I", socket.inet_aton(a.args[0]))[0],
                              int(a.args[1]))

        def ready():
            with open("/proc/net/tcp") as f:
                return any(ln.split()[1] == want and ln.split()[3] == "0A"
                           for ln in list(f)[1:])
    elif a.what == "log":
        fn, rx = a.args[0], re.compile(a.args[1])

        def ready():
            try:
                with open(fn, errors="replace") as f:
                    return sum(1 for ln in f if rx.search(ln)) > a.after
            except OSError:
                return False
    else:
        sys.exit("when: tcp HOST PORT, listen HOST PORT or log FILE REGEX")
    while time.monotonic() < end:
        if ready():
            t = time.monotonic_ns()
            with open(a.out, "w") as f:
                f.write("%d\n" % t)
            print(t)
            return 0
        time.sleep(0.005)
    print("not within %g s" % a.timeout)
    return 1


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    sub = ap.add_subparsers(dest="cmd", required=True)
    r = sub.add_parser("run")
    r.add_argument("--stream", nargs=3, action="append", required=True,
                   metavar=("NAME", "BIND", "TO"))
    r.add_argument("--out", required=True)
    r.add_argument("--seconds", type=float, default=120)
    r.add_argument("--linger", type=float, default=0.5)
    r.add_argument("--ptime", type=float, default=20)
    r.add_argument("--size", type=int, default=172)
    p = sub.add_parser("report")
    p.add_argument("files", nargs="+")
    p.add_argument("--down")
    p.add_argument("--back")
    w = sub.add_parser("when")
    w.add_argument("what", choices=["tcp", "listen", "log"])
    w.add_argument("args", nargs=2)
    w.add_argument("--out", required=True)
    w.add_argument("--after", type=int, default=0)
    w.add_argument("--timeout", type=float, default=60)
    sub.add_parser("now")
    a = ap.parse_args()
    if a.cmd == "run":
        return run(a)
    if a.cmd == "report":
        return report(a)
    if a.cmd == "when":
        return when(a)
    print(time.monotonic_ns())
    return 0


if __name__ == "__main__":
    sys.exit(main())
