#!/usr/bin/env bash
# short.sh HARNESS SEEDS OUT SECONDS - fuzz for SECONDS from the seed
# corpus (new inputs go to OUT, the seeds stay as they are); a crash fails
# the test and leaves its input in OUT/crash-* to be kept as a crasher.
set -euo pipefail
h=$1 seeds=$2 out=$3 secs=$4
mkdir -p "$out/corpus"
exec "$h" -max_total_time="$secs" -timeout=10 -rss_limit_mb=2048 -max_len=65536 \
  -print_final_stats=1 -artifact_prefix="$out/" "$out/corpus" "$seeds"
