#!/usr/bin/env python3
"""Writes benchmark inputs for `protospark assign` (reference tooling only; not used by the product or CI).

dense N KIND OUT.npy   KIND uniform: U(0,1) costs (minimised); cosine: cos(class memory, prototype), K x K,
                       class memories = prototypes (d = 64) under a hidden permutation plus noise (maximised)
sparse K D DIR         DIR/classes.npy, DIR/prototypes.npy (float32 K x D, unit rows; classes = prototypes under a
                       hidden permutation plus noise) and DIR/hidden.npy (the permutation)
"""
import sys

import numpy as np


def unit(x):
    return x / np.linalg.norm(x, axis=1, keepdims=True)


def memories(rng, protos, noise):
    k, d = protos.shape
    perm = rng.permutation(k)
    q = protos[perm] + noise * rng.standard_normal((k, d), dtype=np.float32) / np.sqrt(d)
    return unit(q).astype(np.float32), perm


def main(argv):
    rng = np.random.default_rng(20240601)
    if argv[0] == "dense":
        n, kind, out = int(argv[1]), argv[2], argv[3]
        if kind == "uniform":
            c = rng.random((n, n))
        elif kind == "cosine":
            p = unit(rng.standard_normal((n, 64))).astype(np.float32)
            q, _ = memories(rng, p, 1.0)
            c = (q.astype(np.float64) @ p.astype(np.float64).T)
        else:
            raise SystemExit("kind must be uniform or cosine, got " + kind)
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
