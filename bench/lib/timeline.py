#!/usr/bin/env python3
"""Lays the server's statement log (log_min_duration_statement = 0) out against each command's wall clock.

  timeline.py OUT_DIR   (reads OUT_DIR/commands.jsonl and OUT_DIR/postgres.log; written by bench/profile)
"""
import calendar
import json
import os
import re
import sys
from datetime import datetime

LINE = re.compile(r"^(\d{4}-\d\d-\d\d \d\d:\d\d:\d\d\.\d+) (\w+) \[(\d+)\] ([^:]*): LOG:  (.*)$")
DURATION = re.compile(r"^duration: ([\d.]+) ms  (?:statement|execute [^:]*): (.*)$")
MIN_MS = 30


def epoch(ts):
    dt = datetime.strptime(ts, "%Y-%m-%d %H:%M:%S.%f")
    return calendar.timegm(dt.timetuple()) + dt.microsecond / 1e6


def main():
    out = sys.argv[1]
    commands = [json.loads(l) for l in open(os.path.join(out, "commands.jsonl"))]
    events = []  # (start, end, pid, app, text)
    connections = []  # (time, pid, app)
    for line in open(os.path.join(out, "postgres.log"), errors="replace"):
        m = LINE.match(line.rstrip("\n"))
        if not m:
            continue
        t, _tz, pid, app, msg = m.groups()
        t = epoch(t)
        if msg.startswith("connection authorized"):
            connections.append((t, pid, app))
            continue
        d = DURATION.match(msg)
        if d:
            ms = float(d.group(1))
            events.append((t - ms / 1000, t, pid, app or "?", d.group(2)))
    for c in commands:
        s, e = c["start"], c["end"]
        mine = [ev for ev in events if ev[0] >= s - 0.05 and ev[1] <= e + 0.05]
        conns = [x for x in connections if s <= x[0] <= e]
        print(f"== {c['name']}: {e - s:.2f} s wall")
        if conns:
            print(f"   first connection at +{conns[0][0] - s:.2f} s ({len(conns)} connections)")
        if mine:
            first = min(ev[0] for ev in mine)
            last = max(ev[1] for ev in mine)
            print(f"   server statements from +{first - s:.2f} s to +{last - s:.2f} s; "
                  f"nothing on the server for the first {first - s:.2f} s and the last {e - last:.2f} s")
            busy = {}
            for ev in mine:
                busy[(ev[2], ev[3])] = busy.get((ev[2], ev[3]), 0) + ev[1] - ev[0]
            for (pid, app), b in sorted(busy.items(), key=lambda kv: -kv[1])[:8]:
                print(f"   backend {pid} ({app}): {b:.2f} s in statements")
            for ev in sorted(mine):
                if (ev[1] - ev[0]) * 1000 >= MIN_MS:
                    text = re.sub(r"\s+", " ", ev[4])[:90]
                    print(f"   +{ev[0] - s:6.2f} .. +{ev[1] - s:6.2f}  {ev[1] - ev[0]:6.2f} s  [{ev[2]} {ev[3]}] {text}")
        print()


if __name__ == "__main__":
    main()
