#include "cuda/gpu.cuh"

#include <cuda_runtime.h>

#include "cuda/cuda_check.cuh"

namespace alexnet {

std::string gpu_unavailable_reason() {
  int count = 0;
  const cudaError_t status = cudaGetDeviceCount(&count);
  if (status != cudaSuccess) {
    cudaGetLastError();  // clear the sticky error so later calls start clean
    return std::string(cudaGetErrorName(status)) + ": " + cudaGetErrorString(status);
  }
  if (count == 0) return "the CUDA runtime reports no devices";
  // A device that cannot even take a context (wrong architecture, busy) is not usable either.
  const cudaError_t context = cudaFree(nullptr);
  if (context != cudaSuccess) {
    cudaGetLastError();
    return std::string("cannot create a context: ") + cudaGetErrorString(context);
  }
  return "";
}

bool gpu_available() { return gpu_unavailable_reason().empty(); }

int gpu_count() {
  int count = 0;
  CUDA_CHECK(cudaGetDeviceCount(&count));
  return count;
}

std::string gpu_description() {
  int device = 0, driver = 0, runtime = 0;
  CUDA_CHECK(cudaGetDevice(&device));
  cudaDeviceProp properties{};
  CUDA_CHECK(cudaGetDeviceProperties(&properties, device));
  CUDA_CHECK(cudaDriverGetVersion(&driver));
  CUDA_CHECK(cudaRuntimeGetVersion(&runtime));
#if defined(ALEXNET_EMULATED_GPU)
  return std::string(properties.name) + ", emulated: correctness only, its times mean nothing";
#endif
  auto version = [](int v) { return std::to_string(v / 1000) + "." + std::to_string(v % 1000 / 10); };
  return std::string(properties.name) + " (sm_" + std::to_string(properties.major) +
         std::to_string(properties.minor) + ", " + std::to_string(properties.multiProcessorCount) +
         " SMs, driver " + version(driver) + ", runtime " + version(runtime) + ")";
}

void gpu_synchronize() { CUDA_CHECK(cudaDeviceSynchronize()); }

}  // namespace alexnet
