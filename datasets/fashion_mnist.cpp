#include "datasets/fashion_mnist.hpp"

#include <zlib.h>

#include <algorithm>
#include <array>
#include <cerrno>
#include <cstring>
#include <memory>
#include <stdexcept>
#include <type_traits>
#include <utility>

#include "datasets/stored_images.hpp"
#include "reference_cpu/untrusted_file.hpp"

namespace alexnet {
namespace {

constexpr std::uint32_t kImagesMagic = 2051;  // 0x00000803: unsigned bytes, 3 dimensions
constexpr std::uint32_t kLabelsMagic = 2049;  // 0x00000801: unsigned bytes, 1 dimension
constexpr std::uint32_t kMaxSide = 1u << 14;  // refuse absurd headers before allocating

// A gzip'd (or plain) file read through zlib; every short read is an error naming the file.
class GzipFile {
 public:
  explicit GzipFile(std::string path)
      : path_(std::move(path)),
        file_size_(regular_file_size(path_, "a gzip'd IDX file")),
        file_(gzopen(path_.c_str(), "rb"), &gzclose) {
    if (!file_) throw std::runtime_error(path_ + ": cannot open (" + std::strerror(errno) + ")");
  }

  // Refuses a header announcing more data than the file can hold, before anything is allocated:
  // deflate expands at most 1032:1, and a plain (not gzip'd) file holds its own size.
  void require_room_for(std::uint32_t count, std::int64_t item_bytes, const std::string& items) {
    constexpr std::int64_t kDeflateMaxRatio = 1032;
    const auto most = checked_multiply(static_cast<std::int64_t>(file_size_), kDeflateMaxRatio, path_);
    const std::int64_t announced = checked_multiply(count, item_bytes, path_ + ": the header's count");
    if (announced > most) {
      throw std::runtime_error(path_ + ": the header announces " + std::to_string(count) + " " + items + " (" +
                               std::to_string(announced) + " bytes), more than a file of " +
                               std::to_string(file_size_) + " bytes can hold (at most " + std::to_string(most) +
                               " bytes uncompressed)");
    }
  }

  // Reads `bytes` bytes of `what` (e.g. "image 17") or throws "<path>: truncated ..." / "corrupt gzip ...".
  void read(void* buffer, std::size_t bytes, const std::string& what) {
    const int got = gzread(file_.get(), buffer, static_cast<unsigned>(bytes));
    if (got == static_cast<int>(bytes)) return;
    int code = Z_OK;
    const char* zlib_message = gzerror(file_.get(), &code);
    if (got < 0 || (code != Z_OK && code != Z_BUF_ERROR)) {
      // zlib decompresses ahead in blocks, so the damage may lie anywhere after `what`.
      std::string reason = zlib_message;
      if (reason.rfind(path_ + ": ", 0) == 0) reason.erase(0, path_.size() + 2);
      throw std::runtime_error(path_ + ": corrupt gzip data (zlib: " + reason + ") reading " + what);
    }
    throw std::runtime_error(path_ + ": truncated: " + what + " has " + std::to_string(got) + " of " +
                             std::to_string(bytes) + " bytes");
  }

  // A big-endian 32-bit header field.
  std::uint32_t read_u32(const std::string& what) {
    std::array<unsigned char, 4> b{};
    read(b.data(), b.size(), "the header's " + what);
    return (std::uint32_t{b[0]} << 24) | (std::uint32_t{b[1]} << 16) | (std::uint32_t{b[2]} << 8) | b[3];
  }

  // Reads the magic number and the count, checking the magic.
  std::uint32_t read_header(std::uint32_t expected_magic, const char* kind) {
    const std::uint32_t magic = read_u32("magic number");
    if (magic != expected_magic) {
      throw std::runtime_error(path_ + ": bad magic number " + std::to_string(magic) + " (expected " +
                               std::to_string(expected_magic) + " for IDX " + kind + ")");
    }
    return read_u32("count");
  }

