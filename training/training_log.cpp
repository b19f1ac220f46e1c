#include "training/training_log.hpp"

#include <cstdio>
#include <sstream>
#include <stdexcept>

#include "reference_cpu/untrusted_file.hpp"
#include "training/checkpoint.hpp"

namespace alexnet {
namespace {

constexpr const char* kLogHeader =
    "epoch,lr,train_loss,train_top1,subset_loss,subset_top1,val_loss,val_top1,val_top5,seconds";
constexpr const char* kStepsHeader = "step,epoch,lr,loss";

// A row of a CSV log: its fields, and "<path>:<line>" to name it in the messages of the caller's range checks.
struct Row {
  std::string where;
  std::vector<std::string> fields;
};

// The comma-separated fields of every row after `header`, each row with `columns` of them; `what` names the file.
std::vector<Row> read_rows(const std::string& path, const std::string& what, const std::string& header,
                           std::size_t columns) {
  const std::vector<std::string> lines = read_text_lines(path, what);
  if (lines.empty() || lines[0] != header) {
    throw std::runtime_error(path + ":1: expected the header '" + header + "', got '" +
                             quoted_for_message(lines.empty() ? "" : lines[0]) + "'");
  }
  std::vector<Row> rows;
  for (std::size_t number = 2; number <= lines.size(); ++number) {
    Row row{path + ":" + std::to_string(number), {}};
    std::stringstream text(lines[number - 1]);
    for (std::string field; std::getline(text, field, ',');) row.fields.push_back(field);
    if (row.fields.size() != columns) {
      throw std::runtime_error(row.where + ": expected " + std::to_string(columns) + " comma-separated numbers, got '" +
                               quoted_for_message(lines[number - 1]) + "'");
    }
    rows.push_back(std::move(row));
  }
  return rows;
}

}  // namespace

std::string log_csv(const std::vector<EpochRecord>& log) {
  std::string text = std::string(kLogHeader) + "\n";
  for (const EpochRecord& r : log) {
    char row[320];
    std::snprintf(row, sizeof row, "%d,%.9g,%.6f,%.6f,%.6f,%.6f,%.6f,%.6f,%.6f,%.1f\n", r.epoch, r.learning_rate,
                  r.train_loss, r.train_top1, r.subset_loss, r.subset_top1, r.validation_loss, r.validation_top1,
                  r.validation_top5, r.seconds);
    text += row;
  }
  return text;
}

std::vector<EpochRecord> read_log_csv(const std::string& path) {
  std::vector<EpochRecord> log;
  for (const Row& row : read_rows(path, "a training log (log.csv)", kLogHeader, 10)) {
    const auto real = [&](std::size_t i, const char* name, double min, double max) {
      return parse_real_field(row.fields[i], min, max, row.where + ": " + name);
    };
    EpochRecord r;
    r.epoch = static_cast<int>(parse_integer_field(row.fields[0], 1, kMaxCheckpointEpoch, row.where + ": epoch"));
    r.learning_rate = real(1, "lr", 0, kMaxCheckpointLearningRate);
    r.train_loss = real(2, "train_loss", 0, 1e300);
    r.train_top1 = real(3, "train_top1", 0, 1);
    r.subset_loss = real(4, "subset_loss", 0, 1e300);
    r.subset_top1 = real(5, "subset_top1", 0, 1);
    r.validation_loss = real(6, "val_loss", 0, 1e300);
    r.validation_top1 = real(7, "val_top1", 0, 1);
    r.validation_top5 = real(8, "val_top5", 0, 1);
    r.seconds = real(9, "seconds", 0, 1e12);
    log.push_back(r);
  }
  return log;
}

std::string steps_csv(const std::vector<StepRecord>& steps) {
  std::string text = std::string(kStepsHeader) + "\n";
  for (const StepRecord& s : steps) {
    char row[160];
    std::snprintf(row, sizeof row, "%lld,%.6f,%.9g,%.6f\n", static_cast<long long>(s.step), s.epoch, s.learning_rate,
                  s.loss);
    text += row;
  }
  return text;
}

std::vector<StepRecord> read_steps_csv(const std::string& path) {
  std::vector<StepRecord> steps;
  for (const Row& row : read_rows(path, "a training run's steps (steps.csv)", kStepsHeader, 4)) {
    StepRecord s;
    s.step = parse_integer_field(row.fields[0], 1, std::int64_t{1} << 40, row.where + ": step");
    if (s.step != static_cast<std::int64_t>(steps.size()) + 1) {
      throw std::runtime_error(row.where + ": expected step " + std::to_string(steps.size() + 1) + ", got " +
                               std::to_string(s.step));
    }
    s.epoch = parse_real_field(row.fields[1], 0, kMaxCheckpointEpoch, row.where + ": epoch");
    s.learning_rate = parse_real_field(row.fields[2], 0, kMaxCheckpointLearningRate, row.where + ": lr");
    s.loss = parse_real_field(row.fields[3], 0, 1e300, row.where + ": loss");
    steps.push_back(s);
  }
  return steps;
}

}  // namespace alexnet
