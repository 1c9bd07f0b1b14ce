#include "inference/decode_attention.h"

#include <algorithm>
#include <cmath>
#include <limits>
#include <vector>

#include "core/error.h"

namespace ascent::inference {
namespace {

float dot(const float* a, const float* b, int64_t n) {
  float s = 0.f;
#pragma omp simd reduction(+ : s)
  for (int64_t d = 0; d < n; ++d) s += a[d] * b[d];
  return s;
}

// One query row of one head: o [HS] (=) softmax(scores over keys [0, len)) V.
// scores [len] is scratch. `bias_step` is the ALiBi slope (0 without ALiBi); the query sits at
// position len - 1, so key j gets slope * (j - (len - 1)).
void attend_one(const float* q, const float* K, const float* V, int64_t len, int64_t HS,
                float scale, float slope, float* scores, float* o) {
  float mx = -std::numeric_limits<float>::infinity();
  const int64_t qpos = len - 1;
  for (int64_t j = 0; j < len; ++j) {
    const float s = scale * dot(q, K + j * HS, HS) + slope * static_cast<float>(j - qpos);
    scores[j] = s;
    mx = std::max(mx, s);
  }
  float sum = 0.f;
  for (int64_t j = 0; j < len; ++j) {
    scores[j] = std::exp(scores[j] - mx);
    sum += scores[j];
  }
  std::fill(o, o + HS, 0.f);
  for (int64_t j = 0; j < len; ++j) {
    const float p = scores[j];
    const float* v = V + j * HS;
#pragma omp simd
    for (int64_t d = 0; d < HS; ++d) o[d] += p * v[d];
  }
  const float inv = 1.f / sum;
  for (int64_t d = 0; d < HS; ++d) o[d] *= inv;
}

}  // namespace

void decode_attention(const DecodeAttentionDims& d, const Tensor& qkv, const KvCache& cache,
                      int64_t layer, std::span<const SeqRows> seqs, const Tensor& out) {
  const int64_t NH = d.NH, KVH = cache.kv_heads(), HS = cache.head_size();
  ASCENT_CHECK(NH > 0 && NH % KVH == 0) << "decode_attention: NH " << NH << " KVH " << KVH;
  ASCENT_CHECK(qkv.ndim() == 2 && qkv.size(1) >= NH * HS && out.ndim() == 2 &&
               out.size(0) == qkv.size(0) && out.size(1) == NH * HS)
      << "decode_attention: qkv " << qkv.shape_str() << " out " << out.shape_str();
  // Row -> sequence map, and the longest key range (scratch size).
  const int64_t N = qkv.size(0);
  std::vector<int32_t> seq_of(static_cast<size_t>(N), -1);
  int64_t max_len = 0;
  for (size_t s = 0; s < seqs.size(); ++s) {
    const SeqRows& r = seqs[s];
    ASCENT_CHECK(r.n > 0 && r.row0 >= 0 && r.row0 + r.n <= N && r.past >= 0 &&
                 r.past + r.n <= cache.max_T())
        << "decode_attention: sequence " << s << " rows [" << r.row0 << ", " << r.row0 + r.n
        << ") past " << r.past << " of " << N << " rows, max_T " << cache.max_T();
    for (int64_t i = 0; i < r.n; ++i) seq_of[static_cast<size_t>(r.row0 + i)] = static_cast<int32_t>(s);
    max_len = std::max(max_len, r.past + r.n);
  }
  const int64_t rep = NH / KVH, W = qkv.size(1);
  const float* pq = qkv.f32();
  float* po = out.f32();
  const int64_t items = N * NH;

#pragma omp parallel if (items * max_len * HS > 65536)
  {
    std::vector<float> scores(static_cast<size_t>(max_len));
#pragma omp for schedule(dynamic, 4)
    for (int64_t it = 0; it < items; ++it) {
      const int64_t row = it / NH, h = it % NH;
      const int32_t s = seq_of[static_cast<size_t>(row)];
      if (s < 0) continue;  // a row no sequence names: left as is
      const SeqRows& r = seqs[static_cast<size_t>(s)];
      const int64_t len = r.past + (row - r.row0) + 1, g = h / rep;
      const float slope = d.alibi_slopes ? d.alibi_slopes[h] : 0.f;
      attend_one(pq + row * W + h * HS, cache.k(layer, r.slot, g), cache.v(layer, r.slot, g), len,
                 HS, d.scale, slope, scores.data(), po + row * NH * HS + h * HS);
    }
  }
}

}  // namespace ascent::inference
