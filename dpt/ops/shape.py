"""Shape ops. Views (view, reshape, expand, permute, ...) share memory with their input."""
from __future__ import annotations

import numpy as np

from .._tensor import Tensor, _wrap_dim
from ..autograd.function import Function

__all__ = ["view", "view_as", "reshape", "reshape_as", "expand", "expand_as", "permute",
           "transpose", "swapaxes", "swapdims", "t", "squeeze", "unsqueeze", "flatten",
           "broadcast_to", "set_view_"]


def _infer_shape(shape, numel: int, op: str) -> tuple:
    """Resolve one -1 in shape; check the element count."""
    if len(shape) == 1 and isinstance(shape[0], (tuple, list)):
        shape = tuple(shape[0])
    shape = tuple(int(s) for s in shape)
    if shape.count(-1) > 1:
        raise RuntimeError(f"{op}: only one dimension can be inferred")
    known = 1
    for s in shape:
        if s != -1:
            if s < 0:
                raise RuntimeError(f"{op}: invalid shape dimension {s}")
            known *= s
    if -1 in shape:
        if known == 0 or numel % known:
            raise RuntimeError(f"{op}: shape '{list(shape)}' is invalid for input of size {numel}")
        shape = tuple(numel // known if s == -1 else s for s in shape)
    elif known != numel:
        raise RuntimeError(f"{op}: shape '{list(shape)}' is invalid for input of size {numel}")
    return shape


class Reshape(Function):
    def forward(self, x, shape, require_view):
        self.in_shape = x.shape
        y = _reshape_no_copy(x, shape)
        if y is None:
            if require_view:
                raise RuntimeError(
                    "view size is not compatible with input tensor's size and stride (at least one "
                    "dimension spans across two contiguous subspaces). Use .reshape(...) instead.")
            y = x.reshape(shape)
            self.is_view = False
        else:
            self.is_view = True
        return y

    def backward(self, gz):
        return gz.reshape(self.in_shape)


def _reshape_no_copy(x, shape):
    """x reshaped as a view, or None when the strides do not allow one."""
    if x.flags.c_contiguous:
        return x.reshape(shape)
    try:
        if isinstance(x, np.ndarray):
            return np.reshape(x, shape, copy=False)
        v = x.view()
        v.shape = shape  # numpy raises instead of copying
        return v
    except (AttributeError, ValueError):
        return None


def view(input: Tensor, *shape) -> Tensor:
    """view(*shape): same data, new shape; fails when the strides cannot allow it.

    ``view(dtype)`` reinterprets the bytes as another dtype of the same size.
    """
    from .. import _dtype

    if len(shape) == 1 and isinstance(shape[0], _dtype.dtype):
        return _view_dtype(input, shape[0])
    return Reshape.apply(input, _infer_shape(shape, input.numel(), "view"), True)


def _view_dtype(input, dt):
    if dt.itemsize != input.element_size():
        raise RuntimeError(f"view(dtype): {input.dtype} and {dt} differ in element size")
    return Tensor._make(input._data.view(dt.np), base=input)


def view_as(input: Tensor, other: Tensor) -> Tensor:
    return view(input, tuple(other.shape))


def reshape(input: Tensor, *shape) -> Tensor:
    """reshape(*shape): a view when possible, else a copy."""
    shape = _infer_shape(shape, input.numel(), "reshape")
    return Reshape.apply(input, shape, False)


def reshape_as(input: Tensor, other: Tensor) -> Tensor:
    return reshape(input, tuple(other.shape))


def flatten(input: Tensor, start_dim: int = 0, end_dim: int = -1) -> Tensor:
    """flatten(start_dim=0, end_dim=-1): merge dims start_dim..end_dim."""
    nd = input.ndim
    if nd == 0:
        return reshape(input, (1,))
    s, e = _wrap_dim(start_dim, nd, "flatten"), _wrap_dim(end_dim, nd, "flatten")
    if s > e:
        raise RuntimeError("flatten() has invalid args: start_dim cannot come after end_dim")
    shp = input.shape
    n = 1
    for d in shp[s:e + 1]:
        n *= d
    return reshape(input, tuple(shp[:s]) + (n,) + tuple(shp[e + 1:]))


class Expand(Function):
    is_view = True

    def forward(self, x, shape):
        return _xp(x).broadcast_to(x, shape)

    def backward(self, gz):
        return gz  # the engine sums it back to the input shape


def _xp(x):
    from .._device import xp_of

    return xp_of(x)


def expand(input: Tensor, *sizes) -> Tensor:
    """expand(*sizes): broadcast view; -1 keeps a dimension."""
    if len(sizes) == 1 and isinstance(sizes[0], (tuple, list)):
        sizes = tuple(sizes[0])
    nd = input.ndim
    if len(sizes) < nd:
        raise RuntimeError(f"expand: the number of sizes provided ({len(sizes)}) must be greater or "
                           f"equal to the number of dimensions in the tensor ({nd})")
    lead = len(sizes) - nd
    shape = []
    for i, s in enumerate(sizes):
        s = int(s)
        if i < lead:
            if s < 0:
                raise RuntimeError(f"expand: the expanded size of the tensor ({s}) isn't allowed in "
                                   f"a leading, non-existing dimension {i}")
            shape.append(s)
            continue
        cur = input.shape[i - lead]
        if s == -1:
            s = cur
        elif cur != 1 and s != cur:
            raise RuntimeError(f"The expanded size of the tensor ({s}) must match the existing size "
                               f"({cur}) at non-singleton dimension {i}.  Target sizes: {list(sizes)}."
                               f"  Tensor sizes: {list(input.shape)}")
        shape.append(s)
    return Expand.apply(input, tuple(shape))


def expand_as(input: Tensor, other: Tensor) -> Tensor:
    return expand(input, tuple(other.shape))


def broadcast_to(input: Tensor, size) -> Tensor:
    return expand(input, tuple(size))


class Permute(Function):
    is_view = True

    def forward(self, x, dims):
        self.dims = dims
        return x.transpose(dims)

    def backward(self, gz):
        inv = [0] * len(self.dims)
        for i, d in enumerate(self.dims):
            inv[d] = i
        return gz.permute(tuple(inv))


def permute(input: Tensor, *dims) -> Tensor:
    """permute(*dims): reorder dimensions (a view)."""
    if len(dims) == 1 and isinstance(dims[0], (tuple, list)):
        dims = tuple(dims[0])
    nd = input.ndim
    if len(dims) != nd:
        raise RuntimeError(f"permute(sparse_coo): number of dimensions in the tensor input does not "
                           f"match the length of the desired ordering of dimensions i.e. input.dim() "
                           f"= {nd} is not equal to len(dims) = {len(dims)}")
    dims = tuple(_wrap_dim(d, nd, "permute") for d in dims)
    if len(set(dims)) != nd:
        raise RuntimeError("permute(): duplicate dims are not allowed.")
    return Permute.apply(input, dims)


def transpose(input: Tensor, dim0: int, dim1: int) -> Tensor:
    """transpose(dim0, dim1): swap two dimensions (a view)."""
    nd = input.ndim
    if nd == 0:
        return Permute.apply(input, ())
    d0, d1 = _wrap_dim(dim0, nd, "transpose"), _wrap_dim(dim1, nd, "transpose")
    dims = list(range(nd))
    dims[d0], dims[d1] = dims[d1], dims[d0]
    return Permute.apply(input, tuple(dims))


swapaxes = swapdims = transpose


def t(input: Tensor) -> Tensor:
    """t(): transpose of a tensor with at most 2 dimensions."""
    if input.ndim > 2:
        raise RuntimeError(f"t() expects a tensor with <= 2 dimensions, but self is {input.ndim}D")
    return transpose(input, 0, 1) if input.ndim == 2 else Permute.apply(input, tuple(range(input.ndim)))


def squeeze(input: Tensor, dim=None) -> Tensor:
    """squeeze(dim=None): drop size-1 dimensions (all, one, or a tuple of them)."""
    shp = input.shape
    if dim is None:
        new = tuple(s for s in shp if s != 1)
    else:
        dims = (dim,) if isinstance(dim, int) else tuple(dim)
        dims = {_wrap_dim(d, input.ndim, "squeeze") for d in dims} if input.ndim else set()
        new = tuple(s for i, s in enumerate(shp) if not (i in dims and s == 1))
    return Reshape.apply(input, new, False)


def unsqueeze(input: Tensor, dim: int) -> Tensor:
    """unsqueeze(dim): insert a size-1 dimension at dim (negative dims count from the end)."""
    nd = input.ndim + 1
    d = _wrap_dim(dim, nd, "unsqueeze")
    shp = list(input.shape)
    shp.insert(d, 1)
    return Reshape.apply(input, tuple(shp), False)


def set_view_(input: Tensor, view: Tensor) -> Tensor:
    """Make input itself become view (for squeeze_, t_, ...): metadata-only in-place."""
    input._data = view._data
    if view.requires_grad and view.grad_fn is not None:
        input.grad_fn, input._output_nr = view.grad_fn, view._output_nr
    return input
