#include "checkpoint/safetensors.h"

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
#include <fstream>
#include <limits>
#include <nlohmann/json.hpp>
#include <set>
#include <sstream>
#include <utility>

#include "core/error.h"

namespace ascent::safetensors {

static_assert(std::endian::native == std::endian::little, "safetensors data are little-endian");

namespace fs = std::filesystem;
using json = nlohmann::json;

namespace {

struct DtypeRow {
  Dtype dtype;
  const char* name;
  size_t size;
};

constexpr DtypeRow kDtypes[] = {
    {Dtype::F64, "F64", 8},   {Dtype::F32, "F32", 4}, {Dtype::F16, "F16", 2},
    {Dtype::BF16, "BF16", 2}, {Dtype::I64, "I64", 8}, {Dtype::I32, "I32", 4},
    {Dtype::I16, "I16", 2},   {Dtype::I8, "I8", 1},   {Dtype::U64, "U64", 8},
    {Dtype::U32, "U32", 4},   {Dtype::U16, "U16", 2}, {Dtype::U8, "U8", 1},
    {Dtype::BOOL, "BOOL", 1},
};

const DtypeRow& row(Dtype t) {
  for (const auto& r : kDtypes)
    if (r.dtype == t) return r;
  return kDtypes[0];  // unreachable: every enumerator has a row
}

std::string shape_str(const std::vector<int64_t>& shape) {
  std::string s = "[";
  for (size_t i = 0; i < shape.size(); ++i) s += (i ? ", " : "") + std::to_string(shape[i]);
  return s + "]";
}

// numel of shape, or -1 on overflow past int64.
int64_t checked_numel(const std::vector<int64_t>& shape) {
  int64_t n = 1;
  for (int64_t d : shape) {
    if (d != 0 && n > std::numeric_limits<int64_t>::max() / d) return -1;
    n *= d;
  }
  return n;
}

std::string errno_str() { return std::strerror(errno); }

// A temporary file next to `path` that becomes `path` on commit() (fsync, rename, fsync of the
// directory) and is removed if never committed.
class AtomicFile {
 public:
  explicit AtomicFile(const std::string& path) : path_(path), tmp_(path + ".tmp.XXXXXX") {
    fd_ = mkstemp(tmp_.data());
    if (fd_ < 0)
      throw error("[safetensors] ", path, ": cannot create temporary file: ", errno_str());
    fchmod(fd_, 0644);
  }
  ~AtomicFile() {
    if (fd_ >= 0) close(fd_);
    if (!committed_) unlink(tmp_.c_str());
  }
  AtomicFile(const AtomicFile&) = delete;
  AtomicFile& operator=(const AtomicFile&) = delete;

  void write(const void* data, size_t n) {
    const char* p = static_cast<const char*>(data);
    while (n > 0) {
      ssize_t w = ::write(fd_, p, std::min<size_t>(n, size_t{1} << 30));
      if (w < 0 && errno == EINTR) continue;
      if (w < 0) throw error("[safetensors] ", path_, ": write failed: ", errno_str());
      p += w;
      n -= static_cast<size_t>(w);
    }
  }

  void commit() {
    if (fsync(fd_) != 0) throw error("[safetensors] ", path_, ": fsync failed: ", errno_str());
    if (close(fd_) != 0) throw error("[safetensors] ", path_, ": close failed: ", errno_str());
    fd_ = -1;
    if (std::rename(tmp_.c_str(), path_.c_str()) != 0)
      throw error("[safetensors] ", path_, ": rename failed: ", errno_str());
    committed_ = true;
    std::string dir = fs::path(path_).parent_path().string();
    int dfd = open(dir.empty() ? "." : dir.c_str(), O_RDONLY | O_DIRECTORY);
    if (dfd >= 0) {
      fsync(dfd);  // best effort: makes the rename durable
      close(dfd);
    }
  }

 private:
  std::string path_, tmp_;
  int fd_ = -1;
  bool committed_ = false;
};

json read_json_file(const std::string& path, const char* prefix) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw error(prefix, path, ": cannot open: ", errno_str());
  std::stringstream ss;
  ss << in.rdbuf();
  try {
    return json::parse(ss.str());
  } catch (const json::exception& e) {
    throw error(prefix, path, ": bad JSON: ", e.what());
  }
}

}  // namespace

