"""Scans along a dim: cumsum, cumprod, cummax, cummin and logcumsumexp.

Their backward passes are written with dpt ops (reverse cumulative sums, shifted products),
so double backward works.
"""
from __future__ import annotations

import numpy as np

from .. import return_types
from .._device import runs_on, xp_of
from .._tensor import Tensor
from ..autograd.function import Function
from ..autograd.grad_mode import is_grad_enabled
from .pointwise import exp, log
from .reduction import (_const, _float_input, _Flip, _int_dim, _numpy_kwargs, _out_dtype, _pick,
                        _Shift, _sum_dtype, _to_out, sum)

__all__ = ["cumsum", "cumprod", "cummax", "cummin", "logcumsumexp"]


def _reverse_cumsum(t: Tensor, dim: int) -> Tensor:
    """out[i] = sum over j >= i of t[j]."""
    return _Flip.apply(cumsum(_Flip.apply(t, dim), dim), dim)


def _scan(input, dim, op, fn, *args, **kwargs):
    """Run fn(input, dim, ...) with 0-d inputs treated as 1-element vectors."""
    if input.ndim == 0:
        _int_dim(dim, 0, op)
        out = fn(input.reshape(1), 0, *args, **kwargs)
        if isinstance(out, tuple):
            return type(out)(*(o.reshape(()) for o in out))
        return out.reshape(())
    return fn(input, _int_dim(dim, input.ndim, op), *args, **kwargs)


class Cumsum(Function):
    autocast = "fp32_cuda"  # torch's autocast list

    def forward(self, x, dim, dtype):
        self.dim = dim
        out = xp_of(x).cumsum(x, axis=dim, dtype=dtype)
        # contiguous like torch's (numpy keeps a transposed input's layout)
        return out if out.flags.c_contiguous else xp_of(x).ascontiguousarray(out)

    def backward(self, gz):
        return _reverse_cumsum(gz, self.dim)


def _accumulate(fn_class, input, d, dtype):
    """cumsum/cumprod in their result dtype: int64 for integers, dtype= when given, else the
    input's own (dtype None, so an input autocast made float32 accumulates in float32)."""
    dt = _sum_dtype(input, dtype)
    if dt is not input.dtype and dt.category >= 2:
        input = input.to(dt)
    return fn_class.apply(input, d, None if dt is input.dtype else dt.np)


def _cumsum(input, d, dtype):
    return _accumulate(Cumsum, input, d, dtype)


@_numpy_kwargs
def cumsum(input, dim, *, dtype=None, out=None) -> Tensor:
    """cumsum(input, dim, *, dtype=None, out=None): integer and bool inputs accumulate in
    int64 (in out's dtype with out=)."""
    dtype = _out_dtype(dtype, out, "cumsum")
    return _to_out(_scan(input, dim, "cumsum", _cumsum, dtype), out, "cumsum")


class Cumprod(Function):
    autocast = "fp32_cuda"  # torch's autocast list

    def forward(self, x, dim, dtype):
        self.dim = dim
        self.has_zero = bool((x == 0).any())
        out = xp_of(x).cumprod(x, axis=dim, dtype=dtype)
        if not out.flags.c_contiguous:  # contiguous like torch's
            out = xp_of(x).ascontiguousarray(out)
        self.save_output(out)
        return out

    def backward(self, gz):
        x = self.inputs[0]
        y = None if is_grad_enabled() or self.has_zero else self.saved_output()
        return _cumprod_backward(x, gz, self.dim, y)


def _cumprod_backward(x: Tensor, gz: Tensor, d: int, y=None) -> Tensor:
    """grad_i = sum_{j >= i} gz_j prod_{k <= j, k != i} x_k, exact with zeros in x.

    Written with differentiable ops; terms that are zero in value but not in derivative
    are added when building a graph, so higher derivatives are exact too.
    """
    xa = x._data
    xp = xp_of(xa)
    zero = xa == 0
    if not zero.any():
        y = cumprod(x, d) if y is None else y
        return _reverse_cumsum(gz * y, d) / x
    # z = the first zero of each slice (n if none). i < z: divide by x_i as usual;
    # i == z: prod_{k<z} x_k * sum_{j>=z} gz_j prod_{z<k<=j} x_k; i > z: zero (x_z is a factor).
    n = xa.shape[d]
    z = xp.where(zero.any(axis=d, keepdims=True), zero.argmax(axis=d, keepdims=True), n)
    pos = xp.arange(n).reshape([n if a == d else 1 for a in range(xa.ndim)])
    before, at, upto, after = (_const(m.astype(xa.dtype))
                               for m in (pos < z, pos == z, pos <= z, pos >= z))
    y = cumprod(x, d)
    grad = _reverse_cumsum(gz * y, d) / (x * before + (1 - before)) * before
    left = _Shift.apply(y, d, 1, 1)  # prod_{k<i} x_k
    x_tail = x * (1 - upto) + upto  # ones up to z: its cumprod is prod_{z<k<=j} x_k
    grad = grad + at * left * sum(gz * cumprod(x_tail, d) * after, d, keepdim=True)
    if is_grad_enabled():  # i > z: x_z * prod_{k<z} x_k * (cumprod grad of the tail)
        l_z = sum(at * left, d, keepdim=True)
        x_z = sum(at * x, d, keepdim=True)
        grad = grad + (after - at) * l_z * x_z * _cumprod_backward(x_tail, gz * after, d)
    return grad


