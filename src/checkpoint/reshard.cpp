#include "checkpoint/reshard.h"

#include <unistd.h>

#include "checkpoint/hf_checkpoint.h"
#include "core/tensor.h"

namespace ascent {
namespace {

// Writes every shard of target, each filled by fill(layout, master, state buffers) first, then
// commits.
template <typename Fill>
void write_layout(const ModelConfig& cfg, const std::string& save_dir,
                  const CheckpointLayout& target, const std::vector<std::string>& states,
                  const TrainState& state, Fill fill) {
  const ModelParallelConfig& mp = target.model_parallel;
  mp.validate(cfg);
  const PendingCheckpoint p =
      pending_checkpoint(save_dir, state.iteration, std::to_string(::getpid()));
  begin_checkpoint(p);
  for (int pp = 0; pp < mp.pipeline_model_parallel_size; ++pp) {
    for (int tp = 0; tp < mp.tensor_model_parallel_size; ++tp) {
      const ParamLayout layout(cfg, mp.shard(cfg, tp, pp));
      Buffer master(DType::F32, layout.total());
      std::vector<Buffer> bufs;
      std::vector<float*> state_bufs;
      ShardPart part{&layout, static_cast<const float*>(master.data()), {}};
      for (const std::string& s : states) {
        bufs.emplace_back(DType::F32, layout.total());
        state_bufs.push_back(static_cast<float*>(bufs.back().data()));
        part.optim.emplace_back(s, state_bufs.back());
      }
      fill(layout, static_cast<float*>(master.data()), state_bufs);
      save_checkpoint_shard(p, cfg, target, tp, pp, std::span<const ShardPart>(&part, 1));
    }
  }
  commit_checkpoint(p, cfg, target, states, state);
}

}  // namespace

void reshard_checkpoint(const CheckpointInfo& src, const ModelConfig& cfg,
                        const std::string& save_dir, const CheckpointLayout& target) {
  TrainState st = src.state;
  const ModelParallelConfig& mp = target.model_parallel;
  for (const char* k : {"tensor-model-parallel-size", "pipeline-model-parallel-size"})
    if (st.args.is_object() && st.args.contains(k))
      st.args[k] = k[0] == 't' ? mp.tensor_model_parallel_size : mp.pipeline_model_parallel_size;
  write_layout(cfg, save_dir, target, src.optimizer_state, st,
               [&](const ParamLayout& layout, float* master, const std::vector<float*>& optim) {
                 read_checkpoint_tensors(src, "model", layout, master);
                 for (size_t i = 0; i < optim.size(); ++i)
                   read_checkpoint_tensors(src, src.optimizer_state[i], layout, optim[i]);
               });
}

void hf_to_checkpoint(const std::string& hf_dir, const ModelConfig& cfg,
                      const std::string& save_dir, const CheckpointLayout& target,
                      const TrainState& state) {
  write_layout(cfg, save_dir, target, {}, state,
               [&](const ParamLayout& layout, float* master, const std::vector<float*>&) {
                 load_hf_weights(hf_dir, cfg, layout, master);
               });
}

void checkpoint_to_hf(const CheckpointInfo& src, const std::string& hf_dir, DType dtype,
                      size_t max_shard_bytes) {
  ModelConfig cfg = src.config;
  cfg.make_vocab_size_divisible_by = 1;  // HF holds the real vocabulary
  const ParamLayout layout(cfg);
  Buffer master(DType::F32, layout.total());
  read_checkpoint_tensors(src, "model", layout, static_cast<float*>(master.data()));
  save_hf(hf_dir, cfg, layout, static_cast<const float*>(master.data()), dtype, max_shard_bytes);
}

}  // namespace ascent
