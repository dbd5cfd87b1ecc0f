#!/usr/bin/env bash
# Storage throughput: backup and restore (dump) of one ~500 MB stream with the repository on local
# disk and on the S3 emulator (s3rver) at --connections 1, 4 and 8, and copy between two
# repositories (local -> local, local -> S3). Prints a markdown table and the S3/local ratios
# (issue 4's target: with 4+ connections the S3 path reaches at least 70 % of the local figure).
#
# usage: bench/storage.sh [SIZE_MB (default 500)] [OUT_DIR (default bench/out)]
# needs: tests/emulators installed (tests/emulators/install), node, the .NET SDK.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
size_mb="${1:-500}"
out_dir="${2:-$root/bench/out}"
mkdir -p "$out_dir"
work="$(mktemp -d /tmp/lifeboat-bench-storage-XXXXXX)"
s3pid=""
cleanup() {
    if [ -n "$s3pid" ]; then kill "$s3pid" 2>/dev/null || true; wait "$s3pid" 2>/dev/null || true; fi
    rm -rf "$work"
}
trap cleanup EXIT

lifeboat() { "$root/lifeboat" "$@"; }
lifeboat --help >/dev/null # builds once, quietly

# The stream: base64 of random bytes (compresses to ~76 %, so zstd and the chunker do real work).
data="$work/stream.bin"
head -c $((size_mb * 1024 * 1024 * 3 / 4)) /dev/urandom | base64 -w 120 >"$data"
bytes=$(stat -c %s "$data")

# s3rver on a free port, with the conditional-write shim the tests use.
port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
mkdir -p "$work/s3rver"
node --openssl-legacy-provider "$root/tests/emulators/s3rver-launch.js" -d "$work/s3rver" -p "$port" --bucket bench >/dev/null 2>&1 &
s3pid=$!
for _ in $(seq 1 100); do
    (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null && break
    sleep 0.1
done
export AWS_ACCESS_KEY_ID=S3RVER AWS_SECRET_ACCESS_KEY=S3RVER AWS_REGION=us-east-1
export LIFEBOAT_PASSWORD="bench password" LIFEBOAT_FROM_PASSWORD="bench password"
s3opts=(-o s3.checksum=when_required)

# seconds COMMAND...: runs COMMAND, prints its wall time in seconds.
seconds() {
    local start end
    start=$(date +%s.%N)
    "$@"
    end=$(date +%s.%N)
    echo "$end - $start" | bc -l
}
rate() { echo "scale=1; $bytes / 1048576 / $1" | bc -l; }

declare -A backup restore
run_target() { # name location connections
    local name="$1" location="$2" connections="$3"
    lifeboat -q -r "$location" "${s3opts[@]}" init --kdf-memory 8 >/dev/null
    backup[$name]=$(seconds lifeboat -q -r "$location" "${s3opts[@]}" --connections "$connections" backup --stdin --name stream.bin <"$data")
    restore[$name]=$(seconds sh -c "'$root/lifeboat' -q -r '$location' ${s3opts[*]} --connections $connections dump latest stream.bin >/dev/null")
}

for c in 1 4 8; do
    run_target "local-$c" "$work/local-$c" "$c"
    run_target "s3-$c" "s3:http://127.0.0.1:$port/bench/repo-$c" "$c"
done

# Copy: from the local repository into a fresh local one and into a fresh S3 one (4 connections).
lifeboat -q -r "$work/copy-local" init --kdf-memory 8 >/dev/null
copy_local=$(seconds lifeboat -q -r "$work/copy-local" copy --from "$work/local-4")
lifeboat -q -r "s3:http://127.0.0.1:$port/bench/copy" "${s3opts[@]}" init --kdf-memory 8 >/dev/null
copy_s3=$(seconds lifeboat -q -r "s3:http://127.0.0.1:$port/bench/copy" "${s3opts[@]}" --connections 4 copy --from "$work/local-4")

report="$out_dir/storage-$(date -u +%Y%m%dT%H%M%SZ).md"
{
    echo "# Storage throughput ($((bytes / 1048576)) MiB stream, $(nproc) cores, load $(cut -d' ' -f1 /proc/loadavg))"
    echo
    echo "| repository | connections | backup MiB/s | restore MiB/s | backup vs local | restore vs local |"
    echo "|---|---|---|---|---|---|"
    for c in 1 4 8; do
        lb=${backup[local-$c]}; lr=${restore[local-$c]}
        echo "| local disk | $c | $(rate "$lb") | $(rate "$lr") | 100 % | 100 % |"
        sb=${backup[s3-$c]}; sr=${restore[s3-$c]}
        echo "| s3rver | $c | $(rate "$sb") | $(rate "$sr") | $(echo "scale=0; 100 * $lb / $sb" | bc -l) % | $(echo "scale=0; 100 * $lr / $sr" | bc -l) % |"
    done
    echo
    echo "| copy | MiB/s (of stream read from the source) |"
    echo "|---|---|"
    echo "| local -> local | $(rate "$copy_local") |"
    echo "| local -> s3rver (4 connections) | $(rate "$copy_s3") |"
} | tee "$report"
echo "written to $report" >&2
