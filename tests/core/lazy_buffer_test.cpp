// Buffer::lazy and discard: address space that reads as zero, becomes memory when written, and
// gives whole pages back on discard without touching bytes outside the range.
#include <gtest/gtest.h>
#include <sys/mman.h>

#include <cstdint>
#include <cstring>
#include <vector>

#include "core/tensor.h"

namespace ascent {
namespace {

// Resident pages of [p, p + n) by mincore.
size_t resident_pages(const void* p, size_t n) {
  const size_t pages = (n + 4095) / 4096;
  std::vector<unsigned char> v(pages);
  EXPECT_EQ(mincore(const_cast<void*>(p), n, v.data()), 0);
  size_t r = 0;
  for (unsigned char c : v) r += c & 1;
  return r;
}

TEST(LazyBuffer, ReadsZeroAndDiscardZeroesExactlyTheRange) {
  for (bool lazy : {true, false}) {
    const size_t n = 5 * 4096 + 123;
    Buffer b = lazy ? Buffer::lazy(n) : Buffer(n);
    unsigned char* p = static_cast<unsigned char*>(b.data());
    for (size_t i = 0; i < n; ++i) ASSERT_EQ(p[i], 0) << i;
    std::memset(p, 0xab, n);
    const size_t begin = 1000, end = 4 * 4096 + 7;  // partial first and last pages
    b.discard(begin, end);
    for (size_t i = 0; i < n; ++i)
      ASSERT_EQ(p[i], (i >= begin && i < end) ? 0 : 0xab) << (lazy ? "lazy " : "") << i;
    std::memset(p, 0x5c, n);  // written again after discard
    for (size_t i = 0; i < n; ++i) ASSERT_EQ(p[i], 0x5c);
    b.discard(0, 0);
    b.discard(n, n);
  }
}

TEST(LazyBuffer, DiscardReturnsWholePages) {
  const size_t page = 4096, n = 64 * page;
  Buffer b = Buffer::lazy(n);
  char* p = static_cast<char*>(b.data());
  EXPECT_EQ(resident_pages(p, n), 0u);
  std::memset(p, 1, n);
  EXPECT_EQ(resident_pages(p, n), 64u);
  b.discard(page + 1, 63 * page);  // pages 2..62 go back
  EXPECT_EQ(resident_pages(p, n), 3u);
}

}  // namespace
}  // namespace ascent
