"""f(x) = sin(x) and its derivative computed by autograd (not from cos), drawn into a PNG,
as in the d2l preliminaries exercise, with torch replaced by dpt.

    python examples/plot_sin_derivative.py [--out sin_derivative.png]
"""
from __future__ import annotations

import argparse
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

import matplotlib  # noqa: E402

matplotlib.use("Agg")  # files only: no display needed
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402

import dpt  # noqa: E402


def sin_and_derivative(n: int = 100):
    """x on [-pi, pi], sin(x), and d sin(x)/dx from one backward through sum(sin(x))."""
    x = dpt.tensor(np.linspace(-np.pi, np.pi, n), requires_grad=True)
    y = dpt.sin(x)
    y.sum().backward()  # each y_i depends on x_i only, so x.grad is the pointwise derivative
    return x.detach(), y.detach(), x.grad


def main(argv=None) -> str:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--out", default="sin_derivative.png", help="where to write the PNG")
    args = parser.parse_args(argv)

    x, y, dy = sin_and_derivative()
    fig, ax = plt.subplots(1, 1, figsize=(10, 10))
    ax.plot(x, y, label="sin(x)")  # matplotlib takes dpt tensors directly
    ax.plot(x, dy, label="d sin(x) / dx (autograd)")
    ax.legend(loc="best")
    fig.savefig(args.out)
    plt.close(fig)
    print(f"wrote {args.out}; max |autograd - cos| = "
          f"{float((dy - dpt.cos(x)).abs().max()):.2e}")
    return args.out


if __name__ == "__main__":
    main()
