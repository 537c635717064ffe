"""Sorting and searching: sort, argsort, topk, kthvalue, unique, searchsorted, bucketize, histc.

sort, topk and kthvalue are differentiable in their values: the gradient flows back to
the positions the indices name (see reduction._TakeAlong).
"""
from __future__ import annotations

import numbers

import numpy as np

from .. import return_types
from .._device import runs_on, xp_of
from .._tensor import Tensor
from .reduction import _int_dim, _pick, _picked_along

__all__ = ["sort", "argsort", "msort", "topk", "kthvalue", "unique", "unique_consecutive",
           "searchsorted", "bucketize", "histc"]


@runs_on(0)
def _argsort(x, d: int, descending: bool):
    """Stable argsort along d; NaN counts as the largest value (last ascending, first descending)."""
    xp = xp_of(x)
    if x.dtype.kind == "c":
        raise RuntimeError("sort(): complex tensors cannot be sorted (no total order)")
    if not descending:
        return xp.argsort(x, axis=d, kind="stable")
    # Sort the reversed slice ascending and read it backwards: descending, ties still in
    # their original order, for every dtype (negation would break unsigned and bool).
    n = x.shape[d]
    order = xp.argsort(xp.flip(x, axis=d), axis=d, kind="stable")
    return n - 1 - xp.flip(order, axis=d)


def _as_vector(input: Tensor, dim, op: str):
    """(tensor, dim) with a 0-d input seen as a 1-element vector, and a flag to undo it."""
    if input.ndim == 0:
        _int_dim(dim, 0, op)
        return input.reshape(1), 0, True
    return input, _int_dim(dim, input.ndim, op), False


def sort(input, dim=-1, descending=False, stable=False):
    """sort(input, dim=-1, descending=False, stable=False) -> (values, indices).

    Always stable (equal elements keep their order). NaN sorts as the largest value.
    """
    x, d, scalar = _as_vector(input, dim, "sort")
    idx = _argsort(x._data, d, descending)
    values, indices = _pick(x, idx, d, True)
    if scalar:
        values, indices = values.reshape(()), indices.reshape(())
    return return_types.sort(values, indices)


@runs_on(0)
def argsort(input, dim=-1, descending=False, stable=False) -> Tensor:
    """argsort(input, dim=-1, descending=False, stable=False): the indices sort would return."""
    x, d, scalar = _as_vector(input, dim, "argsort")
    idx = _argsort(x._data, d, descending).astype(np.int64, copy=False)
    return Tensor._make(idx.reshape(()) if scalar else idx)


def msort(input) -> Tensor:
    """msort(input): sort along the first dimension (values only)."""
    return sort(input, dim=0).values


def topk(input, k, dim=-1, largest=True, sorted=True):
    """topk(input, k, dim=-1, largest=True, sorted=True) -> (values, indices).

    The results always come sorted (also allowed by torch for sorted=False).
    """
    x, d, scalar = _as_vector(input, dim, "topk")
    n = x.shape[d]
    k = int(k)
    if not 0 <= k <= n:
        raise RuntimeError(f"topk(): selected index k out of range (k={k}, size of dim {d} is {n})")
    order = _argsort(x._data, d, largest)
    sl = [slice(None)] * x.ndim
    sl[d] = slice(0, k)
    values, indices = _pick(x, order[tuple(sl)], d, True)
    if scalar:
        values, indices = values.reshape(()), indices.reshape(())
    return return_types.topk(values, indices)


def kthvalue(input, k, dim=-1, keepdim=False):
    """kthvalue(input, k, dim=-1, keepdim=False) -> (values, indices) of the k-th smallest (1-based)."""
    k = int(k)
    d = _int_dim(dim, input.ndim, "kthvalue")
    if not 1 <= k <= (input.shape[d] if input.ndim else 1):
        raise RuntimeError(f"kthvalue(): selected number k out of range for dimension {d}")

    def select(x, d):
        sl = [slice(None)] * x.ndim
        sl[d] = slice(k - 1, k)
        return _argsort(x, d, False)[tuple(sl)]

    return _picked_along(input, dim, keepdim, "kthvalue", select, return_types.kthvalue)


