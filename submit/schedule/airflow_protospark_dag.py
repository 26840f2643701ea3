"""Airflow DAG: train protospark once a day, each day's run in a run directory of its own.

The run directory is derived from the DAG run's logical date ({{ ds_nodash }}), so every retry of a day's task gives
`protospark train` the same directory and resumes that run from its newest checkpoint instead of starting over; a
retry after the run completed exits 0 at once. In Airflow 3 give manual runs a logical date: a run without one has no
{{ ds_nodash }}. See submit/schedule/README.md.

Operator: BashOperator calling submit/protospark, not SparkSubmitOperator (apache-airflow-providers-apache-spark).
SparkSubmitOperator assembles its own spark-submit command from an Airflow connection, so everything the launcher adds
would have to be copied into this file and kept in step with the build by hand: the Java 17 --add-opens list (kept
once, in the parent pom, and read from the job jar's manifest), ND4J's off-heap limits (sized to the machine in local
mode), the driver's log4j2 configuration inside the job jar and spark.executorEnv.SPARK_SCALA_VERSION. It also needs a
bin/spark-submit, which the Maven-built spark-home does not have. The launcher is one command with none of that to
repeat, and its exit codes are the task's.

Settings come from the environment of the Airflow workers (defaults below): PROTOSPARK (the launcher),
PROTOSPARK_DAG_CONF (the experiment file), PROTOSPARK_DAG_RUNS (where run directories go: a shared path or a Hadoop
URI such as hdfs://namenode:8020/protospark/runs), PROTOSPARK_DAG_MASTER (the Spark master).
"""

import os
import shlex
from datetime import datetime, timedelta, timezone

from airflow import DAG

try:  # Airflow 3: the operator lives in the standard provider
    from airflow.providers.standard.operators.bash import BashOperator
except ImportError:  # Airflow 2
    from airflow.operators.bash import BashOperator

PROTOSPARK = os.environ.get("PROTOSPARK", "/opt/protospark/submit/protospark")
CONF = os.environ.get("PROTOSPARK_DAG_CONF", "/opt/protospark/conf/fashion-mnist.conf")
RUNS = os.environ.get("PROTOSPARK_DAG_RUNS", "/data/protospark/runs").rstrip("/")
MASTER = os.environ.get("PROTOSPARK_DAG_MASTER", "local[2]")

DAG_ID = "protospark_train_daily"
# Fixed for a DAG run: retries of the same logical date train in (and resume) the same directory.
RUN_DIR = RUNS + "/" + DAG_ID + "-{{ ds_nodash }}"

with DAG(
    dag_id=DAG_ID,
    description="protospark train, one run directory per logical date; retries resume it",
    schedule="0 2 * * *",
    start_date=datetime(2026, 1, 1, tzinfo=timezone.utc),
    catchup=False,
    max_active_runs=1,  # two days' runs never train at once on the same machine or cluster
    default_args={
        "owner": "protospark",
        # A failed attempt (exit 1: crash, out of memory, lost executors) is retried and resumes from the newest
        # checkpoint. Exit 3 (another driver still alive on the run directory, e.g. an attempt Airflow lost track
        # of) is retried as well: the next attempt starts once that driver has ended.
        "retries": 3,
        "retry_delay": timedelta(minutes=10),
        "retry_exponential_backoff": True,
        "max_retry_delay": timedelta(hours=1),
        "execution_timeout": timedelta(hours=12),
    },
    tags=["protospark"],
) as dag:
    train = BashOperator(
        task_id="train",
        # Airflow renders {{ ds_nodash }} (inside the shell quotes) before bash runs the command.
        bash_command=(
            f"{shlex.quote(PROTOSPARK)} train --conf {shlex.quote(CONF)} "
            f"--run-dir {shlex.quote(RUN_DIR)} --master {shlex.quote(MASTER)}"
        ),
    )
