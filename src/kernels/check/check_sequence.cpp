// Checks of the kernels over token sequences: embedding, positions, attention, dropout, loss.
#include <cmath>
#include <cstring>
#include <vector>

#include "kernels/check/call_check.h"
#include "kernels/check/check_backend.h"
#include "kernels/check/check_util.h"

namespace ascent::kernels::check {
namespace {

// ids [n] must each satisfy ok(id); fails naming the first that does not.
template <typename Ok>
void require_ids(const CallCheck& c, const char* arg, const int32_t* ids, int64_t n, Ok ok,
                 const std::string& rule) {
  c.require(n == 0 || ids != nullptr, arg, "null pointer");
  for (int64_t i = 0; i < n; ++i)
    if (!ok(ids[i])) c.fail(arg, msg("element ", i, " is ", ids[i], ", want ", rule));
}

size_t id_bytes(int64_t n) { return static_cast<size_t>(n) * sizeof(int32_t); }

bool table_dtype(DType t) { return t == DType::F32 || t == DType::BF16 || t == DType::F16; }

// table [V, C] (f32/bf16/f16) and out [N, C] f32 of an embedding lookup; returns N.
int64_t lookup_shapes(const CallCheck& c, const char* table_arg, const Tensor& table,
                      const char* rows_arg, const Tensor& rows) {
  c.require(table.defined() && table.ndim() == 2, table_arg, "wants a 2-d tensor");
  c.require_f32(rows_arg, rows);
  c.require(rows.ndim() == 2 && rows.size(1) == table.size(1), rows_arg,
            msg("shape ", rows.shape_str(), " does not match ", table_arg, " ", table.shape_str()));
  return rows.size(0);
}

}  // namespace

void CheckingBackend::embedding_forward(const int32_t* tokens, const Tensor& table,
                                        const Tensor& out) {
  CallCheck k("embedding_forward", inner_.device());
  const int64_t N = lookup_shapes(k, "table", table, "out", out);
  k.require(table_dtype(table.dtype()), "table", "wants f32, bf16 or f16");
  const int64_t V = table.size(0);
  require_ids(
      k, "tokens", tokens, N, [V](int32_t t) { return t >= 0 && t < V; }, msg("[0, ", V, ")"));
  k.input_host("tokens", tokens, id_bytes(N));
  k.input("table", table);
  k.output("out", out);
  k.run([&](const Swap& s) { inner_.embedding_forward(tokens, table, s(out)); });
}

void CheckingBackend::embedding_backward(const int32_t* tokens, const Tensor& dout,
                                         const Tensor& dtable) {
  CallCheck k("embedding_backward", inner_.device());
  k.require_f32("dtable", dtable);
  const int64_t N = lookup_shapes(k, "dtable", dtable, "dout", dout);
  const int64_t V = dtable.size(0);
  require_ids(
      k, "tokens", tokens, N, [V](int32_t t) { return t >= 0 && t < V; }, msg("[0, ", V, ")"));
  k.input_host("tokens", tokens, id_bytes(N));
  k.input("dout", dout);
  k.accumulate("dtable", dtable);
  k.run([&](const Swap& s) { inner_.embedding_backward(tokens, dout, s(dtable)); });
}

void CheckingBackend::embedding_forward_range(const int32_t* tokens, int64_t first,
                                              const Tensor& table, const Tensor& out) {
  CallCheck k("embedding_forward_range", inner_.device());
  const int64_t N = lookup_shapes(k, "table", table, "out", out);
  k.require(table_dtype(table.dtype()), "table", "wants f32, bf16 or f16");
  require_ids(
      k, "tokens", tokens, N, [](int32_t t) { return t >= 0; }, ">= 0");
  k.input_host("tokens", tokens, id_bytes(N));
  k.input("table", table);
  k.output("out", out);
  k.run([&](const Swap& s) { inner_.embedding_forward_range(tokens, first, table, s(out)); });
}

void CheckingBackend::embedding_backward_range(const int32_t* tokens, int64_t first,
                                               const Tensor& dout, const Tensor& dtable) {
  CallCheck k("embedding_backward_range", inner_.device());
  k.require_f32("dtable", dtable);
  const int64_t N = lookup_shapes(k, "dtable", dtable, "dout", dout);
  k.require(N == 0 || tokens != nullptr, "tokens", "null pointer");
  k.input_host("tokens", tokens, id_bytes(N));
  k.input("dout", dout);
  k.accumulate("dtable", dtable);
  k.run([&](const Swap& s) { inner_.embedding_backward_range(tokens, first, dout, s(dtable)); });
}

RopeTable CheckingBackend::rope_table(int64_t max_pos, int64_t head_size, float base) {
  CallCheck k("rope_table", inner_.device());
  k.require(max_pos >= 0, "max_pos", msg(max_pos, " is negative"));
  k.require(head_size > 0 && head_size % 2 == 0, "head_size", msg(head_size, " is not even"));
  k.require(base > 0.f, "base", msg(base, " is not positive"));
  RopeTable t = inner_.rope_table(max_pos, head_size, base);
  k.require(t.max_pos == max_pos && t.head_size == head_size, "result",
            msg("table for ", t.max_pos, " positions of head size ", t.head_size));
  if (max_pos == 0) return t;
  const int64_t half = head_size / 2;
  for (const auto& [name, part] :
       {std::pair{"result.cos", t.cos}, std::pair{"result.sin", t.sin}}) {
    k.require_f32(name, part);
    k.require(part.device() == inner_.device(), name, "not on the backend's device");
    k.require(part.ndim() == 2 && part.size(0) == max_pos && part.size(1) == half, name,
              msg("shape ", part.shape_str(), ", want [", max_pos, ", ", half, "]"));
    const float* v = part.f32();
    for (int64_t i = 0; i < part.numel(); ++i)
      k.require(std::abs(v[i]) <= 1.f, name, msg("element ", i, " is ", v[i]));
  }
  k.require(t.storage != nullptr, "result.storage", "the table does not own its memory");
  return t;
}

void CheckingBackend::rope_apply(const Tensor& x, int64_t heads, const int32_t* positions,
                                 const RopeTable& table, bool inverse) {
  CallCheck k("rope_apply", inner_.device());
  k.require_f32("x", x);
  k.require(x.ndim() == 2, "x", "wants [N, row_width], got " + x.shape_str());
  const int64_t N = x.size(0), W = x.size(1), HS = table.head_size;
  k.require(heads >= 0 && heads * HS <= W, "heads",
            msg(heads, " heads of ", HS, " do not fit rows of ", W));
  if (N == 0 || heads == 0) return inner_.rope_apply(x, heads, positions, table, inverse);
  k.require(!table.empty(), "table", "empty");
  const int64_t P = table.max_pos;
  require_ids(
      k, "positions", positions, N, [P](int32_t p) { return p >= 0 && p < P; },
      msg("[0, ", P, ")"));
  k.input_host("positions", positions, id_bytes(N));
  k.input("table.cos", table.cos);
  k.input("table.sin", table.sin);
  k.update("x", x);
  // The columns past the rotated heads are not the kernel's to touch.
  std::vector<float> tail;
  const int64_t used = heads * HS;
  for (int64_t n = 0; n < N; ++n)
    tail.insert(tail.end(), x.f32() + n * W + used, x.f32() + (n + 1) * W);
  k.run([&](const Swap& s) { inner_.rope_apply(s(x), heads, positions, table, inverse); });
  for (int64_t n = 0, i = 0; n < N; ++n)
    for (int64_t j = used; j < W; ++j, ++i)
      k.require(std::memcmp(&tail[i], x.f32() + n * W + j, 4) == 0, "x",
                msg("column ", j, " of row ", n, " changed; only the first ", heads,
                    " heads are rotated"));
}

namespace {

// The AttentionDims rules and the shapes of qkv, out, lse.
void attention_shapes(const CallCheck& k, const AttentionDims& d, const Tensor& qkv,
                      const Tensor& out, const Tensor& lse) {
  k.require(d.B > 0 && d.T > 0 && d.NH > 0 && d.KVH > 0 && d.HS > 0, "d",
            msg("B=", d.B, " T=", d.T, " NH=", d.NH, " KVH=", d.KVH, " HS=", d.HS));
  k.require(d.NH % d.KVH == 0, "d", msg("NH=", d.NH, " is not a multiple of KVH=", d.KVH));
  k.require(d.dropout >= 0.f && d.dropout < 1.f, "d.dropout", msg(d.dropout, " not in [0, 1)"));
  const int64_t heads = d.total_heads > 0 ? d.total_heads : d.NH;
  k.require(d.head_offset >= 0 && d.head_offset + d.NH <= heads, "d.head_offset",
            msg("heads [", d.head_offset, ", ", d.head_offset + d.NH, ") of ", heads));
  k.require_f32("qkv", qkv);
  k.require_numel("qkv", qkv, d.B * d.T * (d.NH + 2 * d.KVH) * d.HS);
  k.require_f32("out", out);
  k.require_numel("out", out, d.B * d.T * d.NH * d.HS);
  k.require_f32("lse", lse);
  k.require_numel("lse", lse, d.B * d.NH * d.T);
}

// Segment ids are non-decreasing within each batch row; ALiBi slopes are NH host floats.
void attention_host_inputs(CallCheck& k, const AttentionDims& d) {
  if (d.segment_ids != nullptr) {
    for (int64_t b = 0; b < d.B; ++b)
      for (int64_t t = 1; t < d.T; ++t)
        k.require(d.segment_ids[b * d.T + t] >= d.segment_ids[b * d.T + t - 1], "d.segment_ids",
                  msg("segment ids decrease in batch row ", b, " at token ", t));
    k.input_host("d.segment_ids", d.segment_ids, id_bytes(d.B * d.T));
  }
  if (d.alibi_slopes != nullptr)
    k.input_host("d.alibi_slopes", d.alibi_slopes, static_cast<size_t>(d.NH) * sizeof(float));
}

}  // namespace

void CheckingBackend::attention_forward(const AttentionDims& d, const Tensor& qkv,
                                        const Tensor& out, const Tensor& lse) {
  CallCheck k("attention_forward", inner_.device());
  attention_shapes(k, d, qkv, out, lse);
  attention_host_inputs(k, d);
  k.input("qkv", qkv);
  k.output("out", out);
  k.output("lse", lse);
  k.run([&](const Swap& s) { inner_.attention_forward(d, qkv, s(out), s(lse)); });
}

void CheckingBackend::attention_backward(const AttentionDims& d, const Tensor& qkv,
                                         const Tensor& out, const Tensor& lse, const Tensor& dout,
                                         const Tensor& dqkv) {
  CallCheck k("attention_backward", inner_.device());
  attention_shapes(k, d, qkv, out, lse);
  attention_host_inputs(k, d);
  k.require_f32("dout", dout);
  k.require_numel("dout", dout, out.numel());
  k.require_f32("dqkv", dqkv);
  k.require_numel("dqkv", dqkv, qkv.numel());
  k.input("qkv", qkv);
  k.input("out", out);
  k.input("lse", lse);
  k.input("dout", dout);
  k.output("dqkv", dqkv);
  k.run([&](const Swap& s) { inner_.attention_backward(d, qkv, out, lse, dout, s(dqkv)); });
}

void CheckingBackend::dropout_add_forward(const Tensor& x, float p, uint64_t seed, uint64_t stream,
                                          const Tensor& residual, uint64_t first) {
  CallCheck k("dropout_add_forward", inner_.device());
  k.require(p >= 0.f && p < 1.f, "p", msg(p, " not in [0, 1)"));
  k.require_f32("x", x);
  k.require_f32("residual", residual);
  k.require_numel("residual", residual, x.numel());
  k.input("x", x);
  k.accumulate("residual", residual);
  k.run([&](const Swap& s) { inner_.dropout_add_forward(x, p, seed, stream, s(residual), first); });
}

void CheckingBackend::dropout_backward(const Tensor& dy, float p, uint64_t seed, uint64_t stream,
                                       const Tensor& dx, uint64_t first) {
  CallCheck k("dropout_backward", inner_.device());
  k.require(p >= 0.f && p < 1.f, "p", msg(p, " not in [0, 1)"));
  k.require_f32("dy", dy);
  k.require_f32("dx", dx);
  k.require_numel("dx", dx, dy.numel());
  k.input("dy", dy);
  k.output("dx", dx);
  k.may_alias("dx", "dy");
  k.run([&](const Swap& s) { inner_.dropout_backward(dy, p, seed, stream, s(dx), first); });
}

MaskedSum CheckingBackend::masked_sum(const Tensor& losses, const int32_t* targets) {
  CallCheck k("masked_sum", inner_.device());
  k.require_f32("losses", losses);
  const int64_t N = losses.numel();
  k.require(N == 0 || targets != nullptr, "targets", "null pointer");
  k.input("losses", losses);
  k.input_host("targets", targets, id_bytes(N));
  MaskedSum r;
  k.run([&](const Swap&) { r = inner_.masked_sum(losses, targets); });
  k.require(r.count >= 0 && r.count <= N, "result", msg("count ", r.count, " of ", N, " rows"));
  return r;
}

int64_t CheckingBackend::find_out_of_range(const int32_t* ids, int64_t n, int64_t lo, int64_t hi) {
  CallCheck k("find_out_of_range", inner_.device());
  k.require(n >= 0, "n", msg(n, " is negative"));
  k.input_host("ids", ids, id_bytes(n));
  int64_t r = -1;
  k.run([&](const Swap&) { r = inner_.find_out_of_range(ids, n, lo, hi); });
  k.require(r >= -1 && r < n, "result", msg(r, " is not -1 or an index of ", n, " ids"));
  return r;
}

namespace {

// logits [N, V] f32 and targets [N] each in [0, V) or kIgnoreIndex; returns {N, V}.
std::pair<int64_t, int64_t> loss_shapes(const CallCheck& k, const Tensor& logits,
                                        const int32_t* targets) {
  k.require_f32("logits", logits);
  k.require(logits.ndim() == 2, "logits", "wants [N, V], got " + logits.shape_str());
  const int64_t N = logits.size(0), V = logits.size(1);
  require_ids(
      k, "targets", targets, N, [V](int32_t t) { return t == kIgnoreIndex || (t >= 0 && t < V); },
      msg("[0, ", V, ") or ", kIgnoreIndex));
  return {N, V};
}

void per_row(const CallCheck& k, const char* arg, const Tensor& t, int64_t n) {
  k.require_f32(arg, t);
  k.require_numel(arg, t, n);
}

}  // namespace

void CheckingBackend::cross_entropy_forward(const Tensor& logits, const int32_t* targets,
                                            float z_loss, const Tensor& losses, const Tensor& lse) {
  CallCheck k("cross_entropy_forward", inner_.device());
  const auto [N, V] = loss_shapes(k, logits, targets);
  (void)V;
  per_row(k, "losses", losses, N);
  per_row(k, "lse", lse, N);
  k.input("logits", logits);
  k.input_host("targets", targets, id_bytes(N));
  k.output("losses", losses);
  k.output("lse", lse);
  k.run([&](const Swap& s) {
    inner_.cross_entropy_forward(logits, targets, z_loss, s(losses), s(lse));
  });
}

void CheckingBackend::cross_entropy_backward(const Tensor& logits, const int32_t* targets,
                                             const Tensor& lse, float z_loss, float grad_scale,
                                             const Tensor& dlogits) {
  CallCheck k("cross_entropy_backward", inner_.device());
  const auto [N, V] = loss_shapes(k, logits, targets);
  (void)V;
  per_row(k, "lse", lse, N);
  k.require_f32("dlogits", dlogits);
  k.require(dlogits.same_shape(logits), "dlogits",
            msg("shape ", dlogits.shape_str(), ", logits are ", logits.shape_str()));
  k.input("logits", logits);
  k.input("lse", lse);
  k.input_host("targets", targets, id_bytes(N));
  k.output("dlogits", dlogits);
  k.may_alias("dlogits", "logits");
  k.run([&](const Swap& s) {
    inner_.cross_entropy_backward(logits, targets, lse, z_loss, grad_scale, s(dlogits));
  });
}

void CheckingBackend::cross_entropy_forward_backward(const Tensor& logits, const int32_t* targets,
                                                     float z_loss, float grad_scale,
                                                     const Tensor& losses) {
  CallCheck k("cross_entropy_forward_backward", inner_.device());
  const auto [N, V] = loss_shapes(k, logits, targets);
  (void)V;
  per_row(k, "losses", losses, N);
  k.update("logits", logits);
  k.input_host("targets", targets, id_bytes(N));
  k.output("losses", losses);
  k.run([&](const Swap& s) {
    inner_.cross_entropy_forward_backward(s(logits), targets, z_loss, grad_scale, s(losses));
  });
}

namespace {

// The vocabulary-parallel passes: logits [N, VL] f32 with 0 <= valid <= VL.
int64_t vocab_slice(const CallCheck& k, const Tensor& logits, int64_t valid) {
  k.require_f32("logits", logits);
  k.require(logits.ndim() == 2, "logits", "wants [N, VL], got " + logits.shape_str());
  k.require(valid >= 0 && valid <= logits.size(1), "valid",
            msg(valid, " columns of ", logits.shape_str()));
  return logits.size(0);
}

}  // namespace

void CheckingBackend::vocab_parallel_ce_max(const Tensor& logits, int64_t valid,
                                            const Tensor& row_max) {
  CallCheck k("vocab_parallel_ce_max", inner_.device());
  const int64_t N = vocab_slice(k, logits, valid);
  per_row(k, "row_max", row_max, N);
  k.input("logits", logits);
  k.output("row_max", row_max);
  k.run([&](const Swap& s) { inner_.vocab_parallel_ce_max(logits, valid, s(row_max)); });
}

void CheckingBackend::vocab_parallel_ce_sums(const Tensor& logits, const int32_t* targets,
                                             int64_t first, int64_t valid, const Tensor& row_max,
                                             const Tensor& sums) {
  CallCheck k("vocab_parallel_ce_sums", inner_.device());
  const int64_t N = vocab_slice(k, logits, valid);
  per_row(k, "row_max", row_max, N);
  per_row(k, "sums", sums, 2 * N);
  k.require(N == 0 || targets != nullptr, "targets", "null pointer");
  k.input("logits", logits);
  k.input("row_max", row_max);
  k.input_host("targets", targets, id_bytes(N));
  k.output("sums", sums);
  k.run([&](const Swap& s) {
    inner_.vocab_parallel_ce_sums(logits, targets, first, valid, row_max, s(sums));
  });
}

void CheckingBackend::vocab_parallel_ce_finish(const Tensor& logits, const int32_t* targets,
                                               int64_t first, int64_t valid, const Tensor& row_max,
                                               const Tensor& sums, float z_loss, float grad_scale,
                                               const Tensor& losses, const Tensor& dlogits) {
  CallCheck k("vocab_parallel_ce_finish", inner_.device());
  const int64_t N = vocab_slice(k, logits, valid);
  per_row(k, "row_max", row_max, N);
  per_row(k, "sums", sums, 2 * N);
  per_row(k, "losses", losses, N);
  if (dlogits.defined()) {
    k.require_f32("dlogits", dlogits);
    k.require_numel("dlogits", dlogits, logits.numel());
  }
  k.require(N == 0 || targets != nullptr, "targets", "null pointer");
  k.input("logits", logits);
  k.input("row_max", row_max);
  k.input("sums", sums);
  k.input_host("targets", targets, id_bytes(N));
  k.output("losses", losses);
  k.output("dlogits", dlogits);
  k.may_alias("dlogits", "logits");
  k.run([&](const Swap& s) {
    inner_.vocab_parallel_ce_finish(logits, targets, first, valid, row_max, sums, z_loss,
                                    grad_scale, s(losses), s(dlogits));
  });
}

}  // namespace ascent::kernels::check