size_t dtype_size(Dtype t) { return row(t).size; }
const char* dtype_name(Dtype t) { return row(t).name; }

bool parse_dtype(const std::string& s, Dtype* out) {
  for (const auto& r : kDtypes) {
    if (s == r.name) {
      *out = r.dtype;
      return true;
    }
  }
  return false;
}

Dtype from_dtype(DType t) {
  switch (t) {
    case DType::F32:
      return Dtype::F32;
    case DType::BF16:
      return Dtype::BF16;
    case DType::F16:
      return Dtype::F16;
  }
  return Dtype::F32;
}

DType to_dtype(Dtype t, const std::string& what) {
  switch (t) {
    case Dtype::F32:
      return DType::F32;
    case Dtype::BF16:
      return DType::BF16;
    case Dtype::F16:
      return DType::F16;
    default:
      break;
  }
  throw error(what, ": dtype ", dtype_name(t),
              " is not supported here (expected F32, BF16 or F16)");
}

// ---------------------------------------------------------------------------------------------
// Reader

Reader::Reader(const std::string& path) : path_(path) {
  const std::string where = "[safetensors] " + path + ": ";
  int fd = open(path.c_str(), O_RDONLY);
  if (fd < 0) throw error(where, "cannot open: ", errno_str());
  struct stat st {};
  if (fstat(fd, &st) != 0) {
    close(fd);
    throw error(where, "cannot stat: ", errno_str());
  }
  const size_t size = static_cast<size_t>(st.st_size);
  if (size < 8) {
    close(fd);
    throw error(where, "file is ", size, " bytes, too short for the 8-byte header length");
  }
  map_ = mmap(nullptr, size, PROT_READ, MAP_PRIVATE, fd, 0);
  close(fd);
  if (map_ == MAP_FAILED) {
    map_ = nullptr;
    throw error(where, "mmap failed: ", errno_str());
  }
  map_size_ = size;
  try {
    uint64_t n = 0;
    std::memcpy(&n, map_, 8);
    if (n > size - 8) throw error(where, "header length ", n, " is beyond the file size ", size);
    const char* base = static_cast<const char*>(map_);
    data_ = reinterpret_cast<const uint8_t*>(base + 8 + n);
    parse_header(std::string(base + 8, n), size - 8 - n);
  } catch (...) {
    munmap(map_, map_size_);
    map_ = nullptr;
    throw;
  }
}

Reader::~Reader() {
  if (map_) munmap(map_, map_size_);
}

Reader::Reader(Reader&& o) noexcept { *this = std::move(o); }

Reader& Reader::operator=(Reader&& o) noexcept {
  if (this != &o) {
    if (map_) munmap(map_, map_size_);
    path_ = std::move(o.path_);
    map_ = std::exchange(o.map_, nullptr);
    map_size_ = std::exchange(o.map_size_, 0);
    data_ = std::exchange(o.data_, nullptr);
    tensors_ = std::move(o.tensors_);
    metadata_ = std::move(o.metadata_);
  }
  return *this;
}

