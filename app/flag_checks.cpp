#include "flag_checks.hpp"

#include <string>

#include "reference_cpu/untrusted_file.hpp"

namespace alexnet {

CLI::Validator integer_in(std::int64_t min, std::int64_t max) {
  return CLI::Validator([=](std::string& text) { return integer_field_problem(text, min, max); },
                        "INT in [" + std::to_string(min) + ", " + std::to_string(max) + "]");
}

CLI::Validator finite_above(double min, double max) {
  return CLI::Validator([=](std::string& text) { return real_field_problem(text, min, max, true); },
                        "a finite number above " + std::to_string(min));
}

}  // namespace alexnet
