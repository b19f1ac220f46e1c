// The emulated runtime: devices, memory (NaN-filled, with guard bytes), copies, streams,
// events and errors. Everything runs at once on the calling thread: a stream is a label,
// an event a host time stamp.
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <map>
#include <mutex>
#include <set>
#include <string>

#include "emulated_gpu/emulator.hpp"

namespace alexnet::emulator {
namespace {

constexpr std::size_t kGuardBytes = 64;         // checked after every kernel and at cudaFree
// All ones: read as a float (or a double) the guard is a NaN, so a load past the end poisons any sum it joins,
// even multiplied by zero — an out-of-range read shows in the result as an out-of-range write shows in the guard.
constexpr unsigned char kGuardByte = 0xFF;
constexpr std::size_t kAlignment = 256;         // cudaMalloc's alignment
constexpr std::size_t kNominalMemory = 16ull << 30;  // what the device reports; host memory is the limit

struct Allocation {
  int device;
  std::size_t bytes;
};

// Devices: ALEXNET_EMULATED_DEVICES (1–8), two by default so the two-tower executor runs as on two GPUs.
int configured_device_count() {
  static const int count = [] {
    const char* text = std::getenv("ALEXNET_EMULATED_DEVICES");
    const int n = text != nullptr ? std::atoi(text) : 2;
    return n >= 1 && n <= 8 ? n : 2;
  }();
  return count;
}

struct State {
  std::mutex mutex;
  std::map<const unsigned char*, Allocation> allocations;  // by first byte
  std::set<std::pair<int, int>> peer_access;               // (device, peer) enabled
  cudaError_t sticky = cudaSuccess;
  std::string sticky_detail;
  std::uint64_t allocations_made = 0;  // cudaMalloc calls that succeeded, ever
};

State& state() {
  static State s;
  return s;
}

thread_local int tls_device = 0;
thread_local cudaError_t tls_last_error = cudaSuccess;
thread_local std::string tls_last_detail;

bool is_fatal(cudaError_t error) { return error == cudaErrorIllegalAddress || error == cudaErrorLaunchFailure; }

cudaError_t success_unless_sticky() { return sticky_error(); }

// The allocation holding [pointer, pointer + bytes), or nullptr. Caller holds the mutex.
const std::pair<const unsigned char* const, Allocation>* find(const void* pointer, std::size_t bytes) {
  auto& allocations = state().allocations;
  const auto* p = static_cast<const unsigned char*>(pointer);
  auto it = allocations.upper_bound(p);
  if (it == allocations.begin()) return nullptr;
  --it;
  if (p + bytes > it->first + it->second.bytes || (bytes == 0 && p > it->first + it->second.bytes)) return nullptr;
  return &*it;
}

bool is_device_pointer(const void* pointer) {
  std::lock_guard<std::mutex> lock(state().mutex);
  return find(pointer, 0) != nullptr;
}

std::string hex(const void* pointer) {
  char text[32];
  std::snprintf(text, sizeof text, "%p", pointer);
  return text;
}

// Device memory at `pointer` must hold `bytes` bytes.
cudaError_t require_device_range(const char* call, const char* role, const void* pointer, std::size_t bytes) {
  std::lock_guard<std::mutex> lock(state().mutex);
  if (find(pointer, bytes) != nullptr) return cudaSuccess;
  if (find(pointer, 0) != nullptr) {
    return record_error(cudaErrorInvalidValue, std::string(call) + ": the " + std::to_string(bytes) +
                                                    "-byte range at " + role + " " + hex(pointer) +
                                                    " runs past the end of its allocation");
  }
  return record_error(cudaErrorInvalidValue,
                      std::string(call) + ": " + role + " " + hex(pointer) + " is not device memory");
}

cudaError_t copy(const char* call, void* destination, const void* source, std::size_t bytes, cudaMemcpyKind kind) {
  if (const cudaError_t sticky = sticky_error()) return sticky;
  if (bytes == 0) return cudaSuccess;
  if (kind == cudaMemcpyDefault) {
    const bool to_device = is_device_pointer(destination), from_device = is_device_pointer(source);
    kind = to_device ? (from_device ? cudaMemcpyDeviceToDevice : cudaMemcpyHostToDevice)
                     : (from_device ? cudaMemcpyDeviceToHost : cudaMemcpyHostToHost);
  }
  const bool to_device = kind == cudaMemcpyHostToDevice || kind == cudaMemcpyDeviceToDevice;
  const bool from_device = kind == cudaMemcpyDeviceToHost || kind == cudaMemcpyDeviceToDevice;
  if (kind < cudaMemcpyHostToHost || kind > cudaMemcpyDeviceToDevice) {
    return record_error(cudaErrorInvalidMemcpyDirection, std::string(call) + ": unknown direction");
  }
  if (to_device) {
    if (const cudaError_t e = require_device_range(call, "destination", destination, bytes)) return e;
  } else if (is_device_pointer(destination)) {
    return record_error(cudaErrorInvalidValue, std::string(call) + ": destination is device memory, but the "
                                                                   "copy's direction says host");
  }
  if (from_device) {
    if (const cudaError_t e = require_device_range(call, "source", source, bytes)) return e;
  } else if (is_device_pointer(source)) {
    return record_error(cudaErrorInvalidValue,
                        std::string(call) + ": source is device memory, but the copy's direction says host");
  }
  std::memmove(destination, source, bytes);
  return cudaSuccess;
}

cudaError_t require_device(int device) {
  if (device < 0 || device >= configured_device_count()) {
    return record_error(cudaErrorInvalidDevice, "device " + std::to_string(device) + " does not exist (" +
                                                    std::to_string(configured_device_count()) +
                                                    " emulated devices; set ALEXNET_EMULATED_DEVICES)");
  }
  return cudaSuccess;
}

}  // namespace

void fill_with_nan(void* memory, std::size_t bytes) {
  static const unsigned char quiet_nan[4] = {0x00, 0x00, 0xC0, 0x7F};  // 0x7FC00000, little-endian
  auto* p = static_cast<unsigned char*>(memory);
  for (std::size_t i = 0; i < bytes; ++i) p[i] = quiet_nan[i % 4];
}

int current_device() { return tls_device; }

cudaError_t record_error(cudaError_t error, const std::string& detail) {
  tls_last_error = error;
  tls_last_detail = detail;
  if (is_fatal(error)) {
    std::lock_guard<std::mutex> lock(state().mutex);
    if (state().sticky == cudaSuccess) {
      state().sticky = error;
      state().sticky_detail = detail;
    }
  }
  std::fprintf(stderr, "emulated GPU: %s: %s\n", cudaGetErrorName(error), detail.c_str());
  return error;
}

cudaError_t sticky_error() {
  std::lock_guard<std::mutex> lock(state().mutex);
  return state().sticky;
}

int device_of(const void* pointer) {
  std::lock_guard<std::mutex> lock(state().mutex);
  const auto* found = find(pointer, 0);
  return found != nullptr ? found->second.device : -1;
}

bool can_touch(int device, int peer) {
  std::lock_guard<std::mutex> lock(state().mutex);
  return device == peer || state().peer_access.count({device, peer}) > 0;
}

void check_guards(int device) {
  std::string damaged;
  {
    std::lock_guard<std::mutex> lock(state().mutex);
    for (auto& [base, allocation] : state().allocations) {
      if (allocation.device != device) continue;
      auto* guard = const_cast<unsigned char*>(base) + allocation.bytes;
      for (std::size_t i = 0; i < kGuardBytes; ++i) {
        if (guard[i] == kGuardByte) continue;
        damaged = "a kernel wrote past the end of the " + std::to_string(allocation.bytes) + "-byte allocation at " +
                  hex(base) + " (byte " + std::to_string(allocation.bytes + i) + ")";
        std::memset(guard, kGuardByte, kGuardBytes);
        break;
      }
      if (!damaged.empty()) break;
    }
  }
  if (!damaged.empty()) record_error(cudaErrorIllegalAddress, damaged);
}

std::uint64_t allocation_count() {
  std::lock_guard<std::mutex> lock(state().mutex);
  return state().allocations_made;
}

}  // namespace alexnet::emulator