void Reader::parse_header(const std::string& header, size_t data_size) {
  const std::string where = "[safetensors] " + path_ + ": ";
  // nlohmann keeps the last of duplicate keys silently; collect top-level keys to catch them.
  std::set<std::string> seen;
  std::string duplicate;
  auto cb = [&](int depth, json::parse_event_t event, json& parsed) {
    if (event == json::parse_event_t::key && depth == 1 && duplicate.empty()) {
      const std::string& k = parsed.get_ref<const std::string&>();
      if (!seen.insert(k).second) duplicate = k;
    }
    return true;
  };
  json h;
  try {
    h = json::parse(header, cb);
  } catch (const json::exception& e) {
    throw error(where, "bad JSON header: ", e.what());
  }
  if (!duplicate.empty()) throw error(where, "duplicate tensor name '", duplicate, "' in header");
  if (!h.is_object()) throw error(where, "header is not a JSON object");

  for (const auto& [name, v] : h.items()) {
    if (name == "__metadata__") {
      if (!v.is_object()) throw error(where, "__metadata__ is not an object");
      for (const auto& [k, s] : v.items()) {
        if (!s.is_string()) throw error(where, "__metadata__ value of '", k, "' is not a string");
        metadata_[k] = s.get<std::string>();
      }
      continue;
    }
    const std::string tw = where + "tensor '" + name + "': ";
    if (!v.is_object()) throw error(tw, "entry is not an object");
    if (!v.contains("dtype") || !v["dtype"].is_string()) throw error(tw, "missing string 'dtype'");
    if (!v.contains("shape") || !v["shape"].is_array()) throw error(tw, "missing array 'shape'");
    if (!v.contains("data_offsets") || !v["data_offsets"].is_array() ||
        v["data_offsets"].size() != 2)
      throw error(tw, "missing 'data_offsets' [begin, end]");
    TensorInfo t;
    t.name = name;
    const std::string dt = v["dtype"].get<std::string>();
    if (!parse_dtype(dt, &t.dtype)) throw error(tw, "unknown dtype '", dt, "'");
    for (const auto& d : v["shape"]) {
      if (!d.is_number_integer()) throw error(tw, "shape ", v["shape"].dump(), " is not integers");
      if (d.is_number_unsigned() ? d.get<uint64_t>() > uint64_t(INT64_MAX) : d.get<int64_t>() < 0)
        throw error(tw, "negative or too large dimension in shape ", v["shape"].dump());
      t.shape.push_back(d.get<int64_t>());
    }
    for (const auto& o : v["data_offsets"])
      if (!o.is_number_unsigned())
        throw error(tw, "data_offsets ", v["data_offsets"].dump(),
                    " are not non-negative integers");
    const uint64_t begin = v["data_offsets"][0].get<uint64_t>();
    const uint64_t end = v["data_offsets"][1].get<uint64_t>();
    if (begin > end) throw error(tw, "data_offsets [", begin, ", ", end, "] end before begin");
    if (end > data_size)
      throw error(tw, "data_offsets [", begin, ", ", end, "] out of range: data section is ",
                  data_size, " bytes");
    t.begin = begin;
    t.end = end;
    t.numel = checked_numel(t.shape);
    const size_t isz = safetensors::dtype_size(t.dtype);
    if (t.numel < 0 || static_cast<uint64_t>(t.numel) > (end - begin) / isz ||
        static_cast<uint64_t>(t.numel) * isz != end - begin)
      throw error(tw, "shape ", shape_str(t.shape), " of ", dt, " (",
                  t.numel < 0 ? std::string("too many") : std::to_string(t.numel), " x ", isz,
                  " bytes) does not match data_offsets [", begin, ", ", end, "] holding ",
                  end - begin, " bytes");
    tensors_.push_back(std::move(t));
  }

  // The data section must be covered exactly once: sorted by offsets, each tensor starts where
  // the previous ended and the last ends at the end of the file.
  std::vector<const TensorInfo*> order;
  for (const auto& t : tensors_) order.push_back(&t);
  std::sort(order.begin(), order.end(), [](const TensorInfo* a, const TensorInfo* b) {
    return a->begin != b->begin ? a->begin < b->begin : a->end < b->end;
  });
  size_t expect = 0;
  const TensorInfo* prev = nullptr;
  for (const TensorInfo* t : order) {
    if (t->begin < expect)
      throw error(where, "tensor '", t->name, "' data [", t->begin, ", ", t->end,
                  ") overlaps tensor '", prev->name, "' [", prev->begin, ", ", prev->end, ")");
    if (t->begin > expect)
      throw error(where, "gap of ", t->begin - expect, " bytes before tensor '", t->name,
                  "' (data_offsets not contiguous)");
    expect = t->end;
    prev = t;
  }
  if (expect != data_size)
    throw error(where, data_size - expect, " trailing bytes after the last tensor's data");
  std::sort(tensors_.begin(), tensors_.end(),
            [](const TensorInfo& a, const TensorInfo& b) { return a.name < b.name; });
}

