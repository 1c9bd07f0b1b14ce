// Causal attention kernel against a naive double-precision reference (full softmax per row), its
// gradients against the reference's analytic gradient and against central finite differences of
// sum(out * w), plus determinism across thread counts. The same checks run with attention dropout,
// the reference regenerating the mask through kernels::dropout_keep (the shared mask rule), and
// with segment ids (packed rows: a query sees only earlier keys of its own segment).
#include <gtest/gtest.h>
#include <omp.h>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <limits>
#include <ostream>
#include <random>
#include <sstream>
#include <vector>

#include "core/tensor.h"
#include "kernels/kernels.h"

namespace ascent::kernels {
namespace {

struct Shape {
  int64_t B, T, NH, KVH, HS;
  bool alibi;
  int fd_samples;  // finite-difference coordinates checked per q / k / v part
};

void PrintTo(const Shape& s, std::ostream* os) {
  *os << "B" << s.B << "_T" << s.T << "_NH" << s.NH << "_KVH" << s.KVH << "_HS" << s.HS
      << (s.alibi ? "_alibi" : "");
}

// Everything one case needs: inputs, kernel results and the reference's view of the same data.
struct Case {
  Shape s;
  int64_t W;                  // qkv row width (NH + 2*KVH) * HS
  std::vector<float> slopes;  // [NH]
  AttentionDims d;
  OwnedTensor qkv, out, lse, dout, dqkv;

  // dropout > 0 drops the probabilities with the mask of (dropout_seed, dropout_stream).
  std::vector<int32_t> seg;  // [B*T] segment ids, or empty (causal only)

