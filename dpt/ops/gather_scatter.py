"""Gather and scatter along a dim: gather, take_along_dim, scatter, scatter_add and
scatter_reduce. Each backward is the other family's op (gather's is a scatter-add, a
scatter's a gather), so double backward works."""
from __future__ import annotations

import numpy as np

from .. import _dtype
from .._device import move, ufunc_at, xp_of
from .._tensor import Tensor, _wrap_dim
from ..autograd.function import Function
from .creation import full, zeros
from .indexing import _check_range, _full_index, _index_array, _tname, where

__all__ = ["gather", "scatter", "scatter_add", "scatter_reduce", "index_reduce",
           "take_along_dim"]


def _gs_check(input, dim, index, src, op):
    """Shared checks of gather/scatter: (dim, index array) with torch's messages."""
    d = _wrap_dim(dim, input.ndim, op)
    if isinstance(index, Tensor) and index.numel() and index.dtype not in (_dtype.int32,
                                                                        _dtype.int64):
        raise RuntimeError(f"{op}(): Expected dtype int32/int64 for index")
    idx = _index_array(index, input, op)
    if idx.size == 0:
        # torch checks nothing else for an empty index: the op reads and writes nothing.
        return d, idx.reshape((0,) * max(input.ndim, 1))
    ind = max(index.ndim, 1)
    if ind != max(input.ndim, 1) and index.numel() != 0:
        raise RuntimeError("Index tensor must have the same number of dimensions as input tensor")
    if isinstance(src, Tensor) and max(src.ndim, 1) != ind and index.numel() != 0:
        raise RuntimeError("Index tensor must have the same number of dimensions as src tensor")
    ishape = list(index.shape) or [1]
    xshape = list(input.shape) or [1]
    for k in range(len(ishape)):
        if k != d and ishape[k] > xshape[k]:
            raise RuntimeError(f"Size does not match at dimension {k} expected index {ishape} to be "
                               f"smaller than self {xshape} apart from dimension {d}")
        if isinstance(src, Tensor):
            sshape = list(src.shape) or [1]
            if ishape[k] > sshape[k]:
                raise RuntimeError(f"Expected index {ishape} to be smaller than self {xshape} apart "
                                   f"from dimension {d} and to be smaller size than src {sshape}")
    idx = idx.reshape(ishape)
    _check_range(idx, xshape[d], d, op, error=RuntimeError)
    return d, idx


class Gather(Function):
    saves_input_values = False

    def forward(self, x, dim, idx):
        self.shape, self.dim, self.idx = x.shape, dim, idx
        return x[_full_index(xp_of(x), idx, dim)]

    def backward(self, gz):
        z = zeros(self.shape, dtype=gz.dtype, device=gz.device)
        return ScatterAdd.apply(z, gz, self.dim, self.idx)


def gather(input: Tensor, dim: int, index: Tensor, *, sparse_grad: bool = False) -> Tensor:
    """gather(dim, index): out[i][j][k] = input[i][index[i][j][k]][k] (for dim=1)."""
    d, idx = _gs_check(input, dim, index, None, "gather")
    out = Gather.apply(input.reshape(1) if input.ndim == 0 else input, d, idx)
    return out if out.shape == index.shape else out.reshape(index.shape)


def _src_view(src, idx_shape):
    """src cut to the index's shape (the part scatter reads), a differentiable view."""
    if isinstance(src, Tensor):
        s = src.reshape(1) if src.ndim == 0 else src
        if 0 in idx_shape:
            return s.reshape(-1)[:0].reshape(idx_shape)
        if tuple(s.shape) != tuple(idx_shape):
            s = s[tuple(slice(0, n) for n in idx_shape)]
        return s
    return src


class Scatter(Function):
    saves_input_values = False

    def forward(self, x, src, dim, idx):
        self.dim, self.idx = dim, idx
        y = x.copy()
        y[_full_index(xp_of(x), idx, dim)] = src
        return y

    def backward(self, gz):
        gx = gs = None
        if self.needs_input_grad[0]:
            gx = Scatter.apply(gz, 0, self.dim, self.idx)
        if self.needs_input_grad[1]:
            gs = Gather.apply(gz, self.dim, self.idx)
        return gx, gs


