#pragma once
// StageModel: what PipelineRunner needs from the part of the model one pipeline rank holds.
//
// The rank holds `chunks` model chunks (1 without interleaving); chunk c of pipeline rank p is
// global virtual stage v = c * pp_size + p, and the virtual stages 0 .. chunks * pp_size - 1
// compose the whole model. The runner owns the order of calls (the schedule) and all transfers
// between stages; the model owns the math, its stashes and its parameter gradients. Kept free of
// MPI and of model/ so the runner can be tested with a toy model and the transformer can fill it.
//
// Within one run() the runner calls, for every (chunk, micro-batch) of the step, forward once and
// later backward once; between them the model keeps whatever backward needs (its stash).
#include <cstdint>

namespace ascent::parallel::pp {

class StageModel {
 public:
  virtual ~StageModel() = default;

  // Floats of the activation (and of its gradient) that crosses the boundary between two
  // consecutive virtual stages for micro-batch m, the same at every boundary ([B_m, T, C] for a
  // transformer). Micro-batches may differ in size (--manual-mbs), hence the argument. Must
  // return the same value on every rank.
  virtual int64_t boundary_elements(int64_t micro_batch) const = 0;

  // Forward of chunk `chunk` on micro-batch m. input: boundary_elements(m) floats, the previous
  // virtual stage's output (nullptr on global virtual stage 0); it stays valid until
  // backward(chunk, m) returns, so the model may stash the pointer instead of a copy. Returns
  // the output, boundary_elements(m) floats that must stay valid until backward(chunk, m) is
  // called (the runner may still be sending it); ignored on the last virtual stage, which may
  // return nullptr (it computes the loss instead).
  virtual const float* forward(int chunk, int64_t micro_batch, const float* input) = 0;

  // Backward of chunk `chunk` on micro-batch m: accumulates (+=) the chunk's parameter
  // gradients. doutput: gradient w.r.t. that forward's output (nullptr on the last virtual
  // stage, which starts from its loss), valid during the call only. Returns the gradient w.r.t.
  // the forward's input, boundary_elements(m) floats valid until the next forward or backward
  // call; ignored on virtual stage 0, which may return nullptr.
  virtual const float* backward(int chunk, int64_t micro_batch, const float* doutput) = 0;

  // Called right after the last backward of `chunk` in this step (for --foldx-mode aiao: the
  // chunk's gradients are final, so its data-parallel reduction can start while the pipeline
  // still runs the other chunks).
  virtual void chunk_backward_done(int /*chunk*/) {}
};

}  // namespace ascent::parallel::pp
