"""Shape views: view, reshape, expand, permute, narrow, select, split, diagonal, as_strided,
unfold, ...: each output shares memory with its input (the copying shape ops, cat, flip,
repeat, tril, ..., are in shape_copies.py).

Every view is a Function with ``is_view`` set, so the output shares the input's version
counter and writing through it changes the base, as in torch.
"""
from __future__ import annotations

import functools
import math
import operator

from .. import _dtype
from .._device import data_ptr, root_array, xp_of
from .._tensor import Size, Tensor, _wrap_dim
from ..autograd.function import Function
from ..autograd.grad_mode import is_grad_enabled
from .creation import zeros
from .inplace import strided_positions, track_view
from .shape_copies import _sizes, cat, stack

__all__ = ["view", "view_as", "reshape", "reshape_as", "flatten", "unflatten", "ravel",
           "squeeze", "unsqueeze", "permute", "transpose", "swapaxes", "swapdims", "t",
           "expand", "expand_as", "broadcast_to", "broadcast_tensors", "broadcast_shapes",
           "narrow", "unbind", "split", "chunk", "tensor_split", "split_with_sizes",
           "unsafe_split", "unsafe_chunk", "hsplit", "vsplit", "dsplit",
           "movedim", "moveaxis", "diagonal", "as_strided", "unfold", "select",
           "adjoint", "resize_", "resize_as_", "set_view_"]


def _tracked(fn):
    """Register the views fn returns on their base (see inplace.track_view)."""
    @functools.wraps(fn)
    def wrapper(*args, **kwargs):
        out = fn(*args, **kwargs)
        for t in (out if isinstance(out, tuple) else (out,)):
            if t._base is not None:
                track_view(t)
        return out
    return wrapper


def _strided(x, shape, strides):
    """A writable (where x is) view of x's memory with byte strides, starting at x's first byte."""
    return xp_of(x).lib.stride_tricks.as_strided(x, shape=tuple(shape), strides=tuple(strides))


