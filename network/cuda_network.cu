#include "network/cuda_network.cuh"

#include <chrono>
#include <cstdint>
#include <stdexcept>
#include <string>

#include "cuda/add.cuh"
#include "cuda/batchnorm2d.cuh"
#include "cuda/context.cuh"
#include "cuda/conv2d.cuh"
#include "cuda/dropout.cuh"
#include "cuda/flatten.cuh"
#include "cuda/gpu.cuh"
#include "cuda/groupnorm.cuh"
#include "cuda/linear.cuh"
#include "cuda/lrn.cuh"
#include "cuda/maxpool2d.cuh"
#include "cuda/relu.cuh"
#include "cuda/sgd.cuh"
#include "network/gpu_kernel_set.cuh"
#include "reference_cpu/channels.hpp"

namespace alexnet {
namespace {

// What a tower holds of a value: its own share of the channels (Split) or all of them (Whole).
enum class Layout { Split, Whole };

// Where one step runs and what it reads, decided once from the plan.
struct Placement {
  bool joins_input = false;     // its input is Split and it reads Whole: gather the towers' channels first
  Layout output = Layout::Split;
  bool tower_0_only = false;    // a layer that is not split (FC8) runs on tower 0 alone
  StepOp local_op;              // the op as one tower runs it (groups and LRN towers divided by the towers)
};

// [N, C, ...] with C divided by `towers` when the layout is Split.
Shape batch_shape(std::int64_t batch, Shape per_image, Layout layout, int towers) {
  if (layout == Layout::Split) per_image[0] /= towers;
  per_image.insert(per_image.begin(), batch);
  return per_image;
}

std::int64_t inner_size(const Shape& shape) { return shape[0] == 0 ? 0 : element_count(shape) / shape[0]; }

// Device tensors [tower][parameter].
using TowerTensors = std::vector<std::vector<DeviceTensorF>>;

// `towers` lists of `parameters` empty tensors (DeviceTensor cannot be copied, so no vector(n, value)).
TowerTensors empty_tower_tensors(int towers, std::size_t parameters) {
  TowerTensors tensors(static_cast<std::size_t>(towers));
  for (auto& tower : tensors) tower.resize(parameters);
  return tensors;
}

// Zero tensors of the shapes (and on the devices) of `tensors`; empty where they are empty.
TowerTensors zeros_like(const TowerTensors& tensors) {
  TowerTensors zeros(tensors.size());
  for (std::size_t t = 0; t < tensors.size(); ++t) {
    for (const DeviceTensorF& tensor : tensors[t]) {
      zeros[t].push_back(tensor.size() == 0 ? DeviceTensorF() : DeviceTensorF(tensor.shape(), tensor.device()));
    }
  }
  return zeros;
}

}  // namespace

namespace {

// The timeline of set_timeline(): an event on a tower's stream before and after each step of a pass, and one at
// the pass's start, created the first time they are needed and kept. Reading them waits for nothing but the
// pass's end, so the towers run as they do untimed.
class Timeline {
 public:
  enum Pass { kForward = 0, kBackward = 1 };

  bool on = false;

  // At the start of pass `pass` on every tower's stream (of `steps` steps).
  void start(Pass pass, std::size_t steps, const std::vector<int>& gpus, const std::vector<cudaStream_t>& streams) {
    if (!on) return;
    const std::size_t towers = gpus.size();
    ++runs_[pass];  // events are kept across passes; StepEvents::run says which pass recorded each
    events_[pass].resize(steps);
    for (auto& step_events : events_[pass]) step_events.resize(towers);
    origin_[pass].resize(towers, nullptr);
    for (std::size_t t = 0; t < towers; ++t) record(origin_[pass][t], gpus[t], streams[t]);
    if (pass == kForward) spans_.clear();
  }

  // Before (after = false) or after step `step`'s work on tower t.
  void mark(Pass pass, std::size_t step, int t, bool after, int gpu, cudaStream_t stream) {
    if (!on) return;
    StepEvents& events = events_[pass][step][static_cast<std::size_t>(t)];
    record(after ? events.after : events.before, gpu, stream);
    (after ? events.after_run : events.before_run) = runs_[pass];
  }

  // After the pass's streams have finished: its spans, in the order the steps ran.
  void collect(Pass pass, const Plan& plan) {
    if (!on) return;
    const std::size_t steps = events_[pass].size();
    for (std::size_t k = 0; k < steps; ++k) {
      const std::size_t i = pass == kForward ? k : steps - 1 - k;
      for (std::size_t t = 0; t < events_[pass][i].size(); ++t) {
        const StepEvents& events = events_[pass][i][t];
        if (events.before_run != runs_[pass] || events.after_run != runs_[pass]) continue;  // not run this pass
        spans_.push_back({plan.steps[i].name, pass == kBackward, static_cast<int>(t),
                          elapsed(origin_[pass][t], events.before), elapsed(origin_[pass][t], events.after)});
      }
    }
  }

  const std::vector<CudaNetwork::TimelineSpan>& spans() const { return spans_; }

  ~Timeline() {
    for (auto& pass : events_) {
      for (auto& step : pass) {
        for (StepEvents& events : step) {
          if (events.before != nullptr) cudaEventDestroy(events.before);
          if (events.after != nullptr) cudaEventDestroy(events.after);
        }
      }
    }
    for (auto& pass : origin_) {
      for (cudaEvent_t event : pass) {
        if (event != nullptr) cudaEventDestroy(event);
      }
    }
  }

