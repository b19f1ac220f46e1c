"""compare_weights.py INITIAL A B: passes when checkpoints A and B hold the same weights and velocity up to the
order in which their gradients were summed.

A data-parallel run adds the same per-image gradients as one process, in another order: each process its share,
then the shares' sums. Float sums of the same n terms in two orders differ by at most about n·2⁻²⁴ of the sum of
their magnitudes, so after a few steps two runs differ by a small fraction of how far the weights moved from
INITIAL, plus a few units in the last place of each weight (the last rounding of w + v). The check allows 1e-5 of
the move and 4 units in the last place; a wrong share, a mask drawn for the wrong image or a gradient counted twice
differ by far more (a tenth of the move or more)."""
import pathlib
import sys

import numpy

initial, a, b = (pathlib.Path(p) for p in sys.argv[1:4])
worst = 0.0
files = sorted(a.glob("*.npy")) + sorted((a / "velocity").glob("*.npy"))
for file in files:
    name = file.relative_to(a)
    x = numpy.load(file).astype(numpy.float64)
    y = numpy.load(b / name).astype(numpy.float64)
    start = numpy.load(initial / file.name).astype(numpy.float64) if file.parent == a else numpy.zeros_like(x)
    moved = numpy.abs(x - start).max()
    allowed = 1e-5 * moved + 4 * numpy.spacing(numpy.maximum(numpy.abs(x), numpy.abs(y)).astype(numpy.float32))
    excess = numpy.abs(x - y) - allowed
    ratio = numpy.abs(x - y).max() / moved if moved > 0 else 0.0
    worst = max(worst, ratio)
    if (excess > 0).any():
        sys.exit(f"{name}: differs by {numpy.abs(x - y).max():.3g}, allowed {allowed.max():.3g} "
                 f"(the weights moved {moved:.3g})")
print(f"{len(files)} tensors agree: largest difference {worst:.2g} of how far a tensor moved")
