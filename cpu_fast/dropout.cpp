#include "cpu_fast/dropout.hpp"

#include "cpu_fast/simd.hpp"

namespace alexnet::fast {
namespace {

// Forward and backward are the same diagonal map: the mask times the scale.
ALEXNET_SIMD_CLONES TensorF apply_mask(const std::string& op, const TensorF& in, const DropoutParams& params) {
  check_dropout_params(op, params);
  if (!params.training) return in;
  TensorF out(in.shape());
  const float scale = dropout_scale(params);
#pragma omp parallel for schedule(static)
  for (std::int64_t i = 0; i < in.size(); ++i) {
    out[i] = dropout_keeps(params, static_cast<std::uint64_t>(i)) ? in[i] * scale : 0.0f;
  }
  return out;
}

}  // namespace

TensorF dropout_forward(const TensorF& x, const DropoutParams& params) {
  return apply_mask("fast::dropout_forward", x, params);
}

TensorF dropout_backward(const TensorF& grad_y, const DropoutParams& params) {
  return apply_mask("fast::dropout_backward", grad_y, params);
}

}  // namespace alexnet::fast
