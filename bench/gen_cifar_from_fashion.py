#!/usr/bin/env python3
"""Writes learnable CIFAR-format data (byte for byte the CIFAR-10 / CIFAR-100 binary layouts) from the real
Fashion-MNIST images, for training the seed configurations on data of their format where CIFAR itself cannot be
downloaded (reference tooling; needs numpy; never used by the product or its tests).

Each 28x28 grey image is zero-padded to 32x32 and coloured with one of ten tints (channel gains), drawn per image
from a fixed seed:
  cifar10  DIR [TRAIN] [TEST]   label = the Fashion-MNIST class (the tint is a nuisance)
  cifar100 DIR [TRAIN] [TEST]   fine label = 10 * class + tint (100 classes: shape and colour), coarse = class * 2 + tint // 5
TRAIN / TEST (default 10000 / 2000) take the first N images of the Fashion-MNIST train / test files.
Writes cifar-10-batches-bin/ (data_batch_1..5, test_batch, batches.meta.txt) or cifar-100-binary/ (train.bin,
test.bin, fine_label_names.txt, coarse_label_names.txt) under DIR.
"""
import gzip
import os
import sys

import numpy as np

SRC = os.environ.get("FASHION_MNIST_DIR", "/usr/share/datasets/fashion-mnist")
# channel gains of the ten tints (R, G, B), distinct in hue and brightness
TINTS = np.array([[1.0, 1.0, 1.0], [1.0, 0.3, 0.3], [0.3, 1.0, 0.3], [0.3, 0.3, 1.0], [1.0, 1.0, 0.3],
                  [1.0, 0.3, 1.0], [0.3, 1.0, 1.0], [0.6, 0.6, 0.6], [1.0, 0.6, 0.2], [0.5, 0.2, 1.0]])


def idx(name, offset):
    with gzip.open(os.path.join(SRC, name)) as f:
        return np.frombuffer(f.read(), dtype=np.uint8, offset=offset)


def split(prefix, n, rng):
    images = idx(prefix + "-images-idx3-ubyte.gz", 16).reshape(-1, 28, 28)[:n]
    labels = idx(prefix + "-labels-idx1-ubyte.gz", 8)[:n].astype(np.int64)
    tint = rng.integers(0, 10, size=len(labels))
    padded = np.zeros((len(labels), 32, 32), dtype=np.float64)
    padded[:, 2:30, 2:30] = images
    rgb = padded[:, None, :, :] * TINTS[tint][:, :, None, None]  # N x 3 x 32 x 32, CHW as CIFAR stores it
    return np.clip(np.rint(rgb), 0, 255).astype(np.uint8).reshape(len(labels), 3072), labels, tint


def main():
    if len(sys.argv) < 3 or sys.argv[1] not in ("cifar10", "cifar100"):
        sys.exit(__doc__)
    kind, out = sys.argv[1], sys.argv[2]
    n_train = int(sys.argv[3]) if len(sys.argv) > 3 else 10000
    n_test = int(sys.argv[4]) if len(sys.argv) > 4 else 2000
    rng = np.random.default_rng(0)
    train = split("train", n_train, rng)
    test = split("t10k", n_test, rng)
    if kind == "cifar10":
        d = os.path.join(out, "cifar-10-batches-bin")
        os.makedirs(d, exist_ok=True)
        x, y, _ = train
        parts = np.array_split(np.arange(len(y)), 5)
        for i, p in enumerate(parts, 1):
            rec = np.concatenate([y[p, None].astype(np.uint8), x[p]], axis=1)
            rec.tofile(os.path.join(d, "data_batch_%d.bin" % i))
        x, y, _ = test
        np.concatenate([y[:, None].astype(np.uint8), x], axis=1).tofile(os.path.join(d, "test_batch.bin"))
        with open(os.path.join(d, "batches.meta.txt"), "w") as f:
            f.write("\n".join("fashion%d" % i for i in range(10)) + "\n\n")
    else:
        d = os.path.join(out, "cifar-100-binary")
        os.makedirs(d, exist_ok=True)
        for name, (x, y, t) in (("train.bin", train), ("test.bin", test)):
            fine = (10 * y + t).astype(np.uint8)
            coarse = (2 * y + t // 5).astype(np.uint8)
            np.concatenate([coarse[:, None], fine[:, None], x], axis=1).tofile(os.path.join(d, name))
        with open(os.path.join(d, "fine_label_names.txt"), "w") as f:
            f.write("\n".join("fashion%d_tint%d" % (c, t) for c in range(10) for t in range(10)) + "\n")
        with open(os.path.join(d, "coarse_label_names.txt"), "w") as f:
            f.write("\n".join("fashion%d_%s" % (c, h) for c in range(10) for h in ("warm", "cool")) + "\n")
    print(d)


if __name__ == "__main__":
    main()
