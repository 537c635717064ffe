"""The view ops as copies, and their inverses.

- ``*_copy`` (expand_copy, diagonal_copy, permute_copy, ...): the view op's result in fresh,
  contiguous memory, differentiable like the view.
- ``*_scatter`` (diagonal_scatter, select_scatter, slice_scatter, as_strided_scatter): a copy
  of input with src written where the view would look; differentiable in input (zero where
  src went) and in src (the gradient's view).
"""
from __future__ import annotations

from .._device import xp_of
from .._memory_format import contiguous_format
from .._tensor import Tensor, _wrap_dim
from ..autograd.function import Function
from ..autograd.grad_mode import no_grad
from .arithmetic import _with_out
from .conversion import clone
from .creation import zeros
from .inplace import strided_positions
from .shape import (_diagonal_view, _storage, as_strided, diagonal, expand, permute, select,
                    split, squeeze, t, transpose, unbind, unfold, unsqueeze, view)

__all__ = ["expand_copy", "diagonal_copy", "alias_copy", "as_strided_copy", "view_copy",
           "permute_copy", "unbind_copy", "unfold_copy", "squeeze_copy", "unsqueeze_copy",
           "transpose_copy", "t_copy", "split_with_sizes_copy", "select_copy",
           "diagonal_scatter", "select_scatter", "slice_scatter", "as_strided_scatter"]


# =======================================================================================
# *_copy: the view, copied
# =======================================================================================
def _copied(result, out, op):
    if isinstance(result, tuple):
        return tuple(clone(r, memory_format=contiguous_format) for r in result)
    return _with_out(clone(result, memory_format=contiguous_format), out, op)


def expand_copy(input: Tensor, size, *, implicit: bool = False, out=None) -> Tensor:
    """expand_copy(input, size, *, implicit=False, out=None): expand, copied."""
    return _copied(expand(input, size), out, "expand_copy")


def diagonal_copy(input: Tensor, offset: int = 0, dim1: int = 0, dim2: int = 1, *,
                  out=None) -> Tensor:
    """diagonal_copy(input, offset=0, dim1=0, dim2=1, *, out=None): diagonal, copied."""
    return _copied(diagonal(input, offset, dim1, dim2), out, "diagonal_copy")


def alias_copy(input: Tensor, *, out=None) -> Tensor:
    """alias_copy(input, *, out=None): a copy of input (the alias view, copied)."""
    return _copied(input, out, "alias_copy")


def as_strided_copy(input: Tensor, size, stride, storage_offset=None, *, out=None) -> Tensor:
    """as_strided_copy(input, size, stride, storage_offset=None, *, out=None)."""
    return _copied(as_strided(input, size, stride, storage_offset), out, "as_strided_copy")


def view_copy(input: Tensor, size, *, out=None) -> Tensor:
    """view_copy(input, size, *, out=None) or view_copy(input, dtype): view, copied."""
    return _copied(view(input, size), out, "view_copy")


def permute_copy(input: Tensor, dims, *, out=None) -> Tensor:
    """permute_copy(input, dims, *, out=None): permute, copied."""
    return _copied(permute(input, dims), out, "permute_copy")


def unbind_copy(input: Tensor, dim: int = 0, *, out=None) -> tuple:
    """unbind_copy(input, dim=0): unbind, each piece copied."""
    return _copied(tuple(unbind(input, dim)), out, "unbind_copy")


def unfold_copy(input: Tensor, dimension: int, size: int, step: int, *, out=None) -> Tensor:
    """unfold_copy(input, dimension, size, step, *, out=None): unfold, copied."""
    return _copied(unfold(input, dimension, size, step), out, "unfold_copy")


def squeeze_copy(input: Tensor, dim=None, *, out=None) -> Tensor:
    """squeeze_copy(input, dim=None, *, out=None): squeeze, copied."""
    return _copied(squeeze(input, dim), out, "squeeze_copy")


