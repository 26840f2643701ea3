#!/usr/bin/env python3
"""Caps the CPU of every Spark executor a benchmark starts, each in a cgroup of its own (Linux, root), stdlib only.

Usage: bench/cap_executors.py MATCH CORES
Polls /proc every 0.2 s; each new java process whose command line contains MATCH and runs Spark's
CoarseGrainedExecutorBackend is moved (all its threads) into a cgroup of its own whose CPU quota is CORES cores
(CFS bandwidth: CORES x 100 ms of CPU per 100 ms period; cgroup v1 `cpu.cfs_quota_us` or v2 `cpu.max`). Stops when
killed, then removes its cgroups.

Why: on a machine with as many cores as executors, the driver's own CPU comes out of the executors' share when two
run and not when one does, so the measured scaling efficiency mixes the cost of averaging with a shortage of
cores. With every executor held to the same budget in every run (e.g. 0.8 of a core on 2 cores, leaving the rest to
the driver), one executor gets the same CPU in the 1- and the 2-executor run and only the synchronisation differs.
bench/rounds.sh runs it with EXECUTOR_CPU=CORES.
"""
import os
import signal
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from cpu_sample import java_processes  # noqa: E402

PERIOD_US = 100_000


def cgroup_root():
    if os.path.exists("/sys/fs/cgroup/cgroup.controllers"):  # v2, unified
        root = "/sys/fs/cgroup/protospark-bench"
        os.makedirs(root, exist_ok=True)
        with open("/sys/fs/cgroup/cgroup.subtree_control", "w") as f:
            f.write("+cpu")
        with open(os.path.join(root, "cgroup.subtree_control"), "w") as f:
            f.write("+cpu")
        return root, 2
    if os.path.exists("/sys/fs/cgroup/cpu/cpu.cfs_quota_us"):  # v1
        root = "/sys/fs/cgroup/cpu/protospark-bench"
        os.makedirs(root, exist_ok=True)
        return root, 1
    sys.exit("cap_executors: no cgroup CPU controller at /sys/fs/cgroup (v1 cpu/ or v2 cpu.max)")


def cap(root, version, pid, cores):
    group = os.path.join(root, f"executor-{pid}")
    os.makedirs(group, exist_ok=True)
    quota = int(cores * PERIOD_US)
    if version == 2:
        with open(os.path.join(group, "cpu.max"), "w") as f:
            f.write(f"{quota} {PERIOD_US}")
    else:
        with open(os.path.join(group, "cpu.cfs_period_us"), "w") as f:
            f.write(str(PERIOD_US))
        with open(os.path.join(group, "cpu.cfs_quota_us"), "w") as f:
            f.write(str(quota))
    with open(os.path.join(group, "cgroup.procs"), "w") as f:
        f.write(str(pid))
    return group


def executors(match):
    for pid, cmd in java_processes(match):
        if "CoarseGrainedExecutorBackend" in cmd:
            yield int(pid)


def main():
    if len(sys.argv) != 3:
        sys.exit(__doc__)
    match, cores = sys.argv[1], float(sys.argv[2])
    if not 0 < cores <= os.cpu_count():
        sys.exit(f"cap_executors: CORES must be in (0, {os.cpu_count()}], got {sys.argv[2]}")
    root, version = cgroup_root()
    groups = {}

    def stop(*_):
        for group in filter(None, groups.values()):
            try:
                os.rmdir(group)  # refused while a process is still in it; the kernel empties it when it exits
            except OSError:
                pass
        sys.exit(0)

    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)
    while True:
        for pid in executors(match):
            if pid not in groups:
                try:
                    groups[pid] = cap(root, version, pid, cores)
                    print(f"cap_executors: executor {pid} held to {cores} core(s) in {groups[pid]}", file=sys.stderr)
                except OSError as e:
                    print(f"cap_executors: cannot cap executor {pid}: {e}", file=sys.stderr)
                    groups[pid] = None
        for pid, group in list(groups.items()):
            if group and not os.path.exists(f"/proc/{pid}"):
                try:
                    os.rmdir(group)
                except OSError:
                    pass
                groups[pid] = None
        time.sleep(0.2)


if __name__ == "__main__":
    main()
