#include "cli/hf_export.h"

#include <filesystem>
#include <fstream>
#include <memory>
#include <nlohmann/json.hpp>

#include "core/error.h"
#include "core/log.h"
#include "tokenizer/tokenizer.h"

namespace ascent::cli {
namespace {

namespace fs = std::filesystem;
using json = nlohmann::json;

json read_json(const fs::path& file) {
  std::ifstream in(file);
  if (!in) throw error("[convert] ", file.string(), ": cannot be read");
  return json::parse(in);
}

void write_json(const fs::path& file, const json& j) {
  const fs::path tmp = file.string() + ".tmp";
  {
    std::ofstream out(tmp);
    out << j.dump(2) << "\n";
    if (!out) throw error("[convert] ", file.string(), ": cannot be written");
  }
  fs::rename(tmp, file);
}

void copy_into(const fs::path& from, const fs::path& dir, const std::string& name) {
  fs::copy_file(from, dir / name, fs::copy_options::overwrite_existing);
}

// Copies the tokenizer's files; returns their names.
std::vector<std::string> copy_tokenizer_files(const HfTokenizerSource& t, const fs::path& dir) {
  std::error_code ec;
  const fs::path src(t.path);
  std::vector<std::string> copied;
  if (!fs::is_directory(src, ec)) {  // one file: a SentencePiece .model or a tokenizer.json
    const std::string name = src.extension() == ".model" ? "tokenizer.model" : "tokenizer.json";
    copy_into(src, dir, name);
    return {name};
  }
  for (const char* name : {"tokenizer.json", "tokenizer_config.json", "special_tokens_map.json",
                           "tokenizer.model", "vocab.json", "merges.txt", "added_tokens.json"}) {
    if (!fs::is_regular_file(src / name, ec)) continue;
    copy_into(src / name, dir, name);
    copied.push_back(name);
  }
  return copied;
}

// A SentencePiece model alone: HF's LlamaTokenizer reads tokenizer.model with this config.
void write_sentencepiece_config(const tokenizer::Tokenizer& tok, const fs::path& dir) {
  json cfg = {{"tokenizer_class", "LlamaTokenizer"},
              {"add_bos_token", true},
              {"add_eos_token", false},
              {"clean_up_tokenization_spaces", false},
              {"legacy", true}};
  json special = json::object();
  const auto put = [&](const char* key, int32_t id) {
    if (id < 0) return;
    cfg[key] = tok.id_to_piece(id);
    special[key] = tok.id_to_piece(id);
  };
  put("bos_token", tok.bos_id());
  put("eos_token", tok.eos_id());
  put("unk_token", tok.unk_id());
  put("pad_token", tok.pad_id());
  write_json(dir / "tokenizer_config.json", cfg);
  write_json(dir / "special_tokens_map.json", special);
}

// bos / eos / pad ids: -1 omitted (HF's null).
void put_ids(json& j, const tokenizer::Tokenizer* tok) {
  if (!tok) return;
  if (tok->bos_id() >= 0) j["bos_token_id"] = tok->bos_id();
  if (tok->eos_id() >= 0) j["eos_token_id"] = tok->eos_id();
  if (tok->pad_id() >= 0) j["pad_token_id"] = tok->pad_id();
}

}  // namespace

HfTokenizerSource tokenizer_for_export(const CheckpointInfo& ckpt, const std::string& flag_type,
                                       const std::string& flag_path) {
  HfTokenizerSource t;
  const json& args = ckpt.state.args;
  if (!flag_path.empty()) {
    t.path = flag_path;
    t.from_flags = true;
  } else if (args.is_object() && args.value("tokenizer-name-or-path", json("")).is_string()) {
    t.path = args.value("tokenizer-name-or-path", std::string());
  }
  t.type = !flag_type.empty() ? flag_type : "SentencePiece";
  if (flag_type.empty() && args.is_object() && args.contains("tokenizer-type") &&
      args["tokenizer-type"].is_string())
    t.type = args["tokenizer-type"].get<std::string>();
  return t;
}

DType hf_export_dtype(const CheckpointInfo& ckpt, const std::string& flag) {
  if (!flag.empty()) return parse_dtype(flag);
  const json& args = ckpt.state.args;
  if (args.is_object() && args.value("fp16", false)) return DType::F16;
  return DType::BF16;  // a --bf16 run, and HF's usual dtype for an f32 one
}

void check_hf_output_dir(const std::string& dir, bool overwrite) {
  std::error_code ec;
  if (!fs::exists(dir, ec) || overwrite) return;
  if (!fs::is_directory(dir, ec))
    throw error("[convert] --save ", dir, ": exists and is not a directory");
  if (!fs::is_empty(dir, ec))
    throw error("[convert] --save ", dir,
                ": directory exists and is not empty; give an empty or new directory, or "
                "--overwrite to replace its model files");
}

void write_hf_extras(const std::string& out, const HfTokenizerSource& t) {
  const fs::path dir(out);
  std::unique_ptr<tokenizer::Tokenizer> tok;
  std::error_code ec;
  if (!t.path.empty() && (t.from_flags || fs::exists(t.path, ec))) {
    tok = tokenizer::load_tokenizer(t.type, t.path);  // throws for a bad --tokenizer-name-or-path
    const std::vector<std::string> files = copy_tokenizer_files(t, dir);
    const bool sentencepiece_only =
        files == std::vector<std::string>{"tokenizer.model"} ||
        (fs::is_regular_file(t.path, ec) && fs::path(t.path).extension() == ".model");
    if (sentencepiece_only) write_sentencepiece_config(*tok, dir);
  } else {
    ASCENT_LOG_WARN(
        "[convert] no tokenizer files in {}: {}; pass --tokenizer-name-or-path (and "
        "--tokenizer-type) to ship the tokenizer and its bos/eos ids",
        out,
        t.path.empty() ? "the checkpoint's run configuration names none"
                       : "the run's tokenizer " + t.path + " is not found from here");
  }
  json config = read_json(dir / "config.json");
  put_ids(config, tok.get());
  write_json(dir / "config.json", config);
  json gen = {{"_from_model_config", true}};
  put_ids(gen, tok.get());
  write_json(dir / "generation_config.json", gen);
}

}  // namespace ascent::cli
