"""The legacy GPU tensor types (torch.cuda.FloatTensor & co): constructors of GPU tensors of
one dtype that isinstance() checks, twins of dpt.FloatTensor & co for the CPU."""
from __future__ import annotations

from .. import _device, _dtype
from .._tensor import Tensor


class _CudaTensorType(type):
    """``FloatTensor(2, 3)`` / ``FloatTensor([1, 2])`` build float32 tensors on the current GPU
    (or device=); ``isinstance(t, dpt.cuda.FloatTensor)`` holds for any float32 GPU tensor.
    They are not Tensor subclasses: every tensor is a plain Tensor."""

    def __call__(cls, *args, device=None):
        if _device.gpu_module() is None:
            raise TypeError(f"type dpt.cuda.{cls.__name__} not available: no CUDA device is "
                            f"available")
        dev = _device.device("cuda") if device is None else _device.as_device(device)
        if dev.type != "cuda":
            raise RuntimeError(f"legacy constructor expects device type: cuda but device type: "
                               f"{dev.type} was passed")
        return Tensor(*args, dtype=cls.dtype, device=dev)

    def __instancecheck__(cls, obj):
        return isinstance(obj, Tensor) and obj.is_cuda and obj.dtype is cls.dtype

    def __repr__(cls):
        return f"<class 'dpt.cuda.{cls.__name__}'>"


def _cuda_type(name: str, dt: _dtype.dtype):
    return _CudaTensorType(name, (), {"dtype": dt, "__module__": "dpt.cuda", "__slots__": (),
                                      "__doc__": f"{name}(*sizes) / {name}(data): {dt} GPU "
                                                 f"tensors."})


FloatTensor = _cuda_type("FloatTensor", _dtype.float32)
DoubleTensor = _cuda_type("DoubleTensor", _dtype.float64)
HalfTensor = _cuda_type("HalfTensor", _dtype.float16)
BFloat16Tensor = _cuda_type("BFloat16Tensor", _dtype.bfloat16)
LongTensor = _cuda_type("LongTensor", _dtype.int64)
IntTensor = _cuda_type("IntTensor", _dtype.int32)
ShortTensor = _cuda_type("ShortTensor", _dtype.int16)
CharTensor = _cuda_type("CharTensor", _dtype.int8)
ByteTensor = _cuda_type("ByteTensor", _dtype.uint8)
BoolTensor = _cuda_type("BoolTensor", _dtype.bool)
