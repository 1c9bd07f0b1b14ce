#!/usr/bin/env bash
# Activation recompute: what it saves and what it costs. `ascent train` on R1's layers (hidden
# 288, 6 layers, seq 256, micro-batch 8) with and without --recompute-granularity full, on tiny
# Shakespeare; each run's median tokens/s over iterations 3-8 and its activation high-water mark
# (metrics file: activation_mib). Losses must agree to the last bit.
#
#   bash bench/recompute_bench.sh [BUILD]     (VOCAB=32000 for R1's own vocabulary)
set -euo pipefail
BUILD=${1:-build}
VOCAB=${VOCAB:-2048}
export OMP_NUM_THREADS=${THREADS:-2} OMP_PROC_BIND=close OMP_PLACES=cores
bash bench/make_bench_data.sh "$BUILD"
OUT=$(mktemp -d)
trap 'rm -rf "$OUT"' EXIT

configs=(
  "none|"
  "full uniform 1|--recompute-granularity full --recompute-method uniform --recompute-num-layers 1"
  "full uniform 2|--recompute-granularity full --recompute-method uniform --recompute-num-layers 2"
  "full block 3|--recompute-granularity full --recompute-method block --recompute-num-layers 3"
)
i=0
for c in "${configs[@]}"; do
  # shellcheck disable=SC2086
  "$BUILD"/ascent train --model r1 --vocab-size "$VOCAB" \
    --data-path "$BUILD/bench_data/shakespeare_text_document" --split 100,0,0 --seq-length 256 \
    --micro-batch-size 8 --train-iters 8 --lr 1e-4 --log-interval 1000 \
    --metrics-file "$OUT/$i.jsonl" ${c#*|} > /dev/null
  echo "${c%%|*}" > "$OUT/$i.name"
  i=$((i + 1))
done
/usr/bin/python3 - "$OUT" "$i" "$VOCAB" <<'PY'
import json, statistics, sys
out, n, vocab = sys.argv[1], int(sys.argv[2]), sys.argv[3]
rows = []
for i in range(n):
    its = [json.loads(l) for l in open(f"{out}/{i}.jsonl")]
    rows.append((open(f"{out}/{i}.name").read().strip(),
                 statistics.median(x["tokens_per_s"] for x in its[2:]),
                 its[-1]["activation_mib"], [x["loss"] for x in its]))
print(f"R1 layers, vocabulary {vocab}, 2048 tokens per micro-batch")
print(f"{'recompute':<16} {'tokens/s':>9} {'vs none':>8} {'activations MiB':>16} {'vs none':>8}  losses")
for name, tok, mib, losses in rows:
    same = "identical" if losses == rows[0][3] else "DIFFER"
    print(f"{name:<16} {tok:9.0f} {tok / rows[0][1]:8.2f} {mib:16.1f} {mib / rows[0][2]:8.2f}  {same}")
if any(r[3] != rows[0][3] for r in rows):
    sys.exit("recompute changed the losses")
PY
