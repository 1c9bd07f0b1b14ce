#pragma once
// GradSync: how a rank's parameter gradients become the gradients its optimizer steps on, chosen
// once per run (make_grad_sync) and only called by the trainer:
//
//   zero_grad();                   // start of a step
//   begin_step(M);                 // M micro-batches on this rank
//   ... forward / backward ...     // the model calls hooks(); the pipeline calls on_chunk_done
//   finish();                      // every reduction of the step has completed
//   grad_norm();                   // the global L2 norm over the whole model
//   ... optimizer step on optimizer_grad() over optimizer_range() ...
//   after_step();                  // every rank has the updated weights it needs
//
// Three strategies (DESIGN.md section 5):
//   replica (ZeRO-0/1)  each rank keeps the whole gradient buffer; with DP > 1 it is averaged by
//                       bucketed all-reduce overlapped with the backward (GradReducer); ZeRO-1
//                       shards only the optimizer state, then all-gathers the updated weights.
//   sharded (ZeRO-2/3)  each region's gradients are reduce-scattered into the rank's shard as its
//                       backward ends (ZeroResidency); ZeRO-3 also gathers each region's
//                       parameters just before use.
// Before any data-parallel reduction, gradients that other model-parallel ranks also hold are
// made whole: the word embedding tied across pipeline stages is summed over the two stages, and
// with sequence parallelism the replicated parameters (norms, row-parallel biases) over the TP
// group (each rank saw only its rows).
#include <cstdint>
#include <memory>
#include <vector>

#include "model/param_residency.h"
#include "model/tensor_parallel.h"
#include "model/weights.h"
#include "parallel/dp/zero.h"
#include "parallel/topology.h"

namespace ascent::parallel::dp {

struct GradSyncConfig {
  int zero_stage = 0;              // 0-3
  bool sequence_parallel = false;  // replicated gradients summed over the TP group
  int chunks = 1;                  // model chunks (virtual pipeline stages) on this rank
  // --foldx-mode aiao: with several pipeline stages, a chunk's data-parallel reduction starts
  // as soon as its last backward of the step is done.
  bool reduce_per_chunk = false;
  int64_t bucket_size = 0;  // elements per all-reduce bucket; 0: default_bucket_size(dp)
};

class GradSync {
 public:
  virtual ~GradSync() = default;

  // The hooks the model chunks call around each region (TransformerOptions::residency), or
  // nullptr.
  virtual ParamResidency* hooks() { return nullptr; }
  virtual void zero_grad() = 0;
  virtual void begin_step(int64_t /*micro_batches*/) {}
  // The pipeline finished the step's last backward of `chunk`.
  virtual void on_chunk_done(int /*chunk*/) {}
  virtual void finish() = 0;
  virtual double grad_norm() const = 0;
  // The gradient the optimizer reads: element i belongs to flat element
  // optimizer_range().begin + i; nullptr means the weights' own gradient buffer.
  virtual const float* optimizer_grad() const { return nullptr; }
  // The flat elements whose optimizer state this rank keeps (the whole model without ZeRO).
  virtual Range optimizer_range() const = 0;
  virtual void after_step() {}

  // Checkpoints. The whole of an optimizer state buffer (this rank's piece in
  // buf[0, optimizer_range().count)): buf itself without ZeRO, else every rank's shard gathered
  // into `scratch` (resized to the model). Collective over the data-parallel group.
  virtual const float* whole_state(const float* buf, Buffer& scratch) const = 0;
  // The whole model becomes readable (ZeRO-3 gathers the master weights) / back to this rank's
  // shard once the weights were written whole (init, load, save).
  virtual void gather_weights() {}
  virtual void drop_unowned() {}
  // Elements a rank materialises at once besides its shards (ZeRO-3's largest region), for the
  // memory report.
  virtual int64_t largest_gather() const { return 0; }
};

// topo: nullptr in a single process. tp: the tensor-parallel group (nullptr without TP).
std::unique_ptr<GradSync> make_grad_sync(const GradSyncConfig& cfg, const Topology* topo,
                                         ModelWeights& weights, const TensorParallelGroup* tp);

// The Residency the weights need under ZeRO stage `zero_stage` (model/weights.h).
Residency residency_for(int zero_stage);

}  // namespace ascent::parallel::dp
