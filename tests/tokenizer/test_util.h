#pragma once
// Shared helpers of the tokenizer tests: scratch directories under the build tree, the shared
// data files, and the SentencePiece Python oracle (tests/oracle/sentencepiece_oracle.py).
#include <gtest/gtest.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <functional>
#include <initializer_list>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "core/error.h"

namespace ascent::testing {

inline std::string shared_data(const std::string& rel) {
  return std::string(ASCENT_SOURCE_DIR) + "/../shared/data/" + rel;
}
inline std::string llama2_model() { return shared_data("tokenizers/llama2/tokenizer.model"); }
inline std::string shakespeare() { return shared_data("tinyshakespeare/input.txt"); }

// A fresh directory under the build tree, removed at the end of the test.
class TestDir {
 public:
  TestDir() {
    const auto* info = ::testing::UnitTest::GetInstance()->current_test_info();
    std::string name = std::string(info->test_suite_name()) + "_" + info->name();
    for (char& ch : name)
      if (ch == '/') ch = '_';
    path_ = std::filesystem::path(ASCENT_BINARY_DIR) / "tokenizer_tests_tmp" /
            (name + "_" + std::to_string(getpid()));
    std::filesystem::remove_all(path_);
    std::filesystem::create_directories(path_);
  }
  ~TestDir() { std::filesystem::remove_all(path_); }
  TestDir(const TestDir&) = delete;
  TestDir& operator=(const TestDir&) = delete;

  std::string operator/(const std::string& rel) const { return (path_ / rel).string(); }
  std::string str() const { return path_.string(); }

 private:
  std::filesystem::path path_;
};

inline void write_text(const std::string& path, const std::string& text) {
  std::ofstream out(path, std::ios::binary);
  out << text;
}

inline std::string read_text(const std::string& path, size_t max_bytes = SIZE_MAX) {
  std::ifstream in(path, std::ios::binary);
  std::string s(std::istreambuf_iterator<char>(in), {});
  if (s.size() > max_bytes) s.resize(max_bytes);
  return s;
}

// The first `max_bytes` of a file, cut back to the last whole line.
inline std::string head_lines(const std::string& path, size_t max_bytes) {
  std::string s = read_text(path, max_bytes);
  s.resize(s.rfind('\n') + 1);
  return s;
}

// Runs f, expecting an ascent::Error whose message contains every one of parts.
inline void expect_error(const std::function<void()>& f, std::initializer_list<std::string> parts) {
  try {
    f();
  } catch (const ascent::Error& e) {
    const std::string msg = e.what();
    for (const auto& p : parts)
      EXPECT_NE(msg.find(p), std::string::npos) << "'" << p << "' not in: " << msg;
    return;
  }
  ADD_FAILURE() << "no ascent::Error thrown";
}

// Runs tests/oracle/sentencepiece_oracle.py with `args` (already quoted), logging to `log`.
inline int run_oracle(const std::string& args, const std::string& log) {
  const std::string cmd = "/usr/bin/python3 " + std::string(ASCENT_SOURCE_DIR) +
                          "/tests/oracle/sentencepiece_oracle.py " + args + " > " + log + " 2>&1";
  return std::system(cmd.c_str());
}

// Python SentencePiece's view of `texts` under `model` (see the oracle's docstring).
inline nlohmann::json oracle_encode(const std::string& model, const std::vector<std::string>& texts,
                                    const TestDir& dir) {
  const std::string in = dir / "oracle_in.jsonl", out = dir / "oracle_out.json";
  {
    std::ofstream f(in, std::ios::binary);
    for (const std::string& t : texts) f << nlohmann::json(t).dump() << "\n";
  }
  const int rc =
      run_oracle("encode --model '" + model + "' --input '" + in + "' --output '" + out + "'",
                 dir / "oracle.log");
  if (rc != 0) {
    ADD_FAILURE() << "oracle failed:\n" << read_text(dir / "oracle.log");
    return nlohmann::json();
  }
  return nlohmann::json::parse(read_text(out));
}

}  // namespace ascent::testing
