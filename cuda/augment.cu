#include "cuda/augment.cuh"

#include <memory>

#include "cuda/launch.cuh"

namespace alexnet::cuda {
namespace {

// Thread i writes output value i = ((n·3 + c)·crop + y)·crop + x: the CPU loop's
// crop_into() for the same (n, c, y, x), so both compute in[...] + shift[c] alike.
__global__ void augment_kernel(const float* images, const AugmentParams* params, float* out, std::int64_t total,
                               int crop_side, int height, int width) {
  const std::int64_t i = static_cast<std::int64_t>(blockIdx.x) * blockDim.x + threadIdx.x;
  if (i >= total) return;
  const int x = static_cast<int>(i % crop_side);
  const int y = static_cast<int>((i / crop_side) % crop_side);
  const std::int64_t plane = i / (static_cast<std::int64_t>(crop_side) * crop_side);  // n·3 + c
  const int c = static_cast<int>(plane % 3);
  const AugmentParams p = params[plane / 3];
  const int source_x = p.left + (p.flip ? crop_side - 1 - x : x);
  out[i] = images[(plane * height + p.top + y) * width + source_x] + p.colour_shift[c];
}

using DeviceParams = std::unique_ptr<AugmentParams, void (*)(AugmentParams*)>;

// A copy of `host` in the current device's memory, queued on `stream` (before the kernel that reads it).
DeviceParams upload(const std::vector<AugmentParams>& host, cudaStream_t stream) {
  AugmentParams* device = nullptr;
  CUDA_CHECK(cudaMalloc(reinterpret_cast<void**>(&device), host.size() * sizeof(AugmentParams)));
  DeviceParams owner(device, [](AugmentParams* p) { cudaFree(p); });
  CUDA_CHECK(cudaMemcpyAsync(device, host.data(), host.size() * sizeof(AugmentParams), cudaMemcpyHostToDevice, stream));
  return owner;
}

}  // namespace

void augment_batch(const Context& context, const DeviceTensorF& images, const std::vector<AugmentParams>& params,
                   int crop_side, DeviceTensorF& out) {
  const ScopedDevice device = use_device(context, "cuda::augment_batch", {{"images", images}, {"out", out}});
  require_augment_params("cuda::augment_batch", images.shape(), params, crop_side);
  require_shape("cuda::augment_batch", "out", {images.shape()[0], 3, crop_side, crop_side}, out.shape());
  if (out.size() == 0) return;
  const DeviceParams device_params = upload(params, context.stream);
  launch(augment_kernel, blocks_for(out.size()), kThreadsPerBlock, 0, context.stream, images.data(),
         device_params.get(), out.data(), out.size(), crop_side, static_cast<int>(images.shape()[2]),
         static_cast<int>(images.shape()[3]));
  CUDA_CHECK_LAUNCH();
  CUDA_CHECK(cudaStreamSynchronize(context.stream));  // the kernel reads the parameters: wait before freeing them
}

}  // namespace alexnet::cuda
