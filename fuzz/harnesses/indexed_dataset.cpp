// Megatron .idx + .bin (data/indexed_dataset.h). Input: split_two -> (.idx bytes, .bin bytes).
// A dataset that opens is read whole, sequence by sequence and as one token range.
#include "data/indexed_dataset.h"

#include <algorithm>
#include <vector>

#include "harness.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace ascent;
  const auto [idx, bin] = fuzz::split_two(data, size);
  const std::string prefix = fuzz::scratch_path("ds");
  fuzz::write_file(prefix + ".idx", idx);
  fuzz::write_file(prefix + ".bin", bin);
  fuzz::expect_errors([&] {
    data::IndexedDataset ds(prefix);
    std::vector<int32_t> out;
    for (int64_t i = 0; i < ds.num_sequences(); ++i) {
      const int64_t n = ds.sequence_length(i);
      out.resize(static_cast<size_t>(n));
      fuzz::expect_errors([&] { ds.read(i, 0, n, out.data()); });
      (void)ds.sequence_offset(i);
    }
    const int64_t total = ds.total_tokens();
    out.resize(static_cast<size_t>(std::min<int64_t>(total, 1 << 20)));
    fuzz::expect_errors([&] { ds.read_tokens(0, static_cast<int64_t>(out.size()), out.data()); });
  });
  return 0;
}
