"""softmax and log_softmax: one stable Function each (max-shifted, never overflows).

Backward is written with dpt ops on the recomputed output when a graph of the gradient is
being built, so double backward works; otherwise it reuses the saved output.
"""
from __future__ import annotations

import numpy as np

from .._device import xp_of
from .._tensor import Tensor, _wrap_dim
from ..autograd.function import Function
from ..autograd.grad_mode import is_grad_enabled

__all__ = ["softmax", "log_softmax"]


def _shifted(x, dim):
    """x minus its max along dim (finite maxima only, so rows of -inf stay -inf, not nan)."""
    xp = xp_of(x)
    if x.size == 0:
        return x
    m = x.max(axis=dim, keepdims=True)
    m = xp.where(xp.isfinite(m), m, 0)
    return x - m


class Softmax(Function):
    """y = exp(x - max) / sum(exp(x - max)) along dim."""

    def forward(self, x, dim):
        self.dim = dim
        xp = xp_of(x)
        with np.errstate(invalid="ignore", over="ignore"):
            e = xp.exp(_shifted(x, dim))
            y = e / e.sum(axis=dim, keepdims=True)
        if not y.flags.c_contiguous:  # torch's softmax output is contiguous (x.t().softmax(1).view(-1))
            y = xp.ascontiguousarray(y)
        self.save_output(y)
        return y

    def backward(self, gy):
        d = self.dim
        y = Softmax.apply(self.inputs[0], d) if is_grad_enabled() else self.saved_output()
        return y * (gy - (gy * y).sum(d, keepdim=True))


class LogSoftmax(Function):
    """y = x - max - log(sum(exp(x - max))) along dim."""

    def forward(self, x, dim):
        self.dim = dim
        xp = xp_of(x)
        with np.errstate(invalid="ignore", over="ignore", divide="ignore"):
            s = _shifted(x, dim)
            y = s - xp.log(xp.exp(s).sum(axis=dim, keepdims=True))
        if not y.flags.c_contiguous:  # contiguous like torch's
            y = xp.ascontiguousarray(y)
        self.save_output(y)
        return y

    def backward(self, gy):
        d = self.dim
        if is_grad_enabled():
            p = Softmax.apply(self.inputs[0], d)
        else:
            p = Tensor._make(xp_of(gy._data).exp(self.saved_output()._data))
        return gy - p * gy.sum(d, keepdim=True)


def _prepare(input, dim, dtype, op: str):
    if not isinstance(input, Tensor):
        raise TypeError(f"{op}(): argument 'input' (position 1) must be Tensor, not "
                        f"{type(input).__name__}")
    if dim is None:
        raise TypeError(f"{op}() missing required argument 'dim'")
    if dtype is not None:
        input = input.to(dtype)
    if input.dtype.category < 2:
        raise RuntimeError(f"\"{op}_lastdim_kernel_impl\" not implemented for "
                           f"'{_dtype_word(input.dtype)}'")
    d = _wrap_dim(dim, input.ndim, op)
    return input, d


def _dtype_word(dt) -> str:
    return {"int64": "Long", "int32": "Int", "int16": "Short", "int8": "Char", "uint8": "Byte",
            "bool": "Bool"}.get(dt.name, dt.name)


def _apply(cls, input, d):
    if input.ndim == 0:  # a 0-d tensor is one row of one element
        return cls.apply(input.reshape(1), 0).reshape(())
    return cls.apply(input, d)


def softmax(input: Tensor, dim: int, dtype=None) -> Tensor:
    """softmax(input, dim, dtype=None): exp(x_i) / sum_j exp(x_j) along dim, computed stably.

    dtype: cast the input to it first (e.g. to avoid overflow in half precision).
    """
    input, d = _prepare(input, dim, dtype, "softmax")
    return _apply(Softmax, input, d)


def log_softmax(input: Tensor, dim: int, dtype=None) -> Tensor:
    """log_softmax(input, dim, dtype=None): x_i - log(sum_j exp(x_j)) along dim, stably."""
    input, d = _prepare(input, dim, dtype, "log_softmax")
    return _apply(LogSoftmax, input, d)

