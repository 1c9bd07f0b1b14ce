// One safetensors file (checkpoint/safetensors.h): the input is the file. Every tensor of a file
// that opens is read back (converted to f32 where the dtype allows).
#include "checkpoint/safetensors.h"

#include <vector>

#include "harness.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace ascent;
  const std::string path = fuzz::scratch_path("model.safetensors");
  fuzz::write_file(path, fuzz::as_text(data, size));
  fuzz::expect_errors([&] {
    safetensors::Reader r(path);
    std::vector<float> out;
    uint64_t sum = 0;
    for (const safetensors::TensorInfo& t : r.tensors()) {
      const uint8_t* p = r.data(t);
      for (size_t i = 0; i < t.nbytes(); ++i) sum += p[i];  // every byte must be mapped
      if (t.numel > (1 << 20)) continue;
      out.resize(static_cast<size_t>(t.numel));
      fuzz::expect_errors([&] { r.to_f32(t, out.data()); });
    }
    for (const auto& [k, v] : r.metadata()) sum += k.size() + v.size();
    (void)r.find("model.embed_tokens.weight");
    if (sum == 1) return;  // keeps the reads alive
  });
  return 0;
}
