#pragma once
// safetensors files (DESIGN.md section 6): u64 little-endian header length N, N bytes of JSON
// {name: {"dtype", "shape", "data_offsets": [begin, end]}, "__metadata__": {str: str}}, then the
// raw row-major tensor bytes, offsets relative to the end of the header.
//
// Reader maps one file and validates the whole header before anything is read; ShardedReader opens
// a model directory (model.safetensors, or the shards listed in model.safetensors.index.json).
// write() / write_sharded() produce files the Python and Rust libraries read; every file goes
// through a temporary + fsync + rename, so a crash never leaves a half-written file in place.
// All format errors throw ascent::Error "[safetensors] <path>: ..." naming the tensor or field.
#include <cstddef>
#include <cstdint>
#include <map>
#include <memory>
#include <span>
#include <string>
#include <vector>

#include "core/dtype.h"

namespace ascent::safetensors {

// Element types of the format. Values are read raw; to_f32 converts the floating ones.
enum class Dtype { F64, F32, F16, BF16, I64, I32, I16, I8, U64, U32, U16, U8, BOOL };

size_t dtype_size(Dtype t);
const char* dtype_name(Dtype t);  // "F32", "BF16", ... as written in headers
// false when s names no dtype of the format.
bool parse_dtype(const std::string& s, Dtype* out);
// Between our compute dtypes and the format's.
Dtype from_dtype(DType t);
// Throws ascent::Error (naming `what`) for anything but F32, BF16 and F16.
DType to_dtype(Dtype t, const std::string& what);

using Metadata = std::map<std::string, std::string>;

struct TensorInfo {
  std::string name;
  Dtype dtype = Dtype::F32;
  std::vector<int64_t> shape;
  int64_t numel = 0;
  size_t begin = 0, end = 0;  // byte offsets into the data section
  size_t nbytes() const { return end - begin; }
};

// One memory-mapped, validated file. Move-only; pointers into it live as long as the Reader.
class Reader {
 public:
  explicit Reader(const std::string& path);
  ~Reader();
  Reader(Reader&& o) noexcept;
  Reader& operator=(Reader&& o) noexcept;
  Reader(const Reader&) = delete;
  Reader& operator=(const Reader&) = delete;

  const std::string& path() const { return path_; }
  // Sorted by name.
  const std::vector<TensorInfo>& tensors() const { return tensors_; }
  const Metadata& metadata() const { return metadata_; }
  // nullptr when absent.
  const TensorInfo* find(const std::string& name) const;
  // Raw bytes of a tensor of this file (not necessarily aligned).
  const uint8_t* data(const TensorInfo& t) const { return data_ + t.begin; }
  // Overwrites dst[0, numel) with the tensor converted to f32. Requires F32, F16, BF16 or F64
  // (throws naming the tensor otherwise).
  void to_f32(const TensorInfo& t, float* dst) const;

 private:
  void parse_header(const std::string& header, size_t data_size);
  std::string path_;
  void* map_ = nullptr;
  size_t map_size_ = 0;
  const uint8_t* data_ = nullptr;
  std::vector<TensorInfo> tensors_;
  Metadata metadata_;
};

// A model's weights in one directory: `model.safetensors` when present, else every shard named by
// the `weight_map` of `model.safetensors.index.json`. Each weight_map entry must be in its shard
// and each shard tensor in the weight_map; a name may appear in one shard only.
class ShardedReader {
 public:
  explicit ShardedReader(const std::string& dir);

  struct Entry {
    const Reader* file;
    const TensorInfo* info;
  };
  // The file the set was opened from (model.safetensors or the index), for messages.
  const std::string& source() const { return source_; }
  // Every tensor of the set, by name.
  const std::map<std::string, Entry>& entries() const { return entries_; }
  const Entry* find(const std::string& name) const;
  const std::vector<std::unique_ptr<Reader>>& files() const { return files_; }

 private:
  std::string source_;
  std::vector<std::unique_ptr<Reader>> files_;
  std::map<std::string, Entry> entries_;
};

// A tensor to write: bytes at `data`, numel(shape) * dtype_size(dtype) of them.
struct TensorRef {
  std::string name;
  Dtype dtype = Dtype::F32;
  std::vector<int64_t> shape;
  const void* data = nullptr;
  size_t nbytes() const;
};

// Writes one file at path (temporary + fsync + rename). The header lists names sorted, is padded
// with spaces to a multiple of 8 bytes, and carries `metadata` as __metadata__ when non-empty.
// Data are laid out by element size (largest first) then name, so every tensor is aligned to its
// element size in the file. Throws on duplicate or reserved names and negative dims.
void write(const std::string& path, std::span<const TensorRef> tensors,
           const Metadata& metadata = {});

// Writes tensors into dir (created if needed), in the given order, as shards of at most
// max_shard_bytes of data each (a larger tensor gets a shard of its own):
// `model-00001-of-0000N.safetensors` plus `model.safetensors.index.json` ({"metadata":
// {"total_size": bytes}, "weight_map": {name: file}}), the index written last. With
// max_shard_bytes == 0 or a single resulting shard, writes `model.safetensors` and no index.
// Returns the file names written (index last).
std::vector<std::string> write_sharded(const std::string& dir, std::span<const TensorRef> tensors,
                                       size_t max_shard_bytes, const Metadata& metadata = {});

// Writes bytes to path through a temporary in the same directory, fsync and rename. Used for
// config.json and index files too.
void write_file_atomic(const std::string& path, std::span<const uint8_t> bytes);

}  // namespace ascent::safetensors
