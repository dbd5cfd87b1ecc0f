#!/usr/bin/env python3
"""results.md and results.json of bench/stream (the stream-path micro-benchmark).

  stream_report.py OUT_DIR
"""
import json
import os
import statistics
import sys

LINES = [
    ("zstd3.t2", "`zstd -3 -T2` alone (reference: compression with both cores)"),
    ("backup", "`lifeboat backup --stdin` into an empty repository"),
    ("backup.again", "`lifeboat backup --stdin` of the same bytes again (all chunks known)"),
    ("dump", "`lifeboat dump` to /dev/null"),
    ("startup", "`lifeboat snapshots` (fixed cost in every command: .NET start, key derivation, index load)"),
]
INPUTS = [("copytext", "compressible: pgbench-style COPY text"), ("random", "incompressible: random bytes")]


def main():
    out = sys.argv[1]
    runs, facts = [], {}
    for line in open(os.path.join(out, "results.jsonl")):
        r = json.loads(line)
        if r["kind"] == "run":
            runs.append(r)
        elif r["kind"] == "fact":
            facts[r["key"]] = r["value"]
    size = facts["size_bytes"]
    agg = {}
    for inp, _ in INPUTS:
        for line, _ in LINES:
            rs = [r for r in runs if r["dataset"] == inp and r["line"] == line]
            ok = [r for r in rs if r["ok"]]
            if not rs:
                continue
            a = {"reps": len(rs), "ok": len(ok)}
            if ok:
                wall = statistics.median(r["wall_s"] for r in ok)
                cpu = statistics.median(r["cpu_s"] for r in ok)
                a.update(wall_s=wall, cpu_s=cpu, mb_per_s=size / 1e6 / wall, cores=cpu / wall,
                         maxrss_mib=max(r["maxrss_kib"] for r in ok) / 1024,
                         size_bytes=statistics.median(r.get("size_bytes", 0) for r in ok))
            agg.setdefault(inp, {})[line] = a
    md = ["# Lifeboat stream path: `backup --stdin` and `dump`", ""]
    md.append(f"- Date: {facts.get('date')}; {size / 1048576:.0f} MiB per input; {facts.get('reps')} repetition(s), median")
    md.append(f"- Machine: {facts.get('cpu')}, {facts.get('cores')} cores, {facts.get('memory_gib')} GiB; "
              f"load average at start {facts.get('load_at_start')}, at end {facts.get('load_at_end')}")
    md.append(f"- Lifeboat {facts.get('lifeboat')} ({facts.get('lifeboat_commit')}); input and repository on local disk (page cache)")
    md.append("")
    md.append("| input | command | wall s | MB/s | cores used | peak RSS MiB | stored MB |")
    md.append("|---|---|---:|---:|---:|---:|---:|")
    for inp, ilabel in INPUTS:
        for line, label in LINES:
            a = agg.get(inp, {}).get(line)
            if a is None:
                continue
            if not a["ok"]:
                md.append(f"| {ilabel} | {label} | FAILED | | | | |")
                continue
            stored = f"{a['size_bytes'] / 1e6:.1f}" if line.startswith("backup") else "–"
            rate = "–" if line == "startup" else f"{a['mb_per_s']:.0f}"
            md.append(f"| {ilabel} | {label} | {a['wall_s']:.2f} | {rate} | {a['cores']:.2f} | "
                      f"{a['maxrss_mib']:.0f} | {stored} |")
    md.append("")
    md.append("Goals (issue 2): backup of compressible input ≥ 200 MB/s using both cores; peak RSS < 256 MiB; "
              "dump at least as fast as backup.")
    md.append("")
    goals = []
    for inp, ilabel in INPUTS:
        b, d = agg.get(inp, {}).get("backup", {}), agg.get(inp, {}).get("dump", {})
        if b.get("ok"):
            if inp == "copytext":
                goals.append((f"{ilabel}: backup ≥ 200 MB/s", f"{b['mb_per_s']:.0f} MB/s, {b['cores']:.2f} cores",
                              b["mb_per_s"] >= 200))
            goals.append((f"{ilabel}: peak RSS < 256 MiB",
                          f"{max(a.get('maxrss_mib', 0) for k, a in agg[inp].items() if k != 'zstd3.t2'):.0f} MiB",
                          max(a.get("maxrss_mib", 0) for k, a in agg[inp].items() if k != "zstd3.t2") < 256))
            if d.get("ok"):
                goals.append((f"{ilabel}: dump at least as fast as backup", f"{d['mb_per_s']:.0f} vs {b['mb_per_s']:.0f} MB/s",
                              d["mb_per_s"] >= b["mb_per_s"]))
    md.append("| goal | measured | met |")
    md.append("|---|---|---|")
    for g, v, ok in goals:
        md.append(f"| {g} | {v} | {'✅' if ok else '❌'} |")
    with open(os.path.join(out, "results.md"), "w") as f:
        f.write("\n".join(md) + "\n")
    with open(os.path.join(out, "results.json"), "w") as f:
        json.dump({"machine": facts, "lines": agg, "goals": [{"goal": g, "value": v, "met": ok} for g, v, ok in goals],
                   "runs": runs}, f, indent=1, sort_keys=True)


if __name__ == "__main__":
    sys.exit(main())
