#!/usr/bin/env bash
# `make bench`: one R1 training step (forward, backward, AdamW) in ascent and in PyTorch,
# f32 and bf16, on the same machine in the same run, then the ratios.
set -euo pipefail
BUILD=${1:-build}
THREADS=${THREADS:-2}
STEPS=${STEPS:-5}
OUT=$(mktemp)
trap 'rm -f "$OUT"' EXIT

export OMP_NUM_THREADS=$THREADS OMP_PROC_BIND=close OMP_PLACES=cores
echo "R1 training step, $THREADS threads, median of $STEPS steps"
"$BUILD"/peak_flops | tee -a "$OUT"
"$BUILD"/train_step_bench --steps "$STEPS" --dtype both | tee -a "$OUT"
/usr/bin/python3 bench/peers/pytorch_step.py --dtype f32 --threads "$THREADS" --steps "$STEPS" | tee -a "$OUT"
# Without AVX-512 BF16 hardware, PyTorch 1.13's bf16 matmul is a slow scalar loop (minutes per R1
# step): time one micro-batch of one sequence instead; GFLOP/s stay comparable per token.
if grep -q avx512_bf16 /proc/cpuinfo; then PEER_BF16="--steps $STEPS"; else PEER_BF16="--batch 1 --steps 1 --warmup 1"; fi
/usr/bin/python3 bench/peers/pytorch_step.py --dtype bf16 --threads "$THREADS" $PEER_BF16 | tee -a "$OUT"
/usr/bin/python3 bench/summarize.py "$OUT"

# End to end: `ascent train` on R1 (real tiny Shakespeare tokens, vocabulary padded to R1's
# 32000) must run at the step speed above.
bash bench/make_bench_data.sh "$BUILD"
DATA="$BUILD/bench_data"
rm -f "$DATA/metrics.jsonl"
"$BUILD"/ascent train --model r1 --vocab-size 32000 --data-path "$DATA/shakespeare_text_document" \
  --split 100,0,0 --seq-length 256 --micro-batch-size 8 --train-iters $((2 * STEPS + 2)) \
  --lr 1e-4 --log-interval 1000 --metrics-file "$DATA/metrics.jsonl" > /dev/null
/usr/bin/python3 - "$DATA/metrics.jsonl" "$OUT" <<'PY'
import json, statistics, sys
its = [json.loads(l) for l in open(sys.argv[1])][2:]  # skip two warm-up iterations
tok = statistics.median(i["tokens_per_s"] for i in its)
step = [json.loads(l) for l in open(sys.argv[2]) if '"peer":"ascent"' in l and '"f32"' in l][0]
print(f"\nascent train end to end (R1, f32): {tok:.0f} tokens/s = "
      f"{100 * tok / step['tokens_per_s']:.0f}% of the bench step ({step['tokens_per_s']:.0f})")
PY
