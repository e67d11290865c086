#!/usr/bin/env python3
"""Kill at any instant: a run killed anywhere in the writing of its run folder,
and resumed each time, ends exactly as the same run left alone.

Usage: kill_anywhere.py ENU WORK_DIR SOURCE_DIR

Property checked: whenever `enu evolve` is killed, `enu evolve --resume` (or,
before the first checkpoint_latest.npz exists, the same command again) accepts
the folder and continues bit for bit. At the end every metrics row (all columns
but the timings, the centre hash included) equals the uninterrupted run's,
checkpoint_best.npz and checkpoint_latest.npz are equal byte for byte, and no
partial metrics row was kept. A torn checkpoint would fail a resume: its CRC
and size checks refuse it.

The instants: strace stops the process at the N-th call of one write-family
syscall (-e inject=SYSCALL:signal=KILL:when=N) and kills it there, before the
call runs; -y names the file. Random sleeps rarely land inside a write; this
lands between any two steps of the write protocol. A checkpoint is written to
its temporary file in one write(), so the instants inside it are that write
(the temporary created, empty) and its fsync (complete, neither synced nor
renamed). N and the syscall come from a seeded generator: the schedule is the
same on every run but for where the plain kills below land. The test records
which file each kill was writing and asserts that the kills covered the
dangerous instants (REQUIRED). Only the main thread is traced (no -f): it makes
every write of the run folder, and the plot script it starts at the end is not
killed by mistake. Also:
  - a few plain SIGKILLs after a random delay;
  - torn rows: a SIGKILL can end a write() at a page boundary, leaving the first
    part of a row (strace's kill comes before the call, so it never does). After
    some kills at a metrics.csv row the test appends part of that row, cut inside
    its generation number where it has two digits ("1" of "12,...": what is left
    reads as generation 1).
Exit status 77 (ctest's SKIP_RETURN_CODE) where strace is missing or cannot trace.
"""
import collections
import os
import random
import re
import shutil
import subprocess
import sys
import time
from pathlib import Path

SEED = 20
GENERATIONS = 100
# iaf with a tiny population: 3681 parameters, whose centre moves every
# generation; a checkpoint every generation gives the most instants to kill at.
RUN_SETTINGS = ["--set", "es.population=8", "--set", "es.lifetimes=2", "--set", f"run.generations={GENERATIONS}",
                "--set", "run.checkpoint_every=1", "--set", "run.eval_lifetimes=4", "--threads", "1", "--quiet"]
TRACED = "write,pwrite64,writev,rename,renameat,renameat2,fsync"
# (syscall, largest N). A process of this run makes about 3.5 writes, 3 fsyncs and
# 1.5 renames a generation after a start of 4 writes (the lock, the rewritten
# metrics.csv, config.yaml, the log) and 2 renames: each killed process gets zero
# to three generations further.
INJECTIONS = [("write", 16), ("write", 16), ("fsync", 9), ("rename", 6)]
PLAIN_KILLS = {4, 21, 42}  # processes killed by a plain SIGKILL after a random delay instead
MAX_PROCESSES = 300
# (syscall, file) -> the instant it stands for; every one must be hit.
REQUIRED = {
    ("write", "checkpoint_*.npz.tmp-PID"): "inside a checkpoint's temporary file: created, not yet written",
    ("fsync", "checkpoint_*.npz.tmp-PID"): "inside a checkpoint's temporary file: written, not yet synced",
    ("rename", "checkpoint_*.npz.tmp-PID"): "just before the rename onto the checkpoint",
    ("fsync", "run folder"): "just after the rename, before the folder is synced",
    ("write", "metrics.csv"): "writing a metrics row",
}
TIMING_COLUMNS = {"eval_seconds", "update_seconds", "elapsed_seconds", "lifetimes_per_second",
                  "rank_eval_seconds_min", "rank_eval_seconds_max", "exchange_seconds"}

# The traced syscall strace was in when it killed: name, then the first argument
# (a descriptor with its path from -y, or a quoted path), then the buffer if any.
SYSCALL_LINE = re.compile(r'^(\w+)\((?:(\d+)<([^>]*)>|"([^"]*)")(?:, "((?:[^"\\]|\\.)*)")?')


def fail(message):
    print("FAIL:", message)
    sys.exit(1)


