#include "training/training_log.hpp"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <sstream>
#include <stdexcept>

#include "reference_cpu/untrusted_file.hpp"
#include "training/checkpoint.hpp"

namespace alexnet {
namespace {

constexpr const char* kLogHeader =
    "epoch,lr,train_loss,train_top1,subset_loss,subset_top1,val_loss,val_top1,val_top5,seconds";
// The log of a version before the training subset: read, its subset columns not measured (NaN).
constexpr const char* kLogHeaderWithoutSubset = "epoch,lr,train_loss,train_top1,val_loss,val_top1,val_top5,seconds";
constexpr const char* kStepsHeader = "step,epoch,lr,loss";

// A row of a CSV log: its fields, and "<path>:<line>" to name it in the messages of the caller's range checks.
struct Row {
  std::string where;
  std::vector<std::string> fields;
};

// The comma-separated fields of every row after the header, which must be one of `headers`, each row with as many
// fields as its header names; `what` names the file. Returns the header's index and the rows.
std::pair<std::size_t, std::vector<Row>> read_rows(const std::string& path, const std::string& what,
                                                   const std::vector<std::string>& headers) {
  const std::vector<std::string> lines = read_text_lines(path, what);
  const auto header = lines.empty() ? headers.end() : std::find(headers.begin(), headers.end(), lines[0]);
  if (header == headers.end()) {
    throw std::runtime_error(path + ":1: expected the header '" + headers.front() + "', got '" +
                             quoted_for_message(lines.empty() ? "" : lines[0]) + "'");
  }
  const auto columns = static_cast<std::size_t>(std::count(header->begin(), header->end(), ',')) + 1;
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
  return {static_cast<std::size_t>(header - headers.begin()), rows};
}

// A subset column's text: empty when it was not measured.
std::string measured(double value) {
  if (std::isnan(value)) return "";
  char text[32];
  std::snprintf(text, sizeof text, "%.6f", value);
  return text;
}

}  // namespace

std::string log_csv(const std::vector<EpochRecord>& log) {
  std::string text = std::string(kLogHeader) + "\n";
  for (const EpochRecord& r : log) {
    char start[96], end[160];
    std::snprintf(start, sizeof start, "%d,%.9g,%.6f,%.6f,", r.epoch, r.learning_rate, r.train_loss, r.train_top1);
    std::snprintf(end, sizeof end, ",%.6f,%.6f,%.6f,%.1f\n", r.validation_loss, r.validation_top1, r.validation_top5,
                  r.seconds);
    text += start + measured(r.subset_loss) + "," + measured(r.subset_top1) + end;
  }
  return text;
}

std::vector<EpochRecord> read_log_csv(const std::string& path) {
  const auto [format, rows] = read_rows(path, "a training log (log.csv)", {kLogHeader, kLogHeaderWithoutSubset});
  const bool with_subset = format == 0;
  std::vector<EpochRecord> log;
  for (const Row& row : rows) {
    std::size_t next = 0;  // the field read next
    const auto real = [&](const char* name, double min, double max) {
      return parse_real_field(row.fields[next++], min, max, row.where + ": " + name);
    };
    const auto subset = [&](const char* name, double max) {  // an older log's, or an empty field: not measured
      if (!with_subset) return std::nan("");
      if (row.fields[next].empty()) {
        ++next;
        return std::nan("");
      }
      return real(name, 0, max);
    };
    EpochRecord r;
    r.epoch = static_cast<int>(parse_integer_field(row.fields[next++], 1, kMaxCheckpointEpoch, row.where + ": epoch"));
    r.learning_rate = real("lr", 0, kMaxCheckpointLearningRate);
    r.train_loss = real("train_loss", 0, 1e300);
    r.train_top1 = real("train_top1", 0, 1);
    r.subset_loss = subset("subset_loss", 1e300);
    r.subset_top1 = subset("subset_top1", 1);
    r.validation_loss = real("val_loss", 0, 1e300);
    r.validation_top1 = real("val_top1", 0, 1);
    r.validation_top5 = real("val_top5", 0, 1);
    r.seconds = real("seconds", 0, 1e12);
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
  for (const Row& row : read_rows(path, "a training run's steps (steps.csv)", {kStepsHeader}).second) {
    StepRecord s;
    s.step = parse_integer_field(row.fields[0], 1, std::int64_t{1} << 40, row.where + ": step");
    if (!steps.empty() && s.step != steps.back().step + 1) {
      throw std::runtime_error(row.where + ": expected step " + std::to_string(steps.back().step + 1) + ", got " +
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
