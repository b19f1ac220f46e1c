#include "training/trainer.hpp"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <stdexcept>

#include "reference_cpu/atomic_file.hpp"
#include "reference_cpu/format.hpp"
#include "reference_cpu/softmax_cross_entropy.hpp"

namespace alexnet {
namespace {

namespace fs = std::filesystem;

double seconds_since(std::chrono::steady_clock::time_point start) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
}

// The checkpoint --resume continues: the one out/latest names, or else (with a note) the last complete
// checkpoint a run killed before writing `latest` left.
Checkpoint resumed_checkpoint(const Plan& plan, const TrainingConfig& config) {
  if (fs::exists(fs::symlink_status(fs::path(config.out) / "latest"))) return load_checkpoint(config.out, plan);
  const std::string found = complete_checkpoint_without_latest(config.out);
  if (found.empty()) return load_checkpoint(config.out, plan);  // throws: nothing to resume from
  std::fprintf(stderr, "note: %s/latest is missing; resuming from %s, a complete checkpoint it did not name yet\n",
               config.out.c_str(), found.c_str());
  write_file_atomically((fs::path(config.out) / "latest").string(),
                        [&](std::ostream& file) { file << fs::path(found).filename().string() << '\n'; });
  return load_checkpoint(config.out, plan);
}

// The checkpoint to start from: a fresh run's initial weights and zero velocity, or the one to resume.
Checkpoint starting_point(const Plan& plan, const TrainingConfig& config) {
  const fs::path latest = fs::path(config.out) / "latest";
  if (!config.resume) {
    if (fs::exists(fs::symlink_status(latest))) {
      throw std::runtime_error(config.out + " already holds a training run (" + latest.string() +
                               "): pass --resume to continue it, or choose another --out");
    }
    const std::string unnamed = complete_checkpoint_without_latest(config.out);
    if (!unnamed.empty()) {
      throw std::runtime_error(config.out + " already holds a complete checkpoint, " + unnamed +
                               " (its run stopped before writing latest): pass --resume to continue it, or choose "
                               "another --out");
    }
    Checkpoint start;
    start.settings = config.settings;
    start.progress.schedule = start_schedule(config.schedule);
    start.parameters = initial_parameters(plan, config.seed);
    start.velocity = allocate_parameters(plan);  // zero
    return start;
  }
  Checkpoint start = resumed_checkpoint(plan, config);
  for (const auto& [key, value] : config.settings) {
    const auto saved = start.settings.find(key);
    const std::string was = saved == start.settings.end() ? "(not recorded)" : saved->second;
    if (was != value) {
      throw std::runtime_error("the checkpoint in " + config.out + " was trained with " + key + " " + was +
                               "; this run asks for " + key + " " + value + ": resume with the same settings");
    }
  }
  return start;
}

// The log of the epochs a resumed run has finished (the rows after its checkpoint are dropped).
std::vector<EpochRecord> earlier_log(const TrainingConfig& config, int epochs_done) {
  const std::string path = (fs::path(config.out) / "log.csv").string();
  if (!config.resume || !fs::exists(path)) return {};
  std::vector<EpochRecord> log = read_log_csv(path);
  log.erase(std::remove_if(log.begin(), log.end(), [&](const EpochRecord& r) { return r.epoch > epochs_done; }),
            log.end());
  return log;
}

// The steps a resumed run has taken (the rows after its checkpoint are dropped). A file that ends before the
// checkpoint's step cannot be continued without a gap: its rows are dropped, with a note.
std::vector<StepRecord> earlier_steps(const TrainingConfig& config, std::uint64_t steps_done) {
  const std::string path = (fs::path(config.out) / "steps.csv").string();
  if (!config.resume || !fs::exists(path)) return {};
  std::vector<StepRecord> steps = read_steps_csv(path);
  const auto done = static_cast<std::int64_t>(steps_done);
  if (!steps.empty() && steps.back().step < done) {
    std::fprintf(stderr, "note: %s ends at step %lld, the checkpoint at step %lld: it starts again from here\n",
                 path.c_str(), static_cast<long long>(steps.back().step), static_cast<long long>(done));
    return {};
  }
  steps.erase(std::remove_if(steps.begin(), steps.end(), [&](const StepRecord& s) { return s.step > done; }),
              steps.end());
  return steps;
}

// The images of `train_set` evaluated in test mode at each epoch's end: its first ones, as many as the validation
// set holds, so the two accuracies have the same binomial standard error.
StoredImages training_subset(const StoredImages& train_set, const StoredImages& validation) {
  std::vector<std::int64_t> first(static_cast<std::size_t>(std::min(train_set.count, validation.count)));
  for (std::size_t i = 0; i < first.size(); ++i) first[i] = static_cast<std::int64_t>(i);
  return select_images(train_set, first);
}

// One SGD step on a batch of `whole` images of which `share` are this process's; returns the whole batch's mean
// loss and the number of its images classified right. Each process differentiates its share of the whole batch's
// mean loss, Σ_share loss_i / whole, so the gradients summed over the processes are the whole batch's.
std::pair<double, std::int64_t> train_step(TrainingBackend& backend, const Batch& share, std::int64_t whole,
                                           const RunOptions& options, double learning_rate, SgdParams sgd,
                                           Workers& workers) {
  const TensorF logits = backend.forward(share.images, options);
  const auto images = static_cast<double>(share.labels.size());
  const double share_loss = cpu::softmax_cross_entropy_forward(logits, share.labels);
  std::vector<double> totals{share_loss * images, cpu::top_k_accuracy(logits, share.labels, 1) * images};
  workers.sum(totals);
  const double loss = workers.size() == 1 ? share_loss : totals[0] / static_cast<double>(whole);
  if (!std::isfinite(loss)) return {loss, 0};
  TensorF grad_logits = cpu::softmax_cross_entropy_backward(cpu::softmax_forward(logits), share.labels);
  if (share.labels.size() != static_cast<std::size_t>(whole)) {
    const auto part = static_cast<float>(images / static_cast<double>(whole));  // 1/P: exact for P a power of 2
    for (std::int64_t i = 0; i < grad_logits.size(); ++i) grad_logits[i] *= part;
  }
  backend.backward(grad_logits, options);
  backend.sgd_step(learning_rate, sgd);
  return {loss, std::llround(totals[1])};
}

// Whether any process was asked to stop (Ctrl-C): all of them stop at the same step.
bool any_stop_requested(const TrainingConfig& config, Workers& workers) {
  std::vector<double> asked{config.stop_requested && config.stop_requested() ? 1.0 : 0.0};
  workers.sum(asked);
  return asked[0] > 0;
}


// Whether every weight and bias is a number (SGD with too large a step overflows them to ±inf, then NaN).
bool all_finite(const Parameters<float>& parameters) {
  for (const LayerTensors<float>& layer : parameters) {
    for (const Tensor<float>* t : {&layer.weight, &layer.bias}) {
      if (!std::all_of(t->values().begin(), t->values().end(), [](float v) { return std::isfinite(v); })) return false;
    }
  }
  return true;
}

// "<what>: training stopped; the last good checkpoint is out/checkpoint-epoch-2".
std::string divergence_message(const TrainingConfig& config, const std::string& what) {
  const bool kept = fs::exists(fs::path(config.out) / "latest");
  return what + ": training stopped; " +
         (kept ? "the last good checkpoint is " + latest_checkpoint(config.out) : "no checkpoint had been written yet");
}

// The steps of one epoch from batch at.batch on, counting into `at` and adding each to `steps`; returns false when
// stop_requested() asked to stop before the epoch's last batch.
bool train_epoch(TrainingBackend& backend, const TrainingConfig& config, const StoredImages& train_set, int epoch,
                 TrainingProgress& at, std::vector<StepRecord>& steps, ProgressBar& progress, Workers& workers) {
  const std::int64_t batches = batch_count(train_set.count, config.batch);
  const std::vector<std::int64_t> order = epoch_order(train_set.count, config.seed, static_cast<std::uint64_t>(epoch));
  const std::int64_t first = at.batch;  // > 0 when resuming an interrupted epoch
  BatchQueue queue(batches - first, [&](std::int64_t i) {  // this process's share of each batch
    const std::vector<std::int64_t> whole = batch_indices(order, config.batch, first + i);
    const Share share = workers.share_of(static_cast<std::int64_t>(whole.size()));
    return prepare_batch(train_set, {whole.begin() + share.first, whole.begin() + share.first + share.count},
                         static_cast<std::uint64_t>(epoch), config.recipe);
  }, backend.batches_ahead());
  progress.start_epoch(epoch, config.epochs, train_set.count, at.train_seen);
  while (std::optional<Batch> batch = queue.next()) {
    const std::int64_t whole = std::min(config.batch, train_set.count - at.batch * config.batch);
    const RunOptions options{true, config.seed, at.step, static_cast<std::uint64_t>(workers.share_of(whole).first)};
    const auto [loss, correct] =
        train_step(backend, *batch, whole, options, at.schedule.learning_rate, config.sgd, workers);
    if (!std::isfinite(loss)) {
      progress.finish_epoch();
      throw std::runtime_error(divergence_message(
          config, format("the loss is %g at step %llu (epoch %d, batch %lld of %lld, learning rate %g)", loss,
                         static_cast<unsigned long long>(at.step), epoch, static_cast<long long>(at.batch + 1),
                         static_cast<long long>(batches), at.schedule.learning_rate)));
    }
    ++at.step;
    ++at.batch;
    steps.push_back({static_cast<std::int64_t>(at.step),
                     epoch - 1 + static_cast<double>(at.batch) / static_cast<double>(batches), at.schedule.learning_rate,
                     loss});
    at.train_loss_sum += loss * static_cast<double>(whole);
    at.train_correct += correct;
    at.train_seen += whole;
    progress.update(at.train_seen, at.train_loss_sum / static_cast<double>(at.train_seen),
                    static_cast<double>(at.train_correct) / static_cast<double>(at.train_seen));
    if (workers.size() > 1 && at.batch == first + 1) {  // the weights after the run's (and each epoch's) first step
      workers.require_same(weights_checksum(backend.parameters()), format("the weights after step %llu",
                                                                          static_cast<unsigned long long>(at.step)));
    }
    if (any_stop_requested(config, workers) && at.batch < batches) {  // Ctrl-C, polled once per step
      progress.finish_epoch();
      return false;
    }
  }
  return true;
}

// The folder made ready (stale temporaries removed) and the checkpoint to start from.
Checkpoint open_run(const Plan& plan, const TrainingConfig& config) {
  fs::create_directories(config.out);
  for (const std::string& stale : remove_stale_temporaries(config.out)) {
    std::fprintf(stderr, "note: removed %s, left by an earlier run's interrupted save\n", stale.c_str());
  }
  return starting_point(plan, config);
}

// Refuses, on every process alike, a run its processes cannot share: different settings, a batch they cannot
// split evenly, an epoch whose last batch has fewer images than processes.
void require_shareable(const TrainingConfig& config, const StoredImages& train_set, Workers& workers) {
  std::string settings;
  for (const auto& [key, value] : config.settings) settings += key + "=" + value + ";";
  workers.require_same(checksum(settings.data(), settings.size()), "the settings (--variant, --batch, --seed, ...)");
  if (workers.size() == 1) return;
  const auto processes = static_cast<std::int64_t>(workers.size());
  if (config.batch % processes != 0) {
    throw CollectiveError(format("--data-parallel: a batch of %lld images does not split evenly over %lld processes; "
                                 "choose a --batch that %lld divides", static_cast<long long>(config.batch),
                                 static_cast<long long>(processes), static_cast<long long>(processes)));
  }
  const std::int64_t last = train_set.count % config.batch;
  if (last > 0 && last < processes) {
    throw CollectiveError(format("--data-parallel: each epoch's last batch holds %lld image%s, fewer than the %lld "
                                 "processes; choose another --limit or --batch", static_cast<long long>(last),
                                 last == 1 ? "" : "s", static_cast<long long>(processes)));
  }
}

// Batch normalization's running statistics, which each process moved with the statistics of its own share of
// every batch, replaced on every process by their average over the processes (before an evaluation or a
// checkpoint uses them).
void average_running_statistics(TrainingBackend& backend, Workers& workers) {
  if (workers.size() == 1) return;
  Parameters<float> parameters = backend.parameters();
  std::vector<double> values;
  for (const LayerTensors<float>& layer : parameters) {
    for (const TensorF* t : {&layer.running_mean, &layer.running_var}) {
      values.insert(values.end(), t->values().begin(), t->values().end());
    }
  }
  if (values.empty()) return;
  workers.sum(values);
  std::size_t next = 0;
  for (LayerTensors<float>& layer : parameters) {
    for (TensorF* t : {&layer.running_mean, &layer.running_var}) {
      for (std::int64_t i = 0; i < t->size(); ++i) {
        (*t)[i] = static_cast<float>(values[next++] / static_cast<double>(workers.size()));
      }
    }
  }
  backend.set_running_statistics(parameters);
}

}  // namespace

