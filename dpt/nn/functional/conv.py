"""F.conv1d/2d/3d and F.conv_transpose1d/2d/3d: one fused N-d implementation.

Forward pads the input, takes a strided window view of it (no copy) and runs one
batched matmul over the groups (im2col + BLAS). The three linear maps involved are
each a Function whose backward is written with the other two, so double backward
works:

    Conv(x, w)            y  = x (*) w
    ConvTranspose(x, w)   the adjoint of Conv in x: scatter of windows (col2im)
    ConvWeightGrad(x, g)  the adjoint of Conv in w: windows of x contracted with g

col2im loops over the kernel offsets only, never over pixels or batch elements.
"""
from __future__ import annotations

import math

import numpy as np

from ..._device import xp_of
from ..._tensor import Tensor
from ...autograd.function import Function
from ...autograd.grad_mode import is_grad_enabled

__all__ = ["conv1d", "conv2d", "conv3d", "conv_transpose1d", "conv_transpose2d",
           "conv_transpose3d", "conv_tbc"]


# --------------------------------------------------------------------------------------
# Array helpers (shared with pooling and fold)
# --------------------------------------------------------------------------------------
def _ntuple(value, n: int, name: str = "argument") -> tuple:
    if isinstance(value, (list, tuple)):
        if len(value) == 1 and n > 1:
            return tuple(int(value[0]) for _ in range(n))
        if len(value) != n:
            raise RuntimeError(f"expected {name} to be a single integer value or a list of {n} "
                               f"values to match the convolution dimensions, but got "
                               f"{name}={list(value)}")
        return tuple(int(v) for v in value)
    return (int(value),) * n


def _as_strided(xp, arr, shape, strides):
    return xp.lib.stride_tricks.as_strided(arr, shape=shape, strides=strides)


def windows(a, kernel, stride, dilation, out):
    """View of a (N, C, *S) as (N, C, *out, *kernel): a[n, c, o*s + k*d]; no copy."""
    xp = xp_of(a)
    nd = len(kernel)
    st = a.strides
    sp = st[2:]
    shape = a.shape[:2] + tuple(out) + tuple(kernel)
    strides = st[:2] + tuple(sp[i] * stride[i] for i in range(nd)) + \
        tuple(sp[i] * dilation[i] for i in range(nd))
    return _as_strided(xp, a, shape, strides)


def col2im(cols, full, stride, dilation):
    """Adjoint of ``windows``: cols (*K, N, C, *O) summed into a zero (N, C, *full) array."""
    xp = xp_of(cols)
    nd = len(full)
    kernel = cols.shape[:nd]
    out_sp = cols.shape[nd + 2:]
    res = xp.zeros(cols.shape[nd:nd + 2] + tuple(full), dtype=cols.dtype)
    for k in np.ndindex(*kernel):
        sl = (slice(None), slice(None)) + tuple(
            slice(k[i] * dilation[i], k[i] * dilation[i] + (out_sp[i] - 1) * stride[i] + 1,
                  stride[i]) for i in range(nd))
        res[sl] += cols[k]
    return res


