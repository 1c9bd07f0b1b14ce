#pragma once
// A read-only file read through POSIX calls: sequential reads for the streaming formats and
// positioned reads for Parquet. Errors throw "[preprocess] FILE: ...".
#include <cstddef>
#include <cstdint>
#include <string>

namespace ascent::data::readers {

class InputFile {
 public:
  // Throws when `path` cannot be opened.
  explicit InputFile(std::string path);
  ~InputFile();
  InputFile(const InputFile&) = delete;
  InputFile& operator=(const InputFile&) = delete;

  // Reads up to n bytes at the current position; returns how many (0 at the end of the file).
  size_t read(char* buf, size_t n);
  // Reads exactly n bytes at `offset`; throws if the file is shorter or on an I/O error.
  void read_at(int64_t offset, char* buf, size_t n) const;
  int64_t size() const { return size_; }
  const std::string& path() const { return path_; }

 private:
  std::string path_;
  int fd_ = -1;
  int64_t size_ = 0;
};

}  // namespace ascent::data::readers
