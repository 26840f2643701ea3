#!/usr/bin/env python3
"""Scaling model of protospark's parameter averaging (DL4J ParameterAveragingTrainingMaster on Spark).

Predicts img/s and scaling efficiency against workers, averaging frequency, per-worker batch and the driver's
bandwidth from measured per-image compute, per-round bytes and fixed per-round costs; docs/scaling.md states the
equations and where every input comes from. Python 3 standard library only.

  bench/scaling_model.py tables                 every table of docs/scaling.md's model sections (Markdown)
  bench/scaling_model.py predict --workload resnet50 --workers 32 --bandwidth 10 [--frequency F] [--batch B]
                                 [--no-updater] [--t-img S] [--depth D]
  bench/scaling_model.py validate LOG [LOG ...]  predicted against measured, from bench/rounds.sh outputs
                                 (rounds.sh's printout with CPU_LOG's samples beside it: LOG.cpu.jsonl)
"""
import argparse
import datetime
import json
import math
import re
import statistics
import sys

GBIT = 1e9 / 8  # bytes per second in one Gbit/s
FLOAT = 4  # bytes per parameter (float32) and per updater-state value
BLOCK = 4 << 20  # spark.broadcast.blockSize (4m)

# ---- constants measured on this project's machine (2-core AVX2 AMD EPYC, 24 GB), sources in docs/scaling.md ----
MEASURED = {
    # fixed cost of one round with one worker whose driver is not starved: DL4J's count job + broadcast creation +
    # job overhead beyond the slowest task (ms, median of the 1-executor runs of bench/rounds.sh, divided by their
    # measured CPU starvation; docs/scaling.md "Validation")
    "fixed_ms": 134.0,
    # per-task part of a worker's time that is not minibatches: fetching the broadcast value, building the network,
    # returning the result (ms; fitted on the main job's 1-executor runs at two averaging frequencies)
    "worker_setup_ms": 38.0,
}
ASSUMED = {
    # Spark's scheduling cost per task on the driver (two jobs per round: count and training), ms
    "task_ms": 2.0,
    # the driver's throughput deserialising a worker result and adding it into the running sum (bytes/s), and the
    # same for the final division and re-application of parameters and updater state
    "driver_bytes_per_s": 1.0e9,
    # an executor's throughput deserialising the broadcast and serialising its result (bytes/s)
    "worker_bytes_per_s": 1.0e9,
    # spread of one minibatch's compute time (coefficient of variation), minibatches independent: a task of f
    # minibatches varies by cv / sqrt(f), and the slowest of N tasks takes about mean * (1 + cv / sqrt(f) * sqrt(2 ln N))
    "minibatch_cv": 0.10,
    # Spark's spark.driver.maxResultSize default (1g): a job whose results sum to more is aborted
    "max_result_bytes": 1 << 30,
}


class Workload:
    def __init__(self, key, label, conf, params, updater_per_param, config_bytes, batch, frequency, t_cpu, t_cpu_src,
                 t_gpu, t_gpu_src, measured_broadcast=None, epoch_images=None):
        self.key, self.label, self.conf = key, label, conf
        self.params, self.updater_per_param, self.config_bytes = params, updater_per_param, config_bytes
        self.batch, self.frequency = batch, frequency
        self.t_cpu, self.t_cpu_src, self.t_gpu, self.t_gpu_src = t_cpu, t_cpu_src, t_gpu, t_gpu_src
        self.measured_broadcast = measured_broadcast
        self.epoch_images = epoch_images  # training images per epoch, when known

    def state_bytes(self, updater=True):
        values = self.params * (1 + (self.updater_per_param if updater else 0))
        return values * FLOAT

    def broadcast_bytes(self, updater=True):
        if updater and self.measured_broadcast:
            return self.measured_broadcast
        return self.state_bytes(updater) + self.config_bytes

    def result_bytes(self, updater=True):
        return self.state_bytes(updater)


