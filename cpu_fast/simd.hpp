/// @file simd.hpp
/// @brief One binary, every vector width: the fast backend's loops compiled for AVX-512, AVX2 + FMA and plain
/// x86-64, the widest the CPU has chosen when the program starts.
///
/// `ALEXNET_SIMD_CLONES` before a function asks GCC for three clones of it (function multiversioning:
/// `target_clones`, the microarchitecture levels x86-64-v4, -v3 and the baseline) and a resolver that the
/// dynamic loader runs once to pick one. OpenMP regions inside the function are compiled with its clone's
/// target too. Elsewhere (another compiler or CPU) the macro is empty and the function is compiled once.
#pragma once

/// @def ALEXNET_SIMD_CLONES
/// @brief Before a function: GCC's three clones of it and their resolver (empty where multiversioning is not used).
/// @def ALEXNET_HAS_SIMD_CLONES
/// @brief 1 where GCC's function multiversioning is used (`target_clones` here, versions by `target` in
/// cpu_fast/dropout.cpp), else 0.
#if defined(__GNUC__) && !defined(__clang__) && defined(__x86_64__) && !defined(ALEXNET_NO_SIMD_CLONES)
#define ALEXNET_HAS_SIMD_CLONES 1
#define ALEXNET_SIMD_CLONES __attribute__((target_clones("arch=x86-64-v4", "arch=x86-64-v3", "default")))
#else
#define ALEXNET_HAS_SIMD_CLONES 0
#define ALEXNET_SIMD_CLONES
#endif

namespace alexnet::fast {

/// @brief The clone ALEXNET_SIMD_CLONES functions run on this CPU: "AVX-512 (x86-64-v4)", "AVX2 + FMA
/// (x86-64-v3)", "SSE2 (x86-64)", or "one build (no function multiversioning)".
const char* simd_width();

}  // namespace alexnet::fast