using namespace alexnet::emulator;

// ---- devices ---------------------------------------------------------------------------------

cudaError_t cudaGetDeviceCount(int* count) {
  *count = configured_device_count();
  return cudaSuccess;
}

cudaError_t cudaGetDevice(int* device) {
  *device = tls_device;
  return cudaSuccess;
}

cudaError_t cudaSetDevice(int device) {
  if (const cudaError_t e = require_device(device)) return e;
  tls_device = device;
  return success_unless_sticky();
}

cudaError_t cudaGetDeviceProperties(cudaDeviceProp* properties, int device) {
  if (const cudaError_t e = require_device(device)) return e;
  *properties = cudaDeviceProp{};
  std::snprintf(properties->name, sizeof properties->name, "Emulated CUDA device %d of %d (on the CPU)", device,
                configured_device_count());
  properties->major = 9;  // the limits below are sm_90's
  properties->minor = 0;
  properties->multiProcessorCount = 1;
  properties->totalGlobalMem = kNominalMemory;
  properties->sharedMemPerBlock = 48 * 1024;
  properties->sharedMemPerBlockOptin = 48 * 1024;
  properties->maxThreadsPerBlock = 1024;
  properties->maxThreadsDim[0] = 1024;
  properties->maxThreadsDim[1] = 1024;
  properties->maxThreadsDim[2] = 64;
  properties->maxGridSize[0] = 2147483647;
  properties->maxGridSize[1] = 65535;
  properties->maxGridSize[2] = 65535;
  properties->warpSize = 32;
  return cudaSuccess;
}

