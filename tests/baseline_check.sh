#!/usr/bin/env bash
# The independent implementation in benchmarks/pytorch_baseline.py (numpy in
# ctest, torch on a GPU in benchmarks/device_check.sh) replays a recorded
# lifetime of a tiny maze network and must give the engine's outputs.
# Usage: baseline_check.sh ENU_BINARY WORK_DIR SOURCE_DIR [DEVICE: numpy | cpu | cuda]
set -euo pipefail
enu=$1 dir=$2 src=$3 device=${4:-numpy}
rm -rf "$dir"
"$enu" evolve "$src/configs/tmaze_small.yaml" --out "$dir" --quiet --set run.generations=2 \
  --set es.population=4 --set es.lifetimes=1 --set run.eval_lifetimes=2 --set model.network.output_noise=0 \
  --set model.network.channels=4 --set model.network.memory=5 --set model.network.ticks_per_step=2 \
  --set 'model.network.topology.pre=[[0,1,2,3,4,5,6,7],[1,2,3,4,5,6,7,8],[2,3,4,5,6,7,8,9],[0,3,5,7,9,1,2,4],[9,8,7,6,5,4,3,2],[0,9,1,8,2,7,3,6]]' \
  >/dev/null
"$enu" eval "$dir/checkpoint_latest.npz" --lifetimes 2 --record "$dir/trace.csv" >/dev/null
python3 "$src/benchmarks/pytorch_baseline.py" check "$dir/checkpoint_latest.npz" "$dir/trace.csv" --device "$device"
