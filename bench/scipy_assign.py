#!/usr/bin/env python3
"""Reference timing: SciPy's linear_sum_assignment on a .npy cost matrix (benchmarks only, never the product/CI).

usage: scipy_assign.py COST.npy [--maximize]   prints one JSON line {"objective", "seconds", "cpu_seconds", "n", "solver"}
"""
import json
import sys
import time

import numpy as np
from scipy.optimize import linear_sum_assignment

c = np.load(sys.argv[1])
maximize = "--maximize" in sys.argv[2:]
t0, c0 = time.perf_counter(), time.process_time()
rows, cols = linear_sum_assignment(c, maximize=maximize)
seconds, cpu_seconds = time.perf_counter() - t0, time.process_time() - c0
print(json.dumps({"objective": float(c[rows, cols].sum()), "seconds": seconds, "cpu_seconds": cpu_seconds, "n": int(c.shape[0]),
                  "solver": "scipy " + __import__("scipy").__version__}))