 private:
  struct StepEvents {
    cudaEvent_t before = nullptr, after = nullptr;
    std::uint64_t before_run = 0, after_run = 0;  // the pass (runs_) that last recorded each; 0: none
  };

  static void record(cudaEvent_t& event, int gpu, cudaStream_t stream) {
    const ScopedDevice device(gpu);
    if (event == nullptr) CUDA_CHECK(cudaEventCreate(&event));
    CUDA_CHECK(cudaEventRecord(event, stream));
  }

  static double elapsed(cudaEvent_t from, cudaEvent_t to) {
    float ms = 0.0f;
    CUDA_CHECK(cudaEventElapsedTime(&ms, from, to));
    return ms;
  }

  std::vector<std::vector<StepEvents>> events_[2];  // [pass][step][tower]
  std::uint64_t runs_[2] = {0, 0};                 // passes started, per kind
  std::vector<cudaEvent_t> origin_[2];              // [pass][tower]
  std::vector<CudaNetwork::TimelineSpan> spans_;
};

}  // namespace

struct CudaNetwork::State {
  Plan plan;
  int towers;
  std::vector<int> gpus;
  std::vector<std::unique_ptr<TowerKernels>> kernels;  // [tower]: its convolutions and fully connected layers
  std::vector<cudaStream_t> streams;
  std::vector<cudaEvent_t> ready;  // per tower: recorded after its latest step
  std::vector<Placement> placement;
  std::vector<std::vector<bool>> running;          // [step][tower]: the tower computes the step's output
  // [tower][parameter]: a tower's share of every layer; empty where the tower holds none of it.
  TowerTensors weight, bias;
  TowerTensors grad_weight, grad_bias;          // of the last backward
  TowerTensors velocity_weight, velocity_bias;  // SGD's v, zero until the first sgd_step
  TowerTensors running_mean, running_var;       // a batch normalization's running statistics, its channels' share
  // The backward's buffers, kept from one step to the next (allocated by the first batch of a size):
  std::vector<DeviceTensorF> grad_logits;                 // [tower]: ∂L/∂logits, its share
  std::vector<std::vector<DeviceTensorF>> grad_step_input;  // [step][tower]: ∂L/∂ the step's (joined) input
  std::vector<std::vector<DeviceTensorF>> grad_joined;      // [step][tower]: a join's gradient, summed per tower
  std::vector<std::vector<DeviceTensorF>> join_blocks;      // [step][tower·towers + u]: u's part for tower t
  std::vector<const DeviceTensorF*> grad_input;  // [tower]: its part of ∂L/∂x (the towers' sum is ∂L/∂x)
  bool input_gradient = true;                    // compute ∂L/∂x of the batch
  std::int64_t batch = 0;
  std::vector<DeviceTensorF> input;                  // [tower]: the image batch, Whole
  std::vector<std::vector<DeviceTensorF>> joined;    // [step][tower]: the gathered input of a joining step
  std::vector<std::vector<DeviceTensorF>> output;    // [step][tower]
  // [step][tower]: a normalization's mean and biased variance from its forward, which its backward reads
  // (BatchNorm: the batch's, per channel, in training; GroupNorm: per image and group)
  std::vector<std::vector<DeviceTensorF>> saved_mean, saved_variance;
  std::int64_t crossed_bytes = 0;
  bool timing = false;
  std::vector<double> step_ms, backward_step_ms;
  Timeline timeline;

  // Step i's saved statistics on tower t, allocated on the first step and kept.
  std::pair<DeviceTensorF&, DeviceTensorF&> saved_statistics(std::size_t i, int t, const Shape& shape) {
    const auto tower = static_cast<std::size_t>(t);
    saved_mean[i].resize(static_cast<std::size_t>(towers));
    saved_variance[i].resize(static_cast<std::size_t>(towers));
    keep_or_allocate(saved_mean[i][tower], shape, gpus[tower]);
    keep_or_allocate(saved_variance[i][tower], shape, gpus[tower]);
    return {saved_mean[i][tower], saved_variance[i][tower]};
  }

  cuda::Context context(int t) const { return cuda::Context{gpus[static_cast<std::size_t>(t)], streams[static_cast<std::size_t>(t)]}; }

  bool runs(std::size_t step, int t) const { return running[step][static_cast<std::size_t>(t)]; }

  // A tower computes a step when a later step on it reads the output, or a join gathers it
  // from every tower; FC8 and the dropout just before it therefore run on tower 0 only.
  void decide_where_steps_run() {
    running.assign(placement.size(), std::vector<bool>(static_cast<std::size_t>(towers), true));
    for (std::size_t i = placement.size(); i-- > 0;) {
      for (int t = 0; t < towers; ++t) {
        bool needed = i + 1 == placement.size() || placement[i + 1].joins_input || running[i + 1][static_cast<std::size_t>(t)];
        if (placement[i].tower_0_only && t != 0) needed = false;
        running[i][static_cast<std::size_t>(t)] = needed;
      }
    }
  }

  void record(int t) {
    const ScopedDevice device(gpus[static_cast<std::size_t>(t)]);
    CUDA_CHECK(cudaEventRecord(ready[static_cast<std::size_t>(t)], streams[static_cast<std::size_t>(t)]));
  }

