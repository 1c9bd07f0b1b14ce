#include "data/readers/byte_source.h"

#include <zlib.h>
#include <zstd.h>

#include <algorithm>
#include <cstring>
#include <vector>

#include "core/error.h"
#include "data/readers/input_file.h"

namespace ascent::data::readers {
namespace {

constexpr size_t kCompressedChunk = 256 << 10;

bool ends_with(const std::string& s, const std::string& suffix) {
  return s.size() >= suffix.size() &&
         s.compare(s.size() - suffix.size(), suffix.size(), suffix) == 0;
}

class PlainSource final : public ByteSource {
 public:
  explicit PlainSource(const std::string& path) : file_(path) {}
  size_t read(char* buf, size_t n) override {
    const size_t got = file_.read(buf, n);
    done_ += static_cast<int64_t>(got);
    return got;
  }
  int64_t bytes_done() const override { return std::min(done_, file_.size()); }
  int64_t bytes_total() const override { return file_.size(); }
  const std::string& path() const override { return file_.path(); }

 private:
  InputFile file_;
  int64_t done_ = 0;
};

// Compressed input read in fixed chunks; the codecs below consume `in_` from `in_pos_`.
class CompressedSource : public ByteSource {
 public:
  explicit CompressedSource(const std::string& path) : file_(path), in_(kCompressedChunk) {}
  int64_t bytes_done() const override { return done_; }
  int64_t bytes_total() const override { return file_.size(); }
  int64_t bytes_used(int64_t unused) const override {
    if (finished_ || produced_ <= 0) return done_;
    const double used = static_cast<double>(std::max<int64_t>(0, produced_ - unused));
    const auto estimate =
        static_cast<int64_t>(static_cast<double>(done_) * used / static_cast<double>(produced_));
    // The compression ratio varies along the file: never report less than before.
    used_ = std::max(used_, std::min(estimate, done_));
    return used_;
  }
  const std::string& path() const override { return file_.path(); }

 protected:
  // Reads the next chunk once the current one is used up; false at the end of the file.
  bool refill() {
    if (in_pos_ < in_len_) return true;
    if (eof_) return false;
    in_len_ = file_.read(in_.data(), in_.size());
    in_pos_ = 0;
    done_ += static_cast<int64_t>(in_len_);
    if (in_len_ == 0) eof_ = true;
    return in_len_ > 0;
  }

  // Ends the data here; the rest of the file counts as consumed (skipped).
  void fail(std::string why) {
    failure_ = std::move(why);
    finished_ = true;
    done_ = file_.size();
  }

  InputFile file_;
  std::vector<char> in_;
  size_t in_pos_ = 0, in_len_ = 0;
  bool eof_ = false;
  bool finished_ = false;
  int64_t done_ = 0;
  int64_t produced_ = 0;      // decompressed bytes handed out
  mutable int64_t used_ = 0;  // the last bytes_used() (kept monotonic)
};

class GzipSource final : public CompressedSource {
 public:
  explicit GzipSource(const std::string& path) : CompressedSource(path) {
    std::memset(&z_, 0, sizeof(z_));
    if (inflateInit2(&z_, 15 + 16) != Z_OK)
      throw error("[preprocess] ", path, ": zlib init failed");
  }
  ~GzipSource() override { inflateEnd(&z_); }

  size_t read(char* buf, size_t n) override {
    size_t out = 0;
    while (out == 0 && !finished_ && n > 0) {
      refill();
      if (!in_member_) {
        // Between members: padding zeros are allowed, anything else starts the next member.
        while (in_pos_ < in_len_ && in_[in_pos_] == 0) ++in_pos_;
        if (in_pos_ == in_len_) {
          if (!refill()) finished_ = true;
          continue;
        }
        in_member_ = true;
        inflateReset(&z_);
      }
      z_.next_in = reinterpret_cast<Bytef*>(in_.data() + in_pos_);
      z_.avail_in = static_cast<uInt>(in_len_ - in_pos_);
      z_.next_out = reinterpret_cast<Bytef*>(buf + out);
      z_.avail_out = static_cast<uInt>(std::min<size_t>(n - out, 1u << 30));
      const uInt avail_out = z_.avail_out;
      const int rc = inflate(&z_, Z_NO_FLUSH);
      in_pos_ = in_len_ - z_.avail_in;
      out += avail_out - z_.avail_out;
      if (rc == Z_STREAM_END) {
        in_member_ = false;
      } else if (rc == Z_BUF_ERROR ||
                 (rc == Z_OK && z_.avail_in == 0 && avail_out == z_.avail_out)) {
        if (in_pos_ == in_len_ && eof_) fail("the gzip stream is truncated (the file ends early)");
      } else if (rc != Z_OK) {
        const std::string why = z_.msg ? z_.msg : "inflate error " + std::to_string(rc);
        if (produced_ == 0 && out == 0)
          throw error("[preprocess] ", path(), ": not a gzip file (", why, ")");
        fail("corrupt gzip data at compressed byte " + std::to_string(done_ - in_len_ + in_pos_) +
             " (" + why + "); the rest of the file is skipped");
      }
    }
    produced_ += static_cast<int64_t>(out);
    return out;
  }