# ---- unique ---------------------------------------------------------------------------
def _results(output, inverse, counts, return_inverse, return_counts):
    out = [output]
    if return_inverse:
        out.append(inverse)
    if return_counts:
        out.append(counts)
    return out[0] if len(out) == 1 else tuple(out)


def _long(arr) -> Tensor:
    return Tensor._make(arr.astype(np.int64, copy=False))


@runs_on(0)
def unique(input, sorted=True, return_inverse=False, return_counts=False, dim=None):
    """unique(input, sorted=True, return_inverse=False, return_counts=False, dim=None).

    Returns the unique elements (or slices along dim), plus the inverse indices and
    counts when asked. The output is always sorted. NaNs are not merged, as in torch.
    """
    x = input._data
    xp = xp_of(x)
    if dim is None:
        flat = x.reshape(-1)
        kw = {"equal_nan": False} if xp is np and x.dtype.kind in "fc" else {}
        out, inv, cnt = xp.unique(flat, return_inverse=True, return_counts=True, **kw)
        inv = inv.reshape(x.shape)
    else:
        d = _int_dim(dim, x.ndim, "unique")
        if x.shape[d] == 0:
            out = x
            inv, cnt = xp.zeros(0, dtype=np.int64), xp.zeros(0, dtype=np.int64)
        else:
            out, inv, cnt = xp.unique(x, return_inverse=True, return_counts=True, axis=d)
        inv = inv.reshape(-1)
    return _results(Tensor._make(out), _long(inv), _long(cnt), return_inverse, return_counts)


@runs_on(0)
def unique_consecutive(input, return_inverse=False, return_counts=False, dim=None):
    """unique_consecutive(input, return_inverse=False, return_counts=False, dim=None).

    Collapses runs of equal consecutive elements (or slices along dim).
    """
    x = input._data
    xp = xp_of(x)
    if dim is None:
        rows, d, shape = x.reshape(-1, 1), 0, x.shape
    else:
        d = _int_dim(dim, x.ndim, "unique_consecutive")
        moved = xp.moveaxis(x, d, 0)
        rows, shape = moved.reshape(moved.shape[0], -1), (x.shape[d],)
    n = rows.shape[0]
    starts = xp.ones(n, dtype=bool)
    if n > 1:
        starts[1:] = (rows[1:] != rows[:-1]).any(axis=1) if rows.shape[1] else False
    first = xp.nonzero(starts)[0]
    if dim is None:
        out = x.reshape(-1)[first]
    else:
        out = xp.take(x, first, axis=d)
    inv = (xp.cumsum(starts) - 1).reshape(shape)
    cnt = xp.diff(xp.concatenate([first, xp.asarray([n], dtype=first.dtype)]))
    return _results(Tensor._make(out), _long(inv), _long(cnt), return_inverse, return_counts)


# ---- searchsorted, bucketize, histc ---------------------------------------------------
def _values_array(values, like: Tensor):
    if isinstance(values, Tensor):
        return values._data
    if isinstance(values, numbers.Number):
        return xp_of(like._data).asarray(values)
    raise TypeError(f"expected a Tensor or a number as input, got {type(values).__name__}")


