"""What the robustness tests share: starting `enu evolve`, watching its run
folder, and comparing two run folders. Each test is run by ctest as
    python3 tests/robustness/TEST.py ENU_BINARY WORK_DIR SOURCE_DIR
and ends with "PASS" or an AssertionError saying what went wrong."""

import atexit
import os
import shutil
import subprocess
import sys
import time
import zipfile

# A sphere run of this size takes milliseconds a generation; checkpoints are
# about 60 kB (theta and two moments of 5000 floats), far above its other files.
SPHERE = ["--set", "task.function.dimension=5000", "--set", "es.population=32",
          "--set", "run.threads=1", "--set", "run.eval_lifetimes=1", "--quiet"]

# metrics.csv columns that do not measure time: equal between a run and its
# interrupted and resumed twin.
DETERMINISTIC = ["generation", "best", "mean", "centre", "sigma", "nonfinite", "ranks", "centre_hash"]


class Work:
    """The command line: the enu binary, a fresh work folder, the source tree."""

    def __init__(self):
        if len(sys.argv) != 4:
            sys.exit("usage: %s ENU_BINARY WORK_DIR SOURCE_DIR" % sys.argv[0])
        self.enu, self.dir, self.source = sys.argv[1:4]
        shutil.rmtree(self.dir, ignore_errors=True)
        os.makedirs(self.dir)

    def config(self, name):
        return os.path.join(self.source, "configs", name + ".yaml")

    def folder(self, name):
        return os.path.join(self.dir, name)

    def evolve(self, *args, **popen):
        """`enu evolve ARGS` started, its output captured as text. Killed when
        the test ends, passed or failed, so that no run goes on writing."""
        process = subprocess.Popen([self.enu, "evolve", *args], stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                                   text=True, **popen)
        atexit.register(process.kill)
        return process

    def run(self, *args, expect=0, timeout=120, **popen):
        """`enu evolve ARGS` (or `enu eval` when args start with "eval") to its end: (exit code, stderr)."""
        command = [self.enu, *args] if args[0] == "eval" else [self.enu, "evolve", *args]
        done = subprocess.run(command, capture_output=True, text=True, timeout=timeout, **popen)
        assert expect is None or done.returncode == expect, \
            "%s exited %d, not %d:\n%s%s" % (" ".join(command), done.returncode, expect, done.stdout, done.stderr)
        return done.returncode, done.stderr


def rows(folder):
    """metrics.csv as dicts, whole lines only (a kill may cut the last one)."""
    path = os.path.join(folder, "metrics.csv")
    if not os.path.exists(path):
        return []
    with open(path) as f:
        lines = f.read().split("\n")[:-1]  # what follows the last '\n' is not a whole row
    if not lines:
        return []
    header = lines[0].split(",")
    return [dict(zip(header, line.split(","))) for line in lines[1:]]


def wait_for_rows(folder, count, process, timeout=60):
    """Waits until metrics.csv holds `count` rows; the time it saw them."""
    start = time.monotonic()
    while len(rows(folder)) < count:
        assert process.poll() is None, "enu ended (%s) before %d generations:\n%s" % (
            process.returncode, count, process.stderr.read())
        assert time.monotonic() - start < timeout, "no %d generations in %d s" % (count, timeout)
        time.sleep(0.005)
    return time.monotonic()


def checkpoint(folder, which="latest"):
    """A checkpoint's members (CRC-checked: a torn file fails here) and its generation."""
    with zipfile.ZipFile(os.path.join(folder, "checkpoint_%s.npz" % which)) as z:
        assert z.testzip() is None, "a member of %s's checkpoint_%s.npz fails its CRC" % (folder, which)
        members = {name: z.read(name) for name in z.namelist()}
    header = dict(line.split(": ", 1) for line in members["header.yaml"].decode().splitlines() if ": " in line)
    return int(header["generation"]), members


def assert_same_run(folder, reference):
    """`folder` (interrupted and resumed) ends as the uninterrupted `reference`:
    every metrics row in its columns that are not timings, and both checkpoints
    (header and arrays) bit for bit."""
    got, want = rows(folder), rows(reference)
    assert len(got) == len(want), "%s has %d metrics rows, the uninterrupted run %d" % (folder, len(got), len(want))
    for g, (a, b) in enumerate(zip(got, want)):
        for column in DETERMINISTIC:
            assert a[column] == b[column], "generation %d, %s: %s resumed, %s uninterrupted" % (
                g, column, a[column], b[column])
    assert checkpoint(folder)[0] == len(want)
    for which in ("latest", "best"):
        a, b = checkpoint(folder, which)[1], checkpoint(reference, which)[1]
        for member in ("header.yaml", "theta.npy", "moment1.npy", "moment2.npy"):
            assert a[member] == b[member], "checkpoint_%s.npz: %s differs from the uninterrupted run's" % (which, member)


def leftover_temporaries(folder):
    return [name for name in os.listdir(folder) if ".tmp" in name]
