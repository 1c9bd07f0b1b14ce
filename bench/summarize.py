"""Prints the side-by-side table of `make bench` from the JSON lines the runs wrote."""
import json
import sys

# Measured on the reference machine (2 threads): FMA peak f32 and bf16 (docs/PERFORMANCE.md).
PEAK_GFLOPS = {"f32": 420.0, "bf16": 790.0}

rows = [json.loads(l) for l in open(sys.argv[1]) if l.strip().startswith("{")]
by = {(r["peer"], r["dtype"]): r for r in rows}
print()
print(f"{'run':<22}{'step s':>9}{'tokens/s':>11}{'GFLOP/s':>10}{'% peak':>8}{'vs PyTorch':>12}")
for dtype in ("f32", "bf16"):
    peer = by.get(("pytorch", dtype))
    for name in ("ascent", "pytorch"):
        r = by.get((name, dtype))
        if not r:
            continue
        ratio = f"{r['gflops'] / peer['gflops']:.2f}x" if peer else "-"
        pct = 100.0 * r["gflops"] / PEAK_GFLOPS[dtype]
        print(f"{name + ' ' + dtype:<22}{r['step_s']:>9.3f}{r['tokens_per_s']:>11.0f}"
              f"{r['gflops']:>10.1f}{pct:>7.0f}%{ratio:>12}")
