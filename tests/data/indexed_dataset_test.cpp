#include "data/indexed_dataset.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <filesystem>

#include "data/data_test_util.h"

namespace ascent::data {
namespace {

using testing::build;
using testing::Documents;
using testing::expect_error;
using testing::oracle_read;
using testing::oracle_write;
using testing::patch;
using testing::read_all;
using testing::read_bytes;
using testing::TestDir;
using testing::write_bytes;
namespace fs = std::filesystem;

constexpr size_t kHeader = 34;  // magic 9, version 8, dtype 1, N 8, D 8

// Several documents with several sequences each, an empty document and an empty sequence.
Documents sample_documents(int32_t lo, int32_t hi) {
  Documents docs = {
      {{lo, 1, 2, 3}, {4, 5}, {hi}}, {{7, 8, 9, 10, 11, 12, 13}}, {}, {{}, {14, hi, lo}},
      {{15}, {16}, {17}, {18, 19}},
  };
  return docs;
}

int64_t count_sequences(const Documents& docs) {
  int64_t n = 0;
  for (const auto& d : docs) n += static_cast<int64_t>(d.size());
  return n;
}

void expect_reads(const IndexedDataset& ds, const Documents& docs, TokenType type) {
  EXPECT_EQ(ds.token_type(), type);
  EXPECT_EQ(ds.num_documents(), static_cast<int64_t>(docs.size()));
  EXPECT_EQ(ds.num_sequences(), count_sequences(docs));
  EXPECT_EQ(read_all(ds), docs);
  int64_t total = 0;
  for (const auto& d : docs)
    for (const auto& s : d) total += static_cast<int64_t>(s.size());
  EXPECT_EQ(ds.total_tokens(), total);
  EXPECT_EQ(ds.sequence_offset(ds.num_sequences()), total);
}

TEST(IndexedDataset, ReadsOracleU16) {
  TestDir dir;
  const Documents docs = sample_documents(0, 65535);
  oracle_write(dir / "u16", "u16", docs);
  IndexedDataset ds(dir / "u16");
  expect_reads(ds, docs, TokenType::U16);
  EXPECT_EQ(ds.doc_idx(), (std::vector<int64_t>{0, 3, 4, 4, 6, 10}));
  // A slice inside a sequence, and the flat token stream across sequences.
  int32_t part[2];
  ds.read(3, 2, 2, part);  // 7 8 [9 10] 11 12 13
  EXPECT_EQ(part[0], 9);
  EXPECT_EQ(part[1], 10);
  int32_t flat[4];
  ds.read_tokens(4, 4, flat);  // 4 5 65535 7
  EXPECT_EQ(std::vector<int32_t>(flat, flat + 4), (std::vector<int32_t>{4, 5, 65535, 7}));
}

TEST(IndexedDataset, ReadsOracleI32) {
  TestDir dir;
  Documents docs = sample_documents(-100, 2147483647);
  docs[1][0][0] = -2147483647 - 1;
  oracle_write(dir / "i32", "i32", docs);
  expect_reads(IndexedDataset(dir / "i32"), docs, TokenType::I32);
}

TEST(IndexedDataset, ReadsEveryIntegerType) {
  TestDir dir;
  const struct {
    const char* name;
    TokenType type;
    int32_t lo, hi;
  } cases[] = {{"u8", TokenType::U8, 0, 255},
               {"i8", TokenType::I8, -128, 127},
               {"i16", TokenType::I16, -32768, 32767},
               {"i64", TokenType::I64, -2147483647 - 1, 2147483647}};
  for (const auto& c : cases) {
    SCOPED_TRACE(c.name);
    const Documents docs = sample_documents(c.lo, c.hi);
    oracle_write(dir / c.name, c.name, docs);
    expect_reads(IndexedDataset(dir / c.name), docs, c.type);
  }
}

TEST(IndexedDataset, FloatTokensAreAnError) {
  TestDir dir;
  oracle_write(dir / "f32", "f32", {{{1, 2, 3}}});
  IndexedDataset ds(dir / "f32");  // a valid dataset, just not token data
  int32_t out[3];
  expect_error([&] { ds.read(0, 0, 3, out); }, {"f32.idx", "f32", "not a token type"});
  expect_error([&] { IndexedDatasetBuilder(dir / "g", TokenType::F64); },
               {"g.idx", "f64", "not a token type"});
}

TEST(IndexedDataset, I64OutsideInt32IsAnError) {
  TestDir dir;
  write_bytes(dir / "big.json", "[[[1, 4294967296]]]");
  ASSERT_EQ(testing::run_command("/usr/bin/python3 '" + testing::oracle_script() + "' write '" +
                                 dir / "big" + "' i64 '" + dir / "big.json" + "'"),
            0);
  IndexedDataset ds(dir / "big");
  int32_t out[2];
  expect_error([&] { ds.read(0, 0, 2, out); }, {"big.bin", "4294967296", "int32"});
}

TEST(IndexedDataset, EmptyDataset) {
  TestDir dir;
  oracle_write(dir / "empty", "u16", {});
  IndexedDataset ds(dir / "empty");
  EXPECT_EQ(ds.num_documents(), 0);
  EXPECT_EQ(ds.num_sequences(), 0);
  EXPECT_EQ(ds.total_tokens(), 0);
}

TEST(IndexedDataset, MoveKeepsTheMapping) {
  TestDir dir;
  const Documents docs = sample_documents(0, 999);
  oracle_write(dir / "m", "u16", docs);
  IndexedDataset a(dir / "m");
  IndexedDataset b(std::move(a));
  EXPECT_EQ(read_all(b), docs);
  oracle_write(dir / "n", "i32", {{{5}}});
  IndexedDataset c(dir / "n");
  c = std::move(b);
  EXPECT_EQ(read_all(c), docs);
  EXPECT_EQ(c.prefix(), dir / "m");
}

TEST(IndexedDataset, TokenTypeForVocab) {
  EXPECT_EQ(token_type_for_vocab(32000), TokenType::U16);
  EXPECT_EQ(token_type_for_vocab(65499), TokenType::U16);
  EXPECT_EQ(token_type_for_vocab(65500), TokenType::I32);
  EXPECT_EQ(token_type_for_vocab(250880), TokenType::I32);
  EXPECT_EQ(token_type_size(TokenType::U16), 2u);
  EXPECT_EQ(token_type_size(TokenType::I64), 8u);
  EXPECT_EQ(token_type_size(TokenType::F32), 4u);
}

// ---------------------------------------------------------------------------------------------
// Builder

TEST(IndexedDatasetBuilder, ByteIdenticalToOracleAndReadByIt) {
  TestDir dir;
  const struct {
    const char* name;
    TokenType type;
    int32_t lo, hi;
  } cases[] = {{"u16", TokenType::U16, 0, 65535},
               {"i32", TokenType::I32, -100, 2147483647},
               {"u8", TokenType::U8, 0, 255},
               {"i64", TokenType::I64, -5, 123456789}};
  for (const auto& c : cases) {
    SCOPED_TRACE(c.name);
    const Documents docs = sample_documents(c.lo, c.hi);
    const std::string ours = dir / (std::string("ours_") + c.name);
    const std::string theirs = dir / (std::string("theirs_") + c.name);
    build(ours, c.type, docs);
    oracle_write(theirs, c.name, docs);
    EXPECT_EQ(read_bytes(ours + ".idx"), read_bytes(theirs + ".idx"));
    EXPECT_EQ(read_bytes(ours + ".bin"), read_bytes(theirs + ".bin"));
    std::string dtype;
    EXPECT_EQ(oracle_read(ours, &dtype), docs);
    EXPECT_EQ(dtype, c.name);
  }
}

// The .idx expected for `docs`, computed here from the spec, all in memory (what the builder's
// finalize() did before it streamed the index).
std::string spec_index(TokenType type, const Documents& docs) {
  std::vector<int32_t> sizes;
  std::vector<int64_t> doc_idx = {0};
  for (const auto& doc : docs) {
    for (const auto& seq : doc) sizes.push_back(static_cast<int32_t>(seq.size()));
    doc_idx.push_back(static_cast<int64_t>(sizes.size()));
  }
  std::string b("MMIDIDX\0\0", 9);
  auto put = [&b](const auto& v) { b.append(reinterpret_cast<const char*>(&v), sizeof(v)); };
  put(uint64_t{1});
  put(static_cast<uint8_t>(type));
  put(static_cast<uint64_t>(sizes.size()));
  put(static_cast<uint64_t>(doc_idx.size()));
  for (int32_t s : sizes) put(s);
  int64_t pointer = 0;
  for (int32_t s : sizes) {
    put(pointer);
    pointer += int64_t{s} * static_cast<int64_t>(token_type_size(type));
  }
  for (int64_t d : doc_idx) put(d);
  return b;
}

// Several blocks' worth of sizes, pointers and doc_idx entries (finalize streams them in blocks
// of 65536), with empty documents, empty sequences and a document left pending for finalize().
TEST(IndexedDatasetBuilder, ManySequencesGiveTheSpecIndex) {
  TestDir dir;
  Documents docs;
  uint32_t state = 12345;
  auto next = [&state](uint32_t m) {
    state = state * 1664525u + 1013904223u;
    return (state >> 8) % m;
  };
  int64_t sequences = 0;
  while (sequences < 200000) {
    auto& doc = docs.emplace_back(next(5));  // 0..4 sequences, empty documents included
    for (auto& seq : doc) {
      seq.resize(next(4));  // 0..3 tokens, empty sequences included
      for (auto& t : seq) t = static_cast<int32_t>(next(65536));
    }
    sequences += static_cast<int64_t>(doc.size());
  }
  docs.push_back({{1, 2}, {3}});  // left pending
  const std::string prefix = dir / "many";
  {
    IndexedDatasetBuilder b(prefix, TokenType::U16);
    for (size_t d = 0; d < docs.size(); ++d) {
      for (const auto& seq : docs[d]) b.add_sequence(seq);
      if (d + 1 < docs.size()) b.end_document();
    }
    b.finalize();
  }
  EXPECT_EQ(read_bytes(prefix + ".idx"), spec_index(TokenType::U16, docs));
  oracle_write(dir / "theirs", "u16", docs);
  EXPECT_EQ(read_bytes(prefix + ".idx"), read_bytes(dir / "theirs.idx"));
  EXPECT_EQ(read_bytes(prefix + ".bin"), read_bytes(dir / "theirs.bin"));
  IndexedDataset ds(prefix);
  EXPECT_EQ(ds.num_documents(), static_cast<int64_t>(docs.size()));
  EXPECT_EQ(read_all(ds), docs);
}

TEST(IndexedDatasetBuilder, LeavesOnlyTheFinalFiles) {
  TestDir dir;
  build(dir / "x", TokenType::U16, {{{1, 2}}, {{3}}});
  std::vector<std::string> names;
  for (const auto& e : fs::directory_iterator(dir.str())) names.push_back(e.path().filename());
  std::sort(names.begin(), names.end());
  EXPECT_EQ(names, (std::vector<std::string>{"x.bin", "x.idx"}));
}

TEST(IndexedDatasetBuilder, WithoutFinalizeRemovesTemporaries) {
  TestDir dir;
  {
    IndexedDatasetBuilder b(dir / "x", TokenType::I32);
    const std::vector<int32_t> seq = {1, 2, 3};
    b.add_sequence(seq);
    b.end_document();
    // The sizes and doc_idx scratch files are unlinked as soon as they are open.
    std::vector<std::string> names;
    for (const auto& e : fs::directory_iterator(dir.str())) names.push_back(e.path().filename());
    EXPECT_EQ(names, (std::vector<std::string>{"x.bin.tmp." + std::to_string(getpid())}));
  }
  EXPECT_TRUE(fs::is_empty(dir.str()));
}

TEST(IndexedDatasetBuilder, FinalizeClosesAPendingDocument) {
  TestDir dir;
  IndexedDatasetBuilder b(dir / "x", TokenType::U16);
  const std::vector<int32_t> s1 = {1, 2}, s2 = {3};
  b.add_sequence(s1);
  b.end_document();
  b.add_sequence(s2);
  b.finalize();
  IndexedDataset ds(dir / "x");
  EXPECT_EQ(ds.doc_idx(), (std::vector<int64_t>{0, 1, 2}));
  expect_error([&] { b.finalize(); }, {"x.idx", "finalize"});
  expect_error([&] { b.add_sequence(s1); }, {"x.bin", "after finalize"});
  expect_error([&] { b.end_document(); }, {"x.idx", "after finalize"});
}

TEST(IndexedDatasetBuilder, RejectsTokensOutsideTheType) {
  TestDir dir;
  IndexedDatasetBuilder b(dir / "x", TokenType::U16);
  const std::vector<int32_t> big = {1, 65536}, neg = {-1};
  expect_error([&] { b.add_sequence(big); }, {"x.bin", "65536", "position 1", "u16"});
  expect_error([&] { b.add_sequence(neg); }, {"x.bin", "-1", "u16"});
}

// ---------------------------------------------------------------------------------------------
// Validation: every corruption is an Error naming the file and the problem.

class Corrupt : public ::testing::Test {
 protected:
  // 3 documents, N = 5 sequences, D = 4, 12 u16 tokens.
  void SetUp() override {
    docs_ = {{{1, 2, 3}, {4}}, {{5, 6}}, {{7, 8, 9}, {10, 11, 12}}};
    oracle_write(prefix(), "u16", docs_);
    ASSERT_NO_THROW(IndexedDataset ds(prefix()));
  }
  std::string prefix() const { return dir_ / "d"; }
  std::string idx() const { return prefix() + ".idx"; }
  std::string bin() const { return prefix() + ".bin"; }
  static constexpr size_t kN = 5, kD = 4;
  static size_t sizes_at(size_t i) { return kHeader + 4 * i; }
  static size_t pointers_at(size_t i) { return kHeader + 4 * kN + 8 * i; }
  static size_t doc_idx_at(size_t i) { return kHeader + 12 * kN + 8 * i; }
  void expect_open_error(std::initializer_list<std::string> parts) {
    expect_error([&] { IndexedDataset ds(prefix()); }, parts);
  }

