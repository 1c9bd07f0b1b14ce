#pragma once
// Flags that were set but change nothing in this run, and values ascent adjusted on its own: one
// sentence each, naming the flag and why, so that nothing is ignored without a word. The CLI logs
// each once (rank 0) before training starts.
#include <string>
#include <vector>

#include "checkpoint/ascent_checkpoint.h"
#include "train/train_args.h"

namespace ascent {

// The warnings for `args` (after finalize(), with args.run.load cleared when the run starts from
// scratch). `loaded`: the ascent checkpoint the run resumes from or fine-tunes, null when none.
std::vector<std::string> flag_warnings(const TrainArgs& args, const CheckpointInfo* loaded);

}  // namespace ascent
