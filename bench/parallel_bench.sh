#!/usr/bin/env bash
# Distributed training on 2 ranks against one process: `ascent train` on R1 (DESIGN.md section 8:
# LLaMA, hidden 288, 6 layers, 6 heads, FFN 768, LLaMA-2 vocabulary of 32000, seq 256, micro-batch
# 8) over tiny Shakespeare, with the same global batch in every run:
#   single   one process, OMP_NUM_THREADS=2, no mpirun
#   dp2      mpirun -np 2, OMP_NUM_THREADS=1 per rank (data parallel)
#   dp2z1    the same with --use-distributed-optimizer (ZeRO-1)
#   dp2z2    --zero-stage 2;  dp2z3: --zero-stage 3
#   tp2      --tensor-model-parallel-size 2
#   tp2sp    --tensor-model-parallel-size 2 --sequence-parallel
#   pp2      --pipeline-model-parallel-size 2 (1F1B)
# and prints ms/iter (median of the iterations after the first), tokens/s, the ratio to `single`,
# and for each collective group the bytes rank 0 handed to it per iteration (tp_bytes, dp_bytes,
# pp_bytes of the metrics file: parallel::Comm::payload_bytes) next to the analytic count.
#
#   bash bench/parallel_bench.sh [BUILD]     ITERS=6 GBS=16 ROUNDS=1 RUNS="single dp2 ..."
#
# ITERS >= 2; GBS a multiple of 16 (micro-batch 8 x DP 2). Exits non-zero if a byte count differs
# from the analytic one.
# On a shared machine set ROUNDS=2 or more: each round runs every configuration once, and the
# round with the lowest median counts for each. The load average is printed before each run.
set -euo pipefail
BUILD=${1:-build}
ITERS=${ITERS:-6}
GBS=${GBS:-16}
ROUNDS=${ROUNDS:-1}
RUNS=${RUNS:-single dp2 dp2z1 dp2z2 dp2z3 tp2 tp2sp pp2}
TOK=${TOK:-../shared/data/tokenizers/llama2/tokenizer.model}
DIR="$BUILD/parallel_bench"
OUT="$DIR/results.jsonl"
MPIRUN=${MPIRUN:-mpirun}
mkdir -p "$DIR"
: > "$OUT"
# Open MPI refuses root without these; --bind-to none below lets each rank's thread move freely.
# A rank waiting in a collective yields its core instead of spinning: on a shared machine two ranks
# that land on one core otherwise pay a scheduler time slice per collective (README.md,
# "Distributed training"); on an idle machine it changes nothing measurable.
export OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1 OMPI_MCA_rmaps_base_oversubscribe=1
export OMPI_MCA_mpi_yield_when_idle=${OMPI_MCA_mpi_yield_when_idle:-1}

if [ ! -f "$DIR/shakes_text_document.idx" ]; then
  "$BUILD"/ascent preprocess --input data/tinyshakespeare.txt --tokenizer-type SentencePiece \
    --tokenizer-name-or-path "$TOK" --output-prefix "$DIR/shakes" --append-eod --workers 2 \
    > /dev/null
fi
common=(--model tiny-llama --tokenizer-name-or-path "$TOK" --data-path "$DIR/shakes_text_document"
        --split 100,0,0 --seq-length 256 --micro-batch-size 8 --global-batch-size "$GBS"
        --train-iters "$ITERS" --lr 1e-4 --log-interval 1000)

# layout NAME -> np (0: no mpirun) and flags.
layout() {
  case $1 in
    single) np=0; flags=() ;;
    dp2)    np=2; flags=() ;;
    dp2z1)  np=2; flags=(--use-distributed-optimizer) ;;
    dp2z2)  np=2; flags=(--zero-stage 2) ;;
    dp2z3)  np=2; flags=(--zero-stage 3) ;;
    tp2)    np=2; flags=(--tensor-model-parallel-size 2) ;;
    tp2sp)  np=2; flags=(--tensor-model-parallel-size 2 --sequence-parallel) ;;
    pp2)    np=2; flags=(--pipeline-model-parallel-size 2) ;;
    *) echo "unknown run $1"; exit 2 ;;
  esac
}

