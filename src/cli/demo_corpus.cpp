#include "cli/demo_corpus.h"

// ASCENT_DEMO_CORPUS is the absolute path of data/tinyshakespeare.txt (set by CMake, which also
// makes this file depend on it).
asm(".section .rodata\n"
    ".balign 16\n"
    "ascent_demo_corpus_begin:\n"
    ".incbin \"" ASCENT_DEMO_CORPUS "\"\n"
    "ascent_demo_corpus_end:\n"
    ".previous\n");

extern "C" const char ascent_demo_corpus_begin[];
extern "C" const char ascent_demo_corpus_end[];

namespace ascent::cli {

std::string_view demo_corpus() {
  return {ascent_demo_corpus_begin,
          static_cast<size_t>(ascent_demo_corpus_end - ascent_demo_corpus_begin)};
}

}  // namespace ascent::cli
