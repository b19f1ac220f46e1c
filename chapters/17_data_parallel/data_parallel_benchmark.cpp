// data_parallel_benchmark: one SGD step of a network shared by the P processes of an mpirun, timed at a fixed
// global batch, with what the gradient sums cost: the time the processes wait for them after their backward, and
// the all-reduce alone with the bandwidth it reaches.
//
//   mpirun -np 2 build/benchmarks/data_parallel_benchmark --variant mini --batch 128
//
// Each process trains on its share of the batch on the fast CPU backend (one thread each unless --threads), as
// `alexnet train --data-parallel` does. Process 0 prints.
#include <mpi.h>

#include <CLI/CLI.hpp>
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <string>
#include <vector>

#include "cpu_fast/threads.hpp"
#include "network/summary.hpp"
#include "reference_cpu/format.hpp"
#include "reference_cpu/random.hpp"
#include "reference_cpu/softmax_cross_entropy.hpp"
#include "reference_cpu/timer.hpp"
#include "training/backend.hpp"
#include "training/mpi_workers.hpp"

namespace {

using namespace alexnet;
using Clock = std::chrono::steady_clock;

// A blocking MPI_Allreduce of `floats` values in place, timed `repeats` times after one warm-up call.
Spread allreduce_ms(std::size_t floats, int repeats) {
  std::vector<float> values(floats, 1.0f);
  std::vector<double> ms;
  for (int r = 0; r <= repeats; ++r) {
    MPI_Barrier(MPI_COMM_WORLD);
    const auto start = Clock::now();
    MPI_Allreduce(MPI_IN_PLACE, values.data(), static_cast<int>(floats), MPI_FLOAT, MPI_SUM, MPI_COMM_WORLD);
    if (r > 0) ms.push_back(milliseconds_since(start));
  }
  return spread_of(ms);
}

struct Options {
  std::string variant = "mini";
  std::int64_t batch = 128;
  int steps = 10, threads = 1;
  std::int64_t bucket_mb = 25;
};

void run(const Options& options, MpiWorkers& workers) {
  const Plan plan = make_plan(network_variant(options.variant));
  const int processes = workers.size();
  if (options.batch % processes != 0) {
    throw CollectiveError(format("a batch of %lld images does not split evenly over %d processes",
                                 static_cast<long long>(options.batch), processes));
  }
  fast::set_threads(options.threads);
  const Parameters<float> initial = initial_parameters(plan, 1);
  const std::int64_t parameters = count_parameters(initial);
  auto backend = make_training_backend("cpu", plan, initial, allocate_parameters(plan));
  if (processes > 1) backend->share_gradients(workers);

  // This process's share of one fixed batch: uniform pixels, labels cycling through the classes.
  const Share share = workers.share_of(options.batch);
  Shape shape = plan.spec.input;
  shape.insert(shape.begin(), share.count);
  TensorF images(shape);
  fill_uniform(images, 7, static_cast<std::uint64_t>(share.first), -1.0, 1.0);
  const std::int64_t classes = plan.layers.back().output.at(0);
  std::vector<std::int64_t> labels;
  for (std::int64_t i = 0; i < share.count; ++i) labels.push_back((share.first + i) % classes);

  const auto step = [&](std::uint64_t number) {
    const RunOptions run_options{true, 1, number, static_cast<std::uint64_t>(share.first)};
    TensorF grad = cpu::softmax_cross_entropy_backward(cpu::softmax_forward(backend->forward(images, run_options)),
                                                       labels);
    const auto part = static_cast<float>(static_cast<double>(share.count) / static_cast<double>(options.batch));
    for (std::int64_t i = 0; i < grad.size(); ++i) grad[i] *= part;
    backend->backward(grad, run_options);
    backend->sgd_step(0.001, SgdParams{});
  };
  for (std::uint64_t warm_up = 0; warm_up < 2; ++warm_up) step(warm_up);
  workers.take_waiting();
  std::vector<double> step_ms, wait_ms;
  std::size_t buckets = 0;
  for (int s = 0; s < options.steps; ++s) {
    workers.barrier();
    const auto start = Clock::now();
    step(static_cast<std::uint64_t>(2 + s));
    step_ms.push_back(milliseconds_since(start));
    const MpiWorkers::Waiting waited = workers.take_waiting();
    wait_ms.push_back(1e3 * waited.seconds);
    buckets = waited.buckets;
  }
  const Spread alone = allreduce_ms(static_cast<std::size_t>(parameters), options.steps);
  if (!workers.leads()) return;

  const Spread steps = spread_of(step_ms), waits = spread_of(wait_ms);
  const double megabytes = 4.0 * static_cast<double>(parameters) / 1e6;
  const double ring_megabytes = megabytes * 2.0 * (processes - 1) / processes;
  std::printf("%s, global batch %lld = %d process%s x %lld images, %d thread%s each, fast CPU backend\n",
              plan.spec.name.c_str(), static_cast<long long>(options.batch), processes, processes == 1 ? "" : "es",
              static_cast<long long>(share.count), options.threads, options.threads == 1 ? "" : "s");
  const double images_per_second = 1e3 * static_cast<double>(options.batch) / steps.median;
  std::printf("step (forward, backward, gradient sums, SGD): %.1f ms median of %d (min %.1f, max %.1f): %.0f images/s\n",
              steps.median, options.steps, steps.min, steps.max, images_per_second);
  if (processes == 1) {
    std::printf("gradients: %s parameters, %.2f MB: one process sums nothing\n", with_commas(parameters).c_str(),
                megabytes);
    return;
  }
  std::printf("gradients: %s parameters, %.2f MB per process per step, in %zu MPI_Iallreduce call%s (buckets of "
              "%lld MB)\n", with_commas(parameters).c_str(), megabytes, buckets, buckets == 1 ? "" : "s",
              static_cast<long long>(options.bucket_mb));
  std::printf("waiting for the sums after the backward: %.2f ms median (min %.2f, max %.2f), %.1f%% of the step\n",
              waits.median, waits.min, waits.max, 100.0 * waits.median / steps.median);
  std::printf("the all-reduce alone (MPI_Allreduce, %.2f MB, blocking): %.2f ms median (min %.2f, max %.2f); a ring "
              "moves 2(P-1)/P x %.2f MB = %.2f MB per process: %.2f GB/s\n",
              megabytes, alone.median, alone.min, alone.max, megabytes, ring_megabytes,
              ring_megabytes / alone.median);
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{"one data-parallel SGD step on the fast CPU backend, timed, with the cost of its gradient sums"};
  Options options;
  app.add_option("--variant", options.variant, "which network")
      ->check(CLI::IsMember(variant_names()))
      ->capture_default_str();
  app.add_option("--batch", options.batch, "images per step, over all the processes")
      ->check(CLI::Range(1, 65536))
      ->capture_default_str();
  app.add_option("--steps", options.steps, "timed steps (after two warm-up steps)")
      ->check(CLI::Range(1, 1000))
      ->capture_default_str();
  app.add_option("--threads", options.threads, "threads of each process")
      ->check(CLI::Range(1, 1024))
      ->capture_default_str();
  app.add_option("--bucket-mb", options.bucket_mb, "megabytes of gradients per MPI call (0: one call per layer)")
      ->check(CLI::Range(std::int64_t{0}, std::int64_t{100000}))
      ->capture_default_str();
  CLI11_PARSE(app, argc, argv);
  try {
    MpiWorkers workers(static_cast<std::size_t>(options.bucket_mb) * 1000000);
    try {
      run(options, workers);
    } catch (const std::exception& error) {
      if (workers.leads()) std::fprintf(stderr, "data_parallel_benchmark: %s\n", error.what());
      workers.abort(1);
    }
  } catch (const std::exception& error) {  // not started by mpirun
    std::fprintf(stderr, "data_parallel_benchmark: %s\n", error.what());
    return 1;
  }
  return 0;
}
