#!/usr/bin/env python3
"""Writes an MNIST-style (IDX) outlier-exposure set for the Fashion-MNIST open-set comparison.

Each image is a Fashion-MNIST training image cut into 4x4 tiles that are shuffled at random, so local texture and
intensity survive but no garment does; labels are all 0 (the trainer ignores them). Both IDX splits are written
(the prepare command reads the four files of an MNIST-style directory).

usage: bench/gen_outliers.py FASHION_MNIST_DIR OUT_DIR [N] [SEED]
"""
import gzip
import os
import struct
import sys

import numpy as np


def read_images(path):
    with gzip.open(path, "rb") as f:
        magic, n, h, w = struct.unpack(">IIII", f.read(16))
        assert magic == 0x803, path
        return np.frombuffer(f.read(), dtype=np.uint8).reshape(n, h, w)


def write(out, name, images):
    n, h, w = images.shape
    with open(os.path.join(out, name + "-images-idx3-ubyte"), "wb") as f:
        f.write(struct.pack(">IIII", 0x803, n, h, w))
        f.write(images.tobytes())
    with open(os.path.join(out, name + "-labels-idx1-ubyte"), "wb") as f:
        f.write(struct.pack(">II", 0x801, n))
        f.write(bytes(n))


def main():
    src, out = sys.argv[1], sys.argv[2]
    n = int(sys.argv[3]) if len(sys.argv) > 3 else 10000
    rng = np.random.default_rng(int(sys.argv[4]) if len(sys.argv) > 4 else 0)
    images = read_images(os.path.join(src, "train-images-idx3-ubyte.gz"))
    picked = images[rng.choice(len(images), size=n, replace=False)]
    t = 4
    g = 28 // t
    tiles = picked.reshape(n, g, t, g, t).transpose(0, 1, 3, 2, 4).reshape(n, g * g, t, t)
    for i in range(n):
        tiles[i] = tiles[i][rng.permutation(g * g)]
    shuffled = tiles.reshape(n, g, g, t, t).transpose(0, 1, 3, 2, 4).reshape(n, 28, 28)
    os.makedirs(out, exist_ok=True)
    write(out, "train", np.ascontiguousarray(shuffled))
    write(out, "t10k", np.ascontiguousarray(shuffled[:100]))


if __name__ == "__main__":
    main()
