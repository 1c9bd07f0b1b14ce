#pragma once
// Shared pieces of the kernel tests: deterministic random data, comparison against naive
// double-precision references, central finite differences of those references, and running a
// kernel under a given OpenMP thread count.
//
// Pattern of a backward test: the scalar L(inputs) = sum(dy * reference_forward(inputs)) in
// double; the kernel's backward with that dy must match dL/dinput by central differences on a
// sample of coordinates. Accumulating outputs start from random values, so `+=` is checked too.
#include <gtest/gtest.h>
#include <omp.h>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <cstring>
#include <functional>
#include <initializer_list>
#include <sstream>
#include <string>
#include <vector>

#include "core/rng.h"
#include "core/tensor.h"

namespace ascent::test {

using Vec = std::vector<double>;

// f32 tensor of the given shape filled with N(mean, std^2) from Philox stream `stream`.
inline OwnedTensor randn(std::initializer_list<int64_t> shape, uint64_t stream, float std = 1.f,
                         float mean = 0.f) {
  OwnedTensor t(DType::F32, shape);
  Rng(1234, stream).fill_normal(t->f32(), static_cast<uint64_t>(t->numel()), std);
  float* p = t->f32();
  for (int64_t i = 0; i < t->numel(); ++i) p[i] += mean;
  return t;
}

inline OwnedTensor zeros(std::initializer_list<int64_t> shape) {
  return OwnedTensor(DType::F32, shape);
}

// Values of an f32, bf16 or f16 tensor as doubles (exact).
inline Vec to_vec(const Tensor& t) {
  Vec v(static_cast<size_t>(t.numel()));
  for (size_t i = 0; i < v.size(); ++i) {
    switch (t.dtype()) {
      case DType::F32:
        v[i] = t.f32()[i];
        break;
      case DType::BF16:
        v[i] = bf16_to_f32(t.bf16()[i]);
        break;
      case DType::F16:
        v[i] = f16_to_f32(t.f16()[i]);
        break;
    }
  }
  return v;
}

inline OwnedTensor copy_of(const Tensor& t) {
  OwnedTensor c(t.dtype(), {t.numel()});
  copy_convert(t, *c);
  c.t = Tensor(c.buf.data(), t.dtype(), t.shape(), t.ndim());
  return c;
}

// max_i |got_i - want_i| / max(max_i |want_i|, floor) <= tol; on failure names the worst element.
inline ::testing::AssertionResult near(const Vec& got, const Vec& want, double tol,
                                       double floor = 1e-30) {
  if (got.size() != want.size())
    return ::testing::AssertionFailure() << "size " << got.size() << " vs " << want.size();
  double scale = floor, worst = 0.0;
  size_t at = 0;
  for (size_t i = 0; i < want.size(); ++i) scale = std::max(scale, std::abs(want[i]));
  for (size_t i = 0; i < want.size(); ++i) {
    const double e = std::abs(got[i] - want[i]);
    if (!(e <= worst)) {  // also catches NaN
      worst = e;
      at = i;
    }
  }
  if (worst / scale <= tol) return ::testing::AssertionSuccess();
  return ::testing::AssertionFailure()
         << "relative error " << worst / scale << " > " << tol << " at element " << at << ": got "
         << got[at] << ", want " << want[at] << " (scale " << scale << ")";
}

inline ::testing::AssertionResult near(const Tensor& got, const Vec& want, double tol,
                                       double floor = 1e-30) {
  return near(to_vec(got), want, tol, floor);
}

// Bitwise equality of two f32 tensors (determinism checks).
inline ::testing::AssertionResult bitwise_equal(const Tensor& a, const Tensor& b) {
  if (a.nbytes() != b.nbytes()) return ::testing::AssertionFailure() << "sizes differ";
  if (std::memcmp(a.data(), b.data(), a.nbytes()) == 0) return ::testing::AssertionSuccess();
  return ::testing::AssertionFailure() << "contents differ";
}

// Up to k distinct coordinates of [0, n), spread deterministically (all when n <= k).
inline std::vector<size_t> sample_indices(size_t n, size_t k) {
  std::vector<size_t> idx;
  if (n <= k) {
    for (size_t i = 0; i < n; ++i) idx.push_back(i);
    return idx;
  }
  for (size_t i = 0; i < k; ++i) idx.push_back((i * 2654435761u + 7) % n);
  std::sort(idx.begin(), idx.end());
  idx.erase(std::unique(idx.begin(), idx.end()), idx.end());
  return idx;
}

// Checks grad (analytic, all coordinates of x) against central differences of the double
// function f at the sampled coordinates of x. The error is relative to the largest sampled
// derivative, or to 1e-2 when all derivatives are smaller (a vanishing gradient is then checked
// with an absolute tolerance; the test data are O(1)).
inline ::testing::AssertionResult matches_finite_diff(const std::function<double(const Vec&)>& f,
                                                      Vec x, const Vec& grad, double tol,
                                                      size_t samples = 48, double h = 1e-5) {
  const std::vector<size_t> idx = sample_indices(x.size(), samples);
  Vec fd, an;
  for (size_t i : idx) {
    const double x0 = x[i];
    x[i] = x0 + h;
    const double up = f(x);
    x[i] = x0 - h;
    const double down = f(x);
    x[i] = x0;
    fd.push_back((up - down) / (2 * h));
    an.push_back(grad[i]);
  }
  return near(an, fd, tol, 1e-2);
}

// sum_i w_i * y_i
inline double dot(const Vec& w, const Vec& y) {
  double s = 0.0;
  for (size_t i = 0; i < w.size(); ++i) s += w[i] * y[i];
  return s;
}

// Element-wise a - b.
inline Vec minus(const Vec& a, const Vec& b) {
  Vec d(a.size());
  for (size_t i = 0; i < a.size(); ++i) d[i] = a[i] - b[i];
  return d;
}

// Runs fn with OpenMP limited to `threads` threads, restoring the previous setting.
template <typename Fn>
void with_threads(int threads, Fn fn) {
  const int before = omp_get_max_threads();
  omp_set_num_threads(threads);
  fn();
  omp_set_num_threads(before);
}

// Shapes shared by the row-wise kernels: odd widths, a single row, more rows than a chunk.
struct RowShape {
  int64_t N, C;
};
inline constexpr RowShape kRowShapes[] = {{1, 7}, {5, 33}, {64, 288}, {37, 1}, {3, 1000}};

inline std::string shape_name(int64_t a, int64_t b) {
  std::ostringstream os;
  os << "[" << a << ", " << b << "]";
  return os.str();
}

}  // namespace ascent::test
