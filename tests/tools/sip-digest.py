#!/usr/bin/env python3
# SPDX-License-Identifier: BSD-3-Clause
# Copyright (c) 2026 the SoFW authors
"""Register with digest authentication in a chosen algorithm (RFC 8760).

sip-digest.py --server HOST:PORT --from IP --user U --password P
              [--algorithm MD5|SHA-256] [--replay]
Sends REGISTER, answers the 401's challenge in the algorithm asked for
(qop=auth), and prints "status CODE" of the answer.  With --replay the
same credentials (same nonce, same nonce count) are sent once more, as
an attacker who saw them would: prints "replay CODE".
"""
import argparse
import hashlib
import re
import socket
import sys
import uuid


def h(alg, s):
    f = hashlib.sha256 if alg == "SHA-256" else hashlib.md5
    return f(s.encode()).hexdigest()


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--server", required=True)
    ap.add_argument("--from", dest="src", required=True)
    ap.add_argument("--user", required=True)
    ap.add_argument("--password", required=True)
    ap.add_argument("--algorithm", default="SHA-256")
    ap.add_argument("--replay", action="store_true")
    a = ap.parse_args()
    host, port = a.server.rsplit(":", 1)
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.bind((a.src, 0))
    s.settimeout(3)
    sport = s.getsockname()[1]
    callid, tag = uuid.uuid4().hex, uuid.uuid4().hex[:8]
    ruri = "sip:example.test"

    def register(cseq, auth=""):
        msg = ("REGISTER %s SIP/2.0\r\n"
               "Via: SIP/2.0/UDP %s:%d;branch=z9hG4bK%s;rport\r\n"
               "From: <sip:%s@example.test>;tag=%s\r\n"
               "To: <sip:%s@example.test>\r\n"
               "Call-ID: %s\r\nCSeq: %d REGISTER\r\n"
               "Contact: <sip:%s@%s:%d>\r\nExpires: 60\r\n%s"
               "Max-Forwards: 70\r\nContent-Length: 0\r\n\r\n"
               % (ruri, a.src, sport, uuid.uuid4().hex[:10], a.user, tag,
                  a.user, callid, cseq, a.user, a.src, sport, auth))
        s.sendto(msg.encode(), (host, int(port)))
        while True:
            data = s.recv(65535).decode(errors="replace")
            code = int(data.split(" ", 2)[1])
            if code >= 200:
                return code, data

    code, resp = register(1)
    if code != 401:
        print("status %d (no challenge)" % code)
        return 1
    chal = None
    for line in resp.split("\r\n"):
        if line.lower().startswith("www-authenticate:") and \
                re.search(r"algorithm=%s\b" % re.escape(a.algorithm), line):
            chal = line
    if not chal:
        print("no %s challenge" % a.algorithm)
        return 1
    realm = re.search(r'realm="([^"]*)"', chal).group(1)
    nonce = re.search(r'nonce="([^"]*)"', chal).group(1)
    cnonce, nc = uuid.uuid4().hex[:16], "00000001"
    ha1 = h(a.algorithm, "%s:%s:%s" % (a.user, realm, a.password))
    ha2 = h(a.algorithm, "REGISTER:%s" % ruri)
    rsp = h(a.algorithm, "%s:%s:%s:%s:auth:%s" % (ha1, nonce, nc, cnonce, ha2))
    auth = ('Authorization: Digest username="%s", realm="%s", nonce="%s", '
            'uri="%s", response="%s", algorithm=%s, qop=auth, nc=%s, '
            'cnonce="%s"\r\n' % (a.user, realm, nonce, ruri, rsp, a.algorithm,
                                 nc, cnonce))
    code, _ = register(2, auth)
    print("status %d" % code)
    if a.replay:
        code, _ = register(3, auth)
        print("replay %d" % code)
    return 0


if __name__ == "__main__":
    sys.exit(main())
