"""Operand preparation for binary ops: scalars, type promotion and device checks."""
from __future__ import annotations

import numbers

import numpy as np

from .. import _dtype
from .._device import xp_of
from .._tensor import Tensor
from .creation import tensor

_SCALARS = (bool, int, float, complex)
_ndarray = np.ndarray
_from_np = _dtype.from_numpy_dtype
_bfloat16 = _dtype.bfloat16


def as_operand(x, like: Tensor | None = None):
    """A Tensor or a python scalar; lists and arrays become tensors on like's device."""
    if isinstance(x, np.generic):  # before _SCALARS: np.float64 subclasses float
        return x.item()
    if isinstance(x, Tensor) or isinstance(x, _SCALARS):
        return x
    if isinstance(x, numbers.Number):
        return complex(x) if isinstance(x, numbers.Complex) and not isinstance(x, numbers.Real) else float(x)
    return tensor(x, device=like.device if like is not None else None)


def check_same_device(op: str, a: Tensor, b: Tensor) -> None:
    if type(a._data) is not type(b._data) or (a.is_cuda and a.device != b.device):
        if a.ndim == 0 and a.is_cpu or b.ndim == 0 and b.is_cpu:
            return
        raise RuntimeError(f"{op}: Expected all tensors to be on the same device, but found at "
                           f"least two devices, {a.device} and {b.device}!")


def binary(a, b, op: str, dtype: _dtype.dtype | None = None):
    """Return (a, b, result dtype) with tensors cast to the promoted dtype.

    Python scalars stay scalars: numpy's weak scalar promotion then keeps the
    tensor's dtype, which is torch's rule once the tensor has the result dtype.
    """
    a_t, b_t = isinstance(a, Tensor), isinstance(b, Tensor)
    if dtype is None:  # fast paths: same-dtype tensors, a float tensor with a python number
        if a_t:
            ad = a._data
            if b_t:
                bd = b._data
                if ad.dtype is bd.dtype:
                    if type(ad) is not _ndarray or type(bd) is not _ndarray:
                        check_same_device(op, a, b)
                    return a, b, _from_np(ad.dtype)
            else:
                tb = type(b)
                if tb is float or tb is int:
                    rt = _from_np(ad.dtype)
                    if rt.category >= 2 and (tb is int or rt is not _bfloat16):
                        return a, b, rt
        elif b_t:
            ta = type(a)
            if ta is float or ta is int:
                rt = _from_np(b._data.dtype)
                if rt.category >= 2 and (ta is int or rt is not _bfloat16):
                    return a, b, rt
    like = a if a_t else b if b_t else None
    a, b = as_operand(a, like), as_operand(b, like)
    if not isinstance(a, Tensor) and not isinstance(b, Tensor):
        raise TypeError(f"{op}: expected at least one Tensor argument, got "
                        f"{type(a).__name__} and {type(b).__name__}")
    if isinstance(a, Tensor) and isinstance(b, Tensor):
        check_same_device(op, a, b)
    rt = dtype if dtype is not None else _dtype.result_type(a, b)
    if rt.category == 1:  # torch casts an int scalar to the integer result dtype, wrapping
        a, b = (_wrap_int(x, rt) if type(x) is int else x for x in (a, b))
    if isinstance(a, Tensor) and a.dtype is not rt:
        a = a.to(rt)
    if isinstance(b, Tensor) and b.dtype is not rt:
        b = b.to(rt)
    if rt is _dtype.bfloat16:
        # numpy's weak-scalar rule does not reach ml_dtypes' bfloat16 (bf16 + 0.5 is float32),
        # so a float scalar joins as a bfloat16 0-d tensor
        xp = xp_of((a if isinstance(a, Tensor) else b)._data)
        a, b = (Tensor._make(xp.asarray(x, dtype=rt.np)) if isinstance(x, float) else x
                for x in (a, b))
    return a, b, rt


def _wrap_int(x: int, rt: _dtype.dtype) -> int:
    """x reduced modulo 2**bits into rt's range (uint8 + -1 is uint8 + 255, as in torch);
    numpy would raise OverflowError for an out-of-range python int."""
    bits = rt.np.itemsize * 8
    if rt.np.kind == "u":
        return x if 0 <= x < 1 << bits else x % (1 << bits)
    half = 1 << (bits - 1)
    return x if -half <= x < half else (x + half) % (1 << bits) - half


def scalar_or_array(x, xp, dtype):
    """A python scalar as a 0-d array of dtype (for ops numpy would otherwise upcast)."""
    return xp.asarray(x, dtype=dtype.np) if not isinstance(x, Tensor) else x
