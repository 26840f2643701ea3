#!/usr/bin/env bash
# Fashion-MNIST comparisons with one backbone and one budget: every variant of a set trains the small CNN of
# conf/fashion-mnist.conf on the same examples for the same epochs through `protospark train` on local Spark, then
# this prints one table row per variant from its metrics.jsonl (last-epoch accuracy, median seconds per epoch).
#   heads:  learned / weight-normalised softmax, fixed simplex (static and dynamic assignment), DSC's Nirvana losses
#           (the open-set loss with outlier exposure: tile-shuffled Fashion-MNIST images, bench/gen_outliers.py),
#           DL2PA's squared cosine and its long-tail loss with mixup
#   sphere: the plain CNN against SphereConv operators and MHE / CoMHE regularisers
# Usage: bench/compare.sh heads|sphere [path=value ...]   e.g. bench/compare.sh heads train.max-train-examples=20000
#        ONLY="learned-softmax dsc-open-set" bench/compare.sh heads   runs only the variants named
# Needs the job jar (mvn -DskipTests package) and Fashion-MNIST (apt-get install dataset-fashion-mnist).
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
INPUT="${FASHION_MNIST_DIR:-/usr/share/datasets/fashion-mnist}"
SET="${1:?usage: bench/compare.sh heads|sphere [path=value ...]}"
shift
RUNS="${PROTOSPARK_RUNS:-$ROOT/runs}/compare-$SET-$(date +%Y%m%d-%H%M%S)"
DATA="${PROTOSPARK_RUNS:-$ROOT/runs}/fashion-mnist-data"
mkdir -p "$RUNS"
if [ ! -f "$DATA/manifest.json" ]; then
  "$ROOT/submit/protospark" prepare --conf "$ROOT/conf/fashion-mnist.conf" --format idx --input "$INPUT" --output "$DATA"
fi
OUTLIERS="${PROTOSPARK_RUNS:-$ROOT/runs}/fashion-mnist-outliers"
# name | overrides (the base is conf/fashion-mnist.conf: small CNN, 9-d embedding, Adam 0.002)
case "$SET" in
  heads) VARIANTS=(
    "learned-softmax|model.head.kind=learned model.embedding-dim=10"
    "normalized-softmax|model.head.kind=normalized model.embedding-dim=10"
    "fixed-simplex-ce|model.head.kind=fixed model.head.prototypes=simplex"
    "fixed-simplex-ce-dynamic|model.head.prototypes=simplex train.assignment.mode=dynamic"
    "dsc-nirvana-mse|model.head.prototypes=dsc-centres model.head.radius=5 model.head.loss=nirvana-mse"
    "dsc-nirvana-hinge|model.head.prototypes=dsc-centres model.head.radius=5 model.head.loss=nirvana-hinge"
    "dsc-nirvana-softmax|model.head.prototypes=dsc-centres model.head.radius=5 model.head.loss=nirvana-softmax"
    "dsc-open-set|model.head.prototypes=dsc-centres model.head.radius=5 model.head.loss=nirvana-open-set model.head.open-set.margin=10 train.outliers.data=$OUTLIERS train.outliers.per-batch=32"
    "dl2pa-squared-cosine|model.head.prototypes=estimated model.head.estimation.objective=uniformity model.head.loss=squared-cosine"
    "dl2pa-long-tail-mixup|model.head.prototypes=estimated model.head.estimation.objective=uniformity model.head.loss=long-tail-dot-regression train.mixup.alpha=1"
  ) ;;
  sphere) VARIANTS=(
    "plain-cnn|model.head.kind=learned model.embedding-dim=10"
    "sphere-cosine|model.head.kind=learned model.embedding-dim=10 model.sphere.small-cnn=true model.sphere.operator=cosine"
    "sphere-linear|model.head.kind=learned model.embedding-dim=10 model.sphere.small-cnn=true model.sphere.operator=linear"
    "sphere-sigmoid|model.head.kind=learned model.embedding-dim=10 model.sphere.small-cnn=true model.sphere.operator=sigmoid"
    "sphere-learnable-sigmoid|model.head.kind=learned model.embedding-dim=10 model.sphere.small-cnn=true model.sphere.operator=learnable-sigmoid"
    "mhe-s2|model.head.kind=learned model.embedding-dim=10 model.energy.form=2 model.energy.half-space=false model.energy.classifier-layer=head"
    "half-mhe-s2|model.head.kind=learned model.embedding-dim=10 model.energy.form=2 model.energy.half-space=true model.energy.classifier-layer=head"
    "comhe-random|model.head.kind=learned model.embedding-dim=10 model.energy.form=2 model.energy.classifier-layer=head model.energy.projection=random"
    "comhe-angle-preserving|model.head.kind=learned model.embedding-dim=10 model.energy.form=2 model.energy.classifier-layer=head model.energy.projection=angle-preserving"
    "comhe-adversarial|model.head.kind=learned model.embedding-dim=10 model.energy.form=2 model.energy.classifier-layer=head model.energy.projection=adversarial"
  ) ;;
  *) echo "unknown comparison set '$SET'; use heads or sphere" >&2; exit 2 ;;
esac
printf '%-26s %9s %9s %12s %s\n' variant accuracy s/epoch img/s run
for v in "${VARIANTS[@]}"; do
  name="${v%%|*}"
  if [ -n "${ONLY:-}" ] && [[ " $ONLY " != *" $name "* ]]; then continue; fi
  if [[ "$v" == *"$OUTLIERS"* ]] && [ ! -f "$OUTLIERS/manifest.json" ]; then
    python3 "$ROOT/bench/gen_outliers.py" "$INPUT" "$OUTLIERS-raw" 20000
    "$ROOT/submit/protospark" prepare --format idx --input "$OUTLIERS-raw" --output "$OUTLIERS" > "$RUNS/outliers.log" 2>&1
  fi
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
