"""Per-op overhead of dpt on 1-element tensors, next to raw numpy (and PyTorch when importable).

On a one-element tensor the arithmetic is free, so what is measured is the framework:
argument checks, type promotion, wrapping arrays in Tensors, recording the graph and
walking it backward. Each row times the same work in numpy (the floor dpt builds on),
dpt and torch, in microseconds per call: rounds that alternate the libraries' order, the
median per library, and dpt/torch as the median of the per-round ratios. The last row is a
small training step (MLP 10-32-32-1, batch 16, MSE, SGD momentum), overhead-bound too.

    python benchmarks/op_overhead.py              # the table
    python benchmarks/op_overhead.py --profile    # plus cProfile of forward+backward
"""
from __future__ import annotations

import argparse
import cProfile
import os
import pstats
import sys
import timeit

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

import dpt  # noqa: E402

try:
    import torch
except ImportError:  # PyTorch is optional: its column is left out
    torch = None


def _numpy_cases():
    a = np.array([1.5], dtype=np.float32)
    b = np.array([2.5], dtype=np.float32)
    w, x, c = a.copy(), b.copy(), np.array([0.5], dtype=np.float32)

    def fwd_bwd():
        # y = (w * x + c).sum(); dy/dw = x, dy/dc = 1, accumulated into grads
        y = (w * x + c).sum()
        gw = np.ones_like(w) * x
        gc = np.ones_like(c)
        return y, gw, gc

    rng = np.random.default_rng(0)
    sizes = [(10, 32), (32, 32), (32, 1)]
    ws = [rng.standard_normal(s).astype(np.float32) * 0.3 for s in sizes]
    bs = [np.zeros(s[1], np.float32) for s in sizes]
    vel = [np.zeros_like(p) for p in ws + bs]
    X = rng.standard_normal((16, 10)).astype(np.float32)
    Y = rng.standard_normal((16, 1)).astype(np.float32)

    def mlp_step():
        # forward with ReLU, MSE loss, backward, SGD momentum 0.9: the step below in numpy
        acts, h = [X], X
        for i, (w, b) in enumerate(zip(ws, bs)):
            h = h @ w + b
            if i < 2:
                h = np.maximum(h, 0)
            acts.append(h)
        g = 2 * (h - Y) / h.size
        grads_w, grads_b = [None] * 3, [None] * 3
        for i in (2, 1, 0):
            if i < 2:
                g = g * (acts[i + 1] > 0)
            grads_w[i], grads_b[i] = acts[i].T @ g, g.sum(0)
            g = g @ ws[i].T
        for p, v, gr in zip(ws + bs, vel, grads_w + grads_b):
            v *= 0.9
            v += gr
            p -= 0.01 * v

    return {
        "add (no grad)": lambda: a + b,
        "mul (no grad)": lambda: a * b,
        "add (recording)": lambda: a + b,
        "mul (recording)": lambda: a * b,
        "add + python scalar": lambda: a + 1.0,
        "(w*x + c).sum() fwd+bwd": fwd_bwd,
        "MLP 10-32-32-1 step, batch 16": mlp_step,
    }


def _framework_cases(lib):
    f32 = lib.float32
    a = lib.tensor([1.5], dtype=f32)
    b = lib.tensor([2.5], dtype=f32)
    ga = lib.tensor([1.5], dtype=f32, requires_grad=True)
    gb = lib.tensor([2.5], dtype=f32, requires_grad=True)
    w = lib.tensor([1.5], dtype=f32, requires_grad=True)
    x = lib.tensor([2.5], dtype=f32)
    c = lib.tensor([0.5], dtype=f32, requires_grad=True)

    def fwd_bwd():
        (w * x + c).sum().backward()

    lib.manual_seed(0)
    nn = lib.nn
    mlp = nn.Sequential(nn.Linear(10, 32), nn.ReLU(), nn.Linear(32, 32), nn.ReLU(),
                        nn.Linear(32, 1))
    opt = lib.optim.SGD(mlp.parameters(), lr=0.01, momentum=0.9)
    X, Y = lib.randn(16, 10), lib.randn(16, 1)

    def mlp_step():
        opt.zero_grad()
        nn.functional.mse_loss(mlp(X), Y).backward()
        opt.step()

    return {
        "add (no grad)": lambda: a + b,
        "mul (no grad)": lambda: a * b,
        "add (recording)": lambda: ga + gb,
        "mul (recording)": lambda: ga * gb,
        "add + python scalar": lambda: a + 1.0,
        "(w*x + c).sum() fwd+bwd": fwd_bwd,
        "MLP 10-32-32-1 step, batch 16": mlp_step,
    }


def _time_us(fn, repeat: int, min_time: float) -> float:
    timer = timeit.Timer(fn)
    number, _ = timer.autorange()
    number = max(1, int(number * min_time / 0.2))
    return min(timer.repeat(repeat=repeat, number=number)) / number * 1e6


def run(repeat: int = 5, min_time: float = 0.2) -> list:
    """Per row: each library timed in ``repeat`` rounds that alternate their order; the
    median time per library and the median of the per-round dpt/torch ratios."""
    cols = {"numpy": _numpy_cases(), "dpt": _framework_cases(dpt)}
    if torch is not None:
        torch.set_num_threads(1)
        cols["torch"] = _framework_cases(torch)
    rows = []
    for name in cols["numpy"]:
        times = {lib: [] for lib in cols}
        for r in range(repeat):
            for lib in (list(cols) if r % 2 == 0 else list(cols)[::-1]):
                times[lib].append(_time_us(cols[lib][name], 1, min_time))
        t = {lib: float(np.median(v)) for lib, v in times.items()}
        if "torch" in times:
            t["ratio"] = float(np.median([d / q for d, q in zip(times["dpt"], times["torch"])]))
        rows.append((name, t))
    return rows


def print_table(rows) -> None:
    libs = [lib for lib in rows[0][1] if lib != "ratio"]
    head = f"{'op (1-element float32)':<32}" + "".join(f"{lib + ' us':>11}" for lib in libs)
    head += f"{'dpt/numpy':>11}" + (f"{'dpt/torch':>11}" if "torch" in libs else "")
    print(head)
    print("-" * len(head))
    for name, t in rows:
        line = f"{name:<32}" + "".join(f"{t[lib]:>11.2f}" for lib in libs)
        line += f"{t['dpt'] / t['numpy']:>10.1f}x"
        if "torch" in t:
            line += f"{t['ratio']:>10.2f}x"
        print(line)


def profile(n: int = 20000, top: int = 25) -> None:
    """cProfile of the forward+backward loop, sorted by own time."""
    fwd_bwd = _framework_cases(dpt)["(w*x + c).sum() fwd+bwd"]
    prof = cProfile.Profile()
    prof.enable()
    for _ in range(n):
        fwd_bwd()
    prof.disable()
    pstats.Stats(prof).sort_stats("tottime").print_stats(top)


def main(argv=None) -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--repeat", type=int, default=9, help="interleaved rounds (median kept)")
    p.add_argument("--min-time", type=float, default=0.2, help="seconds per repeat")
    p.add_argument("--profile", action="store_true", help="also cProfile forward+backward")
    args = p.parse_args(argv)
    print(f"dpt {getattr(dpt, '__version__', '?')}, numpy {np.__version__}"
          + (f", torch {torch.__version__}" if torch is not None else ", torch not installed"))
    print_table(run(args.repeat, args.min_time))
    if args.profile:
        profile()


if __name__ == "__main__":
    main()
