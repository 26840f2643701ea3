#!/usr/bin/env bash
# Integration test of the CPU image with podman (not part of the Maven test run). From the repository root:
#
#   docker/it.sh [--no-build]
#
# 1. base      docker/local-base.sh (a Debian bookworm base image from debootstrap; kept when it exists)
# 2. image     podman build of docker/Dockerfile as $PROTOSPARK_IMAGE, Maven offline from ~/.m2 when it exists
#              (--no-build: use the existing image)
# 3. validate  `validate` in a container
# 4. local     `prepare --format idx` of the real Fashion-MNIST (mounted read-only) into a host folder, then a short
#              `train` of conf/fashion-mnist.conf on local[2]; the run directory must hold model.zip and metrics.jsonl
# 5. cluster   a standalone master and 2 workers (1 core each) that require Spark authentication, three containers
#              on the host network, and a fourth that submits a one-epoch train to spark://127.0.0.1:PORT with the
#              secret; it must complete and both workers must have run an executor
# Every container it starts is removed at the end, also on failure or Ctrl-C. Prints the time of each stage.
#
# Environment: PROTOSPARK_IMAGE (default localhost/protospark:cpu), PROTOSPARK_BASE_IMAGE (default
# localhost/protospark-base:bookworm), FASHION_MNIST_DIR (default /usr/share/datasets/fashion-mnist),
# IT_TRAIN_EXAMPLES (training examples of each train, default 12000), PODMAN_RUNTIME (default /usr/sbin/runc when
# present), IT_KEEP=1 (keep the work folder).
set -euo pipefail
prog=it.sh
repo=$(cd -P -- "$(dirname -- "${BASH_SOURCE[0]}")/.." && pwd)
image=${PROTOSPARK_IMAGE:-localhost/protospark:cpu}
base_image=${PROTOSPARK_BASE_IMAGE:-localhost/protospark-base:bookworm}
fmnist=${FASHION_MNIST_DIR:-/usr/share/datasets/fashion-mnist}
train_examples=${IT_TRAIN_EXAMPLES:-12000}
build=1
case ${1:-} in
  --no-build) build=0 ;;
  '') ;;
  *) printf 'usage: docker/it.sh [--no-build]\n' >&2; exit 2 ;;
esac

die() { printf '%s: FAILED: %s\n' "$prog" "$*" >&2; exit 1; }
log() { printf '%s: %s\n' "$prog" "$*" >&2; }

command -v podman > /dev/null || die "podman is not installed (apt-get install podman runc debootstrap)"
[[ -f $fmnist/train-images-idx3-ubyte.gz || -f $fmnist/train-images-idx3-ubyte ]] \
  || die "no Fashion-MNIST in $fmnist (apt-get install dataset-fashion-mnist, or set FASHION_MNIST_DIR)"

# podman run options: runc (crun fails on hosts with cgroups in hybrid mode) and ulimits within the caller's hard
# limits (podman's defaults exceed them, and the container then fails with setrlimit EPERM)
runtime=${PODMAN_RUNTIME:-}
[[ -z $runtime && -x /usr/sbin/runc ]] && runtime=/usr/sbin/runc
runtime_opts=(${runtime:+--runtime "$runtime"})
nofile=$(ulimit -Hn); [[ $nofile == unlimited || $nofile -gt 65536 ]] && nofile=65536
nproc=$(ulimit -Hu); [[ $nproc == unlimited || $nproc -gt 16384 ]] && nproc=16384
run_opts=("${runtime_opts[@]}" --ulimit "nofile=$nofile:$nofile" --ulimit "nproc=$nproc:$nproc")

