"""Parameter and Buffer: the tensors a Module registers when they are assigned to it.

A Parameter is a Tensor subclass that requires grad by default; assigning one to a
Module attribute files it under ``_parameters``. A Buffer is a marker: assigning
``Buffer(t)`` files a plain tensor under ``_buffers`` (persistent or not).
"""
from __future__ import annotations

import copy

from .. import _device, _dtype
from .._tensor import Tensor
from ..ops.creation import empty

__all__ = ["Parameter", "Buffer", "UninitializedParameter", "UninitializedBuffer", "is_lazy"]


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


# -- lazy (shape-less) parameters and buffers ------------------------------------------------
_storage = Tensor._data  # the slot itself: the mixin's _data property stands in front of it


class UninitializedTensorMixin:
    """A parameter or buffer whose shape is not known yet (see nn.modules.lazy).

    It holds an empty placeholder that only carries dtype, device and requires_grad. Reading
    its data (any op, ``.shape``) is an error until ``materialize(shape)`` gives it storage and
    turns it into ``cls_to_become``. Only dtype/device moves and a few queries are allowed.
    """

    __slots__ = ()
    cls_to_become = None

    def materialize(self, shape, device=None, dtype=None) -> None:
        """materialize(shape, device=None, dtype=None): give the tensor (empty) storage of
        ``shape`` on its device and dtype (or the given ones) and make it a cls_to_become."""
        old = _storage.__get__(self)
        t = empty(tuple(shape) if not isinstance(shape, int) else (shape,),
                  device=device if device is not None else _device.device_of(old),
                  dtype=dtype if dtype is not None else Tensor._make(old).dtype)
        _storage.__set__(self, t._data)
        self.__class__ = self.cls_to_become

    @property
    def _data(self):
        raise ValueError(f"Attempted to use an uninitialized parameter in {type(self).__name__}. "
                         f"This error happens when you are using a `LazyModule` or explicitly "
                         f"manipulating `dpt.nn.parameter.{type(self).__name__}` objects. When "
                         f"using LazyModules Call `forward` with a dummy batch to initialize the "
                         f"parameters before calling dpt functions")

    @_data.setter
    def _data(self, arr):
        _storage.__set__(self, arr)

    def _placeholder(self) -> Tensor:
        return Tensor._make(_storage.__get__(self))

    @property
    def shape(self):
        raise RuntimeError("Can't access the shape of an uninitialized parameter or buffer. This "
                           "error usually happens in `load_state_dict` when trying to load an "
                           "uninitialized parameter into an initialized one. Call `forward` to "
                           "initialize the parameters before accessing their attributes.")

    def size(self, dim=None):
        return self._placeholder().size(dim)

    @property
    def dtype(self):
        return self._placeholder().dtype

    @property
    def device(self):
        return self._placeholder().device

    @property
    def is_cuda(self):
        return self._placeholder().is_cuda

    @property
    def is_cpu(self):
        return self._placeholder().is_cpu

    def is_floating_point(self) -> bool:
        return self._placeholder().is_floating_point()

    def is_complex(self) -> bool:
        return self._placeholder().is_complex()

    def get_device(self) -> int:
        return self._placeholder().get_device()

    def to(self, *args, **kwargs):
        """Another uninitialized tensor of this kind with the new dtype/device (self if none)."""
        moved = self._placeholder().to(*args, **kwargs)
        if moved._data is _storage.__get__(self):
            return self
        out = self._like()
        _storage.__set__(out, moved._data)
        return out

    def cpu(self):
        return self.to("cpu")

    def cuda(self, device=None, non_blocking=False):
        return self.to(_device.device("cuda", device) if isinstance(device, int)
                       else (device or "cuda"))

    def float(self, memory_format=None):
        return self.to(_dtype.float32)

    def double(self, memory_format=None):
        return self.to(_dtype.float64)

    def half(self, memory_format=None):
        return self.to(_dtype.float16)

    def copy_(self, src, non_blocking=False):
        """Copying a placeholder into a placeholder is the one copy there is to make."""
        if is_lazy(src):
            return self
        return Tensor.copy_(self, src, non_blocking)

    def share_memory_(self):
        raise RuntimeError("Can't share memory on an uninitialized parameter or buffer. Call "
                           "`forward` to initialize the parameters before calling "
                           "`module.share_memory()`.")

    def __repr__(self) -> str:
        return f"<{type(self).__name__}>"

    def __deepcopy__(self, memo):
        if id(self) not in memo:
            memo[id(self)] = self._like()
        return memo[id(self)]

    def __reduce_ex__(self, proto):
        return (_rebuild_uninitialized, (type(self), self.requires_grad, str(self.device),
                                         str(self.dtype).replace("dpt.", "")))


def _rebuild_uninitialized(cls, requires_grad, device, dtype):
    return cls(requires_grad, device=device, dtype=dtype)


def is_lazy(param) -> bool:
    """is_lazy(param): whether param is an UninitializedParameter or UninitializedBuffer."""
    return isinstance(param, UninitializedTensorMixin)


class UninitializedParameter(UninitializedTensorMixin, Parameter):
    """UninitializedParameter(requires_grad=True, device=None, dtype=None): a Parameter whose
    shape is still unknown; ``materialize(shape)`` turns it into a Parameter in place."""

    cls_to_become = Parameter

    def __new__(cls, requires_grad=True, device=None, dtype=None):
        data = empty(0, device=device, dtype=dtype)
        if requires_grad and data.dtype.category < 2:
            raise RuntimeError("Only Tensors of floating point and complex dtype can require "
                               "gradients")
        return Tensor._make_subclass.__func__(cls, data._data, bool(requires_grad))

    def _like(self):
        p = self._placeholder()
        return type(self)(self.requires_grad, p.device, p.dtype)


class UninitializedBuffer(UninitializedTensorMixin, Tensor):
    """UninitializedBuffer(requires_grad=False, device=None, dtype=None, persistent=True): a
    buffer whose shape is still unknown; ``materialize(shape)`` turns it into a Tensor."""

    cls_to_become = Tensor

    def __new__(cls, requires_grad=False, device=None, dtype=None, persistent=True):
        data = empty(0, device=device, dtype=dtype)
        t = Tensor._make_subclass.__func__(cls, data._data, bool(requires_grad))
        t._is_buffer = True
        t.persistent = persistent
        return t

    def _like(self):
        p = self._placeholder()
        return type(self)(self.requires_grad, p.device, p.dtype,
                          self.__dict__.get("persistent", True))