# =======================================================================================
# reshape family
# =======================================================================================
def _infer_shape(shape, numel: int, op: str) -> tuple:
    """Resolve one -1 in shape; check the element count."""
    shape = _sizes(shape)
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
            raise RuntimeError(f"shape '{list(shape)}' is invalid for input of size {numel}")
        shape = tuple(numel // known if s == -1 else s for s in shape)
    elif known != numel:
        raise RuntimeError(f"shape '{list(shape)}' is invalid for input of size {numel}")
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
    """x reshaped as a view, or None when the strides do not allow one (torch's view rule)."""
    if x.flags.c_contiguous:
        return x.reshape(shape)
    v = x.view()
    try:
        v.shape = shape  # the array modules refuse instead of copying
    except (AttributeError, ValueError):
        return None
    return v


@_tracked
def view(input: Tensor, *shape) -> Tensor:
    """view(*shape) or view(dtype): same data, new shape (or element type).

    The shape must be compatible with the strides (torch's rule); one -1 is inferred.
    ``view(dtype)`` with a different element size rescales the last dimension, which must
    have stride 1.
    """
    if len(shape) == 1 and (isinstance(shape[0], _dtype.dtype) or
                            isinstance(shape[0], type) and shape[0] in (float, int, bool)):
        return _view_dtype(input, _dtype.as_dtype(shape[0]))
    return Reshape.apply(input, _infer_shape(shape, input.numel(), "view"), True)


def _view_dtype(input, dt):
    old = input.element_size()
    arr = input._data
    if dt.itemsize != old:
        if input.ndim == 0:
            raise RuntimeError("self.dim() cannot be 0 to view " + input.dtype.name + " as " +
                               dt.name + " (different element sizes)")
        if input.stride(-1) != 1 and input.shape[-1] != 1:
            raise RuntimeError(f"self.stride(-1) must be 1 to view {input.dtype.name} as {dt.name} "
                               f"(different element sizes), but got {input.stride(-1)}")
        if dt.itemsize > old and (input.shape[-1] * old) % dt.itemsize:
            raise RuntimeError(f"self.size(-1) must be divisible by {dt.itemsize // old} to view "
                               f"{input.dtype.name} as {dt.name} (different element sizes), but "
                               f"got {input.shape[-1]}")
        if input.shape[-1] == 1 and not arr.flags.c_contiguous:
            arr = _strided(arr, arr.shape, arr.strides[:-1] + (old,))
    return Tensor._make(arr.view(dt.np), base=input)


def view_as(input: Tensor, other: Tensor) -> Tensor:
    return view(input, tuple(other.shape))


@_tracked
def reshape(input: Tensor, *shape) -> Tensor:
    """reshape(*shape): a view when the strides allow it, else a copy."""
    return Reshape.apply(input, _infer_shape(shape, input.numel(), "reshape"), False)


def reshape_as(input: Tensor, other: Tensor) -> Tensor:
    return reshape(input, tuple(other.shape))


@_tracked
def flatten(input: Tensor, start_dim: int = 0, end_dim: int = -1) -> Tensor:
    """flatten(start_dim=0, end_dim=-1): merge dims start_dim..end_dim (a view when possible)."""
    nd = input.ndim
    s, e = _wrap_dim(start_dim, nd, "flatten"), _wrap_dim(end_dim, nd, "flatten")
    if nd == 0:
        return reshape(input, (1,))
    if s > e:
        raise RuntimeError("flatten() has invalid args: start_dim cannot come after end_dim")
    shp = tuple(input.shape)
    n = math.prod(shp[s:e + 1])
    return reshape(input, shp[:s] + (n,) + shp[e + 1:])


def ravel(input: Tensor) -> Tensor:
    """ravel(): the elements as a 1-D tensor (a view when the input is contiguous)."""
    return reshape(input, (-1,))


@_tracked
def unflatten(input: Tensor, dim: int, sizes) -> Tensor:
    """unflatten(dim, sizes): split dimension dim into sizes (one -1 may be inferred)."""
    d = _wrap_dim(dim, input.ndim, "unflatten")
    sizes = _sizes((sizes,))
    if len(sizes) == 0:
        raise RuntimeError("unflatten: sizes must be non-empty")
    n = input.shape[d]
    try:
        sizes = _infer_shape(sizes, n, "unflatten")
    except RuntimeError:
        raise RuntimeError(f"unflatten: Provided sizes {list(sizes)} don't multiply up to the size "
                           f"of dim {dim} ({n}) in the input tensor") from None
    shp = tuple(input.shape)
    return reshape(input, shp[:d] + sizes + shp[d + 1:])


@_tracked
def squeeze(input: Tensor, dim=None) -> Tensor:
    """squeeze(dim=None): drop size-1 dimensions (all, one, or a tuple of them). A view."""
    shp = input.shape
    if dim is None:
        new = tuple(s for s in shp if s != 1)
    else:
        dims = (dim,) if isinstance(dim, int) else tuple(dim)
        dims = {_wrap_dim(d, input.ndim, "squeeze") for d in dims}
        new = tuple(s for i, s in enumerate(shp) if not (i in dims and s == 1))
    return Reshape.apply(input, new, True)


@_tracked
def unsqueeze(input: Tensor, dim: int) -> Tensor:
    """unsqueeze(dim): insert a size-1 dimension at dim (negative dims count from the end)."""
    d = _wrap_dim(dim, input.ndim + 1, "unsqueeze")
    shp = list(input.shape)
    shp.insert(d, 1)
    return Reshape.apply(input, tuple(shp), True)


# =======================================================================================
# expand / broadcast
# =======================================================================================
class Expand(Function):
    is_view = True

    def forward(self, x, shape):
        return xp_of(x).broadcast_to(x, shape)

    def backward(self, gz):
        return gz  # the engine sums it back to the input shape


@_tracked
def expand(input: Tensor, *sizes) -> Tensor:
    """expand(*sizes): broadcast view; -1 keeps a dimension."""
    sizes = _sizes(sizes)
    nd = input.ndim
    if len(sizes) < nd:
        raise RuntimeError(f"expand: the number of sizes provided ({len(sizes)}) must be greater or "
                           f"equal to the number of dimensions in the tensor ({nd})")
    lead = len(sizes) - nd
    shape = []
    for i, s in enumerate(sizes):
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
    if tuple(shape) == tuple(input.shape):
        return Reshape.apply(input, tuple(shape), True)
    return Expand.apply(input, tuple(shape))


def expand_as(input: Tensor, other: Tensor) -> Tensor:
    return expand(input, tuple(other.shape))


def broadcast_to(input: Tensor, size) -> Tensor:
    """broadcast_to(input, size): expand to size (a view)."""
    return expand(input, _sizes((size,)))


def broadcast_shapes(*shapes) -> Size:
    """broadcast_shapes(*shapes): the shape all arguments broadcast to."""
    shapes = [(int(s),) if not isinstance(s, (tuple, list, Size)) else tuple(int(v) for v in s)
              for s in shapes]
    nd = max((len(s) for s in shapes), default=0)
    out = [1] * nd
    owner = [0] * nd
    for k, s in enumerate(shapes):
        for i, v in enumerate(s):
            if v < 0:
                raise RuntimeError(f"Trying to create tensor with negative dimension {v}: {list(s)}")
            j = nd - len(s) + i
            if v == 1:
                continue
            if out[j] == 1:
                out[j], owner[j] = v, k
            elif out[j] != v:
                raise RuntimeError(f"shape mismatch: objects cannot be broadcast to a single shape.  "
                                   f"Mismatch is between arg {owner[j]} and arg {k}.")
    return Size(out)


def broadcast_tensors(*tensors) -> tuple:
    """broadcast_tensors(*tensors): views of every tensor expanded to their common shape."""
    if len(tensors) == 1 and isinstance(tensors[0], (tuple, list)):
        tensors = tuple(tensors[0])
    nd = max((t.ndim for t in tensors), default=0)
    out = [1] * nd
    for k, t in enumerate(tensors):
        for i, v in enumerate(t.shape):
            j = nd - t.ndim + i
            if v != 1 and out[j] != 1 and out[j] != v:
                raise RuntimeError(f"The size of tensor a ({out[j]}) must match the size of tensor b "
                                   f"({v}) at non-singleton dimension {j}")
            if v != 1:
                out[j] = v
    return tuple(expand(t, tuple(out)) for t in tensors)


# =======================================================================================
# permutations
# =======================================================================================
class Permute(Function):
    is_view = True

    def forward(self, x, dims):
        self.dims = dims
        return x.transpose(dims)

    def backward(self, gz):
        inv = [0] * len(self.dims)
        for i, d in enumerate(self.dims):
            inv[d] = i
        return Permute.apply(gz, tuple(inv))


@_tracked
def permute(input: Tensor, *dims) -> Tensor:
    """permute(*dims): reorder dimensions (a view)."""
    dims = _sizes(dims)
    nd = input.ndim
    if len(dims) != nd:
        raise RuntimeError(f"permute(sparse_coo): number of dimensions in the tensor input does not "
                           f"match the length of the desired ordering of dimensions i.e. input.dim() "
                           f"= {nd} is not equal to len(dims) = {len(dims)}")
    dims = tuple(_wrap_dim(d, nd, "permute") for d in dims)
    if len(set(dims)) != nd:
        raise RuntimeError("permute(): duplicate dims are not allowed.")
    return Permute.apply(input, dims)


@_tracked
def transpose(input: Tensor, dim0: int, dim1: int) -> Tensor:
    """transpose(dim0, dim1): swap two dimensions (a view)."""
    nd = input.ndim
    d0, d1 = _wrap_dim(dim0, nd, "transpose"), _wrap_dim(dim1, nd, "transpose")
    if nd == 0:
        return Permute.apply(input, ())
    dims = list(range(nd))
    dims[d0], dims[d1] = dims[d1], dims[d0]
    return Permute.apply(input, tuple(dims))


swapaxes = swapdims = transpose


@_tracked
def t(input: Tensor) -> Tensor:
    """t(): transpose of a tensor with at most 2 dimensions (0-d and 1-d come back as they are)."""
    if input.ndim > 2:
        raise RuntimeError(f"t() expects a tensor with <= 2 dimensions, but self is {input.ndim}D")
    return transpose(input, 0, 1) if input.ndim == 2 else Permute.apply(input, tuple(range(input.ndim)))


@_tracked
def movedim(input: Tensor, source, destination) -> Tensor:
    """movedim(source, destination): move dims (int or sequence) to new positions (a view)."""
    nd = input.ndim
    src = (source,) if isinstance(source, int) else tuple(source)
    dst = (destination,) if isinstance(destination, int) else tuple(destination)
    if len(src) != len(dst):
        raise RuntimeError(f"movedim: Invalid source or destination dims: source ({list(src)} dims) "
                           f"should contain the same number of dims as destination ({list(dst)} dims)")
    src = [_wrap_dim(d, nd, "movedim") for d in src]
    dst = [_wrap_dim(d, nd, "movedim") for d in dst]
    if len(set(src)) != len(src):
        raise RuntimeError(f"movedim: repeated dim in `source` ({list(source)})")
    if len(set(dst)) != len(dst):
        raise RuntimeError(f"movedim: repeated dim in `destination` ({list(destination)})")
    if nd == 0:
        return Permute.apply(input, ())
    order = [d for d in range(nd) if d not in src]
    for d, s in sorted(zip(dst, src)):
        order.insert(d, s)
    return Permute.apply(input, tuple(order))


moveaxis = movedim


# =======================================================================================
# slicing views: narrow, unbind, split, chunk, tensor_split
# =======================================================================================
class Slices(Function):
    """Several slices (or single indices) of x along one dim, each a view; backward stitches."""

    is_view = True

    def forward(self, x, dim, bounds, select=False):
        self.shape, self.dim, self.bounds, self.select = x.shape, dim, bounds, select
        pre = (slice(None),) * dim
        if select:
            return tuple(x[pre + (i,)] for i in bounds)
        return tuple(x[pre + (slice(a, b),)] for a, b in bounds)

    def backward(self, *gs):
        d = self.dim
        if self.select:
            return stack(gs, d)
        n = self.shape[d]
        if self.bounds and self.bounds[0][0] == 0 and self.bounds[-1][1] == n and all(
                b[1] == c[0] for b, c in zip(self.bounds, self.bounds[1:])):
            return cat(gs, d)
        # overlapping or gapped pieces (tensor_split with unsorted indices): pad and add
        total = None
        for g, (a, b) in zip(gs, self.bounds):
            parts = []
            for lo, hi in ((0, a), (b, n)):
                shp = list(self.shape)
                shp[d] = hi - lo
                parts.append(Tensor._make(xp_of(g._data).zeros(shp, g._data.dtype)))
            full = cat([parts[0], g, parts[1]], d)
            total = full if total is None else total + full
        return total


@_tracked
def narrow(input: Tensor, dim: int, start, length: int) -> Tensor:
    """narrow(dim, start, length): input[..., start:start+length, ...] along dim (a view)."""
    if input.ndim == 0:
        raise RuntimeError("narrow() cannot be applied to a 0-dim tensor.")
    d = _wrap_dim(dim, input.ndim, "narrow")
    n = input.shape[d]
    start, length = int(start), int(length)
    if length < 0:
        raise RuntimeError("narrow(): length must be non-negative.")
    if not -n <= start <= n:
        raise IndexError(f"start out of range (expected to be in range of [{-n}, {n}], but got "
                         f"{start})")
    if start < 0:
        start += n
    if start + length > n:
        raise RuntimeError(f"start ({start}) + length ({length}) exceeds dimension size ({n}).")
    return Slices.apply(input, d, ((start, start + length),))[0]


@_tracked
def unbind(input: Tensor, dim: int = 0) -> tuple:
    """unbind(dim=0): the slices along dim, each a view without that dim."""
    if input.ndim == 0:
        raise IndexError("Dimension specified as 0 but tensor has no dimensions")
    d = _wrap_dim(dim, input.ndim, "unbind")
    return _pieces(input, d, tuple(range(input.shape[d])), True)


def _pieces(input, d, bounds, select=False):
    if not bounds:
        return ()
    return tuple(Slices.apply(input, d, tuple(bounds), select))


@_tracked
def split(tensor: Tensor, split_size_or_sections, dim: int = 0) -> tuple:
    """split(split_size_or_sections, dim=0): views of equal size (last may be smaller) or of the
    listed sizes, which must add up to the dimension."""
    if tensor.ndim == 0:
        raise RuntimeError("split expects at least a 1-dimensional tensor")
    d = _wrap_dim(dim, tensor.ndim, "split")
    n = tensor.shape[d]
    if isinstance(split_size_or_sections, (list, tuple)):
        sizes = [int(s) for s in split_size_or_sections]
        if any(s < 0 for s in sizes) or sum(sizes) != n:
            raise RuntimeError(f"split_with_sizes expects split_sizes to sum exactly to {n} (input "
                               f"tensor's size at dimension {d}), but got split_sizes={sizes}")
        bounds, a = [], 0
        for s in sizes:
            bounds.append((a, a + s))
            a += s
        return _pieces(tensor, d, bounds)
    size = int(split_size_or_sections)
    if size < 0:
        raise RuntimeError(f"split expects split_size be non-negative, but got split_size={size}")
    if size == 0:
        if n != 0:
            raise RuntimeError(f"split_size can only be 0 if dimension size is 0, but got dimension "
                               f"size of {n}")
        return _pieces(tensor, d, [(0, 0)])
    return _pieces(tensor, d, [(a, min(a + size, n)) for a in range(0, max(n, 1), size)])


def split_with_sizes(input: Tensor, split_sizes, dim: int = 0) -> tuple:
    """split_with_sizes(split_sizes, dim=0): views of the listed sizes, which must add up to
    the dimension (split with a list)."""
    return split(input, [int(s) for s in split_sizes], dim)


def unsafe_split(input: Tensor, split_size: int, dim: int = 0) -> tuple:
    """unsafe_split(split_size, dim=0): split; torch skips its view checks, dpt's views are
    the same."""
    return split(input, split_size, dim)


@_tracked
def chunk(input: Tensor, chunks: int, dim: int = 0) -> tuple:
    """chunk(chunks, dim=0): split into ceil-sized pieces (possibly fewer than chunks)."""
    if input.ndim == 0:
        raise RuntimeError("chunk expects at least a 1-dimensional tensor")
    chunks = int(chunks)
    if chunks <= 0:
        raise RuntimeError(f"chunk expects `chunks` to be greater than 0, got: {chunks}")
    d = _wrap_dim(dim, input.ndim, "chunk")
    n = input.shape[d]
    return split(input, -(-n // chunks), d)


def unsafe_chunk(input: Tensor, chunks: int, dim: int = 0) -> tuple:
    """unsafe_chunk(chunks, dim=0): chunk (see unsafe_split)."""
    return chunk(input, chunks, dim)


@_tracked
def tensor_split(input: Tensor, indices_or_sections, dim: int = 0) -> tuple:
    """tensor_split(indices_or_sections, dim=0): numpy.array_split's rules, as views.

    An int gives that many pieces (the first n % sections one longer); a list (or 1-D integer
    tensor) gives the split points, used like python slice bounds.
    """
    if input.ndim == 0:
        raise RuntimeError("tensor_split expected at least a 1-dimensional tensor, but got a tensor "
                           "with 0 dims")
    d = _wrap_dim(dim, input.ndim, "tensor_split")
    n = input.shape[d]
    ios = indices_or_sections
    if isinstance(ios, Tensor):
        if ios.dtype.category != 1:
            raise RuntimeError(f"tensor_split expected tensor_indices_or_sections to have integral "
                               f"dtype, but got {ios.dtype.name}")
        if ios.ndim > 1:
            raise RuntimeError(f"tensor_split expected tensor_indices_or_sections to be a zero-"
                               f"dimensional or one-dimensional tensor, but got a tensor with "
                               f"{ios.ndim} dims")
        ios = int(ios.item()) if ios.ndim == 0 else [int(v) for v in ios.tolist()]
    if isinstance(ios, (list, tuple)):
        pts = [int(i) for i in ios]
        bounds, prev = [], 0
        for p in pts + [None]:
            a, b, _ = slice(prev, p).indices(n)
            bounds.append((a, max(a, b)))
            prev = p
        return _pieces(input, d, bounds)
    sections = int(ios)
    if sections <= 0:
        raise RuntimeError(f"number of sections must be larger than 0, got {sections}")
    q, r = divmod(n, sections)
    bounds, a = [], 0
    for i in range(sections):
        b = a + q + (1 if i < r else 0)
        bounds.append((a, b))
        a = b
    return _pieces(input, d, bounds)


def _split_dim(input, ios, dim, op):
    if isinstance(ios, int) and input.shape[dim] % ios:
        raise RuntimeError(f"torch.{op} attempted to split along dimension {dim}, but the size of "
                           f"the dimension {input.shape[dim]} is not divisible by the split_size "
                           f"{ios}!")
    return tensor_split(input, ios, dim)


def hsplit(input: Tensor, indices_or_sections) -> tuple:
    """hsplit: tensor_split along dim 1 (dim 0 for 1-D); an int must divide the size."""
    if input.ndim == 0:
        raise RuntimeError("torch.hsplit requires a tensor with at least 1 dimension, but got a "
                           "tensor with 0 dimensions!")
    return _split_dim(input, indices_or_sections, 1 if input.ndim > 1 else 0, "hsplit")


def vsplit(input: Tensor, indices_or_sections) -> tuple:
    """vsplit: tensor_split along dim 0 of a tensor with at least 2 dims."""
    if input.ndim < 2:
        raise RuntimeError(f"torch.vsplit requires a tensor with at least 2 dimension, but got a "
                           f"tensor with {input.ndim} dimensions!")
    return _split_dim(input, indices_or_sections, 0, "vsplit")


def dsplit(input: Tensor, indices_or_sections) -> tuple:
    """dsplit: tensor_split along dim 2 of a tensor with at least 3 dims."""
    if input.ndim < 3:
        raise RuntimeError(f"torch.dsplit requires a tensor with at least 3 dimension, but got a "
                           f"tensor with {input.ndim} dimensions!")
    return _split_dim(input, indices_or_sections, 2, "dsplit")


# =======================================================================================
# strided views: diagonal, as_strided, unfold
# =======================================================================================
def _diagonal_view(x, offset, d1, d2):
    shp, st = x.shape, x.strides
    if offset >= 0:
        n = max(0, min(shp[d1], shp[d2] - offset))
        start = [0] * x.ndim
        start[d2] = offset if n else 0
    else:
        n = max(0, min(shp[d1] + offset, shp[d2]))
        start = [0] * x.ndim
        start[d1] = -offset if n else 0
    keep = [i for i in range(x.ndim) if i not in (d1, d2)]
    first = x[tuple(slice(s, None) for s in start)]
    return _strided(first, [shp[i] for i in keep] + [n], [st[i] for i in keep] + [st[d1] + st[d2]])


class Diagonal(Function):
    is_view = True

    def forward(self, x, offset, d1, d2):
        self.shape, self.args = x.shape, (offset, d1, d2)
        return _diagonal_view(x, offset, d1, d2)

    def backward(self, gz):
        return DiagonalBackward.apply(gz, self.shape, *self.args)


class DiagonalBackward(Function):
    def forward(self, gz, shape, offset, d1, d2):
        self.args = (offset, d1, d2)
        g = xp_of(gz).zeros(shape, gz.dtype)
        _diagonal_view(g, offset, d1, d2)[...] = gz
        return g

    def backward(self, ggz):
        return Diagonal.apply(ggz, *self.args)


@_tracked
def diagonal(input: Tensor, offset: int = 0, dim1: int = 0, dim2: int = 1) -> Tensor:
    """diagonal(offset=0, dim1=0, dim2=1): the diagonal as the last dimension (a view)."""
    nd = input.ndim
    d1, d2 = _wrap_dim(dim1, nd, "diagonal"), _wrap_dim(dim2, nd, "diagonal")
    if nd < 2:
        raise IndexError(f"diagonal: Dimension out of range (expected to be in range of [-1, 0], "
                         f"but got {dim2})")
    if d1 == d2:
        raise RuntimeError(f"diagonal dimensions cannot be identical {dim1}, {dim2}")
    return Diagonal.apply(input, int(offset), d1, d2)


def _storage(x):
    """(flat storage array, element offset of x in it) for as_strided."""
    root = root_array(x)
    if not root.flags.c_contiguous:
        raise RuntimeError("as_strided: the tensor's storage is not contiguous")
    flat = root.reshape(-1)
    if flat.dtype != x.dtype:
        flat = flat.view(x.dtype)
    return flat, (data_ptr(x) - data_ptr(flat)) // x.dtype.itemsize


class AsStrided(Function):
    is_view = True

    def forward(self, x, size, stride, offset):
        flat, own = _storage(x)
        if offset is None:
            offset = own
        item = x.dtype.itemsize
        need = offset + 1 + sum((n - 1) * s for n, s in zip(size, stride)) if all(size) else 0
        if need > flat.size:
            raise RuntimeError(f"setStorage: sizes {list(size)}, strides {list(stride)}, storage "
                               f"offset {offset}, and itemsize {item} requiring a storage size of "
                               f"{need * item} are out of bounds for storage of size "
                               f"{flat.size * item}")
        self.size, self.stride, self.offset, self.storage = size, stride, offset, flat.size
        self.in_shape, self.in_stride, self.in_offset = (
            x.shape, tuple(s // item for s in x.strides), own)
        return _strided(flat[offset:], size, tuple(s * item for s in stride))

    def backward(self, gz):
        # Scatter-add gz into a storage-shaped buffer, then read the input's elements from it.
        xp = xp_of(gz._data)
        out_pos = Tensor._make(strided_positions(xp, self.size, self.stride, self.offset).reshape(-1))
        in_pos = Tensor._make(strided_positions(xp, self.in_shape, self.in_stride, self.in_offset).reshape(-1))
        buf = zeros(self.storage, dtype=gz.dtype, device=gz.device)
        buf = buf.index_add(0, out_pos, gz.reshape(-1))
        return buf.index_select(0, in_pos).reshape(self.in_shape)


@_tracked
def as_strided(input: Tensor, size, stride, storage_offset: int | None = None) -> Tensor:
    """as_strided(size, stride, storage_offset=None): a view of the underlying storage.

    Strides and offset are in elements of the storage, as in torch; the offset defaults to the
    input's own storage offset.
    """
    size, stride = _sizes((size,)), _sizes((stride,))
    if len(size) != len(stride):
        raise RuntimeError("mismatch in length of strides and shape")
    if any(s < 0 for s in stride):
        raise RuntimeError(f"as_strided: Negative strides are not supported at the moment, got "
                           f"strides: {list(stride)}")
    if any(n < 0 for n in size):
        raise RuntimeError(f"Trying to create tensor with negative dimension: {list(size)}")
    if storage_offset is not None and storage_offset < 0:
        raise RuntimeError(f"Tensor: invalid storage offset {storage_offset}")
    return AsStrided.apply(input, size, stride, storage_offset)


class Unfold(Function):
    is_view = True

    def forward(self, x, dim, size, step):
        self.shape, self.dim, self.size, self.step = x.shape, dim, size, step
        n = (x.shape[dim] - size) // step + 1
        shape = x.shape[:dim] + (n,) + x.shape[dim + 1:] + (size,)
        strides = x.strides[:dim] + (x.strides[dim] * step,) + x.strides[dim + 1:] + (x.strides[dim],)
        return _strided(x, shape, strides)

    def backward(self, gz):
        d, xp = self.dim, xp_of(gz._data)
        n = gz.shape[d]
        pos = (xp.arange(n)[:, None] * self.step + xp.arange(self.size)[None, :]).reshape(-1)
        g = movedim(gz, -1, d + 1).flatten(d, d + 1)  # windows, then the offsets in each window
        out = zeros(self.shape, dtype=gz.dtype, device=gz.device)
        return out.index_add(d, Tensor._make(pos), g)


@_tracked
def unfold(input: Tensor, dimension: int, size: int, step: int) -> Tensor:
    """unfold(dimension, size, step): all windows of length size along dimension, taken every
    step elements, as a new last dimension (a view)."""
    d = _wrap_dim(dimension, input.ndim, "unfold")
    n = input.shape[d] if input.ndim else 1
    if size > n:
        raise RuntimeError(f"maximum size for tensor at dimension {d} is {n} but size is {size}")
    if size < 0:
        raise RuntimeError(f"size is {size} but must be >= 0")
    if step <= 0:
        raise RuntimeError(f"step is {step} but must be > 0")
    if input.ndim == 0:
        return Unfold.apply(input.reshape(1), 0, size, step).reshape(size)
    return Unfold.apply(input, d, int(size), int(step))


# =======================================================================================
# select, adjoint
# =======================================================================================
class Select(Function):
    """x[..., i, ...] along d, a view; backward puts the gradient back at i (zeros elsewhere)."""

    is_view = True

    def forward(self, x, d, i):
        self.shape, self.d, self.i = x.shape, d, i
        return x[(slice(None),) * d + (i, Ellipsis)]  # the Ellipsis keeps a 0-d result a view

    def backward(self, gz):
        d, i, n = self.d, self.i, self.shape[self.d]
        xp = xp_of(gz._data)
        parts = []
        for m in (i, n - i - 1):
            shp = list(self.shape)
            shp[d] = m
            parts.append(Tensor._make(xp.zeros(shp, gz._data.dtype)))
        return cat([parts[0], gz.unsqueeze(d), parts[1]], d), None, None


def select(input: Tensor, dim: int, index: int) -> Tensor:
    """select(input, dim, index): input[..., index, ...] along dim, without that dim (a view)."""
    if input.ndim == 0:
        raise IndexError("select() cannot be applied to a 0-dim tensor.")
    d = _wrap_dim(dim, input.ndim, "select")
    n = input.shape[d]
    index = operator.index(index)
    if not -n <= index < n:
        raise IndexError(f"select(): index {index} out of range for tensor of size "
                         f"{list(input.shape)} at dimension {d}")
    out = Select.apply(input, d, index % n)
    return track_view(out) if out._base is not None else out


def adjoint(input: Tensor) -> Tensor:
    """adjoint(input): the conjugate transpose of the last two dims (a view for real tensors)."""
    if input.ndim < 2:
        raise RuntimeError(f"tensor.adjoint() is only supported on matrices or batches of "
                           f"matrices. Got {input.ndim}-D tensor.")
    t = input.transpose(-2, -1)
    return t.conj() if t.is_complex() else t


# =======================================================================================
# metadata-changing in-place ops
# =======================================================================================
def resize_(input: Tensor, *sizes) -> Tensor:
    """resize_(*sizes): give input a new contiguous shape in place.

    The first elements (in memory order) are kept; new ones are zero (torch leaves them
    uninitialised). Shrinking keeps sharing the old buffer, growing allocates a new one.
    """
    sizes = _sizes(sizes)
    if any(s < 0 for s in sizes):
        raise RuntimeError(f"Trying to create tensor with negative dimension {min(sizes)}: "
                           f"{list(sizes)}")
    if input.requires_grad and is_grad_enabled():
        raise RuntimeError("cannot resize variables that require grad")
    n = math.prod(sizes)
    arr = input._data
    if tuple(arr.shape) == sizes:
        return input
    if arr.flags.c_contiguous and n <= arr.size:
        new = arr.reshape(-1)[:n].reshape(sizes)
    else:
        xp = xp_of(arr)
        flat = xp.zeros(n, dtype=arr.dtype)
        m = min(n, arr.size)
        flat[:m] = arr.reshape(-1)[:m]
        new = flat.reshape(sizes)
    input._data = new
    input._vc[0] += 1
    return input


def resize_as_(input: Tensor, the_template: Tensor, *, memory_format=None) -> Tensor:
    """resize_as_(the_template): resize_ to the template's shape."""
    return resize_(input, tuple(the_template.shape))


def set_view_(input: Tensor, view: Tensor) -> Tensor:
    """Make input itself become view (for squeeze_, t_, ...): metadata-only in-place."""
    input._data = view._data
    if view.requires_grad and view.grad_fn is not None:
        input.grad_fn, input._output_nr = view.grad_fn, view._output_nr
    return input
