#!/usr/bin/env python3
"""Runs one measured command and appends one JSON record to the results file (JSON lines).

  measure.py run  --results F --dataset D --line L --rep K [--logdir DIR] [--stdout FILE]
                  [--size PATH] [--grow PATH] [--pgpid PID] [--timeout S] -- COMMAND
  measure.py na   --results F --dataset D --line L --reason TEXT
  measure.py fact --results F --dataset D --key K --value V

COMMAND is a bash command line (run with `bash -o pipefail -c`), so a pipeline fails when any part fails.

What is recorded for `run`:
  wall_s        elapsed time (monotonic clock)
  user_s/sys_s  CPU time of the command and every process it started (wait4 rusage of the whole tree)
  server_cpu_s  CPU time the PostgreSQL cluster spent meanwhile (postmaster + its children, from /proc),
                so a client that makes the server work (COPY, pg_dump) is not flattered
  maxrss_kib    peak resident set of the largest single process in the tree (ru_maxrss semantics, as
                /usr/bin/time -v reports it)
  size_bytes    --size: bytes of PATH after the run (file or directory); --grow: bytes PATH grew by
  stdout_json   the command's stdout when it is JSON (e.g. a Lifeboat --json summary)
"""
import argparse
import json
import os
import signal
import subprocess
import sys
import time

CLK = os.sysconf("SC_CLK_TCK")


def du_bytes(path):
    """Apparent size in bytes, like du -sb."""
    if not os.path.exists(path):
        return 0
    if os.path.isfile(path):
        return os.path.getsize(path)
    total = 0
    for root, dirs, files in os.walk(path):
        for name in files:
            try:
                total += os.lstat(os.path.join(root, name)).st_size
            except OSError:
                pass
    return total


def proc_cpu(pid, with_children):
    try:
        with open(f"/proc/{pid}/stat") as f:
            fields = f.read().rsplit(")", 1)[1].split()
        # after the comm field: state(0) ppid(1) ... utime(11) stime(12) cutime(13) cstime(14)
        t = int(fields[11]) + int(fields[12])
        if with_children:
            t += int(fields[13]) + int(fields[14])
        return t, int(fields[1])
    except (OSError, IndexError, ValueError):
        return 0, -1


def cluster_children(pgpid):
    """PIDs of the postmaster's live children."""
    pids = set()
    for entry in os.listdir("/proc"):
        if entry.isdigit() and int(entry) != pgpid and proc_cpu(int(entry), False)[1] == pgpid:
            pids.add(int(entry))
    return pids


def cluster_cpu_ticks(pgpid):
    """CPU ticks of the postmaster, its live children and all children it has reaped.

    A backend that exits while the children are being read would be lost (its time moves into the
    postmaster's cutime after that was read) or counted twice: the postmaster is read before and after
    the children, and the reading is retried until both agree."""
    if not pgpid:
        return None
    for _ in range(50):
        before, _ = proc_cpu(pgpid, True)
        total = before
        for child in cluster_children(pgpid):
            t, ppid = proc_cpu(child, True)
            if ppid == pgpid:
                total += t
        after, _ = proc_cpu(pgpid, True)
        if after == before:
            return total
    return total


def wait_for_backends(pgpid, baseline, timeout=5.0):
    """Waits (up to timeout s) until the backends the command started have exited, so that their CPU
    time is in the postmaster's reaped-children total: a client's backend outlives it by a moment."""
    if not pgpid:
        return
    deadline = time.monotonic() + timeout
    while cluster_children(pgpid) - baseline and time.monotonic() < deadline:
        time.sleep(0.02)


def append(results, record):
    with open(results, "a") as f:
        f.write(json.dumps(record, sort_keys=True) + "\n")


