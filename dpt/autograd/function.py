"""Graph nodes: the internal op base ``Function`` and the public ``autograd.Function``.

An op's ``forward`` works on raw arrays (CPU or GPU); its ``backward`` works on
Tensors, so running backward with recording on (``create_graph=True``) builds the
graph of the gradient and gives higher derivatives for free.
"""
from __future__ import annotations

import functools
import warnings

import numpy as np

from .._device import device_context, device_of, xp_of
from .._dtype import bfloat16, from_numpy_dtype
from .._tensor import Tensor
from . import grad_mode as _grad_mode_module
from .grad_mode import is_grad_enabled, no_grad

_grad_mode = _grad_mode_module._state  # .enabled read directly on the hot path
_make = Tensor._make
_new = object.__new__
_ndarray = np.ndarray


_DIFF_DTYPES = {}


def _differentiable(npdtype) -> bool:
    """Whether arrays of this numpy dtype can carry gradients (float or complex), cached."""
    ok = _DIFF_DTYPES.get(npdtype)
    if ok is None:
        ok = _DIFF_DTYPES[npdtype] = from_numpy_dtype(npdtype).category >= 2
    return ok


class Node:
    """Anything the engine can run: an op's context or a leaf's AccumulateGrad."""

    _freed = False
    _edges = ()  # graph edges (next node, output_nr); set per node when it records
    _out_meta = (None,)  # one entry per output; a recording Function sets its own
    _aliases = None  # _CustomNode: ids of arrays its user code could return unchanged

    def name(self) -> str:
        return type(self).__name__

    def register_hook(self, hook):
        """hook(grad_inputs, grad_outputs) -> new grad_inputs or None, after this node runs."""
        self.__dict__.setdefault("_post_hooks", []).append(hook)
        return _RemovableHandle(self._post_hooks, hook)

    def register_prehook(self, hook):
        """hook(grad_outputs) -> new grad_outputs or None, before this node runs."""
        self.__dict__.setdefault("_pre_hooks_all", []).append(hook)
        return _RemovableHandle(self._pre_hooks_all, hook)

    def __repr__(self):
        return f"<{self.name()} object at {id(self):#x}>"


class _RemovableHandle:
    def __init__(self, container, item):
        self._container, self._item = container, item

    def remove(self):
        try:
            self._container.remove(self._item)
        except ValueError:
            pass

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.remove()


class AccumulateGrad(Node):
    """The node that adds an incoming gradient into a leaf's ``.grad``."""

    next_functions = ()

    def __init__(self, variable):
        self.variable = variable


