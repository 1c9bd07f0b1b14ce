#pragma once
// The checking backend: runs another backend (the CPU one) and validates every call against the
// contract in kernels.h: shapes and dtypes of every argument, one device, no aliasing beyond what
// the contract allows, read-only inputs unchanged, (=) outputs fully written, (+=) outputs
// accumulated (see call_check.h for how). A violation aborts naming the kernel, the argument and
// what was wrong. Selected with ASCENT_BACKEND=check; results are the inner backend's, bit for bit.
#include "kernels/backend.h"

namespace ascent::kernels::check {

class CheckingBackend final : public Backend {
 public:
  explicit CheckingBackend(Backend& inner) : inner_(inner) {}
  const char* name() const override { return "check"; }
  Device device() const override { return inner_.device(); }

  void matmul(const Tensor& a, bool trans_a, const Tensor& b, bool trans_b, const Tensor& c,
              bool accumulate) override;
  void fill(const Tensor& x, float value) override;
  void scale(const Tensor& x, float s) override;
  void add(const Tensor& a, const Tensor& b, const Tensor& y) override;
  void add_inplace(const Tensor& y, const Tensor& x) override;
  void cast(const Tensor& src, const Tensor& dst) override;
  void copy(const Tensor& src, const Tensor& dst) override;
  void bias_forward(const Tensor& y, const Tensor& b) override;
  void bias_backward(const Tensor& dy, const Tensor& db) override;
  void embedding_forward(const int32_t* tokens, const Tensor& table, const Tensor& out) override;
  void embedding_backward(const int32_t* tokens, const Tensor& dout, const Tensor& dtable) override;
  void embedding_forward_range(const int32_t* tokens, int64_t first, const Tensor& table,
                               const Tensor& out) override;
  void embedding_backward_range(const int32_t* tokens, int64_t first, const Tensor& dout,
                                const Tensor& dtable) override;
  void rmsnorm_forward(const Tensor& x, const Tensor& w, float eps, const Tensor& y,
                       const Tensor& rstd) override;
  void rmsnorm_backward(const Tensor& dy, const Tensor& x, const Tensor& w, const Tensor& rstd,
                        const Tensor& dx, const Tensor& dw) override;
  void layernorm_forward(const Tensor& x, const Tensor& w, const Tensor& b, float eps,
                         const Tensor& y, const Tensor& mean, const Tensor& rstd) override;
  void layernorm_backward(const Tensor& dy, const Tensor& x, const Tensor& w, const Tensor& mean,
                          const Tensor& rstd, const Tensor& dx, const Tensor& dw,
                          const Tensor& db) override;
  void l2norm_rows_forward(const Tensor& w, const Tensor& y, const Tensor& norm) override;
  void l2norm_rows_backward(const Tensor& dy, const Tensor& y, const Tensor& norm,
                            const Tensor& dw) override;
  RopeTable rope_table(int64_t max_pos, int64_t head_size, float base) override;
  void rope_apply(const Tensor& x, int64_t heads, const int32_t* positions, const RopeTable& table,
                  bool inverse) override;
  void attention_forward(const AttentionDims& d, const Tensor& qkv, const Tensor& out,
                         const Tensor& lse) override;
  void attention_backward(const AttentionDims& d, const Tensor& qkv, const Tensor& out,
                          const Tensor& lse, const Tensor& dout, const Tensor& dqkv) override;
  void dropout_add_forward(const Tensor& x, float p, uint64_t seed, uint64_t stream,
                           const Tensor& residual, uint64_t first) override;
  void dropout_backward(const Tensor& dy, float p, uint64_t seed, uint64_t stream, const Tensor& dx,
                        uint64_t first) override;
  void swiglu_forward(const Tensor& gate_up, const Tensor& y) override;
  void swiglu_backward(const Tensor& dy, const Tensor& gate_up, const Tensor& dgate_up) override;
  void gelu_forward(const Tensor& x, const Tensor& y) override;
  void gelu_backward(const Tensor& dy, const Tensor& x, const Tensor& dx) override;
  MaskedSum masked_sum(const Tensor& losses, const int32_t* targets) override;
  int64_t find_out_of_range(const int32_t* ids, int64_t n, int64_t lo, int64_t hi) override;
  void cross_entropy_forward(const Tensor& logits, const int32_t* targets, float z_loss,
                             const Tensor& losses, const Tensor& lse) override;
  void cross_entropy_backward(const Tensor& logits, const int32_t* targets, const Tensor& lse,
                              float z_loss, float grad_scale, const Tensor& dlogits) override;
  void cross_entropy_forward_backward(const Tensor& logits, const int32_t* targets, float z_loss,
                                      float grad_scale, const Tensor& losses) override;
  void vocab_parallel_ce_max(const Tensor& logits, int64_t valid, const Tensor& row_max) override;
  void vocab_parallel_ce_sums(const Tensor& logits, const int32_t* targets, int64_t first,
                              int64_t valid, const Tensor& row_max, const Tensor& sums) override;
  void vocab_parallel_ce_finish(const Tensor& logits, const int32_t* targets, int64_t first,
                                int64_t valid, const Tensor& row_max, const Tensor& sums,
                                float z_loss, float grad_scale, const Tensor& losses,
                                const Tensor& dlogits) override;
  void adamw_step(const AdamWArgs& a, const Tensor& p, const Tensor& g, const Tensor& m,
                  const Tensor& v) override;
  void sgd_step(float lr, float momentum, float weight_decay, float grad_scale, const Tensor& p,
                const Tensor& g, const Tensor& momentum_buf) override;
  double sum_squares(const Tensor& x) override;

 private:
  Backend& inner_;
};

}  // namespace ascent::kernels::check
