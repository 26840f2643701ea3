#!/usr/bin/env python3
"""Reference: JPEG decode + shorter-side resize + centre crop with Pillow, one core (reference tooling only)."""
import glob
import sys
import time

from PIL import Image

files = sorted(glob.glob(sys.argv[1] + "/**/*.jpg", recursive=True))
size = int(sys.argv[2])
start = time.perf_counter()
for f in files:
    im = Image.open(f).convert("RGB")
    w, h = im.size
    s = size / min(w, h)
    im = im.resize((max(size, round(w * s)), max(size, round(h * s))), Image.BILINEAR)
    w, h = im.size
    left, top = (w - size) // 2, (h - size) // 2
    im.crop((left, top, left + size, top + size)).tobytes()
secs = time.perf_counter() - start
print("pillow: %d images in %.2f s = %.1f images/s on one core" % (len(files), secs, len(files) / secs))