# Per-image training compute of one worker (seconds per image): "cpu" is measured here with submit/protospark bench
# or on the standalone cluster; "gpu" is assumed (docs/scaling.md names the source) — pass --t-img for your own.
RESNET50_A100_TF32 = 1 / 938  # NVIDIA DeepLearningExamples, PyTorch ResNet-50 v1.5, 1x A100 80GB, TF32: 938 img/s
WORKLOADS = {w.key: w for w in [
    Workload("main", "main job (conf/fashion-mnist.conf), Adam", "conf/fashion-mnist.conf",
             params=206_883, updater_per_param=2, config_bytes=7_864, batch=64, frequency=10,
             t_cpu=0.41e-3, t_cpu_src="standalone cluster, 1 executor x 1 core (fit of bench/rounds.sh runs)",
             t_gpu=None, t_gpu_src="", measured_broadcast=2_502_528, epoch_images=60_000),
    Workload("resnet50", "ResNet-50 224x224 d512 (conf/dl2pa-imagenet-resnet50-d512.conf), SGD momentum",
             "conf/dl2pa-imagenet-resnet50-d512.conf", params=24_609_728, updater_per_param=1, config_bytes=120_000,
             batch=32, frequency=10,
             t_cpu=1 / 11.8, t_cpu_src="bench --model resnet50-imagenet, 2 threads, batch 16: 11.8 img/s",
             t_gpu=RESNET50_A100_TF32, t_gpu_src="assumed: A100 at PyTorch's TF32 rate, 938 img/s",
             epoch_images=1_281_167),
    Workload("iresnet100", "IResNet-100 112x112 + DAM (conf/dsc-face-dam-iresnet100.conf), Adam",
             "conf/dsc-face-dam-iresnet100.conf", params=227_950_793, updater_per_param=2, config_bytes=760_000,
             batch=24, frequency=10,
             t_cpu=1 / 1.11, t_cpu_src="bench --model iresnet100, 2 threads: 1.11 img/s",
             t_gpu=RESNET50_A100_TF32 * 24.3 / 8.16,
             t_gpu_src="assumed: the A100 ResNet-50 rate scaled by forward FLOPs (24.3 / 8.16 GFLOP per image)",
             measured_broadcast=2_748_156_130),
]}


