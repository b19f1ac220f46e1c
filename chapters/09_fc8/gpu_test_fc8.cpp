// FC8 on the GPU against the CPU at the real shape (batch 4, 4096 -> 1000; 1000 is
// not a multiple of the 64-wide tile), then softmax and cross-entropy, forward and
// fused backward.
#include <catch2/catch.hpp>

#include "tests/support/linear_gpu_checks.hpp"
#include "cuda/softmax_cross_entropy.cuh"
#include "reference_cpu/layer_table.hpp"
#include "reference_cpu/softmax_cross_entropy.hpp"

using namespace alexnet;
using namespace alexnet::testing;

TEST_CASE("cuda linear equals the CPU at FC8's shape: batch 4, 4096 -> 1000", "[gpu][linear][fc8]") {
  const LayerSummary fc8 = summarize_layer(alexnet_two_tower(), "fc8");
  check_linear_against_cpu(4, element_count(fc8.input), fc8.output[0]);
}

TEST_CASE("cuda softmax cross-entropy equals the CPU on [N, 1000] logits", "[gpu][softmax][loss]") {
  for (std::int64_t batch : {4, 128}) {
    // Logits spread over ±8 so that the probabilities span several orders of magnitude.
    const TensorF logits = random_tensor_float({batch, 1000}, 5, -8.0, 8.0);
    std::vector<std::int64_t> labels;
    for (std::int64_t n = 0; n < batch; ++n) labels.push_back((n * 389) % 1000);
    DeviceTensorF logits_d(logits), probabilities_d(logits.shape()), loss_d({1}), grad_d(logits.shape());
    const cuda::Context context{};
    const DeviceTensor<std::int64_t> labels_d = cuda::upload_labels(context, labels, 1000);
    cuda::softmax_cross_entropy_forward(context, logits_d, labels_d, probabilities_d, loss_d);
    cuda::softmax_cross_entropy_backward(context, probabilities_d, labels_d, grad_d);

    // expf/logf on the GPU and std::exp/std::log differ by an ulp or two, and sums
    // of 1000 terms in another order shift log Σ exp by a few ulps of ~10: the
    // probabilities agree to a few 1e-7 relative; allow 1e-5.
    const Tolerance rounding{1e-9, 1e-5};
    CHECK_TENSORS_CLOSE("softmax probabilities", cpu::softmax_forward(logits), probabilities_d.to_host(), rounding);
    CHECK_TENSORS_CLOSE("cross-entropy loss", TensorF({1}, {cpu::softmax_cross_entropy_forward(logits, labels)}),
                        loss_d.to_host(), rounding);
    // Both backwards take the probabilities of their own forward pass.
    CHECK_TENSORS_CLOSE("cross-entropy grad_logits",
                        cpu::softmax_cross_entropy_backward(cpu::softmax_forward(logits), labels), grad_d.to_host(),
                        rounding);

    DeviceTensorF softmax_only_d(logits.shape());
    cuda::softmax_forward(context, logits_d, softmax_only_d);
    CHECK_TENSORS_CLOSE("softmax alone", probabilities_d.to_host(), softmax_only_d.to_host(), (Tolerance{0, 0}));
  }
}

TEST_CASE("cuda upload_labels refuses a label outside [0, K)", "[gpu][loss]") {
  CHECK_THROWS_WITH(cuda::upload_labels(cuda::Context{}, {0, 1000}, 1000),
                    "cuda::upload_labels: expected labels in [0, 1000), got label 1000 in row 1");
}
