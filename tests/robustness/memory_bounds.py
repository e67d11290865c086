#!/usr/bin/env python3
"""Memory bounds of `enu evolve`, one property per check.

Usage: memory_bounds.py refuse|flat ENU WORK_DIR SOURCE_DIR

refuse: a config whose generation cannot fit in this machine's memory is refused
  before anything that large is allocated, with the size it would need: the
  command ends with the message in well under a second (MAX_REFUSE_SECONDS), its
  peak resident set within MAX_REFUSE_EXTRA_MIB of enu's refusing a misspelt key
  (the program's own start: a CUDA build maps its kernels, a sanitizer build its
  shadow), rather than allocating until the OOM killer ends it. Two ways to be too large: population x lifetimes (the
  fitness values), and a network (the CPU evaluator's state of every synapse;
  its topology is not even drawn).

flat: the resident set of a long run does not grow. A run allocates the same
  buffers every generation and frees them, so after a warm-up its resident set
  stays within the transient peak of a generation. The peak resident set over
  the generations WINDOW after the warm-up and over the last WINDOW generations
  may differ by at most MAX_GROWTH_MIB. The model (an ENU of memory 64) has
  13505 parameters, 53 KiB a vector: a leak of one parameter vector a generation
  adds 20 MiB over the GENERATIONS - 2 * WINDOW generations between the two
  windows, ten times the bound. A generation's transients (a checkpoint's copies
  of the parameters, 0.3 MiB) fall in both windows.
"""
import os
import re
import shutil
import subprocess
import sys
import time
from pathlib import Path

MAX_REFUSE_SECONDS = 1.0
MAX_REFUSE_EXTRA_MIB = 64
GENERATIONS, WINDOW, WARM_UP = 500, 50, 50
MAX_GROWTH_MIB = 2.0
SAMPLE_SECONDS = 0.01


def fail(message):
    print("FAIL:", message)
    sys.exit(1)


def run_measured(command, work):
    """Runs `command`: its exit status, stderr, seconds and peak resident set (MiB, its own)."""
    started = time.monotonic()
    with open(work / "stderr.txt", "w+") as stderr:
        child = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=stderr)
        _, status, usage = os.wait4(child.pid, 0)
        seconds = time.monotonic() - started
        stderr.seek(0)
        return os.waitstatus_to_exitcode(status), stderr.read().strip(), seconds, usage.ru_maxrss / 1024


def refuse(enu, work, source):
    work.mkdir(parents=True, exist_ok=True)
    evolve = [enu, "evolve", "--out", str(work / "refused")]
    _, _, _, start_mib = run_measured([*evolve, str(source / "configs" / "iaf.yaml"), "--set", "es.sigmaa=1"], work)
    print(f"enu refusing a misspelt key: peak RSS {start_mib:.0f} MiB")
    cases = [
        ("population x lifetimes", "iaf.yaml", ["es.population=1000000000", "es.lifetimes=1000"],
         r"es\.population 1000000000 x es\.lifetimes 1000 needs 3\.7 TiB of host memory \(fitness values"),
        ("a network", "tmaze_small.yaml", ["model.network.topology.neurons=1000000", "model.network.topology.pre=[]",
                                           "model.network.topology.fan_in=64", "model.network.memory=4096"],
         r"needs [0-9.]+ [PT]iB of host memory \(CPU evaluator"),
    ]
    for name, config, settings, expected in cases:
        returncode, message, seconds, peak_mib = run_measured(
            [*evolve, str(source / "configs" / config), *[arg for setting in settings for arg in ("--set", setting)]],
            work)
        print(f"{name}: exit {returncode} in {seconds:.2f} s, peak RSS {peak_mib:.0f} MiB: {message}")
        if returncode != 1 or not re.search(expected, message):
            fail(f"{name}: expected exit 1 and a message matching {expected!r}")
        if seconds > MAX_REFUSE_SECONDS:
            fail(f"{name}: refused after {seconds:.2f} s, more than {MAX_REFUSE_SECONDS} s")
        if peak_mib > start_mib + MAX_REFUSE_EXTRA_MIB:
            fail(f"{name}: peak resident set {peak_mib:.0f} MiB, more than {MAX_REFUSE_EXTRA_MIB} MiB over the "
                 f"{start_mib:.0f} MiB of enu's start")
    print("PASS memory_refuse")


def resident_mib(pid):
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return None


def flat(enu, work, source):
    run = work / "run"
    command = [enu, "evolve", str(source / "configs" / "iaf.yaml"), "--out", str(run), "--quiet", "--threads", "2",
               "--set", "es.population=8", "--set", "es.lifetimes=2", "--set", "task.iaf.steps=20",
               "--set", "model.cell.memory=64", "--set", f"run.generations={GENERATIONS}",
               "--set", "run.checkpoint_every=1", "--set", "run.eval_lifetimes=4"]
    # AddressSanitizer holds freed blocks back (its quarantine, 256 MiB) before
    # reusing them: in a sanitizer build that would read as growth.
    asan_options = [os.environ.get("ASAN_OPTIONS", ""), "quarantine_size_mb=0"]
    env = dict(os.environ, ASAN_OPTIONS=":".join(filter(None, asan_options)))
    child = subprocess.Popen(command, stdout=subprocess.DEVNULL, env=env)
    samples = []  # (generations done, resident MiB)
    while child.poll() is None:
        try:
            done = (run / "metrics.csv").read_text().count("\n") - 1
            rss = resident_mib(child.pid)
        except (FileNotFoundError, ProcessLookupError):
            done, rss = -1, None
        # Until the last generation: the final evaluation and analysis come after.
        if rss is not None and 0 <= done < GENERATIONS:
            samples.append((done, rss))
        time.sleep(SAMPLE_SECONDS)
    if child.returncode != 0:
        fail(f"the run exited with {child.returncode}")
    early = [rss for done, rss in samples if WARM_UP <= done < WARM_UP + WINDOW]
    late = [rss for done, rss in samples if done >= GENERATIONS - WINDOW]
    if len(early) < 5 or len(late) < 5:
        fail(f"too few samples: {len(early)} early, {len(late)} late")
    growth = max(late) - max(early)
    print(f"peak resident set: {max(early):.1f} MiB over generations {WARM_UP}-{WARM_UP + WINDOW}, "
          f"{max(late):.1f} MiB over the last {WINDOW}: growth {growth:+.2f} MiB (bound {MAX_GROWTH_MIB} MiB), "
          f"{len(samples)} samples")
    if growth > MAX_GROWTH_MIB:
        fail(f"the resident set grew by {growth:.2f} MiB over {GENERATIONS - 2 * WINDOW} generations")
    print("PASS memory_flat")


def main():
    check, enu, work, source = sys.argv[1], sys.argv[2], Path(sys.argv[3]), Path(sys.argv[4])
    shutil.rmtree(work, ignore_errors=True)
    work.mkdir(parents=True)
    {"refuse": refuse, "flat": flat}[check](enu, work, source)


if __name__ == "__main__":
    main()
