#!/usr/bin/env bash
# Measures forget + prune: N daily snapshots of a SIZE-MiB stream with CHURN% of it rewritten each day,
# then forget --keep-last KEEP and prune; prints prune's time, peak memory (RSS) and report.
# Usage: bench/prune.sh [SIZE_MIB=100] [DAYS=20] [CHURN_PERCENT=2] [KEEP=5]
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
size=${1:-100} days=${2:-20} churn=${3:-2} keep=${4:-5}
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
export LIFEBOAT_REPO="$work/repo" LIFEBOAT_PASSWORD=bench
lb() { "$root/lifeboat" "$@"; }
lb init --kdf-memory 8 -q
head -c "$((size * 1024 * 1024))" /dev/urandom > "$work/db"
for day in $(seq 1 "$days"); do
    python3 - "$work/db" "$churn" "$day" <<'PY'
import os, random, sys
path, churn, seed = sys.argv[1], float(sys.argv[2]), int(sys.argv[3])
random.seed(seed)
size = os.path.getsize(path)
block = 64 * 1024
with open(path, "r+b") as f:
    for _ in range(int(size * churn / 100 / block)):
        f.seek(random.randrange(0, size - block))
        f.write(os.urandom(block))
PY
    lb backup --stdin --name db --time "$(date -u -d "2026-01-01 +$((day - 1)) days" +%Y-%m-%dT02:00:00Z)" -q < "$work/db"
done
echo "repository: $(du -sb "$work/repo" | cut -f1) bytes after $days snapshots"
lb forget --keep-last "$keep" -q
/usr/bin/time -f "prune: %e s wall, %M KiB peak RSS" "$root/lifeboat" prune --json > "$work/prune.json"
python3 -c "import json,sys; r=json.load(open(sys.argv[1])); print({k: r[k] for k in ('packsBefore','packsAfter','unusedPacksDeleted','packsRepacked','bytesCopied','repositoryBytesBefore','repositoryBytesAfter','bytesFreed','seconds','phaseSeconds')})" "$work/prune.json"
/usr/bin/time -f "check --read-data: %e s wall, %M KiB peak RSS" "$root/lifeboat" check --read-data -q