def _cumprod(input, d, dtype):
    return _accumulate(Cumprod, input, d, dtype)


@_numpy_kwargs
def cumprod(input, dim, *, dtype=None, out=None) -> Tensor:
    """cumprod(input, dim, *, dtype=None, out=None): integer and bool inputs accumulate in
    int64 (in out's dtype with out=).

    The gradient is exact with zeros in the input, and so are higher derivatives.
    """
    dtype = _out_dtype(dtype, out, "cumprod")
    return _to_out(_scan(input, dim, "cumprod", _cumprod, dtype), out, "cumprod")


@runs_on(0)
def _cum_extreme(input, d, largest, rtype):
    x = input._data
    xp = xp_of(x)
    acc = (xp.maximum if largest else xp.minimum).accumulate(x, axis=d)
    hit = x == acc  # x >= every earlier element: torch moves the index to it (the last tie)
    if x.dtype.kind in "fc":
        hit |= xp.isnan(x)
    pos = xp.arange(x.shape[d]).reshape([x.shape[d] if a == d else 1 for a in range(x.ndim)])
    idx = xp.ascontiguousarray(xp.maximum.accumulate(xp.where(hit, pos, 0), axis=d))  # as torch
    values, indices = _pick(input, idx, d, True, unique=False)
    return rtype(values, indices)


def cummax(input, dim):
    """cummax(input, dim) -> (values, indices): running maximum and where it was reached."""
    return _scan(input, dim, "cummax", _cum_extreme, True, return_types.cummax)


def cummin(input, dim):
    """cummin(input, dim) -> (values, indices): running minimum and where it was reached."""
    return _scan(input, dim, "cummin", _cum_extreme, False, return_types.cummin)


class LogCumSumExp(Function):
    def forward(self, x, dim):
        self.dim = dim
        xp = xp_of(x)
        if xp is np:
            out = np.logaddexp.accumulate(x, axis=dim)
        else:  # one shift per slice: early terms far below the slice max may underflow
            m = x.max(axis=dim, keepdims=True) if x.size else xp.zeros_like(x)
            m = xp.where(xp.isfinite(m), m, 0)
            out = xp.log(xp.cumsum(xp.exp(x - m), axis=dim)) + m
        out = out.astype(x.dtype, copy=False)
        if not out.flags.c_contiguous:  # contiguous like torch's
            out = xp.ascontiguousarray(out)
        self.save_output(out)
        return out

    def backward(self, gz):
        # grad_i = sum_{j >= i} gz_j exp(x_i - out_j), summed in log space for positive and
        # negative gz separately so that nothing overflows.
        x = self.inputs[0]
        d = self.dim
        out = self.saved_output(recompute=lambda: logcumsumexp(x, d))
        g = gz._data
        tiny = float(np.finfo(g.dtype).min) / 4  # "minus infinity" that survives "- out"
        grad = None
        for sign, mask in ((1.0, g > 0), (-1.0, g < 0)):
            if not mask.any():
                continue
            m = _const(mask.astype(g.dtype))
            log_g = log(gz * (sign * m) + (1 - m)) + (1 - m) * tiny - out
            part = exp(x + _Flip.apply(logcumsumexp(_Flip.apply(log_g, d), d), d)) * sign
            grad = part if grad is None else grad + part
        return grad if grad is not None else x * 0


def logcumsumexp(input, dim) -> Tensor:
    """logcumsumexp(input, dim): log of the running sum of exp(input), computed stably."""
    return _scan(_float_input(input), dim, "logcumsumexp", LogCumSumExp.apply)
