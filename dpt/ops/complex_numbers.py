"""Complex numbers: conj, real, imag, angle, the view_as_real / view_as_complex views, and
torch's lazy-conjugation API, which dpt answers eagerly (conjugation always materialises,
so there is no conj bit to resolve)."""
from __future__ import annotations

import math

import numpy as np

from .. import _dtype
from .._device import xp_of
from .._tensor import Tensor
from ..autograd.function import Function
from .inplace import track_view
from .arithmetic import _Stepwise, _with_out
from .pointwise import _check_tensor, _float_input, atan2

__all__ = ["conj", "real", "imag", "angle", "view_as_real", "view_as_complex", "is_conj", "resolve_conj", "resolve_neg",
           "conj_physical"]


class Conj(Function):
    def forward(self, x):
        return x.conj()

    def backward(self, gz):
        return gz.conj()


class Real(Function):
    is_view = True

    def forward(self, x):
        return x.real

    def backward(self, gz):
        return gz  # the engine casts it back to the complex input dtype


class Imag(Function):
    is_view = True

    def forward(self, x):
        return x.imag

    def backward(self, gz):
        return gz * 1j


class Angle(_Stepwise):
    """The angle of a real number: 0 for x >= 0, pi for x < 0, nan for nan."""

    def forward(self, x):
        xp = xp_of(x)
        zero_or_nan = xp.where(xp.isnan(x), x, xp.asarray(0, x.dtype))
        return xp.where(x < 0, xp.asarray(math.pi, x.dtype), zero_or_nan)


def conj(input) -> Tensor:
    """conj(input): complex conjugate; real tensors are returned as they are."""
    _check_tensor(input, "conj")
    return Conj.apply(input) if input.dtype.is_complex else input


def real(input) -> Tensor:
    """real(input): the real part, a view (the tensor itself for real dtypes)."""
    _check_tensor(input, "real")
    return Real.apply(input) if input.dtype.is_complex else input


def imag(input) -> Tensor:
    """imag(input): the imaginary part of a complex tensor, a view."""
    _check_tensor(input, "imag")
    if not input.dtype.is_complex:
        raise RuntimeError("imag is not implemented for tensors with non-complex dtypes.")
    return Imag.apply(input)


def angle(input, *, out=None) -> Tensor:
    """angle(input, *, out=None): the argument of complex input; 0 or pi for real input."""
    _check_tensor(input, "angle")
    if input.dtype.is_complex:
        return _with_out(atan2(imag(input), real(input)), out, "angle")
    return _with_out(Angle.apply(_float_input(input)), out, "angle")


def is_conj(input: Tensor) -> bool:
    """is_conj(input): always False, dpt conjugates eagerly (there is no lazy conj bit)."""
    return False


def resolve_conj(input: Tensor) -> Tensor:
    """resolve_conj(input): input itself (no lazy conjugation in dpt)."""
    return input


def resolve_neg(input: Tensor) -> Tensor:
    """resolve_neg(input): input itself (no lazy negation in dpt)."""
    return input


def conj_physical(input: Tensor) -> Tensor:
    """conj_physical(input): the complex conjugate (dpt's conj already materialises it)."""
    return conj(input)


class ViewAsReal(Function):
    """complex (...) -> real (..., 2), sharing memory."""

    is_view = True

    def forward(self, x):
        xp = xp_of(x)
        re = x.real  # same memory, same byte strides, real dtype
        return xp.lib.stride_tricks.as_strided(re, x.shape + (2,),
                                               x.strides + (re.dtype.itemsize,))

    def backward(self, gz):
        return view_as_complex(gz.contiguous())


class ViewAsComplex(Function):
    """real (..., 2) -> complex (...), sharing memory."""

    is_view = True

    def forward(self, x):
        return x.view(np.complex128 if x.dtype == np.float64 else np.complex64)[..., 0]

    def backward(self, gz):
        return view_as_real(gz)


def view_as_real(input: Tensor) -> Tensor:
    """view_as_real(input): a complex tensor seen as real (..., 2) pairs (a view)."""
    if not input.is_complex():
        raise RuntimeError("view_as_real is only supported for complex tensors")
    return track_view(ViewAsReal.apply(input))


def view_as_complex(input: Tensor) -> Tensor:
    """view_as_complex(input): a float32/float64 (..., 2) tensor seen as complex (a view)."""
    if input.dtype not in (_dtype.float32, _dtype.float64):
        raise RuntimeError(f"view_as_complex is only supported for float and double tensors, "
                           f"but got a tensor of scalar type: {input.dtype}")
    if input.ndim == 0 or input.shape[-1] != 2:
        raise RuntimeError("Tensor must have a last dimension of size 2")
    if input.stride(-1) != 1:
        raise RuntimeError("Tensor must have a last dimension with stride 1")
    if any(s % 2 for s in input.stride()[:-1]):
        raise RuntimeError("Tensor must have a stride divisible by 2 for all but last dimension")
    if input.storage_offset() % 2:
        raise RuntimeError("Tensor must have a storage_offset divisible by 2")
    return track_view(ViewAsComplex.apply(input))
