#!/usr/bin/env bash
# Trains seed experiment files of conf/ for a short run on data of their format in local mode, with the launcher's
# default settings, and prints one table row per file: final train loss, test accuracy against chance, img/s, peak
# RSS, and whether the run crashed or diverged; then the per-file overrides. Never run by CI (tens of minutes on 2
# cores). docs/seed-experiments.md records the results.
#
#   bench/seed_configs.sh [CONF ...]        default: every CIFAR-shaped file in conf/
#   EXAMPLES=256 bench/seed_configs.sh conf/dsc-face-*.conf conf/dl2pa-imagenet-*.conf
#                                           the face (IResNet-100, 112x112) and ImageNet (ResNet-50, 224x224) files,
#                                           not in the default list: several minutes and 14-22 GB per file even at
#                                           EXAMPLES=256 (about 1 img/s on 2 cores); the face files do not fit a
#                                           24 GB machine in local mode (docs/seed-experiments.md)
#
# Environment: WORK (default /tmp/protospark-seed-configs) holds data and runs; EXAMPLES (default 1024) training
# examples per run; EPOCHS (default 1); MASTER (default local[2]); EXTRA: more key=value overrides for every train
# command; EVAL_PER_CLASS (default 5): evaluation images per class of the face and ImageNet data; PYTHON (default
# /usr/bin/python3, with numpy and Pillow) runs the generators; PROTOSPARK (default submit/protospark) is the
# launcher: a copy of it in DIR/submit/ runs the job jar copied to DIR/spark-jobs/target/ (protospark-job.jar and
# spark-home/), so that a rebuild in the checkout cannot replace the jar under a running job (conf files are still
# read from this checkout). PROTOSPARK_OFFHEAP and PROTOSPARK_DRIVER_MEMORY reach the launcher: the ImageNet file
# wants its header's PROTOSPARK_OFFHEAP=12G/14G.
#
# Data: bench/gen_cifar_from_fashion.py writes learnable CIFAR-10 / CIFAR-100 binaries from the real Fashion-MNIST
# (10,000 train / 500 test images; needs numpy and the Debian package dataset-fashion-mnist), then `prepare` makes
# the shards each file needs (CIFAR-100 first 20 classes for the DAM demo, CIFAR-10 long tail for DL2PA-LT, the
# ARPL CIFAR-10 split 0 for open set). For the face and ImageNet files bench/gen_shapes_from_fashion.py writes the ten
# Fashion-MNIST classes as InsightFace RecordIO at 112x112 (ten identities; `prepare --format recordio` holds out
# EVAL_PER_CLASS images per identity as split "validation", since RecordIO has no test split) and in the ILSVRC-2012
# layout at 256x256 (`prepare --format imagenet --image-size 224`: train/<wnid>/, a flat val/ of EVAL_PER_CLASS
# images per class, ground truth and synsets files). `max-train-examples` keeps the first examples by id and these
# formats number their images class by class, so both write ceil(EXAMPLES / 10) training images per class: the run
# sees all ten classes. EVAL_PER_CLASS stays small because evaluation scores each partition in minibatches of up to
# 256 images holding every layer's activations: 500 ResNet-50 val images at 224x224 ran out of memory in the first
# evaluation under the 14 GB that fit one training worker.
#
# Per-file overrides (printed under the table): the face and ImageNet files train with model.classes=10 (the files
# say 12000 and 1000; the classes column shows both) and train.workers=1 (their headers give one worker a whole
# executor; the ImageNet file's workers = 32 is its cluster's global batch of 1024); the face files evaluate
# train.eval-split=validation.
set -euo pipefail
repo=$(cd "$(dirname "$0")/.." && pwd)
work=${WORK:-/tmp/protospark-seed-configs}
examples=${EXAMPLES:-1024}
epochs=${EPOCHS:-1}
master=${MASTER:-local[2]}
python=${PYTHON:-/usr/bin/python3}
read -r -a extra <<< "${EXTRA:-}"
per_class=$(((examples + 9) / 10)) # training images per class of the face and ImageNet data
eval_per_class=${EVAL_PER_CLASS:-5}
ps=${PROTOSPARK:-$repo/submit/protospark}
mkdir -p "$work/runs" "$work/logs"