const TensorInfo* Reader::find(const std::string& name) const {
  auto it = std::lower_bound(tensors_.begin(), tensors_.end(), name,
                             [](const TensorInfo& t, const std::string& n) { return t.name < n; });
  return it != tensors_.end() && it->name == name ? &*it : nullptr;
}

void Reader::to_f32(const TensorInfo& t, float* dst) const {
  const uint8_t* src = data(t);
  const size_t n = static_cast<size_t>(t.numel);
  // The format does not promise alignment; copy to aligned storage when the file is unaligned.
  auto halves = [&](void (*convert)(const uint16_t*, float*, size_t)) {
    if (reinterpret_cast<uintptr_t>(src) % 2 == 0) {
      convert(reinterpret_cast<const uint16_t*>(src), dst, n);
    } else {
      std::vector<uint16_t> tmp(n);
      std::memcpy(tmp.data(), src, n * 2);
      convert(tmp.data(), dst, n);
    }
  };
  switch (t.dtype) {
    case Dtype::F32:
      std::memcpy(dst, src, n * 4);
      return;
    case Dtype::BF16:
      halves(convert_bf16_to_f32);
      return;
    case Dtype::F16:
      halves(convert_f16_to_f32);
      return;
    case Dtype::F64:
      for (size_t i = 0; i < n; ++i) {
        double d;
        std::memcpy(&d, src + 8 * i, 8);
        dst[i] = static_cast<float>(d);
      }
      return;
    default:
      throw error("[safetensors] ", path_, ": tensor '", t.name, "' has dtype ",
                  dtype_name(t.dtype), ", which does not convert to f32");
  }
}

// ---------------------------------------------------------------------------------------------
// ShardedReader

ShardedReader::ShardedReader(const std::string& dir) {
  const fs::path p(dir);
  const bool is_file = fs::is_regular_file(p);
  const fs::path single = is_file ? p : p / "model.safetensors";
  const fs::path index = p / "model.safetensors.index.json";
  auto add = [&](const Reader* r, const TensorInfo& t) {
    if (!entries_.emplace(t.name, Entry{r, &t}).second)
      throw error("[safetensors] ", r->path(), ": tensor '", t.name,
                  "' is also in another shard of ", source_);
  };
  if (fs::is_regular_file(single) && !single.string().ends_with(".index.json")) {
    source_ = single.string();
    files_.push_back(std::make_unique<Reader>(source_));
    for (const auto& t : files_[0]->tensors()) add(files_[0].get(), t);
    return;
  }
  const fs::path idx = is_file ? p : index;
  if (!fs::is_regular_file(idx))
    throw error("[safetensors] ", dir, ": no model.safetensors or model.safetensors.index.json");
  source_ = idx.string();
  const std::string where = "[safetensors] " + source_ + ": ";
  const json j = read_json_file(source_, "[safetensors] ");
  if (!j.is_object() || !j.contains("weight_map") || !j["weight_map"].is_object())
    throw error(where, "missing object 'weight_map'");
  const json& wm = j["weight_map"];
  std::map<std::string, const Reader*> by_file;
  for (const auto& [name, f] : wm.items()) {
    if (!f.is_string()) throw error(where, "weight_map entry '", name, "' is not a file name");
    by_file.emplace(f.get<std::string>(), nullptr);
  }
  for (auto& [file, reader] : by_file) {
    files_.push_back(std::make_unique<Reader>((idx.parent_path() / file).string()));
    reader = files_.back().get();
    for (const auto& t : reader->tensors()) {
      auto it = wm.find(t.name);
      if (it == wm.end() || it->get<std::string>() != file)
        throw error("[safetensors] ", reader->path(), ": tensor '", t.name,
                    "' is not mapped to this file in the weight_map of ", source_);
      add(reader, t);
    }
  }
  for (const auto& [name, f] : wm.items())
    if (!entries_.count(name))
      throw error(where, "tensor '", name, "' of the weight_map is missing from ",
                  f.get<std::string>());
}

const ShardedReader::Entry* ShardedReader::find(const std::string& name) const {
  auto it = entries_.find(name);
  return it == entries_.end() ? nullptr : &it->second;
}

// ---------------------------------------------------------------------------------------------
// Writing

