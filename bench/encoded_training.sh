#!/usr/bin/env bash
# Training from encoded JPEG shards against training from pre-decoded pixel shards: the same network
# (conf/dl2pa-imagenet-resnet50-d512.conf's ResNet-50 at 224 x 224 by default), the same images, one worker in local
# mode. The encoded run decodes each JPEG on the executor and draws RandomResizedCrop + flip per example
# (train.images.*, decode threads ahead of training); the pixel run reads the stored 224 x 224 centre crops. Runs
# alternate ROUNDS times; prints each run's train img/s (metrics.jsonl, fit time only) and the median ratio
# encoded / pixels: >= 0.9 means decoding hides behind the network's compute. Not part of CI.
#
# Usage: bench/encoded_training.sh [WORKDIR] [ROUNDS] [IMAGES] [path=value ...]
#        e.g. bench/encoded_training.sh /tmp/ps-encoded 3 192 protospark.train.batch-size=16
# Needs the job jar (mvn -B -ntp -o -q -DskipTests package) and /usr/bin/python3 with numpy and Pillow to write the
# JPEGs (500 x 375, quality 90, 10 classes; bench/gen_prepare.py). CONF=FILE trains another configuration.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
W="${1:-/tmp/protospark-bench-encoded}"
ROUNDS="${2:-3}"
IMAGES="${3:-192}"
shift 3 || shift $# || true
CONF="${CONF:-$ROOT/conf/dl2pa-imagenet-resnet50-d512.conf}"
PS="$ROOT/submit/protospark"
export PROTOSPARK_OFFHEAP="${PROTOSPARK_OFFHEAP:-12G/14G}"
mkdir -p "$W"
[ -d "$W/jpegs/train" ] || /usr/bin/python3 "$ROOT/bench/gen_prepare.py" jpegs "$W/jpegs" "$IMAGES"
[ -f "$W/encoded/manifest.json" ] || "$PS" prepare --format imagefolder --input "$W/jpegs" --output "$W/encoded" >/dev/null
[ -f "$W/pixels/manifest.json" ] || "$PS" prepare --format imagefolder --input "$W/jpegs" --output "$W/pixels" \
    --image-size 224 protospark.prepare.store=pixels >/dev/null
# one epoch, one worker of 2 threads, no DL2PA warm-up, the test split not scored every epoch beyond what train does
COMMON=(protospark.model.classes=10 protospark.train.workers=1 protospark.train.epochs=1
        protospark.model.optimizer.warmup-epochs=0 protospark.train.report=false "$@")
rate() { python3 -c 'import json,sys; print(json.loads(open(sys.argv[1]).read().splitlines()[-1])["train_examples_per_second"])' "$1"; }
enc=(); pix=()
for r in $(seq "$ROUNDS"); do
  for v in encoded pixels; do
    run="$W/run-$v-$r"
    rm -rf "$run"
    extra=()
    # the pixel shards hold 224 x 224 centre crops, trained with flip only
    [ "$v" = pixels ] && extra=(protospark.train.images.random-resized-crop=false)
    "$PS" train --conf "$CONF" --data "$W/$v" --run-dir "$run" "${COMMON[@]}" "${extra[@]}" > "$W/$v-$r.log" 2>&1 \
      || { echo "train on $v failed: $W/$v-$r.log" >&2; exit 1; }
    x=$(rate "$run/metrics.jsonl")
    echo "round $r $v $x img/s"
    if [ "$v" = encoded ]; then enc+=("$x"); else pix+=("$x"); fi
  done
done
python3 - "${enc[*]}" "${pix[*]}" <<'PY'
import statistics, sys
e = [float(x) for x in sys.argv[1].split()]
p = [float(x) for x in sys.argv[2].split()]
ratios = sorted(a / b for a, b in zip(e, p))
print(f"encoded median {statistics.median(e):.2f} img/s, pixels median {statistics.median(p):.2f} img/s; "
      f"encoded / pixels per round: median {statistics.median(ratios):.3f}, worst {ratios[0]:.3f}")
PY
