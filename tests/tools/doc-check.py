#!/usr/bin/env python3
# SPDX-License-Identifier: BSD-3-Clause
# Copyright (c) 2026 the SoFW authors
"""doc-check.py: hold the documentation to the programs (tests/it/t_man.sh)

  doc-check.py options BINARY PAGE CONFPAGE EXAMPLE
      Every option BINARY --help lists (it prints its options table) is in
      PAGE and, as a key, in CONFPAGE; every "(default X)" it prints is the
      default both pages state in that option's paragraph, and the value
      EXAMPLE shows for the key (commented out or not), if it shows one.

  doc-check.py layout
      README.md's layout section names every directory of the tree that
      holds tracked files, and nothing that does not exist.

Prints one line per fault and exits 1 if there was any.
"""
import os
import re
import subprocess
import sys

faults = 0


def fault(msg):
    global faults
    faults += 1
    print("FAIL: " + msg)


def help_options(binary):
    """[(name, default or None)] from --help"""
    out = subprocess.run([binary, "--help"], capture_output=True, text=True,
                         check=True).stdout
    # an option's help may wrap: its lines after the first are indented
    # to the help column (30 spaces or more)
    entries = []
    for line in out.splitlines():
        if line.startswith(" " * 30) and entries:
            entries[-1] += " " + line.strip()
        elif re.match(r"^  (?:-., )?\s*--[a-z0-9-]+", line):
            entries.append(line)
    opts = []
    for e in entries:
        m = re.match(r"^  (?:-., )?\s*--([a-z0-9-]+)", e)
        d = re.search(r"\(default ([^()]*)\)$", e)
        opts.append((m.group(1), d.group(1) if d else None))
    return opts


def unroff(s):
    s = s.replace("\\-", "-").replace("\\(em", "-").replace('"', "")
    return re.sub(r"\\f[BIRP]", "", s)


def paragraphs(page, key_re):
    """The paragraphs (after .TP) whose tag line matches key_re"""
    lines = open(page).read().splitlines()
    found = []
    for i, line in enumerate(lines):
        if not re.match(r"^\.(B|BI|BR|IR|I)\s", line):
            continue
        if i == 0 or lines[i - 1] != ".TP":
            continue
        if not re.search(key_re, unroff(line)):
            continue
        body = []
        for j in range(i + 1, len(lines)):
            if re.match(r"^\.(TP|PP|SH|SS|P|LP)\b", lines[j]):
                break
            if not lines[j].startswith(".") or \
                    re.match(r"^\.(B|BI|BR|IR|I)\s", lines[j]):
                body.append(unroff(re.sub(r"^\.\w+\s", "", lines[j])))
        found.append(" ".join(body))
    return found


def stated_default(text):
    """The value after "default" in a paragraph ("X (default)": X), or None"""
    m = re.search(r"(\S+)\s+\(default(?::[^)]*)?\)", text)
    if m:
        return m.group(1)
    m = re.search(r"\bdefault:? (.+?)(?:,\s|;|:\s|\)| to |\.\s|\.$|$)", text)
    if not m:
        return None
    return m.group(1).strip()


def same(want, got):
    norm = lambda v: sorted(x for x in re.split(r"[\s,]+|\band\b", v) if x)
    return norm(want) == norm(got)


def check_page(page, name, dflt, key_re):
    paras = paragraphs(page, key_re)
    if not paras:
        fault("%s: no paragraph for %s" % (page, name))
        return
    if dflt is None:
        return
    got = [stated_default(p) for p in paras]
    if not any(g is not None and same(dflt, g) for g in got):
        fault("%s: %s: the table's default is '%s', the page says %s" %
              (page, name, dflt, [g for g in got if g] or "none"))


def check_example(example, name, dflt):
    for line in open(example):
        m = re.match(r"^#?\s*([a-z0-9-]+)\s+(\S.*?)\s*(?:#.*)?$", line)
        if not m or m.group(1) != name:
            continue
        # a list's default may be shown an item a line
        if dflt is not None and not same(dflt, m.group(2)) and \
                m.group(2) not in dflt.split():
            fault("%s: '%s' shows %s, the default is %s" %
                  (example, name, m.group(2), dflt))


def options(binary, page, conf, example):
    opts = help_options(binary)
    for name, dflt in opts:
        esc = re.escape(name)
        check_page(page, "--" + name, dflt, r"--%s(\s|$)" % esc)
        if name in ("config", "help", "version"):
            continue
        check_page(conf, name, dflt, r"^\.\w+ %s(\s|$)" % esc)
        check_example(example, name, dflt)
    print("checked %d options of %s (%d defaults)" %
          (len(opts), binary, sum(1 for _, d in opts if d)))
    if len(opts) < 15:
        fault("%s --help lists only %d options" % (binary, len(opts)))


def layout():
    text = open("README.md").read()
    m = re.search(r"## Layout\n\n```\n(.*?)```", text, re.S)
    if not m:
        fault("README.md has no layout section")
        return
    named, parent = set(), ""
    for line in m.group(1).splitlines():
        if not line.strip() or line.startswith(" " * 6):
            continue
        nested = line.startswith("  ")
        for p in re.split(r"\s{2,}", line.strip())[0].split(","):
            p = p.strip()
            if not p:
                continue
            if not nested and p.endswith("/"):
                parent = p
            path = os.path.normpath(parent + p if nested else p)
            named.add(path)
            named.update(os.path.dirname(path).split("/")[:1])
            if not os.path.exists(path):
                fault("README's layout names %s, which does not exist" % path)
    tracked = subprocess.run(["git", "ls-files"], capture_output=True,
                             text=True, check=True).stdout.split()
    dirs = set()
    for f in tracked:
        parts = f.split("/")[:-1]
        if not parts or f.startswith("."):
            continue
        dirs.add(parts[0])
        if parts[0] in ("src", "tests") and len(parts) > 1:
            dirs.add("/".join(parts[:2]))
        if parts[:2] == ["src", "hras-fcgi"] and len(parts) > 2:
            dirs.add("/".join(parts[:3]))
    for d in sorted(dirs - named):
        fault("README's layout does not mention %s/" % d)
    print("checked README's layout: %d paths, %d directories" %
          (len(named), len(dirs)))


if __name__ == "__main__":
    if sys.argv[1:2] == ["options"] and len(sys.argv) == 6:
        options(*sys.argv[2:])
    elif sys.argv[1:] == ["layout"]:
        layout()
    else:
        sys.exit(__doc__)
    sys.exit(1 if faults else 0)
