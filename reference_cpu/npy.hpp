/// @file npy.hpp
/// @brief Reading and writing NumPy `.npy` files (float32 and int64, C order).
///
/// The format (numpy.lib.format): the magic string `\x93NUMPY`, a version byte
/// pair, a little-endian header length (2 bytes in version 1, 4 in versions 2
/// and 3), a Python dict literal such as
/// `{'descr': '<f4', 'fortran_order': False, 'shape': (2, 3), }` padded with
/// spaces to a multiple of 64 bytes, then the raw little-endian data.
#pragma once

#include <cstdint>
#include <string>

#include "tensor.hpp"

namespace alexnet {

/// @brief Reads a little-endian float32 ('<f4') C-order `.npy` file; throws naming the file and the fault.
Tensor<float> load_npy_float(const std::string& path);

/// @brief Reads a little-endian int64 ('<i8') C-order `.npy` file (e.g. labels); throws naming the file.
Tensor<std::int64_t> load_npy_int64(const std::string& path);

/// @brief Writes a float32 `.npy` (version 1.0) through a temporary file renamed into place.
void save_npy(const std::string& path, const Tensor<float>& tensor);

/// @brief Writes an int64 `.npy` (version 1.0) through a temporary file renamed into place.
void save_npy(const std::string& path, const Tensor<std::int64_t>& tensor);

}  // namespace alexnet
