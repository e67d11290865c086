#!/usr/bin/env python3
"""The Python package's cost over the command line: evaluation time of the same
generations of the published maze network (configs/tmaze.yaml), by `enu evolve`
(metrics.csv's eval_seconds: the members and the centre) and by enu.Evaluator
from Python (evaluate_mirrored + evaluate_centre, and evaluate on given rows),
interleaved in rounds on one machine. Prints medians and their ratios.

Usage: .venv/bin/python benchmarks/python_overhead.py [--population 64] [--generations 5] [--rounds 3]"""

import argparse
import os
import pathlib
import platform
import statistics
import subprocess
import tempfile
import time

import numpy as np

import enu

REPO = pathlib.Path(__file__).resolve().parents[1]


def cpu_model():
    for line in pathlib.Path("/proc/cpuinfo").read_text().splitlines():
        if line.startswith("model name"):
            return line.split(":", 1)[1].strip()
    return platform.processor()


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--population", type=int, default=64)
    parser.add_argument("--generations", type=int, default=5)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--threads", type=int, default=0, help="run.threads (0: all cores)")
    parser.add_argument("--cli", default=str(REPO / "build" / "host" / "cli" / "enu"))
    args = parser.parse_args()

    overrides = [f"es.population={args.population}", f"run.generations={args.generations}",
                 f"run.threads={args.threads}", "run.eval_lifetimes=1", "run.max_minutes=0"]
    config = enu.load_config(REPO / "configs" / "tmaze.yaml", overrides)
    evaluator = enu.Evaluator(config)
    centre = config.initial_centre()
    sigma, population, seed = np.float32(config["es.sigma"]), config["es.population"], config["run.seed"]
    cli_seconds, mirrored_seconds, rows_seconds = [], [], []
    for _ in range(args.rounds):
        with tempfile.TemporaryDirectory() as out:
            command = [args.cli, "evolve", str(REPO / "configs" / "tmaze.yaml"), "--out", out, "--quiet"]
            for o in overrides:
                command += ["--set", o]
            subprocess.run(command, check=True, capture_output=True)
            cli_seconds += enu.read_metrics(out)["eval_seconds"].tolist()
        for generation in range(args.generations):
            start = time.perf_counter()
            evaluator.evaluate_mirrored(centre, sigma, population, generation)
            evaluator.evaluate_centre(centre, generation)
            mirrored_seconds.append(time.perf_counter() - start)
        for generation in range(args.generations):
            rows = enu.mirrored_members(centre, sigma, population, seed, generation)
            start = time.perf_counter()
            evaluator.evaluate(rows, generation)
            evaluator.evaluate_centre(centre, generation)
            rows_seconds.append(time.perf_counter() - start)

    cli = statistics.median(cli_seconds)
    print(f"published maze network (configs/tmaze.yaml), {population} members x {config['es.lifetimes']} lifetimes "
          f"x {config['task.maze.steps']} steps (+ the centre), backend {evaluator.name}, threads "
          f"{args.threads or os.cpu_count()}, CPU {cpu_model()}")
    print(f"{len(cli_seconds)} generations each, {args.rounds} interleaved rounds; median seconds per generation:")
    print(f"  enu evolve (CLI)                          {cli:.4f}")
    for name, seconds in (("enu.Evaluator.evaluate_mirrored (Python)", mirrored_seconds),
                          ("enu.Evaluator.evaluate, given rows      ", rows_seconds)):
        median = statistics.median(seconds)
        print(f"  {name}  {median:.4f}  ({100 * (median / cli - 1):+.1f}% vs CLI)")


if __name__ == "__main__":
    main()
