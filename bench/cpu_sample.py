#!/usr/bin/env python3
"""CPU use of a benchmark's JVMs and of the rest of the machine, sampled from /proc (Linux), stdlib only.

Usage: bench/cpu_sample.py MATCH OUT.jsonl [PERIOD_S]
Every PERIOD_S seconds (default 2) appends one JSON line to OUT.jsonl: the time, the machine's /proc/stat cpu line
(jiffies), /proc/loadavg's runnable count, and for every java process whose command line contains MATCH its role
(driver, executor, worker, master, other), CPU jiffies (utime + stime) and the kernel's scheduler statistics summed
over its threads (/proc/PID/task/*/schedstat: nanoseconds run and nanoseconds waited runnable on a run queue).
The waited / run ratio is how much longer the process's work took because no core was free: bench/scaling_model.py
(validate) reads it as the measured CPU starvation. Stops when killed.
"""
import json
import os
import sys
import time

ROLES = (("CoarseGrainedExecutorBackend", "executor"), ("deploy.worker.Worker", "worker"),
         ("deploy.master.Master", "master"), ("SparkSubmit", "driver"))


def role(cmd):
    for key, name in ROLES:
        if key in cmd:
            return name
    return "other"


def schedstat(pid):
    run = wait = 0
    for tid in os.listdir(f"/proc/{pid}/task"):
        try:
            with open(f"/proc/{pid}/task/{tid}/schedstat") as f:
                r, w, _ = f.read().split()
            run += int(r)
            wait += int(w)
        except (OSError, ValueError):
            pass  # the thread ended meanwhile
    return run, wait


def java_processes(match):
    """(pid, command line) of every running java process whose command line contains MATCH."""
    for pid in os.listdir("/proc"):
        if not pid.isdigit():
            continue
        try:
            with open(f"/proc/{pid}/cmdline", "rb") as f:
                cmd = f.read().replace(b"\0", b" ").decode(errors="replace")
        except OSError:
            continue  # the process ended meanwhile
        if match in cmd and "java" in cmd.split(" ", 1)[0]:
            yield pid, cmd


def sample(match):
    with open("/proc/stat") as f:
        cpu = [int(x) for x in f.readline().split()[1:]]
    with open("/proc/loadavg") as f:
        runnable = int(f.read().split()[3].split("/")[0])
    procs = {}
    for pid, cmd in java_processes(match):
        try:
            with open(f"/proc/{pid}/stat") as f:
                fields = f.read().rsplit(")", 1)[1].split()
            run, wait = schedstat(pid)
            procs[pid] = {"role": role(cmd), "jiffies": int(fields[11]) + int(fields[12]), "run_ns": run,
                          "wait_ns": wait}
        except OSError:
            pass  # the process ended meanwhile
    return {"t": time.time(), "cpu": cpu, "runnable": runnable, "procs": procs}


def main():
    if len(sys.argv) not in (3, 4):
        sys.exit("usage: cpu_sample.py MATCH OUT.jsonl [PERIOD_S]")
    match, out = sys.argv[1], sys.argv[2]
    period = float(sys.argv[3]) if len(sys.argv) == 4 else 2.0
    with open(out, "a") as f:
        while True:
            f.write(json.dumps(sample(match)) + "\n")
            f.flush()
            time.sleep(period)


if __name__ == "__main__":
    main()
