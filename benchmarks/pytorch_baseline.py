#!/usr/bin/env python3
"""The ENU network written the way the published PyTorch code computes it:
batched matrix products over offspring (one weight matrix per offspring, one
op per gate per tick), everything else elementwise on whole batches. It reads
the engine's canonical parameter layout (include/enu/cell.hpp), so it serves
two purposes:

  check  an independent implementation: replays the inputs of an
         `enu eval --record` trace from a checkpoint of a network run (made
         with model.network.output_noise = 0) and compares every output with
         the engine's;
  bench  the baseline's throughput: P offspring x E lifetimes of the network
         for S steps on random inputs, lifetimes/s and GFLOP/s (FLOPs counted
         as DESIGN.md section 5 does), on PyTorch (CPU or CUDA) or numpy.

Usage:
  pytorch_baseline.py check CHECKPOINT.npz TRACE.csv
  pytorch_baseline.py bench [--members 512 --lifetimes 8 --steps 400 --device cuda|cpu|numpy]
"""
import argparse
import csv
import io
import sys
import time
import zipfile

import numpy as np
import yaml

KINDS_WITH_FEEDBACK = {"enu"}


def cell_layout(kind, inputs, memory, outputs):
    """Offsets of W_g, W_c, W_o in a cell's flat theta (input-major, bias row last)."""
    feedback = outputs if kind in KINDS_WITH_FEEDBACK else 0
    u = inputs + feedback + memory
    chunks = 3 if kind == "lstm" else 2
    w_gate = (u + 1) * chunks * memory
    w_cand = (u + 1) * memory
    w_out = (memory + 1) * outputs
    return {"feedback": feedback, "u": u, "chunks": chunks,
            "sizes": (w_gate, w_cand, w_out), "count": w_gate + w_cand + w_out}


class Backend:
    """numpy or torch behind the handful of ops the network needs."""

    def __init__(self, device):
        self.device = device
        if device == "numpy":
            self.xp = np
        else:
            import torch
            self.torch = torch
            self.xp = torch

    def array(self, a):
        if self.device == "numpy":
            return np.asarray(a, dtype=np.float32)
        return self.torch.as_tensor(np.asarray(a, dtype=np.float32), device=self.device)

    def zeros(self, *shape):
        if self.device == "numpy":
            return np.zeros(shape, dtype=np.float32)
        return self.torch.zeros(shape, dtype=self.torch.float32, device=self.device)

    def cat(self, parts, axis):
        return np.concatenate(parts, axis) if self.device == "numpy" else self.torch.cat(parts, axis)

    def sigmoid(self, x):
        return 1.0 / (1.0 + np.exp(-x)) if self.device == "numpy" else self.torch.sigmoid(x)

    def tanh(self, x):
        return np.tanh(x) if self.device == "numpy" else self.torch.tanh(x)

    def clamp01(self, x):
        return np.clip(x, 0.0, 1.0) if self.device == "numpy" else self.torch.clamp(x, 0.0, 1.0)

    def numpy(self, x):
        return x if self.device == "numpy" else x.detach().cpu().numpy()

    def sync(self):
        if self.device not in ("numpy", "cpu"):
            self.torch.cuda.synchronize()


