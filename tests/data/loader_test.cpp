#include "data/loader.h"

#include <gtest/gtest.h>

#include <numeric>

#include "data/blended_dataset.h"
#include "data/data_test_util.h"

namespace ascent::data {
namespace {

using testing::build;
using testing::Documents;
using testing::TestDir;

// Sample i = i*100, i*100 + 1, ..., so every token names its sample and position.
class CountingSource final : public SampleSource {
 public:
  explicit CountingSource(int64_t length) : length_(length) {}
  int64_t sample_length() const override { return length_; }
  void sample(int64_t i, int32_t* out) const override {
    for (int64_t k = 0; k < length_; ++k) out[k] = static_cast<int32_t>(100 * i + k);
  }

 private:
  int64_t length_;
};

TEST(DataLoader, TokensAndShiftedTargets) {
  DataLoader loader(std::make_shared<CountingSource>(5));  // T = 4
  EXPECT_EQ(loader.seq_length(), 4);
  std::vector<int32_t> tokens, targets;
  loader.next_batch(2, tokens, targets);
  EXPECT_EQ(tokens, (std::vector<int32_t>{0, 1, 2, 3, 100, 101, 102, 103}));
  EXPECT_EQ(targets, (std::vector<int32_t>{1, 2, 3, 4, 101, 102, 103, 104}));
  EXPECT_EQ(loader.consumed(), 2);
  loader.next_batch(1, tokens, targets);
  EXPECT_EQ(tokens, (std::vector<int32_t>{200, 201, 202, 203}));
  EXPECT_EQ(targets, (std::vector<int32_t>{201, 202, 203, 204}));
  EXPECT_EQ(loader.consumed(), 3);
}

TEST(DataLoader, DataParallelRanksSplitEachStep) {
  auto src = std::make_shared<CountingSource>(3);
  DataLoader whole(src), r0(src, 0, 2), r1(src, 1, 2);
  std::vector<int32_t> tw, gw, t0, g0, t1, g1;
  for (int step = 0; step < 3; ++step) {
    whole.next_batch(4, tw, gw);
    r0.next_batch(2, t0, g0);
    r1.next_batch(2, t1, g1);
    std::vector<int32_t> joined = t0;
    joined.insert(joined.end(), t1.begin(), t1.end());
    EXPECT_EQ(joined, tw) << "step " << step;
    EXPECT_EQ(r0.consumed(), whole.consumed());
    EXPECT_EQ(r1.consumed(), whole.consumed());
  }
}

std::shared_ptr<const GptDataset> make_gpt(const TestDir& dir, int k) {
  Documents docs;
  for (int d = 0; d < 12; ++d) {
    docs.push_back({{}, {}});
    for (int t = 0; t < 3 + (d * 5) % 7; ++t) docs.back()[t % 2].push_back(1000 * d + t + k);
  }
  const std::string prefix = dir / ("loader" + std::to_string(k));
  build(prefix, TokenType::U16, docs);
  auto data = std::make_shared<const IndexedDataset>(prefix);
  std::vector<int64_t> ids(static_cast<size_t>(data->num_documents()));
  std::iota(ids.begin(), ids.end(), 0);
  return std::make_shared<const GptDataset>(data, ids, 6, 3);
}

// Batches from an uninterrupted run equal batches from a run stopped after `stop` steps and
// resumed in a new loader from the saved cursor.
void expect_resume_matches(std::shared_ptr<const SampleSource> src) {
  const int64_t B = 3, steps = 40, stop = 17;
  DataLoader straight(src);
  std::vector<std::vector<int32_t>> want_tokens, want_targets;
  std::vector<int32_t> tokens, targets;
  for (int64_t s = 0; s < steps; ++s) {
    straight.next_batch(B, tokens, targets);
    want_tokens.push_back(tokens);
    want_targets.push_back(targets);
  }
  DataLoader first(src);
  for (int64_t s = 0; s < stop; ++s) first.next_batch(B, tokens, targets);
  const int64_t cursor = first.consumed();
  EXPECT_EQ(cursor, stop * B);
  DataLoader resumed(src);
  resumed.set_consumed(cursor);
  for (int64_t s = stop; s < steps; ++s) {
    resumed.next_batch(B, tokens, targets);
    EXPECT_EQ(tokens, want_tokens[static_cast<size_t>(s)]) << "step " << s;
    EXPECT_EQ(targets, want_targets[static_cast<size_t>(s)]) << "step " << s;
  }
  EXPECT_EQ(resumed.consumed(), straight.consumed());
}

TEST(DataLoader, ResumeFromCursorGpt) {
  TestDir dir;
  auto gpt = make_gpt(dir, 0);
  ASSERT_LT(gpt->samples_per_epoch() * 2, 40 * 3);  // the run crosses epochs
  expect_resume_matches(gpt);
}

TEST(DataLoader, ResumeFromCursorBlended) {
  TestDir dir;
  std::vector<std::shared_ptr<const GptDataset>> gpts = {make_gpt(dir, 0), make_gpt(dir, 1)};
  expect_resume_matches(std::make_shared<BlendedDataset>(gpts, std::vector<double>{0.6, 0.4}));
}

}  // namespace
}  // namespace ascent::data
