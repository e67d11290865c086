#!/usr/bin/env python3
"""Draws a run folder's figures as PNG: the fitness curve (metrics.csv) and,
where present, the f-I curve (fi_curve.csv), the learning window
(stdp_window.csv) or a maze agent's lifetime (maze_lifetime.csv with
maze_layout.txt and network_states.csv: the paper's Fig. 5). Usage: plot.py
RUN_DIR. Exits 3 when matplotlib is missing."""
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


def maze_keys(run):
    """task.maze's rules, layout and actions from the run's config.yaml ({} when absent)."""
    keys = {}
    path = os.path.join(run, "config.yaml")
    if os.path.exists(path):
        with open(path) as f:
            for line in f:
                key, _, value = line.partition(":")
                if key.strip() in ("rules", "actions", "layout"):
                    keys[key.strip()] = value.split("#")[0].strip()
    return keys


def maze_action_names(keys):
    """The three actions' names; absolute moves are named by direction."""
    if keys.get("actions") != "absolute":
        return ("forward", "turn left", "turn right")
    return ("north", "west", "east") if keys.get("layout") == "north_corridor" else ("east", "north", "south")


def maze_path(rows, start, end_cells):
    """The agent's path as one list of (row, col, step) points per trial: a trial
    runs from the start to an end (the agent is put back on the start there)."""
    trials, points = [], [(start[0], start[1], 0)]
    for r in rows:
        step = int(r["step"])
        if r["end"] >= 0:  # the agent entered an end, then was put back on the start
            i, j = end_cells[int(r["end"])]
            points.append((i, j, step))
            trials.append(points)
            points = [(start[0], start[1], step)]
        elif (r["row"], r["col"]) != points[-1][:2]:
            points.append((r["row"], r["col"], step))
    trials.append(points)
    return [t for t in trials if len(t) > 1]


