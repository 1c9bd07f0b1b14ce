#!/usr/bin/python3
"""PyTorch oracle for ascent's HF-checkpoint model families.

Builds a tiny random model of one HF architecture, writes it as a real-looking
HF checkpoint (config.json + model.safetensors, real tensor names/layouts), then
runs forward+backward in float64 with the family's HF semantics re-implemented
in plain torch ops, and writes the results to golden.safetensors.

  /usr/bin/python3 tests/oracle/hf_reference.py --family FAMILY --out DIR
      [--dtype f32|bf16|f16] [--seed N] [--batch B] [--seq T] [--steps N]

Outputs:
  DIR/hf/config.json        HF config with the architecture's real keys
  DIR/hf/model.safetensors  weights, F32, BF16 or F16 (--dtype)
  DIR/golden.safetensors    input_ids I64[B,T], targets I64[B,T] (-100 = ignored),
                            logits F32[B,T,V], loss F32[1],
                            grad.<name> F32 (same shape as <name> in model.safetensors),
                            losses F32[N] (only with --steps N > 0)

The loss is the mean cross-entropy over positions whose target != -100, with
the targets taken as given (no internal shift). Gradients are of that loss with
respect to the *stored* tensors (for --dtype bf16: the bf16-rounded values),
computed in float64. --steps N additionally runs N AdamW steps (lr 1e-3,
betas (0.9, 0.999), eps 1e-8, weight_decay 0) in float32 on the same batch,
starting from the stored weights, and records the loss before each step.

Requires only torch (Debian's 1.13 is fine) and numpy; no transformers/safetensors.
"""
import argparse
import copy
import json
import math
import os
import sys
from collections import OrderedDict

import torch
import torch.nn.functional as F

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from safetensors_io import round_to_bf16, write_safetensors  # noqa: E402

IGNORE_INDEX = -100

# ---------------------------------------------------------------------------
# Family definitions. Sizes are deliberately odd-ish (non-power-of-two vocab,
# head counts that exercise ALiBi's non-power-of-two path, GQA ratio 3).
#   kind   : which forward implementation ("llama" covers llama/internlm/baichuan)
#   qkv    : "separate" (q/k/v_proj) or "wpack" (Baichuan fused W_pack = [q; k; v])
#   pos    : "rope" or "alibi"
# ---------------------------------------------------------------------------
FAMILIES = {
    "llama": dict(kind="llama", hidden=64, layers=2, heads=4, kv_heads=4, ffn=160, vocab=257,
                  eps=1e-5, theta=10000.0, max_pos=64, qkv="separate", bias=False, pos="rope",
                  norm_head=False),
    # Llama-3 style theta so that a loader ignoring rope_theta fails.
    "llama2_gqa": dict(kind="llama", hidden=48, layers=2, heads=6, kv_heads=2, ffn=112, vocab=193,
                       eps=1e-5, theta=500000.0, max_pos=64, qkv="separate", bias=False, pos="rope",
                       norm_head=False),
    "internlm": dict(kind="llama", hidden=48, layers=2, heads=4, kv_heads=4, ffn=128, vocab=211,
                     eps=1e-6, theta=10000.0, max_pos=64, qkv="separate", bias=True, pos="rope",
                     norm_head=False),
    # 6 heads: ALiBi slopes take the "closest power of two + interleaved extras" path.
    "baichuan13b": dict(kind="llama", hidden=48, layers=2, heads=6, kv_heads=6, ffn=136, vocab=229,
                        eps=1e-6, theta=None, max_pos=64, qkv="wpack", bias=False, pos="alibi",
                        norm_head=False),
    "baichuan2": dict(kind="llama", hidden=64, layers=2, heads=4, kv_heads=4, ffn=144, vocab=163,
                      eps=1e-6, theta=10000.0, max_pos=64, qkv="wpack", bias=False, pos="rope",
                      norm_head=True),
    # Bloom and GPT-2 have no configurable FFN width: it is always 4 * hidden.
    "bloom": dict(kind="bloom", hidden=40, layers=2, heads=5, kv_heads=5, ffn=160, vocab=251,
                  eps=1e-5, pos="alibi"),
    "gpt2": dict(kind="gpt2", hidden=48, layers=2, heads=4, kv_heads=4, ffn=192, vocab=181,
                 eps=1e-5, max_pos=32, pos="learned"),
}


