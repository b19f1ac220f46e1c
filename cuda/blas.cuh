/// @file blas.cuh
/// @brief cuBLAS for the fast path (chapter 15): a handle per device with its math mode, and the row-major
/// matrix product every fast op is made of.
///
/// cuBLAS is column-major, the course's tensors row-major. A row-major m×n matrix read column-major is its
/// transpose, so the row-major C = op(A)·op(B) is the column-major Cᵀ = op(B)ᵀ·op(A)ᵀ: the same call with A and
/// B, and m and n, swapped (what gemm() does).
#pragma once

#include <cublas_v2.h>

#include <cstdint>

#include "cuda/context.cuh"

namespace alexnet::cuda {

/// @brief The precision of the fast path's matrix products.
enum class Precision {
  Fp32,  ///< IEEE fp32 multiply-adds (the default)
  Tf32,  ///< TF32 tensor cores: inputs rounded to a 10-bit mantissa, sums in fp32 (Ampere and later)
};

/// @brief Throws std::runtime_error "cuBLAS error at file:line in `call`: status" unless it succeeded.
void cublas_check(cublasStatus_t status, const char* call, const char* file, int line);

/// @brief Checks a cuBLAS call: `CUBLAS_CHECK(cublasCreate(&handle));`
#define CUBLAS_CHECK(call) ::alexnet::cuda::cublas_check((call), #call, __FILE__, __LINE__)

/// @brief A row-major matrix operand: its values, whether it is read transposed, its row length in memory.
struct MatrixOperand {
  const float* values;  ///< device memory
  bool transposed;      ///< read as its transpose
  int leading;          ///< floats from one row to the next as stored
};

/// @brief values[0..count) = 1 on context's stream: the vector of ones that sums a matrix's rows as a product
/// (∂b = ∂Y·1), so that the sum is spread over the whole GPU.
void fill_ones(const Context& context, float* values, std::int64_t count);

/// @brief A row-major matrix product on a stream, as a layer asks for it: cuBLAS (Blas) or the best step of
/// chapter 16's SGEMM ladder (cuda::LadderProduct in gemm_ladder.cuh). The fully connected layer
/// (linear_gemm.cuh) is written against this, so either runs it.
class MatrixProduct {
 public:
  virtual ~MatrixProduct() = default;
  /// @brief Row-major C [m×n] = α·A·B + β·C on context's stream, A m×k and B k×n after their transposes;
  /// C's rows are `ldc` floats apart.
  virtual void gemm(const Context& context, int m, int n, int k, float alpha, MatrixOperand a, MatrixOperand b,
                    float beta, float* c, int ldc) const = 0;
};

/// @brief A cuBLAS handle on one device, in one precision.
class Blas final : public MatrixProduct {
 public:
  /// @brief Creates the handle on `device` in `precision`.
  Blas(int device, Precision precision);
  ~Blas();
  Blas(const Blas&) = delete;
  Blas& operator=(const Blas&) = delete;

  /// @brief cublasSgemm with the operands swapped (see the file's comment).
  void gemm(const Context& context, int m, int n, int k, float alpha, MatrixOperand a, MatrixOperand b, float beta,
            float* c, int ldc) const override;

  /// @brief The precision of its products.
  Precision precision() const { return precision_; }

 private:
  int device_;
  Precision precision_;
  cublasHandle_t handle_ = nullptr;
};

}  // namespace alexnet::cuda