  explicit Case(const Shape& shape, uint32_t seed = 1, float dropout = 0.f,
                uint64_t dropout_seed = 0, uint64_t dropout_stream = 0)
      : s(shape),
        W((shape.NH + 2 * shape.KVH) * shape.HS),
        qkv(DType::F32, {shape.B * shape.T, W}),
        out(DType::F32, {shape.B * shape.T, shape.NH * shape.HS}),
        lse(DType::F32, {shape.B, shape.NH, shape.T}),
        dout(DType::F32, {shape.B * shape.T, shape.NH * shape.HS}),
        dqkv(DType::F32, {shape.B * shape.T, W}) {
    for (int64_t h = 0; h < s.NH; ++h) slopes.push_back(std::ldexp(1.f, -static_cast<int>(h) - 1));
    d.B = s.B, d.T = s.T, d.NH = s.NH, d.KVH = s.KVH, d.HS = s.HS;
    d.scale = 1.f / std::sqrt(static_cast<float>(s.HS));
    d.alibi_slopes = s.alibi ? slopes.data() : nullptr;
    d.dropout = dropout, d.dropout_seed = dropout_seed, d.dropout_stream = dropout_stream;
    std::mt19937 gen(seed);
    std::normal_distribution<float> normal(0.f, 1.f);
    for (int64_t i = 0; i < qkv->numel(); ++i) qkv->f32()[i] = normal(gen);
    for (int64_t i = 0; i < dout->numel(); ++i) dout->f32()[i] = normal(gen);
  }
  // Splits every row into segments of the given lengths (cycled until the row is full).
  void set_segments(const std::vector<int64_t>& lengths) {
    seg.resize(static_cast<size_t>(s.B * s.T));
    size_t next = 0;
    int32_t id = 5;  // ids need not start at 0
    for (int64_t b = 0; b < s.B; ++b) {
      int64_t left = 0;
      for (int64_t t = 0; t < s.T; ++t) {
        if (left == 0) left = lengths[next++ % lengths.size()], id += 1 + static_cast<int32_t>(b);
        seg[b * s.T + t] = id;
        --left;
      }
    }
    d.segment_ids = seg.data();
  }
  // Whether query i sees key j in batch row b.
  bool visible(int64_t b, int64_t i, int64_t j) const {
    return j <= i && (seg.empty() || seg[b * s.T + i] == seg[b * s.T + j]);
  }
  void forward() { attention_forward(d, *qkv, *out, *lse); }
  void backward() { attention_backward(d, *qkv, *out, *lse, *dout, *dqkv); }
};

// ---------------------------------------------------------------- double reference
// M[i, j] / (1 - p) of query i, key j (1 without dropout).
double keep_scale(const Case& c, int64_t b, int64_t h, int64_t i, int64_t j) {
  const AttentionDims& d = c.d;
  if (d.dropout == 0.f) return 1.0;
  const bool keep = dropout_keep(d.dropout_seed, d.dropout_stream,
                                 attention_dropout_index(d, b, h, i, j), d.dropout);
  return keep ? 1.0 / (1.0 - static_cast<double>(d.dropout)) : 0.0;
}

// One (batch, head) of the forward: out_h [T, HS] and lse_h [T], from qkv in double.
void ref_head(const Case& c, const std::vector<double>& x, int64_t b, int64_t h,
              std::vector<double>& out_h, std::vector<double>& lse_h) {
  const Shape& s = c.s;
  const int64_t kv = h / (s.NH / s.KVH);
  const double slope = s.alibi ? c.slopes[h] : 0.0;
  out_h.assign(s.T * s.HS, 0.0);
  lse_h.assign(s.T, 0.0);
  std::vector<double> p(s.T);
  for (int64_t i = 0; i < s.T; ++i) {
    const double* q = &x[(b * s.T + i) * c.W + h * s.HS];
    double mx = -std::numeric_limits<double>::infinity();
    for (int64_t j = 0; j <= i; ++j) {
      if (!c.visible(b, i, j)) continue;
      const double* k = &x[(b * s.T + j) * c.W + (s.NH + kv) * s.HS];
      double dot = 0;
      for (int64_t e = 0; e < s.HS; ++e) dot += q[e] * k[e];
      p[j] = c.d.scale * dot + slope * static_cast<double>(j - i);
      mx = std::max(mx, p[j]);
    }
    double sum = 0;
    for (int64_t j = 0; j <= i; ++j)
      if (c.visible(b, i, j)) sum += (p[j] = std::exp(p[j] - mx));
    lse_h[i] = mx + std::log(sum);
    for (int64_t j = 0; j <= i; ++j) {
      if (!c.visible(b, i, j)) continue;
      const double* v = &x[(b * s.T + j) * c.W + (s.NH + s.KVH + kv) * s.HS];
      const double pd = p[j] / sum * keep_scale(c, b, h, i, j);
      for (int64_t e = 0; e < s.HS; ++e) out_h[i * s.HS + e] += pd * v[e];
    }
  }
}

std::vector<double> to_double(const Tensor& t) {
  return std::vector<double>(t.f32(), t.f32() + t.numel());
}

// Analytic gradient of sum(out * dout) w.r.t. qkv, naive per-row softmax backward in double.
std::vector<double> ref_backward(const Case& c) {
  const Shape& s = c.s;
  const std::vector<double> x = to_double(c.qkv.t), dy = to_double(c.dout.t);
  std::vector<double> dx(x.size(), 0.0), out_h, lse_h, p(s.T), dp(s.T);
  const int64_t C = s.NH * s.HS;
  for (int64_t b = 0; b < s.B; ++b) {
    for (int64_t h = 0; h < s.NH; ++h) {
      ref_head(c, x, b, h, out_h, lse_h);
      const int64_t kv = h / (s.NH / s.KVH);
      const double slope = s.alibi ? c.slopes[h] : 0.0;
      auto at = [&](int64_t t, int64_t col) { return (b * s.T + t) * c.W + col * s.HS; };
      for (int64_t i = 0; i < s.T; ++i) {
        const double* g = &dy[(b * s.T + i) * C + h * s.HS];
        double D = 0;  // sum_j p_j dp_j
        for (int64_t j = 0; j <= i; ++j) {
          if (!c.visible(b, i, j)) continue;
          double qk = 0, gv = 0;
          for (int64_t e = 0; e < s.HS; ++e) {
            qk += x[at(i, h) + e] * x[at(j, s.NH + kv) + e];
            gv += g[e] * x[at(j, s.NH + s.KVH + kv) + e];
          }
          p[j] = std::exp(c.d.scale * qk + slope * static_cast<double>(j - i) - lse_h[i]);
          dp[j] = gv * keep_scale(c, b, h, i, j);
          D += p[j] * dp[j];
        }
        for (int64_t j = 0; j <= i; ++j) {
          if (!c.visible(b, i, j)) continue;
          const double ds = p[j] * (dp[j] - D) * c.d.scale;
          const double pd = p[j] * keep_scale(c, b, h, i, j);
          for (int64_t e = 0; e < s.HS; ++e) {
            dx[at(i, h) + e] += ds * x[at(j, s.NH + kv) + e];
            dx[at(j, s.NH + kv) + e] += ds * x[at(i, h) + e];
            dx[at(j, s.NH + s.KVH + kv) + e] += pd * g[e];
          }
        }
      }
    }
  }
  return dx;
}

// sum(out * dout) over the heads that qkv column `col` can influence, in double.
double objective(const Case& c, const std::vector<double>& x, int64_t b, int64_t col) {
  const Shape& s = c.s;
  const int64_t head = col / s.HS, group = s.NH / s.KVH;
  int64_t h0 = head, h1 = head + 1;  // a query column touches its own head
  if (head >= s.NH) {                // a key / value column touches every head of its group
    const int64_t kv = (head - s.NH) % s.KVH;
    h0 = kv * group, h1 = h0 + group;
  }
  std::vector<double> out_h, lse_h;
  double f = 0;
  for (int64_t h = h0; h < h1; ++h) {
    ref_head(c, x, b, h, out_h, lse_h);
    for (int64_t t = 0; t < s.T; ++t)
      for (int64_t e = 0; e < s.HS; ++e)
        f += out_h[t * s.HS + e] * c.dout.t.f32()[(b * s.T + t) * s.NH * s.HS + h * s.HS + e];
  }
  return f;
}

// |got - want| <= tol * (1 + |want|) elementwise; reports the worst element.
void expect_close(const float* got, const std::vector<double>& want, double tol, const char* what) {
  double worst = 0;
  size_t at = 0;
  for (size_t i = 0; i < want.size(); ++i) {
    const double err = std::abs(got[i] - want[i]) / (1.0 + std::abs(want[i]));
    if (!(err <= worst)) worst = err, at = i;  // also catches NaN
  }
  EXPECT_LE(worst, tol) << what << " element " << at << ": got " << got[at] << " want " << want[at];
}

void check_forward(Case& c) {
  c.forward();
  const Shape& s = c.s;
  const std::vector<double> x = to_double(c.qkv.t);
  std::vector<double> want_out(c.out->numel()), want_lse(c.lse->numel()), out_h, lse_h;
  for (int64_t b = 0; b < s.B; ++b) {
    for (int64_t h = 0; h < s.NH; ++h) {
      ref_head(c, x, b, h, out_h, lse_h);
      for (int64_t t = 0; t < s.T; ++t) {
        want_lse[(b * s.NH + h) * s.T + t] = lse_h[t];
        for (int64_t e = 0; e < s.HS; ++e)
          want_out[(b * s.T + t) * s.NH * s.HS + h * s.HS + e] = out_h[t * s.HS + e];
      }
    }
  }
  expect_close(c.out->f32(), want_out, 2e-5, "out");
  expect_close(c.lse->f32(), want_lse, 2e-6, "lse");
}

void check_backward(Case& c) {
  const Shape& s = c.s;
  c.forward();
  // dqkv is overwritten entirely: start from garbage.
  std::fill_n(c.dqkv->f32(), c.dqkv->numel(), std::numeric_limits<float>::quiet_NaN());
  c.backward();
  const std::vector<double> want = ref_backward(c);
  expect_close(c.dqkv->f32(), want, 5e-5, "dqkv vs analytic reference");

  // Central differences of sum(out * dout) in double, at random coordinates of each part.
  std::vector<double> x = to_double(c.qkv.t);
  std::mt19937 gen(7);
  const double step = 1e-4;
  const char* const kPart[] = {"q", "k", "v"};
  for (int part = 0; part < 3; ++part) {
    const int64_t col0 = part == 0 ? 0 : (s.NH + (part - 1) * s.KVH) * s.HS;
    const int64_t cols = (part == 0 ? s.NH : s.KVH) * s.HS;
    for (int n = 0; n < s.fd_samples; ++n) {
      const int64_t row = std::uniform_int_distribution<int64_t>(0, s.B * s.T - 1)(gen);
      const int64_t col = col0 + std::uniform_int_distribution<int64_t>(0, cols - 1)(gen);
      const size_t i = row * c.W + col;
      const double x0 = x[i];
      x[i] = x0 + step;
      const double fp = objective(c, x, row / s.T, col);
      x[i] = x0 - step;
      const double fm = objective(c, x, row / s.T, col);
      x[i] = x0;
      const double fd = (fp - fm) / (2 * step);
      EXPECT_NEAR(c.dqkv->f32()[i], fd, 5e-5 * (1 + std::abs(fd)))
          << kPart[part] << " part, row " << row << " col " << col;
    }
  }
}

class AttentionTest : public ::testing::TestWithParam<Shape> {};

TEST_P(AttentionTest, ForwardMatchesReference) {
  Case c(GetParam());
  check_forward(c);
}

TEST_P(AttentionTest, BackwardMatchesReferenceAndFiniteDifferences) {
  Case c(GetParam());
  check_backward(c);
}

INSTANTIATE_TEST_SUITE_P(
    Shapes, AttentionTest,
    ::testing::Values(Shape{1, 1, 1, 1, 8, false, 4},      // single token
                      Shape{2, 7, 2, 2, 8, true, 12},      // odd T, ALiBi
                      Shape{1, 9, 3, 1, 5, true, 12},      // head size below one vector, MQA
                      Shape{2, 33, 6, 2, 48, true, 10},    // GQA, odd T
                      Shape{1, 33, 4, 1, 64, false, 10},   // MQA
                      Shape{2, 100, 6, 3, 24, false, 6},   // GQA, two query blocks
                      Shape{1, 70, 4, 2, 20, true, 6},     // head size 16 + 4 edge columns
                      Shape{1, 130, 2, 2, 128, true, 4},   // partial last block, HS 128
                      Shape{2, 256, 6, 6, 48, false, 3},   // R1 shape (B reduced)
                      Shape{1, 256, 6, 2, 48, true, 3},    // R1 GQA with ALiBi
                      Shape{1, 4096, 1, 1, 8, false, 1}),  // long sequence
    [](const ::testing::TestParamInfo<Shape>& info) {
      std::ostringstream os;
      PrintTo(info.param, &os);
      return os.str();
    });

// With dropout: the same reference and finite-difference checks, the mask fixed by the key.
struct DropoutShape {
  Shape shape;
  float p;
};

void PrintTo(const DropoutShape& s, std::ostream* os) {
  PrintTo(s.shape, os);
  *os << "_p" << static_cast<int>(std::lround(s.p * 100));
}

class AttentionDropoutTest : public ::testing::TestWithParam<DropoutShape> {};

TEST_P(AttentionDropoutTest, ForwardMatchesReference) {
  Case c(GetParam().shape, 1, GetParam().p, 99, 5);
  check_forward(c);
}

TEST_P(AttentionDropoutTest, BackwardMatchesReferenceAndFiniteDifferences) {
  Case c(GetParam().shape, 1, GetParam().p, 99, 5);
  check_backward(c);
}

INSTANTIATE_TEST_SUITE_P(
    Shapes, AttentionDropoutTest,
    ::testing::Values(DropoutShape{{1, 1, 1, 1, 8, false, 4}, 0.5f},     // single token
                      DropoutShape{{2, 7, 2, 2, 8, true, 12}, 0.3f},     // odd T, ALiBi
                      DropoutShape{{1, 9, 3, 1, 5, true, 12}, 0.1f},     // MQA, tiny head
                      DropoutShape{{2, 33, 6, 2, 48, true, 10}, 0.2f},   // GQA, odd T
                      DropoutShape{{2, 100, 6, 3, 24, false, 6}, 0.1f},  // two query blocks
                      DropoutShape{{1, 130, 2, 2, 128, true, 4}, 0.5f},  // partial last block
                      DropoutShape{{1, 256, 6, 2, 48, true, 3}, 0.1f},   // R1 GQA with ALiBi
                      DropoutShape{{1, 200, 2, 1, 16, false, 4}, 0.9f}), // almost all dropped
    [](const ::testing::TestParamInfo<DropoutShape>& info) {
      std::ostringstream os;
      PrintTo(info.param, &os);
      return os.str();
    });

// With segments: rows cut into runs of the given lengths (cycled), with and without dropout.
struct SegmentShape {
  Shape shape;
  std::vector<int64_t> lengths;
  float p;
};

void PrintTo(const SegmentShape& s, std::ostream* os) {
  PrintTo(s.shape, os);
  *os << "_seg";
  for (int64_t n : s.lengths) *os << "_" << n;
  if (s.p > 0.f) *os << "_p" << static_cast<int>(std::lround(s.p * 100));
}

class AttentionSegmentTest : public ::testing::TestWithParam<SegmentShape> {};

TEST_P(AttentionSegmentTest, ForwardMatchesReference) {
  Case c(GetParam().shape, 3, GetParam().p, 11, 2);
  c.set_segments(GetParam().lengths);
  check_forward(c);
}

TEST_P(AttentionSegmentTest, BackwardMatchesReferenceAndFiniteDifferences) {
  Case c(GetParam().shape, 3, GetParam().p, 11, 2);
  c.set_segments(GetParam().lengths);
  check_backward(c);
}

INSTANTIATE_TEST_SUITE_P(
    Shapes, AttentionSegmentTest,
    ::testing::Values(
        SegmentShape{{1, 1, 1, 1, 8, false, 4}, {1}, 0.f},                // single token
        SegmentShape{{2, 9, 2, 2, 8, true, 12}, {1}, 0.f},                // every token alone
        SegmentShape{{2, 17, 3, 1, 5, true, 12}, {3, 1, 6}, 0.f},         // MQA, short runs
        SegmentShape{{2, 100, 6, 3, 24, false, 8}, {30, 50, 7}, 0.f},     // across a block edge
        SegmentShape{{1, 200, 4, 2, 20, true, 6}, {64, 1, 70, 13}, 0.f},  // block-aligned start
        SegmentShape{{2, 256, 6, 2, 48, false, 3}, {100, 156}, 0.f},      // R1 GQA, two samples
        SegmentShape{{1, 300, 2, 2, 32, true, 4}, {150, 2, 120}, 0.f},    // long segment, ALiBi
        SegmentShape{{2, 33, 6, 2, 48, true, 10}, {10, 20}, 0.2f},        // dropout
        SegmentShape{{1, 150, 2, 1, 16, false, 4}, {70, 9, 80}, 0.3f}),   // dropout, two blocks
    [](const ::testing::TestParamInfo<SegmentShape>& info) {
      std::ostringstream os;
      PrintTo(info.param, &os);
      return os.str();
    });

// A packed row [A | B] gives A's and B's outputs and gradients when each runs as its own row.
TEST(Attention, PackedRowMatchesSeparateRows) {
  const int64_t TA = 70, TB = 90, NH = 4, KVH = 2, HS = 16;
  for (bool alibi : {false, true}) {
    SCOPED_TRACE(alibi);
    Case packed(Shape{1, TA + TB, NH, KVH, HS, alibi, 0});
    packed.set_segments({TA, TB});
    packed.forward();
    packed.backward();
    const int64_t W = packed.W, C = NH * HS;
    for (int part = 0; part < 2; ++part) {
      const int64_t first = part == 0 ? 0 : TA, T = part == 0 ? TA : TB;
      Case alone(Shape{1, T, NH, KVH, HS, alibi, 0});
      std::copy_n(packed.qkv->f32() + first * W, T * W, alone.qkv->f32());
      std::copy_n(packed.dout->f32() + first * C, T * C, alone.dout->f32());
      alone.forward();
      alone.backward();
      for (int64_t i = 0; i < T * C; ++i)
        ASSERT_NEAR(packed.out->f32()[first * C + i], alone.out->f32()[i], 1e-5)
            << part << " " << i;
      for (int64_t h = 0; h < NH; ++h)
        for (int64_t t = 0; t < T; ++t)
          ASSERT_NEAR(packed.lse->f32()[h * (TA + TB) + first + t], alone.lse->f32()[h * T + t],
                      1e-5);
      for (int64_t i = 0; i < T * W; ++i)
        ASSERT_NEAR(packed.dqkv->f32()[first * W + i], alone.dqkv->f32()[i], 1e-5)
            << part << " " << i;
    }
  }
}

// One segment per row is plain causal attention, bit for bit.
TEST(Attention, OneSegmentPerRowIsCausal) {
  const Shape s{2, 150, 6, 2, 32, true, 0};
  Case plain(s), one(s);
  one.set_segments({s.T});
  for (Case* c : {&plain, &one}) c->forward(), c->backward();
  EXPECT_TRUE(std::equal(plain.out->f32(), plain.out->f32() + plain.out->numel(), one.out->f32()));
  EXPECT_TRUE(std::equal(plain.lse->f32(), plain.lse->f32() + plain.lse->numel(), one.lse->f32()));
  EXPECT_TRUE(
      std::equal(plain.dqkv->f32(), plain.dqkv->f32() + plain.dqkv->numel(), one.dqkv->f32()));
}

struct Results {
  std::vector<float> out, lse, dqkv;
};

Results run(const Shape& s, int threads, float p, uint64_t seed, uint64_t stream,
            const std::vector<int64_t>& segments = {}) {
  const int saved = omp_get_max_threads();
  omp_set_num_threads(threads);
  Case c(s, 1, p, seed, stream);
  if (!segments.empty()) c.set_segments(segments);
  c.forward();
  c.backward();
  omp_set_num_threads(saved);
  return {std::vector<float>(c.out->f32(), c.out->f32() + c.out->numel()),
          std::vector<float>(c.lse->f32(), c.lse->f32() + c.lse->numel()),
          std::vector<float>(c.dqkv->f32(), c.dqkv->f32() + c.dqkv->numel())};
}

// Results must not depend on the number of threads (GQA dk/dv sums run in a fixed order; the
// dropout mask depends only on the element).
TEST(Attention, DeterministicAcrossThreadCounts) {
  const Shape s{2, 150, 6, 2, 32, true, 0};
  for (float p : {0.f, 0.25f}) {
    SCOPED_TRACE(p);
    const Results one = run(s, 1, p, 7, 3);
    const Results seg = run(s, 1, p, 7, 3, {40, 90});
    for (int threads : {2, 3}) {
      const Results r = run(s, threads, p, 7, 3);
      const Results rs = run(s, threads, p, 7, 3, {40, 90});
      EXPECT_EQ(seg.out, rs.out) << threads << " threads, segments";
      EXPECT_EQ(seg.dqkv, rs.dqkv) << threads << " threads, segments";
      EXPECT_EQ(one.out, r.out) << threads << " threads";
      EXPECT_EQ(one.lse, r.lse) << threads << " threads";
      EXPECT_EQ(one.dqkv, r.dqkv) << threads << " threads";
    }
  }
}

// p == 0 is exactly the kernel without dropout, whatever the key.
TEST(Attention, ZeroDropoutIsBitIdentical) {
  const Shape s{2, 100, 6, 3, 24, true, 0};
  const Results plain = run(s, 2, 0.f, 0, 0), keyed = run(s, 2, 0.f, 12345, 678);
  EXPECT_EQ(plain.out, keyed.out);
  EXPECT_EQ(plain.lse, keyed.lse);
  EXPECT_EQ(plain.dqkv, keyed.dqkv);
}

// Dropout leaves lse (the undropped normaliser) alone, changes the output, and the key chooses
// the mask: equal keys agree bit for bit, another seed or stream does not.
TEST(Attention, DropoutKeyChoosesTheMask) {
  const Shape s{1, 70, 4, 2, 16, false, 0};
  const Results plain = run(s, 2, 0.f, 0, 0);
  const Results a = run(s, 2, 0.2f, 1, 1), again = run(s, 2, 0.2f, 1, 1);
  const Results other_seed = run(s, 2, 0.2f, 2, 1), other_stream = run(s, 2, 0.2f, 1, 2);
  EXPECT_EQ(plain.lse, a.lse);
  EXPECT_NE(plain.out, a.out);
  EXPECT_EQ(a.out, again.out);
  EXPECT_EQ(a.dqkv, again.dqkv);
  EXPECT_NE(a.out, other_seed.out);
  EXPECT_NE(a.out, other_stream.out);
}

// Large scores: the softmax must stay finite and match the reference (max subtraction works).
TEST(Attention, LargeScoresStayFinite) {
  Case c(Shape{1, 70, 2, 1, 16, true, 0});
  for (int64_t i = 0; i < c.qkv->numel(); ++i) c.qkv->f32()[i] *= 12.f;
  c.forward();
  c.backward();
  for (int64_t i = 0; i < c.out->numel(); ++i) ASSERT_TRUE(std::isfinite(c.out->f32()[i])) << i;
  for (int64_t i = 0; i < c.dqkv->numel(); ++i) ASSERT_TRUE(std::isfinite(c.dqkv->f32()[i])) << i;
  const std::vector<double> want = ref_backward(c);
  double scale = 0;
  for (double w : want) scale = std::max(scale, std::abs(w));
  for (size_t i = 0; i < want.size(); ++i)
    ASSERT_NEAR(c.dqkv->f32()[i], want[i], 1e-4 * (1 + scale)) << i;
}

// Segment ids must not decrease within a row (a segment is one run of tokens).
TEST(AttentionDeathTest, RejectsDecreasingSegmentIds) {
  Case c(Shape{1, 8, 1, 1, 8, false, 0});
  c.set_segments({4});
  std::swap(c.seg[2], c.seg[5]);
  EXPECT_DEATH(c.forward(), "segment ids decrease");
}

}  // namespace
}  // namespace ascent::kernels