 private:
  z_stream z_;
  bool in_member_ = false;
};

class ZstdSource final : public CompressedSource {
 public:
  explicit ZstdSource(const std::string& path) : CompressedSource(path), ctx_(ZSTD_createDCtx()) {
    if (!ctx_) throw error("[preprocess] ", path, ": zstd init failed");
  }
  ~ZstdSource() override { ZSTD_freeDCtx(ctx_); }

  size_t read(char* buf, size_t n) override {
    size_t out_pos = 0;
    while (out_pos == 0 && !finished_ && n > 0) {
      const bool more = refill();
      ZSTD_inBuffer in{in_.data(), in_len_, in_pos_};
      ZSTD_outBuffer out{buf, n, 0};
      const size_t rc = ZSTD_decompressStream(ctx_, &out, &in);
      in_pos_ = in.pos;
      out_pos = out.pos;
      if (ZSTD_isError(rc)) {
        const std::string why = ZSTD_getErrorName(rc);
        if (produced_ == 0 && out_pos == 0)
          throw error("[preprocess] ", path(), ": not a zstd file (", why, ")");
        fail("corrupt zstd data (" + why + "); the rest of the file is skipped");
      } else if (!more && out_pos == 0) {
        // Input used up and nothing more to flush: the end, complete only between frames.
        if (in_frame_) fail("the zstd stream is truncated (the file ends early)");
        finished_ = true;
      }
      in_frame_ = rc != 0;
    }
    produced_ += static_cast<int64_t>(out_pos);
    return out_pos;
  }

 private:
  ZSTD_DCtx* ctx_;
  bool in_frame_ = false;
};

class PrefixedSource final : public ByteSource {
 public:
  PrefixedSource(std::string prefix, std::unique_ptr<ByteSource> inner)
      : prefix_(std::move(prefix)), inner_(std::move(inner)) {}
  size_t read(char* buf, size_t n) override {
    if (pos_ < prefix_.size()) {
      const size_t k = std::min(n, prefix_.size() - pos_);
      std::memcpy(buf, prefix_.data() + pos_, k);
      pos_ += k;
      return k;
    }
    const size_t got = inner_->read(buf, n);
    if (got == 0) failure_ = inner_->failure();
    return got;
  }
  int64_t bytes_done() const override { return inner_->bytes_done(); }
  int64_t bytes_total() const override { return inner_->bytes_total(); }
  int64_t bytes_used(int64_t unused) const override {
    // Replayed prefix bytes still unread were read from inner_ before and count as unused too.
    return inner_->bytes_used(unused + static_cast<int64_t>(prefix_.size() - pos_));
  }
  const std::string& path() const override { return inner_->path(); }

 private:
  std::string prefix_;
  size_t pos_ = 0;
  std::unique_ptr<ByteSource> inner_;
};

}  // namespace

std::unique_ptr<ByteSource> open_byte_source(const std::string& path) {
  if (ends_with(path, ".gz")) return std::make_unique<GzipSource>(path);
  if (ends_with(path, ".zst")) return std::make_unique<ZstdSource>(path);
  return std::make_unique<PlainSource>(path);
}

std::unique_ptr<ByteSource> prepend_bytes(std::string prefix, std::unique_ptr<ByteSource> inner) {
  return std::make_unique<PrefixedSource>(std::move(prefix), std::move(inner));
}

std::string read_all(ByteSource& source) {
  std::string s;
  size_t len = 0;
  for (;;) {
    if (s.size() - len < (64 << 10)) s.resize(std::max<size_t>(s.size() * 2, 1 << 20));
    const size_t got = source.read(s.data() + len, s.size() - len);
    if (got == 0) break;
    len += got;
  }
  s.resize(len);
  return s;
}

}  // namespace ascent::data::readers
