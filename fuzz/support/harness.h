#pragma once
// What every fuzz harness shares: a private scratch directory, writing the input where a parser
// takes a path, splitting one input into two files, and the rule that an ascent::Error (or any
// other C++ exception) is a correct answer to a hostile file. Only a crash, a sanitizer report, a
// timeout or running out of memory is a finding.
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <utility>

namespace ascent::fuzz {

// A directory of this process, made on first use under $TMPDIR (or /tmp) and removed at exit.
const std::string& scratch_dir();
// scratch_dir() + "/" + name.
std::string scratch_path(const std::string& name);
// Writes bytes to path (replacing it); aborts when it cannot (a broken harness, not a finding).
void write_file(const std::string& path, std::string_view bytes);
std::string read_file(const std::string& path);
// The input as text.
inline std::string_view as_text(const uint8_t* data, size_t size) {
  return {reinterpret_cast<const char*>(data), size};
}
// Splits an input into two parts: a little-endian u32 n, then n bytes (clamped to what is there)
// of the first part, then the rest. Seeds are built that way (fuzz/make_seeds.py).
std::pair<std::string_view, std::string_view> split_two(const uint8_t* data, size_t size);

// Runs f; an exception is an expected outcome for a hostile input. With ASCENT_FUZZ_STRICT=1 in
// the environment, an exception that is not ascent::Error aborts (a parser should name the file
// and field), so `make fuzz` can also hunt for untyped errors.
template <typename F>
void expect_errors(F&& f);

void on_foreign_exception(const char* what);
bool strict_mode();

}  // namespace ascent::fuzz

#include "core/error.h"

template <typename F>
void ascent::fuzz::expect_errors(F&& f) {
  try {
    f();
  } catch (const ascent::Error&) {
  } catch (const std::exception& e) {
    on_foreign_exception(e.what());
  }
}