class CellBatch:
    """One cell kind for B offspring, each with its own weights: W [B, n_in, n_out]."""

    def __init__(self, be, kind, inputs, memory, outputs, spiking, theta):
        self.be, self.kind, self.memory, self.outputs = be, kind, memory, outputs
        self.gain = 1000.0 if spiking else 1.0
        lay = cell_layout(kind, inputs, memory, outputs)
        self.feedback = lay["feedback"]
        b = theta.shape[0]
        g, c, o = lay["sizes"]
        u1 = lay["u"] + 1
        self.w_gate = be.array(theta[:, :g].reshape(b, u1, lay["chunks"] * memory))
        self.w_cand = be.array(theta[:, g:g + c].reshape(b, u1, memory))
        self.w_out = be.array(theta[:, g + c:g + c + o].reshape(b, memory + 1, outputs))

    def step(self, x, h, c, o):
        """x [B, R, I], h [B, R, M], c (LSTM) and o [B, R, O] -> new (h, c, o)."""
        be, m = self.be, self.memory
        ones = be.zeros(*x.shape[:2], 1) + 1.0
        fb = [o] if self.feedback else []
        gate_in = be.cat([x] + fb + [h, ones], 2)
        gates = gate_in @ self.w_gate                       # one batched matmul per gate layer
        if self.kind == "lstm":
            cand = be.tanh(gate_in @ self.w_cand)
            i, f, og = be.sigmoid(gates[..., :m]), be.sigmoid(gates[..., m:2 * m]), be.sigmoid(gates[..., 2 * m:])
            c = f * c + i * cand
            h = og * be.tanh(c)
        else:
            steep = self.kind != "gru"
            r = be.sigmoid(3.0 * (gates[..., :m] - 1.0)) if steep else be.sigmoid(gates[..., :m])
            z = be.sigmoid(3.0 * gates[..., m:]) if steep else be.sigmoid(gates[..., m:])
            cand_in = be.cat([x] + fb + [r * h, ones], 2)
            cand = be.tanh((3.0 if steep else 1.0) * (cand_in @ self.w_cand))
            h = (1.0 - z) * h + z * cand
        o = be.clamp01(self.gain * (be.cat([h, ones], 2) @ self.w_out))
        return h, c, o


class Network:
    """P offspring x E lifetimes of one ENU network (DESIGN.md 2.2), output noise off."""

    def __init__(self, be, net, thetas, lifetimes):
        self.be, self.net, self.lifetimes = be, net, lifetimes
        topo = net["topology"]
        self.inputs, self.neurons, self.k, self.n_out = topo["inputs"], topo["neurons"], topo["fan_in"], topo["outputs"]
        self.pre = np.asarray(topo["pre"]).reshape(-1)
        self.c, m = net["channels"], net["memory"]
        shared = net["shared"]
        syn = cell_layout(net["synapse"], 2 * self.c, m, self.c)
        b = thetas.shape[0] * lifetimes
        # Offspring-major batch: every lifetime of an offspring carries its weights.
        per_row = np.repeat(thetas, lifetimes, axis=0)
        neu_theta = per_row if shared else per_row[:, syn["count"]:]
        self.syn = CellBatch(be, net["synapse"], 2 * self.c, m, self.c, False, per_row)
        self.neu = CellBatch(be, net["neuron"], (2 if shared else 1) * self.c, m, self.c, net["spiking"], neu_theta)
        self.shared = shared
        s = self.neurons * self.k
        self.state = [be.zeros(b, s, m), be.zeros(b, s, m), be.zeros(b, s, self.c),
                      be.zeros(b, self.neurons, m), be.zeros(b, self.neurons, m), be.zeros(b, self.neurons, self.c)]

    def step(self, sensory, ticks):
        """sensory [B, inputs, C] -> read-out [B, outputs] after `ticks` ticks."""
        be = self.be
        sh, sc, so, nh, nc, no = self.state
        post = np.repeat(np.arange(self.neurons), self.k)
        for _ in range(ticks):
            sources = be.cat([sensory, no], 1)               # inputs, then neurons' last outputs
            x_syn = be.cat([sources[:, self.pre, :], no[:, post, :]], 2)
            sh, sc, so = self.syn.step(x_syn, sh, sc, so)
            mean = so.reshape(so.shape[0], self.neurons, self.k, self.c).mean(2)
            x_neu = be.cat([mean, be.zeros(*mean.shape)], 2) if self.shared else mean
            nh, nc, no = self.neu.step(x_neu, nh, nc, no)
        self.state = [sh, sc, so, nh, nc, no]
        return no[:, self.neurons - self.n_out:, 0]

    def flops_per_tick(self):
        def cell(kind, i, m, o):
            lay = cell_layout(kind, i, m, o)
            return 2.0 * ((lay["u"] + 1) * (lay["chunks"] + 1) * m + (m + 1) * o)
        m, c = self.net["memory"], self.c
        return (self.neurons * self.k * cell(self.net["synapse"], 2 * c, m, c) +
                self.neurons * (cell(self.net["neuron"], (2 if self.shared else 1) * c, m, c) + self.k * c))