# bench NAME ROUND: one training job; appends its metrics lines, tagged, to $OUT.
bench() {
  local name=$1 round=$2 metrics="$DIR/$1.jsonl" log="$DIR/$1.log" load
  layout "$name"
  rm -f "$metrics"
  load=$(cut -d' ' -f1 /proc/loadavg)
  if [ "$np" = 0 ]; then
    OMP_NUM_THREADS=2 "$BUILD"/ascent train "${common[@]}" --metrics-file "$metrics" \
      > "$log" 2>&1 || { cat "$log"; echo "FAIL: $name"; exit 1; }
  else
    OMP_NUM_THREADS=1 timeout -s KILL 900 "$MPIRUN" --timeout 840 --bind-to none -np "$np" \
      "$BUILD"/ascent train "${common[@]}" "${flags[@]}" --metrics-file "$metrics" \
      --distributed-timeout-minutes 5 > "$log" 2>&1 || { cat "$log"; echo "FAIL: $name"; exit 1; }
  fi
  /usr/bin/python3 - "$name" "$round" "$np" "$load" "$metrics" "$log" >> "$OUT" <<'PY'
import json, re, statistics, sys
name, rnd, np, load = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), float(sys.argv[4])
metrics, log = sys.argv[5], sys.argv[6]
its = [json.loads(l) for l in open(metrics)]
rest = its[1:]  # the first iteration warms up (allocations, first touch)
params = re.search(r"rank 0 \(tp 0 dp 0 pp 0\): (\d+) parameters.*ZeRO shard (\d+) elements",
                   open(log).read())
print(json.dumps({"bench": name, "round": rnd, "ranks": max(np, 1), "load": load,
                  "ms": statistics.median(i["ms_per_iter"] for i in rest),
                  "tokens": rest[0]["tokens"],
                  "params_rank0": int(params.group(1)) if params else None,
                  "shard_rank0": int(params.group(2)) if params else None,
                  **{k: sorted({i[k] for i in rest})
                     for k in ("tp_bytes", "dp_bytes", "pp_bytes")}}))
PY
  tail -n 1 "$OUT"
}

echo "R1 on 2 ranks: global batch $GBS x 256 tokens, $ITERS iterations; $(nproc) cores," \
  "load $(cut -d' ' -f1-3 /proc/loadavg); mpi_yield_when_idle $OMPI_MCA_mpi_yield_when_idle"
for round in $(seq "$ROUNDS"); do
  for run in $RUNS; do bench "$run" "$round"; done
done

/usr/bin/python3 - "$OUT" "$GBS" <<'PY'
import json, sys
GBS = int(sys.argv[2])
B, T, C, F, L, V = 8, 256, 288, 768, 6, 32000  # R1
N = B * T  # tokens per micro-batch

def padded(n):  # ParamLayout keeps every tensor 32-element aligned
    return (n + 31) // 32 * 32

