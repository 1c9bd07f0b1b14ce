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
"$BUILD"/train_step_bench --steps "$STEPS" --dtype both | tee -a "$OUT"
for dt in f32 bf16; do
  /usr/bin/python3 bench/peers/pytorch_step.py --dtype "$dt" --threads "$THREADS" --steps "$STEPS" | tee -a "$OUT"
done
/usr/bin/python3 bench/summarize.py "$OUT"
