# Writes the tiny meta.mat test files the way the ILSVRC-2012 devkit's meta.mat is laid out (struct array
# 'synsets', n x 1, fields ILSVRC2012_ID, WNID, words, gloss, num_children, children, wordnet_height,
# num_train_images). Run once with scipy; the outputs are committed. MATLAB itself would store the numbers
# in the smallest integer type; scipy stores doubles; the reader takes either.
import numpy as np
import scipy.io as sio

fields = ['ILSVRC2012_ID', 'WNID', 'words', 'gloss', 'num_children', 'children', 'wordnet_height',
          'num_train_images']
rows = [
    (1, 'n02119789', 'kit fox, Vulpes macrotis', 'small grey fox', 0, np.zeros((1, 0)), 0, 1300),
    (2, 'n01440764', 'tench, Tinca tinca', 'freshwater fish', 0, np.zeros((1, 0)), 0, 1300),
    (3, 'n09999999', 'other', 'a third leaf', 0, np.zeros((1, 0)), 0, 732),
    (1001, 'n00001740', 'entity', 'the root', 2, np.array([[1, 2]], dtype=np.uint8), 19, 0),
]
a = np.zeros((len(rows), 1), dtype=[(f, 'O') for f in fields])
for i, r in enumerate(rows):
    a[i, 0] = r
sio.savemat('meta.mat', {'synsets': a}, do_compression=True)
sio.savemat('meta-uncompressed.mat', {'synsets': a}, do_compression=False)
