#include "training/progress.hpp"

#include <unistd.h>

#include <string>

namespace alexnet {
namespace {

constexpr int kBarWidth = 24;

// "1:05" or "1:02:05".
std::string clock_text(double seconds) {
  const auto total = static_cast<long long>(seconds + 0.5);
  char text[32];
  if (total >= 3600) {
    std::snprintf(text, sizeof text, "%lld:%02lld:%02lld", total / 3600, total / 60 % 60, total % 60);
  } else {
    std::snprintf(text, sizeof text, "%lld:%02lld", total / 60, total % 60);
  }
  return text;
}

}  // namespace

ProgressBar::ProgressBar(std::FILE* stream, bool bar)
    : stream_(stream), terminal_(bar && stream != nullptr && ::isatty(::fileno(stream)) != 0) {}

void ProgressBar::start_epoch(int epoch, int epochs, std::int64_t images, std::int64_t done) {
  epoch_ = epoch;
  epochs_ = epochs;
  images_ = images;
  first_ = done;
  quarters_printed_ = static_cast<int>(4 * done / images);
  start_ = last_draw_ = std::chrono::steady_clock::now();
}

void ProgressBar::update(std::int64_t done, double loss, double accuracy) {
  const auto now = std::chrono::steady_clock::now();
  const double seconds = std::chrono::duration<double>(now - start_).count();
  const double rate = seconds > 0 ? static_cast<double>(done - first_) / seconds : 0.0;
  const double left = rate > 0 ? static_cast<double>(images_ - done) / rate : 0.0;
  const auto line = [&] {
    return "epoch " + std::to_string(epoch_) + "/" + std::to_string(epochs_);
  };
  if (stream_ == nullptr) return;
  if (terminal_) {
    if (done < images_ && std::chrono::duration<double>(now - last_draw_).count() < 0.2) return;
    last_draw_ = now;
    const auto filled = static_cast<int>(kBarWidth * done / images_);
    std::fprintf(stream_, "\r%s [%s%s] %lld/%lld  %.0f images/s  loss %.4f  top-1 %.2f%%  left %s ",
                 line().c_str(), std::string(static_cast<std::size_t>(filled), '#').c_str(),
                 std::string(static_cast<std::size_t>(kBarWidth - filled), '.').c_str(),
                 static_cast<long long>(done), static_cast<long long>(images_), rate, loss, 100.0 * accuracy,
                 clock_text(left).c_str());
    std::fflush(stream_);
    return;
  }
  const auto quarters = static_cast<int>(4 * done / images_);
  if (quarters <= quarters_printed_ || done == images_) return;  // the epoch's summary follows the last quarter
  quarters_printed_ = quarters;
  std::fprintf(stream_, "%s: %lld/%lld images, %.0f images/s, loss %.4f, top-1 %.2f%%, %s left\n", line().c_str(),
               static_cast<long long>(done), static_cast<long long>(images_), rate, loss, 100.0 * accuracy,
               clock_text(left).c_str());
  std::fflush(stream_);
}

void ProgressBar::start_run(const std::string& backend, int first_epoch, long long first_batch) {
  if (stream_ == nullptr) return;
  std::fprintf(stream_, "training on %s", backend.c_str());
  if (first_epoch > 1 || first_batch > 0) {
    std::fprintf(stream_, ", resumed at epoch %d, batch %lld", first_epoch, first_batch + 1);
  }
  std::fprintf(stream_, "\n");
  std::fflush(stream_);
}

void ProgressBar::finish_epoch() {
  if (terminal_) std::fprintf(stream_, "\n");
}

void ProgressBar::end_epoch(const EpochRecord& r) {
  if (stream_ == nullptr) return;
  finish_epoch();
  std::fprintf(stream_,
               "epoch %d: lr %g, train loss %.4f top-1 %.2f%%; validation loss %.4f top-1 %.2f%% top-5 %.2f%%; %.0f s\n",
               r.epoch, r.learning_rate, r.train_loss, 100.0 * r.train_top1, r.validation_loss,
               100.0 * r.validation_top1, 100.0 * r.validation_top5, r.seconds);
  std::fflush(stream_);
}

}  // namespace alexnet