class Function(Node):
    """Base of dpt's differentiable primitives; the instance is the context.

    Subclasses define ``forward(self, *arrays, **kwargs)`` returning an array or a
    tuple of arrays, and ``backward(self, *grad_outputs)`` returning one Tensor (or
    None) per positional input. Broadcast gradients are summed back to each input's
    shape by the engine, never by the op.
    """

    is_view = False  # True when the output shares the first input's memory
    # False when backward reads nothing of the inputs (ReLU keeps only its mask): the node
    # then does not keep them alive (set saves_input_values = False too).
    keeps_inputs = True
    # Under dpt.amp.autocast, the floating inputs are cast first: "lower" to the region's
    # dtype (matmul, linear, conv), "fp32" to float32 (losses); "lower_cuda"/"fp32_cuda" on
    # CUDA tensors only, as in torch's per-device op lists. None: inputs as they are.
    autocast: str | None = None

    # Set on nodes that record: inputs as given, their versions, and graph edges.
    _inputs: tuple
    needs_input_grad: tuple

    @classmethod
    def apply(cls, *args, **kwargs):
        # The hot path of every op: plain loops, no generator expressions, locals only.
        if cls.autocast is not None and _grad_mode.autocast is not None:
            args = _autocast_args(cls.autocast, args, _grad_mode.autocast)
        self = _new(cls)
        arrays = []
        any_need = False
        gpu = None
        for a in args:
            if isinstance(a, Tensor):
                arrays.append(a._data)
                if a._requires_grad:
                    any_need = True
                if gpu is None and type(a._data) is not _ndarray:
                    gpu = a._data
            else:
                arrays.append(a)
        try:
            if gpu is None:
                raw = self.forward(*arrays, **kwargs)
            else:  # GPU kernels run on the current device: make it the inputs' device
                with device_context(device_of(gpu)):
                    raw = self.forward(*arrays, **kwargs)
        except ValueError as e:  # numpy's broadcast failure -> torch's message, naming the op
            if "could not be broadcast" not in str(e):
                raise
            raise RuntimeError(_broadcast_msg(self, arrays)) from None
        base = args[0] if self.is_view else None
        make = _make
        if not (any_need and _grad_mode.enabled):
            if type(raw) is not tuple:
                return make(raw, False, base)
            return tuple([make(o, False, base) for o in raw])

        # Record: inputs and their versions (checked when backward reads them), edges.
        n = len(args)
        need, versions, edges, in_meta = [False] * n, [None] * n, [None] * n, [None] * n
        i = 0
        for a in args:
            if isinstance(a, Tensor):
                versions[i] = a._vc[0]
                if a._requires_grad:
                    need[i] = True
                    gf = a.grad_fn
                    edges[i] = (gf, a._output_nr) if gf is not None else a._edge()
                    arr = a._data
                    in_meta[i] = (arr.shape, arr.dtype)
            i += 1
        self._inputs = args if self.keeps_inputs else None
        self.needs_input_grad = tuple(need)
        self._versions, self._edges, self._in_meta = tuple(versions), tuple(edges), tuple(in_meta)
        if _grad_mode.recorder is not None:
            _grad_mode.recorder.append(self)

        if type(raw) is not tuple:
            t = make(raw, False, base)
            arr = t._data
            dt = arr.dtype
            ok = _DIFF_DTYPES.get(dt)
            if ok is None:
                ok = _differentiable(dt)
            if ok:  # only float and complex outputs carry gradients
                t._requires_grad, t.grad_fn = True, self
            vc = t._vc
            self._out_meta = ((arr.shape, dt, vc, np if type(arr) is _ndarray else xp_of(arr)),)
            self._out_versions = (vc[0],)
            return t
        results = []
        for nr, o in enumerate(raw):
            t = make(o, False, base)
            if _differentiable(t._data.dtype):
                t._requires_grad, t.grad_fn, t._output_nr = True, self, nr
            results.append(t)
        self._out_meta = tuple([(r._data.shape, r._data.dtype, r._vc, xp_of(r._data)) for r in results])
        self._out_versions = tuple([r._vc[0] for r in results])
        return tuple(results)

    def forward(self, *arrays, **kwargs):
        raise NotImplementedError(f"{type(self).__name__} has no forward")

    def backward(self, *grad_outputs):
        raise NotImplementedError(f"{type(self).__name__} is not differentiable")

    # -- saved values -----------------------------------------------------------
    @property
    def inputs(self) -> tuple:
        """The inputs as given to apply; raises if one was modified in place since."""
        if self._freed:
            raise RuntimeError(_FREED_MSG)
        for a, v in zip(self._inputs, self._versions):
            if v is not None and a._vc[0] != v:
                raise RuntimeError(_version_msg(self, a, v))
        return self._inputs

    def operands(self, *values):
        """The backward's operands, for a formula written once for arrays and Tensors.

        When no graph of the gradient is being built, the Tensors among values come back
        as their raw arrays: the formula then runs on numpy/GPU arrays without Tensor
        overhead, and the arrays it returns are wrapped by the engine. Under
        create_graph the Tensors come back unchanged, so the same formula records its
        own graph. The formula may use only what both offer: arithmetic and ``@``,
        ``reshape``, ``.T``/``.mT``, ``sum``/``mean`` with ``axis=``/``keepdims=``.
        """
        if _grad_mode.enabled:
            return values
        return tuple(v._data if isinstance(v, Tensor) else v for v in values)

    def saved_output(self, i: int = 0, recompute=None):
        """Output i for a backward formula (cheap formulas like exp's reuse it).

        It is the saved array, as a constant. When a graph of the gradient is being built
        the formula needs the output as a function of the inputs instead: ``recompute()``
        gives it then (e.g. ``lambda: Exp.apply(x)``), and is required.
        """
        if _grad_mode.enabled:
            if recompute is None:
                raise RuntimeError(f"{self.name()}: saved_output() without recompute while "
                                   f"a graph of the gradient is being built")
            return recompute()
        shape, dt, vc, _ = self._out_meta[i]
        if vc[0] != self._out_versions[i]:
            raise RuntimeError(
                f"one of the variables needed for gradient computation has been modified by an "
                f"inplace operation: [output {i} of {self.name()}] is at version {vc[0]}; "
                f"expected version {self._out_versions[i]} instead.")
        return Tensor._make(self._saved_out[i])

    def save_output(self, *arrays):
        """Call from forward to keep output arrays for ``saved_output``."""
        self._saved_out = arrays

    @property
    def next_functions(self) -> tuple:
        edges = getattr(self, "_edges", ())
        return tuple(e if e is not None else (None, 0) for e in edges)

    def name(self) -> str:
        return type(self).__name__ + "Backward0"

    # What a node keeps after backward frees it: its place in the graph and its hooks.
    _KEEP = ("_edges", "needs_input_grad", "_in_meta", "_out_meta", "_post_hooks", "_pre_hooks",
             "_pre_hooks_all")

    def _release(self):
        """Drop saved values after a backward without retain_graph."""
        d = self.__dict__
        keep = {}
        for k in self._KEEP:
            if k in d:
                keep[k] = d[k]
        keep["_freed"] = True
        self.__dict__ = keep


