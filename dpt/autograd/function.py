"""Graph nodes: the internal op base ``Function`` and the public ``autograd.Function``.

An op's ``forward`` works on raw arrays (numpy or cupy); its ``backward`` works on
Tensors, so running backward with recording on (``create_graph=True``) builds the
graph of the gradient and gives higher derivatives for free.
"""
from __future__ import annotations

from .._device import xp_of
from .grad_mode import is_grad_enabled

Tensor = None  # set by dpt._tensor once the class exists (avoids an import cycle)


class Node:
    """Anything the engine can run: an op's context or a leaf's AccumulateGrad."""

    _freed = False

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

    # Set on nodes that record: inputs as given, their versions, and graph edges.
    _inputs: tuple
    needs_input_grad: tuple

    @classmethod
    def apply(cls, *args, **kwargs):
        self = cls.__new__(cls)
        arrays = [a._data if isinstance(a, Tensor) else a for a in args]
        raw = self.forward(*arrays, **kwargs)
        record = is_grad_enabled() and any(
            isinstance(a, Tensor) and a.requires_grad for a in args)
        single = not isinstance(raw, tuple)
        outs = (raw,) if single else raw
        base = args[0] if self.is_view else None
        if not record:
            results = tuple(Tensor._make(o, base=base) for o in outs)
            return results[0] if single else results
        self._inputs = args
        self._versions = tuple(a._vc[0] if isinstance(a, Tensor) else None for a in args)
        self.needs_input_grad = tuple(isinstance(a, Tensor) and a.requires_grad for a in args)
        self._edges = tuple(a._edge() if need else None
                            for a, need in zip(args, self.needs_input_grad))
        self._in_meta = tuple((a._data.shape, a._data.dtype) if need else None
                              for a, need in zip(args, self.needs_input_grad))
        results = []
        for nr, o in enumerate(outs):
            t = Tensor._make(o, base=base)
            if t.dtype.category >= 2:  # only float and complex outputs carry gradients
                t._requires_grad, t.grad_fn, t._output_nr = True, self, nr
            results.append(t)
        self._out_meta = tuple((r._data.shape, r._data.dtype, r._vc, xp_of(r._data)) for r in results)
        self._out_versions = tuple(r._vc[0] for r in results)
        return results[0] if single else tuple(results)

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

    def saved_output(self, i: int = 0):
        """Output i as a constant Tensor (for cheap backward formulas like exp's).

        Only valid when not building a graph of the gradient; ops fall back to a
        formula in their inputs when ``is_grad_enabled()`` is true in backward.
        """
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

    def _release(self):
        """Drop saved values after a backward without retain_graph."""
        keep = {k: self.__dict__[k] for k in ("_edges", "needs_input_grad", "_in_meta",
                                                "_out_meta", "_post_hooks", "_pre_hooks",
                                                "_pre_hooks_all") if k in self.__dict__}
        self.__dict__.clear()
        self.__dict__.update(keep)
        self._freed = True


_FREED_MSG = (
    "Trying to backward through the graph a second time (or directly access saved tensors "
    "after they have already been freed). Saved intermediate values of the graph are freed "
    "when you call .backward() or autograd.grad(). Specify retain_graph=True if you need to "
    "backward through the graph a second time or if you need to access saved tensors after "
    "calling backward.")


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

    def name(self):
        return self._cls.__name__ + "Backward"

    def backward(self, *grads):
        ctx = self._ctx
        ctx.needs_input_grad = self.needs_input_grad
        out = self._cls.backward(ctx, *grads)
        if not isinstance(out, tuple):
            out = (out,)
        if len(out) != len(self._edges):
            raise RuntimeError(
                f"function {self._cls.__name__}Backward returned an incorrect number of "
                f"gradients (expected {len(self._edges)}, got {len(out)})")
        return out

    def _release(self):
        self._ctx.__dict__.pop("_to_save", None)
        super()._release()


class _FunctionMeta(type):
    pass


class FunctionBase(metaclass=_FunctionMeta):
    """dpt.autograd.Function: subclass with static forward(ctx, *args) and backward(ctx, *grads).

    Call it through ``MyFunction.apply(*args)``. ``ctx.save_for_backward``,
    ``ctx.saved_tensors``, ``ctx.needs_input_grad`` and ``ctx.mark_non_differentiable``
    behave as in torch.
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
        from .grad_mode import no_grad

        ctx = FunctionCtx()
        ctx.needs_input_grad = tuple(isinstance(a, Tensor) and a.requires_grad for a in args)
        ctx.materialize_grads = True
        with no_grad():
            out = cls.forward(ctx, *args, **kwargs)
        record = is_grad_enabled() and any(ctx.needs_input_grad)
        single = not isinstance(out, tuple)
        outs = (out,) if single else out
        if not record:
            return out
        node = _CustomNode.__new__(_CustomNode)
        node._cls, node._ctx, ctx._node = cls, ctx, node
        node._inputs, node._versions = args, tuple(None for _ in args)
        node.needs_input_grad = ctx.needs_input_grad
        node._edges = tuple(a._edge() if need else None for a, need in zip(args, ctx.needs_input_grad))
        node._in_meta = tuple((a._data.shape, a._data.dtype) if need else None
                              for a, need in zip(args, ctx.needs_input_grad))
        node._saved_versions = tuple(t._vc[0] if isinstance(t, Tensor) else None
                                     for t in ctx.__dict__.get("_to_save", ()))
        non_diff = ctx.__dict__.get("_non_diff", set())
        results = []
        input_ids = {id(a) for a in args if isinstance(a, Tensor)}
        for nr, o in enumerate(outs):
            if not isinstance(o, Tensor):
                results.append(o)
                continue
            if id(o) in input_ids:  # an input returned as is: a new tensor on the same data
                o = Tensor._make(o._data, base=o)
            if id(o) not in non_diff and o.dtype.category >= 2:
                o._requires_grad, o.grad_fn, o._output_nr = True, node, nr
            results.append(o)
        node._out_meta = tuple((r._data.shape, r._data.dtype, r._vc, xp_of(r._data))
                               if isinstance(r, Tensor)
                               else None for r in results)
        return results[0] if single else tuple(results)
