// Test corpora of the HF tokenizer tests (see hf_test_util.h).
#include <zlib.h>

#include <algorithm>
#include <filesystem>
#include <fstream>

#include "tokenizer/hf_test_util.h"

namespace ascent::testing {
namespace {

std::vector<std::string> lines_of(const std::string& path, size_t max_lines) {
  std::vector<std::string> lines;
  std::ifstream in(path, std::ios::binary);
  std::string line;
  while (lines.size() < max_lines && std::getline(in, line))
    if (!line.empty()) lines.push_back(line);
  return lines;
}

std::vector<std::string> gzip_lines(const std::string& path, size_t max_lines) {
  std::vector<std::string> lines;
  gzFile f = gzopen(path.c_str(), "rb");
  if (f == nullptr) return lines;
  std::string line;
  char buf[65536];
  int n;
  while (lines.size() < max_lines && (n = gzread(f, buf, sizeof(buf))) > 0) {
    for (int i = 0; i < n; ++i) {
      if (buf[i] == '\n') {
        if (!line.empty()) lines.push_back(line);
        line.clear();
      } else {
        line += buf[i];
      }
    }
  }
  gzclose(f);
  return lines;
}

// Strings of the JSON field `key` of each JSONL line.
void add_json_field(const std::vector<std::string>& jsonl, const std::string& key,
                    std::vector<std::string>& out) {
  for (const std::string& l : jsonl) {
    const nlohmann::json doc = nlohmann::json::parse(l);
    if (doc.contains(key) && doc[key].is_string()) out.push_back(doc[key].get<std::string>());
  }
}

}  // namespace

std::vector<std::string> hf_handwritten_texts() {
  return {
      "Hello world! 你好，世界 1234567",
      "The quick brown fox jumps over the lazy dog.",
      " leading space",
      "  two leading spaces and trailing   ",
      "tabs\tand\nnewlines\n\nand\r\nCRLF\r\n",
      "long whitespace run:                                                                  end",
      "\n\n\n\n\n\n\n\n",
      "                ",
      "\t\t\t\t",
      " \n \n\t\n   \n",
      "trailing newline\n",
      "digits 0 1 12 123 1234 3.14159 2,147,483,647 -42 1e-9 0x7fffffff",
      "long numbers 12345678901234567890 0000000000 9999999999999999999999999999",
      "contractions: don't I'LL we're they've she's I'm you'd DON'T WE'RE 'tis o'clock",
      "quotes 'single' \"double\" `back` ''empty'' ''''",
      "def f(x):\n    return {\"a\": [x ** 2 for x in range(10)]}  # comment\n",
      "#include <vector>\nint main() {\n\tstd::vector<int> v{1, 2};\n\treturn v[0] != 1;\n}\n",
      "if (a && b || !c) { x += y >> 2; } // ops: <= >= == != -> :: ... ???",
      "    indented four\n        indented eight\n\t\tmixed\t tabs",
      "日本語のテキストと中文文本，還有繁體字。",
      "カタカナ ひらがな 漢字 ｶﾀｶﾅ",
      "한국어 텍스트, русский текст, ελληνικά, עברית, العربية, हिन्दी, ไทย",
      "emoji 😀🚀👍🏽 👨‍👩‍👧‍👦 🇫🇷 ❤️ 🏳️‍🌈 "
      "👩🏾‍💻",
      "rare CJK 𠜎𠜱𠝹𠱓 and math 𝔘𝔫𝔦𝔠𝔬𝔡𝔢 ∮ E⋅da = Q",
      "full width ＡＢＣ１２３ ligature ﬁ circled ① combining é vs é",
      "non-NFC: e\u0301 a\u0308 o\u0302\u0323 \u212B \u1100\u1161\u11A8 \u0041\u030A",
      "combining marks alone \u0301\u0302 and after space \u0301x",
      "control \x01\x02\x7f and soft\u00adhyphen zero\u200bwidth",
      "spaces: nbsp\u00a0here, ideographic\u3000space, nel\u0085line, thin\u2009space, "
      "line\u2028sep",
      "valid but odd: \uFFFD \uFEFF \uFFFF \U0010FFFF \uE000 \uD7FF \U0001F9FF",
      "a",
      "▁ already has the meta symbol ▁▁",
      "Ġ and Ċ are byte-level characters ĠĠ",
      "<0x0A> <0xFF> byte pieces as text",
      "<s> </s> <unk> <pad> <s>inside</s> [INST] hi [/INST] <<SYS>>",
      "<|begin_of_text|><|start_header_id|>user<|end_header_id|>\n\nHi!<|eot_id|>",
      "<|im_start|>system\nYou are helpful.<|im_end|>\n<|im_start|>user\nhi<|im_end|>",
      "<|endoftext|>text after<|endoftext|> <|endoftext|>",
      "<think>\nreasoning\n</think>\n\n<tool_call>{\"a\": 1}</tool_call>",
      "<|begin_of_text|",
      "<|im_start|",
      "<s",
      "</s ",
      "<<|endoftext|>>",
      "supercalifragilisticexpialidocious antidisestablishmentarianism",
      "https://example.com/a/very/long/path/with_many_segments/and?query=string&x=1#fragment",
      std::string(200, 'a'),
      std::string(100, '!') + std::string(100, ' ') + "end",
      "ＡＢＣ and ａｂｃ and 𝐀𝐁𝐂",
      "İstanbul ǅemal ΣΑΣ ẞ",
  };
}

std::vector<std::string> hf_varied_texts() {
  std::vector<std::string> texts = hf_handwritten_texts();
  for (const std::string& l : lines_of(shakespeare(), 300)) texts.push_back(l);
  for (const std::string& l : lines_of(shared_data("moss_chat_sample/dummy_data.jsonl"), 6)) {
    const nlohmann::json doc = nlohmann::json::parse(l);
    for (const auto& turn : doc.at("conversation")) {
      texts.push_back(turn.at("human").get<std::string>());
      texts.push_back(turn.at("assistant").get<std::string>());
    }
  }
  add_json_field(gzip_lines(shared_data("humaneval/HumanEval.jsonl.gz"), 20), "prompt", texts);
  add_json_field(lines_of(shared_data("gsm8k/train.jsonl"), 20), "answer", texts);
  return texts;
}

std::vector<std::string> hf_large_corpus() {
  std::vector<std::string> texts;
  {  // all of tiny Shakespeare, in documents of 50 lines
    std::ifstream in(shakespeare(), std::ios::binary);
    std::string line, doc;
    int n = 0;
    while (std::getline(in, line)) {
      doc += line + "\n";
      if (++n % 50 == 0) {
        texts.push_back(doc);
        doc.clear();
      }
    }
    if (!doc.empty()) texts.push_back(doc);
  }
  for (const std::string& t : hf_varied_texts()) texts.push_back(t);
  const std::vector<std::string> gsm = lines_of(shared_data("gsm8k/train.jsonl"), 1500);
  add_json_field(gsm, "question", texts);
  add_json_field(gsm, "answer", texts);
  add_json_field(gzip_lines(shared_data("humaneval/HumanEval.jsonl.gz"), 200), "canonical_solution",
                 texts);
  for (const std::string& l : lines_of(shared_data("moss_chat_sample/dummy_data.jsonl"), 100)) {
    const nlohmann::json doc = nlohmann::json::parse(l);
    for (const auto& turn : doc.at("conversation")) {
      texts.push_back(turn.at("human").get<std::string>());
      texts.push_back(turn.at("assistant").get<std::string>());
    }
  }
  const std::filesystem::path ceval = shared_data("ceval/val");
  std::vector<std::filesystem::path> files;
  for (const auto& e : std::filesystem::directory_iterator(ceval)) files.push_back(e.path());
  std::sort(files.begin(), files.end());
  for (size_t i = 0; i < files.size() && i < 12; ++i)
    for (const std::string& l : lines_of(files[i].string(), 60)) texts.push_back(l);
  // Special-token strings glued into ordinary text.
  const std::vector<std::string> hand = hf_handwritten_texts();
  for (size_t i = 0; i < hand.size(); ++i)
    texts.push_back(hand[i] + hand[(i * 7 + 3) % hand.size()] + hand[(i * 13 + 5) % hand.size()]);
  return texts;
}

}  // namespace ascent::testing
