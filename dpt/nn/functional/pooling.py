"""Pooling: max/avg/LP pooling, adaptive and fractional max pooling, max unpooling.

Fixed-window pools run over strided slices of the padded input, looping over the
kernel offsets only. Max pools return int64 indices into each input plane (as torch);
their gradient is a scatter-add at those indices, and the scatter and gather are a
pair of Functions, each the other's backward, so double backward works. Average
pooling and its adjoint are likewise a pair. Adaptive average pooling is separable:
one small averaging matrix per spatial dim.
"""
from __future__ import annotations

import math

import numpy as np

from ... import ops
from ..._device import runs_on, xp_of
from ..._tensor import Tensor
from ...autograd.function import Function
from ...autograd.grad_mode import is_grad_enabled
from .conv import _ntuple, pad_array

__all__ = ["max_pool1d", "max_pool2d", "max_pool3d", "max_pool1d_with_indices",
           "max_pool2d_with_indices", "max_pool3d_with_indices", "max_unpool1d", "max_unpool2d",
           "max_unpool3d", "avg_pool1d", "avg_pool2d", "avg_pool3d", "adaptive_avg_pool1d",
           "adaptive_avg_pool2d", "adaptive_avg_pool3d", "adaptive_max_pool1d",
           "adaptive_max_pool2d", "adaptive_max_pool3d", "adaptive_max_pool1d_with_indices",
           "adaptive_max_pool2d_with_indices", "adaptive_max_pool3d_with_indices", "lp_pool1d",
           "lp_pool2d", "lp_pool3d", "fractional_max_pool2d", "fractional_max_pool2d_with_indices",
           "fractional_max_pool3d", "fractional_max_pool3d_with_indices"]


# --------------------------------------------------------------------------------------
# Gather / scatter at plane indices: (N, C, *S) <-> (N, C, *O) through int64 idx (N, C, *O)
# --------------------------------------------------------------------------------------
class _Gather(Function):
    def forward(self, x, *, idx):
        self.idx = idx
        xp = xp_of(x)
        n, c = x.shape[:2]
        flat = x.reshape(n, c, -1)
        return xp.take_along_axis(flat, idx.reshape(n, c, -1), axis=2).reshape(idx.shape)

    def backward(self, g):
        x, = self.inputs
        return _ScatterAdd.apply(g, idx=self.idx, shape=tuple(x.shape))


def _scatter_add_planes(g, idx, shape, unique=False):
    """zeros(shape) with g added at the flat per-plane positions idx (N, C, ...)."""
    xp = xp_of(g)
    n, c = shape[:2]
    plane = math.prod(shape[2:])
    offs = (xp.arange(n * c, dtype=np.int64) * plane).reshape(n, c, *([1] * (idx.ndim - 2)))
    if unique:  # no index repeats within a plane (non-overlapping windows): a plain store
        out = xp.zeros(n * c * plane, dtype=g.dtype)
        out[(idx + offs).ravel()] = g.ravel()
        return out.reshape(shape)
    flat = xp.bincount((idx + offs).ravel(), weights=g.ravel().astype(np.float64),
                       minlength=n * c * plane)
    return flat.astype(g.dtype).reshape(shape)


class _ScatterAdd(Function):
    def forward(self, g, *, idx, shape, unique=False):
        self.idx = idx
        return _scatter_add_planes(g, idx, shape, unique)

    def backward(self, gg):
        return _Gather.apply(gg, idx=self.idx)


class _ScatterSet(Function):
    """out[idx] = g on zeros (max_unpool); duplicate indices keep one value."""

    def forward(self, g, *, idx, shape):
        self.idx = idx
        xp = xp_of(g)
        n, c = shape[:2]
        out = xp.zeros((n * c, math.prod(shape[2:])), dtype=g.dtype)
        rows = xp.arange(n * c)[:, None]
        out[rows, idx.reshape(n * c, -1)] = g.reshape(n * c, -1)  # plain indexing: GPU arrays too
        return out.reshape(shape)

    def backward(self, gg):
        return _Gather.apply(gg, idx=self.idx)


# --------------------------------------------------------------------------------------
# Shared argument handling
# --------------------------------------------------------------------------------------
def _batched(name, input, nd):
    if not isinstance(input, Tensor):
        raise TypeError(f"{name}(): argument 'input' must be Tensor, not {type(input).__name__}")
    if input.ndim not in (nd + 1, nd + 2):
        raise RuntimeError(f"{name}: Expected {nd + 1}D or {nd + 2}D (batch mode) tensor for "
                           f"input, but got input of size: {list(input.shape)}")
    if any(s == 0 for s in input.shape[-nd - 1 if input.ndim == nd + 1 else 1:]):
        raise RuntimeError(f"{name}: Expected input's non-batch dimensions to have positive "
                           f"length, but input has a shape of {list(input.shape)}")
    return (input.unsqueeze(0), True) if input.ndim == nd + 1 else (input, False)


