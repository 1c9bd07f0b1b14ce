#!/usr/bin/env bash
# Distributed training reproduces one process (issue: every layout computes the same thing).
#
#   parallel_train_test.sh MPIEXEC ASCENT WORKDIR MODEL CASE
#
# MODEL: gqa (tiny LLaMA with grouped-query attention) or bloom (ALiBi, biases, tied embeddings,
# embedding LayerNorm); "shared" for the data case. CASE:
#   data            preprocess tiny Shakespeare once into WORKDIR (fixture)
#   reference       the single-process runs (fixture): 10 iterations in f32, bf16 and fp16
#   LAYOUT          10 iterations under LAYOUT (see layout_flags below); every loss within 1e-5
#                   relative of the reference (bf16 / fp16 layouts: 1e-2 of that precision's
#                   reference, with the same fp16 steps skipped and the same loss scales)
#   resume-A-B      5 iterations under layout A with --save, then iterations 6-10 under layout B
#                   with --load: those losses equal the uninterrupted reference's
#   kill, stop      a TP2 x DP2 job whose rank 1 is killed (SIGKILL) or stopped (SIGSTOP) after a
#                   few iterations must end non-zero within seconds (stop: through the watchdog,
#                   --distributed-timeout-minutes 0.05, naming the blocked operation); no process
#                   of the job is left behind
#   flags           ranks started with different --lr: a clear error naming the flag
#   sigterm, sigusr1  a TP2 job stops cleanly: SIGTERM sent to rank 1 alone (as a scheduler signals
#                   the ranks), or SIGUSR1 sent to mpirun (which forwards it to every rank); every
#                   rank finishes the iteration, saves it and exits 0; sigterm: the run resumed
#                   from there to iteration 10 equals an uninterrupted one exactly (metrics and
#                   checkpoint files)
#   savekill        a TP2 job whose rank 1 is killed while it writes its shard of iteration 4
#                   (ASCENT_FAILPOINT=checkpoint.write_shard, ASCENT_FAILPOINT_RANK=1) ends
#                   non-zero; a resume loads iteration 2, removes the interrupted save's
#                   directory, reproduces the reference's iterations 3-4 and, with
#                   --keep-last-checkpoints 1, keeps only iteration 4
#   eval-LAYOUT     validation losses (after iteration 1 and at the end, 2 global batches each)
#                   under LAYOUT equal the single-process ones: evaluation runs through the
#                   pipeline runner's forward-only mode
# Dropout is on (0.1) so the masks must agree too, except with --manual-mbs, whose micro-batches
# differ from the reference's by construction (its losses still match: same samples, same weights).
set -euo pipefail
mpiexec=$1 ascent=$2 work=$3 model=$4 case=$5
data="$work/data/shakes_text_document"
tok=../shared/data/tokenizers/llama2/tokenizer.model

common=(--data-path "$data" --tokenizer-name-or-path "$tok" --seq-length 32
        --num-layers 8 --lr 1e-3 --lr-decay-iters 10 --lr-warmup-iters 2 --min-lr 1e-4
        --split 100,0,0 --log-interval 100 --seed 7)
case $model in
  gqa) common+=(--model tiny-gqa) ;;
  bloom) common+=(--model tiny-bloom) ;;
  shared) ;;  # the data case
  *) echo "unknown model $model"; exit 2 ;;
esac
batch=(--micro-batch-size 1 --global-batch-size 8)
dropout=(--hidden-dropout 0.1 --attention-dropout 0.1)

