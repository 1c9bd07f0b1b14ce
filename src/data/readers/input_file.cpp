#include "data/readers/input_file.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "core/error.h"

namespace ascent::data::readers {

InputFile::InputFile(std::string path) : path_(std::move(path)) {
  fd_ = ::open(path_.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd_ < 0) throw error("[preprocess] ", path_, ": cannot open (", std::strerror(errno), ")");
  struct stat st {};
  if (::fstat(fd_, &st) != 0 || !S_ISREG(st.st_mode)) {
    ::close(fd_);
    throw error("[preprocess] ", path_, ": not a regular file");
  }
  size_ = static_cast<int64_t>(st.st_size);
  ::posix_fadvise(fd_, 0, 0, POSIX_FADV_SEQUENTIAL);
}

InputFile::~InputFile() {
  if (fd_ >= 0) ::close(fd_);
}

size_t InputFile::read(char* buf, size_t n) {
  for (;;) {
    const ssize_t got = ::read(fd_, buf, n);
    if (got >= 0) return static_cast<size_t>(got);
    if (errno != EINTR)
      throw error("[preprocess] ", path_, ": read error (", std::strerror(errno), ")");
  }
}

void InputFile::read_at(int64_t offset, char* buf, size_t n) const {
  if (offset < 0 || offset > size_ || static_cast<int64_t>(n) > size_ - offset)
    throw error("[preprocess] ", path_, ": read of ", n, " bytes at offset ", offset,
                " is past the end of the file (", size_, " bytes)");
  size_t done = 0;
  while (done < n) {
    const ssize_t got = ::pread(fd_, buf + done, n - done, offset + static_cast<int64_t>(done));
    if (got < 0 && errno == EINTR) continue;
    if (got <= 0)
      throw error("[preprocess] ", path_, ": read error at offset ", offset, " (",
                  got < 0 ? std::strerror(errno) : "unexpected end of file", ")");
    done += static_cast<size_t>(got);
  }
}

}  // namespace ascent::data::readers
