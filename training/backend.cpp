#include "training/backend.hpp"

#include <stdexcept>
#include <utility>

#include "cpu_fast/sgd.hpp"
#include "cpu_fast/threads.hpp"
#include "network/fast_network.hpp"
#if ALEXNET_WITH_CUDA
#include "cuda/gpu.cuh"
#include "network/cuda_network.cuh"
#endif

namespace alexnet {
namespace {

// The two CPU backends: the same executor on two sets of ops (reference_forward / fast_forward, ...).
template <class Ops>
class CpuBackend final : public TrainingBackend {
 public:
  CpuBackend(const Plan& plan, Parameters<float> parameters, Parameters<float> velocity)
      : plan_(plan), parameters_(std::move(parameters)), velocity_(std::move(velocity)) {}

  TensorF forward(const TensorF& x, const RunOptions& options) override {
    activations_ = Ops::forward(plan_, parameters_, x, options);
    if (options.training) update_running_statistics(plan_, activations_, parameters_);  // batch normalization's
    return activations_.logits();
  }
  void backward(const TensorF& grad_logits, const RunOptions& options) override {
    RunOptions weights_only = options;
    weights_only.input_gradient = false;  // nothing uses ∂L/∂images (as CudaBackend's set_input_gradient(false))
    gradients_ = Ops::backward(plan_, parameters_, activations_, grad_logits, weights_only, ready_).parameters;
  }
  void share_gradients(Workers& workers) override { ready_ = workers.summed_gradients(plan_.parameter_rows.size()); }
  void set_running_statistics(const Parameters<float>& from) override {
    for (std::size_t k = 0; k < parameters_.size(); ++k) {
      parameters_[k].running_mean = from.at(k).running_mean;
      parameters_[k].running_var = from.at(k).running_var;
    }
  }
  void sgd_step(double learning_rate, SgdParams params) override {
    if (gradients_.size() != parameters_.size()) throw std::logic_error("sgd_step: run backward first");
    for (std::size_t k = 0; k < parameters_.size(); ++k) {
      Ops::sgd_update(gradients_[k].weight, learning_rate, params, parameters_[k].weight, velocity_[k].weight);
      Ops::sgd_update(gradients_[k].bias, learning_rate, params, parameters_[k].bias, velocity_[k].bias);
    }
  }
  Parameters<float> parameters() const override { return parameters_; }
  Parameters<float> velocity() const override { return velocity_; }
  std::string description() const override { return Ops::description(); }
  std::size_t batches_ahead() const override { return 0; }

 private:
  Plan plan_;
  Parameters<float> parameters_, velocity_, gradients_;
  Activations<float> activations_;
  GradientsReady<float> ready_;
};

struct ReferenceOps {
  static constexpr auto forward = reference_forward<float>;
  static constexpr auto backward = reference_backward<float>;
  static constexpr auto sgd_update = cpu::sgd_update<float>;
  static std::string description() { return "the naive CPU loops (reference, one thread)"; }
};

struct FastOps {
  static constexpr auto forward = fast_forward;
  static constexpr auto backward = fast_backward;
  static constexpr auto sgd_update = fast::sgd_update;
  static std::string description() {
    return "the fast CPU backend (" + std::to_string(fast::threads()) + " threads, " + fast::blas_description() + ")";
  }
};

#if ALEXNET_WITH_CUDA
// The two-tower executor: weights, gradients and velocity stay on the GPUs; only images, logits
// and ∂L/∂logits cross, plus the weights when a checkpoint downloads them.
class CudaBackend final : public TrainingBackend {
 public:
  CudaBackend(const Plan& plan, const Parameters<float>& parameters, const Parameters<float>& velocity,
              std::vector<int> gpus, GpuOptions options)
      : network_(plan, parameters, gpus, options), gpus_(std::move(gpus)), options_(options) {
    network_.set_velocity(velocity);
    network_.set_input_gradient(false);  // nothing uses ∂L/∂images
  }
  TensorF forward(const TensorF& x, const RunOptions& options) override { return network_.forward(x, options); }
  void backward(const TensorF& grad_logits, const RunOptions& options) override {
    network_.backward(grad_logits, options);
    if (!sum_) return;
    std::vector<DeviceArray> gradients;
    network_.for_each_gradient([&](float* values, std::size_t count) { gradients.push_back({values, count}); });
    sum_->sum(gradients);
  }
  void share_gradients(Workers& workers) override {
    for (const int gpu : gpus_) {
      if (gpu != gpus_.front()) {
        throw std::invalid_argument("--data-parallel: each process trains on one GPU, but this one's towers are on "
                                    "devices " + devices() + " (leave --gpus out, or name one device twice)");
      }
    }
    sum_ = workers.device_sum(gpus_.front());
  }
  void set_running_statistics(const Parameters<float>& from) override { network_.set_running_statistics(from); }
  void sgd_step(double learning_rate, SgdParams params) override { network_.sgd_step(learning_rate, params); }
  Parameters<float> parameters() const override { return network_.parameters(); }
  Parameters<float> velocity() const override { return network_.velocity(); }
  std::size_t batches_ahead() const override { return 2; }
  std::string description() const override {
    return "CUDA, towers on devices " + devices() + " (" + gpu_description() + ", " + to_string(options_.kernels) +
           " kernels, " + to_string(options_.precision) + ")";
  }

 private:
  std::string devices() const {
    std::string list;
    for (const int gpu : gpus_) list += (list.empty() ? "" : ",") + std::to_string(gpu);
    return list;
  }

  CudaNetwork network_;
  std::vector<int> gpus_;
  GpuOptions options_;
  std::unique_ptr<DeviceSum> sum_;  // a data-parallel run's sums over the processes (NCCL)
};

#endif

}  // namespace

std::vector<std::string> training_device_names() {
#if ALEXNET_WITH_CUDA
  return {"reference", "cpu", "cuda"};
#else
  return {"reference", "cpu"};
#endif
}

std::unique_ptr<TrainingBackend> make_training_backend(const std::string& device, const Plan& plan,
                                                       Parameters<float> parameters, Parameters<float> velocity,
                                                       std::vector<int> gpus, GpuOptions gpu_options) {
  if (device == "reference") {
    return std::make_unique<CpuBackend<ReferenceOps>>(plan, std::move(parameters), std::move(velocity));
  }
  if (device == "cpu") return std::make_unique<CpuBackend<FastOps>>(plan, std::move(parameters), std::move(velocity));
#if ALEXNET_WITH_CUDA
  if (device == "cuda") {
    return std::make_unique<CudaBackend>(plan, parameters, velocity, tower_devices(plan, std::move(gpus)),
                                         gpu_options);
  }
#endif
  (void)gpus;
  (void)gpu_options;
  std::string known;
  for (const std::string& name : training_device_names()) known += (known.empty() ? "" : ", ") + name;
  throw std::invalid_argument("unknown device '" + device + "' (expected one of " + known + ")");
}

}  // namespace alexnet
