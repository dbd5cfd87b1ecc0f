#!/usr/bin/env python3
"""results.md and results.json of bench/directory (lifeboat backup --path against restic backup).

  directory_report.py OUT_DIR
"""
import json
import os
import statistics
import sys

LINES = [
    ("lifeboat.backup", "`lifeboat backup --path` into an empty repository"),
    ("restic.backup", "`restic backup` into an empty repository"),
    ("lifeboat.backup.unchanged", "`lifeboat backup --path` again, nothing changed"),
    ("restic.backup.unchanged", "`restic backup` again, nothing changed"),
    ("lifeboat.restore", "`lifeboat restore --to-dir` into an empty directory"),
    ("restic.restore", "`restic restore --target` into an empty directory"),
]


def main():
    out = sys.argv[1]
    runs, facts, na = [], {}, {}
    for line in open(os.path.join(out, "results.jsonl")):
        r = json.loads(line)
        if r["kind"] == "run":
            runs.append(r)
        elif r["kind"] == "fact":
            facts[r["key"]] = r["value"]
        elif r["kind"] == "na":
            na[r["line"]] = r.get("reason", "")
    size = facts["tree_bytes"]
    agg = {}
    for line, _ in LINES:
        rs = [r for r in runs if r["line"] == line]
        ok = [r for r in rs if r.get("ok")]
        if not rs:
            continue
        a = {"reps": len(rs), "ok": len(ok)}
        if ok:
            wall = statistics.median(r["wall_s"] for r in ok)
            cpu = statistics.median(r["user_s"] + r["sys_s"] for r in ok)
            a.update(wall_s=wall, cpu_s=cpu, mb_per_s=size / 1e6 / wall, maxrss_mib=max(r["maxrss_kib"] for r in ok) / 1024,
                     stored_bytes=statistics.median(r.get("size_bytes", 0) for r in ok))
        agg[line] = a
    md = ["# Directory backups: `lifeboat backup --path` and `restic backup`", ""]
    md.append(f"- Date: {facts.get('date')}; tree of {facts.get('files')} small files and two big ones, "
              f"{size / 1e6:.0f} MB; {facts.get('reps')} repetition(s), median")
    md.append(f"- Machine: {facts.get('cpu')}, {facts.get('cores')} cores; load average at start {facts.get('load_at_start')}, "
              f"at end {facts.get('load_at_end')}")
    md.append(f"- Lifeboat {facts.get('lifeboat')} ({facts.get('lifeboat_commit')}); {facts.get('restic')}")
    md.append("")
    md.append("| command | wall s | MB/s of the tree | CPU s | peak RSS MiB | stored MB |")
    md.append("|---|---:|---:|---:|---:|---:|")
    for line, label in LINES:
        a = agg.get(line)
        if a is None:
            if line in na:
                md.append(f"| {label} | not available: {na[line]} | | | | |")
            continue
        if not a["ok"]:
            md.append(f"| {label} | FAILED | | | | |")
            continue
        stored = f"{a['stored_bytes'] / 1e6:.1f}" if ".backup" in line else "–"
        md.append(f"| {label} | {a['wall_s']:.2f} | {a['mb_per_s']:.0f} | {a['cpu_s']:.2f} | {a['maxrss_mib']:.0f} | {stored} |")
    md.append("")
    with open(os.path.join(out, "results.md"), "w") as f:
        f.write("\n".join(md) + "\n")
    with open(os.path.join(out, "results.json"), "w") as f:
        json.dump({"facts": facts, "lines": agg, "runs": runs}, f, indent=2, sort_keys=True)


if __name__ == "__main__":
    main()
