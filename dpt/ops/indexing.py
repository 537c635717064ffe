"""Indexing: __getitem__/__setitem__, index_*, masked_*, where, nonzero, take (gather and
scatter are in scatter.py).

An index is turned once into *stages*: numpy index tuples applied one after the other.
Torch applies integer indices as selections before advanced (tensor) indexing, numpy
treats them as advanced indices too, which moves dimensions differently; splitting the
index into a basic stage and an advanced stage gives torch's result shapes.
"""
from __future__ import annotations

import warnings

import numpy as np

from .. import _dtype
from .._device import device_of, move, runs_on, ufunc_at, xp_of
from .._tensor import Tensor, _wrap_dim
from ..autograd.function import Function
from ..autograd.grad_mode import is_grad_enabled
from ._promote import as_operand
from .creation import tensor, zeros
from .inplace import track_view
from .shape import broadcast_shapes
from .shape_copies import cat

__all__ = ["getitem", "setitem", "index_select", "masked_select", "masked_fill", "masked_scatter",
           "nonzero", "nonzero_static", "argwhere", "where", "take", "index_add", "index_copy",
           "index_fill", "index_put", "put"]


# =======================================================================================
# helpers
# =======================================================================================
@runs_on(0)
def _check_range(arr, n: int, dim: int, op: str, allow_negative: bool = False,
                 error: type = IndexError):
    """``error`` (torch's type for the op) naming the first index outside dim's range."""
    if arr.size == 0:
        return
    lo, hi = int(arr.min()), int(arr.max())
    low = -n if allow_negative else 0
    if hi >= n or lo < low:
        bad = hi if hi >= n else lo
        prefix = f"{op}(): " if op else ""
        raise error(f"{prefix}index {bad} is out of bounds for dimension {dim} with size {n}")


def _index_array(index, like, op: str, long_only: bool = False):
    """The raw integer array of an index tensor, on like's device."""
    if not isinstance(index, Tensor):
        raise TypeError(f"{op}(): argument 'index' must be Tensor, not {type(index).__name__}")
    if index.dtype.category != 1 or (long_only and index.dtype is not _dtype.int64):
        raise RuntimeError(f"{op}(): Expected dtype int64 for index" if long_only else
                           f"{op}(): Expected dtype int32/int64 for index")
    return move(index._data, like.device)


def _as_tensor_value(value, like: Tensor):
    """A non-tensor value (list, numpy array) as a tensor of like's dtype and device."""
    if isinstance(value, Tensor) or isinstance(value, (bool, int, float, complex)):
        return value
    if isinstance(value, np.generic):
        return value.item()
    return tensor(value, dtype=like.dtype, device=like.device)


def _full_index(xp, idx, dim):
    """The advanced index that reaches, for every position of idx, the element idx picks
    along dim (the other coordinates are the position itself)."""
    out = []
    for k in range(idx.ndim):
        if k == dim:
            out.append(idx)
        else:
            shp = [1] * idx.ndim
            shp[k] = idx.shape[k]
            out.append(xp.arange(idx.shape[k]).reshape(shp))
    return tuple(out)


def _dim_index(nd, dim, idx):
    return (slice(None),) * dim + (idx,)


# =======================================================================================
# __getitem__ / __setitem__
# =======================================================================================
def _int_or_none(v):
    return None if v is None else int(v.__index__() if hasattr(v, "__index__") else v)


