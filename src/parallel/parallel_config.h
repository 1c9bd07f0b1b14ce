#pragma once
// The parallel layout flags of `ascent train` (DESIGN.md section 5; docs/PARALLEL.md), with
// Megatron-LM / AscendSpeed names. Launch under mpirun: world size = TP x PP x DP.
// ParallelConfig holds them as given; model_parallel() is the model's split (model/sharding.h)
// and zero() the effective ZeRO stage.
#include <cstdint>
#include <string>

#include "core/flags.h"
#include "model/sharding.h"

namespace ascent::parallel {

struct ParallelConfig {
  int tensor_model_parallel_size = 1;                 // --tensor-model-parallel-size
  int pipeline_model_parallel_size = 1;               // --pipeline-model-parallel-size
  bool sequence_parallel = false;                     // --sequence-parallel (with TP)
  int64_t num_layers_per_virtual_pipeline_stage = 0;  // 0: no interleaving
  std::string manual_layers;                          // "5,6,6,5": layers per pipeline stage
  bool optimized_pipeline = false;                    // with --manual-mbs
  std::string manual_mbs;  // example-config-1, example-config-2 or "n1,n2,...": micro-batch sizes
  bool use_distributed_optimizer = false;   // ZeRO-1
  int zero_stage = 0;                       // --zero-stage 0-3 as given (see zero())
  std::string foldx_mode;                   // "aiao" or empty
  double distributed_timeout_minutes = 10;  // --distributed-timeout-minutes (<= 0: no watchdog)
  int64_t ddp_bucket_size = 0;  // --ddp-bucket-size, in elements; 0: default_bucket_size(dp)

  // The flags above, bound to this instance (core/flags.h).
  flags::Table flags();
  // The per-flag rules and the checks between these flags; throws "[train] --flag ...".
  void validate_flags() const;
  // The effective ZeRO stage: --zero-stage, or 1 with --use-distributed-optimizer.
  int zero() const { return zero_stage > 0 ? zero_stage : (use_distributed_optimizer ? 1 : 0); }
  // The model's split over TP and PP ranks; throws "[model] --manual-layers: ..." when
  // --manual-layers is not a list of numbers.
  ModelParallelConfig model_parallel() const;

  // world_size / (tp * pp); requires validate(world_size) to pass.
  int data_parallel_size(int world_size) const;
  // Throws naming the offending flag, e.g. "[parallel] world size 6 is not divisible by
  // --tensor-model-parallel-size 4 x --pipeline-model-parallel-size 1".
  void validate(int world_size) const;
};

}  // namespace ascent::parallel