  // Copies channel block `block` of every image of `from` (on tower u) into `to` (on tower t), on t's stream
  // after u's latest work: per image one contiguous run of C_block·H·W floats, all images in one strided copy
  // (rows of that run, one per image, each `channels`·H·W floats after the last; unified addressing lets the
  // runtime see which devices the two pointers live on).
  void copy_channels(int u, const DeviceTensorF& from, std::int64_t from_offset, std::int64_t from_channels,
                     int t, DeviceTensorF& to, std::int64_t to_offset, std::int64_t to_channels,
                     std::int64_t block_channels) {
    const std::int64_t plane = inner_size(from.shape()) / from_channels;
    const std::size_t bytes = static_cast<std::size_t>(block_channels * plane) * sizeof(float);
    const auto pitch = [&](std::int64_t channels) {
      return static_cast<std::size_t>(channels * plane) * sizeof(float);
    };
    const ScopedDevice device(gpus[static_cast<std::size_t>(t)]);
    CUDA_CHECK(cudaStreamWaitEvent(streams[static_cast<std::size_t>(t)], ready[static_cast<std::size_t>(u)], 0));
    CUDA_CHECK(cudaMemcpy2DAsync(to.data() + to_offset * plane, pitch(to_channels), from.data() + from_offset * plane,
                                 pitch(from_channels), bytes, static_cast<std::size_t>(batch), cudaMemcpyDefault,
                                 streams[static_cast<std::size_t>(t)]));
    if (u != t) crossed_bytes += static_cast<std::int64_t>(bytes) * batch;
  }

  // Forward join: every tower gathers all towers' Split values into one Whole tensor.
  void join(std::size_t step, const std::vector<DeviceTensorF*>& split) {
    const Shape& part = split[0]->shape();
    const std::int64_t share = part[1];
    Shape whole = part;
    whole[1] = share * towers;
    joined[step].resize(static_cast<std::size_t>(towers));
    for (int t = 0; t < towers; ++t) {
      if (!runs(step, t)) continue;
      DeviceTensorF& gathered = joined[step][static_cast<std::size_t>(t)];
      keep_or_allocate(gathered, whole, gpus[static_cast<std::size_t>(t)]);
      for (int u = 0; u < towers; ++u) {
        copy_channels(u, *split[static_cast<std::size_t>(u)], 0, share, t, gathered, u * share, whole[1], share);
      }
    }
  }

  // Backward join of step `step`: tower t's gradient for its own channels is the sum of its block of every
  // tower's gradient for the gathered input (the towers that computed one: `whole_grads[u]` not null).
  std::vector<const DeviceTensorF*> reduce_join(std::size_t step,
                                                const std::vector<const DeviceTensorF*>& whole_grads) {
    std::vector<const DeviceTensorF*> split(static_cast<std::size_t>(towers), nullptr);
    grad_joined[step].resize(static_cast<std::size_t>(towers));
    join_blocks[step].resize(static_cast<std::size_t>(towers * towers));
    for (int t = 0; t < towers; ++t) {
      DeviceTensorF& into = grad_joined[step][static_cast<std::size_t>(t)];
      bool first = true;
      for (int u = 0; u < towers; ++u) {
        const DeviceTensorF* from = whole_grads[static_cast<std::size_t>(u)];
        if (from == nullptr) continue;
        Shape part = from->shape();
        const std::int64_t whole_channels = part[1];
        part[1] /= towers;
        DeviceTensorF& block = first ? into : join_blocks[step][static_cast<std::size_t>(t * towers + u)];
        keep_or_allocate(block, part, gpus[static_cast<std::size_t>(t)]);
        copy_channels(u, *from, t * part[1], whole_channels, t, block, 0, part[1], part[1]);
        if (!first) cuda::add_into(context(t), block, into);
        first = false;
      }
      if (!first) split[static_cast<std::size_t>(t)] = &into;
      record(t);
    }
    return split;
  }

  void synchronize_all() {
    for (int t = 0; t < towers; ++t) cuda::synchronize(context(t));
  }

  // The timeline's event before (after = false) or after step i's work on tower t.
  void mark_step(Timeline::Pass pass, std::size_t i, int t, bool after) {
    timeline.mark(pass, i, t, after, gpus[static_cast<std::size_t>(t)], streams[static_cast<std::size_t>(t)]);
  }

  // Layer k's weights (or biases, ...) of every tower that holds a share, joined into the whole layer on the host.
  TensorF download(const TowerTensors& tensors, std::size_t k) const {
    std::vector<TensorF> shares;
    for (const auto& tower : tensors) {
      if (tower[k].size() != 0) shares.push_back(tower[k].to_host());
    }
    return cpu::concat_rows(shares);
  }

  // Every layer's weight and bias tensors of a set ([tower][parameter]), in whole-layer layout.
  Parameters<float> download(const TowerTensors& weights, const TowerTensors& biases) const {
    Parameters<float> result;
    for (std::size_t k = 0; k < plan.parameter_rows.size(); ++k) {
      const std::string& name = plan.layers[static_cast<std::size_t>(plan.parameter_rows[k])].spec.name;
      result.push_back({name, download(weights, k), download(biases, k)});
    }
    return result;
  }

  // Each tower's share of every layer of `parameters` (its rows of a split layer; a layer that is
  // not split lives on tower 0 only), uploaded into `weights` and `biases` ([tower][parameter]).
  void upload(const Parameters<float>& parameters, TowerTensors& weights, TowerTensors& biases) const;

  // Each tower's share of the batch normalizations' running statistics (empty for the other layers).
  void upload_running_statistics(const Parameters<float>& parameters);