class _AutocastCast(Function):
    """The cast autocast puts in front of an op; its gradient goes back in the input dtype."""

    def forward(self, x, dtype):
        self.src = x.dtype
        return x.astype(dtype)

    def backward(self, gz):
        return _AutocastCast.apply(gz, self.src)


_FLOAT32 = np.dtype(np.float32)
_AUTOCAST_ELIGIBLE = (np.dtype(np.float16), np.dtype(bfloat16.np), _FLOAT32)


def autocast_policy(policy: str):
    """Decorator for composite ops on one of torch's autocast lists (the losses, layer_norm):
    inside an autocast region their floating tensor arguments are cast as ``policy`` says
    (see Function.autocast) before the op runs; out= is written, never cast."""
    def decorate(fn):
        @functools.wraps(fn)
        def wrapper(*args, **kwargs):
            regions = _grad_mode.autocast
            if regions is not None:
                args = _autocast_args(policy, args, regions)
                keys = [k for k in kwargs if k != "out"]
                if keys:
                    cast = _autocast_args(policy, [kwargs[k] for k in keys], regions)
                    kwargs = {**kwargs, **dict(zip(keys, cast))}
            return fn(*args, **kwargs)
        return wrapper
    return decorate


autocast_fp32 = autocast_policy("fp32")


def _autocast_args(policy: str, args, regions: dict):
    """args with each eligible floating tensor (float16/bfloat16/float32, never float64)
    on an autocast device cast as policy says."""
    out = list(args)
    for i, a in enumerate(args):
        if isinstance(a, Tensor) and a._data.dtype in _AUTOCAST_ELIGIBLE:
            dev = "cpu" if type(a._data) is _ndarray else "cuda"
            fast = regions.get(dev)
            if fast is None or (policy.endswith("_cuda") and dev != "cuda"):
                continue
            target = _FLOAT32 if policy.startswith("fp32") else fast
            if a._data.dtype != target:
                out[i] = _AutocastCast.apply(a, target)
    return tuple(out)


def _broadcast_msg(node, arrays) -> str:
    shapes = [a.shape for a in arrays if hasattr(a, "shape")]
    a, b = (shapes + [(), ()])[:2]
    nd = max(len(a), len(b))
    a, b = (1,) * (nd - len(a)) + tuple(a), (1,) * (nd - len(b)) + tuple(b)
    for d in range(nd - 1, -1, -1):
        if a[d] != b[d] and 1 not in (a[d], b[d]):
            return (f"{node.name().removesuffix('Backward0')}: The size of tensor a ({a[d]}) must "
                    f"match the size of tensor b ({b[d]}) at non-singleton dimension {d}")
    return f"{node.name()}: shapes {[list(s) for s in shapes]} cannot be broadcast together"


