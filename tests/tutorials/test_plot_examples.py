"""examples/plot_activations.py and examples/plot_sin_derivative.py write their PNGs."""
import os
import runpy

import numpy as np

import dpt

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


def _load(name):
    return runpy.run_path(os.path.join(ROOT, "examples", name))


def _is_png(path):
    with open(path, "rb") as f:
        return f.read(8) == b"\x89PNG\r\n\x1a\n"


def test_plot_activations(tmp_path, capsys):
    out = str(tmp_path / "activations.png")
    assert _load("plot_activations.py")["main"](["--out", out]) == out
    assert _is_png(out) and f"wrote {out}" in capsys.readouterr().out


def test_plot_sin_derivative(tmp_path):
    mod = _load("plot_sin_derivative.py")
    x, y, dy = mod["sin_and_derivative"]()
    assert x.shape == y.shape == dy.shape == (100,) and dy.dtype == dpt.float64
    np.testing.assert_allclose(dy.numpy(), np.cos(x.numpy()), atol=1e-12)
    out = str(tmp_path / "sin.png")
    assert mod["main"](["--out", out]) == out and _is_png(out)