  // The running statistics in whole-layer layout, set into the batch normalizations of `parameters`.
  void download_running_statistics(Parameters<float>& parameters) const {
    for (std::size_t k = 0; k < parameters.size(); ++k) {
      if (running_mean[0][k].size() == 0) continue;  // not a batch normalization
      parameters[k].running_mean = download(running_mean, k);
      parameters[k].running_var = download(running_var, k);
    }
  }
};

namespace {

// A tower's rows of a split layer's weight and bias; the whole layer for one that is not split.
LayerTensors<float> tower_share(const LayerTensors<float>& layer, bool split, int tower, int towers) {
  if (!split) return layer;
  const std::int64_t rows = layer.weight.dim(0) / towers;
  return {layer.name, cpu::slice_rows(layer.weight, tower * rows, rows), cpu::slice_rows(layer.bias, tower * rows, rows)};
}

Placement place(const Step& step, const Plan& plan, Layout input, int towers) {
  Placement p{false, input, false, step.op};  // output: as the input, unless the step says otherwise
  const auto needs_whole = [&] {
    p.joins_input = input == Layout::Split && towers > 1;
    input = Layout::Whole;
  };
  std::visit(Overloaded{
                 [&](const ConvolutionStep& s) {
                   const bool split = plan.layers[static_cast<std::size_t>(plan.parameter_rows[s.parameters])].spec.split_in_towers;
                   ConvolutionStep local = s;
                   if (input == Layout::Split && s.params.groups % towers == 0) {
                     local.params.groups = s.params.groups / towers;  // each tower: its own groups
                   } else {
                     if (s.params.groups != 1 && towers > 1) {
                       throw std::invalid_argument(step.name + ": a grouped convolution over both towers' maps");
                     }
                     needs_whole();
                   }
                   p.local_op = local;
                   p.output = split ? Layout::Split : Layout::Whole;
                   p.tower_0_only = !split && towers > 1;
                 },
                 [&](const LrnStep& s) {
                   if (towers > 1 && (input != Layout::Split || s.params.towers % towers != 0)) {
                     throw std::invalid_argument(step.name + ": an LRN window across the towers cannot run split "
                                                 "(run the one-tower variant)");
                   }
                   LrnStep local = s;
                   if (towers > 1) local.params.towers = s.params.towers / towers;
                   p.local_op = local;
                 },
                 [&](const LinearStep& s) {
                   needs_whole();
                   const bool split = plan.layers[static_cast<std::size_t>(plan.parameter_rows[s.parameters])].spec.split_in_towers;
                   p.output = split ? Layout::Split : Layout::Whole;
                   p.tower_0_only = !split && towers > 1;
                 },
                 [&](const DropoutStep&) {
                   needs_whole();  // the mask index is the unit's index in the whole layer
                   p.output = Layout::Whole;
                 },
                 [&](const BatchNormStep&) {  // per channel: each tower normalizes its own channels
                   if (towers > 1 && input != Layout::Split) {
                     throw std::invalid_argument(step.name + ": batch normalization runs on each tower's share of "
                                                 "the channels; its input is not divided between the towers");
                   }
                 },
                 [&](const GroupNormStep& s) {  // per image and group: each tower normalizes its own groups
                   if (towers > 1 && (input != Layout::Split || s.params.groups % towers != 0)) {
                     throw std::invalid_argument(step.name + ": group normalization of " +
                                                 std::to_string(s.params.groups) + " groups cannot run on " +
                                                 std::to_string(towers) + " towers (a group would cross them)");
                   }
                   GroupNormStep local = s;
                   local.params.groups = s.params.groups / towers;
                   p.local_op = local;
                 },
                 [&](const auto&) {},  // ReLU, max-pooling, flatten: element- or plane-wise, any layout
             },
             step.op);
  if (!std::holds_alternative<ConvolutionStep>(step.op) && !std::holds_alternative<LinearStep>(step.op) &&
      !std::holds_alternative<DropoutStep>(step.op)) {
    p.output = input;
  }
  return p;
}

}  // namespace

std::vector<int> tower_devices(const Plan& plan, std::vector<int> gpus) {
  if (!gpu_available()) throw std::runtime_error("--device cuda: no usable GPU (" + gpu_unavailable_reason() + ")");
  for (const int gpu : gpus) {
    if (gpu < 0 || gpu >= gpu_count()) {
      throw std::invalid_argument("--device cuda: expected GPUs 0.." + std::to_string(gpu_count() - 1) +
                                  " of this machine, got GPU " + std::to_string(gpu) +
                                  " (a data-parallel run takes one GPU per process of a machine)");
    }
  }
  if (!gpus.empty()) return gpus;
  for (int t = 0; t < plan.spec.towers; ++t) gpus.push_back(gpu_count() >= plan.spec.towers ? t : 0);
  return gpus;
}

CudaNetwork::CudaNetwork(const Plan& plan, const Parameters<float>& parameters, std::vector<int> gpus,
                         GpuOptions options)
    : state_(std::make_unique<State>()) {
  State& s = *state_;
  s.plan = plan;
  s.towers = static_cast<int>(gpus.size());
  if (s.towers != plan.spec.towers && s.towers != 1) {
    throw std::invalid_argument("CudaNetwork: " + plan.spec.name + " has " + std::to_string(plan.spec.towers) +
                                " towers: give one device per tower, or one device for the grouped form; got " +
                                std::to_string(gpus.size()) + " devices");
  }
  s.gpus = std::move(gpus);
  for (int t = 0; t < s.towers; ++t) {
    const ScopedDevice device(s.gpus[static_cast<std::size_t>(t)]);
    cudaStream_t stream = nullptr;
    cudaEvent_t event = nullptr;
    CUDA_CHECK(cudaStreamCreate(&stream));
    CUDA_CHECK(cudaEventCreate(&event));
    s.streams.push_back(stream);
    s.ready.push_back(event);
    s.kernels.push_back(make_tower_kernels(options, s.gpus[static_cast<std::size_t>(t)]));
    for (int u = 0; u < s.towers; ++u) {  // peer access where the towers sit on different devices
      const int peer = s.gpus[static_cast<std::size_t>(u)];
      if (peer == s.gpus[static_cast<std::size_t>(t)]) continue;
      const cudaError_t enabled = cudaDeviceEnablePeerAccess(peer, 0);
      if (enabled == cudaErrorPeerAccessAlreadyEnabled) cudaGetLastError();
      else CUDA_CHECK(enabled);
    }
  }
  Layout layout = Layout::Whole;  // the image: every tower gets all of it
  for (const Step& step : plan.steps) {
    s.placement.push_back(place(step, plan, layout, s.towers));
    layout = s.placement.back().output;
  }
  s.decide_where_steps_run();
  if (parameters.size() != plan.parameter_rows.size()) {
    throw std::invalid_argument("CudaNetwork: expected " + std::to_string(plan.parameter_rows.size()) +
                                " layers of parameters, got " + std::to_string(parameters.size()));
  }
  s.upload(parameters, s.weight, s.bias);
  s.upload_running_statistics(parameters);
  s.velocity_weight = zeros_like(s.weight);
  s.velocity_bias = zeros_like(s.bias);
}

void CudaNetwork::State::upload(const Parameters<float>& parameters, TowerTensors& weights, TowerTensors& biases) const {
  if (parameters.size() != plan.parameter_rows.size()) {
    throw std::invalid_argument("CudaNetwork: expected " + std::to_string(plan.parameter_rows.size()) +
                                " layers of parameters, got " + std::to_string(parameters.size()));
  }
  weights = empty_tower_tensors(towers, 0);
  biases = empty_tower_tensors(towers, 0);
  for (int t = 0; t < towers; ++t) {
    for (std::size_t i = 0; i < parameters.size(); ++i) {
      const bool split = plan.layers[static_cast<std::size_t>(plan.parameter_rows[i])].spec.split_in_towers;
      const bool holds = split || t == 0 || towers == 1;
      if (!holds) {
        weights[static_cast<std::size_t>(t)].emplace_back();
        biases[static_cast<std::size_t>(t)].emplace_back();
        continue;
      }
      const LayerTensors<float> share = tower_share(parameters[i], split && towers > 1, t, towers);
      weights[static_cast<std::size_t>(t)].emplace_back(share.weight, gpus[static_cast<std::size_t>(t)]);
      biases[static_cast<std::size_t>(t)].emplace_back(share.bias, gpus[static_cast<std::size_t>(t)]);
    }
  }
}

void CudaNetwork::State::upload_running_statistics(const Parameters<float>& parameters) {
  running_mean = empty_tower_tensors(towers, parameters.size());
  running_var = empty_tower_tensors(towers, parameters.size());
  for (std::size_t k = 0; k < parameters.size(); ++k) {
    const LayerSpec& layer = plan.layers[static_cast<std::size_t>(plan.parameter_rows[k])].spec;
    if (!std::holds_alternative<BatchNormSpec>(layer.op)) continue;
    const std::int64_t channels = parameters[k].weight.dim(0), share = channels / towers;
    for (const TensorF* statistic : {&parameters[k].running_mean, &parameters[k].running_var}) {
      require_shape("CudaNetwork", layer.name + " running statistics", {channels}, statistic->shape());
    }
    for (int t = 0; t < towers; ++t) {  // batch normalization is split: tower t holds channels [t·share, (t+1)·share)
      const auto tower = static_cast<std::size_t>(t);
      const auto share_of = [&](const TensorF& whole) {
        return DeviceTensorF(cpu::slice_rows(whole, t * share, share), gpus[tower]);
      };
      running_mean[tower][k] = share_of(parameters[k].running_mean);
      running_var[tower][k] = share_of(parameters[k].running_var);
    }
  }
}

CudaNetwork::~CudaNetwork() {
  for (std::size_t t = 0; t < state_->streams.size(); ++t) {
    cudaStreamDestroy(state_->streams[t]);
    cudaEventDestroy(state_->ready[t]);
  }
}

TensorF CudaNetwork::forward(const TensorF& x, const RunOptions& options) {
  State& s = *state_;
  require_network_input(s.plan, x.shape());
  s.batch = x.dim(0);
  s.crossed_bytes = 0;
  s.grad_input.clear();  // a backward's gradients belong to the forward before it
  // Every buffer is kept from the last forward when the batch size is the same: no allocation in a step.
  s.input.resize(static_cast<std::size_t>(s.towers));
  for (int t = 0; t < s.towers; ++t) {
    DeviceTensorF& input = s.input[static_cast<std::size_t>(t)];
    keep_or_allocate(input, x.shape(), s.gpus[static_cast<std::size_t>(t)]);
    // The upload waits for the device's work, the last step's included; the towers' streams then read it.
    input.copy_from(x);
  }
  s.joined.resize(s.plan.steps.size());
  s.output.resize(s.plan.steps.size());
  s.saved_mean.resize(s.plan.steps.size());
  s.saved_variance.resize(s.plan.steps.size());
  s.step_ms.clear();
  s.timeline.start(Timeline::kForward, s.plan.steps.size(), s.gpus, s.streams);
  for (std::size_t i = 0; i < s.plan.steps.size(); ++i) {
    const auto start = std::chrono::steady_clock::now();
    const Placement& p = s.placement[i];
    std::vector<DeviceTensorF*> in(static_cast<std::size_t>(s.towers));
    for (int t = 0; t < s.towers; ++t) {
      in[static_cast<std::size_t>(t)] = i == 0 ? &s.input[static_cast<std::size_t>(t)] : &s.output[i - 1][static_cast<std::size_t>(t)];
      if (s.runs(i, t)) s.mark_step(Timeline::kForward, i, t, false);
    }
    if (p.joins_input) {
      s.join(i, in);
      for (int t = 0; t < s.towers; ++t) in[static_cast<std::size_t>(t)] = &s.joined[i][static_cast<std::size_t>(t)];
    }
    s.output[i].resize(static_cast<std::size_t>(s.towers));
    for (int t = 0; t < s.towers; ++t) {
      if (!s.runs(i, t)) continue;
      const cuda::Context where = s.context(t);
      const DeviceTensorF& x_t = *in[static_cast<std::size_t>(t)];
      DeviceTensorF& y = s.output[i][static_cast<std::size_t>(t)];
      keep_or_allocate(y, batch_shape(s.batch, s.plan.steps[i].output, p.output, s.towers), where.device);
      const auto& weights = s.weight[static_cast<std::size_t>(t)];
      const auto& biases = s.bias[static_cast<std::size_t>(t)];
      TowerKernels& kernels = *s.kernels[static_cast<std::size_t>(t)];
      std::visit(Overloaded{
                     [&](const ConvolutionStep& c) {
                       kernels.conv2d_forward(where, x_t, weights[static_cast<std::size_t>(c.parameters)],
                                              biases[static_cast<std::size_t>(c.parameters)], c.params, y);
                     },
                     [&](const ReluStep&) { cuda::relu_forward(where, x_t, y); },
                     [&](const LrnStep& l) { kernels.lrn_forward(where, x_t, l.params, y); },
                     [&](const MaxPoolStep& m) { cuda::maxpool2d_forward(where, x_t, m.params, y); },
                     [&](const FlattenStep&) { cuda::flatten_forward(where, x_t, y); },
                     [&](const LinearStep& l) {
                       kernels.linear_forward(where, x_t, weights[static_cast<std::size_t>(l.parameters)],
                                              biases[static_cast<std::size_t>(l.parameters)], y);
                     },
                     [&](const DropoutStep& d) {
                       cuda::dropout_forward(where, x_t, dropout_params(d, options, x_t.shape()), y);
                     },
                     [&](const BatchNormStep& b) {
                       const auto k = static_cast<std::size_t>(b.parameters);
                       DeviceTensorF& mean = s.running_mean[static_cast<std::size_t>(t)][k];
                       DeviceTensorF& var = s.running_var[static_cast<std::size_t>(t)][k];
                       if (!options.training) {  // test time: the running statistics
                         cuda::batchnorm2d_forward_inference(where, x_t, weights[k], biases[k], mean, var, b.params, y);
                         return;
                       }
                       // Training: the batch's statistics, kept until the next forward (the update reads them
                       // on the stream), and the running ones updated on the device as PyTorch does.
                       auto [batch_mean, batch_variance] = s.saved_statistics(i, t, mean.shape());
                       cuda::batchnorm2d_forward_training(where, x_t, weights[k], biases[k], b.params, y, batch_mean,
                                                          batch_variance);
                       const Shape& shape = x_t.shape();  // m = N·H·W values per channel
                       cuda::update_running_statistics(where, mean, var, batch_mean, batch_variance,
                                                       shape[0] * shape[2] * shape[3], b.params);
                     },
                     [&](const GroupNormStep& g) {
                       const auto k = static_cast<std::size_t>(g.parameters);
                       auto [group_mean, group_variance] =
                           s.saved_statistics(i, t, Shape{x_t.shape()[0], g.params.groups});
                       cuda::groupnorm_forward(where, x_t, weights[k], biases[k], g.params, y, group_mean,
                                               group_variance);
                     },
                 },
                 p.local_op);
      s.record(t);
      s.mark_step(Timeline::kForward, i, t, true);
    }
    if (s.timing) {
      s.synchronize_all();
      s.step_ms.push_back(std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - start).count());
    }
  }
  s.synchronize_all();
  s.timeline.collect(Timeline::kForward, s.plan);
  return step_output(s.plan.steps.size() - 1);
}

