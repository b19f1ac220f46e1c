#include "tensor.hpp"

namespace alexnet {

std::int64_t element_count(const Shape& shape) {
  std::int64_t count = 1;
  for (std::int64_t extent : shape) count *= extent;
  return count;
}

std::string to_string(const Shape& shape) {
  std::string text = "[";
  for (std::size_t i = 0; i < shape.size(); ++i) {
    if (i > 0) text += ", ";
    text += std::to_string(shape[i]);
  }
  return text + "]";
}

void require_shape(const std::string& op, const std::string& what, const Shape& expected,
                   const Shape& actual) {
  if (expected != actual) {
    throw std::invalid_argument(op + ": expected " + what + " of shape " + to_string(expected) +
                                ", got " + to_string(actual));
  }
}

}  // namespace alexnet
