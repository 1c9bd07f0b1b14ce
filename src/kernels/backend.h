#pragma once
// The backend interface behind kernels.h: one virtual per kernel, same arguments, same contract
// (kernels.h states it; nothing here adds to it). The free functions in kernels.h call the active
// backend, chosen once at the first kernel call from the environment variable ASCENT_BACKEND:
//   cpu    (default) kernels/cpu/: oneDNN matmul + OpenMP loops
//   check  kernels/check/: runs the CPU backend and validates every call's contract; a violation
//          aborts naming the kernel, the argument and what was wrong (for tests)
// A device backend (CUDA) implements this class and registers its allocator with core.
#include <string>

#include "kernels/kernels.h"

namespace ascent::kernels {

class Backend {
 public:
  virtual ~Backend() = default;
  virtual const char* name() const = 0;
  // The device every tensor passed to this backend lives on.
  virtual Device device() const = 0;

  // matmul
  virtual void matmul(const Tensor& a, bool trans_a, const Tensor& b, bool trans_b, const Tensor& c,
                      bool accumulate) = 0;
  // elementwise
  virtual void fill(const Tensor& x, float value) = 0;
  virtual void scale(const Tensor& x, float s) = 0;
  virtual void add(const Tensor& a, const Tensor& b, const Tensor& y) = 0;
  virtual void add_inplace(const Tensor& y, const Tensor& x) = 0;
  virtual void cast(const Tensor& src, const Tensor& dst) = 0;
  virtual void copy(const Tensor& src, const Tensor& dst) = 0;
  virtual void bias_forward(const Tensor& y, const Tensor& b) = 0;
  virtual void bias_backward(const Tensor& dy, const Tensor& db) = 0;
  // embedding
  virtual void embedding_forward(const int32_t* tokens, const Tensor& table, const Tensor& out) = 0;
  virtual void embedding_backward(const int32_t* tokens, const Tensor& dout,
                                  const Tensor& dtable) = 0;
  virtual void embedding_forward_range(const int32_t* tokens, int64_t first, const Tensor& table,
                                       const Tensor& out) = 0;
  virtual void embedding_backward_range(const int32_t* tokens, int64_t first, const Tensor& dout,
                                        const Tensor& dtable) = 0;
  // normalisation
  virtual void rmsnorm_forward(const Tensor& x, const Tensor& w, float eps, const Tensor& y,
                               const Tensor& rstd) = 0;
  virtual void rmsnorm_backward(const Tensor& dy, const Tensor& x, const Tensor& w,
                                const Tensor& rstd, const Tensor& dx, const Tensor& dw) = 0;
  virtual void layernorm_forward(const Tensor& x, const Tensor& w, const Tensor& b, float eps,
                                 const Tensor& y, const Tensor& mean, const Tensor& rstd) = 0;
  virtual void layernorm_backward(const Tensor& dy, const Tensor& x, const Tensor& w,
                                  const Tensor& mean, const Tensor& rstd, const Tensor& dx,
                                  const Tensor& dw, const Tensor& db) = 0;
  virtual void l2norm_rows_forward(const Tensor& w, const Tensor& y, const Tensor& norm) = 0;
  virtual void l2norm_rows_backward(const Tensor& dy, const Tensor& y, const Tensor& norm,
                                    const Tensor& dw) = 0;
  // positions
  virtual RopeTable rope_table(int64_t max_pos, int64_t head_size, float base) = 0;
  virtual void rope_apply(const Tensor& x, int64_t heads, const int32_t* positions,
                          const RopeTable& table, bool inverse) = 0;
  // attention
  virtual void attention_forward(const AttentionDims& d, const Tensor& qkv, const Tensor& out,
                                 const Tensor& lse) = 0;
  virtual void attention_backward(const AttentionDims& d, const Tensor& qkv, const Tensor& out,
                                  const Tensor& lse, const Tensor& dout, const Tensor& dqkv) = 0;
  // dropout
  virtual void dropout_add_forward(const Tensor& x, float p, uint64_t seed, uint64_t stream,
                                   const Tensor& residual, uint64_t first) = 0;
  virtual void dropout_backward(const Tensor& dy, float p, uint64_t seed, uint64_t stream,
                                const Tensor& dx, uint64_t first) = 0;
  // MLP activations
  virtual void swiglu_forward(const Tensor& gate_up, const Tensor& y) = 0;
  virtual void swiglu_backward(const Tensor& dy, const Tensor& gate_up, const Tensor& dgate_up) = 0;
  virtual void gelu_forward(const Tensor& x, const Tensor& y) = 0;
  virtual void gelu_backward(const Tensor& dy, const Tensor& x, const Tensor& dx) = 0;
  // loss
  virtual MaskedSum masked_sum(const Tensor& losses, const int32_t* targets) = 0;
  virtual int64_t find_out_of_range(const int32_t* ids, int64_t n, int64_t lo, int64_t hi) = 0;
  virtual void cross_entropy_forward(const Tensor& logits, const int32_t* targets, float z_loss,
                                     const Tensor& losses, const Tensor& lse) = 0;
  virtual void cross_entropy_backward(const Tensor& logits, const int32_t* targets,
                                      const Tensor& lse, float z_loss, float grad_scale,
                                      const Tensor& dlogits) = 0;
  virtual void cross_entropy_forward_backward(const Tensor& logits, const int32_t* targets,
                                              float z_loss, float grad_scale,
                                              const Tensor& losses) = 0;
  virtual void vocab_parallel_ce_max(const Tensor& logits, int64_t valid,
                                     const Tensor& row_max) = 0;
  virtual void vocab_parallel_ce_sums(const Tensor& logits, const int32_t* targets, int64_t first,
                                      int64_t valid, const Tensor& row_max, const Tensor& sums) = 0;
  virtual void vocab_parallel_ce_finish(const Tensor& logits, const int32_t* targets, int64_t first,
                                        int64_t valid, const Tensor& row_max, const Tensor& sums,
                                        float z_loss, float grad_scale, const Tensor& losses,
                                        const Tensor& dlogits) = 0;
  // optimizer
  virtual void adamw_step(const AdamWArgs& a, const Tensor& p, const Tensor& g, const Tensor& m,
                          const Tensor& v) = 0;
  virtual void sgd_step(float lr, float momentum, float weight_decay, float grad_scale,
                        const Tensor& p, const Tensor& g, const Tensor& momentum_buf) = 0;
  virtual double sum_squares(const Tensor& x) = 0;
};

// The active backend; the first call chooses it from ASCENT_BACKEND (unset: cpu) and throws
// ascent::Error for an unknown name.
Backend& backend();
// Makes the named backend ("cpu", "check") the active one from now on (tests, tools); throws
// ascent::Error for an unknown name. Not to be called while kernels run on other threads.
void set_backend(const std::string& name);
// The backend behind a name (the same object every time); throws ascent::Error for unknown ones.
Backend& backend_named(const std::string& name);

}  // namespace ascent::kernels
