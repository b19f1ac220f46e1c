#include "datasets/training_batches.hpp"

#include <algorithm>
#include <exception>
#include <stdexcept>
#include <string>
#include <utility>

namespace alexnet {
namespace {

void require_recipe(const std::string& op, const StoredImages& data, const BatchRecipe& recipe) {
  if (data.channels != 1 && data.channels != 3) {
    throw std::invalid_argument(op + ": expected grey or RGB images (1 or 3 channels), got " +
                                std::to_string(data.channels));
  }
  if (recipe.crop_side <= 0 || recipe.crop_side > recipe.image_side) {
    throw std::invalid_argument(op + ": expected 0 < crop side ≤ image side, got crop " +
                                std::to_string(recipe.crop_side) + " of " + std::to_string(recipe.image_side));
  }
}

// Image `index` of `data` as the paper's square: [1, 3, side, side] floats 0..255 (grey copied to R, G, B).
TensorF rgb_square(const std::string& op, const StoredImages& data, std::int64_t index, int side) {
  if (index < 0 || index >= data.count) {
    throw std::out_of_range(op + ": image index " + std::to_string(index) + " is outside 0.." +
                            std::to_string(data.count - 1));
  }
  const std::uint8_t* bytes = data.image(index);
  const TensorF image({1, data.channels, data.height, data.width},
                      std::vector<float>(bytes, bytes + data.image_bytes()));
  return to_rgb_squares(image, side);
}

// Copies the rows of `part` [k, 3, S, S] into `out` from row `first` on.
void put_rows(const TensorF& part, TensorF& out, std::int64_t first) {
  std::copy(part.values().begin(), part.values().end(), out.data() + first * (part.size() / part.dim(0)));
}

// The network's input: (value − mean) · scale for every value of a prepared batch.
void apply_scale(TensorF& images, float scale) {
  if (scale == 1.0f) return;
  float* values = images.data();
  for (std::int64_t i = 0; i < images.size(); ++i) values[i] *= scale;
}

// Runs prepare(k) for k = 0 … count − 1 on the OpenMP threads: each image of a batch is prepared from its index
// (and the epoch) alone, so the batch is the same on any thread count. The first exception in k's order is
// rethrown here (none may leave an OpenMP region).
template <typename Prepare>
void prepare_each(std::int64_t count, Prepare prepare) {
  std::vector<std::exception_ptr> errors(static_cast<std::size_t>(count));
#pragma omp parallel for schedule(static)
  for (std::int64_t k = 0; k < count; ++k) {
    try {
      prepare(k);
    } catch (...) {
      errors[static_cast<std::size_t>(k)] = std::current_exception();
    }
  }
  for (const std::exception_ptr& error : errors) {
    if (error) std::rethrow_exception(error);
  }
}

// The labels of images indices[0], indices[1], ... (after prepare_each: every index has been checked).
std::vector<std::int64_t> labels_of(const StoredImages& data, const std::vector<std::int64_t>& indices) {
  std::vector<std::int64_t> labels;
  for (std::int64_t i : indices) labels.push_back(data.labels[static_cast<std::size_t>(i)]);
  return labels;
}

}  // namespace

Batch prepare_batch(const StoredImages& data, const std::vector<std::int64_t>& indices, std::uint64_t epoch,
                    const BatchRecipe& recipe) {
  require_recipe("prepare_batch", data, recipe);
  AugmentConfig config = recipe.augment;
  config.image_side = recipe.image_side;
  config.crop_side = recipe.crop_side;
  const int centre = (recipe.image_side - recipe.crop_side) / 2;  // as ten_crop_params()' centre crop
  Batch batch;
  const auto count = static_cast<std::int64_t>(indices.size());
  batch.images = TensorF({count, 3, recipe.crop_side, recipe.crop_side});
  prepare_each(count, [&](std::int64_t k) {
    const std::int64_t i = indices[static_cast<std::size_t>(k)];
    const TensorF square = rgb_square("prepare_batch", data, i, recipe.image_side);
    AugmentParams params;  // evaluation: the centre crop, no reflection, no colour shift
    params.top = params.left = centre;
    if (recipe.train) params = draw_augment_params(config, epoch, i, 1)[0];
    put_rows(cpu::subtract_channel_mean(cpu::augment_batch(square, {params}, recipe.crop_side), recipe.mean),
             batch.images, k);
  });
  batch.labels = labels_of(data, indices);
  apply_scale(batch.images, recipe.scale);
  return batch;
}

Batch prepare_ten_crop_batch(const StoredImages& data, const std::vector<std::int64_t>& indices,
                             const BatchRecipe& recipe) {
  require_recipe("prepare_ten_crop_batch", data, recipe);
  const auto crops = static_cast<std::int64_t>(ten_crop_params(recipe.image_side, recipe.crop_side).size());
  Batch batch;
  const auto count = static_cast<std::int64_t>(indices.size());
  batch.images = TensorF({crops * count, 3, recipe.crop_side, recipe.crop_side});
  prepare_each(count, [&](std::int64_t k) {
    const std::int64_t i = indices[static_cast<std::size_t>(k)];
    const TensorF square = rgb_square("prepare_ten_crop_batch", data, i, recipe.image_side);
    put_rows(cpu::subtract_channel_mean(cpu::ten_crops(square, recipe.crop_side), recipe.mean), batch.images,
             crops * k);
  });
  batch.labels = labels_of(data, indices);
  apply_scale(batch.images, recipe.scale);
  return batch;
}

std::int64_t batch_count(std::int64_t count, std::int64_t batch_size) {
  if (count < 0 || batch_size <= 0) {
    throw std::invalid_argument("batch_count: expected count ≥ 0 and batch size > 0, got " + std::to_string(count) +
                                " and " + std::to_string(batch_size));
  }
  return (count + batch_size - 1) / batch_size;
}

std::vector<std::int64_t> batch_indices(const std::vector<std::int64_t>& order, std::int64_t batch_size,
                                        std::int64_t index) {
  const auto count = static_cast<std::int64_t>(order.size());
  const std::int64_t batches = batch_count(count, batch_size);
  if (index < 0 || index >= batches) {
    throw std::out_of_range("batch_indices: index " + std::to_string(index) + " of " + std::to_string(batches) +
                            " batches");
  }
  const std::int64_t first = index * batch_size, last = std::min(count, first + batch_size);
  return {order.begin() + first, order.begin() + last};
}

BatchQueue::BatchQueue(std::int64_t batches, std::function<Batch(std::int64_t index)> prepare, std::size_t depth)
    : batches_(batches), prepare_(std::move(prepare)), depth_(depth) {
  if (batches < 0 || !prepare_) {
    throw std::invalid_argument("BatchQueue: expected batches ≥ 0 and a prepare function, got " +
                                std::to_string(batches) + " batches" + (prepare_ ? "" : ", no function"));
  }
  if (depth > 0) worker_ = std::thread(&BatchQueue::work, this);
}

BatchQueue::~BatchQueue() {
  {
    const std::lock_guard<std::mutex> lock(mutex_);
    stop_ = true;
  }
  changed_.notify_all();
  if (worker_.joinable()) worker_.join();
}

void BatchQueue::work() {
  for (std::int64_t index = 0; index < batches_; ++index) {
    {
      std::unique_lock<std::mutex> lock(mutex_);
      changed_.wait(lock, [&] { return stop_ || ready_.size() < depth_; });
      if (stop_) break;
    }
    std::optional<Batch> batch;
    std::exception_ptr error;
    try {
      batch = prepare_(index);  // outside the lock: next() may take earlier batches meanwhile
    } catch (...) {
      error = std::current_exception();
    }
    const std::lock_guard<std::mutex> lock(mutex_);
    if (error) {
      error_ = error;
      break;
    }
    ready_.push_back(std::move(*batch));
    changed_.notify_all();
  }
  const std::lock_guard<std::mutex> lock(mutex_);
  worker_done_ = true;
  changed_.notify_all();
}

std::optional<Batch> BatchQueue::prepare_here() {
  if (error_) std::rethrow_exception(error_);
  if (next_index_ == batches_) return std::nullopt;
  try {
    return prepare_(next_index_++);
  } catch (...) {
    error_ = std::current_exception();
    throw;
  }
}

std::optional<Batch> BatchQueue::next() {
  if (depth_ == 0) return prepare_here();
  std::unique_lock<std::mutex> lock(mutex_);
  changed_.wait(lock, [&] { return !ready_.empty() || worker_done_; });
  if (!ready_.empty()) {
    Batch batch = std::move(ready_.front());
    ready_.pop_front();
    changed_.notify_all();
    return batch;
  }
  if (error_) std::rethrow_exception(error_);
  return std::nullopt;
}

}  // namespace alexnet
