#!/usr/bin/python3
"""Self-consistency checks for hf_reference.py and safetensors_io.py.

  /usr/bin/python3 tests/oracle/selftest.py        (exit status 0 = all passed)

Each check compares the oracle against something computed a different way:
torch.nn modules, naive loops, closed forms, or finite differences.
"""
import math
import os
import subprocess
import sys
import tempfile
from collections import OrderedDict

import numpy as np
import torch
import torch.nn.functional as F

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
import hf_reference as R  # noqa: E402
from safetensors_io import read_safetensors, round_to_bf16, write_safetensors  # noqa: E402

torch.set_num_threads(1)
FAILED = []


def check(name, ok, detail=""):
    print(f"{'ok  ' if ok else 'FAIL'} {name} {detail}")
    if not ok:
        FAILED.append(name)


def close(a, b, tol=1e-10):
    err = (a - b).abs().max().item()
    return err <= tol * max(1.0, b.abs().max().item()), f"(max abs err {err:.2e})"


def f64_params(s, seed=0):
    g = torch.Generator().manual_seed(seed)
    return OrderedDict((n, t.double()) for n, t in R.init_params(s, g).items()), g


# --------------------------------------------------------------------------- io
def test_safetensors():
    rng = np.random.default_rng(1)
    ts = OrderedDict(
        a=rng.standard_normal((3, 5)).astype(np.float32),
        b=rng.standard_normal((7,)).astype(np.float32),
        ids=rng.integers(-5, 1000, (2, 3)).astype(np.int64),
        s=np.array(2.5, dtype=np.float32),  # rank 0
        d=rng.standard_normal((2, 2)),  # F64
    )
    with tempfile.TemporaryDirectory() as d:
        p = os.path.join(d, "x.safetensors")
        write_safetensors(p, ts, dtypes={"b": "BF16"}, metadata={"k": "v"})
        blob = open(p, "rb").read()
        n = int.from_bytes(blob[:8], "little")
        check("safetensors header padded to 8", n % 8 == 0 and blob[8 + n - 1:8 + n] in (b" ", b"}"))
        back, dts, md = read_safetensors(p)
    ok = all(np.array_equal(back[k], ts[k]) for k in ("a", "ids", "s", "d"))
    ok &= list(back) == list(ts) and dts["b"] == "BF16" and dts["d"] == "F64" and md == {"format": "pt", "k": "v"}
    # bf16 rounding must agree with torch's f32 -> bf16 conversion (round-nearest-even).
    x = torch.randn(10000) * 10
    x[:4] = torch.tensor([1.0 + 2**-8, 1.0 + 3 * 2**-8, -(1.0 + 2**-8), 3.0e38])  # ties, overflow-ish
    ours = torch.from_numpy(round_to_bf16(x.numpy()))
    ok_bf = torch.equal(ours, x.to(torch.bfloat16).float())
    ok &= np.array_equal(back["b"], round_to_bf16(ts["b"]))
    check("safetensors round trip (F32/F64/I64/rank0/BF16/metadata)", ok)
    check("bf16 rounding matches torch", ok_bf)


