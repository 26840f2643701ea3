#!/usr/bin/env bash
# The README's "Fine-tuning a face model" commands end to end on stand-ins of their inputs: an arcface_torch-shaped
# IResNet-18 with random weights as backbone.pth (torch_iresnet.py), ten Fashion-MNIST classes as InsightFace RecordIO
# identities at 112 x 112 (bench/gen_shapes_from_fashion.py) as faces_emore/, and 600 Fashion-MNIST pairs as an
# InsightFace .bin (bench/metrics/make_verification_data.py) as lfw.bin. The DSC DAM face file runs with the overrides
# below (ten identities, IResNet-18, D = 64, one local worker, 2 epochs; inference in minibatches of 24 as the face
# file has it: at 32, evaluate's pass over the pairs was killed by the kernel at 24.4 GB resident on this machine). Checks that each command works and that
# the verification numbers reach metrics.jsonl and evaluation.json; the accuracies themselves mean little (random
# backbone, two short epochs). About 22 minutes on 2 cores (IResNet-18 at 112 x 112 trains at about 2.5 img/s and
# infers at about 10 img/s here). Needs /usr/bin/python3 with python3-torch, numpy and PIL; not run by CI.
#
# Usage: bench/pretrained/finetune_e2e.sh WORK_DIR [PER_ID]   (PER_ID training images per identity, default 40)
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
W="$1"
PER_ID="${2:-40}"
P="${PROTOSPARK:-$ROOT/submit/protospark}"
CONF="$ROOT/conf/dsc-face-dam-iresnet100.conf"
SMALL=(model.backbone=iresnet18 model.classes=10 model.embedding-dim=64 model.head.radius=10 train.workers=1
  train.epochs=2 train.batch-size=16 train.eval.batch-size=24 train.report=false)
rm -rf "$W"
mkdir -p "$W/src"
/usr/bin/python3 "$ROOT/bench/pretrained/torch_iresnet.py" "$W/src" iresnet18 4 > /dev/null
/usr/bin/python3 "$ROOT/bench/gen_shapes_from_fashion.py" recordio "$W/faces_emore" "$((PER_ID + 5))" > /dev/null
/usr/bin/python3 "$ROOT/bench/metrics/make_verification_data.py" /usr/share/datasets/fashion-mnist "$W/src" > /dev/null
cp "$W/src/bins/fmnist_pairs.bin" "$W/faces_emore/lfw.bin"
cp "$W/src/backbone.pth" "$W/backbone.pth"
n=0
step() { local t0 log; t0=$(date +%s); n=$((n + 1)); log="$W/step$n.log"
  "$@" 2> "$log" | tail -1 || { tail -20 "$log"; exit 1; }
  echo "  ($(( $(date +%s) - t0 )) s, log $log)"; }
# 1. the pretrained backbone into the network of the experiment file
step "$P" import --conf "$CONF" --from "$W/backbone.pth" --backbone iresnet18 --out "$W/pretrained/model.zip" "${SMALL[@]}"
# 2. the identities (5 per identity held out as "validation": RecordIO has no test split)
step "$P" prepare --format recordio --input "$W/faces_emore" --output "$W/faces" \
  prepare.validation-fraction="$(awk -v n="$((PER_ID + 5))" 'BEGIN { printf "%.12f", 5 / n }')"
# 3. the verification pairs, at the network's input size
step "$P" prepare --format verification-bin --input "$W/faces_emore" --output "$W/verification" --image-size 112
# 4. fine-tune from the import, lfw scored after every epoch, the best epoch by mean verification accuracy
step "$P" train --conf "$CONF" --data "$W/faces" --run-dir "$W/run" "${SMALL[@]}" train.eval-split=validation \
  train.init-from="$W/pretrained/model.zip" "train.eval.sets=[{name = lfw, data = \"$W/verification\", split = lfw}]" \
  train.checkpoint.monitor=verification.mean_accuracy train.checkpoint.keep-best=1
# 5. the best checkpoint on the verification pairs
step "$P" evaluate --model "$W/run" --checkpoint best --data "$W/verification" --split lfw --out "$W/eval"
/usr/bin/python3 - "$W" <<'PY'
import json, sys
w = sys.argv[1]
lines = [json.loads(l) for l in open(f"{w}/run/metrics.jsonl")]
for l in lines:
    print(f"epoch {l['epoch']}: train_loss {l['train_loss']:.4f} lfw.accuracy {l['lfw.accuracy']:.4f} "
          f"verification.mean_accuracy {l['verification.mean_accuracy']:.4f}")
ev = json.load(open(f"{w}/eval/evaluation.json"))
print("evaluate --checkpoint best:", ev["model"]["which"], "lfw accuracy", ev["verification"]["lfw"]["roc"]["accuracy_mean"])
PY