size_t TensorRef::nbytes() const {
  int64_t n = checked_numel(shape);
  return n < 0 ? 0 : static_cast<size_t>(n) * safetensors::dtype_size(dtype);
}

void write_file_atomic(const std::string& path, std::span<const uint8_t> bytes) {
  AtomicFile f(path);
  f.write(bytes.data(), bytes.size());
  f.commit();
}

void write(const std::string& path, std::span<const TensorRef> tensors, const Metadata& metadata) {
  const std::string where = "[safetensors] " + path + ": ";
  std::vector<const TensorRef*> order;
  std::set<std::string> names;
  for (const auto& t : tensors) {
    if (t.name.empty() || t.name == "__metadata__")
      throw error(where, "reserved tensor name '", t.name, "'");
    if (!names.insert(t.name).second) throw error(where, "duplicate tensor name '", t.name, "'");
    for (int64_t d : t.shape)
      if (d < 0) throw error(where, "tensor '", t.name, "': negative dimension in shape");
    if (checked_numel(t.shape) < 0) throw error(where, "tensor '", t.name, "': shape too large");
    if (t.data == nullptr && t.nbytes() > 0) throw error(where, "tensor '", t.name, "': no data");
    order.push_back(&t);
  }
  std::sort(order.begin(), order.end(), [](const TensorRef* a, const TensorRef* b) {
    size_t sa = safetensors::dtype_size(a->dtype), sb = safetensors::dtype_size(b->dtype);
    return sa != sb ? sa > sb : a->name < b->name;
  });
  json h = json::object();
  size_t offset = 0;
  for (const TensorRef* t : order) {
    const size_t n = t->nbytes();
    h[t->name] = {{"dtype", dtype_name(t->dtype)},
                  {"shape", t->shape},
                  {"data_offsets", {offset, offset + n}}};
    offset += n;
  }
  if (!metadata.empty()) h["__metadata__"] = metadata;
  std::string header = h.dump();
  header.append((8 - header.size() % 8) % 8, ' ');
  const uint64_t len = header.size();

  AtomicFile f(path);
  f.write(&len, 8);
  f.write(header.data(), header.size());
  for (const TensorRef* t : order) f.write(t->data, t->nbytes());
  f.commit();
}

std::vector<std::string> write_sharded(const std::string& dir, std::span<const TensorRef> tensors,
                                       size_t max_shard_bytes, const Metadata& metadata) {
  std::error_code ec;
  fs::create_directories(dir, ec);
  if (ec) throw error("[safetensors] ", dir, ": cannot create directory: ", ec.message());
  std::vector<std::vector<TensorRef>> shards(1);
  std::set<std::string> names;
  size_t in_shard = 0, total = 0;
  for (const auto& t : tensors) {
    if (!names.insert(t.name).second)
      throw error("[safetensors] ", dir, ": duplicate tensor name '", t.name, "'");
    const size_t n = t.nbytes();
    if (max_shard_bytes > 0 && !shards.back().empty() && in_shard + n > max_shard_bytes) {
      shards.emplace_back();
      in_shard = 0;
    }
    shards.back().push_back(t);
    in_shard += n;
    total += n;
  }
  if (shards.size() == 1) {
    write((fs::path(dir) / "model.safetensors").string(), shards[0], metadata);
    return {"model.safetensors"};
  }
  std::vector<std::string> files;
  json weight_map = json::object();
  for (size_t i = 0; i < shards.size(); ++i) {
    char name[64];
    std::snprintf(name, sizeof(name), "model-%05zu-of-%05zu.safetensors", i + 1, shards.size());
    write((fs::path(dir) / name).string(), shards[i], metadata);
    for (const auto& t : shards[i]) weight_map[t.name] = name;
    files.push_back(name);
  }
  const json index = {{"metadata", {{"total_size", total}}}, {"weight_map", weight_map}};
  const std::string text = index.dump(2) + "\n";
  write_file_atomic((fs::path(dir) / "model.safetensors.index.json").string(),
                    {reinterpret_cast<const uint8_t*>(text.data()), text.size()});
  files.push_back("model.safetensors.index.json");
  return files;
}

}  // namespace ascent::safetensors
