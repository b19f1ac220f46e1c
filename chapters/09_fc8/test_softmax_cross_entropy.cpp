// Softmax, cross-entropy and top-k accuracy on the CPU: hand-computed cases,
// stability, the fused gradient against central differences, and FC8's parameters.
#include <catch2/catch.hpp>

#include <cmath>

#include "reference_cpu/layer_table.hpp"
#include "reference_cpu/linear.hpp"
#include "reference_cpu/softmax_cross_entropy.hpp"
#include "tests/support/gradient_check.hpp"

using namespace alexnet;
using namespace alexnet::testing;

TEST_CASE("softmax of [1, 2, 3] by hand", "[softmax]") {
  // Subtract the max 3: exp(−2) = 0.135335, exp(−1) = 0.367879, exp(0) = 1, sum 1.503215;
  // divide: 0.090031, 0.244728, 0.665241.
  const TensorD p = cpu::softmax_forward(TensorD({1, 3}, {1, 2, 3}));
  CHECK(p[0] == Approx(0.0900306));
  CHECK(p[1] == Approx(0.2447285));
  CHECK(p[2] == Approx(0.6652410));
}

TEST_CASE("softmax subtracts the max: logits near 1000 do not overflow", "[softmax]") {
  // exp(1000) overflows even a double; exp(1000 − 1002) does not, and the ratios are those of [1, 2, 3].
  const TensorF shifted = cpu::softmax_forward(TensorF({1, 3}, {1000, 1001, 1002}));
  const TensorF plain = cpu::softmax_forward(TensorF({1, 3}, {1, 2, 3}));
  CHECK_TENSORS_CLOSE("softmax of shifted logits", plain, shifted, (Tolerance{1e-7, 1e-6}));
}

TEST_CASE("cross-entropy of a known batch by hand", "[softmax][loss]") {
  // Row 0: logits [1, 2, 3], label 2: −log 0.665241 = 0.407606.
  // Row 1: logits [0, 0, 0], label 1: −log(1/3) = ln 3 = 1.098612.
  // Mean over the batch: (0.407606 + 1.098612) / 2 = 0.753109.
  const TensorD logits({2, 3}, {1, 2, 3, 0, 0, 0});
  const std::vector<std::int64_t> labels{2, 1};
  CHECK(cpu::softmax_cross_entropy_forward(logits, labels) == Approx(0.7531091));
  // (softmax − one-hot) / 2: row 0 = [0.090031, 0.244728, 0.665241 − 1] / 2; row 1 = [1/3, 1/3 − 1, 1/3] / 2.
  const TensorD grad = cpu::softmax_cross_entropy_backward(cpu::softmax_forward(logits), labels);
  const std::vector<double> expected{0.0450153, 0.1223642, -0.1673795, 1.0 / 6, -1.0 / 3, 1.0 / 6};
  for (std::size_t i = 0; i < expected.size(); ++i) CHECK(grad[static_cast<std::int64_t>(i)] == Approx(expected[i]));
}

TEST_CASE("the fused backward (softmax - one_hot) / N matches central differences", "[softmax][loss][gradient]") {
  TensorD logits = random_tensor({4, 7}, 1, -3.0, 3.0);
  const std::vector<std::int64_t> labels{0, 6, 3, 3};
  // The loss is a scalar: its upstream gradient is 1. The backward takes the forward pass's probabilities.
  const TensorD numerical = numerical_gradient(
      [&] { return TensorD({1}, {cpu::softmax_cross_entropy_forward(logits, labels)}); }, logits, TensorD({1}, 1.0));
  CHECK_TENSORS_CLOSE("cross-entropy grad_logits", numerical,
                      cpu::softmax_cross_entropy_backward(cpu::softmax_forward(logits), labels), gradient_tolerance());
}

