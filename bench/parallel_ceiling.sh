#!/usr/bin/env bash
# The machine's own ceiling for scaling 1 -> 2 workers, without Spark: one worker's computation (`protospark bench`,
# one native thread, the main job's network by default) run alone, then two copies at once, ROUNDS times interleaved.
# Prints each run's train img/s (batch / median step) and the ratio of a copy's speed in the pair to the solo run:
# on a machine whose cores are fully independent it is about 1.0; below that, the cores slow each other's work down
# whatever the framework does (shared caches, memory bandwidth, SMT siblings). A rough figure: both JVMs of a pair
# also compile and collect garbage while being timed.
# bench/rounds.sh measures the same network trained by Spark; docs/scaling.md compares the two. Not part of CI.
#
# Usage: bench/parallel_ceiling.sh [ROUNDS] [bench options ...]
#        e.g. bench/parallel_ceiling.sh 3 --model small-cnn --batch 64 --iterations 400 --warmup 30
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
ROUNDS="${1:-3}"
shift || true
ARGS=("$@")
if [ ${#ARGS[@]} -eq 0 ]; then
  ARGS=(--model small-cnn --batch 64 --iterations 400 --warmup 30 --fast true)
fi
BENCH=("$ROOT/submit/protospark" bench --threads 1 "${ARGS[@]}")
OUT="$(mktemp -d)"
trap 'rm -rf "$OUT"' EXIT
rate() { python3 -c 'import json,sys; print(json.loads(open(sys.argv[1]).read().splitlines()[-1])["train_img_per_s"])' "$1"; }
echo "round  solo img/s  pair img/s (a, b)  pair/solo (a, b)"
ratios=()
for r in $(seq 1 "$ROUNDS"); do
  "${BENCH[@]}" > "$OUT/solo" 2>/dev/null
  "${BENCH[@]}" > "$OUT/a" 2>/dev/null &
  a=$!
  "${BENCH[@]}" > "$OUT/b" 2>/dev/null
  wait "$a"
  s=$(rate "$OUT/solo"); x=$(rate "$OUT/a"); y=$(rate "$OUT/b")
  line=$(python3 -c "import sys; s,x,y=map(float,sys.argv[1:]); print(f'{x/s:.3f} {y/s:.3f}')" "$s" "$x" "$y")
  ratios+=($line)
  printf '%5d  %10.1f  %8.1f, %8.1f     %s\n' "$r" "$s" "$x" "$y" "${line/ /, }"
done
python3 - "${ratios[@]}" <<'PY'
import statistics, sys
r = sorted(map(float, sys.argv[1:]))
print(f"pair/solo over {len(r)} copies: median {statistics.median(r):.3f}, worst {r[0]:.3f}, best {r[-1]:.3f}"
      " (how much two copies slow each other down here with nothing exchanged)")
PY
