"""In-place writes and the graph of views (torch's CopySlices).

``Tensor._inplace`` (installed from ``inplace`` here) writes an op's result into a
tensor and makes the tensor stand for that result in the graph. A write through a
differentiable view rebases the view's base onto a CopySlices node, and every other live
view of that base is pointed at the base's new graph position.
"""
from __future__ import annotations

import weakref

import numpy as np

from .. import _dtype
from .._device import data_ptr, runs_on, xp_of
from .._tensor import Tensor
from ..autograd.function import Function
from ..autograd.grad_mode import is_grad_enabled

__all__ = ["inplace", "track_view", "strided_positions"]


@runs_on(0)
def inplace(self: Tensor, out: Tensor, op: str) -> Tensor:
    """Write out into self and make self stand for out in the graph."""
    self._check_inplace(op)
    if out._data.shape != self._data.shape:
        raise RuntimeError(f"{op}: output with shape {list(self.shape)} doesn't match the "
                           f"broadcast shape {list(out.shape)}")
    node = out.grad_fn  # the op's own node: it may hold self's old value
    if out._data.dtype != self._data.dtype:
        if not _dtype.can_cast(out.dtype, self.dtype):
            raise RuntimeError(f"{op}: result type {out.dtype.name} can't be cast to the "
                               f"desired output type {self.dtype.name}")
        if out.requires_grad:
            out = out.to(self.dtype)
    base = self._base
    # A differentiable view (made by a view op, or of a base that needs no grad; not a
    # detach()) hands the write on to its base's graph, as torch's CopySlices does.
    rebase = (out.requires_grad and base is not None and is_grad_enabled()
              and (self.grad_fn is not None or not base.requires_grad))
    if rebase and base.requires_grad and base.grad_fn is None:
        raise RuntimeError("a view of a leaf Variable that requires grad is being used in an "
                           f"in-place operation. ({op})")
    if node is not None and getattr(node, "saves_input_values", True) and any(
            a is self for a in node._inputs):
        _snapshot_input(node, self)
    old_base = _graph_alias(base) if rebase else None
    self._data[...] = out._data
    self._vc[0] += 1
    if rebase:
        rebase_view(base, old_base, self, out)
    if out.requires_grad:
        self.grad_fn, self._output_nr, self._requires_grad = out.grad_fn, out._output_nr, True
        root = base if rebase else self
        if root.__dict__.get("_views"):  # other live views now read the new values
            refresh_views(root, self)
    return self


def _snapshot_input(node, t: Tensor) -> None:
    """Before t is overwritten in place, give node a copy of t's old value and graph position."""
    old = Tensor._make(t._data.copy())
    old._requires_grad, old.grad_fn, old._output_nr = t._requires_grad, t.grad_fn, t._output_nr
    old._accumulator = t._accumulator
    node._inputs = tuple(old if a is t else a for a in node._inputs)
    node._versions = tuple(0 if a is old else v for a, v in zip(node._inputs, node._versions))


def _graph_alias(t: Tensor) -> Tensor:
    """A tensor standing for t's current graph position (not its values), kept as the old
    base when a view of t is written in place."""
    old = Tensor._make(t._data)
    old._requires_grad, old.grad_fn, old._output_nr = t._requires_grad, t.grad_fn, t._output_nr
    old._accumulator = t._accumulator
    return old


