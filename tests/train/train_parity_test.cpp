// Training parity with PyTorch: an HF-format tiny LLaMA with GQA written by the oracle, a dataset
// holding exactly one sample, five AdamW iterations (lr 1e-3 constant, no weight decay, no
// clipping, f32). Our losses must match torch.optim.AdamW's within 1e-4 relative, with one
// micro-batch per step and with four (gradient accumulation).
#include <gtest/gtest.h>

#include <cmath>
#include <cstring>

#include "checkpoint/hf_config.h"
#include "checkpoint/safetensors.h"
#include "train_test_util.h"

namespace ascent {
namespace {

class TrainParity : public ::testing::TestWithParam<int> {};

TEST_P(TrainParity, FiveAdamWLossesMatchPyTorch) {
  const int micro_batches = GetParam();
  const int64_t T = 20;
  const std::string dir = testing::scratch_dir("parity_mb" + std::to_string(micro_batches));
  const std::string cmd = "/usr/bin/python3 " + std::string(ASCENT_SOURCE_DIR) +
                          "/tests/oracle/hf_reference.py --family llama2_gqa --batch 1 --seq " +
                          std::to_string(T) + " --steps 5 --no-ignore --micro-batches " +
                          std::to_string(micro_batches) + " --out " + dir + " > " + dir +
                          "/oracle.log 2>&1";
  ASSERT_EQ(std::system(cmd.c_str()), 0) << "oracle failed: " << dir << "/oracle.log";

  // The oracle's one sample (input ids + the final target) as a one-document dataset.
  safetensors::Reader golden(dir + "/golden.safetensors");
  auto ids64 = [&](const char* name) {
    const auto* t = golden.find(name);
    std::vector<int32_t> v(static_cast<size_t>(t->numel));
    for (size_t i = 0; i < v.size(); ++i) {
      int64_t x;
      std::memcpy(&x, golden.data(*t) + 8 * i, 8);
      v[i] = static_cast<int32_t>(x);
    }
    return v;
  };
  std::vector<int32_t> sample = ids64("input_ids");
  sample.push_back(ids64("targets").back());
  const std::string prefix = dir + "/one_sample";
  {
    data::IndexedDatasetBuilder b(prefix, data::TokenType::I32);
    b.add_sequence(sample);
    b.end_document();
    b.finalize();
  }

  TrainArgs a;
  a.data.data_path = {prefix};
  a.data.split = "100,0,0";
  a.data.seq_length = T;
  a.data.micro_batch_size = 1;
  a.data.global_batch_size = micro_batches;
  a.run.train_iters = 5;
  a.optim.name = "adam";
  a.lr.lr = 1e-3f;
  a.lr.decay_style = "constant";
  a.optim.weight_decay = 0.f;
  a.optim.clip_grad = 0.f;
  a.run.load = dir + "/hf";
  a.run.eval_iters = 0;
  a.finalize();
  Trainer trainer(a, read_hf_config(a.run.load));
  const auto& history = trainer.run();

  const auto* lt = golden.find("losses");
  std::vector<float> ref(static_cast<size_t>(lt->numel));
  golden.to_f32(*lt, ref.data());
  ASSERT_EQ(history.size(), ref.size());
  for (size_t i = 0; i < ref.size(); ++i)
    EXPECT_NEAR(history[i].loss, ref[i], 1e-4 * std::fabs(ref[i])) << "iteration " << i + 1;
  EXPECT_LT(ref.back(), ref.front()) << "the oracle's loss should fall";
}

INSTANTIATE_TEST_SUITE_P(MicroBatches, TrainParity, ::testing::Values(1, 4));

}  // namespace
}  // namespace ascent
