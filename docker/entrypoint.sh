#!/usr/bin/env bash
# Entry point of the protospark images: one image, several roles, chosen by the first argument.
#
#   master [ARGS]              Spark standalone Master (SPARK_MASTER_HOST, SPARK_MASTER_PORT, SPARK_MASTER_WEBUI_PORT,
#                              or --host/--port/--webui-port)
#   worker MASTER_URL [ARGS]   Spark standalone Worker (SPARK_WORKER_CORES, SPARK_WORKER_MEMORY, SPARK_WORKER_PORT,
#                              SPARK_WORKER_WEBUI_PORT, SPARK_WORKER_DIR, or --cores/--memory/...)
#   driver ARGS                Spark on Kubernetes, cluster mode: spark-submit --deploy-mode client with
#                              spark.driver.bindAddress=$SPARK_DRIVER_BIND_ADDRESS, as Spark's own image runs it
#   executor                   Spark on Kubernetes: KubernetesExecutorBackend from the SPARK_EXECUTOR_* variables the
#                              driver sets, with the SPARK_JAVA_OPT_* options
#   COMMAND [ARGS]             any protospark command (train, validate, prepare, ...): /opt/protospark/submit/protospark
#   help                       this text and the launcher's
#
# Every JVM gets the Java 17 --add-opens flags from the job jar's manifest (entry Protospark-Jvm-Opens), as the
# launcher does. The master, worker and driver JVMs are built by Spark's own launcher library
# (org.apache.spark.launcher.Main, what Spark's bin/spark-class uses), so SPARK_DAEMON_MEMORY, SPARK_DAEMON_JAVA_OPTS,
# SPARK_MASTER_OPTS, SPARK_WORKER_OPTS, SPARK_SUBMIT_OPTS and spark.driver.memory work as with a Spark distribution.
# The command runs under tini, which forwards signals to its whole process group. PROTOSPARK_DRY_RUN=1 prints it instead.
set -euo pipefail

readonly PROTOSPARK_HOME=/opt/protospark
readonly LAUNCHER=$PROTOSPARK_HOME/submit/protospark
readonly JOB_JAR=$PROTOSPARK_HOME/spark-jobs/target/protospark-job.jar
prog=protospark-entrypoint

die() { printf '%s: %s\n' "$prog" "$*" >&2; exit 1; }

: "${SPARK_HOME:=/opt/spark}"
export SPARK_HOME SPARK_SCALA_VERSION=${SPARK_SCALA_VERSION:-2.12}
java_bin=${JAVA_HOME:+$JAVA_HOME/bin/}java

# A uid without a passwd entry (e.g. --user 12345, OpenShift): Hadoop's login needs a user name, and ND4J unpacks its
# native libraries under the home directory, which must be writable.
if ! getent passwd "$(id -u)" > /dev/null 2>&1; then
  export HADOOP_USER_NAME=${HADOOP_USER_NAME:-${SPARK_USER_NAME:-spark}}
  [[ -w ${HOME:-/nonexistent} ]] || export HOME=/tmp
fi

# The job jar's manifest attribute KEY, joined from its 72-byte continuation lines (the launcher reads it the same way).
manifest_attr() {
  unzip -p "$JOB_JAR" META-INF/MANIFEST.MF | tr -d '\r' | awk -v key="$1" '
    /^ / { if (cur) val = val substr($0, 2); next }
    { if (cur) { print val; cur = 0 } }
    index($0, key ": ") == 1 { cur = 1; val = substr($0, length(key) + 3) }
    END { if (cur) print val }'
}
jvm_opens() {
  local opens
  opens=$(manifest_attr Protospark-Jvm-Opens) || die "cannot read the manifest of $JOB_JAR"
  [[ $opens == *--add-opens* ]] || die "$JOB_JAR has no Protospark-Jvm-Opens manifest entry"
  printf '%s' "$opens"
}