def _pool_out(size, k, s, p, d, ceil_mode):
    span = size + 2 * p - d * (k - 1) - 1
    out = (span + (s - 1 if ceil_mode else 0)) // s + 1
    if ceil_mode and (out - 1) * s >= size + p:
        out -= 1  # the last window must start inside the input or its left padding
    return out


def _pool_setup(name, nd, input, kernel_size, stride, padding, dilation, ceil_mode):
    kernel = _ntuple(kernel_size, nd, "kernel_size")
    stride = kernel if stride is None or (isinstance(stride, (list, tuple)) and not stride) \
        else _ntuple(stride, nd, "stride")
    padding = _ntuple(padding, nd, "padding")
    dilation = _ntuple(dilation, nd, "dilation")
    if any(k <= 0 for k in kernel):
        raise RuntimeError(f"{name}: kernel_size must be greater than zero, but got "
                           f"{list(kernel)}")
    if any(s <= 0 for s in stride):
        raise RuntimeError(f"{name}: stride must be greater than zero, but got {list(stride)}")
    if any(d <= 0 for d in dilation):
        raise RuntimeError(f"{name}: dilation must be greater than zero, but got "
                           f"{list(dilation)}")
    for p, k, d in zip(padding, kernel, dilation):
        if p < 0 or p > (d * (k - 1) + 1) // 2:
            raise RuntimeError(f"{name}: pad should be at most half of effective kernel size, "
                               f"but got pad={p}, kernel_size={k} and dilation={d}")
    sizes = tuple(input.shape[2:])
    out = tuple(_pool_out(sizes[i], kernel[i], stride[i], padding[i], dilation[i], ceil_mode)
                for i in range(nd))
    if any(o <= 0 for o in out):
        raise RuntimeError(f"Given input size: ({'x'.join(map(str, input.shape[1:]))}). "
                           f"Calculated output size: ({input.shape[1]}x{'x'.join(map(str, out))}"
                           f"). Output size is too small")
    # right padding so that every window (ceil_mode included) lies inside the array
    pads = tuple((padding[i], max(0, (out[i] - 1) * stride[i] + dilation[i] * (kernel[i] - 1) + 1
                                  - sizes[i] - padding[i])) for i in range(nd))
    return kernel, stride, padding, dilation, out, pads


def _offset_slices(kernel, stride, dilation, out):
    """For each kernel offset, the strided slice of the padded array it reads."""
    for k in np.ndindex(*kernel):
        yield k, (slice(None), slice(None)) + tuple(
            slice(k[i] * dilation[i], k[i] * dilation[i] + (out[i] - 1) * stride[i] + 1, stride[i])
            for i in range(len(kernel)))


# --------------------------------------------------------------------------------------
# Max pooling
# --------------------------------------------------------------------------------------
def _lowest(xp, dtype):
    return -xp.inf if np.dtype(dtype).kind in "fc" else np.iinfo(dtype).min


def _max_pool_unpadded(x, kernel, stride, dilation, out):
    """_max_pool_indices without padding, for real dtypes: a chain of maximum() for the values,
    then, per offset from the last to the first, a small-int code of the first offset holding
    the max (arithmetic select, no masked copies); flat indices come from a lookup table."""
    xp = xp_of(x)
    nd = len(kernel)
    views = [x[sl] for _, sl in _offset_slices(kernel, stride, dilation, out)]
    if len(views) == 1:
        best = views[0].copy()
    else:
        best = xp.maximum(views[0], views[1])
        for v in views[2:]:
            xp.maximum(best, v, out=best)
    nan = x.dtype.kind == "f" and bool(xp.isnan(best).any())  # max() propagates NaN
    last = len(views) - 1
    code = xp.full(best.shape, last, dtype=np.int8 if last < 127 else np.int64)
    for j in range(last - 1, -1, -1):
        hit = views[j] == best
        if nan:
            hit |= xp.isnan(views[j])
        code -= (code - j) * hit
    pstride = [math.prod(x.shape[3 + i:]) for i in range(nd)]  # element strides in a plane
    table = xp.asarray([sum(k[i] * dilation[i] * pstride[i] for i in range(nd))
                        for k in np.ndindex(*kernel)], dtype=np.int64)
    grid = xp.zeros(tuple(out), dtype=np.int64)
    for i in range(nd):
        shape = [1] * nd
        shape[i] = out[i]
        grid += (xp.arange(out[i], dtype=np.int64) * (stride[i] * pstride[i])).reshape(shape)
    idx = xp.take(table, code)
    idx += grid
    return best, idx


