/// @file format.hpp
/// @brief Number formatting for the programs' tables.
#pragma once

#include <cstdint>
#include <string>

namespace alexnet {

/// @brief 60965224 -> "60,965,224".
inline std::string with_commas(std::int64_t n) {
  const std::string digits = std::to_string(n < 0 ? -n : n);
  std::string text = n < 0 ? "-" : "";
  for (std::size_t i = 0; i < digits.size(); ++i) {
    if (i > 0 && (digits.size() - i) % 3 == 0) text += ',';
    text += digits[i];
  }
  return text;
}

}  // namespace alexnet
