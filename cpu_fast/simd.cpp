#include "cpu_fast/simd.hpp"

namespace alexnet::fast {

const char* simd_width() {
#if defined(__GNUC__) && !defined(__clang__) && defined(__x86_64__) && !defined(ALEXNET_NO_SIMD_CLONES)
  // The resolver's own test: the first level the CPU supports, in the order of the clones.
  if (__builtin_cpu_supports("x86-64-v4")) return "AVX-512 (x86-64-v4)";
  if (__builtin_cpu_supports("x86-64-v3")) return "AVX2 + FMA (x86-64-v3)";
  return "SSE2 (x86-64)";
#else
  return "one build (no function multiversioning)";
#endif
}

}  // namespace alexnet::fast
