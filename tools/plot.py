#!/usr/bin/env python3
"""Draws a run folder's figures as PNG: the fitness curve (metrics.csv) and,
where present, the f-I curve (fi_curve.csv) or the learning window
(stdp_window.csv). Usage: plot.py RUN_DIR. Exits 3 when matplotlib is missing."""
import csv
import os
import sys

try:
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
except ImportError:
    print("plot.py: matplotlib is not installed (pip install matplotlib)", file=sys.stderr)
    sys.exit(3)


def read(path):
    with open(path, newline="") as f:
        return [{k: float(v) for k, v in row.items()} for row in csv.DictReader(f)]


def fitness(run, rows):
    g = [r["generation"] for r in rows]
    fig, ax = plt.subplots(figsize=(6, 4))
    ax.plot(g, [r["mean"] for r in rows], label="population mean", alpha=0.6)
    ax.plot(g, [r["best"] for r in rows], label="best member", alpha=0.6)
    ax.plot(g, [r["centre"] for r in rows], label="centre", lw=2)
    ax.set_xlabel("generation")
    ax.set_ylabel("fitness")
    low = min(r["centre"] for r in rows)
    ax.set_ylim(bottom=max(low, min(r["mean"] for r in rows)))
    ax.legend()
    ax.set_title(os.path.basename(os.path.normpath(run)))
    fig.tight_layout()
    fig.savefig(os.path.join(run, "fitness.png"), dpi=120)


def fi_curve(run, rows):
    fig, ax = plt.subplots(figsize=(5, 4))
    i = [r["current"] for r in rows]
    ax.plot(i, [r["rate_analytic"] for r in rows], "k:", label="LIF (analytic, long run)")
    ax.plot(i, [r["rate_reference"] for r in rows], "k-", label="LIF reference")
    ax.plot(i, [r["rate_evolved"] for r in rows], "o", ms=4, label="evolved ENU")
    ax.set_xlabel("input current per step")
    ax.set_ylabel("firing rate (spikes per step)")
    ax.legend()
    fig.tight_layout()
    fig.savefig(os.path.join(run, "fi_curve.png"), dpi=120)


def stdp_window(run, rows):
    fig, ax = plt.subplots(figsize=(5, 4))
    for modulator, colour in ((1.0, "C0"), (0.0, "C1")):
        sel = [r for r in rows if r["modulator"] == modulator]
        dt = [r["dt"] for r in sel]
        ax.plot(dt, [r["dw_target"] for r in sel], "-", color=colour, label=f"target, neuromodulator {modulator:g}")
        ax.plot(dt, [r["dw_evolved"] for r in sel], "o", ms=3, color=colour, label=f"evolved, neuromodulator {modulator:g}")
    ax.axhline(0, color="grey", lw=0.5)
    ax.set_xlabel("dt = t_post - t_pre (steps)")
    ax.set_ylabel("weight change dw")
    ax.legend(fontsize=8)
    fig.tight_layout()
    fig.savefig(os.path.join(run, "stdp_window.png"), dpi=120)


def main():
    if len(sys.argv) != 2:
        sys.exit(__doc__)
    run = sys.argv[1]
    drawn = []
    figures = (("metrics.csv", fitness, "fitness.png"), ("fi_curve.csv", fi_curve, "fi_curve.png"),
               ("stdp_window.csv", stdp_window, "stdp_window.png"))
    for name, draw, png in figures:
        path = os.path.join(run, name)
        if os.path.exists(path):
            rows = read(path)
            if rows:
                draw(run, rows)
                drawn.append(png)
    print("plots: " + ", ".join(os.path.join(run, d) for d in drawn))


if __name__ == "__main__":
    main()
