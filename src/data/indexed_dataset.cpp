#include "data/indexed_dataset.h"

#include <fcntl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <bit>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <limits>
#include <utility>

#include "core/error.h"

namespace ascent::data {

static_assert(std::endian::native == std::endian::little, ".bin/.idx data are little-endian");

namespace {

constexpr char kMagic[9] = {'M', 'M', 'I', 'D', 'I', 'D', 'X', '\0', '\0'};
constexpr uint64_t kVersion = 1;
// magic, u64 version, u8 dtype code, u64 N, u64 D.
constexpr size_t kHeaderBytes = 9 + 8 + 1 + 8 + 8;

std::string errno_str() { return std::strerror(errno); }

// Name and item size of each dtype code (index = code; 0 is unused).
struct TypeRow {
  const char* name;
  size_t size;
};
constexpr TypeRow kTypes[9] = {{"?", 0},   {"u8", 1},  {"i8", 1},  {"i16", 2}, {"i32", 4},
                               {"i64", 8}, {"f64", 8}, {"f32", 4}, {"u16", 2}};

const TypeRow& type_row(TokenType t) {
  const auto code = static_cast<size_t>(t);
  return kTypes[code < 9 ? code : 0];
}

const char* type_name(TokenType t) { return type_row(t).name; }

bool is_float(TokenType t) { return t == TokenType::F32 || t == TokenType::F64; }

template <typename T>
T load(const uint8_t* p) {
  T v;
  std::memcpy(&v, p, sizeof(T));
  return v;
}

// Reads a whole (small) file; throws naming the file.
std::vector<uint8_t> read_file(const std::string& path) {
  std::FILE* f = std::fopen(path.c_str(), "rb");
  if (!f) throw error("[indexed_dataset] ", path, ": cannot open: ", errno_str());
  std::vector<uint8_t> bytes;
  uint8_t buf[1 << 16];
  size_t n;
  while ((n = std::fread(buf, 1, sizeof(buf), f)) > 0) bytes.insert(bytes.end(), buf, buf + n);
  const bool failed = std::ferror(f);
  std::fclose(f);
  if (failed) throw error("[indexed_dataset] ", path, ": read error");
  return bytes;
}

// Parsed and validated .idx contents.
struct Index {
  TokenType type;
  std::vector<int32_t> sizes;
  std::vector<int64_t> pointers;
  std::vector<int64_t> doc_idx;
  int64_t total_bytes = 0;  // what the .bin must hold
};

void check_header(const std::string& path, const std::vector<uint8_t>& b, Index& ix, uint64_t& n,
                  uint64_t& d) {
  if (b.size() < kHeaderBytes)
    throw error("[indexed_dataset] ", path, ": truncated header: ", b.size(),
                " bytes, expected at least ", kHeaderBytes);
  if (std::memcmp(b.data(), kMagic, sizeof(kMagic)) != 0)
    throw error("[indexed_dataset] ", path, ": bad magic, expected MMIDIDX\\0\\0");
  const auto version = load<uint64_t>(b.data() + 9);
  if (version != kVersion)
    throw error("[indexed_dataset] ", path, ": unsupported version ", version, ", expected 1");
  const uint8_t code = b[17];
  if (code < 1 || code > 8)
    throw error("[indexed_dataset] ", path, ": bad dtype code ", int(code),
                ", expected 1..8 (1 u8, 2 i8, 3 i16, 4 i32, 5 i64, 6 f64, 7 f32, 8 u16)");
  ix.type = static_cast<TokenType>(code);
  n = load<uint64_t>(b.data() + 18);
  d = load<uint64_t>(b.data() + 26);
  if (d == 0)
    throw error("[indexed_dataset] ", path, ": D (documents + 1) is 0, expected at least 1");
  // Compare against the file size without overflowing: each sequence costs 12 bytes, each
  // doc_idx entry 8.
  const uint64_t body = b.size() - kHeaderBytes;
  const bool fits = n <= body / 12 && d <= (body - 12 * n) / 8;
  const uint64_t need = fits ? kHeaderBytes + 12 * n + 8 * d : 0;
  if (!fits || need > b.size())
    throw error("[indexed_dataset] ", path, ": truncated: N = ", n, " sequences and D = ", d,
                " need ",
                fits ? std::to_string(need) : std::string("more than ") + std::to_string(b.size()),
                " bytes, file has ", b.size());
  if (need < b.size())
    throw error("[indexed_dataset] ", path, ": ", b.size() - need,
                " trailing bytes after doc_idx (N = ", n, ", D = ", d, " need ", need, " bytes)");
}

void check_sizes_and_pointers(const std::string& path, Index& ix) {
  const int64_t item = static_cast<int64_t>(token_type_size(ix.type));
  int64_t expected = 0;
  for (size_t i = 0; i < ix.sizes.size(); ++i) {
    if (ix.sizes[i] < 0)
      throw error("[indexed_dataset] ", path, ": sizes[", i, "] = ", ix.sizes[i], " is negative");
    const int64_t p = ix.pointers[i];
    if (i > 0 && p < ix.pointers[i - 1])
      throw error("[indexed_dataset] ", path, ": pointers[", i, "] = ", p,
                  " is not monotonic (pointers[", i - 1, "] = ", ix.pointers[i - 1], ")");
    if (p != expected)
      throw error("[indexed_dataset] ", path, ": pointers[", i, "] = ", p, ", expected ", expected,
                  " (not contiguous: pointers must be the exclusive prefix sum of ", "sizes * ",
                  item, ")");
    if (__builtin_add_overflow(expected, int64_t{ix.sizes[i]} * item, &expected))
      throw error("[indexed_dataset] ", path, ": pointers overflow int64 at sequence ", i);
  }
  ix.total_bytes = expected;
}

void check_doc_idx(const std::string& path, const Index& ix) {
  const auto& di = ix.doc_idx;
  const auto n = static_cast<int64_t>(ix.sizes.size());
  if (di[0] != 0) throw error("[indexed_dataset] ", path, ": doc_idx[0] = ", di[0], ", expected 0");
  for (size_t i = 1; i < di.size(); ++i)
    if (di[i] < di[i - 1])
      throw error("[indexed_dataset] ", path, ": doc_idx[", i, "] = ", di[i], " < doc_idx[", i - 1,
                  "] = ", di[i - 1], ": doc_idx must be non-decreasing");
  if (di.back() != n)
    throw error("[indexed_dataset] ", path, ": doc_idx ends at ", di.back(), ", expected N = ", n,
                " (the number of sequences)");
}

Index parse_index(const std::string& path) {
  const std::vector<uint8_t> b = read_file(path);
  Index ix;
  uint64_t n = 0, d = 0;
  check_header(path, b, ix, n, d);
  ix.sizes.resize(n);
  ix.pointers.resize(n);
  ix.doc_idx.resize(d);
  const uint8_t* p = b.data() + kHeaderBytes;
  if (n) std::memcpy(ix.sizes.data(), p, 4 * n);
  if (n) std::memcpy(ix.pointers.data(), p + 4 * n, 8 * n);
  std::memcpy(ix.doc_idx.data(), p + 12 * n, 8 * d);
  check_sizes_and_pointers(path, ix);
  check_doc_idx(path, ix);
  return ix;
}

template <typename T>
void convert(const uint8_t* src, int64_t count, int32_t* out) {
  for (int64_t k = 0; k < count; ++k) out[k] = static_cast<int32_t>(load<T>(src + k * sizeof(T)));
}

// Writes all of `bytes` or throws naming `path`.
void write_all(std::FILE* f, const void* bytes, size_t n, const std::string& path) {
  if (n && std::fwrite(bytes, 1, n, f) != n)
    throw error("[indexed_dataset] ", path, ": write failed: ", errno_str());
}

// Flushes, fsyncs and closes; throws naming `path`.
void sync_close(std::FILE* f, const std::string& path) {
  const bool ok = std::fflush(f) == 0 && ::fsync(fileno(f)) == 0;
  const int saved = errno;
  const bool closed = std::fclose(f) == 0;
  errno = saved;
  if (!ok || !closed) throw error("[indexed_dataset] ", path, ": cannot flush: ", errno_str());
}

void sync_dir_of(const std::string& path) {
  auto dir = std::filesystem::path(path).parent_path();
  if (dir.empty()) dir = ".";
  const int fd = ::open(dir.c_str(), O_RDONLY | O_DIRECTORY);
  if (fd < 0) return;  // best effort: the files themselves are already synced
  ::fsync(fd);
  ::close(fd);
}

// Entries per block when finalize() streams sizes, pointers and doc_idx into the .idx.
constexpr size_t kBlock = size_t{1} << 16;

// Creates a scratch file and unlinks it at once: it lives as long as the FILE*, so nothing is
// left behind however the builder or the process ends. Next to the output (not in /tmp, which
// may be memory-backed) so its bytes are on the output's disk.
std::FILE* open_scratch(const std::string& path) {
  std::FILE* f = std::fopen(path.c_str(), "w+b");
  if (!f) throw error("[indexed_dataset] ", path, ": cannot create: ", errno_str());
  std::remove(path.c_str());
  return f;
}

// Reads exactly `count` items of T from `f` into `out`; throws naming `what`.
template <typename T>
void read_exact(std::FILE* f, T* out, size_t count, const std::string& what) {
  if (std::fread(out, sizeof(T), count, f) != count)
    throw error("[indexed_dataset] ", what, ": short read from a scratch file",
                std::ferror(f) ? std::string(": ") + errno_str() : std::string());
}

void rewind_scratch(std::FILE* f, const std::string& what) {
  if (std::fflush(f) != 0 || std::fseek(f, 0, SEEK_SET) != 0)
    throw error("[indexed_dataset] ", what, ": cannot rewind a scratch file: ", errno_str());
}

// Copies `count` items of T from the start of scratch file `from` to `out`, a block at a time
// through `block`.
template <typename T>
void copy_scratch(std::FILE* from, uint64_t count, std::vector<T>& block, std::FILE* out,
                  const std::string& path) {
  rewind_scratch(from, path);
  for (uint64_t done = 0; done < count;) {
    const size_t k = static_cast<size_t>(std::min<uint64_t>(block.size(), count - done));
    read_exact(from, block.data(), k, path);
    write_all(out, block.data(), sizeof(T) * k, path);
    done += k;
  }
}

// Writes the whole .idx to `out` (DESIGN.md section 6): header, then sizes[N] copied from
// `sizes`, pointers[N] computed from a second pass over `sizes`, then doc_idx = 0 followed by
// the D - 1 entries of `docs`. Memory: one block of each, whatever N and D.
void stream_index(std::FILE* out, const std::string& path, TokenType type, std::FILE* sizes,
                  uint64_t n, std::FILE* docs, uint64_t d) {
  const auto code = static_cast<uint8_t>(type);
  write_all(out, kMagic, 9, path);
  write_all(out, &kVersion, 8, path);
  write_all(out, &code, 1, path);
  write_all(out, &n, 8, path);
  write_all(out, &d, 8, path);

  std::vector<int32_t> size_block(kBlock);
  std::vector<int64_t> block(kBlock);
  copy_scratch(sizes, n, size_block, out, path);
  rewind_scratch(sizes, path);
  const auto item = static_cast<int64_t>(token_type_size(type));
  int64_t pointer = 0;
  for (uint64_t done = 0; done < n;) {
    const size_t k = static_cast<size_t>(std::min<uint64_t>(kBlock, n - done));
    read_exact(sizes, size_block.data(), k, path);
    for (size_t j = 0; j < k; ++j) {
      block[j] = pointer;
      pointer += int64_t{size_block[j]} * item;
    }
    write_all(out, block.data(), 8 * k, path);
    done += k;
  }
  const int64_t first_doc = 0;
  write_all(out, &first_doc, 8, path);
  copy_scratch(docs, d > 0 ? d - 1 : 0, block, out, path);
}

}  // namespace

size_t token_type_size(TokenType t) { return type_row(t).size; }

TokenType token_type_for_vocab(int64_t vocab_size) {
  return vocab_size < 65500 ? TokenType::U16 : TokenType::I32;
}

// ---------------------------------------------------------------------------------------------
// IndexedDataset

IndexedDataset::IndexedDataset(const std::string& prefix) : prefix_(prefix) {
  const std::string idx_path = prefix + ".idx", bin_path = prefix + ".bin";
  Index ix = parse_index(idx_path);
  type_ = ix.type;
  sizes_ = std::move(ix.sizes);
  pointers_ = std::move(ix.pointers);
  doc_idx_ = std::move(ix.doc_idx);

  const int fd = ::open(bin_path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) throw error("[indexed_dataset] ", bin_path, ": cannot open: ", errno_str());
  struct stat st {};
  if (::fstat(fd, &st) != 0) {
    ::close(fd);
    throw error("[indexed_dataset] ", bin_path, ": cannot stat: ", errno_str());
  }
  if (st.st_size != ix.total_bytes) {
    ::close(fd);
    throw error("[indexed_dataset] ", bin_path, ": size ", st.st_size, " bytes, but ", idx_path,
                " describes ", ix.total_bytes, " bytes (",
                st.st_size < ix.total_bytes ? "truncated .bin, or " : "",
                ".bin and .idx of different datasets?)");
  }
  bin_size_ = static_cast<size_t>(st.st_size);
  if (bin_size_ > 0) {
    void* m = ::mmap(nullptr, bin_size_, PROT_READ, MAP_SHARED, fd, 0);
    if (m == MAP_FAILED) {
      ::close(fd);
      throw error("[indexed_dataset] ", bin_path, ": mmap failed: ", errno_str());
    }
    bin_map_ = m;
  }
  ::close(fd);
}

IndexedDataset::~IndexedDataset() {
  if (bin_map_) ::munmap(bin_map_, bin_size_);
}

IndexedDataset::IndexedDataset(IndexedDataset&& o) noexcept
    : prefix_(std::move(o.prefix_)),
      type_(o.type_),
      sizes_(std::move(o.sizes_)),
      pointers_(std::move(o.pointers_)),
      doc_idx_(std::move(o.doc_idx_)),
      bin_map_(std::exchange(o.bin_map_, nullptr)),
      bin_size_(std::exchange(o.bin_size_, 0)) {}

IndexedDataset& IndexedDataset::operator=(IndexedDataset&& o) noexcept {
  if (this != &o) {
    std::swap(prefix_, o.prefix_);
    std::swap(type_, o.type_);
    std::swap(sizes_, o.sizes_);
    std::swap(pointers_, o.pointers_);
    std::swap(doc_idx_, o.doc_idx_);
    std::swap(bin_map_, o.bin_map_);
    std::swap(bin_size_, o.bin_size_);
  }
  return *this;
}

int64_t IndexedDataset::total_tokens() const {
  return static_cast<int64_t>(bin_size_ / token_type_size(type_));
}

int64_t IndexedDataset::sequence_offset(int64_t i) const {
  ASCENT_CHECK(i >= 0 && i <= num_sequences()) << "sequence " << i << " of " << num_sequences();
  if (i == num_sequences()) return total_tokens();
  return pointers_[static_cast<size_t>(i)] / static_cast<int64_t>(token_type_size(type_));
}

void IndexedDataset::read(int64_t i, int64_t offset, int64_t count, int32_t* out) const {
  ASCENT_CHECK(i >= 0 && i < num_sequences()) << "sequence " << i << " of " << num_sequences();
  ASCENT_CHECK(offset >= 0 && count >= 0 && offset + count <= sequence_length(i))
      << "tokens [" << offset << ", " << offset + count << ") of a sequence of "
      << sequence_length(i);
  read_tokens(sequence_offset(i) + offset, count, out);
}

void IndexedDataset::read_tokens(int64_t first, int64_t count, int32_t* out) const {
  ASCENT_CHECK(first >= 0 && count >= 0 && first + count <= total_tokens())
      << "tokens [" << first << ", " << first + count << ") of " << total_tokens();
  if (count == 0) return;
  const auto* src =
      static_cast<const uint8_t*>(bin_map_) + first * static_cast<int64_t>(token_type_size(type_));
  switch (type_) {
    case TokenType::U8:
      return convert<uint8_t>(src, count, out);
    case TokenType::I8:
      return convert<int8_t>(src, count, out);
    case TokenType::I16:
      return convert<int16_t>(src, count, out);
    case TokenType::U16:
      return convert<uint16_t>(src, count, out);
    case TokenType::I32:
      return convert<int32_t>(src, count, out);
    case TokenType::I64:
      for (int64_t k = 0; k < count; ++k) {
        const auto v = load<int64_t>(src + 8 * k);
        if (v < std::numeric_limits<int32_t>::min() || v > std::numeric_limits<int32_t>::max())
          throw error("[indexed_dataset] ", prefix_, ".bin: token ", v, " at position ", first + k,
                      " does not fit int32");
        out[k] = static_cast<int32_t>(v);
      }
      return;
    case TokenType::F32:
    case TokenType::F64:
      break;
  }
  throw error("[indexed_dataset] ", prefix_, ".idx: dtype ", type_name(type_),
              " is not a token type (token data must be integers)");
}

// ---------------------------------------------------------------------------------------------
// IndexedDatasetBuilder

IndexedDatasetBuilder::IndexedDatasetBuilder(const std::string& prefix, TokenType type)
    : prefix_(prefix), type_(type) {
  if (is_float(type) || token_type_size(type) == 0)
    throw error("[indexed_dataset] ", prefix, ".idx: dtype ", type_name(type),
                " is not a token type (token data must be integers)");
  const std::string pid = std::to_string(::getpid());
  bin_tmp_ = prefix + ".bin.tmp." + pid;
  idx_tmp_ = prefix + ".idx.tmp." + pid;
  std::FILE* f = std::fopen(bin_tmp_.c_str(), "wb");
  if (!f) throw error("[indexed_dataset] ", bin_tmp_, ": cannot create: ", errno_str());
  bin_file_ = f;
  try {
    sizes_file_ = open_scratch(prefix + ".sizes.tmp." + pid);
    docs_file_ = open_scratch(prefix + ".doc_idx.tmp." + pid);
  } catch (...) {
    if (sizes_file_) std::fclose(static_cast<std::FILE*>(sizes_file_));
    std::fclose(f);
    std::remove(bin_tmp_.c_str());
    throw;
  }
}

IndexedDatasetBuilder::~IndexedDatasetBuilder() {
  for (void* f : {bin_file_, sizes_file_, docs_file_})
    if (f) std::fclose(static_cast<std::FILE*>(f));
  if (!finalized_) {
    std::remove(bin_tmp_.c_str());
    std::remove(idx_tmp_.c_str());
  }
}

void IndexedDatasetBuilder::add_sequence(std::span<const int32_t> tokens) {
  if (finalized_ || !bin_file_)
    throw error("[indexed_dataset] ", prefix_, ".bin: add_sequence after finalize");
  if (tokens.size() > static_cast<size_t>(std::numeric_limits<int32_t>::max()))
    throw error("[indexed_dataset] ", prefix_, ".idx: sequence of ", tokens.size(),
                " tokens exceeds the int32 sizes field");
  int64_t lo = std::numeric_limits<int32_t>::min(), hi = std::numeric_limits<int32_t>::max();
  switch (type_) {
    case TokenType::U8:
      lo = 0, hi = 255;
      break;
    case TokenType::I8:
      lo = -128, hi = 127;
      break;
    case TokenType::I16:
      lo = -32768, hi = 32767;
      break;
    case TokenType::U16:
      lo = 0, hi = 65535;
      break;
    default:
      break;
  }
  const size_t item = token_type_size(type_);
  std::vector<uint8_t> buf(tokens.size() * item);
  for (size_t k = 0; k < tokens.size(); ++k) {
    const int32_t v = tokens[k];
    if (v < lo || v > hi)
      throw error("[indexed_dataset] ", prefix_, ".bin: token ", v, " at position ", k,
                  " of sequence ", num_sequences_, " does not fit ", type_name(type_));
    uint8_t* dst = buf.data() + k * item;
    switch (type_) {
      case TokenType::U8:
        *dst = static_cast<uint8_t>(v);
        break;
      case TokenType::I8:
        *dst = static_cast<uint8_t>(static_cast<int8_t>(v));
        break;
      case TokenType::I16: {
        const auto w = static_cast<int16_t>(v);
        std::memcpy(dst, &w, 2);
        break;
      }
      case TokenType::U16: {
        const auto w = static_cast<uint16_t>(v);
        std::memcpy(dst, &w, 2);
        break;
      }
      case TokenType::I32:
        std::memcpy(dst, &v, 4);
        break;
      case TokenType::I64: {
        const int64_t w = v;
        std::memcpy(dst, &w, 8);
        break;
      }
      default:
        break;  // float types are rejected by the constructor
    }
  }
  write_all(static_cast<std::FILE*>(bin_file_), buf.data(), buf.size(), bin_tmp_);
  const auto size = static_cast<int32_t>(tokens.size());
  if (std::fwrite(&size, 4, 1, static_cast<std::FILE*>(sizes_file_)) != 1)
    throw error("[indexed_dataset] ", prefix_, ".idx: cannot write sizes: ", errno_str());
  ++num_sequences_;
}

void IndexedDatasetBuilder::end_document() {
  if (finalized_ || !docs_file_)
    throw error("[indexed_dataset] ", prefix_, ".idx: end_document after finalize");
  if (std::fwrite(&num_sequences_, 8, 1, static_cast<std::FILE*>(docs_file_)) != 1)
    throw error("[indexed_dataset] ", prefix_, ".idx: cannot write doc_idx: ", errno_str());
  last_doc_end_ = num_sequences_;
  ++num_documents_;
}

void IndexedDatasetBuilder::finalize() {
  if (finalized_ || !bin_file_)
    throw error("[indexed_dataset] ", prefix_, ".idx: finalize called twice");
  if (last_doc_end_ != num_sequences_) end_document();
  sync_close(static_cast<std::FILE*>(bin_file_), bin_tmp_);
  bin_file_ = nullptr;

  std::FILE* f = std::fopen(idx_tmp_.c_str(), "wb");
  if (!f) throw error("[indexed_dataset] ", idx_tmp_, ": cannot create: ", errno_str());
  try {
    stream_index(f, idx_tmp_, type_, static_cast<std::FILE*>(sizes_file_),
                 static_cast<uint64_t>(num_sequences_), static_cast<std::FILE*>(docs_file_),
                 static_cast<uint64_t>(num_documents_) + 1);
  } catch (...) {
    std::fclose(f);
    throw;
  }
  sync_close(f, idx_tmp_);
  for (void** scratch : {&sizes_file_, &docs_file_}) {
    std::fclose(static_cast<std::FILE*>(*scratch));
    *scratch = nullptr;
  }

  // The .idx goes last, so an index in place never points past the end of its data; a
  // reader catching the moment between the two renames sees a size mismatch, not bad tokens.
  const std::string bin_path = prefix_ + ".bin", idx_path = prefix_ + ".idx";
  if (std::rename(bin_tmp_.c_str(), bin_path.c_str()) != 0)
    throw error("[indexed_dataset] ", bin_path, ": cannot rename into place: ", errno_str());
  if (std::rename(idx_tmp_.c_str(), idx_path.c_str()) != 0)
    throw error("[indexed_dataset] ", idx_path, ": cannot rename into place: ", errno_str());
  sync_dir_of(bin_path);
  finalized_ = true;
}

}  // namespace ascent::data
