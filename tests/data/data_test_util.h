#pragma once
// Shared helpers of the data tests: a scratch directory under the build tree, the Python oracle
// (tests/oracle/indexed_dataset_oracle.py), datasets written by our builder, error expectations.
#include <gtest/gtest.h>
#include <unistd.h>

#include <cctype>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <functional>
#include <initializer_list>
#include <sstream>
#include <string>
#include <vector>

#include "core/error.h"
#include "data/indexed_dataset.h"
#include "support/test_dir.h"

namespace ascent::data::testing {

using ascent::testing::expect_error;
using ascent::testing::TestDir;

// documents -> sequences -> tokens, the shape the oracle reads and writes.
using Documents = std::vector<std::vector<std::vector<int32_t>>>;


inline std::string read_bytes(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  return std::string(std::istreambuf_iterator<char>(in), {});
}

inline void write_bytes(const std::string& path, const std::string& bytes) {
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out << bytes;
}

// Overwrites bytes [offset, offset + sizeof(T)) of a file with v.
template <typename T>
void patch(const std::string& path, size_t offset, T v) {
  std::string b = read_bytes(path);
  ASSERT_LE(offset + sizeof(T), b.size()) << path;
  std::memcpy(b.data() + offset, &v, sizeof(T));
  write_bytes(path, b);
}

inline std::string to_json(const Documents& docs) {
  std::ostringstream os;
  os << "[";
  for (size_t d = 0; d < docs.size(); ++d) {
    os << (d ? "," : "") << "[";
    for (size_t s = 0; s < docs[d].size(); ++s) {
      os << (s ? "," : "") << "[";
      for (size_t t = 0; t < docs[d][s].size(); ++t) os << (t ? "," : "") << docs[d][s][t];
      os << "]";
    }
    os << "]";
  }
  os << "]";
  return os.str();
}

// Parses the depth-3 integer array that follows `"documents":` in the oracle's JSON output.
inline Documents parse_documents(const std::string& json) {
  Documents docs;
  size_t i = json.find("\"documents\":");
  if (i == std::string::npos) {
    ADD_FAILURE() << "no documents in: " << json;
    return docs;
  }
  i = json.find('[', i);
  int depth = 0;
  for (; i < json.size(); ++i) {
    const char c = json[i];
    if (c == '[') {
      ++depth;
      if (depth == 2) docs.emplace_back();
      if (depth == 3) docs.back().emplace_back();
    } else if (c == ']') {
      if (--depth == 0) break;
    } else if (c == '-' || std::isdigit(static_cast<unsigned char>(c))) {
      size_t used = 0;
      const long long v = std::stoll(json.substr(i, 24), &used);
      docs.back().back().push_back(static_cast<int32_t>(v));
      i += used - 1;
    }
  }
  return docs;
}

inline std::string oracle_script() {
  return std::string(ASCENT_SOURCE_DIR) + "/tests/oracle/indexed_dataset_oracle.py";
}

// Runs a shell command, returning its exit status and (optionally) its stdout.
inline int run_command(const std::string& cmd, std::string* out = nullptr) {
  std::FILE* p = ::popen(cmd.c_str(), "r");
  if (!p) return -1;
  std::string text;
  char buf[4096];
  size_t n;
  while ((n = std::fread(buf, 1, sizeof(buf), p)) > 0) text.append(buf, n);
  const int status = ::pclose(p);
  if (out) *out = text;
  return status;
}

// Writes PREFIX.bin/.idx with the Python oracle.
inline void oracle_write(const std::string& prefix, const std::string& dtype,
                         const Documents& docs) {
  const std::string json_path = prefix + ".json";
  write_bytes(json_path, to_json(docs));
  const int rc = run_command("/usr/bin/python3 '" + oracle_script() + "' write '" + prefix + "' " +
                             dtype + " '" + json_path + "'");
  ASSERT_EQ(rc, 0) << "oracle write failed for " << prefix;
  std::filesystem::remove(json_path);
}

// Reads PREFIX.bin/.idx with the Python oracle; fails the test if it rejects the files.
inline Documents oracle_read(const std::string& prefix, std::string* dtype = nullptr) {
  std::string out;
  const int rc =
      run_command("/usr/bin/python3 '" + oracle_script() + "' read '" + prefix + "'", &out);
  EXPECT_EQ(rc, 0) << "oracle rejected " << prefix << ": " << out;
  if (dtype) {
    const size_t k = out.find("\"dtype\": \"");
    *dtype = k == std::string::npos ? "" : out.substr(k + 10, out.find('"', k + 10) - k - 10);
  }
  return parse_documents(out);
}

// Writes PREFIX.bin/.idx with our builder.
inline void build(const std::string& prefix, TokenType type, const Documents& docs) {
  IndexedDatasetBuilder b(prefix, type);
  for (const auto& doc : docs) {
    for (const auto& seq : doc) b.add_sequence(seq);
    b.end_document();
  }
  b.finalize();
}

// Every document of a dataset, read back with IndexedDataset::read.
inline Documents read_all(const IndexedDataset& ds) {
  Documents docs(static_cast<size_t>(ds.num_documents()));
  for (int64_t d = 0; d < ds.num_documents(); ++d)
    for (int64_t s = ds.doc_idx()[d]; s < ds.doc_idx()[d + 1]; ++s) {
      std::vector<int32_t> seq(static_cast<size_t>(ds.sequence_length(s)));
      ds.read(s, 0, ds.sequence_length(s), seq.data());
      docs[d].push_back(seq);
    }
  return docs;
}


}  // namespace ascent::data::testing
