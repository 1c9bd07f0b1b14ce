#pragma once
// The decompressed bytes of one input file, streamed through bounded buffers: plain, gzip (.gz,
// several members allowed) or zstd (.zst, several frames allowed).
#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>

namespace ascent::data::readers {

class ByteSource {
 public:
  virtual ~ByteSource() = default;
  // Fills up to n bytes of buf with the next bytes; returns how many, 0 only at the end. A
  // compressed stream that is cut short or corrupt ends at the last good byte and sets failure().
  // Throws "[preprocess] FILE: ..." on an I/O error or when the file is not of its format at all.
  virtual size_t read(char* buf, size_t n) = 0;
  // On-disk (compressed) bytes consumed so far, and the file size.
  virtual int64_t bytes_done() const = 0;
  virtual int64_t bytes_total() const = 0;
  // On-disk bytes behind what the caller has used: the bytes read so far less the last
  // `unused` bytes it still holds in its buffer (through the compression ratio so far for
  // compressed files, an estimate). Progress reports this, not bytes_done(), which runs a buffer
  // ahead of the records handed out.
  virtual int64_t bytes_used(int64_t unused) const {
    return bytes_done() > unused ? bytes_done() - unused : 0;
  }
  virtual const std::string& path() const = 0;
  // Why the data ended early ("the gzip stream is truncated", ...), once read() returned 0.
  const std::optional<std::string>& failure() const { return failure_; }

 protected:
  std::optional<std::string> failure_;
};

// Opens `path`; the codec comes from the suffix (.gz, .zst, anything else is plain).
std::unique_ptr<ByteSource> open_byte_source(const std::string& path);

// Replays `prefix` (bytes already read from `inner`) before the rest of `inner`.
std::unique_ptr<ByteSource> prepend_bytes(std::string prefix, std::unique_ptr<ByteSource> inner);

// The whole remaining content of `source` (for --document-per-file and small headers).
std::string read_all(ByteSource& source);

}  // namespace ascent::data::readers
