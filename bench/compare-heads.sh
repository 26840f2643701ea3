#!/usr/bin/env bash
# Fashion-MNIST comparison of heads and losses with one backbone and one budget: every variant trains the same small
# CNN (9-d or 10-d embedding) on the same examples for the same epochs through `protospark train` on local Spark,
# then this prints one table row per variant from its metrics.jsonl (last-epoch accuracy, seconds per epoch).
# Usage: bench/compare-heads.sh [path=value ...]   e.g. train.max-train-examples=20000 train.epochs=2
# Needs the job jar (mvn -DskipTests package) and Fashion-MNIST (apt-get install dataset-fashion-mnist).
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
INPUT="${FASHION_MNIST_DIR:-/usr/share/datasets/fashion-mnist}"
RUNS="${PROTOSPARK_RUNS:-$ROOT/runs}/compare-heads-$(date +%Y%m%d-%H%M%S)"
DATA="${PROTOSPARK_RUNS:-$ROOT/runs}/fashion-mnist-data"
mkdir -p "$RUNS"
if [ ! -f "$DATA/manifest.json" ]; then
  "$ROOT/submit/protospark" prepare --conf "$ROOT/conf/fashion-mnist.conf" --format idx --input "$INPUT" --output "$DATA"
fi
# name | overrides (the base is conf/fashion-mnist.conf: small CNN, 9-d embedding, Adam 0.002)
VARIANTS=(
  "learned-softmax|model.head.kind=learned model.embedding-dim=10"
  "normalized-softmax|model.head.kind=normalized model.embedding-dim=10"
  "fixed-simplex-ce|model.head.kind=fixed model.head.prototypes=simplex"
  "fixed-simplex-ce-dynamic|model.head.prototypes=simplex train.assignment.mode=dynamic"
  "dsc-nirvana-mse|model.head.prototypes=dsc-centres model.head.radius=5 model.head.loss=nirvana-mse"
  "dsc-nirvana-hinge|model.head.prototypes=dsc-centres model.head.radius=5 model.head.loss=nirvana-hinge"
  "dsc-nirvana-softmax|model.head.prototypes=dsc-centres model.head.radius=5 model.head.loss=nirvana-softmax"
  "dl2pa-squared-cosine|model.head.prototypes=estimated model.head.estimation.objective=uniformity model.head.loss=squared-cosine"
)
printf '%-26s %9s %9s %12s %s\n' variant accuracy s/epoch img/s run
for v in "${VARIANTS[@]}"; do
  name="${v%%|*}"
  read -r -a extra <<< "${v#*|}"
  "$ROOT/submit/protospark" train --conf "$ROOT/conf/fashion-mnist.conf" --data "$DATA" --run-dir "$RUNS/$name" \
    "${extra[@]}" "$@" > "$RUNS/$name.log" 2>&1 || { echo "$name failed, see $RUNS/$name.log"; continue; }
  python3 - "$RUNS/$name" "$name" <<'PY'
import json, sys, statistics
rows = [json.loads(l) for l in open(sys.argv[1] + "/metrics.jsonl")]
last = rows[-1]
print("%-26s %9.4f %9.1f %12.0f %s" % (sys.argv[2], last["val_accuracy"],
      statistics.median(r["seconds"] for r in rows),
      statistics.median(r["train_examples_per_second"] for r in rows), sys.argv[1]))
PY
done
