// ascent checkpoint manifest.json (open_checkpoint): the input is manifest.json beside a valid
// metadata.json and shard file.
#include <cstdlib>

#include "checkpoint_dir.h"
#include "harness.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace ascent;
  static const bool ready = [] {
    fuzz::write_metadata(fuzz::fixture_metadata());
    return true;
  }();
  (void)ready;
  fuzz::write_manifest(fuzz::as_text(data, size));
  fuzz::expect_errors([] { fuzz::open_and_read_checkpoint(); });
  return 0;
}

// make_seeds.py: ASCENT_FUZZ_WRITE_MANIFEST=FILE writes the manifest that matches the fixture (the
// seed) to FILE at start-up.
extern "C" int LLVMFuzzerInitialize(int*, char***) {
  using namespace ascent;
  if (const char* out = std::getenv("ASCENT_FUZZ_WRITE_MANIFEST")) {
    fuzz::write_metadata(fuzz::fixture_metadata());
    fuzz::write_true_manifest();
    fuzz::write_file(out, fuzz::read_file(fuzz::checkpoint_dir() + "/manifest.json"));
  }
  return 0;
}
