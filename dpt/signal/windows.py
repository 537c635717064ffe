"""dpt.signal.windows: torch.signal.windows, the window functions of SciPy's signal module.

Every window takes the length M and keyword-only arguments: its own parameters, then
sym=True (the symmetric window, for filter design; sym=False gives the periodic one, for
spectral analysis: the symmetric window of length M + 1 without its last sample), dtype
(float32 or float64; the default dtype when None), layout, device and requires_grad.
Values are computed in float64 and rounded once to dtype. Deviations: with
requires_grad=True the result is a leaf (torch builds it from differentiable ops); kaiser
stays finite for large beta (torch's overflows into nan past beta ~ 700).
"""
from __future__ import annotations

import math

import numpy as np

from .. import _dtype
from .._device import special_module
from .._tensor import Tensor
from ..ops.creation import tensor

__all__ = ["bartlett", "blackman", "cosine", "exponential", "gaussian", "general_cosine",
           "general_hamming", "hamming", "hann", "kaiser", "nuttall"]


def _check(name: str, M, dtype, layout):
    """torch's checks shared by every window, in its order: length, dtype, layout."""
    if not isinstance(M, (int, np.integer)) or isinstance(M, bool):
        raise TypeError(f"{name}(): argument 'M' must be int, not {type(M).__name__}")
    if M < 0:
        raise ValueError(f"{name} requires non-negative window length, got M={M}")
    dt = _dtype.get_default_dtype() if dtype is None else _dtype.as_dtype(dtype)
    if dt.name not in ("float32", "float64"):
        raise ValueError(f"{name} expects float32 or float64 dtypes, got: torch.{dt.name}")
    if layout is not None and str(layout).split(".")[-1] != "strided":
        raise ValueError(f"{name} is implemented for strided tensors only, got: {layout}")
    return dt


def _make(M: int, sym: bool, dt, device, requires_grad, formula) -> Tensor:
    """formula(n, L) on the sample points n = 0..M-1 of a symmetric window of length L (M,
    or M + 1 for a periodic window); lengths 0 and 1 are empty and [1]."""
    if M <= 1:
        w = np.ones(M)
    else:
        w = formula(np.arange(M, dtype=np.float64), M if sym else M + 1)
    return tensor(w, dtype=dt, device=device, requires_grad=requires_grad)


# ---- the cosine-sum family -----------------------------------------------------------------
def _cosine_sum(a):
    def formula(n, L):
        phase = 2 * math.pi * n / (L - 1)
        return sum((-1) ** i * c * np.cos(i * phase) for i, c in enumerate(a))

    return formula


def general_cosine(M, *, a, sym: bool = True, dtype=None, layout=None, device=None,
                   requires_grad: bool = False) -> Tensor:
    """general_cosine(M, *, a, sym=True, dtype=None, layout=torch.strided, device=None,
    requires_grad=False): sum_i (-1)^i a[i] cos(2 pi i n / (M - 1))."""
    dt = _check("general_cosine", M, dtype, layout)
    if not isinstance(a, (list, tuple)):
        raise TypeError("Coefficients must be a list/tuple")
    if not a:
        raise ValueError("Coefficients cannot be empty")
    return _make(M, sym, dt, device, requires_grad, _cosine_sum([float(c) for c in a]))


def general_hamming(M, *, alpha: float = 0.54, sym: bool = True, dtype=None, layout=None,
                    device=None, requires_grad: bool = False) -> Tensor:
    """general_hamming(M, *, alpha=0.54, sym=True, ...): alpha - (1 - alpha) cos(2 pi n /
    (M - 1)), general_cosine with a = [alpha, 1 - alpha]."""
    return general_cosine(M, a=[alpha, 1.0 - alpha], sym=sym, dtype=dtype, layout=layout,
                          device=device, requires_grad=requires_grad)


def hamming(M: int, *, sym: bool = True, dtype=None, layout=None, device=None,
            requires_grad: bool = False) -> Tensor:
    """hamming(M, *, sym=True, ...): the Hamming window, general_hamming with alpha = 0.54."""
    return general_hamming(M, sym=sym, dtype=dtype, layout=layout, device=device,
                           requires_grad=requires_grad)


def hann(M: int, *, sym: bool = True, dtype=None, layout=None, device=None,
         requires_grad: bool = False) -> Tensor:
    """hann(M, *, sym=True, ...): the Hann window, general_hamming with alpha = 0.5."""
    return general_hamming(M, alpha=0.5, sym=sym, dtype=dtype, layout=layout, device=device,
                           requires_grad=requires_grad)