def _convert_item(it, xp, dev, op):
    """One index item as numpy understands it: int, slice, None, Ellipsis, bool or an array."""
    if isinstance(it, Tensor):
        cat = it.dtype.category
        if cat == 1 and it.ndim == 0:
            return int(it.item())  # torch treats a 0-d integer tensor like an int
        if cat > 1:
            raise IndexError("tensors used as indices must be long, int, byte or bool tensors")
        arr = move(it._data, dev)
        if cat == 1 and it.dtype is _dtype.uint8:
            arr = arr.astype(bool)  # legacy byte masks
        return arr if cat == 0 else arr.astype(xp.intp, copy=False)
    if isinstance(it, slice):
        if it.step is not None and _int_or_none(it.step) <= 0:
            raise ValueError("step must be greater than zero")
        return slice(_int_or_none(it.start), _int_or_none(it.stop), _int_or_none(it.step))
    if it is None or it is Ellipsis or isinstance(it, bool):
        return it
    if isinstance(it, (list, tuple)) or _is_array(it):
        arr = np.asarray(_nested(it)) if isinstance(it, (list, tuple)) else it
        if arr.dtype.kind not in "biu":
            raise IndexError("tensors used as indices must be long, int, byte or bool tensors")
        if arr.ndim == 0:
            return bool(arr) if arr.dtype.kind == "b" else int(arr)
        arr = move(arr, dev) if isinstance(arr, np.ndarray) or device_of(arr) != dev else arr
        return arr if arr.dtype.kind == "b" else arr.astype(xp.intp, copy=False)
    try:
        return int(it.__index__())
    except (AttributeError, TypeError):
        raise IndexError(f"{op}: only integers, slices (`:`), ellipsis (`...`), None and long or "
                         f"byte Variables are valid indices (got {type(it).__name__})") from None


def _nested(seq):
    return [(_nested(s) if isinstance(s, (list, tuple)) else
             (s.item() if isinstance(s, Tensor) else s)) for s in seq]


def _is_array(it):
    return hasattr(it, "shape") and hasattr(it, "dtype")


@runs_on(1)
def _convert_index(index, x, op="index"):
    """Validate a torch-style index against x and return (stages, basic)."""
    xp, dev = xp_of(x._data), x.device
    if isinstance(index, list) and len(index) < 32 and any(
            isinstance(it, (Tensor, list, tuple, slice, np.ndarray)) or it is None or it is Ellipsis
            for it in index):

        warnings.warn("Using a non-tuple sequence for multidimensional indexing is deprecated; use "
                      "x[tuple(seq)] instead of x[seq]", UserWarning, stacklevel=4)
        index = tuple(index)  # torch's (deprecated) rule: such a list indexes like a tuple
    items = index if isinstance(index, tuple) else (index,)
    items = [_convert_item(it, xp, dev, op) for it in items]
    shape = x.shape
    if sum(it is Ellipsis for it in items) > 1:
        raise IndexError("an index can only have a single ellipsis ('...')")
    used = sum(it.ndim if _is_array(it) and it.dtype == bool else
               0 if (it is None or it is Ellipsis or isinstance(it, bool)) else 1 for it in items)
    if used > len(shape):
        raise IndexError(f"too many indices for tensor of dimension {len(shape)}")
    # check every item against the dims it consumes
    d = 0
    for pos, it in enumerate(items):
        if it is Ellipsis:
            d += len(shape) - used
        elif it is None or isinstance(it, bool):
            continue
        elif isinstance(it, int):
            n = shape[d]
            if not -n <= it < n:
                raise IndexError(f"index {it} is out of bounds for dimension {d} with size {n}")
            d += 1
        elif isinstance(it, slice):
            d += 1
        elif it.dtype == bool:
            want = tuple(shape[d:d + it.ndim])
            if tuple(it.shape) != want:
                for j, (a, b) in enumerate(zip(it.shape, want)):
                    if a != b:
                        raise IndexError(f"The shape of the mask {list(it.shape)} at index {j} does "
                                         f"not match the shape of the indexed tensor {list(want)} at "
                                         f"index {d + j}")
            d += it.ndim
        else:
            _check_range(it, shape[d], d, "", allow_negative=True)
            d += 1
    arrays = [it for it in items if _is_array(it) or isinstance(it, bool)]
    if not arrays:
        return (tuple(items),), True
    if not any(isinstance(it, int) and not isinstance(it, bool) for it in items):
        return (tuple(items),), False
    # torch applies integers (and slices, None) first, then the advanced indices
    first, second = [], []
    for it in items:
        if isinstance(it, int) and not isinstance(it, bool):
            first.append(it)
        elif _is_array(it) and it.dtype == bool:
            first.extend([slice(None)] * it.ndim)
            second.append(it)
        elif _is_array(it) or isinstance(it, bool):
            if _is_array(it):
                first.append(slice(None))
            second.append(it)
        elif it is Ellipsis:
            first.append(it)
            second.append(it)
        else:  # slice or None: done in the first stage
            first.append(it)
            second.append(slice(None))
    return (tuple(first), tuple(second)), False


