#!/usr/bin/env python3
"""Turns OUT/results.jsonl (written by bench/run) into OUT/results.json and OUT/results.md.

  report.py OUT_DIR
"""
import json
import os
import statistics
import sys

STEPS = {1: "first", 2: "unchanged", 3: "append 1% new rows", 4: "append 1% + update 0.1% (among newest 1%)", 5: "1% update scattered"}

# id -> label. The order here is the order of the tables.
BACKUP_LINES = [
    ("raw.seq", "raw COPY limit, sequential (`COPY t TO STDOUT` of every table > /dev/null)"),
    ("raw.j2", "raw COPY limit, 2 jobs"),
    ("pgdump.fc", "`pg_dump -Fc` (default compression)"),
    ("pgdump.fd_j2", "`pg_dump -Fd -j 2`"),
    ("restic.1", "`pg_dump -Fc -Z0 | restic backup --stdin`"),
    ("pgbr.1", "pgBackRest full backup, zstd (physical)"),
    ("lbstdin.1", "`pg_dump -Fc -Z0 | lifeboat backup --stdin`"),
    ("lbdb.1", "`lifeboat backup --db --jobs 2`"),
]
SEQ_TOOLS = [
    ("restic", "restic (`pg_dump -Fc -Z0 |`)"),
    ("pgbr", "pgBackRest (full, then incr)"),
    ("lbstdin", "Lifeboat `backup --stdin` (`pg_dump -Fc -Z0 |`)"),
    ("lbdb", "Lifeboat `backup --db`"),
]
RESTORE_LINES = [
    ("pgrestore.j2", "`pg_restore -j 2` of the `-Fc` dump into an empty database"),
    ("restic.restore", "`restic dump | pg_restore`"),
    ("lbstdin.restore", "`lifeboat dump | pg_restore`"),
    ("lbdb.restore", "`lifeboat restore --jobs 2` into an empty database, as pg_restore -d (with ANALYZE of every table, the default)"),
    ("lbdb.restore_noanalyze", "`lifeboat restore --jobs 2 --no-analyze` (like pg_restore: no statistics)"),
    ("lbstdin.check", "`lifeboat check --read-data` (repository of `backup --stdin`, 1 snapshot)"),
    ("lbdb.check", "`lifeboat check --read-data` (repository of `backup --db`, 1 snapshot)"),
    ("lb.startup", "`lifeboat snapshots`: the fixed cost of every command (.NET start, key derivation, index load)"),
]
DATASET_TITLES = {"pgbench": "pgbench (`pgbench -i -s N`: blank filler)", "app": "app-like (SQL-generated application data)"}


def load(out):
    runs, nas, facts = [], [], {}
    with open(os.path.join(out, "results.jsonl")) as f:
        for line in f:
            line = line.strip()
            if not line:
                continue
            r = json.loads(line)
            if r["kind"] == "run":
                runs.append(r)
            elif r["kind"] == "na":
                nas.append(r)
            else:
                facts.setdefault(r["dataset"], {})[r["key"]] = r["value"]
    return runs, nas, facts


def med(xs):
    xs = [x for x in xs if x is not None]
    return statistics.median(xs) if xs else None


def aggregate(runs):
    lines = {}
    for r in runs:
        lines.setdefault((r["dataset"], r["line"]), []).append(r)
    agg = {}
    for (ds, line), rs in lines.items():
        ok = [r for r in rs if r["ok"]]
        a = {"reps": len(rs), "ok": len(ok), "failed": len(rs) - len(ok)}
        if not ok:
            a["error"] = rs[-1].get("error", "")
            a["exit"] = rs[-1]["exit"]
        else:
            a["wall_s"] = med([r["wall_s"] for r in ok])
            a["wall_min_s"] = min(r["wall_s"] for r in ok)
            a["wall_max_s"] = max(r["wall_s"] for r in ok)
            a["cpu_s"] = med([r["cpu_s"] for r in ok])
            a["server_cpu_s"] = med([r.get("server_cpu_s") for r in ok])
            a["maxrss_mib"] = round(max(r["maxrss_kib"] for r in ok) / 1024, 1)
            a["size_bytes"] = med([r.get("size_bytes") for r in ok])
            summaries = [r["stdout_json"].get("summary") for r in ok
                         if isinstance(r.get("stdout_json"), dict) and r["stdout_json"].get("summary")]
            if summaries:
                a["lifeboat_summary"] = summaries[0]
                a["lifeboat_seconds"] = med([x.get("seconds") for x in summaries])
        agg.setdefault(ds, {})[line] = a
    return agg