def nuttall(M: int, *, sym: bool = True, dtype=None, layout=None, device=None,
            requires_grad: bool = False) -> Tensor:
    """nuttall(M, *, sym=True, ...): Nuttall's minimum 4-term Blackman-Harris window,
    general_cosine with a = [0.3635819, 0.4891775, 0.1365995, 0.0106411]."""
    return general_cosine(M, a=[0.3635819, 0.4891775, 0.1365995, 0.0106411], sym=sym,
                          dtype=dtype, layout=layout, device=device, requires_grad=requires_grad)


def blackman(M: int, *, sym: bool = True, dtype=None, layout=None, device=None,
             requires_grad: bool = False) -> Tensor:
    """blackman(M, *, sym=True, ...): 0.42 - 0.5 cos(2 pi n / (M - 1)) + 0.08 cos(4 pi n /
    (M - 1))."""
    dt = _check("blackman", M, dtype, layout)
    return _make(M, sym, dt, device, requires_grad, _cosine_sum([0.42, 0.5, 0.08]))


# ---- the others ---------------------------------------------------------------------------
def bartlett(M: int, *, sym: bool = True, dtype=None, layout=None, device=None,
             requires_grad: bool = False) -> Tensor:
    """bartlett(M, *, sym=True, ...): the triangle 1 - |2n / (M - 1) - 1|."""
    dt = _check("bartlett", M, dtype, layout)
    return _make(M, sym, dt, device, requires_grad,
                 lambda n, L: 1 - np.abs(2 * n / (L - 1) - 1))


def cosine(M: int, *, sym: bool = True, dtype=None, layout=None, device=None,
           requires_grad: bool = False) -> Tensor:
    """cosine(M, *, sym=True, ...): the sine window sin(pi (n + 1/2) / M)."""
    dt = _check("cosine", M, dtype, layout)
    return _make(M, sym, dt, device, requires_grad,
                 lambda n, L: np.sin(math.pi * (n + 0.5) / L))


def exponential(M: int, *, center: float | None = None, tau: float = 1.0, sym: bool = True,
                dtype=None, layout=None, device=None, requires_grad: bool = False) -> Tensor:
    """exponential(M, *, center=None, tau=1.0, sym=True, ...): exp(-|n - center| / tau);
    center defaults to the middle and may only be given for periodic (sym=False) windows."""
    dt = _check("exponential", M, dtype, layout)
    if tau <= 0:
        raise ValueError(f"Tau must be positive, got: {tau} instead.")
    if sym and center is not None:
        raise ValueError("Center must be None for symmetric windows")
    return _make(M, sym, dt, device, requires_grad,
                 lambda n, L: np.exp(-np.abs(n - ((L - 1) / 2 if center is None else center))
                                     / tau))


def gaussian(M: int, *, std: float = 1.0, sym: bool = True, dtype=None, layout=None,
             device=None, requires_grad: bool = False) -> Tensor:
    """gaussian(M, *, std=1.0, sym=True, ...): exp(-((n - (M - 1) / 2) / std)^2 / 2)."""
    dt = _check("gaussian", M, dtype, layout)
    if std <= 0:
        raise ValueError(f"Standard deviation must be positive, got: {std} instead.")
    return _make(M, sym, dt, device, requires_grad,
                 lambda n, L: np.exp(-0.5 * ((n - (L - 1) / 2) / std) ** 2))


def kaiser(M: int, *, beta: float = 12.0, sym: bool = True, dtype=None, layout=None,
           device=None, requires_grad: bool = False) -> Tensor:
    """kaiser(M, *, beta=12.0, sym=True, ...): I0(beta sqrt(1 - (2n / (M - 1) - 1)^2)) /
    I0(beta)."""
    dt = _check("kaiser", M, dtype, layout)
    if beta < 0:
        raise ValueError(f"beta must be non-negative, got: {beta} instead.")

    def formula(n, L):
        r = 2 * n / (L - 1) - 1
        # i0(b s) / i0(b) as i0e(b s) / i0e(b) * exp(b (s - 1)): no overflow for large beta
        i0e = special_module(np).i0e
        s = np.sqrt(np.clip(1 - r * r, 0, None))
        return i0e(beta * s) / i0e(beta) * np.exp(beta * (s - 1))

    return _make(M, sym, dt, device, requires_grad, formula)
