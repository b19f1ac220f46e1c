#include "reference_cpu/window.hpp"

#include <stdexcept>
#include <string>

namespace alexnet {

int window_output_size(int input, int kernel, int stride, int pad) {
  if (kernel <= 0 || stride <= 0 || pad < 0) {
    throw std::invalid_argument("window_output_size: expected kernel > 0, stride > 0, pad >= 0, got kernel " +
                                std::to_string(kernel) + ", stride " + std::to_string(stride) + ", pad " +
                                std::to_string(pad));
  }
  const int span = input + 2 * pad - kernel;
  if (span < 0) {
    throw std::invalid_argument("window_output_size: a " + std::to_string(kernel) + "-wide window does not fit in " +
                                std::to_string(input) + " + 2·" + std::to_string(pad) + " padding");
  }
  return span / stride + 1;
}

bool windows_fit_exactly(int input, int kernel, int stride, int pad) {
  return (input + 2 * pad - kernel) % stride == 0;
}

}  // namespace alexnet
