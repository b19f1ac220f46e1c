#include "training/training_log.hpp"

#include <cstdio>
#include <sstream>
#include <stdexcept>

#include "reference_cpu/untrusted_file.hpp"
#include "training/checkpoint.hpp"

namespace alexnet {
namespace {

constexpr const char* kLogHeader = "epoch,lr,train_loss,train_top1,val_loss,val_top1,val_top5,seconds";

}  // namespace

std::string log_csv(const std::vector<EpochRecord>& log) {
  std::string text = std::string(kLogHeader) + "\n";
  for (const EpochRecord& r : log) {
    char row[256];
    std::snprintf(row, sizeof row, "%d,%.9g,%.6f,%.6f,%.6f,%.6f,%.6f,%.1f\n", r.epoch, r.learning_rate, r.train_loss,
                  r.train_top1, r.validation_loss, r.validation_top1, r.validation_top5, r.seconds);
    text += row;
  }
  return text;
}

std::vector<EpochRecord> read_log_csv(const std::string& path) {
  const std::vector<std::string> lines = read_text_lines(path, "a training log (log.csv)");
  if (lines.empty() || lines[0] != kLogHeader) {
    throw std::runtime_error(path + ":1: expected the header '" + std::string(kLogHeader) + "', got '" +
                             quoted_for_message(lines.empty() ? "" : lines[0]) + "'");
  }
  std::vector<EpochRecord> log;
  for (std::size_t number = 2; number <= lines.size(); ++number) {
    const std::string where = path + ":" + std::to_string(number);
    std::vector<std::string> fields;
    std::stringstream row(lines[number - 1]);
    for (std::string field; std::getline(row, field, ',');) fields.push_back(field);
    if (fields.size() != 8) {
      throw std::runtime_error(where + ": expected 8 comma-separated numbers, got '" +
                               quoted_for_message(lines[number - 1]) + "'");
    }
    const auto real = [&](std::size_t i, const char* name, double min, double max) {
      return parse_real_field(fields[i], min, max, where + ": " + name);
    };
    EpochRecord r;
    r.epoch = static_cast<int>(parse_integer_field(fields[0], 1, kMaxCheckpointEpoch, where + ": epoch"));
    r.learning_rate = real(1, "lr", 0, kMaxCheckpointLearningRate);
    r.train_loss = real(2, "train_loss", 0, 1e300);
    r.train_top1 = real(3, "train_top1", 0, 1);
    r.validation_loss = real(4, "val_loss", 0, 1e300);
    r.validation_top1 = real(5, "val_top1", 0, 1);
    r.validation_top5 = real(6, "val_top5", 0, 1);
    r.seconds = real(7, "seconds", 0, 1e12);
    log.push_back(r);
  }
  return log;
}

}  // namespace alexnet
