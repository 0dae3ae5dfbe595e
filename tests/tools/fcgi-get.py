#!/usr/bin/env python3
# SPDX-License-Identifier: BSD-3-Clause
# Copyright (c) 2026 the SoFW authors
"""fcgi-get.py HOST:PORT PATH [NAME=VALUE...]: one FastCGI GET, spoken
directly to a responder (as a local program would, past nginx), with the
given parameters besides; prints what came back on FCGI_STDOUT, then a
last line "bytes=N" (every byte received, records included; 0 when the
connection was closed unanswered).  Gives up after 5 s."""
import socket
import struct
import sys
import time

BEGIN, PARAMS, STDIN = 1, 4, 5
STDOUT = 6


def record(kind, content):
    return struct.pack(">BBHHBx", 1, kind, 1, len(content), 0) + content


def pair(name, value):
    n, v = name.encode(), value.encode()
    return length(len(n)) + length(len(v)) + n + v


def length(n):
    # FastCGI name-value lengths: one byte below 128, else four with
    # the top bit set
    return bytes([n]) if n < 128 else struct.pack(">I", n | 1 << 31)


def main():
    host, port = sys.argv[1].rsplit(":", 1)
    params = {"REQUEST_METHOD": "GET", "DOCUMENT_URI": sys.argv[2],
              "QUERY_STRING": "", "REMOTE_ADDR": "127.0.0.1",
              "REMOTE_PORT": "40000"}
    for a in sys.argv[3:]:
        k, v = a.split("=", 1)
        params[k] = v
    body = b"".join(pair(k, v) for k, v in params.items())
    s = socket.create_connection((host, int(port)), timeout=5)
    s.sendall(record(BEGIN, struct.pack(">HB5x", 1, 0)) +
              record(PARAMS, body) + record(PARAMS, b"") +
              record(STDIN, b""))
    got = b""
    end = time.monotonic() + 5
    while time.monotonic() < end:
        try:
            b = s.recv(65536)
        except (socket.timeout, ConnectionResetError):
            break
        if not b:
            break
        got += b
    out, i = b"", 0
    while i + 8 <= len(got):
        _, kind, _, clen, plen = struct.unpack(">BBHHB", got[i:i + 7])
        if kind == STDOUT:
            out += got[i + 8:i + 8 + clen]
        i += 8 + clen + plen
    sys.stdout.write(out.decode(errors="replace"))
    print("\nbytes=%d" % len(got))


main()
