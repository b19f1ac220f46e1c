/// @file image_folder.hpp
/// @brief Any folder of images described by a CSV manifest, prepared as the paper did (256×256).
///
/// The manifest has the header `path,label`; each row names an image (relative
/// to the manifest's folder, or absolute) and its label. Without a classes file
/// a label is a class index 0, 1, 2, ...; with one it is a class name or index
/// listed there. The optional classes file has the header `index,name` and one
/// row per class, indices 0..K−1 each exactly once, e.g.
///
///     index,name
///     0,cat
///     1,dog
///
/// Both files are parsed with the fast C++ CSV parser (libfccp; fields may be
/// double-quoted). Every bad row — a missing or extra column, an empty path, an
/// unknown label or one beyond the network's classes, a missing, undecodable, empty or too large
/// image — is an error "<file>:<line>: <reason>", raised while the manifest is read.
/// With `skip_bad` the row is skipped instead and listed in ImageFolder::skipped:
/// nothing is dropped silently.
#pragma once

#include <string>
#include <vector>

#include "datasets/image.hpp"
#include "datasets/labeled_images.hpp"

namespace alexnet {

/// @brief How load_image_folder() reads a manifest.
struct ImageFolderOptions {
  std::string classes_path;        ///< the classes CSV (`index,name`); empty: labels are class indices
  bool skip_bad = false;           ///< skip bad rows and list them, instead of throwing at the first
  int side = kTrainingImageSide;   ///< images are rescaled and centre-cropped to side×side
  std::int64_t max_pixels = kDefaultMaxPixels;  ///< images declaring more pixels are refused before decoding
  std::int64_t class_count = 0;    ///< when > 0, the network's classes: a label ≥ this is refused at its line
};

/// @brief A manifest row that was skipped, and why.
struct SkippedRow {
  std::string where;   ///< "<manifest>:<line>"
  std::string reason;  ///< e.g. "label 'zebra' is not a known class (classes.csv lists 3)"
};

/// @brief What a manifest gave: the images that loaded, their paths, and the rows skipped.
struct ImageFolder {
  LabeledImages data;                ///< images [N, 3, side, side] (0..255), labels, class names
  std::vector<std::string> paths;    ///< the file each image came from
  std::vector<SkippedRow> skipped;   ///< rows skipped under skip_bad (empty otherwise)
};

/// @brief Class names of a classes CSV (`index,name`), in index order; errors name file and line.
std::vector<std::string> read_class_names(const std::string& classes_path);

/// @brief Loads every image a manifest lists, rescaled and centre-cropped to options.side.
ImageFolder load_image_folder(const std::string& manifest_path, const ImageFolderOptions& options = {});

/// @brief "skipped 2 bad rows:" followed by one "  <file>:<line>: <reason>" line per row ("" when none).
std::string describe_skipped(const std::vector<SkippedRow>& skipped);

}  // namespace alexnet
