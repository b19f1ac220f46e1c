/// @file training_batches.hpp
/// @brief Batches prepared from stored bytes, one at a time, and a background
/// thread that prepares the next batches while the network trains on the last.
///
/// An image is turned into floats only when its batch is prepared: its bytes are
/// rescaled to the paper's 256×256 (to_rgb_squares()), cropped, maybe reflected
/// and shifted in colour (cpu::augment_batch() with draw_augment_params()), and
/// the training set's mean is subtracted. A batch of 128 images at 227×227 is
/// 128·3·227·227·4 bytes ≈ 79 MB; the whole of Fashion-MNIST so prepared would be
/// 37 GB. The draws of image i in epoch e depend on (seed, e, i) only, so a batch
/// comes out the same whatever its size, its position or the thread that made it.
#pragma once

#include <array>
#include <condition_variable>
#include <cstddef>
#include <cstdint>
#include <deque>
#include <exception>
#include <functional>
#include <mutex>
#include <optional>
#include <thread>
#include <vector>

#include "datasets/image.hpp"
#include "datasets/stored_images.hpp"
#include "reference_cpu/augment.hpp"

namespace alexnet {

/// @brief How prepare_batch() turns stored bytes into the network's input.
struct BatchRecipe {
  int image_side = kTrainingImageSide;  ///< every image is first rescaled and centre-cropped to image_side² RGB (grey copied to R, G, B)
  int crop_side = 227;                  ///< the network's input side
  bool train = true;                    ///< true: random crop, reflection and colour noise; false: the centre crop, unchanged
  AugmentConfig augment;                ///< seed, flip, colour_stddev, pca (its image_side and crop_side are taken from above)
  std::array<float, 3> mean{};          ///< subtracted from every R, G, B value after augmentation
  float scale = 1.0f;                   ///< then every value is multiplied by this (NetworkSpec::input_scale)
};

/// @brief Images ready for the network and their labels.
struct Batch {
  TensorF images;                     ///< [N, 3, crop_side, crop_side] (ten-crop batches: [10·N, ...])
  std::vector<std::int64_t> labels;   ///< N labels (one per image, also for ten-crop batches)
};

/// @brief The images data[indices[0]], data[indices[1]], ... prepared for `epoch` by `recipe`.
///
/// In training mode image i draws its crop, reflection and colour noise from
/// draw_augment_params(augment, epoch, i, 1): the draws depend on (augment.seed,
/// epoch, i) only — never on the batch, the image's position in it or the thread.
/// The images are prepared on the OpenMP threads, each on its own, so the batch is the same on any thread count;
/// a background thread may call it (it then leads an OpenMP team of its own).
Batch prepare_batch(const StoredImages& data, const std::vector<std::int64_t>& indices, std::uint64_t epoch,
                    const BatchRecipe& recipe);

/// @brief The paper's ten test crops of each image, mean subtracted: images [10·N, 3, crop, crop], image-major as cpu::ten_crops().
Batch prepare_ten_crop_batch(const StoredImages& data, const std::vector<std::int64_t>& indices,
                             const BatchRecipe& recipe);

/// @brief Number of batches of `batch_size` that cover `count` images (the last one may be smaller).
std::int64_t batch_count(std::int64_t count, std::int64_t batch_size);

/// @brief Batch `index` of an epoch's `order`: order[index·batch_size, ...), at most batch_size indices.
std::vector<std::int64_t> batch_indices(const std::vector<std::int64_t>& order, std::int64_t batch_size,
                                        std::int64_t index);

/// @brief Prepares batches 0, 1, ..., batches−1 in order on one background thread, at most `depth` ready ahead;
/// with depth 0, on the thread that calls next(), when it calls.
///
/// The training loop takes them with next() while the worker prepares the
/// following ones; `prepare(index)` runs on the worker thread only. Depth 0 is for a network that computes on
/// every core of the CPU: a worker would then compete with its threads for the cores (and OpenMP's threads
/// spin-wait between parallel loops, so the two slow each other down far more than preparing costs).
class BatchQueue {
 public:
  /// @brief Starts the worker (none for depth 0); `prepare(i)` makes batch i (e.g. a lambda calling prepare_batch()).
  BatchQueue(std::int64_t batches, std::function<Batch(std::int64_t index)> prepare, std::size_t depth = 2);
  /// @brief Stops the worker and joins it, also mid-epoch: waits at most for the batch being prepared.
  ~BatchQueue();
  BatchQueue(const BatchQueue&) = delete;
  BatchQueue& operator=(const BatchQueue&) = delete;

  /// @brief The next batch in order; std::nullopt after the last; rethrows an exception the worker's prepare threw.
  ///
  /// Batches prepared before the failing one come first; then every call rethrows.
  std::optional<Batch> next();

 private:
  void work();                       // the worker thread's loop
  std::optional<Batch> prepare_here();  // next() with depth 0


  std::int64_t batches_;
  std::function<Batch(std::int64_t)> prepare_;
  std::size_t depth_;
  std::mutex mutex_;
  std::condition_variable changed_;  // a batch was added or taken, the worker ended, or stop was asked
  std::deque<Batch> ready_;          // prepared, not yet taken, in order
  std::exception_ptr error_;         // what prepare threw (the worker then ends)
  bool worker_done_ = false;         // the worker prepared its last batch or failed
  bool stop_ = false;                // the destructor asks the worker to end
  std::int64_t next_index_ = 0;      // depth 0: the batch next() prepares next
  std::thread worker_;               // started by the constructor (depth ≥ 1), joined by the destructor
};

}  // namespace alexnet
