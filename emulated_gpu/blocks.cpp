// The emulated launch: the blocks of a grid run one at a time; the threads of a block run
// as fibers on the calling thread, or as OS threads in the ThreadSanitizer build
// (or with ALEXNET_EMULATOR_THREADS=1), so that __syncthreads() and the warp shuffles are
// real barriers. Shared memory is NaN-filled before every block.
#include <sys/mman.h>
#include <ucontext.h>

#include <condition_variable>
#include <cstdio>
#include <cstdlib>
#include <exception>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "emulated_gpu/emulator.hpp"

thread_local uint3 threadIdx{0, 0, 0};
thread_local uint3 blockIdx{0, 0, 0};
thread_local dim3 blockDim{1, 1, 1};
thread_local dim3 gridDim{1, 1, 1};

// The static __shared__ variables of every kernel (see cuda_runtime.h); weak, as a program
// may have none.
extern "C" unsigned char __start_alexnet_shared[] __attribute__((weak));
extern "C" unsigned char __stop_alexnet_shared[] __attribute__((weak));

namespace alexnet::emulator {
namespace {

constexpr std::size_t kSharedLimit = 48 * 1024;  // a block's shared memory without opting in
constexpr std::size_t kFiberStackBytes = 256 * 1024;
constexpr int kWarp = 32;

// ---- switching between fibers --------------------------------------------------------------
// A fiber is a stack and a saved stack pointer. On x86-64 the switch is six pushes, a stack
// swap and six pops (the callee-saved registers of the System V ABI): about 100 times
// cheaper than swapcontext, which also saves the signal mask with a system call. Elsewhere,
// ucontext.

#if defined(__x86_64__)
extern "C" void alexnet_emulator_switch(void** save_stack_pointer, void* load_stack_pointer);
asm(R"(
  .text
  .globl alexnet_emulator_switch
  .type alexnet_emulator_switch, @function
alexnet_emulator_switch:
  pushq %rbp
  pushq %rbx
  pushq %r12
  pushq %r13
  pushq %r14
  pushq %r15
  movq %rsp, (%rdi)
  movq %rsi, %rsp
  popq %r15
  popq %r14
  popq %r13
  popq %r12
  popq %rbx
  popq %rbp
  ret
  .size alexnet_emulator_switch, .-alexnet_emulator_switch
  .section .note.GNU-stack,"",@progbits
  .text
)");

struct ExecutionContext {
  void* stack_pointer = nullptr;
};

// Prepares `context` so that switching to it calls entry() (which never returns) on `stack`.
void prepare(ExecutionContext& context, void* stack, std::size_t bytes, void (*entry)()) {
  const auto top = (reinterpret_cast<std::uintptr_t>(stack) + bytes) & ~std::uintptr_t{15};
  void** frame = reinterpret_cast<void**>(top - 16);  // 16-aligned: entry starts as if called
  frame[1] = nullptr;                                 // entry's own return address: none
  frame[0] = reinterpret_cast<void*>(entry);          // where the switch's `ret` goes
  void** registers = frame - 6;                       // r15, r14, r13, r12, rbx, rbp: zero
  for (int i = 0; i < 6; ++i) registers[i] = nullptr;
  context.stack_pointer = registers;
}

void switch_context(ExecutionContext& from, const ExecutionContext& to) {
  alexnet_emulator_switch(&from.stack_pointer, to.stack_pointer);
}
#else
struct ExecutionContext {
  ucontext_t context{};
};

void prepare(ExecutionContext& context, void* stack, std::size_t bytes, void (*entry)()) {
  getcontext(&context.context);
  context.context.uc_stack.ss_sp = stack;
  context.context.uc_stack.ss_size = bytes;
  context.context.uc_link = nullptr;
  makecontext(&context.context, entry, 0);
}

void switch_context(ExecutionContext& from, const ExecutionContext& to) {
  swapcontext(&from.context, const_cast<ucontext_t*>(&to.context));
}
#endif

bool use_threads() {
#if defined(__SANITIZE_THREAD__)
  return true;  // TSan follows OS threads, not fibers
#else
  static const bool threads = [] {
    const char* text = std::getenv("ALEXNET_EMULATOR_THREADS");
    return text != nullptr && text[0] == '1';
  }();
  return threads;
#endif
}

// Thrown into the threads still waiting at a barrier when the block cannot go on.
struct BlockAborted {};

// A barrier of the block or of one warp: `participants` threads must arrive before any leaves.
struct Barrier {
  int participants = 0;
  int arrived = 0;
  int exited = 0;  // participants that returned from the kernel
  unsigned long generation = 0;
};

struct Fiber {
  ExecutionContext context;
  void* stack = nullptr;  // kFiberStackBytes, with an inaccessible page below to stop an overflow
  int thread = -1;        // linear index of the CUDA thread it runs
  Barrier* waiting_on = nullptr;
  unsigned long waiting_generation = 0;
  bool done = true;
};

// Fibers outlive blocks and launches (launches hold launch_mutex): a stack is mapped once.
std::vector<std::unique_ptr<Fiber>> fiber_pool;

class BlockRun;
thread_local BlockRun* tls_block = nullptr;
thread_local int tls_thread = 0;  // linear index of this CUDA thread in its block

// One block of a launch: its threads, barriers, warp slots and what went wrong.
class BlockRun {
 public:
  BlockRun(dim3 grid, dim3 block, const std::function<void()>& body)
      : block_(block), body_(body), grid_(grid), threads_(static_cast<int>(block.x * block.y * block.z)) {
    slots_.resize(static_cast<std::size_t>((threads_ + kWarp - 1) / kWarp * kWarp));
  }