def _max_pool_indices(x, kernel, stride, dilation, out, pads):
    """(max values, int64 flat indices into each input plane), one pass per kernel offset."""
    xp = xp_of(x)
    if x.dtype.kind in "fiu" and not any(lo or hi for lo, hi in pads):
        return _max_pool_unpadded(x, kernel, stride, dilation, out)
    sizes = x.shape[2:]
    xpad = pad_array(x, pads, _lowest(xp, x.dtype))
    pos = xp.arange(math.prod(sizes), dtype=np.int64).reshape((1, 1) + tuple(sizes))
    pos = pad_array(pos, pads, -1)
    best = idx = None
    for _, sl in _offset_slices(kernel, stride, dilation, out):
        v, p = xpad[sl], pos[sl]
        if best is None:
            best, idx = v.copy(), xp.broadcast_to(p, v.shape).copy()
            continue
        take = v > best
        if x.dtype.kind in "fc":
            take |= xp.isnan(v) & ~xp.isnan(best)
        xp.copyto(best, v, where=take)
        xp.copyto(idx, xp.broadcast_to(p, v.shape), where=take)
    return best, idx


class _MaxPool(Function):
    """(values, int64 indices); the gradient is a scatter-add at the indices."""

    def forward(self, x, *, kernel, stride, dilation, out, pads):
        best, self.idx = _max_pool_indices(x, kernel, stride, dilation, out, pads)
        # windows that cannot overlap pick distinct positions: backward is a plain store
        self.unique = all(s >= d * (k - 1) + 1 for k, s, d in zip(kernel, stride, dilation))
        return best, self.idx

    def backward(self, g, g_idx=None):
        x, = self.inputs
        return _ScatterAdd.apply(g, idx=self.idx, shape=tuple(x.shape), unique=self.unique)


def _chain_max(xp, views):
    if len(views) == 1:
        return views[0].copy()
    best = xp.maximum(views[0], views[1])
    for v in views[2:]:
        xp.maximum(best, v, out=best)
    return best


class _MaxPoolValues(Function):
    """Max pool without indices, for unpadded real inputs whose windows cannot overlap (the
    usual 2x2 / stride-2 pool). Forward is a chain of maximum() over the strided tap views;
    backward sends each gradient to the first tap holding its window's max (torch's argmax),
    one multiply by a boolean mask per tap into a strided slice of the result: no int64
    indices, no scatter. A graph of the gradient (create_graph), a NaN max or a non-finite
    gradient take the index path (_ScatterAdd, differentiable).

    2x2 windows (track=True, i.e. a gradient may be wanted): forward takes the max of each
    row pair first and keeps which row holds the window max (top row on ties), so backward
    needs one strided compare per row instead of one per tap."""

    def forward(self, x, *, kernel, stride, dilation, out, track=False):
        self.args = (kernel, stride, dilation, out)
        xp = xp_of(x)
        views = [x[sl] for _, sl in _offset_slices(kernel, stride, dilation, out)]
        self._top = None
        if track and tuple(kernel) == (2, 2):
            best = xp.maximum(views[0], views[1])
            low = xp.maximum(views[2], views[3])
            self._top = best >= low
            xp.maximum(best, low, out=best)
            self._nan = x.dtype.kind == "f" and bool(xp.isnan(best).any())
            return best
        best = _chain_max(xp, views)
        self._best = best  # reused by backward unless modified in place meanwhile
        return best

    def backward(self, g):
        x, = self.inputs
        return _MaxPoolValuesGrad.apply(g, pool=self, x=x._data)

    def indices(self, x):
        """Flat per-plane index of each window's max tap (torch's argmax)."""
        kernel, stride, dilation, out = self.args
        return _max_pool_unpadded(x, kernel, stride, dilation, out)[1]

    def route(self, x, g):
        """The input gradient by comparing taps with the window max (no indices), or None
        where that cannot be exact (NaN windows, non-finite gradients)."""
        xp = xp_of(x)
        kernel, stride, dilation, out = self.args
        slices = [sl for _, sl in _offset_slices(kernel, stride, dilation, out)]
        views = [x[sl] for sl in slices]
        # every input element lies in exactly one window: no zero fill needed
        tiled = all((d == 1 or k == 1) and s == k and o * s == n for k, s, d, o, n in
                    zip(kernel, stride, dilation, out, x.shape[2:]))
        if self._top is not None:  # 2x2: row chosen in forward, one compare per row here
            if self._nan or (x.dtype.kind == "f" and not bool(xp.isfinite(g).all())):
                return None
            gx = xp.empty(x.shape, dtype=g.dtype) if tiled else xp.zeros(x.shape,
                                                                          dtype=g.dtype)
            top = self._top
            left = views[0] >= views[1]  # the first tap of a row wins ties, as in torch
            xp.multiply(g, top & left, out=gx[slices[0]])
            xp.multiply(g, top & ~left, out=gx[slices[1]])
            bottom = ~top
            left = views[2] >= views[3]
            xp.multiply(g, bottom & left, out=gx[slices[2]])
            xp.multiply(g, bottom & ~left, out=gx[slices[3]])
            return gx
        best = self._best
        if self._out_meta[0][2][0] != self._out_versions[0]:
            best = _chain_max(xp, views)
        if x.dtype.kind == "f" and (bool(xp.isnan(best).any()) or
                                    not bool(xp.isfinite(g).all())):
            return None  # NaN windows pick NaN taps; inf * 0 would leak NaN into the zeros
        gx = xp.empty(x.shape, dtype=g.dtype) if tiled else xp.zeros(x.shape, dtype=g.dtype)
        free = None  # windows whose max tap is not found yet
        last = len(slices) - 1
        for j, sl in enumerate(slices):
            if j == last:
                hit = free
            else:
                hit = views[j] == best
                if free is None:
                    free = ~hit
                else:
                    hit &= free
                    free &= ~hit
            if hit is None:
                gx[sl] = g
            else:
                xp.multiply(g, hit, out=gx[sl])
        return gx


