#include "training/workers.hpp"

namespace alexnet {
namespace {

class Alone final : public Workers {
 public:
  int rank() const override { return 0; }
  int size() const override { return 1; }
  void sum(std::vector<double>&) override {}
  GradientsReady<float> summed_gradients(std::size_t) override { return {}; }
  std::unique_ptr<DeviceSum> device_sum(int) override { return nullptr; }
  int local_rank() const override { return 0; }
  void require_same(std::uint64_t, const std::string&) override {}
  void barrier() override {}
};

}  // namespace

Share Workers::share_of(std::int64_t images) const {
  const std::int64_t first = images * rank() / size(), next = images * (rank() + 1) / size();
  return {first, next - first};
}

Workers& this_process_alone() {
  static Alone alone;
  return alone;
}

std::uint64_t checksum(const void* bytes, std::size_t count, std::uint64_t hash) {
  const auto* byte = static_cast<const unsigned char*>(bytes);
  for (std::size_t i = 0; i < count; ++i) hash = (hash ^ byte[i]) * 1099511628211ull;
  return hash;
}

std::uint64_t weights_checksum(const Parameters<float>& parameters) {
  std::uint64_t hash = checksum(nullptr, 0);
  for (const LayerTensors<float>& layer : parameters) {
    hash = checksum(layer.weight.data(), layer.weight.bytes(), hash);
    hash = checksum(layer.bias.data(), layer.bias.bytes(), hash);
  }
  return hash;
}

}  // namespace alexnet
