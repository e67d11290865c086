#!/usr/bin/env bash
# Builds and runs the whole test suite: the release build (with CUDA when nvcc
# is there; GPU tests skip without a device), the Python package built into
# .venv (tools/install.sh makes it) and its tests, then the check build: clang with
# AddressSanitizer and UndefinedBehaviorSanitizer, the CUDA backend on its CPU
# emulation (cuda/emulation), the whole suite with the fuzz targets' short runs
# (tests/fuzz), and the gpu tests once more under a second schedule of the
# emulated threads. Usage: tools/check.sh [--no-sanitizers]
set -euo pipefail
cd "$(dirname "$0")/.."
jobs=$(nproc)

cmake -S . -B build -DCMAKE_BUILD_TYPE=Release >/dev/null
cmake --build build -j"$jobs"
(cd build && ctest --output-on-failure -j"$jobs")

# The package: `pip install .` (build folder build-python/, kept between runs);
# its tests compare it with the CLI just built and run docs/python.md's examples.
.venv/bin/python -m pip install --no-build-isolation -q .
.venv/bin/python -m pytest -q tests/python

if [ "${1:-}" != "--no-sanitizers" ]; then
  cmake -S . -B build-asan -DCMAKE_CXX_COMPILER=clang++ -DCMAKE_BUILD_TYPE=RelWithDebInfo \
        -DENU_SANITIZE=address,undefined -DENU_CUDA_EMULATION=ON -DENU_BUILD_BENCHMARKS=OFF -DENU_FUZZ=ON >/dev/null
  cmake --build build-asan -j"$jobs" --target enu_tests enu enu_gpu_tests enu_emulation_tests \
        enu_fuzz_config enu_fuzz_compare enu_fuzz_checkpoint enu_fuzz_checkpoint_members enu_fuzz_run_csv \
        enu_fuzz_run_folder
  (cd build-asan && ENU_EMULATION_SCHEDULE=in_order ctest --output-on-failure -j"$jobs")
  # Not the test of 65,537 members (17 million emulated threads a launch) a second time.
  (cd build-asan && ENU_EMULATION_SCHEDULE=reversed ctest --output-on-failure -j"$jobs" -L gpu \
     -E PopulationsAboveGridDimY)
fi