def _apply(a, stages):
    for s in stages:
        # A trailing Ellipsis keeps an all-integer index a 0-d view instead of a numpy scalar copy.
        a = a[s + (Ellipsis,)] if isinstance(s, tuple) and all(type(i) is int for i in s) \
            else a[s]
    return a


def _only_masks(stages):
    return all(not (_is_array(it) and it.dtype != bool) for s in stages for it in s)


class GetItem(Function):
    def forward(self, x, stages, basic):
        self.shape, self.stages, self.basic = x.shape, stages, basic
        self.is_view = basic
        return _apply(x, stages)

    def backward(self, gz):
        return IndexBackward.apply(gz, self.shape, self.stages, self.basic)


class IndexBackward(Function):
    """Scatter-add gz into zeros shaped like the indexed tensor."""

    def forward(self, gz, shape, stages, basic):
        self.stages, self.basic = stages, basic
        xp = xp_of(gz)
        g = xp.zeros(shape, dtype=gz.dtype)
        target = _apply(g, stages[:-1])
        if basic or _only_masks(stages):
            target[stages[-1]] = gz
        else:
            ufunc_at(xp, "add", target, stages[-1], gz)
        return g

    def backward(self, ggz):
        return GetItem.apply(ggz, self.stages, self.basic)


def getitem(input: Tensor, index) -> Tensor:
    """input[index] with torch's rules: ints, slices, None and ... give a view; integer
    tensors/lists and boolean masks give a copy."""
    stages, basic = _convert_index(index, input)
    out = GetItem.apply(input, stages, basic)
    return track_view(out) if basic else out


class IndexPut(Function):
    """out = x with out[index] = v, or += v when accumulating (v broadcast to the indexed shape)."""

    saves_input_values = False  # backward needs no input values (see Tensor._inplace)

    def forward(self, x, v, stages, accumulate=False):
        self.stages, self.accumulate = stages, accumulate
        y = x.copy()
        target = _apply(y, stages[:-1])
        try:
            if accumulate:
                idx = stages[-1]
                v = xp_of(x).broadcast_to(xp_of(x).asarray(v, dtype=x.dtype), target[idx].shape)
                ufunc_at(xp_of(x), "add", target, idx, v)
            else:
                target[stages[-1]] = v
        except ValueError:
            raise RuntimeError(f"shape mismatch: value tensor of shape {list(np.shape(v))} cannot be "
                               f"broadcast to indexing result of shape "
                               f"{list(target[stages[-1]].shape)}") from None
        return y

    def backward(self, gz):
        need_x, need_v = self.needs_input_grad[:2]
        gx = gv = None
        if need_x:
            gx = gz if self.accumulate else IndexPut.apply(gz, 0, self.stages)
        if need_v:
            gv = GetItem.apply(gz, self.stages, all(
                not (_is_array(i) or isinstance(i, bool)) for st in self.stages for i in st))
        return gx, gv


def setitem(input: Tensor, index, value) -> None:
    """input[index] = value (value: scalar or tensor broadcastable to the indexed shape).

    Differentiable with respect to both input and value.
    """
    stages, _ = _convert_index(index, input)
    value = _as_tensor_value(value, input)
    if isinstance(value, Tensor):
        if value.device != input.device:
            value = value.to(input.device)
        if value.dtype is not input.dtype:
            value = value.to(input.dtype)
    tracked = is_grad_enabled() and (input.requires_grad or
                                     (isinstance(value, Tensor) and value.requires_grad))
    if not tracked:
        input._check_inplace("__setitem__")
        raw = value._data if isinstance(value, Tensor) else value
        target = _apply(input._data, stages[:-1])
        try:
            target[stages[-1]] = raw
        except ValueError:
            raise RuntimeError(f"shape mismatch: value tensor of shape {list(np.shape(raw))} cannot "
                               f"be broadcast to indexing result of shape "
                               f"{list(target[stages[-1]].shape)}") from None
        input._vc[0] += 1
        return
    input._inplace(IndexPut.apply(input, value, stages), "__setitem__")