class _MaxPoolValuesGrad(Function):
    """The gradient of _MaxPoolValues: g sent to each window's max tap.

    Forward routes g by comparing taps (pool.route) and falls back to indices where that
    cannot be exact; it is linear in g, and its backward gathers at the same taps, so
    double backward works."""

    def forward(self, g, *, pool, x):
        self.pool, self.x = pool, x
        gx = pool.route(x, g)
        return gx if gx is not None else _scatter_add_planes(g, pool.indices(x), x.shape, True)

    def backward(self, gg):
        return _Gather.apply(gg, idx=self.pool.indices(self.x))


def _max_poolnd(name, nd, input, kernel_size, stride, padding, dilation, ceil_mode,
                return_indices):
    x, unbatched = _batched(name, input, nd)
    kernel, stride, _, dilation, out, pads = _pool_setup(name, nd, x, kernel_size, stride,
                                                         padding, dilation, ceil_mode)
    if (not return_indices and x.dtype.np.kind in "fiu"
            and not any(lo or hi for lo, hi in pads)
            and all(s >= d * (k - 1) + 1 for k, s, d in zip(kernel, stride, dilation))):
        y = _MaxPoolValues.apply(x, kernel=kernel, stride=stride, dilation=dilation, out=out,
                                 track=is_grad_enabled() and x.requires_grad)
        return y.squeeze(0) if unbatched else y
    y, idx = _MaxPool.apply(x, kernel=kernel, stride=stride, dilation=dilation, out=out,
                            pads=pads)
    if unbatched:
        y = y.squeeze(0)
    if not return_indices:
        return y
    return y, (idx.squeeze(0) if unbatched else idx)


def max_pool1d(input, kernel_size, stride=None, padding=0, dilation=1, ceil_mode=False,
               return_indices=False):
    """max_pool1d(input, kernel_size, stride=None, padding=0, dilation=1, ceil_mode=False,
    return_indices=False); input (N, C, L) or (C, L); stride defaults to kernel_size."""
    return _max_poolnd("max_pool1d", 1, input, kernel_size, stride, padding, dilation, ceil_mode,
                       return_indices)


def max_pool2d(input, kernel_size, stride=None, padding=0, dilation=1, ceil_mode=False,
               return_indices=False):
    """max_pool2d(input, kernel_size, stride=None, padding=0, dilation=1, ceil_mode=False,
    return_indices=False); input (N, C, H, W) or (C, H, W)."""
    return _max_poolnd("max_pool2d", 2, input, kernel_size, stride, padding, dilation, ceil_mode,
                       return_indices)


def max_pool3d(input, kernel_size, stride=None, padding=0, dilation=1, ceil_mode=False,
               return_indices=False):
    """max_pool3d(input, kernel_size, stride=None, padding=0, dilation=1, ceil_mode=False,
    return_indices=False); input (N, C, D, H, W) or (C, D, H, W)."""
    return _max_poolnd("max_pool3d", 3, input, kernel_size, stride, padding, dilation, ceil_mode,
                       return_indices)


def max_pool1d_with_indices(input, kernel_size, stride=None, padding=0, dilation=1,
                            ceil_mode=False, return_indices=True):
    return max_pool1d(input, kernel_size, stride, padding, dilation, ceil_mode, True)


def max_pool2d_with_indices(input, kernel_size, stride=None, padding=0, dilation=1,
                            ceil_mode=False, return_indices=True):
    return max_pool2d(input, kernel_size, stride, padding, dilation, ceil_mode, True)


def max_pool3d_with_indices(input, kernel_size, stride=None, padding=0, dilation=1,
                            ceil_mode=False, return_indices=True):
    return max_pool3d(input, kernel_size, stride, padding, dilation, ceil_mode, True)


