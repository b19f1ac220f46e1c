/// @file format.hpp
/// @brief Number formatting for the programs' tables.
#pragma once

#include <cstdint>
#include <cstdio>
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

/// @brief printf-style formatting into a std::string: format("%.2f ms", 1.5) -> "1.50 ms".
template <typename... Args>
std::string format(const char* pattern, Args... args) {
  const int length = std::snprintf(nullptr, 0, pattern, args...);
  std::string text(static_cast<std::size_t>(length > 0 ? length : 0), '\0');
  std::snprintf(text.data(), text.size() + 1, pattern, args...);
  return text;
}

}  // namespace alexnet
