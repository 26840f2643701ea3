#!/usr/bin/env python3
"""Compares protospark's embed output (Parquet, read with hyparquet through read_parquet.mjs) with PyTorch's embeddings.

    HYPARQUET_DIR=... python3 compare.py EMBED_DIR TORCH.npy LABEL
"""
import json
import os
import subprocess
import sys

import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))
emb_dir, ref_file, label = sys.argv[1], sys.argv[2], sys.argv[3]
files = sorted(os.path.join(emb_dir, f) for f in os.listdir(emb_dir) if f.endswith(".parquet"))
rows = []
for f in files:
    rows += json.loads(subprocess.check_output(["node", os.path.join(HERE, "..", "metrics", "read_parquet.mjs"), f]))
rows.sort(key=lambda r: int(r["id"]))
ours = np.array([r["embedding"] for r in rows], dtype=np.float64)
ref = np.load(ref_file)
assert ours.shape == ref.shape, (ours.shape, ref.shape)
diff = np.abs(ours - ref)
rel = diff.max() / np.abs(ref).max()
cos = np.sum(ours * ref, 1) / (np.linalg.norm(ours, axis=1) * np.linalg.norm(ref, axis=1))
print(f"{label}: {ours.shape[0]} embeddings of {ours.shape[1]}: max |diff| {diff.max():.3e} "
      f"(max |torch| {np.abs(ref).max():.3f}, relative {rel:.2e}), min cosine {cos.min():.8f}")
sys.exit(0 if rel < 1e-3 and cos.min() > 0.99999 else 1)
