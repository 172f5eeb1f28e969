#!/usr/bin/env bash
# The README's second command (and .ci/run): installs what is missing, builds
# with -Werror, runs the sanitizer pass (ASan/UBSan build of the unit tests
# and a bounded libFuzzer run), then the whole suite. The last lines are
# CTest's summary of the full suite.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/install-deps.sh

# 1. Sanitizer pass: clang-14 with ASan/UBSan; unit and fuzz-smoke tests.
if [[ "${BOTWARDEN_SKIP_SANITIZE:-0}" != 1 ]]; then
  echo "== sanitizer pass (clang-14, ASan/UBSan) =="
  cmake -S . -B build-asan -DCMAKE_BUILD_TYPE=Debug -DCMAKE_C_COMPILER=clang-14 \
    -DCMAKE_CXX_COMPILER=clang++-14 -DBOTWARDEN_WERROR=ON -DBOTWARDEN_FUZZ=ON >/dev/null
  cmake --build build-asan -j"$(nproc)"
  ASAN_OPTIONS=detect_leaks=1 UBSAN_OPTIONS=print_stacktrace=1 \
    ctest --test-dir build-asan -L 'unit|fuzz|golden' --output-on-failure -j"$(nproc)"
fi

# 2. The full suite on the normal build.
echo "== full suite =="
scripts/build.sh
ctest --test-dir build --output-on-failure -j"$(nproc)"
