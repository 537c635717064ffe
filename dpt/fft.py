"""dpt.fft: discrete Fourier transforms like torch.fft, differentiable.

Three primitives do the work: a complex-to-complex transform over some dims, a real-to-
complex one-sided transform over one dim and its complex-to-real inverse. Each one's
backward is another of them with the dual normalization (the adjoint of an FFT is an
inverse FFT scaled the other way), so higher derivatives come for free. Padding and
trimming to a requested signal size are ordinary (differentiable) dpt ops.

Complex gradients follow torch's convention: for a real loss L of z = x + iy the gradient
is dL/dx + i dL/dy.
"""
from __future__ import annotations

import numpy as np

from ._device import xp_of
from ._dtype import complex64, complex128, float32, get_default_dtype
from ._tensor import Tensor, _wrap_dim
from .autograd.function import Function
from . import ops as _ops
from .ops.arithmetic import _with_out

__all__ = ["fft", "ifft", "fft2", "ifft2", "fftn", "ifftn", "rfft", "irfft", "rfft2", "irfft2",
           "rfftn", "irfftn", "hfft", "ihfft", "hfft2", "ihfft2", "hfftn", "ihfftn", "fftfreq",
           "rfftfreq", "fftshift", "ifftshift"]

_DUAL = {"backward": "forward", "forward": "backward", "ortho": "ortho"}
_COMPLEX = {np.dtype(np.float32): np.complex64, np.dtype(np.float64): np.complex128,
            np.dtype(np.complex64): np.complex64, np.dtype(np.complex128): np.complex128}


# ---- the three primitives ---------------------------------------------------------------
class _C2C(Function):
    """fftn (or ifftn when inverse) of a complex array over dims, numpy's norm modes."""

    def forward(self, x, dims, norm, inverse):
        self.args = (dims, norm, inverse)
        if not dims:
            return x.copy()
        xp = xp_of(x)
        f = xp.fft.ifftn if inverse else xp.fft.fftn
        return f(x, axes=dims, norm=norm).astype(x.dtype, copy=False)

    def backward(self, g):
        dims, norm, inverse = self.args
        return _C2C.apply(g, dims=dims, norm=_DUAL[norm], inverse=not inverse)


class _R2C(Function):
    """One-sided rfft of a real array along dim (n // 2 + 1 outputs)."""

    def forward(self, x, dim, norm):
        self.dim, self.norm, self.n = dim, norm, x.shape[dim]
        return xp_of(x).fft.rfft(x, axis=dim, norm=norm).astype(_COMPLEX[x.dtype], copy=False)

    def backward(self, g):
        # Adjoint of "full DFT then keep the first half": zero-fill the rest, inverse with the
        # dual scaling, keep the real part (the input was real).
        dim, n = self.dim, self.n
        m = g.shape[dim]
        if n > m:
            shape = list(g.shape)
            shape[dim] = n - m
            g = _ops.cat([g, _ops.zeros(shape, dtype=g.dtype, device=g.device)], dim)
        return _C2C.apply(g, dims=(dim,), norm=_DUAL[self.norm], inverse=True).real


class _C2R(Function):
    """irfft along dim: n // 2 + 1 complex values of a Hermitian spectrum -> n real samples."""

    def forward(self, x, dim, n, norm):
        self.dim, self.n, self.norm = dim, n, norm
        real = np.float32 if x.dtype == np.complex64 else np.float64
        return xp_of(x).fft.irfft(x, n=n, axis=dim, norm=norm).astype(real, copy=False)

    def backward(self, g):
        # The bins 1 .. n - m stand for themselves and their mirror image: their weight is 2.
        dim, n = self.dim, self.n
        gy = _R2C.apply(g, dim=dim, norm=_DUAL[self.norm])
        m = n // 2 + 1
        xp = xp_of(gy._data)
        w = xp.ones(m, dtype=g._data.dtype)
        w[1:n - m + 1] = 2
        shape = [1] * gy.ndim
        shape[dim] = m
        return gy * Tensor._make(w.reshape(shape))


# ---- argument handling --------------------------------------------------------------------
def _norm(norm, op: str) -> str:
    if norm is None:
        return "backward"
    if norm not in _DUAL:
        raise RuntimeError(f"Invalid normalization mode: \"{norm}\"")
    return norm


