#!/usr/bin/env python3
"""Writes benchmark inputs for `protospark assign` (reference tooling only; not used by the product or CI).

dense N KIND OUT.npy   K x K float64 costs. KIND (`--maximize` for the cosine kinds, as `assign` runs them):
                       uniform        U(0,1), minimised
                       cosine         = cosine-n1-d64 (the first benchmark's matrix)
                       near-perm      = cosine-n0.3-d64: memories close to their prototypes (late in training)
                       cosine-nS-dD   cos(class memory, prototype) with unit prototypes in D dimensions and memories
                                      = prototypes under a hidden permutation plus Gaussian noise of norm ~S, maximised
                                      (S = 4 is mostly noise, early in training; D << K is low rank)
                       random-dD      cosines of two independent sets of K random unit vectors in D dimensions
                                      (no hidden permutation at all), maximised
                       intM           integers drawn uniformly from 0..M-1, minimised: many ties
sparse K D DIR         DIR/classes.npy, DIR/prototypes.npy (float32 K x D, unit rows; classes = prototypes under a
                       hidden permutation plus noise) and DIR/hidden.npy (the permutation)
"""
import re
import sys

import numpy as np


def unit(x):
    return x / np.linalg.norm(x, axis=1, keepdims=True)


def memories(rng, protos, noise):
    k, d = protos.shape
    perm = rng.permutation(k)
    q = protos[perm] + noise * rng.standard_normal((k, d), dtype=np.float32) / np.sqrt(d)
    return unit(q).astype(np.float32), perm


def maximized(kind):
    """Whether `assign` runs this kind with --maximize (the cosine kinds)."""
    return kind in ("cosine", "near-perm") or kind.startswith(("cosine-", "random-"))


def dense(rng, n, kind):
    if kind == "uniform":
        return rng.random((n, n))
    if kind == "cosine":
        kind = "cosine-n1-d64"
    elif kind == "near-perm":
        kind = "cosine-n0.3-d64"
    m = re.fullmatch(r"cosine-n([0-9.]+)-d([0-9]+)", kind)
    if m:
        noise, d = float(m.group(1)), int(m.group(2))
        p = unit(rng.standard_normal((n, d))).astype(np.float32)
        q, _ = memories(rng, p, noise)
        return q.astype(np.float64) @ p.astype(np.float64).T
    m = re.fullmatch(r"random-d([0-9]+)", kind)
    if m:
        d = int(m.group(1))
        p = unit(rng.standard_normal((n, d))).astype(np.float32)
        q = unit(rng.standard_normal((n, d))).astype(np.float32)
        return q.astype(np.float64) @ p.astype(np.float64).T
    m = re.fullmatch(r"int([0-9]+)", kind)
    if m:
        return rng.integers(0, int(m.group(1)), size=(n, n)).astype(np.float64)
    raise SystemExit("unknown kind " + kind + "\n" + __doc__)


def main(argv):
    rng = np.random.default_rng(20240601)
    if argv[0] == "maximized":
        print("yes" if maximized(argv[1]) else "no")
    elif argv[0] == "dense":
        n, kind, out = int(argv[1]), argv[2], argv[3]
        c = dense(rng, n, kind)
        np.save(out, np.ascontiguousarray(c, dtype=np.float64))
    elif argv[0] == "sparse":
        k, d, out = int(argv[1]), int(argv[2]), argv[3]
        p = unit(rng.standard_normal((k, d), dtype=np.float32)).astype(np.float32)
        q, perm = memories(rng, p, 0.5)
        np.save(out + "/prototypes.npy", p)
        np.save(out + "/classes.npy", q)
        np.save(out + "/hidden.npy", perm.astype(np.int64))
    else:
        raise SystemExit(__doc__)


if __name__ == "__main__":
    main(sys.argv[1:])
