#!/usr/bin/env bash
# Tiny Shakespeare as Megatron data for the benchmarks (once per build directory):
#   bench/make_bench_data.sh BUILD  ->  BUILD/bench_data/shakespeare_text_document.{bin,idx}
set -euo pipefail
BUILD=${1:-build}
DATA="$BUILD/bench_data"
mkdir -p "$DATA"
if [ ! -f "$DATA/shakespeare_text_document.idx" ]; then
  "$BUILD"/ascent tokenizer train --input data/tinyshakespeare.txt --vocab-size 2048 \
    --model-type bpe --output "$DATA/tokenizer" > /dev/null
  "$BUILD"/ascent preprocess --input data/tinyshakespeare.txt --tokenizer-name-or-path \
    "$DATA/tokenizer.model" --output-prefix "$DATA/shakespeare" --append-eod > /dev/null
fi
