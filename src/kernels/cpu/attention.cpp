// Causal self-attention (flash-attention style) on the fused qkv activation; contract in
// kernels.h. Work is tiled by (batch, head, query block of kBlock rows). A block's scores are kept
// transposed, St[j, i] for key j and query i0 + i, so the softmax runs along the contiguous query
// axis: every pass is an elementwise loop over i that vectorises without fast-math reductions.
// All products (forward: S = K Q^T, O = P^T V; backward: S again, dP = V dO^T, dV += P dO,
// dK += dS Q, dQ = dS^T K) go through one small register-blocked GEMM that skips the fully
// masked (j > i) part of the causal triangle.
//
// Attention dropout multiplies P by the scaled keep mask of the block, made afresh in forward and
// in backward by kernels::dropout_mask; with dropout == 0 none of that code runs (one test per
// block).
//
// Segments: a query block works on the keys from its first query's segment start k0 on, in
// coordinates relative to k0 (key j - k0, query i - k0: causal order and ALiBi distances are
// unchanged), and masks keys before each query's own segment start. The softmax passes are
// templates on whether segments exist, so the causal-only instantiation is the code without them.
#include <algorithm>
#include <cmath>
#include <cstdint>
#include <limits>
#include <vector>

#include "kernels/cpu/cpu_kernels.h"
#include "kernels/cpu/math.h"
#include "kernels/cpu/vectorize.h"