  // Runs every thread of block `index`; returns "" or what went wrong.
  std::string run(uint3 index) {
    block_index_ = index;
    next_thread_ = 0;
    block_barrier_ = Barrier{};
    warps_.assign(slots_.size() / kWarp, Barrier{});
    aborted_ = false;
    failure_.clear();
    if (use_threads()) {
      run_as_threads();
    } else {
      run_as_fibers();
    }
    return failure_;
  }

  // __syncthreads(): every thread of the block.
  void arrive_at_block_barrier() { arrive(block_barrier_, threads_); }

  // A shuffle's barrier: the lanes of this thread's warp that `mask` names.
  void arrive_at_warp_barrier(unsigned mask) {
    const int warp = tls_thread / kWarp;
    arrive(warps_[static_cast<std::size_t>(warp)], __builtin_popcount(mask & lanes_present(warp)));
  }

  bool lane_present(int warp, int lane) const { return warp * kWarp + lane < threads_; }
  std::uint64_t& slot(int warp, int lane) { return slots_[static_cast<std::size_t>(warp * kWarp + lane)]; }

  void set_indices(int thread) const {
    tls_thread = thread;
    threadIdx = uint3{static_cast<unsigned>(thread) % block_.x, static_cast<unsigned>(thread) / block_.x % block_.y,
                      static_cast<unsigned>(thread) / (block_.x * block_.y)};
    blockIdx = block_index_;
    blockDim = block_;
    gridDim = grid_;
  }

  void fail(const std::string& why) {
    if (failure_.empty()) failure_ = why;
    aborted_ = true;
  }

 private:
  unsigned lanes_present(int warp) const {
    const int lanes = std::min(kWarp, threads_ - warp * kWarp);
    return lanes == kWarp ? 0xFFFFFFFFu : (1u << lanes) - 1;
  }

  // Runs the kernel for the current thread: "" or why it stopped.
  std::string run_thread_body() {
    try {
      body_();
    } catch (const BlockAborted&) {
    } catch (const std::exception& error) {
      return std::string("a kernel thread threw: ") + error.what();
    }
    return "";
  }

  void arrive(Barrier& barrier, int participants) {
    if (use_threads()) {
      arrive_as_thread(barrier, participants);
    } else {
      arrive_as_fiber(barrier, participants);
    }
  }

  std::string divergence_message(int waiting) const {
    return "barrier divergence in block (" + std::to_string(block_index_.x) + ", " + std::to_string(block_index_.y) +
           ", " + std::to_string(block_index_.z) + "): " + std::to_string(waiting) +
           " threads wait at a barrier (__syncthreads or a warp shuffle) that the other threads of the block or "
           "warp never reach";
  }

  // ---- fibers: one OS thread, a fiber runs threads in order until one waits at a barrier ----

  static void fiber_main() {
    BlockRun& run = *tls_block;
    Fiber& fiber = *run.current_;
    while (!run.aborted_ && run.next_thread_ < run.threads_) {
      fiber.thread = run.next_thread_++;
      run.set_indices(fiber.thread);
      if (const std::string failure = run.run_thread_body(); !failure.empty()) run.fail(failure);
      run.thread_exited(fiber.thread);
    }
    fiber.done = true;
    switch_context(fiber.context, run.scheduler_);  // never resumed: a fiber restarts from prepare()
  }