# =======================================================================================
# index_put / index_select / index_add / index_copy / index_fill / take
# =======================================================================================
def index_put(input: Tensor, indices, values, accumulate: bool = False) -> Tensor:
    """index_put(indices, values, accumulate=False): out[indices] = values (or += values)."""
    if not isinstance(indices, (tuple, list)):
        raise TypeError("index_put(): argument 'indices' must be tuple of Tensors")
    idx = tuple(slice(None) if i is None else i for i in indices)
    stages, _ = _convert_index(idx, input, "index_put")
    values = _as_tensor_value(values, input)
    if isinstance(values, Tensor):
        if values.dtype is not input.dtype:
            raise RuntimeError(f"Index put requires the source and destination dtypes match, got "
                               f"{_tname(input)} for the destination and {_tname(values)} for "
                               f"the source.")
        values = values.to(input.device)
    return IndexPut.apply(input, values, stages, bool(accumulate))


_TYPE_WORDS = {"float32": "Float", "float64": "Double", "float16": "Half", "bfloat16": "BFloat16",
               "int64": "Long", "int32": "Int", "int16": "Short", "int8": "Char", "uint8": "Byte",
               "bool": "Bool", "complex64": "ComplexFloat", "complex128": "ComplexDouble"}


def _tname(t):
    return _TYPE_WORDS[t.dtype.name]


@runs_on(0)
def _dim_and_index(input, dim, index, op):
    """(wrapped dim, 1-D index array) for the index_* family, bounds checked."""
    d = _wrap_dim(dim, input.ndim, op)
    idx = _index_array(index, input, op)
    if idx.ndim > 1:
        raise IndexError(f"{op}(): Index is supposed to be a vector")
    idx = idx.reshape(-1)
    if input.numel() == 0 and op != "index_select":
        return d, idx  # torch writes nothing into an empty tensor and checks no index
    n = input.shape[d] if input.ndim else 1
    # torch raises IndexError from index_fill and index_copy; index_select and index_add
    # raise IndexError or RuntimeError depending on the kernel that runs: RuntimeError here
    _check_range(idx, n, d, op, allow_negative=op == "index_fill",
                 error=IndexError if op in ("index_fill", "index_copy") else RuntimeError)
    if op == "index_fill" and idx.size and int(idx.min()) < 0:
        idx = idx % n  # index_fill alone takes negative indices, as torch does
    return d, idx


class IndexSelect(Function):
    saves_input_values = False

    def forward(self, x, dim, idx):
        self.shape, self.dim, self.idx = x.shape, dim, idx
        return xp_of(x).take(x, idx, axis=dim)

    def backward(self, gz):
        z = zeros(self.shape, dtype=gz.dtype, device=gz.device)
        return index_add(z, self.dim, Tensor._make(self.idx), gz)


def index_select(input: Tensor, dim: int, index: Tensor) -> Tensor:
    """index_select(dim, index): the slices of input at index (1-D) along dim (a copy)."""
    if input.ndim == 0 and isinstance(index, Tensor) and index.numel() != 1:
        raise RuntimeError(f"index_select(): Index to scalar can have only 1 value, got "
                           f"{index.numel()} value(s)")
    d, idx = _dim_and_index(input, dim, index, "index_select")
    if input.ndim == 0:
        return IndexSelect.apply(input.reshape(1), 0, idx).reshape(())
    return IndexSelect.apply(input, d, idx)


