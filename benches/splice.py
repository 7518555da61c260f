#!/usr/bin/env python3
"""Puts a benchmark's table into a markdown file, for `benches/all`.

    benches/splice.py FILE PART STAMP < benchmark-output

Reads a benchmark's output on standard input and takes its last markdown table (the last run
of consecutive lines that start with `|`, a header and a `|---|` row first). In FILE, replaces
everything between the lines

    <!-- benches/all: PART begin -->
    <!-- benches/all: PART end -->

with STAMP, an empty line and that table. Nothing outside the markers changes. Exits with 2
when the output holds no table and with 3 when FILE lacks the markers (or holds them more than
once), leaving FILE as it was.
"""

import os
import sys
import tempfile


def last_table(text):
    tables, current = [], []
    for line in text.splitlines():
        if line.startswith("|"):
            current.append(line.rstrip())
        elif current:
            tables.append(current)
            current = []
    if current:
        tables.append(current)
    tables = [t for t in tables if len(t) >= 3 and set(t[1]) <= set("|-: ")]
    return tables[-1] if tables else None


def main():
    path, part, stamp = sys.argv[1:4]
    table = last_table(sys.stdin.read())
    if table is None:
        print(f"splice: the {part} benchmark printed no markdown table", file=sys.stderr)
        return 2
    begin = f"<!-- benches/all: {part} begin -->"
    end = f"<!-- benches/all: {part} end -->"
    with open(path, encoding="utf-8") as file:
        lines = file.read().split("\n")
    starts = [i for i, line in enumerate(lines) if line.strip() == begin]
    ends = [i for i, line in enumerate(lines) if line.strip() == end]
    if len(starts) != 1 or len(ends) != 1 or starts[0] > ends[0]:
        print(f"splice: {path} needs exactly one `{begin}` … `{end}` pair", file=sys.stderr)
        return 3
    lines[starts[0] + 1 : ends[0]] = [stamp, ""] + table
    # Written next to the file and renamed over it, so it is never left half written.
    directory = os.path.dirname(os.path.abspath(path))
    with tempfile.NamedTemporaryFile("w", encoding="utf-8", dir=directory, delete=False) as out:
        out.write("\n".join(lines))
    os.chmod(out.name, os.stat(path).st_mode)
    os.replace(out.name, path)
    return 0


if __name__ == "__main__":
    sys.exit(main())
