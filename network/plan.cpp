#include "network/plan.hpp"

#include <algorithm>
#include <stdexcept>
#include <utility>

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

// A block starts at a convolution or a fully connected layer; LRN, pooling and the normalizations that
// follow it belong to its block.
bool learns(const LayerSpec& layer) {
  return std::holds_alternative<ConvolutionSpec>(layer.op) || std::holds_alternative<FullyConnectedSpec>(layer.op);
}

// The row's op of kind `Kind`; throws "<adapter>: expected <kind>, got pool1 (maxpool)" for another kind.
template <class Kind>
const Kind& op_of(const LayerSpec& layer, const std::string& adapter, const std::string& kind) {
  if (const Kind* op = std::get_if<Kind>(&layer.op)) return *op;
  throw std::invalid_argument(adapter + ": expected " + kind + ", got " + layer.name + " (" + kind_name(layer) + ")");
}

// Batch normalization keeps running statistics next to its γ and β.
bool has_running_statistics(const LayerSpec& layer) { return std::holds_alternative<BatchNormSpec>(layer.op); }

// The running statistics PyTorch starts from: mean 0, variance 1 (the identity, before any batch).
void fresh_running_statistics(const LayerSummary& layer, LayerTensors<float>& tensors) {
  if (!has_running_statistics(layer.spec)) return;
  tensors.running_mean = TensorF({layer.output[0]}, 0.0f);
  tensors.running_var = TensorF({layer.output[0]}, 1.0f);
}

// Two dropout layers with one tag would draw the same masks; with the course's names this never happens.
void require_distinct_dropout_tags(const Plan& plan) {
  std::vector<std::pair<std::uint32_t, std::string>> tags;
  for (const Step& step : plan.steps) {
    if (const auto* dropout = std::get_if<DropoutStep>(&step.op)) tags.emplace_back(dropout->layer_tag, step.name);
  }
  std::sort(tags.begin(), tags.end());
  for (std::size_t i = 1; i < tags.size(); ++i) {
    if (tags[i].first == tags[i - 1].first) {
      throw std::invalid_argument(plan.spec.name + ": the dropout layers " + tags[i - 1].second + " and " +
                                  tags[i].second + " would draw the same masks (their names hash alike); rename one");
    }
  }
}

}  // namespace

std::uint32_t dropout_layer_tag(const std::string& name) { return static_cast<std::uint32_t>(name_stream(name) >> 32); }

int step_parameters(const Step& step) {
  return std::visit(Overloaded{[](const ConvolutionStep& s) { return s.parameters; },
                               [](const LinearStep& s) { return s.parameters; },
                               [](const BatchNormStep& s) { return s.parameters; },
                               [](const GroupNormStep& s) { return s.parameters; },
                               [](const auto&) { return -1; }},
                    step.op);
}

Plan make_plan(const NetworkSpec& spec) {
  Plan plan{spec, {}, summarize(spec), {}};
  const auto add = [&](std::string name, StepOp op, Shape output) {
    plan.steps.push_back({std::move(name), std::move(op), std::move(output)});
  };
  for (std::size_t row = 0; row < plan.layers.size(); ++row) {
    const LayerSummary& layer = plan.layers[row];
    const LayerSpec& s = layer.spec;
    const auto parameters_of_this_row = [&] {
      plan.parameter_rows.push_back(static_cast<int>(row));
      return static_cast<int>(plan.parameter_rows.size()) - 1;
    };
    std::visit(Overloaded{
                   [&](const ConvolutionSpec& c) {
                     add(s.name, ConvolutionStep{c.params, parameters_of_this_row()}, layer.output);
                   },
                   [&](const LrnSpec& l) { add(s.name, LrnStep{l.params}, layer.output); },
                   [&](const MaxPoolSpec& p) { add(s.name, MaxPoolStep{p.params}, layer.output); },
                   [&](const FullyConnectedSpec&) {
                     if (layer.input.size() > 1) add("flatten", FlattenStep{}, {element_count(layer.input)});
                     add(s.name, LinearStep{parameters_of_this_row()}, layer.output);
                   },
                   [&](const BatchNormSpec& b) {
                     add(s.name, BatchNormStep{b.params, parameters_of_this_row()}, layer.output);
                   },
                   [&](const GroupNormSpec& g) {
                     add(s.name, GroupNormStep{g.params, parameters_of_this_row()}, layer.output);
                   },
               },
               s.op);
    const std::string number = layer_number(s.name);
    if (s.relu) add("relu" + number, ReluStep{}, layer.output);
    if (s.dropout) add("drop" + number, DropoutStep{kPaperDropout, dropout_layer_tag(s.name)}, layer.output);
  }
  require_distinct_dropout_tags(plan);
  return plan;
}

