#!/usr/bin/env bash
# Usage: check_ptxas_log.sh LOG. Passes when LOG, the ptxas report of one CUDA
# object kept by cuda/ptxas_log.sh during the build, shows no register spills.
# A missing log or one without ptxas lines fails too, so that a build which did
# not go through the launcher cannot pass the check unseen.
set -uo pipefail
log="$1"
if [ ! -f "$log" ]; then
  echo "FAIL: no ptxas log at '$log': build enu_cuda (cuda/ptxas_log.sh writes one beside each object)"
  exit 1
fi
if ! grep -q "^ptxas info" "$log"; then
  echo "FAIL: $log has no ptxas lines: was the object compiled with -Xptxas=-v?"
  exit 1
fi
if grep -B1 -E "[1-9][0-9]* bytes spill" "$log"; then
  echo "FAIL: register spills in $log (above, with the kernel they belong to)"
  exit 1
fi
echo "PASS: $(grep -c "Compiling entry function" "$log") kernels in $log, no register spills"