void CudaNetwork::backward(const TensorF& grad_logits, const RunOptions& options) {
  State& s = *state_;
  const std::size_t last = s.plan.steps.size() - 1;
  if (s.output.empty()) throw std::logic_error("CudaNetwork::backward: run forward first");
  require_shape("CudaNetwork::backward", "grad_logits", step_output(last).shape(), grad_logits.shape());
  for (std::size_t i = last + 1; i-- > 0 && !options.training;) {  // refused before any work is queued
    if (std::holds_alternative<BatchNormStep>(s.plan.steps[i].op)) {
      throw std::logic_error(s.plan.steps[i].name + ": the backward of batch normalization runs after a "
                             "training-mode forward (through the batch statistics); test mode has none");
    }
  }

  // ∂L/∂logits on the towers that hold the logits (their share when the last layer is split).
  std::vector<const DeviceTensorF*> grad(static_cast<std::size_t>(s.towers), nullptr);
  s.grad_logits.resize(static_cast<std::size_t>(s.towers));
  for (int t = 0; t < s.towers; ++t) {
    if (!s.runs(last, t)) continue;
    const bool split = s.placement[last].output == Layout::Split && s.towers > 1;
    const std::int64_t share = grad_logits.dim(1) / s.towers;
    const TensorF part = split ? cpu::slice_channels(grad_logits, t * share, share) : grad_logits;
    DeviceTensorF& on_device = s.grad_logits[static_cast<std::size_t>(t)];
    keep_or_allocate(on_device, part.shape(), s.gpus[static_cast<std::size_t>(t)]);
    on_device.copy_from(part);
    grad[static_cast<std::size_t>(t)] = &on_device;
  }

  const std::size_t parameters = s.plan.parameter_rows.size();
  if (s.grad_weight.empty()) {  // allocated as each layer's gradient first comes, then kept
    s.grad_weight = empty_tower_tensors(s.towers, parameters);
    s.grad_bias = empty_tower_tensors(s.towers, parameters);
  }
  s.grad_step_input.resize(s.plan.steps.size());
  s.grad_joined.resize(s.plan.steps.size());
  s.join_blocks.resize(s.plan.steps.size());
  s.backward_step_ms.assign(s.plan.steps.size(), 0.0);
  s.timeline.start(Timeline::kBackward, s.plan.steps.size(), s.gpus, s.streams);
  for (std::size_t i = last + 1; i-- > 0;) {
    const auto start = std::chrono::steady_clock::now();
    const Placement& p = s.placement[i];
    for (int t = 0; t < s.towers; ++t) {
      if (grad[static_cast<std::size_t>(t)] != nullptr) s.mark_step(Timeline::kBackward, i, t, false);
    }
    // ∂L/∂images only when asked for (a plan that starts at another kind than a convolution computes it anyway).
    const bool wanted = i > 0 || s.input_gradient || !std::holds_alternative<ConvolutionStep>(s.plan.steps[i].op);
    std::vector<const DeviceTensorF*> grad_in(static_cast<std::size_t>(s.towers), nullptr);
    s.grad_step_input[i].resize(static_cast<std::size_t>(s.towers));
    for (int t = 0; t < s.towers; ++t) {
      const auto tower = static_cast<std::size_t>(t);
      if (grad[tower] == nullptr) continue;
      const DeviceTensorF& g = *grad[tower];
      const cuda::Context where = s.context(t);
      const DeviceTensorF& x = p.joins_input ? s.joined[i][tower] : i == 0 ? s.input[tower] : s.output[i - 1][tower];
      DeviceTensorF& gx = s.grad_step_input[i][tower];
      if (wanted) keep_or_allocate(gx, x.shape(), where.device);
      const auto& weights = s.weight[tower];
      TowerKernels& kernels = *s.kernels[tower];
      // This tower's gradients of layer `layer`, of its weight's and bias's shapes.
      const auto parameter_grads = [&](int layer) {
        const auto k = static_cast<std::size_t>(layer);
        keep_or_allocate(s.grad_weight[tower][k], weights[k].shape(), where.device);
        keep_or_allocate(s.grad_bias[tower][k], s.bias[tower][k].shape(), where.device);
        return k;
      };
      std::visit(Overloaded{
                     [&](const ConvolutionStep& c) {
                       const auto k = parameter_grads(c.parameters);
                       kernels.conv2d_backward(where, x, weights[k], g, c.params, wanted ? &gx : nullptr,
                                               s.grad_weight[tower][k], s.grad_bias[tower][k],
                                               cuda::GradientMode::Overwrite);
                     },
                     [&](const ReluStep&) { cuda::relu_backward(where, x, g, gx); },
                     [&](const LrnStep& l) { kernels.lrn_backward(where, x, g, l.params, gx); },
                     [&](const MaxPoolStep& m) { cuda::maxpool2d_backward(where, x, g, m.params, gx); },
                     [&](const FlattenStep&) { cuda::flatten_backward(where, g, gx); },
                     [&](const LinearStep& l) {
                       const auto k = parameter_grads(l.parameters);
                       kernels.linear_backward(where, x, weights[k], g, gx, s.grad_weight[tower][k],
                                               s.grad_bias[tower][k], cuda::GradientMode::Overwrite);
                     },
                     [&](const DropoutStep& d) {
                       cuda::dropout_backward(where, g, dropout_params(d, options, g.shape()), gx);
                     },
                     [&](const BatchNormStep& b) {
                       const auto k = parameter_grads(b.parameters);
                       cuda::batchnorm2d_backward(where, x, weights[k], s.saved_mean[i][tower],
                                                  s.saved_variance[i][tower], g, b.params, gx,
                                                  s.grad_weight[tower][k], s.grad_bias[tower][k]);
                     },
                     [&](const GroupNormStep& n) {
                       const auto k = parameter_grads(n.parameters);
                       cuda::groupnorm_backward(where, x, weights[k], s.saved_mean[i][tower],
                                                s.saved_variance[i][tower], g, n.params, gx,
                                                s.grad_weight[tower][k], s.grad_bias[tower][k]);
                     },
                 },
                 p.local_op);
      if (wanted) grad_in[tower] = &gx;
      s.record(t);
    }
    const std::vector<const DeviceTensorF*> into_step = grad;  // the towers that worked on this step
    grad = p.joins_input ? s.reduce_join(i, grad_in) : grad_in;
    for (int t = 0; t < s.towers; ++t) {
      if (into_step[static_cast<std::size_t>(t)] != nullptr) s.mark_step(Timeline::kBackward, i, t, true);
    }
    if (s.timing) {
      s.synchronize_all();
      s.backward_step_ms[i] = std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - start).count();
    }
  }
  s.synchronize_all();
  s.timeline.collect(Timeline::kBackward, s.plan);
  s.grad_input = grad;
}

