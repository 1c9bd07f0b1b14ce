#include "train/train_args.h"

#include "core/error.h"
#include "core/parse_number.h"

namespace ascent {

flags::Table TrainArgs::flags() {
  flags::Table t("train");
  t.append(model.flags());
  t.append(data.flags());
  t.append(optim.flags());
  t.append(lr.flags());
  t.append(precision.flags());
  t.append(loss_scale.flags());
  t.append(run.flags());
  t.append(parallel.flags());
  t.append(recompute.flags());
  return t;
}

bool TrainArgs::is_set(std::string_view flag) const {
  return flags::is_set(flags::read_only(*this), TrainArgs{}.flags(), flag, given);
}

void TrainArgs::finalize() {
  data.finalize();
  run.validate();
  if (run.train_samples > 0) {  // Megatron: iterations = samples / global batch, truncated
    run.train_iters = run.train_samples / data.global_batch_size;
    if (run.train_iters == 0)
      throw error("[train] --train-samples ", run.train_samples,
                  " is less than one --global-batch-size (", data.global_batch_size, ")");
  }
  if (optim.name == "fused_adam") optim.name = "adam";  // the same Adam (a CUDA kernel choice)
  if (parallel.sequence_parallel && parallel.tensor_model_parallel_size == 1) {
    parallel.sequence_parallel = false;  // as Megatron: nothing to split without TP
    notes.push_back("[train] --sequence-parallel: no effect with --tensor-model-parallel-size 1");
  }
  parallel.validate_flags();
  if (parallel.optimized_pipeline && data.is_instruction_dataset)
    throw error("[train] --manual-mbs needs pretraining data (fixed-length rows)");
  model.validate();
  recompute.resolve();
  precision.validate("train");
  if (precision.fp16) loss_scale.validate();
  lr.resolve(run.train_iters, data.global_batch_size);
  optim.validate();
}

std::vector<int64_t> TrainArgs::micro_batch_sizes(int dp_size) const {
  const int64_t per_rank = data.global_batch_size / dp_size;
  if (data.global_batch_size % dp_size != 0 || per_rank % data.micro_batch_size != 0)
    throw error("[train] --global-batch-size ", data.global_batch_size,
                " is not a multiple of --micro-batch-size ", data.micro_batch_size,
                " x data-parallel size ", dp_size);
  const int64_t M = per_rank / data.micro_batch_size;
  if (parallel.manual_mbs.empty())
    return std::vector<int64_t>(static_cast<size_t>(M), data.micro_batch_size);
  // AscendSpeed's two named configurations (pipeline 4 and 8, micro-batch 4).
  std::vector<int64_t> mbs;
  if (parallel.manual_mbs == "example-config-1") {
    mbs = {1, 2, 3, 4, 5, 5, 5, 5, 5, 5, 5, 5, 5, 4, 3, 2};
  } else if (parallel.manual_mbs == "example-config-2") {
    mbs = {1, 2, 2, 3, 4, 5, 5, 5, 5, 5, 5, 5, 5, 5, 5, 5, 5, 5, 4, 4, 3, 3, 3, 2};
  } else {
    std::string bad;
    auto parsed = parse_int_list(parallel.manual_mbs, &bad);
    if (!parsed)
      throw error("[train] --manual-mbs '", parallel.manual_mbs, "': '", bad,
                  "' is not an integer");
    mbs = std::move(*parsed);
    for (int64_t v : mbs)
      if (v < 1)
        throw error("[train] --manual-mbs '", parallel.manual_mbs, "': ", v,
                    " is not a positive integer");
  }
  int64_t sum = 0;
  for (int64_t v : mbs) sum += v;
  if (static_cast<int64_t>(mbs.size()) != M || sum != per_rank)
    throw error("[train] --manual-mbs ", parallel.manual_mbs, ": ", mbs.size(),
                " micro-batches of ", sum, " samples in all; this run needs ", M,
                " (--global-batch-size / data-parallel size / --micro-batch-size) of ", per_rank,
                " samples (--global-batch-size / data-parallel size)");
  return mbs;
}

ModelConfig model_config_from_args(const TrainArgs& a, int64_t tokenizer_vocab) {
  return a.model.resolve(a.data.seq_length, tokenizer_vocab, a.given);
}

}  // namespace ascent
