#!/usr/bin/env python3
# SPDX-License-Identifier: BSD-3-Clause
# Copyright (c) 2026 the SoFW authors
"""A strict reader of the Prometheus text exposition format (0.0.4), for
the metrics tests: what hras-fcgi serves at /metrics and what hrac writes
to --metrics-file.

  prom-check.py FILE...                 check each; print every sample as
                                        NAME{L="V",...} VALUE, labels sorted
  prom-check.py --get SERIES FILE       print one sample's value (exit 1 if
                                        there is none); SERIES as printed
  prom-check.py --dashboard JSON FILE...  the dashboard is valid JSON and
                                        each of its "expr" names only
                                        metrics some FILE has
  prom-check.py --openmetrics OM PROM   OM is the OpenMetrics form of the
                                        metrics of PROM (same series):
                                        families named without _total
                                        (counter) or _info (info), one
                                        "# EOF" at the end

Stricter than Prometheus on purpose: every family has one HELP and one
TYPE line before its samples, families are not interleaved, a series
appears once, a counter's name ends in _total and its value is not
negative, no blank lines, the text ends with a newline.
"""
import json
import math
import re
import sys

NAME = r"[a-zA-Z_:][a-zA-Z0-9_:]*"
LABEL = r"[a-zA-Z_][a-zA-Z0-9_]*"
TYPES = {"counter", "gauge", "histogram", "summary", "untyped"}


class Bad(Exception):
    pass


def parse_value(s, where):
    if s in ("NaN", "+Inf", "-Inf", "Inf"):
        return float(s.replace("Inf", "inf"))
    if not re.fullmatch(r"[-+]?(\d+\.?\d*|\.\d+)([eE][-+]?\d+)?", s):
        raise Bad("%s: not a number: %r" % (where, s))
    return float(s)


def parse_labels(text, where):
    """text after '{': returns (labels dict, rest after '}')"""
    labels = {}
    i = 0
    while True:
        if text[i:i + 1] == "}":
            return labels, text[i + 1:]
        m = re.match(LABEL, text[i:])
        if not m:
            raise Bad("%s: bad label name at %r" % (where, text[i:]))
        key = m.group(0)
        i += len(key)
        if text[i:i + 2] != '="':
            raise Bad("%s: label %s without =\"" % (where, key))
        i += 2
        val = []
        while True:
            if i >= len(text):
                raise Bad("%s: unterminated label value" % where)
            c = text[i]
            if c == "\\":
                nxt = text[i + 1:i + 2]
                if nxt not in ("\\", '"', "n"):
                    raise Bad("%s: bad escape \\%s" % (where, nxt))
                val.append("\n" if nxt == "n" else nxt)
                i += 2
            elif c == '"':
                i += 1
                break
            elif c == "\n":
                raise Bad("%s: newline in a label value" % where)
            else:
                val.append(c)
                i += 1
        if key in labels:
            raise Bad("%s: label %s twice" % (where, key))
        labels[key] = "".join(val)
        if text[i:i + 1] == ",":
            i += 1
        elif text[i:i + 1] != "}":
            raise Bad("%s: expected , or } after a label" % where)


def series(name, labels):
    inner = ",".join('%s="%s"' % (k, labels[k].replace("\\", "\\\\")
                                  .replace('"', '\\"').replace("\n", "\\n"))
                     for k in sorted(labels))
    return "%s{%s}" % (name, inner) if inner else name


