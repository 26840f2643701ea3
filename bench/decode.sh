#!/usr/bin/env bash
# Decode + crop throughput of the encoded-image pipeline (DecodeBench, one thread) against Pillow (one core) on the
# same JPEGs, interleaved (protospark train, Pillow rrc, protospark eval, Pillow centre, repeated), with the medians.
# Not part of the build or CI. Needs the job jar (mvn -B -ntp -o -q -DskipTests package) and /usr/bin/python3 with
# numpy and Pillow (Debian's python3-numpy, python3-pil).
#
#   bench/decode.sh [WORKDIR] [ROUNDS]      default /tmp/protospark-bench-decode, 3 rounds; 400 JPEGs of 500x375
#
# train: RandomResizedCrop(224) + flip; eval: shorter side to 224 + centre 224 crop (the transform of
# bench/pillow_decode.py's default mode, so both sides do the same work).
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
W="${1:-/tmp/protospark-bench-decode}"
ROUNDS="${2:-3}"
PY=/usr/bin/python3
JAR="$ROOT/spark-jobs/target/protospark-job.jar"
[ -f "$JAR" ] || { echo "missing $JAR: build it with mvn -B -ntp -o -q -DskipTests package" >&2; exit 1; }
mkdir -p "$W"
[ -d "$W/jpegs/train" ] || $PY "$ROOT/bench/gen_prepare.py" jpegs "$W/jpegs" 400
rate() { sed -n 's/.* = \([0-9.]*\) images\/s.*/\1/p'; }
declare -A all
for r in $(seq "$ROUNDS"); do
  for v in java-train pillow-rrc java-eval pillow-centre; do
    case $v in
      java-train) x=$(java -Xmx1g -cp "$JAR" io.protospark.jobs.examples.DecodeBench "$W/jpegs" train 224 | rate) ;;
      java-eval) x=$(java -Xmx1g -cp "$JAR" io.protospark.jobs.examples.DecodeBench "$W/jpegs" eval 224 224 | rate) ;;
      pillow-rrc) x=$($PY "$ROOT/bench/pillow_decode.py" "$W/jpegs" 224 rrc | rate) ;;
      pillow-centre) x=$($PY "$ROOT/bench/pillow_decode.py" "$W/jpegs" 224 | rate) ;;
    esac
    echo "round $r $v $x img/s"
    all[$v]="${all[$v]:-} $x"
  done
done
median() { tr ' ' '\n' | grep -v '^$' | sort -g | awk '{a[NR]=$1} END {print (NR % 2) ? a[(NR+1)/2] : (a[NR/2]+a[NR/2+1])/2}'; }
minimum() { tr ' ' '\n' | grep -v '^$' | sort -g | head -1; }
for p in "train java-train pillow-rrc" "eval java-eval pillow-centre"; do
  set -- $p
  j=$(echo "${all[$2]}" | median); q=$(echo "${all[$3]}" | median)
  echo "$1: protospark median $j img/s (worst $(echo "${all[$2]}" | minimum)), Pillow median $q img/s (worst $(echo "${all[$3]}" | minimum)), ratio $(echo "scale=2; $j / $q" | bc)"
done