# layout_flags NAME -> ranks and flags of a layout.
layout() {
  case $1 in
    single)       np=1; flags=() ;;
    tp2)          np=2; flags=(--tensor-model-parallel-size 2) ;;
    tp2sp)        np=2; flags=(--tensor-model-parallel-size 2 --sequence-parallel) ;;
    pp2)          np=2; flags=(--pipeline-model-parallel-size 2) ;;
    pp4vpp)       np=4; flags=(--pipeline-model-parallel-size 4
                               --num-layers-per-virtual-pipeline-stage 1) ;;
    pp2mbs)       np=2; flags=(--pipeline-model-parallel-size 2 --optimized-pipeline
                               --manual-mbs 1,2,3,2 --micro-batch-size 2) ;;
    pp3uneven)    np=3; flags=(--pipeline-model-parallel-size 3 --manual-layers 3,2,3) ;;
    dp2)          np=2; flags=(--ddp-bucket-size 100000) ;;  # several buckets overlap the backward
    dp2zero1)     np=2; flags=(--use-distributed-optimizer) ;;
    dp2zero2)     np=2; flags=(--zero-stage 2) ;;
    dp2zero3)     np=2; flags=(--zero-stage 3) ;;
    pp2dp2zero2)  np=4; flags=(--pipeline-model-parallel-size 2 --zero-stage 2) ;;
    tp2dp2zero3)  np=4; flags=(--tensor-model-parallel-size 2 --sequence-parallel --zero-stage 3) ;;
    tp2pp2)       np=4; flags=(--tensor-model-parallel-size 2 --pipeline-model-parallel-size 2) ;;
    tp2dp2sp)     np=4; flags=(--tensor-model-parallel-size 2 --sequence-parallel
                               --ddp-bucket-size 50000) ;;
    pp2dp2aiao)   np=4; flags=(--pipeline-model-parallel-size 2
                               --num-layers-per-virtual-pipeline-stage 2 --foldx-mode aiao) ;;
    dp4zero1)     np=4; flags=(--use-distributed-optimizer) ;;
    tp2pp2dp2)    np=8; flags=(--tensor-model-parallel-size 2 --pipeline-model-parallel-size 2
                               --sequence-parallel --use-distributed-optimizer) ;;
    tp2bf16)      np=2; flags=(--tensor-model-parallel-size 2 --bf16) ;;
    # fp16 from a scale of 2^24: the first steps overflow and every rank must skip them alike.
    tp2pp2fp16)   np=4; flags=(--tensor-model-parallel-size 2 --pipeline-model-parallel-size 2
                               --fp16 --initial-loss-scale 16777216 --loss-scale-window 4) ;;
    # Activation recompute on top of a layout: same losses (the masks are drawn again).
    tp2pp2sprc)   np=4; flags=(--tensor-model-parallel-size 2 --pipeline-model-parallel-size 2
                               --sequence-parallel --recompute-granularity full
                               --recompute-method uniform --recompute-num-layers 2) ;;
    dp2zero3rc)   np=2; flags=(--zero-stage 3 --recompute-granularity full
                               --recompute-method block --recompute-num-layers 3) ;;
    *) echo "unknown layout $1"; exit 2 ;;
  esac
}

# run NP OUT_METRICS ARGS...: one training job (mpirun unless NP is 0: no MPI at all).
run() {
  local np=$1 metrics=$2
  shift 2
  rm -f "$metrics"
  local log="${metrics%.jsonl}.log"
  if [ "$np" = 0 ]; then
    "$ascent" train "${common[@]}" --metrics-file "$metrics" "$@" >"$log" 2>&1 || {
      cat "$log"; echo "FAIL: single-process run"; exit 1; }
  else
    timeout -s KILL 400 "$mpiexec" --timeout 300 --bind-to none -np "$np" \
      "$ascent" train "${common[@]}" --metrics-file "$metrics" --distributed-timeout-minutes 2 \
      "$@" >"$log" 2>&1 || { cat "$log"; echo "FAIL: mpirun -np $np $*"; exit 1; }
  fi
}