TrainingResult train(const Plan& plan, const TrainingConfig& config, const StoredImages& train_set,
                     const StoredImages& validation, ProgressBar& progress) {
  Workers& workers = config.workers != nullptr ? *config.workers : this_process_alone();
  require_shareable(config, train_set, workers);
  Checkpoint state;
  if (workers.leads()) state = open_run(plan, config);  // first: process 0 alone writes in the folder
  workers.barrier();
  if (!workers.leads()) state = starting_point(plan, config);
  TrainingProgress& at = state.progress;
  const std::int64_t batches = batch_count(train_set.count, config.batch);
  if (at.batch >= batches) {
    throw std::runtime_error(format("%s: the checkpoint's batch_in_epoch is %lld, beyond the epoch (%lld batches of "
                                    "%lld images)", config.out.c_str(), static_cast<long long>(at.batch),
                                    static_cast<long long>(batches), static_cast<long long>(config.batch)));
  }
  TrainingResult result;
  result.log = earlier_log(config, at.epoch);
  std::vector<StepRecord> steps = earlier_steps(config, at.step);
  const StoredImages subset = training_subset(train_set, validation);
  std::vector<int> gpus = config.gpus;
  if (workers.size() > 1 && config.device == "cuda" && gpus.empty()) gpus = {workers.local_rank()};  // a GPU each
  result.backend = make_training_backend(config.device, plan, std::move(state.parameters), std::move(state.velocity),
                                         gpus, config.gpu_options);
  if (workers.size() > 1) result.backend->share_gradients(workers);
  const auto save = [&] {  // the steps so far, then the checkpoint (a resumed run drops the steps after it)
    state.parameters = result.backend->parameters();
    if (workers.size() > 1) {
      workers.require_same(weights_checksum(state.parameters),
                           format("the weights at step %llu's checkpoint", static_cast<unsigned long long>(at.step)));
    }
    if (!workers.leads()) return;
    write_file_atomically((fs::path(config.out) / "steps.csv").string(),
                          [&](std::ostream& file) { file << steps_csv(steps); });
    state.velocity = result.backend->velocity();
    result.checkpoint = save_checkpoint(config.out, state);
  };
  const std::string sharing =
      workers.size() == 1 ? ""
                          : format("; %d processes share each batch (%s)", workers.size(),
                                   config.device == "cuda" ? "NCCL sums the gradients" : "MPI");
  progress.start_run(result.backend->description() + sharing, at.epoch + 1, at.batch);

  for (int epoch = at.epoch + 1; epoch <= config.epochs; ++epoch) {
    const auto start = std::chrono::steady_clock::now();
    const double learning_rate = at.schedule.learning_rate;
    const bool finished = train_epoch(*result.backend, config, train_set, epoch, at, steps, progress, workers);
    average_running_statistics(*result.backend, workers);
    if (!finished) {
      save();  // in the middle of the epoch: where it stands
      result.interrupted = true;
      return result;
    }
    const Evaluation checked = evaluate(*result.backend, validation, config.recipe, config.batch, false, workers);
    if (!std::isfinite(checked.loss) || !all_finite(result.backend->parameters())) {  // never checkpoint bad weights
      throw std::runtime_error(divergence_message(
          config, format("the weights are no longer finite after epoch %d (validation loss %g, learning rate %g)",
                         epoch, checked.loss, learning_rate)));
    }
    const Evaluation fitted = evaluate(*result.backend, subset, config.recipe, config.batch, false, workers);
    const EpochRecord record{epoch,
                             learning_rate,
                             at.train_loss_sum / static_cast<double>(at.train_seen),
                             static_cast<double>(at.train_correct) / static_cast<double>(at.train_seen),
                             fitted.loss,
                             fitted.top1,
                             checked.loss,
                             checked.top1,
                             checked.top5,
                             seconds_since(start)};
    result.log.push_back(record);
    progress.end_epoch(record);
    end_epoch(config.schedule, epoch, 1.0 - checked.top1, at.schedule);
    at.epoch = epoch;
    at.batch = 0;
    at.train_loss_sum = 0;
    at.train_correct = at.train_seen = 0;
    if (workers.leads()) {
      write_file_atomically((fs::path(config.out) / "log.csv").string(),
                            [&](std::ostream& file) { file << log_csv(result.log); });
    }
    save();
    if (any_stop_requested(config, workers) && epoch < config.epochs) {  // Ctrl-C during validation
      result.interrupted = true;
      return result;
    }
  }
  return result;
}