def unsqueeze_copy(input: Tensor, dim: int, *, out=None) -> Tensor:
    """unsqueeze_copy(input, dim, *, out=None): unsqueeze, copied."""
    return _copied(unsqueeze(input, dim), out, "unsqueeze_copy")


def transpose_copy(input: Tensor, dim0: int, dim1: int, *, out=None) -> Tensor:
    """transpose_copy(input, dim0, dim1, *, out=None): transpose, copied."""
    return _copied(transpose(input, dim0, dim1), out, "transpose_copy")


def t_copy(input: Tensor, *, out=None) -> Tensor:
    """t_copy(input, *, out=None): t, copied."""
    return _copied(t(input), out, "t_copy")


def select_copy(input: Tensor, dim: int, index: int, *, out=None) -> Tensor:
    """select_copy(input, dim, index, *, out=None): select, copied."""
    return _copied(select(input, dim, index), out, "select_copy")


def split_with_sizes_copy(input: Tensor, split_sizes, dim: int = 0, *, out=None) -> tuple:
    """split_with_sizes_copy(input, split_sizes, dim=0): split_with_sizes, each piece copied."""
    return _copied(tuple(split(input, list(split_sizes), dim)), out, "split_with_sizes_copy")


# =======================================================================================
# *_scatter: src embedded where the view looks
# =======================================================================================
class ViewScatter(Function):
    """y = x with ``place(y)`` (a view of the array) overwritten by src; ``look`` is the same
    view taken of a Tensor, so the backward stays differentiable."""

    saves_input_values = False

    def forward(self, x, src, place, look):
        self.place, self.look, self.src_shape = place, look, src.shape
        y = x.copy()
        place(y)[...] = src
        return y

    def backward(self, gz):
        gx = gs = None
        if self.needs_input_grad[0]:
            z = zeros(self.src_shape, dtype=gz.dtype, device=gz.device)
            gx = ViewScatter.apply(gz, z, self.place, self.look)
        if self.needs_input_grad[1]:
            gs = self.look(gz)
        return gx, gs


def _scatter(input, src, place, look, op):
    if not isinstance(src, Tensor):
        raise TypeError(f"{op}(): argument 'src' (position 2) must be Tensor, not "
                        f"{type(src).__name__}")
    want = tuple(place(input._data).shape)
    if tuple(src.shape) != want:
        raise RuntimeError(f"{op}: expected src to have a size equal to the slice of self. src "
                           f"size = {list(src.shape)}, slice size = {list(want)}")
    if src.dtype is not input.dtype:
        src = src.to(input.dtype)
    if src.device != input.device:
        src = src.to(input.device)
    return ViewScatter.apply(input, src, place, look)


def diagonal_scatter(input: Tensor, src: Tensor, offset: int = 0, dim1: int = 0,
                     dim2: int = 1) -> Tensor:
    """diagonal_scatter(input, src, offset=0, dim1=0, dim2=1): input with its diagonal
    (as ``diagonal`` picks it) replaced by src."""
    nd = input.ndim
    if nd < 2:
        raise RuntimeError(f"diagonal_scatter: expected input with at least 2 dimensions, got "
                           f"{nd}")
    d1, d2 = _wrap_dim(dim1, nd, "diagonal_scatter"), _wrap_dim(dim2, nd, "diagonal_scatter")
    if d1 == d2:
        raise RuntimeError(f"diagonal dimensions cannot be identical {dim1}, {dim2}")
    offset = int(offset)
    return _scatter(input, src, lambda a: _diagonal_view(a, offset, d1, d2),
                    lambda g: diagonal(g, offset, d1, d2), "diagonal_scatter")