# ---------------------------------------------------------------------------
# HF config.json
# ---------------------------------------------------------------------------
def hf_config(family, s, dtype):
    torch_dtype = {"bf16": "bfloat16", "f16": "float16"}.get(dtype, "float32")
    if family in ("llama", "llama2_gqa"):
        return {
            "architectures": ["LlamaForCausalLM"],
            "model_type": "llama",
            "hidden_size": s["hidden"],
            "intermediate_size": s["ffn"],
            "num_hidden_layers": s["layers"],
            "num_attention_heads": s["heads"],
            "num_key_value_heads": s["kv_heads"],
            "hidden_act": "silu",
            "rms_norm_eps": s["eps"],
            "rope_theta": s["theta"],
            "rope_scaling": None,
            "attention_bias": False,
            "max_position_embeddings": s["max_pos"],
            "vocab_size": s["vocab"],
            "tie_word_embeddings": False,
            "pretraining_tp": 1,
            "initializer_range": 0.02,
            "bos_token_id": 1,
            "eos_token_id": 2,
            "use_cache": True,
            "torch_dtype": torch_dtype,
        }
    if family == "internlm":
        # InternLM (v1) remote-code config: MHA only (no num_key_value_heads),
        # "bias" switches on q/k/v/o biases, RoPE base lives in "rotary".
        return {
            "architectures": ["InternLMForCausalLM"],
            "model_type": "internlm",
            "hidden_size": s["hidden"],
            "intermediate_size": s["ffn"],
            "num_hidden_layers": s["layers"],
            "num_attention_heads": s["heads"],
            "hidden_act": "silu",
            "rms_norm_eps": s["eps"],
            "bias": True,
            "rotary": {"base": s["theta"], "type": "origin"},
            "max_position_embeddings": s["max_pos"],
            "vocab_size": s["vocab"],
            "tie_word_embeddings": False,
            "initializer_range": 0.02,
            "bos_token_id": 1,
            "eos_token_id": 2,
            "pad_token_id": 0,
            "use_cache": True,
            "torch_dtype": torch_dtype,
        }
    if family in ("baichuan13b", "baichuan2"):
        # Baichuan remote-code configs carry no positional-encoding key (it is
        # implied by the model size); "position_embedding_type" and
        # "lm_norm_weight" are explicit extras so a loader need not guess.
        cfg = {
            "architectures": ["BaichuanForCausalLM"],
            "model_type": "baichuan",
            "hidden_size": s["hidden"],
            "intermediate_size": s["ffn"],
            "num_hidden_layers": s["layers"],
            "num_attention_heads": s["heads"],
            "hidden_act": "silu",
            "rms_norm_eps": s["eps"],
            "model_max_length": s["max_pos"],
            "vocab_size": s["vocab"],
            "tie_word_embeddings": False,
            "initializer_range": 0.02,
            "bos_token_id": 1,
            "eos_token_id": 2,
            "pad_token_id": 0,
            "use_cache": True,
            "torch_dtype": torch_dtype,
            "position_embedding_type": s["pos"],
            "lm_norm_weight": bool(s["norm_head"]),
        }
        if family == "baichuan2":
            # Baichuan2-7B: RoPE with the (hard-coded) base 10000, NormHead, z-loss off.
            cfg["max_position_embeddings"] = s["max_pos"]
            cfg["z_loss_weight"] = 0
        return cfg
    if family == "bloom":
        # Bloom ties lm_head to word_embeddings (PretrainedConfig default
        # tie_word_embeddings=True; real configs do not spell it out).
        return {
            "architectures": ["BloomForCausalLM"],
            "model_type": "bloom",
            "hidden_size": s["hidden"],
            "n_layer": s["layers"],
            "n_head": s["heads"],
            "layer_norm_epsilon": s["eps"],
            "vocab_size": s["vocab"],
            "apply_residual_connection_post_layernorm": False,
            "attention_dropout": 0.0,
            "hidden_dropout": 0.0,
            "pretraining_tp": 1,
            "slow_but_exact": False,
            "initializer_range": 0.02,
            "bos_token_id": 1,
            "eos_token_id": 2,
            "pad_token_id": 3,
            "use_cache": True,
            "torch_dtype": torch_dtype,
        }
    if family == "gpt2":
        return {
            "architectures": ["GPT2LMHeadModel"],
            "model_type": "gpt2",
            "activation_function": "gelu_new",
            "n_embd": s["hidden"],
            "n_layer": s["layers"],
            "n_head": s["heads"],
            "n_positions": s["max_pos"],
            "n_ctx": s["max_pos"],
            "n_inner": None,
            "layer_norm_epsilon": s["eps"],
            "vocab_size": s["vocab"],
            # The reference runs without dropout; say so rather than copy GPT-2's 0.1.
            "attn_pdrop": 0.0,
            "embd_pdrop": 0.0,
            "resid_pdrop": 0.0,
            "scale_attn_weights": True,
            "scale_attn_by_inverse_layer_idx": False,
            "reorder_and_upcast_attn": False,
            "initializer_range": 0.02,
            "bos_token_id": s["vocab"] - 1,
            "eos_token_id": s["vocab"] - 1,
            "use_cache": True,
            "torch_dtype": torch_dtype,
        }
    raise ValueError(family)


