"""Reductions: sum, mean, ... and sum_to, the one place broadcast gradients are reduced."""
from __future__ import annotations

from .. import _dtype
from .._tensor import Tensor
from ..autograd.function import Function

__all__ = ["sum", "mean", "sum_to"]


def normalize_dims(dim, ndim: int, op: str) -> tuple:
    """dim given as None / int / tuple / list -> sorted tuple of non-negative dims."""
    if dim is None:
        return tuple(range(ndim))
    dims = (dim,) if isinstance(dim, int) else tuple(dim)
    n = max(ndim, 1)
    out = []
    for d in dims:
        if not -n <= d < n:
            raise IndexError(f"{op}: Dimension out of range (expected to be in range of "
                             f"[{-n}, {n - 1}], but got {d})")
        d %= n
        if d in out:
            raise RuntimeError(f"{op}: dim {d} appears multiple times in the list of dims")
        out.append(d)
    return tuple(sorted(out)) if ndim else ()


def expand_reduced(g: Tensor, shape: tuple, dims: tuple, keepdim: bool) -> Tensor:
    """Broadcast a reduced gradient back to the input shape."""
    if not keepdim and dims:
        kept = list(g.shape)
        for d in dims:
            kept.insert(d, 1)
        g = g.reshape(kept)
    return g.expand(shape)


# ---- sum ------------------------------------------------------------------------------
class Sum(Function):
    def forward(self, x, dims, keepdim, dtype):
        self.shape, self.dims, self.keepdim = x.shape, dims, keepdim
        return x.sum(axis=dims, keepdims=keepdim, dtype=dtype)

    def backward(self, gz):
        return expand_reduced(gz, self.shape, self.dims, self.keepdim)


def sum(input, dim=None, keepdim=False, *, dtype=None) -> Tensor:
    """sum(input, dim=None, keepdim=False, *, dtype=None).

    Integer and bool inputs sum in int64, as in torch.
    """
    dims = normalize_dims(dim, input.ndim, "sum")
    if dtype is not None:
        dt = _dtype.as_dtype(dtype)
    elif input.dtype.category <= 1:
        dt = _dtype.int64
    else:
        dt = input.dtype
    if dt is not input.dtype and dt.category >= 2:
        input = input.to(dt)
    return Sum.apply(input, dims, keepdim, dt.np)


class Mean(Function):
    def forward(self, x, dims, keepdim):
        self.shape, self.dims, self.keepdim = x.shape, dims, keepdim
        n = 1
        for d in dims:
            n *= x.shape[d]
        self.n = n
        return x.mean(axis=dims, keepdims=keepdim)

    def backward(self, gz):
        return expand_reduced(gz / self.n if self.n else gz * float("nan"),
                              self.shape, self.dims, self.keepdim)


def mean(input, dim=None, keepdim=False, *, dtype=None) -> Tensor:
    """mean(input, dim=None, keepdim=False, *, dtype=None): floating/complex inputs only."""
    if dtype is not None:
        input = input.to(dtype)
    if input.dtype.category < 2:
        raise RuntimeError(f"mean(): could not infer output dtype. Input dtype must be either a "
                           f"floating point or complex dtype. Got: {_TYPE_WORD[input.dtype.name]}")
    return Mean.apply(input, normalize_dims(dim, input.ndim, "mean"), keepdim)


_TYPE_WORD = {"int64": "Long", "int32": "Int", "int16": "Short", "int8": "Char", "uint8": "Byte",
              "bool": "Bool"}


# ---- sum_to ---------------------------------------------------------------------------
class SumTo(Function):
    """Sum a broadcast gradient back down to shape (leading dims and size-1 dims)."""

    def forward(self, x, shape):
        self.in_shape = x.shape
        lead = x.ndim - len(shape)
        axes = tuple(range(lead)) + tuple(
            lead + i for i, s in enumerate(shape) if s == 1 and x.shape[lead + i] != 1)
        out = x.sum(axis=axes, keepdims=True) if axes else x
        return out.reshape(shape)

    def backward(self, gz):
        return gz.expand(self.in_shape)


def sum_to(x: Tensor, shape: tuple) -> Tensor:
    """Reduce x to shape by summing the dimensions broadcasting added or stretched."""
    if tuple(x.shape) == tuple(shape):
        return x
    return SumTo.apply(x, tuple(shape))