def skip(message):
    print("SKIP:", message)
    sys.exit(77)


def file_label(path, descriptor, run_dir):
    """A killed syscall's file, with the process id of temporaries taken out."""
    if descriptor in ("1", "2"):
        return "stdout" if descriptor == "1" else "stderr"
    if path.startswith("pipe:"):
        return "pipe"
    if Path(path).resolve() == run_dir.resolve():
        return "run folder"
    name = re.sub(r"\.tmp-\d+$", ".tmp-PID", Path(path).name)
    return re.sub(r"^checkpoint_(best|latest)\.npz\.tmp-PID$", "checkpoint_*.npz.tmp-PID", name)


def last_syscall(trace_path, run_dir):
    """(syscall, file label, buffer) of the last line strace wrote: the killed call."""
    lines = [l for l in Path(trace_path).read_text(errors="replace").splitlines() if not l.startswith("+++")]
    match = SYSCALL_LINE.match(lines[-1]) if lines else None
    if not match:
        fail(f"cannot read the killed syscall from {trace_path}: {lines[-1:] or 'empty'}")
    name, descriptor, fd_path, quoted_path, buffer = match.groups()
    return name, file_label(fd_path or quoted_path, descriptor, run_dir), buffer


def checkpoint_generation(run_dir):
    """The generation checkpoint_latest.npz continues from, as read from its
    header: None before the first, "?" where the header is not there (for
    enu to refuse)."""
    path = run_dir / "checkpoint_latest.npz"
    if not path.exists():
        return None
    header = re.search(rb"\ngeneration: (\d+)\n", path.read_bytes())
    return int(header.group(1)) if header else "?"


def metrics_rows(path):
    """Rows of metrics.csv as dicts without the timing columns; fails on a partial last line."""
    text = path.read_text()
    if not text.endswith("\n"):
        fail(f"{path} ends inside a line: {text.splitlines()[-1]!r}")
    header, *rows = text.splitlines()
    names = header.split(",")
    return [{k: v for k, v in zip(names, row.split(",")) if k not in TIMING_COLUMNS} for row in rows]


def traced_env():
    """The environment of a process under strace. LeakSanitizer cannot run under
    ptrace: in a sanitizer build these processes check addresses only (the
    reference run and the plain kills check leaks too)."""
    asan_options = [os.environ.get("ASAN_OPTIONS", ""), "detect_leaks=0"]
    return dict(os.environ, ASAN_OPTIONS=":".join(filter(None, asan_options)))


def plain_kill(command, rng):
    """Runs `command` and kills it after a random delay: its exit status and stderr."""
    child = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    time.sleep(rng.uniform(0.005, 0.05))
    child.kill()
    _, stderr = child.communicate(timeout=60)
    return child.returncode, stderr


def tear_row(metrics, row, rng):
    """Appends the first part of `row` to `metrics`, as a write() ended by a kill
    at a page boundary leaves it; returns that part."""
    inside_generation = len(row.split(",")[0]) > 1 and rng.random() < 0.5
    part = row[:1] if inside_generation else row[:rng.randrange(1, len(row) - 1)]
    with open(metrics, "a") as out:
        out.write(part)
    return part


def sanitizer_writes(enu, config, work):
    """Writes a process makes to a pipe of its own: in a sanitizer build, the
    runtime's probes of memory (UBSan's dynamic type checks) as it starts. The
    write kills are counted past them, to land in the run's own writes."""
    trace = work / "sanitizer_writes.txt"
    subprocess.run(["strace", "-qq", "-y", "-o", str(trace), "-e", "trace=write", enu, "evolve", config, *RUN_SETTINGS,
                    "--set", "run.generations=1", "--out", str(work / "sanitizer_writes")],
                   stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, env=traced_env(), check=True, timeout=60)
    return sum(1 for line in trace.read_text().splitlines() if "<pipe:" in line)


