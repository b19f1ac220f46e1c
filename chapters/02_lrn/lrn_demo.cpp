// lrn_demo: the CONV1 block's LRN at its real shape, batch 2 of 96@55×55, with the
// towers of the layer table. Runs the CPU reference, the CUDA kernels when a GPU is
// present (max difference and times), and counts the outputs that change when the
// window may cross the tower boundary (Caffe's bvlc_alexnet) instead of staying inside.
#include <CLI/CLI.hpp>

#include <algorithm>
#include <cstdio>
#include <string>

#include "chapters/02_lrn/conv1_block.hpp"
#include "network/plan.hpp"
#include "reference_cpu/compare.hpp"
#include "reference_cpu/lrn.hpp"
#include "reference_cpu/timer.hpp"

#if ALEXNET_WITH_CUDA
#include "cuda/gpu.cuh"
#include "cuda/gpu_timer.cuh"
#include "cuda/lrn.cuh"
#endif

using namespace alexnet;

namespace {

void run_gpu(const TensorF& x, const TensorF& grad_y, const TensorF& y, const TensorF& grad_x, LrnParams params) {
#if ALEXNET_WITH_CUDA
  if (!gpu_available()) {
    std::printf("GPU: not available (%s)\n", gpu_unavailable_reason().c_str());
    return;
  }
  DeviceTensorF x_dev(x), grad_y_dev(grad_y), y_dev(x.shape()), grad_x_dev(x.shape());
  const cuda::Context context{};  // device 0, its default stream
  const double forward_ms = median_gpu_time_ms([&] { cuda::lrn_forward(context, x_dev, params, y_dev); });
  const double backward_ms =
      median_gpu_time_ms([&] { cuda::lrn_backward(context, x_dev, grad_y_dev, params, grad_x_dev); });
  const Comparison forward = compare(y, y_dev.to_host(), Tolerance{});
  const Comparison backward = compare(grad_x, grad_x_dev.to_host(), Tolerance{});
  std::printf("GPU: %s\n", gpu_description().c_str());
  std::printf("GPU: forward %.3f ms, backward %.3f ms\n", forward_ms, backward_ms);
  std::printf("GPU vs CPU: max abs difference %.3g (forward), %.3g (backward)\n", forward.max_abs_error,
              backward.max_abs_error);
#else
  (void)x, (void)grad_y, (void)y, (void)grad_x, (void)params;
  std::printf("GPU: not built (no CUDA compiler when this program was configured)\n");
#endif
}

// Tallies of outputs whose across-the-towers window does (or does not) cross the boundary.
struct Tally {
  std::int64_t channel_count = 0, outputs = 0, changed = 0;
  std::string channels;  // " 46 47 ..."
};

// Compares per-tower LRN with LRN whose window may cross the towers (Caffe's
// bvlc_alexnet), separately for the channels where that window crosses and the rest.
void compare_with_crossing(const TensorF& x, const TensorF& y_per_tower, LrnParams params) {
  LrnParams across = params;
  across.towers = 1;
  const TensorF y_across = cpu::lrn_forward(x, across);
  const std::int64_t channels = x.dim(1), per_image = x.dim(2) * x.dim(3), per_tower = channels / params.towers;
  Tally crossing, inside;
  for (std::int64_t c = 0; c < channels; ++c) {
    const std::int64_t first = std::max<std::int64_t>(0, c - params.size / 2);
    const std::int64_t last = std::min(channels - 1, c + params.size / 2);
    Tally& tally = first / per_tower != last / per_tower ? crossing : inside;
    tally.channel_count += 1;
    tally.channels += " " + std::to_string(c);
    for (std::int64_t n = 0; n < x.dim(0); ++n) {
      for (std::int64_t s = 0; s < per_image; ++s) {
        const std::int64_t i = (n * channels + c) * per_image + s;
        tally.outputs += 1;
        tally.changed += y_per_tower[i] != y_across[i];
      }
    }
  }
  const Comparison difference = compare(y_per_tower, y_across, Tolerance{});
  std::printf("per tower vs across the towers (Caffe's bvlc_alexnet):\n");
  std::printf("  window crosses the boundary (channels%s): %lld of %lld outputs change\n", crossing.channels.c_str(),
              static_cast<long long>(crossing.changed), static_cast<long long>(crossing.outputs));
  std::printf("  window inside one tower (the other %lld channels): %lld of %lld outputs change\n",
              static_cast<long long>(inside.channel_count), static_cast<long long>(inside.changed),
              static_cast<long long>(inside.outputs));
  std::printf("  largest change %.3g (relative %.3g); an output can stay put when its extra neighbours\n"
              "  are so small that alpha·a² is lost in the float rounding of d\n",
              difference.max_abs_error, difference.max_rel_error);
}

}  // namespace

int main(int argc, char* argv[]) {
  CLI::App app{"Runs LRN1 at its real shape on the CPU and the GPU, and compares LRN inside each tower with "
               "Caffe's LRN across the towers (no options)"};
  CLI11_PARSE(app, argc, argv);
  const LrnParams params = lrn_params(find_layer(alexnet_two_tower(), "lrn1"));
  const TensorF x = random_activations(lrn1_input_shape(), 1);
  const TensorF grad_y = random_gradient(x.shape(), 2);
  std::printf("LRN1 on %s, random activations U[0, 100)\n", to_string(x.shape()).c_str());
  std::printf("n = %d, k = %g, alpha = %g (Caffe/PyTorch/cuDNN: %g), beta = %g, towers = %d of %lld channels\n",
              params.size, params.k, params.alpha, params.alpha * params.size, params.beta, params.towers,
              static_cast<long long>(x.dim(1) / params.towers));

  TensorF y, grad_x;
  const double forward_ms = median_time_ms([&] { y = cpu::lrn_forward(x, params); });
  const double backward_ms = median_time_ms([&] { grad_x = cpu::lrn_backward(x, grad_y, params); });
  std::printf("CPU: forward %.2f ms, backward %.2f ms (one core, naive loops)\n", forward_ms, backward_ms);
  run_gpu(x, grad_y, y, grad_x, params);
  compare_with_crossing(x, y, params);
  return 0;
}