def _floating(x: Tensor, op: str) -> Tensor:
    if not isinstance(x, Tensor):
        raise TypeError(f"{op}(): argument 'input' (position 1) must be Tensor, not "
                        f"{type(x).__name__}")
    if x.dtype.category < 2:
        return x.to(get_default_dtype())
    if x.dtype.name in ("float16", "bfloat16"):
        return x.to(float32)
    return x


def _to_complex(x: Tensor) -> Tensor:
    if x.dtype.category == 3:
        return x
    return x.to(complex64 if x._data.dtype == np.float32 else complex128)


def _resize(x: Tensor, dim: int, n: int, op: str) -> Tensor:
    """Trim or zero-pad x along dim to n points."""
    if n < 1:
        raise RuntimeError(f"Invalid number of data points ({n}) specified")
    size = x.shape[dim]
    if n < size:
        return _ops.narrow(x, dim, 0, n)
    if n > size:
        shape = list(x.shape)
        shape[dim] = n - size
        return _ops.cat([x, _ops.zeros(shape, dtype=x.dtype, device=x.device)], dim)
    return x


def _signal_size(n) -> tuple | None:
    """s of a one-dimensional transform; n = -1 means 'the default' only in the n-dim forms."""
    if n is None:
        return None
    if n < 1:
        raise RuntimeError(f"Invalid number of data points ({n}) specified")
    return (int(n),)


def _dims(x: Tensor, s, dim, op: str) -> tuple:
    """(dims, sizes) for the n-dimensional transforms, following torch's rules for s and dim."""
    if isinstance(dim, int):
        dim = (dim,)
    if dim is None:
        if s is not None and len(s) > x.ndim:
            raise RuntimeError(f"Got shape with {len(s)} values but input tensor only has "
                               f"{x.ndim} dimensions.")
        dims = tuple(range(x.ndim)) if s is None else tuple(range(x.ndim - len(s), x.ndim))
    else:
        dims = tuple(_wrap_dim(d, x.ndim, op) for d in dim)
        if len(set(dims)) != len(dims):
            raise RuntimeError("FFT dims must be unique")
    if s is not None:
        s = [int(v) for v in s]
        if len(s) != len(dims):
            raise RuntimeError("When given, dim and shape arguments must have the same length")
        sizes = tuple(x.shape[d] if v == -1 else v for d, v in zip(dims, s))
    else:
        sizes = tuple(x.shape[d] for d in dims)
    return dims, sizes


# ---- complex transforms --------------------------------------------------------------------
def _c2c(input, s, dim, norm, op, inverse) -> Tensor:
    x = _to_complex(_floating(input, op))
    dims, sizes = _dims(x, s, dim, op)
    for d, n in zip(dims, sizes):
        x = _resize(x, d, n, op)
    return _C2C.apply(x, dims=dims, norm=_norm(norm, op), inverse=inverse)


def fft(input: Tensor, n: int | None = None, dim: int = -1, norm: str | None = None, *,
        out=None) -> Tensor:
    """fft(input, n=None, dim=-1, norm=None): one-dimensional DFT (real input is promoted)."""
    return _with_out(_c2c(input, _signal_size(n), (dim,), norm, "fft", False), out, "fft")


def ifft(input: Tensor, n: int | None = None, dim: int = -1, norm: str | None = None, *,
         out=None) -> Tensor:
    """ifft(input, n=None, dim=-1, norm=None): inverse of fft."""
    return _with_out(_c2c(input, _signal_size(n), (dim,), norm, "ifft", True), out, "ifft")


def fft2(input: Tensor, s=None, dim=(-2, -1), norm: str | None = None, *, out=None) -> Tensor:
    """fft2(input, s=None, dim=(-2, -1), norm=None)."""
    return _with_out(_c2c(input, s, dim, norm, "fft2", False), out, "fft2")


def ifft2(input: Tensor, s=None, dim=(-2, -1), norm: str | None = None, *, out=None) -> Tensor:
    """ifft2(input, s=None, dim=(-2, -1), norm=None)."""
    return _with_out(_c2c(input, s, dim, norm, "ifft2", True), out, "ifft2")


def fftn(input: Tensor, s=None, dim=None, norm: str | None = None, *, out=None) -> Tensor:
    """fftn(input, s=None, dim=None, norm=None): over every dim, or the last len(s), or dim."""
    return _with_out(_c2c(input, s, dim, norm, "fftn", False), out, "fftn")


