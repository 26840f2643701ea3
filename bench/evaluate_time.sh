#!/usr/bin/env bash
# Wall time of `protospark evaluate` (the whole command: JVM and Spark start, scoring, metrics, Parquet and JSON
# written) on a trained run of the main job over the Fashion-MNIST test split, REPEAT times; prints each time and the
# median, and the time inside the job (`(… s)` of its output line).
#
# Usage: bench/evaluate_time.sh RUN_DIR DATA [REPEAT=5]
#   RUN_DIR  a finished run of conf/fashion-mnist.conf (submit/protospark train ...)
#   DATA     its prepared data set (submit/protospark prepare --format idx ...)
# Needs the job jar (mvn -B -ntp install -DskipTests). Run it alone on the machine.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
RUN="$1"
DATA="$2"
REPEAT="${3:-5}"
OUT="$(mktemp -d)"
trap 'rm -rf "$OUT"' EXIT
walls=()
for i in $(seq 1 "$REPEAT"); do
  t0=$(date +%s.%N)
  line=$("$ROOT/submit/protospark" evaluate --model "$RUN" --data "$DATA" --out "$OUT/e$i" 2>/dev/null | tail -1)
  wall=$(echo "$(date +%s.%N) - $t0" | bc)
  walls+=("$wall")
  printf 'run %d: %.1f s wall; %s\n' "$i" "$wall" "$line"
done
printf '%s\n' "${walls[@]}" | sort -n | awk '{a[NR]=$1} END {m = NR % 2 ? a[(NR+1)/2] : (a[NR/2] + a[NR/2+1]) / 2; printf "median wall time %.1f s over %d runs (min %.1f, max %.1f)\n", m, NR, a[1], a[NR]}'