def _check_source(input, d, idx, source, op):
    if source.dtype is not input.dtype:
        raise RuntimeError(f"{op}(): self ({_tname(input)}) and source ({_tname(source)}) must have "
                           f"the same scalar type")
    want = list(input.shape) if input.ndim else [1]
    want[d] = idx.size
    got = list(source.shape) if source.ndim else [1]
    if got != want:
        raise RuntimeError(f"{op}(): Source/destination tensor must have same slice shapes: "
                           f"expected source of shape {want} for index of length {idx.size} along "
                           f"dim {d} of self {list(input.shape)}, got {list(source.shape)}")


class IndexAdd(Function):
    saves_input_values = False

    def forward(self, x, src, dim, idx, alpha):
        self.dim, self.idx, self.alpha = dim, idx, alpha
        y = x.copy()
        if y.size:  # an empty tensor takes no writes, whatever the (unchecked) index says
            v = src if alpha == 1 else src * xp_of(x).asarray(alpha, dtype=x.dtype)
            ufunc_at(xp_of(x), "add", y, _dim_index(x.ndim, dim, idx), v)
        return y

    def backward(self, gz):
        gs = None
        if self.needs_input_grad[1]:
            gs = IndexSelect.apply(gz, self.dim, self.idx)
            if self.alpha != 1:
                gs = gs * self.alpha
        return gz, gs


def index_add(input: Tensor, dim: int, index: Tensor, source: Tensor, *, alpha=1) -> Tensor:
    """index_add(dim, index, source, *, alpha=1): out[..., index[i], ...] += alpha * source[..., i, ...]."""
    d, idx = _dim_and_index(input, dim, index, "index_add")
    _check_source(input, d, idx, source, "index_add")
    if input.ndim == 0:
        return IndexAdd.apply(input.reshape(1), source.reshape(1), 0, idx, alpha).reshape(())
    return IndexAdd.apply(input, source.reshape(_src_shape(input, d, idx)), d, idx, alpha)


def _src_shape(input, d, idx):
    shp = list(input.shape)
    shp[d] = idx.size
    return tuple(shp)


class IndexCopy(Function):
    saves_input_values = False

    def forward(self, x, src, dim, idx):
        self.dim, self.idx = dim, idx
        y = x.copy()
        if y.size:
            y[_dim_index(x.ndim, dim, idx)] = src
        return y

    def backward(self, gz):
        gx = gs = None
        if self.needs_input_grad[0]:
            gx = IndexFill.apply(gz, 0, self.dim, self.idx)
        if self.needs_input_grad[1]:
            gs = IndexSelect.apply(gz, self.dim, self.idx)
        return gx, gs


def index_copy(input: Tensor, dim: int, index: Tensor, source: Tensor) -> Tensor:
    """index_copy(dim, index, source): out[..., index[i], ...] = source[..., i, ...]."""
    d, idx = _dim_and_index(input, dim, index, "index_copy")
    _check_source(input, d, idx, source, "index_copy")
    if input.ndim == 0:
        return IndexCopy.apply(input.reshape(1), source.reshape(1), 0, idx).reshape(())
    return IndexCopy.apply(input, source.reshape(_src_shape(input, d, idx)), d, idx)


class IndexFill(Function):
    saves_input_values = False

    def forward(self, x, value, dim, idx):
        self.dim, self.idx = dim, idx
        y = x.copy()
        if y.size:
            y[_dim_index(x.ndim, dim, idx)] = value
        return y

    def backward(self, gz):
        gx = gv = None
        if self.needs_input_grad[0]:
            gx = IndexFill.apply(gz, 0, self.dim, self.idx)
        if self.needs_input_grad[1]:
            uniq = xp_of(self.idx).unique(self.idx)
            gv = IndexSelect.apply(gz, self.dim, uniq).sum()
        return gx, gv


def index_fill(input: Tensor, dim: int, index: Tensor, value) -> Tensor:
    """index_fill(dim, index, value): out[..., index[i], ...] = value (a scalar or 0-d tensor)."""
    d, idx = _dim_and_index(input, dim, index, "index_fill")
    if isinstance(value, Tensor):
        if value.ndim != 0:
            raise RuntimeError(f"index_fill_ only supports a 0-dimensional value tensor, but got "
                               f"tensor with {value.ndim} dimension(s).")
        value = value.to(input.dtype)
    if input.ndim == 0:
        return IndexFill.apply(input.reshape(1), value, 0, idx).reshape(())
    return IndexFill.apply(input, value, d, idx)