def cmd_run(a, command):
    logpath = None
    if a.logdir:
        os.makedirs(a.logdir, exist_ok=True)
        logpath = os.path.join(a.logdir, f"{a.dataset}.{a.line}.{a.rep}.log")
    grow_before = du_bytes(a.grow) if a.grow else None
    baseline = cluster_children(a.pgpid) if a.pgpid else set()
    cpu0 = cluster_cpu_ticks(a.pgpid)
    out = open(a.stdout, "wb") if a.stdout else subprocess.DEVNULL
    err = open(logpath, "wb") if logpath else subprocess.DEVNULL
    t0 = time.monotonic()
    p = subprocess.Popen(["bash", "-o", "pipefail", "-c", command], stdout=out, stderr=err,
                         stdin=subprocess.DEVNULL, start_new_session=True)
    timed_out = False
    status = None
    ru = None
    deadline = t0 + a.timeout if a.timeout else None

    def stop(signum, frame):
        # The command runs in its own session (so a timeout can kill all of it): pass Ctrl-C / kill on.
        try:
            os.killpg(p.pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
        sys.exit(128 + signum)

    signal.signal(signal.SIGINT, stop)
    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGHUP, stop)
    while True:
        pid, status, ru = os.wait4(p.pid, os.WNOHANG)
        if pid == p.pid:
            break
        if deadline and time.monotonic() > deadline:
            timed_out = True
            try:
                os.killpg(p.pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
            _, status, ru = os.wait4(p.pid, 0)
            break
        time.sleep(0.01)
    wall = time.monotonic() - t0
    p.returncode = os.waitstatus_to_exitcode(status)
    if a.stdout:
        out.close()
    if logpath:
        err.close()
    wait_for_backends(a.pgpid, baseline)
    cpu1 = cluster_cpu_ticks(a.pgpid)
    rec = {
        "kind": "run", "dataset": a.dataset, "line": a.line, "rep": a.rep,
        "exit": p.returncode, "ok": p.returncode == 0 and not timed_out, "timed_out": timed_out,
        "wall_s": round(wall, 3),
        "user_s": round(ru.ru_utime, 3), "sys_s": round(ru.ru_stime, 3),
        "cpu_s": round(ru.ru_utime + ru.ru_stime, 3),
        "maxrss_kib": ru.ru_maxrss,
        "command": command,
    }
    if cpu0 is not None and cpu1 is not None:
        rec["server_cpu_s"] = round((cpu1 - cpu0) / CLK, 2)
    if a.size:
        rec["size_bytes"] = du_bytes(a.size)
    if a.grow:
        rec["size_bytes"] = du_bytes(a.grow) - grow_before
    if a.stdout and os.path.exists(a.stdout):
        try:
            with open(a.stdout) as f:
                rec["stdout_json"] = json.load(f)
        except (ValueError, UnicodeDecodeError):
            pass
    if not rec["ok"] and logpath and os.path.exists(logpath):
        with open(logpath, errors="replace") as f:
            rec["error"] = "".join(f.readlines()[-15:])[-2000:]
    append(a.results, rec)
    status_text = "ok" if rec["ok"] else ("TIMEOUT" if timed_out else f"FAILED (exit {p.returncode})")
    size = f" {rec['size_bytes'] / 1e6:.1f} MB" if "size_bytes" in rec else ""
    print(f"  {a.dataset:8} {a.line:24} #{a.rep} {wall:7.2f} s  cpu {rec['cpu_s']:6.2f} s"
          f"  rss {ru.ru_maxrss / 1024:6.0f} MiB{size}  {status_text}", file=sys.stderr)
    return 0 if rec["ok"] else 1


def main():
    argv = sys.argv[1:]
    command = None
    if "--" in argv:
        i = argv.index("--")
        argv, command = argv[:i], " ".join(argv[i + 1:])
    ap = argparse.ArgumentParser()
    ap.add_argument("mode", choices=["run", "na", "fact"])
    ap.add_argument("--results", required=True)
    ap.add_argument("--dataset", default="")
    ap.add_argument("--line", default="")
    ap.add_argument("--rep", type=int, default=1)
    ap.add_argument("--logdir")
    ap.add_argument("--stdout")
    ap.add_argument("--size")
    ap.add_argument("--grow")
    ap.add_argument("--pgpid", type=int)
    ap.add_argument("--timeout", type=float)
    ap.add_argument("--reason")
    ap.add_argument("--key")
    ap.add_argument("--value")
    a = ap.parse_args(argv)
    if a.mode == "run":
        if not command:
            ap.error("run needs -- COMMAND")
        return cmd_run(a, command)
    if a.mode == "na":
        append(a.results, {"kind": "na", "dataset": a.dataset, "line": a.line, "reason": a.reason or ""})
        print(f"  {a.dataset:8} {a.line:24} not available: {a.reason}", file=sys.stderr)
        return 0
    value = a.value
    try:
        value = json.loads(a.value)
    except (TypeError, ValueError):
        pass
    append(a.results, {"kind": "fact", "dataset": a.dataset, "key": a.key, "value": value})
    return 0


if __name__ == "__main__":
    sys.exit(main())
