#!/usr/bin/env bash
# Trains seed experiment files of conf/ for a short run on CIFAR-format data in local mode, with the launcher's
# default settings, and prints one table row per file: final train loss, test accuracy against chance, img/s, peak
# RSS, and whether the run crashed or diverged. Never run by CI (tens of minutes on 2 cores).
#
#   bench/seed_configs.sh [CONF ...]        default: every CIFAR-shaped file in conf/
#
# Environment: WORK (default /tmp/protospark-seed-configs) holds data and runs; EXAMPLES (default 1024) training
# examples per run; EPOCHS (default 1); MASTER (default local[2]).
# Data: bench/gen_cifar_from_fashion.py writes learnable CIFAR-10 / CIFAR-100 binaries from the real Fashion-MNIST
# (10,000 train / 500 test images; needs numpy and the Debian package dataset-fashion-mnist), then `prepare` makes
# the shards each file needs (CIFAR-100 first 20 classes for the DAM demo, CIFAR-10 long tail for DL2PA-LT, the
# ARPL CIFAR-10 split 0 for open set).
set -euo pipefail
repo=$(cd "$(dirname "$0")/.." && pwd)
work=${WORK:-/tmp/protospark-seed-configs}
examples=${EXAMPLES:-1024}
epochs=${EPOCHS:-1}
master=${MASTER:-local[2]}
ps=$repo/submit/protospark
mkdir -p "$work/runs" "$work/logs"

prepare() { # NAME FORMAT INPUT [ARGS...]
  local name=$1 format=$2 input=$3
  shift 3
  [[ -f $work/$name/manifest.json ]] && return 0
  "$ps" prepare --master "$master" --format "$format" --input "$input" --output "$work/$name" "$@" \
    > "$work/logs/prepare-$name.log" 2>&1 || { echo "prepare $name failed: see $work/logs/prepare-$name.log" >&2; exit 1; }
}

[[ -d $work/raw10/cifar-10-batches-bin ]] || python3 "$repo/bench/gen_cifar_from_fashion.py" cifar10 "$work/raw10" 10000 500 > /dev/null
[[ -d $work/raw100/cifar-100-binary ]] || python3 "$repo/bench/gen_cifar_from_fashion.py" cifar100 "$work/raw100" 10000 500 > /dev/null

data_for() { # CONF -> shards directory
  case $(basename "$1") in
    dsc-dam-lenet-demo.conf) prepare c100-first20 cifar100 "$work/raw100/cifar-100-binary" --classes 20; echo "$work/c100-first20" ;;
    dl2pa-cifar10-lt-*) prepare c10-lt cifar10 "$work/raw10/cifar-10-batches-bin" --long-tail-ratio 0.01; echo "$work/c10-lt" ;;
    dsc-osr-cifar10-*) prepare c10-osr0 cifar10 "$work/raw10/cifar-10-batches-bin" --open-set cifar10:0; echo "$work/c10-osr0" ;;
    *cifar100*) prepare c100 cifar100 "$work/raw100/cifar-100-binary"; echo "$work/c100" ;;
    *) prepare c10 cifar10 "$work/raw10/cifar-10-batches-bin"; echo "$work/c10" ;;
  esac
}

if (($# == 0)); then
  set -- $(ls "$repo"/conf/{reponet,dsc-cifar,dsc-osr,dsc-dam,dl2pa-cifar,spherenet,sphereresnet,cnn9}*.conf)
fi

printf '| file | classes | train loss | test accuracy | chance (+3 sd, n test) | img/s | peak RSS GB | seconds | outcome |\n'
printf '|---|---|---|---|---|---|---|---|---|\n'
for conf in "$@"; do
  name=$(basename "$conf" .conf)
  data=$(data_for "$conf")
  run=$work/runs/$name
  rm -rf "$run"
  log=$work/logs/$name.log
  start=$(date +%s)
  set +e
  /usr/bin/time -f 'peak_rss_kb %M' "$ps" train --master "$master" --conf "$conf" --data "$data" --run-dir "$run" \
    --epochs "$epochs" train.max-train-examples="$examples" > "$log" 2>&1
  status=$?
  set -e
  seconds=$(($(date +%s) - start))
  # the classes the run trained for, from its resolved configuration (a conf file may take them from a base file it
  # includes); none when the run stopped before writing it
  classes=$(awk '/^    model \{/ { m = 1 } m && /^        classes=/ { sub(/.*=/, ""); print; exit }' \
    "$run/resolved.conf" 2> /dev/null || true)
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
    if grep -q 'ran out of memory' "$log"; then outcome="out of memory (exit $status)"
    elif grep -q 'training loss is' "$log"; then outcome="diverged (exit $status)"
    elif ((status == 137)); then outcome="killed (exit 137: SIGKILL, the kernel's out-of-memory killer)"
    else outcome="failed (exit $status): $(grep -m1 '^protospark:.*failed' "$log" | cut -c1-120 || true)"; fi
  elif [[ -n $acc && $bar != - ]] && awk -v a="$acc" -v b="$bar" 'BEGIN { exit !(a > b) }'; then
    outcome="trains, beats chance"
  else outcome="trains, at chance"; fi
  printf '| %s | %s | %s | %s | %s (%s, %s) | %s | %s | %s | %s |\n' "$name" "${classes:--}" "${loss:--}" "${acc:--}" "$chance" "$bar" "${n_test:--}" \
    "${ips:--}" "${rss:--}" "$seconds" "$outcome"
done
