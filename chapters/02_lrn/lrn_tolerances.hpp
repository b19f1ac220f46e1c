// Tolerances of float LRN against a reference, shared by the CPU precision test
// (float against double) and the GPU tests (CUDA float against CPU float).
#pragma once

#include "reference_cpu/compare.hpp"

namespace alexnet::testing {

// Forward: y = a / d^beta with d summed over ≤ 5 squares. Float rounding of the sum, of
// pow (glibc powf < 1 ulp, CUDA powf a few ulp) and of the division, and contraction into
// FMAs on the GPU, each cost a few ulp of y: rel 1e-5 (~80 ulp) is ample; abs 1e-6 covers y ≈ 0.
inline Tolerance lrn_forward_tolerance() { return Tolerance{1e-6, 1e-5}; }

// Backward: the difference of two terms of order 1 (g/d^beta, and 2·alpha·beta·a·Σ over 5
// channels of g·a/d^(beta+1) with a ≤ 100), so near-cancelling elements have no useful relative
// error: abs 1e-5 (~150 ulp of terms ≈ 0.6) bounds a few ulp per term; a wrong window or a
// missing term errs by 1e-3 or more.
inline Tolerance lrn_backward_tolerance() { return Tolerance{1e-5, 1e-5}; }

}  // namespace alexnet::testing
