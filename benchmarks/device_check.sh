#!/usr/bin/env bash
# The GPU checks in one go, for a lent H100/H200; RESULTS.md records what it prints.
#
#   here (no GPU needed):   benchmarks/device_check.sh --prepare
#       builds for sm_90 (in build-device/, host code for any x86-64-v2 CPU) and
#       bundles the binaries with the shared libraries a bare GPU image may lack
#       (yaml-cpp, cudart, this compiler's libstdc++; glibc >= 2.34 is assumed;
#       cuBLAS is taken from the image's CUDA 13) into device-bundle/ (git-ignored)
#   there (carry device-bundle):   benchmarks/device_check.sh tests|speed|all [stdp minutes, default 1.5]
#                                  benchmarks/device_check.sh maze [evolve minutes, default 6]
#
# Each phase prints one short table and fits one 10-minute device call (every
# step has its own time limit; exit 124 in the table means it ran out):
#   tests  the gpu tests (TF32 error of the layered path, fused_v2's tf32 maze
#          fitness against fp32 and its phase clocks on the published maze
#          generation included), compute-sanitizer memcheck and racecheck over
#          the parity tests (fused_v2's among them), and
#          the PyTorch baseline replaying an engine trace on the card
#   speed  `enu evolve configs/stdp.yaml` on the CUDA backend (wall time,
#          generations, learning-window error) beside the CPU backend for the
#          same generations, the PyTorch baseline's throughput on the
#          published maze setting, and `enu bench` (every backend and path, peak
#          measured in the same run): the published maze first on its own (CPU,
#          fused, fused_v2 in fp32, tf32 and tf32x3, layered: RESULTS.md's
#          fused_v2 table), then the stdp and large settings
#   maze   issue 5 on the card: `enu evolve configs/tmaze.yaml` (published sizes)
#          for the given minutes, then its adaptation score on 512 held-out
#          lifetimes (drawn input orders) against the best fixed policy, the
#          median seconds per generation and when the centre first reached
#          fitness 9 (the fixed-policy level) and 18. BACKEND=cpu with a few
#          minutes dry-runs the phase here.
set -uo pipefail
cd "$(dirname "$0")/.."
bundle=device-bundle

if [ "${1:-}" = "--prepare" ]; then
  # The bundle runs on another machine's CPU, where this one's -march=native
  # instructions may not exist (SIGILL): host code for x86-64-v2 instead (SSE4.2,
  # every x86-64 server since 2009; SSE4.1 keeps the fast exp's floor one
  # instruction). -Wno-psabi: GCC's note that 8-wide vectors pass differently
  # without AVX is moot for the file-local helpers it names. Its own build
  # folder, so that build/ keeps -march=native.
  cmake -S . -B build-device -DENU_CUDA_ARCHITECTURES=90 -DENU_NATIVE=OFF \
    -DCMAKE_CXX_FLAGS="-march=x86-64-v2 -Wno-psabi" >/dev/null &&
    cmake --build build-device -j"$(nproc)" --target enu enu_gpu_tests || exit 1
  rm -rf "$bundle" && mkdir -p "$bundle/bin" "$bundle/lib"
  cp build-device/host/cli/enu build-device/tests/enu_gpu_tests "$bundle/bin/"
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

phase=${1:-all}
case $phase in
  tests | speed | all) minutes=${2:-1.5} ;;
  maze) minutes=${2:-6} ;;
  *) echo "usage: $0 --prepare | tests | speed | all [stdp minutes] | maze [evolve minutes]"; exit 2 ;;
esac
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
echo
row "device" "$gpu"
row "commit" "$(git rev-parse --short HEAD 2>/dev/null || echo '?')"

if [ "$phase" = maze ]; then
  dir="$out/tmaze"
  # The final analysis (512 lifetimes on the CPU runner, 225 fixed policies, one
  # traced lifetime) follows the evolution: 3 minutes more at most.
  timeout $(awk "BEGIN {print int($minutes * 60 + 180)}") "$bin/enu" evolve configs/tmaze.yaml \
    --backend "${BACKEND:-cuda}" --quiet --out "$dir" --set run.max_minutes="$minutes" >"$dir.log" 2>&1
  row "tmaze evolve" "exit $? $(grep -m1 'enu: error' "$dir.log")"
  row "tmaze run" "$(python3 - "$dir/metrics.csv" <<'PY'
import csv, statistics, sys
rows = list(csv.DictReader(open(sys.argv[1])))
per_generation = statistics.median(float(r["eval_seconds"]) + float(r["update_seconds"]) for r in rows)
def reached(level):
    hit = next((r for r in rows if float(r["centre"]) >= level), None)
    return f"generation {hit['generation']} at {float(hit['elapsed_seconds']):.0f} s" if hit else "not reached"
print(f"{len(rows)} generations, median {per_generation:.3f} s/generation, final centre {rows[-1]['centre']}; "
      f"centre >= 9: {reached(9)}; >= 18: {reached(18)}")