namespace {

// evaluate() in this process alone.
Evaluation evaluate_here(TrainingBackend& backend, const StoredImages& data, const BatchRecipe& recipe,
                         std::int64_t batch, bool ten_crop) {
  BatchRecipe test_recipe = recipe;
  test_recipe.train = false;
  std::vector<std::int64_t> all(static_cast<std::size_t>(data.count));
  for (std::int64_t i = 0; i < data.count; ++i) all[static_cast<std::size_t>(i)] = i;
  const std::int64_t images_per_pass = ten_crop ? std::max<std::int64_t>(1, batch / 10) : batch;
  const std::int64_t batches = batch_count(data.count, images_per_pass);
  BatchQueue queue(batches, [&](std::int64_t i) {
    const std::vector<std::int64_t> indices = batch_indices(all, images_per_pass, i);
    return ten_crop ? prepare_ten_crop_batch(data, indices, test_recipe) : prepare_batch(data, indices, 0, test_recipe);
  }, backend.batches_ahead());
  Evaluation result;
  double loss_sum = 0, top1_sum = 0, top5_sum = 0;
  while (std::optional<Batch> prepared = queue.next()) {
    TensorF probabilities = cpu::softmax_forward(backend.forward(prepared->images, RunOptions{}));
    if (ten_crop) probabilities = cpu::average_crop_probabilities(probabilities, 10);
    const std::vector<std::int64_t>& image_labels = prepared->labels;  // one per image, also with ten crops
    const auto images = static_cast<double>(probabilities.dim(0));
    top1_sum += images * cpu::top_k_accuracy(probabilities, image_labels, 1);  // checks every label first
    top5_sum += images * cpu::top_k_accuracy(probabilities, image_labels, 5);
    for (std::int64_t n = 0; n < probabilities.dim(0); ++n) {
      const float p = probabilities.at(n, image_labels[static_cast<std::size_t>(n)]);
      loss_sum -= std::log(std::max(p, 1e-30f));  // −log p(label), guarded against a probability rounded to 0
    }
    result.images += probabilities.dim(0);
  }
  const auto n = static_cast<double>(result.images);
  result.loss = loss_sum / n;
  result.top1 = top1_sum / n;
  result.top5 = top5_sum / n;
  return result;
}

}  // namespace

Evaluation evaluate(TrainingBackend& backend, const StoredImages& data, const BatchRecipe& recipe, std::int64_t batch,
                    bool ten_crop, Workers& workers) {
  if (workers.size() == 1) return evaluate_here(backend, data, recipe, batch, ten_crop);
  const Share share = workers.share_of(data.count);
  std::vector<std::int64_t> mine(static_cast<std::size_t>(share.count));
  for (std::int64_t i = 0; i < share.count; ++i) mine[static_cast<std::size_t>(i)] = share.first + i;
  const Evaluation part =
      share.count > 0 ? evaluate_here(backend, select_images(data, mine), recipe, batch, ten_crop) : Evaluation{};
  const auto images = static_cast<double>(part.images);
  std::vector<double> sums{part.loss * images, part.top1 * images, part.top5 * images, images};
  workers.sum(sums);
  return {sums[0] / sums[3], sums[1] / sums[3], sums[2] / sums[3], static_cast<std::int64_t>(sums[3])};
}

}  // namespace alexnet
