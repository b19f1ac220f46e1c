#include "datasets/image_folder.hpp"

// libfccp copies file names with strncpy into a fixed buffer, which GCC's
// middle end flags after inlining even though the header is a system header.
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wstringop-truncation"
#include <libfccp/csv.h>
#pragma GCC diagnostic pop

#include <filesystem>
#include <functional>
#include <memory>
#include <optional>
#include <stdexcept>

#include "datasets/stored_images.hpp"
#include "reference_cpu/untrusted_file.hpp"

namespace alexnet {
namespace {

using CsvReader = io::CSVReader<2, io::trim_chars<' '>, io::double_quote_escape<',', '"'>>;

std::string where(const std::string& file, unsigned line) { return file + ":" + std::to_string(line); }

// A short reason for libfccp's errors (its own messages repeat the file and line we already give).
std::string csv_reason(const io::error::base& error) {
  if (dynamic_cast<const io::error::too_few_columns*>(&error)) return "missing column (expected 2)";
  if (dynamic_cast<const io::error::too_many_columns*>(&error)) return "extra column (expected 2)";
  if (dynamic_cast<const io::error::escaped_string_not_closed*>(&error)) return "a quoted field is not closed";
  return error.what();
}

// Opens a CSV and checks its header; errors name the file and line 1.
std::unique_ptr<CsvReader> open_csv(const std::string& path, const char* first, const char* second) {
  const std::uintmax_t size = regular_file_size(path, std::string("a CSV file (") + first + "," + second + ")");
  if (size > kMaxTextFileBytes) {
    throw std::runtime_error(path + ": a CSV file of " + std::to_string(size) + " bytes, expected at most " +
                             std::to_string(kMaxTextFileBytes));
  }
  std::unique_ptr<CsvReader> reader;
  try {
    reader = std::make_unique<CsvReader>(path);
    reader->read_header(io::ignore_no_column, first, second);
  } catch (const io::error::base& error) {
    throw std::runtime_error(where(path, 1) + ": expected the header '" + first + "," + second + "' (" +
                             error.what() + ")");
  }
  return reader;
}

// "17" -> 17; anything but 1..18 decimal digits -> nothing.
std::optional<std::int64_t> parse_index(const std::string& text) {
  if (text.empty() || text.size() > 18 || text.find_first_not_of("0123456789") != std::string::npos) return {};
  return std::stoll(text);
}

// The class a manifest label names, or a reason why it names none.
std::int64_t resolve_label(const std::string& label, const std::vector<std::string>& classes,
                           const ImageFolderOptions& options) {
  if (classes.empty()) {
    const auto index = parse_index(label);
    if (!index) {
      throw std::runtime_error("label '" + quoted_for_message(label) +
                               "' is not a class index (without a classes file labels are 0, 1, ...)");
    }
    if (options.class_count > 0 && *index >= options.class_count) {
      throw std::runtime_error("label " + label + " is not a class of the network (expected 0.." +
                               std::to_string(options.class_count - 1) + ")");
    }
    return *index;
  }
  for (std::size_t i = 0; i < classes.size(); ++i) {
    if (classes[i] == label) return static_cast<std::int64_t>(i);
  }
  const auto index = parse_index(label);
  if (index && *index < static_cast<std::int64_t>(classes.size())) return *index;
  throw std::runtime_error("label '" + quoted_for_message(label) + "' is not a known class (" + options.classes_path +
                           " lists " + std::to_string(classes.size()) + ")");
}

}  // namespace

std::vector<std::string> read_class_names(const std::string& classes_path) {
  const auto reader = open_csv(classes_path, "index", "name");
  std::vector<std::string> names;
  std::vector<unsigned> defined_at;
  std::string index_text, name;
  while (true) {
    try {
      if (!reader->read_row(index_text, name)) break;
    } catch (const io::error::base& error) {
      throw std::runtime_error(where(classes_path, reader->get_file_line()) + ": " + csv_reason(error));
    }
    const std::string here = where(classes_path, reader->get_file_line());
    const auto index = parse_index(index_text);
    if (!index || *index > 100000) throw std::runtime_error(here + ": index '" + index_text + "' is not a class index");
    if (name.empty()) throw std::runtime_error(here + ": class " + index_text + " has an empty name");
    const auto i = static_cast<std::size_t>(*index);
    if (i >= names.size()) {
      names.resize(i + 1);
      defined_at.resize(i + 1, 0);
    }
    if (defined_at[i] != 0) {
      throw std::runtime_error(here + ": class " + index_text + " is already defined on line " +
                               std::to_string(defined_at[i]));
    }
    names[i] = name;
    defined_at[i] = reader->get_file_line();
  }
  for (std::size_t i = 0; i < names.size(); ++i) {
    if (defined_at[i] == 0) throw std::runtime_error(classes_path + ": class " + std::to_string(i) + " is missing");
  }
  if (names.empty()) throw std::runtime_error(classes_path + ": no classes");
  return names;
}

namespace {

// Reads every row of a manifest: keep(square, label, path) gets each image that loads, rescaled and
// centre-cropped to options.side; a bad row throws, or is listed when skipping is asked for.
std::vector<SkippedRow> read_manifest(
    const std::string& manifest_path, const ImageFolderOptions& options, const std::vector<std::string>& class_names,
    const std::function<void(const TensorF& square, std::int64_t label, const std::string& path)>& keep) {
  std::vector<SkippedRow> skipped;
  std::int64_t kept = 0;
  const auto reader = open_csv(manifest_path, "path", "label");
  const std::filesystem::path base = std::filesystem::path(manifest_path).parent_path();
  const auto bad_row = [&](const std::string& here, const std::string& reason) {
    if (!options.skip_bad) throw std::runtime_error(here + ": " + reason);
    skipped.push_back({here, reason});
  };
  std::string path, label;
  while (true) {
    try {
      if (!reader->read_row(path, label)) break;
    } catch (const io::error::base& error) {
      bad_row(where(manifest_path, reader->get_file_line()), csv_reason(error));
      continue;
    }
    const std::string here = where(manifest_path, reader->get_file_line());
    try {
      if (path.empty()) throw std::runtime_error("empty path");
      const std::int64_t class_index = resolve_label(label, class_names, options);
      const std::string image_path = (base / path).string();
      const DecodeLimits limits{options.max_pixels, options.side};
      keep(resize_and_crop_centre(decode_image_rgb(image_path, limits), options.side), class_index, image_path);
      ++kept;
    } catch (const std::exception& error) {  // every class of bad row: --skip-bad skips them all
      bad_row(here, error.what());
    }
  }
  if (kept == 0) throw std::runtime_error(manifest_path + ": no images" + (skipped.empty() ? "" : " (every row was bad)"));
  return skipped;
}

// The classes file's names, refused when it lists more classes than the network has.
std::vector<std::string> class_names_for(const ImageFolderOptions& options) {
  if (options.classes_path.empty()) return {};
  std::vector<std::string> names = read_class_names(options.classes_path);
  if (options.class_count > 0 && static_cast<std::int64_t>(names.size()) > options.class_count) {
    throw std::runtime_error(options.classes_path + ": lists " + std::to_string(names.size()) +
                             " classes, expected at most the network's " + std::to_string(options.class_count));
  }
  return names;
}

}  // namespace

ImageFolder load_image_folder(const std::string& manifest_path, const ImageFolderOptions& options) {
  ImageFolder folder;
  folder.data.class_names = class_names_for(options);
  std::vector<float> pixels;
  folder.skipped = read_manifest(manifest_path, options, folder.data.class_names,
                                 [&](const TensorF& square, std::int64_t label, const std::string& path) {
                                   pixels.insert(pixels.end(), square.values().begin(), square.values().end());
                                   folder.data.labels.push_back(label);
                                   folder.paths.push_back(path);
                                 });
  const auto n = static_cast<std::int64_t>(folder.paths.size());
  folder.data.images = TensorF({n, 3, options.side, options.side}, std::move(pixels));
  return folder;
}

StoredImageFolder load_image_folder_stored(const std::string& manifest_path, const ImageFolderOptions& options) {
  StoredImageFolder folder;
  StoredImages& data = folder.data;
  data.class_names = class_names_for(options);
  data.channels = 3;
  data.height = data.width = options.side;
  folder.skipped = read_manifest(manifest_path, options, data.class_names,
                                 [&](const TensorF& square, std::int64_t label, const std::string& path) {
                                   for (float v : square.values()) data.pixels.push_back(to_byte(v));
                                   data.labels.push_back(label);
                                   folder.paths.push_back(path);
                                 });
  data.count = static_cast<std::int64_t>(folder.paths.size());
  return folder;
}

std::string describe_skipped(const std::vector<SkippedRow>& skipped) {
  if (skipped.empty()) return "";
  std::string text = "skipped " + std::to_string(skipped.size()) + " bad row" + (skipped.size() == 1 ? "" : "s") + ":\n";
  for (const SkippedRow& row : skipped) text += "  " + row.where + ": " + row.reason + "\n";
  return text;
}

}  // namespace alexnet
