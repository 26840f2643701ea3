#!/usr/bin/env bash
# Training / inference throughput of protospark's DL4J networks (stock layers and io.protospark.model.fast layers)
# against the same networks in PyTorch, when PyTorch is installed. Not part of the build or CI.
#
# Usage: bench/throughput.sh [-m "resnet20 resnet32 cnn9 small-cnn"] [-b "64 128"] [-t THREADS] [-i ITERATIONS]
#                            [-w WARMUP] [-s STOCK_ITERATIONS] [-r ROUNDS] [-o RESULTS.jsonl] [-v "stock fast torch"]
# Every (model, batch) is measured ROUNDS times with the variants interleaved (stock, fast, torch, stock, ...),
# so that load from other processes spreads over all of them; the table shows the median over rounds of each
# variant's img/s (each run itself reports batch / median iteration time), the ratios fast/stock and fast/torch,
# and the fraction of PEAK_GFLOPS the fast training reaches. Stock DL4J layers are 10-25x slower: -s gives them
# fewer timed iterations (and one warm-up instead of WARMUP) so that a full table stays within half an hour; -v picks
# the variants (default all three; torch only when PyTorch is installed), e.g. -v "fast torch" for the large networks.
# Any backbone of `protospark bench` can be measured; bench/torch_bench.py mirrors resnet20, resnet32, resnet18-cifar,
# resnet50-cifar, resnet50-imagenet, cnn9, iresnet50, iresnet100, small-cnn and spherenet9 (cosine SphereConv), e.g.
# -m spherenet9 -b 128 -v "fast torch" (the fast column is then FastSphereConv, on oneDNN's convolutions).
# -w sets the untimed warm-up steps of fast and torch (default 3); DL4J's workspaces size themselves over the first
# steps (as many as the graph has vertices), so ~10 is closer to a long run's steady state.
#
# Environment:
#   PROTOSPARK_BENCH   command that runs the bench command (default: submit/protospark bench)
#   PYTHON             Python with torch (default: the first of python3, /usr/bin/python3 that imports torch)
#   OMP_WAIT_POLICY, GOMP_SPINCOUNT
#                      libgomp's idle-thread policy, passed to both frameworks when set; unset, both run at
#                      libgomp's default (idle threads spin, then sleep), the fastest setting for PyTorch here
#   PEAK_GFLOPS        FP32 FMA peak of the cores used, for the fraction column (default 371: 2 cores x 185.7
#                      GFLOP/s, an AVX-512 FMA loop measured on the project's 2-core machine; oneDNN and PyTorch's
#                      mkldnn both dispatch to AVX-512 there. The AVX2 peak is half of it.)
set -euo pipefail

here=$(cd -P -- "$(dirname -- "${BASH_SOURCE[0]}")" && pwd)
repo=$(cd -P -- "$here/.." && pwd)
models="resnet20 resnet32 cnn9 small-cnn"
batches="64 128"
threads=2
iterations=10
warmup=3
stock_iterations=''
rounds=3
results=''
variants='stock fast torch'
while getopts 'm:b:t:i:w:s:r:o:v:h' opt; do
  case $opt in
    m) models=$OPTARG ;;
    b) batches=$OPTARG ;;
    t) threads=$OPTARG ;;
    i) iterations=$OPTARG ;;
    w) warmup=$OPTARG ;;
    s) stock_iterations=$OPTARG ;;
    r) rounds=$OPTARG ;;
    o) results=$OPTARG ;;
    v) variants=$OPTARG ;;
    h) sed -n '2,27p' "$0"; exit 0 ;;
    *) sed -n '2,27p' "$0" >&2; exit 2 ;;
  esac
done
stock_iterations=${stock_iterations:-$iterations}
[[ $threads =~ ^[1-9][0-9]*$ && $iterations =~ ^[1-9][0-9]*$ && $stock_iterations =~ ^[1-9][0-9]*$ \
   && $rounds =~ ^[1-9][0-9]*$ && $warmup =~ ^[0-9]+$ ]] \
  || { echo "throughput.sh: -t, -i, -s and -r need positive integers and -w a non-negative one (got '$threads'," \
         "'$iterations', '$stock_iterations', '$rounds', '$warmup')" >&2; exit 2; }
