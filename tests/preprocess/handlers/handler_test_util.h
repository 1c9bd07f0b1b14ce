#pragma once
// Runs one handler on in-memory records with the LLaMA-2 SentencePiece tokenizer.
#include <gtest/gtest.h>

#include <memory>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>

#include "preprocess/handlers/handler.h"
#include "preprocess/preprocess_test_util.h"

namespace ascent::preprocess::testing {

inline PreprocessOptions handler_options(const std::string& handler) {
  PreprocessOptions o;
  o.handler_name = handler;
  return o;
}

// The handler's output for a good record (fails the test on a problem).
inline HandledRecord handle_ok(const PreprocessOptions& o, const nlohmann::json& record) {
  const std::unique_ptr<Handler> h = make_handler(o, llama2_encoder());
  HandledRecord out;
  if (const auto p = h->handle(record, out))
    ADD_FAILURE() << data::readers::problem_name(p->reason) << ": " << p->message << " in "
                  << record.dump();
  return out;
}

// The problem a bad record gives (fails the test when there is none).
inline HandlerProblem handle_bad(const PreprocessOptions& o, const nlohmann::json& record) {
  const std::unique_ptr<Handler> h = make_handler(o, llama2_encoder());
  HandledRecord out;
  if (auto p = h->handle(record, out)) return *p;
  ADD_FAILURE() << "no problem reported for " << record.dump();
  return HandlerProblem{data::readers::Problem::kTruncated, ""};
}

inline std::vector<int32_t> encode(const std::string& text) { return llama2().encode(text); }
inline std::vector<int32_t> with_eos(std::vector<int32_t> ids) {
  ids.push_back(llama2().eos_id());
  return ids;
}

}  // namespace ascent::preprocess::testing
