#!/usr/bin/env bash
# Parameter-averaging efficiency: the main job's network and data through the one training loop on Spark local[2],
# as 2 workers x 1 native thread (the automatic setting), 2 workers x 2 threads (every worker sized to all cores,
# the old behaviour) and 1 worker x 2 threads (one JVM with the same total threads; averaging a single worker is a
# no-op but the round trip is paid), plus the same network trained in one JVM without Spark (`bench small-cnn`).
# Rows interleave per round; prints train img/s (fit time only, metrics.jsonl, of the last of EPOCHS epochs, default
# 2, so that JIT and workspace warm-up stay out of it) per variant, medians over rounds, and the ratios to the
# 1-worker figure. Also prints one round's bytes from provenance.json.
# Usage: bench/spark_scaling.sh [ROUNDS] [path=value ...]   e.g. bench/spark_scaling.sh 2 train.max-train-examples=20000
# Needs the job jar (mvn -DskipTests package) and Fashion-MNIST (apt-get install dataset-fashion-mnist).
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
INPUT="${FASHION_MNIST_DIR:-/usr/share/datasets/fashion-mnist}"
ROUNDS="${1:-2}"
EPOCHS="${EPOCHS:-2}"
shift || true
RUNS="${PROTOSPARK_RUNS:-$ROOT/runs}/spark-scaling-$(date +%Y%m%d-%H%M%S)"
DATA="${PROTOSPARK_RUNS:-$ROOT/runs}/fashion-mnist-data"
mkdir -p "$RUNS"
if [ ! -f "$DATA/manifest.json" ]; then
  "$ROOT/submit/protospark" prepare --conf "$ROOT/conf/fashion-mnist.conf" --format idx --input "$INPUT" --output "$DATA"
fi
VARIANTS=(
  "2x1|train.workers=2 train.threads-per-worker=1"
  "2x2|train.workers=2 train.threads-per-worker=2"
  "1x2|train.workers=1 train.threads-per-worker=2"
)
for r in $(seq 1 "$ROUNDS"); do
  for v in "${VARIANTS[@]}"; do
    name="${v%%|*}"
    read -r -a extra <<< "${v#*|}"
    "$ROOT/submit/protospark" train --master 'local[2]' --conf "$ROOT/conf/fashion-mnist.conf" --data "$DATA" \
      --run-dir "$RUNS/$name-$r" train.epochs="$EPOCHS" "${extra[@]}" "$@" > "$RUNS/$name-$r.log" 2>&1 \
      || { echo "$name round $r failed, see $RUNS/$name-$r.log" >&2; exit 1; }
  done
  "$ROOT/submit/protospark" bench --model small-cnn --batch 64 --threads 2 --iterations 30 --warmup 10 \
    --fast true 2> "$RUNS/jvm-$r.log" | tail -1 > "$RUNS/jvm-$r.json"
done
python3 - "$RUNS" "$ROUNDS" <<'PY'
import json, statistics, sys
runs, rounds = sys.argv[1], int(sys.argv[2])
def rate(name, r):
    lines = [l for l in open(f"{runs}/{name}-{r}/metrics.jsonl") if l.strip()]
    return json.loads(lines[-1])["train_examples_per_second"]
rows = {n: [rate(n, r) for r in range(1, rounds + 1)] for n in ("2x1", "2x2", "1x2")}
rows["jvm (no Spark)"] = [json.loads(open(f"{runs}/jvm-{r}.json").read())["train_img_per_s"] for r in range(1, rounds + 1)]
base = statistics.median(rows["1x2"])
print("%-16s %12s %10s  %s" % ("workers x threads", "img/s", "vs 1x2", "per round"))
for n, v in rows.items():
    m = statistics.median(v)
    print("%-16s %12.0f %9.2fx  %s" % (n, m, m / base, " ".join("%.0f" % x for x in v)))
for n in ("2x1", "1x2"):
    p = json.load(open(f"{runs}/{n}-1/provenance.json"))
    print(n, "round:", json.dumps(p.get("round")), "threads per worker:", p.get("threads_per_worker"))
PY
