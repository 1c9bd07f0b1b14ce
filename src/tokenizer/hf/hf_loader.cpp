// Finding and reading HF tokenizer files: tokenizer.json, GPT-2's vocab.json + merges.txt,
// tokenizer_config.json / special_tokens_map.json, and the directory layouts that hold them.
#include <filesystem>
#include <fstream>
#include <sstream>

#include "core/error.h"
#include "tokenizer/hf/hf_tokenizer.h"
#include "tokenizer/hf/tokenizer_json.h"
#include "tokenizer/sentencepiece_tokenizer.h"

namespace ascent::tokenizer::hf {
namespace {

namespace fs = std::filesystem;

std::string read_file(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw error("[tokenizer] ", path, ": cannot be read");
  std::ostringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

Json parse_json_file(const std::string& path) {
  const std::string text = read_file(path);
  try {
    return Json::parse(text);
  } catch (const Json::parse_error& e) {
    throw error("[tokenizer] ", path, ": malformed JSON (", e.what(), ")");
  }
}

bool is_file(const fs::path& p) {
  std::error_code ec;
  return fs::is_regular_file(p, ec);
}

// A special token entry: "<s>", {"content": "<s>", ...} or null.
std::optional<std::string> token_name(const Json& obj, const char* key, const std::string& file) {
  const auto it = obj.find(key);
  if (it == obj.end()) return std::nullopt;
  if (it->is_null()) return std::string();
  if (it->is_string()) return it->get<std::string>();
  if (it->is_object() && it->contains("content") && (*it)["content"].is_string())
    return (*it)["content"].get<std::string>();
  throw error("[tokenizer] ", file, ": ", key, ": expected a string or {\"content\": ...}, found ",
              it->dump());
}

}  // namespace

std::unique_ptr<HfTokenizer> HfTokenizer::from_file(const std::string& file) {
  TokenizerJson parsed = parse_tokenizer_json(read_file(file), file);
  std::unique_ptr<HfTokenizer> tok(new HfTokenizer(file));
  tok->build(parsed);
  return tok;
}

std::unique_ptr<HfTokenizer> HfTokenizer::from_gpt2_files(const std::string& vocab_json,
                                                          const std::string& merges_txt) {
  const Json vocab = parse_json_file(vocab_json);
  if (!vocab.is_object()) throw error("[tokenizer] ", vocab_json, ": expected {token: id}");
  Json merges = Json::array();
  std::istringstream lines(read_file(merges_txt));
  std::string line;
  while (std::getline(lines, line)) {
    if (!line.empty() && line.back() == '\r') line.pop_back();
    if (line.rfind("#version", 0) == 0) continue;
    if (line.empty()) continue;
    merges.push_back(line);
  }
  const Json byte_level = {{"type", "ByteLevel"},
                           {"add_prefix_space", false},
                           {"trim_offsets", true},
                           {"use_regex", true}};
  Json added = Json::array();
  if (vocab.contains("<|endoftext|>"))
    added.push_back({{"id", vocab["<|endoftext|>"]},
                     {"content", "<|endoftext|>"},
                     {"single_word", false},
                     {"lstrip", false},
                     {"rstrip", false},
                     {"normalized", true},
                     {"special", true}});
  const Json j = {{"version", "1.0"},
                  {"added_tokens", added},
                  {"normalizer", nullptr},
                  {"pre_tokenizer", byte_level},
                  {"post_processor", byte_level},
                  {"decoder", byte_level},
                  {"model", {{"type", "BPE"}, {"vocab", vocab}, {"merges", merges}}}};
  // Errors in the vocabulary or merges name the merges file (model.merges[i] is line i + 1).
  return std::make_unique<HfTokenizer>(j, merges_txt);
}

SpecialTokenNames read_special_token_names(const std::string& dir) {
  SpecialTokenNames names;
  for (const char* name : {"tokenizer_config.json", "special_tokens_map.json"}) {
    const fs::path file = fs::path(dir) / name;
    if (!is_file(file)) continue;
    const Json j = parse_json_file(file.string());
    if (!j.is_object()) throw error("[tokenizer] ", file.string(), ": expected a JSON object");
    const auto fill = [&](std::optional<std::string>& slot, const char* key) {
      if (!slot) slot = token_name(j, key, file.string());
    };
    fill(names.bos, "bos_token");
    fill(names.eos, "eos_token");
    fill(names.pad, "pad_token");
    fill(names.unk, "unk_token");
  }
  return names;
}

std::unique_ptr<Tokenizer> load_hf_tokenizer(const std::string& type, const std::string& path) {
  const bool gpt2 = type == "GPT2BPETokenizer";
  std::error_code ec;
  const fs::path p(path);
  std::unique_ptr<HfTokenizer> tok;
  fs::path dir;
  if (fs::is_directory(p, ec)) {
    dir = p;
    if (is_file(p / "tokenizer.json")) {
      tok = HfTokenizer::from_file((p / "tokenizer.json").string());
    } else if (is_file(p / "vocab.json") && is_file(p / "merges.txt")) {
      tok = HfTokenizer::from_gpt2_files((p / "vocab.json").string(), (p / "merges.txt").string());
    } else if (!gpt2 && is_file(p / "tokenizer.model")) {
      return std::make_unique<SentencePieceTokenizer>((p / "tokenizer.model").string());
    } else {
      throw error("[tokenizer] ", path, ": directory has no tokenizer.json",
                  gpt2 ? " nor vocab.json + merges.txt (--tokenizer-type GPT2BPETokenizer)"
                       : ", vocab.json + merges.txt nor tokenizer.model "
                         "(--tokenizer-type PretrainedFromHF)");
    }
  } else if (is_file(p)) {
    dir = p.parent_path();
    if (p.extension() == ".model") {
      if (gpt2)
        throw error("[tokenizer] ", path,
                    ": --tokenizer-type GPT2BPETokenizer needs a tokenizer.json or a directory "
                    "with vocab.json + merges.txt, not a SentencePiece model");
      return std::make_unique<SentencePieceTokenizer>(path);
    }
    tok = HfTokenizer::from_file(path);
  } else {
    throw error("[tokenizer] ", path, ": no such file or directory (--tokenizer-name-or-path)");
  }
  tok->set_special_tokens(read_special_token_names(dir.empty() ? "." : dir.string()));
  return tok;
}

std::unique_ptr<Tokenizer> load_gpt2_files(const std::string& vocab_file,
                                           const std::string& merge_file) {
  if (!is_file(vocab_file))
    throw error("[tokenizer] ", vocab_file, ": no such file (--vocab-file)");
  if (merge_file.empty())
    throw error("[tokenizer] --vocab-file ", vocab_file,
                ": a GPT-2 BPE vocabulary needs its merges too (--merge-file merges.txt)");
  if (!is_file(merge_file))
    throw error("[tokenizer] ", merge_file, ": no such file (--merge-file)");
  std::unique_ptr<HfTokenizer> tok = HfTokenizer::from_gpt2_files(vocab_file, merge_file);
  const fs::path dir = fs::path(vocab_file).parent_path();
  tok->set_special_tokens(read_special_token_names(dir.empty() ? "." : dir.string()));
  return tok;
}

}  // namespace ascent::tokenizer::hf
