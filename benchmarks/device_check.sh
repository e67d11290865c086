#!/usr/bin/env bash
# The GPU checks in one go, for a lent H100/H200; RESULTS.md records what it prints.
#
#   here (no GPU needed):   benchmarks/device_check.sh --prepare
#       builds for sm_90 and bundles the binaries with the shared libraries a
#       bare GPU image may lack (yaml-cpp, cudart, this compiler's libstdc++; glibc >= 2.34
#       is assumed; cuBLAS is taken from the image's CUDA 13) into device-bundle/ (git-ignored)
#   there (carry device-bundle):   benchmarks/device_check.sh [minutes for the stdp run, default 2]
#
# Prints one table: the gpu tests, compute-sanitizer memcheck and racecheck over
# the parity tests, `enu evolve configs/stdp.yaml` on the CUDA backend (wall
# time, generations, learning-window error) beside the CPU backend run for the
# same number of generations (or as many as fit in the same minutes), the TF32
# error of the layered path, and `enu bench` (every backend and path).
set -uo pipefail
cd "$(dirname "$0")/.."
bundle=device-bundle

if [ "${1:-}" = "--prepare" ]; then
  cmake -S . -B build -DENU_CUDA_ARCHITECTURES=90 >/dev/null &&
    cmake --build build -j"$(nproc)" --target enu enu_gpu_tests || exit 1
  rm -rf "$bundle" && mkdir -p "$bundle/bin" "$bundle/lib"
  cp build/host/cli/enu build/tests/enu_gpu_tests "$bundle/bin/"
  for lib in $(ldd "$bundle"/bin/* | awk '/=> \// {print $3}' | sort -u); do
    case $(basename "$lib") in
      # The C library and the driver are the machine's; cuBLAS (hundreds of MiB)
      # comes from the device image's CUDA toolkit (the same major version, 13).
      libc.so* | libm.so* | ld-linux* | libpthread* | libdl* | librt* | libcuda.so* | libcublas*) ;;
      *) cp -L "$lib" "$bundle/lib/" ;;
    esac
  done
  du -sh "$bundle"
  exit 0
fi

minutes=${1:-2}
out=${OUT:-/tmp/enu-device-check}
mkdir -p "$out"
# cuBLAS: the toolkit's, or the one PyTorch's nvidia-cublas wheel carries.
wheel_cublas=$(python3 -c 'import nvidia.cublas, os; print(os.path.join(list(nvidia.cublas.__path__)[0], "lib"))' \
  2>/dev/null || true)
export LD_LIBRARY_PATH="$PWD/$bundle/lib:/usr/local/cuda/lib64:${wheel_cublas}:${LD_LIBRARY_PATH:-}"
if ! ldd "$PWD/$bundle/bin/enu" | grep -q 'libcublas.so.13 => /'; then
  echo "device_check: libcublas.so.13 not found (looked in /usr/local/cuda/lib64 and ${wheel_cublas:-no wheel})"
  exit 1
fi
bin="$PWD/$bundle/bin"
row() { printf '%-34s %s\n' "$1" "$2"; }

gpu=$(nvidia-smi --query-gpu=name,driver_version,memory.total --format=csv,noheader 2>/dev/null || echo "no nvidia-smi")
"$bin/enu_gpu_tests" >"$out/gpu_tests.log" 2>&1
tests="exit $? ($(grep -E '^\[ +(PASSED|FAILED|SKIPPED) +\] [0-9]+ tests?' "$out/gpu_tests.log" | tr -s ' ' | tr '\n' ' '))"

parity='CudaParity.SingleCells*:CudaParity.Networks*:CudaParity.MazeEnvironments*:CudaParity.DeviceEs*'
sanitize() {
  compute-sanitizer --tool "$1" --error-exitcode 9 "$bin/enu_gpu_tests" --gtest_filter="$parity" >"$out/$1.log" 2>&1
  echo "exit $? ($(grep -m1 -E 'ERROR SUMMARY|RACECHECK SUMMARY' "$out/$1.log" || echo 'no summary'))"
}
memcheck=$(sanitize memcheck)
racecheck=$(sanitize racecheck)

# CUDA first, bounded by wall time; then the CPU for as many generations, bounded alike.
evolve() {  # backend, generations, max minutes
  local dir="$out/stdp_$1" start end
  start=$(date +%s.%N)
  "$bin/enu" evolve configs/stdp.yaml --backend "$1" --quiet --out "$dir" --set run.generations="$2" \
    --set run.max_minutes="$3" >"$dir.log" 2>&1
  end=$(date +%s.%N)
  local gens error
  gens=$(grep -m1 '^generations:' "$dir/summary.yaml" 2>/dev/null | awk '{print $2}')
  error=$(grep -o 'learning window: .*' "$dir.log" | sed 's/.*: //')
  local failure
  failure=$(grep -m1 'enu: error' "$dir.log")
  echo "$(awk "BEGIN {printf \"%.1f\", $end - $start}") s, ${gens:-?} generations, window error ${error:-?} ${failure}"
}
cuda=$(evolve cuda 5000 "$minutes")
generations=$(grep -m1 '^generations:' "$out/stdp_cuda/summary.yaml" 2>/dev/null | awk '{print $2}')
cpu=$(evolve cpu "${generations:-100}" "$minutes")

# Throughput of every backend and path on the harness settings (published maze,
# STDP, large network), peak measured in the same run.
"$bin/enu" bench --backend auto --budget 1 --repetitions 3 --configs configs --csv "$out/bench.csv" \
  >"$out/bench.log" 2>&1
bench="exit $? (table below)"
tf32=$(grep -m1 -o 'TF32 layered path vs FP32 reference: .*' "$out/gpu_tests.log" || echo "not measured")

# The PyTorch baseline (the published formulation) on the same card: the same
# outputs as the engine on a recorded lifetime, then its throughput on the
# published maze setting, beside the engine's maze rows in the bench table.
baseline_check=$(bash tests/baseline_check.sh "$bin/enu" "$out/baseline_check" "$PWD" cuda 2>&1 | tail -1)
baseline=$(python3 benchmarks/pytorch_baseline.py bench --device cuda --members 512 --lifetimes 8 --steps 400 2>&1 |
  tail -1)

echo
row "device" "$gpu"
row "commit" "$(git rev-parse --short HEAD 2>/dev/null || echo '?')"
row "gpu tests" "$tests"
row "memcheck (parity tests)" "$memcheck"
row "racecheck (parity tests)" "$racecheck"
row "stdp, --backend cuda" "$cuda"
row "stdp, --backend cpu ($(nproc) cores)" "$cpu"
row "TF32 accuracy" "$tf32"
row "PyTorch baseline vs engine" "$baseline_check"
row "PyTorch baseline, maze" "$baseline"
row "enu bench" "$bench"
echo
sed -n '/^| setting/,$p' "$out/bench.log"
echo "logs in $out"
