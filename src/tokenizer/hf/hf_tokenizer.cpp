#include "tokenizer/hf/hf_tokenizer.h"

#include <algorithm>

#include "core/error.h"
#include "tokenizer/hf/added_vocabulary.h"
#include "tokenizer/hf/bpe_model.h"
#include "tokenizer/hf/decoders.h"
#include "tokenizer/hf/normalizers.h"
#include "tokenizer/hf/post_processors.h"
#include "tokenizer/hf/pre_tokenizers.h"
#include "tokenizer/hf/tokenizer_json.h"
#include "tokenizer/hf/unicode.h"

namespace ascent::tokenizer::hf {
namespace {

// Per-thread working buffers of encode (encode runs on several OpenMP threads at once).
struct Workspace {
  std::string repaired;
  std::string normalized;
  std::vector<AddedVocabulary::Segment> raw_segments, normalized_segments;
  Pieces pieces, scratch;
};

Workspace& workspace() {
  thread_local Workspace ws;
  return ws;
}

}  // namespace

HfTokenizer::HfTokenizer(std::string file) : file_(std::move(file)) {}

HfTokenizer::HfTokenizer(const Json& j, const std::string& file) : file_(file) {
  TokenizerJson parsed{j, false, false, {}, {}};
  build(parsed);
}

void HfTokenizer::build(TokenizerJson& parsed) {
  const Json& j = parsed.root;
  const JsonPath root(file_, "");
  require_object(j, root);
  const std::string version = string_field(j, "version", root, "1.0");
  if (version != "1.0") (root / "version").fail("unknown tokenizer.json version '" + version + "'");
  const auto member = [&](const char* key) -> const Json& {
    static const Json null_json;
    const auto it = j.find(key);
    return it == j.end() ? null_json : *it;
  };
  model_ = std::make_unique<BpeModel>(
      parse_bpe_config(require_member(j, "model", root), root / "model", &parsed), root / "model");
  normalizer_ = make_normalizer(member("normalizer"), root / "normalizer");
  // A final ByteLevel step leaves the byte mapping to the model (see Pieces::bytes_pending).
  pre_tokenizer_ = make_pre_tokenizer(member("pre_tokenizer"), root / "pre_tokenizer", true);
  post_processor_ = make_post_processor(member("post_processor"), root / "post_processor");
  decoder_ = make_decoder(member("decoder"), root / "decoder");
  added_ = std::make_unique<AddedVocabulary>(
      parse_added_tokens(member("added_tokens"), root / "added_tokens"), *model_,
      normalizer_.get());
  vocab_size_ = std::max<int64_t>(model_->max_id(), added_->max_id()) + 1;
  if (!model_->unk_token().empty()) unk_id_ = token_to_id(model_->unk_token());
  eos_id_ = token_to_id("<|endoftext|>");  // GPT-2 style files; a configuration overrides it
}

HfTokenizer::~HfTokenizer() = default;

void HfTokenizer::set_special_tokens(const SpecialTokenNames& names) {
  const auto apply = [&](const std::optional<std::string>& name, int32_t& id) {
    if (name) id = name->empty() ? -1 : token_to_id(*name);
  };
  apply(names.bos, bos_id_);
  apply(names.eos, eos_id_);
  apply(names.pad, pad_id_);
  apply(names.unk, unk_id_);
}

int32_t HfTokenizer::token_to_id(std::string_view token) const {
  const int32_t id = added_->token_to_id(token);
  return id >= 0 ? id : model_->token_to_id(token);
}

void HfTokenizer::encode_segment(std::string_view segment, bool first,
                                 std::vector<int32_t>& out) const {
  if (segment.empty()) return;
  if (!pre_tokenizer_) {
    model_->tokenize(segment, false, out);
    return;
  }
  Workspace& ws = workspace();
  Pieces& p = ws.pieces;
  p.text.assign(segment);
  p.list.assign(1, {0, static_cast<uint32_t>(segment.size()), first});
  p.bytes_pending = false;
  pre_tokenizer_->pre_tokenize(p, ws.scratch);
  model_->tokenize(p, out);
}

void HfTokenizer::encode_into(std::string_view text, std::vector<int32_t>& out) const {
  if (text.size() >= UINT32_MAX / 4)  // pieces hold 32-bit offsets (byte-level text doubles)
    throw error("[tokenizer] ", file_, ": cannot encode a text of ", text.size(),
                " bytes at once (split it into documents below 1 GiB)");
  Workspace& ws = workspace();
  if (!is_valid_utf8(text)) {  // HF takes Unicode strings: invalid bytes become U+FFFD
    ws.repaired.clear();
    append_utf8_lossy(ws.repaired, text);
    text = ws.repaired;
  }
  added_->split_raw(text, ws.raw_segments);
  for (const AddedVocabulary::Segment& seg : ws.raw_segments) {
    if (seg.id >= 0) {
      out.push_back(seg.id);
      continue;
    }
    std::string_view s = text.substr(seg.begin, seg.end - seg.begin);
    const bool first = seg.begin == 0;
    if (normalizer_) {
      ws.normalized.assign(s);
      normalizer_->normalize(ws.normalized);
      s = ws.normalized;
    }
    if (!added_->has_normalized_tokens()) {
      encode_segment(s, first, out);
      continue;
    }
    added_->split_normalized(s, ws.normalized_segments);
    for (const AddedVocabulary::Segment& sub : ws.normalized_segments) {
      if (sub.id >= 0)
        out.push_back(sub.id);
      else
        encode_segment(s.substr(sub.begin, sub.end - sub.begin), first && sub.begin == 0, out);
    }
  }
}

std::vector<int32_t> HfTokenizer::encode(std::string_view text) const {
  std::vector<int32_t> ids;
  ids.reserve(text.size() / 3 + 4);
  encode_into(text, ids);
  return ids;
}

std::vector<int32_t> HfTokenizer::encode_with_special_tokens(std::string_view text) const {
  std::vector<int32_t> ids = encode(text);
  if (post_processor_) post_processor_->process(ids);
  return ids;
}

void HfTokenizer::check_id(int32_t id) const {
  if (id < 0 || id >= vocab_size_)
    throw error("[tokenizer] ", file_, ": token id ", id, " outside the vocabulary [0, ",
                vocab_size_, ")");
}

std::string HfTokenizer::decode(std::span<const int32_t> ids) const {
  std::vector<std::string> tokens;
  tokens.reserve(ids.size());
  for (const int32_t id : ids) {
    check_id(id);
    std::string_view t;
    if (const std::string* added = added_->id_to_token(id)) {
      t = *added;
    } else if (!model_->id_to_token(id, &t)) {
      continue;
    }
    if (added_->is_special(t)) continue;
    tokens.emplace_back(t);
  }
  return decode_tokens(decoder_.get(), std::move(tokens));
}

std::string HfTokenizer::id_to_piece(int32_t id) const {
  check_id(id);
  if (const std::string* added = added_->id_to_token(id)) return *added;
  std::string_view t;
  return model_->id_to_token(id, &t) ? std::string(t) : std::string();
}

}  // namespace ascent::tokenizer::hf