  Fiber& idle_fiber() {
    for (auto& fiber : fiber_pool) {
      if (fiber->done) return *fiber;
    }
    auto fiber = std::make_unique<Fiber>();
    const std::size_t page = 4096;
    void* memory = mmap(nullptr, kFiberStackBytes + page, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (memory == MAP_FAILED) throw std::bad_alloc();
    mprotect(memory, page, PROT_NONE);
    fiber->stack = static_cast<char*>(memory) + page;
    fiber_pool.push_back(std::move(fiber));
    return *fiber_pool.back();
  }

  void switch_to(Fiber& fiber) {
    current_ = &fiber;
    if (fiber.thread >= 0) set_indices(fiber.thread);
    switch_context(scheduler_, fiber.context);
  }

  void run_as_fibers() {
    tls_block = this;
    while (next_thread_ < threads_ && !aborted_) {  // start threads; a fiber stops at its first wait
      Fiber& fiber = idle_fiber();
      prepare(fiber.context, fiber.stack, kFiberStackBytes, &BlockRun::fiber_main);
      fiber.done = false;
      fiber.thread = -1;
      fiber.waiting_on = nullptr;
      switch_to(fiber);
    }
    for (;;) {  // every thread has started: resume those whose barrier has opened
      bool resumed = false;
      int waiting = 0;
      for (auto& fiber : fiber_pool) {
        if (fiber->done || fiber->waiting_on == nullptr) continue;
        if (fiber->waiting_on->generation != fiber->waiting_generation || aborted_) {
          fiber->waiting_on = nullptr;
          switch_to(*fiber);
          resumed = true;
        } else {
          ++waiting;
        }
      }
      if (resumed) continue;
      if (waiting == 0) break;
      fail(divergence_message(waiting));  // nothing can move: the next round throws into the waiting threads
    }
    tls_block = nullptr;
  }

  void arrive_as_fiber(Barrier& barrier, int participants) {
    if (barrier.arrived == 0) barrier.participants = participants;
    if (++barrier.arrived == barrier.participants) {  // the last to arrive opens it and goes on
      barrier.arrived = 0;
      ++barrier.generation;
      return;
    }
    Fiber& fiber = *current_;
    fiber.waiting_on = &barrier;
    fiber.waiting_generation = barrier.generation;
    switch_context(fiber.context, scheduler_);
    if (aborted_) throw BlockAborted{};
  }

  // ---- OS threads (for ThreadSanitizer): one per CUDA thread, barriers on a mutex ----------

  void run_as_threads() {
    std::vector<std::thread> threads;
    threads.reserve(static_cast<std::size_t>(threads_));
    for (int t = 0; t < threads_; ++t) {
      threads.emplace_back([this, t] {
        tls_block = this;
        set_indices(t);
        const std::string failure = run_thread_body();
        std::lock_guard<std::mutex> lock(mutex_);
        if (!failure.empty()) {
          fail(failure);
          opened_.notify_all();
        }
        thread_exited(t);
      });
    }
    for (auto& thread : threads) thread.join();
  }

  void arrive_as_thread(Barrier& barrier, int participants) {
    std::unique_lock<std::mutex> lock(mutex_);
    if (aborted_) throw BlockAborted{};
    if (barrier.arrived == 0) barrier.participants = participants;
    const unsigned long generation = barrier.generation;
    if (++barrier.arrived == barrier.participants) {
      barrier.arrived = 0;
      ++barrier.generation;
      opened_.notify_all();
      return;
    }
    check_stuck(barrier);
    opened_.wait(lock, [&] { return barrier.generation != generation || aborted_; });
    if (barrier.generation == generation) throw BlockAborted{};
  }

  // A barrier whose missing participants have all returned can never open.
  void check_stuck(const Barrier& barrier) {
    if (barrier.arrived > 0 && barrier.arrived + barrier.exited >= barrier.participants) {
      fail(divergence_message(barrier.arrived));
      opened_.notify_all();
    }
  }

  // Counts a returned thread against its barriers (under mutex_ in the threads mode).
  void thread_exited(int thread) {
    ++block_barrier_.exited;
    Barrier& warp = warps_[static_cast<std::size_t>(thread / kWarp)];
    ++warp.exited;
    if (use_threads()) {
      check_stuck(block_barrier_);
      check_stuck(warp);
    }
  }

  dim3 block_;
  const std::function<void()>& body_;
  dim3 grid_;
  int threads_;
  uint3 block_index_{0, 0, 0};
  int next_thread_ = 0;
  Barrier block_barrier_;
  std::vector<Barrier> warps_;
  std::vector<std::uint64_t> slots_;
  bool aborted_ = false;
  std::string failure_;
  // fibers
  Fiber* current_ = nullptr;
  ExecutionContext scheduler_;
  // threads
  std::mutex mutex_;
  std::condition_variable opened_;
};

// Dynamic shared memory of the running launch.
std::vector<unsigned char> dynamic_shared;

void fill_shared_memory(std::size_t dynamic_bytes) {
  if (__start_alexnet_shared != nullptr && __stop_alexnet_shared != nullptr) {
    fill_with_nan(__start_alexnet_shared, static_cast<std::size_t>(__stop_alexnet_shared - __start_alexnet_shared));
  }
  fill_with_nan(dynamic_shared.data(), dynamic_bytes);
}

std::string configuration_error(dim3 grid, dim3 block, std::size_t shared_bytes) {
  const unsigned long long threads = 1ull * block.x * block.y * block.z;
  auto text = [](dim3 d) {
    return "(" + std::to_string(d.x) + ", " + std::to_string(d.y) + ", " + std::to_string(d.z) + ")";
  };
  if (threads == 0 || threads > 1024 || block.x > 1024 || block.y > 1024 || block.z > 64) {
    return "block " + text(block) + ": a block holds 1 to 1024 threads, at most (1024, 1024, 64)";
  }
  if (grid.x == 0 || grid.y == 0 || grid.z == 0 || grid.x > 2147483647u || grid.y > 65535 || grid.z > 65535) {
    return "grid " + text(grid) + ": extents are 1 to (2^31 - 1, 65535, 65535)";
  }
  if (shared_bytes > kSharedLimit) {
    return std::to_string(shared_bytes) + " bytes of dynamic shared memory, more than the " +
           std::to_string(kSharedLimit) + " a block gets without opting in";
  }
  return "";
}

std::mutex launch_mutex;  // one block at a time in the whole process

}  // namespace

void block_barrier() { tls_block->arrive_at_block_barrier(); }

int lane_id() { return tls_thread % kWarp; }

std::uint64_t warp_exchange(unsigned mask, std::uint64_t bits, int source_lane) {
  BlockRun& run = *tls_block;
  const int warp = tls_thread / kWarp, lane = tls_thread % kWarp;
  run.slot(warp, lane) = bits;
  run.arrive_at_warp_barrier(mask);  // every lane has written its value ...
  const bool readable = source_lane >= 0 && source_lane < kWarp && run.lane_present(warp, source_lane) &&
                        (mask >> source_lane & 1u) != 0;
  const std::uint64_t value = readable ? run.slot(warp, source_lane) : bits;
  run.arrive_at_warp_barrier(mask);  // ... and read its partner's before any lane writes again
  return value;
}

void* dynamic_shared_memory() { return dynamic_shared.data(); }

void launch(dim3 grid, dim3 block, std::size_t dynamic_shared_bytes, EmulatedStream* stream,
            const void* const* pointer_arguments, int pointer_count, const std::function<void()>& thread_body) {
  std::lock_guard<std::mutex> lock(launch_mutex);
  if (const cudaError_t sticky = sticky_error()) {
    record_error(sticky, "launch after an earlier kernel failed");
    return;
  }
  const int device = current_device();
  if (stream != nullptr && stream->device != device) {
    record_error(cudaErrorInvalidResourceHandle, "launch on device " + std::to_string(device) +
                                                     " into a stream of device " + std::to_string(stream->device));
    return;
  }
  if (const std::string error = configuration_error(grid, block, dynamic_shared_bytes); !error.empty()) {
    record_error(cudaErrorInvalidConfiguration, error);
    return;
  }
  for (int i = 0; i < pointer_count; ++i) {
    const void* pointer = pointer_arguments[i];
    if (pointer == nullptr) continue;
    const int owner = device_of(pointer);
    if (owner < 0) {
      record_error(cudaErrorIllegalAddress, "kernel argument " + std::to_string(i + 1) +
                                                " points to host memory, not to device memory");
      return;
    }
    if (!can_touch(device, owner)) {
      record_error(cudaErrorIllegalAddress,
                   "kernel argument " + std::to_string(i + 1) + " points to memory of device " + std::to_string(owner) +
                       ", but the kernel runs on device " + std::to_string(device) + " without peer access");
      return;
    }
  }
  dynamic_shared.assign(dynamic_shared_bytes, 0);
  BlockRun run(grid, block, thread_body);
  for (unsigned z = 0; z < grid.z; ++z) {
    for (unsigned y = 0; y < grid.y; ++y) {
      for (unsigned x = 0; x < grid.x; ++x) {
        fill_shared_memory(dynamic_shared_bytes);
        const std::string failure = run.run(uint3{x, y, z});
        if (!failure.empty()) {
          record_error(cudaErrorLaunchFailure, failure);
          return;
        }
      }
    }
  }
  check_guards(device);
}

}  // namespace alexnet::emulator