class ScatterAdd(Function):
    saves_input_values = False

    def forward(self, x, src, dim, idx):
        self.dim, self.idx = dim, idx
        y = x.copy()
        ufunc_at(xp_of(x), "add", y, _full_index(xp_of(x), idx, dim), src)
        return y

    def backward(self, gz):
        gs = Gather.apply(gz, self.dim, self.idx) if self.needs_input_grad[1] else None
        return gz, gs


def _scatter_prep(input, dim, index, src, op):
    if isinstance(src, Tensor) and src.dtype is not input.dtype:
        raise RuntimeError(f"{op}(): Expected self.dtype to be equal to src.dtype")
    d, idx = _gs_check(input, dim, index, src, op)
    x = input.reshape(1) if input.ndim == 0 else input
    return x, d, idx, _src_view(src, idx.shape)


def scatter(input: Tensor, dim: int, index: Tensor, src=None, *, value=None, reduce=None) -> Tensor:
    """scatter(dim, index, src|value, *, reduce=None): out[index[i][j]][j] = src[i][j] (dim=0).

    reduce='add' or 'multiply' accumulates instead (as scatter_reduce 'sum'/'prod' with
    include_self=True). With duplicate indices and no reduce, the last write wins.
    """
    if src is None:
        src = value
    if src is None:
        raise TypeError("scatter() missing required argument 'src' or 'value'")
    if reduce is not None:
        if reduce not in ("add", "multiply"):
            raise RuntimeError(f"reduce argument must be either add or multiply, got {reduce}")
        if not isinstance(src, Tensor):
            src = full(tuple(index.shape), src, dtype=input.dtype, device=input.device)
        return scatter_reduce(input, dim, index, src, "sum" if reduce == "add" else "prod")
    x, d, idx, s = _scatter_prep(input, dim, index, src, "scatter")
    return Scatter.apply(x, s, d, idx).reshape(input.shape)


def scatter_add(input: Tensor, dim: int, index: Tensor, src: Tensor) -> Tensor:
    """scatter_add(dim, index, src): out[index[i][j]][j] += src[i][j] (dim=0)."""
    x, d, idx, s = _scatter_prep(input, dim, index, src, "scatter_add")
    return ScatterAdd.apply(x, s, d, idx).reshape(input.shape)


_REDUCE_UFUNC = {"sum": "add", "prod": "multiply", "mean": "add", "amax": "maximum",
                 "amin": "minimum"}