# ---------------------------------------------------------------------------
# Parameters: ordered (HF name, shape, init kind). Linear weights are [out, in]
# (nn.Linear) except GPT-2's Conv1D, which stores [in, out].
# ---------------------------------------------------------------------------
def param_specs(s):
    H, L, NH, KVH, FF, V = s["hidden"], s["layers"], s["heads"], s["kv_heads"], s["ffn"], s["vocab"]
    HS = H // NH
    out = []
    if s["kind"] == "llama":
        out.append(("model.embed_tokens.weight", (V, H), "emb"))
        for i in range(L):
            p = f"model.layers.{i}."
            out.append((p + "input_layernorm.weight", (H,), "norm"))
            if s["qkv"] == "wpack":
                out.append((p + "self_attn.W_pack.weight", (3 * H, H), "linear"))
            else:
                for n, rows in (("q", NH * HS), ("k", KVH * HS), ("v", KVH * HS)):
                    out.append((p + f"self_attn.{n}_proj.weight", (rows, H), "linear"))
                    if s["bias"]:
                        out.append((p + f"self_attn.{n}_proj.bias", (rows,), "bias"))
            out.append((p + "self_attn.o_proj.weight", (H, NH * HS), "linear"))
            if s["bias"]:
                out.append((p + "self_attn.o_proj.bias", (H,), "bias"))
            out.append((p + "post_attention_layernorm.weight", (H,), "norm"))
            out.append((p + "mlp.gate_proj.weight", (FF, H), "linear"))
            out.append((p + "mlp.up_proj.weight", (FF, H), "linear"))
            out.append((p + "mlp.down_proj.weight", (H, FF), "linear"))
        out.append(("model.norm.weight", (H,), "norm"))
        out.append(("lm_head.weight", (V, H), "linear"))
    elif s["kind"] == "bloom":
        out.append(("transformer.word_embeddings.weight", (V, H), "emb"))
        out.append(("transformer.word_embeddings_layernorm.weight", (H,), "norm"))
        out.append(("transformer.word_embeddings_layernorm.bias", (H,), "bias"))
        for i in range(L):
            p = f"transformer.h.{i}."
            out += [
                (p + "input_layernorm.weight", (H,), "norm"),
                (p + "input_layernorm.bias", (H,), "bias"),
                (p + "self_attention.query_key_value.weight", (3 * H, H), "linear"),
                (p + "self_attention.query_key_value.bias", (3 * H,), "bias"),
                (p + "self_attention.dense.weight", (H, H), "linear"),
                (p + "self_attention.dense.bias", (H,), "bias"),
                (p + "post_attention_layernorm.weight", (H,), "norm"),
                (p + "post_attention_layernorm.bias", (H,), "bias"),
                (p + "mlp.dense_h_to_4h.weight", (FF, H), "linear"),
                (p + "mlp.dense_h_to_4h.bias", (FF,), "bias"),
                (p + "mlp.dense_4h_to_h.weight", (H, FF), "linear"),
                (p + "mlp.dense_4h_to_h.bias", (H,), "bias"),
            ]
        out.append(("transformer.ln_f.weight", (H,), "norm"))
        out.append(("transformer.ln_f.bias", (H,), "bias"))
    elif s["kind"] == "gpt2":
        out.append(("transformer.wte.weight", (V, H), "emb"))
        out.append(("transformer.wpe.weight", (s["max_pos"], H), "pos"))
        for i in range(L):
            p = f"transformer.h.{i}."
            out += [
                (p + "ln_1.weight", (H,), "norm"),
                (p + "ln_1.bias", (H,), "bias"),
                (p + "attn.c_attn.weight", (H, 3 * H), "conv1d"),
                (p + "attn.c_attn.bias", (3 * H,), "bias"),
                (p + "attn.c_proj.weight", (H, H), "conv1d"),
                (p + "attn.c_proj.bias", (H,), "bias"),
                (p + "ln_2.weight", (H,), "norm"),
                (p + "ln_2.bias", (H,), "bias"),
                (p + "mlp.c_fc.weight", (H, FF), "conv1d"),
                (p + "mlp.c_fc.bias", (FF,), "bias"),
                (p + "mlp.c_proj.weight", (FF, H), "conv1d"),
                (p + "mlp.c_proj.bias", (H,), "bias"),
            ]
        out.append(("transformer.ln_f.weight", (H,), "norm"))
        out.append(("transformer.ln_f.bias", (H,), "bias"))
    else:
        raise ValueError(s["kind"])
    return out


