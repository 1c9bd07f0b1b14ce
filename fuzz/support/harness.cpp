#include "harness.h"

#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <sstream>

namespace ascent::fuzz {
namespace {

struct Scratch {
  std::string dir;
  Scratch() {
    const char* tmp = std::getenv("TMPDIR");
    std::string pattern = std::string(tmp && *tmp ? tmp : "/tmp") + "/ascent-fuzz-XXXXXX";
    if (!mkdtemp(pattern.data())) {
      std::perror("ascent fuzz: mkdtemp");
      std::abort();
    }
    dir = pattern;
  }
  ~Scratch() {
    std::error_code ec;
    std::filesystem::remove_all(dir, ec);
  }
};

}  // namespace

const std::string& scratch_dir() {
  static Scratch s;
  return s.dir;
}

std::string scratch_path(const std::string& name) { return scratch_dir() + "/" + name; }

void write_file(const std::string& path, std::string_view bytes) {
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out.write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
  if (!out) {
    std::fprintf(stderr, "ascent fuzz: cannot write %s\n", path.c_str());
    std::abort();
  }
}

std::string read_file(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    std::fprintf(stderr, "ascent fuzz: cannot read %s\n", path.c_str());
    std::abort();
  }
  std::ostringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

std::pair<std::string_view, std::string_view> split_two(const uint8_t* data, size_t size) {
  if (size < 4) return {{}, {}};
  uint32_t n = 0;
  for (int i = 3; i >= 0; --i) n = (n << 8) | data[i];
  const std::string_view rest = as_text(data + 4, size - 4);
  const size_t first = std::min<size_t>(n, rest.size());
  return {rest.substr(0, first), rest.substr(first)};
}

bool strict_mode() {
  static const bool strict = [] {
    const char* s = std::getenv("ASCENT_FUZZ_STRICT");
    return s && std::strcmp(s, "1") == 0;
  }();
  return strict;
}

void on_foreign_exception(const char* what) {
  if (!strict_mode()) return;
  std::fprintf(stderr, "ascent fuzz: an exception that is not ascent::Error: %s\n", what);
  std::abort();
}

}  // namespace ascent::fuzz
