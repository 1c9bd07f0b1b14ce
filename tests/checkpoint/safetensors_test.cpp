#include "checkpoint/safetensors.h"

#include <gtest/gtest.h>

#include <cstring>
#include <filesystem>
#include <nlohmann/json.hpp>

#include "checkpoint/test_dir.h"

namespace ascent::safetensors {
namespace {

using ascent::testing::expect_error;
using ascent::testing::read_text;
using ascent::testing::TestDir;
using ascent::testing::write_text;
namespace fs = std::filesystem;

// A file written by hand: u64 header length (the real one unless given), header, data bytes.
void write_raw(const std::string& path, const std::string& header, size_t data_bytes,
               uint64_t header_len = UINT64_MAX) {
  if (header_len == UINT64_MAX) header_len = header.size();
  std::string bytes(8, '\0');
  std::memcpy(bytes.data(), &header_len, 8);
  bytes += header;
  bytes.append(data_bytes, '\x01');
  write_text(path, bytes);
}

std::vector<uint8_t> iota_bytes(size_t n, uint8_t start) {
  std::vector<uint8_t> v(n);
  for (size_t i = 0; i < n; ++i) v[i] = static_cast<uint8_t>(start + 7 * i);
  return v;
}

TEST(Safetensors, WriteReadRoundTrip) {
  TestDir dir;
  const auto a = iota_bytes(2 * 3 * 4, 1);  // F32 [2, 3]
  const auto b = iota_bytes(5 * 2, 2);      // BF16 [5] (odd: the next tensor must stay aligned)
  const auto c = iota_bytes(2 * 8, 3);      // I64 [2]
  const auto d = iota_bytes(3, 4);          // U8 [3]
  const auto e = iota_bytes(4, 0);          // BOOL [4]
  const auto f = iota_bytes(2, 5);          // F16 [] (scalar)
  std::vector<TensorRef> ts = {
      {"zeta", Dtype::F32, {2, 3}, a.data()}, {"beta", Dtype::BF16, {5}, b.data()},
      {"gamma", Dtype::I64, {2}, c.data()},   {"alpha", Dtype::U8, {3}, d.data()},
      {"mask", Dtype::BOOL, {4}, e.data()},   {"scalar", Dtype::F16, {}, f.data()},
      {"empty", Dtype::F32, {0, 4}, nullptr},
  };
  const std::string path = dir / "x.safetensors";
  write(path, ts, {{"format", "pt"}});

  // Header: padded with spaces to a multiple of 8, names sorted, __metadata__ kept.
  const std::string raw = read_text(path);
  uint64_t n = 0;
  std::memcpy(&n, raw.data(), 8);
  EXPECT_EQ(n % 8, 0u);
  const auto h = nlohmann::json::parse(raw.substr(8, n));
  EXPECT_EQ(h["__metadata__"]["format"], "pt");
  EXPECT_EQ(raw.substr(8, n).find_last_not_of(' ') + 1, raw.substr(8, n).find_last_of('}') + 1);
  EXPECT_LT(raw.find("\"alpha\""), raw.find("\"zeta\""));

  Reader r(path);
  ASSERT_EQ(r.tensors().size(), ts.size());
  EXPECT_EQ(r.metadata().at("format"), "pt");
  EXPECT_EQ(r.tensors().front().name, "alpha");
  for (const auto& t : ts) {
    const TensorInfo* info = r.find(t.name);
    ASSERT_NE(info, nullptr) << t.name;
    EXPECT_EQ(info->dtype, t.dtype) << t.name;
    EXPECT_EQ(info->shape, t.shape) << t.name;
    ASSERT_EQ(info->nbytes(), t.nbytes()) << t.name;
    if (t.nbytes() > 0) {
      EXPECT_EQ(std::memcmp(r.data(*info), t.data, t.nbytes()), 0) << t.name;
    }
    // Every tensor is aligned to its element size within the file.
    EXPECT_EQ((8 + n + info->begin) % dtype_size(t.dtype), 0u) << t.name;
  }
  EXPECT_EQ(r.find("nope"), nullptr);
  // No temporary left behind.
  EXPECT_EQ(std::distance(fs::directory_iterator(dir.str()), fs::directory_iterator()), 1);
}

TEST(Safetensors, ToF32ConvertsFloatTypes) {
  TestDir dir;
  const float f32[3] = {1.5f, -2.25f, 3e-3f};
  const uint16_t bf16[3] = {f32_to_bf16(1.5f), f32_to_bf16(-2.25f), f32_to_bf16(0.1f)};
  const uint16_t f16[3] = {f32_to_f16(1.5f), f32_to_f16(-2.25f), f32_to_f16(0.1f)};
  const double f64[3] = {1.5, -2.25, 0.1};
  const int32_t i32[3] = {1, 2, 3};
  std::vector<TensorRef> ts = {{"a", Dtype::F32, {3}, f32},
                               {"b", Dtype::BF16, {3}, bf16},
                               {"c", Dtype::F16, {3}, f16},
                               {"d", Dtype::F64, {3}, f64},
                               {"e", Dtype::I32, {3}, i32}};
  write(dir / "x.safetensors", ts);
  Reader r(dir / "x.safetensors");
  float out[3];
  r.to_f32(*r.find("a"), out);
  EXPECT_EQ(std::memcmp(out, f32, sizeof(out)), 0);
  r.to_f32(*r.find("b"), out);
  EXPECT_EQ(out[1], -2.25f);
  EXPECT_EQ(out[2], bf16_to_f32(f32_to_bf16(0.1f)));
  r.to_f32(*r.find("c"), out);
  EXPECT_EQ(out[2], f16_to_f32(f32_to_f16(0.1f)));
  r.to_f32(*r.find("d"), out);
  EXPECT_EQ(out[2], 0.1f);
  expect_error([&] { r.to_f32(*r.find("e"), out); }, {"'e'", "I32"});
}

TEST(Safetensors, ReadsUnalignedData) {
  // Other writers need not pad the header: data may start at any byte.
  TestDir dir;
  const std::string header = R"({"h":{"dtype":"BF16","shape":[2],"data_offsets":[0,4]}})";
  ASSERT_NE((8 + header.size()) % 2, 0u);
  std::string bytes(8, '\0');
  const uint64_t n = header.size();
  std::memcpy(bytes.data(), &n, 8);
  bytes += header;
  const uint16_t v[2] = {f32_to_bf16(1.0f), f32_to_bf16(-3.0f)};
  bytes.append(reinterpret_cast<const char*>(v), 4);
  write_text(dir / "u.safetensors", bytes);
  Reader r(dir / "u.safetensors");
  float out[2];
  r.to_f32(*r.find("h"), out);
  EXPECT_EQ(out[0], 1.0f);
  EXPECT_EQ(out[1], -3.0f);
}

struct Corrupt {
  const char* what;
  std::string header;
  size_t data_bytes;
  std::vector<std::string> expect;
};

TEST(Safetensors, ValidationErrorsNameTheProblem) {
  TestDir dir;
  auto t = [](const std::string& name, const std::string& dtype, const std::string& shape, size_t b,
              size_t e) {
    return "\"" + name + "\":{\"dtype\":\"" + dtype + "\",\"shape\":" + shape +
           ",\"data_offsets\":[" + std::to_string(b) + "," + std::to_string(e) + "]}";
  };
  const std::vector<Corrupt> cases = {
      {"bad json", "{\"a\": [1, 2", 0, {"bad JSON header"}},
      {"not an object", "[1, 2]", 0, {"not a JSON object"}},
      {"unknown dtype", "{" + t("w", "Q4", "[2]", 0, 2) + "}", 2, {"'w'", "unknown dtype 'Q4'"}},
      {"size mismatch",
       "{" + t("w", "F32", "[2,2]", 0, 12) + "}",
       12,
       {"'w'", "shape [2, 2]", "[0, 12]"}},
      {"out of range", "{" + t("w", "F32", "[4]", 0, 16) + "}", 8, {"'w'", "out of range"}},
      {"end before begin", "{" + t("w", "F32", "[1]", 8, 4) + "}", 8, {"'w'", "end before begin"}},
      {"overlap",
       "{" + t("a", "F32", "[2]", 0, 8) + "," + t("b", "F32", "[2]", 4, 12) + "}",
       12,
       {"'b'", "overlaps", "'a'"}},
      {"gap",
       "{" + t("a", "F32", "[1]", 0, 4) + "," + t("b", "F32", "[1]", 8, 12) + "}",
       12,
       {"gap of 4 bytes", "'b'"}},
      {"trailing", "{" + t("a", "F32", "[1]", 0, 4) + "}", 8, {"4 trailing bytes"}},
      {"negative dim", "{" + t("w", "F32", "[-1,2]", 0, 8) + "}", 8, {"'w'", "negative"}},
      {"float dim", "{" + t("w", "F32", "[1.5]", 0, 4) + "}", 4, {"'w'", "not integers"}},
      {"duplicate",
       "{" + t("a", "F32", "[1]", 0, 4) + "," + t("a", "F32", "[1]", 4, 8) + "}",
       8,
       {"duplicate tensor name 'a'"}},
      {"missing dtype", R"({"w":{"shape":[1],"data_offsets":[0,4]}})", 4, {"'w'", "'dtype'"}},
      {"missing offsets", R"({"w":{"dtype":"F32","shape":[1]}})", 4, {"'w'", "data_offsets"}},
      {"bad metadata", R"({"__metadata__":{"format":1}})", 0, {"__metadata__", "'format'"}},
  };
  for (const auto& c : cases) {
    SCOPED_TRACE(c.what);
    const std::string path = dir / "bad.safetensors";
    write_raw(path, c.header, c.data_bytes);
    try {
      Reader r(path);
      ADD_FAILURE() << "no error for " << c.what;
    } catch (const Error& e) {
      const std::string msg = e.what();
      EXPECT_EQ(msg.rfind("[safetensors] " + path + ": ", 0), 0u) << msg;
      for (const auto& p : c.expect)
        EXPECT_NE(msg.find(p), std::string::npos) << p << " in " << msg;
    }
  }
}

TEST(Safetensors, HeaderLengthAndShortFiles) {
  TestDir dir;
  write_raw(dir / "a.safetensors", "{}", 0, 1000);
  expect_error([&] { Reader r(dir / "a.safetensors"); }, {"header length 1000", "beyond"});
  write_raw(dir / "b.safetensors", "{}", 0, UINT64_MAX - 3);
  expect_error([&] { Reader r(dir / "b.safetensors"); }, {"beyond the file size"});
  write_text(dir / "c.safetensors", "abc");
  expect_error([&] { Reader r(dir / "c.safetensors"); }, {"too short"});
  expect_error([&] { Reader r(dir / "missing.safetensors"); }, {"missing.safetensors", "open"});
  // An empty header object is a valid empty file.
  write_raw(dir / "d.safetensors", "{}      ", 0);
  EXPECT_TRUE(Reader(dir / "d.safetensors").tensors().empty());
}

TEST(Safetensors, WriterRejectsBadInput) {
  TestDir dir;
  const float x[2] = {1, 2};
  std::vector<TensorRef> dup = {{"a", Dtype::F32, {2}, x}, {"a", Dtype::F32, {2}, x}};
  expect_error([&] { write(dir / "x.safetensors", dup); }, {"duplicate tensor name 'a'"});
  std::vector<TensorRef> neg = {{"a", Dtype::F32, {-2}, x}};
  expect_error([&] { write(dir / "x.safetensors", neg); }, {"'a'", "negative"});
  std::vector<TensorRef> reserved = {{"__metadata__", Dtype::F32, {2}, x}};
  expect_error([&] { write(dir / "x.safetensors", reserved); }, {"reserved"});
  EXPECT_FALSE(fs::exists(dir / "x.safetensors"));
}

TEST(Safetensors, ShardedWriteAndRead) {
  TestDir dir;
  std::vector<std::vector<float>> data;
  std::vector<TensorRef> ts;
  for (int i = 0; i < 5; ++i) data.emplace_back(100, static_cast<float>(i));  // 400 bytes each
  auto name = [](int i) { return std::string("t").append(std::to_string(i)); };
  for (int i = 0; i < 5; ++i) ts.push_back({name(i), Dtype::F32, {10, 10}, data[i].data()});

  const auto files = write_sharded(dir.str(), ts, 1000, {{"format", "pt"}});
  const std::vector<std::string> expect = {
      "model-00001-of-00003.safetensors", "model-00002-of-00003.safetensors",
      "model-00003-of-00003.safetensors", "model.safetensors.index.json"};
  EXPECT_EQ(files, expect);
  const auto index = nlohmann::json::parse(read_text(dir / "model.safetensors.index.json"));
  EXPECT_EQ(index["metadata"]["total_size"], 2000);
  EXPECT_EQ(index["weight_map"]["t0"], "model-00001-of-00003.safetensors");
  EXPECT_EQ(index["weight_map"]["t1"], "model-00001-of-00003.safetensors");
  EXPECT_EQ(index["weight_map"]["t2"], "model-00002-of-00003.safetensors");
  EXPECT_EQ(index["weight_map"]["t4"], "model-00003-of-00003.safetensors");
  EXPECT_EQ(Reader(dir / "model-00002-of-00003.safetensors").tensors().size(), 2u);

  ShardedReader set(dir.str());
  EXPECT_EQ(set.source(), dir / "model.safetensors.index.json");
  ASSERT_EQ(set.entries().size(), 5u);
  ASSERT_EQ(set.files().size(), 3u);
  for (int i = 0; i < 5; ++i) {
    const auto* e = set.find(name(i));
    ASSERT_NE(e, nullptr);
    std::vector<float> out(100);
    e->file->to_f32(*e->info, out.data());
    EXPECT_EQ(out, data[i]);
  }

  // Everything fits: one model.safetensors, no index (as transformers does).
  TestDir single;
  EXPECT_EQ(write_sharded(single.str(), ts, 0), std::vector<std::string>{"model.safetensors"});
  EXPECT_EQ(write_sharded(single.str(), ts, 1 << 20),
            std::vector<std::string>{"model.safetensors"});
  EXPECT_FALSE(fs::exists(single / "model.safetensors.index.json"));
  EXPECT_EQ(ShardedReader(single.str()).entries().size(), 5u);
  // A tensor larger than the limit gets a shard of its own.
  TestDir big;
  EXPECT_EQ(write_sharded(big.str(), ts, 100).size(), 6u);
}

TEST(Safetensors, ShardedIndexErrors) {
  TestDir dir;
  const float x[2] = {1, 2};
  std::vector<TensorRef> ts = {{"a", Dtype::F32, {2}, x}, {"b", Dtype::F32, {2}, x}};
  write_sharded(dir.str(), ts, 8);
  const std::string index = dir / "model.safetensors.index.json";
  auto j = nlohmann::json::parse(read_text(index));

  auto missing = j;
  missing["weight_map"]["c"] = "model-00002-of-00002.safetensors";
  write_text(index, missing.dump());
  expect_error([&] { ShardedReader s(dir.str()); }, {"'c'", "missing from"});

  // A shard the index points to holds a tensor the index does not list.
  auto unlisted = j;
  unlisted["weight_map"] = {{"a", "model-00002-of-00002.safetensors"}};
  write_text(index, unlisted.dump());
  expect_error([&] { ShardedReader s(dir.str()); }, {"'b'", "not mapped"});

  auto wrong_file = j;
  wrong_file["weight_map"]["b"] = "model-00001-of-00002.safetensors";
  write_text(index, wrong_file.dump());
  expect_error([&] { ShardedReader s(dir.str()); }, {"'b'"});

  write_text(index, "{\"weight_map\": 3}");
  expect_error([&] { ShardedReader s(dir.str()); }, {"weight_map"});
  write_text(index, "{ nope");
  expect_error([&] { ShardedReader s(dir.str()); }, {"bad JSON"});

  TestDir empty;
  expect_error([&] { ShardedReader s(empty.str()); },
               {"no model.safetensors or model.safetensors.index.json"});
}

}  // namespace
}  // namespace ascent::safetensors
