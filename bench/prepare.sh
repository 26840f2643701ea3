#!/usr/bin/env bash
# Benchmarks of `protospark prepare` on generated inputs in the real formats (prints numbers; not a test).
#   bench/prepare.sh [WORKDIR]     needs /usr/bin/python3 with numpy and Pillow for the generators
# Prints: full-size CIFAR-10 conversion time; JPEG decode+resize images/s (protospark on local[1] and local[2],
# Pillow on one core); RecordIO read throughput in MB/s.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
W="${1:-/tmp/protospark-bench-prepare}"
PY=/usr/bin/python3
P="$ROOT/submit/protospark"
mkdir -p "$W"
secs() { local s e; s=$(date +%s.%N); "$@" > "$W/last.log" 2>&1 || { cat "$W/last.log"; exit 1; }; e=$(date +%s.%N); echo "$e - $s" | bc; }

[ -f "$W/cifar10/test_batch.bin" ] || $PY "$ROOT/bench/gen_prepare.py" cifar10 "$W/cifar10"
rm -rf "$W/cifar10-out"
t=$(secs "$P" prepare --format cifar10 --input "$W/cifar10" --output "$W/cifar10-out")
echo "cifar10 full size (60,000 records, 184 MB): $t s wall, launcher and Spark start included"

[ -d "$W/jpegs/train" ] || $PY "$ROOT/bench/gen_prepare.py" jpegs "$W/jpegs" 1000
n=$(find "$W/jpegs" -name '*.jpg' | wc -l)
for m in 'local[1]' 'local[2]'; do
  rm -rf "$W/jpegs-out"
  t=$(secs "$P" prepare --master "$m" --format imagefolder --input "$W/jpegs" --output "$W/jpegs-out" --image-size 224 prepare.store=pixels)
  echo "imagefolder $n JPEGs 500x375 -> 224 on $m: $t s wall = $(echo "scale=1; $n / $t" | bc) images/s (start-up included)"
done
$PY "$ROOT/bench/pillow_decode.py" "$W/jpegs" 224

[ -f "$W/rec/train.rec" ] || $PY "$ROOT/bench/gen_prepare.py" recordio "$W/rec" 20000 200
mb=$(du -m "$W/rec/train.rec" | cut -f1)
rm -rf "$W/rec-out"
t=$(secs "$P" prepare --format recordio --input "$W/rec" --output "$W/rec-out")
echo "recordio 20,000 records, $mb MB: $t s wall = $(echo "scale=1; $mb / $t" | bc) MB/s (start-up included)"
