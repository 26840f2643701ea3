#!/usr/bin/env bash
# Round costs and scaling of the main job on a real Spark standalone cluster: conf/fashion-mnist.conf on real
# Fashion-MNIST, trained on 1 worker (1 executor of 1 core), then on 2 (2 executors of 1 core each) with the same
# minibatch per worker. Prints train img/s of the last epoch (fit time only, from metrics.jsonl), the scaling
# efficiency (img/s with 2 / (2 x img/s with 1)) and each run's per-round cost breakdown (the `rounds` object of
# metrics.jsonl, docs/operations.md). Runs RoundCostsBench through Failsafe, which builds the job jar and the Spark
# home first; the cluster, its logs and run directories are under spark-jobs/target/cluster-it. Not part of CI.
#
# Usage: bench/rounds.sh [EXAMPLES] [EPOCHS] [path=value ...]   e.g. bench/rounds.sh 20000 2
#        e.g. bench/rounds.sh 20000 2 protospark.train.averaging-frequency=40
# Needs Fashion-MNIST's IDX files (apt-get install dataset-fashion-mnist) or FASHION_MNIST_DIR.
# CPU_LOG=FILE also samples, every 2 s, the CPU the cluster's JVMs use and wait for and the rest of the machine's load
# (bench/cpu_sample.py) into FILE; `bench/scaling_model.py validate` reads the printout with FILE beside it
# (docs/scaling.md).
# EXECUTOR_CPU=CORES holds every executor to CORES cores in a cgroup of its own (bench/cap_executors.py, root), the
# same in both runs, e.g. 0.8 on a 2-core machine so that the driver's CPU does not come out of the executors' share
# only in the 2-executor run.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
INPUT="${FASHION_MNIST_DIR:-/usr/share/datasets/fashion-mnist}"
EXAMPLES="${1:-20000}"
EPOCHS="${2:-2}"
shift 2 || shift $# || true
cd "$ROOT"
if [ -n "${CPU_LOG:-}" ]; then
  python3 "$ROOT/bench/cpu_sample.py" "$ROOT/spark-jobs/target" "$CPU_LOG" &
  sampler=$!
fi
if [ -n "${EXECUTOR_CPU:-}" ]; then
  python3 "$ROOT/bench/cap_executors.py" "$ROOT/spark-jobs/target" "$EXECUTOR_CPU" &
  capper=$!
fi
trap 'kill ${sampler:-} ${capper:-} 2>/dev/null || true' EXIT
mvn -B -ntp -o -q -pl spark-jobs -am verify -Dtest=none -Dsurefire.failIfNoSpecifiedTests=false \
  -Dit.test=RoundCostsBench -Dit.failIfNoSpecifiedTests=false -Dmaven.test.redirectTestOutputToFile=true \
  -Drounds.input="$INPUT" -Drounds.examples="$EXAMPLES" -Drounds.epochs="$EPOCHS" -Drounds.overrides="$*" \
  || { echo "RoundCostsBench failed: see spark-jobs/target/failsafe-reports" >&2; exit 1; }
out=spark-jobs/target/failsafe-reports/io.protospark.jobs.cluster.RoundCostsBench-output.txt
if [ -f "$out" ]; then sed -n '/^1 executor(s): /,$p' "$out"; fi
