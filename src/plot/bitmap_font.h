#pragma once
// A 5x7 bitmap font (printable ASCII) for the PNG charts: each glyph is 7 rows of 5 bits above
// the baseline plus a descender row (g, j, p, q, y), in a 6-pixel advance. Characters without a
// glyph draw as a hollow box.
#include <array>
#include <cstdint>

namespace ascent::plot {

constexpr int kGlyphWidth = 5, kGlyphHeight = 7, kGlyphRows = 8, kGlyphAdvance = 6;

// Row r (0 = top) of the glyph of `c`; bit 4 is the leftmost pixel.
std::array<uint8_t, kGlyphRows> glyph(char c);

}  // namespace ascent::plot
