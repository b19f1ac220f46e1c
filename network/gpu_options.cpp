#include "network/gpu_options.hpp"

#include <stdexcept>
#include <string>

namespace alexnet {

GpuOptions gpu_options(const std::string& kernels, const std::string& precision) {
  GpuOptions options;
  if (kernels == "course") {
    options.kernels = GpuKernels::Course;
  } else if (kernels == "chapters") {
    options.kernels = GpuKernels::Chapters;
  } else if (kernels != "fast") {
    throw std::invalid_argument("--kernels: expected fast, course or chapters, got '" + kernels + "'");
  }
  if (precision == "tf32") {
    options.precision = GpuPrecision::Tf32;
  } else if (precision != "fp32") {
    throw std::invalid_argument("--precision: expected fp32 or tf32, got '" + precision + "'");
  }
  require_supported(options);
  return options;
}

void require_supported(const GpuOptions& options) {
  if (options.kernels != GpuKernels::Fast && options.precision == GpuPrecision::Tf32) {
    throw std::invalid_argument(std::string("--precision tf32: the ") + to_string(options.kernels) +
                                " kernels compute in fp32 only; TF32 needs --kernels fast");
  }
}

}  // namespace alexnet
