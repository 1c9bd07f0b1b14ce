#include "preprocess/pretrain.h"

#include <omp.h>

#include <filesystem>
#include <fstream>
#include <memory>
#include <nlohmann/json.hpp>
#include <string>
#include <string_view>
#include <vector>

#include "core/error.h"
#include "core/log.h"
#include "core/timer.h"
#include "data/indexed_dataset.h"
#include "tokenizer/tokenizer.h"

namespace ascent::preprocess {
using tokenizer::load_tokenizer;
using tokenizer::Tokenizer;
namespace {

enum class InputFormat { kText, kJsonLines };

constexpr size_t kMaxExamples = 10;
// Lines are encoded in parallel a batch at a time and written in input order.
constexpr size_t kBatchLines = 4096;
constexpr size_t kBatchBytes = 16 << 20;

InputFormat input_format(const std::string& path) {
  const std::string ext = std::filesystem::path(path).extension().string();
  if (ext == ".txt") return InputFormat::kText;
  if (ext == ".jsonl" || ext == ".json") return InputFormat::kJsonLines;
  throw error("[preprocess] --input ", path, ": unknown format '", ext,
              "' (expected .txt, .jsonl or .json)");
}

struct Line {
  int64_t number = 0;  // 1-based
  std::string text;
};

// What one input line becomes: a token sequence per key, or the reason it is skipped.
struct Encoded {
  enum class Kind { kDocument, kEmptyLine, kEmptyDocument, kMalformed } kind = Kind::kDocument;
  std::string reason;                     // kMalformed only
  std::vector<std::vector<int32_t>> ids;  // [key][token]
};

class LineEncoder {
 public:
  LineEncoder(const PreprocessOptions& opts, InputFormat format, const Tokenizer& tok)
      : opts_(opts), format_(format), tok_(tok) {}

  // Never throws: a problem with the line is reported in the result (runs inside OpenMP).
  Encoded encode(const std::string& line) const {
    Encoded out;
    if (is_blank(line)) {
      out.kind = Encoded::Kind::kEmptyLine;
      return out;
    }
    try {
      if (format_ == InputFormat::kText) {
        out.ids.push_back(encode_document(strip_cr(line)));
      } else if (!encode_json(line, out)) {
        return out;
      }
    } catch (const std::exception& e) {
      out.kind = Encoded::Kind::kMalformed;
      out.reason = e.what();
      return out;
    }
    bool any = false;
    for (const auto& ids : out.ids) any = any || !ids.empty();
    if (!any) out.kind = Encoded::Kind::kEmptyDocument;
    return out;
  }

 private:
  static std::string_view strip_cr(std::string_view s) {
    if (!s.empty() && s.back() == '\r') s.remove_suffix(1);
    return s;
  }
  bool is_blank(const std::string& line) const {
    if (format_ == InputFormat::kText) return strip_cr(line).empty();
    return line.find_first_not_of(" \t\r") == std::string::npos;
  }

  // Megatron appends EOD only to documents with tokens, so an empty text stays empty.
  std::vector<int32_t> encode_document(std::string_view text) const {
    std::vector<int32_t> ids = tok_.encode(text);
    if (opts_.append_eod && !ids.empty()) ids.push_back(tok_.eos_id());
    return ids;
  }

  bool encode_json(const std::string& line, Encoded& out) const {
    const auto malformed = [&out](std::string reason) {
      out.kind = Encoded::Kind::kMalformed;
      out.reason = std::move(reason);
      return false;
    };
    nlohmann::json doc;
    try {
      doc = nlohmann::json::parse(line);
    } catch (const nlohmann::json::parse_error& e) {
      // Drop nlohmann's "[json.exception.parse_error.101] " tag; keep the position and cause.
      const std::string_view what = e.what();
      const size_t tag = what.find("] ");
      return malformed("invalid JSON: " +
                       std::string(tag == std::string_view::npos ? what : what.substr(tag + 2)));
    }
    if (!doc.is_object()) return malformed("not a JSON object");
    for (const std::string& key : opts_.json_keys) {
      const auto it = doc.find(key);
      if (it == doc.end()) return malformed("missing key '" + key + "'");
      if (!it->is_string()) return malformed("key '" + key + "' is not a string");
      out.ids.push_back(encode_document(it->get_ref<const std::string&>()));
    }
    return true;
  }