Gradients<float> CudaNetwork::gradients() const {
  const State& s = *state_;
  if (s.grad_input.empty()) throw std::logic_error("CudaNetwork::gradients: run backward first");
  Gradients<float> result;
  result.input = TensorF(s.input[0].shape());  // zeros when the input gradient was not asked for
  for (const DeviceTensorF* part : s.grad_input) {  // every tower read the whole image: ∂L/∂x is the towers' sum
    if (part == nullptr) continue;
    const TensorF values = part->to_host();
    for (std::int64_t j = 0; j < values.size(); ++j) result.input[j] += values[j];
  }
  result.parameters = s.download(s.grad_weight, s.grad_bias);
  return result;
}

void CudaNetwork::sgd_step(double learning_rate, SgdParams params) {
  State& s = *state_;
  if (s.grad_input.empty()) throw std::logic_error("CudaNetwork::sgd_step: run backward first");
  for (int t = 0; t < s.towers; ++t) {  // each tower updates its own share, on its own stream
    const auto tower = static_cast<std::size_t>(t);
    for (std::size_t k = 0; k < s.plan.parameter_rows.size(); ++k) {
      if (s.weight[tower][k].size() == 0) continue;
      cuda::sgd_update(s.context(t), s.grad_weight[tower][k], learning_rate, params, s.weight[tower][k],
                       s.velocity_weight[tower][k]);
      cuda::sgd_update(s.context(t), s.grad_bias[tower][k], learning_rate, params, s.bias[tower][k],
                       s.velocity_bias[tower][k]);
    }
    s.record(t);
  }
  s.synchronize_all();
}

