#!/usr/bin/env bash
# Distributed evolution end to end, on loopback: tests/mpi/mpi_runs.sh ENU WORK SCENARIO.
# Deterministic columns of metrics.csv (best, mean, centre, sigma, nonfinite and
# the centre's hash after each generation) must match a single-process run bit
# for bit, whatever the number of ranks.
set -euo pipefail
ENU=$1 WORK=$2 SCENARIO=$3
CONFIG=$(dirname "$0")/../../configs/stdp.yaml
export OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1 OMPI_MCA_rmaps_base_oversubscribe=1
# In the sanitizer build, leak checking is off under mpirun: OpenMPI leaves its
# own allocations at exit from components it has unloaded, so the reports cannot
# even be attributed (the non-MPI tests check enu's code for leaks; address and
# undefined-behaviour checks stay on here).
export ASAN_OPTIONS="detect_leaks=0${ASAN_OPTIONS:+:$ASAN_OPTIONS}"
# Loopback only: shared memory (without the ptrace-based single copy that
# containers forbid) and self; no binding, since ranks outnumber cores here.
MPIRUN=(mpirun --oversubscribe --bind-to none --mca btl self,vader --mca btl_vader_single_copy_mechanism none)
TINY=(--set task.stdp.steps=60 --set es.population=6 --set es.lifetimes=2 --set run.checkpoint_every=2
      --set run.eval_lifetimes=4 --threads 1 --quiet)
rm -rf "$WORK/$SCENARIO"
mkdir -p "$WORK/$SCENARIO"
cd "$WORK/$SCENARIO"

# generation,best,mean,centre,sigma,nonfinite,centre_hash by header name.
deterministic() {
  awk -F, 'NR == 1 { for (i = 1; i <= NF; ++i) col[$i] = i }
           { print $col["generation"], $col["best"], $col["mean"], $col["centre"], $col["sigma"],
                   $col["nonfinite"], $col["centre_hash"] }' "$1/metrics.csv"
}
same_run() {  # same_run DIR_A DIR_B: every generation and the final state
  diff <(deterministic "$1") <(deterministic "$2") || { echo "FAIL: $1 and $2 differ"; exit 1; }
  cmp "$1/checkpoint_latest.npz" "$2/checkpoint_latest.npz" || { echo "FAIL: final checkpoints differ"; exit 1; }
  echo "identical: $1 $2 ($(($(wc -l < "$1/metrics.csv") - 1)) generations)"
}

# start_two_ranks DIR TIMEOUT ROWS: an endless 2-rank run in the background
# (launcher=its mpirun) until metrics.csv has ROWS lines; victim=rank 1's pid.
start_two_ranks() {
  "${MPIRUN[@]}" -np 2 "$ENU" evolve "$CONFIG" "${TINY[@]}" --set run.generations=100000000 \
    --set run.mpi_timeout_seconds="$2" --out "$1" > out.txt 2>&1 &
  launcher=$!
  for _ in $(seq 200); do [ -f "$1/metrics.csv" ] && [ "$(wc -l < "$1/metrics.csv")" -ge "$3" ] && break; sleep 0.1; done
  victim=""
  for child in $(pgrep -P "$launcher"); do
    grep -qz "^OMPI_COMM_WORLD_RANK=1$" "/proc/$child/environ" 2>/dev/null && victim=$child
  done
  [ -n "$victim" ] || { kill "$launcher"; echo "FAIL: rank 1 not found"; exit 1; }
}

