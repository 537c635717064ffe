"""A tour of dpt's autograd, following the classic PyTorch tensor/autograd tutorials.

    python examples/autograd_tour.py

Every step prints what it computes; the values match what PyTorch prints for the
same code (random draws aside).
"""
from __future__ import annotations

import argparse
import os
import sys
import warnings

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

import dpt  # noqa: E402


def section(title: str) -> None:
    print(f"\n== {title} " + "=" * max(0, 60 - len(title)))


def leaves_and_grad_fn() -> None:
    section("z = w * x + b: leaves, grad_fn, .grad")
    x = dpt.Tensor([2])
    w = dpt.randn(1, requires_grad=True)
    b = dpt.randn(1, requires_grad=True)
    y = dpt.mul(w, x)
    z = dpt.add(y, b)
    print("requires_grad of x, w, b:", x.requires_grad, w.requires_grad, b.requires_grad)
    print("requires_grad of y, z:   ", y.requires_grad, z.requires_grad)
    print("is_leaf of x, w, b, y, z:", x.is_leaf, w.is_leaf, b.is_leaf, y.is_leaf, z.is_leaf)
    print("grad_fn of y, z:         ", y.grad_fn, z.grad_fn)
    print("z.grad_fn.next_functions:", z.grad_fn.next_functions)
    z.backward()
    print("w.grad, b.grad, x.grad:  ", w.grad, b.grad, x.grad)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # reading .grad of a non-leaf warns, as in torch
        print("y.grad, z.grad (non-leaves, freed):", y.grad, z.grad)


def jacobian_by_two_backward_calls() -> None:
    section("Jacobian of y = (x1^2 + 3 x2, x2^2 + 2 x1) at (2, 3)")
    x = dpt.tensor([[2, 3]], dtype=dpt.float, requires_grad=True)
    J = dpt.zeros(2, 2)
    y = dpt.zeros(1, 2)
    y[0, 0] = x[0, 0] ** 2 + 3 * x[0, 1]
    y[0, 1] = x[0, 1] ** 2 + 2 * x[0, 0]
    y.backward(dpt.Tensor([[1, 0]]), retain_graph=True)  # row 1: v = (1, 0)
    J[0] = x.grad
    x.grad = dpt.zeros_like(x.grad)  # gradients accumulate: clear between the two rows
    y.backward(dpt.Tensor([[0, 1]]))
    J[1] = x.grad
    print(J)
    print("functional.jacobian agrees:",
          dpt.autograd.functional.jacobian(
              lambda t: dpt.stack([t[0] ** 2 + 3 * t[1], t[1] ** 2 + 2 * t[0]]),
              dpt.tensor([2.0, 3.0])))


def detach_and_control_flow() -> None:
    section("detach and gradients through Python control flow")
    x = dpt.arange(4.0, requires_grad=True)
    y = x * x
    u = y.detach()  # a constant as far as autograd is concerned
    z = u * x
    z.sum().backward()
    print("x.grad == u:", x.grad == u)

    def f(a):
        b = a * 2
        while b.norm() < 1000:
            b = b * 2
        return b if b.sum() > 0 else 100 * b

    a = dpt.randn(size=(), requires_grad=True)
    d = f(a)
    d.backward()
    print(f"a = {a.item():.4f}, a.grad = {a.grad.item():.1f}, a.grad == d / a: {bool(a.grad == d / a)}")


def higher_derivatives() -> None:
    section("higher derivatives of sin")
    x = dpt.tensor([0.0, 0.5, 1.0], dtype=dpt.float64, requires_grad=True)
    (d1,) = dpt.autograd.grad(dpt.sin(x).sum(), x, create_graph=True)
    (d2,) = dpt.autograd.grad(d1.sum(), x, create_graph=True)
    (d3,) = dpt.autograd.grad(d2.sum(), x)
    print("d/dx sin   =", d1.detach(), " cos  =", dpt.cos(x.detach()))
    print("d2/dx2 sin =", d2.detach(), " -sin =", -dpt.sin(x.detach()))
    print("d3/dx3 sin =", d3, " -cos =", -dpt.cos(x.detach()))


def memory_reuse() -> None:
    section("in-place updates keep the same tensor")
    X = dpt.arange(12, dtype=dpt.float32).reshape((3, 4))
    Y = dpt.ones(3, 4)
    before = id(Y)
    Y = Y + X
    print("Y = Y + X makes a new tensor:", id(Y) != before)
    Z = dpt.zeros_like(Y)
    before = id(Z)
    Z[:] = X + Y
    print("Z[:] = X + Y keeps id:", id(Z) == before)
    before = id(X)
    X += Y
    print("X += Y keeps id:", id(X) == before)


def main() -> None:
    dpt.manual_seed(100)
    leaves_and_grad_fn()
    jacobian_by_two_backward_calls()
    detach_and_control_flow()
    higher_derivatives()
    memory_reuse()


if __name__ == "__main__":
    argparse.ArgumentParser(description=__doc__.split("\n\n")[0]).parse_args()  # only --help
    main()
