#include "training/mpi_workers.hpp"

#include <mpi.h>

#include <algorithm>
#include <climits>
#include <cstdlib>
#include <sstream>
#include <stdexcept>
#include <utility>

#if ALEXNET_WITH_CUDA
#include "training/nccl_sum.hpp"
#endif

namespace alexnet {

// A backward's gradients, gathered into buckets of about bucket_bytes in the order the layers finish (fc8 first).
// A full bucket is copied into one buffer and its sum started at once (MPI_Iallreduce, in place); every later
// layer gives MPI a chance to move it along (MPI_Testall: Open MPI progresses a non-blocking collective only
// inside MPI calls). After the last layer, MPI_Waitall and the sums are copied back.
class MpiWorkers::GradientBuckets {
 public:
  explicit GradientBuckets(std::size_t bucket_bytes) : bucket_bytes_(bucket_bytes) {}

  void layer_ready(LayerTensors<float>& layer, std::size_t layers) {
    for (TensorF* t : {&layer.weight, &layer.bias}) {
      filling_.push_back({t->data(), static_cast<std::size_t>(t->size())});
    }
    filling_bytes_ += layer.weight.bytes() + layer.bias.bytes();
    ++layers_seen_;
    if (filling_bytes_ >= bucket_bytes_ || layers_seen_ == layers) start_bucket();
    if (layers_seen_ < layers) {
      int done = 0;
      MPI_Testall(static_cast<int>(requests_.size()), requests_.data(), &done, MPI_STATUSES_IGNORE);
      return;
    }
    const auto start = std::chrono::steady_clock::now();
    MPI_Waitall(static_cast<int>(requests_.size()), requests_.data(), MPI_STATUSES_IGNORE);
    waiting_.seconds += std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    for (std::size_t b = 0; b < requests_.size(); ++b) copy_back(buckets_[b]);
    requests_.clear();
    layers_seen_ = 0;
  }

  Waiting take_waiting() { return std::exchange(waiting_, {}); }

 private:
  struct Span {
    float* data;
    std::size_t count;
  };
  struct Bucket {
    std::vector<Span> spans;
    std::vector<float> values;
  };

  void start_bucket() {
    if (requests_.size() == buckets_.size()) buckets_.emplace_back();  // buffers are kept for the next step
    Bucket& bucket = buckets_[requests_.size()];
    bucket.spans = std::move(filling_);
    bucket.values.clear();
    for (const Span& s : bucket.spans) bucket.values.insert(bucket.values.end(), s.data, s.data + s.count);
    if (bucket.values.size() > static_cast<std::size_t>(INT_MAX)) {
      throw std::length_error("a gradient bucket of " + std::to_string(bucket.values.size()) +
                              " values is more than one MPI call takes: choose a smaller --bucket-mb");
    }
    requests_.emplace_back();
    MPI_Iallreduce(MPI_IN_PLACE, bucket.values.data(), static_cast<int>(bucket.values.size()), MPI_FLOAT, MPI_SUM,
                   MPI_COMM_WORLD, &requests_.back());
    ++waiting_.buckets;
    filling_.clear();
    filling_bytes_ = 0;
  }

  static void copy_back(const Bucket& bucket) {
    const float* from = bucket.values.data();
    for (const Span& s : bucket.spans) {
      std::copy(from, from + s.count, s.data);
      from += s.count;
    }
  }

  std::size_t bucket_bytes_;
  std::vector<Span> filling_;
  std::size_t filling_bytes_ = 0, layers_seen_ = 0;
  std::vector<Bucket> buckets_;
  std::vector<MPI_Request> requests_;
  Waiting waiting_;
};

bool started_by_mpirun() {
  for (const char* name : {"OMPI_COMM_WORLD_SIZE", "PMI_SIZE", "PMIX_RANK"}) {
    if (std::getenv(name) != nullptr) return true;
  }
  return false;
}

MpiWorkers::MpiWorkers(std::size_t bucket_bytes)
    : buckets_(std::make_shared<GradientBuckets>(bucket_bytes)) {
  if (!started_by_mpirun()) {
    throw CollectiveError("expected to be one of the processes mpirun starts (mpirun -np P PROGRAM ...), but this "
                          "process was started on its own");
  }
  int provided = 0;
  MPI_Init_thread(nullptr, nullptr, MPI_THREAD_FUNNELED, &provided);  // MPI from the main thread only; OpenMP inside
  MPI_Comm_rank(MPI_COMM_WORLD, &rank_);
  MPI_Comm_size(MPI_COMM_WORLD, &size_);
  MPI_Comm machine;  // the processes that share this one's memory: its machine's
  MPI_Comm_split_type(MPI_COMM_WORLD, MPI_COMM_TYPE_SHARED, rank_, MPI_INFO_NULL, &machine);
  MPI_Comm_rank(machine, &local_rank_);
  MPI_Comm_free(&machine);
  require_same(bucket_bytes, "the bucket sizes (--bucket-mb)");  // the processes must start the same sums
}

MpiWorkers::~MpiWorkers() { finalize(); }

void MpiWorkers::finalize() {
  int finalized = 0;
  MPI_Finalized(&finalized);
  if (!finalized) MPI_Finalize();
}

void MpiWorkers::sum(std::vector<double>& values) {
  MPI_Allreduce(MPI_IN_PLACE, values.data(), static_cast<int>(values.size()), MPI_DOUBLE, MPI_SUM, MPI_COMM_WORLD);
}

GradientsReady<float> MpiWorkers::summed_gradients(std::size_t layers) {
  return [buckets = buckets_, layers](LayerTensors<float>& layer) { buckets->layer_ready(layer, layers); };
}

std::unique_ptr<DeviceSum> MpiWorkers::device_sum(int device) {
#if ALEXNET_WITH_CUDA
  return nccl_sum(rank_, size_, device);
#else
  (void)device;
  throw std::invalid_argument("--data-parallel --device cuda: this build has no CUDA");
#endif
}

void MpiWorkers::require_same(std::uint64_t value, const std::string& what) {
  std::vector<unsigned long long> all(static_cast<std::size_t>(size_));
  const unsigned long long mine = value;
  MPI_Allgather(&mine, 1, MPI_UNSIGNED_LONG_LONG, all.data(), 1, MPI_UNSIGNED_LONG_LONG, MPI_COMM_WORLD);
  if (std::all_of(all.begin(), all.end(), [&](unsigned long long v) { return v == all[0]; })) return;
  std::ostringstream message;
  message << what << " differ between the processes:";
  for (std::size_t r = 0; r < all.size(); ++r) {
    message << (r ? "," : "") << " process " << r << " " << std::hex << all[r] << std::dec;
  }
  throw CollectiveError(message.str());
}

void MpiWorkers::barrier() { MPI_Barrier(MPI_COMM_WORLD); }

MpiWorkers::Waiting MpiWorkers::take_waiting() { return buckets_->take_waiting(); }

void MpiWorkers::abort(int code) {
  MPI_Abort(MPI_COMM_WORLD, code);
  std::abort();  // MPI_Abort does not return
}

}  // namespace alexnet