 private:
  std::string path_;
  std::uintmax_t file_size_;
  std::unique_ptr<std::remove_pointer_t<gzFile>, int (*)(gzFile)> file_;
};

std::int64_t how_many(std::uint32_t count, std::int64_t limit) {
  return limit < 0 ? count : std::min<std::int64_t>(count, limit);
}

// What a file holds and how many items its header announced (more than were read under a limit).
template <typename Items>
struct IdxContents {
  Items items;
  std::uint32_t header_count = 0;
};

// The images of an IDX3 file as bytes [n, 1, rows, cols] (labels left empty), read one image at a time.
IdxContents<StoredImages> read_images(const std::string& path, std::int64_t limit) {
  GzipFile file(path);
  const std::uint32_t count = file.read_header(kImagesMagic, "images");
  const std::uint32_t rows = file.read_u32("row count"), cols = file.read_u32("column count");
  if (rows == 0 || cols == 0 || rows > kMaxSide || cols > kMaxSide) {
    throw std::runtime_error(path + ": implausible image size " + std::to_string(rows) + "x" + std::to_string(cols));
  }
  StoredImages images;
  images.count = how_many(count, limit);
  images.channels = 1;
  images.height = static_cast<int>(rows);
  images.width = static_cast<int>(cols);
  file.require_room_for(count, images.image_bytes(), "images");
  for (std::int64_t i = 0; i < images.count; ++i) {
    images.pixels.resize(static_cast<std::size_t>((i + 1) * images.image_bytes()));  // grows with what was read
    file.read(images.pixels.data() + i * images.image_bytes(), static_cast<std::size_t>(images.image_bytes()),
              "image " + std::to_string(i) + " of " + std::to_string(count));
  }
  return {std::move(images), count};
}

IdxContents<std::vector<std::int64_t>> read_labels(const std::string& path, std::int64_t limit) {
  GzipFile file(path);
  const std::uint32_t count = file.read_header(kLabelsMagic, "labels");
  file.require_room_for(count, 1, "labels");
  std::vector<std::int64_t> labels;
  for (std::int64_t i = 0; i < how_many(count, limit); ++i) {
    unsigned char label = 0;
    file.read(&label, 1, "label " + std::to_string(i) + " of " + std::to_string(count));
    labels.push_back(label);  // grows with what was read
  }
  return {std::move(labels), count};
}

std::string split_prefix(FashionMnistSplit split) { return split == FashionMnistSplit::Train ? "train" : "t10k"; }

}  // namespace

TensorF read_idx_images(const std::string& path, std::int64_t limit) {
  const StoredImages images = read_images(path, limit).items;
  return TensorF({images.count, 1, images.height, images.width},
                 std::vector<float>(images.pixels.begin(), images.pixels.end()));
}

std::vector<std::int64_t> read_idx_labels(const std::string& path, std::int64_t limit) {
  return read_labels(path, limit).items;
}

std::vector<std::string> fashion_mnist_class_names() {
  return {"T-shirt/top", "Trouser", "Pullover", "Dress", "Coat", "Sandal", "Shirt", "Sneaker", "Bag", "Ankle boot"};
}

StoredImages load_fashion_mnist_stored(const std::string& directory, FashionMnistSplit split, std::int64_t limit) {
  const std::string images_path = directory + "/" + split_prefix(split) + "-images-idx3-ubyte.gz";
  const std::string labels_path = directory + "/" + split_prefix(split) + "-labels-idx1-ubyte.gz";
  IdxContents<StoredImages> images = read_images(images_path, limit);
  IdxContents<std::vector<std::int64_t>> labels = read_labels(labels_path, limit);
  if (images.header_count != labels.header_count) {
    throw std::runtime_error(images_path + " holds " + std::to_string(images.header_count) + " images but " +
                             labels_path + " holds " + std::to_string(labels.header_count) + " labels");
  }
  StoredImages data = std::move(images.items);
  data.labels = std::move(labels.items);
  data.class_names = fashion_mnist_class_names();
  const auto classes = static_cast<std::int64_t>(data.class_names.size());
  for (std::size_t i = 0; i < data.labels.size(); ++i) {
    if (data.labels[i] >= classes) {
      throw std::runtime_error(labels_path + ": label " + std::to_string(i) + " is " + std::to_string(data.labels[i]) +
                               ", not a class (0.." + std::to_string(classes - 1) + ")");
    }
  }
  return data;
}

LabeledImages load_fashion_mnist(const std::string& directory, FashionMnistSplit split, std::int64_t limit) {
  return to_labeled_images(load_fashion_mnist_stored(directory, split, limit));
}

}  // namespace alexnet
