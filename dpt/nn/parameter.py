"""Parameter and Buffer: the tensors a Module registers when they are assigned to it.

A Parameter is a Tensor subclass that requires grad by default; assigning one to a
Module attribute files it under ``_parameters``. A Buffer is a marker: assigning
``Buffer(t)`` files a plain tensor under ``_buffers`` (persistent or not).
"""
from __future__ import annotations

import copy

from .. import _device
from .._tensor import Tensor
from ..ops.creation import empty

__all__ = ["Parameter", "Buffer"]


def _empty():
    return empty(0)


class Parameter(Tensor):
    """Parameter(data=None, requires_grad=True): a Tensor that is a module parameter.

    Shares memory with ``data`` (no copy), as torch does. ``copy.deepcopy`` and pickle
    keep the Parameter class and its ``requires_grad`` flag.
    """

    def __new__(cls, data=None, requires_grad=True):
        if data is None:
            data = _empty()
        if not isinstance(data, Tensor):
            raise TypeError(f"Parameter(): data must be a Tensor, but got {type(data).__name__}")
        if requires_grad and data.dtype.category < 2:
            raise RuntimeError("Only Tensors of floating point and complex dtype can require "
                               "gradients")
        return cls._make_subclass(data._data, bool(requires_grad))

    def __repr__(self):
        return "Parameter containing:\n" + super().__repr__()

    def __deepcopy__(self, memo):
        if id(self) in memo:
            return memo[id(self)]
        result = type(self)(Tensor._make(self._data.copy()), self._requires_grad)
        if self._grad is not None:
            result._grad = Tensor._make(self._grad._data.copy())
        result.__dict__.update(copy.deepcopy(self.__dict__, memo))
        memo[id(self)] = result
        return result

    def __reduce_ex__(self, proto):
        return (_rebuild_parameter, (_device.to_numpy(self._data), str(self.device),
                                     self._requires_grad, type(self)))


def _rebuild_parameter(arr, device, requires_grad, cls=Parameter):
    data = Tensor._make(_device.move(arr, _device.as_device(device)))
    return cls(data, requires_grad)


class _BufferMeta(type):
    """isinstance(t, Buffer) is true for tensors made by Buffer(...)."""

    def __instancecheck__(cls, instance):
        return isinstance(instance, Tensor) and instance.__dict__.get("_is_buffer", False)


class Buffer(metaclass=_BufferMeta):
    """Buffer(data, *, persistent=True): mark a tensor to be registered as a module buffer.

    ``module.running = Buffer(t)`` is ``module.register_buffer('running', t, persistent)``.
    The object returned is a plain Tensor (detached from data, sharing its memory).
    """

    def __new__(cls, data=None, *, persistent: bool = True):
        if data is None:
            data = _empty()
        t = Tensor._make(data._data)
        t._requires_grad = data.requires_grad and data.grad_fn is None
        t._is_buffer = True
        t.persistent = persistent
        return t
