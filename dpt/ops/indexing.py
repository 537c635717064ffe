"""Indexing: __getitem__/__setitem__ (basic and advanced), masked_fill, ..."""
from __future__ import annotations

from .. import _dtype
from .._device import to_numpy, xp_of
from .._tensor import Tensor
from ..autograd.function import Function
from ..autograd.grad_mode import is_grad_enabled

__all__ = ["getitem", "setitem", "masked_fill"]


def _convert_index(index, xp, op="index"):
    """Turn a torch-style index into one numpy/cupy understand.

    Returns (index, is_basic): basic indices (ints, slices, None, Ellipsis) give views.
    """
    items = index if isinstance(index, tuple) else (index,)
    out, basic = [], True
    for it in items:
        if isinstance(it, Tensor):
            if it.dtype.category == 0:
                out.append(it._data)
            elif it.dtype.category == 1:
                out.append(it._data.astype(xp.intp, copy=False))
            else:
                raise IndexError("tensors used as indices must be long, int, byte or bool tensors")
            basic = False
        elif isinstance(it, slice):
            if it.step is not None and int(it.step) <= 0:
                raise ValueError("step must be greater than zero")
            out.append(slice(_int_or_none(it.start), _int_or_none(it.stop), _int_or_none(it.step)))
        elif it is None or it is Ellipsis:
            out.append(it)
        elif isinstance(it, bool):
            out.append(it)
            basic = False
        elif isinstance(it, (list, tuple)) or hasattr(it, "__array__") and not isinstance(it, int):
            arr = xp.asarray(to_numpy(it) if hasattr(it, "__array__") else it)
            if arr.dtype.kind == "f":
                raise IndexError("tensors used as indices must be long, int, byte or bool tensors")
            out.append(arr)
            basic = False
        else:
            try:
                out.append(int(it.__index__()))
            except (AttributeError, TypeError):
                raise IndexError(f"{op}: only integers, slices (`:`), ellipsis (`...`), None and long "
                                 f"or byte Variables are valid indices (got {type(it).__name__})") from None
    return tuple(out), basic


def _int_or_none(v):
    return None if v is None else int(v.__index__() if hasattr(v, "__index__") else v)


class GetItem(Function):
    def forward(self, x, index, basic):
        self.shape, self.dtype, self.index, self.basic = x.shape, x.dtype, index, basic
        self.is_view = basic
        try:
            return x[index]
        except IndexError as e:
            raise IndexError(f"index {_describe(index)} is out of bounds for tensor of shape "
                             f"{list(x.shape)}: {e}") from None

    def backward(self, gz):
        return IndexBackward.apply(gz, self.shape, self.index, self.basic)


class IndexBackward(Function):
    """Scatter-add gz into zeros shaped like the indexed tensor."""

    def forward(self, gz, shape, index, basic):
        self.index, self.basic = index, basic
        xp = xp_of(gz)
        g = xp.zeros(shape, dtype=gz.dtype)
        if basic:
            g[index] = gz
        else:
            xp.add.at(g, index, gz)
        return g

    def backward(self, ggz):
        return GetItem.apply(ggz, self.index, self.basic)


def _describe(index):
    return repr(tuple(getattr(i, "shape", i) for i in index))


def getitem(input: Tensor, index) -> Tensor:
    """input[index] with torch's rules: basic indexing gives a view, tensors/lists/masks copy."""
    idx, basic = _convert_index(index, xp_of(input._data))
    return GetItem.apply(input, idx, basic)


class IndexPut(Function):
    """out = x with out[index] = v (v broadcast to the indexed shape)."""

    def forward(self, x, v, index):
        self.index = index
        y = x.copy()
        y[index] = v
        return y

    def backward(self, gz):
        need_x, need_v = self.needs_input_grad
        gx = gv = None
        if need_x:
            gx = IndexPut.apply(gz, 0.0, self.index)
        if need_v:
            gv = gz[_as_torch_index(self.index)]
        return gx, gv


def _as_torch_index(index):
    return tuple(Tensor._make(i) if hasattr(i, "dtype") and hasattr(i, "shape") else i for i in index)


def setitem(input: Tensor, index, value) -> None:
    """input[index] = value (value: scalar or tensor broadcastable to the indexed shape)."""
    xp = xp_of(input._data)
    idx, _ = _convert_index(index, xp)
    tracked = is_grad_enabled() and (input.requires_grad or
                                     (isinstance(value, Tensor) and value.requires_grad))
    if not tracked:
        input._check_inplace("__setitem__")
        if isinstance(value, Tensor):
            from .._device import move

            value = move(value._data, input.device)
        try:
            input._data[idx] = value
        except ValueError as e:
            raise RuntimeError(f"__setitem__: shape mismatch: value of shape "
                               f"{list(getattr(value, 'shape', ()))} cannot be broadcast to the "
                               f"indexed shape of a tensor of shape {list(input.shape)} ({e})") from None
        input._vc[0] += 1
        return
    if isinstance(value, Tensor) and value.dtype is not input.dtype:
        value = value.to(input.dtype)
    input._inplace(IndexPut.apply(input, value, idx), "__setitem__")


class MaskedFill(Function):
    def forward(self, x, mask, value):
        self.mask = mask
        xp = xp_of(x)
        return xp.where(mask, xp.asarray(value, dtype=x.dtype), x)

    def backward(self, gz):
        need_x, _, need_v = self.needs_input_grad
        m = Tensor._make(self.mask)
        gx = gz.masked_fill(m, 0.0) if need_x else None
        gv = (gz * m).sum() if need_v else None
        return gx, None, gv


def masked_fill(input: Tensor, mask: Tensor, value) -> Tensor:
    """masked_fill(mask, value): value where mask is True (mask broadcasts to input)."""
    if mask.dtype is not _dtype.bool:
        raise RuntimeError(f"masked_fill_ only supports boolean masks, but got mask with dtype "
                           f"{mask.dtype.name}")
    if isinstance(value, Tensor):
        if value.ndim != 0:
            raise RuntimeError(f"masked_fill_ only supports a 0-dimensional value tensor, but got "
                               f"tensor with {value.ndim} dimension(s).")
        if value.dtype is not input.dtype:
            value = value.to(input.dtype)
    out = MaskedFill.apply(input, mask, value)
    if tuple(out.shape) != tuple(input.shape):
        raise RuntimeError(f"masked_fill: mask of shape {list(mask.shape)} must broadcast to the "
                           f"input's shape {list(input.shape)}, got {list(out.shape)}")
    return out
