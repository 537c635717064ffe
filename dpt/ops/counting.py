"""Counting: bincount, histogram, histogramdd and isin.

None of them is differentiable (as in torch): they return integer tensors, or histograms
computed from the detached input.
"""
from __future__ import annotations

import builtins
import collections
import math
import numbers
import operator

import numpy as np

from .. import _device, _dtype
from .._tensor import Tensor
from .creation import linspace

__all__ = ["bincount", "histogram", "histogramdd", "isin"]


def _result_type(name: str, fields: tuple) -> type:
    """A torch.return_types-style named tuple."""
    base = collections.namedtuple(name, fields)
    return type(name, (base,), {"__slots__": (), "__module__": __name__, "__qualname__": name,
                                "__doc__": f"{name}({', '.join(fields)}): result of dpt.{name}."})


histogram_result = _result_type("histogram", ("hist", "bin_edges"))
histogramdd_result = _result_type("histogramdd", ("hist", "bin_edges"))


@_device.runs_on(0)
def bincount(input: Tensor, weights: Tensor | None = None, minlength: int = 0) -> Tensor:
    """bincount(input, weights=None, minlength=0): occurrences of each value of a 1-D
    non-negative integer tensor (weighted sums with weights).

    Without weights the result is int64; float32 weights give float32, others float64.
    Not differentiable (as in torch).
    """
    minlength = operator.index(minlength)
    if minlength < 0:
        raise RuntimeError("minlength should be >= 0")
    if input.ndim != 1 or input.dtype.category != 1:
        raise RuntimeError("bincount only supports 1-d non-negative integral inputs.")
    x = input._data
    xp = _device.xp_of(x)
    if x.size and builtins.bool((x < 0).any()):
        raise RuntimeError("bincount only supports 1-d non-negative integral inputs.")
    if weights is None:
        return Tensor._make(xp.bincount(x, minlength=minlength).astype(np.int64, copy=False))
    if weights.ndim != 1 or weights.shape[0] != x.shape[0]:
        raise RuntimeError("weights should be 1-d and have the same length as input")
    out = np.float32 if weights.dtype is _dtype.float32 else np.float64
    w = weights.detach()._data.astype(np.float64)
    return Tensor._make(xp.bincount(x, weights=w, minlength=minlength).astype(out))


def _bin_edges(x, bins, rng, d: int, dt, dev, op):
    """The edges of dimension d as an array of dt: given, or bins+1 evenly spaced ones."""
    if isinstance(bins, Tensor):
        if bins.ndim != 1 or bins.numel() < 1:
            raise RuntimeError(f"{op}: bins tensor should have one dimension and at least 1 "
                               f"element, but got {bins.ndim} dimensions")
        if bins.dtype is not dt:
            raise RuntimeError(f"{op}: input tensor and bins tensors should have the same dtype, "
                               f"but got input {dt} and bins {bins.dtype}")
        # torch does not check that the edges increase: unsorted ones give what its binary
        # search gives (see _upper_bound)
        return bins._data
    n = operator.index(bins)
    if n <= 0:
        raise RuntimeError(f"{op}(): bins must be > 0, but got {n} for dimension {d}")
    if rng is not None:
        lo, hi = builtins.float(rng[0]), builtins.float(rng[1])
    elif x.shape[0]:
        lo, hi = builtins.float(x[:, d].min()), builtins.float(x[:, d].max())
    else:
        lo, hi = 0.0, 0.0
    if not (math.isfinite(lo) and math.isfinite(hi)):
        raise RuntimeError(f"{op}: dimension {d}'s range [{lo}, {hi}] is not finite")
    if lo > hi:
        raise RuntimeError(f"{op}: min should not exceed max, but got min {lo} max {hi} for "
                           f"dimension {d}")
    if lo == hi:  # numpy's rule: widen an empty range so the bins have a width
        lo, hi = lo - 0.5, hi + 0.5
    return linspace(lo, hi, n + 1, dtype=dt, device=dev)._data


def _upper_bound(xp, e, v):
    """For each v, the first position whose edge is greater, by plain bisection.

    Equal to searchsorted(e, v, side='right') for increasing edges; for unsorted ones it is
    what torch's bisection gives (numpy's searchsorted reuses bounds between keys, which
    assumes sorted edges).
    """
    n = e.size
    first = xp.zeros(v.shape, dtype=np.int64)
    count = xp.full(v.shape, n, dtype=np.int64)
    while n:
        half = count // 2
        mid = first + half
        right = (count > 0) & ~(v < e[xp.minimum(mid, e.size - 1)])
        first = xp.where(right, mid + 1, first)
        count = xp.where(right, count - half - 1, half)
        n //= 2
    return first