class ScatterReduce(Function):
    def forward(self, x, src, dim, idx, reduce, include_self):
        xp = xp_of(x)
        full = _full_index(xp, idx, dim)
        self.dim, self.idx, self.reduce, self.include_self = dim, idx, reduce, include_self
        hits = xp.zeros(x.shape, dtype=xp.int64)
        ufunc_at(xp, "add", hits, full, xp.ones(idx.shape, dtype=xp.int64))
        self.hit = hit = hits > 0
        y = x.copy()
        if not include_self:
            y[hit] = _identity(reduce, x.dtype, xp)
        ufunc_at(xp, _REDUCE_UFUNC[reduce], y, full, src)
        if reduce == "mean":
            count = hits + (1 if include_self else 0)
            self.count = xp.maximum(count, 1)
            y = y / self.count if x.dtype.kind in "fc" else y // self.count
            y = xp.where(hit, y, x).astype(x.dtype)
        if reduce in ("amax", "amin"):
            src_win = src == y[full]
            x_win = hit & (x == y) if include_self else xp.zeros(x.shape, dtype=bool)
            ties = x_win.astype(x.dtype)
            ufunc_at(xp, "add", ties, full, src_win.astype(x.dtype))
            self.src_win, self.x_win, self.ties = src_win, x_win, xp.maximum(ties, 1)
        return y

    def backward(self, gz):
        need_x, need_s = self.needs_input_grad[:2]
        hit = Tensor._make(self.hit)
        gx = gs = None
        r, d, idx = self.reduce, self.dim, self.idx
        if r == "sum":
            gx = gz if self.include_self else gz.masked_fill(hit, 0)
            gs = Gather.apply(gz, d, idx) if need_s else None
        elif r == "mean":
            g = gz / Tensor._make(self.count.astype(gz._data.dtype))
            gx = where(hit, g, gz) if self.include_self else gz.masked_fill(hit, 0)
            gs = Gather.apply(g, d, idx) if need_s else None
        elif r in ("amax", "amin"):
            g = gz / Tensor._make(self.ties)
            gx = where(hit, g * Tensor._make(self.x_win), gz)
            gs = Gather.apply(g, d, idx) * Tensor._make(self.src_win) if need_s else None
        else:
            gx, gs = self._prod_grads(gz, hit)
        return (gx if need_x else None), gs

    def _prod_grads(self, gz, hit):
        # Products of the other contributors, safe where some factors are zero: count zeros
        # per output, multiply the nonzero factors, and use the count to pick the formula.
        x, src = self.inputs[:2]
        d, idx, inc = self.dim, self.idx, self.include_self
        xp = xp_of(gz._data)
        full = _full_index(xp, idx, d)
        zs_arr = src._data == 0
        zeros = (x._data == 0) & self.hit if inc else xp.zeros(x.shape, dtype=bool)
        zeros = zeros.astype(xp.int64)
        ufunc_at(xp, "add", zeros, full, zs_arr.astype(xp.int64))
        zx, zs = Tensor._make(x._data == 0), Tensor._make(zs_arr)
        x1, s1 = x.masked_fill(zx, 1), src.masked_fill(zs, 1)
        p1 = ScatterReduce.apply(x1, s1, d, idx, "prod", inc)
        nz = Tensor._make(zeros)
        gs = None
        if self.needs_input_grad[1]:
            pg, nzg = Gather.apply(p1, d, idx), Tensor._make(zeros[full])
            excl = where(zs, pg * (nzg == 1), pg / s1 * (nzg == 0))
            gs = Gather.apply(gz, d, idx) * excl
        if inc:
            excl_x = where(zx, p1 * (nz == 1), p1 / x1 * (nz == 0))
            gx = where(hit, gz * excl_x, gz)
        else:
            gx = gz.masked_fill(hit, 0)
        return gx, gs


def _identity(reduce, dtype, xp):
    if reduce in ("sum", "mean"):
        return 0
    if reduce == "prod":
        return 1
    big = xp.inf if dtype.kind == "f" else (True if dtype.kind == "b" else np.iinfo(dtype).max)
    if reduce == "amax":
        return -big if dtype.kind == "f" else (False if dtype.kind == "b" else np.iinfo(dtype).min)
    return big


def scatter_reduce(input: Tensor, dim: int, index: Tensor, src: Tensor, reduce: str, *,
                   include_self: bool = True) -> Tensor:
    """scatter_reduce(dim, index, src, reduce, *, include_self=True).

    reduce is 'sum', 'prod', 'mean', 'amax' or 'amin'; positions no index reaches keep input.
    Gradients of amax/amin are shared evenly among tied values, as in torch.
    """
    if reduce not in _REDUCE_UFUNC:
        raise RuntimeError(f"reduce argument must be either sum, prod, mean, amax or amin, got "
                           f"{reduce}")
    if not isinstance(src, Tensor):
        raise TypeError(f"scatter_reduce(): argument 'src' must be Tensor, not {type(src).__name__}")
    x, d, idx, s = _scatter_prep(input, dim, index, src, "scatter_reduce")
    return ScatterReduce.apply(x, s, d, idx, reduce, bool(include_self)).reshape(input.shape)


_INDEX_REDUCE = ("prod", "mean", "amax", "amin")


