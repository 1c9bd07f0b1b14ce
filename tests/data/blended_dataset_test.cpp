#include "data/blended_dataset.h"

#include <gtest/gtest.h>

#include <cmath>
#include <numeric>

#include "data/data_test_util.h"

namespace ascent::data {
namespace {

using testing::build;
using testing::Documents;
using testing::expect_error;
using testing::TestDir;

// Dataset k holds tokens 100000*k + t, so a sample names the dataset it came from.
std::shared_ptr<const GptDataset> make_gpt(const TestDir& dir, int k, int64_t seq_length) {
  Documents docs;
  for (int d = 0; d < 10 + 3 * k; ++d) {
    docs.push_back({{}});
    for (int t = 0; t < 5 + d % 4; ++t) docs.back()[0].push_back(100000 * k + 10 * d + t);
  }
  const std::string prefix = dir / ("blend" + std::to_string(k));
  build(prefix, TokenType::I32, docs);
  auto data = std::make_shared<const IndexedDataset>(prefix);
  std::vector<int64_t> ids(static_cast<size_t>(data->num_documents()));
  std::iota(ids.begin(), ids.end(), 0);
  return std::make_shared<const GptDataset>(data, ids, seq_length, 17 + k);
}

std::vector<std::shared_ptr<const GptDataset>> make_gpts(const TestDir& dir, int n) {
  std::vector<std::shared_ptr<const GptDataset>> out;
  for (int k = 0; k < n; ++k) out.push_back(make_gpt(dir, k, 8));
  return out;
}

// Megatron's build_blending_indices (helpers.cpp), over a whole table of `size` samples.
std::vector<int64_t> megatron_blending(const std::vector<double>& weights, int64_t size) {
  std::vector<int64_t> current(weights.size(), 0), chosen;
  for (int64_t i = 0; i < size; ++i) {
    const double at = std::max(static_cast<double>(i), 1.0);
    size_t best = 0;
    double best_err = weights[0] * at - static_cast<double>(current[0]);
    for (size_t d = 1; d < weights.size(); ++d) {
      const double err = weights[d] * at - static_cast<double>(current[d]);
      if (err > best_err) best_err = err, best = d;
    }
    chosen.push_back(static_cast<int64_t>(best));
    ++current[best];
  }
  return chosen;
}

TEST(BlendedDataset, MatchesMegatronAndStaysWithinOneSample) {
  TestDir dir;
  const std::vector<double> raw = {5, 3, 2};
  BlendedDataset blend(make_gpts(dir, 3), raw);
  EXPECT_NEAR(blend.weights()[0], 0.5, 1e-15);
  EXPECT_NEAR(blend.weights()[2], 0.2, 1e-15);
  const int64_t n = 3 * BlendedDataset::kBlock + 123;  // crosses block boundaries
  const auto want = megatron_blending(blend.weights(), n);
  std::vector<int64_t> taken(3, 0);
  for (int64_t i = 0; i < n; ++i) {
    const auto loc = blend.locate(i);
    ASSERT_EQ(loc.dataset, want[static_cast<size_t>(i)]) << "sample " << i;
    EXPECT_EQ(loc.index, taken[static_cast<size_t>(loc.dataset)]) << "sample " << i;
    ++taken[static_cast<size_t>(loc.dataset)];
    for (size_t d = 0; d < 3; ++d)  // achieved counts within one sample of weight * samples
      ASSERT_LE(std::abs(static_cast<double>(taken[d]) - blend.weights()[d] * double(i + 1)), 1.0)
          << "dataset " << d << " after " << i + 1 << " samples";
  }
}

TEST(BlendedDataset, UnevenWeightsStayWithinOneSample) {
  TestDir dir;
  for (const auto& raw : std::vector<std::vector<double>>{
           {1, 1}, {0.7, 0.2, 0.1}, {0.01, 0.99}, {3, 1, 4, 1}, {1, 1, 1}}) {
    const auto gpts = make_gpts(dir, static_cast<int>(raw.size()));
    BlendedDataset blend(gpts, raw);
    std::vector<int64_t> taken(raw.size(), 0);
    for (int64_t i = 0; i < 5000; ++i) {
      ++taken[static_cast<size_t>(blend.locate(i).dataset)];
      for (size_t d = 0; d < raw.size(); ++d)
        ASSERT_LE(std::abs(static_cast<double>(taken[d]) - blend.weights()[d] * double(i + 1)), 1.0)
            << "weights " << ::testing::PrintToString(raw) << ", dataset " << d << " after "
            << i + 1 << " samples";
    }
  }
}

TEST(BlendedDataset, TiesGoToTheLowerIndex) {
  TestDir dir;
  BlendedDataset blend(make_gpts(dir, 2), {1, 1});
  for (int64_t i = 0; i < 6; ++i) EXPECT_EQ(blend.locate(i).dataset, i % 2) << i;
}

TEST(BlendedDataset, SamplesComeFromTheChosenDataset) {
  TestDir dir;
  const auto gpts = make_gpts(dir, 3);
  BlendedDataset blend(gpts, {2, 1, 1});
  EXPECT_EQ(blend.sample_length(), 9);
  std::vector<int32_t> got(9), want(9);
  for (int64_t i = 0; i < 200; ++i) {
    const auto loc = blend.locate(i);
    blend.sample(i, got.data());
    gpts[static_cast<size_t>(loc.dataset)]->sample(loc.index, want.data());
    EXPECT_EQ(got, want) << "sample " << i;
    EXPECT_EQ(got[0] / 100000, loc.dataset);
  }
}

TEST(BlendedDataset, DeterministicAndPrefixStable) {
  TestDir dir;
  const auto gpts = make_gpts(dir, 3);
  const std::vector<double> w = {0.45, 0.35, 0.2};
  BlendedDataset walked(gpts, w);
  const int64_t n = 2 * BlendedDataset::kBlock + 77;
  std::vector<BlendedDataset::Location> seq;
  for (int64_t i = 0; i < n; ++i) seq.push_back(walked.locate(i));
  // A fresh object asked in another order (far sample first, then backwards) agrees.
  BlendedDataset fresh(gpts, w);
  for (int64_t i = n - 1; i >= 0; i -= 7) {
    const auto loc = fresh.locate(i);
    EXPECT_EQ(loc.dataset, seq[static_cast<size_t>(i)].dataset) << i;
    EXPECT_EQ(loc.index, seq[static_cast<size_t>(i)].index) << i;
  }
  // The assignment of a prefix equals Megatron's table of exactly that size.
  const auto short_table = megatron_blending(walked.weights(), 100);
  for (int64_t i = 0; i < 100; ++i) EXPECT_EQ(seq[static_cast<size_t>(i)].dataset, short_table[i]);
}

TEST(BlendedDataset, BadArgumentsAreErrors) {
  TestDir dir;
  const auto gpts = make_gpts(dir, 2);
  expect_error([&] { BlendedDataset(gpts, {1.0}); }, {"--data-path", "1 weights for 2 datasets"});
  expect_error([&] { BlendedDataset(gpts, {1.0, 0.0}); }, {"--data-path", "blend1", "> 0"});
  expect_error([&] { BlendedDataset(gpts, {1.0, -2.0}); }, {"--data-path", "> 0"});
  expect_error([&] { BlendedDataset({}, {}); }, {"--data-path", "no dataset"});
  auto longer = make_gpt(dir, 2, 12);
  expect_error(
      [&] {
        BlendedDataset({gpts[0], longer}, {1.0, 1.0});
      },
      {"blend2", "sample length 13", "9"});
}

TEST(ParseDataPath, SinglePrefixAndPairs) {
  TestDir dir;
  make_gpts(dir, 2);
  const auto one = parse_data_path({dir / "blend0"});
  ASSERT_EQ(one.size(), 1u);
  EXPECT_EQ(one[0].weight, 1.0);
  EXPECT_EQ(one[0].prefix, dir / "blend0");
  const auto two = parse_data_path({"0.3", dir / "blend0", "7", dir / "blend1"});
  ASSERT_EQ(two.size(), 2u);
  EXPECT_EQ(two[0].weight, 0.3);
  EXPECT_EQ(two[1].weight, 7.0);
  EXPECT_EQ(two[1].prefix, dir / "blend1");
}

TEST(ParseDataPath, Errors) {
  TestDir dir;
  make_gpts(dir, 1);
  const std::string p = dir / "blend0";
  expect_error([&] { parse_data_path({}); }, {"--data-path", "no dataset"});
  expect_error([&] { parse_data_path({"1", p, "2"}); }, {"--data-path", "3 values", "pairs"});
  expect_error([&] { parse_data_path({"-1", p}); }, {"--data-path", "weight -1", "> 0"});
  expect_error([&] { parse_data_path({"0", p}); }, {"--data-path", "weight 0", "> 0"});
  expect_error([&] { parse_data_path({p, "1"}); }, {"--data-path", "is not a weight"});
  expect_error([&] { parse_data_path({dir / "missing"}); },
               {"--data-path", "missing.idx", "not found"});
  std::filesystem::remove(p + ".bin");
  expect_error([&] { parse_data_path({"1", p}); }, {"--data-path", "blend0.bin", "not found"});
}

}  // namespace
}  // namespace ascent::data