def init_params(s, gen):
    """Random float32 weights, scaled so activations and attention are non-trivial:
    linear std 1/sqrt(fan_in) (0.07..0.16 here), embeddings 0.2, norm weights
    1 +- 0.1, biases +-0.1."""
    params = OrderedDict()
    for name, shape, kind in param_specs(s):
        r = torch.randn(shape, generator=gen, dtype=torch.float32)
        if kind == "linear":
            t = r / math.sqrt(shape[1])
        elif kind == "conv1d":
            t = r / math.sqrt(shape[0])
        elif kind == "emb":
            t = r * 0.2
        elif kind == "pos":
            t = r * 0.1
        elif kind == "norm":
            t = 1.0 + 0.1 * r
        elif kind == "bias":
            t = 0.1 * r
        else:
            raise ValueError(kind)
        params[name] = t.contiguous()
    return params


# ---------------------------------------------------------------------------
# Building blocks (all dtype-generic; the oracle runs them in float64).
# ---------------------------------------------------------------------------
def linear(x, w, b=None):
    """nn.Linear semantics: w is [out, in]."""
    y = x @ w.t()
    return y if b is None else y + b


def rms_norm(x, w, eps):
    # HF LlamaRMSNorm: x * rsqrt(mean(x^2) + eps) * w
    return x * torch.rsqrt(x.pow(2).mean(-1, keepdim=True) + eps) * w


def layer_norm(x, w, b, eps):
    return F.layer_norm(x, (x.shape[-1],), w, b, eps)


def gelu_tanh(x, c=math.sqrt(2.0 / math.pi)):
    # GPT-2 "gelu_new": 0.5 x (1 + tanh(sqrt(2/pi) (x + 0.044715 x^3))).
    return 0.5 * x * (1.0 + torch.tanh(c * (x + 0.044715 * x.pow(3))))


