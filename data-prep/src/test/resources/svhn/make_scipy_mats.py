# Writes two tiny SVHN-shaped MAT-files with scipy.io.savemat (default format '5'), to check that the Java reader
# reads what scipy writes: X 32x32x3x4 uint8 with pixel (y, x, c, n) = (5*17 + n*37 + c*71 + y*5 + x*3 + (y*x)%7)
# mod 256, y = [10, 1, 2, 3]. Run once with scipy; the outputs are committed.
import numpy as np
import scipy.io as sio

X = np.zeros((32, 32, 3, 4), dtype=np.uint8)
for n in range(4):
    for c in range(3):
        for y in range(32):
            for x in range(32):
                X[y, x, c, n] = (5 * 17 + n * 37 + c * 71 + y * 5 + x * 3 + (y * x) % 7) & 0xff
sio.savemat('scipy-compressed.mat', {'X': X, 'y': np.array([[10], [1], [2], [3]], dtype=np.uint8)},
            do_compression=True)
sio.savemat('scipy-uncompressed.mat', {'X': X, 'y': np.array([[10], [1], [2], [3]], dtype=np.float64)},
            do_compression=False)
