// emulator_race: the shared-memory race of a missing __syncthreads(), for ThreadSanitizer.
// Each thread stages a value in shared memory and reads its mirror partner's; without the
// barrier the read races with the partner's write. In the ThreadSanitizer build (threads,
// not fibers) TSan reports "data race"; on fibers the read finds the NaN fill instead.
//   emulator_race --barrier      the correct kernel: no race, exit 0
//   emulator_race                the bug: exit 1 (NaN read) or TSan's report
#include <CLI/CLI.hpp>

#include <cmath>
#include <cstdio>
#include <numeric>
#include <vector>

#include "cuda/device_tensor.cuh"
#include "cuda/launch.cuh"

namespace {

constexpr int kBlock = 64;

__global__ void mirror_kernel(const float* in, float* out, bool with_barrier) {
  __shared__ float staged[kBlock];
  const int t = static_cast<int>(threadIdx.x);
  staged[t] = in[t];
  if (with_barrier) __syncthreads();
  out[t] = staged[kBlock - 1 - t];
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{"Runs a kernel with or without the __syncthreads() it needs, on the emulated device"};
  bool with_barrier = false;
  app.add_flag("--barrier", with_barrier, "keep the barrier (the correct kernel)");
  CLI11_PARSE(app, argc, argv);

  std::vector<float> values(kBlock);
  std::iota(values.begin(), values.end(), 0.0f);
  const alexnet::DeviceTensorF in(alexnet::TensorF({kBlock}, values));
  alexnet::DeviceTensorF out(alexnet::Shape{kBlock});
  alexnet::cuda::launch(mirror_kernel, 1, kBlock, 0, nullptr, in.data(), out.data(), with_barrier);
  CUDA_CHECK_LAUNCH();
  const alexnet::TensorF result = out.to_host();
  for (int t = 0; t < kBlock; ++t) {
    if (result[t] != static_cast<float>(kBlock - 1 - t)) {
      std::fprintf(stderr, "thread %d read %g from shared memory, expected %d: %s\n", t, result[t], kBlock - 1 - t,
                   std::isnan(result[t]) ? "read before it was written (the NaN fill)" : "a race");
      return 1;
    }
  }
  std::printf("every thread read its partner's value\n");
  return 0;
}