def bloom_gelu(x):
    # Bloom's bloom_gelu_forward uses the truncated constant 0.79788456.
    return x * 0.5 * (1.0 + torch.tanh(0.79788456 * x * (1.0 + 0.044715 * x * x)))


def rope_tables(T, HS, theta, dtype):
    """HF LLaMA rotary tables: inv_freq[i] = theta^(-2i/HS), emb = cat(freqs, freqs)."""
    inv_freq = 1.0 / (theta ** (torch.arange(0, HS, 2, dtype=torch.float64) / HS))
    pos = torch.arange(T, dtype=torch.float64)
    freqs = torch.outer(pos, inv_freq)  # [T, HS/2]
    emb = torch.cat([freqs, freqs], dim=-1)  # [T, HS]
    return emb.cos().to(dtype), emb.sin().to(dtype)


def rotate_half(x):
    h = x.shape[-1] // 2
    return torch.cat([-x[..., h:], x[..., :h]], dim=-1)


def apply_rope(x, cos, sin):
    """x: [B, heads, T, HS]; cos/sin: [T, HS]."""
    return x * cos + rotate_half(x) * sin


def alibi_slopes(n_heads):
    """ALiBi slopes as in HF Bloom build_alibi_tensor / Baichuan _get_interleave.
    p = largest power of two <= n: slopes 2^(-8k/p) for k = 1..p, then for the
    n - p extra heads the odd powers 2^(-4(2k-1)/p), k = 1..n-p."""
    p = 2 ** int(math.floor(math.log2(n_heads)))
    base = 2.0 ** (-8.0 / p)
    slopes = [base ** k for k in range(1, p + 1)]
    if p != n_heads:
        extra_base = 2.0 ** (-4.0 / p)
        slopes += [extra_base ** k for k in range(1, 2 * (n_heads - p), 2)]
    return torch.tensor(slopes, dtype=torch.float64)


def alibi_bias(n_heads, T, dtype):
    """[heads, T, T] additive bias slope_h * j (key position). HF Bloom and Baichuan
    both add slope*j; slope*(j - i) differs by a per-row constant, which softmax
    ignores."""
    j = torch.arange(T, dtype=torch.float64)
    return (alibi_slopes(n_heads)[:, None, None] * j[None, None, :]).expand(n_heads, T, T).to(dtype)