def params_per_rank(tp):  # what ModelWeights::size() holds on one rank (no PP split)
    vp = -(-V // (128 * tp)) * 128 * tp  # --make-vocab-size-divisible-by 128
    layer = 2 * padded(C) + padded(3 * C * C // tp) + padded(C * C // tp) \
        + padded(2 * F * C // tp) + padded(C * F // tp)
    return 2 * padded(vp // tp * C) + L * layer + padded(C)

def zero_shard0(numel, dp, align=32):  # parallel::dp::partition, rank 0's piece
    units = -(-numel // align)
    return min((units // dp + (1 if units % dp else 0)) * align, numel)

def analytic(name):
    """Bytes rank 0 hands to each group per iteration (f32 = 4 bytes)."""
    tp = 2 if name.startswith("tp") else 1
    dp = 2 if name.startswith("dp") else 1
    M = GBS // (B * dp)  # micro-batches per rank per step
    want = {}
    if name == "tp2":
        # forward: embedding + 2 per layer (attention out, MLP out) all-reduces of N x C;
        # backward: 2 per layer (column-parallel input grads) + the LM head's input grad;
        # vocabulary-parallel cross-entropy: max (N) and the two sums (2N).
        want["tp"] = M * ((4 * L + 2) * N * C + 3 * N) * 4
    elif name == "tp2sp":
        # Each of the 2L + 1 all-reduces of each direction becomes a reduce-scatter (input N x C)
        # and an all-gather (own piece N x C / tp); plus the cross-entropy's 3N and, once per
        # step, the sum of the 2L + 1 replicated norm-weight gradients.
        want["tp"] = M * (2 * (2 * L + 1) * (N * C + N * C // tp) + 3 * N) * 4 + (2 * L + 1) * C * 4
    elif name.startswith("dp"):
        P, S = params_per_rank(1), zero_shard0(params_per_rank(1), dp)
        if name == "dp2":
            want["dp"] = 4 * P  # all-reduce of the flat gradient buffer
        elif name == "dp2z1":
            # all-reduce, all-gather of rank 0's updated shard, the gradient norm's f64 partial sum
            want["dp"] = 4 * P + 4 * S + 8
        elif name == "dp2z2":
            # every micro-batch reduce-scatters each region's gradients; then as ZeRO-1
            want["dp"] = M * 4 * P + 4 * S + 8
        elif name == "dp2z3":
            # every micro-batch gathers each region for the forward and again for the backward
            # (own piece: the shard in all) and reduce-scatters its gradients; no gather after
            # the update
            want["dp"] = M * 4 * (P + 2 * S) + 8
    elif name == "pp2":
        want["pp"] = M * N * C * 4  # stage 0 sends each micro-batch's activations
    return want

runs = {}
for j in map(json.loads, open(sys.argv[1])):  # the best round of each run
    if j["bench"] not in runs or j["ms"] < runs[j["bench"]]["ms"]:
        runs[j["bench"]] = j
base = runs.get("single")
print("\n%-7s %5s %6s %9s %9s %7s   %-5s %14s %14s %6s" % (
    "run", "ranks", "load", "ms/iter", "tokens/s", "vs (a)",
    "group", "bytes/iter", "analytic", "ratio"))
bad = []
for name, j in runs.items():
    tps = j["tokens"] / (j["ms"] / 1e3)
    ratio = "%.2f" % (base["ms"] / j["ms"]) if base else "-"
    head = "%-7s %5d %6.2f %9.0f %9.0f %7s" % (name, j["ranks"], j["load"], j["ms"], tps, ratio)
    want = analytic(name)
    if name.startswith("dp") and j["params_rank0"] not in (None, params_per_rank(1)):
        bad.append(f"{name}: rank 0 holds {j['params_rank0']} parameters, "
                   f"analytic {params_per_rank(1)}")
    rows = []
    for g in ("tp", "dp", "pp"):
        got = j[g + "_bytes"]
        if len(got) != 1:
            bad.append(f"{name}: {g}_bytes differ between iterations: {got}")
        got = got[-1]
        if got or want.get(g):
            w = want.get(g, 0)
            rows.append("%-5s %14d %14d %6s" % (g, got, w, "%.2f" % (got / w) if w else "-"))
            if got != w:
                bad.append(f"{name}: {g} bytes {got} != analytic {w}")
    print(head + "   " + (rows[0] if rows else "-"))
    for r in rows[1:]:
        print(" " * len(head) + "   " + r)
print("\nload: 1-minute load average when the run started (2 cores: above 2 means contention)")
if bad:
    print("MISMATCH:\n  " + "\n  ".join(bad))
    sys.exit(1)
print("every measured byte count equals its analytic count")
PY
