#!/usr/bin/env python3
"""Writes benchmark inputs for `protospark prepare` in the real on-disk formats (reference tooling only; needs
numpy and Pillow, e.g. Debian's python3-numpy and python3-pil; never used by the product or its tests).

  gen_prepare.py cifar10 DIR            full-size CIFAR-10 binary: 5 x 10,000 + 10,000 records of 3,073 bytes
  gen_prepare.py jpegs DIR N            N 500x375 JPEGs in an ImageFolder tree (train/ and test/, 10 classes)
  gen_prepare.py recordio DIR N IDS     InsightFace RecordIO (train.rec, train.idx, property) with N 112x112 JPEGs
"""
import io
import os
import struct
import sys

import numpy as np
from PIL import Image

MAGIC = 0xCED7230A


def cifar10(d):
    os.makedirs(d, exist_ok=True)
    rng = np.random.default_rng(0)
    names = ["data_batch_%d.bin" % i for i in range(1, 6)] + ["test_batch.bin"]
    for n in names:
        rec = np.empty((10000, 3073), dtype=np.uint8)
        rec[:, 0] = np.arange(10000) % 10
        rec[:, 1:] = rng.integers(0, 256, size=(10000, 3072), dtype=np.uint8)
        rec.tofile(os.path.join(d, n))
    with open(os.path.join(d, "batches.meta.txt"), "w") as f:
        f.write("\n".join("class%d" % i for i in range(10)) + "\n")


def picture(rng, w, h):
    y, x = np.mgrid[0:h, 0:w]
    base = np.stack([(x * rng.uniform(0.2, 1.0)) % 256, (y * rng.uniform(0.2, 1.0)) % 256,
                     ((x + y) * rng.uniform(0.1, 0.5)) % 256], axis=-1)
    noise = rng.normal(0, 12, size=base.shape)
    return Image.fromarray(np.clip(base + noise, 0, 255).astype(np.uint8))


def jpegs(d, n):
    rng = np.random.default_rng(1)
    for i in range(n):
        split = "test" if (i // 10) % 5 == 4 else "train"
        cls = "class%d" % (i % 10)
        os.makedirs(os.path.join(d, split, cls), exist_ok=True)
        picture(rng, 500, 375).save(os.path.join(d, split, cls, "img%05d.jpg" % i), quality=90)


def record(payload):
    """One whole RecordIO record: magic, length (part flag 0), data, zero padding to 4 bytes."""
    length = len(payload)
    if length >= 1 << 29:
        raise ValueError("record too long")
    return struct.pack("<II", MAGIC, length) + payload + b"\0" * (((length + 3) & ~3) - length)


def header(flag, label, id1, id2=0):
    """MXNet's IRHeader ('IfQQ')."""
    return struct.pack("<IfQQ", flag, label, id1, id2)


def recordio(d, n, ids):
    os.makedirs(d, exist_ok=True)
    rng = np.random.default_rng(2)
    per = n // ids
    n = per * ids
    l0 = n + 1
    l1 = l0 + ids
    offsets = []
    with open(os.path.join(d, "train.rec"), "wb") as f:
        def put(key, payload):
            offsets.append((key, f.tell()))
            f.write(record(payload))
        put(0, header(2, 0.0, 0) + struct.pack("<2f", l0, l1))
        images = [picture(rng, 112, 112) for _ in range(16)]
        for i in range(n):
            buf = io.BytesIO()
            images[i % 16].save(buf, format="JPEG", quality=90)
            put(i + 1, header(0, float(i // per), i + 1) + buf.getvalue())
        for c in range(ids):
            put(l0 + c, header(2, 0.0, l0 + c) + struct.pack("<2f", 1 + c * per, 1 + (c + 1) * per))
    with open(os.path.join(d, "train.idx"), "w") as f:
        for key, off in offsets:
            f.write("%d\t%d\n" % (key, off))
    with open(os.path.join(d, "property"), "w") as f:
        f.write("%d,112,112\n" % ids)


if __name__ == "__main__":
    kind = sys.argv[1]
    if kind == "cifar10":
        cifar10(sys.argv[2])
    elif kind == "jpegs":
        jpegs(sys.argv[2], int(sys.argv[3]))
    elif kind == "recordio":
        recordio(sys.argv[2], int(sys.argv[3]), int(sys.argv[4]))
    else:
        sys.exit(__doc__)