Parameters<float> CudaNetwork::parameters() const {
  Parameters<float> parameters = state_->download(state_->weight, state_->bias);
  state_->download_running_statistics(parameters);  // buffers, but a checkpoint needs them
  return parameters;
}

Parameters<float> CudaNetwork::velocity() const {
  Parameters<float> velocity = state_->download(state_->velocity_weight, state_->velocity_bias);
  // Running statistics have no velocity: the fresh ones of allocate_parameters (mean 0, variance 1) keep the
  // layout of every Parameters of the plan, as the CPU backends' velocity has it.
  for (std::size_t k = 0; k < velocity.size(); ++k) {
    if (state_->running_mean[0][k].size() == 0) continue;  // not a batch normalization
    velocity[k].running_mean = TensorF({velocity[k].weight.dim(0)}, 0.0f);
    velocity[k].running_var = TensorF({velocity[k].weight.dim(0)}, 1.0f);
  }
  return velocity;
}

void CudaNetwork::set_velocity(const Parameters<float>& velocity) {
  state_->upload(velocity, state_->velocity_weight, state_->velocity_bias);
}

TensorF CudaNetwork::step_output(std::size_t i) const {
  const State& s = *state_;
  if (s.placement[i].output == Layout::Whole || s.towers == 1) {
    for (int t = 0; t < s.towers; ++t) {
      if (s.runs(i, t)) return s.output[i][static_cast<std::size_t>(t)].to_host();
    }
  }
  std::vector<TensorF> parts;
  for (int t = 0; t < s.towers; ++t) parts.push_back(s.output[i][static_cast<std::size_t>(t)].to_host());
  return cpu::concat_channels(parts);
}