TEST_CASE("top-1 and top-5 accuracy by hand", "[accuracy]") {
  // Row 0: label 3 holds the largest logit              -> top-1 and top-5 hit.
  // Row 1: label 0 is 3rd largest (0.7 and 0.6 beat 0.5) -> top-5 hit only.
  // Row 2: label 5 is the smallest of 7                 -> neither.
  // Row 3: label 1 ties the largest (0.9 = 0.9)          -> a tie counts for the label: both hit.
  const TensorF logits({4, 7}, {0.1f, 0.5f, 0.2f, 0.9f, 0.3f, 0.0f, 0.4f,
                                0.5f, 0.7f, 0.6f, 0.1f, 0.2f, 0.3f, 0.4f,
                                0.1f, 0.5f, 0.2f, 0.9f, 0.3f, 0.0f, 0.4f,
                                0.9f, 0.9f, 0.2f, 0.1f, 0.3f, 0.0f, 0.4f});
  const std::vector<std::int64_t> labels{3, 0, 5, 1};
  CHECK(cpu::top_k_accuracy(logits, labels, 1) == 0.5);   // rows 0 and 3
  CHECK(cpu::top_k_accuracy(logits, labels, 5) == 0.75);  // rows 0, 1 and 3
}

TEST_CASE("labels are checked: one per row, each in [0, K)", "[softmax][loss]") {
  const TensorF logits({2, 3});
  CHECK_THROWS_WITH(cpu::softmax_cross_entropy_forward(logits, {0, 3}),
                    "softmax_cross_entropy_forward: expected labels in [0, 3), got label 3 in row 1");
  CHECK_THROWS_WITH(cpu::softmax_cross_entropy_backward(cpu::softmax_forward(logits), {-1, 0}),
                    "softmax_cross_entropy_backward: expected labels in [0, 3), got label -1 in row 0");
  CHECK_THROWS_WITH(cpu::softmax_cross_entropy_backward(TensorF({6}), {0}),
                    "softmax_cross_entropy_backward: expected probabilities [N, K] with K > 0, got [6]");
  CHECK_THROWS_WITH(cpu::top_k_accuracy(logits, {0}, 1), "top_k_accuracy: expected 2 labels (one per row), got 1");
  CHECK_THROWS_WITH(cpu::softmax_forward(TensorF({6})), "softmax_forward: expected logits [N, K] with K > 0, got [6]");
}

TEST_CASE("FC8 built from the layer table: 4096 -> 1000, 4,097,000 parameters, one layer", "[linear][fc8]") {
  const LayerSummary fc8 = summarize_layer(alexnet_two_tower(), "fc8");
  CHECK(fc8.input == Shape{4096});
  CHECK(fc8.output == Shape{1000});
  CHECK_FALSE(fc8.spec.split_in_towers);  // one 1000-way layer fed by both towers
  CHECK_FALSE(fc8.spec.relu);             // its outputs go to the softmax
  const LayerParameters layer = initial_parameters(fc8.spec, fc8.input, 7, 8);
  CHECK(layer.weight.shape() == Shape{1000, 4096});
  CHECK(layer.weight.size() + layer.bias.size() == 4097000);
  CHECK(layer.bias.values() == std::vector<float>(1000, 0.0f));  // the output layer: biases 0
}

TEST_CASE("at the paper's initialisation the loss is about ln 1000", "[softmax][loss][fc8]") {
  // W ~ N(0, 0.01²) makes every logit small (x ~ U[0, 1): standard deviation
  // 0.01·√(4096/3) ≈ 0.37), so softmax is nearly uniform over 1000 classes and the
  // loss starts near ln 1000 = 6.9078 (a sanity check for training). It differs by
  // about σ²/2 − (the label's logit) ≈ 0.07 ± 0.2 for 4 images; allow 0.5.
  const LayerSummary fc8 = summarize_layer(alexnet_two_tower(), "fc8");
  const LayerParameters layer = initial_parameters(fc8.spec, fc8.input, 7, 8);
  const TensorF x = random_tensor_float({4, 4096}, 9, 0.0, 1.0);
  const double loss = cpu::softmax_cross_entropy_forward(cpu::linear_forward(x, layer.weight, layer.bias),
                                                         std::vector<std::int64_t>{0, 10, 500, 999});
  CHECK(loss == Approx(std::log(1000.0)).margin(0.5));
}
