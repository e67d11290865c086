#!/usr/bin/env bash
# The CUDA compiler launcher of enu_cuda (cuda/CMakeLists.txt): runs the compile
# command it is given, and keeps a copy of its stderr, where -Xptxas=-v reports
# each kernel's registers and spills, in <object>.ptxas.log beside the object.
# The cuda.no_register_spills tests read those logs (tests/check_ptxas_log.sh),
# so the check sees the build's own compile, not a second one. The command's
# output and exit status pass through unchanged.
set -uo pipefail
object=""
previous=""
for arg in "$@"; do
  if [ "$previous" = "-o" ]; then object="$arg"; fi
  previous="$arg"
done
if [ -z "$object" ]; then exec "$@"; fi
# stdout stays stdout (3); stderr goes through tee into the log and back to stderr.
{ "$@" 2>&1 1>&3 3>&- | tee "$object.ptxas.log" >&2; } 3>&1
exit "${PIPESTATUS[0]}"