@runs_on(2)
def _max_unpoolnd(name, nd, input, indices, kernel_size, stride, padding, output_size):
    x, unbatched = _batched(name, input, nd)
    idx = indices.unsqueeze(0) if unbatched else indices
    if tuple(idx.shape) != tuple(x.shape):
        raise RuntimeError(f"{name}: Expected shape of indices to be same as that of the input "
                           f"tensor ({list(input.shape)}) but got indices tensor with shape: "
                           f"{list(indices.shape)}")
    if idx.dtype.category != 1:
        raise RuntimeError(f"{name}: Expected indices to be an int64 tensor, got {idx.dtype}")
    kernel = _ntuple(kernel_size, nd, "kernel_size")
    stride = kernel if stride is None else _ntuple(stride, nd, "stride")
    padding = _ntuple(padding, nd, "padding")
    default = [(x.shape[2 + i] - 1) * stride[i] - 2 * padding[i] + kernel[i] for i in range(nd)]
    if output_size is None:
        size = default
    else:
        size = list(output_size)[-nd:]
        if len(output_size) not in (nd, nd + 1, nd + 2):
            raise ValueError(f"output_size should be a sequence containing {nd} or {nd + 2} "
                             f"elements, but it has a length of '{len(output_size)}'")
        for i in range(nd):
            lo, hi = default[i] - stride[i], default[i] + stride[i]
            if not lo < size[i] < hi:
                raise ValueError(f"invalid output_size {list(output_size)} (dim {i} must be "
                                 f"between {lo} and {hi})")
    plane = math.prod(size)
    raw = idx._data
    if raw.size and (int(raw.min()) < 0 or int(raw.max()) >= plane):
        raise RuntimeError(f"{name}: Found an invalid max index: {int(raw.max())} (output volumes "
                           f"are of size {'x'.join(map(str, size))})")
    y = _ScatterSet.apply(x, idx=raw.astype(np.int64), shape=tuple(x.shape[:2]) + tuple(size))
    return y.squeeze(0) if unbatched else y


def max_unpool1d(input, indices, kernel_size, stride=None, padding=0, output_size=None):
    """max_unpool1d(input, indices, kernel_size, stride=None, padding=0, output_size=None)."""
    return _max_unpoolnd("max_unpool1d", 1, input, indices, kernel_size, stride, padding,
                         output_size)


def max_unpool2d(input, indices, kernel_size, stride=None, padding=0, output_size=None):
    """max_unpool2d(input, indices, kernel_size, stride=None, padding=0, output_size=None)."""
    return _max_unpoolnd("max_unpool2d", 2, input, indices, kernel_size, stride, padding,
                         output_size)


def max_unpool3d(input, indices, kernel_size, stride=None, padding=0, output_size=None):
    """max_unpool3d(input, indices, kernel_size, stride=None, padding=0, output_size=None)."""
    return _max_unpoolnd("max_unpool3d", 3, input, indices, kernel_size, stride, padding,
                         output_size)


# --------------------------------------------------------------------------------------
# Average pooling: a linear map and its adjoint
# --------------------------------------------------------------------------------------
class _AvgPool(Function):
    def forward(self, x, *, kernel, stride, out, pads, div):
        self.args = (kernel, stride, out, pads, div)
        xpad = pad_array(x, pads)
        acc = None
        for _, sl in _offset_slices(kernel, stride, (1,) * len(kernel), out):
            acc = xpad[sl].copy() if acc is None else acc.__iadd__(xpad[sl])
        acc /= div
        return acc

    def backward(self, g):
        x, = self.inputs
        return _AvgPoolT.apply(g, args=self.args, shape=tuple(x.shape))


class _AvgPoolT(Function):
    def forward(self, g, *, args, shape):
        kernel, stride, out, pads, div = self.args = args
        xp = xp_of(g)
        full = tuple(s + lo + hi for s, (lo, hi) in zip(shape[2:], pads))
        res = xp.zeros(tuple(shape[:2]) + full, dtype=g.dtype)
        gd = g / div
        for _, sl in _offset_slices(kernel, stride, (1,) * len(kernel), out):
            res[sl] += gd
        crop = (slice(None), slice(None)) + tuple(slice(lo, lo + s) for s, (lo, _) in
                                                  zip(shape[2:], pads))
        return xp.ascontiguousarray(res[crop])

    def backward(self, gg):
        return _AvgPool.apply(gg, kernel=self.args[0], stride=self.args[1], out=self.args[2],
                              pads=self.args[3], div=self.args[4])


def _avg_divisor(xp, sizes, kernel, stride, padding, out, count_include_pad, dtype):
    div = None
    for i, (L, k, s, p, o) in enumerate(zip(sizes, kernel, stride, padding, out)):
        start = np.arange(o) * s - p
        end = np.minimum(start + k, L + p)
        n = end - start if count_include_pad else \
            np.minimum(end, L) - np.maximum(start, 0)
        shape = [1] * len(sizes)
        shape[i] = o
        n = n.reshape(shape)
        div = n if div is None else div * n
    return xp.asarray(div.reshape((1, 1) + div.shape), dtype=dtype)