@runs_on(0)
def searchsorted(sorted_sequence, input, *, out_int32=False, right=False, side=None,
                 sorter=None) -> Tensor:
    """searchsorted(sorted_sequence, input, *, out_int32=False, right=False, side=None, sorter=None).

    sorted_sequence is 1-D, or N-D with leading dims matching input's (one search per row).
    side='right' (or right=True) returns the index after equal elements.
    """
    if side is not None:
        if side not in ("left", "right"):
            raise RuntimeError(f"torch.searchsorted(): side can only be 'left' or 'right' but "
                               f"got {side}")
        if right and side == "left":
            raise RuntimeError("torch.searchsorted(): side and right can't be set to opposites, "
                               "got side of left while right was True")
    side = side or ("right" if right else "left")
    seq = sorted_sequence._data
    xp = xp_of(seq)
    vals = _values_array(input, sorted_sequence)
    srt = None if sorter is None else sorter._data
    if seq.ndim == 0:
        raise RuntimeError("torch.searchsorted(): boundaries tensor should have positive dimension, "
                           "but got 0 dimension")
    if seq.ndim == 1:
        out = xp.searchsorted(seq, vals, side=side, sorter=srt)
    else:
        if vals.ndim != seq.ndim or vals.shape[:-1] != seq.shape[:-1]:
            raise RuntimeError(
                f"torch.searchsorted(): boundaries tensor should be 1 dimension or the first N-1 "
                f"dimensions of boundaries tensor and input value tensor must match, but we got "
                f"boundaries tensor {list(seq.shape)} and input value tensor {list(vals.shape)}")
        s2, v2 = seq.reshape(-1, seq.shape[-1]), vals.reshape(-1, vals.shape[-1])
        o2 = xp.empty(v2.shape, dtype=np.int64)
        srt2 = None if srt is None else srt.reshape(-1, srt.shape[-1])
        for r in range(s2.shape[0]):
            o2[r] = xp.searchsorted(s2[r], v2[r], side=side,
                                    sorter=None if srt2 is None else srt2[r])
        out = o2.reshape(vals.shape)
    return Tensor._make(xp.asarray(out).astype(np.int32 if out_int32 else np.int64))


@runs_on(1)
def bucketize(input, boundaries, *, out_int32=False, right=False) -> Tensor:
    """bucketize(input, boundaries, *, out_int32=False, right=False): bucket index per element.

    right=False: boundaries[i-1] < x <= boundaries[i]; right=True: boundaries[i-1] <= x < boundaries[i].
    """
    if boundaries.ndim != 1:
        raise RuntimeError(f"boundaries tensor must be 1 dimension, but got dim({boundaries.ndim})")
    vals = _values_array(input, boundaries)
    xp = xp_of(boundaries._data)
    out = xp.searchsorted(boundaries._data, vals, side="right" if right else "left")
    return Tensor._make(xp.asarray(out).astype(np.int32 if out_int32 else np.int64))


@runs_on(0)
def histc(input, bins=100, min=0, max=0) -> Tensor:
    """histc(input, bins=100, min=0, max=0): histogram with equal-width bins over [min, max].

    min == max uses the data's range (widened by 1 on each side if it is a single value).
    Elements outside the range (and NaN) are ignored; the result has input's dtype.
    """
    if input.dtype.category != 2:
        raise RuntimeError(f"torch.histc: input tensor must be floating point, got {input.dtype}")
    bins = int(bins)
    if bins <= 0:
        raise RuntimeError("torch.histc: bins must be > 0")
    x = input._data.reshape(-1)
    xp = xp_of(x)
    lo, hi = float(min), float(max)
    if lo > hi:
        raise RuntimeError("torch.histc: max must be larger than min")
    if lo == hi and x.size:
        finite = x[xp.isfinite(x)]
        if finite.size:
            lo, hi = float(finite.min()), float(finite.max())
    if lo == hi:
        lo, hi = lo - 1, hi + 1
    if not (np.isfinite(lo) and np.isfinite(hi)):
        raise RuntimeError(f"torch.histc: range of [{lo}, {hi}] is not finite")
    inside = x[(x >= lo) & (x <= hi)].astype(np.float64)
    pos = ((inside - lo) / (hi - lo) * bins).astype(np.int64)
    pos = xp.minimum(pos, bins - 1)  # the right edge belongs to the last bin
    counts = xp.bincount(pos, minlength=bins)[:bins]
    return Tensor._make(counts.astype(x.dtype))
