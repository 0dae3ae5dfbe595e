#!/usr/bin/env python3
# SPDX-License-Identifier: BSD-3-Clause
# Copyright (c) 2026 the SoFW authors
"""Where one idle call's round trip goes, hop by hop (bench/voice.sh).

Reads four captures (tcpdump -w) taken while one call's media ran through
SoFW: lan.pcap (the LAN's lo: phone <-> hrac, UDP), lan-eth.pcap (the
LAN's eth0: hrac <-> Squid, TCP), proxy-up.pcap (the proxy host's uplink:
Squid <-> nginx, TCP) and wan.pcap (the outside's lo: hras-fcgi's relay
<-> the far phone, UDP).  Every packet the phone sends is followed
through the eight points it passes, each the first after the one before
(at idle one packet is one TLS record and one segment each way), and the
median time between points is printed: what each process, or pair of
processes, adds.  The four captures share the kernel's clock.

usage: idle-stages.py DIR PHONE:PORT HRAC SQUID:PORT UPLINK HRAS:PORT FAR:PORT
"""
import bisect
import statistics
import struct
import sys

MAX_GAP = 0.015  # s: a longer gap is not the same packet (50 a second)


def packets(path):
    """(time, src, sport, dst, dport, payload length) of each IPv4 packet"""
    out = []
    with open(path, 'rb') as f:
        head = f.read(24)
        if len(head) < 24:
            return out
        magic, = struct.unpack('<I', head[:4])
        scale = 1e9 if magic == 0xa1b23c4d else 1e6
        link, = struct.unpack('<I', head[20:24])
        off = {1: 14, 113: 16}.get(link, 0)  # Ethernet, Linux cooked
        while True:
            rec = f.read(16)
            if len(rec) < 16:
                break
            sec, frac, caplen, _ = struct.unpack('<IIII', rec)
            ip = f.read(caplen)[off:]
            if len(ip) < 20 or ip[0] >> 4 != 4 or ip[9] not in (6, 17):
                continue
            ihl = (ip[0] & 15) * 4
            total, = struct.unpack('>H', ip[2:4])
            l4 = ip[ihl:]
            if len(l4) < (20 if ip[9] == 6 else 8):
                continue
            sport, dport = struct.unpack('>HH', l4[:4])
            hdr = 8 if ip[9] == 17 else (l4[12] >> 4) * 4
            out.append((sec + frac / scale, '.'.join(map(str, ip[12:16])),
                        sport, '.'.join(map(str, ip[16:20])), dport,
                        total - ihl - hdr))
    return out


def times(pkts, src=None, sport=None, dst=None, dport=None):
    """the sorted times of the packets with a payload that match"""
    return sorted(p[0] for p in pkts if p[5] > 0 and
                  (src is None or p[1] == src) and
                  (sport is None or p[2] == sport) and
                  (dst is None or p[3] == dst) and
                  (dport is None or p[4] == dport))


def main():
    if len(sys.argv) != 8:
        sys.exit(__doc__.strip().splitlines()[-1])
    d, phone, hrac, squid, uplink, hras, far = sys.argv[1:]
    ph_ip, ph_port = phone.rsplit(':', 1)
    sq_ip, sq_port = squid.rsplit(':', 1)
    hr_ip, hr_port = hras.rsplit(':', 1)
    far_ip, far_port = far.rsplit(':', 1)
    lan = packets(d + '/lan.pcap')
    eth = packets(d + '/lan-eth.pcap')
    up = packets(d + '/proxy-up.pcap')
    wan = packets(d + '/wan.pcap')
    points = [
        times(lan, src=ph_ip, sport=int(ph_port), dst=hrac),
        times(eth, src=hrac, dst=sq_ip, dport=int(sq_port)),
        times(up, src=uplink, dst=hr_ip, dport=int(hr_port)),
        times(wan, dst=far_ip, dport=int(far_port)),
        times(wan, src=far_ip, sport=int(far_port)),
        times(up, src=hr_ip, sport=int(hr_port), dst=uplink),
        times(eth, src=sq_ip, sport=int(sq_port), dst=hrac),
        times(lan, src=hrac, dst=ph_ip, dport=int(ph_port)),
    ]
    names = ['hrac, up', 'Squid, up', 'nginx and hras-fcgi, up',
             'the far phone\'s echo', 'hras-fcgi and nginx, down',
             'Squid, down', 'hrac, down']
    gaps = [[] for _ in names]
    whole = []
    for t0 in points[0]:
        chain = [t0]
        for later in points[1:]:
            i = bisect.bisect_right(later, chain[-1])
            if i == len(later) or later[i] - chain[-1] > MAX_GAP:
                break
            chain.append(later[i])
        if len(chain) != len(points):
            continue
        for k in range(len(names)):
            gaps[k].append(1e6 * (chain[k + 1] - chain[k]))
        whole.append(1e6 * (chain[-1] - chain[0]))
    if not whole:
        sys.exit('idle-stages: no packet was followed through all eight points')
    print(f'  followed {len(whole)} of {len(points[0])} packets; '
          'median us the step took (p10, p90):')
    for name, g in zip(names + ['the round trip'], gaps + [whole]):
        g.sort()
        print(f'    {name:28s} {statistics.median(g):7.0f}  '
              f'({g[len(g) // 10]:.0f}, {g[len(g) * 9 // 10]:.0f})')


if __name__ == '__main__':
    main()