_FREED_MSG = (
    "Trying to backward through the graph a second time (or directly access saved tensors "
    "after they have already been freed). Saved intermediate values of the graph are freed "
    "when you call .backward() or autograd.grad(). Specify retain_graph=True if you need to "
    "backward through the graph a second time or if you need to access saved tensors after "
    "calling backward.")


_NONLEAF_GRAD_MSG = (
    "The .grad attribute of a Tensor that is not a leaf Tensor is being accessed. Its .grad "
    "attribute won't be populated during autograd.backward(). If you indeed want the .grad "
    "field to be populated for a non-leaf Tensor, use .retain_grad() on the non-leaf Tensor. If "
    "you access the non-leaf Tensor by mistake, make sure you access the leaf Tensor instead. "
    "See github.com/pytorch/pytorch/pull/30531 for more information.")


def warn_nonleaf_grad() -> None:
    """torch's warning for reading .grad of a non-leaf that does not retain it."""
    warnings.warn(_NONLEAF_GRAD_MSG, UserWarning, stacklevel=3)


def _version_msg(node, tensor, expected):
    return (f"one of the variables needed for gradient computation has been modified by an "
            f"inplace operation: [{tensor.type()} {list(tensor.shape)}] is at version "
            f"{tensor._vc[0]}; expected version {expected} instead. (in {node.name()})")


# --------------------------------------------------------------------------------------
# The public torch-style API: static forward(ctx, ...) / backward(ctx, ...)
# --------------------------------------------------------------------------------------
class FunctionCtx:
    """The ``ctx`` handed to a custom Function's forward and backward."""

    def save_for_backward(self, *tensors):
        self._to_save = tensors

    @property
    def saved_tensors(self):
        node = self._node
        if node._freed:
            raise RuntimeError(_FREED_MSG)
        saved = self.__dict__.get("_to_save", ())
        for t, v in zip(saved, node._saved_versions):
            if isinstance(t, Tensor) and t._vc[0] != v:
                raise RuntimeError(_version_msg(node, t, v))
        return saved

    def mark_non_differentiable(self, *tensors):
        self._non_diff = set(map(id, tensors))

    def mark_dirty(self, *tensors):
        self._dirty = tensors

    def set_materialize_grads(self, value: bool):
        self.materialize_grads = value


class _CustomNode(Function):
    """Graph node that runs a user Function's static backward."""

    _KEEP = Function._KEEP + ("_cls", "_ctx", "_materialize")

    def name(self):
        return self._cls.__name__ + "Backward"

    def __getattr__(self, attr):
        # torch's grad_fn of a custom Function is its ctx: ctx attributes read through it.
        ctx = self.__dict__.get("_ctx")
        if ctx is None or attr.startswith("__"):
            raise AttributeError(attr)
        return getattr(ctx, attr)

    def backward(self, *grads):
        ctx = self._ctx
        ctx.needs_input_grad = self.needs_input_grad
        out = self._cls.backward(ctx, *grads)
        if not isinstance(out, tuple):
            out = (out,)
        n = len(self._edges)
        if len(out) > n and all(g is None for g in out[n:]):
            out = out[:n]  # torch lets backward return extra Nones (for non-tensor arguments)
        if len(out) != n:
            raise RuntimeError(
                f"function {self.name()} returned an incorrect number of gradients "
                f"(expected {n}, got {len(out)})")
        for i, (g, edge) in enumerate(zip(out, self._edges)):
            if g is not None and not isinstance(g, Tensor):
                raise TypeError(f"function {self.name()} returned a gradient of type "
                                f"{type(g).__name__} at position {i}, expected a Tensor or None")
            if g is not None and edge is not None and tuple(g.shape) != self._in_meta[i][0]:
                try:
                    np.broadcast_shapes(self._in_meta[i][0], tuple(g.shape))
                except ValueError:
                    raise RuntimeError(
                        f"Function {self.name()} returned an invalid gradient at index {i} - got "
                        f"{list(g.shape)} but expected shape compatible with "
                        f"{list(self._in_meta[i][0])}") from None
        return out

    def _aliases(self):
        """ids of the arrays this node's user code could hand back as gradients unchanged."""
        ctx = self._ctx
        held = list(ctx.__dict__.get("_to_save", ())) + list(self._inputs)
        return {id(t._data) for t in held if isinstance(t, Tensor)}

    def _release(self):
        self._ctx.__dict__.pop("_to_save", None)
        super()._release()


