// matmul on oneDNN: one engine and stream for the process, one primitive per shape.
//
// Transposes are expressed as strides in the memory descriptors, so no operand is ever copied;
// accumulate == true adds a sum post-op (c += a*b reads c once inside the kernel).
//
// bf16 / f16: oneDNN 2.6 has fast kernels for them only on AVX-512 CPUs (bf16: avx512_core,
// f16: avx512_core_fp16); elsewhere it has none or only the reference loop. Then the operands are
// widened to f32 (exact) in per-thread scratch and the f32 kernel runs: the conversion is
// O(MK + NK) against O(MNK) work, and the result is the same f32-accumulated product.
#include <cstring>
#include <memory>
#include <mutex>
#include <oneapi/dnnl/dnnl.hpp>
#include <tuple>
#include <unordered_map>
#include <vector>

#include "kernels/cpu/cpu_kernels.h"

namespace ascent::kernels::cpu {
namespace {

using dnnl::memory;

struct MatmulKey {
  int64_t M, N, K;
  bool trans_a, trans_b, accumulate;
  DType dtype;
  bool operator==(const MatmulKey& o) const {
    return std::tie(M, N, K, trans_a, trans_b, accumulate, dtype) ==
           std::tie(o.M, o.N, o.K, o.trans_a, o.trans_b, o.accumulate, o.dtype);
  }
};

struct MatmulKeyHash {
  size_t operator()(const MatmulKey& k) const {
    size_t h = std::hash<int64_t>()(k.M);
    auto mix = [&h](size_t v) { h ^= v + 0x9e3779b97f4a7c15ull + (h << 6) + (h >> 2); };
    mix(std::hash<int64_t>()(k.N));
    mix(std::hash<int64_t>()(k.K));
    mix((size_t(k.trans_a) << 0) | (size_t(k.trans_b) << 1) | (size_t(k.accumulate) << 2) |
        (size_t(k.dtype) << 3));
    return h;
  }
};

struct MatmulPlan {
  memory::desc a_md, b_md, c_md;
  dnnl::matmul prim;
  bool widen = false;  // operands are bf16 / f16 but prim is the f32 kernel
};

dnnl::engine& cpu_engine() {
  static dnnl::engine engine(dnnl::engine::kind::cpu, 0);
  return engine;
}

dnnl::stream& cpu_stream() {
  static dnnl::stream stream(cpu_engine());
  return stream;
}

// Returns an empty primitive when oneDNN has no implementation, or only the reference one.
dnnl::matmul try_primitive(const MatmulKey& k, memory::data_type in, MatmulPlan* plan) {
  // op(a) [M, K]: a is [M, K] row-major, or [K, M] (then element (m, k) sits at k*M + m).
  plan->a_md =
      memory::desc({k.M, k.K}, in, k.trans_a ? memory::dims{1, k.M} : memory::dims{k.K, 1});
  plan->b_md =
      memory::desc({k.K, k.N}, in, k.trans_b ? memory::dims{1, k.K} : memory::dims{k.N, 1});
  plan->c_md = memory::desc({k.M, k.N}, memory::data_type::f32, memory::dims{k.N, 1});
  dnnl::primitive_attr attr;
  if (k.accumulate) {
    dnnl::post_ops ops;
    ops.append_sum(1.0f);
    attr.set_post_ops(ops);
  }
  try {
    dnnl::matmul::desc desc(plan->a_md, plan->b_md, plan->c_md);
    dnnl::matmul::primitive_desc pd(desc, attr, cpu_engine());
    if (in != memory::data_type::f32 && std::strncmp(pd.impl_info_str(), "ref", 3) == 0) return {};
    return dnnl::matmul(pd);
  } catch (const dnnl::error&) {
    return {};
  }
}

std::shared_ptr<const MatmulPlan> make_plan(const MatmulKey& k) {
  auto plan = std::make_shared<MatmulPlan>();
  if (k.dtype != DType::F32) {
    plan->prim = try_primitive(
        k, k.dtype == DType::BF16 ? memory::data_type::bf16 : memory::data_type::f16, plan.get());
    if (plan->prim) return plan;
    plan->widen = true;
  }
  plan->prim = try_primitive(k, memory::data_type::f32, plan.get());
  ASCENT_CHECK(bool(plan->prim)) << "oneDNN has no f32 matmul for M=" << k.M << " N=" << k.N
                                 << " K=" << k.K;
  return plan;
}

// f32 copy of a bf16 or f16 operand in scratch that lives as long as the calling thread.
float* widen(const Tensor& t, std::vector<float>& scratch) {
  size_t n = static_cast<size_t>(t.numel());
  if (scratch.size() < n) scratch.resize(n);
  if (t.dtype() == DType::BF16) {
    convert_bf16_to_f32(t.bf16(), scratch.data(), n);
  } else {
    convert_f16_to_f32(t.f16(), scratch.data(), n);
  }
  return scratch.data();
}

std::shared_ptr<const MatmulPlan> get_plan(const MatmulKey& k) {
  static std::mutex mu;
  static std::unordered_map<MatmulKey, std::shared_ptr<const MatmulPlan>, MatmulKeyHash> cache;
  std::lock_guard<std::mutex> lock(mu);
  auto it = cache.find(k);
  if (it != cache.end()) return it->second;
  auto plan = make_plan(k);
  cache.emplace(k, plan);
  return plan;
}

}  // namespace

void matmul(const Tensor& a, bool trans_a, const Tensor& b, bool trans_b, const Tensor& c,
            bool accumulate) {
  ASCENT_CHECK(a.ndim() == 2 && b.ndim() == 2 && c.ndim() == 2)
      << "matmul wants 2-d tensors, got " << a.shape_str() << " " << b.shape_str() << " "
      << c.shape_str();
  ASCENT_CHECK(a.dtype() == b.dtype() &&
               (a.dtype() == DType::F32 || a.dtype() == DType::BF16 || a.dtype() == DType::F16))
      << "matmul operands must both be f32, both bf16 or both f16, got " << dtype_name(a.dtype())
      << " and " << dtype_name(b.dtype());
  ASCENT_CHECK(c.dtype() == DType::F32) << "matmul output must be f32";
  const int64_t M = trans_a ? a.size(1) : a.size(0);
  const int64_t K = trans_a ? a.size(0) : a.size(1);
  const int64_t Kb = trans_b ? b.size(1) : b.size(0);
  const int64_t N = trans_b ? b.size(0) : b.size(1);
  ASCENT_CHECK(K == Kb && c.size(0) == M && c.size(1) == N)
      << "matmul shapes: a " << a.shape_str() << (trans_a ? "^T" : "") << " b " << b.shape_str()
      << (trans_b ? "^T" : "") << " c " << c.shape_str();
  if (M == 0 || N == 0) return;
  if (K == 0) {
    if (!accumulate) fill(c, 0.f);
    return;
  }
  auto plan = get_plan({M, N, K, trans_a, trans_b, accumulate, a.dtype()});
  void* a_ptr = a.data();
  void* b_ptr = b.data();
  if (plan->widen) {
    thread_local std::vector<float> a_scratch, b_scratch;
    a_ptr = widen(a, a_scratch);
    b_ptr = widen(b, b_scratch);
  }
  dnnl::engine& eng = cpu_engine();
  memory am(plan->a_md, eng, a_ptr);
  memory bm(plan->b_md, eng, b_ptr);
  memory cm(plan->c_md, eng, c.data());
  plan->prim.execute(cpu_stream(),
                     {{DNNL_ARG_SRC, am}, {DNNL_ARG_WEIGHTS, bm}, {DNNL_ARG_DST, cm}});
  cpu_stream().wait();
}

}  // namespace ascent::kernels::cpu