def _avg_poolnd(name, nd, input, kernel_size, stride, padding, ceil_mode, count_include_pad,
                divisor_override):
    x, unbatched = _batched(name, input, nd)
    if x.dtype.category < 2:
        raise RuntimeError(f"\"{name}\" not implemented for '{x.dtype.name.capitalize()}'")
    kernel, stride, padding, _, out, pads = _pool_setup(name, nd, x, kernel_size, stride,
                                                        padding, 1, ceil_mode)
    xp = xp_of(x._data)
    if divisor_override is not None:
        if divisor_override == 0:
            raise RuntimeError("divisor must be not zero")
        div = float(divisor_override)
    else:
        div = _avg_divisor(xp, x.shape[2:], kernel, stride, padding, out, count_include_pad,
                           x._data.dtype)
    y = _AvgPool.apply(x, kernel=kernel, stride=stride, out=out, pads=pads, div=div)
    return y.squeeze(0) if unbatched else y


def avg_pool1d(input, kernel_size, stride=None, padding=0, ceil_mode=False,
               count_include_pad=True):
    """avg_pool1d(input, kernel_size, stride=None, padding=0, ceil_mode=False,
    count_include_pad=True)."""
    return _avg_poolnd("avg_pool1d", 1, input, kernel_size, stride, padding, ceil_mode,
                       count_include_pad, None)


def avg_pool2d(input, kernel_size, stride=None, padding=0, ceil_mode=False,
               count_include_pad=True, divisor_override=None):
    """avg_pool2d(input, kernel_size, stride=None, padding=0, ceil_mode=False,
    count_include_pad=True, divisor_override=None)."""
    return _avg_poolnd("avg_pool2d", 2, input, kernel_size, stride, padding, ceil_mode,
                       count_include_pad, divisor_override)


def avg_pool3d(input, kernel_size, stride=None, padding=0, ceil_mode=False,
               count_include_pad=True, divisor_override=None):
    """avg_pool3d(input, kernel_size, stride=None, padding=0, ceil_mode=False,
    count_include_pad=True, divisor_override=None)."""
    return _avg_poolnd("avg_pool3d", 3, input, kernel_size, stride, padding, ceil_mode,
                       count_include_pad, divisor_override)


# --------------------------------------------------------------------------------------
# Adaptive pooling
# --------------------------------------------------------------------------------------
def _adaptive_sizes(name, nd, x, output_size):
    if isinstance(output_size, (list, tuple)):
        if len(output_size) != nd:
            raise ValueError(f"{name}: output_size must be {nd}, got {len(output_size)}")
        size = tuple(x.shape[2 + i] if s is None else int(s) for i, s in enumerate(output_size))
    else:
        size = (int(output_size),) * nd
    if any(s < 0 for s in size):
        raise RuntimeError(f"{name}: elements of output_size must be greater than or equal to 0 "
                           f"but received {list(size)}")
    return size


def _bins(L, O):
    i = np.arange(O)
    return (i * L) // O, -((-(i + 1) * L) // O)  # floor(i L / O), ceil((i + 1) L / O)


@runs_on(2)
def _adaptive_avg_poolnd(name, nd, input, output_size):
    x, unbatched = _batched(name, input, nd)
    size = _adaptive_sizes(name, nd, x, output_size)
    xp = xp_of(x._data)
    y = x
    for i in range(nd):
        L, O = x.shape[2 + i], size[i]
        if L == O:
            continue
        start, end = _bins(L, O)
        cols = np.arange(L)
        m = ((cols >= start[:, None]) & (cols < end[:, None])) / (end - start)[:, None]
        mat = Tensor._make(xp.asarray(m.T, dtype=x._data.dtype))  # (L, O)
        y = (y.movedim(2 + i, -1) @ mat).movedim(-1, 2 + i)
    return y.squeeze(0) if unbatched else y


def adaptive_avg_pool1d(input, output_size):
    """adaptive_avg_pool1d(input, output_size): bins [floor(iL/O), ceil((i+1)L/O))."""
    return _adaptive_avg_poolnd("adaptive_avg_pool1d", 1, input, output_size)


def adaptive_avg_pool2d(input, output_size):
    """adaptive_avg_pool2d(input, output_size); an entry of None keeps that input size."""
    return _adaptive_avg_poolnd("adaptive_avg_pool2d", 2, input, output_size)


def adaptive_avg_pool3d(input, output_size):
    """adaptive_avg_pool3d(input, output_size); an entry of None keeps that input size."""
    return _adaptive_avg_poolnd("adaptive_avg_pool3d", 3, input, output_size)