# Runs CLASS ARGS as Spark's bin/spark-class would: Spark's launcher library prints its messages, a line holding
# only a NUL, then the full java command, NUL separated; the exit status is appended. The command then replaces this
# shell under tini.
spark_class() {
  local cmd=() arg delim=$'\n' started=0
  while IFS= read -r -d "$delim" arg; do
    if ((started)); then
      cmd+=("$arg")
    elif [[ -z $arg ]]; then
      delim='' started=1 # bash reads the marker line's NUL as an empty string
    else
      printf '%s\n' "$arg" >&2
    fi
  done < <(
    "$java_bin" -Xmx128m ${SPARK_LAUNCHER_OPTS:-} -cp "$SPARK_HOME/jars/*" org.apache.spark.launcher.Main "$@" \
      && status=0 || status=$?
    printf '%d\0' "$status")
  ((${#cmd[@]} > 0)) || die "Spark's launcher printed no command for $1"
  local status=${cmd[${#cmd[@]} - 1]}
  unset 'cmd[${#cmd[@]}-1]'
  [[ $status == 0 ]] || die "Spark's launcher failed (exit $status) for $1"
  run "${cmd[@]}"
}

# PROTOSPARK_DRY_RUN=1 prints the command instead of running it (the launcher does the same for protospark commands)
run() {
  if [[ ${PROTOSPARK_DRY_RUN:-} == 1 && $1 != "$LAUNCHER" ]]; then
    printf '%q' "$1"
    shift
    printf ' %q' "$@"
    printf '\n'
    exit 0
  fi
  exec tini -s -g -- "$@"
}

usage() {
  awk 'NR > 1 && /^#/ { sub(/^# ?/, ""); print; next } NR > 1 { exit }' "$0"
  printf '\n'
  "$LAUNCHER" --help
}

(($# > 0)) || set -- help
role=$1
case $role in
  help | -h | --help)
    usage
    ;;
  master)
    shift
    opens=$(jvm_opens)
    export SPARK_DAEMON_JAVA_OPTS="$opens ${SPARK_DAEMON_JAVA_OPTS:-}"
    spark_class org.apache.spark.deploy.master.Master "$@"
    ;;
  worker)
    shift
    (($# > 0)) || die "worker needs the master URL, e.g. worker spark://master:7077"
    opens=$(jvm_opens)
    export SPARK_DAEMON_JAVA_OPTS="$opens ${SPARK_DAEMON_JAVA_OPTS:-}"
    spark_class org.apache.spark.deploy.worker.Worker "$@"
    ;;
  driver)
    shift
    opens=$(jvm_opens)
    export SPARK_SUBMIT_OPTS="$opens ${SPARK_SUBMIT_OPTS:-}"
    spark_class org.apache.spark.deploy.SparkSubmit \
      --conf "spark.driver.bindAddress=${SPARK_DRIVER_BIND_ADDRESS:?SPARK_DRIVER_BIND_ADDRESS is not set}" \
      --deploy-mode client "$@"
    ;;
  executor)
    shift
    # the driver's spark.executor.extraJavaOptions arrive as SPARK_JAVA_OPT_0, _1, ... (one option each, in order)
    java_opts=()
    while read -r n; do
      name=SPARK_JAVA_OPT_$n
      java_opts+=("${!name}")
    done < <(compgen -e | sed -n 's/^SPARK_JAVA_OPT_\([0-9][0-9]*\)$/\1/p' | sort -n)
    opens=$(jvm_opens)
    read -r -a opens <<< "$opens"
    classpath="${SPARK_CONF_DIR:-$SPARK_HOME/conf}:$SPARK_HOME/jars/*"
    [[ -n ${HADOOP_CONF_DIR:-} ]] && classpath="$HADOOP_CONF_DIR:$classpath"
    [[ -n ${SPARK_EXTRA_CLASSPATH:-} ]] && classpath+=":$SPARK_EXTRA_CLASSPATH"
    [[ -n ${SPARK_DIST_CLASSPATH:-} ]] && classpath+=":$SPARK_DIST_CLASSPATH"
    run "$java_bin" "${opens[@]}" ${java_opts[@]+"${java_opts[@]}"} \
      "-Xms${SPARK_EXECUTOR_MEMORY:?}" "-Xmx${SPARK_EXECUTOR_MEMORY}" -cp "$classpath" \
      org.apache.spark.scheduler.cluster.k8s.KubernetesExecutorBackend \
      --driver-url "${SPARK_DRIVER_URL:?}" \
      --executor-id "${SPARK_EXECUTOR_ID:?}" \
      --cores "${SPARK_EXECUTOR_CORES:?}" \
      --app-id "${SPARK_APPLICATION_ID:?}" \
      --hostname "${SPARK_EXECUTOR_POD_IP:?}" \
      --resourceProfileId "${SPARK_RESOURCE_PROFILE_ID:?}" \
      --podName "${SPARK_EXECUTOR_POD_NAME:?}"
    ;;
  *)
    run "$LAUNCHER" "$@"
    ;;
esac