def read_checkpoint(path):
    with zipfile.ZipFile(path) as z:
        config = yaml.safe_load(z.read("config.yaml"))
        theta = np.load(io.BytesIO(z.read("theta.npy")))
    return config, theta


def resolved_network(config):
    net = dict(config["model"]["network"])
    topo = dict(net["topology"])
    if not topo.get("pre"):
        sys.exit("check: the run's topology is random; write its pre table into the config (or use an explicit one)")
    net["topology"] = topo
    return net


def check(args):
    config, theta = read_checkpoint(args.checkpoint)
    if config["model"]["kind"] != "network":
        sys.exit("check: the checkpoint holds a single cell; this baseline models networks")
    net = resolved_network(config)
    if float(net["output_noise"]) != 0.0:
        sys.exit("check: run with model.network.output_noise = 0 (the baseline draws no Philox noise)")
    with open(args.trace, newline="") as f:
        rows = list(csv.DictReader(f))
    inputs = sorted((k for k in rows[0] if k.startswith("input")), key=lambda k: int(k[5:]))
    outputs = sorted((k for k in rows[0] if k.startswith("output")), key=lambda k: int(k[6:]))
    be = Backend(args.device)
    network = Network(be, net, theta[None, :], 1)
    sources, c = net["topology"]["inputs"], net["channels"]
    per_source = len(inputs) // sources
    worst = 0.0
    for row in rows:
        obs = np.zeros((1, sources, c), dtype=np.float32)
        obs[0, :, :per_source] = np.asarray([float(row[k]) for k in inputs]).reshape(sources, per_source)
        got = be.numpy(network.step(be.array(obs), net["ticks_per_step"]))[0]
        want = np.asarray([float(row[k]) for k in outputs])
        worst = max(worst, float(np.abs(got - want).max()))
    # The trace prints 6 significant digits; the two implementations differ in
    # summation order and transcendental rounding (~1e-6 over a lifetime).
    ok = worst < 1e-4
    print(f"check: {len(rows)} steps, worst |baseline - engine| = {worst:.3g} -> {'agree' if ok else 'DISAGREE'}")
    return 0 if ok else 1


def bench(args):
    be = Backend(args.device)
    config = {"channels": 16, "memory": 32, "synapse": "enu", "neuron": "enu", "shared": False, "spiking": False,
              "ticks_per_step": 1, "topology": {"inputs": 4, "neurons": 6, "fan_in": 8, "outputs": 3}}
    rng = np.random.default_rng(1)
    config["topology"]["pre"] = [list(rng.choice(10, 8, replace=False)) for _ in range(6)]
    count = cell_layout("enu", 32, 32, 16)["count"] + cell_layout("enu", 16, 32, 16)["count"]
    thetas = rng.normal(0.0, 0.1, size=(args.members, count)).astype(np.float32)
    network = Network(be, config, thetas, args.lifetimes)
    sensory = be.array(rng.uniform(size=(args.members * args.lifetimes, 4, 16)))
    network.step(sensory, 1)
    be.sync()
    start = time.perf_counter()
    for _ in range(args.steps):
        network.step(sensory, 1)
    be.sync()
    seconds = time.perf_counter() - start
    lifetimes = args.members * args.lifetimes
    flops = network.flops_per_tick() * lifetimes * args.steps
    print(f"bench: {args.device}, {args.members} x {args.lifetimes} lifetimes x {args.steps} steps: "
          f"{seconds:.3f} s, {lifetimes / seconds:.1f} lifetimes/s, {flops / seconds / 1e9:.2f} GFLOP/s")
    return 0


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = parser.add_subparsers(dest="command", required=True)
    c = sub.add_parser("check")
    c.add_argument("checkpoint")
    c.add_argument("trace")
    c.add_argument("--device", default="numpy")
    b = sub.add_parser("bench")
    b.add_argument("--members", type=int, default=512)
    b.add_argument("--lifetimes", type=int, default=8)
    b.add_argument("--steps", type=int, default=400)
    b.add_argument("--device", default="cuda")
    args = parser.parse_args()
    return check(args) if args.command == "check" else bench(args)


if __name__ == "__main__":
    sys.exit(main())