def kill_until_complete(enu, config, killed, work, rng):
    """Runs the run in `killed` process after process, each killed (and some rows
    torn), until one completes. Returns the (syscall, file) of every strace kill
    and the number of rows torn."""
    skipped_writes = sanitizer_writes(enu, config, work)
    kills, torn_rows = [], 0
    for process in range(MAX_PROCESSES):
        generation = checkpoint_generation(killed)
        # Before its first checkpoint a run has nothing to resume: it starts again.
        command = ([enu, "evolve", "--resume", str(killed), "--quiet"] if generation is not None
                   else [enu, "evolve", config, *RUN_SETTINGS, "--out", str(killed)])
        if process in PLAIN_KILLS:
            returncode, stderr = plain_kill(command, rng)
        else:
            syscall, largest = rng.choice(INJECTIONS)
            n = rng.randint(1, largest) + (skipped_writes if syscall == "write" else 0)
            trace = work / f"trace_{process}.txt"
            result = subprocess.run(["strace", "-qq", "-y", "-s", "1024", "-o", str(trace), "-e", f"trace={TRACED}",
                                     "-e", f"inject={syscall}:signal=KILL:when={n}", *command],
                                    stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True, env=traced_env(),
                                    timeout=60)
            returncode, stderr = result.returncode, result.stderr
        if returncode not in (0, -9):
            fail(f"process {process} ({' '.join(command[1:4])}) exited with {returncode}: {stderr.strip()}")
        if returncode == 0:
            return kills, torn_rows
        if process in PLAIN_KILLS:
            print(f"process {process}: plain SIGKILL (run at generation {generation})")
            continue
        name, label, buffer = last_syscall(trace, killed)
        kills.append((name, label))
        where = f"{name} #{n} on {label}"
        if (name, label) == ("write", "metrics.csv") and rng.random() < 0.5:
            where += f", then {tear_row(killed / 'metrics.csv', buffer.encode().decode('unicode_escape'), rng)!r} of it"
            torn_rows += 1
        print(f"process {process}: killed at {where} (run at generation {generation})")
    fail(f"the run did not complete in {MAX_PROCESSES} processes")


def compare_runs(reference, killed):
    """Fails unless the killed run's metrics rows and checkpoints are the reference's."""
    expected, actual = metrics_rows(reference / "metrics.csv"), metrics_rows(killed / "metrics.csv")
    if len(actual) != len(expected):
        fail(f"metrics.csv has {len(actual)} rows, the uninterrupted run {len(expected)}")
    for index, (want, got) in enumerate(zip(expected, actual)):
        if want != got:
            fail(f"metrics.csv row {index} differs: {got} instead of {want}")
    for which in ("best", "latest"):
        name = f"checkpoint_{which}.npz"
        if (killed / name).read_bytes() != (reference / name).read_bytes():
            fail(f"{name} differs from the uninterrupted run's")
    return len(expected)


def main():
    enu, work, source = sys.argv[1], Path(sys.argv[2]), Path(sys.argv[3])
    shutil.rmtree(work, ignore_errors=True)
    work.mkdir(parents=True)
    if not shutil.which("strace"):
        skip("strace not found (tools/install.sh installs it)")
    probe = subprocess.run(["strace", "-qq", "-e", "trace=none", "true"], capture_output=True, text=True)
    if probe.returncode != 0:
        skip(f"strace cannot trace here: {probe.stderr.strip()}")

    config = str(source / "configs" / "iaf.yaml")
    reference, killed = work / "reference", work / "killed"
    started = time.monotonic()
    subprocess.run([enu, "evolve", config, *RUN_SETTINGS, "--out", str(reference)], check=True,
                   stdout=subprocess.DEVNULL)
    reference_seconds = time.monotonic() - started
    kills, torn_rows = kill_until_complete(enu, config, killed, work, random.Random(SEED))
    rows = compare_runs(reference, killed)

    hit = collections.Counter(kills)
    print("kills by syscall and file: " + ", ".join(f"{n} {name} {label}" for (name, label), n in sorted(hit.items())))
    missed = [f"{instant} ({name} on {label})" for (name, label), instant in REQUIRED.items() if (name, label) not in hit]
    if missed:
        fail("the kills missed " + "; ".join(missed))
    if torn_rows == 0:
        fail("no torn metrics row was tried")
    print(f"PASS kill_anywhere: {len(kills)} kills under strace, {len(PLAIN_KILLS)} plain, {torn_rows} rows torn; "
          f"{rows} metrics rows and both checkpoints as in the uninterrupted run ({reference_seconds:.1f} s); "
          f"{time.monotonic() - started:.1f} s in all")


if __name__ == "__main__":
    main()
