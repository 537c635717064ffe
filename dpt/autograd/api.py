"""backward() and grad(): check the roots, make their gradients, run the engine.

Part of the autograd core (with grad_mode, function and engine): imports nothing above it.
"""
from __future__ import annotations

import numpy as _np

from .._device import device_context, xp_of
from .._tensor import Tensor
from .engine import _accumulate, run_backward

__all__ = ["backward", "grad"]


def _as_tuple(x):
    if x is None:
        return None
    return tuple(x) if isinstance(x, (list, tuple)) else (x,)


def _make_grads(outputs, grad_outputs):
    """The root gradients: given ones checked against their outputs, or implicit ones."""
    grads = []
    for i, (out, g) in enumerate(zip(outputs, grad_outputs)):
        if g is None:
            arr = out._data
            if arr.size != 1:
                raise RuntimeError("grad can be implicitly created only for scalar outputs")
            if arr.dtype.kind == "c":
                raise RuntimeError("grad can be implicitly created only for real scalar outputs "
                                   f"but got {out.dtype}")
            xp = _np if type(arr) is _np.ndarray else xp_of(arr)
            with device_context(out.device):  # on the output's GPU, not the current one
                g = Tensor._make(xp.ones(arr.shape, arr.dtype))
        elif not isinstance(g, Tensor):
            with device_context(out.device):
                g = Tensor._make(xp_of(out._data).full_like(out._data, g))
        else:
            if g._data.shape != out._data.shape:
                raise RuntimeError(f"Mismatch in shape: grad_output[{i}] has a shape of {g.shape} "
                                   f"and output[{i}] has a shape of {out.shape}.")
            if g.dtype.is_complex != out.dtype.is_complex:
                raise RuntimeError(f"For complex Tensors, both grad_output and output are required "
                                   f"to have the same dtype. Mismatch in dtype: grad_output[{i}] has "
                                   f"a dtype of {g.dtype} and output[{i}] has a dtype of "
                                   f"{out.dtype}.")
            if g._data.dtype != out._data.dtype:
                g = Tensor._make(g._data.astype(out._data.dtype))
        grads.append(g)
    return grads


def _check_roots(tensors):
    for i, t in enumerate(tensors):
        if not t._requires_grad:
            raise RuntimeError(f"element {i} of tensors does not require grad and does not have "
                               f"a grad_fn")


def backward(tensors, grad_tensors=None, retain_graph=None, create_graph=False, grad_variables=None,
             inputs=None):
    """backward(tensors, grad_tensors=None, retain_graph=None, create_graph=False, inputs=None).

    Accumulates d(tensors)/d(leaf) into every leaf's ``.grad``; with ``inputs``, only
    into those tensors (leaves or not) and only the graph leading to them runs.
    """
    tensors = _as_tuple(tensors)
    if grad_variables is not None:
        grad_tensors = grad_variables
    grad_tensors = _as_tuple(grad_tensors) or (None,) * len(tensors)
    if len(grad_tensors) != len(tensors):
        raise RuntimeError(f"got {len(grad_tensors)} tensors and {len(tensors)} gradients")
    _check_roots(tensors)
    grads = _make_grads(tensors, grad_tensors)
    if retain_graph is None:
        retain_graph = create_graph
    inputs = _as_tuple(inputs)
    if inputs is not None and len(inputs) == 0:
        raise RuntimeError("'inputs' argument to backward() cannot be empty.")
    captured = run_backward(tensors, grads, retain_graph, create_graph, inputs=inputs,
                            accumulate=True, allow_unused=True)
    if inputs is not None:  # leaves accumulated in the engine; non-leaf inputs get .grad here
        done = set()
        for t, g in zip(inputs, captured):
            if g is not None and t.grad_fn is not None and id(t) not in done:
                done.add(id(t))
                _accumulate(t, g, create_graph, {id(g._data)})


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
    if materialize_grads and allow_unused is False:
        raise ValueError("Expected allow_unused to be True or not passed when materialize_grads=True, "
                         "but got: allow_unused=False.")
    if len(grad_outputs) != len(outputs):
        raise RuntimeError(f"grad requires one grad_output per output: got {len(grad_outputs)} "
                           f"grad_outputs and {len(outputs)} outputs")
    _check_roots(outputs)
    grads = _make_grads(outputs, grad_outputs)
    if retain_graph is None:
        retain_graph = create_graph
    result = run_backward(outputs, grads, retain_graph, create_graph, inputs=inputs,
                          accumulate=False, allow_unused=allow_unused)
    if materialize_grads:
        result = [g if g is not None else Tensor._make(xp_of(t._data).zeros_like(t._data))
                  for g, t in zip(result, inputs)]
    return tuple(result)