def select_scatter(input: Tensor, src: Tensor, dim: int, index: int) -> Tensor:
    """select_scatter(input, src, dim, index): input with input.select(dim, index) replaced
    by src."""
    if input.ndim == 0:
        raise IndexError("select_scatter() cannot be applied to a 0-dim tensor.")
    d = _wrap_dim(dim, input.ndim, "select_scatter")
    n, i = input.shape[d], int(index)
    if not -n <= i < n:
        raise IndexError(f"select_scatter(): index {i} out of range for tensor of size "
                         f"{list(input.shape)} at dimension {d}")
    key = (slice(None),) * d + (i % n, Ellipsis)  # the Ellipsis keeps a 0-d place a view
    return _scatter(input, src, lambda a: a[key], lambda g: select(g, d, i % n),
                    "select_scatter")


def slice_scatter(input: Tensor, src: Tensor, dim: int = 0, start=None, end=None,
                  step: int = 1) -> Tensor:
    """slice_scatter(input, src, dim=0, start=None, end=None, step=1): input with
    input[..., start:end:step, ...] (along dim) replaced by src."""
    if input.ndim == 0:
        raise RuntimeError("slice_scatter() cannot be applied to a 0-dim tensor.")
    d = _wrap_dim(dim, input.ndim, "slice_scatter")
    step = int(step)
    if step <= 0:
        raise RuntimeError("slice step must be positive")
    key = (slice(None),) * d + (slice(start, end, step),)
    return _scatter(input, src, lambda a: a[key], lambda g: g[key], "slice_scatter")


class AsStridedScatter(Function):
    """y = x with the storage elements of the as_strided view overwritten by src. As in
    torch, the view addresses x's storage: x's own elements are read back from it."""

    saves_input_values = False

    def forward(self, x, src, size, stride, offset):
        xp = xp_of(x)
        flat, own = _storage(x)
        item = x.dtype.itemsize
        self.in_pos = strided_positions(xp, x.shape, tuple(s // item for s in x.strides),
                                        own).reshape(-1)
        self.out_pos = strided_positions(xp, size, stride,
                                         own if offset is None else offset).reshape(-1)
        self.storage, self.size, self.shape = flat.size, size, x.shape
        buf = flat.copy()
        buf[self.out_pos] = src.reshape(-1)
        return buf[self.in_pos].reshape(x.shape)

    def backward(self, gz):
        gx = gs = None
        xp = xp_of(gz._data)
        if self.needs_input_grad[0]:
            covered = xp.isin(self.in_pos, self.out_pos).reshape(self.shape)
            gx = gz.masked_fill(Tensor._make(covered), 0)
        if self.needs_input_grad[1]:
            buf = zeros(self.storage, dtype=gz.dtype, device=gz.device)
            buf = buf.index_add(0, Tensor._make(self.in_pos), gz.reshape(-1))
            gs = buf.index_select(0, Tensor._make(self.out_pos)).reshape(self.size)
        return gx, gs


def as_strided_scatter(input: Tensor, src: Tensor, size, stride,
                       storage_offset=None) -> Tensor:
    """as_strided_scatter(input, src, size, stride, storage_offset=None): input with the
    elements of as_strided(input, size, stride, storage_offset) replaced by src.

    Strides and offset address input's storage, as in torch (for a view, the base's).
    Deviation: input's gradient is zero where src lands (finite differences agree); torch's
    backward gives the complement (its op_db marks that gradient an expected failure).
    """
    with no_grad():  # checks the arguments and gives the place's shape
        place = as_strided(input.detach(), size, stride, storage_offset)
    if not isinstance(src, Tensor):
        raise TypeError(f"as_strided_scatter(): argument 'src' (position 2) must be Tensor, "
                        f"not {type(src).__name__}")
    if tuple(src.shape) != tuple(place.shape):
        raise RuntimeError(f"as_strided_scatter: expected src to have a size equal to the slice "
                           f"of self. src size = {list(src.shape)}, slice size = "
                           f"{list(place.shape)}")
    if src.dtype is not input.dtype:
        src = src.to(input.dtype)
    size = tuple(place.shape)
    stride = tuple(int(s) for s in (stride if isinstance(stride, (tuple, list)) else (stride,)))
    return AsStridedScatter.apply(input, src, size, stride, storage_offset)
