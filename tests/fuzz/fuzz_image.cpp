// libFuzzer target: the image decoding path (datasets/image_decoder.cpp: libjpeg-turbo, libpng) and the
// rescale-and-crop that follows it, under a small pixel limit so that the fuzzer explores, not allocates.
#include "datasets/image.hpp"
#include "fuzz_input.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string bytes(reinterpret_cast<const char*>(data), size);
  for (const int target : {0, 16}) {
    alexnet::fuzz::expect_named_errors_only([&] {
      const alexnet::TensorF image = alexnet::decode_image_bytes_rgb(bytes, "input", {1 << 20, target});
      alexnet::resize_and_crop_centre(image, 8);
    });
  }
  return 0;
}
