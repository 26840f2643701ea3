#!/usr/bin/env python3
"""Writes learnable face- and ImageNet-shaped data (the exact on-disk formats `protospark prepare` reads) from the real
Fashion-MNIST images, for training the seed configurations on data of their shape where MS1M and ImageNet cannot be
downloaded (reference tooling; needs numpy and Pillow, e.g. Debian's python3-numpy and python3-pil; never used by the
product or its tests).

Every image is a Fashion-MNIST image, zero-padded to 32x32, coloured with one of the ten tints of
gen_cifar_from_fashion.py (drawn per image from a fixed seed, a nuisance), enlarged with bilinear interpolation and
saved as a JPEG (quality 90). The label is the Fashion-MNIST class, so the ten classes need the shape, not the colour.
Each class takes its first images of the Fashion-MNIST file in file order.

  recordio DIR PER_ID               InsightFace RecordIO (train.rec, train.idx, property "10,112,112"): 10 identities
                                    x PER_ID 112x112 images from the Fashion-MNIST train file; identity c's images are
                                    the contiguous keys of its range, as insightface's MXFaceDataset expects
  imagefolder DIR TRAIN TEST [SIZE] train/<class>/*.jpg from the train file and test/<class>/*.jpg from the t10k file,
                                    TRAIN and TEST per class, SIZE x SIZE (default 256)
  imagenet DIR TRAIN VAL [SIZE]     the ILSVRC-2012 layout: train/<wnid>/<wnid>_<n>.JPEG (TRAIN per class, train file)
                                    and a flat val/ILSVRC2012_val_<8 digits>.JPEG (VAL per class, t10k file, classes
                                    interleaved), ILSVRC2012_validation_ground_truth.txt (line i = ILSVRC2012_ID of val
                                    image i) and synsets.txt (lines "<ILSVRC2012_ID> <WNID> <words>", the text form of
                                    the devkit's meta.mat); SIZE x SIZE (default 256). The WNIDs are made up; their
                                    sorted order (the training label) differs from the Fashion-MNIST class order and
                                    from the ILSVRC2012_ID order, so the ID -> WNID -> label mapping is exercised.
"""
import io
import os
import struct
import sys

import numpy as np
from PIL import Image

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from gen_cifar_from_fashion import TINTS, idx  # noqa: E402  (same reader and tints as the CIFAR-format data)
from gen_prepare import header, record  # noqa: E402  (the same RecordIO framing)

NAMES = ["tshirt_top", "trouser", "pullover", "dress", "coat", "sandal", "shirt", "sneaker", "bag", "ankle_boot"]
# made-up WNIDs, one per Fashion-MNIST class; in sorted order (the training label) the classes are 8 3 0 6 1 9 4 7 2 5
WNIDS = ["n03000003", "n05000006", "n09000009", "n02000002", "n06000006", "n09500000", "n04000004", "n07000007",
         "n01000001", "n05500005"]
# ILSVRC2012_ID of each class (1-based, as the devkit numbers its leaf synsets): a third order
ILSVRC_IDS = [4, 9, 1, 7, 10, 2, 5, 8, 3, 6]


def per_class(prefix, n):
    """The first n images of each class of the Fashion-MNIST file PREFIX, as {class: uint8 N x 28 x 28}."""
    images = idx(prefix + "-images-idx3-ubyte.gz", 16).reshape(-1, 28, 28)
    labels = idx(prefix + "-labels-idx1-ubyte.gz", 8)
    out = {}
    for c in range(10):
        members = np.flatnonzero(labels == c)[:n]
        if len(members) < n:
            sys.exit("%s: class %d has only %d images, %d asked" % (prefix, c, len(members), n))
        out[c] = images[members]
    return out


def picture(gray, tint, size):
    """A 28x28 grey image padded to 32x32, tinted, enlarged to size x size."""
    padded = np.zeros((32, 32), dtype=np.float64)
    padded[2:30, 2:30] = gray
    rgb = np.clip(np.rint(padded[:, :, None] * TINTS[tint][None, None, :]), 0, 255).astype(np.uint8)
    return Image.fromarray(rgb, "RGB").resize((size, size), Image.BILINEAR)


