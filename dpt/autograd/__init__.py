"""dpt.autograd: reverse-mode automatic differentiation on dpt Tensors.

The core (grad_mode, function, sum_to, engine, api) sits right above Tensor and imports
nothing above it; this package's face adds torch's public pieces on top of the ops:
gradcheck, functional (jacobian, hessian, ...) and the old Variable.
"""
from __future__ import annotations

from .._tensor import Tensor
from . import functional, graph
from .anomaly_mode import detect_anomaly, set_detect_anomaly
from .api import backward, grad
from .engine import _is_checkpoint_valid, queue_callback
from .function import FunctionBase as Function
from .function import FunctionCtx
from .gradcheck import gradcheck, gradgradcheck
from .grad_mode import (enable_grad, inference_mode, is_grad_enabled, is_inference_mode_enabled,
                        no_grad, set_grad_enabled)

__all__ = ["backward", "grad", "Function", "FunctionCtx", "gradcheck", "gradgradcheck",
           "functional", "graph", "no_grad", "enable_grad", "set_grad_enabled", "inference_mode",
           "is_grad_enabled", "is_inference_mode_enabled", "queue_callback", "Variable",
           "detect_anomaly", "set_detect_anomaly"]


class _VariableMeta(type):
    def __instancecheck__(cls, other):
        return isinstance(other, Tensor)


class Variable(metaclass=_VariableMeta):
    """The old Variable API, kept for old scripts: ``Variable(t, requires_grad=False)``.

    Returns a Tensor sharing t's memory (Variables and Tensors merged in torch 0.4), and
    ``isinstance(any_tensor, Variable)`` is true. ``.data`` gives the tensor without grad.
    """

    def __new__(cls, data, requires_grad=False, volatile=False):
        t = data.detach()
        t.requires_grad_(requires_grad)
        return t
