#!/usr/bin/env bash
# Builds and runs the whole test suite: the release build (with CUDA when nvcc
# is there; GPU tests skip without a device) and a build with AddressSanitizer
# and UndefinedBehaviorSanitizer. Usage: tools/check.sh [--no-sanitizers]
set -euo pipefail
cd "$(dirname "$0")/.."
jobs=$(nproc)

cmake -S . -B build -DCMAKE_BUILD_TYPE=Release >/dev/null
cmake --build build -j"$jobs"
(cd build && ctest --output-on-failure -j"$jobs")

if [ "${1:-}" != "--no-sanitizers" ]; then
  cmake -S . -B build-asan -DCMAKE_BUILD_TYPE=RelWithDebInfo -DENU_SANITIZE=address,undefined \
        -DENU_WITH_CUDA=OFF -DENU_BUILD_BENCHMARKS=OFF >/dev/null
  cmake --build build-asan -j"$jobs" --target enu_tests enu
  (cd build-asan && ctest --output-on-failure -j"$jobs")
fi
