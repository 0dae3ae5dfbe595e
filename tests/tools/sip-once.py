#!/usr/bin/env python3
# SPDX-License-Identifier: BSD-3-Clause
# Copyright (c) 2026 the SoFW authors
"""No SIP message reached a phone more often than its peer sent it.

usage: sip-once.py DIR_A DIR_B

DIR_A and DIR_B are the log directories of the two sipp phones of one
call (sipp -trace_msg writes *_messages.log there).  A message is named by
its first line's method or status code, Call-ID and CSeq.  For every
message one phone sent, the other must have received it no more often
than it was sent (retransmissions included), a response no more often
than that plus once for each retransmission of its request (which the
proxy answers with the response again, RFC 3261 17.2.2): a copy more
means something between them (hrac, the tunnel, HRAS) delivered it
twice.  (A request HRAS retransmits on its own into the tunnel, which is
reliable, counts as twice: RFC 3261 17.1.2.2 retransmits only over
unreliable transports.)  Messages the proxy makes itself (100 Trying,
the 407 challenge) are not the peer's and are left out.  That nothing
was lost shows in the scenarios completing.

Prints one line per message sent more than once or received more often
than sent, then "ok N messages" or "twice N of M messages".  Exit 0 if
none was received more often than sent, 1 if one was, 2 on bad input.
"""
import glob
import os
import re
import sys
from collections import Counter

SEP = re.compile(r"^-{20,}")


def messages(d):
    """[(direction, key)] of the phone whose logs are in d"""
    files = glob.glob(os.path.join(d, "*_messages.log"))
    if not files:
        sys.exit("sip-once: no *_messages.log in %s" % d)
    out = []
    for fn in files:
        with open(fn, errors="replace") as f:
            text = f.read().replace("\r", "")
        blocks = []
        cur = []
        for line in text.split("\n"):
            if SEP.match(line):
                if cur:
                    blocks.append(cur)
                cur = []
            else:
                cur.append(line)
        if cur:
            blocks.append(cur)
        for b in blocks:
            head = next((ln for ln in b if ln.strip()), "")
            if "message sent" in head:
                way = "sent"
            elif "message received" in head:
                way = "received"
            else:
                continue
            start = next((ln.strip() for ln in b[1:]
                          if re.match(r"\s*(SIP/2\.0 \d{3}|[A-Z]+ \S+ SIP/2\.0)", ln)),
                         None)
            if not start:
                continue
            m = re.match(r"SIP/2\.0 (\d{3})", start)
            first = m.group(1) if m else start.split()[0]
            hdr = {}
            for ln in b:
                mm = re.match(r"\s*(Call-ID|i|CSeq)\s*:\s*(.*)", ln, re.I)
                if mm:
                    name = mm.group(1).lower()
                    hdr["call-id" if name in ("i", "call-id") else "cseq"] = \
                        " ".join(mm.group(2).split())
            out.append((way, (first, hdr.get("call-id", "?"), hdr.get("cseq", "?"))))
    return out


def main():
    if len(sys.argv) != 3:
        print(__doc__.strip().split("\n")[2], file=sys.stderr)
        return 2
    a, b = messages(sys.argv[1]), messages(sys.argv[2])
    twice = 0
    total = 0
    for mine, theirs in ((a, b), (b, a)):
        sent = Counter(k for w, k in mine if w == "sent")
        got = Counter(k for w, k in theirs if w == "received")
        asked = Counter(k for w, k in theirs if w == "sent")
        for k, n in sorted(sent.items()):
            total += 1
            g = got.get(k, 0)
            allowed = n
            if k[0].isdigit():
                # the proxy answers a retransmitted request with the
                # response again (RFC 3261 17.2.2)
                method = k[2].split()[-1]
                allowed += max(0, asked.get((method, k[1], k[2]), 0) - 1)
            what = "%s (%s, CSeq %s)" % (k[0], k[1][:24], k[2])
            if g > allowed:
                twice += 1
                print("TWICE %s: sent %d times, received %d times" % (what, n, g))
            elif n > 1 or g > 1:
                print("retransmitted %s: sent %d times, received %d times" % (what, n, g))
    if twice:
        print("twice %d of %d messages" % (twice, total))
        return 1
    print("ok %d messages" % total)
    return 0


if __name__ == "__main__":
    sys.exit(main())
