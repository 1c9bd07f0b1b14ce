#include "tokenizer/hf/post_processors.h"

#include <string>

namespace ascent::tokenizer::hf {
namespace {

// Ids placed before and after the sequence.
class Wrap final : public PostProcessor {
 public:
  Wrap(std::vector<int32_t> before, std::vector<int32_t> after)
      : before_(std::move(before)), after_(std::move(after)) {}
  void process(std::vector<int32_t>& ids) const override {
    ids.insert(ids.begin(), before_.begin(), before_.end());
    ids.insert(ids.end(), after_.begin(), after_.end());
  }

 private:
  std::vector<int32_t> before_, after_;
};

class Identity final : public PostProcessor {
 public:
  void process(std::vector<int32_t>&) const override {}
};

class SequenceProcessor final : public PostProcessor {
 public:
  explicit SequenceProcessor(std::vector<std::unique_ptr<PostProcessor>> steps)
      : steps_(std::move(steps)) {}
  void process(std::vector<int32_t>& ids) const override {
    for (const auto& s : steps_) s->process(ids);
  }

 private:
  std::vector<std::unique_ptr<PostProcessor>> steps_;
};

// The ids of a special token named in a template.
std::vector<int32_t> special_ids(const Json& specials, const std::string& name,
                                 const JsonPath& at) {
  const JsonPath sp = at / "special_tokens";
  if (!specials.is_object() || !specials.contains(name))
    sp.fail("no entry for '" + name + "', which the template uses");
  const Json& entry = specials[name];
  const Json& ids = require_member(entry, "ids", sp / name);
  if (!ids.is_array()) (sp / name / "ids").fail("expected a list of ids");
  std::vector<int32_t> out;
  for (const Json& v : ids) {
    int32_t id = 0;
    if (!as_id(v, &id)) (sp / name / "ids").fail("expected ids in [0, 2^31), found " + v.dump());
    out.push_back(id);
  }
  return out;
}

// TemplateProcessing's "single" template: special tokens around sequence A.
std::unique_ptr<PostProcessor> make_template(const Json& j, const JsonPath& at) {
  const Json& single = require_member(j, "single", at);
  const JsonPath tp = at / "single";
  if (!single.is_array()) tp.fail("expected a list of template pieces");
  const Json specials = j.contains("special_tokens") ? j["special_tokens"] : Json::object();
  std::vector<int32_t> before, after;
  bool seen_a = false;
  for (size_t i = 0; i < single.size(); ++i) {
    const Json& piece = single[i];
    std::string special;
    bool sequence = false;
    if (piece.is_object() && piece.contains("Sequence")) {
      const std::string id = required_string(piece["Sequence"], "id", tp[i] / "Sequence");
      sequence = id == "A";
      if (!sequence) continue;  // sequence B is absent from a single-sequence encoding
    } else if (piece.is_object() && piece.contains("SpecialToken")) {
      special = required_string(piece["SpecialToken"], "id", tp[i] / "SpecialToken");
    } else if (piece.is_string()) {  // "$A", "$A:0", "[CLS]", "[CLS]:1"
      std::string s = piece.get<std::string>();
      if (const size_t colon = s.rfind(':'); colon != std::string::npos && colon > 0)
        s.resize(colon);
      if (s == "$A" || s == "$" || s == "$0") {
        sequence = true;
      } else if (s.size() > 1 && s[0] == '$') {
        continue;
      } else {
        special = s;
      }
    } else {
      tp[i].fail("expected {\"Sequence\": ...} or {\"SpecialToken\": ...}");
    }
    if (sequence) {
      seen_a = true;
      continue;
    }
    const std::vector<int32_t> ids = special_ids(specials, special, at);
    auto& dst = seen_a ? after : before;
    dst.insert(dst.end(), ids.begin(), ids.end());
  }
  return std::make_unique<Wrap>(std::move(before), std::move(after));
}

// RobertaProcessing / BertProcessing: "cls" and "sep" are [token, id] pairs.
int32_t pair_id(const Json& j, const char* key, const JsonPath& at) {
  const Json& v = require_member(j, key, at);
  int32_t id = 0;
  if (!v.is_array() || v.size() != 2 || !as_id(v[1], &id))
    (at / key).fail("expected [token, id], found " + v.dump());
  return id;
}

}  // namespace

std::unique_ptr<PostProcessor> make_post_processor(const Json& j, const JsonPath& at) {
  if (j.is_null()) return nullptr;
  const std::string type = type_field(j, at);
  if (type == "TemplateProcessing") return make_template(j, at);
  if (type == "ByteLevel") return std::make_unique<Identity>();
  if (type == "RobertaProcessing" || type == "BertProcessing")
    return std::make_unique<Wrap>(std::vector<int32_t>{pair_id(j, "cls", at)},
                                  std::vector<int32_t>{pair_id(j, "sep", at)});
  if (type == "Sequence") {
    const Json& list = require_member(j, "processors", at);
    if (!list.is_array()) (at / "processors").fail("expected a list");
    std::vector<std::unique_ptr<PostProcessor>> steps;
    for (size_t i = 0; i < list.size(); ++i)
      if (auto s = make_post_processor(list[i], (at / "processors")[i]))
        steps.push_back(std::move(s));
    return std::make_unique<SequenceProcessor>(std::move(steps));
  }
  (at / "type")
      .fail("unsupported post-processor '" + type +
            "' (supported: TemplateProcessing, ByteLevel, RobertaProcessing, BertProcessing, "
            "Sequence)");
}

}  // namespace ascent::tokenizer::hf
