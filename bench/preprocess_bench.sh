#!/usr/bin/env bash
# `ascent preprocess` against the bare encoder: tokens/s and MB/s of a pretraining run on a
# JSONL corpus generated from the shared data (tiny Shakespeare + GSM8K, bench/
# make_preprocess_corpus.py) with 1 and 2 workers, the same text through the tokenizer alone
# (bench/preprocess_encoder_bench.cpp) with 1 and 2 threads, and the peak RSS of runs on a
# small and a 10x larger corpus (/usr/bin/time -v). Corpora live under BUILD/preprocess_bench.
#
#   bash bench/preprocess_bench.sh [BUILD]       MB=100 BIG_MB=1000 (0: skip the RSS run) ROUNDS=1
#
# On a shared machine set ROUNDS=2 or more: each round runs every configuration once, paired
# (encoder, then preprocessing, at 1 then 2 threads), and the best round of each counts.
# Targets (docs/PERFORMANCE.md): workers 2 >= 1.7x workers 1; preprocessing >= 0.8x the bare
# encoder at the same thread count; peak RSS of BIG_MB and MB differ by < 50 MB.
set -euo pipefail
BUILD=${1:-build}
MB=${MB:-100}
ROUNDS=${ROUNDS:-1}
BIG_MB=${BIG_MB:-1000}
DATA=${DATA:-../shared/data}
TOK=${TOK:-$DATA/tokenizers/llama2/tokenizer.model}
DIR="$BUILD/preprocess_bench"
OUT="$DIR/results.jsonl"
mkdir -p "$DIR"
: > "$OUT"
export OMP_NUM_THREADS=2

corpus() {
  local f="$DIR/corpus_${1}mb.jsonl"
  [ -f "$f" ] || /usr/bin/python3 bench/make_preprocess_corpus.py --data "$DATA" --mb "$1" --out "$f"
  echo "$f"
}

# run_preprocess NAME CORPUS WORKERS: one timed run; appends a JSON line to $OUT.
run_preprocess() {
  local name=$1 input=$2 workers=$3
  /usr/bin/time -v "$BUILD"/ascent preprocess --input "$input" --tokenizer-type SentencePiece \
    --tokenizer-name-or-path "$TOK" --output-prefix "$DIR/out_$name" \
    --workers "$workers" --log-interval 1000000000 > "$DIR/$name.summary" 2> "$DIR/$name.time"
  /usr/bin/python3 - "$name" "$workers" "$DIR/$name.summary" "$DIR/$name.time" >> "$OUT" <<'PY'
import json, re, sys
name, workers, summary, timing = sys.argv[1], int(sys.argv[2]), open(sys.argv[3]).read(), open(sys.argv[4]).read()
tokens = int(re.search(r"^tokens\s+(\d+)", summary, re.M).group(1))
m = re.search(r"^time\s+([\d.]+) s \(([\d.]+) MB/s", summary, re.M)
rss = int(re.search(r"Maximum resident set size \(kbytes\): (\d+)", timing).group(1))
print(json.dumps({"bench": name, "workers": workers, "tokens": tokens, "seconds": float(m.group(1)),
                  "mb_per_s": float(m.group(2)), "tokens_per_s": tokens / float(m.group(1)),
                  "max_rss_mb": rss / 1024}))
PY
  rm -f "$DIR/out_$name"_*
  tail -n 1 "$OUT"
}

SMALL=$(corpus "$MB")
echo "corpus $SMALL ($(du -m "$SMALL" | cut -f1) MB), tokenizer $TOK"
for round in $(seq "$ROUNDS"); do
  for t in 1 2; do
    "$BUILD"/preprocess_encoder_bench --input "$SMALL" --tokenizer-name-or-path "$TOK" \
      --threads "$t" | sed "s/\"bare_encoder\"/\"bare_encoder_$t\"/" | tee -a "$OUT"
    run_preprocess "preprocess_w$t" "$SMALL" "$t"
  done
done
if [ "$BIG_MB" != 0 ]; then
  BIG=$(corpus "$BIG_MB")
  run_preprocess "preprocess_w2_big" "$BIG" 2
fi

/usr/bin/python3 - "$OUT" <<'PY'
import json, sys
r = {}
for j in map(json.loads, open(sys.argv[1])):  # the best round of each run
    if j["bench"] not in r or j["tokens_per_s"] > r[j["bench"]]["tokens_per_s"]:
        r[j["bench"]] = j
def tps(k): return r[k]["tokens_per_s"]
print("\n%-22s %12s %9s %10s" % ("run", "tokens/s", "MB/s", "RSS MB"))
for k, j in r.items():
    print("%-22s %12.0f %9.2f %10s" % (k, j["tokens_per_s"], j["mb_per_s"], "%.0f" % j["max_rss_mb"] if "max_rss_mb" in j else "-"))
checks = [("workers 2 / workers 1", tps("preprocess_w2") / tps("preprocess_w1"), 1.7),
          ("preprocess / bare encoder, 1 thread", tps("preprocess_w1") / tps("bare_encoder_1"), 0.8),
          ("preprocess / bare encoder, 2 threads", tps("preprocess_w2") / tps("bare_encoder_2"), 0.8)]
print()
for what, v, bar in checks:
    print("%-40s %6.2f  (target >= %.1f) %s" % (what, v, bar, "ok" if v >= bar else "MISSED"))
if "preprocess_w2_big" in r:
    d = r["preprocess_w2_big"]["max_rss_mb"] - r["preprocess_w2"]["max_rss_mb"]
    print("%-40s %6.1f MB (target < 50) %s" % ("peak RSS, big - small corpus", d, "ok" if d < 50 else "MISSED"))
PY
