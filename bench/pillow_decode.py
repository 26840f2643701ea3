#!/usr/bin/env python3
"""Reference: JPEG decode + crop with Pillow, one core (reference tooling only).

  pillow_decode.py DIR SIZE            shorter side to SIZE (bilinear), centre SIZE x SIZE crop
  pillow_decode.py DIR SIZE rrc        torchvision's RandomResizedCrop(SIZE) on PIL images (scale (0.08, 1), ratio
                                       (3/4, 4/3), bilinear) + random horizontal flip, as the seeds' loaders do it
"""
import glob
import math
import random
import sys
import time

from PIL import Image

files = sorted(glob.glob(sys.argv[1] + "/**/*.jpg", recursive=True))
size = int(sys.argv[2])
mode = sys.argv[3] if len(sys.argv) > 3 else "centre"
rng = random.Random(1)


def rrc_box(width, height):
    """torchvision.transforms.RandomResizedCrop.get_params, with Python's random for the draws."""
    area = height * width
    log_ratio = (math.log(3 / 4), math.log(4 / 3))
    for _ in range(10):
        target_area = area * rng.uniform(0.08, 1.0)
        aspect_ratio = math.exp(rng.uniform(*log_ratio))
        w = int(round(math.sqrt(target_area * aspect_ratio)))
        h = int(round(math.sqrt(target_area / aspect_ratio)))
        if 0 < w <= width and 0 < h <= height:
            return rng.randint(0, height - h), rng.randint(0, width - w), h, w
    in_ratio = width / height
    if in_ratio < 3 / 4:
        w, h = width, int(round(width / (3 / 4)))
    elif in_ratio > 4 / 3:
        h, w = height, int(round(height * (4 / 3)))
    else:
        w, h = width, height
    return (height - h) // 2, (width - w) // 2, h, w


start = time.perf_counter()
for f in files:
    im = Image.open(f).convert("RGB")
    w, h = im.size
    if mode == "rrc":
        i, j, ch, cw = rrc_box(w, h)
        # torchvision's F.resized_crop on a PIL image: crop, then resize (PIL's antialiased bilinear)
        out = im.crop((j, i, j + cw, i + ch)).resize((size, size), Image.BILINEAR)
        if rng.random() < 0.5:
            out = out.transpose(Image.FLIP_LEFT_RIGHT)
        out.tobytes()
    else:
        s = size / min(w, h)
        im = im.resize((max(size, round(w * s)), max(size, round(h * s))), Image.BILINEAR)
        w, h = im.size
        left, top = (w - size) // 2, (h - size) // 2
        im.crop((left, top, left + size, top + size)).tobytes()
secs = time.perf_counter() - start
print("pillow %s: %d images in %.2f s = %.1f images/s on one core" % (mode, len(files), secs, len(files) / secs))
