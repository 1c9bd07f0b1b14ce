#pragma once
// Megatron indexed dataset (DESIGN.md section 6): `{prefix}.bin` holds the token arrays of all
// sequences back to back (little-endian, no header); `{prefix}.idx` holds
//   magic "MMIDIDX\0\0" (9 bytes), u64 version = 1, u8 dtype code, u64 N sequences,
//   u64 D = documents + 1, i32 sizes[N], i64 byte pointers[N], i64 doc_idx[D].
// dtype codes: 1 u8, 2 i8, 3 i16, 4 i32, 5 i64, 6 f64, 7 f32, 8 u16.
#include <cstdint>
#include <span>
#include <string>
#include <vector>

namespace ascent::data {

enum class TokenType : uint8_t {
  U8 = 1,
  I8 = 2,
  I16 = 3,
  I32 = 4,
  I64 = 5,
  F64 = 6,
  F32 = 7,
  U16 = 8
};
size_t token_type_size(TokenType t);
// u16 when the vocabulary has fewer than 65500 entries, else i32 (Megatron's rule).
TokenType token_type_for_vocab(int64_t vocab_size);

// Read-only, memory-mapped view of one dataset. The constructor validates everything (magic,
// version, dtype, counts, pointer monotonicity and contiguity, doc_idx bounds, .bin size) and
// throws ascent::Error "[indexed_dataset] <file>: <what>" otherwise.
class IndexedDataset {
 public:
  explicit IndexedDataset(const std::string& prefix);
  ~IndexedDataset();
  IndexedDataset(IndexedDataset&&) noexcept;
  IndexedDataset& operator=(IndexedDataset&&) noexcept;
  IndexedDataset(const IndexedDataset&) = delete;
  IndexedDataset& operator=(const IndexedDataset&) = delete;

  const std::string& prefix() const { return prefix_; }
  TokenType token_type() const { return type_; }
  int64_t num_sequences() const { return static_cast<int64_t>(sizes_.size()); }
  int64_t num_documents() const { return static_cast<int64_t>(doc_idx_.size()) - 1; }
  // Sequences of document d are [doc_idx[d], doc_idx[d+1]).
  const std::vector<int64_t>& doc_idx() const { return doc_idx_; }
  int64_t sequence_length(int64_t i) const { return sizes_[static_cast<size_t>(i)]; }
  int64_t total_tokens() const;
  // Token position of sequence i in the .bin (sequences are contiguous, so the sequences of a
  // document form one token range); i == num_sequences() gives total_tokens().
  int64_t sequence_offset(int64_t i) const;
  // out[0, count) = tokens [offset, offset+count) of sequence i, converted to int32.
  // Requires 0 <= offset, offset + count <= sequence_length(i). Throws for float token types
  // and for i64 values outside int32.
  void read(int64_t i, int64_t offset, int64_t count, int32_t* out) const;
  // out[0, count) = tokens [first, first+count) of the whole .bin (all sequences back to back),
  // converted like read().
  void read_tokens(int64_t first, int64_t count, int32_t* out) const;

 private:
  std::string prefix_;
  TokenType type_ = TokenType::U16;
  std::vector<int32_t> sizes_;
  std::vector<int64_t> pointers_;
  std::vector<int64_t> doc_idx_;
  void* bin_map_ = nullptr;
  size_t bin_size_ = 0;
};

// Writes `{prefix}.bin` / `{prefix}.idx` through temporary files renamed into place by
// finalize(), so an interrupted run never leaves a valid-looking partial dataset. Memory stays
// bounded whatever the dataset size: sizes and doc_idx go to two scratch files next to the
// output while building (unlinked as soon as they are opened, so nothing of them outlives the
// builder or the process), and finalize() streams the .idx from them in fixed-size blocks.
class IndexedDatasetBuilder {
 public:
  // Requires an integer token type (float types throw: token data are integers).
  IndexedDatasetBuilder(const std::string& prefix, TokenType type);
  ~IndexedDatasetBuilder();  // without finalize(): removes the temporaries
  IndexedDatasetBuilder(const IndexedDatasetBuilder&) = delete;
  IndexedDatasetBuilder& operator=(const IndexedDatasetBuilder&) = delete;

  // Appends one sequence (values must fit the token type; throws otherwise).
  void add_sequence(std::span<const int32_t> tokens);
  // Closes the current document (all sequences since the previous end_document()).
  void end_document();
  // Closes a pending document (sequences added after the last end_document()), writes the
  // index, fsyncs both files and renames them into place.
  void finalize();

 private:
  std::string prefix_;
  TokenType type_;
  std::string bin_tmp_, idx_tmp_;
  void* bin_file_ = nullptr;    // FILE*
  void* sizes_file_ = nullptr;  // FILE*, unlinked: i32 sizes[N] so far
  void* docs_file_ = nullptr;   // FILE*, unlinked: i64 doc_idx[1..D) so far (doc_idx[0] = 0)
  int64_t num_sequences_ = 0;
  int64_t num_documents_ = 0;
  int64_t last_doc_end_ = 0;  // doc_idx.back()
  bool finalized_ = false;
};

}  // namespace ascent::data
