"""Finite differences and integration: diff, gradient, trapezoid (trapz) and
cumulative_trapezoid, all written with dpt ops so that they are differentiable."""
from __future__ import annotations

import builtins
import operator

import numpy as np

from .. import _dtype
from .._tensor import Tensor, _wrap_dim
from .scans import cumsum
from .shape import narrow
from .shape_copies import cat

__all__ = ["diff", "gradient", "trapezoid", "trapz", "cumulative_trapezoid"]


def diff(input: Tensor, n: int = 1, dim: int = -1, prepend: Tensor | None = None,
         append: Tensor | None = None) -> Tensor:
    """diff(input, n=1, dim=-1, prepend=None, append=None): the n-th forward difference along
    dim, after concatenating prepend and append there (bool tensors use xor)."""
    if input.ndim == 0:
        raise RuntimeError("diff expects input to be at least one-dimensional")
    n = operator.index(n)
    if n < 0:
        raise RuntimeError(f"order must be non-negative but got {n}")
    d = _wrap_dim(dim, input.ndim, "diff")
    parts = []
    for extra in (prepend, append):
        if extra is not None and extra.ndim != input.ndim:
            raise RuntimeError("diff expects prepend or append to be the same dimension as input")
    if prepend is not None or append is not None:
        parts = [t for t in (prepend, input, append) if t is not None]
        input = cat(parts, d)
    for _ in builtins.range(n):
        m = input.shape[d] - 1
        if m <= 0:
            return narrow(input, d, 0, 0)
        hi, lo = narrow(input, d, 1, m), narrow(input, d, 0, m)
        input = hi.logical_xor(lo) if input.dtype is _dtype.bool else hi - lo
    return input


def _edge_grad(f, d, h, order, left):
    """One-sided derivative at the first (left) or last sample of f along d; h is the
    spacing (number) or the 1-D tensor of the first/last two intervals (broadcast along d)."""
    n = f.shape[d]
    if left:
        f0, f1 = narrow(f, d, 0, 1), narrow(f, d, 1, 1)
        if order == 1:
            return (f1 - f0) / (h if not isinstance(h, tuple) else h[0])
        f2 = narrow(f, d, 2, 1)
        if not isinstance(h, tuple):
            return (-1.5 * f0 + 2 * f1 - 0.5 * f2) / h
        h1, h2 = h
        a = -(2 * h1 + h2) / (h1 * (h1 + h2))
        b = (h1 + h2) / (h1 * h2)
        c = -h1 / (h2 * (h1 + h2))
        return a * f0 + b * f1 + c * f2
    fa, fb = narrow(f, d, n - 2, 1), narrow(f, d, n - 1, 1)
    if order == 1:
        return (fb - fa) / (h if not isinstance(h, tuple) else h[1])
    fz = narrow(f, d, n - 3, 1)
    if not isinstance(h, tuple):
        return (0.5 * fz - 2 * fa + 1.5 * fb) / h
    h1, h2 = h
    a = h2 / (h1 * (h1 + h2))
    b = -(h2 + h1) / (h1 * h2)
    c = (2 * h2 + h1) / (h2 * (h1 + h2))
    return a * fz + b * fa + c * fb


def _gradient_along(f, d, spacing, edge_order):
    n = f.shape[d]
    if isinstance(spacing, Tensor):  # coordinates: second-order accurate non-uniform stencil
        if spacing.ndim != 1 or spacing.shape[0] != n:
            raise RuntimeError(f"torch.gradient expected each tensor to be on the same device "
                               f"and 1-D with size {n} along dim {d}, but got a tensor of shape "
                               f"{list(spacing.shape)}")
        x = spacing.to(f.dtype) if spacing.dtype is not f.dtype else spacing
        shape = [1] * f.ndim
        shape[d] = n - 1
        dx = diff(x).reshape(shape)
        hd, hs = narrow(dx, d, 0, n - 2), narrow(dx, d, 1, n - 2)
        a = -hs / (hd * (hd + hs))
        b = (hs - hd) / (hd * hs)
        c = hd / (hs * (hd + hs))
        mid = a * narrow(f, d, 0, n - 2) + b * narrow(f, d, 1, n - 2) + c * narrow(f, d, 2, n - 2)
        left = (narrow(dx, d, 0, 1), narrow(dx, d, 1, 1)) if edge_order == 2 else \
            (narrow(dx, d, 0, 1), None)
        right = (narrow(dx, d, n - 3, 1), narrow(dx, d, n - 2, 1)) if edge_order == 2 else \
            (None, narrow(dx, d, n - 2, 1))
        return cat([_edge_grad(f, d, left, edge_order, True), mid,
                    _edge_grad(f, d, right, edge_order, False)], d)
    h = spacing
    mid = (narrow(f, d, 2, n - 2) - narrow(f, d, 0, n - 2)) / (2 * h)
    return cat([_edge_grad(f, d, h, edge_order, True), mid,
                _edge_grad(f, d, h, edge_order, False)], d)