namespace ascent::kernels::cpu {
namespace {

constexpr int64_t kBlock = 64;  // query rows per unit of work
constexpr int kMR = 6;          // GEMM register tile: kMR rows x kNR columns
constexpr int kNR = 16;
constexpr int64_t kKc = 64;  // GEMM K chunk

#define ASCENT_INLINE inline __attribute__((always_inline))

// ---------------------------------------------------------------- small GEMM
// C (=|+=) A B with A(m, k) = a[m * a_rs + k * a_cs], B(k, n) = b[k * ldb + n], C row-major.
struct Gemm {
  int64_t M = 0, N = 0, K = 0;
  const float* a = nullptr;
  int64_t a_rs = 0, a_cs = 0;
  const float* b = nullptr;
  int64_t ldb = 0;
  float* c = nullptr;
  int64_t ldc = 0;
  bool accumulate = false;
};

// Which part of the product is non-zero under the causal mask; q0 is the block's first query.
enum class Causal {
  kScores,     // C[j, i]: key j, query q0 + i. Tiles with every j > every query are skipped.
  kKeyRows,    // C[j, :] += sum over queries i of A(j, i) ...: only i >= j - q0 contribute.
  kQueryRows,  // C[i, :] = sum over keys j of A(i, j) ...: only j <= q0 + i contribute.
};

// Register tile of MR x NR accumulators. Written with GCC vector types rather than plain loops:
// GCC keeps a plain float[MR][NR] tile on the stack (spilling every FMA), which halves the speed.
// An 8-float vector is one ymm register in the AVX2 / AVX-512 clones and two xmm in the baseline;
// aligned(4) makes its loads and stores unaligned ones, may_alias lets it view float arrays.
typedef float Vec8 __attribute__((vector_size(32), aligned(4), may_alias));

template <int MR, int NR>
ASCENT_INLINE void micro_tile(const Gemm& g, int64_t m0, int64_t n0, int64_t k0, int64_t k1,
                              bool accumulate) {
  constexpr int NV = NR / 8;
  const float* a = g.a + m0 * g.a_rs;
  const float* b = g.b + n0;
  const int64_t a_rs = g.a_rs, a_cs = g.a_cs, ldb = g.ldb;
  Vec8 acc[MR][NV] = {};
  for (int64_t k = k0; k < k1; ++k) {
    const Vec8* bk = reinterpret_cast<const Vec8*>(b + k * ldb);
    for (int r = 0; r < MR; ++r) {
      const float ar = a[r * a_rs + k * a_cs];
      for (int v = 0; v < NV; ++v) acc[r][v] += ar * bk[v];
    }
  }
  for (int r = 0; r < MR; ++r) {
    Vec8* c = reinterpret_cast<Vec8*>(g.c + (m0 + r) * g.ldc + n0);
    for (int v = 0; v < NV; ++v) c[v] = accumulate ? c[v] + acc[r][v] : acc[r][v];
  }
}

// Edge tiles: fewer than 8 columns, any row count.
ASCENT_INLINE void edge_tile(const Gemm& g, int64_t m0, int64_t mr, int64_t n0, int64_t nr,
                             int64_t k0, int64_t k1, bool accumulate) {
  for (int64_t r = 0; r < mr; ++r) {
    for (int64_t n = 0; n < nr; ++n) {
      float s = 0.f;
      for (int64_t k = k0; k < k1; ++k)
        s += g.a[(m0 + r) * g.a_rs + k * g.a_cs] * g.b[k * g.ldb + n0 + n];
      float& c = g.c[(m0 + r) * g.ldc + n0 + n];
      c = (accumulate ? c : 0.f) + s;
    }
  }
}

template <int NR>
ASCENT_INLINE void rows_tile(const Gemm& g, int64_t m0, int64_t mr, int64_t n0, int64_t k0,
                             int64_t k1, bool acc) {
  switch (mr) {
    case 6:
      micro_tile<6, NR>(g, m0, n0, k0, k1, acc);
      break;
    case 5:
      micro_tile<5, NR>(g, m0, n0, k0, k1, acc);
      break;
    case 4:
      micro_tile<4, NR>(g, m0, n0, k0, k1, acc);
      break;
    case 3:
      micro_tile<3, NR>(g, m0, n0, k0, k1, acc);
      break;
    case 2:
      micro_tile<2, NR>(g, m0, n0, k0, k1, acc);
      break;
    default:
      micro_tile<1, NR>(g, m0, n0, k0, k1, acc);
      break;
  }
}

// The K dimension runs in chunks of kKc so that the A and B panels of a chunk stay in L1 while
// every row tile sweeps them (the P V and dS^T K products have K = all keys so far).
ASCENT_VECTORIZE void gemm(const Gemm& g, Causal causal, int64_t q0) {
  static_assert(kMR == 6 && kNR == 16, "rows_tile dispatches up to 6 rows; widths 16 and 8");
  for (int64_t kc = 0; kc < g.K; kc += kKc) {
    const bool acc = g.accumulate || kc > 0;
    for (int64_t m0 = 0; m0 < g.M; m0 += kMR) {
      const int64_t mr = std::min<int64_t>(kMR, g.M - m0);
      int64_t k0 = kc, k1 = std::min(g.K, kc + kKc);
      if (causal == Causal::kKeyRows) k0 = std::max(k0, m0 - q0);
      if (causal == Causal::kQueryRows) k1 = std::min(k1, q0 + m0 + mr);
      if (k0 >= k1 && acc) continue;  // nothing to add (the first chunk still writes zeros)
      for (int64_t n0 = 0; n0 < g.N;) {
        const int64_t nr = g.N - n0 >= kNR ? kNR : g.N - n0 >= 8 ? 8 : g.N - n0;
        // Masked scores are overwritten by the softmax pass, so they need not be computed.
        const bool masked = causal == Causal::kScores && m0 > q0 + n0 + nr - 1;
        if (!masked) {
          if (nr == kNR) {
            rows_tile<kNR>(g, m0, mr, n0, k0, k1, acc);
          } else if (nr == 8) {
            rows_tile<8>(g, m0, mr, n0, k0, k1, acc);
          } else {
            edge_tile(g, m0, mr, n0, nr, k0, k1, acc);
          }
        }
        n0 += nr;
      }
    }
  }
}

// ---------------------------------------------------------------- softmax pieces
// exp of a score minus its row maximum; exactly 0 for masked (-inf) scores.
ASCENT_INLINE float score_exp(float x) { return cpu::select(x < -87.3f, 0.f, cpu::exp_approx(x)); }

// Per-block scratch, owned by one thread.
struct Scratch {
  std::vector<float> qt;    // [HS, kBlock]  scale * q, transposed
  std::vector<float> dot;   // [HS, kBlock]  dout, transposed (backward)
  std::vector<float> s;     // [T, kBlock]   scores, then P
  std::vector<float> ds;    // [T, kBlock]   dP, then dS (backward)
  std::vector<float> qpos;  // [kBlock]      query positions as floats (relative to the first key)
  std::vector<float> kpos;  // [kBlock]      first key of each query's segment (segments only)
  std::vector<float> m, l;  // [kBlock]      row max and sum (forward); D = <dout, out> (backward)
  std::vector<float> mask;  // [T, kBlock]   scaled dropout keep mask (only with dropout)
  Scratch(int64_t T, int64_t HS, bool backward, bool dropout)
      : qt(HS * kBlock),
        dot(backward ? HS * kBlock : 0),
        s(T * kBlock),
        ds(backward ? T * kBlock : 0),
        qpos(kBlock),
        kpos(kBlock),
        m(kBlock),
        l(kBlock),
        mask(dropout ? T * kBlock : 0) {}
};

// dst[d * nq + i] = s * src[i * ld + d]. Written row by row of dst: scattered stores with a
// stride of nq floats are several times slower than the strided loads (which stay in L1).
ASCENT_VECTORIZE void transpose_rows(const float* src, int64_t ld, int64_t nq, int64_t HS, float s,
                                     float* dst) {
  for (int64_t d = 0; d < HS; ++d)
    for (int64_t i = 0; i < nq; ++i) dst[d * nq + i] = s * src[i * ld + d];
}

// D[i] = <a_i, b_i> over HS for rows i < nq of stride ld; vectorised across rows, not along them,
// so it needs no reassociated reduction.
ASCENT_VECTORIZE void row_dots(const float* a, const float* b, int64_t ld, int64_t nq, int64_t HS,
                               float* D) {
  for (int64_t i = 0; i < nq; ++i) D[i] = 0.f;
  for (int64_t d = 0; d < HS; ++d)
    for (int64_t i = 0; i < nq; ++i) D[i] += a[i * ld + d] * b[i * ld + d];
}

// Whether key j is masked for a query at qpos whose segment starts at key kpos.
template <bool kSeg>
ASCENT_INLINE bool masked(float fj, float qpos, float kpos) {
  if constexpr (kSeg) {
    return (fj > qpos) | (fj < kpos);
  } else {
    return fj > qpos;
  }
}

// Score of key j for query position qpos: the raw product plus the ALiBi bias, -inf when masked.
template <bool kSeg>
ASCENT_INLINE float biased_score(float raw, float fj, float qpos, float kpos, float slope) {
  const float dist = fj - qpos;  // j - i, exact for positions below 2^24
  return cpu::select(masked<kSeg>(fj, qpos, kpos), -std::numeric_limits<float>::infinity(),
                     raw + slope * dist);
}

// The passes below take kpos == nullptr for causal-only attention; each dispatches once to the
// template instantiation, inside the vectorised clone.

// Forward: St [nk, nq] raw scores -> unnormalised P = exp(score - m); m = column max, l = sum.
template <bool kSeg>
ASCENT_INLINE void softmax_pass(float* st, int64_t nk, int64_t nq, const float* qpos,
                                const float* kpos, float slope, float* m, float* l) {
  for (int64_t i = 0; i < nq; ++i) m[i] = -std::numeric_limits<float>::infinity(), l[i] = 0.f;
  for (int64_t j = 0; j < nk; ++j) {
    float* row = st + j * nq;
    const float fj = static_cast<float>(j);
    for (int64_t i = 0; i < nq; ++i) {
      const float v = biased_score<kSeg>(row[i], fj, qpos[i], kSeg ? kpos[i] : 0.f, slope);
      const float mi = m[i];
      row[i] = v;
      m[i] = v > mi ? v : mi;
    }
  }
  for (int64_t j = 0; j < nk; ++j) {
    float* row = st + j * nq;
    for (int64_t i = 0; i < nq; ++i) {
      const float p = score_exp(row[i] - m[i]);
      row[i] = p;
      l[i] += p;
    }
  }
}
ASCENT_VECTORIZE void softmax_block(float* st, int64_t nk, int64_t nq, const float* qpos,
                                    const float* kpos, float slope, float* m, float* l) {
  if (kpos) {
    softmax_pass<true>(st, nk, nq, qpos, kpos, slope, m, l);
  } else {
    softmax_pass<false>(st, nk, nq, qpos, kpos, slope, m, l);
  }
}

// Backward: St [nk, nq] raw scores -> P = exp(score - lse), recomputed from the stash.
template <bool kSeg>
ASCENT_INLINE void probs_pass(float* st, int64_t nk, int64_t nq, const float* qpos,
                              const float* kpos, float slope, const float* lse) {
  for (int64_t j = 0; j < nk; ++j) {
    float* row = st + j * nq;
    const float fj = static_cast<float>(j);
    for (int64_t i = 0; i < nq; ++i)
      row[i] =
          score_exp(biased_score<kSeg>(row[i], fj, qpos[i], kSeg ? kpos[i] : 0.f, slope) - lse[i]);
  }
}
ASCENT_VECTORIZE void probs_block(float* st, int64_t nk, int64_t nq, const float* qpos,
                                  const float* kpos, float slope, const float* lse) {
  if (kpos) {
    probs_pass<true>(st, nk, nq, qpos, kpos, slope, lse);
  } else {
    probs_pass<false>(st, nk, nq, qpos, kpos, slope, lse);
  }
}

// dSt = scale * P * (dPt - D) where unmasked, 0 where masked (dPt there is uncomputed).
template <bool kSeg>
ASCENT_INLINE void softmax_grad_pass(const float* pt, float* dst, int64_t nk, int64_t nq,
                                     const float* qpos, const float* kpos, const float* D,
                                     float scale) {
  for (int64_t j = 0; j < nk; ++j) {
    const float fj = static_cast<float>(j);
    const float* p = pt + j * nq;
    float* ds = dst + j * nq;
    for (int64_t i = 0; i < nq; ++i) {
      const float g = scale * p[i] * (ds[i] - D[i]);
      ds[i] = cpu::select(masked<kSeg>(fj, qpos[i], kSeg ? kpos[i] : 0.f), 0.f, g);
    }
  }
}
ASCENT_VECTORIZE void softmax_grad_block(const float* pt, float* dst, int64_t nk, int64_t nq,
                                         const float* qpos, const float* kpos, const float* D,
                                         float scale) {
  if (kpos) {
    softmax_grad_pass<true>(pt, dst, nk, nq, qpos, kpos, D, scale);
  } else {
    softmax_grad_pass<false>(pt, dst, nk, nq, qpos, kpos, D, scale);
  }
}

// Dropout backward: dPt = dPt_dropped * M (M already scaled by 1 / (1 - p)), then
// dSt = scale * P * (dPt - D) as above, and P becomes the dropped P_drop = P * M for dV.
template <bool kSeg>
ASCENT_INLINE void softmax_grad_dropout_pass(float* pt, float* dst, const float* mt, int64_t nk,
                                             int64_t nq, const float* qpos, const float* kpos,
                                             const float* D, float scale) {
  for (int64_t j = 0; j < nk; ++j) {
    const float fj = static_cast<float>(j);
    float* p = pt + j * nq;
    float* ds = dst + j * nq;
    const float* m = mt + j * nq;
    for (int64_t i = 0; i < nq; ++i) {
      const float g = scale * p[i] * (ds[i] * m[i] - D[i]);
      ds[i] = cpu::select(masked<kSeg>(fj, qpos[i], kSeg ? kpos[i] : 0.f), 0.f, g);
      p[i] *= m[i];
    }
  }
}
ASCENT_VECTORIZE void softmax_grad_dropout_block(float* pt, float* dst, const float* mt, int64_t nk,
                                                 int64_t nq, const float* qpos, const float* kpos,
                                                 const float* D, float scale) {
  if (kpos) {
    softmax_grad_dropout_pass<true>(pt, dst, mt, nk, nq, qpos, kpos, D, scale);
  } else {
    softmax_grad_dropout_pass<false>(pt, dst, mt, nk, nq, qpos, kpos, D, scale);
  }
}

// x[k] *= m[k]
ASCENT_VECTORIZE void multiply(float* x, const float* m, int64_t n) {
  for (int64_t k = 0; k < n; ++k) x[k] *= m[k];
}

// ---------------------------------------------------------------- per-block work
// Row layout of the fused qkv: W floats per token; query head h at h*HS, key head g at
// (NH + g)*HS, value head g at (NH + KVH + g)*HS.
struct Layout {
  int64_t T, NH, KVH, HS, W, group;
  explicit Layout(const AttentionDims& d)
      : T(d.T), NH(d.NH), KVH(d.KVH), HS(d.HS), W((d.NH + 2 * d.KVH) * d.HS), group(d.NH / d.KVH) {}
  int64_t q_col(int64_t h) const { return h * HS; }
  int64_t k_col(int64_t h) const { return (NH + h / group) * HS; }
  int64_t v_col(int64_t h) const { return (NH + KVH + h / group) * HS; }
};

// One unit of work: queries [i0, i0 + nq) of head h in batch row b, against keys [k0, i0 + nq).
// k0 is 0 without segments, else the segment start of query i0. Inside a block, keys and queries
// are numbered from k0: key j - k0, query q0 + i with q0 = i0 - k0.
struct Block {
  int64_t b, h, i0, nq, k0;
  const int32_t* starts;  // [nq] segment start of each query (absolute), or nullptr
  int64_t q0() const { return i0 - k0; }
  int64_t nk() const { return i0 - k0 + nq; }
};

Block make_block(const Layout& L, const int32_t* starts, int64_t b, int64_t h, int64_t i0) {
  Block k{b, h, i0, std::min(kBlock, L.T - i0), 0, nullptr};
  if (starts) {
    k.starts = starts + b * L.T + i0;
    k.k0 = k.starts[0];  // starts are non-decreasing: the block's smallest
  }
  return k;
}

// Computes scores St [nk, nq] of block k (x points at the block's first key row) and turns them
// into P: normalised with the stashed lse when given (backward), otherwise unnormalised with the
// row max and sum left in s.m and s.l (forward).
void block_probs(const Layout& L, const Block& k, const float* x, float scale, float slope,
                 const float* lse, Scratch& s) {
  const int64_t nq = k.nq, nk = k.nk(), q0 = k.q0();
  transpose_rows(x + q0 * L.W + L.q_col(k.h), L.W, nq, L.HS, scale, s.qt.data());
  Gemm g;
  g.M = nk, g.N = nq, g.K = L.HS;
  g.a = x + L.k_col(k.h), g.a_rs = L.W, g.a_cs = 1;
  g.b = s.qt.data(), g.ldb = nq;
  g.c = s.s.data(), g.ldc = nq;
  gemm(g, Causal::kScores, q0);
  for (int64_t i = 0; i < nq; ++i) s.qpos[i] = static_cast<float>(q0 + i);
  const float* kpos = nullptr;
  if (k.starts) {
    for (int64_t i = 0; i < nq; ++i) s.kpos[i] = static_cast<float>(k.starts[i] - k.k0);
    kpos = s.kpos.data();
  }
  if (lse == nullptr) {
    softmax_block(s.s.data(), nk, nq, s.qpos.data(), kpos, slope, s.m.data(), s.l.data());
  } else {
    probs_block(s.s.data(), nk, nq, s.qpos.data(), kpos, slope, lse);
  }
}

// mt [nk, nq] = scaled keep mask of block k, 0 where causally masked (those counters are never
// drawn). Counters use absolute positions, so segments do not change the mask.
void block_dropout_mask(const AttentionDims& d, const Block& k, float* mt) {
  const int64_t nq = k.nq;
  for (int64_t jr = 0; jr < k.nk(); ++jr) {
    const int64_t j = k.k0 + jr;
    const int64_t first = std::max<int64_t>(0, j - k.i0);  // first query that sees key j
    float* row = mt + jr * nq;
    std::fill_n(row, first, 0.f);
    dropout_mask(d.dropout_seed, d.dropout_stream,
                 attention_dropout_index(d, k.b, k.h, k.i0 + first, j), nq - first, d.dropout,
                 row + first);
  }
}

void forward_block(const Layout& L, const AttentionDims& d, const Block& k, const float* qkv,
                   float* out, float* lse, Scratch& s) {
  const int64_t nq = k.nq, nk = k.nk();
  const float slope = d.alibi_slopes ? d.alibi_slopes[k.h] : 0.f;
  const float* x = qkv + (k.b * L.T + k.k0) * L.W;
  block_probs(L, k, x, d.scale, slope, nullptr, s);
  if (d.dropout > 0.f) {  // P_drop = P * M; s.l keeps the undropped sums for lse
    block_dropout_mask(d, k, s.mask.data());
    multiply(s.s.data(), s.mask.data(), nk * nq);
  }
  // out[i, :] = sum_j P[j, i] v_j, then normalise by the row sums.
  float* o = out + (k.b * L.T + k.i0) * L.NH * L.HS + k.h * L.HS;
  Gemm g;
  g.M = nq, g.N = L.HS, g.K = nk;
  g.a = s.s.data(), g.a_rs = 1, g.a_cs = nq;
  g.b = x + L.v_col(k.h), g.ldb = L.W;
  g.c = o, g.ldc = L.NH * L.HS;
  gemm(g, Causal::kQueryRows, k.q0());
  float* lse_row = lse + (k.b * L.NH + k.h) * L.T + k.i0;
  for (int64_t i = 0; i < nq; ++i) {
    const float inv = 1.f / s.l[i];
    for (int64_t e = 0; e < L.HS; ++e) o[i * g.ldc + e] *= inv;
    lse_row[i] = s.m[i] + std::log(s.l[i]);
  }
}

// Adds this block's contributions to dk and dv of head h's kv head and writes dq of its queries.
void backward_block(const Layout& L, const AttentionDims& d, const Block& k, const float* qkv,
                    const float* out, const float* lse, const float* dout, float* dqkv,
                    Scratch& s) {
  const int64_t nq = k.nq, nk = k.nk(), q0 = k.q0();
  const int64_t C = L.NH * L.HS;
  const float slope = d.alibi_slopes ? d.alibi_slopes[k.h] : 0.f;
  const float* x = qkv + (k.b * L.T + k.k0) * L.W;
  float* dx = dqkv + (k.b * L.T + k.k0) * L.W;
  const float* o = out + (k.b * L.T + k.i0) * C + k.h * L.HS;
  const float* dout_blk = dout + (k.b * L.T + k.i0) * C + k.h * L.HS;
  block_probs(L, k, x, d.scale, slope, lse + (k.b * L.NH + k.h) * L.T + k.i0, s);
  const float* kpos = k.starts ? s.kpos.data() : nullptr;

  // dPt[j, i] = <v_j, dout_i>; D_i = <dout_i, out_i>; dS = scale * P * (dP - D).
  transpose_rows(dout_blk, C, nq, L.HS, 1.f, s.dot.data());
  Gemm g;
  g.M = nk, g.N = nq, g.K = L.HS;
  g.a = x + L.v_col(k.h), g.a_rs = L.W, g.a_cs = 1;
  g.b = s.dot.data(), g.ldb = nq;
  g.c = s.ds.data(), g.ldc = nq;
  gemm(g, Causal::kScores, q0);
  row_dots(dout_blk, o, C, nq, L.HS, s.l.data());
  if (d.dropout > 0.f) {  // dP = dP_drop * M, and s.s becomes P_drop for dv
    block_dropout_mask(d, k, s.mask.data());
    softmax_grad_dropout_block(s.s.data(), s.ds.data(), s.mask.data(), nk, nq, s.qpos.data(), kpos,
                               s.l.data(), d.scale);
  } else {
    softmax_grad_block(s.s.data(), s.ds.data(), nk, nq, s.qpos.data(), kpos, s.l.data(), d.scale);
  }

  // dv[j] += sum_i P_drop[j, i] dout_i;  dk[j] += sum_i dS[j, i] q_i.
  g = Gemm{};
  g.M = nk, g.N = L.HS, g.K = nq;
  g.a = s.s.data(), g.a_rs = nq, g.a_cs = 1;
  g.b = dout_blk, g.ldb = C;
  g.c = dx + L.v_col(k.h), g.ldc = L.W;
  g.accumulate = true;
  gemm(g, Causal::kKeyRows, q0);
  g.a = s.ds.data();
  g.b = x + q0 * L.W + L.q_col(k.h), g.ldb = L.W;
  g.c = dx + L.k_col(k.h);
  gemm(g, Causal::kKeyRows, q0);

  // dq_i = sum_j dS[j, i] k_j.
  g = Gemm{};
  g.M = nq, g.N = L.HS, g.K = nk;
  g.a = s.ds.data(), g.a_rs = 1, g.a_cs = nq;
  g.b = x + L.k_col(k.h), g.ldb = L.W;
  g.c = dx + q0 * L.W + L.q_col(k.h), g.ldc = L.W;
  gemm(g, Causal::kQueryRows, q0);
}

// starts[b*T + t] = first token of the segment of token t of row b, from the segment ids; empty
// without segments. Checks that the ids are non-decreasing within each row.
std::vector<int32_t> segment_starts(const AttentionDims& d) {
  std::vector<int32_t> starts;
  if (d.segment_ids == nullptr) return starts;
  starts.resize(static_cast<size_t>(d.B * d.T));
  for (int64_t b = 0; b < d.B; ++b) {
    const int32_t* seg = d.segment_ids + b * d.T;
    int32_t start = 0;
    for (int64_t t = 0; t < d.T; ++t) {
      if (t > 0 && seg[t] != seg[t - 1]) {
        ASCENT_CHECK(seg[t] > seg[t - 1])
            << "attention segment ids decrease in batch row " << b << " at token " << t << ": "
            << seg[t - 1] << " then " << seg[t];
        start = static_cast<int32_t>(t);
      }
      starts[static_cast<size_t>(b * d.T + t)] = start;
    }
  }
  return starts;
}

void check_dims(const AttentionDims& d, const Tensor& qkv, const Tensor& out, const Tensor& lse) {
  ASCENT_CHECK(d.B > 0 && d.T > 0 && d.NH > 0 && d.KVH > 0 && d.HS > 0)
      << "attention dims B=" << d.B << " T=" << d.T << " NH=" << d.NH << " KVH=" << d.KVH
      << " HS=" << d.HS;
  ASCENT_CHECK(d.NH % d.KVH == 0) << "NH=" << d.NH << " not a multiple of KVH=" << d.KVH;
  ASCENT_CHECK(d.T < (int64_t{1} << 24)) << "T=" << d.T << " too long for float positions";
  ASCENT_CHECK(d.dropout >= 0.f && d.dropout < 1.f) << "attention dropout " << d.dropout;
  ASCENT_CHECK(qkv.numel() == d.B * d.T * (d.NH + 2 * d.KVH) * d.HS)
      << "qkv " << qkv.shape_str() << " for B=" << d.B << " T=" << d.T << " NH=" << d.NH
      << " KVH=" << d.KVH << " HS=" << d.HS;
  ASCENT_CHECK(out.numel() == d.B * d.T * d.NH * d.HS) << "out " << out.shape_str();
  ASCENT_CHECK(lse.numel() == d.B * d.NH * d.T) << "lse " << lse.shape_str();
}

}  // namespace

void attention_forward(const AttentionDims& d, const Tensor& qkv, const Tensor& out,
                       const Tensor& lse) {
  check_dims(d, qkv, out, lse);
  const Layout L(d);
  const float* x = qkv.f32();
  float* o = out.f32();
  float* l = lse.f32();
  const std::vector<int32_t> starts = segment_starts(d);
  const int32_t* st = starts.empty() ? nullptr : starts.data();
  const int64_t blocks = (d.T + kBlock - 1) / kBlock, heads = d.B * d.NH;
#pragma omp parallel
  {
    Scratch s(d.T, d.HS, false, d.dropout > 0.f);
    // Largest (latest) query blocks first so the dynamic schedule ends balanced.
#pragma omp for schedule(dynamic, 1)
    for (int64_t u = 0; u < blocks * heads; ++u) {
      const int64_t blk = blocks - 1 - u / heads, bh = u % heads;
      const Block k = make_block(L, st, bh / d.NH, bh % d.NH, blk * kBlock);
      forward_block(L, d, k, x, o, l, s);
    }
  }
}

void attention_backward(const AttentionDims& d, const Tensor& qkv, const Tensor& out,
                        const Tensor& lse, const Tensor& dout, const Tensor& dqkv) {
  check_dims(d, qkv, out, lse);
  ASCENT_CHECK(dout.numel() == out.numel()) << "dout " << dout.shape_str();
  ASCENT_CHECK(dqkv.numel() == qkv.numel()) << "dqkv " << dqkv.shape_str();
  const Layout L(d);
  const float* x = qkv.f32();
  const float* o = out.f32();
  const float* l = lse.f32();
  const float* dy = dout.f32();
  float* dx = dqkv.f32();
  const std::vector<int32_t> starts = segment_starts(d);
  const int32_t* st = starts.empty() ? nullptr : starts.data();
  const int64_t blocks = (d.T + kBlock - 1) / kBlock;
  // One unit per (batch, kv head): it owns dk and dv of that head and dq of its query heads, so
  // the GQA sum over query heads runs in a fixed order without atomics.
#pragma omp parallel
  {
    Scratch s(d.T, d.HS, true, d.dropout > 0.f);
#pragma omp for schedule(dynamic, 1)
    for (int64_t u = 0; u < d.B * d.KVH; ++u) {
      const int64_t b = u / d.KVH, kvh = u % d.KVH;
      for (int64_t t = 0; t < d.T; ++t) {
        float* row = dx + (b * d.T + t) * L.W;
        std::fill_n(row + (d.NH + kvh) * d.HS, d.HS, 0.f);
        std::fill_n(row + (d.NH + d.KVH + kvh) * d.HS, d.HS, 0.f);
      }
      for (int64_t h = kvh * L.group; h < (kvh + 1) * L.group; ++h)
        for (int64_t blk = 0; blk < blocks; ++blk)
          backward_block(L, d, make_block(L, st, b, h, blk * kBlock), x, o, l, dy, dx, s);
    }
  }
}

}  // namespace ascent::kernels::cpu
