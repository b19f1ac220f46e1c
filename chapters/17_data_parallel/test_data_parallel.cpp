// Chapter 17's pieces that need no second process: the shares of a batch, a share's dropout masks, and the hook
// the backward calls with each layer's gradients. (Two processes against one: same_weights_as_one_process.sh.)
#include <catch2/catch.hpp>

#include <vector>

#include "cpu_fast/dropout.hpp"
#include "network/cpu_network.hpp"
#include "network/fast_network.hpp"
#include "network/summary.hpp"
#include "reference_cpu/dropout.hpp"
#include "tests/support/gradient_check.hpp"
#include "training/workers.hpp"

using namespace alexnet;
using namespace alexnet::testing;

namespace {

// Workers that only say which rank of how many this is (share_of needs no more).
class Pretend final : public Workers {
 public:
  Pretend(int rank, int size) : rank_(rank), size_(size) {}
  int rank() const override { return rank_; }
  int size() const override { return size_; }
  void sum(std::vector<double>&) override {}
  GradientsReady<float> summed_gradients(std::size_t) override { return {}; }
  std::unique_ptr<DeviceSum> device_sum(int) override { return nullptr; }
  int local_rank() const override { return rank_; }
  void require_same(std::uint64_t, const std::string&) override {}
  void barrier() override {}

 private:
  int rank_, size_;
};

// Images [first, first + count) of x [N, ...].
TensorF images(const TensorF& x, std::int64_t first, std::int64_t count) {
  Shape shape = x.shape();
  shape[0] = count;
  const std::int64_t per_image = x.size() / x.dim(0);
  return TensorF(shape, std::vector<float>(x.values().begin() + first * per_image,
                                           x.values().begin() + (first + count) * per_image));
}

}  // namespace

TEST_CASE("the shares of a batch cover it once, in order, as evenly as they can", "[data-parallel]") {
  for (const std::int64_t batch : {1, 7, 32, 33, 128}) {
    for (const int size : {1, 2, 3, 4, 8}) {
      std::int64_t next = 0;
      for (int rank = 0; rank < size; ++rank) {
        const Share share = Pretend(rank, size).share_of(batch);
        CHECK(share.first == next);
        CHECK(share.count >= batch / size);
        CHECK(share.count <= batch / size + 1);
        next += share.count;
      }
      CHECK(next == batch);
    }
  }
  CHECK(this_process_alone().share_of(128).count == 128);
}

TEST_CASE("a share's dropout masks are the whole batch's masks of its images", "[data-parallel][dropout]") {
  const TensorF whole = random_tensor_float({8, 300}, 1);
  const DropoutParams params{0.5, 42, 7, true};
  const TensorF expected = cpu::dropout_forward(whole, params);
  for (const std::int64_t first : {0, 3, 4}) {
    DropoutParams shared = params;
    shared.first_unit = static_cast<std::uint64_t>(first) * 300;
    const TensorF part = images(whole, first, 4);
    CHECK(cpu::dropout_forward(part, shared).values() == images(expected, first, 4).values());
    CHECK(fast::dropout_forward(part, shared).values() == images(expected, first, 4).values());
  }
}

TEST_CASE("the network's dropout draws a share's masks from RunOptions::first_image", "[data-parallel][dropout]") {
  const Plan plan = make_plan(network_variant("tiny"));
  const Parameters<float> parameters = initial_parameters(plan, 3);
  Shape shape = plan.spec.input;
  shape.insert(shape.begin(), 4);
  const TensorF x = random_tensor_float(shape, 2);
  const RunOptions whole{true, 5, 9, 0}, second_half{true, 5, 9, 2};
  const TensorF expected = fast_forward(plan, parameters, x, whole).logits();
  const TensorF half = fast_forward(plan, parameters, images(x, 2, 2), second_half).logits();
  CHECK(half.values() == images(expected, 2, 2).values());
  const RunOptions wrong{true, 5, 9, 0};  // the second half drawing the first half's masks
  CHECK(fast_forward(plan, parameters, images(x, 2, 2), wrong).logits().values() != half.values());
}

TEST_CASE("the backward hands every learned layer's gradients to the hook once, the last layer first",
          "[data-parallel][network]") {
  const Plan plan = make_plan(network_variant("tiny"));
  const Parameters<float> parameters = initial_parameters(plan, 3);
  Shape shape = plan.spec.input;
  shape.insert(shape.begin(), 2);
  const RunOptions options{true, 5, 1, 0};
  const Activations<float> forward = fast_forward(plan, parameters, random_tensor_float(shape, 2), options);
  const TensorF grad_logits = random_tensor_float(forward.logits().shape(), 4);
  const Gradients<float> plain = fast_backward(plan, parameters, forward, grad_logits, options);

  std::vector<std::string> order;
  const Gradients<float> hooked =
      fast_backward(plan, parameters, forward, grad_logits, options, [&](LayerTensors<float>& layer) {
        order.push_back(layer.name);
        for (std::int64_t i = 0; i < layer.bias.size(); ++i) layer.bias[i] *= 2;  // changes stay
      });
  std::vector<std::string> expected;
  for (auto layer = parameters.rbegin(); layer != parameters.rend(); ++layer) expected.push_back(layer->name);
  CHECK(order == expected);
  for (std::size_t k = 0; k < parameters.size(); ++k) {
    CHECK(hooked.parameters[k].weight.values() == plain.parameters[k].weight.values());
    for (std::int64_t i = 0; i < plain.parameters[k].bias.size(); ++i) {
      CHECK(hooked.parameters[k].bias[i] == 2 * plain.parameters[k].bias[i]);
    }
  }
}
