#!/usr/bin/python3
# Writes the .npz fixtures of data_test.cpp with NumPy itself (run from the repository root:
# /usr/bin/python3 tests/data/make_npz.py). The files are committed; this says how they were made.
import numpy as np

rng = np.random.default_rng(0)


def bands(n, k, h, w, c, layout):
    """Class y lights a band at row y*h/k; in colour, the band is red, green or blue by class."""
    y = np.arange(n) % k
    x = np.full((n, h, w, 3), 10, np.uint8)
    for i in range(n):
        r0, r1 = y[i] * h // k, (y[i] + 1) * h // k
        x[i, r0:r1, :, y[i] % 3] = 200
    if c == 1:
        x = x.max(axis=3)
    elif layout == "nchw":
        x = x.transpose(0, 3, 1, 2)
    return x, y


xtr, ytr = bands(6, 2, 8, 8, 3, "nhwc")
xte, yte = bands(4, 2, 8, 8, 3, "nhwc")
np.savez("tests/data/colour_split.npz", x_train=xtr, y_train=ytr, x_test=xte, y_test=yte,
         class_names=np.array(["cat", "dog"]))
x, y = bands(10, 2, 8, 12, 3, "nchw")
np.savez_compressed("tests/data/colour_nchw_float.npz", x=(x / 255.0).astype(np.float32), y=y.astype(np.int32))
x, y = bands(10, 3, 8, 8, 1, "nhw")
np.savez("tests/data/grey_nhw.npz", x_train=x, y_train=y.astype(np.uint8))
x, y = bands(10, 3, 8, 8, 1, "nhw")
y[4] = 9  # a stray label: classes 3..8 would be empty
np.savez("tests/data/stray_label.npz", x=x, y=y)
np.savez("tests/data/one_image.npz", x=x[:1], y=y[:1])
x8 = np.zeros((6, 8, 8), np.uint8)
x8[::2, :4] = 200
np.savez("tests/data/dup_names.npz", x=x8, y=np.arange(6) % 2, class_names=np.array(["cat", "cat"]))
