#pragma once
// PNG encoding of an RGB image (8 bits per channel, no interlace): signature, IHDR, one zlib
// IDAT (every scanline with filter type 0), IEND; each chunk with its CRC-32.
#include <cstdint>
#include <string>
#include <vector>

namespace ascent::plot {

// `rgb`: height rows of width x 3 bytes. Returns the file's bytes.
std::string encode_png(int width, int height, const std::vector<uint8_t>& rgb);

}  // namespace ascent::plot