# compare GOT REF TOL [FIRST_ITER [LAST_ITER]]: iterations FIRST..LAST of REF against GOT.
compare() {
  python3 - "$@" <<'PY'
import json, sys
got_path, ref_path, tol = sys.argv[1], sys.argv[2], float(sys.argv[3])
first = int(sys.argv[4]) if len(sys.argv) > 4 else 1
last = int(sys.argv[5]) if len(sys.argv) > 5 else 1 << 60
load = lambda p: {r["iteration"]: r for r in map(json.loads, open(p))}
got, ref = load(got_path), load(ref_path)
want = [i for i in sorted(ref) if first <= i <= last]
bad = []
for i in want:
    if i not in got:
        bad.append(f"iteration {i} missing")
        continue
    for key in ("loss", "grad_norm"):
        a, b = got[i][key], ref[i][key]
        if a is None or b is None:  # an overflowing fp16 step: both must have skipped it
            if a is not None or b is not None:
                bad.append(f"iteration {i} {key} {a} vs {b} (one run skipped the step)")
            continue
        rel = abs(a - b) / max(abs(b), 1e-30)
        if rel > tol:
            bad.append(f"iteration {i} {key} {a:.9g} vs {b:.9g} (rel {rel:.2e})")
    if got[i].get("loss_scale") != ref[i].get("loss_scale"):
        bad.append(f"iteration {i} loss scale {got[i].get('loss_scale')} vs {ref[i].get('loss_scale')}")
    if got[i]["consumed_samples"] != ref[i]["consumed_samples"]:
        bad.append(f"iteration {i} consumed {got[i]['consumed_samples']} vs {ref[i]['consumed_samples']}")
worst = max((abs(got[i]["loss"] - ref[i]["loss"]) / abs(ref[i]["loss"]) for i in want if i in got), default=0)
print(f"{len(want)} iterations compared, worst loss rel diff {worst:.2e} (tolerance {tol:g})")
if bad:
    print("\n".join(bad))
    sys.exit(1)
PY
}