prepare() { # NAME FORMAT INPUT [ARGS...]
  local name=$1 format=$2 input=$3
  shift 3
  [[ -f $work/$name/manifest.json ]] && return 0
  "$ps" prepare --master "$master" --format "$format" --input "$input" --output "$work/$name" "$@" \
    > "$work/logs/prepare-$name.log" 2>&1 || { echo "prepare $name failed: see $work/logs/prepare-$name.log" >&2; exit 1; }
}

generate() { # KIND DIR ARGS...: bench/gen_shapes_from_fashion.py KIND DIR ARGS, once per DIR
  local kind=$1 dir=$2
  shift 2
  [[ -f $dir/.complete ]] && return 0
  rm -rf "$dir"
  "$python" "$repo/bench/gen_shapes_from_fashion.py" "$kind" "$dir" "$@" > /dev/null && touch "$dir/.complete"
}

[[ -d $work/raw10/cifar-10-batches-bin ]] || "$python" "$repo/bench/gen_cifar_from_fashion.py" cifar10 "$work/raw10" 10000 500 > /dev/null
[[ -d $work/raw100/cifar-100-binary ]] || "$python" "$repo/bench/gen_cifar_from_fashion.py" cifar100 "$work/raw100" 10000 500 > /dev/null

data_for() { # CONF -> shards directory
  case $(basename "$1") in
    dsc-dam-lenet-demo.conf) prepare c100-first20 cifar100 "$work/raw100/cifar-100-binary" --classes 20; echo "$work/c100-first20" ;;
    dl2pa-cifar10-lt-*) prepare c10-lt cifar10 "$work/raw10/cifar-10-batches-bin" --long-tail-ratio 0.01; echo "$work/c10-lt" ;;
    dsc-osr-cifar10-*) prepare c10-osr0 cifar10 "$work/raw10/cifar-10-batches-bin" --open-set cifar10:0; echo "$work/c10-osr0" ;;
    dsc-face-*) # per_class + eval_per_class images per identity, eval_per_class of them held out as "validation"
      local n=$((per_class + eval_per_class)) name=face-$per_class-$eval_per_class
      generate recordio "$work/raw-face-$n" "$n"
      prepare "$name" recordio "$work/raw-face-$n" \
        prepare.validation-fraction="$(awk -v v="$eval_per_class" -v n="$n" 'BEGIN { printf "%.12f", v / n }')"
      echo "$work/$name" ;;
    *imagenet*)
      local in=$work/raw-imagenet-$per_class-$eval_per_class
      generate imagenet "$in" "$per_class" "$eval_per_class"
      prepare "imagenet-$per_class-$eval_per_class" imagenet "$in" --image-size 224 \
        prepare.imagenet.val-ground-truth="$in/ILSVRC2012_validation_ground_truth.txt" prepare.imagenet.synsets="$in/synsets.txt"
      echo "$work/imagenet-$per_class-$eval_per_class" ;;
    *cifar100*) prepare c100 cifar100 "$work/raw100/cifar-100-binary"; echo "$work/c100" ;;
    *) prepare c10 cifar10 "$work/raw10/cifar-10-batches-bin"; echo "$work/c10" ;;
  esac
}

overrides_for() { # CONF -> the key=value overrides its small data needs, one per line
  case $(basename "$1") in
    dsc-face-*) printf '%s\n' model.classes=10 train.workers=1 train.eval-split=validation ;;
    *imagenet*) printf '%s\n' model.classes=10 train.workers=1 ;;
  esac
}

file_classes() { # CONF -> model.classes as the file sets it, or else the last file it includes that does
  local n inc
  n=$(awk -F'[ ,}]+' '/classes =/ { for (i = 1; i <= NF; i++) if ($i == "classes") { print $(i + 2); exit } }' "$1")
  if [[ -z $n ]]; then
    while read -r inc; do
      n=$(file_classes "$(dirname "$1")/$inc")
      [[ -n $n ]] && break
    done < <(sed -nE 's/^include "([^"]+)".*/\1/p' "$1" | tac)
  fi
  echo "${n:--}"
}

