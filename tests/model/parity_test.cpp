// PyTorch parity: for a tiny model of every family, the PyTorch oracle (tests/oracle/
// hf_reference.py, float64 reference) writes HF-format weights, tokens, targets, logits, loss and
// every parameter gradient; we load the same HF directory and must reproduce them.
// f32: loss within 1e-4 relative, each gradient within 1e-3 (|diff| / |ref|);
// bf16 (or f16) weights and matmul operands: within 2e-2 (f16: 5e-3).
#include <gtest/gtest.h>

#include <cmath>
#include <cstdlib>
#include <cstring>
#include <string>
#include <vector>

#include "checkpoint/hf_checkpoint.h"
#include "checkpoint/hf_config.h"
#include "checkpoint/safetensors.h"
#include "model/transformer.h"

namespace ascent {
namespace {

struct Golden {
  safetensors::Reader file;
  explicit Golden(const std::string& path) : file(path) {}
  std::vector<float> f32(const std::string& name) const {
    const auto* t = file.find(name);
    EXPECT_NE(t, nullptr) << "golden misses " << name;
    if (!t) return {};
    std::vector<float> v(static_cast<size_t>(t->numel));
    file.to_f32(*t, v.data());
    return v;
  }
  std::vector<int32_t> ids(const std::string& name) const {
    const auto* t = file.find(name);
    EXPECT_TRUE(t && t->dtype == safetensors::Dtype::I64) << name;
    std::vector<int32_t> v(static_cast<size_t>(t->numel));
    const uint8_t* p = file.data(*t);
    for (size_t i = 0; i < v.size(); ++i) {
      int64_t x;
      std::memcpy(&x, p + 8 * i, 8);
      v[i] = static_cast<int32_t>(x);
    }
    return v;
  }
};

double rel_err(const float* a, const float* ref, size_t n) {
  double d = 0, r = 0;
  for (size_t i = 0; i < n; ++i) {
    d += (static_cast<double>(a[i]) - ref[i]) * (static_cast<double>(a[i]) - ref[i]);
    r += static_cast<double>(ref[i]) * ref[i];
  }
  return std::sqrt(d) / std::max(std::sqrt(r), 1e-30);
}

struct Case {
  std::string family;
  std::string dtype;
};

class Parity : public ::testing::TestWithParam<Case> {};

TEST_P(Parity, LogitsLossAndGradientsMatchPyTorch) {
  const Case c = GetParam();
  const std::string out = std::string(ASCENT_BINARY_DIR) + "/oracle/" + c.family + "_" + c.dtype;
  const std::string cmd = "/usr/bin/python3 " + std::string(ASCENT_SOURCE_DIR) +
                          "/tests/oracle/hf_reference.py --family " + c.family + " --dtype " +
                          c.dtype + " --out " + out + " > " + out + ".log 2>&1";
  std::system(("mkdir -p " + std::string(ASCENT_BINARY_DIR) + "/oracle").c_str());
  ASSERT_EQ(std::system(cmd.c_str()), 0) << "oracle failed, see " << out << ".log";

  const DType compute = parse_dtype(c.dtype);
  const double tol = compute == DType::BF16 ? 2e-2 : 5e-3;
  const double tol_loss = compute == DType::F32 ? 1e-4 : tol;
  const double tol_grad = compute == DType::F32 ? 1e-3 : tol;
  ModelConfig cfg = read_hf_config(out + "/hf");
  ModelWeights w(cfg, compute);
  load_hf_weights(out + "/hf", cfg, w.layout(), w.master());
  w.refresh_compute();
  Transformer model(w);

  Golden g(out + "/golden.safetensors");
  std::vector<int32_t> tokens = g.ids("input_ids"), targets = g.ids("targets");
  const auto* ids_info = g.file.find("input_ids");
  const int64_t B = ids_info->shape[0], T = ids_info->shape[1];
  MicroBatch mb{B, T, tokens.data(), targets.data(), nullptr};

  // Logits and loss (forward only).
  OwnedTensor logits(DType::F32, {B * T, cfg.vocab_size});
  LossSum fwd = model.forward(mb, *logits);
  std::vector<float> ref_logits = g.f32("logits"), ref_loss = g.f32("loss");
  EXPECT_LT(rel_err(logits->f32(), ref_logits.data(), ref_logits.size()), tol_grad) << "logits";
  EXPECT_NEAR(fwd.mean(), ref_loss[0], tol_loss * std::fabs(ref_loss[0])) << "loss";

  // Every parameter gradient, compared in HF naming and layout.
  w.zero_grad();
  LossSum l = model.forward_backward(mb, 1.0f / static_cast<float>(fwd.tokens));
  EXPECT_NEAR(l.mean(), fwd.mean(), 1e-6 * std::fabs(fwd.mean()));
  int compared = 0;
  for (const HfTensor& t : export_hf_tensors(cfg, w.layout(), w.grad(), DType::F32)) {
    std::vector<float> ref = g.f32("grad." + t.name);
    ASSERT_EQ(ref.size() * 4, t.bytes.size()) << t.name;
    const double e = rel_err(reinterpret_cast<const float*>(t.bytes.data()), ref.data(), ref.size());
    EXPECT_LT(e, tol_grad) << "gradient of " << t.name;
    ++compared;
  }
  EXPECT_GT(compared, 8);
}

std::vector<Case> cases() {
  std::vector<Case> v;
  for (const char* f : {"llama", "llama2_gqa", "baichuan13b", "baichuan2", "internlm", "bloom", "gpt2"})
    for (const char* d : {"f32", "bf16", "f16"}) v.push_back({f, d});
  return v;
}

INSTANTIATE_TEST_SUITE_P(Families, Parity, ::testing::ValuesIn(cases()),
                         [](const ::testing::TestParamInfo<Case>& i) {
                           return i.param.family + "_" + i.param.dtype;
                         });

}  // namespace
}  // namespace ascent
