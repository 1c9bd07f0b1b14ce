#pragma once
// Shared helpers of the training tests: scratch directories, small datasets, oracle calls.
#include <cstdlib>
#include <filesystem>
#include <string>
#include <vector>

#include "core/rng.h"
#include "data/indexed_dataset.h"
#include "train/trainer.h"

namespace ascent::testing {

inline std::string scratch_dir(const std::string& name) {
  const std::filesystem::path p = std::filesystem::path(ASCENT_BINARY_DIR) / "train_test_tmp" / name;
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
  a.model = "tiny-gqa";
  a.data_path = {prefix};
  a.split = "90,10,0";
  a.seq_length = 32;
  a.micro_batch_size = 2;
  a.global_batch_size = 4;
  a.train_iters = 20;
  a.lr.lr = 1e-3f;
  a.lr.min_lr = 1e-4f;
  a.lr.warmup_iters = 3;
  a.lr.decay_iters = 20;
  a.lr_decay_style = "cosine";
  a.optim.weight_decay = 0.1f;
  a.clip_grad = 1.0f;
  a.eval_iters = 2;
  a.log_interval = 1000;
  return a;
}

}  // namespace ascent::testing
