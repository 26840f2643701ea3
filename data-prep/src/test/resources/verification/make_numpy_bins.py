# Writes InsightFace-style verification .bin files whose images are numpy uint8 arrays (what cv2.imencode
# returns, as InsightFace's align scripts store them) and whose flags are numpy bools, pickled with protocol 2
# (Python 2 era files) and protocol 5 (HIGHEST_PROTOCOL today). Run once with numpy; the outputs are committed.
import pickle
import struct
import zlib

import numpy as np


def png(seed, size=4):
    raw = b''.join(b'\x00' + bytes((seed * 40 + x * 16 + y) % 256 for x in range(size) for _ in range(3))
                   for y in range(size))

    def chunk(kind, data):
        return struct.pack('>I', len(data)) + kind + data + struct.pack('>I', zlib.crc32(kind + data) & 0xffffffff)

    return (b'\x89PNG\r\n\x1a\n' + chunk(b'IHDR', struct.pack('>IIBBBBB', size, size, 8, 2, 0, 0, 0))
            + chunk(b'IDAT', zlib.compress(raw)) + chunk(b'IEND', b''))


bins = [np.frombuffer(png(i), dtype=np.uint8) for i in range(4)]
issame = [np.bool_(True), np.bool_(False)]
for proto in (2, 5):
    with open('numpy-p%d.bin' % proto, 'wb') as f:
        pickle.dump((bins, issame), f, protocol=proto)
with open('expected-images.bin', 'wb') as f:
    for i in range(4):
        data = png(i)
        f.write(struct.pack('>I', len(data)) + data)
