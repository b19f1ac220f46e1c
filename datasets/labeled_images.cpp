#include "datasets/labeled_images.hpp"

#include <algorithm>
#include <stdexcept>

namespace alexnet {

std::int64_t batch_count(const LabeledImages& data, std::int64_t batch_size) {
  if (batch_size <= 0) throw std::invalid_argument("batch_count: batch size must be positive, got " + std::to_string(batch_size));
  return (data.images.dim(0) + batch_size - 1) / batch_size;
}

LabeledImages batch(const LabeledImages& data, std::int64_t index, std::int64_t batch_size) {
  const std::int64_t batches = batch_count(data, batch_size);
  if (index < 0 || index >= batches) {
    throw std::out_of_range("batch: index " + std::to_string(index) + " of " + std::to_string(batches) + " batches");
  }
  const std::int64_t first = index * batch_size;
  const std::int64_t count = std::min(batch_size, data.images.dim(0) - first);
  Shape shape = data.images.shape();
  shape[0] = count;
  const std::int64_t per_image = element_count(shape) / std::max<std::int64_t>(count, 1);
  const float* begin = data.images.data() + first * per_image;
  LabeledImages result;
  result.images = TensorF::uninitialized(shape);
  std::copy(begin, begin + count * per_image, result.images.data());
  result.labels.assign(data.labels.begin() + first, data.labels.begin() + first + count);
  result.class_names = data.class_names;
  return result;
}

}  // namespace alexnet