class _FunctionMeta(type):
    """Lets ``isinstance(fn, Function)`` hold for the class object itself (torch's FunctionMeta)."""


class FunctionBase(metaclass=_FunctionMeta):
    """dpt.autograd.Function: subclass with static forward(ctx, *args) and backward(ctx, *grads).

    Call it through ``MyFunction.apply(*args)``. ``ctx.save_for_backward``,
    ``ctx.saved_tensors``, ``ctx.needs_input_grad``, ``ctx.mark_non_differentiable`` and
    ``ctx.set_materialize_grads`` behave as in torch; so does the newer style of a
    ``forward(*args)`` without ctx plus ``setup_context(ctx, inputs, output)``.
    """

    @staticmethod
    def forward(ctx, *args, **kwargs):
        raise NotImplementedError("You must implement the forward function for custom autograd.Function.")

    @staticmethod
    def backward(ctx, *grad_outputs):
        raise NotImplementedError("You must implement either the backward or vjp method for "
                                  "your custom autograd.Function to use it with backward mode AD.")

    @staticmethod
    def setup_context(ctx, inputs, output):
        return None

    @classmethod
    def apply(cls, *args, **kwargs):
        ctx = FunctionCtx()
        ctx.needs_input_grad = tuple(isinstance(a, Tensor) and a._requires_grad for a in args)
        ctx.materialize_grads = True
        separate = cls.setup_context is not FunctionBase.setup_context
        with no_grad():
            out = cls.forward(*args, **kwargs) if separate else cls.forward(ctx, *args, **kwargs)
        if separate:
            cls.setup_context(ctx, args, out)
        record = is_grad_enabled() and any(ctx.needs_input_grad)
        if not record:
            return out
        single = not isinstance(out, tuple)
        outs = (out,) if single else out
        node = _CustomNode.__new__(_CustomNode)
        node._cls, node._ctx, ctx._node = cls, ctx, node
        node._inputs, node._versions = args, tuple(None for _ in args)
        node._materialize = ctx.materialize_grads
        node.needs_input_grad = ctx.needs_input_grad
        if _grad_mode.recorder is not None:
            _grad_mode.recorder.append(node)
        node._edges = tuple(a._edge() if need else None for a, need in zip(args, ctx.needs_input_grad))
        node._in_meta = tuple((a._data.shape, a._data.dtype) if need else None
                              for a, need in zip(args, ctx.needs_input_grad))
        non_diff = ctx.__dict__.get("_non_diff", set())
        dirty = {id(t) for t in ctx.__dict__.get("_dirty", ())}
        results = []
        input_ids = {id(a) for a in args if isinstance(a, Tensor)}
        for nr, o in enumerate(outs):
            if not isinstance(o, Tensor):
                results.append(o)
                continue
            if id(o) in dirty:  # modified in place (ctx.mark_dirty): the tensor itself is rebased
                if o._requires_grad and o.grad_fn is None:
                    raise RuntimeError("a leaf Variable that requires grad is being used in an "
                                       "in-place operation.")
                o._vc[0] += 1
            elif id(o) in input_ids:  # an input returned as is: a new tensor on the same data
                o = Tensor._make(o._data, base=o)
            if id(o) not in non_diff and o.dtype.category >= 2:
                o._requires_grad, o.grad_fn, o._output_nr = True, node, nr
            results.append(o)
        node._saved_versions = tuple(t._vc[0] if isinstance(t, Tensor) else None
                                     for t in ctx.__dict__.get("_to_save", ()))
        node._out_meta = tuple((r._data.shape, r._data.dtype, r._vc, xp_of(r._data))
                               if isinstance(r, Tensor)
                               else None for r in results)
        return results[0] if single else tuple(results)