def maze_lifetime(run, rows):
    """maze_lifetime.png: the maze with the agent's path and events on top, the
    rewards, read-out neurons and the network's states over time beneath it."""
    import numpy as np
    from matplotlib.collections import LineCollection
    from matplotlib.colors import Normalize
    from matplotlib.lines import Line2D

    keys = maze_keys(run)
    actions = maze_action_names(keys)
    # A hollow cross: a poison fitness did not count as -1 (docs/maze.md, "Rules").
    forgiven_label = "first item: poison counted +1" if keys.get("rules") == "published" else "forgiven poison"
    with open(os.path.join(run, "maze_layout.txt")) as f:
        grid = [line.split() for line in f if line.strip()]
    end_cells = {}
    start = None
    for i, line in enumerate(grid):
        for j, cell in enumerate(line):
            if cell.isdigit():
                end_cells[int(cell)] = (i, j)
            elif cell == "S":
                start = (i, j)
    names, states = None, None
    states_path = os.path.join(run, "network_states.csv")
    if os.path.exists(states_path):
        with open(states_path) as f:
            names = f.readline().strip().split(",")
        states = np.loadtxt(states_path, delimiter=",", skiprows=1, ndmin=2)

    steps = np.array([r["step"] for r in rows])
    last = int(steps[-1]) + 1
    food = [r for r in rows if r["food"]]
    poison = [r for r in rows if r["poison"]]
    swaps = [r for r in rows if r["swap"]]
    died = [r for r in rows if r["died"]]

    heights = [4.2, 1.0, 1.1, 1.6, 1.9] if states is not None else [4.2, 1.0]
    fig = plt.figure(figsize=(9, sum(heights) + 0.8))
    spec = fig.add_gridspec(len(heights), 2, height_ratios=heights, width_ratios=[50, 1], hspace=0.35, wspace=0.03)

    # ---- the maze: cells, ends (their contents over the lifetime), the path coloured by time.
    ax = fig.add_subplot(spec[0, 0])
    cax = fig.add_subplot(spec[0, 1])
    wall = np.array([[cell == "#" for cell in line] for line in grid], dtype=float)
    ax.imshow(wall, cmap="Greys", vmin=-0.15, vmax=1.6, origin="upper")
    contents = {e: [] for e in end_cells}  # the item at each end, initially and after each swap
    for r in [rows[0]] + swaps:
        for e in end_cells:
            item = "F" if e == int(r["food_end"]) else ("P" if e == int(r["poison_end"]) else "E")
            if not contents[e] or contents[e][-1] != item:
                contents[e].append(item)
    colour = {"F": "#2ca02c", "P": "#d62728", "E": "#bbbbbb"}
    for e, (i, j) in end_cells.items():
        first = contents[e][0] if contents[e] else "E"
        ax.add_patch(plt.Rectangle((j - 0.5, i - 0.5), 1, 1, color=colour[first], alpha=0.35, lw=0))
        label = "\u2192".join(contents[e]) if contents[e] else "E"
        above = i > 0 and grid[i - 1][j] == "#"  # on the wall next to the end, off the path
        ax.text(j, i - 0.55 if above else i + 0.55, f"end {e}: {label}", ha="center", va="bottom" if above else "top",
                fontsize=7, color="white")
    ax.text(start[1], start[0] + 0.38, "S", ha="center", va="bottom", fontsize=9, weight="bold")
    def offset(k):  # a small shift per trial (0, +, -, ++, --, ...) so that repeated routes stay apart
        return 0.06 * ((k % 9 + 1) // 2) * (1 if k % 2 else -1)

    norm = Normalize(0, max(last - 1, 1))
    trials = maze_path(rows, start, end_cells)
    for k, trial in enumerate(trials):
        d = offset(k)
        xy = np.array([(c + d, r + d) for r, c, _ in trial])
        t = np.array([s for _, _, s in trial], dtype=float)
        segments = np.stack([xy[:-1], xy[1:]], axis=1)
        ax.add_collection(LineCollection(segments, cmap="viridis", norm=norm, array=t[1:], lw=1.6, alpha=0.85))

    def at_end(r, k):
        i, j = end_cells[int(r["end"])]
        d = offset(k)
        return j + d, i + d

    trial_of = {}  # the trial (0-based) each end visit closes, for the offsets
    for k, r in enumerate([r for r in rows if r["end"] >= 0]):
        trial_of[int(r["step"])] = k
    for r in food:
        x, y = at_end(r, trial_of[int(r["step"])])
        ax.plot(x, y, "o", ms=6, mfc="#2ca02c", mec="k", mew=0.5)
    for r in poison:
        x, y = at_end(r, trial_of[int(r["step"])])
        ax.plot(x, y, "X", ms=7, mfc="none" if r["forgiven"] else "#d62728", mec="#d62728", mew=1.0)
    for r in swaps:
        i, j = end_cells[int(r["food_end"])]
        ax.plot(j + 0.32, i + 0.3, "*", ms=11, mfc="gold", mec="k", mew=0.5)
    final = rows[-1]
    ax.plot(final["col"], final["row"], "kX" if died else "k^", ms=9, mfc="none", mew=1.5)
    ax.set_xticks(range(len(grid[0])))
    ax.set_yticks(range(len(grid)))
    ax.set_xlabel("column")
    ax.set_ylabel("row")
    ax.legend(handles=[Line2D([], [], ls="", marker="o", mfc="#2ca02c", mec="k", label=f"food ({len(food)})"),
                       Line2D([], [], ls="", marker="X", mfc="#d62728", mec="#d62728", label=f"poison ({len(poison)})"),
                       Line2D([], [], ls="", marker="X", mfc="none", mec="#d62728", label=forgiven_label),
                       Line2D([], [], ls="", marker="*", ms=10, mfc="gold", mec="k",
                              label=f"swap: food moves here ({len(swaps)})"),
                       Line2D([], [], ls="", marker="X" if died else "^", mfc="none", mec="k", mew=1.5,
                              label="where it died" if died else "where it ended")],
              loc="center left", bbox_to_anchor=(1.02 + 0.03, 0.5), fontsize=8, frameon=False)
    fate = f"died at step {int(died[0]['step'])}" if died else f"alive after {last} steps"
    name = os.path.basename(os.path.abspath(run))
    ax.set_title(f"{name}: one held-out lifetime ({fate})", fontsize=10)
    fig.colorbar(plt.cm.ScalarMappable(norm=norm, cmap="viridis"), cax=cax, label="step")

    # ---- over time: rewards and energy, read-out neurons, neuron channels, synapse memories.
    time_axes = []

    def time_axis(row, ylabel):
        a = fig.add_subplot(spec[row, 0], sharex=time_axes[0] if time_axes else None)
        a.set_ylabel(ylabel, fontsize=8)
        time_axes.append(a)
        return a

    ax = time_axis(1, "reward")
    ax.vlines([r["step"] for r in food], 0, 1, color="#2ca02c", lw=1.2)
    ax.vlines([r["step"] for r in poison], -1, 0, color="#d62728", lw=1.2)
    ax.plot([r["step"] for r in poison if r["forgiven"]], [-1] * sum(1 for r in poison if r["forgiven"]), "o",
            ms=4, mfc="white", mec="#d62728", label="forgiven")
    for r in died:
        ax.plot(r["step"], 0, "kx", ms=8)
    ax.set_ylim(-1.3, 1.3)
    ax.axhline(0, color="grey", lw=0.5)
    energy = ax.twinx()
    energy.plot(steps, [r["energy"] for r in rows], color="grey", lw=0.8)
    energy.set_ylabel("energy", fontsize=8, color="grey")
    energy.tick_params(labelsize=7, colors="grey")

    if states is not None:
        def columns(prefix_of):
            return [k for k, n in enumerate(names) if prefix_of(n)]

        neuron_ids = sorted({int(n[6:n.index("_")]) for n in names if n.startswith("neuron") and "_out" in n})
        ax = time_axis(2, "read-out\n(channel 0)")
        if len(neuron_ids) >= 3:
            readout = [(f"neuron{n}_out0", actions[k]) for k, n in enumerate(neuron_ids[-3:])]
        else:  # a single cell: its first three outputs
            readout = [(f"neuron{neuron_ids[0]}_out{k}", actions[k]) for k in range(3)]
        for (name, label), c in zip(readout, ("C0", "C1", "C2")):
            ax.plot(states[:, 0], states[:, names.index(name)], lw=0.9, color=c, label=label)
        ax.legend(fontsize=7, ncol=3, loc="lower right", bbox_to_anchor=(1.0, 0.98), frameon=False)

        def heatmap(row, cols, ylabel, rows_per_unit, unit):
            a = time_axis(row, ylabel)
            values = states[:, cols].T
            v = max(float(np.abs(values).max()), 1e-6)
            image = a.imshow(values, aspect="auto", interpolation="nearest", cmap="RdBu_r", vmin=-v, vmax=v,
                             extent=(states[0, 0] - 0.5, states[-1, 0] + 0.5, len(cols) - 0.5, -0.5))
            if len(cols) // rows_per_unit <= 12:  # separators only where they stay readable
                for b in range(rows_per_unit, len(cols), rows_per_unit):
                    a.axhline(b - 0.5, color="k", lw=0.6)
            a.set_yticks([])
            a.text(1.005, 0.5, f"{len(cols) // rows_per_unit} {unit}\nx {rows_per_unit}", transform=a.transAxes,
                   fontsize=7, va="center")
            return image

        out_cols = columns(lambda n: n.startswith("neuron") and "_out" in n)
        heatmap(3, out_cols, "neuron outputs\n(all channels)", len(out_cols) // len(neuron_ids), "neurons")
        syn_cols = columns(lambda n: n.startswith("synapse"))
        if syn_cols:
            per = sum(1 for n in names if n.startswith("synapse0_"))
            heatmap(4, syn_cols, "synapse\nmemory h", per, "synapses")
        else:
            mem_cols = columns(lambda n: n.startswith("neuron") and "_h" in n)
            heatmap(4, mem_cols, "memory h", len(mem_cols) // len(neuron_ids), "cells")

    for a in time_axes:
        for r in swaps:
            a.axvline(r["step"], color="gold", lw=1.2, ls="--", zorder=0)
        a.tick_params(labelsize=7)
        a.set_xlim(-0.5, last - 0.5)
    for a in time_axes[:-1]:
        plt.setp(a.get_xticklabels(), visible=False)
    time_axes[-1].set_xlabel("step (dashed: swaps)")
    fig.savefig(os.path.join(run, "maze_lifetime.png"), dpi=120, bbox_inches="tight")


def main():
    if len(sys.argv) != 2:
        sys.exit(__doc__)
    run = sys.argv[1]
    drawn = []
    figures = (("metrics.csv", fitness, "fitness.png"), ("fi_curve.csv", fi_curve, "fi_curve.png"),
               ("stdp_window.csv", stdp_window, "stdp_window.png"),
               ("maze_lifetime.csv", maze_lifetime, "maze_lifetime.png"))
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
