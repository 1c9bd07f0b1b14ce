#!/usr/bin/env bash
# Installs every build, test and oracle dependency of ascent from Debian's archive.
# Idempotent: packages already present are skipped, so `make test` can call it every time.
#   install-deps.sh          everything: build, tests, oracles, benchmark peers
#   install-deps.sh build    only what building and running `ascent` needs (make demo)
set -euo pipefail

BUILD_PACKAGES=(
  build-essential cmake pkg-config git
  libdnnl-dev
  libsentencepiece-dev
  nlohmann-json3-dev libsimdjson-dev libcli11-dev
  libspdlog-dev libfmt-dev
  libzstd-dev libxxhash-dev libpcre2-dev zlib1g-dev libsnappy-dev libutf8proc-dev
  libgtest-dev libgmock-dev libbenchmark-dev
  libopenmpi-dev openmpi-bin
)
TEST_PACKAGES=(
  sentencepiece
  python3 python3-torch python3-numpy python3-sentencepiece
  # PyTorch and numpy take BLAS from libblas.so.3; without OpenBLAS that is the slow reference BLAS.
  libopenblas0-pthread
  # fuzz harnesses (make fuzz, and their smoke runs in make test): clang with libFuzzer
  clang libfuzzer-14-dev
)

if [ "${1:-all}" = "build" ]; then
  PACKAGES=("${BUILD_PACKAGES[@]}")
else
  PACKAGES=("${BUILD_PACKAGES[@]}" "${TEST_PACKAGES[@]}")
fi

missing=()
for p in "${PACKAGES[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed'; then
    missing+=("$p")
  fi
done

# Node.js runs the npm oracles (HF `tokenizers`, a Parquet writer); the machine may have its own.
if [ "${1:-all}" != "build" ] && ! command -v npm >/dev/null; then
  missing+=(nodejs npm)
fi

if [ ${#missing[@]} -gt 0 ]; then
  echo "install-deps: installing ${missing[*]}"
  SUDO=""
  if [ "$(id -u)" -ne 0 ]; then SUDO="sudo"; fi
  export DEBIAN_FRONTEND=noninteractive
  $SUDO apt-get update -qq
  $SUDO apt-get install -y --no-install-recommends "${missing[@]}"
fi

# npm oracles, pinned by tests/oracle/node/package-lock.json.
if [ "${1:-all}" != "build" ]; then
  node_dir="$(dirname "$0")/../tests/oracle/node"
  if [ ! -f "$node_dir/node_modules/.package-lock.json" ] ||
     ! cmp -s "$node_dir/package-lock.json" "$node_dir/.installed-lock.json"; then
    echo "install-deps: npm ci in tests/oracle/node"
    (cd "$node_dir" && npm ci --no-audit --no-fund --loglevel=error &&
       cp package-lock.json .installed-lock.json)
  fi
fi
