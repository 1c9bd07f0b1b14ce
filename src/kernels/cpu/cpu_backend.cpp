#include "kernels/cpu/cpu_backend.h"

#include "kernels/cpu/cpu_kernels.h"

namespace ascent::kernels::cpu {

void CpuBackend::matmul(const Tensor& a, bool trans_a, const Tensor& b, bool trans_b,
                        const Tensor& c, bool accumulate) {
  cpu::matmul(a, trans_a, b, trans_b, c, accumulate);
}
void CpuBackend::fill(const Tensor& x, float value) { cpu::fill(x, value); }
void CpuBackend::scale(const Tensor& x, float s) { cpu::scale(x, s); }
void CpuBackend::add(const Tensor& a, const Tensor& b, const Tensor& y) { cpu::add(a, b, y); }
void CpuBackend::add_inplace(const Tensor& y, const Tensor& x) { cpu::add_inplace(y, x); }
void CpuBackend::cast(const Tensor& src, const Tensor& dst) { cpu::cast(src, dst); }
void CpuBackend::copy(const Tensor& src, const Tensor& dst) { cpu::copy(src, dst); }
void CpuBackend::bias_forward(const Tensor& y, const Tensor& b) { cpu::bias_forward(y, b); }
void CpuBackend::bias_backward(const Tensor& dy, const Tensor& db) { cpu::bias_backward(dy, db); }
void CpuBackend::embedding_forward(const int32_t* tokens, const Tensor& table, const Tensor& out) {
  cpu::embedding_forward(tokens, table, out);
}
void CpuBackend::embedding_backward(const int32_t* tokens, const Tensor& dout,
                                    const Tensor& dtable) {
  cpu::embedding_backward(tokens, dout, dtable);
}
void CpuBackend::embedding_forward_range(const int32_t* tokens, int64_t first, const Tensor& table,
                                         const Tensor& out) {
  cpu::embedding_forward_range(tokens, first, table, out);
}
void CpuBackend::embedding_backward_range(const int32_t* tokens, int64_t first, const Tensor& dout,
                                          const Tensor& dtable) {
  cpu::embedding_backward_range(tokens, first, dout, dtable);
}
void CpuBackend::rmsnorm_forward(const Tensor& x, const Tensor& w, float eps, const Tensor& y,
                                 const Tensor& rstd) {
  cpu::rmsnorm_forward(x, w, eps, y, rstd);
}
void CpuBackend::rmsnorm_backward(const Tensor& dy, const Tensor& x, const Tensor& w,
                                  const Tensor& rstd, const Tensor& dx, const Tensor& dw) {
  cpu::rmsnorm_backward(dy, x, w, rstd, dx, dw);
}
void CpuBackend::layernorm_forward(const Tensor& x, const Tensor& w, const Tensor& b, float eps,
                                   const Tensor& y, const Tensor& mean, const Tensor& rstd) {
  cpu::layernorm_forward(x, w, b, eps, y, mean, rstd);
}
void CpuBackend::layernorm_backward(const Tensor& dy, const Tensor& x, const Tensor& w,
                                    const Tensor& mean, const Tensor& rstd, const Tensor& dx,
                                    const Tensor& dw, const Tensor& db) {
  cpu::layernorm_backward(dy, x, w, mean, rstd, dx, dw, db);
}
void CpuBackend::l2norm_rows_forward(const Tensor& w, const Tensor& y, const Tensor& norm) {
  cpu::l2norm_rows_forward(w, y, norm);
}
void CpuBackend::l2norm_rows_backward(const Tensor& dy, const Tensor& y, const Tensor& norm,
                                      const Tensor& dw) {
  cpu::l2norm_rows_backward(dy, y, norm, dw);
}
RopeTable CpuBackend::rope_table(int64_t max_pos, int64_t head_size, float base) {
  return cpu::rope_table(max_pos, head_size, base);
}
void CpuBackend::rope_apply(const Tensor& x, int64_t heads, const int32_t* positions,
                            const RopeTable& table, bool inverse) {
  cpu::rope_apply(x, heads, positions, table, inverse);
}
void CpuBackend::attention_forward(const AttentionDims& d, const Tensor& qkv, const Tensor& out,
                                   const Tensor& lse) {
  cpu::attention_forward(d, qkv, out, lse);
}
void CpuBackend::attention_backward(const AttentionDims& d, const Tensor& qkv, const Tensor& out,
                                    const Tensor& lse, const Tensor& dout, const Tensor& dqkv) {
  cpu::attention_backward(d, qkv, out, lse, dout, dqkv);
}
void CpuBackend::dropout_add_forward(const Tensor& x, float p, uint64_t seed, uint64_t stream,
                                     const Tensor& residual, uint64_t first) {
  cpu::dropout_add_forward(x, p, seed, stream, residual, first);
}
void CpuBackend::dropout_backward(const Tensor& dy, float p, uint64_t seed, uint64_t stream,
                                  const Tensor& dx, uint64_t first) {
  cpu::dropout_backward(dy, p, seed, stream, dx, first);
}
void CpuBackend::swiglu_forward(const Tensor& gate_up, const Tensor& y) {
  cpu::swiglu_forward(gate_up, y);
}
void CpuBackend::swiglu_backward(const Tensor& dy, const Tensor& gate_up, const Tensor& dgate_up) {
  cpu::swiglu_backward(dy, gate_up, dgate_up);
}
void CpuBackend::gelu_forward(const Tensor& x, const Tensor& y) { cpu::gelu_forward(x, y); }
void CpuBackend::gelu_backward(const Tensor& dy, const Tensor& x, const Tensor& dx) {
  cpu::gelu_backward(dy, x, dx);
}
MaskedSum CpuBackend::masked_sum(const Tensor& losses, const int32_t* targets) {
  return cpu::masked_sum(losses, targets);
}
int64_t CpuBackend::find_out_of_range(const int32_t* ids, int64_t n, int64_t lo, int64_t hi) {
  return cpu::find_out_of_range(ids, n, lo, hi);
}
void CpuBackend::cross_entropy_forward(const Tensor& logits, const int32_t* targets, float z_loss,
                                       const Tensor& losses, const Tensor& lse) {
  cpu::cross_entropy_forward(logits, targets, z_loss, losses, lse);
}
void CpuBackend::cross_entropy_backward(const Tensor& logits, const int32_t* targets,
                                        const Tensor& lse, float z_loss, float grad_scale,
                                        const Tensor& dlogits) {
  cpu::cross_entropy_backward(logits, targets, lse, z_loss, grad_scale, dlogits);
}
void CpuBackend::cross_entropy_forward_backward(const Tensor& logits, const int32_t* targets,
                                                float z_loss, float grad_scale,
                                                const Tensor& losses) {
  cpu::cross_entropy_forward_backward(logits, targets, z_loss, grad_scale, losses);
}
void CpuBackend::vocab_parallel_ce_max(const Tensor& logits, int64_t valid, const Tensor& row_max) {
  cpu::vocab_parallel_ce_max(logits, valid, row_max);
}
void CpuBackend::vocab_parallel_ce_sums(const Tensor& logits, const int32_t* targets, int64_t first,
                                        int64_t valid, const Tensor& row_max, const Tensor& sums) {
  cpu::vocab_parallel_ce_sums(logits, targets, first, valid, row_max, sums);
}
void CpuBackend::vocab_parallel_ce_finish(const Tensor& logits, const int32_t* targets,
                                          int64_t first, int64_t valid, const Tensor& row_max,
                                          const Tensor& sums, float z_loss, float grad_scale,
                                          const Tensor& losses, const Tensor& dlogits) {
  cpu::vocab_parallel_ce_finish(logits, targets, first, valid, row_max, sums, z_loss, grad_scale,
                                losses, dlogits);
}
void CpuBackend::adamw_step(const AdamWArgs& a, const Tensor& p, const Tensor& g, const Tensor& m,
                            const Tensor& v) {
  cpu::adamw_step(a, p, g, m, v);
}
void CpuBackend::sgd_step(float lr, float momentum, float weight_decay, float grad_scale,
                          const Tensor& p, const Tensor& g, const Tensor& momentum_buf) {
  cpu::sgd_step(lr, momentum, weight_decay, grad_scale, p, g, momentum_buf);
}
double CpuBackend::sum_squares(const Tensor& x) { return cpu::sum_squares(x); }

}  // namespace ascent::kernels::cpu