def _gather_max(x, flatpos):
    """Max over candidate positions flatpos (*O, M) of each plane: (values, indices)."""
    xp = xp_of(x._data)
    n, c = x.shape[:2]
    cand = x._data.reshape(n, c, -1)[:, :, flatpos]            # (N, C, *O, M)
    best = xp.argmax(cand, axis=-1)
    idx = xp.take_along_axis(xp.broadcast_to(flatpos, cand.shape), best[..., None], -1)[..., 0]
    return _Gather.apply(x, idx=idx), Tensor._make(idx)


@runs_on(2)  # the candidate positions are built on the current device
def _adaptive_max_poolnd(name, nd, input, output_size, return_indices):
    x, unbatched = _batched(name, input, nd)
    size = _adaptive_sizes(name, nd, x, output_size)
    xp = xp_of(x._data)
    sizes = x.shape[2:]
    # candidate positions per dim: (O_i, kmax_i), padded by repeating the bin's last element
    per_dim = []
    for L, O in zip(sizes, size):
        start, end = _bins(L, O)
        kmax = int((end - start).max()) if O else 1
        per_dim.append(np.minimum(start[:, None] + np.arange(kmax), end[:, None] - 1))
    strides = [math.prod(sizes[i + 1:]) for i in range(nd)]
    flat = np.zeros([1] * (2 * nd), dtype=np.int64)
    for i, (pos, st) in enumerate(zip(per_dim, strides)):
        shape = [1] * (2 * nd)
        shape[i], shape[nd + i] = pos.shape
        flat = flat + (pos * st).reshape(shape)
    flat = flat.reshape(tuple(size) + (-1,))
    y, idx = _gather_max(x, xp.asarray(flat))
    if unbatched:
        y, idx = y.squeeze(0), idx.squeeze(0)
    return (y, idx) if return_indices else y


def adaptive_max_pool1d(input, output_size, return_indices=False):
    """adaptive_max_pool1d(input, output_size, return_indices=False)."""
    return _adaptive_max_poolnd("adaptive_max_pool1d", 1, input, output_size, return_indices)


def adaptive_max_pool2d(input, output_size, return_indices=False):
    """adaptive_max_pool2d(input, output_size, return_indices=False)."""
    return _adaptive_max_poolnd("adaptive_max_pool2d", 2, input, output_size, return_indices)


def adaptive_max_pool3d(input, output_size, return_indices=False):
    """adaptive_max_pool3d(input, output_size, return_indices=False)."""
    return _adaptive_max_poolnd("adaptive_max_pool3d", 3, input, output_size, return_indices)


def adaptive_max_pool1d_with_indices(input, output_size, return_indices=True):
    return adaptive_max_pool1d(input, output_size, True)


def adaptive_max_pool2d_with_indices(input, output_size, return_indices=True):
    return adaptive_max_pool2d(input, output_size, True)


def adaptive_max_pool3d_with_indices(input, output_size, return_indices=True):
    return adaptive_max_pool3d(input, output_size, True)


# --------------------------------------------------------------------------------------
# LP pooling and fractional max pooling
# --------------------------------------------------------------------------------------
def _lp_pool(nd, input, norm_type, kernel_size, stride, ceil_mode):
    kernel = _ntuple(kernel_size, nd, "kernel_size")
    if norm_type in (math.inf, -math.inf):  # the largest (smallest) |x| of each window
        maxpool = (max_pool1d, max_pool2d, max_pool3d)[nd - 1]
        sign = 1 if norm_type > 0 else -1
        return sign * maxpool(sign * ops.abs(input), kernel_size, stride, 0, 1, ceil_mode)
    pool = (avg_pool1d, avg_pool2d, avg_pool3d)[nd - 1]
    out = pool(input.pow(norm_type), kernel_size, stride, 0, ceil_mode)
    return (ops.sign(out) * ops.relu(ops.abs(out))).mul(math.prod(kernel)).pow(1.0 / norm_type)


def lp_pool1d(input, norm_type, kernel_size, stride=None, ceil_mode=False):
    """lp_pool1d(input, norm_type, kernel_size, stride=None, ceil_mode=False):
    (sum over each window of x^p)^(1/p)."""
    return _lp_pool(1, input, norm_type, kernel_size, stride, ceil_mode)


def lp_pool2d(input, norm_type, kernel_size, stride=None, ceil_mode=False):
    """lp_pool2d(input, norm_type, kernel_size, stride=None, ceil_mode=False)."""
    return _lp_pool(2, input, norm_type, kernel_size, stride, ceil_mode)


def lp_pool3d(input, norm_type, kernel_size, stride=None, ceil_mode=False):
    """lp_pool3d(input, norm_type, kernel_size, stride=None, ceil_mode=False)."""
    return _lp_pool(3, input, norm_type, kernel_size, stride, ceil_mode)


