#pragma once
// The tokenizer seam: everything above (preprocess, train, generate, serve) sees only this
// interface, so an HF tokenizer.json implementation can sit next to SentencePiece later.
#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace ascent::tokenizer {

class Tokenizer {
 public:
  virtual ~Tokenizer() = default;

  // Token ids of `text`, with no BOS/EOS added (callers add them). Special-token strings in the
  // text (HF added tokens such as "<|endoftext|>") still map to their ids. Thread-safe.
  virtual std::vector<int32_t> encode(std::string_view text) const = 0;
  // Token ids as the tokenizer's own library gives them by default: HF tokenizer.json applies its
  // post-processor (LLaMA's BOS, for example; HF `add_special_tokens=True`); SentencePiece is
  // the same as encode() (Megatron's SentencePiece tokenizer adds nothing). Thread-safe.
  virtual std::vector<int32_t> encode_with_special_tokens(std::string_view text) const {
    return encode(text);
  }
  // Text of `ids`; control tokens (BOS/EOS/PAD) decode to nothing. Throws ascent::Error
  // "[tokenizer] ..." for an id outside [0, vocab_size()).
  virtual std::string decode(std::span<const int32_t> ids) const = 0;

  virtual int64_t vocab_size() const = 0;
  // Special ids; -1 when the vocabulary has no such token.
  virtual int32_t bos_id() const = 0;
  virtual int32_t eos_id() const = 0;
  virtual int32_t pad_id() const = 0;
  virtual int32_t unk_id() const = 0;
  // The vocabulary entry of `id` as stored (SentencePiece: "▁the", "<0x0A>"); throws when out of
  // range.
  virtual std::string id_to_piece(int32_t id) const = 0;
};

// Loads a tokenizer by Megatron's --tokenizer-type / --tokenizer-name-or-path.
// type "SentencePiece" (or Megatron's "SentencePieceTokenizer"): path is a .model file or a
// directory holding tokenizer.model.
// type "PretrainedFromHF": an HF tokenizer directory (tokenizer.json, plus tokenizer_config.json /
// special_tokens_map.json for BOS/EOS/PAD/UNK) or a tokenizer.json file; a directory with only
// tokenizer.model loads as SentencePiece. tokenizer.json runs natively with the HF `tokenizers`
// library's exact ids (tokenizer/hf/); decode is HF's decode with skip_special_tokens=True.
// type "GPT2BPETokenizer": a byte-level BPE from tokenizer.json, or from vocab.json + merges.txt;
// with no configuration file, EOS is "<|endoftext|>".
// Throws ascent::Error "[tokenizer] <path>: ..." for an unknown type or a missing/unreadable file.
std::unique_ptr<Tokenizer> load_tokenizer(const std::string& type, const std::string& path);

// Megatron's GPT2BPETokenizer from --vocab-file and --merge-file, each read by its own name
// (gpt2-vocab.json / gpt2-merges.txt as Megatron ships them, or vocab.json / merges.txt): a
// byte-level BPE whose EOS is "<|endoftext|>"; tokenizer_config.json / special_tokens_map.json
// beside the vocabulary, when present, name the special tokens. Throws ascent::Error
// "[tokenizer] <file>: ..." naming the flag of a missing file.
std::unique_ptr<Tokenizer> load_gpt2_bpe_files(const std::string& vocab_file,
                                               const std::string& merge_file);

}  // namespace ascent::tokenizer
