#include "cpu_fast/threads.hpp"

#include <cblas.h>
#include <omp.h>
#include <sched.h>

#include <algorithm>
#include <chrono>
#include <cstdint>
#include <cstdlib>
#include <stdexcept>
#include <vector>

namespace alexnet::fast {
namespace {

int& thread_setting() {
  static int setting = [] {
    const int cores = available_cores();
    omp_set_num_threads(cores);
    openblas_set_num_threads(cores);
    return cores;
  }();
  return setting;
}

}  // namespace

int available_cores() {
  cpu_set_t set;
  if (sched_getaffinity(0, sizeof set, &set) != 0) return 1;
  const int count = CPU_COUNT(&set);
  return count > 0 ? count : 1;
}

void set_threads(int count) {
  if (count < 1) throw std::invalid_argument("--threads: expected at least 1, got " + std::to_string(count));
  thread_setting() = count;
  omp_set_num_threads(count);
  openblas_set_num_threads(count);
}

int threads() { return thread_setting(); }

std::string blas_description() {
  std::string text = std::string("OpenBLAS ") + openblas_get_corename();
  if (const char* forced = std::getenv("OPENBLAS_CORETYPE")) {
    text += std::string(" (OPENBLAS_CORETYPE=") + forced + " set in the environment)";
  }
  return text;
}

namespace {

// The median of three timed calls of `run`, in ms, after an untimed one (a warm-up: first touches, caches).
template <typename Run>
double median_of_three_ms(Run run) {
  run();
  double ms[3];
  for (double& time : ms) {
    const auto start = std::chrono::steady_clock::now();
    run();
    time = std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - start).count();
  }
  std::sort(ms, ms + 3);
  return ms[1];
}

}  // namespace

double sgemm_gflops(int n) {
  const std::size_t count = static_cast<std::size_t>(n) * n;
  std::vector<float> a(count, 0.5f), b(count, 0.25f), c(count);
  const double ms = median_of_three_ms([&] {
    cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, n, n, n, 1.0f, a.data(), n, b.data(), n, 0.0f, c.data(), n);
  });
  return 2.0 * n * static_cast<double>(count) / (ms * 1e6);
}

double stream_gbps(int threads) {
  const std::int64_t count = std::int64_t{1} << 25;  // 128 MiB of floats: far beyond any cache
  std::vector<float> x(static_cast<std::size_t>(count), 1.0f), y(static_cast<std::size_t>(count));
  float* const out = y.data();
  const float* const in = x.data();
  const double ms = median_of_three_ms([&] {
#pragma omp parallel for schedule(static) num_threads(threads)
    for (std::int64_t i = 0; i < count; ++i) out[i] = 2.0f * in[i];
  });
  return 2.0 * 4.0 * static_cast<double>(count) / (ms * 1e6);
}

}  // namespace alexnet::fast