PY
)"
  # The run trained on balanced orders; the score is on drawn ones.
  timeout 180 "$bin/enu" analyze "$dir" --set task.maze.balanced_orders=false --set run.eval_lifetimes=512 \
    >"$dir.analyze.log" 2>&1
  row "tmaze adaptation (512 drawn)" "$(grep -m1 -o 'agent [0-9.]* +- [0-9.]*' "$dir.analyze.log"), $(grep -m1 -o \
    'best fixed policy [0-9.]* +- [0-9.]*' "$dir.analyze.log"), $(grep -m1 -o 'ratio [0-9.a-z]*' "$dir.analyze.log")"
  sed -n '/^by input order/,/^wiring/p' "$dir.analyze.log" | sed '$d'
  echo "logs in $out"
  exit 0
fi

if [ "$phase" != speed ]; then
  timeout 180 "$bin/enu_gpu_tests" >"$out/gpu_tests.log" 2>&1
  row "gpu tests" "exit $? ($(grep -E '^\[ +(PASSED|FAILED|SKIPPED) +\] [0-9]+ tests?' "$out/gpu_tests.log" | tr -s ' ' | tr '\n' ' '))"
  grep -E '^\[  FAILED  \] [A-Za-z]' "$out/gpu_tests.log" | sed 's/^/    /'
  row "TF32 accuracy" "$(grep -m1 -o 'TF32 layered path vs FP32 reference: .*' "$out/gpu_tests.log" || echo 'not measured')"
  row "fused_v2 tf32 vs fp32" "$(grep -m1 -o 'maze fitness: fp32 mean .*' "$out/gpu_tests.log" || echo 'not measured')"
  row "fused_v2 phase clocks" "$(grep -m1 -o 'phase clocks per block-tick.*' "$out/gpu_tests.log" || echo 'not measured')"
  parity='*BackendParity.SingleCellsAtEveryKernelWidth/cuda:*BackendParity.NetworksOfEveryKernelShape/cuda'
  parity+=':CudaParity.MazeEnvironments*:CudaParity.DeviceEs*:FusedV2.Tf32x3*:FusedV2.SameBitsForEveryGrouping*'
  for tool in memcheck racecheck; do
    timeout 140 compute-sanitizer --tool "$tool" --error-exitcode 9 "$bin/enu_gpu_tests" --gtest_filter="$parity" \
      >"$out/$tool.log" 2>&1
    row "$tool (parity tests)" "exit $? ($(grep -m1 -E 'ERROR SUMMARY|RACECHECK SUMMARY' "$out/$tool.log" || echo 'no summary'))"
  done
  row "PyTorch baseline vs engine" \
    "$(timeout 90 bash tests/baseline_check.sh "$bin/enu" "$out/baseline_check" "$PWD" cuda 2>&1 | tail -1)"
fi

if [ "$phase" != tests ]; then
  # CUDA first, bounded by wall time; then the CPU for as many generations, bounded alike.
  evolve() {  # backend, generations, max minutes
    local dir="$out/stdp_$1" start end gens error failure
    start=$(date +%s.%N)
    timeout 150 "$bin/enu" evolve configs/stdp.yaml --backend "$1" --quiet --out "$dir" --set run.generations="$2" \
      --set run.max_minutes="$3" >"$dir.log" 2>&1
    end=$(date +%s.%N)
    gens=$(grep -m1 '^generations:' "$dir/summary.yaml" 2>/dev/null | awk '{print $2}')
    error=$(grep -o 'learning window: .*' "$dir.log" | sed 's/.*: //')
    failure=$(grep -m1 'enu: error' "$dir.log")
    echo "$(awk "BEGIN {printf \"%.1f\", $end - $start}") s, ${gens:-?} generations, window error ${error:-?} ${failure}"
  }
  row "stdp, --backend cuda" "$(evolve cuda 5000 "$minutes")"
  generations=$(grep -m1 '^generations:' "$out/stdp_cuda/summary.yaml" 2>/dev/null | awk '{print $2}')
  row "stdp, --backend cpu ($(nproc) cores)" "$(evolve cpu "${generations:-100}" "$minutes")"
  row "PyTorch baseline, maze" "$(timeout 90 python3 benchmarks/pytorch_baseline.py bench --device cuda --members 512 \
    --lifetimes 8 --steps 400 2>&1 | tail -1)"
  # `enu bench` in two runs, each with its table: first the published maze on
  # every backend and path (the CPU; fused, fused_v2 in fp32, tf32 and tf32x3,
  # layered), then the other settings, so that the maze's table lands even if
  # the rest runs out of time. A run that does not finish leaves its rows so far.
  bench() {  # log name, seconds, settings
    timeout "$2" "$bin/enu" bench --backend auto --only "$3" --budget 1 --repetitions 3 --configs configs \
      --csv "$out/$1.csv" >"$out/$1.log" 2>&1
    local status=$?
    row "enu bench --only $3" "exit $status$([ $status = 0 ] && echo ' (table below)')"
    echo
    if [ $status = 0 ]; then sed -n '/^| setting/,$p' "$out/$1.log"; else grep -E '^(  |.*peak)' "$out/$1.log"; fi
    echo
  }
  bench bench_maze 90 maze
  bench bench 90 stdp,large
fi
echo "logs in $out"