  const PreprocessOptions& opts_;
  InputFormat format_;
  const Tokenizer& tok_;
};

std::string output_prefix(const PreprocessOptions& opts, const std::string& key) {
  return opts.output_prefix + "_" + key + "_document";
}

// Reads up to one batch of lines; false at end of input.
bool read_batch(std::istream& in, int64_t& line_number, std::vector<Line>& batch) {
  batch.clear();
  size_t bytes = 0;
  std::string text;
  while (batch.size() < kBatchLines && bytes < kBatchBytes && std::getline(in, text)) {
    bytes += text.size() + 1;
    batch.push_back(Line{++line_number, std::move(text)});
  }
  return !batch.empty();
}

}  // namespace

void PreprocessOptions::validate() const {
  std::error_code ec;
  if (input.empty()) throw error("[preprocess] --input: required");
  if (!std::filesystem::is_regular_file(input, ec))
    throw error("[preprocess] --input ", input, ": no such file");
  const InputFormat format = input_format(input);
  if (json_keys.empty()) throw error("[preprocess] --json-keys: at least one key required");
  for (const std::string& key : json_keys)
    if (key.empty() || key.find('/') != std::string::npos)
      throw error("[preprocess] --json-keys '", key, "': must be a non-empty name without '/'");
  if (format == InputFormat::kText && json_keys.size() != 1)
    throw error("[preprocess] --json-keys: a .txt input takes exactly one key (", input, ")");
  if (tokenizer_path.empty()) throw error("[preprocess] --tokenizer-name-or-path: required");
  if (output_prefix.empty()) throw error("[preprocess] --output-prefix: required");
  if (log_interval <= 0)
    throw error("[preprocess] --log-interval ", log_interval, ": must be positive");
  if (workers < 0) throw error("[preprocess] --workers ", workers, ": must be >= 0");
}

PreprocessStats preprocess_pretrain(const PreprocessOptions& opts) {
  opts.validate();
  const InputFormat format = input_format(opts.input);
  const std::unique_ptr<Tokenizer> tok = load_tokenizer(opts.tokenizer_type, opts.tokenizer_path);
  if (opts.append_eod && tok->eos_id() < 0)
    throw error("[preprocess] --append-eod: tokenizer ", opts.tokenizer_path, " has no EOS token");

  std::ifstream in(opts.input, std::ios::binary);
  if (!in) throw error("[preprocess] --input ", opts.input, ": cannot be read");
  const std::filesystem::path parent = std::filesystem::path(opts.output_prefix).parent_path();
  std::error_code ec;
  if (!parent.empty()) std::filesystem::create_directories(parent, ec);
  if (ec) throw error("[preprocess] --output-prefix ", opts.output_prefix, ": ", ec.message());

  PreprocessStats stats;
  stats.input_bytes = static_cast<int64_t>(std::filesystem::file_size(opts.input, ec));
  const data::TokenType type = data::token_type_for_vocab(tok->vocab_size());
  std::vector<std::unique_ptr<data::IndexedDatasetBuilder>> builders;
  for (const std::string& key : opts.json_keys) {
    stats.outputs.push_back(output_prefix(opts, key));
    builders.push_back(std::make_unique<data::IndexedDatasetBuilder>(stats.outputs.back(), type));
  }

  const LineEncoder encoder(opts, format, *tok);
  const int threads = opts.workers > 0 ? opts.workers : omp_get_max_threads();
  const Timer timer;
  std::vector<Line> batch;
  std::vector<Encoded> encoded;
  int64_t line_number = 0;
  while (read_batch(in, line_number, batch)) {
    encoded.assign(batch.size(), Encoded{});
    const int64_t n = static_cast<int64_t>(batch.size());
#pragma omp parallel for schedule(dynamic, 16) num_threads(threads)
    for (int64_t i = 0; i < n; ++i) encoded[i] = encoder.encode(batch[i].text);

    for (size_t i = 0; i < batch.size(); ++i) {
      ++stats.lines;
      Encoded& e = encoded[i];
      switch (e.kind) {
        case Encoded::Kind::kEmptyLine:
          ++stats.empty_lines;
          continue;
        case Encoded::Kind::kEmptyDocument:
          ++stats.empty_documents;
          continue;
        case Encoded::Kind::kMalformed: {
          const std::string where = opts.input + ":" + std::to_string(batch[i].number);
          if (opts.strict) throw error("[preprocess] ", where, ": ", e.reason, " (--strict)");
          ++stats.malformed_lines;
          if (stats.malformed_examples.size() < kMaxExamples)
            stats.malformed_examples.push_back(where + ": " + e.reason);
          continue;
        }
        case Encoded::Kind::kDocument:
          break;
      }
      for (size_t k = 0; k < builders.size(); ++k) {
        builders[k]->add_sequence(e.ids[k]);
        builders[k]->end_document();
        stats.tokens += static_cast<int64_t>(e.ids[k].size());
      }
      ++stats.documents;
      if (stats.documents % opts.log_interval == 0)
        ASCENT_LOG_INFO("[preprocess] {} documents, {} tokens, {:.1f} s", stats.documents,
                        stats.tokens, timer.seconds());
    }
  }
  if (in.bad()) throw error("[preprocess] --input ", opts.input, ": read error");
  for (auto& b : builders) b->finalize();
  stats.seconds = timer.seconds();
  return stats;
}

}  // namespace ascent::preprocess
