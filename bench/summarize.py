"""Prints the side-by-side table of `make bench` from the JSON lines the runs wrote."""
import json
import sys

rows = [json.loads(l) for l in open(sys.argv[1]) if l.strip().startswith("{")]
# The f32 FMA peak measured in the same run (bench/peak_flops.cpp). Without bf16 FMA hardware the
# bf16 runs compute in f32, so the same peak is the honest denominator for both.
peak = next(r["peak_f32_gflops"] for r in rows if "peak_f32_gflops" in r)
print(f"measured f32 FMA peak: {peak:.0f} GFLOP/s")
by = {(r["peer"], r["dtype"]): r for r in rows if "peer" in r}
print()
print(f"{'run':<22}{'step s':>9}{'tokens/s':>11}{'GFLOP/s':>10}{'% peak':>8}{'vs PyTorch':>12}")
for dtype in ("f32", "bf16"):
    peer = by.get(("pytorch", dtype))
    for name in ("ascent", "pytorch"):
        r = by.get((name, dtype))
        if not r:
            continue
        ratio = f"{r['gflops'] / peer['gflops']:.2f}x" if peer else "-"
        pct = 100.0 * r["gflops"] / peak
        print(f"{name + ' ' + dtype:<22}{r['step_s']:>9.3f}{r['tokens_per_s']:>11.0f}"
              f"{r['gflops']:>10.1f}{pct:>7.0f}%{ratio:>12}")