def fmt_s(x):
    if x is None:
        return "–"
    return f"{x:.2f}" if x < 10 else f"{x:.1f}"


def fmt_mb(b):
    if b is None:
        return "–"
    mb = b / 1e6
    if abs(mb) < 1:
        return f"{mb:.3f}"
    return f"{mb:.1f}" if abs(mb) < 100 else f"{mb:.0f}"


def fmt_x(a, b):
    if a is None or not b:
        return "–"
    return f"{a / b:.2f}x"


def fmt_pct(a, b):
    if a is None or not b:
        return "–"
    return f"{100.0 * a / b:.2f}%"


class Report:
    def __init__(self, out):
        self.out = out
        self.runs, self.nas, self.facts = load(out)
        self.agg = aggregate(self.runs)
        self.datasets = [ds for ds in ("pgbench", "app") if ds in self.agg or ds in self.facts]
        self.md = []

    def na_reason(self, ds, line):
        tool = line.split(".")[0]
        for n in self.nas:
            if n["dataset"] == ds and (n["line"] == line or n["line"] == tool):
                return n["reason"]
        return None

    def get(self, ds, line, key="wall_s"):
        a = self.agg.get(ds, {}).get(line)
        if not a or not a.get("ok"):
            return None
        return a.get(key)

    def raw_limit(self, ds):
        xs = [x for x in (self.get(ds, "raw.seq"), self.get(ds, "raw.j2")) if x is not None]
        return min(xs) if xs else None

    def missing_cell(self, ds, line):
        a = self.agg.get(ds, {}).get(line)
        if a and not a.get("ok"):
            return f"FAILED (exit {a.get('exit')}, {a['failed']}/{a['reps']})"
        reason = self.na_reason(ds, line)
        return f"not available: {reason}" if reason else "not measured"

    def w(self, s=""):
        if s.startswith("|"):
            # a | inside a code span of a table cell must be escaped, or it splits the cell
            cells, inside, buf = [], False, ""
            for ch in s:
                if ch == "`":
                    inside = not inside
                if ch == "|" and inside:
                    buf += "\\|"
                else:
                    buf += ch
            s = buf
        self.md.append(s)

    # ------------------------------------------------------------------ sections
    def machine(self):
        m = self.facts.get("machine", {})
        self.w("# Lifeboat benchmark results")
        self.w()
        self.w(f"- Date: {m.get('date', '?')}; run took {m.get('run_seconds', '?')} s; "
               f"scale {m.get('scale')}, {m.get('reps')} repetition(s) per line (median shown)"
               + ("; **--quick: for catching breakage, not for timing**" if str(m.get("quick")) == "1" else ""))
        self.w(f"- Machine: {m.get('cpu', '?')}, {m.get('cores', '?')} cores, {m.get('memory_gib', '?')} GiB; "
               f"{m.get('os', '?')}, {m.get('kernel', '?')}; load average at start {m.get('load_at_start', '?')}, "
               f"at end {m.get('load_at_end', '?')} (a shared machine: compare ratios within a run)")
        self.w(f"- PostgreSQL {m.get('postgres', '?')} (throwaway cluster on 127.0.0.1, shared_buffers 512MB, "
               f"autovacuum off, WAL archiving on); {m.get('pg_dump', '?')}")
        self.w(f"- {m.get('restic', '?')}; {m.get('pgbackrest', '?')}; {m.get('zstd', '?')}; "
               f".NET {m.get('dotnet', '?')}; Lifeboat {m.get('lifeboat', '?')} ({m.get('lifeboat_commit', '?')})")
        self.w()
        self.w("Times are wall-clock seconds. *Client CPU* is user+sys of the command and every process it started; "
               "*server CPU* is what the PostgreSQL cluster spent meanwhile. *Peak RSS* is the largest single process "
               "of the command (for a pipeline, the biggest of its processes). *Output* is the dump's size or what the "
               "repository grew by.")
        self.w()

    def dataset_header(self, ds):
        f = self.facts.get(ds, {})
        title = DATASET_TITLES.get(ds, ds)
        self.w(f"## {title}")
        self.w()
        parts = []
        if "db_bytes" in f:
            parts.append(f"database {fmt_mb(f['db_bytes'])} MB on disk")
        if "copy_bytes" in f:
            parts.append(f"COPY text {fmt_mb(f['copy_bytes'])} MB")
        if f.get("copy_zstd3_bytes"):
            parts.append(f"zstd -3 of the COPY text {fmt_mb(f['copy_zstd3_bytes'])} MB "
                         f"({f['copy_bytes'] / f['copy_zstd3_bytes']:.1f}x)")
        if "load_seconds" in f:
            parts.append(f"generated in {f['load_seconds']} s")
        self.w("; ".join(parts) + ".")
        tables = f.get("tables") or []
        if tables:
            self.w("Tables: " + ", ".join(f"{t['table']} ({t['rows']:,} rows, {fmt_mb(t['bytes'])} MB)" for t in tables) + ".")
        self.w()

    def backup_table(self, ds):
        ref = self.get(ds, "pgdump.fc")
        ref_size = self.get(ds, "pgdump.fc", "size_bytes")
        raw = self.raw_limit(ds)
        self.w("### Full backup")
        self.w()
        self.w("| command | wall s | × pg_dump -Fc | × raw limit | client CPU s | server CPU s | peak RSS MiB | output MB | size × pg_dump -Fc |")
        self.w("|---|---:|---:|---:|---:|---:|---:|---:|---:|")
        for line, label in BACKUP_LINES:
            a = self.agg.get(ds, {}).get(line)
            if not a or not a.get("ok"):
                self.w(f"| {label} | {self.missing_cell(ds, line)} | | | | | | | |")
                continue
            size = a.get("size_bytes")
            is_raw = line.startswith("raw.")
            self.w(f"| {label} | {fmt_s(a['wall_s'])} | {fmt_x(a['wall_s'], ref)} | {fmt_x(a['wall_s'], raw)} | "
                   f"{fmt_s(a['cpu_s'])} | {fmt_s(a.get('server_cpu_s'))} | {a['maxrss_mib']:.0f} | "
                   f"{'–' if is_raw else fmt_mb(size)} | {'–' if is_raw else fmt_x(size, ref_size)} |")
        self.w()

    def incremental_table(self, ds):
        self.w("### Incremental: five backups into one repository")
        self.w()
        self.w("Backup 1 of the unchanged database, 2 again unchanged, 3 after appending 1% new rows (nothing else), "
               "4 after appending another 1% and updating 0.1% of the rows among the newest 1% (what an application does), "
               "5 after a 1% UPDATE scattered uniformly over the big table (the worst case for a logical backup); each change "
               "is followed by VACUUM ANALYZE. *Stored* is what the repository grew by; *% of first* compares it with "
               "backup 1's growth.")
        self.w()
        self.w("| tool | backup | wall s | × pg_dump -Fc | peak RSS MiB | stored MB | % of first | notes |")
        self.w("|---|---|---:|---:|---:|---:|---:|---|")
        ref = self.get(ds, "pgdump.fc")
        f = self.facts.get(ds, {})
        for tool, label in SEQ_TOOLS:
            first = self.get(ds, f"{tool}.1", "size_bytes")
            for s in range(1, 5):
                line = f"{tool}.{s}"
                a = self.agg.get(ds, {}).get(line)
                if not a or not a.get("ok"):
                    if s == 1:
                        self.w(f"| {label} | | {self.missing_cell(ds, line)} | | | | | |")
                        break
                    self.w(f"| {label} | {s} {STEPS[s]} | {self.missing_cell(ds, line)} | | | | | |")
                    continue
                note = ""
                if tool == "pgbr":
                    info = f.get(f"pgbr.info.{s}.1")
                    if info and info.get("size"):
                        note = (f"{info['type']}: read {100.0 * info['delta'] / info['size']:.0f}% of the "
                                f"{fmt_mb(info['size'])} MB cluster")
                summ = a.get("lifeboat_summary")
                if summ and "newBytes" in summ and "bytesRead" in summ and summ["bytesRead"]:
                    note = f"new {100.0 * summ['newBytes'] / summ['bytesRead']:.2f}% of {fmt_mb(summ['bytesRead'])} MB read"
                    if a.get("lifeboat_seconds"):
                        note += f"; {a['lifeboat_seconds']:.1f} s from writer start to commit"
                self.w(f"| {label} | {s} {STEPS[s]} | {fmt_s(a['wall_s'])} | {fmt_x(a['wall_s'], ref)} | "
                       f"{a['maxrss_mib']:.0f} | {fmt_mb(a.get('size_bytes'))} | "
                       f"{'–' if s == 1 else fmt_pct(a.get('size_bytes'), first)} | {note} |")
        self.w()

    def restore_table(self, ds):
        self.w("### Restore and check (of backup 1)")
        self.w()
        self.w("| command | wall s | × pg_restore -j 2 | client CPU s | server CPU s | peak RSS MiB | verified |")
        self.w("|---|---:|---:|---:|---:|---:|---|")
        ref = self.get(ds, "pgrestore.j2")
        f = self.facts.get(ds, {})
        for line, label in RESTORE_LINES:
            a = self.agg.get(ds, {}).get(line)
            if not a or not a.get("ok"):
                self.w(f"| {label} | {self.missing_cell(ds, line)} | | | | | |")
                continue
            v = f.get(f"verified.{line}")
            vs = "row counts match" if v is True else ("ROW COUNTS DIFFER" if v is False else "")
            self.w(f"| {label} | {fmt_s(a['wall_s'])} | {fmt_x(a['wall_s'], ref)} | {fmt_s(a['cpu_s'])} | "
                   f"{fmt_s(a.get('server_cpu_s'))} | {a['maxrss_mib']:.0f} | {vs} |")
        self.w()

    # ------------------------------------------------------------------ targets
    def targets(self):
        rows = []

        def ratio(ds, line, refline, limit, label):
            v, r = self.get(ds, line), (self.raw_limit(ds) if refline == "raw" else self.get(ds, refline))
            if v is None or not r:
                return None
            return (f"{v / r:.2f}x", v / r <= limit)

        def growth(ds, tool, s, limit):
            first, g = self.get(ds, f"{tool}.1", "size_bytes"), self.get(ds, f"{tool}.{s}", "size_bytes")
            if first is None or g is None or not first:
                return None
            p = 100.0 * g / first
            return (f"{p:.2f}%", None if limit is None else p < limit)

        def faster(ds, tool):
            v = self.get(ds, f"{tool}.1")
            others = [(n, self.get(ds, n)) for n in ("restic.1", "pgbr.1")]
            others = [(n, x) for n, x in others if x is not None]
            if v is None or not others:
                return None
            text = ", ".join(f"{v / x:.2f}x {n.split('.')[0]}" for n, x in others)
            return (text, all(v < x for _, x in others))

        def size(ds, tool):
            v, r = self.get(ds, f"{tool}.1", "size_bytes"), self.get(ds, "pgdump.fc", "size_bytes")
            if v is None or not r:
                return None
            return (f"{v / r:.2f}x", v <= r)

        def memory(ds, tool):
            lines = [(k, a) for k, a in self.agg.get(ds, {}).items() if k.startswith(tool + ".") and a.get("ok")]
            if not lines:
                return None
            k, a = max(lines, key=lambda kv: kv[1]["maxrss_mib"])
            return (f"{a['maxrss_mib']:.0f} MiB ({k})", a["maxrss_mib"] < 300)

        def restore(ds, line):
            return ratio(ds, line, "pgrestore.j2", 1.0, "")

        spec = [
            ("backup on app-like ≥ 2x faster than `pg_dump -Fc` (≤ 0.50x)", ["app"], lambda ds, t: ratio(ds, f"{t}.1", "pgdump.fc", 0.5, "")),
            ("backup on app-like within 1.5x of the raw COPY limit", ["app"], lambda ds, t: ratio(ds, f"{t}.1", "raw", 1.5, "")),
            ("backup on pgbench within 1.5x of `pg_dump -Fc`", ["pgbench"], lambda ds, t: ratio(ds, f"{t}.1", "pgdump.fc", 1.5, "")),
            ("backup on pgbench faster than restic and pgBackRest", ["pgbench"], faster),
            ("restore ≤ 1.0x `pg_restore -j 2`", ["pgbench", "app"],
             lambda ds, t: restore(ds, "lbdb.restore" if t == "lbdb" else "lbstdin.restore")),
            ("restore ≤ 1.0x `pg_restore -j 2`, both without statistics (`--no-analyze`)", ["pgbench", "app"],
             lambda ds, t: restore(ds, "lbdb.restore_noanalyze") if t == "lbdb" else None),
            ("second (unchanged) backup stores < 1% new bytes", ["pgbench", "app"], lambda ds, t: growth(ds, t, 2, 1.0)),
            ("after appending 1% new rows, stores < 3%", ["pgbench", "app"], lambda ds, t: growth(ds, t, 3, 3.0)),
            ("append 1% + update 0.1% among the newest rows (reported)", ["pgbench", "app"], lambda ds, t: growth(ds, t, 4, None)),
            ("scattered 1% update (reported)", ["pgbench", "app"], lambda ds, t: growth(ds, t, 5, None)),
            ("first backup no larger than `pg_dump -Fc`", ["pgbench", "app"], size),
            ("peak RSS of every Lifeboat command < 300 MiB", ["pgbench", "app"], memory),
        ]
        self.w("## Targets (issue 7)")
        self.w()
        self.w("Measured on `lifeboat backup --db` (and, for information, on the stream path "
               "`pg_dump -Fc -Z0 | lifeboat backup --stdin`, restored with `lifeboat dump | pg_restore`).")
        self.w()
        self.w("| target | dataset | `backup --db` | `backup --stdin` |")
        self.w("|---|---|---|---|")
        for title, dss, fn in spec:
            for ds in dss:
                if ds not in self.datasets:
                    continue
                cells = []
                for tool in ("lbdb", "lbstdin"):
                    res = fn(ds, tool)
                    if res is None:
                        cells.append("not available" if tool == "lbdb" and not self.agg.get(ds, {}).get("lbdb.1") else "–")
                    else:
                        text, ok = res
                        mark = "" if ok is None else (" ✅" if ok else " ❌")
                        cells.append(text + mark)
                    rows.append({"target": title, "dataset": ds, "tool": tool,
                                 "value": None if res is None else res[0], "met": None if res is None else res[1]})
                self.w(f"| {title} | {ds} | {cells[0]} | {cells[1]} |")
        self.w()
        # Reference points for the scattered case.
        for ds in self.datasets:
            bits = []
            r = growth(ds, "restic", 5, None)
            if r:
                bits.append(f"restic stored {r[0]} of its first backup")
            info = self.facts.get(ds, {}).get("pgbr.info.5.1")
            if info and info.get("size"):
                bits.append(f"pgBackRest re-read {100.0 * info['delta'] / info['size']:.0f}% of the cluster")
            if bits:
                self.w(f"Scattered 1% update on {ds}, peers: " + "; ".join(bits) + ".")
        self.w()
        return rows

    def build(self):
        self.machine()
        targets = self.targets()
        for ds in self.datasets:
            self.dataset_header(ds)
            self.backup_table(ds)
            self.incremental_table(ds)
            self.restore_table(ds)
        failed = [r for r in self.runs if not r["ok"]]
        if failed or self.nas:
            self.w("## Not available and failures")
            self.w()
            for n in self.nas:
                self.w(f"- {n['dataset']} {n['line']}: not available: {n['reason']}")
            for r in failed:
                err = (r.get("error") or "").strip().splitlines()
                self.w(f"- {r['dataset']} {r['line']} #{r['rep']}: exit {r['exit']}"
                       + (f": `{err[-1][:200]}`" if err else ""))
            self.w()
        with open(os.path.join(self.out, "results.md"), "w") as f:
            f.write("\n".join(self.md).rstrip() + "\n")
        doc = {"machine": self.facts.get("machine", {}),
               "datasets": {ds: {"facts": self.facts.get(ds, {}), "lines": self.agg.get(ds, {})} for ds in self.datasets},
               "not_available": self.nas,
               "targets": targets,
               "runs": self.runs}
        with open(os.path.join(self.out, "results.json"), "w") as f:
            json.dump(doc, f, indent=1, sort_keys=True)


def main():
    if len(sys.argv) != 2:
        print(__doc__, file=sys.stderr)
        return 2
    Report(sys.argv[1]).build()
    return 0


if __name__ == "__main__":
    sys.exit(main())