def view_positions(view_arr, base_arr):
    """For every element of view_arr, its row-major position in base_arr (whose memory it
    shares), as an int64 array shaped like the view."""
    xp = xp_of(base_arr)
    item = base_arr.dtype.itemsize
    if view_arr.dtype.itemsize != item:
        raise RuntimeError("in-place operation on a view with a different element size than its "
                           "base is not supported when gradients are recorded")
    off = (data_ptr(view_arr) - data_ptr(base_arr)) // item
    vst = [s // item for s in view_arr.strides]
    if base_arr.flags.c_contiguous:
        pos = strided_positions(xp, view_arr.shape, vst, off)
    else:  # map memory addresses to logical positions through a table over base's span
        bst = [s // item for s in base_arr.strides]
        lo = sum(min(0, (n - 1) * s) for n, s in zip(base_arr.shape, bst))
        hi = sum(max(0, (n - 1) * s) for n, s in zip(base_arr.shape, bst))
        table = xp.full(hi - lo + 1, -1, dtype=xp.int64)
        table[strided_positions(xp, base_arr.shape, bst, -lo).reshape(-1)] = xp.arange(base_arr.size)
        addr = strided_positions(xp, view_arr.shape, vst, off - lo)
        if addr.size and (int(addr.min()) < 0 or int(addr.max()) > hi - lo):
            raise RuntimeError("in-place operation on a view that lies outside its base's memory")
        pos = table[addr]
    if pos.size and (int(pos.min()) < 0 or int(pos.max()) >= base_arr.size):
        raise RuntimeError("in-place operation on a view that lies outside its base's memory")
    return pos


class CopySlices(Function):
    """new_base = old_base with the view's elements replaced by new_view.

    The in-place op's own node (new_view's grad_fn) carries the gradient on to the view's
    old value and the op's other inputs; this node only splits the base's gradient.
    """

    saves_input_values = False

    def forward(self, old_base, new_view, pos):
        self.shape, self.vshape, self.pos = old_base.shape, new_view.shape, pos.reshape(-1)
        return old_base  # the data was already written in place

    def backward(self, gz):
        flat = gz.reshape(-1)
        gb = gv = None
        if self.needs_input_grad[0]:
            gb = flat.index_fill(0, Tensor._make(self.pos), 0).reshape(self.shape)
        if self.needs_input_grad[1]:
            gv = flat.index_select(0, Tensor._make(self.pos)).reshape(self.vshape)
        return gb, gv


def rebase_view(base: Tensor, old_base: Tensor, view: Tensor, out: Tensor) -> None:
    """After out was written into view (which shares base's memory), make base's graph
    position a CopySlices node over (its old position, out)."""
    pos = view_positions(view._data, base._data)
    node_out = CopySlices.apply(old_base, out, pos)
    base.grad_fn, base._output_nr, base._requires_grad = node_out.grad_fn, 0, True


class _ViewRegistry(dict):
    """id -> weakref of the live views of one base; a copied tensor starts with none."""

    def __deepcopy__(self, memo):
        return _ViewRegistry()

    def __reduce__(self):
        return (_ViewRegistry, ())


def track_view(out: Tensor) -> Tensor:
    """Remember a differentiable view on its base, so that an in-place write through the base
    or another view can move this view's graph position onto the base's new one."""
    base = out._base
    if base is not None and is_grad_enabled():
        d = base.__dict__
        views = d.get("_views")
        if views is None:
            views = d["_views"] = _ViewRegistry()
        elif len(views) >= d.get("_views_limit", 32):  # drop dead views; amortised O(1)
            for k in [k for k, r in views.items() if r() is None]:
                del views[k]
            d["_views_limit"] = max(32, 2 * len(views))
        views[id(out)] = weakref.ref(out)
    return out


class ViewOfBase(Function):
    """A live view's graph position regenerated from its base after an in-place write:
    the gradient goes to the base elements the view reads (torch regenerates view grad_fns)."""

    saves_input_values = False

    def forward(self, base, data):
        self.shape, self.arrays = base.shape, (data, base)
        return data

    def backward(self, gz):
        pos = view_positions(*self.arrays).reshape(-1)  # computed only if a gradient comes
        flat = gz.new_zeros(int(np.prod(self.shape)))
        return flat.index_add(0, Tensor._make(pos), gz.reshape(-1)).reshape(self.shape)


def _inside(view_arr, base_arr) -> bool:
    lo, hi = _span(base_arr)
    vlo, vhi = _span(view_arr)
    return view_arr.size == 0 or (lo <= vlo and vhi <= hi)


def _span(a):
    p = data_ptr(a)
    neg = sum((n - 1) * s for n, s in zip(a.shape, a.strides) if s < 0 and n)
    pos = sum((n - 1) * s for n, s in zip(a.shape, a.strides) if s > 0 and n)
    return p + neg, p + pos + a.itemsize


def refresh_views(root: Tensor, written: Tensor) -> None:
    """Point every other live view of root at root's current graph position."""
    for ref in list(root.__dict__.get("_views", {}).values()):
        v = ref()
        if v is None or v is written or v._base is not root or v._data.dtype != root._data.dtype:
            continue
        if not _inside(v._data, root._data):  # root was resized away from this view
            continue
        node_out = ViewOfBase.apply(root, v._data)
        v.grad_fn, v._output_nr, v._requires_grad = node_out.grad_fn, 0, True


def strided_positions(xp, shape, strides, offset):
    """Flat storage position of every element of a strided view (strides in elements)."""
    pos = xp.full(tuple(shape), offset, dtype=xp.int64)
    for i, (n, s) in enumerate(zip(shape, strides)):
        idx = [1] * len(shape)
        idx[i] = n
        pos = pos + (xp.arange(n, dtype=xp.int64) * s).reshape(idx)
    return pos
