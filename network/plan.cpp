#include "network/plan.hpp"

#include <stdexcept>

#include "reference_cpu/npy.hpp"
#include "reference_cpu/random.hpp"

namespace alexnet {
namespace {

// "conv1" → "1", "fc6" → "6": the number the ReLU and dropout after a layer carry.
std::string layer_number(const std::string& name) {
  const std::size_t digits = name.find_first_of("0123456789");
  return digits == std::string::npos ? name : name.substr(digits);
}

constexpr double kPaperDropout = 0.5;  // "setting to zero the output of each hidden neuron with probability 0.5"
constexpr std::uint64_t kStreamsPerStep = 256;  // a layer's row index < 256 picks its dropout stream

}  // namespace

Plan make_plan(const NetworkSpec& spec) {
  Plan plan{spec, {}, summarize(spec), {}};
  bool flattened = false;
  for (std::size_t row = 0; row < plan.layers.size(); ++row) {
    const LayerSummary& layer = plan.layers[row];
    const LayerSpec& s = layer.spec;
    const std::string number = layer_number(s.name);
    switch (s.kind) {
      case LayerKind::Convolution:
        plan.steps.push_back({s.name, ConvolutionStep{conv2d_params(s), static_cast<int>(plan.parameter_rows.size())},
                              layer.output});
        plan.parameter_rows.push_back(static_cast<int>(row));
        break;
      case LayerKind::LocalResponseNorm:
        plan.steps.push_back({s.name, LrnStep{lrn_params(s)}, layer.output});
        break;
      case LayerKind::MaxPool:
        plan.steps.push_back({s.name, MaxPoolStep{pool2d_params(s)}, layer.output});
        break;
      case LayerKind::FullyConnected:
        if (!flattened) {
          plan.steps.push_back({"flatten", FlattenStep{}, {element_count(layer.input)}});
          flattened = true;
        }
        plan.steps.push_back({s.name, LinearStep{static_cast<int>(plan.parameter_rows.size())}, layer.output});
        plan.parameter_rows.push_back(static_cast<int>(row));
        break;
    }
    if (s.relu) plan.steps.push_back({"relu" + number, ReluStep{}, layer.output});
    if (s.dropout) plan.steps.push_back({"drop" + number, DropoutStep{kPaperDropout, static_cast<int>(row)}, layer.output});
  }
  return plan;
}

DropoutParams dropout_params(const DropoutStep& step, std::uint64_t seed, std::uint64_t training_step,
                             bool training) {
  return DropoutParams{step.p, seed, training_step * kStreamsPerStep + static_cast<std::uint64_t>(step.stream_index),
                       training};
}

Parameters<float> allocate_parameters(const Plan& plan) {
  Parameters<float> parameters;
  for (const int row : plan.parameter_rows) {
    const LayerSummary& layer = plan.layers[static_cast<std::size_t>(row)];
    parameters.push_back({layer.spec.name, TensorF(weight_shape(layer.spec, layer.input)),
                          TensorF({layer.spec.out_channels})});
  }
  return parameters;
}

Parameters<float> initial_parameters(const Plan& plan, std::uint64_t seed) {
  Parameters<float> parameters;
  for (const int row : plan.parameter_rows) {
    const LayerSummary& layer = plan.layers[static_cast<std::size_t>(row)];
    LayerParameters initial = initial_parameters(layer.spec, layer.input, seed, static_cast<std::uint64_t>(row));
    parameters.push_back({layer.spec.name, std::move(initial.weight), std::move(initial.bias)});
  }
  return parameters;
}

template <typename To, typename From>
Parameters<To> convert_parameters(const Parameters<From>& parameters) {
  auto convert = [](const Tensor<From>& t) {
    return Tensor<To>(t.shape(), std::vector<To>(t.values().begin(), t.values().end()));
  };
  Parameters<To> converted;
  for (const LayerTensors<From>& layer : parameters) {
    converted.push_back({layer.name, convert(layer.weight), convert(layer.bias)});
  }
  return converted;
}

template <typename T>
std::int64_t count_parameters(const Parameters<T>& parameters) {
  std::int64_t total = 0;
  for (const LayerTensors<T>& layer : parameters) total += layer.weight.size() + layer.bias.size();
  return total;
}

void save_parameters(const std::string& dir, const Parameters<float>& parameters) {
  for (const LayerTensors<float>& layer : parameters) {
    save_npy(dir + "/" + layer.name + ".weight.npy", layer.weight);
    save_npy(dir + "/" + layer.name + ".bias.npy", layer.bias);
  }
}

Parameters<float> load_parameters(const std::string& dir, const Plan& plan) {
  Parameters<float> parameters;
  for (const int row : plan.parameter_rows) {
    const LayerSummary& layer = plan.layers[static_cast<std::size_t>(row)];
    auto load = [&](const std::string& what, const Shape& expected) {
      const std::string path = dir + "/" + layer.spec.name + "." + what + ".npy";
      TensorF tensor = load_npy_float(path);
      require_shape(path, layer.spec.name + "." + what, expected, tensor.shape());
      return tensor;
    };
    TensorF weight = load("weight", weight_shape(layer.spec, layer.input));
    TensorF bias = load("bias", {layer.spec.out_channels});
    parameters.push_back({layer.spec.name, std::move(weight), std::move(bias)});
  }
  return parameters;
}

template Parameters<double> convert_parameters<double, float>(const Parameters<float>&);
template Parameters<float> convert_parameters<float, double>(const Parameters<double>&);
template std::int64_t count_parameters<float>(const Parameters<float>&);
template std::int64_t count_parameters<double>(const Parameters<double>&);

}  // namespace alexnet
