"""dpt.func: the functional-module part of torch.func.

Only ``functional_call`` is provided. torch.func's transforms (vmap, grad, grad_and_value,
jacrev, jacfwd, hessian, jvp, vjp) are not: use dpt.autograd.grad / dpt.autograd.functional.
"""
from __future__ import annotations

from collections.abc import Sequence

from ..nn.modules.module import Module
from ..nn.utils.stateless import _functional_call

__all__ = ["functional_call"]


def functional_call(module: Module, parameter_and_buffer_dicts, args=None, kwargs=None, *,
                    tie_weights: bool = True, strict: bool = False):
    """functional_call(module, parameter_and_buffer_dicts, args=None, kwargs=None, *,
    tie_weights=True, strict=False)

    ``parameter_and_buffer_dicts`` is one dict or a sequence of dicts (whose keys must not
    repeat) mapping dotted names to the tensors to use for this call. With tie_weights, a value
    given for one of several tied names is used for all of them; strict demands exactly the
    module's parameter and buffer names.
    """
    if isinstance(parameter_and_buffer_dicts, dict):
        parameters_and_buffers = parameter_and_buffer_dicts
    elif isinstance(parameter_and_buffer_dicts, Sequence):
        if not all(isinstance(d, dict) for d in parameter_and_buffer_dicts):
            raise ValueError("Expected all elements of parameter_and_buffer_dicts to be "
                             "dictionaries")
        counts: dict = {}
        for d in parameter_and_buffer_dicts:
            for k in d:
                counts[k] = counts.get(k, 0) + 1
        repeated = [k for k, n in counts.items() if n > 1]
        if repeated:
            raise ValueError(f"{repeated} appeared in multiple dictionaries; behavior of "
                             "functional call is ambiguous")
        parameters_and_buffers = {k: v for d in parameter_and_buffer_dicts for k, v in d.items()}
    else:
        raise ValueError("Expected parameter_and_buffer_dicts to be a dict, or a list/tuple of "
                         f"dicts, but got {type(parameter_and_buffer_dicts)}")
    return _functional_call(module, parameters_and_buffers, args, kwargs,
                            tie_weights=tie_weights, strict=strict)
