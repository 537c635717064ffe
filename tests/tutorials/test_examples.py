"""The tutorial scripts in examples/ run and print the tutorials' results."""
import os
import runpy

import pytest

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


def _run(name, capsys, argv=None):
    path = os.path.join(ROOT, "examples", name)
    mod = runpy.run_path(path)
    mod["main"](*([argv] if argv is not None else []))
    return capsys.readouterr().out


def test_autograd_tour(capsys):
    out = _run("autograd_tour.py", capsys)
    assert "tensor([[4., 3.],\n        [2., 6.]])" in out
    assert "w.grad, b.grad, x.grad:   tensor([2.]) tensor([1.]) None" in out
    assert "a.grad == d / a: True" in out
    assert "Z[:] = X + Y keeps id: True" in out and "X += Y keeps id: True" in out


def test_regression_example(capsys):
    out = _run("regression_3x2_plus_2.py", capsys, ["--steps", "800"])
    rows = {line.split()[0]: [float(v) for v in line.split()[1:4]]
            for line in out.splitlines()[1:3]}
    for name in ("numpy", "dpt"):
        w, b, _ = rows[name]
        assert w == pytest.approx(3.0, abs=0.1) and b == pytest.approx(2.1, abs=0.06)
