#include "tokenizer/hf/tokenizer_json.h"

#include <vector>

#include "core/error.h"

namespace ascent::tokenizer::hf {
namespace {

// A SAX handler building the JSON tree like nlohmann's own, except that the entries of
// model.vocab and model.merges go to the TokenizerJson lists.
class Builder {
 public:
  Builder(TokenizerJson& out, const std::string& file) : out_(out), file_(file) {}

  bool null() { return value(Json(nullptr)); }
  bool boolean(bool v) { return value(Json(v)); }
  bool number_integer(Json::number_integer_t v) {
    if (in_vocab()) vocab_id_error(Json(v).dump());
    return value(Json(v));
  }
  bool number_unsigned(Json::number_unsigned_t v) {
    if (in_vocab()) {
      if (v > INT32_MAX) vocab_id_error(std::to_string(v));
      out_.vocab.emplace_back(std::move(key_), static_cast<int32_t>(v));
      return true;
    }
    return value(Json(v));
  }
  bool number_float(Json::number_float_t v, const std::string&) {
    if (in_vocab()) vocab_id_error(Json(v).dump());
    return value(Json(v));
  }
  bool string(std::string& v) {
    if (in_vocab()) vocab_id_error(Json(v).dump());
    if (in_merges()) {
      merge_string(std::move(v));
      return true;
    }
    if (in_merge_pair()) {
      pair_.push_back(std::move(v));
      return true;
    }
    return value(Json(std::move(v)));
  }
  bool binary(Json::binary_t&) { return value(Json()); }

  bool start_object(size_t) {
    if (in_vocab() || in_merges() || in_merge_pair()) collection_error("an object");
    if (vocab_next()) {
      place(Json());
      out_.vocab_taken = true;
      kinds_.push_back(Kind::kVocab);
      return true;
    }
    push_container(Json::object());
    return true;
  }
  bool key(std::string& k) {
    key_ = std::move(k);
    if (kinds_.size() == 1 && kinds_[0] == Kind::kObject) top_key_ = key_;
    if (kinds_.size() == 2 && top_key_ == "model") model_key_ = key_;
    return true;
  }
  bool end_object() { return pop(); }

  bool start_array(size_t) {
    if (in_vocab()) collection_error("a list");
    if (in_merge_pair()) collection_error("a nested list");
    if (in_merges()) {
      kinds_.push_back(Kind::kMergePair);
      pair_.clear();
      return true;
    }
    if (merges_next()) {
      place(Json());
      out_.merges_taken = true;
      kinds_.push_back(Kind::kMerges);
      return true;
    }
    push_container(Json::array());
    return true;
  }
  bool end_array() {
    if (in_merge_pair()) {
      if (pair_.size() != 2) merge_error("expected [\"left\", \"right\"]");
      out_.merges.emplace_back(std::move(pair_[0]), std::move(pair_[1]));
      ++merge_index_;  // index of the entry in the file, for error messages
    }
    return pop();
  }

  bool parse_error(std::size_t, const std::string&, const nlohmann::detail::exception& e) {
    throw error("[tokenizer] ", file_, ": malformed JSON (", e.what(), ")");
  }

 private:
  enum class Kind { kObject, kArray, kVocab, kMerges, kMergePair };

  bool in_vocab() const { return !kinds_.empty() && kinds_.back() == Kind::kVocab; }
  bool in_merges() const { return !kinds_.empty() && kinds_.back() == Kind::kMerges; }
  bool in_merge_pair() const { return !kinds_.empty() && kinds_.back() == Kind::kMergePair; }
  // The next value is model.vocab / model.merges.
  bool at_model_member(const char* name) const {
    return kinds_.size() == 2 && kinds_[0] == Kind::kObject && kinds_[1] == Kind::kObject &&
           top_key_ == "model" && model_key_ == name;
  }
  bool vocab_next() const { return at_model_member("vocab"); }
  bool merges_next() const { return at_model_member("merges"); }

  void push_container(Json v) {
    Json* slot = place(std::move(v));
    stack_.push_back(slot);
    kinds_.push_back(slot->is_object() ? Kind::kObject : Kind::kArray);
  }
  bool pop() {
    const Kind k = kinds_.back();
    kinds_.pop_back();
    if (k == Kind::kVocab || k == Kind::kMerges || k == Kind::kMergePair) return true;
    stack_.pop_back();
    return true;
  }
  bool value(Json v) {
    if (in_merges())
      merge_error("expected \"left right\" or [\"left\", \"right\"], found " + v.dump());
    if (in_merge_pair()) merge_error("expected [\"left\", \"right\"], found " + v.dump());
    place(std::move(v));
    return true;
  }
  Json* place(Json v) {
    if (stack_.empty()) {
      out_.root = std::move(v);
      return &out_.root;
    }
    Json& parent = *stack_.back();
    if (parent.is_array()) {
      parent.push_back(std::move(v));
      return &parent.back();
    }
    Json& slot = parent[key_];
    slot = std::move(v);
    return &slot;
  }

  void merge_string(std::string line) {
    if (line.rfind("#version", 0) == 0) {
      ++merge_index_;
      return;
    }
    const size_t sp = line.find(' ');
    if (sp == std::string::npos || line.find(' ', sp + 1) != std::string::npos)
      merge_error("expected \"left right\" (two tokens separated by one space), found \"" + line +
                  "\"");
    out_.merges.emplace_back(line.substr(0, sp), line.substr(sp + 1));
    ++merge_index_;
  }
  [[noreturn]] void merge_error(const std::string& what) const {
    JsonPath(file_, "model.merges")[merge_index_].fail(what);
  }
  [[noreturn]] void vocab_id_error(const std::string& found) const {
    JsonPath(file_, "model.vocab")
        .fail("id of '" + key_ + "' must be an integer in [0, 2^31), found " + found);
  }
  [[noreturn]] void collection_error(const char* what) const {
    if (in_vocab()) vocab_id_error(what);
    merge_error(std::string("unexpected ") + what);
  }

  TokenizerJson& out_;
  const std::string& file_;
  std::vector<Json*> stack_;
  std::vector<Kind> kinds_;
  std::string key_, top_key_, model_key_;
  std::vector<std::string> pair_;
  size_t merge_index_ = 0;
};

}  // namespace

TokenizerJson parse_tokenizer_json(std::string_view text, const std::string& file) {
  TokenizerJson out;
  Builder builder(out, file);
  Json::sax_parse(text.begin(), text.end(), &builder);
  return out;
}

}  // namespace ascent::tokenizer::hf