def _col2im_cropped(cols, res, lo, stride, dilation):
    """col2im's sums, cropped to [lo, lo + out) per spatial dim, written straight into res
    (A, B, *out) (any two leading dims, e.g. a transposed view of the (N, C, *out) result):
    no padded buffer and no cropping copy. cols is (*K, A, B, *S). An offset whose windows
    cover all of res (the centre tap of a stride-1 'same' convolution) is stored first
    instead of zero-filling res and adding it."""
    nd = res.ndim - 2
    kernel = cols.shape[:nd]
    src_sp = cols.shape[nd + 2:]
    out = res.shape[2:]
    parts = []
    for k in np.ndindex(*kernel):
        src, dst = [slice(None)] * 2, [slice(None)] * 2
        covers = True
        for i in range(nd):
            off, s = k[i] * dilation[i] - lo[i], stride[i]  # window o lands at off + o*s
            o0 = (max(0, -off) + s - 1) // s
            o1 = min(src_sp[i] - 1, (out[i] - 1 - off) // s)
            if o1 < o0:
                break
            src.append(slice(o0, o1 + 1))
            dst.append(slice(off + o0 * s, off + o1 * s + 1, s))
            covers = covers and s == 1 and off + o0 == 0 and off + o1 == out[i] - 1
        else:
            parts.append((covers, k, tuple(src), tuple(dst)))
    first = next((part for part in parts if part[0]), None)
    if first is None:
        res.fill(0)
    else:
        parts.remove(first)
        res[...] = cols[first[1]][first[2]]
    for _, k, src, dst in parts:
        res[dst] += cols[k][src]
    return res


def pad_array(x, pads, value=0):
    """Zero/constant pad the spatial dims of (N, C, *S) with pads ((lo, hi), ...)."""
    if not any(lo or hi for lo, hi in pads):
        return x
    xp = xp_of(x)
    out = xp.full(x.shape[:2] + tuple(s + lo + hi for s, (lo, hi) in zip(x.shape[2:], pads)),
                  value, dtype=x.dtype)
    out[(slice(None), slice(None)) + tuple(slice(lo, lo + s) for s, (lo, _) in
                                           zip(x.shape[2:], pads))] = x
    return out


# Column blocks of the input gradient are built and summed this many bytes at a time.
_CHUNK_BYTES = 4 << 20


def _out_len(n, k, s, d, lo, hi):
    return (n + lo + hi - d * (k - 1) - 1) // s + 1


# --------------------------------------------------------------------------------------
# The three linear maps
# --------------------------------------------------------------------------------------
def _im2col(x, kernel, stride, dilation, pads, groups, out):
    """(G, Cg*Kp, N*P) copy of the windows of padded x, one strided copy per kernel offset
    (each copies whole rows of output positions, which beats one gather of tiny windows)."""
    xp = xp_of(x)
    xpad = pad_array(x, pads)
    n, c = x.shape[:2]
    nd = len(kernel)
    xt = xpad.swapaxes(0, 1)                                    # (C, N, *S)
    buf = xp.empty((c,) + tuple(kernel) + (n,) + tuple(out), dtype=x.dtype)
    for k in np.ndindex(*kernel):
        sl = (slice(None), slice(None)) + tuple(
            slice(k[i] * dilation[i], k[i] * dilation[i] + (out[i] - 1) * stride[i] + 1,
                  stride[i]) for i in range(nd))
        buf[(slice(None),) + k] = xt[sl]
    return buf.reshape(groups, (c // groups) * math.prod(kernel), n * math.prod(out))


def _sample_cols(xpad, kernel, stride, dilation, out):
    """(n, C*Kp, P) copy of the windows of an already padded xpad (n, C, *S), each sample's
    column matrix contiguous: the per-sample layout the chunked paths feed to BLAS."""
    xp = xp_of(xpad)
    n, c = xpad.shape[:2]
    buf = xp.empty((n, c) + tuple(kernel) + tuple(out), dtype=xpad.dtype)
    for k in np.ndindex(*kernel):
        sl = (slice(None), slice(None)) + tuple(
            slice(k[i] * dilation[i], k[i] * dilation[i] + (out[i] - 1) * stride[i] + 1,
                  stride[i]) for i in range(len(kernel)))
        buf[(slice(None), slice(None)) + k] = xpad[sl]
    return buf.reshape(n, c * math.prod(kernel), math.prod(out))


def _col2im_grid(x, wr, y, kernel, lo, dilation):
    """Stride-1 transposed convolution of x (N, Cin, *S) into y (N, Og, *out), one group:
    y = col2im(wr @ x) with wr (Kp*Og, Cin), a few samples at a time.

    Each sample's spatial dims are flattened onto a grid whose rows are padded with zeros
    (row length Q_i >= S_i), so that every kernel offset k becomes one flat shift and its
    block of columns one contiguous add into an accumulator D on the same grid (long
    contiguous runs instead of rows of S_last elements). A sum that runs past the end of a
    row wraps into the next row at a position left of the cropped range, which is why
    Q_i >= S_i + (K_i - 1) d_i - lo_i suffices (and Q_i >= lo_i + out_i holds the crop);
    the zero pads add nothing.
    """
    xp = xp_of(x)
    n, cin = x.shape[:2]
    sp, out, nd = x.shape[2:], y.shape[2:], x.ndim - 2
    og = y.shape[1]
    ext = [(kernel[i] - 1) * dilation[i] for i in range(nd)]
    q = [sp[0]] + [max(sp[i], sp[i] + ext[i] - lo[i], lo[i] + out[i]) for i in range(1, nd)]
    rows = max(sp[0] + ext[0], lo[0] + out[0]) + 1  # D's outer dim, one spare for wraps
    inner = math.prod(q[1:])
    gstride = [math.prod(q[i + 1:]) for i in range(nd)]
    lsrc = math.prod(q)
    shifts = [sum(k[i] * dilation[i] * gstride[i] for i in range(nd))
              for k in np.ndindex(*kernel)]
    rows = max(rows, -(-(shifts[-1] + lsrc) // inner))  # the last offset shifts the most
    ld = rows * inner
    crop = (slice(None), slice(None)) + tuple(slice(lo[i], lo[i] + out[i]) for i in range(nd))
    spans = _chunks(n, len(shifts) * og * lsrc * x.itemsize)
    padded = tuple(q) != tuple(sp)
    if padded:  # zero pads written once, the interior refilled per chunk
        grid = xp.zeros((spans[0][1] - spans[0][0], cin) + tuple(q), dtype=x.dtype)
        inside = (slice(None), slice(None)) + tuple(slice(0, s) for s in sp)
    for n0, n1 in spans:
        m = n1 - n0
        if padded:
            g = grid[:m]
            g[inside] = x[n0:n1]
        else:
            g = x[n0:n1]
        cols = _same_dtype(xp.matmul(wr, g.reshape(m, cin, lsrc)), x)
        cols = cols.reshape(m, len(shifts), og, lsrc)
        acc = xp.zeros((m, og, ld), dtype=cols.dtype)
        for j, sh in enumerate(shifts):
            acc[:, :, sh:sh + lsrc] += cols[:, j]
        y[n0:n1] = acc.reshape((m, og, rows) + tuple(q[1:]))[crop]
    return y


class _FlatGrid:
    """Stride-1 windows of x (N, C, *S) on a flat grid, for im2col with long contiguous runs.

    Each sample is laid out as lo_0 + S_0 + hi_0 zero-padded rows of Q_1 x ... cells, where
    an inner row holds S_i values and Q_i - S_i >= max(lo_i, hi_i) zeros shared by its two
    neighbours. Output o then reads the input at flat o + shift(k), so the column block of
    a kernel offset is one contiguous slice per channel and sample: the output is computed
    on the grid too (cells past out_i are discarded) and ``crop`` views the valid part.
    """

    def __init__(self, x, kernel, dilation, pads, out):
        nd = x.ndim - 2
        sp = x.shape[2:]
        self.c, self.kernel, self.out, self.dtype = x.shape[1], kernel, out, x.dtype
        self.q = (sp[0] + pads[0][0] + pads[0][1],) + tuple(
            max(sp[i] + max(pads[i]), out[i]) for i in range(1, nd))
        self.inner = math.prod(self.q[1:])
        st = [math.prod(self.q[i + 1:]) for i in range(nd)]
        self.block = math.prod(self.q)                       # per sample and channel
        self.front = self.inner                              # zero margin before sample 0
        self.lo = sum(pads[i][0] * st[i] for i in range(1, nd))  # reads left of a row
        self.kstrides = tuple(dilation[i] * st[i] for i in range(nd))
        self.length = out[0] * self.inner                    # output cells per sample
        self.inside = (slice(None), slice(None), slice(pads[0][0], pads[0][0] + sp[0])) + \
            tuple(slice(0, sp[i]) for i in range(1, nd))
        self.sp = sp
        self.buf = None

    def cols(self, x):
        """(C*Kp, n, L) columns of x (n samples) on the grid."""
        xp = xp_of(x)
        n = x.shape[0]
        size = self.front + n * self.c * self.block + self.inner
        if self.buf is None or self.buf.size < size:
            self.buf = xp.zeros(size, dtype=self.dtype)      # pads stay zero across chunks
        grid = self.buf[self.front:self.front + n * self.c * self.block]
        grid.reshape((n, self.c) + self.q)[self.inside] = x
        it = self.buf.itemsize
        start = self.buf[self.front - self.lo:]
        view = _as_strided(xp, start, (self.c,) + tuple(self.kernel) + (n, self.length),
                           (self.block * it,) + tuple(k * it for k in self.kstrides) +
                           (self.c * self.block * it, it))
        cols = xp.empty(view.shape, dtype=self.dtype)
        cols[...] = view
        return cols.reshape(-1, n, self.length)

    def crop(self, a):
        """The valid outputs of grid-shaped a (..., L) as a (..., *out) view."""
        return a.reshape(a.shape[:-1] + (self.out[0],) + self.q[1:])[
            (Ellipsis,) + tuple(slice(0, o) for o in self.out)]


def _chunks(n, per_sample_bytes):
    """Sample ranges whose column blocks hold about _CHUNK_BYTES."""
    step = max(1, _CHUNK_BYTES // max(1, per_sample_bytes))
    return [(n0, min(n, n0 + step)) for n0 in range(0, n, step)]


class _ChannelSum(Function):
    """Sum of g (N, C, *S) over every dim but C: the bias gradient of a convolution.

    A contiguous float gy takes one matrix-vector product (BLAS) instead of a strided
    reduction. Its backward broadcasts back, so double backward works.
    """

    def forward(self, g):
        self.shape = g.shape
        if g.flags.c_contiguous and g.ndim >= 3 and g.size and g.dtype in (np.float32,
                                                                           np.float64):
            n, c = g.shape[:2]
            rows = g.reshape(n * c, -1) @ xp_of(g).ones(g.size // (n * c), dtype=g.dtype)
            return rows.reshape(n, c).sum(0)
        return g.sum(axis=(0,) + tuple(range(2, g.ndim)))

    def backward(self, gz):
        return gz.reshape((1, -1) + (1,) * (len(self.shape) - 2)).expand(self.shape)


def _bmm(a, b):
    """Batched matmul over the groups; a plain 2-D BLAS call when there is one group."""
    if a.shape[0] == 1:
        return _same_dtype((a[0] @ b[0])[None], a)
    return _same_dtype(a @ b, a)


def _same_dtype(z, a):
    """numpy multiplies bfloat16 matrices into float32: round back to the inputs' dtype."""
    return z if z.dtype == a.dtype else z.astype(a.dtype)


class Conv(Function):
    """y = conv(x, w) + b, N-d, grouped; pads are ((lo, hi), ...) per spatial dim."""

    autocast = "lower"

    def forward(self, x, w, b=None, *, stride, pads, dilation, groups, keep_cols=False):
        self.args = (stride, pads, dilation, groups)
        nd = x.ndim - 2
        n = x.shape[0]
        cout = w.shape[0]
        kernel = w.shape[2:]
        out = tuple(_out_len(x.shape[2 + i], kernel[i], stride[i], dilation[i], *pads[i])
                    for i in range(nd))
        xp = xp_of(x)
        p = math.prod(out)
        cin, kp = x.shape[1], math.prod(kernel)
        if groups == 1 and n > 1 and p >= 64 and cin * kp > cout:
            # Columns larger than the output (a deep layer): never kept for backward (the
            # weight gradient rebuilds them chunk by chunk), so built and used a few
            # samples at a time, each chunk's GEMM reading it while it is cached.
            y = xp.empty((n, cout) + out, dtype=x.dtype)
            wm = w.reshape(cout, -1)
            if all(st == 1 for st in stride):
                grid = _FlatGrid(x, kernel, dilation, pads, out)
                for n0, n1 in _chunks(n, cin * kp * grid.length * x.itemsize):
                    yq = _same_dtype(xp.matmul(wm, grid.cols(x[n0:n1]).swapaxes(0, 1)), w)
                    if b is None:
                        y[n0:n1] = grid.crop(yq)
                    else:  # the bias add doubles as the cropping copy
                        xp.add(grid.crop(yq), b.reshape((cout,) + (1,) * nd), out=y[n0:n1])
                return y
            xpad = pad_array(x, pads)
            yr = y.reshape(n, cout, p)
            for n0, n1 in _chunks(n, cin * kp * p * x.itemsize):
                yr[n0:n1] = _same_dtype(xp.matmul(wm, _sample_cols(
                    xpad[n0:n1], kernel, stride, dilation, out)), w)
            if b is not None:
                yr += b.reshape(cout, 1)
            return y
        cols = _im2col(x, kernel, stride, dilation, pads, groups, out)
        if keep_cols:
            self._cols = cols
        if groups == 1 and p >= 64:
            # one BLAS GEMM per sample straight into the (N, C, *out) layout: the column
            # matrix read as (N, K, P) blocks (row stride N*P), so no transposing copy
            y = _same_dtype(xp.matmul(w.reshape(cout, -1),
                                      cols[0].reshape(cols.shape[1], n, p).swapaxes(0, 1)), w)
            if b is not None:
                y += b.reshape(cout, 1)
            return y.reshape((n, cout) + out)
        y = _bmm(w.reshape(groups, cout // groups, -1), cols)   # (G, Og, N*P)
        y = y.reshape((cout, n) + out).swapaxes(0, 1)
        if b is None:
            return xp.ascontiguousarray(y)
        # the bias add doubles as the (N, C, *out) transposing copy: one pass, not two
        return xp.add(y, b.reshape((cout,) + (1,) * nd), out=xp.empty(y.shape, dtype=y.dtype))

    def backward(self, gy):
        x, w = self.inputs[:2]
        stride, pads, dilation, groups = self.args
        need = self.needs_input_grad
        gx = gw = gb = None
        if need[1]:  # first, so that the kept columns are freed before gx's are made
            cols = None if is_grad_enabled() else getattr(self, "_cols", None)
            gw = ConvWeightGrad.apply(x, gy, kernel=tuple(w.shape[2:]), stride=stride,
                                      pads=pads, dilation=dilation, groups=groups, cols=cols)
            del cols
        self._cols = None  # a second backward (retain_graph) rebuilds them
        if need[0]:
            gx = ConvTranspose.apply(gy, w, stride=stride, pads=pads, dilation=dilation,
                                     groups=groups, out=tuple(x.shape[2:]))
        if len(need) > 2 and need[2]:
            gb = _ChannelSum.apply(gy)
        return (gx, gw) if len(need) == 2 else (gx, gw, gb)


class ConvTranspose(Function):
    """y = conv_transpose(x, w) + b: the adjoint of Conv, cropped to ``out`` spatial size."""

    autocast = "lower"

    def forward(self, x, w, b=None, *, stride, pads, dilation, groups, out):
        self.args = (stride, pads, dilation, groups)
        xp = xp_of(x)
        nd = x.ndim - 2
        n, cin = x.shape[:2]
        sp = x.shape[2:]
        kernel = w.shape[2:]
        og = w.shape[1]
        cg = cin // groups
        p = math.prod(sp)
        kp = math.prod(kernel)
        lo = tuple(lo for lo, _ in pads)
        if groups == 1 and n > 1:
            # Per-sample GEMMs read x in place, (Kp*Og, Cin) @ (Cin, P), over a few samples
            # at a time: the column block of a chunk stays small (a few MiB instead of
            # Kp x the result) and is summed into the chunk's rows of y while still cached.
            wr = w.reshape(cin, og, kp).transpose(2, 1, 0).reshape(kp * og, cin)
            y = xp.empty((n, og) + tuple(out), dtype=x.dtype)
            if all(st == 1 for st in stride):
                _col2im_grid(x, wr, y, kernel, lo, dilation)
            else:
                xr = x.reshape(n, cin, p)
                for n0, n1 in _chunks(n, kp * og * p * x.itemsize):
                    cols = _same_dtype(xp.matmul(wr, xr[n0:n1]), x)   # (n1-n0, Kp*Og, P)
                    cols = xp.moveaxis(cols.reshape((n1 - n0,) + kernel + (og,) + sp), 0, nd)
                    _col2im_cropped(cols, y[n0:n1], lo, stride, dilation)
            if b is not None:
                y += b.reshape((-1,) + (1,) * nd)
            return y
        # One contiguous GEMM per group (BLAS): (Kp*Og, Cg) @ (Cg, N*P); the result is laid
        # out (*K, Og, N, *S), so every kernel offset is one block, and col2im adds each
        # block's in-range part straight into the (N, C, *out) result (seen channel-first).
        xr = xp.ascontiguousarray(x.reshape(n, groups, cg, p).transpose(1, 2, 0, 3))
        xr = xr.reshape(groups, cg, n * p)
        wr = w.reshape(groups, cg, og, kp).transpose(0, 3, 2, 1).reshape(groups, kp * og, cg)
        cols = _bmm(wr, xr)                                      # (G, Kp*Og, N*P)
        cols = cols.reshape((groups,) + kernel + (og, n) + sp)
        if groups > 1:  # (*K, G, Og, N, *S)
            cols = xp.ascontiguousarray(xp.moveaxis(cols, 0, nd))
        cols = cols.reshape(kernel + (groups * og, n) + sp)
        y = xp.empty((n, groups * og) + tuple(out), dtype=cols.dtype)
        _col2im_cropped(cols, y.swapaxes(0, 1), lo, stride, dilation)
        if b is not None:
            y += b.reshape((-1,) + (1,) * nd)
        return y

    def backward(self, gy):
        x, w = self.inputs[:2]
        stride, pads, dilation, groups = self.args
        need = self.needs_input_grad
        gx = gw = gb = None
        if need[0]:
            gx = Conv.apply(gy, w, stride=stride, pads=pads, dilation=dilation, groups=groups)
            if tuple(gx.shape[2:]) != tuple(x.shape[2:]):
                gx = gx[(slice(None), slice(None)) + tuple(slice(0, s) for s in x.shape[2:])]
        if need[1]:
            gw = ConvWeightGrad.apply(gy, x, kernel=tuple(w.shape[2:]), stride=stride, pads=pads,
                                      dilation=dilation, groups=groups)
        if len(need) > 2 and need[2]:
            gb = _ChannelSum.apply(gy)
        return (gx, gw) if len(need) == 2 else (gx, gw, gb)


class ConvWeightGrad(Function):
    """gw[o, c, k] = sum_{n, p} g[n, o, p] * pad(x)[n, c, p*s + k*d] (grouped).

    A transposed conv's weight gradient is this map with the roles swapped: its
    output gradient plays x and its input plays g (the layouts coincide).
    """

    def forward(self, x, g, *, kernel, stride, pads, dilation, groups, cols=None):
        self.args = (kernel, stride, pads, dilation, groups)
        n = x.shape[0]
        out = g.shape[2:]
        og = g.shape[1] // groups
        cg = x.shape[1] // groups
        xp = xp_of(g)
        p = math.prod(out)
        kp = math.prod(kernel)
        if cols is None and groups == 1 and n > 1:
            # no kept columns: rebuilt a few samples at a time and contracted with the same
            # samples of g, one long-K GEMM per chunk, so they never exist whole
            gw = None
            grid = _FlatGrid(x, kernel, dilation, pads, out) if all(
                st == 1 for st in stride) else None
            for n0, n1 in _chunks(n, cg * kp * p * x.itemsize):
                if grid is None:
                    cols = _im2col(x[n0:n1], kernel, stride, dilation, pads, 1, out)[0]
                    gt = g[n0:n1].reshape(n1 - n0, og, p).swapaxes(0, 1).reshape(og, -1)
                else:  # g spread on the grid, zeros in the discarded cells
                    cols = grid.cols(x[n0:n1]).reshape(cg * kp, -1)
                    gt = xp.zeros((og, n1 - n0, grid.length), dtype=g.dtype)
                    grid.crop(gt)[...] = g[n0:n1].swapaxes(0, 1)
                    gt = gt.reshape(og, -1)
                part = _same_dtype((cols @ gt.T).T if cols.shape[0] > og else gt @ cols.T, g)
                gw = part if gw is None else xp.add(gw, part, out=gw)
            return gw.reshape((og, cg) + tuple(kernel))
        if cols is None:
            cols = _im2col(x, kernel, stride, dilation, pads, groups, out)
        if groups == 1 and og * cols.shape[1] <= p:
            # few weights per sample (a first layer): per-sample GEMMs read g in place and a
            # small sum over the batch follows, instead of a transposing copy of all of g
            kc = cols.shape[1]
            gw = _same_dtype(xp.matmul(g.reshape(n, og, p),
                                       cols[0].reshape(kc, n, p).transpose(1, 2, 0)), g)
            return gw.sum(0).reshape((og, cg) + tuple(kernel))
        gr = g.reshape(n, groups, og, p).transpose(1, 2, 0, 3).reshape(groups, og, n * p)
        if groups == 1:  # BLAS (OpenBLAS) runs these long-K GEMMs faster with the larger
            # of the two short dims first
            gw = _same_dtype(((cols[0] @ gr[0].T).T if cols.shape[1] > og
                              else gr[0] @ cols[0].T)[None], gr)
        else:
            gw = _bmm(gr, cols.transpose(0, 2, 1))              # (G, Og, Cg*Kp)
        return gw.reshape((groups * og, cg) + tuple(kernel))

    def backward(self, ggw):
        x, g = self.inputs
        kernel, stride, pads, dilation, groups = self.args
        need = self.needs_input_grad
        gx = gg = None
        if need[0]:
            gx = ConvTranspose.apply(g, ggw, stride=stride, pads=pads, dilation=dilation,
                                     groups=groups, out=tuple(x.shape[2:]))
        if need[1]:
            gg = Conv.apply(x, ggw, stride=stride, pads=pads, dilation=dilation, groups=groups)
            if tuple(gg.shape[2:]) != tuple(g.shape[2:]):
                gg = gg[(slice(None), slice(None)) + tuple(slice(0, s) for s in g.shape[2:])]
        return gx, gg


# --------------------------------------------------------------------------------------
# Argument checking and the public functions
# --------------------------------------------------------------------------------------
def _check_common(name, input, weight, bias, nd):
    if not isinstance(input, Tensor) or not isinstance(weight, Tensor):
        raise TypeError(f"{name}() expected Tensors for input and weight, got "
                        f"{type(input).__name__} and {type(weight).__name__}")
    if input.ndim not in (nd + 1, nd + 2):
        raise RuntimeError(f"Expected {nd + 1}D (unbatched) or {nd + 2}D (batched) input to "
                           f"{name}, but got input of size: {list(input.shape)}")
    if weight.ndim != nd + 2:
        raise RuntimeError(f"{name}: expected weight to be {nd + 2}-dimensional, but got weight "
                           f"of size {list(weight.shape)}")
    if input.dtype is not weight.dtype or (bias is not None and bias.dtype is not weight.dtype):
        other = bias if input.dtype is weight.dtype else input
        raise RuntimeError(f"Input type ({other.dtype}) and weight type ({weight.dtype}) should be "
                           f"the same ({name})")
    if input.dtype.category < 2:
        raise RuntimeError(f"{name}: expected a floating point input, got {input.dtype}")
    if input.device != weight.device:
        raise RuntimeError(f"Expected all tensors to be on the same device, but found at least two "
                           f"devices, {input.device} and {weight.device}!")


def _same_pads(kernel, dilation):
    pads = []
    for k, d in zip(kernel, dilation):
        total = d * (k - 1)
        pads.append((total // 2, total - total // 2))
    return tuple(pads)


def _convnd(name, nd, input, weight, bias, stride, padding, dilation, groups):
    _check_common(name, input, weight, bias, nd)
    unbatched = input.ndim == nd + 1
    if unbatched:
        input = input.unsqueeze(0)
    stride = _ntuple(stride, nd, "stride")
    dilation = _ntuple(dilation, nd, "dilation")
    kernel = tuple(weight.shape[2:])
    if groups <= 0:
        raise RuntimeError("non-positive groups is not supported")
    if any(s <= 0 for s in stride):
        raise RuntimeError("non-positive stride is not supported")
    if any(d <= 0 for d in dilation):
        raise RuntimeError("dilation should be greater than zero")
    if isinstance(padding, str):
        if padding == "valid":
            pads = ((0, 0),) * nd
        elif padding == "same":
            if any(s != 1 for s in stride):
                raise RuntimeError("padding='same' is not supported for strided convolutions")
            pads = _same_pads(kernel, dilation)
        else:
            raise RuntimeError(f"Invalid padding string: '{padding}'")
    else:
        p = _ntuple(padding, nd, "padding")
        if any(v < 0 for v in p):
            raise RuntimeError("negative padding is not supported")
        pads = tuple((v, v) for v in p)
    cin = input.shape[1]
    if weight.shape[0] % groups:
        raise RuntimeError(f"Given groups={groups}, expected weight to be divisible by {groups} "
                           f"at dimension 0, but got weight of size {list(weight.shape)} instead")
    if cin != weight.shape[1] * groups:
        raise RuntimeError(f"Given groups={groups}, weight of size {list(weight.shape)}, expected "
                           f"input{list(input.shape)} to have {weight.shape[1] * groups} channels, "
                           f"but got {cin} channels instead")
    if bias is not None and tuple(bias.shape) != (weight.shape[0],):
        raise RuntimeError(f"Given weight of size {list(weight.shape)}, expected bias to be "
                           f"1-dimensional with {weight.shape[0]} elements, but got bias of size "
                           f"{list(bias.shape)} instead")
    padded = [input.shape[2 + i] + sum(pads[i]) for i in range(nd)]
    eff = [dilation[i] * (kernel[i] - 1) + 1 for i in range(nd)]
    if any(p < e for p, e in zip(padded, eff)):
        raise RuntimeError(f"Calculated padded input size per channel: "
                           f"({' x '.join(map(str, padded))}). Kernel size: "
                           f"({' x '.join(map(str, eff))}). Kernel size can't be greater than "
                           f"actual input size")
    keep = is_grad_enabled() and weight.requires_grad
    args = (input, weight) if bias is None else (input, weight, bias)
    out = Conv.apply(*args, stride=stride, pads=pads, dilation=dilation, groups=groups,
                     keep_cols=keep)
    return out.squeeze(0) if unbatched else out


def conv1d(input, weight, bias=None, stride=1, padding=0, dilation=1, groups=1) -> Tensor:
    """conv1d(input, weight, bias=None, stride=1, padding=0, dilation=1, groups=1).

    input (N, C_in, L) or (C_in, L); weight (C_out, C_in/groups, k); padding an int, a
    tuple, 'valid' or 'same'.
    """
    return _convnd("conv1d", 1, input, weight, bias, stride, padding, dilation, groups)


def conv2d(input, weight, bias=None, stride=1, padding=0, dilation=1, groups=1) -> Tensor:
    """conv2d(input, weight, bias=None, stride=1, padding=0, dilation=1, groups=1).

    input (N, C_in, H, W) or (C_in, H, W); weight (C_out, C_in/groups, kH, kW).
    """
    return _convnd("conv2d", 2, input, weight, bias, stride, padding, dilation, groups)


def conv3d(input, weight, bias=None, stride=1, padding=0, dilation=1, groups=1) -> Tensor:
    """conv3d(input, weight, bias=None, stride=1, padding=0, dilation=1, groups=1).

    input (N, C_in, D, H, W) or (C_in, D, H, W); weight (C_out, C_in/groups, kD, kH, kW).
    """
    return _convnd("conv3d", 3, input, weight, bias, stride, padding, dilation, groups)


def _conv_transposend(name, nd, input, weight, bias, stride, padding, output_padding, groups,
                      dilation, output_size=None):
    _check_common(name, input, weight, bias, nd)
    unbatched = input.ndim == nd + 1
    if unbatched:
        input = input.unsqueeze(0)
    if isinstance(padding, str):
        raise RuntimeError(f"{name}: padding must be an int or a tuple, got '{padding}'")
    stride = _ntuple(stride, nd, "stride")
    dilation = _ntuple(dilation, nd, "dilation")
    padding = _ntuple(padding, nd, "padding")
    output_padding = _ntuple(output_padding, nd, "output_padding")
    if groups <= 0:
        raise RuntimeError("non-positive groups is not supported")
    if any(s <= 0 for s in stride):
        raise RuntimeError("non-positive stride is not supported")
    if any(d <= 0 for d in dilation):
        raise RuntimeError("dilation should be greater than zero")
    if any(p < 0 for p in padding):
        raise RuntimeError("negative padding is not supported")
    for op, s, d in zip(output_padding, stride, dilation):
        if op < 0 or op >= max(s, d):
            raise RuntimeError(f"output padding must be smaller than either stride or dilation, "
                               f"but got output_padding={list(output_padding)}, "
                               f"stride={list(stride)}, dilation={list(dilation)}")
    cin = input.shape[1]
    if cin != weight.shape[0]:
        raise RuntimeError(f"Given transposed=1, weight of size {list(weight.shape)}, expected "
                           f"input{list(input.shape)} to have {weight.shape[0]} channels, but got "
                           f"{cin} channels instead")
    if weight.shape[0] % groups:
        raise RuntimeError(f"Given groups={groups}, expected weight to be divisible by {groups} "
                           f"at dimension 0, but got weight of size {list(weight.shape)} instead")
    cout = weight.shape[1] * groups
    if bias is not None and tuple(bias.shape) != (cout,):
        raise RuntimeError(f"Given transposed=1, weight of size {list(weight.shape)}, expected "
                           f"bias to be 1-dimensional with {cout} elements, but got bias of size "
                           f"{list(bias.shape)} instead")
    kernel = weight.shape[2:]
    out = tuple((input.shape[2 + i] - 1) * stride[i] - 2 * padding[i] +
                dilation[i] * (kernel[i] - 1) + output_padding[i] + 1 for i in range(nd))
    if any(o <= 0 for o in out):
        raise RuntimeError(f"Given input size per channel: {list(input.shape[2:])}. Calculated "
                           f"output size per channel: {list(out)}. Output size is too small")
    if output_size is not None:
        out = tuple(output_size)
    args = (input, weight) if bias is None else (input, weight, bias)
    y = ConvTranspose.apply(*args, stride=stride, pads=tuple((p, p) for p in padding),
                            dilation=dilation, groups=groups, out=out)
    return y.squeeze(0) if unbatched else y


def conv_transpose1d(input, weight, bias=None, stride=1, padding=0, output_padding=0, groups=1,
                     dilation=1) -> Tensor:
    """conv_transpose1d(input, weight, bias=None, stride=1, padding=0, output_padding=0,
    groups=1, dilation=1); weight (C_in, C_out/groups, k)."""
    return _conv_transposend("conv_transpose1d", 1, input, weight, bias, stride, padding,
                             output_padding, groups, dilation)


def conv_transpose2d(input, weight, bias=None, stride=1, padding=0, output_padding=0, groups=1,
                     dilation=1) -> Tensor:
    """conv_transpose2d(input, weight, bias=None, stride=1, padding=0, output_padding=0,
    groups=1, dilation=1); weight (C_in, C_out/groups, kH, kW)."""
    return _conv_transposend("conv_transpose2d", 2, input, weight, bias, stride, padding,
                             output_padding, groups, dilation)


def conv_transpose3d(input, weight, bias=None, stride=1, padding=0, output_padding=0, groups=1,
                     dilation=1) -> Tensor:
    """conv_transpose3d(input, weight, bias=None, stride=1, padding=0, output_padding=0,
    groups=1, dilation=1); weight (C_in, C_out/groups, kD, kH, kW)."""
    return _conv_transposend("conv_transpose3d", 3, input, weight, bias, stride, padding,
                             output_padding, groups, dilation)


def conv_tbc(input: Tensor, weight: Tensor, bias: Tensor, pad: int = 0) -> Tensor:
    """conv_tbc(input, weight, bias, pad=0): a 1-d convolution over (time, batch, channels)
    input with a (kernel_width, in_channels, out_channels) weight, pad steps of zeros at
    each end of time (a negative pad crops): output (time + 2 pad - kernel_width + 1, batch,
    out_channels)."""
    if input.ndim != 3:
        raise RuntimeError("Input must have 3 dims: time, batch, in_channel")
    if weight.ndim != 3:
        raise RuntimeError("Weight tensor must have 3 dims: kernel_width, in_channels, "
                           "out_channels.")
    if bias.ndim != 1:
        raise RuntimeError("Bias must be 1-D")
    if input.shape[2] != weight.shape[1]:
        raise RuntimeError("Input dim 2 (input channels) is not == dim 1 in the weight tensor")
    if weight.shape[2] != bias.shape[0]:
        raise RuntimeError("Bias size must equal dim 2 in the weight tensor (output channels).")
    time, batch, _ = input.shape
    length = time + 2 * pad - weight.shape[0] + 1
    if length < 0:
        raise RuntimeError(f"Trying to create tensor with negative dimension {length}: "
                           f"[{length}, {batch}, {weight.shape[2]}]")
    if pad < 0:
        input, pad = input[-pad:time + pad], 0
    out = conv1d(input.permute(1, 2, 0), weight.permute(2, 1, 0), bias, padding=pad)
    return out.permute(2, 0, 1)