cudaError_t cudaDriverGetVersion(int* version) {
  *version = 0;  // no driver: nothing here talks to one
  return cudaSuccess;
}

cudaError_t cudaRuntimeGetVersion(int* version) {
  *version = 0;
  return cudaSuccess;
}

cudaError_t cudaDeviceSynchronize() { return success_unless_sticky(); }

// Clears a failed kernel's sticky error so a test can go on; unlike a GPU's reset, the
// allocations stay (their owners free them).
cudaError_t cudaDeviceReset() {
  {
    std::lock_guard<std::mutex> lock(state().mutex);
    state().sticky = cudaSuccess;
    state().sticky_detail.clear();
  }
  tls_last_error = cudaSuccess;
  return cudaSuccess;
}

cudaError_t cudaDeviceCanAccessPeer(int* can_access, int device, int peer_device) {
  if (const cudaError_t e = require_device(device)) return e;
  if (const cudaError_t e = require_device(peer_device)) return e;
  *can_access = device != peer_device ? 1 : 0;
  return cudaSuccess;
}

cudaError_t cudaDeviceEnablePeerAccess(int peer_device, unsigned flags) {
  if (const cudaError_t e = require_device(peer_device)) return e;
  if (flags != 0 || peer_device == tls_device) {
    return record_error(cudaErrorInvalidDevice, "cudaDeviceEnablePeerAccess: peer " + std::to_string(peer_device) +
                                                    " from device " + std::to_string(tls_device));
  }
  std::lock_guard<std::mutex> lock(state().mutex);
  if (!state().peer_access.insert({tls_device, peer_device}).second) {
    tls_last_error = cudaErrorPeerAccessAlreadyEnabled;
    return cudaErrorPeerAccessAlreadyEnabled;
  }
  return cudaSuccess;
}

cudaError_t cudaGetLastError() {
  if (const cudaError_t sticky = sticky_error()) return sticky;
  const cudaError_t error = tls_last_error;
  tls_last_error = cudaSuccess;
  return error;
}

cudaError_t cudaPeekAtLastError() {
  if (const cudaError_t sticky = sticky_error()) return sticky;
  return tls_last_error;
}

const char* cudaGetErrorName(cudaError_t error) {
  switch (error) {
    case cudaSuccess: return "cudaSuccess";
    case cudaErrorInvalidValue: return "cudaErrorInvalidValue";
    case cudaErrorMemoryAllocation: return "cudaErrorMemoryAllocation";
    case cudaErrorInvalidConfiguration: return "cudaErrorInvalidConfiguration";
    case cudaErrorInvalidDevicePointer: return "cudaErrorInvalidDevicePointer";
    case cudaErrorInvalidMemcpyDirection: return "cudaErrorInvalidMemcpyDirection";
    case cudaErrorNoDevice: return "cudaErrorNoDevice";
    case cudaErrorInvalidDevice: return "cudaErrorInvalidDevice";
    case cudaErrorInvalidResourceHandle: return "cudaErrorInvalidResourceHandle";
    case cudaErrorNotReady: return "cudaErrorNotReady";
    case cudaErrorIllegalAddress: return "cudaErrorIllegalAddress";
    case cudaErrorPeerAccessAlreadyEnabled: return "cudaErrorPeerAccessAlreadyEnabled";
    case cudaErrorPeerAccessNotEnabled: return "cudaErrorPeerAccessNotEnabled";
    case cudaErrorLaunchFailure: return "cudaErrorLaunchFailure";
  }
  return "cudaErrorUnknown";
}

