#!/usr/bin/env python3
"""Draws a comparison folder's convergence curves (written by `enu compare`):
the mean centre fitness per generation of every model with a 95% confidence
band (mean +- 1.96 std / sqrt(n) over the seeds), from convergence.csv, to
convergence.png. Usage: plot_compare.py OUT_DIR. Exits 3 when matplotlib is
missing."""
import csv
import math
import os
import sys

try:
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
except ImportError:
    print("plot_compare.py: matplotlib is not installed (pip install matplotlib)", file=sys.stderr)
    sys.exit(3)


def read_curves(path):
    """{model: [(generation, mean, std, n), ...]} in the file's model order."""
    curves = {}
    with open(path, newline="") as f:
        for row in csv.DictReader(f):
            point = (int(row["generation"]), float(row["mean"]), float(row["std"]), int(row["n"]))
            curves.setdefault(row["model"], []).append(point)
    return curves


def reference_of(out):
    """The reference model, read from table.csv (the row without a p-value)."""
    path = os.path.join(out, "table.csv")
    if not os.path.exists(path):
        return None
    with open(path, newline="") as f:
        for row in csv.DictReader(f):
            if row["p_value"] == "":
                return row["model"]
    return None


def convergence(out, curves):
    reference = reference_of(out)
    # An error-like fitness (always negative, spanning a decade or more: -MSE) reads
    # better as -fitness on a log axis; anything else is drawn as it is.
    means = [p[1] for points in curves.values() for p in points]
    log_loss = all(m < 0 for m in means) and max(means) / min(means) < 0.1
    sign = -1.0 if log_loss else 1.0
    fig, ax = plt.subplots(figsize=(7, 4.5))
    lows = []
    for i, (model, points) in enumerate(curves.items()):
        g = [p[0] for p in points]
        mean = [sign * p[1] for p in points]
        # 95% band of the mean; a single run has no band.
        half = [1.96 * p[2] / math.sqrt(p[3]) if p[3] > 1 else 0.0 for p in points]
        runs = max(p[3] for p in points)
        label = f"{model} (n={runs})" + (", reference" if model == reference else "")
        colour = f"C{i % 10}"
        ax.plot(g, mean, color=colour, lw=2 if model == reference else 1.4, label=label)
        low_band = [m - h for m, h in zip(mean, half)]
        if log_loss:  # a band reaching below zero has no place on a log axis: clip it
            low_band = [max(b, 0.5 * m) for b, m in zip(low_band, mean)]
        ax.fill_between(g, low_band, [m + h for m, h in zip(mean, half)], color=colour, alpha=0.2, lw=0)
        # Ignore the first tenth of the curve when choosing the y range: early
        # fitness is often far below everything that follows.
        lows.append(min(mean[len(mean) // 10:]))
    ax.set_xlabel("generation")
    if log_loss:
        ax.set_yscale("log")
        ax.set_ylabel("-(centre fitness), log scale (mean over seeds, 95% CI)")
    else:
        ax.set_ylabel("centre fitness (mean over seeds, 95% CI)")
    if lows and not log_loss:
        top = ax.get_ylim()[1]
        low = min(lows)
        ax.set_ylim(bottom=low - 0.05 * (top - low), top=top)
    ax.legend(fontsize=8)
    ax.set_title(os.path.basename(os.path.normpath(out)))
    fig.tight_layout()
    fig.savefig(os.path.join(out, "convergence.png"), dpi=120)


def main():
    if len(sys.argv) != 2:
        sys.exit(__doc__)
    out = sys.argv[1]
    path = os.path.join(out, "convergence.csv")
    if not os.path.exists(path):
        sys.exit(f"plot_compare.py: no {path}")
    curves = read_curves(path)
    if not curves:
        sys.exit(f"plot_compare.py: {path} has no rows")
    convergence(out, curves)
    print(f"figures: {os.path.join(out, 'convergence.png')}")


if __name__ == "__main__":
    main()
