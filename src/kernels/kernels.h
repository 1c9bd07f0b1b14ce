#pragma once
// The one dispatch seam between the model and a device: the kernel contract. Every function works
// on tensor views (or host pointers for index arrays) and states what it reads, what it
// overwrites (=) and what it accumulates (+=). Each call goes to the active backend
// (kernels/backend.h: one virtual call); kernels/cpu/ is the CPU backend, kernels/check/ a
// backend that runs the CPU one and validates every call against this page.
//
// Conventions: row-major; "[N, C]" means N rows of C contiguous elements; activations and
// gradients are f32 unless a parameter says otherwise; matmul takes f32, bf16 or f16 operands and
// always accumulates in f32. All tensors of one call live on the backend's device. Outputs must
// not overlap inputs or each other unless a function says so ("may alias": then exactly the same
// view). Inputs are never modified.
#include <cstddef>
#include <cstdint>
#include <memory>
#include <vector>

#include "core/tensor.h"

namespace ascent::kernels {

// ---------------------------------------------------------------- matmul
// c = op(a) * op(b)           (accumulate == false)
// c += op(a) * op(b)          (accumulate == true)
// op(a) is [M, K]: a is [M, K], or [K, M] when trans_a. op(b) is [K, N]: b is [K, N], or [N, K]
// when trans_b. a, b, c are 2-d; a and b have the same dtype (f32, bf16 or f16); c is f32 [M, N].
void matmul(const Tensor& a, bool trans_a, const Tensor& b, bool trans_b, const Tensor& c,
            bool accumulate);

// ---------------------------------------------------------------- elementwise
// All f32; a, b, x, y of equal numel.
void fill(const Tensor& x, float value);                      // x = value
void scale(const Tensor& x, float s);                         // x *= s (in place)
void add(const Tensor& a, const Tensor& b, const Tensor& y);  // y = a + b (y may alias a or b)
void add_inplace(const Tensor& y, const Tensor& x);           // y += x
// Casts between f32, bf16 and f16 (round to nearest even); same numel.
void cast(const Tensor& src, const Tensor& dst);
// dst (=) src: same dtype and numel, no overlap. The one way the model moves activations.
void copy(const Tensor& src, const Tensor& dst);

// y[n, :] += b  for y [N, M], b [M] (f32; M = y's last dim)
void bias_forward(const Tensor& y, const Tensor& b);
// db += sum_n dy[n, :]  for dy [N, M], db [M] (f32)
void bias_backward(const Tensor& dy, const Tensor& db);

// ---------------------------------------------------------------- embedding
// out[n, :] = table[tokens[n], :]   tokens [N] in [0, V), table [V, C] (f32, bf16 or f16),
// out [N, C] f32
void embedding_forward(const int32_t* tokens, const Tensor& table, const Tensor& out);
// dtable[tokens[n], :] += dout[n, :]  (deterministic order); dout [N, C], dtable [V, C] f32
void embedding_backward(const int32_t* tokens, const Tensor& dout, const Tensor& dtable);
// Vocabulary-parallel lookup (Megatron's VocabParallelEmbedding): table [R, C] holds rows
// [first, first + R) of the vocabulary; out[n, :] = table[tokens[n] - first, :] for tokens in that
// range and 0 for the others (another rank holds them; the partial outputs are summed across
// ranks). tokens must be >= 0.
void embedding_forward_range(const int32_t* tokens, int64_t first, const Tensor& table,
                             const Tensor& out);
// dtable[tokens[n] - first, :] += dout[n, :] for tokens in the range (deterministic order).
void embedding_backward_range(const int32_t* tokens, int64_t first, const Tensor& dout,
                              const Tensor& dtable);

// ---------------------------------------------------------------- normalisation
// All f32. x [..., C] is N = numel / C rows; y, dy, dx have x's numel.
// y = x / rms(x) * w;  x, y [N, C]; w [C]; rstd [N] = 1 / sqrt(mean(x^2) + eps) (stash)
void rmsnorm_forward(const Tensor& x, const Tensor& w, float eps, const Tensor& y,
                     const Tensor& rstd);
// dx += d/dx; dw += d/dw.  (dx accumulates: it is the residual stream's gradient)
void rmsnorm_backward(const Tensor& dy, const Tensor& x, const Tensor& w, const Tensor& rstd,
                      const Tensor& dx, const Tensor& dw);
// y = (x - mean) * rstd * w + b; mean, rstd [N] (stash)
void layernorm_forward(const Tensor& x, const Tensor& w, const Tensor& b, float eps,
                       const Tensor& y, const Tensor& mean, const Tensor& rstd);
// dx += ..., dw += ..., db += ...
void layernorm_backward(const Tensor& dy, const Tensor& x, const Tensor& w, const Tensor& mean,
                        const Tensor& rstd, const Tensor& dx, const Tensor& dw, const Tensor& db);

// Row-wise L2 normalisation (Baichuan2 NormHead): y[r, :] = w[r, :] / max(||w[r, :]||, 1e-12);
// norm [R] (stash).  Backward: dw += (dy - y * <dy, y>) / norm.
void l2norm_rows_forward(const Tensor& w, const Tensor& y, const Tensor& norm);
void l2norm_rows_backward(const Tensor& dy, const Tensor& y, const Tensor& norm, const Tensor& dw);

// ---------------------------------------------------------------- positions
// Rotary embedding, rotate-half convention (HF LLaMA): for d < HS/2 with
// theta = pos * base^(-2d/HS):  (x[d], x[d+HS/2]) <- (x1 cos - x2 sin, x2 cos + x1 sin).
// Applied in place to the first `heads` heads of every row of x [N, row_width >= heads*HS] (f32);
// the rest of each row is left as it is.
struct RopeTable {
  int64_t max_pos = 0;
  int64_t head_size = 0;
  Tensor cos, sin;  // [max_pos, head_size/2] f32 on the backend's device (views of storage)
  std::shared_ptr<const Buffer> storage;  // copies of a table share its (immutable) storage
  bool empty() const { return cos.empty(); }
};
// The table (=) for positions [0, max_pos), in device memory the table owns.
RopeTable rope_table(int64_t max_pos, int64_t head_size, float base);
// positions [N] in [0, max_pos). inverse == true rotates by -theta: that is the backward pass.
void rope_apply(const Tensor& x, int64_t heads, const int32_t* positions, const RopeTable& table,
                bool inverse);

// ALiBi slopes for n heads (Press et al.; non-power-of-two counts interleave the slopes of the
// next power of two, as HF Bloom and Baichuan do). A host-side helper, not a backend kernel.
std::vector<float> alibi_slopes(int64_t n_heads);

// ---------------------------------------------------------------- attention
// Causal self-attention on a fused qkv activation (all tensors f32).
//   qkv [B*T, (NH + 2*KVH) * HS]: per row, NH query heads, then KVH key heads, then KVH value
//   heads. Query head h attends with KV head h / (NH / KVH) (GQA). score(i, j) = scale * <q_i, k_j>
//   + alibi_slope[h] * (j - i)   for j <= i (else masked). out [B*T, NH*HS]; lse [B, NH, T] =
//   log-sum-exp of each score row (stash for backward).
// Never materialises all heads' T x T scores: work is tiled by (batch, head, query block).
//
// Segments (packed samples, Megatron's --reset-attention-mask): with segment_ids, query i sees
// key j only if j <= i and segment_ids[i] == segment_ids[j]. The ids must be non-decreasing
// within each batch row (ASCENT_CHECK), so a segment is one run of tokens and query i sees the
// keys [start of its segment, i]. Key rows before the segment start of a query block's first
// query are never touched, so a row of short segments costs about the sum of their causal
// triangles instead of one full one. nullptr: plain causal attention (the same code path as
// without segments).
//
// Attention dropout (dropout > 0): the probabilities are dropped after the softmax,
//   out_i = sum_j P[i, j] * M[i, j] / (1 - dropout) * v_j,
// with M[i, j] = dropout_keep(dropout_seed, dropout_stream, attention_dropout_index(...), dropout)
// regenerated in backward (never stored; independent of threads and tiling). lse stays the
// log-sum-exp of the undropped scores. dropout == 0 does no RNG work at all.
struct AttentionDims {
  int64_t B = 0, T = 0, NH = 0, KVH = 0, HS = 0;
  float scale = 0.f;                    // usually 1/sqrt(HS)
  const float* alibi_slopes = nullptr;  // [NH] or nullptr (no ALiBi)
  float dropout = 0.f;                  // probability of dropping a probability, in [0, 1)
  uint64_t dropout_seed = 0, dropout_stream = 0;  // Philox key of the mask
  const int32_t* segment_ids = nullptr;  // [B*T] non-decreasing per row, or nullptr (causal only)
  // A tensor-parallel rank computes heads [head_offset, head_offset + NH) of total_heads; the
  // dropout masks are those of the whole model's heads. total_heads 0: NH (no TP).
  int64_t head_offset = 0, total_heads = 0;
};
// Mask element of query i, key j of head h in batch row b: key-major, so that the queries of one
// key, which the kernel keeps contiguous, are consecutive counters.
inline uint64_t attention_dropout_index(const AttentionDims& d, int64_t b, int64_t h, int64_t i,
                                        int64_t j) {
  const int64_t heads = d.total_heads > 0 ? d.total_heads : d.NH;
  return ((static_cast<uint64_t>(b * heads + d.head_offset + h) * d.T) + j) * d.T + i;
}
void attention_forward(const AttentionDims& d, const Tensor& qkv, const Tensor& out,
                       const Tensor& lse);
// dqkv = gradient w.r.t. qkv (overwritten entirely, including k and v parts). `out` is the
// forward output (with dropout: the dropped one).
void attention_backward(const AttentionDims& d, const Tensor& qkv, const Tensor& out,
                        const Tensor& lse, const Tensor& dout, const Tensor& dqkv);

// ---------------------------------------------------------------- dropout
// The one mask rule of every dropping kernel. Each Philox4x32-10 block (key = seed, counter =
// (stream, c)) gives 8 elements 16 bits each; element `index` is kept iff its 16 bits are
// >= round(p * 2^16), so p is resolved to 1/65536. With g = index / 64, k = index % 64, the bits
// are half (k / 8) % 2 (0 = low) of word k / 16 of counter 8 g + k % 8: 8 consecutive counters
// fill 64 consecutive elements in the order a vector of 8 counters produces them. Kept elements
// are scaled by 1 / (1 - p). p must lie in [0, 1); p == 0 keeps everything.
// dropout_keep and dropout_mask are host-side helpers (the rule itself), not backend kernels.
bool dropout_keep(uint64_t seed, uint64_t stream, uint64_t index, float p);
// m[k] = (dropout_keep(seed, stream, first + k, p) ? 1 / (1 - p) : 0) for k in [0, n), m on the
// host.
void dropout_mask(uint64_t seed, uint64_t stream, uint64_t first, int64_t n, float p, float* m);
// residual += x * M / (1 - p), M per flat element index of x plus `first` (Megatron's
// bias-dropout-add with the bias already in x; `first` places a slice of rows, e.g. a
// sequence-parallel rank's, inside the whole tensor's mask). x, residual f32 of equal size.
void dropout_add_forward(const Tensor& x, float p, uint64_t seed, uint64_t stream,
                         const Tensor& residual, uint64_t first = 0);
// dx = dy * M / (1 - p), the same mask as dropout_add_forward (dx may alias dy).
void dropout_backward(const Tensor& dy, float p, uint64_t seed, uint64_t stream, const Tensor& dx,
                      uint64_t first = 0);

// ---------------------------------------------------------------- MLP activations
// All f32. gate_up [N, 2F] = [gate | up];  y [N, F] = silu(gate) * up
void swiglu_forward(const Tensor& gate_up, const Tensor& y);
// dgate_up (=), gate_up's shape
void swiglu_backward(const Tensor& dy, const Tensor& gate_up, const Tensor& dgate_up);
// GeLU, tanh approximation (GPT-2 "gelu_new", Bloom): y = 0.5x(1 + tanh(sqrt(2/pi)(x +
// 0.044715x^3)))
void gelu_forward(const Tensor& x, const Tensor& y);
// dx (=), may alias dy; dy, x, dx of equal numel
void gelu_backward(const Tensor& dy, const Tensor& x, const Tensor& dx);

// ---------------------------------------------------------------- loss
// Softmax cross-entropy over logits [N, V] (f32) with targets [N]; target -100 is ignored.
// losses [N] = lse - logit[target] + z_loss * lse^2 (0 for ignored rows); lse [N] (stash).
constexpr int32_t kIgnoreIndex = -100;
// The sum of losses [N] (f32) over the rows whose target is not kIgnoreIndex, in row order in
// double, and how many rows that is: the micro-batch's loss, read back to the host.
struct MaskedSum {
  double sum = 0.0;
  int64_t count = 0;
};
MaskedSum masked_sum(const Tensor& losses, const int32_t* targets);
// The index of the first of ids [n] outside [lo, hi), or -1 when all lie inside (token ids
// checked against the vocabulary before a lookup).
int64_t find_out_of_range(const int32_t* ids, int64_t n, int64_t lo, int64_t hi);
void cross_entropy_forward(const Tensor& logits, const int32_t* targets, float z_loss,
                           const Tensor& losses, const Tensor& lse);
// dlogits = grad_scale * d(loss_row)/d(logits) for valid rows, 0 for ignored rows.
// dlogits may alias logits (in-place, saves the largest activation of the model).
void cross_entropy_backward(const Tensor& logits, const int32_t* targets, const Tensor& lse,
                            float z_loss, float grad_scale, const Tensor& dlogits);
// Both at once for training: losses [N] (=) as cross_entropy_forward, and the logits are
// overwritten (=) by grad_scale * d(loss_row)/d(logits). Each row is read for its log-sum-exp and
// rewritten while still in cache: one pass over memory instead of three. Same values, bit for bit,
// as forward then backward.
void cross_entropy_forward_backward(const Tensor& logits, const int32_t* targets, float z_loss,
                                    float grad_scale, const Tensor& losses);

// Vocabulary-parallel cross-entropy (Megatron's vocab_parallel_cross_entropy; the logits are never
// gathered). This rank holds logits [N, VL] of vocabulary ids [first, first + VL), of which only
// the first `valid` columns are real (the rest is vocabulary padding and takes no part). Three
// passes with a reduction over the ranks between them:
//   1. row_max [N] = max over the valid columns (-inf when there are none)   -> all-reduce max
//   2. sums [2N]: sums[n] = sum_j exp(logit - row_max[n]), sums[N + n] = the target's logit when
//      this rank holds it, else 0                                             -> all-reduce sum
//   3. losses [N] = lse - target logit + z_loss * lse^2 (0 for ignored rows), lse = row_max +
//      log(sums[n]); with dlogits defined (may alias logits) also
//      dlogits = grad_scale * d loss / d logits (0 in padding columns and ignored rows).
void vocab_parallel_ce_max(const Tensor& logits, int64_t valid, const Tensor& row_max);
void vocab_parallel_ce_sums(const Tensor& logits, const int32_t* targets, int64_t first,
                            int64_t valid, const Tensor& row_max, const Tensor& sums);
void vocab_parallel_ce_finish(const Tensor& logits, const int32_t* targets, int64_t first,
                              int64_t valid, const Tensor& row_max, const Tensor& sums,
                              float z_loss, float grad_scale, const Tensor& losses,
                              const Tensor& dlogits);

// ---------------------------------------------------------------- optimizer (flat buffers, f32)
struct AdamWArgs {
  float lr = 1e-3f, beta1 = 0.9f, beta2 = 0.999f, eps = 1e-8f, weight_decay = 0.f;
  int64_t step = 1;        // 1-based, for bias correction
  float grad_scale = 1.f;  // gradients are multiplied by this first (clipping, loss scaling)
};
// Decoupled weight decay (Loshchilov & Hutter): p -= lr * (wd * p + mhat / (sqrt(vhat) + eps)).
// Updates p, m, v in place; g is read only. All f32 of equal numel.
void adamw_step(const AdamWArgs& a, const Tensor& p, const Tensor& g, const Tensor& m,
                const Tensor& v);
// p -= lr * (g * grad_scale + wd * p) in place, through the momentum buffer (updated in place)
// when momentum > 0; momentum_buf may be undefined when momentum == 0. All f32 of equal numel.
void sgd_step(float lr, float momentum, float weight_decay, float grad_scale, const Tensor& p,
              const Tensor& g, const Tensor& momentum_buf);

// Sum of squares of x (f32) in double, deterministic: partial sums over fixed chunks of 4096
// elements added in chunk order, whatever the thread count.
double sum_squares(const Tensor& x);

}  // namespace ascent::kernels
