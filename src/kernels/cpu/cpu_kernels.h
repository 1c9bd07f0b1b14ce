#pragma once
// The CPU backend's kernels, one function per kernel of kernels.h with the same contract.
//
// matmul runs on oneDNN: one engine and stream for the process, primitives cached per (shape,
// transposes, dtype, accumulate); bf16 / f16 operands are widened to f32 where oneDNN has no fast
// kernel for them (see matmul.cpp). Everything else is OpenMP loops over ASCENT_VECTORIZE workers
// that pick AVX-512 / AVX2 at run time (vectorize.h). Kernels here call each other directly
// (cpu::fill, ...), never through the dispatching free functions.
#include "kernels/kernels.h"

namespace ascent::kernels::cpu {

void matmul(const Tensor& a, bool trans_a, const Tensor& b, bool trans_b, const Tensor& c,
            bool accumulate);
void fill(const Tensor& x, float value);
void scale(const Tensor& x, float s);
void add(const Tensor& a, const Tensor& b, const Tensor& y);
void add_inplace(const Tensor& y, const Tensor& x);
void cast(const Tensor& src, const Tensor& dst);
void copy(const Tensor& src, const Tensor& dst);
void bias_forward(const Tensor& y, const Tensor& b);
void bias_backward(const Tensor& dy, const Tensor& db);
void embedding_forward(const int32_t* tokens, const Tensor& table, const Tensor& out);
void embedding_backward(const int32_t* tokens, const Tensor& dout, const Tensor& dtable);
void embedding_forward_range(const int32_t* tokens, int64_t first, const Tensor& table,
                             const Tensor& out);
void embedding_backward_range(const int32_t* tokens, int64_t first, const Tensor& dout,
                              const Tensor& dtable);
void rmsnorm_forward(const Tensor& x, const Tensor& w, float eps, const Tensor& y,
                     const Tensor& rstd);
void rmsnorm_backward(const Tensor& dy, const Tensor& x, const Tensor& w, const Tensor& rstd,
                      const Tensor& dx, const Tensor& dw);
void layernorm_forward(const Tensor& x, const Tensor& w, const Tensor& b, float eps,
                       const Tensor& y, const Tensor& mean, const Tensor& rstd);
void layernorm_backward(const Tensor& dy, const Tensor& x, const Tensor& w, const Tensor& mean,
                        const Tensor& rstd, const Tensor& dx, const Tensor& dw, const Tensor& db);
void l2norm_rows_forward(const Tensor& w, const Tensor& y, const Tensor& norm);
void l2norm_rows_backward(const Tensor& dy, const Tensor& y, const Tensor& norm, const Tensor& dw);
RopeTable rope_table(int64_t max_pos, int64_t head_size, float base);
void rope_apply(const Tensor& x, int64_t heads, const int32_t* positions, const RopeTable& table,
                bool inverse);
void attention_forward(const AttentionDims& d, const Tensor& qkv, const Tensor& out,
                       const Tensor& lse);
void attention_backward(const AttentionDims& d, const Tensor& qkv, const Tensor& out,
                        const Tensor& lse, const Tensor& dout, const Tensor& dqkv);
void dropout_add_forward(const Tensor& x, float p, uint64_t seed, uint64_t stream,
                         const Tensor& residual, uint64_t first);
void dropout_backward(const Tensor& dy, float p, uint64_t seed, uint64_t stream, const Tensor& dx,
                      uint64_t first);
void swiglu_forward(const Tensor& gate_up, const Tensor& y);
void swiglu_backward(const Tensor& dy, const Tensor& gate_up, const Tensor& dgate_up);
void gelu_forward(const Tensor& x, const Tensor& y);
void gelu_backward(const Tensor& dy, const Tensor& x, const Tensor& dx);
MaskedSum masked_sum(const Tensor& losses, const int32_t* targets);
int64_t find_out_of_range(const int32_t* ids, int64_t n, int64_t lo, int64_t hi);
void cross_entropy_forward(const Tensor& logits, const int32_t* targets, float z_loss,
                           const Tensor& losses, const Tensor& lse);
void cross_entropy_backward(const Tensor& logits, const int32_t* targets, const Tensor& lse,
                            float z_loss, float grad_scale, const Tensor& dlogits);
void cross_entropy_forward_backward(const Tensor& logits, const int32_t* targets, float z_loss,
                                    float grad_scale, const Tensor& losses);
void vocab_parallel_ce_max(const Tensor& logits, int64_t valid, const Tensor& row_max);
void vocab_parallel_ce_sums(const Tensor& logits, const int32_t* targets, int64_t first,
                            int64_t valid, const Tensor& row_max, const Tensor& sums);
void vocab_parallel_ce_finish(const Tensor& logits, const int32_t* targets, int64_t first,
                              int64_t valid, const Tensor& row_max, const Tensor& sums,
                              float z_loss, float grad_scale, const Tensor& losses,
                              const Tensor& dlogits);
void adamw_step(const AdamWArgs& a, const Tensor& p, const Tensor& g, const Tensor& m,
                const Tensor& v);
void sgd_step(float lr, float momentum, float weight_decay, float grad_scale, const Tensor& p,
              const Tensor& g, const Tensor& momentum_buf);
double sum_squares(const Tensor& x);

}  // namespace ascent::kernels::cpu
