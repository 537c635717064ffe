"""Order statistics and covariance: median, nanmedian, mode, quantile, nanquantile, cov and
corrcoef.

Written with dpt ops (sort, gather, mm) or picked along a dim, so they are differentiable
in their input.
"""
from __future__ import annotations

import builtins
import math
import warnings

import numpy as np

from .. import _device, _dtype, return_types
from .._device import xp_of
from .._tensor import Tensor, _wrap_dim
from .arithmetic import _with_out
from .blas import mm
from .creation import complex as _complex
from .gather_scatter import gather
from .pointwise import clamp, sqrt
from .reduction import _const, _EvenlyDistributed, _numpy_kwargs, _picked_along
from .shape import movedim
from .sorting import sort

__all__ = ["median", "nanmedian", "mode", "quantile", "nanquantile", "cov", "corrcoef"]


# ---- median, nanmedian, mode ------------------------------------------------------------
def _median_select(ignore_nan):
    """Indices (keepdim-shaped) of the lower median along d; NaN propagates unless ignored."""
    def select(x, d):
        xp = xp_of(x)
        order = xp.argsort(x, axis=d, kind="stable")  # NaNs sort last
        n = x.shape[d]
        if x.dtype.kind in "fc":
            valid = (~xp.isnan(x)).sum(axis=d, keepdims=True)
            if ignore_nan:
                pos = xp.where(valid > 0, (valid - 1) // 2, 0)
            else:  # a NaN anywhere in the slice is the answer: the first NaN in sorted order
                pos = xp.where(valid < n, valid, (n - 1) // 2)
        else:
            pos = xp.full([1 if a == d else s for a, s in enumerate(x.shape)], (n - 1) // 2)
        return xp.take_along_axis(order, pos.astype(np.int64), axis=d)
    return select


@_device.runs_on(0)
def _median(input, dim, keepdim, ignore_nan, op, rtype):
    if dim is None:
        x = input._data.reshape(-1)
        if x.size == 0:
            return _const(xp_of(x).full((), math.nan, dtype=x.dtype))
        i = _median_select(ignore_nan)(x, 0)
        value = x[i].reshape((1,) * input.ndim)
        return _EvenlyDistributed.apply(input, value, tuple(range(input.ndim)), False)
    return _picked_along(input, dim, keepdim, op, _median_select(ignore_nan), rtype)


@_numpy_kwargs
def median(input, dim=None, keepdim=False):
    """median(input) -> 0-d; median(input, dim=-1, keepdim=False) -> (values, indices).

    The lower of the two middle values for even counts, as torch; NaN propagates.
    """
    return _median(input, dim, keepdim, False, "median", return_types.median)


@_numpy_kwargs
def nanmedian(input, dim=None, keepdim=False):
    """nanmedian(input[, dim, keepdim]): median ignoring NaN (NaN only for all-NaN slices)."""
    return _median(input, dim, keepdim, True, "nanmedian", return_types.nanmedian)


def _mode_select(x, d):
    """Index of the last occurrence of the most frequent value (the smallest one on ties)."""
    xp = xp_of(x)
    moved = xp.moveaxis(x, d, -1)
    rows = moved.reshape(-1, moved.shape[-1])
    m, n = rows.shape
    order = xp.argsort(rows, axis=1, kind="stable")
    s = xp.take_along_axis(rows, order, axis=1)
    pos = xp.broadcast_to(xp.arange(n), (m, n))
    new_run = xp.ones((m, n), dtype=bool)
    new_run[:, 1:] = s[:, 1:] != s[:, :-1]
    last_of_run = xp.ones((m, n), dtype=bool)
    last_of_run[:, :-1] = new_run[:, 1:]
    start = xp.maximum.accumulate(xp.where(new_run, pos, 0), axis=1)
    end = xp.flip(xp.minimum.accumulate(xp.flip(xp.where(last_of_run, pos, n), axis=1), axis=1),
                  axis=1)
    best = (end - start + 1).argmax(axis=1)  # the first run of maximal length: smallest value
    idx = order[xp.arange(m), end[xp.arange(m), best]]
    idx = idx.reshape(moved.shape[:-1] + (1,))
    return xp.moveaxis(idx, -1, d)


def mode(input, dim=-1, keepdim=False):
    """mode(input, dim=-1, keepdim=False) -> (values, indices) of the most frequent value.

    Ties between values go to the smallest; the index is that value's last occurrence.
    """
    return _picked_along(input, dim, keepdim, "mode", _mode_select, return_types.mode)


# ---- cov, corrcoef, quantile --------------------------------------------------------------
def cov(input: Tensor, *, correction: int = 1, fweights: Tensor | None = None,
        aweights: Tensor | None = None) -> Tensor:
    """cov(input, *, correction=1, fweights=None, aweights=None): covariance of the variables
    in the rows of input (observations in the columns); a 1-D input is one variable."""
    if input.ndim > 2:
        raise RuntimeError(f"cov(): expected input to have two or fewer dimensions but got an "
                           f"input with {input.ndim} dimensions")
    x = input.reshape(1, -1) if input.ndim < 2 else input
    if x.dtype.category < 2:
        x = x.to(_dtype.get_default_dtype())
    num_obs = x.shape[1]
    w = None
    for name, wt in (("fweights", fweights), ("aweights", aweights)):
        if wt is None:
            continue
        if wt.ndim > 1:
            raise RuntimeError(f"cov(): expected {name} to have one or fewer dimensions but got "
                               f"{name} with {wt.ndim} dimensions")
        if wt.numel() != num_obs:
            raise RuntimeError(f"cov(): expected {name} to have the same numel as there are "
                               f"observations in the input but got {wt.numel()} != {num_obs}")
        if name == "fweights" and wt.dtype.category != 1:
            raise RuntimeError(f"cov(): expected fweights to have integral dtype but got "
                               f"fweights with {wt.dtype} dtype")
        if name == "aweights" and wt.dtype.category != 2:
            raise RuntimeError(f"cov(): expected aweights to have floating point dtype but got "
                               f"aweights with {wt.dtype} dtype")
        if wt.numel() and builtins.bool((wt._data < 0).any()):
            raise RuntimeError(f"cov(): {name} cannot be negative")
        wt = wt.reshape(-1)
        w = wt if w is None else w * wt
    if w is None:
        avg = x.mean(1)
        norm_factor = num_obs - correction
        if norm_factor <= 0:
            warnings.warn("cov(): degrees of freedom is <= 0. Correction should be strictly "
                          "less than the number of observations.", UserWarning, stacklevel=2)
            norm_factor = 0
    else:
        w_sum = w.sum()
        avg = (x * w).sum(1) / w_sum
        if correction == 0:
            norm_factor = w_sum
        elif aweights is None:
            norm_factor = w_sum - correction
        else:
            norm_factor = w_sum - correction * (w * aweights.reshape(-1)).sum() / w_sum
        if builtins.bool((norm_factor._data <= 0).any()):
            warnings.warn("cov(): degrees of freedom is <= 0. Correction should be strictly "
                          "less than the number of observations.", UserWarning, stacklevel=2)
            norm_factor = clamp(norm_factor, min=0)
    xm = x - avg.unsqueeze(1)
    c = mm(xm, (xm if w is None else xm * w).t().conj())
    with np.errstate(divide="ignore", invalid="ignore"):
        return (c / norm_factor).squeeze()


def corrcoef(input: Tensor) -> Tensor:
    """corrcoef(input): Pearson correlation coefficients of the rows of input, clipped to
    [-1, 1] (real and imaginary parts separately for complex input)."""
    c = cov(input)
    with np.errstate(divide="ignore", invalid="ignore"):
        if c.ndim == 0:
            return c / c
        d = c.diagonal()
        std = sqrt(d.real if d.is_complex() else d)
        c = c / std.unsqueeze(1)
        c = c / std.unsqueeze(0)
    if c.is_complex():
        return _complex(clamp(c.real, -1, 1), clamp(c.imag, -1, 1))
    return clamp(c, -1, 1)


_INTERPOLATIONS = ("linear", "lower", "higher", "midpoint", "nearest")


@_device.runs_on(0)
def _quantile(input, q, dim, keepdim, interpolation, ignore_nan, op):
    if not isinstance(input, Tensor):
        raise TypeError(f"{op}(): argument 'input' must be Tensor, not {type(input).__name__}")
    if input.dtype not in (_dtype.float32, _dtype.float64):
        raise RuntimeError(f"{op}() input tensor must be either float or double dtype")
    if interpolation not in _INTERPOLATIONS:
        raise RuntimeError(f"{op}() interpolation must be one of linear, lower, higher, midpoint "
                           f"or nearest. Got {interpolation}")
    xp = _device.xp_of(input._data)
    if isinstance(q, Tensor):
        if q.ndim > 1:
            raise RuntimeError(f"{op}() q must be a scalar or 1D tensor")
        if q.dtype is not input.dtype:
            raise RuntimeError(f"{op}() q tensor must be same dtype as the input tensor")
        scalar_q, qa = q.ndim == 0, q.detach()._data.reshape(-1)
        if qa.size and builtins.bool(((qa < 0) | (qa > 1)).any()):
            raise RuntimeError(f"{op}() q values must be in the range [0, 1]")
    else:
        if not 0 <= q <= 1:
            raise RuntimeError(f"{op}() q must be in the range [0, 1] but got {q}")
        scalar_q, qa = True, xp.asarray([q], dtype=input.dtype.np)
    if input.numel() == 0:
        raise RuntimeError(f"{op}() input tensor must be non-empty")
    if dim is None:
        x = input.reshape(-1)
    elif input.ndim == 0:
        _wrap_dim(dim, 0, op)
        x = input.reshape(1)
    else:
        x = movedim(input, _wrap_dim(dim, input.ndim, op), -1)
    s = sort(x, dim=-1).values  # NaN sorts last
    n = s.shape[-1]
    nan = xp.isnan(s._data)
    if ignore_nan:
        count = (~nan).sum(-1, keepdims=True)
        ranks = qa * (count - 1).astype(qa.dtype)
        ranks = xp.where(ranks < 0, n - 1, ranks)  # all-NaN slices read the last value: NaN
    else:
        ranks = qa * (n - 1) + xp.zeros(s.shape[:-1] + (1,), qa.dtype)
        ranks = xp.where(nan.any(-1, keepdims=True), n - 1, ranks)
    ranks = ranks.astype(qa.dtype, copy=False)
    if interpolation in ("lower", "higher", "nearest"):
        pick = {"lower": xp.floor, "higher": xp.ceil, "nearest": xp.round}[interpolation](ranks)
        r = gather(s, -1, Tensor._make(pick.astype(np.int64)))
    else:
        lo = xp.floor(ranks)
        below = gather(s, -1, Tensor._make(lo.astype(np.int64)))
        above = gather(s, -1, Tensor._make(xp.ceil(ranks).astype(np.int64)))
        weight = (ranks - lo) if interpolation == "linear" else xp.full_like(ranks, 0.5)
        r = below + Tensor._make(weight.astype(qa.dtype)) * (above - below)
    r = movedim(r, -1, 0)  # (Q, *reduced)
    if keepdim:
        if dim is None:
            r = r.reshape((r.shape[0],) + (1,) * input.ndim)
        elif input.ndim:
            r = r.unsqueeze(_wrap_dim(dim, input.ndim, op) + 1)
    return r.squeeze(0) if scalar_q else r


def quantile(input: Tensor, q, dim=None, keepdim: bool = False, *, interpolation: str = "linear",
             out=None) -> Tensor:
    """quantile(input, q, dim=None, keepdim=False, *, interpolation='linear'): the q-th
    quantiles along dim (of all elements when dim is None).

    q: a number or a 0-d/1-D tensor of input's dtype in [0, 1]; a 1-D q puts its dimension
    first in the result. A slice holding NaN gives NaN. interpolation: 'linear', 'lower',
    'higher', 'midpoint' or 'nearest'. Differentiable in input (not in q).
    """
    return _with_out(_quantile(input, q, dim, keepdim, interpolation, False, "quantile"), out,
                     "quantile")


def nanquantile(input: Tensor, q, dim=None, keepdim: bool = False, *,
                interpolation: str = "linear", out=None) -> Tensor:
    """nanquantile(...): quantile ignoring NaN (an all-NaN slice gives NaN)."""
    return _with_out(_quantile(input, q, dim, keepdim, interpolation, True, "nanquantile"), out,
                     "nanquantile")
