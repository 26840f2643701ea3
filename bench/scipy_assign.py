#!/usr/bin/env python3
"""Reference timing: SciPy's linear_sum_assignment on a .npy cost matrix (benchmarks only, never the product/CI).

usage: scipy_assign.py COST.npy [--maximize]   prints one JSON line {"objective", "seconds", "n", "solver"}
"""
import json
import sys
import time

import numpy as np
from scipy.optimize import linear_sum_assignment

c = np.load(sys.argv[1])
maximize = "--maximize" in sys.argv[2:]
t0 = time.perf_counter()
rows, cols = linear_sum_assignment(c, maximize=maximize)
seconds = time.perf_counter() - t0
print(json.dumps({"objective": float(c[rows, cols].sum()), "seconds": seconds, "n": int(c.shape[0]),
                  "solver": "scipy " + __import__("scipy").__version__}))
