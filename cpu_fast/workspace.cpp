#include "cpu_fast/workspace.hpp"

#include <malloc.h>

#include <stdexcept>

namespace alexnet::fast {
namespace {

std::vector<float>& buffer(int slot) {
  static std::vector<float> buffers[2];
  if (slot < 0 || slot > 1) throw std::out_of_range("fast::workspace: slot " + std::to_string(slot));
  return buffers[slot];
}

}  // namespace

float* workspace(int slot, std::size_t floats) {
  std::vector<float>& b = buffer(slot);
  if (b.size() < floats) b.resize(floats);
  return b.data();
}

void keep_large_blocks_in_heap() {
  mallopt(M_MMAP_THRESHOLD, 1 << 30);
  mallopt(M_TRIM_THRESHOLD, 1 << 30);  // nor is the top of the heap given back after every step
}

std::size_t workspace_bytes() { return (buffer(0).size() + buffer(1).size()) * sizeof(float); }

}  // namespace alexnet::fast
