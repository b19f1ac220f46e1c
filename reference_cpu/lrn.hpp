/// @file lrn.hpp
/// @brief Local response normalization across channels (paper §3.3): the CPU reference.
///
/// \f[ b_c = \frac{a_c}{d_c^{\beta}}, \qquad d_c = k + \alpha \sum_{c' \in window(c)} a_{c'}^2 \f]
/// at every (n, h, w), where window(c) = channels max(lo, c − size/2) .. min(hi, c + size/2)
/// and lo .. hi is the tower holding c: with towers = 2 and C = 96, channels 0..47 and
/// 48..95 are normalized separately, as on the paper's two GPUs. alpha is the paper's,
/// NOT divided by size as in Caffe, PyTorch and cuDNN (their alpha = size · ours).
#pragma once

#include <string>

#include "reference_cpu/tensor.hpp"

namespace alexnet {

/// @brief The paper's k (§3.3: "k = 2, n = 5, α = 10⁻⁴, and β = 0.75", chosen on a validation set).
inline constexpr double kPaperLrnK = 2.0;
/// @brief The paper's α (§3.3), the coefficient of the plain sum of squares.
inline constexpr double kPaperLrnAlpha = 1e-4;
/// @brief The paper's β (§3.3).
inline constexpr double kPaperLrnBeta = 0.75;

/// @brief Parameters of local response normalization; the defaults are the paper's.
struct LrnParams {
  int size = 5;                   ///< n: channels in a window, odd (paper: 5; the layer table's lrn rows hold it)
  double k = kPaperLrnK;          ///< additive constant k
  double alpha = kPaperLrnAlpha;  ///< α, multiplies the sum of squares (not divided by size)
  double beta = kPaperLrnBeta;    ///< exponent β
  int towers = 1;                 ///< channel groups the window never crosses (2 in the two-GPU network)
};

/// @brief Throws std::invalid_argument "<op>: ..." unless x is [N, C, H, W], size is odd and positive,
/// and C divides into `towers` towers.
void require_lrn_input(const std::string& op, const Shape& x, LrnParams params);

}  // namespace alexnet

namespace alexnet::cpu {

/// @brief b = a / (k + α·Σ_window a²)^β across channels, windows clipped at the tower's edges; x: [N, C, H, W].
template <typename T>
Tensor<T> lrn_forward(const Tensor<T>& x, LrnParams params);

/// @brief ∂L/∂a_j = g_j / d_j^β − 2αβ·a_j·Σ_{c: j ∈ window(c)} g_c·a_c / d_c^(β+1) (derived in chapter 02).
template <typename T>
Tensor<T> lrn_backward(const Tensor<T>& x, const Tensor<T>& grad_y, LrnParams params);

}  // namespace alexnet::cpu
