#!/usr/bin/env bash
# Parameter averaging against gradient sharing (train.master = sharing) for the main job on a real Spark standalone
# cluster of 2 executors x 1 core: conf/fashion-mnist.conf on real Fashion-MNIST, the same epochs, minibatch and
# examples, runs interleaved (averaging, sharing, averaging, sharing). Prints each run's validation accuracy per epoch,
# train img/s per epoch (fit time, metrics.jsonl) and the bytes moved per worker minibatch step. Runs SharingBench
# through Failsafe, which builds the job jar and the Spark home first; the cluster, its logs and run directories are
# under spark-jobs/target/cluster-it. Not part of CI.
#
# Usage: bench/sharing.sh [EXAMPLES] [EPOCHS] [PAIRS] [path=value ...]   e.g. bench/sharing.sh 20000 3 2
# Needs Fashion-MNIST's IDX files (apt-get install dataset-fashion-mnist) or FASHION_MNIST_DIR.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
INPUT="${FASHION_MNIST_DIR:-/usr/share/datasets/fashion-mnist}"
EXAMPLES="${1:-20000}"
EPOCHS="${2:-3}"
PAIRS="${3:-2}"
shift 3 || shift $# || true
cd "$ROOT"
mvn -B -ntp -o -q -pl spark-jobs -am verify -Dtest=none -Dsurefire.failIfNoSpecifiedTests=false \
  -Dit.test=SharingBench -Dit.failIfNoSpecifiedTests=false -Dmaven.test.redirectTestOutputToFile=true \
  -Dsharing.input="$INPUT" -Dsharing.examples="$EXAMPLES" -Dsharing.epochs="$EPOCHS" -Dsharing.pairs="$PAIRS" \
  -Dsharing.overrides="$*" \
  || { echo "SharingBench failed: see spark-jobs/target/failsafe-reports" >&2; exit 1; }
out=spark-jobs/target/failsafe-reports/io.protospark.jobs.cluster.SharingBench-output.txt
if [ -f "$out" ]; then sed -n '/^main job on 2 executors/,$p' "$out"; fi
