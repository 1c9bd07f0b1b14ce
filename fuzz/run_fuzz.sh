#!/usr/bin/env bash
# The fuzz harnesses (docs/RELIABILITY.md, "Fuzzing"). From the repository root:
#
#   fuzz/run_fuzz.sh build   BUILD_DIR            configure + build the clang/libFuzzer build
#   fuzz/run_fuzz.sh smoke   BUILD_DIR HARNESS    1,000 mutated inputs (fixed seed) from the corpus
#   fuzz/run_fuzz.sh replay  BUILD_DIR HARNESS    every fuzz/regressions/HARNESS/* input once
#   fuzz/run_fuzz.sh campaign BUILD_DIR           each harness for FUZZ_SECONDS (`make fuzz`)
#
# campaign: FUZZ_SECONDS per harness (default 600), FUZZ_PARALLEL harnesses at a time (default 2),
# FUZZ_HARNESSES (space-separated subset, default all). The working corpus grows in
# BUILD_DIR/campaign/corpus/HARNESS (seeded from fuzz/corpus/HARNESS, kept between campaigns);
# findings (crash-*, leak-*, timeout-*, oom-*) land in BUILD_DIR/campaign/findings/HARNESS/,
# logs in BUILD_DIR/campaign/logs/, the table of runs in BUILD_DIR/campaign/summary.md. A harness
# that stops on a finding is restarted for the rest of its time (at most 5 times). Exit status 1
# when anything was found. A finding, once fixed, goes into fuzz/regressions/HARNESS/.
set -euo pipefail

ROOT="$(cd "$(dirname "$0")/.." && pwd)"
MODE="${1:?mode: build | smoke | replay | campaign}"
BUILD="${2:?build directory}"
case "$BUILD" in /*) ;; *) BUILD="$ROOT/$BUILD" ;; esac
# Sanitizer reports name source lines; UB aborts (it is compiled non-recoverable anyway).
export ASAN_OPTIONS="${ASAN_OPTIONS:-abort_on_error=1:detect_leaks=1}"
export UBSAN_OPTIONS="${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}"
# Parsers that use OpenMP or threads stay on one core.
export OMP_NUM_THREADS=1
COMMON=(-timeout=30 -rss_limit_mb=2048 -max_len=65536 -print_final_stats=1)

build() {
  local launcher=()
  command -v ccache >/dev/null && launcher=(-DCMAKE_CXX_COMPILER_LAUNCHER=ccache)
  local cxx
  cxx="$(command -v clang++ || command -v clang++-14 || true)"
  [ -n "$cxx" ] || { echo "run_fuzz: clang++ not found (bash scripts/install-deps.sh)"; exit 2; }
  cmake -S "$ROOT" -B "$BUILD" -DASCENT_FUZZ=ON -DCMAKE_CXX_COMPILER="$cxx" \
    -DCMAKE_BUILD_TYPE=RelWithDebInfo "${launcher[@]}" >/dev/null
  cmake --build "$BUILD" -j"${JOBS:-2}"
}

harness_bin() { echo "$BUILD/fuzz/fuzz_$1"; }

smoke() {
  local h="$1" work
  work="$(mktemp -d)"
  trap 'rm -rf "$work"' RETURN
  local seeds
  seeds=$(find "$ROOT/fuzz/corpus/$h" -type f | wc -l)
  # New inputs go to the scratch directory (the first one), never into the repository's corpus.
  "$(harness_bin "$h")" "${COMMON[@]}" -seed=1 -runs=$((1000 + seeds)) \
    -artifact_prefix="$work/" "$work" "$ROOT/fuzz/corpus/$h" 2>&1 | tail -n 25
  return "${PIPESTATUS[0]}"
}

replay() {
  local h="$1" dir="$ROOT/fuzz/regressions/$1"
  local files=()
  [ -d "$dir" ] && mapfile -t files < <(find "$dir" -type f ! -name '*.md' | sort)
  if [ ${#files[@]} -eq 0 ]; then
    echo "replay $h: no regression inputs"
    return 0
  fi
  echo "replay $h: ${#files[@]} input(s)"
  "$(harness_bin "$h")" "${COMMON[@]}" "${files[@]}" 2>&1 | tail -n 40
  return "${PIPESTATUS[0]}"
}

# One harness for FUZZ_SECONDS, restarted after a finding; prints one summary row.
campaign_one() {
  local h="$1" seconds="$2" out="$BUILD/campaign"
  local corpus="$out/corpus/$h" findings="$out/findings/$h" log="$out/logs/$h.log"
  mkdir -p "$corpus" "$findings"
  : >"$log"
  local start now left execs=0 tries=0
  start=$(date +%s)
  while :; do
    now=$(date +%s)
    left=$((seconds - (now - start)))
    [ "$left" -gt 0 ] && [ "$tries" -lt 6 ] || break
    tries=$((tries + 1))
    "$(harness_bin "$h")" "${COMMON[@]}" -max_total_time="$left" \
      -artifact_prefix="$findings/" "$corpus" "$ROOT/fuzz/corpus/$h" >>"$log" 2>&1 || true
  done
  execs=$(grep -o 'stat::number_of_executed_units: [0-9]*' "$log" | awk '{s += $2} END {print s + 0}')
  local found
  found=$(find "$findings" -type f \( -name 'crash-*' -o -name 'leak-*' -o -name 'timeout-*' \
    -o -name 'oom-*' \) | wc -l)
  printf '| %s | %d | %d | %d | %d |\n' "$h" "$(($(date +%s) - start))" "$execs" \
    "$(find "$corpus" -type f | wc -l)" "$found"
}

campaign() {
  local seconds="${FUZZ_SECONDS:-600}" parallel="${FUZZ_PARALLEL:-2}"
  local list="${FUZZ_HARNESSES:-$(cat "$BUILD/harnesses.txt")}"
  mkdir -p "$BUILD/campaign/logs"
  export -f campaign_one harness_bin
  export BUILD ROOT
  local rows
  rows="$(printf '%s\n' $list | COMMON="${COMMON[*]}" xargs -P "$parallel" -I{} \
    bash -c 'COMMON=($COMMON); campaign_one "$1" "$2"' _ {} "$seconds" | sort)"
  {
    echo "fuzz campaign ended $(date -u +%Y-%m-%dT%H:%MZ), $seconds s per harness, $parallel at a time"
    echo
    echo "| harness | seconds | executions | corpus | findings |"
    echo "| --- | --- | --- | --- | --- |"
    echo "$rows"
  } | tee "$BUILD/campaign/summary.md"
  if echo "$rows" | awk -F'|' '$6 + 0 > 0 {bad = 1} END {exit !bad}'; then
    echo "findings: see $BUILD/campaign/findings/ and the logs in $BUILD/campaign/logs/"
    return 1
  fi
}

case "$MODE" in
  build) build ;;
  smoke) smoke "${3:?harness}" ;;
  replay) replay "${3:?harness}" ;;
  campaign) build && campaign ;;
  *) echo "run_fuzz: unknown mode $MODE"; exit 2 ;;
esac