// The text of the error, with the emulator's detail when it is this thread's last error.
const char* cudaGetErrorString(cudaError_t error) {
  static thread_local std::string text;
  switch (error) {
    case cudaSuccess: text = "no error"; break;
    case cudaErrorInvalidValue: text = "invalid argument"; break;
    case cudaErrorMemoryAllocation: text = "out of memory"; break;
    case cudaErrorInvalidConfiguration: text = "invalid configuration argument"; break;
    case cudaErrorInvalidDevicePointer: text = "invalid device pointer"; break;
    case cudaErrorInvalidMemcpyDirection: text = "invalid copy direction for memcpy"; break;
    case cudaErrorNoDevice: text = "no CUDA-capable device is detected"; break;
    case cudaErrorInvalidDevice: text = "invalid device ordinal"; break;
    case cudaErrorInvalidResourceHandle: text = "invalid resource handle"; break;
    case cudaErrorNotReady: text = "device not ready"; break;
    case cudaErrorIllegalAddress: text = "an illegal memory access was encountered"; break;
    case cudaErrorPeerAccessAlreadyEnabled: text = "peer access is already enabled"; break;
    case cudaErrorPeerAccessNotEnabled: text = "peer access has not been enabled"; break;
    case cudaErrorLaunchFailure: text = "unspecified launch failure"; break;
    default: text = "unknown error"; break;
  }
  std::string detail;
  {
    std::lock_guard<std::mutex> lock(state().mutex);
    if (error != cudaSuccess && error == state().sticky) detail = state().sticky_detail;
  }
  if (detail.empty() && error != cudaSuccess && error == tls_last_error) detail = tls_last_detail;
  if (!detail.empty()) text += "; emulated GPU: " + detail;
  return text.c_str();
}

// ---- memory ----------------------------------------------------------------------------------

cudaError_t cudaMalloc(void** pointer, std::size_t bytes) {
  *pointer = nullptr;
  if (const cudaError_t sticky = sticky_error()) return sticky;
  const std::size_t rounded = (bytes + kGuardBytes + kAlignment - 1) / kAlignment * kAlignment;
  auto* memory = static_cast<unsigned char*>(std::aligned_alloc(kAlignment, rounded));
  if (memory == nullptr) {
    return record_error(cudaErrorMemoryAllocation, "cudaMalloc of " + std::to_string(bytes) + " bytes");
  }
  fill_with_nan(memory, bytes);  // fresh device memory is not zero: reading it before writing shows
  std::memset(memory + bytes, kGuardByte, kGuardBytes);
  {
    std::lock_guard<std::mutex> lock(state().mutex);
    state().allocations[memory] = Allocation{tls_device, bytes};
    ++state().allocations_made;
  }
  *pointer = memory;
  return cudaSuccess;
}

cudaError_t cudaFree(void* pointer) {
  if (pointer == nullptr) return cudaSuccess;
  int device = -1;
  {
    std::lock_guard<std::mutex> lock(state().mutex);
    const auto it = state().allocations.find(static_cast<const unsigned char*>(pointer));
    if (it == state().allocations.end()) {
      tls_last_error = cudaErrorInvalidDevicePointer;
      return cudaErrorInvalidDevicePointer;
    }
    device = it->second.device;
  }
  check_guards(device);
  {
    std::lock_guard<std::mutex> lock(state().mutex);
    state().allocations.erase(static_cast<const unsigned char*>(pointer));
  }
  std::free(pointer);
  return success_unless_sticky();
}

cudaError_t cudaMemcpy(void* destination, const void* source, std::size_t bytes, cudaMemcpyKind kind) {
  return copy("cudaMemcpy", destination, source, bytes, kind);
}

cudaError_t cudaMemcpyAsync(void* destination, const void* source, std::size_t bytes, cudaMemcpyKind kind,
                            cudaStream_t) {
  return copy("cudaMemcpyAsync", destination, source, bytes, kind);
}

cudaError_t cudaMemcpy2DAsync(void* destination, std::size_t destination_pitch, const void* source,
                              std::size_t source_pitch, std::size_t width, std::size_t height, cudaMemcpyKind kind,
                              cudaStream_t) {
  if (width > destination_pitch || width > source_pitch) {
    return record_error(cudaErrorInvalidValue, "cudaMemcpy2DAsync: a row of " + std::to_string(width) +
                                                   " bytes is wider than a pitch");
  }
  for (std::size_t row = 0; row < height; ++row) {  // each row checked as its own copy
    auto* to = static_cast<unsigned char*>(destination) + row * destination_pitch;
    const auto* from = static_cast<const unsigned char*>(source) + row * source_pitch;
    if (const cudaError_t e = copy("cudaMemcpy2DAsync", to, from, width, kind)) {
      return e;
    }
  }
  return cudaSuccess;
}