def _fractional_starts(samples, L, O, k):
    """torch's pseudo-random pooling intervals: (..., O) window starts from samples (...)."""
    i = np.arange(O - 1)
    if O > 1:
        alpha = (L - k) / (O - 1)
        seq = ((i + samples[..., None]) * alpha).astype(np.int64) - \
            (samples[..., None] * alpha).astype(np.int64)
    else:
        seq = np.zeros(samples.shape + (0,), dtype=np.int64)
    last = np.full(samples.shape + (1,), L - k, dtype=np.int64)
    return np.concatenate([seq, last], axis=-1)


def _fractional_max_pool(name, nd, input, kernel_size, output_size, output_ratio,
                         return_indices, _random_samples):
    """Fractional max pooling over the last nd dims (torch's interval formula).

    The random samples (N, C, nd) come from dpt's default generator unless given, so they
    differ from torch's draws. Sample columns follow torch's layout: (W, H) in 2-D,
    (T, H, W) in 3-D.
    """
    x, unbatched = _batched(name, input, nd)
    kernel = _ntuple(kernel_size, nd, "kernel_size")
    if output_size is None and output_ratio is None:
        raise ValueError(f"{name} requires specifying either an output_size or an output_ratio")
    spatial = tuple(x.shape[2:])
    if output_size is None:
        ratio = _ntuple_float(output_ratio, nd)
        if not all(0 < r < 1 for r in ratio):
            raise ValueError(f"output_ratio must be between 0 and 1 (got {output_ratio})")
        output_size = tuple(int(size * r) for size, r in zip(spatial, ratio))
    out = _ntuple(output_size, nd, "output_size")
    if any(o + k - 1 > size for o, k, size in zip(out, kernel, spatial)):
        raise RuntimeError(f"{name}(): pool size plus output size must not exceed input size, "
                           f"got kernel_size={list(kernel)}, output_size={list(out)} for input of "
                           f"size {list(input.shape)}")
    n, c = x.shape[:2]
    if _random_samples is None:
        _random_samples = ops.rand(n, c, nd, dtype=x.dtype, device=x.device)
    s = np.asarray(_random_samples.detach().cpu().numpy() if isinstance(_random_samples, Tensor)
                   else _random_samples, dtype=np.float64).reshape(n, c, nd)
    column = [1, 0] if nd == 2 else list(range(nd))
    strides = [int(np.prod(spatial[d + 1:])) for d in range(nd)]
    flat = 0
    for d in range(nd):  # flat input position of (output cell, kernel offset), one dim at a time
        starts = _fractional_starts(s[..., column[d]], spatial[d], out[d], kernel[d])
        pos = starts[..., None] + np.arange(kernel[d])         # (N, C, out_d, k_d)
        shape = [n, c] + [1] * (2 * nd)
        shape[2 + d], shape[2 + nd + d] = out[d], kernel[d]
        flat = flat + pos.reshape(shape) * strides[d]
    flat = flat.reshape(n, c, *out, -1)
    xp = xp_of(x._data)
    flat = xp.asarray(flat)
    cand = xp.take_along_axis(x._data.reshape(n, c, -1), flat.reshape(n, c, -1),
                              axis=-1).reshape(flat.shape)
    best = xp.argmax(cand, axis=-1)
    idx = xp.take_along_axis(flat, best[..., None], -1)[..., 0]
    y = _Gather.apply(x, idx=idx)
    ind = Tensor._make(idx)
    if unbatched:
        y, ind = y.squeeze(0), ind.squeeze(0)
    return (y, ind) if return_indices else y


def fractional_max_pool2d(input, kernel_size, output_size=None, output_ratio=None,
                          return_indices=False, _random_samples=None):
    """fractional_max_pool2d(input, kernel_size, output_size=None, output_ratio=None,
    return_indices=False, _random_samples=None)."""
    return _fractional_max_pool("fractional_max_pool2d", 2, input, kernel_size, output_size,
                                output_ratio, return_indices, _random_samples)


def fractional_max_pool2d_with_indices(input, kernel_size, output_size=None, output_ratio=None,
                                       return_indices=True, _random_samples=None):
    return fractional_max_pool2d(input, kernel_size, output_size, output_ratio, True,
                                 _random_samples)


def fractional_max_pool3d(input, kernel_size, output_size=None, output_ratio=None,
                          return_indices=False, _random_samples=None):
    """fractional_max_pool3d(input, kernel_size, output_size=None, output_ratio=None,
    return_indices=False, _random_samples=None)."""
    return _fractional_max_pool("fractional_max_pool3d", 3, input, kernel_size, output_size,
                                output_ratio, return_indices, _random_samples)


def fractional_max_pool3d_with_indices(input, kernel_size, output_size=None, output_ratio=None,
                                       return_indices=True, _random_samples=None):
    return fractional_max_pool3d(input, kernel_size, output_size, output_ratio, True,
                                 _random_samples)


def _ntuple_float(v, n: int = 2):
    if isinstance(v, (list, tuple)):
        return tuple(float(x) for x in v) if len(v) == n else (float(v[0]),) * n
    return (float(v),) * n
