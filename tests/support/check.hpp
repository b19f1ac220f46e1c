/// @file check.hpp
/// @brief Catch2 helpers shared by the tests: tensor comparison with a report.
#pragma once

#include <catch2/catch.hpp>

#include "reference_cpu/compare.hpp"

/// @brief Compares two tensors; on failure Catch2 prints max abs/rel error and the first mismatches.
#define CHECK_TENSORS_CLOSE(what, expected, actual, tolerance)                    \
  do {                                                                            \
    const ::alexnet::Comparison comparison_ =                                     \
        ::alexnet::compare((expected), (actual), (tolerance));                    \
    INFO(comparison_.report(what));                                               \
    CHECK(comparison_.ok());                                                      \
  } while (false)
