// Free functions of the contract: each calls the active backend (one virtual call).
#include "kernels/backend.h"

namespace ascent::kernels {

void matmul(const Tensor& a, bool trans_a, const Tensor& b, bool trans_b, const Tensor& c,
            bool accumulate) {
  backend().matmul(a, trans_a, b, trans_b, c, accumulate);
}
void fill(const Tensor& x, float value) { backend().fill(x, value); }
void scale(const Tensor& x, float s) { backend().scale(x, s); }
void add(const Tensor& a, const Tensor& b, const Tensor& y) { backend().add(a, b, y); }
void add_inplace(const Tensor& y, const Tensor& x) { backend().add_inplace(y, x); }
void cast(const Tensor& src, const Tensor& dst) { backend().cast(src, dst); }
void copy(const Tensor& src, const Tensor& dst) { backend().copy(src, dst); }
void bias_forward(const Tensor& y, const Tensor& b) { backend().bias_forward(y, b); }
void bias_backward(const Tensor& dy, const Tensor& db) { backend().bias_backward(dy, db); }
void embedding_forward(const int32_t* tokens, const Tensor& table, const Tensor& out) {
  backend().embedding_forward(tokens, table, out);
}
void embedding_backward(const int32_t* tokens, const Tensor& dout, const Tensor& dtable) {
  backend().embedding_backward(tokens, dout, dtable);
}
void embedding_forward_range(const int32_t* tokens, int64_t first, const Tensor& table,
                             const Tensor& out) {
  backend().embedding_forward_range(tokens, first, table, out);
}
void embedding_backward_range(const int32_t* tokens, int64_t first, const Tensor& dout,
                              const Tensor& dtable) {
  backend().embedding_backward_range(tokens, first, dout, dtable);
}
void rmsnorm_forward(const Tensor& x, const Tensor& w, float eps, const Tensor& y,
                     const Tensor& rstd) {
  backend().rmsnorm_forward(x, w, eps, y, rstd);
}
void rmsnorm_backward(const Tensor& dy, const Tensor& x, const Tensor& w, const Tensor& rstd,
                      const Tensor& dx, const Tensor& dw) {
  backend().rmsnorm_backward(dy, x, w, rstd, dx, dw);
}
void layernorm_forward(const Tensor& x, const Tensor& w, const Tensor& b, float eps,
                       const Tensor& y, const Tensor& mean, const Tensor& rstd) {
  backend().layernorm_forward(x, w, b, eps, y, mean, rstd);
}
void layernorm_backward(const Tensor& dy, const Tensor& x, const Tensor& w, const Tensor& mean,
                        const Tensor& rstd, const Tensor& dx, const Tensor& dw, const Tensor& db) {
  backend().layernorm_backward(dy, x, w, mean, rstd, dx, dw, db);
}
void l2norm_rows_forward(const Tensor& w, const Tensor& y, const Tensor& norm) {
  backend().l2norm_rows_forward(w, y, norm);
}
void l2norm_rows_backward(const Tensor& dy, const Tensor& y, const Tensor& norm, const Tensor& dw) {
  backend().l2norm_rows_backward(dy, y, norm, dw);
}
RopeTable rope_table(int64_t max_pos, int64_t head_size, float base) {
  return backend().rope_table(max_pos, head_size, base);
}
void rope_apply(const Tensor& x, int64_t heads, const int32_t* positions, const RopeTable& table,
                bool inverse) {
  backend().rope_apply(x, heads, positions, table, inverse);
}
void attention_forward(const AttentionDims& d, const Tensor& qkv, const Tensor& out,
                       const Tensor& lse) {
  backend().attention_forward(d, qkv, out, lse);
}
void attention_backward(const AttentionDims& d, const Tensor& qkv, const Tensor& out,
                        const Tensor& lse, const Tensor& dout, const Tensor& dqkv) {
  backend().attention_backward(d, qkv, out, lse, dout, dqkv);
}
void dropout_add_forward(const Tensor& x, float p, uint64_t seed, uint64_t stream,
                         const Tensor& residual, uint64_t first) {
  backend().dropout_add_forward(x, p, seed, stream, residual, first);
}
void dropout_backward(const Tensor& dy, float p, uint64_t seed, uint64_t stream, const Tensor& dx,
                      uint64_t first) {
  backend().dropout_backward(dy, p, seed, stream, dx, first);
}
void swiglu_forward(const Tensor& gate_up, const Tensor& y) {
  backend().swiglu_forward(gate_up, y);
}
void swiglu_backward(const Tensor& dy, const Tensor& gate_up, const Tensor& dgate_up) {
  backend().swiglu_backward(dy, gate_up, dgate_up);
}
void gelu_forward(const Tensor& x, const Tensor& y) { backend().gelu_forward(x, y); }
void gelu_backward(const Tensor& dy, const Tensor& x, const Tensor& dx) {
  backend().gelu_backward(dy, x, dx);
}
MaskedSum masked_sum(const Tensor& losses, const int32_t* targets) {
  return backend().masked_sum(losses, targets);
}
int64_t find_out_of_range(const int32_t* ids, int64_t n, int64_t lo, int64_t hi) {
  return backend().find_out_of_range(ids, n, lo, hi);
}
void cross_entropy_forward(const Tensor& logits, const int32_t* targets, float z_loss,
                           const Tensor& losses, const Tensor& lse) {
  backend().cross_entropy_forward(logits, targets, z_loss, losses, lse);
}
void cross_entropy_backward(const Tensor& logits, const int32_t* targets, const Tensor& lse,
                            float z_loss, float grad_scale, const Tensor& dlogits) {
  backend().cross_entropy_backward(logits, targets, lse, z_loss, grad_scale, dlogits);
}
void cross_entropy_forward_backward(const Tensor& logits, const int32_t* targets, float z_loss,
                                    float grad_scale, const Tensor& losses) {
  backend().cross_entropy_forward_backward(logits, targets, z_loss, grad_scale, losses);
}
void vocab_parallel_ce_max(const Tensor& logits, int64_t valid, const Tensor& row_max) {
  backend().vocab_parallel_ce_max(logits, valid, row_max);
}
void vocab_parallel_ce_sums(const Tensor& logits, const int32_t* targets, int64_t first,
                            int64_t valid, const Tensor& row_max, const Tensor& sums) {
  backend().vocab_parallel_ce_sums(logits, targets, first, valid, row_max, sums);
}
void vocab_parallel_ce_finish(const Tensor& logits, const int32_t* targets, int64_t first,
                              int64_t valid, const Tensor& row_max, const Tensor& sums,
                              float z_loss, float grad_scale, const Tensor& losses,
                              const Tensor& dlogits) {
  backend().vocab_parallel_ce_finish(logits, targets, first, valid, row_max, sums, z_loss,
                                     grad_scale, losses, dlogits);
}
void adamw_step(const AdamWArgs& a, const Tensor& p, const Tensor& g, const Tensor& m,
                const Tensor& v) {
  backend().adamw_step(a, p, g, m, v);
}
void sgd_step(float lr, float momentum, float weight_decay, float grad_scale, const Tensor& p,
              const Tensor& g, const Tensor& momentum_buf) {
  backend().sgd_step(lr, momentum, weight_decay, grad_scale, p, g, momentum_buf);
}
double sum_squares(const Tensor& x) { return backend().sum_squares(x); }

}  // namespace ascent::kernels