cudaError_t cudaMemcpyPeer(void* destination, int destination_device, const void* source, int source_device,
                           std::size_t bytes) {
  return cudaMemcpyPeerAsync(destination, destination_device, source, source_device, bytes, nullptr);
}

cudaError_t cudaMemcpyPeerAsync(void* destination, int destination_device, const void* source, int source_device,
                                std::size_t bytes, cudaStream_t) {
  if (const cudaError_t e = require_device(destination_device)) return e;
  if (const cudaError_t e = require_device(source_device)) return e;
  if (bytes > 0 && (device_of(destination) != destination_device || device_of(source) != source_device)) {
    return record_error(cudaErrorInvalidValue,
                        "cudaMemcpyPeer: destination is on device " + std::to_string(device_of(destination)) +
                            " (said " + std::to_string(destination_device) + "), source on device " +
                            std::to_string(device_of(source)) + " (said " + std::to_string(source_device) + ")");
  }
  return copy("cudaMemcpyPeer", destination, source, bytes, cudaMemcpyDeviceToDevice);
}

cudaError_t cudaMemset(void* pointer, int value, std::size_t bytes) {
  if (const cudaError_t sticky = sticky_error()) return sticky;
  if (bytes == 0) return cudaSuccess;
  if (const cudaError_t e = require_device_range("cudaMemset", "pointer", pointer, bytes)) return e;
  std::memset(pointer, value, bytes);
  return cudaSuccess;
}

cudaError_t cudaMemsetAsync(void* pointer, int value, std::size_t bytes, cudaStream_t) {
  return cudaMemset(pointer, value, bytes);
}

// ---- streams and events ----------------------------------------------------------------------

namespace alexnet::emulator {
struct EmulatedEvent {
  int device;
  std::chrono::steady_clock::time_point time;
  bool recorded = false;
};
}  // namespace alexnet::emulator

cudaError_t cudaStreamCreate(cudaStream_t* stream) {
  *stream = new EmulatedStream{tls_device};
  return success_unless_sticky();
}

cudaError_t cudaStreamCreateWithFlags(cudaStream_t* stream, unsigned) { return cudaStreamCreate(stream); }

cudaError_t cudaStreamDestroy(cudaStream_t stream) {
  delete stream;
  return cudaSuccess;
}

cudaError_t cudaStreamSynchronize(cudaStream_t) { return success_unless_sticky(); }

cudaError_t cudaStreamWaitEvent(cudaStream_t stream, cudaEvent_t event, unsigned) {
  if (event == nullptr) return record_error(cudaErrorInvalidResourceHandle, "cudaStreamWaitEvent: null event");
  (void)stream;  // work is done when it is issued: nothing to wait for
  return success_unless_sticky();
}

cudaError_t cudaEventCreate(cudaEvent_t* event) {
  *event = new EmulatedEvent{tls_device, {}, false};
  return success_unless_sticky();
}

cudaError_t cudaEventCreateWithFlags(cudaEvent_t* event, unsigned) { return cudaEventCreate(event); }

cudaError_t cudaEventDestroy(cudaEvent_t event) {
  delete event;
  return cudaSuccess;
}

cudaError_t cudaEventRecord(cudaEvent_t event, cudaStream_t stream) {
  if (stream != nullptr && stream->device != event->device) {
    return record_error(cudaErrorInvalidResourceHandle, "cudaEventRecord: the event belongs to device " +
                                                            std::to_string(event->device) + ", the stream to device " +
                                                            std::to_string(stream->device));
  }
  event->time = std::chrono::steady_clock::now();
  event->recorded = true;
  return success_unless_sticky();
}

cudaError_t cudaEventSynchronize(cudaEvent_t) { return success_unless_sticky(); }

cudaError_t cudaEventElapsedTime(float* milliseconds, cudaEvent_t start, cudaEvent_t end) {
  if (!start->recorded || !end->recorded) {
    return record_error(cudaErrorInvalidResourceHandle, "cudaEventElapsedTime: an event was never recorded");
  }
  *milliseconds = std::chrono::duration<float, std::milli>(end->time - start->time).count();
  return success_unless_sticky();
}