read -r -a bench_cmd <<< "${PROTOSPARK_BENCH:-$repo/submit/protospark bench}"
peak=${PEAK_GFLOPS:-371}
results=${results:-$(mktemp -t protospark-throughput.XXXXXX.jsonl)}
: > "$results"

python=${PYTHON:-}
if [[ -z $python ]]; then
  for p in python3 /usr/bin/python3; do
    if command -v "$p" > /dev/null && "$p" -c 'import torch' 2> /dev/null; then python=$p; break; fi
  done
fi
[[ -n $python ]] || echo "throughput.sh: PyTorch not found; measuring DL4J only (apt-get install python3-torch)" >&2

export OMP_NUM_THREADS=$threads
run() { # VARIANT MODEL BATCH -> appends one JSON line tagged with the variant
  local variant=$1 model=$2 batch=$3 line
  case $variant in
    torch) line=$("$python" "$here/torch_bench.py" --model "$model" --batch "$batch" --iterations "$iterations" \
                  --warmup "$warmup" --threads "$threads") ;;
    fast) line=$("${bench_cmd[@]}" --model "$model" --batch "$batch" --iterations "$iterations" \
                  --warmup "$warmup" --threads "$threads" --fast true 2> /dev/null | grep '^{' | tail -1) ;;
    stock) line=$("${bench_cmd[@]}" --model "$model" --batch "$batch" --iterations "$stock_iterations" --warmup 1 \
                  --threads "$threads" --fast false 2> /dev/null | grep '^{' | tail -1) ;;
  esac
  [[ $line == '{'* ]] || { echo "throughput.sh: $variant $model batch $batch printed no JSON line" >&2; return 1; }
  printf '{"variant":"%s",%s\n' "$variant" "${line#\{}" >> "$results"
  printf '%s\n' "$variant $model b$batch: $line" >&2
}

for v in $variants; do
  [[ $v == stock || $v == fast || $v == torch ]] \
    || { echo "throughput.sh: -v takes stock, fast and torch (got '$v')" >&2; exit 2; }
done
[[ -n $python ]] || variants=${variants//torch/}
for model in $models; do
  for batch in $batches; do
    for ((r = 1; r <= rounds; r++)); do
      for v in $variants; do run "$v" "$model" "$batch"; done
    done
  done
done

python3 - "$results" "$peak" << 'EOF'
import json, statistics, sys
rows = [json.loads(l) for l in open(sys.argv[1]) if l.strip()]
peak = float(sys.argv[2])
keys = sorted({(r["model"], r["batch"]) for r in rows}, key=lambda k: (k[0], k[1]))
def med(model, batch, variant, key):
    v = [r[key] for r in rows if (r["model"], r["batch"], r["variant"]) == (model, batch, variant)]
    return statistics.median(v) if v else float("nan")
print(f"{'model':<18}{'batch':>6} | {'train img/s: stock':>18}{'fast':>9}{'torch':>9}{'fast/stock':>11}{'fast/torch':>11} | "
      f"{'infer img/s: stock':>18}{'fast':>9}{'torch':>9}{'fast/torch':>11} | {'fast GFLOP/s':>12}{'of peak':>8}"
      f"{'RSS MB':>8}")
for model, batch in keys:
    t = [med(model, batch, v, "train_img_per_s") for v in ("stock", "fast", "torch")]
    i = [med(model, batch, v, "infer_img_per_s") for v in ("stock", "fast", "torch")]
    g = med(model, batch, "fast", "gflops")
    rss = med(model, batch, "fast", "peak_rss_mb")
    print(f"{model:<18}{batch:>6} | {t[0]:>18.1f}{t[1]:>9.1f}{t[2]:>9.1f}{t[1] / t[0]:>11.1f}{t[1] / t[2]:>11.2f} | "
          f"{i[0]:>18.1f}{i[1]:>9.1f}{i[2]:>9.1f}{i[1] / i[2]:>11.2f} | {g:>12.1f}{g / peak:>8.1%}{rss:>8.0f}")
print(f"(medians over rounds; peak {peak:g} GFLOP/s; raw results: {sys.argv[1]})")
EOF