@runs_on(0)
def take(input: Tensor, index: Tensor) -> Tensor:
    """take(index): input.flatten()[index], shaped like index (negative indices wrap)."""
    idx = _index_array(index, input, "take", long_only=True)
    n = input.numel()
    if idx.size and (int(idx.max()) >= n or int(idx.min()) < -n):
        bad = int(idx.max()) if int(idx.max()) >= n else int(idx.min())
        raise IndexError(f"take(): index {bad} is out of range for a tensor of {n} elements "
                         f"(shape {list(input.shape)})")
    flat = IndexSelect.apply(input.reshape(-1), 0, (idx % max(n, 1)).reshape(-1))
    return flat.reshape(index.shape)


class Put(Function):
    """y = x with y.flatten()[idx] = src.flatten() (or += with accumulate); idx 1-D, wrapped."""

    saves_input_values = False

    def forward(self, x, src, idx, accumulate):
        self.shape, self.src_shape = x.shape, src.shape
        self.idx, self.accumulate = idx, accumulate
        y = x.copy()  # C-ordered, so reshape(-1) below is a view of it
        flat = y.reshape(-1)
        if accumulate:
            ufunc_at(xp_of(x), "add", flat, idx, src.reshape(-1))
        else:
            flat[idx] = src.reshape(-1)
        return y

    def backward(self, gz):
        gx = gs = None
        flat = gz.reshape(-1)
        if self.needs_input_grad[0]:
            gx = gz if self.accumulate else \
                IndexFill.apply(flat, 0, 0, self.idx).reshape(self.shape)
        if self.needs_input_grad[1]:
            gs = IndexSelect.apply(flat, 0, self.idx).reshape(self.src_shape)
        return gx, gs


@runs_on(0)
def put(input: Tensor, index: Tensor, source: Tensor, accumulate: bool = False) -> Tensor:
    """put(input, index, source, accumulate=False): a copy of input with its flattened
    elements at index set to (or, with accumulate, incremented by) source's elements.

    index is an int64 tensor of any shape with as many elements as source; negative
    indices count from the end. With repeated indices and accumulate=False the last write
    wins (torch leaves the choice undefined). Differentiable in input and source.
    """
    if not isinstance(source, Tensor):
        raise TypeError(f"put(): argument 'source' (position 3) must be Tensor, not "
                        f"{type(source).__name__}")
    if not isinstance(index, Tensor):
        raise TypeError(f"put(): argument 'index' (position 2) must be Tensor, not "
                        f"{type(index).__name__}")
    if index.dtype is not _dtype.int64:
        raise RuntimeError(f"put_(): Expected a long tensor for index, but got {_tname(index)}")
    if source.dtype is not input.dtype:
        raise RuntimeError(f"put_(): self and source expected to have the same dtype, but got "
                           f"self.dtype = {_tname(input)} and source.dtype = {_tname(source)}")
    if source.device != input.device:
        raise RuntimeError(f"put_(): self and source expected to be on the same device, but got "
                           f"self on {input.device} and source on {source.device}")
    if index.numel() != source.numel():
        raise IndexError(f"put_(): Expected source and index to have the same number of "
                         f"elements, but got source.numel() = {source.numel()}, "
                         f"index.numel() = {index.numel()}")
    n = input.numel()
    idx = move(index._data, input.device).reshape(-1)
    if idx.size and n == 0:
        raise IndexError("put_(): Tried to put elements into an empty tensor")
    if idx.size:
        hi, lo = int(idx.max()), int(idx.min())
        if hi >= n or lo < -n:
            raise IndexError(f"out of range: tried to access index {hi if hi >= n else lo} on a "
                             f"tensor of {n} elements.")
        idx = idx % n
    return Put.apply(input, source, idx, bool(accumulate))


