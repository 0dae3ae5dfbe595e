#!/usr/bin/env python3
# SPDX-License-Identifier: BSD-3-Clause
# Copyright (c) 2026 the SoFW authors
"""Is a known tone in a phone's recording?

tone-check.py FILE --freq HZ [--other HZ]... [--min-seconds S]

Reads a 16-bit PCM WAV that a phone recorded (mono; the size in the
header is not trusted: a recorder that is stopped abruptly leaves it
wrong), cuts it in 100 ms windows and calls a window a tone window when
it is loud (RMS at least 1/30 of full scale) and at least 60% of its
power is at HZ (a Goertzel filter).  A loud window where one of the
--other frequencies (the tones the other phones play) has at least 10%
of the power is a wrong window: audio of someone else, or the phone's
own, came back (alone or mixed in).  A loud window of neither (a
transition, another sound) is neither.

Prints one line: seconds recorded, of the tone, silent, wrong.  Exits
0 when there are at least S seconds (default 1) of the tone and no
wrong window, 1 otherwise, 2 when the file cannot be read.
"""
import argparse
import math
import struct
import sys

WINDOW_S = 0.1
TONE_SHARE = 0.6  # of a window's power at HZ: a tone window
OTHER_SHARE = 0.1  # at an --other frequency: a wrong window


def read_wav(path):
    with open(path, "rb") as f:
        data = f.read()
    if len(data) < 12 or data[0:4] != b"RIFF" or data[8:12] != b"WAVE":
        raise ValueError("not a RIFF/WAVE file")
    pos, rate, channels, bits = 12, None, None, None
    while pos + 8 <= len(data):
        cid, size = data[pos:pos + 4], struct.unpack("<I", data[pos + 4:pos + 8])[0]
        body = pos + 8
        if cid == b"fmt ":
            fmt, channels, rate = struct.unpack("<HHI", data[body:body + 8])
            bits = struct.unpack("<H", data[body + 14:body + 16])[0]
            if fmt != 1 or bits != 16:
                raise ValueError("not 16-bit PCM (format %d, %d bits)" % (fmt, bits))
        elif cid == b"data":
            if rate is None:
                raise ValueError("data before fmt")
            pcm = data[body:]  # to the end, whatever the header says
            n = len(pcm) // (2 * channels)
            samples = struct.unpack("<%dh" % (n * channels), pcm[:n * 2 * channels])
            return rate, samples[::channels]
        pos = body + size + (size & 1)
    raise ValueError("no data chunk")


def goertzel_power(x, rate, freq):
    """power of x at freq, as the mean square of that sine (a full-scale
    sine alone: 0.5 * 32767^2)"""
    k = 2.0 * math.cos(2.0 * math.pi * freq / rate)
    s1 = s2 = 0.0
    for v in x:
        s1, s2 = v + k * s1 - s2, s1
    p = s1 * s1 + s2 * s2 - k * s1 * s2
    return 2.0 * p / (len(x) * len(x))


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("file")
    ap.add_argument("--freq", type=float, required=True)
    ap.add_argument("--other", type=float, action="append", default=[])
    ap.add_argument("--min-seconds", type=float, default=1.0)
    a = ap.parse_args()
    try:
        rate, s = read_wav(a.file)
    except (OSError, ValueError, struct.error) as e:
        print("%s: cannot read: %s" % (a.file, e))
        return 2
    win = int(rate * WINDOW_S)
    loud = (32767 / 30.0) ** 2
    tone = silent = wrong = 0
    total = len(s) // win if win else 0
    for i in range(total):
        x = s[i * win:(i + 1) * win]
        ms = sum(v * v for v in x) / len(x)
        if ms < loud:
            silent += 1
            continue
        if any(goertzel_power(x, rate, o) >= OTHER_SHARE * ms for o in a.other):
            wrong += 1
        elif goertzel_power(x, rate, a.freq) >= TONE_SHARE * ms:
            tone += 1
    print("%s: %.1f s recorded at %d Hz: %.1f s of %g Hz, %.1f s silent, "
          "%.1f s wrong" % (a.file.rsplit("/", 1)[-1], total * WINDOW_S, rate,
                             tone * WINDOW_S, a.freq, silent * WINDOW_S,
                             wrong * WINDOW_S))
    ok = tone * WINDOW_S >= a.min_seconds - 1e-9 and wrong == 0
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