  TestDir dir_;
  Documents docs_;
};

TEST_F(Corrupt, Magic) {
  patch<char>(idx(), 2, 'X');
  expect_open_error({"d.idx", "bad magic", "MMIDIDX"});
}

TEST_F(Corrupt, Version) {
  patch<uint64_t>(idx(), 9, 2);
  expect_open_error({"d.idx", "version 2", "expected 1"});
}

TEST_F(Corrupt, DtypeCode) {
  patch<uint8_t>(idx(), 17, 9);
  expect_open_error({"d.idx", "dtype code 9"});
  patch<uint8_t>(idx(), 17, 0);
  expect_open_error({"d.idx", "dtype code 0"});
}

TEST_F(Corrupt, TruncatedIdx) {
  const std::string b = read_bytes(idx());
  write_bytes(idx(), b.substr(0, b.size() - 8));
  expect_open_error({"d.idx", "truncated", "N = 5", "D = 4"});
  write_bytes(idx(), b.substr(0, 20));
  expect_open_error({"d.idx", "truncated header"});
  write_bytes(idx(), b + "xx");
  expect_open_error({"d.idx", "trailing bytes"});
}

TEST_F(Corrupt, CountsLargerThanTheFile) {
  patch<uint64_t>(idx(), 18, uint64_t{1} << 62);  // N
  expect_open_error({"d.idx", "truncated", "N = 4611686018427387904"});
}

TEST_F(Corrupt, TruncatedBin) {
  const std::string b = read_bytes(bin());
  write_bytes(bin(), b.substr(0, b.size() - 2));
  expect_open_error({"d.bin", "size 22 bytes", "d.idx", "24 bytes", "truncated"});
}

TEST_F(Corrupt, BinOfAnotherDataset) {
  oracle_write(dir_ / "other", "u16", {{{1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13}}});
  fs::copy_file(dir_ / "other.bin", bin(), fs::copy_options::overwrite_existing);
  expect_open_error({"d.bin", "size 26 bytes", "describes 24 bytes", "different datasets"});
}

TEST_F(Corrupt, NonMonotonicPointers) {
  patch<int64_t>(idx(), pointers_at(2), 2);  // pointers = 0 6 2 ...
  expect_open_error({"d.idx", "pointers[2] = 2", "not monotonic"});
}

TEST_F(Corrupt, NonContiguousPointers) {
  patch<int64_t>(idx(), pointers_at(1), 8);  // expected 6
  expect_open_error({"d.idx", "pointers[1] = 8", "expected 6", "not contiguous"});
}

TEST_F(Corrupt, NegativeSize) {
  patch<int32_t>(idx(), sizes_at(1), -1);
  expect_open_error({"d.idx", "sizes[1] = -1", "negative"});
}

TEST_F(Corrupt, SizesNotMatchingBin) {
  patch<int32_t>(idx(), sizes_at(4), 4);  // 13 tokens described, 12 present
  expect_open_error({"d.bin", "size 24 bytes", "describes 26 bytes"});
}

TEST_F(Corrupt, DocIdxNotEndingAtN) {
  patch<int64_t>(idx(), doc_idx_at(kD - 1), 4);
  expect_open_error({"d.idx", "doc_idx ends at 4", "N = 5"});
}

TEST_F(Corrupt, DocIdxNotStartingAtZero) {
  patch<int64_t>(idx(), doc_idx_at(0), 1);
  expect_open_error({"d.idx", "doc_idx[0] = 1", "expected 0"});
}

TEST_F(Corrupt, DocIdxDecreasing) {
  patch<int64_t>(idx(), doc_idx_at(2), 1);  // 0 2 1 5
  expect_open_error({"d.idx", "doc_idx[2] = 1", "non-decreasing"});
}

TEST_F(Corrupt, ZeroDocIdxEntries) {
  patch<uint64_t>(idx(), 26, 0);
  expect_open_error({"d.idx", "D (documents + 1) is 0"});
}

TEST_F(Corrupt, MissingFiles) {
  fs::remove(bin());
  expect_open_error({"d.bin", "cannot open"});
  fs::remove(idx());
  expect_open_error({"d.idx", "cannot open"});
}

}  // namespace
}  // namespace ascent::data
