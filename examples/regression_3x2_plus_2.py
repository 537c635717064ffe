"""Learn y = w x^2 + b from noisy samples of y = 3 x^2 + 2, twice: numpy with hand-written
gradients, then dpt with autograd and manual updates under no_grad.

    python examples/regression_3x2_plus_2.py [--steps 800] [--lr 0.001]

Both should land near w = 3, b = 2.1 (the noise is uniform on [0, 0.2]).
"""
from __future__ import annotations

import argparse
import os
import sys

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

import dpt  # noqa: E402


def fit_numpy(steps: int, lr: float):
    np.random.seed(100)
    x = np.linspace(-1, 1, 100).reshape(100, 1)
    y = 3 * np.power(x, 2) + 2 + 0.2 * np.random.rand(x.size).reshape(100, 1)
    w = np.random.rand(1, 1)
    b = np.random.rand(1, 1)
    for _ in range(steps):
        y_pred = np.power(x, 2) * w + b
        # loss = 0.5 * sum((y_pred - y)^2); its gradients, by hand:
        grad_w = np.sum((y_pred - y) * np.power(x, 2))
        grad_b = np.sum(y_pred - y)
        w -= lr * grad_w
        b -= lr * grad_b
    loss = 0.5 * np.sum((np.power(x, 2) * w + b - y) ** 2)
    return w.item(), b.item(), loss


def fit_dpt(steps: int, lr: float):
    dpt.manual_seed(100)
    x = dpt.unsqueeze(dpt.linspace(-1, 1, 100), dim=1)
    y = 3 * x.pow(2) + 2 + 0.2 * dpt.rand(x.size())
    w = dpt.randn(1, 1, dtype=dpt.float, requires_grad=True)
    b = dpt.zeros(1, 1, dtype=dpt.float, requires_grad=True)
    for _ in range(steps):
        y_pred = x.pow(2).mm(w) + b
        loss = (0.5 * (y_pred - y) ** 2).sum()
        loss.backward()  # autograd fills w.grad and b.grad
        with dpt.no_grad():  # the update itself must not be recorded
            w -= lr * w.grad
            b -= lr * b.grad
            w.grad.zero_()
            b.grad.zero_()
    return w.item(), b.item(), loss.item()


def main(argv=None) -> None:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--steps", type=int, default=800, help="gradient steps (default 800)")
    p.add_argument("--lr", type=float, default=0.001, help="learning rate (default 0.001)")
    args = p.parse_args(argv)
    print(f"{'':10}{'w':>10}{'b':>10}{'loss':>12}")
    for name, fit in (("numpy", fit_numpy), ("dpt", fit_dpt)):
        w, b, loss = fit(args.steps, args.lr)
        print(f"{name:10}{w:>10.4f}{b:>10.4f}{loss:>12.4f}")
    print(f"{'true':10}{3.0:>10.4f}{2.1:>10.4f}   (b: 2 + mean noise 0.1)")


if __name__ == "__main__":
    main()