NetworkSpec layer_block(const NetworkSpec& network, const std::string& layer) {
  const LayerSummary first = summarize_layer(network, layer);  // throws when there is no such row
  NetworkSpec block{network.name + ", the " + layer + " block", network.towers, first.input, {first.spec}};
  auto row = std::find_if(network.layers.begin(), network.layers.end(),
                          [&](const LayerSpec& candidate) { return candidate.name == layer; });
  for (++row; row != network.layers.end() && !learns(*row); ++row) block.layers.push_back(*row);
  return block;
}

Conv2dParams conv2d_params(const LayerSpec& layer) {
  return op_of<ConvolutionSpec>(layer, "conv2d_params", "a convolution").params;
}

LrnParams lrn_params(const LayerSpec& layer) { return op_of<LrnSpec>(layer, "lrn_params", "an lrn layer").params; }

Pool2dParams pool2d_params(const LayerSpec& layer) {
  return op_of<MaxPoolSpec>(layer, "pool2d_params", "a maxpool layer").params;
}

DropoutParams dropout_params(const DropoutStep& step, std::uint64_t seed, std::uint64_t training_step,
                             bool training, std::uint64_t first_unit) {
  constexpr std::uint64_t kStepsPerLayer = std::uint64_t{1} << 32;
  if (training_step >= kStepsPerLayer) {
    throw std::invalid_argument("dropout_params: expected a training step below 2^32, got " +
                                std::to_string(training_step));
  }
  return DropoutParams{step.p, purpose_seed(seed, RandomPurpose::Dropout),
                       static_cast<std::uint64_t>(step.layer_tag) * kStepsPerLayer + training_step, training,
                       first_unit};
}

Parameters<float> allocate_parameters(const Plan& plan) {
  Parameters<float> parameters;
  for (const int row : plan.parameter_rows) {
    const LayerSummary& layer = plan.layers[static_cast<std::size_t>(row)];
    parameters.push_back({layer.spec.name, TensorF(weight_shape(layer.spec, layer.input)), TensorF({layer.output[0]})});
    fresh_running_statistics(layer, parameters.back());
  }
  return parameters;
}

Parameters<float> initial_parameters(const Plan& plan, std::uint64_t seed) {
  Parameters<float> parameters;
  for (const int row : plan.parameter_rows) {
    const LayerSummary& layer = plan.layers[static_cast<std::size_t>(row)];
    LayerParameters initial =
        initial_parameters(layer.spec, layer.input, purpose_seed(seed, RandomPurpose::Initialisation),
                           name_stream(layer.spec.name), plan.spec.weight_init);
    parameters.push_back({layer.spec.name, std::move(initial.weight), std::move(initial.bias)});
    fresh_running_statistics(layer, parameters.back());
  }
  return parameters;
}

template <typename To, typename From>
Parameters<To> convert_parameters(const Parameters<From>& parameters) {
  auto convert = [](const Tensor<From>& t) {
    return t.template cast<To>();
  };
  Parameters<To> converted;
  for (const LayerTensors<From>& layer : parameters) {
    converted.push_back({layer.name, convert(layer.weight), convert(layer.bias), convert(layer.running_mean),
                         convert(layer.running_var)});
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
    if (layer.running_mean.size() == 0) continue;  // only a batch normalization has running statistics
    save_npy(dir + "/" + layer.name + ".running_mean.npy", layer.running_mean);
    save_npy(dir + "/" + layer.name + ".running_var.npy", layer.running_var);
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
    TensorF bias = load("bias", {layer.output[0]});
    parameters.push_back({layer.spec.name, std::move(weight), std::move(bias)});
    if (has_running_statistics(layer.spec)) {
      parameters.back().running_mean = load("running_mean", {layer.output[0]});
      parameters.back().running_var = load("running_var", {layer.output[0]});
    }
  }
  return parameters;
}

template Parameters<double> convert_parameters<double, float>(const Parameters<float>&);
template Parameters<float> convert_parameters<float, double>(const Parameters<double>&);
template std::int64_t count_parameters<float>(const Parameters<float>&);
template std::int64_t count_parameters<double>(const Parameters<double>&);

}  // namespace alexnet
