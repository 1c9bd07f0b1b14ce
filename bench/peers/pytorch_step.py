#!/usr/bin/python3
"""PyTorch CPU peer: time one full training step (forward, backward, AdamW) of R1.

R1: LLaMA, hidden 288, 6 layers, 6 heads (head size 48), SwiGLU FFN 768,
vocab 32000, seq 256, micro-batch 8, RMSNorm, RoPE, untied embeddings.

  /usr/bin/python3 bench/peers/pytorch_step.py [--dtype f32|bf16] [--threads 2] [--steps 5]

--dtype bf16 wraps forward + loss in torch.autocast("cpu", dtype=torch.bfloat16);
weights, gradients and AdamW state stay fp32 (master weights).
Runs 2 warm-up steps, then times --steps steps and reports the median as one
JSON line on stdout:
  {"peer":"pytorch","version":..,"dtype":..,"threads":..,"tokens_per_step":2048,
   "step_s":..,"tokens_per_s":..,"gflops":..}
Model FLOPs per token = 6 * (matmul params incl. LM head) + 12 * layers * seq * hidden
(the usual 6N training estimate plus attention scores/values; embeddings excluded).
The extra "blas" field says which BLAS served the f32 GEMMs: Debian's torch uses
whatever libblas.so.3 resolves to, and the netlib reference BLAS (the default
when OpenBLAS is not installed) is ~20x slower than OpenBLAS. bf16 matmuls on
CPUs without AVX512-BF16/AMX fall back to slow scalar kernels in torch 1.13.
"""
import argparse
import json
import math
import os
import statistics
import sys
import time


def _threads_from_argv(default=2):
    # BLAS thread pools (OpenBLAS pthreads) read their size once, when torch is
    # imported, so the environment has to be set before that import.
    for i, arg in enumerate(sys.argv):
        if arg == "--threads" and i + 1 < len(sys.argv):
            return sys.argv[i + 1]
        if arg.startswith("--threads="):
            return arg.split("=", 1)[1]
    return str(default)


for _var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ[_var] = _threads_from_argv()

import torch  # noqa: E402
import torch.nn as nn  # noqa: E402
import torch.nn.functional as F  # noqa: E402

R1 = dict(hidden=288, layers=6, heads=6, ffn=768, vocab=32000, seq=256, batch=8,
          eps=1e-5, theta=10000.0)


class RMSNorm(nn.Module):
    def __init__(self, dim, eps):
        super().__init__()
        self.eps = eps
        self.weight = nn.Parameter(torch.ones(dim))

    def forward(self, x):
        return x * torch.rsqrt(x.pow(2).mean(-1, keepdim=True) + self.eps) * self.weight


def rotate_half(x):
    h = x.shape[-1] // 2
    return torch.cat([-x[..., h:], x[..., :h]], dim=-1)


class Block(nn.Module):
    def __init__(self, c):
        super().__init__()
        H, FF = c["hidden"], c["ffn"]
        self.nh = c["heads"]
        self.attn_norm = RMSNorm(H, c["eps"])
        self.q = nn.Linear(H, H, bias=False)
        self.k = nn.Linear(H, H, bias=False)
        self.v = nn.Linear(H, H, bias=False)
        self.o = nn.Linear(H, H, bias=False)
        self.mlp_norm = RMSNorm(H, c["eps"])
        self.gate = nn.Linear(H, FF, bias=False)
        self.up = nn.Linear(H, FF, bias=False)
        self.down = nn.Linear(FF, H, bias=False)

    def forward(self, x, cos, sin, mask):
        B, T, H = x.shape
        h = self.attn_norm(x)
        q, k, v = (m(h).view(B, T, self.nh, -1).transpose(1, 2) for m in (self.q, self.k, self.v))
        q = q * cos + rotate_half(q) * sin
        k = k * cos + rotate_half(k) * sin
        # torch 1.13 has no F.scaled_dot_product_attention: plain causal softmax
        # attention, softmax in fp32 (matters under bf16 autocast).
        s = (q @ k.transpose(-1, -2)) * (1.0 / math.sqrt(q.shape[-1]))
        a = s.float().masked_fill(mask, float("-inf")).softmax(-1).to(v.dtype)
        x = x + self.o((a @ v).transpose(1, 2).reshape(B, T, H))
        h = self.mlp_norm(x)
        return x + self.down(F.silu(self.gate(h)) * self.up(h))


