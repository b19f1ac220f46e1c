"""NumPy must read the .npy files that test_foundation wrote with save_npy."""
import sys

import numpy as np

folder = sys.argv[1]
x = np.load(f"{folder}/ours_float32_2x3x4.npy")
assert x.dtype == np.float32 and x.shape == (2, 3, 4), (x.dtype, x.shape)
assert np.array_equal(x.ravel(), 0.5 * np.arange(24, dtype=np.float32) - 3.0), x
labels = np.load(f"{folder}/ours_int64_4.npy")
assert labels.dtype == np.int64 and labels.tolist() == [0, 999, -1, 123456789012], labels
print("numpy", np.__version__, "read both files:", x.shape, labels.tolist())
