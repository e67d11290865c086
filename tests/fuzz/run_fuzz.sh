#!/usr/bin/env bash
# Runs one libFuzzer target for a fixed time on a fresh copy of its corpus:
# run_fuzz.sh TARGET WORK_DIR SECONDS SEED_DIR... A crash (or a leak, or an
# escaped exception) fails the test; libFuzzer writes the input that caused it
# into WORK_DIR (crash-*), to be minimized and committed as a seed (README.md).
set -euo pipefail
target=$1 work=$2 seconds=$3
shift 3
rm -rf "$work"
mkdir -p "$work/corpus"
exec "$target" -max_total_time="$seconds" -timeout=10 -rss_limit_mb=2048 -print_final_stats=1 \
  -artifact_prefix="$work/" "$work/corpus" "$@"