def tree_aggregate(n, depth=2):
    """Spark's RDD.treeAggregate over n partitions: (fan-in of each intermediate level, results the driver gets)."""
    scale = max(math.ceil(n ** (1.0 / depth) - 1e-9), 2)
    levels = []
    parts = n
    while parts > scale + math.ceil(parts / scale):
        fan_in = math.ceil(parts / (parts // scale))
        parts //= scale
        levels.append(fan_in)
    return levels, parts


def round_terms(w, n, frequency=None, batch=None, bandwidth_gbit=10.0, updater=True, t_img=None, depth=2,
                slowdown=1.0, driver_slowdown=None, exec_bandwidth_gbit=None, fixed_ms=None, worker_setup_ms=None,
                broadcast="driver"):
    """The terms of one averaging round with n workers (one per executor), in seconds.

    broadcast="driver": the driver's link carries every executor's copy (an upper bound); "torrent": Spark's
    TorrentBroadcast at its best, executors passing 4 MiB blocks on to each other, so the driver sends each block about
    once and the copies spread in ceil(log2 n) block times (a lower bound)."""
    f = frequency or w.frequency
    b = batch or w.batch
    t = w.t_cpu if t_img is None else t_img
    drv = slowdown if driver_slowdown is None else driver_slowdown
    bw = bandwidth_gbit * GBIT
    ebw = (exec_bandwidth_gbit or bandwidth_gbit) * GBIT
    bc, res = w.broadcast_bytes(updater), w.result_bytes(updater)
    setup = MEASURED["worker_setup_ms"] if worker_setup_ms is None else worker_setup_ms
    fixed = MEASURED["fixed_ms"] if fixed_ms is None else fixed_ms
    levels, to_driver = tree_aggregate(n, depth)
    worker = slowdown * (setup / 1e3 + f * b * t + (bc + res) / ASSUMED["worker_bytes_per_s"])
    terms = {
        "fixed": drv * (fixed / 1e3 + 2 * n * ASSUMED["task_ms"] / 1e3),
        "compute": worker,
        "stragglers": slowdown * f * b * t * ASSUMED["minibatch_cv"] / math.sqrt(f) * math.sqrt(2 * math.log(n)),
        "broadcast": n * bc / bw if broadcast == "driver"
        else bc / min(bw, ebw) + math.ceil(math.log2(n)) * min(bc, BLOCK) / ebw if n > 1 else bc / min(bw, ebw),
        "tree": sum(k * res / ebw for k in levels),
        "to_driver": to_driver * res / bw,
        "driver_sum": drv * (to_driver * res + w.state_bytes(updater)) / ASSUMED["driver_bytes_per_s"],
    }
    terms["round"] = sum(terms.values())
    terms["img_per_s"] = n * f * b / terms["round"]
    terms["driver_results"] = to_driver
    terms["driver_result_bytes"] = to_driver * res
    return terms


def efficiency(w, n, **kw):
    return round_terms(w, n, **kw)["img_per_s"] / (n * round_terms(w, 1, **kw)["img_per_s"])


def frequency_for(w, n, target=0.9, limit=10_000, **kw):
    """Smallest averaging frequency whose efficiency at n workers reaches target (None if none up to limit)."""
    kw.pop("frequency", None)
    ok = lambda f: efficiency(w, n, frequency=f, **kw) >= target  # noqa: E731
    lo, hi = 0, 1
    while not ok(hi):
        if hi >= limit:
            return None
        lo, hi = hi, min(limit, hi * 2)
    while hi - lo > 1:  # ok(hi), not ok(lo) (lo = 0 stands for "none")
        mid = (lo + hi) // 2
        lo, hi = (lo, mid) if ok(mid) else (mid, hi)
    return hi


WORKERS = [1, 2, 4, 8, 16, 32, 64, 128]
BANDWIDTHS = [1, 10, 25]


def fmt(x, digits=2):
    return f"{x:.{digits}f}"


def human_bytes(b):
    return f"{b / 1e9:.2f} GB" if b >= 1e9 else f"{b / 1e6:.1f} MB"


def table_inputs():
    out = ["| workload | parameters | updater values / parameter | broadcast per executor (with / without updater) "
           "| result per worker | batch, frequency | t_img CPU here (s) | t_img GPU (s, assumed) |",
           "|---|---|---|---|---|---|---|---|"]
    for w in WORKLOADS.values():
        out.append(f"| {w.label} | {w.params:,} | {w.updater_per_param} | {human_bytes(w.broadcast_bytes())} / "
                   f"{human_bytes(w.broadcast_bytes(False))} | {human_bytes(w.result_bytes())} / "
                   f"{human_bytes(w.result_bytes(False))} | {w.batch}, {w.frequency} | {w.t_cpu:.2e} | "
                   f"{'—' if w.t_gpu is None else f'{w.t_gpu:.2e}'} |")
    return "\n".join(out)


def table_tree():
    out = ["| workers | " + " | ".join(str(n) for n in WORKERS) + " |", "|---" * (len(WORKERS) + 1) + "|"]
    fan, drv = [], []
    for n in WORKERS:
        levels, to_driver = tree_aggregate(n)
        fan.append("—" if not levels else "+".join(str(k) for k in levels))
        drv.append(str(to_driver))
    out.append("| fan-in of the executor level | " + " | ".join(fan) + " |")
    out.append("| results the driver receives | " + " | ".join(drv) + " |")
    return "\n".join(out)


def table_scaling(key, device):
    """Efficiency (img/s) against workers and bandwidth, with and without the updater, at the file's settings."""
    w = WORKLOADS[key]
    t = w.t_cpu if device == "cpu" else w.t_gpu
    out = [f"| {w.key}, {device}, updater | Gbit/s | " + " | ".join(str(n) for n in WORKERS) + " |",
           "|---|---" + "|---" * len(WORKERS) + "|"]
    for updater in (True, False):
        for bw in BANDWIDTHS:
            cells = []
            for n in WORKERS:
                r = round_terms(w, n, bandwidth_gbit=bw, updater=updater, t_img=t)
                e = efficiency(w, n, bandwidth_gbit=bw, updater=updater, t_img=t)
                flag = "†" if r["driver_result_bytes"] > ASSUMED["max_result_bytes"] else ""
                cells.append(f"{e:.2f} ({r['img_per_s']:,.0f}){flag}")
            out.append(f"| {'with' if updater else 'without'} | {bw} | " + " | ".join(cells) + " |")
    return "\n".join(out)


def stops_paying(w, t, bw, updater, frequency=None, batch=None):
    """(largest N of WORKERS with efficiency >= 0.9, N of WORKERS with the most img/s)."""
    best_n, best, last90 = 1, 0.0, None
    for n in WORKERS:
        kw = dict(bandwidth_gbit=bw, updater=updater, t_img=t, frequency=frequency, batch=batch)
        ips = round_terms(w, n, **kw)["img_per_s"]
        if ips > best:
            best, best_n = ips, n
        if efficiency(w, n, **kw) >= 0.9:
            last90 = n
    return last90, best_n, best


def advice(w, t, bw, last90, f90, n=32):
    if last90 == WORKERS[-1]:
        text = "the file's settings hold to 128 workers"
    elif f90 is None or f90 > 1000 or (w.epoch_images and f90 * w.batch * n * 10 > w.epoch_images):
        text = ("gradient sharing (train.master = sharing): 0.9 at 32 workers needs < 10 rounds/epoch or "
                "> 1,000 minibatches/round")
    else:
        text = f"at 32 workers: train.averaging-frequency ≥ {f90}, or a larger batch per worker"
    r = round_terms(w, n, bandwidth_gbit=bw, t_img=t)
    if r["driver_result_bytes"] > ASSUMED["max_result_bytes"]:
        text += f"; spark.driver.maxResultSize > {human_bytes(r['driver_result_bytes'])}"
    return text


def table_recommendations():
    out = ["| workload | device | Gbit/s | largest N with efficiency ≥ 0.9, with / without updater "
           "| img/s at 32 workers, with updater (efficiency) | frequency for 0.9 at 32 workers, with / without "
           "| batch × 4: largest N ≥ 0.9 | what to set |",
           "|---|---|---|---|---|---|---|---|"]
    for w in WORKLOADS.values():
        for device in ("cpu", "gpu"):
            t = w.t_cpu if device == "cpu" else w.t_gpu
            if t is None:
                continue
            for bw in BANDWIDTHS:
                cells = {}
                for updater in (True, False):
                    cells[updater] = (stops_paying(w, t, bw, updater),
                                      frequency_for(w, 32, bandwidth_gbit=bw, updater=updater, t_img=t))
                (last90, _, _), f90 = cells[True]
                (last90_no, _, _), f90_no = cells[False]
                big, _, _ = stops_paying(w, t, bw, True, batch=4 * w.batch)
                r32 = round_terms(w, 32, bandwidth_gbit=bw, t_img=t)
                e32 = efficiency(w, 32, bandwidth_gbit=bw, t_img=t)
                out.append(f"| {w.key} | {device} | {bw} | {last90 or '—'} / {last90_no or '—'} | "
                           f"{r32['img_per_s']:,.0f} ({e32:.2f}) | {f90 or '> 10,000'} / {f90_no or '> 10,000'} | "
                           f"{big or '—'} | {advice(w, t, bw, last90, f90)} |")
    return "\n".join(out)


def table_terms(key, device, bw=10, updater=True):
    w = WORKLOADS[key]
    t = w.t_cpu if device == "cpu" else w.t_gpu
    names = ["fixed", "compute", "stragglers", "broadcast", "tree", "to_driver", "driver_sum", "round"]
    out = [f"| {key}, {device}, {bw} Gbit/s, {'with' if updater else 'without'} updater: s per round | "
           + " | ".join(str(n) for n in WORKERS) + " |", "|---" * (len(WORKERS) + 1) + "|"]
    rows = {name: [] for name in names}
    for n in WORKERS:
        r = round_terms(w, n, bandwidth_gbit=bw, updater=updater, t_img=t)
        for name in names:
            rows[name].append(f"{r[name]:.2f}")
    for name in names:
        out.append(f"| {name} | " + " | ".join(rows[name]) + " |")
    return "\n".join(out)


def tables():
    print("### Inputs\n")
    print(table_inputs())
    print("\n### treeAggregate at depth 2\n")
    print(table_tree())
    for key, device in (("main", "cpu"), ("resnet50", "cpu"), ("resnet50", "gpu"), ("iresnet100", "cpu"),
                        ("iresnet100", "gpu")):
        print(f"\n### {WORKLOADS[key].label}, {device}: efficiency (img/s)\n")
        print(table_scaling(key, device))
    print("\n### Where the time goes: ResNet-50, GPU, 10 Gbit/s, with updater\n")
    print(table_terms("resnet50", "gpu"))
    print("\n### Recommendations\n")
    print(table_recommendations())


# ---- validation against bench/rounds.sh --------------------------------------------------------------------------

def parse_rounds_log(path):
    """From a bench/rounds.sh printout: each run's metrics lines and when its last epoch's rounds ran (epoch seconds)."""
    runs, ends, frequency = {}, {}, {}
    current = None
    with open(path) as f:
        for line in f:
            line = re.sub(r"\x1b\[[0-9;]*m", "", line)  # Maven's colour codes
            text = line.strip()
            m = re.match(r"^(\d) executor\(s\): (\{.*)$", text)
            if m:
                current = int(m.group(1))
                runs[current] = [json.loads(m.group(2))]
                continue
            m = re.match(r"^(\d) executor\(s\) log: (\d\d/\d\d/\d\d \d\d:\d\d:\d\d) .*TrainLoop: epoch (\d+) "
                         r"averaging: \d+ rounds of up to (\d+) minibatches", text)
            if m:
                stamp = datetime.datetime.strptime(m.group(2), "%y/%m/%d %H:%M:%S").replace(tzinfo=datetime.timezone.utc)
                ends[int(m.group(1))] = stamp.timestamp()  # the last epoch's line is the last one
                frequency[int(m.group(1))] = int(m.group(4))
                current = None
                continue
            if current and text.startswith("{"):
                runs[current].append(json.loads(text))
            elif text and not line.startswith(" "):
                current = None
    if 1 not in runs or 2 not in runs:
        sys.exit(f"{path}: expected the metrics lines of a 1- and a 2-executor run ('N executor(s): {{...}}')")
    windows = {}
    for n in (1, 2):
        if n in ends:
            fit = runs[n][-1]["rounds"]["round_ms"]["sum"] / 1e3
            windows[n] = (ends[n] - fit - 1, ends[n] + 1)  # the log's clock has whole seconds
    if 1 in frequency:
        windows["frequency"] = frequency[1]
    return runs, windows


def cpu_windows(path, windows=None):
    """Per run (1 or 2 executors alive), the executors' and driver's run/wait nanoseconds and the machine's load;
    with windows ({executors: (start, end)}), only the samples inside the run's last epoch of rounds."""
    samples = []
    with open(path) as f:
        for line in f:
            samples.append(json.loads(line))
    out = {}
    for prev, cur in zip(samples, samples[1:]):
        execs = [p for p, v in cur["procs"].items() if v["role"] == "executor"]
        if not execs or not all(p in prev["procs"] for p in execs):
            continue
        n = len(execs)
        if windows and n in windows and not (windows[n][0] <= prev["t"] and cur["t"] <= windows[n][1]):
            continue
        acc = out.setdefault(n, {"exec_run": 0, "exec_wait": 0, "drv_run": 0, "drv_wait": 0, "secs": 0.0,
                                 "busy": 0.0, "ours": 0.0, "runnable": []})
        dt = cur["t"] - prev["t"]
        for pid, v in cur["procs"].items():
            if pid not in prev["procs"]:
                continue
            p = prev["procs"][pid]
            run, wait = v["run_ns"] - p["run_ns"], v["wait_ns"] - p["wait_ns"]
            acc["ours"] += run / 1e9
            if v["role"] == "executor":
                acc["exec_run"] += run
                acc["exec_wait"] += wait
            elif v["role"] == "driver":
                acc["drv_run"] += run
                acc["drv_wait"] += wait
        d = [c - p for c, p in zip(cur["cpu"], prev["cpu"])]
        total = sum(d[:8])
        idle = d[3] + d[4]
        acc["busy"] += (total - idle) / total * dt * 2 if total else 0.0  # core-seconds busy on the 2 cores
        acc["secs"] += dt
        acc["runnable"].append(cur["runnable"])
    for acc in out.values():
        # how much longer the executors' work took than their CPU time: the round's measured starvation (the
        # driver's own ratio is not used: its threads mostly sleep, and short wake-ups dominate their waits)
        acc["s"] = 1 + acc["exec_wait"] / acc["exec_run"] if acc["exec_run"] else 1.0
        acc["exec_cores"] = acc["exec_run"] / 1e9 / acc["secs"]
        acc["driver_cores"] = acc["drv_run"] / 1e9 / acc["secs"]
        acc["other_cores"] = max(0.0, (acc["busy"] - acc["ours"]) / acc["secs"])
        acc["runnable_mean"] = statistics.mean(acc["runnable"])
    return out


def validate(logs, cores=2):
    """Fits per-image compute, per-task setup and the fixed cost on the 1-executor runs (their measured starvation
    divided out) and predicts every run: as measured (starvation s of each run), on `cores` cores shared with the
    driver and nothing else, and with the driver on a core of its own."""
    rows = []
    for path in logs:
        runs, windows = parse_rounds_log(path)
        cpu = cpu_windows(path + ".cpu.jsonl", windows)
        if 1 not in cpu or 2 not in cpu:
            sys.exit(f"{path}.cpu.jsonl: no samples while the runs' last epochs trained")
        last = {n: runs[n][-1] for n in (1, 2)}
        r1 = last[1]["rounds"]
        f = windows.get("frequency") or math.ceil(r1["minibatches_per_worker"] / r1["count"])
        batch = round(last[1]["train_examples"] / r1["minibatches_per_worker"])
        rows.append((path, f, batch, last, cpu))
    # unstarved per-task worker time = setup + images * t_img, least squares over the 1-executor runs
    pts = [(f * b, last[1]["rounds"]["worker_ms"]["median"] / cpu[1]["s"]) for _, f, b, last, cpu in rows]
    xs = [p[0] for p in pts]
    if len(set(xs)) >= 2:
        mx, my = statistics.mean(xs), statistics.mean(p[1] for p in pts)
        slope = sum((x - mx) * (y - my) for x, y in pts) / sum((x - mx) ** 2 for x in xs)
        setup = my - slope * mx
    else:
        slope, setup = pts[0][1] / pts[0][0], 0.0
    fixed = statistics.median(
        sum(last[1]["rounds"][k]["median"] for k in ("count_ms", "broadcast_ms", "job_overhead_ms")) / cpu[1]["s"]
        for _, _, _, last, cpu in rows)
    print(f"Fitted on the 1-executor runs, their starvation divided out: worker task = {setup:.1f} ms + "
          f"{slope * 1e3:.1f} us per image; fixed cost (count + broadcast creation + job overhead) {fixed:.0f} ms "
          f"per round.\n")
    print("| run | f | executors | starvation s | cores used: executors, driver, others | round ms measured "
          "| predicted | img/s measured | predicted | efficiency measured | predicted | 2 cores shared with the driver, "
          "nothing else | driver on a core of its own | val_accuracy |")
    print("|---|---|---|---|---|---|---|---|---|---|---|---|---|---|")
    main = WORKLOADS["main"]
    kw = dict(bandwidth_gbit=8, t_img=slope / 1e3, fixed_ms=fixed, worker_setup_ms=setup)
    for path, f, batch, last, cpu in rows:
        pred, idle, own = {}, {}, {}
        for n in (1, 2):
            c = cpu[n]
            # the driver's demand: its CPU seconds over the epoch as it would run unstarved
            d = min(1.0, c["driver_cores"] * c["s"])
            pred[n] = round_terms(main, n, frequency=f, batch=batch, slowdown=c["s"], **kw)
            idle[n] = round_terms(main, n, frequency=f, batch=batch, slowdown=max(1.0, (n + d) / cores), **kw)
            own[n] = round_terms(main, n, frequency=f, batch=batch, **kw)
        meas = {n: last[n]["train_examples_per_second"] for n in (1, 2)}
        for n in (1, 2):
            r, c = last[n]["rounds"], cpu[n]
            print(f"| {path.rsplit('/', 1)[-1]} | {f} | {n} | {c['s']:.2f} | {c['exec_cores']:.2f}, "
                  f"{c['driver_cores']:.2f}, {c['other_cores']:.2f} | {r['round_ms']['median']:.0f} | "
                  f"{pred[n]['round'] * 1e3:.0f} | {meas[n]:,.0f} | {pred[n]['img_per_s']:,.0f} | "
                  f"{meas[n] / (n * meas[1]):.2f} | {pred[n]['img_per_s'] / (n * pred[1]['img_per_s']):.2f} | "
                  f"{idle[n]['img_per_s'] / (n * idle[1]['img_per_s']):.2f} | "
                  f"{own[n]['img_per_s'] / (n * own[1]['img_per_s']):.2f} | {last[n].get('val_accuracy')} |")
    for target in (0.9,):
        f90 = frequency_for(main, 2, target=target, **kw)
        print(f"\nWith the driver on a core of its own, the fitted model reaches efficiency {target} at "
              f"train.averaging-frequency = {f90}.")


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = ap.add_subparsers(dest="cmd", required=True)
    sub.add_parser("tables", help="every table of docs/scaling.md's model sections")
    p = sub.add_parser("predict", help="one workload at one cluster size")
    p.add_argument("--workload", choices=sorted(WORKLOADS), required=True)
    p.add_argument("--workers", type=int, required=True)
    p.add_argument("--bandwidth", type=float, default=10.0, help="driver's (and executors') Gbit/s")
    p.add_argument("--frequency", type=int, help="train.averaging-frequency (default: the file's)")
    p.add_argument("--batch", type=int, help="train.batch-size per worker (default: the file's)")
    p.add_argument("--no-updater", action="store_true", help="average the parameters only")
    p.add_argument("--t-img", type=float, help="seconds of training compute per image on one worker")
    p.add_argument("--gpu", action="store_true", help="use the workload's assumed GPU per-image compute")
    p.add_argument("--depth", type=int, default=2, help="treeAggregate depth (DL4J's default 2)")
    v = sub.add_parser("validate", help="predicted against measured 1- and 2-executor runs")
    v.add_argument("logs", nargs="+", help="bench/rounds.sh printouts (LOG.cpu.jsonl beside each)")
    a = ap.parse_args()
    if a.cmd == "tables":
        tables()
    elif a.cmd == "predict":
        w = WORKLOADS[a.workload]
        if a.workers < 1 or a.bandwidth <= 0 or (a.frequency is not None and a.frequency < 1) \
                or (a.batch is not None and a.batch < 1) or (a.t_img is not None and a.t_img <= 0) or a.depth < 1:
            ap.error("--workers, --frequency, --batch, --depth must be >= 1; --bandwidth and --t-img > 0")
        t = a.t_img if a.t_img is not None else (w.t_gpu if a.gpu else w.t_cpu)
        if t is None:
            ap.error(f"workload {w.key} has no GPU figure: give --t-img")
        kw = dict(frequency=a.frequency, batch=a.batch, bandwidth_gbit=a.bandwidth, updater=not a.no_updater,
                  t_img=t, depth=a.depth)
        r = round_terms(w, a.workers, **kw)
        print(json.dumps({k: (round(v, 4) if isinstance(v, float) else v) for k, v in r.items()}))
        print(json.dumps({"efficiency": round(efficiency(w, a.workers, **kw), 4),
                          "frequency_for_0.9": frequency_for(w, a.workers, **kw),
                          "max_result_size_exceeded": r["driver_result_bytes"] > ASSUMED["max_result_bytes"]}))
    else:
        validate(a.logs)


if __name__ == "__main__":
    main()