def causal_attention(q, k, v, bias=None):
    """q: [B, NH, T, HS]; k, v: [B, KVH, T, HS] with NH % KVH == 0.
    Query head h reads kv head h // (NH // KVH) (HF repeat_kv). Scores are
    q.k / sqrt(HS) + bias, future keys masked, softmax over keys."""
    NH, KVH, T, HS = q.shape[1], k.shape[1], q.shape[2], q.shape[3]
    if KVH != NH:
        k = k.repeat_interleave(NH // KVH, dim=1)
        v = v.repeat_interleave(NH // KVH, dim=1)
    scores = (q @ k.transpose(-1, -2)) / math.sqrt(HS)
    if bias is not None:
        scores = scores + bias
    future = torch.ones(T, T, dtype=torch.bool).triu(1)
    scores = scores.masked_fill(future, float("-inf"))
    return scores.softmax(dim=-1) @ v


def split_heads(x, n):
    """[B, T, n*HS] -> [B, n, T, HS] (head-major feature layout)."""
    B, T, D = x.shape
    return x.view(B, T, n, D // n).transpose(1, 2)


def merge_heads(x):
    """[B, n, T, HS] -> [B, T, n*HS]."""
    B, n, T, HS = x.shape
    return x.transpose(1, 2).reshape(B, T, n * HS)


# ---------------------------------------------------------------------------
# Forwards. P maps HF tensor names to tensors; returns logits [B, T, V].
# ---------------------------------------------------------------------------
def llama_forward(s, P, ids):
    """LLaMA / InternLM (biases) / Baichuan (W_pack, ALiBi or RoPE, NormHead)."""
    B, T = ids.shape
    H, NH, KVH, eps = s["hidden"], s["heads"], s["kv_heads"], s["eps"]
    HS = H // NH
    dt = P["model.embed_tokens.weight"].dtype
    x = P["model.embed_tokens.weight"][ids]
    cos = sin = bias = None
    if s["pos"] == "rope":
        cos, sin = rope_tables(T, HS, s["theta"], dt)
    else:
        bias = alibi_bias(NH, T, dt)
    for i in range(s["layers"]):
        p = f"model.layers.{i}."
        h = rms_norm(x, P[p + "input_layernorm.weight"], eps)
        if s["qkv"] == "wpack":
            # W_pack rows are [q (H rows); k (H rows); v (H rows)].
            q, k, v = linear(h, P[p + "self_attn.W_pack.weight"]).split(H, dim=-1)
        else:
            q = linear(h, P[p + "self_attn.q_proj.weight"], P.get(p + "self_attn.q_proj.bias"))
            k = linear(h, P[p + "self_attn.k_proj.weight"], P.get(p + "self_attn.k_proj.bias"))
            v = linear(h, P[p + "self_attn.v_proj.weight"], P.get(p + "self_attn.v_proj.bias"))
        q, k, v = split_heads(q, NH), split_heads(k, KVH), split_heads(v, KVH)
        if cos is not None:
            q, k = apply_rope(q, cos, sin), apply_rope(k, cos, sin)
        o = merge_heads(causal_attention(q, k, v, bias))
        x = x + linear(o, P[p + "self_attn.o_proj.weight"], P.get(p + "self_attn.o_proj.bias"))
        h = rms_norm(x, P[p + "post_attention_layernorm.weight"], eps)
        g = linear(h, P[p + "mlp.gate_proj.weight"])
        u = linear(h, P[p + "mlp.up_proj.weight"])
        x = x + linear(F.silu(g) * u, P[p + "mlp.down_proj.weight"])
    x = rms_norm(x, P["model.norm.weight"], eps)
    w = P["lm_head.weight"]
    if s["norm_head"]:
        # Baichuan2 NormHead: every vocab row L2-normalised at use.
        w = F.normalize(w, dim=1)
    return linear(x, w)


def bloom_split_qkv(qkv, NH):
    """Bloom's fused query_key_value output [B, T, 3H] is laid out [NH, 3, HS]
    (per head: q, k, v), unlike W_pack/c_attn's [3, NH, HS]. Returns q, k, v as
    [B, NH, T, HS]."""
    B, T, D = qkv.shape
    qkv = qkv.view(B, T, NH, 3, D // (3 * NH))
    return tuple(qkv[..., j, :].transpose(1, 2) for j in range(3))


def bloom_forward(s, P, ids):
    B, T = ids.shape
    NH, eps = s["heads"], s["eps"]
    wte = P["transformer.word_embeddings.weight"]
    x = layer_norm(wte[ids], P["transformer.word_embeddings_layernorm.weight"],
                   P["transformer.word_embeddings_layernorm.bias"], eps)
    bias = alibi_bias(NH, T, wte.dtype)
    for i in range(s["layers"]):
        p = f"transformer.h.{i}."
        h = layer_norm(x, P[p + "input_layernorm.weight"], P[p + "input_layernorm.bias"], eps)
        qkv = linear(h, P[p + "self_attention.query_key_value.weight"],
                     P[p + "self_attention.query_key_value.bias"])
        q, k, v = bloom_split_qkv(qkv, NH)
        o = merge_heads(causal_attention(q, k, v, bias))
        x = x + linear(o, P[p + "self_attention.dense.weight"], P[p + "self_attention.dense.bias"])
        h = layer_norm(x, P[p + "post_attention_layernorm.weight"], P[p + "post_attention_layernorm.bias"], eps)
        m = bloom_gelu(linear(h, P[p + "mlp.dense_h_to_4h.weight"], P[p + "mlp.dense_h_to_4h.bias"]))
        x = x + linear(m, P[p + "mlp.dense_4h_to_h.weight"], P[p + "mlp.dense_4h_to_h.bias"])
    x = layer_norm(x, P["transformer.ln_f.weight"], P["transformer.ln_f.bias"], eps)
    return linear(x, wte)  # tied lm_head, no bias


def gpt2_forward(s, P, ids):
    B, T = ids.shape
    H, NH, eps = s["hidden"], s["heads"], s["eps"]
    wte = P["transformer.wte.weight"]
    x = wte[ids] + P["transformer.wpe.weight"][:T]

    def conv1d(x, name):  # GPT-2 Conv1D: weight [in, out], y = x @ W + b
        return x @ P[name + ".weight"] + P[name + ".bias"]

    for i in range(s["layers"]):
        p = f"transformer.h.{i}."
        h = layer_norm(x, P[p + "ln_1.weight"], P[p + "ln_1.bias"], eps)
        q, k, v = conv1d(h, p + "attn.c_attn").split(H, dim=-1)
        o = merge_heads(causal_attention(split_heads(q, NH), split_heads(k, NH), split_heads(v, NH)))
        x = x + conv1d(o, p + "attn.c_proj")
        h = layer_norm(x, P[p + "ln_2.weight"], P[p + "ln_2.bias"], eps)
        x = x + conv1d(gelu_tanh(conv1d(h, p + "mlp.c_fc")), p + "mlp.c_proj")
    x = layer_norm(x, P["transformer.ln_f.weight"], P["transformer.ln_f.bias"], eps)
    return linear(x, wte)  # tied lm_head


FORWARDS = {"llama": llama_forward, "bloom": bloom_forward, "gpt2": gpt2_forward}


def forward(s, P, ids):
    return FORWARDS[s["kind"]](s, P, ids)


def lm_loss(logits, targets):
    """Mean cross-entropy over positions with target != -100 (targets used as given)."""
    V = logits.shape[-1]
    logp = logits.reshape(-1, V).log_softmax(dim=-1)
    t = targets.reshape(-1)
    valid = t != IGNORE_INDEX
    nll = -logp[valid].gather(1, t[valid].unsqueeze(1)).squeeze(1)
    return nll.mean()


# ---------------------------------------------------------------------------
# Driver
# ---------------------------------------------------------------------------
def make_spec(family, batch, seq):
    s = copy.deepcopy(FAMILIES[family])
    if "max_pos" in s:  # position tables / max_position_embeddings must cover --seq
        s["max_pos"] = max(s["max_pos"], seq)
    return s


def make_batch(s, batch, seq, gen, ignore=True):
    """input_ids = tokens[:, :T], targets = tokens[:, 1:] (next tokens), then
    ~1/8 of the target positions (at least one per row, never all) -> -100 unless ignore=False
    (training parity: the targets a GPT dataset of these tokens gives)."""
    toks = torch.randint(0, s["vocab"], (batch, seq + 1), generator=gen, dtype=torch.int64)
    ids, targets = toks[:, :-1].clone(), toks[:, 1:].clone()
    n_ign = (max(1, seq // 8) if seq > 1 else 0) if ignore else 0
    for b in range(batch):
        pos = torch.randperm(seq, generator=gen)[:n_ign]
        targets[b, pos] = IGNORE_INDEX
    return ids, targets


def run_reference(s, stored, ids, targets):
    """float64 forward/backward on the stored weights. Returns (logits, loss, grads)."""
    P = OrderedDict((n, t.to(torch.float64).requires_grad_(True)) for n, t in stored.items())
    logits = forward(s, P, ids)
    loss = lm_loss(logits, targets)
    loss.backward()
    grads = OrderedDict((n, p.grad if p.grad is not None else torch.zeros_like(p)) for n, p in P.items())
    return logits.detach(), loss.detach(), grads


def run_adamw(s, stored, ids, targets, steps, micro_batches=1):
    """N steps of AdamW in float32 on one fixed batch; returns loss before each step. With
    micro_batches M, each step accumulates the gradients of M passes over the batch, each loss
    divided by M (Megatron's gradient accumulation), and reports their mean loss."""
    P = OrderedDict((n, t.to(torch.float32).clone().requires_grad_(True)) for n, t in stored.items())
    opt = torch.optim.AdamW(list(P.values()), lr=1e-3, betas=(0.9, 0.999), eps=1e-8, weight_decay=0.0)
    losses = []
    for _ in range(steps):
        opt.zero_grad(set_to_none=True)
        total = 0.0
        for _ in range(micro_batches):
            loss = lm_loss(forward(s, P, ids), targets) / micro_batches
            total += loss.item()
            loss.backward()
        losses.append(total)
        opt.step()
    return torch.tensor(losses, dtype=torch.float32)


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--family", required=True, choices=sorted(FAMILIES))
    ap.add_argument("--out", required=True, help="output directory (created)")
    ap.add_argument("--dtype", default="f32", choices=["f32", "bf16", "f16"], help="storage dtype of model.safetensors")
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--batch", type=int, default=2)
    ap.add_argument("--seq", type=int, default=20)
    ap.add_argument("--steps", type=int, default=0, help="AdamW steps for the 'losses' trace (0 = none)")
    ap.add_argument("--micro-batches", type=int, default=1, help="gradient accumulation passes per AdamW step")
    ap.add_argument("--no-ignore", action="store_true", help="no -100 targets (training parity)")
    a = ap.parse_args(argv)
    if a.batch < 1 or a.seq < 2 or a.steps < 0:
        ap.error("need --batch >= 1, --seq >= 2, --steps >= 0")

    torch.set_num_threads(1)  # tiny problem; keeps results bit-reproducible
    s = make_spec(a.family, a.batch, a.seq)
    gen = torch.Generator().manual_seed(a.seed)
    params = init_params(s, gen)
    if a.dtype == "bf16":
        # The reference then runs on exactly the values a bf16 loader will see.
        params = OrderedDict((n, torch.from_numpy(round_to_bf16(t.numpy()))) for n, t in params.items())
    elif a.dtype == "f16":
        params = OrderedDict((n, t.to(torch.float16).to(torch.float32)) for n, t in params.items())
    ids, targets = make_batch(s, a.batch, a.seq, gen, ignore=not a.no_ignore)

    hf_dir = os.path.join(a.out, "hf")
    os.makedirs(hf_dir, exist_ok=True)
    with open(os.path.join(hf_dir, "config.json"), "w") as f:
        json.dump(hf_config(a.family, s, a.dtype), f, indent=2)
        f.write("\n")
    tag = {"bf16": "BF16", "f16": "F16"}.get(a.dtype, "F32")
    stored = (lambda t: t.numpy().astype("float16")) if a.dtype == "f16" else (lambda t: t.numpy())
    write_safetensors(os.path.join(hf_dir, "model.safetensors"),
                      OrderedDict((n, stored(t)) for n, t in params.items()),
                      dtypes={n: tag for n in params})

    logits, loss, grads = run_reference(s, params, ids, targets)
    golden = OrderedDict()
    golden["input_ids"] = ids.numpy()
    golden["targets"] = targets.numpy()
    golden["logits"] = logits.to(torch.float32).numpy()
    golden["loss"] = loss.reshape(1).to(torch.float32).numpy()
    for n, g in grads.items():
        golden["grad." + n] = g.to(torch.float32).numpy()
    if a.steps > 0:
        golden["losses"] = run_adamw(s, params, ids, targets, a.steps, a.micro_batches).numpy()
    meta = {"family": a.family, "dtype": a.dtype, "seed": a.seed, "batch": a.batch, "seq": a.seq,
            "steps": a.steps, "ignore_index": IGNORE_INDEX, "loss_f64": repr(loss.item()),
            "torch": torch.__version__}
    write_safetensors(os.path.join(a.out, "golden.safetensors"), golden, metadata=meta)
    print(f"{a.family}: loss={loss.item():.6f} params={sum(t.numel() for t in params.values())} -> {a.out}")


if __name__ == "__main__":
    main()
