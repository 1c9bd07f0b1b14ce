#pragma once
// A run that would write empty datasets is an error: every record was rejected (a handler whose
// fields the records do not have, e.g. GSM8K's question/answer without --map-keys) or the input
// held none. Without this check the run "succeeds" and training later blames --split.
#include "preprocess/options.h"
#include "preprocess/report.h"

namespace ascent::preprocess {

// Throws ascent::Error "[preprocess] --input ...: nothing to write: ..." when stats counts no
// written document, naming the rejection reasons with their first examples and the flags that
// usually fix them. Does nothing otherwise.
void throw_if_nothing_written(const PreprocessOptions& opts, const PreprocessStats& stats);

}  // namespace ascent::preprocess
