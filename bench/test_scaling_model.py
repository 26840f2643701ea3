#!/usr/bin/env python3
"""Checks of bench/scaling_model.py: python3 -m unittest discover -s bench -p 'test_scaling_model.py'"""
import json
import math
import os
import sys
import tempfile
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import scaling_model as m  # noqa: E402


class TreeAggregateTest(unittest.TestCase):
    def test_levels_follow_sparks_algorithm_at_depth_2(self):
        # RDD.treeAggregate: scale = max(ceil(n^(1/depth)), 2); a level while n > scale + ceil(n / scale)
        self.assertEqual(m.tree_aggregate(1), ([], 1))
        self.assertEqual(m.tree_aggregate(2), ([], 2))
        self.assertEqual(m.tree_aggregate(4), ([], 4))  # 4 > 2 + 2 is false: no executor level
        self.assertEqual(m.tree_aggregate(8), ([4], 2))  # scale 3: 8 -> 2 partitions of 4 results
        self.assertEqual(m.tree_aggregate(32), ([7], 5))  # scale 6: 32 -> 5 partitions, i % 5 gives up to 7
        self.assertEqual(m.tree_aggregate(128), ([13], 10))  # scale 12: 128 -> 10

    def test_deeper_trees_send_fewer_results_to_the_driver(self):
        self.assertLess(m.tree_aggregate(128, depth=3)[1], m.tree_aggregate(128, depth=2)[1])


class RoundTest(unittest.TestCase):
    def test_one_worker_is_the_reference(self):
        for w in m.WORKLOADS.values():
            self.assertAlmostEqual(m.efficiency(w, 1, bandwidth_gbit=10), 1.0)

    def test_bytes_follow_parameters_and_updater(self):
        r50 = m.WORKLOADS["resnet50"]
        self.assertEqual(r50.result_bytes(True), 4 * 2 * r50.params)  # SGD momentum: one value per parameter
        self.assertEqual(r50.result_bytes(False), 4 * r50.params)
        main = m.WORKLOADS["main"]
        self.assertEqual(main.broadcast_bytes(True), 2_502_528)  # measured
        # the estimate agrees with the measurement within Java serialisation's overhead
        self.assertAlmostEqual(main.state_bytes(True) + main.config_bytes, 2_502_528, delta=20_000)

    def test_broadcast_term_is_every_copy_over_the_drivers_link(self):
        w = m.WORKLOADS["resnet50"]
        t = m.round_terms(w, 32, bandwidth_gbit=10)
        self.assertAlmostEqual(t["broadcast"], 32 * w.broadcast_bytes() / (10 * m.GBIT))
        torrent = m.round_terms(w, 32, bandwidth_gbit=10, broadcast="torrent")["broadcast"]
        self.assertLess(torrent, t["broadcast"] / 10)

    def test_efficiency_falls_with_workers_and_rises_with_frequency_and_bandwidth(self):
        w = m.WORKLOADS["resnet50"]
        effs = [m.efficiency(w, n, bandwidth_gbit=10, t_img=w.t_gpu) for n in m.WORKERS]
        self.assertEqual(effs, sorted(effs, reverse=True))
        self.assertGreater(m.efficiency(w, 32, frequency=100, t_img=w.t_gpu),
                           m.efficiency(w, 32, frequency=10, t_img=w.t_gpu))
        self.assertGreater(m.efficiency(w, 32, bandwidth_gbit=25, t_img=w.t_gpu),
                           m.efficiency(w, 32, bandwidth_gbit=1, t_img=w.t_gpu))

    def test_frequency_for_reaches_the_target_and_one_less_does_not(self):
        w = m.WORKLOADS["resnet50"]
        f = m.frequency_for(w, 32, bandwidth_gbit=10)
        self.assertGreaterEqual(m.efficiency(w, 32, frequency=f, bandwidth_gbit=10), 0.9)
        self.assertLess(m.efficiency(w, 32, frequency=f - 1, bandwidth_gbit=10), 0.9)

    def test_starvation_stretches_compute_and_fixed_cost(self):
        w = m.WORKLOADS["main"]
        a = m.round_terms(w, 2, bandwidth_gbit=8)
        b = m.round_terms(w, 2, bandwidth_gbit=8, slowdown=2.0)
        self.assertAlmostEqual(b["compute"], 2 * a["compute"])
        self.assertAlmostEqual(b["fixed"], 2 * a["fixed"])
        self.assertAlmostEqual(b["broadcast"], a["broadcast"])


class ValidateInputTest(unittest.TestCase):
    def test_reads_a_rounds_printout_and_the_cpu_samples_of_its_last_epoch(self):
        rounds = {"count": 2, "minibatches_per_worker": 20, "round_ms": {"sum": 4000.0, "median": 2000.0},
                  "worker_ms": {"median": 1000.0}}
        line = {"epoch": 1, "train_examples": 1280, "train_examples_per_second": 320.0, "rounds": rounds}
        with tempfile.TemporaryDirectory() as d:
            log = os.path.join(d, "A.log")
            with open(log, "w") as f:
                f.write("1 executor(s): " + json.dumps(line) + "\n")
                f.write("1 executor(s) log: 26/12/07 21:06:29 INFO TrainLoop: epoch 1 averaging: 2 rounds of up to 10 minibatches per worker: round 4000 ms\n")
                f.write("2 executor(s): " + json.dumps(line) + "\n  " + json.dumps(dict(line, epoch=2)) + "\n")
                f.write("2 executor(s) log: 26/12/07 21:12:52 INFO TrainLoop: epoch 2 averaging: 2 rounds of up to 10 minibatches per worker: round 4000 ms\n")
                f.write("main job, 20000 examples per epoch\n")
            runs, windows = m.parse_rounds_log(log)
            self.assertEqual([r["epoch"] for r in runs[2]], [1, 2])
            end = 1796677589.0  # 2026-12-07 21:06:29 UTC
            self.assertEqual(windows[1], (end - 4 - 1, end + 1))
            self.assertEqual(windows["frequency"], 10)
            cpu = os.path.join(d, "A.log.cpu.jsonl")
            with open(cpu, "w") as f:
                for i, (run, wait) in enumerate([(0, 0), (10**9, 10**9), (2 * 10**9, 2 * 10**9)]):
                    f.write(json.dumps({"t": end - 4 + 2 * i, "cpu": [100 * i, 0, 0, 100 * i, 0, 0, 0, 0],
                                        "runnable": 3, "procs": {"7": {"role": "executor", "jiffies": 0,
                                                                       "run_ns": run, "wait_ns": wait}}}) + "\n")
            got = m.cpu_windows(cpu, windows)
            self.assertTrue(math.isclose(got[1]["s"], 2.0))  # waited as long as it ran
            self.assertTrue(math.isclose(got[1]["exec_cores"], 0.5))


if __name__ == "__main__":
    unittest.main()