# =======================================================================================
# masks
# =======================================================================================
def _check_mask(mask, op):
    if not isinstance(mask, Tensor):
        raise TypeError(f"{op}(): argument 'mask' must be Tensor, not {type(mask).__name__}")
    if mask.dtype is not _dtype.bool:
        raise RuntimeError(f"{op}: expected BoolTensor for mask")


class MaskedFill(Function):
    saves_input_values = False

    def forward(self, x, mask, value):
        self.mask = mask
        xp = xp_of(x)
        return xp.where(mask, xp.asarray(value, dtype=x.dtype), x)

    def backward(self, gz):
        need_x, _, need_v = self.needs_input_grad
        m = Tensor._make(self.mask)
        gx = gz.masked_fill(m, 0) if need_x else None
        gv = None
        if need_v:
            gv = where(m.expand(gz.shape), gz, 0).sum()
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
    input = _mask_broadcast(input, mask)
    return MaskedFill.apply(input, Tensor._make(move(mask._data, input.device)), value)


def _mask_broadcast(input, mask):
    """input expanded to its broadcast shape with mask: the out-of-place masked ops return
    that shape, as in torch (the in-place ones then refuse a larger shape)."""
    shape = tuple(input.shape)
    if tuple(mask.shape) == shape:
        return input
    nd = max(len(shape), mask.ndim)
    a, b = (1,) * (nd - len(shape)) + shape, (1,) * (nd - mask.ndim) + tuple(mask.shape)
    for k in range(nd):
        if a[k] != b[k] and 1 not in (a[k], b[k]):
            raise RuntimeError(f"The size of tensor a ({b[k]}) must match the size of tensor b "
                               f"({a[k]}) at non-singleton dimension {k}")
    out = tuple(broadcast_shapes(shape, tuple(mask.shape)))
    return input if out == shape else input.expand(out)


class MaskedSelect(Function):
    saves_input_values = False

    def forward(self, x, mask):
        xp = xp_of(x)
        shape = tuple(np.broadcast_shapes(x.shape, mask.shape))
        self.shape, self.mask = shape, xp.broadcast_to(mask, shape)
        return xp.broadcast_to(x, shape)[self.mask]

    def backward(self, gz):
        z = zeros(self.shape, dtype=gz.dtype, device=gz.device)
        return masked_scatter(z, Tensor._make(self.mask), gz), None


def masked_select(input: Tensor, mask: Tensor) -> Tensor:
    """masked_select(mask): the elements where mask (broadcast with input) is True, as 1-D."""
    _check_mask(mask, "masked_select")
    broadcast_shapes(tuple(input.shape), tuple(mask.shape))
    return MaskedSelect.apply(input, Tensor._make(move(mask._data, input.device)))


class MaskedScatter(Function):
    saves_input_values = False

    def forward(self, x, mask, src):
        self.mask, self.k, self.src_shape = mask, int(mask.sum()), src.shape
        y = x.copy()
        y[mask] = src.reshape(-1)[:self.k]
        return y

    def backward(self, gz):
        m = Tensor._make(self.mask)
        gx = gz.masked_fill(m, 0) if self.needs_input_grad[0] else None
        gs = None
        if self.needs_input_grad[2]:
            n = int(np.prod(self.src_shape))
            picked = GetItem.apply(gz, ((self.mask,),), False)
            gs = cat([picked, zeros(n - self.k, dtype=gz.dtype, device=gz.device)]).reshape(
                self.src_shape)
        return gx, None, gs


@runs_on(0)
def masked_scatter(input: Tensor, mask: Tensor, source: Tensor) -> Tensor:
    """masked_scatter(mask, source): copy source's first elements, in order, where mask is True."""
    _check_mask(mask, "masked_scatter")
    if source.dtype is not input.dtype:
        raise RuntimeError(f"masked_scatter: expected self and source to have same dtypes but got "
                           f"{_tname(input)} and {_tname(source)}")
    input = _mask_broadcast(input, mask)
    m = xp_of(input._data).broadcast_to(move(mask._data, input.device), tuple(input.shape))
    k = int(m.sum())
    if source.numel() < k:
        raise RuntimeError(f"masked_scatter: Number of elements of source ({source.numel()}) < "
                           f"number of ones in mask ({k})")
    return MaskedScatter.apply(input, Tensor._make(m), source)


