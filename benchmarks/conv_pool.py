"""Conv2d forward+backward and max_pool2d timings, dpt vs PyTorch CPU (when importable).

Layers of the small MNIST CNN: (64,1,28,28) -> 32 ch 3x3 and (64,32,14,14) -> 64 ch 3x3,
each followed by a 2x2 max pool. Prints ms per call and the dpt/torch ratio.

    python benchmarks/conv_pool.py [--repeat 20]
"""
from __future__ import annotations

import argparse
import time

import numpy as np

import dpt
import dpt.nn.functional as F


def timeit(fn, repeat):
    fn()  # warm-up
    best = float("inf")
    for _ in range(repeat):
        t0 = time.perf_counter()
        fn()
        best = min(best, time.perf_counter() - t0)
    return best * 1e3


def conv_step(lib, x, w, b):
    def step():
        x.grad = w.grad = b.grad = None
        y = lib.conv2d(x, w, b, padding=0)
        y.sum().backward()
    return step


def main():
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--repeat", type=int, default=20)
    args = ap.parse_args()
    try:
        import torch
        import torch.nn.functional as TF
        torch.set_num_threads(max(1, torch.get_num_threads()))
    except ImportError:
        torch = None
    rng = np.random.default_rng(0)
    layers = [((64, 1, 28, 28), 32), ((64, 32, 14, 14), 64)]
    print(f"{'case':44s} {'dpt ms':>9s} {'torch ms':>9s} {'ratio':>7s}")
    for shape, cout in layers:
        x = rng.standard_normal(shape).astype(np.float32)
        w = (rng.standard_normal((cout, shape[1], 3, 3)) * 0.1).astype(np.float32)
        b = np.zeros(cout, np.float32)
        cases = {}
        dx, dw, db = (dpt.tensor(a, requires_grad=True) for a in (x, w, b))
        cases["conv2d fwd+bwd"] = [timeit(conv_step(F, dx, dw, db), args.repeat)]
        with dpt.no_grad():
            cases["conv2d fwd (no_grad)"] = [timeit(lambda: F.conv2d(dx, dw, db), args.repeat)]
        y = F.conv2d(dx, dw, db).detach().requires_grad_(True)

        def pool_step(lib, y):
            def step():
                y.grad = None
                lib.max_pool2d(y, 2).sum().backward()
            return step
        cases["max_pool2d 2x2 fwd+bwd"] = [timeit(pool_step(F, y), args.repeat)]
        if torch is not None:
            tx, tw, tb = (torch.tensor(a, requires_grad=True) for a in (x, w, b))
            cases["conv2d fwd+bwd"].append(timeit(conv_step(TF, tx, tw, tb), args.repeat))
            with torch.no_grad():
                cases["conv2d fwd (no_grad)"].append(
                    timeit(lambda: TF.conv2d(tx, tw, tb), args.repeat))
            ty = TF.conv2d(tx, tw, tb).detach().requires_grad_(True)
            cases["max_pool2d 2x2 fwd+bwd"].append(timeit(pool_step(TF, ty), args.repeat))
        for name, t in cases.items():
            label = f"{name} {shape}->{cout}ch"
            if len(t) == 2:
                print(f"{label:44s} {t[0]:9.2f} {t[1]:9.2f} {t[0] / t[1]:7.2f}")
            else:
                print(f"{label:44s} {t[0]:9.2f} {'-':>9s} {'-':>7s}")


if __name__ == "__main__":
    main()
