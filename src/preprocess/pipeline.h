#pragma once
// `ascent preprocess`: input records -> handler -> tokenizer -> Megatron indexed datasets.
//
// One reader thread pulls bounded batches of records from the input (data::readers); `workers`
// threads each take a whole batch and parse, handle and tokenize its records; the calling thread
// writes finished batches strictly in input order. At most 2 * workers + 2 batches exist at a
// time, and the dataset builders keep their index in scratch files, so memory does not grow with
// the input.
#include <atomic>

#include "preprocess/options.h"
#include "preprocess/report.h"

namespace ascent::preprocess {

// Runs the whole job and returns what it did. The outputs appear only once the whole input was
// processed (see DatasetWriter); rejected records are counted per reason in the result and the
// rest is written. Setting *interrupt (e.g. from a signal handler) stops the run soon after
// without writing any output.
// Throws ascent::Error "[preprocess] ..." for bad options, an unreadable input or tokenizer,
// with opts.strict "[preprocess] LOCATION: REASON: ... (--strict)" at the first rejected record,
// and "[preprocess] interrupted" after an interrupt.
PreprocessStats run_preprocess(const PreprocessOptions& opts,
                               const std::atomic<bool>* interrupt = nullptr);

}  // namespace ascent::preprocess
