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
#include "support/test_dir.h"

namespace ascent::testing {

inline std::string shared_data(const std::string& rel) {
  return std::string(ASCENT_SOURCE_DIR) + "/../shared/data/" + rel;
}
inline std::string llama2_model() { return shared_data("tokenizers/llama2/tokenizer.model"); }
inline std::string shakespeare() { return shared_data("tinyshakespeare/input.txt"); }




// The first `max_bytes` of a file, cut back to the last whole line.
inline std::string head_lines(const std::string& path, size_t max_bytes) {
  std::string s = read_text(path, max_bytes);
  s.resize(s.rfind('\n') + 1);
  return s;
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
