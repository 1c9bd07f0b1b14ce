// A sharded safetensors directory (checkpoint/safetensors.h, ShardedReader): the input is
// model.safetensors.index.json; two small valid shards sit beside it.
#include <filesystem>
#include <vector>

#include "checkpoint/safetensors.h"
#include "harness.h"

namespace {

std::string make_dir() {
  using namespace ascent;
  const std::string dir = fuzz::scratch_path("sharded");
  std::filesystem::create_directories(dir);
  const std::vector<float> a(6, 1.0f), b(4, 2.0f);
  const std::vector<safetensors::TensorRef> first = {
      {"model.embed_tokens.weight", safetensors::Dtype::F32, {3, 2}, a.data()}};
  const std::vector<safetensors::TensorRef> second = {
      {"model.norm.weight", safetensors::Dtype::F32, {4}, b.data()}};
  safetensors::write(dir + "/model-00001-of-00002.safetensors", first);
  safetensors::write(dir + "/model-00002-of-00002.safetensors", second);
  return dir;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace ascent;
  static const std::string dir = make_dir();
  fuzz::write_file(dir + "/model.safetensors.index.json", fuzz::as_text(data, size));
  fuzz::expect_errors([&] {
    safetensors::ShardedReader r(dir);
    std::vector<float> out;
    for (const auto& [name, e] : r.entries()) {
      out.resize(static_cast<size_t>(e.info->numel));
      e.file->to_f32(*e.info, out.data());
    }
  });
  return 0;
}