def index_reduce(input: Tensor, dim: int, index: Tensor, source: Tensor, reduce: str, *,
                 include_self: bool = True) -> Tensor:
    """index_reduce(dim, index, source, reduce, *, include_self=True): reduce the slices
    source[..., i, ...] into input[..., index[i], ...] with 'prod', 'mean', 'amax' or 'amin'.

    It is scatter_reduce with index spread over source's other dims, and has its gradients
    (ties of amax/amin share the gradient evenly).
    """
    if reduce not in _INDEX_REDUCE:
        raise RuntimeError(f"index_reduce(): Expected reduce to be one of prod, mean, amax or "
                           f"amin but got {reduce}.")
    if not isinstance(source, Tensor):
        raise TypeError(f"index_reduce(): argument 'source' (position 3) must be Tensor, not "
                        f"{type(source).__name__}")
    d = _wrap_dim(dim, input.ndim, "index_reduce")
    if not isinstance(index, Tensor):
        raise TypeError(f"index_reduce(): argument 'index' (position 2) must be Tensor, not "
                        f"{type(index).__name__}")
    if index.dtype not in (_dtype.int32, _dtype.int64):
        raise RuntimeError(f"index_reduce_(): Expected dtype int32/int64 for index but got: "
                           f"{_tname(index)}")
    if index.ndim > 1:
        raise IndexError("index_reduce_(): Index is supposed to be a vector")
    x, src = input.reshape(1) if input.ndim == 0 else input, \
        source.reshape(1) if source.ndim == 0 else source
    if src.ndim != x.ndim:
        raise RuntimeError("index_reduce_(): Source and self must have the same number of "
                           "dimensions (or both be scalars)")
    if index.numel() != src.shape[d]:
        raise RuntimeError(f"index_reduce_(): Number of indices ({index.numel()}) should be equal "
                           f"to source.size(dim): ({src.shape[d]}), for dim: {d}")
    for k in range(x.ndim):
        if k != d and src.shape[k] != x.shape[k]:
            raise RuntimeError(f"index_reduce_(): self and source must have the same size apart "
                               f"from dim {d}, but got self {list(input.shape)} and source "
                               f"{list(source.shape)}")
    if source.dtype is not input.dtype:
        raise RuntimeError("index_reduce_(): self and source must have the same scalar type")
    idx = move(index._data, input.device).reshape(-1)
    if idx.size and (int(idx.min()) < 0 or int(idx.max()) >= x.shape[d]):
        raise IndexError("index out of range in self")
    shape = [1] * x.ndim
    shape[d] = idx.size
    xp = xp_of(x._data)
    full_idx = xp.ascontiguousarray(xp.broadcast_to(idx.reshape(shape), tuple(src.shape)))
    out = ScatterReduce.apply(x, src, d, full_idx, reduce, bool(include_self))
    return out.reshape(input.shape)


def take_along_dim(input: Tensor, indices: Tensor, dim: int | None = None) -> Tensor:
    """take_along_dim(indices, dim=None): gather along dim after broadcasting the other dims
    (the flattened input when dim is None). Along a dim, indices wrap modulo its size, as in
    torch."""
    if indices.dtype is not _dtype.int64:
        raise RuntimeError(f"torch.take_along_dim(): dtype of indices should be Long but got "
                           f"{_tname(indices)}")
    if dim is None:
        return gather(input.reshape(-1), 0, indices.reshape(-1))
    if input.ndim != indices.ndim:
        raise RuntimeError(f"torch.take_along_dim(): input and indices should have the same number "
                           f"of dimensions, but got {input.ndim} dimensions for input, and "
                           f"{indices.ndim} dimensions for indices")
    if input.ndim == 0:
        raise IndexError(f"Dimension specified as {dim} but tensor has no dimensions")
    d = _wrap_dim(dim, input.ndim, "take_along_dim")
    shp_x, shp_i = list(input.shape), list(indices.shape)
    for k in range(input.ndim):
        if k == d:
            continue
        a, b = shp_x[k], shp_i[k]
        if a != b and a != 1 and b != 1:
            raise RuntimeError(f"The size of tensor a ({a}) must match the size of tensor b ({b}) "
                               f"at non-singleton dimension {k}")
        shp_x[k] = shp_i[k] = max(a, b) if min(a, b) else 0
    n = input.shape[d]
    if n and indices.numel():
        # torch wraps the indices along dim modulo its size (so -1 is the last element, and
        # so is n - 1 + n); the flattened form (dim=None) does not wrap
        indices = Tensor._make(indices._data % n)
    return gather(input.expand(shp_x), d, indices.expand(shp_i))
