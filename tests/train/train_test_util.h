#pragma once
// Shared helpers of the training tests: scratch directories, small datasets, oracle calls.
#include <gtest/gtest.h>

#include <cmath>
#include <cstdlib>
#include <filesystem>
#include <string>
#include <vector>

#include "checkpoint/ascent_checkpoint.h"
#include "core/rng.h"
#include "data/indexed_dataset.h"
#include "train/trainer.h"

namespace ascent::testing {

inline std::string scratch_dir(const std::string& name) {
  const std::filesystem::path p =
      std::filesystem::path(ASCENT_BINARY_DIR) / "train_test_tmp" / name;
  std::filesystem::remove_all(p);
  std::filesystem::create_directories(p);
  return p.string();
}

// A dataset of `docs` random documents of 50..150 tokens in [0, vocab); returns its prefix.
inline std::string random_dataset(const std::string& dir, int64_t docs, int64_t vocab,
                                  uint64_t seed) {
  const std::string prefix = dir + "/random_text_document";
  data::IndexedDatasetBuilder b(prefix, data::token_type_for_vocab(vocab));
  Rng r(seed, 99);
  uint64_t k = 0;
  for (int64_t d = 0; d < docs; ++d) {
    std::vector<int32_t> t(50 + static_cast<size_t>(r.uniform(k++) * 100));
    for (auto& x : t) x = static_cast<int32_t>(r.uniform(k++) * static_cast<float>(vocab));
    b.add_sequence(t);
    b.end_document();
  }
  b.finalize();
  return prefix;
}

// Small-model training arguments on `prefix` (finalize() is called by the test).
inline TrainArgs tiny_args(const std::string& prefix) {
  TrainArgs a;
  a.model.preset = "tiny-gqa";
  a.data.data_path = {prefix};
  a.data.split = "90,10,0";
  a.data.seq_length = 32;
  a.data.micro_batch_size = 2;
  a.data.global_batch_size = 4;
  a.run.train_iters = 20;
  a.lr.lr = 1e-3f;
  a.lr.min_lr = 1e-4f;
  a.lr.warmup_iters = 3;
  a.lr.decay_iters = 20;
  a.lr.decay_style = "cosine";
  a.optim.weight_decay = 0.1f;
  a.optim.clip_grad = 1.0f;
  a.run.eval_iters = 2;
  a.run.log_interval = 1000;
  return a;
}

// Trains `full` (20 iterations) in one go, then 10 iterations with --save and the rest with
// --load: the resumed iterations must equal the uninterrupted ones bit for bit (an overflowing
// fp16 step's NaN gradient norm included). Returns the uninterrupted run.
inline std::vector<IterationStats> expect_resume_bit_identical(const TrainArgs& full,
                                                               const std::string& dir) {
  std::vector<IterationStats> uninterrupted, resumed;
  {
    Trainer t(full, model_config_from_args(full, 0));
    uninterrupted = t.run();
  }
  TrainArgs first = full;
  first.run.train_iters = 10;
  first.run.save = dir + "/ckpt";
  {
    Trainer t(first, model_config_from_args(first, 0));
    t.run();
  }
  TrainArgs second = full;
  second.run.load = dir + "/ckpt";
  {
    Trainer t(second, open_checkpoint(second.run.load).config);
    EXPECT_EQ(t.iteration(), 10);
    resumed = t.run();
  }
  EXPECT_EQ(uninterrupted.size(), 20u);
  EXPECT_EQ(resumed.size(), 10u);
  if (uninterrupted.size() != 20u || resumed.size() != 10u) return uninterrupted;
  const auto same = [](double a, double b) { return a == b || (std::isnan(a) && std::isnan(b)); };
  for (size_t i = 0; i < 10; ++i) {
    const IterationStats &r = resumed[i], &u = uninterrupted[10 + i];
    EXPECT_EQ(r.iteration, u.iteration);
    EXPECT_EQ(r.loss, u.loss) << "iteration " << 11 + i;
    EXPECT_TRUE(same(r.grad_norm, u.grad_norm))
        << "iteration " << 11 + i << ": " << r.grad_norm << " vs " << u.grad_norm;
    EXPECT_EQ(r.lr, u.lr) << "iteration " << 11 + i;
    EXPECT_EQ(r.tokens, u.tokens) << "iteration " << 11 + i;
    EXPECT_EQ(r.loss_scale, u.loss_scale) << "iteration " << 11 + i;
    EXPECT_EQ(r.skipped, u.skipped) << "iteration " << 11 + i;
  }
  EXPECT_LT(uninterrupted.back().loss, uninterrupted.front().loss);
  return uninterrupted;
}

}  // namespace ascent::testing