def _histogramdd(input, bins, rng, weight, density, op):
    if not isinstance(input, Tensor):
        raise TypeError(f"{op}(): argument 'input' must be Tensor, not {type(input).__name__}")
    if input.dtype.category != 2:
        raise RuntimeError(f"{op}: input tensor and bins tensors should have the same dtype, "
                           f"floating point expected but got {input.dtype}")
    if input.ndim < 2:
        raise RuntimeError(f"{op}: input tensor should have at least 2 dimensions, but got "
                           f"{input.ndim}")
    D = input.shape[-1]
    x = input.detach()._data.reshape(-1, D)
    xp = _device.xp_of(x)
    if isinstance(bins, (Tensor, numbers.Integral)):
        bins = [bins] * D
    bins = list(bins)
    if len(bins) != D:
        raise RuntimeError(f"{op}: expected {D} sequences of bin edges for each of the {D} "
                           f"dimensions of the input, but got {len(bins)}")
    if rng is not None:
        if any(isinstance(b, Tensor) for b in bins):
            raise TypeError(f"{op}(): range cannot be given together with bin edge tensors")
        rng = [builtins.float(r) for r in rng]
        if len(rng) != 2 * D:
            raise RuntimeError(f"{op}: for a {D}-dimensional histogram, range should have "
                               f"{2 * D} elements, but got {len(rng)}")
    edges = [_bin_edges(x, b, None if rng is None else rng[2 * d:2 * d + 2], d, input.dtype,
                        input.device, op) for d, b in enumerate(bins)]
    w = None
    if weight is not None:
        if tuple(weight.shape) != tuple(input.shape[:-1]):
            raise RuntimeError(f"{op}: if weight tensor is provided it should have the same "
                               f"shape as the input tensor excluding its innermost dimension, "
                               f"but got input with shape {list(input.shape)} and weight with "
                               f"shape {list(weight.shape)}")
        w = weight.detach()._data.reshape(-1).astype(np.float64)
    nbins = [e.size - 1 for e in edges]
    keep = xp.ones(x.shape[0], dtype=bool)
    flat = xp.zeros(x.shape[0], dtype=np.int64)
    for d, e in enumerate(edges):
        v = x[:, d]
        keep &= (v >= e[0]) & (v <= e[-1])
        pos = _upper_bound(xp, e, v) - 1
        pos = xp.clip(pos, 0, builtins.max(nbins[d] - 1, 0))  # the last edge closes the last bin
        flat = flat * nbins[d] + pos
    total = int(np.prod(nbins))
    hist = xp.bincount(flat[keep], weights=None if w is None else w[keep], minlength=total)
    hist = hist[:total].astype(np.float64).reshape(nbins)
    if density:
        widths = [xp.diff(e.astype(np.float64)) for e in edges]
        vol = widths[0]
        for wd in widths[1:]:
            vol = vol[..., None] * wd
        hist = hist / (hist.sum() * vol)
    dt = input.dtype.np
    return Tensor._make(hist.astype(dt)), [Tensor._make(e.astype(dt)) for e in edges]


def histogram(input: Tensor, bins=100, *, range=None, weight=None, density=False):
    """histogram(input, bins, *, range=None, weight=None, density=False) -> (hist, bin_edges).

    bins: the number of equal-width bins over range (default: the data's min and max) or a
    1-D tensor of increasing edges. Bins are half-open [a, b) except the last, which includes
    its right edge; values outside are ignored. hist has input's dtype. Not differentiable.
    """
    if not isinstance(input, Tensor):
        raise TypeError(f"histogram(): argument 'input' must be Tensor, not "
                        f"{type(input).__name__}")
    if weight is not None and tuple(weight.shape) != tuple(input.shape):
        raise RuntimeError(f"histogram: if weight tensor is provided it should have the same "
                           f"shape as the input tensor, but got input with shape "
                           f"{list(input.shape)} and weight with shape {list(weight.shape)}")
    hist, edges = _histogramdd(input.reshape(-1, 1), [bins], range,
                               None if weight is None else weight.reshape(-1), density,
                               "histogram")
    return histogram_result(hist, edges[0])


def histogramdd(input: Tensor, bins=10, *, range=None, weight=None, density=False):
    """histogramdd(input, bins, *, range=None, weight=None, density=False) -> (hist, bin_edges).

    input (..., D) holds N points in D dimensions; bins is an int, D ints or D edge tensors;
    range is [min_0, max_0, min_1, max_1, ...]. bin_edges is a list of D tensors.
    """
    hist, edges = _histogramdd(input, bins, range, weight, density, "histogramdd")
    return histogramdd_result(hist, edges)


def isin(elements, test_elements, *, assume_unique: bool = False, invert: bool = False) -> Tensor:
    """isin(elements, test_elements, *, assume_unique=False, invert=False): a bool tensor of
    elements' shape, True where the element occurs in test_elements (either may be a number)."""
    if not isinstance(elements, Tensor) and not isinstance(test_elements, Tensor):
        raise TypeError("isin(): expected elements or test_elements to be a Tensor")
    like = elements if isinstance(elements, Tensor) else test_elements
    xp = _device.xp_of(like._data)
    with _device.device_context(like.device):
        e = elements._data if isinstance(elements, Tensor) else xp.asarray(elements)
        t = test_elements._data if isinstance(test_elements, Tensor) else xp.asarray(test_elements)
        return Tensor._make(xp.asarray(xp.isin(e, t, assume_unique=assume_unique, invert=invert)))