def parse(text, src):
    """returns {series: value}; raises Bad"""
    if text and not text.endswith("\n"):
        raise Bad("%s: does not end with a newline" % src)
    help_, type_, done, samples = {}, {}, set(), {}
    current = None
    for n, line in enumerate(text.split("\n")[:-1], 1):
        where = "%s:%d" % (src, n)
        if line == "":
            raise Bad("%s: blank line" % where)
        if line.startswith("#"):
            m = re.fullmatch(r"# (HELP|TYPE) (%s) ?(.*)" % NAME, line)
            if not m:
                if re.match(r"# (HELP|TYPE)", line):
                    raise Bad("%s: bad %s line" % (where, line[2:6]))
                continue
            kind, fam, rest = m.groups()
            if fam in done:
                raise Bad("%s: family %s again, after others" % (where, fam))
            if current and current != fam:
                done.add(current)
            current = fam
            if kind == "HELP":
                if fam in help_:
                    raise Bad("%s: second HELP for %s" % (where, fam))
                if re.search(r"\\[^\\n]", rest.replace("\\\\", "")):
                    raise Bad("%s: bad escape in HELP" % where)
                help_[fam] = rest
            else:
                if fam in type_:
                    raise Bad("%s: second TYPE for %s" % (where, fam))
                if rest not in TYPES:
                    raise Bad("%s: unknown type %r" % (where, rest))
                if any(s.split("{")[0] == fam for s in samples):
                    raise Bad("%s: TYPE after samples of %s" % (where, fam))
                type_[fam] = rest
            continue
        m = re.match(NAME, line)
        if not m:
            raise Bad("%s: not a sample: %r" % (where, line))
        name = m.group(0)
        rest = line[len(name):]
        labels = {}
        if rest.startswith("{"):
            labels, rest = parse_labels(rest[1:], where)
        parts = rest.split(" ")
        if len(parts) not in (2, 3) or parts[0] != "":
            raise Bad("%s: expected one space, a value and maybe a "
                      "timestamp: %r" % (where, line))
        value = parse_value(parts[1], where)
        if len(parts) == 3 and not re.fullmatch(r"-?\d+", parts[2]):
            raise Bad("%s: bad timestamp" % where)
        if name != current:
            raise Bad("%s: sample %s outside its family (%s)"
                      % (where, name, current))
        if name not in help_ or name not in type_:
            raise Bad("%s: %s without HELP and TYPE" % (where, name))
        if type_[name] == "counter":
            if not name.endswith("_total"):
                raise Bad("%s: counter %s does not end in _total"
                          % (where, name))
            if value < 0 or math.isnan(value):
                raise Bad("%s: counter %s is %s" % (where, name, value))
        key = series(name, labels)
        if key in samples:
            raise Bad("%s: series %s twice" % (where, key))
        samples[key] = value
    for fam in set(help_) | set(type_):
        if fam not in help_ or fam not in type_:
            raise Bad("%s: %s lacks HELP or TYPE" % (src, fam))
    return samples


def read(path):
    with open(path, encoding="utf-8") as f:
        return parse(f.read(), path)


def fmt(v):
    return "%d" % v if v == int(v) else repr(v)


def dashboard(path, files):
    known = set()
    for p in files:
        known |= {s.split("{")[0] for s in read(p)}
    with open(path, encoding="utf-8") as f:
        d = json.load(f)
    exprs = []

    def walk(o):
        if isinstance(o, dict):
            for k, v in o.items():
                if k == "expr" and isinstance(v, str):
                    exprs.append(v)
                else:
                    walk(v)
        elif isinstance(o, list):
            for v in o:
                walk(v)
    walk(d)
    if not exprs:
        raise Bad("%s: no expr at all" % path)
    bad = []
    for e in exprs:
        for name in re.findall(r"\bsofw_[a-z0-9_]+", e):
            if name not in known:
                bad.append("%s (in %s)" % (name, e))
    if bad:
        raise Bad("%s names metrics nobody emits: %s" % (path, "; ".join(bad)))
    print("%s: %d expressions, every metric emitted" % (path, len(exprs)))


def openmetrics(om_path, prom_path):
    """OM as hras-fcgi serves it for an OpenMetrics Accept"""
    want = read(prom_path)
    with open(om_path, encoding="utf-8") as f:
        text = f.read()
    if not text.endswith("\n# EOF\n") or text.count("# EOF") != 1:
        raise Bad("%s: does not end with one # EOF" % om_path)
    body = text[:-len("# EOF\n")]
    fam, kind, got = None, None, set()
    for n, line in enumerate(body.split("\n")[:-1], 1):
        where = "%s:%d" % (om_path, n)
        m = re.fullmatch(r"# (HELP|TYPE) (%s) (.*)" % NAME, line)
        if m:
            if m.group(1) == "TYPE":
                fam, kind = m.group(2), m.group(3)
                if kind not in ("counter", "gauge", "info"):
                    raise Bad("%s: type %s" % (where, kind))
                if kind == "counter" and fam.endswith("_total"):
                    raise Bad("%s: counter family %s ends in _total"
                              % (where, fam))
            continue
        name = re.match(NAME, line).group(0)
        suffix = {"counter": "_total", "info": "_info"}.get(kind, "")
        if name != fam + suffix:
            raise Bad("%s: sample %s in family %s (%s)"
                      % (where, name, fam, kind))
        rest = line[len(name):]
        labels = {}
        if rest.startswith("{"):
            labels, rest = parse_labels(rest[1:], where)
        got.add(series(name, labels))
    if got != set(want):
        raise Bad("OpenMetrics and Prometheus series differ: %s"
                  % sorted(got ^ set(want))[:5])
    print("%s: %d series, as OpenMetrics" % (om_path, len(got)))


def main(argv):
    try:
        if argv[:1] == ["--openmetrics"]:
            openmetrics(argv[1], argv[2])
            return 0
        if argv[:1] == ["--get"]:
            s = read(argv[2])
            if argv[1] not in s:
                return 1
            print(fmt(s[argv[1]]))
            return 0
        if argv[:1] == ["--dashboard"]:
            dashboard(argv[1], argv[2:])
            return 0
        for p in argv:
            for k, v in sorted(read(p).items()):
                print(k, fmt(v))
        return 0
    except Bad as e:
        print("prom-check: %s" % e, file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
