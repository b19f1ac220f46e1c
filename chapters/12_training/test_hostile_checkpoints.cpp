// Checkpoints, logs and plots from outside: `latest` may only name a checkpoint folder directly inside the
// run's folder, every manifest field is range-checked, killed saves leave nothing behind for long, a
// failed save names the intact checkpoint, and gnuplot never sees a name it could execute.
#include <catch2/catch.hpp>

#include <unistd.h>

#include <cmath>
#include <filesystem>
#include <fstream>
#include <string>

#include "datasets/synthetic.hpp"
#include "training/plot_script.hpp"
#include "training/trainer.hpp"

using namespace alexnet;
namespace fs = std::filesystem;

namespace {

std::string fresh_folder(const std::string& name) {
  const fs::path folder = fs::temp_directory_path() / ("alexnet_test_hostile_" + name);
  fs::remove_all(folder);
  fs::create_directories(folder);
  return folder.string();
}

void write_text(const fs::path& path, const std::string& text) { std::ofstream(path, std::ios::binary) << text; }

std::string read_text(const fs::path& path) {
  std::ifstream in(path, std::ios::binary);
  return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

// One epoch of the tiny network on 24 synthetic 31×31 images (4 batches of 6), saved in `out`.
struct TinyRun {
  TrainValidationSplit data = hold_out_validation(to_stored_images(synthetic_images(32, 31, 5, 7)), 8, 3);
  Plan plan = make_plan(alexnet_tiny());

  TrainingConfig config(const std::string& out, int epochs, bool resume) const {
    TrainingConfig c;
    c.device = "cpu";
    c.epochs = epochs;
    c.batch = 6;
    c.seed = 2;
    c.recipe.image_side = 31;
    c.recipe.crop_side = 31;
    c.recipe.augment.colour_stddev = 0.0;
    c.out = out;
    c.resume = resume;
    c.settings = {{"variant", "tiny"}};
    return c;
  }

  TrainingResult run(const std::string& out, int epochs, bool resume) const {
    ProgressBar quiet(std::tmpfile());
    return train(plan, config(out, epochs, resume), data.train, data.validation, quiet);
  }
};

// The manifest of `folder` with the line of `key` replaced by "key value".
void set_manifest_field(const fs::path& folder, const std::string& key, const std::string& value) {
  std::string text = read_text(folder / "manifest.txt");
  const std::size_t start = text.find("\n" + key + " ") + 1;
  REQUIRE(start != 0);
  text.replace(start, text.find('\n', start) - start, key + " " + value);
  write_text(folder / "manifest.txt", text);
}

}  // namespace

TEST_CASE("latest must name a checkpoint folder directly inside the run's folder", "[checkpoint][hostile]") {
  const TinyRun tiny;
  const std::string root = fresh_folder("latest");
  const std::string other = root + "/other_run", out = root + "/run";
  tiny.run(other, 1, false);
  tiny.run(out, 1, false);
  for (const std::string& name : std::vector<std::string>{"../other_run/checkpoint-epoch-1", other + "/checkpoint-epoch-1", "checkpoint-epoch-1/",
                                  "checkpoint-epoch-1/../../other_run/checkpoint-epoch-1", "", "log.csv"}) {
    INFO(name);
    write_text(fs::path(out) / "latest", name + "\n");
    CHECK_THROWS_WITH(latest_checkpoint(out),
                      Catch::StartsWith(out + "/latest: expected the name of a checkpoint folder directly inside " + out));
    CHECK_THROWS_WITH(tiny.run(out, 2, true), Catch::StartsWith(out + "/latest: expected the name"));
  }
  CHECK(fs::exists(other + "/checkpoint-epoch-1/manifest.txt"));  // never trained from, never deleted
  CHECK(read_text(other + "/latest") == "checkpoint-epoch-1\n");

  // A checkpoint name that is a symbolic link to a folder outside is not followed.
  fs::rename(fs::path(out) / "checkpoint-epoch-1", fs::path(out) / "moved");
  fs::create_directory_symlink(fs::path(other) / "checkpoint-epoch-1", fs::path(out) / "checkpoint-epoch-1");
  write_text(fs::path(out) / "latest", "checkpoint-epoch-1\n");
  CHECK_THROWS_WITH(latest_checkpoint(out), Catch::Contains("is not a folder (a symbolic link is not followed)"));
  CHECK(fs::exists(other + "/checkpoint-epoch-1/manifest.txt"));
}

TEST_CASE("every field of a checkpoint manifest is range-checked", "[checkpoint][hostile]") {
  const TinyRun tiny;
  const std::string out = fresh_folder("manifest");
  const fs::path folder = tiny.run(out, 1, false).checkpoint;
  const std::string manifest = (folder / "manifest.txt").string();
  const std::string good = read_text(manifest);
  const auto refused = [&](const std::string& key, const std::string& value) {
    write_text(manifest, good);
    set_manifest_field(folder, key, value);
    std::string message = "no error";
    try {
      load_checkpoint(out, tiny.plan);
    } catch (const std::runtime_error& error) {
      message = error.what();
    }
    return message;
  };
  CHECK(refused("epoch", "-5") == manifest + ": epoch: expected an integer in [0, 1000000], got '-5'");
  CHECK(refused("epoch", "9999999999") == manifest + ": epoch: expected an integer in [0, 1000000], got '9999999999'");
  CHECK(refused("learning_rate", "-1") ==
        manifest + ": learning_rate: expected a finite number in [0, 1e+09], got '-1'");
  CHECK(refused("learning_rate", "nan") ==
        manifest + ": learning_rate: expected a finite number in [0, 1e+09], got 'nan'");
  CHECK(refused("learning_rate", "0") == manifest + ": learning_rate: expected a number above 0, got 0");
  CHECK(refused("step", "9223372036854775800") ==
        manifest + ": step: expected an integer in [0, 1125899906842624], got '9223372036854775800'");
  CHECK(refused("train_seen", "9223372036854775807") ==
        manifest + ": train_seen: expected an integer in [0, 1125899906842624], got '9223372036854775807'");
  CHECK(refused("best_validation_error", "1.5") ==
        manifest + ": best_validation_error: expected a finite number in [0, 1], got '1.5'");
  CHECK(refused("train_correct", "7") == manifest + ": train_correct is 7, expected at most 0 (train_seen)");
  CHECK(refused("reductions", "3") == manifest + ": reductions is 3, expected at most 1 (epoch)");
  write_text(manifest, good + "epoch 1\n");
  CHECK_THROWS_WITH(load_checkpoint(out, tiny.plan), Catch::Contains(": 'epoch' is already given on line"));
  write_text(manifest, good);

  // batch_in_epoch beyond the epoch: 24 training images in batches of 6 are 4 batches (0..3).
  set_manifest_field(folder, "batch_in_epoch", "100");
  CHECK_THROWS_WITH(tiny.run(out, 2, true), out + ": the checkpoint's batch_in_epoch is 100, beyond the epoch (4 "
                                                  "batches of 6 images)");
  write_text(manifest, good);
  fs::remove(manifest);
  fs::create_directory(manifest);
  CHECK_THROWS_WITH(load_checkpoint(out, tiny.plan),
                    manifest + ": expected a checkpoint manifest (a regular file), got a directory");
}

TEST_CASE("stale temporaries of killed saves are removed at the start of a run", "[checkpoint][hostile]") {
  const TinyRun tiny;
  const std::string out = fresh_folder("stale");
  const fs::path kept = tiny.run(out, 1, false).checkpoint;
  // 999999999 is above Linux's largest pid (2^22): no process runs with it.
  fs::create_directories(fs::path(out) / ".checkpoint-epoch-2.tmp-999999999" / "velocity");
  write_text(fs::path(out) / ".checkpoint-epoch-2.tmp-999999999" / "velocity" / "fc8.weight.npy", "half");
  write_text(fs::path(out) / "latest.tmp-999999999", "checkpoint-epoch-2");
  write_text(fs::path(out) / "log.csv.tmp-999999999", "epoch");
  write_text(kept / "velocity" / "conv1.weight.npy.tmp-999999999", "half");
  const std::string ours = "latest.tmp-" + std::to_string(::getpid());  // a save still running: left alone
  write_text(fs::path(out) / ours, "x");
  write_text(fs::path(out) / "notes.tmp-draft", "mine");  // not a temporary of ours
  const std::vector<std::string> removed = remove_stale_temporaries(out);
  CHECK(removed.size() == 4);
  CHECK_FALSE(fs::exists(fs::path(out) / ".checkpoint-epoch-2.tmp-999999999"));
  CHECK_FALSE(fs::exists(fs::path(out) / "latest.tmp-999999999"));
  CHECK_FALSE(fs::exists(kept / "velocity" / "conv1.weight.npy.tmp-999999999"));
  CHECK(fs::exists(fs::path(out) / ours));
  CHECK(fs::exists(fs::path(out) / "notes.tmp-draft"));
  CHECK(fs::exists(kept / "velocity" / "conv1.weight.npy"));
}

TEST_CASE("a complete checkpoint without latest is found by --resume and guards a fresh run", "[checkpoint][hostile]") {
  const TinyRun tiny;
  const std::string straight = fresh_folder("unnamed_straight"), out = fresh_folder("unnamed");
  const TrainingResult reference = tiny.run(straight, 2, false);
  tiny.run(out, 1, false);
  fs::remove(fs::path(out) / "latest");  // killed between renaming checkpoint-epoch-1 and writing latest
  CHECK(complete_checkpoint_without_latest(out) == out + "/checkpoint-epoch-1");
  CHECK_THROWS_WITH(tiny.run(out, 2, false), Catch::Contains("already holds a complete checkpoint, " + out +
                                                              "/checkpoint-epoch-1") &&
                                                 Catch::Contains("pass --resume"));
  const TrainingResult resumed = tiny.run(out, 2, true);
  REQUIRE(resumed.log.size() == 2);
  CHECK(resumed.log[1].validation_loss == reference.log[1].validation_loss);
  CHECK(latest_checkpoint(out) == out + "/checkpoint-epoch-2");
  CHECK_FALSE(fs::exists(fs::path(out) / "checkpoint-epoch-1"));
}

TEST_CASE("a failed save removes its partial folder and names the intact checkpoint", "[checkpoint][hostile]") {
  const TinyRun tiny;
  const std::string out = fresh_folder("failed_save");
  const TrainingResult first = tiny.run(out, 1, false);
  Checkpoint broken = load_checkpoint(out, tiny.plan);
  broken.progress.epoch = 2;
  broken.parameters.back().name = "no/such/folder/fc8";  // its file cannot be written
  CHECK_THROWS_WITH(save_checkpoint(out, broken),
                    Catch::StartsWith(out + ": cannot save checkpoint-epoch-2 (") &&
                        Catch::EndsWith("; the intact checkpoint is " + first.checkpoint));
  CHECK(latest_checkpoint(out) == first.checkpoint);
  for (const fs::directory_entry& entry : fs::directory_iterator(out)) {
    CHECK(entry.path().filename().string().find(".tmp-") == std::string::npos);
  }
  CHECK_FALSE(fs::exists(fs::path(out) / "checkpoint-epoch-2"));
}

TEST_CASE("log.csv: every field range-checked, the line named", "[log][hostile]") {
  const std::string dir = fresh_folder("log");
  const std::string header =
      "epoch,lr,train_loss,train_top1,subset_loss,subset_top1,val_loss,val_top1,val_top5,seconds\n";
  const std::string row = "1,0.01,2.0,0.5,1.8,0.6,1.9,0.55,0.9,3.5\n";
  const std::string path = dir + "/log.csv";
  write_text(path, header + row);
  REQUIRE(read_log_csv(path).size() == 1);
  CHECK(read_log_csv(path)[0].subset_top1 == 0.6);
  write_text(path, header + row + "2,nan,2.0,0.5,1.8,0.6,1.9,0.55,0.9,3.5\n");
  CHECK_THROWS_WITH(read_log_csv(path), path + ":3: lr: expected a finite number in [0, 1e+09], got 'nan'");
  write_text(path, header + "99999999999,0.01,2.0,0.5,1.8,0.6,1.9,0.55,0.9,3.5\n");
  CHECK_THROWS_WITH(read_log_csv(path), path + ":2: epoch: expected an integer in [1, 1000000], got '99999999999'");
  write_text(path, header + "1,0.01,2.0,0.5,1.8,1.6,1.9,0.55,0.9,3.5\n");
  CHECK_THROWS_WITH(read_log_csv(path), path + ":2: subset_top1: expected a finite number in [0, 1], got '1.6'");
  write_text(path, header + "1,0.01,2.0\n");
  CHECK_THROWS_WITH(read_log_csv(path), path + ":2: expected 10 comma-separated numbers, got '1,0.01,2.0'");
  // A log of an older version, without the subset's columns, and one whose subset was not measured: NaN.
  write_text(path, "epoch,lr,train_loss,train_top1,val_loss,val_top1,val_top5,seconds\n"
                   "1,0.01,2.0,0.5,1.9,0.55,0.9,3.5\n");
  REQUIRE(read_log_csv(path).size() == 1);
  CHECK(std::isnan(read_log_csv(path)[0].subset_top1));
  CHECK(read_log_csv(path)[0].validation_top1 == 0.55);
  CHECK_THAT(log_csv(read_log_csv(path)),
             Catch::EndsWith("\n1,0.01,2.000000,0.500000,,,1.900000,0.550000,0.900000,3.5\n"));
  write_text(path, header + "1,0.01,2.0,0.5,,,1.9,0.55,0.9,3.5\n");
  CHECK(std::isnan(read_log_csv(path)[0].subset_loss));
  write_text(path, "epoch,lr\n");
  CHECK_THROWS_WITH(read_log_csv(path), Catch::StartsWith(path + ":1: expected the header 'epoch,lr,train_loss,"));
  CHECK_THROWS_WITH(read_log_csv(dir), dir + ": expected a training log (log.csv) (a regular file), got a directory");
}

TEST_CASE("steps.csv: every field range-checked, the steps consecutive", "[log][hostile]") {
  const std::string dir = fresh_folder("steps");
  const std::string path = dir + "/steps.csv";
  write_text(path, "step,epoch,lr,loss\n1,0.5,0.04,2.25\n2,1,0.04,1.5\n");
  const std::vector<StepRecord> steps = read_steps_csv(path);
  REQUIRE(steps.size() == 2);
  CHECK(steps[1].epoch == 1.0);
  CHECK(steps[1].loss == 1.5);
  write_text(path, "step,epoch,lr,loss\n1,0.5,0.04,2.25\n3,1,0.04,1.5\n");
  CHECK_THROWS_WITH(read_steps_csv(path), path + ":3: expected step 2, got 3");
  write_text(path, "step,epoch,lr,loss\n7,0.5,0.04,2.25\n8,1,0.04,1.5\n");  // a run resumed without the file
  CHECK(read_steps_csv(path).front().step == 7);
  write_text(path, "step,epoch,lr,loss\n1,0.5,0.04,-1\n");
  CHECK_THROWS_WITH(read_steps_csv(path), path + ":2: loss: expected a finite number in [0, 1e+300], got '-1'");
  write_text(path, "step,epoch,lr,loss\n1,0.5,0.04\n");
  CHECK_THROWS_WITH(read_steps_csv(path), path + ":2: expected 4 comma-separated numbers, got '1,0.5,0.04'");
  write_text(path, "step;epoch\n");
  CHECK_THROWS_WITH(read_steps_csv(path), path + ":1: expected the header 'step,epoch,lr,loss', got 'step;epoch'");
}

TEST_CASE("gnuplot strings: quotes doubled, control characters blanked", "[plot][hostile]") {
  CHECK(gnuplot_string("plain") == "'plain'");
  CHECK(gnuplot_string("c.png'; system('touch x'); #") == "'c.png''; system(''touch x''); #'");
  CHECK(gnuplot_string("two\nlines\r") == "'two lines '");
  CHECK(gnuplot_string("`touch x` @macro \"x\"") == "'`touch x` @macro \"x\"'");  // not expanded in single quotes
  // The script holds the logs as numbers and every name only inside gnuplot_string().
  TrainingCurves run;
  run.log = {{1, 0.01, 2.0, 0.5, 1.75, 0.625, 1.5, 0.75, 0.9, 3.5}};
  run.steps = {{1, 0.5, 0.01, 2.5}, {2, 1.0, 0.01, 2.25}};
  run.name = "a'b\nsystem('touch y')";
  const std::string script = training_curves_script({run});
  CHECK_THAT(script, Catch::Contains("title 'a''b system(''touch y'') validation'"));
  CHECK_THAT(script, Catch::StartsWith("$log0 << EOD\n1 2 0.5 1.75 0.625 1.5 0.75\nEOD\n"
                                       "$steps0 << EOD\n0.5 2.5\n1 2.25\nEOD\n"));
  CHECK_THAT(script, !Catch::Contains("set output"));
}