# =======================================================================================
# nonzero / argwhere / where
# =======================================================================================
@runs_on(0)
def nonzero(input: Tensor, *, out=None, as_tuple: bool = False):
    """nonzero(*, as_tuple=False): int64 [n, ndim] coordinates of nonzero elements, or a tuple
    of one 1-D tensor per dim."""
    xp = xp_of(input._data)
    arr = input._data
    if arr.ndim == 0:
        hit = bool(arr != 0)
        if as_tuple:
            return (Tensor._make(xp.zeros(int(hit), dtype=xp.int64)),)
        return Tensor._make(xp.zeros((int(hit), 0), dtype=xp.int64))
    coords = xp.nonzero(arr)
    if as_tuple:
        return tuple(Tensor._make(c.astype(xp.int64)) for c in coords)
    return Tensor._make(xp.stack(coords, axis=1).astype(xp.int64))


@runs_on(0)
def nonzero_static(input: Tensor, *, size: int, fill_value: int = -1) -> Tensor:
    """nonzero_static(input, *, size, fill_value=-1): nonzero's [n, ndim] coordinates cut or
    padded (with fill_value rows) to exactly size rows."""
    if isinstance(size, bool) or not isinstance(size, (int, np.integer)):
        raise TypeError(f"nonzero_static(): argument 'size' must be int, not "
                        f"{type(size).__name__}")
    if size < 0:
        raise RuntimeError("nonzero_static: 'size' must be an non-negative integer")
    coords = nonzero(input)._data
    xp = xp_of(coords)
    n = coords.shape[0]
    if n >= size:
        return Tensor._make(coords[:size].copy())
    pad = xp.full((size - n, coords.shape[1]), int(fill_value), dtype=xp.int64)
    return Tensor._make(xp.concatenate([coords, pad]))


def argwhere(input: Tensor) -> Tensor:
    """argwhere(): nonzero(input) as an [n, ndim] int64 tensor."""
    return nonzero(input)


class Where(Function):
    saves_input_values = False

    def forward(self, cond, x, y, np_dtype):
        self.cond = cond
        xp = xp_of(cond)
        return xp.where(cond, x, y).astype(np_dtype, copy=False)

    def backward(self, gz):
        c = Tensor._make(self.cond)
        gx = where(c, gz, 0) if self.needs_input_grad[1] else None
        gy = where(c, 0, gz) if self.needs_input_grad[2] else None
        return None, gx, gy


def where(condition: Tensor, input=None, other=None, *, out=None):
    """where(condition, input, other): input where condition else other, promoted like torch.

    where(condition) is nonzero(condition, as_tuple=True).
    """
    if input is None and other is None:
        return nonzero(condition, as_tuple=True)
    if input is None or other is None:
        raise TypeError("where() expected both input and other, or neither")
    if condition.dtype is not _dtype.bool:
        if condition.dtype is _dtype.uint8:
            condition = condition.to(_dtype.bool)
        else:
            raise RuntimeError(f"where expected condition to be a boolean tensor, but got a tensor "
                               f"with dtype {_tname(condition)}")
    input, other = as_operand(input, condition), as_operand(other, condition)
    rt = _dtype.result_type(input, other)
    dev = next((t.device for t in (input, other) if isinstance(t, Tensor) and t.ndim), None)
    dev = dev or next((t.device for t in (input, other) if isinstance(t, Tensor)), condition.device)

    def prep(v):
        if isinstance(v, Tensor):
            if v.dtype is not rt:
                v = v.to(rt)
            if v.device != dev:
                v = v.to(dev)
        return v

    cond = condition if condition.device == dev else condition.to(dev)
    return Where.apply(cond, prep(input), prep(other), rt.np)