def gradient(input: Tensor, *, spacing=1, dim=None, edge_order: int = 1) -> tuple:
    """gradient(input, *, spacing=1, dim=None, edge_order=1): central differences in the
    interior and one-sided ones of order edge_order at the ends, one tensor per dim.

    spacing: a number (every dim), a list of numbers (one per dim) or a list of 1-D
    coordinate tensors (one per dim, non-uniform samples).
    """
    if edge_order not in (1, 2):
        raise RuntimeError("torch.gradient only supports edge_order=1 and edge_order=2.")
    if spacing is None:
        spacing = 1
    if dim is None:
        dims = tuple(builtins.range(input.ndim))
    else:  # in the caller's order
        dims = tuple(_wrap_dim(d, input.ndim, "gradient")
                     for d in ((dim,) if isinstance(dim, (int, np.integer)) else dim))
    if isinstance(spacing, (list, tuple)):
        if len(spacing) != len(dims):
            raise RuntimeError(f"torch.gradient expected spacing to be unspecified, a scalar or "
                               f"it's spacing and dim arguments to have the same length, but got "
                               f"a spacing argument of length {len(spacing)} and a dim argument "
                               f"of length {len(dims)}.")
        spacings = list(spacing)
    else:
        spacings = [spacing] * len(dims)
    spacings = [s.item() if isinstance(s, Tensor) and s.ndim == 0 else s for s in spacings]
    f = input if input.dtype.category >= 2 else input.to(_dtype.get_default_dtype())
    for d in dims:
        if input.shape[d] < edge_order + 1:
            raise RuntimeError("torch.gradient expected each dimension size to be at least "
                               "edge_order+1")
    return tuple(_gradient_along(f, d, s, edge_order) for d, s in zip(dims, spacings))


def _trapz_dim(y, dim, op):
    if not isinstance(y, Tensor):
        raise TypeError(f"{op}(): argument 'y' must be Tensor, not {type(y).__name__}")
    if y.ndim == 0:
        raise IndexError(f"{op}: Dimension out of range (expected a tensor with at least one "
                         f"dimension, got a 0-d tensor)")
    return _wrap_dim(dim, y.ndim, op)


def _x_intervals(y, x, d, op):
    """diff of the sample points x, shaped to broadcast against y's intervals along d."""
    if x.ndim == 1:
        if x.shape[0] != y.shape[d]:
            raise RuntimeError(f"{op}: There must be one `x` value for each sample point")
        shape = [1] * y.ndim
        shape[d] = x.shape[0]
        x = x.reshape(shape)
    elif x.ndim < y.ndim:
        x = x.reshape((1,) * (y.ndim - x.ndim) + tuple(x.shape))
    return diff(x, dim=d)


def trapezoid(y: Tensor, x: Tensor | None = None, *, dx=None, dim: int = -1) -> Tensor:
    """trapezoid(y, x=None, *, dx=None, dim=-1): the trapezoid-rule integral of y along dim,
    at sample points x (a tensor) or with constant spacing dx (default 1)."""
    d = _trapz_dim(y, dim, "trapezoid")
    if x is not None and dx is not None:
        raise TypeError("trapezoid() received both x and dx: pass one of them")
    if x is not None and not isinstance(x, Tensor):
        raise TypeError(f"trapezoid(): argument 'x' must be Tensor, not {type(x).__name__}; "
                        f"use dx= for a constant spacing")
    n = y.shape[d]
    if n == 0:
        return y.sum(d) * 0
    if x is not None:
        h = _x_intervals(y, x, d, "trapezoid")
        return (h * (narrow(y, d, 1, n - 1) + narrow(y, d, 0, n - 1))).sum(d) / 2.0
    dx = 1 if dx is None else dx
    ends = narrow(y, d, 0, 1).squeeze(d) + narrow(y, d, n - 1, 1).squeeze(d)
    return (y.sum(d) - ends * 0.5) * dx


def trapz(y: Tensor, x: Tensor | None = None, *, dx=None, dim: int = -1) -> Tensor:
    """trapz(y, x=None, *, dx=None, dim=-1): alias of trapezoid."""
    return trapezoid(y, x, dx=dx, dim=dim)


def cumulative_trapezoid(y: Tensor, x: Tensor | None = None, *, dx=None, dim: int = -1) -> Tensor:
    """cumulative_trapezoid(y, x=None, *, dx=None, dim=-1): running trapezoid integrals; the
    result has one element fewer than y along dim."""
    d = _trapz_dim(y, dim, "cumulative_trapezoid")
    if x is not None and dx is not None:
        raise TypeError("cumulative_trapezoid() received both x and dx: pass one of them")
    n = y.shape[d]
    if n == 0:
        return narrow(y, d, 0, 0) * 1.0
    pair = narrow(y, d, 1, n - 1) + narrow(y, d, 0, n - 1)
    if x is not None:
        h = _x_intervals(y, x, d, "cumulative_trapezoid")
        return cumsum(h * pair / 2.0, d)
    dx = 1 if dx is None else dx
    return cumsum(dx / 2.0 * pair, d)
