"""Writes, from Fashion-MNIST, the inputs of bench/metrics/verification_recompute.sh: an RGB image folder to train a
small model on (train/<class>/, test/<class>/) and an InsightFace verification set `fmnist_pairs.bin` (the pickle of
(bins, issame_list), PNG images) whose pairs are two test images of the same class (same) or of two classes
(different), 300 + 300 pairs in InsightFace's order (pairs i, 10 contiguous folds).

Usage: python3 make_verification_data.py FASHION_MNIST_DIR OUT_DIR   (needs numpy and PIL: python3-numpy, python3-pil)
"""
import gzip, io, os, pickle, sys
import numpy as np
from PIL import Image

src, out = sys.argv[1], sys.argv[2]
def idx(name, offset):
    with gzip.open(os.path.join(src, name)) as f:
        return np.frombuffer(f.read(), np.uint8, offset=offset)
train_x = idx("train-images-idx3-ubyte.gz", 16).reshape(-1, 28, 28)
train_y = idx("train-labels-idx1-ubyte.gz", 8)
test_x = idx("t10k-images-idx3-ubyte.gz", 16).reshape(-1, 28, 28)
test_y = idx("t10k-labels-idx1-ubyte.gz", 8)
rgb = lambda a: Image.fromarray(np.stack([a, a, a], -1), "RGB")
for split, xs, ys, n in (("train", train_x, train_y, 6000), ("test", test_x, test_y, 1000)):
    for i in range(n):
        d = os.path.join(out, "images", split, str(ys[i]))
        os.makedirs(d, exist_ok=True)
        rgb(xs[i]).save(os.path.join(d, f"{i:05d}.png"))
rng = np.random.default_rng(20261207)
by_class = [np.flatnonzero(test_y == c) for c in range(10)]
bins, issame = [], []
def png(a):
    b = io.BytesIO(); rgb(a).save(b, "PNG"); return b.getvalue()
for i in range(600):
    same = i % 2 == 0
    c1 = rng.integers(10)
    c2 = c1 if same else (c1 + rng.integers(1, 10)) % 10
    a, b = rng.choice(by_class[c1]), rng.choice(by_class[c2])
    bins += [png(test_x[a]), png(test_x[b])]
    issame.append(bool(same))
os.makedirs(os.path.join(out, "bins"), exist_ok=True)
with open(os.path.join(out, "bins", "fmnist_pairs.bin"), "wb") as f:
    pickle.dump((bins, issame), f, protocol=3)
print(f"wrote {out}/images (6000 train, 1000 test) and {out}/bins/fmnist_pairs.bin ({len(issame)} pairs)")
