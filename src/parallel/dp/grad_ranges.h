#pragma once
// The parameter gradients a rank shares with other model-parallel ranks, and how they are made
// whole before (or while) the data-parallel reduction runs: one place for what every gradient
// synchronisation strategy (parallel/dp/grad_sync.h) does first.
#include <vector>

#include "model/tensor_parallel.h"
#include "model/weights.h"
#include "parallel/dp/zero.h"
#include "parallel/topology.h"

namespace ascent::parallel::dp {

struct GradRanges {
  // Counted in the global gradient norm: tensors TP replicates on TP rank 0 only, the tied head
  // copy of a last stage not at all (after the sum it equals the first stage's).
  std::vector<Range> counted;
  // The word embedding tied across pipeline stages (empty when it is not).
  std::vector<Range> tied;
  // Tensors TP replicates (norms, row-parallel biases, position embeddings).
  std::vector<Range> replicated;
  // Alignment padding between tensors (never written by a backward).
  std::vector<Range> gaps;
};

// tied_across_stages: several pipeline stages and tied embeddings.
GradRanges grad_ranges(const ModelWeights& weights, bool tied_across_stages);

// Sums the gradients other model-parallel ranks hold copies of.
class SharedGrads {
 public:
  // topo: nullptr in a single process. sp_group: the TP group with sequence parallelism, else
  // nullptr.
  SharedGrads(const GradRanges& ranges, const Topology* topo, const TensorParallelGroup* sp_group,
              ModelWeights& weights);
  // The tied word embedding's first- and last-stage copies get the sum of their gradients.
  void sum_tied() const;
  // With sequence parallelism, each rank's gradient of a replicated tensor covers its own rows:
  // sums those of `ranges` (a subset of GradRanges::replicated) over the TP group.
  void sum_replicated(const std::vector<Range>& ranges) const;
  void sum_replicated() const { sum_replicated(ranges_.replicated); }

 private:
  const GradRanges& ranges_;
  const Topology* topo_;
  const TensorParallelGroup* sp_;
  ModelWeights& w_;
};

// With sequence parallelism, each TP rank's gradients of replicated parameters (norms,
// row-parallel biases, position embeddings) come from its own rows only: sums them over the TP
// group (the whole of what SharedGrads::sum_replicated does in a step).
void sum_replicated_grads(const ModelWeights& weights, const TensorParallelGroup& tp);

}  // namespace ascent::parallel::dp