void CudaNetwork::set_running_statistics(const Parameters<float>& parameters) {
  state_->synchronize_all();  // no step still reads the old ones
  state_->upload_running_statistics(parameters);
}

void CudaNetwork::for_each_gradient(const std::function<void(float* values, std::size_t count)>& visit) {
  State& s = *state_;
  if (s.grad_input.empty()) throw std::logic_error("CudaNetwork::for_each_gradient: run backward first");
  for (int t = 0; t < s.towers; ++t) {
    const auto tower = static_cast<std::size_t>(t);
    for (std::size_t k = 0; k < s.plan.parameter_rows.size(); ++k) {
      for (DeviceTensorF* gradient : {&s.grad_weight[tower][k], &s.grad_bias[tower][k]}) {
        if (gradient->size() > 0) visit(gradient->data(), static_cast<std::size_t>(gradient->size()));
      }
    }
  }
}

void CudaNetwork::set_input_gradient(bool on) { state_->input_gradient = on; }

void CudaNetwork::set_step_timing(bool on) { state_->timing = on; }

void CudaNetwork::set_timeline(bool on) { state_->timeline.on = on; }

const std::vector<CudaNetwork::TimelineSpan>& CudaNetwork::timeline() const { return state_->timeline.spans(); }

const std::vector<double>& CudaNetwork::step_ms() const { return state_->step_ms; }

const std::vector<double>& CudaNetwork::backward_step_ms() const { return state_->backward_step_ms; }

std::int64_t CudaNetwork::forward_bytes_crossed_per_image() const {
  return state_->batch == 0 ? 0 : state_->crossed_bytes / state_->batch;
}

}  // namespace alexnet