def ifftn(input: Tensor, s=None, dim=None, norm: str | None = None, *, out=None) -> Tensor:
    """ifftn(input, s=None, dim=None, norm=None)."""
    return _with_out(_c2c(input, s, dim, norm, "ifftn", True), out, "ifftn")


# ---- real transforms -------------------------------------------------------------------------
def _real_input(input, op: str) -> Tensor:
    x = _floating(input, op)
    if x.dtype.category == 3:
        raise RuntimeError(f"{op} expects a real input tensor, but got "
                           f"{'ComplexFloat' if x.dtype.name == 'complex64' else 'ComplexDouble'}")
    return x


def _rfftn(input, s, dim, norm, op) -> Tensor:
    x = _real_input(input, op)
    dims, sizes = _dims(x, s, dim, op)
    if not dims:
        raise RuntimeError(f"{op} must transform at least one axis")
    for d, n in zip(dims, sizes):
        x = _resize(x, d, n, op)
    norm = _norm(norm, op)
    y = _R2C.apply(x, dim=dims[-1], norm=norm)
    return _C2C.apply(y, dims=dims[:-1], norm=norm, inverse=False) if len(dims) > 1 else y


def _irfftn(input, s, dim, norm, op) -> Tensor:
    x = _to_complex(_floating(input, op))
    dims, sizes = _dims(x, s, dim, op)
    if not dims:
        raise RuntimeError(f"{op} must transform at least one axis")
    last = dims[-1]
    n = sizes[-1] if s is not None and s[-1] != -1 else 2 * (x.shape[last] - 1)
    if n < 1:
        raise RuntimeError(f"Invalid number of data points ({n}) specified")
    for d, size in zip(dims[:-1], sizes[:-1]):
        x = _resize(x, d, size, op)
    x = _resize(x, last, n // 2 + 1, op)
    norm = _norm(norm, op)
    if len(dims) > 1:
        x = _C2C.apply(x, dims=dims[:-1], norm=norm, inverse=True)
    return _C2R.apply(x, dim=last, n=n, norm=norm)


def rfft(input: Tensor, n: int | None = None, dim: int = -1, norm: str | None = None, *,
         out=None) -> Tensor:
    """rfft(input, n=None, dim=-1, norm=None): the n // 2 + 1 non-negative frequencies of a real
    signal."""
    return _with_out(_rfftn(input, _signal_size(n), (dim,), norm, "rfft"), out, "rfft")


def irfft(input: Tensor, n: int | None = None, dim: int = -1, norm: str | None = None, *,
          out=None) -> Tensor:
    """irfft(input, n=None, dim=-1, norm=None): inverse of rfft; n defaults to 2 * (m - 1)."""
    return _with_out(_irfftn(input, _signal_size(n), (dim,), norm, "irfft"), out, "irfft")


def rfft2(input: Tensor, s=None, dim=(-2, -1), norm: str | None = None, *, out=None) -> Tensor:
    """rfft2(input, s=None, dim=(-2, -1), norm=None)."""
    return _with_out(_rfftn(input, s, dim, norm, "rfft2"), out, "rfft2")


def irfft2(input: Tensor, s=None, dim=(-2, -1), norm: str | None = None, *, out=None) -> Tensor:
    """irfft2(input, s=None, dim=(-2, -1), norm=None)."""
    return _with_out(_irfftn(input, s, dim, norm, "irfft2"), out, "irfft2")


def rfftn(input: Tensor, s=None, dim=None, norm: str | None = None, *, out=None) -> Tensor:
    """rfftn(input, s=None, dim=None, norm=None): one-sided in the last transformed dim."""
    return _with_out(_rfftn(input, s, dim, norm, "rfftn"), out, "rfftn")


def irfftn(input: Tensor, s=None, dim=None, norm: str | None = None, *, out=None) -> Tensor:
    """irfftn(input, s=None, dim=None, norm=None): inverse of rfftn."""
    return _with_out(_irfftn(input, s, dim, norm, "irfftn"), out, "irfftn")


def hfft(input: Tensor, n: int | None = None, dim: int = -1, norm: str | None = None, *,
         out=None) -> Tensor:
    """hfft(input, n=None, dim=-1, norm=None): the real spectrum of a signal with Hermitian
    symmetry given by its first half."""
    y = _irfftn(_to_complex(_floating(input, "hfft")).conj(), _signal_size(n), (dim,),
                _DUAL[_norm(norm, "hfft")], "hfft")
    return _with_out(y, out, "hfft")


def ihfft(input: Tensor, n: int | None = None, dim: int = -1, norm: str | None = None, *,
          out=None) -> Tensor:
    """ihfft(input, n=None, dim=-1, norm=None): inverse of hfft (real input)."""
    y = _rfftn(input, _signal_size(n), (dim,), _DUAL[_norm(norm, "ihfft")], "ihfft").conj()
    return _with_out(y, out, "ihfft")


# A Hermitian signal's forward transform is the conjugate of its inverse one with the dual
# scaling, so the n-dimensional forms are irfftn / rfftn around a conjugation, like hfft.
def _hfftn(input, s, dim, norm, op) -> Tensor:
    x = _to_complex(_floating(input, op)).conj()
    return _irfftn(x, s, dim, _DUAL[_norm(norm, op)], op)


def _ihfftn(input, s, dim, norm, op) -> Tensor:
    return _rfftn(input, s, dim, _DUAL[_norm(norm, op)], op).conj()


def hfft2(input: Tensor, s=None, dim=(-2, -1), norm: str | None = None, *, out=None) -> Tensor:
    """hfft2(input, s=None, dim=(-2, -1), norm=None): hfftn over two dims."""
    return _with_out(_hfftn(input, s, dim, norm, "hfft2"), out, "hfft2")


def ihfft2(input: Tensor, s=None, dim=(-2, -1), norm: str | None = None, *, out=None) -> Tensor:
    """ihfft2(input, s=None, dim=(-2, -1), norm=None): ihfftn over two dims."""
    return _with_out(_ihfftn(input, s, dim, norm, "ihfft2"), out, "ihfft2")


def hfftn(input: Tensor, s=None, dim=None, norm: str | None = None, *, out=None) -> Tensor:
    """hfftn(input, s=None, dim=None, norm=None): the real n-dimensional spectrum of a
    Hermitian-symmetric signal given by its half in the last transformed dim (whose output
    size defaults to 2 * (m - 1))."""
    return _with_out(_hfftn(input, s, dim, norm, "hfftn"), out, "hfftn")


def ihfftn(input: Tensor, s=None, dim=None, norm: str | None = None, *, out=None) -> Tensor:
    """ihfftn(input, s=None, dim=None, norm=None): inverse of hfftn for a real input, one-sided
    in the last transformed dim."""
    return _with_out(_ihfftn(input, s, dim, norm, "ihfftn"), out, "ihfftn")


# ---- helpers -------------------------------------------------------------------------------
def fftfreq(n: int, d: float = 1.0, *, out=None, dtype=None, layout=None, device=None,
            requires_grad: bool = False) -> Tensor:
    """fftfreq(n, d=1.0): sample frequencies [0, 1, ..., -(n // 2), ..., -1] / (d * n)."""
    f = np.fft.fftfreq(n, d)
    return _ops.tensor(f, dtype=dtype or get_default_dtype(), device=device,
                       requires_grad=requires_grad)


def rfftfreq(n: int, d: float = 1.0, *, out=None, dtype=None, layout=None, device=None,
             requires_grad: bool = False) -> Tensor:
    """rfftfreq(n, d=1.0): the n // 2 + 1 non-negative sample frequencies."""
    f = np.fft.rfftfreq(n, d)
    return _ops.tensor(f, dtype=dtype or get_default_dtype(), device=device,
                       requires_grad=requires_grad)


def _shift(input: Tensor, dim, sign: int) -> Tensor:
    if dim is None:
        dims = tuple(range(input.ndim))
    else:
        dims = (dim,) if isinstance(dim, int) else tuple(dim)
        dims = tuple(_wrap_dim(d, input.ndim, "fftshift") for d in dims)
    if not dims:
        return input.clone()
    shifts = tuple(sign * (input.shape[d] // 2) for d in dims)
    return _ops.roll(input, shifts, dims)


def fftshift(input: Tensor, dim=None) -> Tensor:
    """fftshift(input, dim=None): move the zero frequency to the centre."""
    return _shift(input, dim, 1)


def ifftshift(input: Tensor, dim=None) -> Tensor:
    """ifftshift(input, dim=None): inverse of fftshift."""
    return _shift(input, dim, -1)
