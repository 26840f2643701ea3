#!/usr/bin/env bash
# PyTorch → protospark import parity: an arcface_torch-shaped IResNet with random weights and statistics
# (torch_iresnet.py), saved as PyTorch saves it; `protospark import` into a protospark IResNet; `prepare --format npy`
# of the same images and `embed`; the embeddings compared with PyTorch's (compare.py). Also the float16 file with
# DataParallel's "module." prefix. A benchmark script (needs /usr/bin/python3 with Debian's python3-torch, node and
# npm for hyparquet); CI does not run it.
#
# Usage: bench/pretrained/import_parity.sh WORK_DIR [iresnet18|iresnet34|iresnet50|iresnet100] [N_IMAGES]
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
W="$1"
NET="${2:-iresnet18}"
N="${3:-16}"
P="${PROTOSPARK:-$ROOT/submit/protospark}"
mkdir -p "$W"
/usr/bin/python3 "$ROOT/bench/pretrained/torch_iresnet.py" "$W" "$NET" "$N"
# the input of arcface_torch: 3 x 112 x 112 RGB, (x / 255 - 0.5) / 0.5; a 512-d embedding (the head is irrelevant)
MODEL=(model.input.height=112 model.input.width=112 model.input.channels=3 "model.input.mean=[0.5,0.5,0.5]"
  "model.input.std=[0.5,0.5,0.5]" model.embedding-dim=512 model.classes=10 model.head.kind=learned)
rm -rf "$W/data"
"$P" prepare --format npy --input "$W/images.npy" --output "$W/data" "prepare.labels=$W/labels.npy" 2>/dev/null | tail -1
if [[ -z ${HYPARQUET_DIR:-} ]]; then
  HYPARQUET_DIR="$W/node"
  mkdir -p "$HYPARQUET_DIR"
  (cd "$HYPARQUET_DIR" && npm install --silent hyparquet hyparquet-compressors > /dev/null)
fi
status=0
for variant in fp32:backbone.pth fp16:backbone-fp16-module.pth; do
  name=${variant%%:*}
  file=${variant#*:}
  rm -rf "$W/model-$name" "$W/emb-$name"
  "$P" import --from "$W/$file" --backbone "$NET" --out "$W/model-$name/model.zip" "${MODEL[@]}" 2>/dev/null | tail -1
  "$P" embed --model "$W/model-$name/model.zip" --data "$W/data" --split train --out "$W/emb-$name" "model.backbone=$NET" \
    "${MODEL[@]}" 2>/dev/null | tail -1
  HYPARQUET_DIR=$HYPARQUET_DIR /usr/bin/python3 "$ROOT/bench/pretrained/compare.py" "$W/emb-$name" \
    "$W/torch-$name.npy" "$NET $name" || status=1
done
exit $status
