// Checks of the dense kernels: matmul, elementwise, normalisation, MLP activations, optimizer.
#include <cmath>

#include "kernels/check/call_check.h"
#include "kernels/check/check_backend.h"
#include "kernels/check/check_util.h"

namespace ascent::kernels::check {
namespace {

bool float_dtype(DType t) { return t == DType::F32 || t == DType::BF16 || t == DType::F16; }

// Rows of a [..., C] f32 activation: {N, C}.
std::pair<int64_t, int64_t> rows(const CallCheck& c, const char* arg, const Tensor& x) {
  c.require_f32(arg, x);
  c.require(x.ndim() >= 1, arg, "wants at least one dimension");
  const int64_t C = x.size(-1);
  return {C ? x.numel() / C : 0, C};
}

void same_f32(const CallCheck& c, const char* arg, const Tensor& t, const Tensor& like) {
  c.require_f32(arg, t);
  c.require_numel(arg, t, like.numel());
}

}  // namespace

void CheckingBackend::matmul(const Tensor& a, bool trans_a, const Tensor& b, bool trans_b,
                             const Tensor& c, bool accumulate) {
  CallCheck k("matmul", inner_.device());
  k.require(a.defined() && a.ndim() == 2, "a", "wants a 2-d tensor, got " + describe(a));
  k.require(b.defined() && b.ndim() == 2, "b", "wants a 2-d tensor, got " + describe(b));
  k.require(c.defined() && c.ndim() == 2, "c", "wants a 2-d tensor, got " + describe(c));
  k.require(float_dtype(a.dtype()) && a.dtype() == b.dtype(), "b",
            msg("dtype ", dtype_name(b.dtype()), " with a ", dtype_name(a.dtype()),
                ": operands are both f32, both bf16 or both f16"));
  k.require_f32("c", c);
  const int64_t M = a.size(trans_a ? 1 : 0), K = a.size(trans_a ? 0 : 1);
  const int64_t Kb = b.size(trans_b ? 1 : 0), N = b.size(trans_b ? 0 : 1);
  const std::string shapes = msg("matmul shapes: a ", a.shape_str(), trans_a ? "^T" : "", " b ",
                                 b.shape_str(), trans_b ? "^T" : "", " c ", c.shape_str());
  k.require(K == Kb, "b", shapes + msg(": op(b) has ", Kb, " rows, op(a) ", K, " columns"));
  k.require(c.size(0) == M && c.size(1) == N, "c", shapes + msg(": want c [", M, ", ", N, "]"));
  k.input("a", a);
  k.input("b", b);
  if (accumulate) {
    k.accumulate("c", c);
  } else {
    k.output("c", c);
  }
  k.run([&](const Swap& s) { inner_.matmul(a, trans_a, b, trans_b, s(c), accumulate); });
}

void CheckingBackend::fill(const Tensor& x, float value) {
  CallCheck k("fill", inner_.device());
  k.require_f32("x", x);
  k.output("x", x);
  k.run([&](const Swap& s) { inner_.fill(s(x), value); });
}

void CheckingBackend::scale(const Tensor& x, float v) {
  CallCheck k("scale", inner_.device());
  k.require_f32("x", x);
  k.update("x", x);
  k.run([&](const Swap& s) { inner_.scale(s(x), v); });
}

void CheckingBackend::add(const Tensor& a, const Tensor& b, const Tensor& y) {
  CallCheck k("add", inner_.device());
  k.require_f32("a", a);
  same_f32(k, "b", b, a);
  same_f32(k, "y", y, a);
  k.input("a", a);
  k.input("b", b);
  k.output("y", y);
  k.may_alias("y", "a");
  k.may_alias("y", "b");
  k.run([&](const Swap& s) { inner_.add(a, b, s(y)); });
}

void CheckingBackend::add_inplace(const Tensor& y, const Tensor& x) {
  CallCheck k("add_inplace", inner_.device());
  k.require_f32("y", y);
  same_f32(k, "x", x, y);
  k.accumulate("y", y);
  k.input("x", x);
  k.run([&](const Swap& s) { inner_.add_inplace(s(y), x); });
}

void CheckingBackend::cast(const Tensor& src, const Tensor& dst) {
  CallCheck k("cast", inner_.device());
  k.require(src.defined() && float_dtype(src.dtype()), "src", "wants f32, bf16 or f16");
  k.require(dst.defined() && float_dtype(dst.dtype()), "dst", "wants f32, bf16 or f16");
  k.require_numel("dst", dst, src.numel());
  k.input("src", src);
  k.output("dst", dst);
  k.run([&](const Swap& s) { inner_.cast(src, s(dst)); });
}

void CheckingBackend::copy(const Tensor& src, const Tensor& dst) {
  CallCheck k("copy", inner_.device());
  k.require(src.defined() && dst.defined(), "dst", "copy needs two defined tensors");
  k.require(src.dtype() == dst.dtype(), "dst",
            msg("dtype ", dtype_name(dst.dtype()), ", src is ", dtype_name(src.dtype())));
  k.require_numel("dst", dst, src.numel());
  k.input("src", src);
  k.output("dst", dst);
  k.run([&](const Swap& s) { inner_.copy(src, s(dst)); });
}

void CheckingBackend::bias_forward(const Tensor& y, const Tensor& b) {
  CallCheck k("bias_forward", inner_.device());
  k.require_f32("y", y);
  k.require_f32("b", b);
  k.require(b.numel() > 0 && y.ndim() >= 1 && y.size(-1) == b.numel(), "b",
            msg(b.shape_str(), " does not match the last dim of y ", y.shape_str()));
  k.accumulate("y", y);
  k.input("b", b);
  k.run([&](const Swap& s) { inner_.bias_forward(s(y), b); });
}

void CheckingBackend::bias_backward(const Tensor& dy, const Tensor& db) {
  CallCheck k("bias_backward", inner_.device());
  k.require_f32("dy", dy);
  k.require_f32("db", db);
  k.require(db.numel() > 0 && dy.ndim() >= 1 && dy.size(-1) == db.numel(), "db",
            msg(db.shape_str(), " does not match the last dim of dy ", dy.shape_str()));
  k.input("dy", dy);
  k.accumulate("db", db);
  k.run([&](const Swap& s) { inner_.bias_backward(dy, s(db)); });
}

void CheckingBackend::rmsnorm_forward(const Tensor& x, const Tensor& w, float eps, const Tensor& y,
                                      const Tensor& rstd) {
  CallCheck k("rmsnorm_forward", inner_.device());
  const auto [N, C] = rows(k, "x", x);
  same_f32(k, "y", y, x);
  k.require_f32("w", w);
  k.require_numel("w", w, C);
  k.require_f32("rstd", rstd);
  k.require_numel("rstd", rstd, N);
  k.input("x", x);
  k.input("w", w);
  k.output("y", y);
  k.output("rstd", rstd);
  k.run([&](const Swap& s) { inner_.rmsnorm_forward(x, w, eps, s(y), s(rstd)); });
}

void CheckingBackend::rmsnorm_backward(const Tensor& dy, const Tensor& x, const Tensor& w,
                                       const Tensor& rstd, const Tensor& dx, const Tensor& dw) {
  CallCheck k("rmsnorm_backward", inner_.device());
  const auto [N, C] = rows(k, "x", x);
  same_f32(k, "dy", dy, x);
  same_f32(k, "dx", dx, x);
  k.require_f32("w", w);
  k.require_numel("w", w, C);
  same_f32(k, "dw", dw, w);
  k.require_f32("rstd", rstd);
  k.require_numel("rstd", rstd, N);
  k.input("dy", dy);
  k.input("x", x);
  k.input("w", w);
  k.input("rstd", rstd);
  k.accumulate("dx", dx);
  k.accumulate("dw", dw);
  k.run([&](const Swap& s) { inner_.rmsnorm_backward(dy, x, w, rstd, s(dx), s(dw)); });
}

void CheckingBackend::layernorm_forward(const Tensor& x, const Tensor& w, const Tensor& b,
                                        float eps, const Tensor& y, const Tensor& mean,
                                        const Tensor& rstd) {
  CallCheck k("layernorm_forward", inner_.device());
  const auto [N, C] = rows(k, "x", x);
  same_f32(k, "y", y, x);
  k.require_f32("w", w);
  k.require_numel("w", w, C);
  same_f32(k, "b", b, w);
  k.require_f32("mean", mean);
  k.require_numel("mean", mean, N);
  same_f32(k, "rstd", rstd, mean);
  k.input("x", x);
  k.input("w", w);
  k.input("b", b);
  k.output("y", y);
  k.output("mean", mean);
  k.output("rstd", rstd);
  k.run([&](const Swap& s) { inner_.layernorm_forward(x, w, b, eps, s(y), s(mean), s(rstd)); });
}

void CheckingBackend::layernorm_backward(const Tensor& dy, const Tensor& x, const Tensor& w,
                                         const Tensor& mean, const Tensor& rstd, const Tensor& dx,
                                         const Tensor& dw, const Tensor& db) {
  CallCheck k("layernorm_backward", inner_.device());
  const auto [N, C] = rows(k, "x", x);
  same_f32(k, "dy", dy, x);
  same_f32(k, "dx", dx, x);
  k.require_f32("w", w);
  k.require_numel("w", w, C);
  same_f32(k, "dw", dw, w);
  same_f32(k, "db", db, w);
  k.require_f32("mean", mean);
  k.require_numel("mean", mean, N);
  same_f32(k, "rstd", rstd, mean);
  k.input("dy", dy);
  k.input("x", x);
  k.input("w", w);
  k.input("mean", mean);
  k.input("rstd", rstd);
  k.accumulate("dx", dx);
  k.accumulate("dw", dw);
  k.accumulate("db", db);
  k.run(
      [&](const Swap& s) { inner_.layernorm_backward(dy, x, w, mean, rstd, s(dx), s(dw), s(db)); });
}

void CheckingBackend::l2norm_rows_forward(const Tensor& w, const Tensor& y, const Tensor& norm) {
  CallCheck k("l2norm_rows_forward", inner_.device());
  const auto [R, C] = rows(k, "w", w);
  (void)C;
  same_f32(k, "y", y, w);
  k.require_f32("norm", norm);
  k.require_numel("norm", norm, R);
  k.input("w", w);
  k.output("y", y);
  k.output("norm", norm);
  k.run([&](const Swap& s) { inner_.l2norm_rows_forward(w, s(y), s(norm)); });
}

void CheckingBackend::l2norm_rows_backward(const Tensor& dy, const Tensor& y, const Tensor& norm,
                                           const Tensor& dw) {
  CallCheck k("l2norm_rows_backward", inner_.device());
  const auto [R, C] = rows(k, "y", y);
  (void)C;
  same_f32(k, "dy", dy, y);
  same_f32(k, "dw", dw, y);
  k.require_f32("norm", norm);
  k.require_numel("norm", norm, R);
  k.input("dy", dy);
  k.input("y", y);
  k.input("norm", norm);
  k.accumulate("dw", dw);
  k.run([&](const Swap& s) { inner_.l2norm_rows_backward(dy, y, norm, s(dw)); });
}

void CheckingBackend::swiglu_forward(const Tensor& gate_up, const Tensor& y) {
  CallCheck k("swiglu_forward", inner_.device());
  const auto [N, F] = rows(k, "y", y);
  k.require_f32("gate_up", gate_up);
  k.require(gate_up.ndim() >= 1 && gate_up.size(-1) == 2 * F && gate_up.numel() == 2 * N * F,
            "gate_up", msg("shape ", gate_up.shape_str(), ", want [", N, ", ", 2 * F, "]"));
  k.input("gate_up", gate_up);
  k.output("y", y);
  k.run([&](const Swap& s) { inner_.swiglu_forward(gate_up, s(y)); });
}

void CheckingBackend::swiglu_backward(const Tensor& dy, const Tensor& gate_up,
                                      const Tensor& dgate_up) {
  CallCheck k("swiglu_backward", inner_.device());
  const auto [N, F] = rows(k, "dy", dy);
  k.require_f32("gate_up", gate_up);
  k.require(gate_up.ndim() >= 1 && gate_up.size(-1) == 2 * F && gate_up.numel() == 2 * N * F,
            "gate_up", msg("shape ", gate_up.shape_str(), ", want [", N, ", ", 2 * F, "]"));
  same_f32(k, "dgate_up", dgate_up, gate_up);
  k.input("dy", dy);
  k.input("gate_up", gate_up);
  k.output("dgate_up", dgate_up);
  k.run([&](const Swap& s) { inner_.swiglu_backward(dy, gate_up, s(dgate_up)); });
}

void CheckingBackend::gelu_forward(const Tensor& x, const Tensor& y) {
  CallCheck k("gelu_forward", inner_.device());
  k.require_f32("x", x);
  same_f32(k, "y", y, x);
  k.input("x", x);
  k.output("y", y);
  k.run([&](const Swap& s) { inner_.gelu_forward(x, s(y)); });
}

void CheckingBackend::gelu_backward(const Tensor& dy, const Tensor& x, const Tensor& dx) {
  CallCheck k("gelu_backward", inner_.device());
  k.require_f32("x", x);
  same_f32(k, "dy", dy, x);
  same_f32(k, "dx", dx, x);
  k.input("dy", dy);
  k.input("x", x);
  k.output("dx", dx);
  k.may_alias("dx", "dy");
  k.run([&](const Swap& s) { inner_.gelu_backward(dy, x, s(dx)); });
}

void CheckingBackend::adamw_step(const AdamWArgs& a, const Tensor& p, const Tensor& g,
                                 const Tensor& m, const Tensor& v) {
  CallCheck k("adamw_step", inner_.device());
  k.require(a.step >= 1, "a.step", msg(a.step, ", steps are 1-based"));
  k.require_f32("p", p);
  same_f32(k, "g", g, p);
  same_f32(k, "m", m, p);
  same_f32(k, "v", v, p);
  k.update("p", p);
  k.input("g", g);
  k.update("m", m);
  k.update("v", v);
  k.run([&](const Swap& s) { inner_.adamw_step(a, s(p), g, s(m), s(v)); });
}

void CheckingBackend::sgd_step(float lr, float momentum, float weight_decay, float grad_scale,
                               const Tensor& p, const Tensor& g, const Tensor& momentum_buf) {
  CallCheck k("sgd_step", inner_.device());
  k.require_f32("p", p);
  same_f32(k, "g", g, p);
  k.update("p", p);
  k.input("g", g);
  if (momentum > 0.f) {
    k.require(momentum_buf.defined(), "momentum_buf", "undefined with momentum > 0");
    same_f32(k, "momentum_buf", momentum_buf, p);
    k.update("momentum_buf", momentum_buf);
  }
  k.run([&](const Swap& s) {
    inner_.sgd_step(lr, momentum, weight_decay, grad_scale, s(p), g, s(momentum_buf));
  });
}

double CheckingBackend::sum_squares(const Tensor& x) {
  CallCheck k("sum_squares", inner_.device());
  k.require_f32("x", x);
  k.input("x", x);
  double result = 0.0;
  k.run([&](const Swap&) { result = inner_.sum_squares(x); });
  k.require(result >= 0.0 || std::isnan(result), "result", msg(result, " is negative"));
  return result;
}

}  // namespace ascent::kernels::check