# fault CASE: see the header.
fault() {
  local out="$work/$model/$1.out" metrics="$work/$model/$1.jsonl"
  local tag="ascent-train-fault-$$-$RANDOM"  # on the ranks' command lines (--save), to find them
  rm -f "$metrics"
  local start=$SECONDS
  timeout -s KILL 120 "$mpiexec" --timeout 90 --bind-to none -np 4 "$ascent" train "${common[@]}" \
    "${batch[@]}" --train-iters 100000 --tensor-model-parallel-size 2 --metrics-file "$metrics" \
    --distributed-timeout-minutes 0.05 --save "$work/$model/$tag" --save-interval 0 \
    >"$out" 2>&1 &
  local job=$!
  for _ in $(seq 600); do [ -s "$metrics" ] && [ "$(wc -l <"$metrics")" -ge 2 ] && break; sleep 0.1; done
  [ -s "$metrics" ] || { kill -KILL $job; cat "$out"; echo "FAIL: the job never trained"; exit 1; }
  # The ranks: processes whose command line carries the tag, in rank order of their pids.
  local ranks
  ranks=$( (grep -als -- "${tag%-*}[-]${tag##*-}" /proc/[0-9]*/cmdline || true) |
          sed 's#/proc/\([0-9]*\)/cmdline#\1#' |
          while read -r p; do [ "$(cat /proc/"$p"/comm 2>/dev/null)" = ascent ] && echo "$p"; done |
          sort -n || true)
  local victim
  victim=$(echo "$ranks" | sed -n 2p)
  [ -n "$victim" ] || { kill -KILL $job; echo "FAIL: no rank found"; exit 1; }
  local t0=$SECONDS
  if [ "$1" = kill ]; then kill -KILL "$victim"; else kill -STOP "$victim"; fi
  local rc=0
  wait $job || rc=$?
  local took=$((SECONDS - t0))
  sleep 0.5
  local left
  left=$( (grep -als -- "${tag%-*}[-]${tag##*-}" /proc/[0-9]*/cmdline || true) | tr '\n' ' ')
  if [ -n "$left" ]; then
    for f in $left; do p=${f#/proc/}; kill -KILL "${p%/cmdline}" 2>/dev/null; done
    echo "FAIL: processes left behind"; exit 1
  fi
  [ "$rc" -ne 0 ] || { cat "$out"; echo "FAIL: exit status 0"; exit 1; }
  [ "$took" -le 20 ] || { cat "$out"; echo "FAIL: took $took s to end"; exit 1; }
  if [ "$1" = stop ]; then
    grep -Eq "blocked for [0-9.]+ s" "$out" || { cat "$out"; echo "FAIL: no watchdog message"; exit 1; }
  fi
  echo "ok ($1): exit status $rc, $took s after the signal (started $((t0 - start)) s into the run)"
}

# clean_stop SIGNAL: see the header.
clean_stop() {
  local sig=$1 dir="$work/$model/clean-stop-$1"
  local tag="ascent-train-stop-$$-$RANDOM"  # on the ranks' command lines (--save), to find them
  rm -rf "$dir"; mkdir -p "$dir"
  local tp=(--tensor-model-parallel-size 2) ckpt="$dir/$tag"
  timeout -s KILL 120 "$mpiexec" --timeout 90 --bind-to none -np 2 "$ascent" train "${common[@]}" \
    "${batch[@]}" "${dropout[@]}" "${tp[@]}" --train-iters 100000 --metrics-file "$dir/first.jsonl" \
    --distributed-timeout-minutes 2 --save "$ckpt" >"$dir/first.out" 2>&1 &
  local job=$!
  for _ in $(seq 600); do [ -s "$dir/first.jsonl" ] && [ "$(wc -l <"$dir/first.jsonl")" -ge 2 ] && break; sleep 0.1; done
  [ -s "$dir/first.jsonl" ] || { kill -KILL $job; cat "$dir/first.out"; echo "FAIL: the job never trained"; exit 1; }
  local t0; t0=$(date +%s.%N)
  if [ "$sig" = sigterm ]; then
    local victim
    victim=$( (grep -als -- "${tag%-*}[-]${tag##*-}" /proc/[0-9]*/cmdline || true) |
             sed 's#/proc/\([0-9]*\)/cmdline#\1#' |
             while read -r p; do [ "$(cat /proc/"$p"/comm 2>/dev/null)" = ascent ] && echo "$p"; done |
             sort -n | sed -n 2p)
    [ -n "$victim" ] || { kill -KILL $job; echo "FAIL: no rank found"; exit 1; }
    kill -TERM "$victim"
  else
    local launcher  # mpirun, the child of timeout
    launcher=$(ps -o pid= --ppid $job | tr -d ' ')
    [ -n "$launcher" ] || { kill -KILL $job; echo "FAIL: no mpirun found"; exit 1; }
    kill -USR1 "$launcher"
  fi
  local rc=0
  wait $job || rc=$?
  local took; took=$(python3 -c "import time; print(f'{time.time() - $t0:.2f}')")
  [ "$rc" = 0 ] || { cat "$dir/first.out"; echo "FAIL: exit status $rc"; exit 1; }
  local reached; reached=$(wc -l <"$dir/first.jsonl")
  [ "$reached" -lt 10 ] || { echo "FAIL: reached $reached before the signal took effect"; exit 1; }
  [ "$(cat "$ckpt/latest_checkpointed_iteration.txt")" = "$reached" ] || {
    cat "$dir/first.out"; echo "FAIL: no checkpoint at iteration $reached"; exit 1; }
  local name; name=$([ "$sig" = sigterm ] && echo SIGTERM || echo SIGUSR1)
  grep -q "$name received: exiting at iteration $reached" "$dir/first.out" || {
    cat "$dir/first.out"; echo "FAIL: no exit message"; exit 1; }
  if [ "$sig" = sigusr1 ]; then
    echo "ok ($sig): exit 0 $took s after the signal, checkpoint at iteration $reached"
    return
  fi
  run 2 "$dir/full.jsonl" "${batch[@]}" "${dropout[@]}" "${tp[@]}" --train-iters 10 \
    --save "$dir/full"
  run 2 "$dir/resumed.jsonl" "${batch[@]}" "${dropout[@]}" "${tp[@]}" --train-iters 10 \
    --load "$ckpt" --save "$ckpt"
  compare "$dir/resumed.jsonl" "$dir/full.jsonl" 0 $((reached + 1))
  for f in "$dir/full/iter_0000010"/*.safetensors; do
    cmp "$f" "$ckpt/iter_0000010/$(basename "$f")" || { echo "FAIL: final checkpoints differ"; exit 1; }
  done
  echo "ok ($sig): exit 0 $took s after the signal, checkpoint at iteration $reached; resumed run identical"
}

mkdir -p "$work/$model"
case $case in
  sigterm|sigusr1)
    clean_stop "$case"
    ;;
  kill|stop)
    fault "$case"
    ;;
  flags)
    # Rank 1 gets another --lr through Open MPI's per-rank application context (MPMD syntax).
    out="$work/$model/flags.out"
    if timeout -s KILL 120 "$mpiexec" --timeout 90 --bind-to none \
        -np 1 "$ascent" train "${common[@]}" "${batch[@]}" --train-iters 2 : \
        -np 1 "$ascent" train "${common[@]}" "${batch[@]}" --train-iters 2 --lr 0.5 >"$out" 2>&1; then
      cat "$out"; echo "FAIL: differing flags were accepted"; exit 1
    fi
    grep -Eq -- "--lr 0[.]5 [(]rank 0: 0[.]001" "$out" || { cat "$out"; echo "FAIL: message"; exit 1; }
    echo "ok (flags): $(grep -m1 'flags differ' "$out")"
    ;;
  savekill)
    layout tp2
    ckpt="$work/$model/ckpt-savekill" out="$work/$model/savekill.out"
    rm -rf "$ckpt"
    run "$np" "$work/$model/savekill.a.jsonl" "${batch[@]}" "${dropout[@]}" "${flags[@]}" \
      --train-iters 2 --save "$ckpt"
    if timeout -s KILL 120 "$mpiexec" --timeout 90 --bind-to none -np "$np" \
        -x ASCENT_FAILPOINT=checkpoint.write_shard -x ASCENT_FAILPOINT_RANK=1 \
        "$ascent" train "${common[@]}" "${batch[@]}" "${dropout[@]}" "${flags[@]}" \
        --train-iters 4 --load "$ckpt" --save "$ckpt" >"$out" 2>&1; then
      cat "$out"; echo "FAIL: the job survived its killed rank"; exit 1
    fi
    grep -q "failpoint checkpoint.write_shard fired (rank 1)" "$out" || {
      cat "$out"; echo "FAIL: rank 1 was not killed in the save"; exit 1; }
    ls "$ckpt" | grep -q "^iter_0000004[.]tmp[.]" || { ls "$ckpt"; echo "FAIL: no interrupted save"; exit 1; }
    run "$np" "$work/$model/savekill.jsonl" "${batch[@]}" "${dropout[@]}" "${flags[@]}" \
      --train-iters 4 --load "$ckpt" --save "$ckpt" --keep-last-checkpoints 1
    log="$work/$model/savekill.log"
    grep -q "loaded .*iter_0000002 (iteration 2," "$log" || { cat "$log"; echo "FAIL: did not load 2"; exit 1; }
    grep -q "removed iter_0000004[.]tmp[.]" "$log" || { cat "$log"; echo "FAIL: no clean-up"; exit 1; }
    left=$(ls "$ckpt" | grep -E '[.](tmp|old|del)[.]' || true)
    [ -z "$left" ] || { echo "$left"; echo "FAIL: left behind"; exit 1; }
    [ "$(ls -d "$ckpt"/iter_* | xargs -n1 basename)" = iter_0000004 ] || {
      ls "$ckpt"; echo "FAIL: --keep-last-checkpoints 1 kept more"; exit 1; }
    compare "$work/$model/savekill.jsonl" "$work/$model/reference.jsonl" 1e-5 3 4
    ;;
  data)
    mkdir -p "$work/data"
    "$ascent" preprocess --input data/tinyshakespeare.txt --tokenizer-type SentencePiece \
      --tokenizer-name-or-path "$tok" --output-prefix "$work/data/shakes" --append-eod \
      --workers 2 >/dev/null
    ;;
  reference)
    # No MPI at all, as a user's first run would be; and the bf16 reference.
    run 0 "$work/$model/reference.jsonl" "${batch[@]}" "${dropout[@]}" --train-iters 10
    run 0 "$work/$model/reference_bf16.jsonl" "${batch[@]}" "${dropout[@]}" --train-iters 10 --bf16
    run 0 "$work/$model/reference_fp16.jsonl" "${batch[@]}" "${dropout[@]}" --train-iters 10 \
      --fp16 --initial-loss-scale 16777216 --loss-scale-window 4
    ;;
  eval-*)
    layout "${case#eval-}"
    valid=(--split 80,20,0 --eval-iters 2 --eval-interval 1 --train-iters 2 "${batch[@]}")
    run 0 "$work/$model/$case.ref.jsonl" "${valid[@]}"
    run "$np" "$work/$model/$case.jsonl" "${valid[@]}" "${flags[@]}"
    want=$(grep -o "validation loss at .*" "$work/$model/$case.ref.log")
    got=$(grep -o "validation loss at .*" "$work/$model/$case.log" | sort -u)
    [ "$(echo "$want" | wc -l)" = 2 ] || { echo "$want"; echo "FAIL: no validation losses"; exit 1; }
    [ "$got" = "$(echo "$want" | sort -u)" ] || {
      echo "single process:"; echo "$want"; echo "$case:"; echo "$got"; echo "FAIL: validation"; exit 1; }
    echo "ok ($case): $want" | tr '\n' ' '; echo
    ;;
  resume-*)
    IFS=- read -r _ from to <<<"$case"
    layout "$from"; np_a=$np; flags_a=("${flags[@]}")
    layout "$to"; np_b=$np; flags_b=("${flags[@]}")
    ckpt="$work/$model/ckpt-$from-$to"
    rm -rf "$ckpt"
    run "$np_a" "$work/$model/$case.a.jsonl" "${batch[@]}" "${dropout[@]}" "${flags_a[@]}" \
      --train-iters 5 --save "$ckpt"
    run "$np_b" "$work/$model/$case.jsonl" "${batch[@]}" "${dropout[@]}" "${flags_b[@]}" \
      --train-iters 10 --load "$ckpt"
    compare "$work/$model/$case.a.jsonl" "$work/$model/reference.jsonl" 1e-5 1 5
    compare "$work/$model/$case.jsonl" "$work/$model/reference.jsonl" 1e-5 6
    ;;
  *)
    layout "$case"
    extra=("${dropout[@]}")
    [ "$case" = pp2mbs ] && extra=()
    ref="$work/$model/reference.jsonl" tol=1e-5
    [ "$case" = pp2mbs ] && { run 0 "$work/$model/reference_nodropout.jsonl" "${batch[@]}" --train-iters 10
                             ref="$work/$model/reference_nodropout.jsonl"; }
    [ "$case" = tp2bf16 ] && ref="$work/$model/reference_bf16.jsonl" tol=1e-2
    [ "$case" = tp2pp2fp16 ] && ref="$work/$model/reference_fp16.jsonl" tol=1e-2
    run "$np" "$work/$model/$case.jsonl" "${batch[@]}" "${extra[@]}" "${flags[@]}" --train-iters 10
    compare "$work/$model/$case.jsonl" "$ref" "$tol"
    ;;
esac
