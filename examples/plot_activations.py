"""relu, sigmoid, tanh and softplus of x in [-5, 5], drawn into a PNG (the classic
numpy-vs-torch activation tutorial, with torch replaced by dpt).

    python examples/plot_activations.py [--out activations.png]
"""
from __future__ import annotations

import argparse
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

import matplotlib  # noqa: E402

matplotlib.use("Agg")  # files only: no display needed
import matplotlib.pyplot as plt  # noqa: E402

import dpt  # noqa: E402
import dpt.nn.functional as F  # noqa: E402
from dpt.autograd import Variable  # noqa: E402


def main(argv=None) -> str:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--out", default="activations.png", help="where to write the PNG")
    args = parser.parse_args(argv)

    x = Variable(dpt.linspace(-5, 5, 200))  # the old Variable spelling still works
    x_np = x.data.numpy()
    curves = [("relu", F.relu(x).data.numpy(), (-1, 5)),
              ("sigmoid", F.sigmoid(x).data.numpy(), (-0.2, 1.2)),
              ("tanh", F.tanh(x).data.numpy(), (-1.2, 1.2)),
              ("softplus", F.softplus(x).data.numpy(), (-0.2, 6))]

    plt.figure(1, figsize=(8, 6))
    for k, (name, y, ylim) in enumerate(curves):
        plt.subplot(221 + k)
        plt.plot(x_np, y, c="red", label=name)
        plt.ylim(ylim)
        plt.legend(loc="best")
    plt.savefig(args.out)
    plt.close("all")
    print(f"wrote {args.out}")
    return args.out


if __name__ == "__main__":
    main()