# --------------------------------------------------------------------------- rope
def test_rope():
    T, HS, theta = 12, 16, 10000.0
    cos, sin = R.rope_tables(T, HS, theta, torch.float64)
    # (a) HF rotate-half on HF-permuted features == Meta's complex RoPE on
    # interleaved pairs (x[2i], x[2i+1]). HF feature j < HS/2 is Meta 2j, j >= HS/2 is Meta 2(j-HS/2)+1.
    xm = torch.randn(T, HS, dtype=torch.float64)
    perm = torch.cat([torch.arange(0, HS, 2), torch.arange(1, HS, 2)])
    freqs = torch.outer(torch.arange(T, dtype=torch.float64),
                        1.0 / theta ** (torch.arange(0, HS, 2, dtype=torch.float64) / HS))
    zm = torch.view_as_complex(xm.view(T, HS // 2, 2).contiguous()) * torch.polar(torch.ones_like(freqs), freqs)
    meta = torch.view_as_real(zm).reshape(T, HS)
    check("rope rotate_half == Meta complex rope (permuted)", *close(R.apply_rope(xm[:, perm], cos, sin), meta[:, perm]))
    # (b) relative property: <rope(q)_m, rope(k)_n> depends only on m - n.
    q, k = torch.randn(HS, dtype=torch.float64), torch.randn(HS, dtype=torch.float64)
    rq = R.apply_rope(q.expand(T, HS), cos, sin)
    rk = R.apply_rope(k.expand(T, HS), cos, sin)
    dots = rq @ rk.t()  # dots[m, n] = <rope(q)_m, rope(k)_n>
    spread = max((dots.diagonal(d) - dots.diagonal(d)[0]).abs().max().item() for d in range(-T + 1, T))
    check("rope scores depend only on m - n", spread < 1e-12, f"(spread {spread:.1e})")


# --------------------------------------------------------------------------- alibi
def _baichuan_interleave(n):
    # Independent transcription of the recursive definition used by Baichuan.
    def pow2(n):
        start = 2 ** (-(2 ** -(math.log2(n) - 3)))
        return [start * start**i for i in range(n)]
    if math.log2(n).is_integer():
        return pow2(n)
    p = 2 ** math.floor(math.log2(n))
    return pow2(p) + _baichuan_interleave(2 * p)[0::2][: n - p]


def test_alibi():
    ok = all(torch.allclose(R.alibi_slopes(n), torch.tensor(_baichuan_interleave(n), dtype=torch.float64),
                            rtol=1e-14, atol=0) for n in range(1, 65))
    check("alibi slopes == Baichuan _get_interleave, n=1..64", ok)
    check("alibi slopes 8 heads = 2^-1..2^-8",
          torch.equal(R.alibi_slopes(8), torch.tensor([2.0 ** -k for k in range(1, 9)], dtype=torch.float64)))
    check("alibi slopes 6 heads = 2^-2,-4,-6,-8,-1,-3",
          torch.equal(R.alibi_slopes(6), torch.tensor([2.0 ** -k for k in (2, 4, 6, 8, 1, 3)], dtype=torch.float64)))


# --------------------------------------------------------------------------- attention
def naive_attention(q, k, v, slopes=None):
    """Loop implementation; ALiBi in the slope*(j - i) form."""
    B, NH, T, HS = q.shape
    KVH = k.shape[1]
    out = torch.zeros_like(q)
    for b in range(B):
        for h in range(NH):
            g = h // (NH // KVH)
            for i in range(T):
                s = [(q[b, h, i] * k[b, g, j]).sum().item() / math.sqrt(HS)
                     + (slopes[h].item() * (j - i) if slopes is not None else 0.0) for j in range(i + 1)]
                m = max(s)
                w = [math.exp(x - m) for x in s]
                z = sum(w)
                out[b, h, i] = sum(w[j] / z * v[b, g, j] for j in range(i + 1))
    return out


def test_attention():
    B, NH, KVH, T, HS = 2, 6, 2, 7, 4
    q = torch.randn(B, NH, T, HS, dtype=torch.float64)
    k = torch.randn(B, KVH, T, HS, dtype=torch.float64)
    v = torch.randn(B, KVH, T, HS, dtype=torch.float64)
    check("attention GQA == naive loops", *close(R.causal_attention(q, k, v), naive_attention(q, k, v)))
    k6, v6 = torch.randn(B, NH, T, HS, dtype=torch.float64), torch.randn(B, NH, T, HS, dtype=torch.float64)
    check("attention ALiBi(slope*j) == naive slope*(j-i)",
          *close(R.causal_attention(q, k6, v6, R.alibi_bias(NH, T, torch.float64)),
                 naive_attention(q, k6, v6, R.alibi_slopes(NH))))


def test_bloom_split():
    # Hand example: H=4, NH=2, HS=2. Output feature f of query_key_value is
    # f = head*6 + which*2 + d, so head 0 gets q=[0,1] k=[2,3] v=[4,5], head 1 q=[6,7] k=[8,9] v=[10,11].
    qkv = torch.arange(12, dtype=torch.float64).view(1, 1, 12)
    q, k, v = R.bloom_split_qkv(qkv, 2)
    exp_q = torch.tensor([[0, 1], [6, 7]], dtype=torch.float64)
    ok = torch.equal(q[0, :, 0], exp_q) and torch.equal(k[0, :, 0], exp_q + 2) and torch.equal(v[0, :, 0], exp_q + 4)
    check("bloom fused qkv [NH,3,HS] split (hand example)", ok)


# --------------------------------------------------------------------------- whole models vs torch.nn
def nn_block_forward(x, ln1, attn_in_w, attn_in_b, out_w, out_b, ln2, mlp, NH, attn_mask):
    """Pre-LN block built from torch.nn modules (nn.MultiheadAttention)."""
    H = x.shape[-1]
    mha = torch.nn.MultiheadAttention(H, NH, bias=True, batch_first=True, dtype=torch.float64)
    with torch.no_grad():
        mha.in_proj_weight.copy_(attn_in_w)
        mha.in_proj_bias.copy_(attn_in_b)
        mha.out_proj.weight.copy_(out_w)
        mha.out_proj.bias.copy_(out_b)
    h = ln1(x)
    x = x + mha(h, h, h, attn_mask=attn_mask, need_weights=False)[0]
    return x + mlp(ln2(x))


def make_ln(w, b, eps):
    ln = torch.nn.LayerNorm(w.shape[0], eps=eps, dtype=torch.float64)
    with torch.no_grad():
        ln.weight.copy_(w)
        ln.bias.copy_(b)
    return ln


def make_lin(w, b):
    lin = torch.nn.Linear(w.shape[1], w.shape[0], dtype=torch.float64)
    with torch.no_grad():
        lin.weight.copy_(w)
        lin.bias.copy_(b)
    return lin


def test_gpt2_vs_nn():
    s = R.make_spec("gpt2", 2, 10)
    P, g = f64_params(s)
    ids, _ = R.make_batch(s, 2, 10, g)
    T, eps, NH = 10, s["eps"], s["heads"]
    x = P["transformer.wte.weight"][ids] + P["transformer.wpe.weight"][:T]
    mask = torch.ones(T, T, dtype=torch.bool).triu(1)
    for i in range(s["layers"]):
        p = f"transformer.h.{i}."
        mlp = torch.nn.Sequential(
            make_lin(P[p + "mlp.c_fc.weight"].t(), P[p + "mlp.c_fc.bias"]),
            torch.nn.GELU(approximate="tanh"),
            make_lin(P[p + "mlp.c_proj.weight"].t(), P[p + "mlp.c_proj.bias"]))
        x = nn_block_forward(x, make_ln(P[p + "ln_1.weight"], P[p + "ln_1.bias"], eps),
                             P[p + "attn.c_attn.weight"].t(), P[p + "attn.c_attn.bias"],
                             P[p + "attn.c_proj.weight"].t(), P[p + "attn.c_proj.bias"],
                             make_ln(P[p + "ln_2.weight"], P[p + "ln_2.bias"], eps), mlp, NH, mask)
    ref = make_ln(P["transformer.ln_f.weight"], P["transformer.ln_f.bias"], eps)(x) @ P["transformer.wte.weight"].t()
    with torch.no_grad():
        check("gpt2 logits == torch.nn (MultiheadAttention, GELU tanh)", *close(R.forward(s, P, ids), ref, 1e-9))


def test_bloom_vs_nn():
    s = R.make_spec("bloom", 2, 10)
    P, g = f64_params(s)
    ids, _ = R.make_batch(s, 2, 10, g)
    B, T, eps, NH, H = 2, 10, s["eps"], s["heads"], s["hidden"]
    HS = H // NH
    ln = lambda n: make_ln(P[n + ".weight"], P[n + ".bias"], eps)  # noqa: E731
    x = ln("transformer.word_embeddings_layernorm")(P["transformer.word_embeddings.weight"][ids])
    # ALiBi in slope*(j - i) form + causal -inf as a float mask per (batch, head).
    j = torch.arange(T, dtype=torch.float64)
    mask = R.alibi_slopes(NH)[:, None, None] * (j[None, None, :] - j[None, :, None])
    mask = mask.masked_fill(torch.ones(T, T, dtype=torch.bool).triu(1), float("-inf")).repeat(B, 1, 1)
    for i in range(s["layers"]):
        p = f"transformer.h.{i}."
        # De-interleave [NH, 3, HS] rows into MultiheadAttention's [3, NH, HS].
        w = P[p + "self_attention.query_key_value.weight"].view(NH, 3, HS, H).transpose(0, 1).reshape(3 * H, H)
        b = P[p + "self_attention.query_key_value.bias"].view(NH, 3, HS).transpose(0, 1).reshape(3 * H)
        mlp = torch.nn.Sequential(
            make_lin(P[p + "mlp.dense_h_to_4h.weight"], P[p + "mlp.dense_h_to_4h.bias"]),
            torch.nn.GELU(approximate="tanh"),
            make_lin(P[p + "mlp.dense_4h_to_h.weight"], P[p + "mlp.dense_4h_to_h.bias"]))
        x = nn_block_forward(x, ln(p + "input_layernorm"), w, b, P[p + "self_attention.dense.weight"],
                             P[p + "self_attention.dense.bias"], ln(p + "post_attention_layernorm"), mlp, NH, mask)
    ref = ln("transformer.ln_f")(x) @ P["transformer.word_embeddings.weight"].t()
    with torch.no_grad():
        # 1e-7: Bloom's gelu constant 0.79788456 vs exact sqrt(2/pi) in nn.GELU.
        check("bloom logits == torch.nn (de-interleaved qkv, ALiBi j-i)", *close(R.forward(s, P, ids), ref, 1e-7))


def test_llama_vs_loops():
    # Independent LLaMA forward: per-token loops for norms/rope, naive attention.
    s = R.make_spec("internlm", 1, 6)  # has biases too
    P, g = f64_params(s)
    ids, _ = R.make_batch(s, 1, 6, g)
    T, H, NH, eps = 6, s["hidden"], s["heads"], s["eps"]
    HS = H // NH
    x = P["model.embed_tokens.weight"][ids[0]]  # [T, H]

    def rms(v, w):
        return torch.stack([r / math.sqrt((r * r).mean().item() + eps) for r in v]) * w

    def rope(v):  # v [T, HS]: rotate pairs (f, f + HS/2) by angle pos * theta^(-2f/HS)
        out = v.clone()
        for t in range(T):
            for f in range(HS // 2):
                a = t * s["theta"] ** (-2.0 * f / HS)
                x1, x2 = v[t, f], v[t, f + HS // 2]
                out[t, f] = x1 * math.cos(a) - x2 * math.sin(a)
                out[t, f + HS // 2] = x2 * math.cos(a) + x1 * math.sin(a)
        return out

    for i in range(s["layers"]):
        p = f"model.layers.{i}.self_attn."
        h = rms(x, P[f"model.layers.{i}.input_layernorm.weight"])
        proj = {n: h @ P[p + f"{n}_proj.weight"].t() + P[p + f"{n}_proj.bias"] for n in "qkv"}
        heads = []
        for hh in range(NH):
            sl = slice(hh * HS, (hh + 1) * HS)
            q, k = rope(proj["q"][:, sl]), rope(proj["k"][:, sl])
            heads.append(naive_attention(q[None, None], k[None, None], proj["v"][:, sl][None, None])[0, 0])
        x = x + torch.cat(heads, -1) @ P[p + "o_proj.weight"].t() + P[p + "o_proj.bias"]
        m = f"model.layers.{i}.mlp."
        h = rms(x, P[f"model.layers.{i}.post_attention_layernorm.weight"])
        gt, up = h @ P[m + "gate_proj.weight"].t(), h @ P[m + "up_proj.weight"].t()
        x = x + (gt / (1 + torch.exp(-gt)) * up) @ P[m + "down_proj.weight"].t()
    ref = rms(x, P["model.norm.weight"]) @ P["lm_head.weight"].t()
    check("internlm logits == per-token loop implementation", *close(R.forward(s, P, ids)[0], ref, 1e-9))


def test_gqa_equivalence():
    # A GQA model equals the MHA model whose k/v heads are repeated (h -> h // group).
    s = R.make_spec("llama2_gqa", 2, 9)
    P, g = f64_params(s)
    ids, _ = R.make_batch(s, 2, 9, g)
    NH, KVH, H = s["heads"], s["kv_heads"], s["hidden"]
    HS = H // NH
    s2 = dict(s, kv_heads=NH)
    P2 = OrderedDict(P)
    for i in range(s["layers"]):
        for n in "kv":
            key = f"model.layers.{i}.self_attn.{n}_proj.weight"
            P2[key] = P[key].view(KVH, 1, HS, H).expand(KVH, NH // KVH, HS, H).reshape(NH * HS, H)
    check("GQA == MHA with repeated kv heads", *close(R.forward(s, P, ids), R.forward(s2, P2, ids)))


def test_norm_head():
    s = R.make_spec("baichuan2", 2, 8)
    P, g = f64_params(s)
    ids, _ = R.make_batch(s, 2, 8, g)
    P2 = OrderedDict(P)
    P2["lm_head.weight"] = P["lm_head.weight"] * torch.rand(s["vocab"], 1, dtype=torch.float64).add(0.5)
    a, b = R.forward(s, P, ids), R.forward(s, P2, ids)
    n = R.forward(dict(s, norm_head=False), P, ids)
    check("baichuan2 NormHead invariant to lm_head row scale", *close(a, b))
    check("baichuan2 NormHead changes logits", (a - n).abs().max().item() > 1e-3)


def test_causality_and_loss():
    for fam in sorted(R.FAMILIES):
        s = R.make_spec(fam, 2, 12)
        P, g = f64_params(s)
        ids, targets = R.make_batch(s, 2, 12, g)
        ids2 = ids.clone()
        ids2[:, 7:] = (ids2[:, 7:] + 1) % s["vocab"]
        a, b = R.forward(s, P, ids), R.forward(s, P, ids2)
        ok = torch.equal(a[:, :7], b[:, :7]) and (a[:, 7:] - b[:, 7:]).abs().max().item() > 1e-6
        ref = F.cross_entropy(a.reshape(-1, a.shape[-1]), targets.reshape(-1), ignore_index=-100)
        ok2, d = close(R.lm_loss(a, targets), ref, 1e-12)
        check(f"{fam}: causal (future tokens do not change past logits), loss == F.cross_entropy", ok and ok2, d)


# --------------------------------------------------------------------------- gradients
# Micro sizes per family (HS = 2..3) so finite differences over every weight stay cheap.
MICRO = {
    "llama": dict(hidden=8, heads=2, kv_heads=2, ffn=12),
    "llama2_gqa": dict(hidden=8, heads=4, kv_heads=2, ffn=12),
    "internlm": dict(hidden=8, heads=2, kv_heads=2, ffn=12),
    "baichuan13b": dict(hidden=9, heads=3, kv_heads=3, ffn=12),  # non-power-of-two ALiBi
    "baichuan2": dict(hidden=8, heads=2, kv_heads=2, ffn=12),
    "bloom": dict(hidden=6, heads=3, kv_heads=3, ffn=24),
    "gpt2": dict(hidden=8, heads=2, kv_heads=2, ffn=32),
}


def test_gradcheck():
    for fam in sorted(R.FAMILIES):
        s = dict(R.FAMILIES[fam], layers=1, vocab=11, max_pos=6, **MICRO[fam])
        g = torch.Generator().manual_seed(3)
        P = R.init_params(s, g)
        names = list(P)
        ids, targets = R.make_batch(s, 2, 5, g)
        inputs = tuple(P[n].double().requires_grad_(True) for n in names)

        def f(*ts):
            return R.lm_loss(R.forward(s, dict(zip(names, ts)), ids), targets)

        ok = torch.autograd.gradcheck(f, inputs, eps=1e-6, atol=1e-7, rtol=1e-5, raise_exception=False)
        check(f"{fam}: gradcheck (micro, {sum(t.numel() for t in inputs)} params)", ok)


# --------------------------------------------------------------------------- end to end
def test_cli_roundtrip():
    with tempfile.TemporaryDirectory() as d:
        for fam, dtype in (("llama2_gqa", "bf16"), ("bloom", "f32"), ("gpt2", "bf16"), ("baichuan13b", "f32")):
            out = os.path.join(d, fam)
            subprocess.run([sys.executable, os.path.join(HERE, "hf_reference.py"), "--family", fam, "--out", out,
                            "--dtype", dtype, "--seed", "7", "--batch", "3", "--seq", "17", "--steps", "4"],
                           check=True, stdout=subprocess.DEVNULL)
            W, dts, _ = read_safetensors(os.path.join(out, "hf", "model.safetensors"))
            G, gdts, meta = read_safetensors(os.path.join(out, "golden.safetensors"))
            s = R.make_spec(fam, 3, 17)
            want = {n for n, _, _ in R.param_specs(s)}
            ok = set(W) == want and set(dts.values()) == {"BF16" if dtype == "bf16" else "F32"}
            ok &= all(G["grad." + n].shape == W[n].shape and gdts["grad." + n] == "F32" for n in W)
            ok &= G["input_ids"].shape == (3, 17) and gdts["input_ids"] == "I64" and G["losses"].shape == (4,)
            # Recompute from the files alone.
            P = OrderedDict((n, torch.from_numpy(W[n]).double().requires_grad_(True)) for n in W)
            ids, tg = torch.from_numpy(G["input_ids"]), torch.from_numpy(G["targets"])
            logits = R.forward(s, P, ids)
            loss = R.lm_loss(logits, tg)
            loss.backward()
            ok &= torch.allclose(logits.float(), torch.from_numpy(G["logits"]), rtol=0, atol=1e-6)
            ok &= abs(loss.item() - float(G["loss"][0])) < 1e-6
            ok &= all(torch.allclose(P[n].grad.float(), torch.from_numpy(G["grad." + n]), rtol=0, atol=1e-7) for n in W)
            ok &= abs(float(G["losses"][0]) - float(G["loss"][0])) < 1e-4 and G["losses"][-1] < G["losses"][0]
            ok &= (tg == -100).any().item() and (tg != -100).all(dim=1).logical_not().all().item()
            check(f"{fam}/{dtype}: CLI files reload and reproduce logits/loss/grads", ok)


def main():
    for t in (test_safetensors, test_rope, test_alibi, test_attention, test_bloom_split, test_gpt2_vs_nn,
              test_bloom_vs_nn, test_llama_vs_loops, test_gqa_equivalence, test_norm_head,
              test_causality_and_loss, test_gradcheck, test_cli_roundtrip):
        t()
    print(f"\n{len(FAILED)} failed" + (": " + ", ".join(FAILED) if FAILED else ""))
    sys.exit(1 if FAILED else 0)


if __name__ == "__main__":
    main()
