"""A full disk stops `enu evolve` with exit code 1 and an error naming the file
that could not be written and why; the checkpoints are left as they were, byte
for byte, and load (`enu eval`); no temporary file is left behind. With space
back, --resume completes the run as if nothing had happened.

The disk fills up through a file size limit (RLIMIT_FSIZE, with SIGXFSZ
ignored so that a write past it fails with EFBIG as one on a full disk fails
with ENOSPC) between the size of the run's other files and that of a
checkpoint: a run of 12 generations, continued from generation 4 under the
limit, fails at its first checkpoint write."""

import os
import re
import resource
import signal

from runs import SPHERE, Work, assert_same_run, leftover_temporaries

work = Work()
run = [work.config("sphere"), *SPHERE, "--set", "run.checkpoint_every=4"]
end = 12
reference = work.folder("uninterrupted")
work.run(*run, "--out", reference, "--set", "run.generations=%d" % end)
folder = work.folder("full")
work.run(*run, "--out", folder, "--set", "run.generations=4")

checkpoints = {os.path.join(folder, "checkpoint_%s.npz" % which) for which in ("latest", "best")}
before = {path: open(path, "rb").read() for path in checkpoints}
limit = min(len(data) for data in before.values()) // 2
others = {name: os.path.getsize(os.path.join(folder, name)) for name in os.listdir(folder)
          if os.path.join(folder, name) not in checkpoints}
assert max(others.values()) < limit // 2, "the limit (%d bytes) must fall on a checkpoint: %s" % (limit, others)


def full_disk():
    resource.setrlimit(resource.RLIMIT_FSIZE, (limit, limit))
    signal.signal(signal.SIGXFSZ, signal.SIG_IGN)


_, err = work.run("--resume", folder, "--set", "run.generations=%d" % end, "--quiet", expect=1, preexec_fn=full_disk)
failed = re.search(r"enu: error: cannot write '([^']*)': File too large", err)
assert failed and failed.group(1) in checkpoints, "no error naming a checkpoint and the reason:\n" + err
for path, data in before.items():
    assert open(path, "rb").read() == data, path + " changed"
assert not leftover_temporaries(folder), leftover_temporaries(folder)
work.run("eval", os.path.join(folder, "checkpoint_latest.npz"), "--lifetimes", "1")

work.run("--resume", folder, "--set", "run.generations=%d" % end, "--quiet")
assert_same_run(folder, reference)
print("PASS (%s)" % failed.group(0))
