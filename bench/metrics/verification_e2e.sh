#!/usr/bin/env bash
# Face verification end to end on real images, recomputed with InsightFace's own code: Fashion-MNIST as RGB image
# folders and as an InsightFace .bin of 600 pairs (same class = same identity), a small model trained 2 epochs,
# `evaluate` and `embed --flip-sum true` on the pairs, then bench/metrics/verification_recompute.py.
#
# Usage: INSIGHTFACE_VERIFICATION=.../recognition/arcface_torch/eval/verification.py bench/metrics/verification_e2e.sh WORK_DIR
# Needs the job jar, /usr/share/datasets/fashion-mnist (apt: dataset-fashion-mnist), /usr/bin/python3 with numpy,
# PIL, scikit-learn and SciPy (apt: python3-pil python3-sklearn python3-scipy), node and npm (hyparquet is installed
# into WORK_DIR). About 3 minutes on 2 cores.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
W="$1"
: "${INSIGHTFACE_VERIFICATION:?set INSIGHTFACE_VERIFICATION to the path of eval/verification.py of InsightFace}"
P="$ROOT/submit/protospark"
mkdir -p "$W"
/usr/bin/python3 "$ROOT/bench/metrics/make_verification_data.py" /usr/share/datasets/fashion-mnist "$W/src"
"$P" prepare --format imagefolder --input "$W/src/images" --output "$W/data" --image-size 28 prepare.store=pixels 2>/dev/null | tail -1
"$P" prepare --format verification-bin --input "$W/src/bins" --output "$W/pairs" --image-size 28 2>/dev/null | tail -1
"$P" train --conf conf/fashion-mnist.conf --data "$W/data" --run-dir "$W/run" model.input.channels=3 train.epochs=2 \
  train.report=false 2>/dev/null | tail -1
"$P" evaluate --model "$W/run" --data "$W/pairs" --split fmnist_pairs --out "$W/ev" 2>/dev/null | tail -1
"$P" embed --model "$W/run" --data "$W/pairs" --split fmnist_pairs --out "$W/emb" --flip-sum true 2>/dev/null | tail -1
if [[ -z ${HYPARQUET_DIR:-} ]]; then
  HYPARQUET_DIR="$W/node"
  mkdir -p "$HYPARQUET_DIR"
  (cd "$HYPARQUET_DIR" && npm install --silent hyparquet hyparquet-compressors > /dev/null)
fi
HYPARQUET_DIR=$HYPARQUET_DIR /usr/bin/python3 "$ROOT/bench/metrics/verification_recompute.py" "$W/ev" "$W/emb" fmnist_pairs