case $SCENARIO in
  identical)  # 1 process, 1 rank and 2 ranks: the same centre after every generation
    "$ENU" evolve "$CONFIG" "${TINY[@]}" --set run.generations=6 --out plain
    "${MPIRUN[@]}" -np 1 "$ENU" evolve "$CONFIG" "${TINY[@]}" --set run.generations=6 --out one
    "${MPIRUN[@]}" -np 2 "$ENU" evolve "$CONFIG" "${TINY[@]}" --set run.generations=6 --out two
    same_run plain one
    same_run plain two
    grep -q "^generation,.*,ranks,rank_eval_seconds_min,rank_eval_seconds_max,exchange_seconds,centre_hash$" two/metrics.csv
    [ "$(awk -F, 'NR == 2 { print $11 }' two/metrics.csv)" = 2 ] || { echo "FAIL: ranks column"; exit 1; }
    ;;
  uneven)  # 6 members on 4 ranks (2,2,1,1) and on 8 ranks (two empty slices)
    "$ENU" evolve "$CONFIG" "${TINY[@]}" --set run.generations=4 --out plain
    "${MPIRUN[@]}" -np 4 "$ENU" evolve "$CONFIG" "${TINY[@]}" --set run.generations=4 --out four
    "${MPIRUN[@]}" -np 8 "$ENU" evolve "$CONFIG" "${TINY[@]}" --set run.generations=4 --out eight
    same_run plain four
    same_run plain eight
    ;;
  mismatch)  # rank 1 sees another seed: every rank refuses to start
    if "${MPIRUN[@]}" -np 1 "$ENU" evolve "$CONFIG" "${TINY[@]}" --set run.seed=1 --out mismatch \
         : -np 1 "$ENU" evolve "$CONFIG" "${TINY[@]}" --set run.seed=2 --out mismatch > out.txt 2>&1; then
      cat out.txt; echo "FAIL: a run with different configs on its ranks started"; exit 1
    fi
    cat out.txt
    grep -q "rank 1 of 2 runs a different resolved config than rank 0" out.txt
    [ ! -e mismatch/metrics.csv ] || { echo "FAIL: the refused run wrote metrics"; exit 1; }
    ;;
  resume)  # stopped after 3 of 6 on 2 ranks, resumed on 3 ranks: as one uninterrupted run
    "$ENU" evolve "$CONFIG" "${TINY[@]}" --set run.generations=6 --out whole
    "${MPIRUN[@]}" -np 2 "$ENU" evolve "$CONFIG" "${TINY[@]}" --set run.generations=3 --out split
    # A crash after generations 3 and 4 were logged but before their checkpoint.
    echo "3,0,0,0,0,0,0,0,0,0,2,0,0,0,0" >> split/metrics.csv
    echo "4,0,0,0,0,0,0,0,0,0,2,0,0,0,0" >> split/metrics.csv
    "${MPIRUN[@]}" -np 3 "$ENU" evolve --resume split --set run.generations=6 --quiet
    same_run whole split
    ;;
  rank_dies)  # rank 1 killed mid-run: the job ends, naming it; the run resumes on 1 rank
    start_two_ranks died 10 6
    kill -KILL "$victim"
    started=$SECONDS
    if wait "$launcher"; then echo "FAIL: the job succeeded without rank 1"; exit 1; fi
    cat out.txt
    echo "the job ended $((SECONDS - started)) s after rank 1 died"
    [ $((SECONDS - started)) -le 20 ] || { echo "FAIL: too slow"; exit 1; }
    grep -Eq "rank 1 .*(signal 9|Killed)|process rank 1" out.txt
    # The killed run's log holds every line it wrote, each whole, however many
    # generations ran before the kill: its first line, and the progress line of
    # each generation up to the last row of metrics.csv (row g is written just
    # before the line "gen g+1/...").
    logged=$(tail -n 1 died/metrics.csv | cut -d, -f1)
    grep -q "^# started at generation 0 " died/log.txt || { echo "FAIL: the killed run's log lost its first line"; exit 1; }
    [ -z "$(tail -c 1 died/log.txt)" ] || { echo "FAIL: the killed run's log ends inside a line"; exit 1; }
    progress=$(sed -n 's|^gen \([0-9]*\)/.*|\1|p' died/log.txt | tail -n 1)
    [ "${progress:-0}" -ge "$logged" ] ||
      { echo "FAIL: the killed run's log ends at generation ${progress:-0}, its metrics.csv at $logged"; exit 1; }
    # Resumed on one rank from the latest checkpoint, losing at most checkpoint_every (2) generations.
    target=$((logged + 4))
    "$ENU" evolve --resume died --set run.generations=$target --quiet
    resumed=$(sed -n 's/^# resumed at generation \([0-9]*\).*/\1/p' died/log.txt | tail -n 1)
    echo "logged up to generation $logged, resumed at $resumed, ran to $target"
    [ "$resumed" -ge $((logged + 1 - 2)) ] || { echo "FAIL: lost more than checkpoint_every generations"; exit 1; }
    [ "$(tail -n 1 died/metrics.csv | cut -d, -f1)" = $((target - 1)) ] || { echo "FAIL: resume did not finish"; exit 1; }
    [ "$(wc -l < died/metrics.csv)" = $((target + 1)) ] || { echo "FAIL: metrics rows not one per generation"; exit 1; }
    ;;
  rank_hangs)  # rank 1 stopped mid-run (in any phase): rank 0 names it within the timeout and the job ends
    start_two_ranks hung 3 4
    kill -STOP "$victim"
    started=$SECONDS
    if wait "$launcher"; then echo "FAIL: the job succeeded with rank 1 stopped"; exit 1; fi
    cat out.txt
    echo "the job ended $((SECONDS - started)) s after rank 1 stopped"
    [ $((SECONDS - started)) -le 20 ] || { echo "FAIL: too slow"; exit 1; }
    grep -q "rank 0 of 2: .*silent (stopped or frozen): rank 1" out.txt
    ;;
  *) echo "unknown scenario $SCENARIO"; exit 2 ;;
esac
echo "PASS $SCENARIO"
