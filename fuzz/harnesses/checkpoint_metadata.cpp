// ascent checkpoint metadata.json (checkpoint/ascent_checkpoint.h, open_checkpoint and the
// tensor reads of a resume): the input is metadata.json; the manifest is made to match it, so
// the metadata parser (not the hash check) sees every input.
#include "checkpoint_dir.h"
#include "harness.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace ascent;
  fuzz::write_metadata(fuzz::as_text(data, size));
  fuzz::write_true_manifest();
  fuzz::expect_errors([] { fuzz::open_and_read_checkpoint(); });
  return 0;
}
