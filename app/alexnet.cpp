// alexnet: the whole network from the command line.
//
//   alexnet summary [--variant paper|one-tower|torchvision|tiny]   the layer table and totals
//   alexnet init --seed S --out DIR                                the paper's initialisation as .npy files
//   alexnet forward --weights DIR --input X.npy --output Y.npy     logits of a batch [N, 3, 227, 227]
//         [--device reference|cpu|cuda] [--threads T] [--gpus 0,1] [--dump DIR]
//   alexnet bench [--device reference|cpu|cuda] [--batch B] [--threads T] [--reference] [--roofline PNG]
//                                                                  per-step times, forward and backward
//   alexnet demo [--threads T]                                     one Fashion-MNIST image through the network,
//                                                                  on the CPU (fast and naive) and on a GPU if any
//   alexnet train --variant mini --epochs N --out DIR [--resume]   train with the paper's SGD (training_commands.cpp)
//   alexnet eval --weights DIR [--ten-crop]                        top-1 / top-5 on the test set
//   alexnet plot DIR/log.csv --out curves.png                      loss and accuracy curves (gnuplot)
//
// Every error (a bad flag, a missing or misshapen file) ends with a message naming what was
// expected and what came, and a non-zero exit; files are written under a temporary name and
// renamed, so no half-written output is left behind.
#include <CLI/CLI.hpp>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <iostream>
#include <new>
#include <stdexcept>
#include <numeric>
#include <string>

#include "cpu_fast/conv2d.hpp"
#include "cpu_fast/simd.hpp"
#include "cpu_fast/threads.hpp"
#include "cpu_fast/workspace.hpp"
#include "datasets/fashion_mnist.hpp"
#include "datasets/image.hpp"
#include "flag_checks.hpp"
#include "network/cpu_network.hpp"
#include "network/fast_network.hpp"
#include "network/plan.hpp"
#include "network/step_cost.hpp"
#include "network/summary.hpp"
#include "reference_cpu/format.hpp"
#include "reference_cpu/npy.hpp"
#include "reference_cpu/random.hpp"
#include "reference_cpu/softmax_cross_entropy.hpp"
#include "reference_cpu/timer.hpp"
#include "training/backend.hpp"
#include "training/plot_script.hpp"
#include "training_commands.hpp"

#if ALEXNET_WITH_CUDA
#include "cuda/gpu.cuh"
#include "network/cuda_network.cuh"
#endif

using namespace alexnet;

