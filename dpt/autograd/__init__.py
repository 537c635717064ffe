"""dpt.autograd: reverse-mode automatic differentiation on dpt Tensors."""
from __future__ import annotations

from . import functional
from .engine import queue_callback, run_backward
from .function import FunctionBase as Function
from .function import FunctionCtx
from .gradcheck import gradcheck, gradgradcheck
from .grad_mode import (enable_grad, inference_mode, is_grad_enabled, is_inference_mode_enabled,
                        no_grad, set_grad_enabled)

__all__ = ["backward", "grad", "Function", "FunctionCtx", "gradcheck", "gradgradcheck",
           "functional", "no_grad", "enable_grad", "set_grad_enabled", "inference_mode",
           "is_grad_enabled", "is_inference_mode_enabled", "queue_callback", "Variable"]


def _as_tuple(x):
    if x is None:
        return None
    return tuple(x) if isinstance(x, (list, tuple)) else (x,)


def _make_grads(outputs, grad_outputs):
    from .._device import xp_of
    from .._tensor import Tensor

    grads = []
    for out, g in zip(outputs, grad_outputs):
        if g is None:
            if not out.requires_grad:
                raise RuntimeError("element 0 of tensors does not require grad and does not have "
                                   "a grad_fn")
            if out.numel() != 1:
                raise RuntimeError("grad can be implicitly created only for scalar outputs")
            if not out.dtype.category >= 2:
                raise RuntimeError("grad can be implicitly created only for real scalar outputs")
            g = Tensor._make(xp_of(out._data).ones_like(out._data))
        elif not isinstance(g, Tensor):
            g = Tensor._make(xp_of(out._data).full_like(out._data, g))
        elif g.shape != out.shape:
            raise RuntimeError(f"Mismatch in shape: grad_output[0] has a shape of {list(g.shape)} "
                               f"and output[0] has a shape of {list(out.shape)}.")
        grads.append(g)
    return grads


def backward(tensors, grad_tensors=None, retain_graph=None, create_graph=False, inputs=None):
    """backward(tensors, grad_tensors=None, retain_graph=None, create_graph=False, inputs=None).

    Accumulates d(tensors)/d(leaf) into every leaf's ``.grad`` (or only into ``inputs``).
    """
    tensors = _as_tuple(tensors)
    grad_tensors = _as_tuple(grad_tensors) or (None,) * len(tensors)
    if len(grad_tensors) != len(tensors):
        raise RuntimeError(f"got {len(grad_tensors)} gradients for {len(tensors)} tensors")
    for t in tensors:
        if not t.requires_grad:
            raise RuntimeError("element 0 of tensors does not require grad and does not have a grad_fn")
    grads = _make_grads(tensors, grad_tensors)
    if retain_graph is None:
        retain_graph = create_graph
    inputs = _as_tuple(inputs)
    if inputs is not None and len(inputs) == 0:
        raise RuntimeError("'inputs' argument to backward() cannot be empty.")
    run_backward(tensors, grads, retain_graph, create_graph, inputs=inputs, accumulate=True,
                 allow_unused=True)


def grad(outputs, inputs, grad_outputs=None, retain_graph=None, create_graph=False,
         only_inputs=True, allow_unused=None, is_grads_batched=False, materialize_grads=False):
    """grad(outputs, inputs, grad_outputs=None, retain_graph=None, create_graph=False, allow_unused=None).

    Returns the gradients of outputs with respect to inputs without touching ``.grad``.
    """
    outputs = _as_tuple(outputs)
    single_input = not isinstance(inputs, (list, tuple))
    inputs = _as_tuple(inputs)
    grad_outputs = _as_tuple(grad_outputs) or (None,) * len(outputs)
    if allow_unused is None:
        allow_unused = materialize_grads
    for t in outputs:
        if not t.requires_grad:
            raise RuntimeError("element 0 of tensors does not require grad and does not have a grad_fn")
    grads = _make_grads(outputs, grad_outputs)
    if retain_graph is None:
        retain_graph = create_graph
    result = run_backward(outputs, grads, retain_graph, create_graph, inputs=inputs,
                          accumulate=False, allow_unused=allow_unused)
    if materialize_grads:
        from .. import ops

        result = [g if g is not None else ops.zeros_like(t) for g, t in zip(result, inputs)]
    return tuple(result)


class Variable:
    """The old Variable API: ``Variable(t, requires_grad=True)`` returns a Tensor."""

    def __new__(cls, data, requires_grad=False):
        t = data.detach()
        t.requires_grad_(requires_grad)
        return t