def jpeg(img):
    buf = io.BytesIO()
    img.save(buf, format="JPEG", quality=90)
    return buf.getvalue()


def recordio(d, per_id):
    """10 identities x per_id images; keys 1..n images (identity c: keys 1 + c*per_id ...), L0 = n + 1 ... identity
    records, key 0 the header [L0, L1] (insightface's im2rec layout, float32 label arrays)."""
    os.makedirs(d, exist_ok=True)
    rng = np.random.default_rng(3)
    ids = 10
    images = per_class("train", per_id)
    n = ids * per_id
    l0 = n + 1
    l1 = l0 + ids
    offsets = []
    with open(os.path.join(d, "train.rec"), "wb") as f:
        def put(key, payload):
            offsets.append((key, f.tell()))
            f.write(record(payload))

        put(0, header(2, 0.0, 0) + struct.pack("<2f", l0, l1))
        key = 1
        for c in range(ids):
            for gray in images[c]:
                img = picture(gray, rng.integers(0, 10), 112)
                put(key, header(0, float(c), key) + jpeg(img))
                key += 1
        for c in range(ids):
            put(l0 + c, header(2, 0.0, l0 + c) + struct.pack("<2f", 1 + c * per_id, 1 + (c + 1) * per_id))
    with open(os.path.join(d, "train.idx"), "w") as f:
        for key, off in offsets:
            f.write("%d\t%d\n" % (key, off))
    with open(os.path.join(d, "property"), "w") as f:
        f.write("%d,112,112\n" % ids)


def imagefolder(d, n_train, n_test, size):
    rng = np.random.default_rng(4)
    for split, prefix, n in (("train", "train", n_train), ("test", "t10k", n_test)):
        for c, grays in per_class(prefix, n).items():
            folder = os.path.join(d, split, NAMES[c])
            os.makedirs(folder, exist_ok=True)
            for i, gray in enumerate(grays):
                picture(gray, rng.integers(0, 10), size).save(os.path.join(folder, "%s_%05d.jpg" % (NAMES[c], i)),
                                                              quality=90)


def imagenet(d, n_train, n_val, size):
    rng = np.random.default_rng(5)
    for c, grays in per_class("train", n_train).items():
        folder = os.path.join(d, "train", WNIDS[c])
        os.makedirs(folder, exist_ok=True)
        for i, gray in enumerate(grays):
            picture(gray, rng.integers(0, 10), size).save(os.path.join(folder, "%s_%d.JPEG" % (WNIDS[c], i + 1)),
                                                          quality=90)
    val = os.path.join(d, "val")
    os.makedirs(val, exist_ok=True)
    grays = per_class("t10k", n_val)
    truth = []
    number = 1
    for i in range(n_val):  # classes interleaved, as ImageNet's val/ is not sorted by class
        for c in range(10):
            picture(grays[c][i], rng.integers(0, 10), size).save(
                os.path.join(val, "ILSVRC2012_val_%08d.JPEG" % number), quality=90)
            truth.append(ILSVRC_IDS[c])
            number += 1
    with open(os.path.join(d, "ILSVRC2012_validation_ground_truth.txt"), "w") as f:
        f.write("".join("%d\n" % t for t in truth))
    with open(os.path.join(d, "synsets.txt"), "w") as f:
        for c in sorted(range(10), key=lambda k: ILSVRC_IDS[k]):
            f.write("%d %s %s\n" % (ILSVRC_IDS[c], WNIDS[c], NAMES[c]))


def main():
    a = sys.argv[1:]
    if len(a) == 3 and a[0] == "recordio":
        recordio(a[1], int(a[2]))
    elif len(a) in (4, 5) and a[0] in ("imagefolder", "imagenet"):
        size = int(a[4]) if len(a) == 5 else 256
        (imagefolder if a[0] == "imagefolder" else imagenet)(a[1], int(a[2]), int(a[3]), size)
    else:
        sys.exit(__doc__)
    print(a[1])


if __name__ == "__main__":
    main()
