#pragma once
// Analytic per-rank memory of the model state (parameters, gradients, optimizer state) for a
// parallel layout and ZeRO stage; the trainer prints it at start-up and `ascent plan` can too.
// Activations are not counted.
//
// Per rank, with N = the parameters this rank's model-parallel part holds (after the TP and PP
// split; the caller computes it from the model) and S = this rank's ZeRO shard of N
// (dp::partition(N, dp, 32)[dp_rank].count):
//   compute copy   2 x N bytes when the compute dtype is bf16/f16 (f32: the master is used);
//                  2 x S at stage 3
//   master f32     4 x N; 4 x S at stage 3 (below it the master stays whole: the layers read
//                  norm weights and biases from it in f32, also in bf16 mixed precision)
//   gradients f32  4 x N; 4 x S from stage 2 on
//   optimizer      4 x states x N (AdamW: 2 states, SGD with momentum: 1); 4 x states x S from
//                  stage 1 on
//   gather scratch stage 3 only: slots x largest gathered range x 4 bytes
#include <cstdint>
#include <string>

#include "core/dtype.h"

namespace ascent::parallel {

struct MemoryInputs {
  int64_t params = 0;  // N: parameters held by this rank's model-parallel part
  DType compute_dtype = DType::F32;
  int optimizer_states = 2;  // f32 buffers per parameter (AdamW 2, SGD momentum 1, SGD 0)
  int dp_size = 1;
  int dp_rank = 0;
  int zero_stage = 0;
  int64_t gather_max = 0;  // stage 3: largest range gathered at once (a layer)
  int gather_slots = 2;    // stage 3: ranges materialised at once
};

struct MemoryReport {
  int64_t shard = 0;  // S
  int64_t compute_bytes = 0, master_bytes = 0, grad_bytes = 0, optimizer_bytes = 0,
          scratch_bytes = 0;
  int64_t total() const {
    return compute_bytes + master_bytes + grad_bytes + optimizer_bytes + scratch_bytes;
  }
  // One line per item plus the total, in MiB, e.g. for logging at start-up.
  std::string to_string() const;
};

MemoryReport memory_report(const MemoryInputs& in);

}  // namespace ascent::parallel
