"""Shape ops that copy: repeat, tile, flip, roll, rot90, narrow_copy, the joining family
(cat, stack, hstack, ...) and the triangles tril/triu. Views of the input are in shape.py."""
from __future__ import annotations

import operator

import numpy as np

from .. import _dtype
from .._device import move, to_numpy, ufunc_at, xp_of
from .._tensor import Size, Tensor, _wrap_dim
from ..autograd.function import Function
from .reduction import normalize_dims

__all__ = ["repeat", "repeat_interleave", "tile", "flip", "fliplr", "flipud", "roll", "rot90",
           "narrow_copy",
           "cat", "concat", "concatenate", "stack", "hstack", "vstack", "row_stack", "dstack",
           "column_stack", "atleast_1d", "atleast_2d", "atleast_3d", "tril", "triu"]


def _sizes(args) -> tuple:
    """(2, 3) or ((2, 3),) or ([2, 3],) -> (2, 3)."""
    if len(args) == 1 and isinstance(args[0], (tuple, list, Size)):
        args = tuple(args[0])
    return tuple(int(s) for s in args)


# =======================================================================================
# copies: repeat, tile, flip, roll
# =======================================================================================
class Repeat(Function):
    def forward(self, x, sizes):
        self.shape = x.shape
        lead = len(sizes) - x.ndim
        xs = x.reshape((1,) * lead + x.shape)
        self.padded = xs.shape
        return xp_of(x).tile(xs, sizes)

    def backward(self, gz):
        inter = []
        for r, s in zip(gz.shape, self.padded):
            inter += [r // s if s else 0, s]
        g = gz.reshape(inter).sum(tuple(range(0, len(inter), 2)))
        return g.reshape(self.shape)


def repeat(input: Tensor, *sizes) -> Tensor:
    """repeat(*sizes): tile the tensor sizes[i] times along each dim (a copy)."""
    sizes = _sizes(sizes)
    if len(sizes) < input.ndim:
        raise RuntimeError("Number of dimensions of repeat dims can not be smaller than number of "
                           "dimensions of tensor")
    if any(s < 0 for s in sizes):
        raise RuntimeError(f"Trying to create tensor with negative dimension {min(sizes)}: "
                           f"{list(sizes)}")
    return Repeat.apply(input, sizes)


def tile(input: Tensor, dims) -> Tensor:
    """tile(dims): like repeat, with ones prepended to dims when it is shorter than input.ndim."""
    dims = _sizes((dims,))
    dims = (1,) * (input.ndim - len(dims)) + dims
    return repeat(input, dims)


class RepeatInterleave(Function):
    """y = x's slices along dim taken in the order idx lists them (each source repeated)."""

    saves_input_values = False

    def forward(self, x, idx, dim):
        self.n, self.idx, self.dim = x.shape[dim], idx, dim
        return xp_of(x).take(x, idx, axis=dim)

    def backward(self, gz):
        return SumRepeats.apply(gz, self.idx, self.dim, self.n)


class SumRepeats(Function):
    """The adjoint of RepeatInterleave: each source slice gets the sum of its copies."""

    saves_input_values = False

    def forward(self, g, idx, dim, n):
        self.idx, self.dim = idx, dim
        xp = xp_of(g)
        gm = xp.moveaxis(g, dim, 0)
        out = xp.zeros((n,) + gm.shape[1:], g.dtype)
        ufunc_at(xp, "add", out, idx, gm)
        return xp.ascontiguousarray(xp.moveaxis(out, 0, dim))

    def backward(self, gg):
        return RepeatInterleave.apply(gg, self.idx, self.dim)


def repeat_interleave(input: Tensor, repeats=None, dim: int | None = None, *,
                      output_size: int | None = None) -> Tensor:
    """repeat_interleave(input, repeats, dim=None, *, output_size=None): each element (or
    slice along dim) repeated repeats times in place; repeats is an int or an integer tensor
    with one count per slice. dim=None works on the flattened input.

    repeat_interleave(repeats) (one integer tensor) gives arange(len(repeats)) repeated.
    """
    if repeats is None:
        if input.ndim != 1 or input.dtype.category != 1:
            raise RuntimeError("repeat_interleave: repeats must be a 1-d integer tensor")
        n = input.shape[0]
        src = Tensor._make(xp_of(input._data).arange(n, dtype=input._data.dtype))
        return repeat_interleave(src, input, 0, output_size=output_size)
    if dim is None:
        input, d = input.reshape(-1), 0
    else:
        d = _wrap_dim(dim, input.ndim, "repeat_interleave")
        if input.ndim == 0:
            input = input.reshape(1)
    n = input.shape[d]
    # the counts fix the output's shape, so they are read on the host
    if isinstance(repeats, Tensor):
        if repeats.dtype.category != 1:
            raise NotImplementedError(f"\"repeat_interleave_cpu\" not implemented for "
                                      f"'{repeats.dtype.name}'")
        if repeats.ndim > 1:
            raise RuntimeError("repeats must be 0-dim or 1-dim tensor")
        counts = to_numpy(repeats._data).reshape(-1).astype(np.int64)
        if counts.size == 1:
            counts = np.full(n, int(counts[0]), dtype=np.int64)
        elif counts.size != n:
            raise RuntimeError(f"repeats must have the same size as input along dim, but got "
                               f"repeats.size(0) = {counts.size} and input.size({d}) = {n}")
    else:
        counts = np.full(n, operator.index(repeats), dtype=np.int64)
    if counts.size and int(counts.min()) < 0:
        raise RuntimeError("Repeats must be non-negative")
    idx = np.repeat(np.arange(n, dtype=np.int64), counts)
    if output_size is not None and int(output_size) != idx.size:
        raise RuntimeError("allocated size does not match required size")
    return RepeatInterleave.apply(input, move(idx, input.device), d)


class Flip(Function):
    def forward(self, x, dims):
        self.dims = dims
        return xp_of(x).flip(x, dims).copy() if dims else x.copy()

    def backward(self, gz):
        return Flip.apply(gz, self.dims)


def flip(input: Tensor, dims) -> Tensor:
    """flip(dims): reverse the order along dims (a copy, as in torch)."""
    dims = (dims,) if isinstance(dims, int) else tuple(dims)
    return Flip.apply(input, normalize_dims(dims, input.ndim, "flip"))


def fliplr(input: Tensor) -> Tensor:
    """fliplr(): flip dim 1 (needs at least 2 dims)."""
    if input.ndim < 2:
        raise RuntimeError("Input must be >= 2-d.")
    return flip(input, (1,))


def flipud(input: Tensor) -> Tensor:
    """flipud(): flip dim 0 (needs at least 1 dim)."""
    if input.ndim < 1:
        raise RuntimeError("Input must be >= 1-d.")
    return flip(input, (0,))


class Roll(Function):
    def forward(self, x, shifts, dims):
        self.shifts, self.dims = shifts, dims
        return xp_of(x).roll(x, shifts, dims)

    def backward(self, gz):
        neg = tuple(-s for s in self.shifts) if isinstance(self.shifts, tuple) else -self.shifts
        return Roll.apply(gz, neg, self.dims)


def roll(input: Tensor, shifts, dims=None) -> Tensor:
    """roll(shifts, dims=None): rotate elements along dims (the flattened tensor when None)."""
    sh = (shifts,) if isinstance(shifts, int) else tuple(int(s) for s in shifts)
    if dims is None:
        if len(sh) != 1:
            raise RuntimeError(f"shifts and dimensions must align. shifts: {len(sh)}, dims:0")
        return Roll.apply(input, sh[0], None)
    dm = (dims,) if isinstance(dims, int) else tuple(dims)
    if len(sh) != len(dm):
        raise RuntimeError(f"shifts and dimensions must align. shifts: {len(sh)}, dims:{len(dm)}")
    dm = tuple(_wrap_dim(d, input.ndim, "roll") for d in dm)
    if input.ndim == 0:
        return Roll.apply(input, 0, None)
    return Roll.apply(input, sh, dm)


def rot90(input: Tensor, k: int = 1, dims=(0, 1)) -> Tensor:
    """rot90(input, k=1, dims=(0, 1)): rotate by k * 90 degrees in the plane of dims, from the
    first towards the second."""
    dims = list(dims)
    if len(dims) != 2:
        raise RuntimeError(f"expected total rotation dims == 2, but got dims = {len(dims)}")
    if input.ndim < 2:
        raise RuntimeError(f"expected total dims >= 2, but got total dims = {input.ndim}")
    d0, d1 = (_wrap_dim(d, input.ndim, "rot90") for d in dims)
    if d0 == d1:
        raise RuntimeError(f"expected rotation dims to be different, but got dim0 = {d0} and "
                           f"dim1 = {d1}")
    k = operator.index(k) % 4
    if k == 1:
        return flip(input, (d1,)).transpose(d0, d1)
    if k == 2:
        return flip(input, (d0, d1))
    if k == 3:
        return flip(input, (d0,)).transpose(d0, d1)
    return input.clone()


def narrow_copy(input: Tensor, dim: int, start: int, length: int) -> Tensor:
    """narrow_copy(input, dim, start, length): narrow, copied into fresh memory."""
    return input.narrow(dim, start, length).contiguous()


# =======================================================================================
# joining: cat, stack and friends
# =======================================================================================
class Cat(Function):
    """Join along dim; the inputs at positions ``skip`` (torch's legacy 1-D empty tensors)
    join nothing but stay inputs, so their gradient is an empty tensor, not None."""

    def forward(self, *xs, dim, skip=()):
        self.dim = dim
        self.sizes = [None if i in skip else x.shape[dim] for i, x in enumerate(xs)]
        return xp_of(xs[0]).concatenate([x for i, x in enumerate(xs) if i not in skip],
                                        axis=dim)

    def backward(self, gz):
        out, a = [], 0
        for n in self.sizes:
            if n is None:
                out.append(gz.new_zeros(0))
                continue
            out.append(gz.narrow(self.dim, a, n))
            a += n
        return tuple(out)


def _tensor_list(tensors, op):
    if isinstance(tensors, Tensor):
        raise TypeError(f"{op}(): argument 'tensors' (position 1) must be tuple of Tensors, not Tensor")
    tensors = list(tensors)
    for i, t in enumerate(tensors):
        if not isinstance(t, Tensor):
            raise TypeError(f"expected Tensor as element {i} in argument 0, but got "
                            f"{type(t).__name__}")
    return tensors


def _same_device(tensors, op):
    dev = tensors[0].device
    for t in tensors[1:]:
        if t.device != dev:
            raise RuntimeError(f"Expected all tensors to be on the same device, but found at least "
                               f"two devices, {dev} and {t.device}! ({op})")


def cat(tensors, dim: int = 0, *, out=None) -> Tensor:
    """cat(tensors, dim=0): join along dim, promoting dtypes.

    1-D empty tensors (shape [0]) are skipped whatever their rank, torch's legacy rule.
    """
    tensors = _tensor_list(tensors, "cat")
    if not tensors:
        raise ValueError("torch.cat(): expected a non-empty list of Tensors")
    _same_device(tensors, "cat")
    rt = _promote_all(tensors)
    keep = [t for t in tensors if not (t.ndim == 1 and t.shape[0] == 0)]
    if not keep:
        keep = tensors[:1]
    ref = keep[0]
    for i, t in enumerate(tensors):
        if t.ndim == 0:
            raise RuntimeError(f"zero-dimensional tensor (at position {i}) cannot be concatenated")
    d = _wrap_dim(dim, ref.ndim, "cat")
    for i, t in enumerate(tensors):
        if t.ndim == 1 and t.shape[0] == 0 and t is not ref:
            continue
        if t.ndim != ref.ndim:
            raise RuntimeError(f"Tensors must have same number of dimensions: got {ref.ndim} and "
                               f"{t.ndim}")
        for k in range(ref.ndim):
            if k != d and t.shape[k] != ref.shape[k]:
                raise RuntimeError(f"Sizes of tensors must match except in dimension {d}. Expected "
                                   f"size {ref.shape[k]} but got size {t.shape[k]} for tensor number "
                                   f"{i} in the list.")
    skip = frozenset(i for i, t in enumerate(tensors)
                     if t.ndim == 1 and t.shape[0] == 0 and t is not ref)
    res = Cat.apply(*[t if t.dtype is rt else t.to(rt) for t in tensors], dim=d, skip=skip)
    if out is not None:
        return out.resize_(res.shape).copy_(res)
    return res


def _promote_all(tensors):
    rt = tensors[0].dtype
    for t in tensors[1:]:
        rt = _dtype.promote_types(rt, t.dtype)
    return rt


concat = concatenate = cat


def stack(tensors, dim: int = 0, *, out=None) -> Tensor:
    """stack(tensors, dim=0): join equal-shaped tensors along a new dimension."""
    tensors = _tensor_list(tensors, "stack")
    if not tensors:
        raise RuntimeError("stack expects a non-empty TensorList")
    s0 = tuple(tensors[0].shape)
    for i, t in enumerate(tensors[1:], 1):
        if tuple(t.shape) != s0:
            raise RuntimeError(f"stack expects each tensor to be equal size, but got {list(s0)} at "
                               f"entry 0 and {list(t.shape)} at entry {i}")
    d = _wrap_dim(dim, len(s0) + 1, "stack")
    return cat([t.unsqueeze(d) for t in tensors], d, out=out)


def atleast_1d(*tensors):
    """atleast_1d(*tensors): 0-d tensors become shape [1]; one tensor in, one out."""
    return _atleast(tensors, lambda t: t.reshape(1) if t.ndim == 0 else t)


def atleast_2d(*tensors):
    """atleast_2d(*tensors): 0-d -> [1, 1], 1-d [n] -> [1, n]."""
    return _atleast(tensors, lambda t: t.reshape((1,) * (2 - t.ndim) + tuple(t.shape))
                    if t.ndim < 2 else t)


def atleast_3d(*tensors):
    """atleast_3d(*tensors): 0-d -> [1, 1, 1], [n] -> [1, n, 1], [m, n] -> [m, n, 1]."""
    def up(t):
        if t.ndim == 0:
            return t.reshape(1, 1, 1)
        if t.ndim == 1:
            return t.reshape(1, -1, 1)
        if t.ndim == 2:
            return t.unsqueeze(2)
        return t
    return _atleast(tensors, up)


def _atleast(tensors, fn):
    if len(tensors) == 1 and isinstance(tensors[0], Tensor):
        return fn(tensors[0])
    if len(tensors) == 1:
        tensors = tuple(tensors[0])
    return tuple(fn(t) for t in tensors)


def hstack(tensors, *, out=None) -> Tensor:
    """hstack(tensors): cat along dim 1, or dim 0 when all are 1-D."""
    ts = atleast_1d(tuple(_tensor_list(tensors, "hstack")))
    return cat(ts, 0 if ts and all(t.ndim == 1 for t in ts) else 1, out=out)


def vstack(tensors, *, out=None) -> Tensor:
    """vstack(tensors): cat of atleast_2d tensors along dim 0."""
    return cat(atleast_2d(tuple(_tensor_list(tensors, "vstack"))), 0, out=out)


row_stack = vstack


def dstack(tensors, *, out=None) -> Tensor:
    """dstack(tensors): cat of atleast_3d tensors along dim 2."""
    return cat(atleast_3d(tuple(_tensor_list(tensors, "dstack"))), 2, out=out)


def column_stack(tensors, *, out=None) -> Tensor:
    """column_stack(tensors): 0-d and 1-d tensors become columns, then cat along dim 1."""
    ts = [t.reshape(t.numel(), 1) if t.ndim <= 1 else t for t in _tensor_list(tensors, "column_stack")]
    return cat(ts, 1, out=out)


# =======================================================================================
# triangles
# =======================================================================================
class Tri(Function):
    def forward(self, x, k, upper):
        self.k, self.upper = k, upper
        xp = xp_of(x)
        return xp.triu(x, k) if upper else xp.tril(x, k)

    def backward(self, gz):
        return Tri.apply(gz, self.k, self.upper)


def tril(input: Tensor, diagonal: int = 0, *, out=None) -> Tensor:
    """tril(diagonal=0): keep elements on and below the diagonal-th diagonal of the last 2 dims."""
    if input.ndim < 2:
        raise RuntimeError("tril: input tensor must have at least 2 dimensions")
    return Tri.apply(input, int(diagonal), False)


def triu(input: Tensor, diagonal: int = 0, *, out=None) -> Tensor:
    """triu(diagonal=0): keep elements on and above the diagonal-th diagonal of the last 2 dims."""
    if input.ndim < 2:
        raise RuntimeError("triu: input tensor must have at least 2 dimensions")
    return Tri.apply(input, int(diagonal), True)
