#include "data/gpt_dataset.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <numeric>
#include <set>
#include <thread>

#include "data/data_test_util.h"

namespace ascent::data {
namespace {

using testing::build;
using testing::Documents;
using testing::expect_error;
using testing::TestDir;

// num_docs documents of varied lengths (document 5 empty), each cut into sequences of at most
// 4 tokens; token = 1000 * document + position in the document, so a token names its origin.
Documents numbered_documents(int num_docs) {
  Documents docs(static_cast<size_t>(num_docs));
  for (int d = 0; d < num_docs; ++d) {
    const int len = d == 5 ? 0 : 1 + (d * 7) % 13;
    for (int t = 0; t < len; ++t) {
      if (t % 4 == 0) docs[d].emplace_back();
      docs[d].back().push_back(1000 * d + t);
    }
  }
  return docs;
}

std::shared_ptr<const IndexedDataset> make_data(const TestDir& dir, int num_docs) {
  build(dir / "gpt", TokenType::I32, numbered_documents(num_docs));
  return std::make_shared<const IndexedDataset>(dir / "gpt");
}

std::vector<int64_t> all_documents(const IndexedDataset& data) {
  std::vector<int64_t> ids(static_cast<size_t>(data.num_documents()));
  std::iota(ids.begin(), ids.end(), 0);
  return ids;
}

std::vector<int32_t> sample_of(const SampleSource& s, int64_t i) {
  std::vector<int32_t> out(static_cast<size_t>(s.sample_length()));
  s.sample(i, out.data());
  return out;
}

// The token stream of an epoch: its documents concatenated in order.
std::vector<int32_t> epoch_stream(const IndexedDataset& data, const std::vector<int64_t>& docs) {
  std::vector<int32_t> stream;
  for (int64_t d : docs) {
    const int64_t first = data.sequence_offset(data.doc_idx()[d]);
    const int64_t end = data.sequence_offset(data.doc_idx()[d + 1]);
    std::vector<int32_t> tokens(static_cast<size_t>(end - first));
    data.read_tokens(first, end - first, tokens.data());
    stream.insert(stream.end(), tokens.begin(), tokens.end());
  }
  return stream;
}

TEST(SplitDocuments, MatchesMegatron) {
  // Expected boundaries from Megatron's get_train_valid_test_split_ (Python round: half to even).
  const struct {
    const char* split;
    int64_t n;
    std::array<int64_t, 4> bound;
  } cases[] = {
      {"969,30,1", 1000, {0, 969, 999, 1000}},
      {"8,1,1", 10, {0, 8, 9, 10}},
      {"1,1,1", 7, {0, 3, 5, 7}},
      {"1,1", 2, {0, 1, 2, 2}},
      {"0.3,0.3,0.4", 5, {0, 1, 3, 5}},
      {"1,1", 5, {0, 3, 5, 5}},
      {"100", 17, {0, 17, 17, 17}},
      {"98/2", 100, {0, 98, 100, 100}},
      {"969,30,1", 37, {0, 36, 37, 37}},
      {"2,1", 0, {0, 0, 0, 0}},
      {"0,1,1", 3, {0, 0, 1, 3}},  // Megatron: {0, -1, 1, 3}; we clamp
  };
  for (const auto& c : cases) {
    SCOPED_TRACE(std::string(c.split) + " of " + std::to_string(c.n));
    const auto s = split_documents(c.n, c.split);
    for (int k = 0; k < 3; ++k) {
      std::vector<int64_t> want(static_cast<size_t>(c.bound[k + 1] - c.bound[k]));
      std::iota(want.begin(), want.end(), c.bound[k]);
      EXPECT_EQ(s[k], want) << "split " << k;
    }
  }
}

TEST(SplitDocuments, RejectsBadSplits) {
  for (const char* bad : {"a,b", "1,x", "", "1,,2"})
    expect_error([&] { split_documents(10, bad); }, {"--split", "not a number"});
  expect_error([&] { split_documents(10, "-1,2"); }, {"--split '-1,2'", ">= 0"});
  expect_error([&] { split_documents(10, "1,2,3,4"); }, {"--split", "4 weights", "at most 3"});
  expect_error([&] { split_documents(10, "0,0,0"); }, {"--split", "sum to 0"});
  expect_error([&] { split_documents(10, "inf,1"); }, {"--split", "finite"});
}

TEST(GptDataset, SamplesTileEachEpochStream) {
  TestDir dir;
  auto data = make_data(dir, 24);
  const auto docs = all_documents(*data);
  const int64_t T = 7;
  GptDataset ds(data, docs, T, 1234);
  EXPECT_EQ(ds.sample_length(), T + 1);
  EXPECT_EQ(ds.tokens_per_epoch(), data->total_tokens());
  const int64_t S = ds.samples_per_epoch();
  EXPECT_EQ(S, (data->total_tokens() - 1) / T);
  for (int64_t e = 0; e < 3; ++e) {
    SCOPED_TRACE("epoch " + std::to_string(e));
    auto order = ds.epoch_documents(e);
    const auto stream = epoch_stream(*data, order);
    std::sort(order.begin(), order.end());
    EXPECT_EQ(order, docs);  // every document exactly once
    std::vector<int64_t> windows;
    for (int64_t j = 0; j < S; ++j) {
      const auto loc = ds.locate(e * S + j);
      EXPECT_EQ(loc.epoch, e);
      windows.push_back(loc.window);
      const std::vector<int32_t> want(stream.begin() + loc.window * T,
                                      stream.begin() + loc.window * T + T + 1);
      EXPECT_EQ(sample_of(ds, e * S + j), want) << "sample " << e * S + j;
    }
    std::vector<int64_t> sorted = windows;
    std::sort(sorted.begin(), sorted.end());
    for (int64_t k = 0; k < S; ++k) EXPECT_EQ(sorted[k], k);  // each window once
    std::vector<int64_t> identity(sorted);
    EXPECT_NE(windows, identity) << "windows are not shuffled";
  }
}

TEST(GptDataset, EpochsAreReshuffled) {
  TestDir dir;
  auto data = make_data(dir, 24);
  GptDataset ds(data, all_documents(*data), 5, 7);
  EXPECT_NE(ds.epoch_documents(0), ds.epoch_documents(1));
  EXPECT_NE(ds.epoch_documents(1), ds.epoch_documents(2));
  const int64_t S = ds.samples_per_epoch();
  std::vector<int64_t> w0, w1;
  for (int64_t j = 0; j < S; ++j) {
    w0.push_back(ds.locate(j).window);
    w1.push_back(ds.locate(S + j).window);
  }
  EXPECT_NE(w0, w1);
  // Far epochs work as well as near ones.
  EXPECT_EQ(ds.locate(1000 * S + 3).epoch, 1000);
}

TEST(GptDataset, SplitIsAtDocumentLevel) {
  TestDir dir;
  auto data = make_data(dir, 40);
  const auto splits = split_documents(data->num_documents(), "6,2,2");
  EXPECT_EQ(splits[0].size(), 24u);
  EXPECT_EQ(splits[1].size(), 8u);
  EXPECT_EQ(splits[2].size(), 8u);
  for (int k = 0; k < 3; ++k) {
    SCOPED_TRACE(split_name(k));
    GptDataset ds(data, splits[k], 4, 99, k);
    const std::set<int64_t> mine(splits[k].begin(), splits[k].end());
    for (int64_t i = 0; i < 2 * ds.samples_per_epoch(); ++i)
      for (int32_t tok : sample_of(ds, i)) EXPECT_TRUE(mine.count(tok / 1000)) << tok;
    auto order = ds.epoch_documents(0);
    std::sort(order.begin(), order.end());
    EXPECT_EQ(order, splits[k]);
  }
}

std::vector<std::vector<int32_t>> first_samples(const GptDataset& ds, int64_t n) {
  std::vector<std::vector<int32_t>> out;
  for (int64_t i = 0; i < n; ++i) out.push_back(sample_of(ds, i));
  return out;
}

TEST(GptDataset, OrderDependsOnlyOnSeedAndSplit) {
  TestDir dir;
  auto data = make_data(dir, 30);
  const auto docs = all_documents(*data);
  GptDataset a(data, docs, 6, 42), b(data, docs, 6, 42), c(data, docs, 6, 43),
      d(data, docs, 6, 42, /*split=*/1);
  const int64_t n = 2 * a.samples_per_epoch() + 3;
  const auto sa = first_samples(a, n);
  EXPECT_EQ(sa, first_samples(b, n));
  EXPECT_NE(sa, first_samples(c, n));
  EXPECT_NE(sa, first_samples(d, n));
}

TEST(GptDataset, SampleIndependentOfHistory) {
  TestDir dir;
  auto data = make_data(dir, 30);
  const auto docs = all_documents(*data);
  GptDataset walked(data, docs, 6, 5);
  ASSERT_LT(walked.samples_per_epoch() * 3, 1000);  // 1000 lies epochs away from the start
  std::vector<std::vector<int32_t>> seen;
  for (int64_t i = 0; i <= 1000; ++i) seen.push_back(sample_of(walked, i));
  GptDataset fresh(data, docs, 6, 5);
  EXPECT_EQ(sample_of(fresh, 1000), seen[1000]);
  for (int64_t i : {999, 3, 500, 0, 1000, 17})  // any order of access
    EXPECT_EQ(sample_of(fresh, i), seen[static_cast<size_t>(i)]) << "sample " << i;
}

TEST(GptDataset, ConcurrentReadersAgree) {
  TestDir dir;
  auto data = make_data(dir, 30);
  const auto docs = all_documents(*data);
  GptDataset ref(data, docs, 6, 11), shared(data, docs, 6, 11);
  const int64_t n = 8 * ref.samples_per_epoch();
  const auto want = first_samples(ref, n);
  std::vector<std::thread> threads;
  std::vector<int> mismatches(4, 0);
  for (int t = 0; t < 4; ++t)
    threads.emplace_back([&, t] {
      for (int64_t i = t; i < n; i += 3)  // threads interleave and cross epochs
        if (sample_of(shared, i) != want[static_cast<size_t>(i)]) ++mismatches[t];
    });
  for (auto& th : threads) th.join();
  for (int m : mismatches) EXPECT_EQ(m, 0);
}

TEST(GptDataset, TooShortSplitIsAnError) {
  TestDir dir;
  auto data = make_data(dir, 8);  // documents 0..2 hold 1 + 8 + 2 = 11 tokens
  const std::vector<int64_t> few = {0, 1, 2};
  expect_error([&] { GptDataset(data, few, 11, 1, 1); },
               {"[gpt_dataset]", dir / "gpt", "split valid", "11 tokens", "3 documents",
                "--seq-length + 1 = 12"});
  EXPECT_EQ(GptDataset(data, few, 10, 1).samples_per_epoch(), 1);
  const std::vector<int64_t> none;
  expect_error([&] { GptDataset(data, none, 4, 1, 0); }, {"split train", "0 tokens"});
}

TEST(GptDataset, BadArgumentsAreErrors) {
  TestDir dir;
  auto data = make_data(dir, 8);
  const std::vector<int64_t> bad = {0, 8};
  expect_error([&] { GptDataset(data, bad, 2, 1, 2); },
               {"[gpt_dataset]", "split test", "document id 8", "[0, 8)"});
  const auto docs = all_documents(*data);
  expect_error([&] { GptDataset(data, docs, 0, 1); }, {"--seq-length 0"});
  testing::oracle_write(dir / "f", "f32", {{{1, 2, 3}}});
  auto floats = std::make_shared<const IndexedDataset>(dir / "f");
  const std::vector<int64_t> one = {0};
  expect_error([&] { GptDataset(floats, one, 1, 1); }, {"[gpt_dataset]", "float token type"});
}

}  // namespace
}  // namespace ascent::data