class Llama(nn.Module):
    def __init__(self, c):
        super().__init__()
        H, T, HS = c["hidden"], c["seq"], c["hidden"] // c["heads"]
        self.embed = nn.Embedding(c["vocab"], H)
        self.blocks = nn.ModuleList(Block(c) for _ in range(c["layers"]))
        self.norm = RMSNorm(H, c["eps"])
        self.lm_head = nn.Linear(H, c["vocab"], bias=False)
        for p in self.parameters():
            if p.dim() == 2:
                nn.init.normal_(p, std=0.02)
        inv = 1.0 / c["theta"] ** (torch.arange(0, HS, 2, dtype=torch.float32) / HS)
        f = torch.outer(torch.arange(T, dtype=torch.float32), inv)
        emb = torch.cat([f, f], -1)
        self.register_buffer("cos", emb.cos(), persistent=False)
        self.register_buffer("sin", emb.sin(), persistent=False)
        self.register_buffer("mask", torch.ones(T, T, dtype=torch.bool).triu(1), persistent=False)

    def forward(self, ids):
        T = ids.shape[1]
        x = self.embed(ids)
        cos, sin, mask = self.cos[:T], self.sin[:T], self.mask[:T, :T]
        for b in self.blocks:
            x = b(x, cos, sin, mask)
        return self.lm_head(self.norm(x))


def blas_library():
    """Which BLAS torch's f32 GEMMs actually go to. Debian's torch is built against
    the generic libblas.so.3, so this is whatever that resolves to: the netlib
    reference BLAS (slow, single-threaded) unless OpenBLAS is installed or put on
    LD_LIBRARY_PATH."""
    try:
        with open("/proc/self/maps") as f:
            libs = {os.path.realpath(line.split()[-1]) for line in f if "blas" in line or "mkl" in line}
    except OSError:
        return "unknown"
    for tag in ("openblas", "mkl", "blis"):
        if any(tag in p for p in libs):
            return tag
    return "netlib" if any("/blas/libblas" in p for p in libs) else "unknown"


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--dtype", default="f32", choices=["f32", "bf16"])
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--steps", type=int, default=5, help="timed steps (after 2 warm-up steps)")
    ap.add_argument("--warmup", type=int, default=2)
    # Overrides for smoke tests only; the reported benchmark is R1 as defined above.
    ap.add_argument("--batch", type=int, default=R1["batch"])
    ap.add_argument("--seq", type=int, default=R1["seq"])
    a = ap.parse_args()

    torch.set_num_threads(a.threads)
    torch.manual_seed(0)
    blas = blas_library()
    if blas == "netlib":
        print("warning: torch is using the netlib reference BLAS (~1 GFLOP/s); for a fair peer put "
              "OpenBLAS first, e.g. LD_LIBRARY_PATH=/usr/lib/x86_64-linux-gnu/openblas-pthread "
              "(package libopenblas0-pthread)", file=sys.stderr)
    c = dict(R1, batch=a.batch, seq=a.seq)
    model = Llama(c)
    opt = torch.optim.AdamW(model.parameters(), lr=3e-4, betas=(0.9, 0.999), eps=1e-8, weight_decay=0.0)
    B, T, V = c["batch"], c["seq"], c["vocab"]
    ids = torch.randint(0, V, (B, T + 1))
    x, y = ids[:, :-1].contiguous(), ids[:, 1:].contiguous()

    def step():
        opt.zero_grad(set_to_none=True)
        with torch.autocast("cpu", dtype=torch.bfloat16, enabled=(a.dtype == "bf16")):
            logits = model(x)
            loss = F.cross_entropy(logits.float().view(-1, V), y.view(-1))
        loss.backward()
        opt.step()
        return loss.item()

    for _ in range(a.warmup):
        step()
    times = []
    for _ in range(a.steps):
        t0 = time.perf_counter()
        step()
        times.append(time.perf_counter() - t0)
    step_s = statistics.median(times)

    H, L = c["hidden"], c["layers"]
    matmul_params = sum(m.weight.numel() for m in model.modules() if isinstance(m, nn.Linear))
    assert matmul_params == L * (4 * H * H + 3 * H * c["ffn"]) + H * V
    flops_per_token = 6 * matmul_params + 12 * L * T * H
    tokens = B * T
    print(json.dumps({
        "peer": "pytorch",
        "version": torch.__version__,
        "dtype": a.dtype,
        "threads": a.threads,
        "tokens_per_step": tokens,
        "step_s": round(step_s, 6),
        "tokens_per_s": round(tokens / step_s, 3),
        "gflops": round(flops_per_token * tokens / step_s / 1e9, 3),
        "blas": blas,
    }))


if __name__ == "__main__":
    main()