if (($# == 0)); then
  set -- $(ls "$repo"/conf/{reponet,dsc-cifar,dsc-osr,dsc-dam,dl2pa-cifar,spherenet,sphereresnet,cnn9}*.conf)
fi

printf '| file | classes | train loss | test accuracy | chance (+3 sd, n test) | img/s | peak RSS GB | seconds | outcome |\n'
printf '|---|---|---|---|---|---|---|---|---|\n'
notes=()
for conf in "$@"; do
  name=$(basename "$conf" .conf)
  data=$(data_for "$conf")
  mapfile -t over < <(overrides_for "$conf")
  over+=("${extra[@]}")
  run=$work/runs/$name
  rm -rf "$run"
  log=$work/logs/$name.log
  start=$(date +%s)
  set +e
  /usr/bin/time -f 'peak_rss_kb %M' "$ps" train --master "$master" --conf "$conf" --data "$data" --run-dir "$run" \
    --epochs "$epochs" train.max-train-examples="$examples" "${over[@]}" > "$log" 2>&1
  status=$?
  set -e
  seconds=$(($(date +%s) - start))
  # the classes the run trained for, from its resolved configuration (a conf file may take them from a base file it
  # includes); none when the run stopped before writing it
  classes=$(awk '/^    model \{/ { m = 1 } m && /^        classes=/ { sub(/.*=/, ""); print; exit }' \
    "$run/resolved.conf" 2> /dev/null || true)
  shown=${classes:--}
  for o in "${over[@]}"; do
    if [[ $o == model.classes=* || $o == protospark.model.classes=* ]]; then shown="$shown (file: $(file_classes "$conf"))"; fi
  done
  ((${#over[@]} == 0)) || notes+=("$name: ${over[*]}")
  rss=$(awk '/^peak_rss_kb/ { printf "%.1f", $2 / 1048576 }' "$log")
  last=$(grep -E "epoch [0-9]+/[0-9]+ +train_loss" "$log" | tail -1 || true)
  loss=$(sed -nE 's/.*train_loss ([^ ]+).*/\1/p' <<< "$last")
  acc=$(sed -nE 's/.*val_accuracy ([^ ]+).*/\1/p' <<< "$last")
  ips=$(sed -nE 's/.*\(([0-9.]+) img\/s\).*/\1/p' <<< "$last")
  chance=-
  [[ $classes =~ ^[0-9]+$ ]] && chance=$(awk -v k="$classes" 'BEGIN { printf "%.4f", 1 / k }')
  # "beats chance": more correct test predictions than chance plus three binomial standard deviations
  n_test=$(sed -nE 's/.* ([0-9]+) test examples.*/\1/p' "$log" | tail -1)
  bar=-
  [[ $chance != - ]] && bar=$(awk -v c="$chance" -v n="${n_test:-0}" 'BEGIN { if (n > 0) printf "%.4f", c + 3 * sqrt(c * (1 - c) / n); else print "-" }')
  if ((status != 0)); then
    if ((status == 137)); then outcome="killed (exit 137: SIGKILL, usually the kernel's out-of-memory killer)"
    elif ((status == 143)); then outcome="terminated (exit 143: SIGTERM from outside the job)"
    elif grep -q 'ran out of memory' "$log"; then
      outcome="out of memory (exit $status$(grep -q 'OutOfMemoryError: Java heap space' "$log" && echo ', Java heap' || true))"
    elif grep -q 'training loss is' "$log"; then outcome="diverged (exit $status)"
    else outcome="failed (exit $status): $(grep -m1 '^protospark:.*failed' "$log" | cut -c1-120 || true)"; fi
  elif [[ -z $last ]]; then outcome="exit 0 without an epoch line (see $log)"
  elif [[ -n $acc && $bar != - ]] && awk -v a="$acc" -v b="$bar" 'BEGIN { exit !(a > b) }'; then
    outcome="trains, beats chance"
  else outcome="trains, at chance"; fi
  printf '| %s | %s | %s | %s | %s (%s, %s) | %s | %s | %s | %s |\n' "$name" "$shown" "${loss:--}" "${acc:--}" "$chance" "$bar" "${n_test:--}" \
    "${ips:--}" "${rss:--}" "$seconds" "$outcome"
done
if ((${#notes[@]} > 0)); then
  printf '\nOverrides beyond --epochs %s and train.max-train-examples=%s:\n' "$epochs" "$examples"
  printf -- '- %s\n' "${notes[@]}"
fi
