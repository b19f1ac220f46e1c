"""compare_weights.py INITIAL A B: passes when checkpoints A and B hold the same weights and velocity up to the
order in which their gradients were summed.

A data-parallel run adds the same per-image gradients as one process, in another order: each process its share,
then the shares' sums. Float sums of the same n terms in two orders differ by up to about n·2⁻²⁴ of the sum of
their magnitudes, typically √n·2⁻²⁴; CONV1's weight gradient at batch 32 adds 32·32·32 = 32,768 terms, so
√n·2⁻²⁴ ≈ 10⁻⁵ — and more relative to a sum whose terms cancel, as a bias's gradient does. So after a few steps
two runs differ by a small fraction of how far each tensor moved from INITIAL (the velocity: from zero), plus a few
units in the last place of each value (the last rounding of w + v). Over seeds 1–9 of the test's six steps the
largest difference was 1.7·10⁻⁴ of the move (a velocity; the weights 7·10⁻⁵). The check allows 10⁻³ of the move
and 4 units in the last place: a bound measured with a margin, not proved. A mask drawn for the wrong image or a
gradient counted twice differ by more than half the move."""
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
    allowed = 1e-3 * moved + 4 * numpy.spacing(numpy.maximum(numpy.abs(x), numpy.abs(y)).astype(numpy.float32))
    excess = numpy.abs(x - y) - allowed
    ratio = numpy.abs(x - y).max() / moved if moved > 0 else 0.0
    worst = max(worst, ratio)
    if (excess > 0).any():
        sys.exit(f"{name}: differs by {numpy.abs(x - y).max():.3g}, allowed {allowed.max():.3g} "
                 f"(the weights moved {moved:.3g})")
print(f"{len(files)} tensors agree: largest difference {worst:.2g} of how far a tensor moved")
