"""SIGINT and SIGTERM in the middle of `enu evolve` stop it at the end of the
generation: exit code 130 or 143, a message saying how to resume, no final
evaluation (no summary.yaml), and checkpoint_latest.npz at the generation
reached (one metrics row per generation done; no regular checkpoint falls in
the run). Each, resumed to the end, equals an uninterrupted run: every metrics
row in its columns that are not timings, and the checkpoints bit for bit."""

import os
import signal

from runs import SPHERE, Work, assert_same_run, checkpoint, rows, wait_for_rows

work = Work()
run = [work.config("sphere"), *SPHERE, "--set", "run.checkpoint_every=100000"]
reached = {}
for stop, code in ((signal.SIGINT, 130), (signal.SIGTERM, 143)):
    folder = work.folder(stop.name)
    process = work.evolve(*run, "--out", folder, "--set", "run.generations=100000")
    wait_for_rows(folder, 3, process)
    process.send_signal(stop)
    _, err = process.communicate(timeout=60)
    assert process.returncode == code, "%s: exit code %d, not %d:\n%s" % (stop.name, process.returncode, code, err)
    reached[folder] = len(rows(folder))
    assert "enu: stopped by %s after %d generations" % (stop.name, reached[folder]) in err, err
    assert "continue with: enu evolve --resume " + folder in err, err
    generation, _ = checkpoint(folder)
    assert generation == reached[folder], "checkpoint at %d, metrics rows %d" % (generation, reached[folder])
    assert not os.path.exists(os.path.join(folder, "summary.yaml")), "the final evaluation ran after " + stop.name

end = max(reached.values()) + 3
reference = work.folder("uninterrupted")
work.run(*run, "--out", reference, "--set", "run.generations=%d" % end)
for folder in reached:
    work.run("--resume", folder, "--set", "run.generations=%d" % end, "--quiet")
    assert_same_run(folder, reference)
print("PASS")
