"""One run folder, one run at a time: a second `enu evolve` into the folder of
a running one (a new run, or --resume) is refused with exit code 1, naming the
folder and the running process's pid, and writes nothing there (a second run
would start metrics.csv again at generation 0). A run killed with SIGKILL (no
chance to release anything) does not block: --resume continues it."""

import os

from runs import SPHERE, Work, rows, wait_for_rows

work = Work()
folder = work.folder("shared")
run = [work.config("sphere"), *SPHERE, "--set", "run.checkpoint_every=1"]
first = work.evolve(*run, "--out", folder, "--set", "run.generations=100000")
wait_for_rows(folder, 3, first)
for second in ([*run, "--out", folder, "--set", "run.generations=2"],
               ["--resume", folder, "--set", "run.generations=2", "--quiet"]):
    _, err = work.run(*second, expect=1)
    assert "run folder '%s' is in use by pid %d on host " % (folder, first.pid) in err, err
    assert "`enu evolve --resume %s`" % folder in err, err
first.kill()
first.wait()
done = [int(row["generation"]) for row in rows(folder)]
assert done == list(range(len(done))), "metrics.csv was written by another run: generations %s" % done

end = len(done) + 2
work.run("--resume", folder, "--set", "run.generations=%d" % end, "--quiet")
resumed = [int(row["generation"]) for row in rows(folder)]
assert resumed == list(range(end)), "generations %s after --resume to %d" % (resumed, end)
assert os.path.exists(os.path.join(folder, "summary.yaml"))
print("PASS")