# ---- bookkeeping: containers to remove, stage times
tag="protospark-it-$$"
containers=()
work=''
stages=()
cleanup() {
  local status=$?
  if ((${#containers[@]} > 0)); then
    podman rm -f -i -t 5 "${containers[@]}" > /dev/null 2>&1 || true
  fi
  if [[ -n $work && -d $work ]]; then
    if [[ ${IT_KEEP:-} == 1 ]]; then
      log "kept $work"
    else
      # the containers' user wrote files there; rootless podman must remove them inside its user namespace
      rm -rf -- "$work" 2> /dev/null || podman unshare rm -rf -- "$work" 2> /dev/null || log "could not remove $work"
    fi
  fi
  if ((${#stages[@]} > 0)); then
    printf '%s: stage times:\n' "$prog" >&2
    printf '  %s\n' "${stages[@]}" >&2
  fi
  printf '%s: total %d s: %s\n' "$prog" $((SECONDS - t_all)) "$( ((status == 0)) && echo PASSED || echo "FAILED (exit $status)")" >&2
  exit "$status"
}
t_all=$SECONDS
trap cleanup EXIT
trap 'exit 130' INT TERM

stage_start() { stage_name=$1; stage_t=$SECONDS; log "== $1"; }
stage_end() { stages+=("$(printf '%-9s %4d s' "$stage_name" $((SECONDS - stage_t)))"); log "== $stage_name: ok ($((SECONDS - stage_t)) s)"; }

# runs a container in the foreground (removed at the end like the others); its output goes to $work/NAME.log
run_fg() {
  local name=$1
  shift
  containers+=("$tag-$name")
  local status=0 t=$SECONDS
  podman run "${run_opts[@]}" --name "$tag-$name" "$@" > "$work/$name.log" 2>&1 || status=$?
  podman rm -f "$tag-$name" > /dev/null 2>&1 || true
  if ((status != 0)); then
    tail -n 40 "$work/$name.log" >&2
    die "$name exited with $status (log above, full log $work/$name.log)"
  fi
  log "$name: $((SECONDS - t)) s"
}
free_port() { python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'; }
master_json() { curl -fsS --max-time 3 "http://127.0.0.1:$master_ui/json/" 2> /dev/null || true; }

work=$(mktemp -d "${TMPDIR:-/var/tmp}/protospark-it.XXXXXX")
# the containers run as uid 185: the shared folder must be writable for it
chmod 0777 "$work"

# ---- 1. base image
stage_start base
"$repo/docker/local-base.sh" --image "$base_image" > /dev/null
stage_end

# ---- 2. the CPU image
stage_start image
if ((build)); then
  build_opts=(--build-arg "BASE=$base_image" --build-arg "BUILD_BASE=$base_image")
  if [[ -d $HOME/.m2/repository ]]; then
    # offline from the host's Maven repository, mounted as an overlay so the build never writes to it
    build_opts+=(--build-arg MAVEN_OFFLINE=1 -v "$HOME/.m2:/root/.m2:O")
  fi
  podman build "${runtime_opts[@]}" -f "$repo/docker/Dockerfile" -t "$image" "${build_opts[@]}" \
    --build-arg "REVISION=$(git -C "$repo" rev-parse HEAD 2> /dev/null || echo unknown)" "$repo" > "$work/build.log" 2>&1 \
    || { tail -n 40 "$work/build.log" >&2; die "podman build failed (log above)"; }
else
  podman image exists "$image" || die "--no-build, but there is no image $image"
fi
log "$(podman images --format '{{.Repository}}:{{.Tag}} {{.Size}}' "$image")"
stage_end

# ---- 3. validate
stage_start validate
run_fg validate "$image" validate --conf conf/fashion-mnist.conf
grep -q -i 'param' "$work/validate.log" || { cat "$work/validate.log" >&2; die "validate printed no network summary"; }
stage_end

# ---- 4. prepare real Fashion-MNIST and train on local[2]
stage_start local
mounts=(-v "$fmnist:/data/fashion-mnist:ro" -v "$work:/work")
# the launcher sizes ND4J's limits from /proc/meminfo, which shows the host's memory: set them explicitly
limits=(-e PROTOSPARK_DRIVER_MEMORY=2g -e PROTOSPARK_OFFHEAP=3G/6G)
run_fg prepare "${mounts[@]}" "$image" prepare --conf conf/fashion-mnist.conf --format idx \
  --input /data/fashion-mnist --output /work/fmnist
[[ -f $work/fmnist/manifest.json ]] || die "prepare wrote no manifest.json"
short=(protospark.train.epochs=1 "protospark.train.max-train-examples=$train_examples")
run_fg train-local "${mounts[@]}" "${limits[@]}" "$image" train --conf conf/fashion-mnist.conf \
  --data /work/fmnist --run-dir /work/run-local --master 'local[2]' "${short[@]}"
check_run() { # RUN_DIR: a completed run with a model and one epoch of metrics
  [[ -s $1/model.zip ]] || die "$1 has no model.zip"
  [[ -s $1/metrics.jsonl ]] || die "$1 has no metrics.jsonl"
  grep -q '"val_accuracy"' "$1/metrics.jsonl" || die "$1/metrics.jsonl has no val_accuracy"
  grep -q '"completed"' "$1/provenance.json" || die "$1/provenance.json does not say completed"
  log "$(basename -- "$1"): $(tail -n 1 "$1/metrics.jsonl" | grep -o '"val_accuracy":[^,}]*')"
}
check_run "$work/run-local"
stage_end

# ---- 5. standalone master + 2 workers + a submitting driver, all on the host network
stage_start cluster
master_port=$(free_port)
master_ui=$(free_port)
net=(--network host -e SPARK_LOCAL_IP=127.0.0.1)
daemon_opts=(-e "SPARK_DAEMON_MEMORY=512m" -e "SPARK_DAEMON_JAVA_OPTS=-XX:TieredStopAtLevel=1 -XX:+UseSerialGC")
# The cluster requires Spark authentication, as a real one should: the master and workers read a secret made for
# this run from their spark-defaults.conf, the driver from the file PROTOSPARK_SPARK_SECRET_FILE names (the launcher
# turns authentication and encryption on for every cluster master). The container user is uid 185.
secret=$(head -c 24 /dev/urandom | od -An -tx1 | tr -d ' \n')
mkdir -p "$work/spark-conf"
printf 'spark.authenticate true\nspark.authenticate.secret %s\n' "$secret" > "$work/spark-conf/spark-defaults.conf"
printf '%s\n' "$secret" > "$work/spark.secret"
chown 185 "$work/spark-conf/spark-defaults.conf" "$work/spark.secret"
chmod 0600 "$work/spark-conf/spark-defaults.conf" "$work/spark.secret"
daemon_opts+=(-v "$work/spark-conf:/opt/spark/conf:ro")
containers+=("$tag-master")
podman run "${run_opts[@]}" -d --name "$tag-master" "${net[@]}" "${daemon_opts[@]}" "$image" \
  master --host 127.0.0.1 --port "$master_port" --webui-port "$master_ui" > /dev/null
for i in 1 2; do
  mkdir -p "$work/worker-$i" && chmod 0777 "$work/worker-$i"
  containers+=("$tag-worker-$i")
  podman run "${run_opts[@]}" -d --name "$tag-worker-$i" "${net[@]}" "${daemon_opts[@]}" -v "$work:/work" \
    -e SPARK_WORKER_DIR="/work/worker-$i" -e SPARK_WORKER_CORES=1 -e SPARK_WORKER_MEMORY=3g \
    "$image" worker "spark://127.0.0.1:$master_port" --webui-port "$(free_port)" > /dev/null
done
deadline=$((SECONDS + 120))
until [[ $(master_json) =~ \"aliveworkers\"[[:space:]]*:[[:space:]]*2 ]]; do
  if ((SECONDS > deadline)); then
    for c in master worker-1 worker-2; do podman logs --tail 20 "$tag-$c" >&2 || true; done
    die "the master did not see 2 alive workers within 120 s"
  fi
  sleep 1
done
log "master spark://127.0.0.1:$master_port with 2 workers after $((SECONDS - stage_t)) s"
# All executors share the address 127.0.0.1, so Spark takes them for one host and would read another executor's
# shuffle files straight from its local folder, which lives in another container: spark.shuffle.readHostLocalDisk=false
# makes them fetch the blocks over the network.
run_fg train-cluster "${net[@]}" -v "$work:/work" -e PROTOSPARK_DRIVER_MEMORY=2g -e PROTOSPARK_OFFHEAP=2G/4G \
  -e PROTOSPARK_SPARK_SECRET_FILE=/work/spark.secret \
  "$image" train --conf conf/fashion-mnist.conf --data /work/fmnist --run-dir /work/run-cluster \
  --master "spark://127.0.0.1:$master_port" --spark-conf spark.executor.memory=2g \
  --spark-conf spark.scheduler.minRegisteredResourcesRatio=1.0 --spark-conf spark.shuffle.readHostLocalDisk=false \
  "${short[@]}"
check_run "$work/run-cluster"
for i in 1 2; do # each worker's work dir holds app-*/EXECUTOR_ID/stderr, the executor's log (Spark's INFO level)
  compgen -G "$work/worker-$i/app-*/*/stderr" > /dev/null || die "worker $i ran no executor (no $work/worker-$i/app-*/*/stderr)"
  tasks=$(cat "$work/worker-$i"/app-*/*/stderr | grep -c 'Finished task' || true)
  ((tasks > 0)) || die "the executor of worker $i finished no task"
  log "worker $i: an executor finished $tasks tasks"
done
[[ $(master_json) =~ \"completedapps\"[[:space:]]*:[[:space:]]*\[[[:space:]]*\{ ]] || die "the master lists no completed application"
stage_end
