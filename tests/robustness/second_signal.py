"""A second SIGINT while the first one waits for the end of the generation
ends `enu evolve` at once, with exit code 130, and the last checkpoint (renamed
into place whole) still loads. The generations (a T-maze network on one
thread) are slow enough that both signals fall into one of them: the exit must
come well before that generation could have ended."""

import signal
import time

from runs import Work, checkpoint, rows, wait_for_rows

work = Work()
folder = work.folder("maze")
process = work.evolve(work.config("tmaze_small"), "--out", folder, "--quiet", "--set", "run.threads=1",
                      "--set", "es.population=32", "--set", "es.lifetimes=4", "--set", "run.generations=1000",
                      "--set", "run.checkpoint_every=1")
wait_for_rows(folder, 2, process, timeout=120)
while checkpoint(folder)[0] < 2:  # written once generation 1 has decided to go on
    assert process.poll() is None, process.stderr.read()
    time.sleep(0.005)
started = time.monotonic()  # generation 2 is under way
row = rows(folder)[1]
generation_seconds = float(row["eval_seconds"]) + float(row["update_seconds"])
process.send_signal(signal.SIGINT)
for line in process.stderr:  # the note that says the first signal was taken
    if "stopping at the end of this generation" in line:
        break
process.send_signal(signal.SIGINT)
rest = process.stderr.read()
process.wait(timeout=60)
took = time.monotonic() - started
assert process.returncode == 130, "exit code %d, not 130:\n%s" % (process.returncode, rest)
assert took < 0.5 * generation_seconds, \
    "exited %.2f s into a generation of %.2f s: the second signal did not end it at once" % (took, generation_seconds)
assert "continue with" not in rest, "the run went on to the end of its generation:\n" + rest
generation, _ = checkpoint(folder)
assert generation >= 2, "checkpoint_latest.npz at generation %d" % generation
work.run("eval", folder + "/checkpoint_latest.npz", "--lifetimes", "1")
print("PASS (exit after %.3f s of a %.2f s generation)" % (took, generation_seconds))
