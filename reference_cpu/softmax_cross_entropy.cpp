#include "reference_cpu/softmax_cross_entropy.hpp"

#include <algorithm>
#include <cmath>
#include <stdexcept>

namespace alexnet::cpu {
namespace {

// `name` ("logits", "probabilities") must be [N, K] with K > 0.
template <typename T>
void require_rows(const std::string& op, const char* name, const Tensor<T>& t) {
  if (t.rank() != 2 || t.dim(1) == 0) {
    throw std::invalid_argument(op + ": expected " + name + " [N, K] with K > 0, got " + to_string(t.shape()));
  }
}

// Row n of the logits: its maximum m and log Σ_j exp(z_j − m).
template <typename T>
struct RowStatistics {
  T max;
  T log_sum_exp;
};

template <typename T>
RowStatistics<T> row_statistics(const Tensor<T>& logits, std::int64_t n) {
  const std::int64_t classes = logits.dim(1);
  T max = logits.at(n, 0);
  for (std::int64_t k = 1; k < classes; ++k) max = std::max(max, logits.at(n, k));
  T sum = 0;
  for (std::int64_t k = 0; k < classes; ++k) sum += std::exp(logits.at(n, k) - max);
  return {max, std::log(sum)};
}

}  // namespace

void check_labels(const std::string& op, const std::vector<std::int64_t>& labels, std::int64_t rows,
                  std::int64_t classes) {
  if (static_cast<std::int64_t>(labels.size()) != rows) {
    throw std::invalid_argument(op + ": expected " + std::to_string(rows) + " labels (one per row), got " +
                                std::to_string(labels.size()));
  }
  for (std::size_t n = 0; n < labels.size(); ++n) {
    if (labels[n] < 0 || labels[n] >= classes) {
      throw std::invalid_argument(op + ": expected labels in [0, " + std::to_string(classes) + "), got label " +
                                  std::to_string(labels[n]) + " in row " + std::to_string(n));
    }
  }
}

template <typename T>
Tensor<T> softmax_forward(const Tensor<T>& logits) {
  // logits: [N, K] -> probabilities: [N, K], each row summing to 1
  require_rows("softmax_forward", "logits", logits);
  Tensor<T> probabilities(logits.shape());
  for (std::int64_t n = 0; n < logits.dim(0); ++n) {
    const RowStatistics<T> row = row_statistics(logits, n);
    for (std::int64_t k = 0; k < logits.dim(1); ++k) {
      probabilities.at(n, k) = std::exp(logits.at(n, k) - row.max - row.log_sum_exp);
    }
  }
  return probabilities;
}

template <typename T>
T softmax_cross_entropy_forward(const Tensor<T>& logits, const std::vector<std::int64_t>& labels) {
  require_rows("softmax_cross_entropy_forward", "logits", logits);
  const std::int64_t batch = logits.dim(0);
  check_labels("softmax_cross_entropy_forward", labels, batch, logits.dim(1));
  T total = 0;
  for (std::int64_t n = 0; n < batch; ++n) {
    const RowStatistics<T> row = row_statistics(logits, n);
    total += row.log_sum_exp - (logits.at(n, labels[n]) - row.max);  // −log p[n, label]
  }
  return batch == 0 ? T(0) : total / static_cast<T>(batch);
}

template <typename T>
Tensor<T> softmax_cross_entropy_backward(const Tensor<T>& probabilities, const std::vector<std::int64_t>& labels) {
  require_rows("softmax_cross_entropy_backward", "probabilities", probabilities);
  const std::int64_t batch = probabilities.dim(0);
  check_labels("softmax_cross_entropy_backward", labels, batch, probabilities.dim(1));
  // ∂/∂z_k of −log softmax(z)_y is p_k − [k = y]; the mean divides by N.
  Tensor<T> grad = probabilities;
  for (std::int64_t n = 0; n < batch; ++n) {
    grad.at(n, labels[n]) -= T(1);
    for (std::int64_t k = 0; k < probabilities.dim(1); ++k) grad.at(n, k) /= static_cast<T>(batch);
  }
  return grad;
}

template <typename T>
double top_k_accuracy(const Tensor<T>& logits, const std::vector<std::int64_t>& labels, int k) {
  require_rows("top_k_accuracy", "logits", logits);
  if (k < 1) throw std::invalid_argument("top_k_accuracy: expected k >= 1, got " + std::to_string(k));
  const std::int64_t batch = logits.dim(0);
  check_labels("top_k_accuracy", labels, batch, logits.dim(1));
  std::int64_t hits = 0;
  for (std::int64_t n = 0; n < batch; ++n) {
    const T label_logit = logits.at(n, labels[n]);
    std::int64_t larger = 0;
    for (std::int64_t j = 0; j < logits.dim(1); ++j) larger += logits.at(n, j) > label_logit ? 1 : 0;
    hits += larger < k ? 1 : 0;
  }
  return batch == 0 ? 0.0 : static_cast<double>(hits) / static_cast<double>(batch);
}

template Tensor<float> softmax_forward(const Tensor<float>&);
template Tensor<double> softmax_forward(const Tensor<double>&);
template float softmax_cross_entropy_forward(const Tensor<float>&, const std::vector<std::int64_t>&);
template double softmax_cross_entropy_forward(const Tensor<double>&, const std::vector<std::int64_t>&);
template Tensor<float> softmax_cross_entropy_backward(const Tensor<float>&, const std::vector<std::int64_t>&);
template Tensor<double> softmax_cross_entropy_backward(const Tensor<double>&, const std::vector<std::int64_t>&);
template double top_k_accuracy(const Tensor<float>&, const std::vector<std::int64_t>&, int);
template double top_k_accuracy(const Tensor<double>&, const std::vector<std::int64_t>&, int);

}  // namespace alexnet::cpu