namespace {

struct Options {
  std::string variant = "paper";
  std::uint64_t seed = 2012;
  std::string out, weights, input, output, dump;
  std::string device = "reference";
  std::vector<int> gpus;
  std::string kernels = "fast", precision = "fp32";  // with cuda: GpuOptions
  std::int64_t batch = 1;
  int threads = 0;            // 0: the cores this process may use
  bool with_reference = false;  // bench: time the naive loops too
  std::string roofline;         // bench --device cpu: the roofline figure's PNG
};

std::vector<std::string> device_names() {
#if ALEXNET_WITH_CUDA
  return {"reference", "cpu", "cuda"};
#else
  return {"reference", "cpu"};
#endif
}

#if ALEXNET_WITH_CUDA
std::string devices_text(const std::vector<int>& gpus) {
  std::string text;
  for (const int gpu : gpus) text += (text.empty() ? "" : ",") + std::to_string(gpu);
  return text;
}
#endif

void add_variant(CLI::App& command, Options& options) {
  command.add_option("--variant", options.variant, "which network")
      ->check(CLI::IsMember(variant_names()))
      ->capture_default_str();
}

void add_threads(CLI::App& command, Options& options) {
  command.add_option("--threads", options.threads, "threads of the fast CPU backend (OpenMP and OpenBLAS); "
                                                   "default: the cores this process may use")
      ->check(integer_in(1, 1024));
}

// The fast backend's setup: --threads (else every core the process may use), and a heap that keeps
// large freed blocks.
void apply_threads(const Options& options) {
  fast::set_threads(options.threads > 0 ? options.threads : fast::available_cores());
  fast::keep_large_blocks_in_heap();
}

void add_device(CLI::App& command, Options& options) {
  command.add_option("--device", options.device,
                     "where the network runs: reference = the naive CPU loops, cpu = the fast CPU backend")
      ->check(CLI::IsMember(device_names()))
      ->capture_default_str();
  add_threads(command, options);
  command.add_option("--gpus", options.gpus, "with --device cuda: the device of each tower, e.g. 0,1")
      ->delimiter(',')
      ->check(integer_in(0, kMaxGpuIndex));
  command.add_option("--kernels", options.kernels,
                     "with --device cuda: fast (im2col + cuBLAS, chapter 15), course (implicit GEMM and the SGEMM "
                     "ladder, chapter 16) or chapters (the kernels of chapters 01-09)")
      ->check(CLI::IsMember({"fast", "course", "chapters"}))
      ->capture_default_str();
  command.add_option("--precision", options.precision, "with --device cuda and fast kernels: fp32 or tf32")
      ->check(CLI::IsMember({"fp32", "tf32"}))
      ->capture_default_str();
}

void summary(const Options& options) { std::cout << layer_table_text(network_variant(options.variant)); }

void init(const Options& options) {
  const Plan plan = make_plan(network_variant(options.variant));
  std::filesystem::create_directories(options.out);
  const Parameters<float> parameters = initial_parameters(plan, options.seed);
  save_parameters(options.out, parameters);
  std::size_t files = 0;  // weight and bias of every layer, and a batch norm's running mean and variance
  for (const LayerTensors<float>& layer : parameters) files += layer.running_mean.size() > 0 ? 4 : 2;
  std::cout << "wrote " << files << " files, " << with_commas(count_parameters(parameters))
            << " parameters (seed " << options.seed << "), to " << options.out << "\n";
}

// Step name, its output shape and milliseconds, one line each.
void print_step_times(const Plan& plan, const std::vector<double>& forward_ms, const std::vector<double>* backward_ms) {
  std::printf("%-8s %-14s %12s%s\n", "step", "output", "forward ms", backward_ms ? "  backward ms" : "");
  for (std::size_t i = 0; i < plan.steps.size(); ++i) {
    std::printf("%-8s %-14s %12.1f", plan.steps[i].name.c_str(), to_string(plan.steps[i].output).c_str(),
                forward_ms[i]);
    if (backward_ms) std::printf("  %11.1f", (*backward_ms)[i]);
    std::printf("\n");
  }
}

void forward(const Options& options) {
  const Plan plan = make_plan(network_variant(options.variant));
  const Parameters<float> parameters = load_parameters(options.weights, plan);
  TensorF x = load_npy_float(options.input);
  try {
    require_network_input(plan, x.shape());
  } catch (const std::invalid_argument& error) {
    throw std::invalid_argument(options.input + ": " + error.what());
  }
  std::vector<TensorF> outputs;  // every step's output, the logits last
  if (options.device == "reference") {
    outputs = reference_forward(plan, parameters, std::move(x), RunOptions{}).outputs;
  } else if (options.device == "cpu") {
    apply_threads(options);
    outputs = fast_forward(plan, parameters, std::move(x), RunOptions{}).outputs;
  } else {
#if ALEXNET_WITH_CUDA
    CudaNetwork network(plan, parameters, tower_devices(plan, options.gpus),
                        gpu_options(options.kernels, options.precision));
    network.forward(x, RunOptions{});
    for (std::size_t i = 0; i < plan.steps.size(); ++i) outputs.push_back(network.step_output(i));
#endif
  }
  if (!options.dump.empty()) {
    std::filesystem::create_directories(options.dump);
    for (std::size_t i = 0; i < plan.steps.size(); ++i) {
      save_npy(options.dump + "/" + plan.steps[i].name + ".npy", outputs[i]);
    }
  }
  save_npy(options.output, outputs.back());
  std::cout << "wrote logits " << to_string(outputs.back().shape()) << " to " << options.output << " ("
            << options.device << ")\n";
}

double total(const std::vector<double>& ms) { return std::accumulate(ms.begin(), ms.end(), 0.0); }

void print_rates(std::int64_t batch, double forward_ms, double backward_ms) {
  const double images = static_cast<double>(batch);
  std::printf("\nforward:            %10.1f ms per batch, %8.2f images/s\n", forward_ms, 1000.0 * images / forward_ms);
  std::printf("forward + backward: %10.1f ms per batch, %8.2f images/s\n", forward_ms + backward_ms,
              1000.0 * images / (forward_ms + backward_ms));
}

void print_training_step(TrainingBackend& backend, const TensorF& x, const RunOptions& training, int repeats);

// The roofs of this machine, measured now: SGEMM's rate and the streaming bandwidth at each thread count.
struct Roofs {
  double sgemm_gflops;
  std::vector<double> stream_gbps;  // [t - 1]: on t threads
  double bandwidth() const { return stream_gbps.back(); }
};

Roofs measure_roofs() {
  Roofs roofs{fast::sgemm_gflops(), {}};
  for (int t = 1; t <= fast::threads(); ++t) roofs.stream_gbps.push_back(fast::stream_gbps(t));
  return roofs;
}

// One pass of one step against the roofs: its intensity, rates and share of what the roofline allows there.
void print_roofline_row(const std::string& step, const char* pass, const StepCost& cost, double ms, const Roofs& roofs,
                        std::vector<RooflinePoint>& points) {
  const double gflops = cost.flops / (ms * 1e6), gbps = cost.bytes / (ms * 1e6);
  const double roof = roof_gflops(cost.intensity(), roofs.sgemm_gflops, roofs.bandwidth());
  std::printf("%-8s %-9s %10.2f %9.2f %8.2f %9.1f %8.1f %6.0f%%  %s\n", step.c_str(), pass, ms, cost.intensity(),
              gflops, gbps, roof, 100.0 * gflops / roof, roof < roofs.sgemm_gflops ? "memory" : "compute");
  points.push_back({step, std::string(pass) == "backward", cost.intensity(), gflops});
}

// Every step on the roofline: FLOPs and least bytes (network/step_cost.hpp) against the measured times; the SGD
// update timed alone on `backend`, whose gradients the training steps before it left.
std::vector<RooflinePoint> print_roofline(const Plan& plan, std::int64_t batch, const std::vector<double>& forward_ms,
                                          const std::vector<double>& backward_ms, TrainingBackend& backend,
                                          const Roofs& roofs) {
  std::printf("\nroofline: SGEMM %.0f GFLOP/s; streaming y = 2x", roofs.sgemm_gflops);
  for (std::size_t t = 0; t < roofs.stream_gbps.size(); ++t) {
    std::printf("%s %zu thread%s %.1f GB/s", t ? "," : "", t + 1, t ? "s" : "", roofs.stream_gbps[t]);
  }
  std::printf("; ridge point %.1f FLOP/byte\n", roofs.sgemm_gflops / roofs.bandwidth());
  std::printf("%-8s %-9s %10s %9s %8s %9s %8s %7s  %s\n", "step", "pass", "ms", "FLOP/byte", "GFLOP/s", "GB/s",
              "roof", "of roof", "bound by");
  std::vector<RooflinePoint> points;
  for (std::size_t i = 0; i < plan.steps.size(); ++i) {
    if (std::holds_alternative<FlattenStep>(plan.steps[i].op)) continue;  // a view
    print_roofline_row(plan.steps[i].name, "forward", forward_cost(plan, i, batch), forward_ms[i], roofs, points);
    print_roofline_row(plan.steps[i].name, "backward", backward_cost(plan, i, batch), backward_ms[i], roofs, points);
  }
  const Spread sgd = time_calls([&] { backend.sgd_step(0.01, SgdParams{}); }, 5, 2);
  print_roofline_row("sgd", "update", sgd_update_cost(plan), sgd.median, roofs, points);
  return points;
}

// im2col and col2im alone at every convolution's shapes (fast::time_lowering), against the streaming roof: the
// bytes they must move are the input once and the col matrices once. The first convolution's col2im has no row:
// training computes no ∂x for the images.
void print_lowering(const Plan& plan, const Shape& input, const Parameters<float>& parameters, const Roofs& roofs) {
  std::printf("\nlowering alone, at each convolution's shapes (bytes: x and the col matrices, each once; median of "
              "5):\n");
  std::printf("%-8s %-9s %10s %9s %9s %7s\n", "step", "pass", "ms", "MB", "GB/s", "of roof");
  const auto row = [&](const std::string& step, const char* pass, double ms, std::int64_t bytes) {
    const double gbps = static_cast<double>(bytes) / (ms * 1e6);
    std::printf("%-8s %-9s %10.2f %9.1f %9.1f %6.0f%%\n", step.c_str(), pass, ms, static_cast<double>(bytes) / 1e6,
                gbps, 100.0 * gbps / roofs.bandwidth());
  };
  for (std::size_t i = 0; i < plan.steps.size(); ++i) {
    const auto* conv = std::get_if<ConvolutionStep>(&plan.steps[i].op);
    if (conv == nullptr) continue;
    Shape x_shape = i == 0 ? input : plan.steps[i - 1].output;
    if (i > 0) x_shape.insert(x_shape.begin(), input.at(0));
    const Shape& weight = parameters[static_cast<std::size_t>(conv->parameters)].weight.shape();
    const fast::LoweringTimes t = fast::time_lowering(x_shape, weight, conv->params);
    row(plan.steps[i].name, "im2col", t.im2col_ms, t.x_bytes + t.col_bytes);
    if (i > 0) row(plan.steps[i].name, "col2im", t.col2im_ms, t.col_bytes + t.x_bytes);
  }
}

// The fast backend, step by step (and the naive loops with --reference), then on the roofline.
void bench_fast_cpu(const Options& options, const Plan& plan, const Parameters<float>& parameters, const TensorF& x,
                    const RunOptions& training) {
  apply_threads(options);
  const Roofs roofs = measure_roofs();
  {  // warm-up: grows the workspace and the heap; freed before the timed run
    const Activations<float> warm_up = fast_forward(plan, parameters, x, training);
    fast_backward(plan, parameters, warm_up, warm_up.logits(), training);
  }
  // Each step's time: the median of kPasses forward and backward passes (one pass's 5 ms step moves by 20%).
  constexpr int kPasses = 5;
  std::vector<std::vector<double>> forward_passes(plan.steps.size()), backward_passes(plan.steps.size());
  for (int pass = 0; pass < kPasses; ++pass) {
    const Activations<float> result = fast_forward(plan, parameters, x, training);
    const Gradients<float> gradients = fast_backward(plan, parameters, result, result.logits(), training);
    for (std::size_t i = 0; i < plan.steps.size(); ++i) {
      forward_passes[i].push_back(result.step_ms[i]);
      backward_passes[i].push_back(gradients.step_ms[i]);
    }
  }
  std::vector<double> forward_ms, backward_ms;
  for (std::size_t i = 0; i < plan.steps.size(); ++i) {
    forward_ms.push_back(spread_of(forward_passes[i]).median);
    backward_ms.push_back(spread_of(backward_passes[i]).median);
  }
  std::vector<double> reference_forward_ms, reference_backward_ms;
  if (options.with_reference) {
    const Activations<float> slow = reference_forward(plan, parameters, x, training);
    reference_forward_ms = slow.step_ms;
    reference_backward_ms = reference_backward(plan, parameters, slow, slow.logits(), training).step_ms;
  }
  std::printf("%s, batch %lld, fast CPU backend, fp32: %d threads, loops in %s, %s; im2col workspace %.1f MB\n\n",
              plan.spec.name.c_str(), static_cast<long long>(options.batch), fast::threads(), fast::simd_width(),
              fast::blas_description().c_str(), static_cast<double>(fast::workspace_bytes()) / 1e6);
  std::printf("each step's median of %d passes:\n", kPasses);
  std::printf("%-8s %-14s %10s %10s%s\n", "step", "output", "fwd ms", "bwd ms",
              options.with_reference ? "  naive fwd ms  naive bwd ms  speed-up" : "");
  for (std::size_t i = 0; i < plan.steps.size(); ++i) {
    std::printf("%-8s %-14s %10.1f %10.1f", plan.steps[i].name.c_str(), to_string(plan.steps[i].output).c_str(),
                forward_ms[i], backward_ms[i]);
    if (options.with_reference) {
      std::printf("  %12.1f  %12.1f  %7.0fx", reference_forward_ms[i], reference_backward_ms[i],
                  (reference_forward_ms[i] + reference_backward_ms[i]) / (forward_ms[i] + backward_ms[i]));
    }
    std::printf("\n");
  }
  print_rates(options.batch, total(forward_ms), total(backward_ms));
  const std::unique_ptr<TrainingBackend> backend =
      make_training_backend("cpu", plan, parameters, allocate_parameters(plan));
  print_training_step(*backend, x, training, 5);
  const std::vector<RooflinePoint> points =
      print_roofline(plan, options.batch, forward_ms, backward_ms, *backend, roofs);
  if (!options.roofline.empty()) {
    const std::string title =
        format("%s network, batch %lld, fast CPU backend, %d threads, fp32 (filled: forward, hollow: backward)",
               options.variant.c_str(), static_cast<long long>(options.batch), fast::threads());
    draw_png(roofline_script(points, roofs.sgemm_gflops, roofs.bandwidth(), title), options.roofline);
  }
  print_lowering(plan, x.shape(), parameters, roofs);
}

// Whole training steps as `alexnet train` takes them on `backend` — forward, the loss and its gradient,
// backward, the SGD update of every weight — after two untimed ones: the median of `repeats`.
void print_training_step(TrainingBackend& backend, const TensorF& x, const RunOptions& training, int repeats) {
  const std::vector<std::int64_t> labels(static_cast<std::size_t>(x.dim(0)), 0);
  const Spread t = time_calls(
      [&] {
        const TensorF logits = backend.forward(x, training);
        backend.backward(cpu::softmax_cross_entropy_backward(cpu::softmax_forward(logits), labels), training);
        backend.sgd_step(0.01, SgdParams{});
      },
      repeats, 2);  // two untimed steps first: allocations, first calls
  std::printf("training step:      %10.2f ms per batch, %8.2f images/s (forward, loss, backward, SGD update; median "
              "of %d, min %.2f, max %.2f)\n",
              t.median, 1000.0 * static_cast<double>(x.dim(0)) / t.median, repeats, t.min, t.max);
}

#if ALEXNET_WITH_CUDA
// One row per step and pass: each tower's span, [start, end] in ms from the tower's start of the pass. Steps
// follow each other on a stream; where the towers' spans overlap, the towers ran at the same time.
void print_timeline(const std::vector<CudaNetwork::TimelineSpan>& spans, int towers) {
  std::printf("\ntimeline of the same forward and backward, not synchronised between steps (CUDA events on each "
              "tower's stream; ms from the tower's start of the pass; a step's span includes its joins):\n");
  std::printf("%-9s %-8s", "pass", "step");
  for (int t = 0; t < towers; ++t) std::printf("  %-19s", ("tower " + std::to_string(t)).c_str());
  std::printf("\n");
  for (std::size_t k = 0; k < spans.size();) {
    const std::string& step = spans[k].step;
    const bool backward = spans[k].backward;
    std::vector<std::string> cells(static_cast<std::size_t>(towers), "-");
    for (; k < spans.size() && spans[k].step == step && spans[k].backward == backward; ++k) {
      char cell[64];
      std::snprintf(cell, sizeof cell, "%8.3f - %8.3f", spans[k].start_ms, spans[k].end_ms);
      cells[static_cast<std::size_t>(spans[k].tower)] = cell;
    }
    std::printf("%-9s %-8s", backward ? "backward" : "forward", step.c_str());
    for (const std::string& cell : cells) std::printf("  %-19s", cell.c_str());
    std::printf("\n");
  }
}
#endif

void bench(const Options& options) {
  if (!options.roofline.empty() && options.device != "cpu") {
    throw std::invalid_argument("--roofline: needs --device cpu (the roofs it measures are the CPU's), got --device " +
                                options.device);
  }
  const Plan plan = make_plan(network_variant(options.variant));
  const Parameters<float> parameters = initial_parameters(plan, options.seed);
  const Shape& image = plan.spec.input;
  TensorF x({options.batch, image[0], image[1], image[2]});
  fill_uniform(x, options.seed, 1, -100.0, 100.0);
  const RunOptions training{true, options.seed, 0};
  if (options.device == "reference") {
    const Activations<float> result = reference_forward(plan, parameters, x, training);
    const Gradients<float> gradients = reference_backward(plan, parameters, result, result.logits(), training);
    std::printf("%s, batch %lld, the naive CPU loops (one thread), fp32\n\n", plan.spec.name.c_str(),
                static_cast<long long>(options.batch));
    print_step_times(plan, result.step_ms, &gradients.step_ms);
    print_rates(options.batch, total(result.step_ms), total(gradients.step_ms));
    return;
  }
  if (options.device == "cpu") {
    bench_fast_cpu(options, plan, parameters, x, training);
    return;
  }
#if ALEXNET_WITH_CUDA
  const std::vector<int> gpus = tower_devices(plan, options.gpus);
  const GpuOptions gpu = gpu_options(options.kernels, options.precision);
  CudaNetwork network(plan, parameters, gpus, gpu);
  network.set_input_gradient(false);  // as in training
  network.backward(network.forward(x, training), training);  // warm-up: allocations, first launches
  network.set_step_timing(true);
  network.backward(network.forward(x, training), training);
  std::printf("%s, batch %lld, towers on devices %s: %s, %s kernels, %s (each step timed with a synchronisation "
              "after it)\n\n",
              plan.spec.name.c_str(), static_cast<long long>(options.batch), devices_text(gpus).c_str(),
              gpu_description().c_str(), to_string(gpu.kernels), to_string(gpu.precision));
  print_step_times(plan, network.step_ms(), &network.backward_step_ms());
  print_rates(options.batch, total(network.step_ms()), total(network.backward_step_ms()));
  network.set_step_timing(false);
  network.set_timeline(true);
  network.backward(network.forward(x, training), training);
  print_timeline(network.timeline(), static_cast<int>(gpus.size()));
  const std::unique_ptr<TrainingBackend> backend =
      make_training_backend("cuda", plan, parameters, allocate_parameters(plan), gpus, gpu);
  print_training_step(*backend, x, training, 10);
#endif
}

double largest_difference(const TensorF& a, const TensorF& b) {
  double largest = 0;
  for (std::int64_t i = 0; i < a.size(); ++i) largest = std::max(largest, static_cast<double>(std::fabs(a[i] - b[i])));
  return largest;
}

// The main job: a real image through the whole (untrained) network, step by step.
void demo(const Options& options) {
  std::cout << layer_table_text(alexnet_two_tower()) << "\n";
  const LabeledImages test = load_fashion_mnist(kFashionMnistDirectory, FashionMnistSplit::Test, 1);
  const std::string label = test.class_names.at(static_cast<std::size_t>(test.labels[0]));
  TensorF x = to_rgb_squares(test.images, 227);  // [1, 3, 227, 227], the grey channel three times, 0..255
  const double mean = std::accumulate(x.values().begin(), x.values().end(), 0.0) / static_cast<double>(x.size());
  for (std::int64_t i = 0; i < x.size(); ++i) x[i] -= static_cast<float>(mean);  // the lesson of chapter 11

  const Plan plan = make_plan(alexnet_two_tower());
  const Parameters<float> parameters = initial_parameters(plan, options.seed);
  std::cout << "Fashion-MNIST test image 0 (label " << test.labels[0] << ", " << label
            << "), 28x28 grey resized to 3x227x227, mean " << static_cast<int>(mean)
            << " subtracted; the paper's initialisation, seed " << options.seed << ", untrained.\n";
  apply_threads(options);
  const Activations<float> naive = reference_forward(plan, parameters, x, RunOptions{});
  const Activations<float> result = fast_forward(plan, parameters, std::move(x), RunOptions{});
  std::printf("Forward on the CPU: the fast backend (im2col + SGEMM, %d threads, %s) and the naive loops (one "
              "thread):\n\n",
              fast::threads(), fast::blas_description().c_str());
  std::printf("%-8s %-14s %10s %10s\n", "step", "output", "fast ms", "naive ms");
  for (std::size_t i = 0; i < plan.steps.size(); ++i) {
    std::printf("%-8s %-14s %10.1f %10.1f\n", plan.steps[i].name.c_str(), to_string(plan.steps[i].output).c_str(),
                result.step_ms[i], naive.step_ms[i]);
  }
  std::printf("%-8s %-14s %10.1f %10.1f\n", "total", "", total(result.step_ms), total(naive.step_ms));

  const TensorF& logits = result.logits();
  double sum = 0, squares = 0;
  for (const float z : logits.values()) {
    sum += z;
    squares += static_cast<double>(z) * z;
  }
  const double n = static_cast<double>(logits.size());
  const double stddev = std::sqrt(squares / n - (sum / n) * (sum / n));
  const double loss = cpu::softmax_cross_entropy_forward(logits, test.labels);
  std::printf("\nlogits: mean %.3f, standard deviation %.3f; loss against the label: %.3f (ln 1000 = %.3f for "
              "uniform guesses); largest |fast - naive| difference of the logits: %.2e\n",
              sum / n, stddev, loss, std::log(1000.0), largest_difference(logits, naive.logits()));
#if ALEXNET_WITH_CUDA
  if (!gpu_available()) {
    std::cout << "\nNo GPU here (" << gpu_unavailable_reason() << "): the CUDA part is skipped.\n";
    return;
  }
  const std::vector<int> gpus = tower_devices(plan, options.gpus);
  CudaNetwork network(plan, parameters, gpus);
  network.set_step_timing(true);
  const TensorF gpu_logits = network.forward(result.input, RunOptions{});
  std::cout << "\nThe same image on " << gpu_description() << ", towers on devices " << devices_text(gpus)
            << ":\n\n";
  print_step_times(plan, network.step_ms(), nullptr);
  std::printf("\ntotal %.0f ms; largest |CPU - GPU| difference of the 1000 logits: %.2e\n", total(network.step_ms()),
              largest_difference(naive.logits(), gpu_logits));
#endif
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{"AlexNet (Krizhevsky, Sutskever & Hinton 2012), the whole network"};
  app.require_subcommand(1);
  Options options;

  CLI::App* summary_command = app.add_subcommand("summary", "print the layer table and its totals");
  add_variant(*summary_command, options);

  CLI::App* init_command = app.add_subcommand("init", "write the paper's initialisation, one .npy file per tensor");
  add_variant(*init_command, options);
  init_command->add_option("--seed", options.seed, "seed of the weights' N(0, 0.01^2) draws")
      ->check(integer_in(0, kMaxSeed))
      ->capture_default_str();
  init_command->add_option("--out", options.out, "folder for conv1.weight.npy ... fc8.bias.npy")->required();

  CLI::App* forward_command = app.add_subcommand("forward", "logits of a batch of images");
  add_variant(*forward_command, options);
  add_device(*forward_command, options);
  forward_command->add_option("--weights", options.weights, "folder written by `alexnet init`")
      ->required()
      ->check(CLI::ExistingDirectory);
  forward_command->add_option("--input", options.input, ".npy file, float32 [N, 3, 227, 227]")
      ->required()
      ->check(CLI::ExistingFile);
  forward_command->add_option("--output", options.output, ".npy file for the logits [N, 1000]")->required();
  forward_command->add_option("--dump", options.dump, "folder for every step's output (conv1.npy, ..., fc8.npy)");

  CLI::App* bench_command = app.add_subcommand("bench", "time every step of the network, forward and backward");
  add_variant(*bench_command, options);
  add_device(*bench_command, options);
  bench_command->add_option("--batch", options.batch, "images per batch")
      ->check(integer_in(1, kMaxBatch))
      ->capture_default_str();
  bench_command->add_flag("--reference", options.with_reference,
                          "with --device cpu: time the naive loops too, step by step (slow)");
  bench_command->add_option("--roofline", options.roofline,
                            "with --device cpu: draw every step on this machine's roofline into this PNG (gnuplot)");

  CLI::App* demo_command = app.add_subcommand("demo", "a Fashion-MNIST image through the whole network");
  demo_command->add_option("--seed", options.seed, "seed of the initial weights")
      ->check(integer_in(0, kMaxSeed))
      ->capture_default_str();
  demo_command->add_option("--gpus", options.gpus, "the device of each tower, e.g. 0,1")
      ->delimiter(',')
      ->check(integer_in(0, kMaxGpuIndex));
  add_threads(*demo_command, options);

  TrainingCommands training(app);  // train, eval, plot

  CLI11_PARSE(app, argc, argv);
  try {
    if (*summary_command) summary(options);
    if (*init_command) init(options);
    if (*forward_command) forward(options);
    if (*bench_command) bench(options);
    if (*demo_command) demo(options);
    training.run();
  } catch (const std::bad_alloc&) {  // a safety net: every reader checks sizes before it allocates
    std::cerr << "alexnet: out of memory: the command asked for more memory than this machine gives it "
                 "(limits: docs/untrusted_input.md)\n";
    return 1;
  } catch (const std::length_error& error) {
    std::cerr << "alexnet: a size too large for this machine (" << error.what() << ")\n";
    return 1;
  } catch (const std::exception& error) {
    std::cerr << "alexnet: " << error.what() << "\n";
    return 1;
  }
  return 0;
}
