"""The pseudo-inverse and what shares its singular-value cutoff: linalg.pinv, lstsq,
matrix_rank.
"""
from __future__ import annotations

import numpy as np

from .._device import runs_on, to_numpy, xp_of
from .._tensor import Tensor
from ..autograd.function import Function
from ._common import _check, _const, _eye_like, _to_xp, _with_out, lstsq_result


def _tolerance(s, atol, rtol, m: int, n: int, xp):
    """torch's rule: tol = max(atol, rtol * s_max); rtol defaults to eps * max(m, n) when neither
    is given and to 0 when only atol is."""
    def arr(v):
        return to_numpy(v._data) if isinstance(v, Tensor) else v
    atol, rtol = arr(atol), arr(rtol)
    if rtol is None:
        rtol = np.finfo(s.dtype).eps * max(m, n) if atol is None else 0.0
    atol = 0.0 if atol is None else atol
    smax = s.max(-1, keepdims=True) if s.shape[-1] else xp.zeros(s.shape[:-1] + (1,), s.dtype)
    return xp.maximum(_to_xp(xp, np.asarray(atol))[..., None] if np.ndim(atol) else atol,
                      (_to_xp(xp, np.asarray(rtol))[..., None] if np.ndim(rtol) else rtol) * smax)


class _Pinv(Function):
    def forward(self, a, atol, rtol, hermitian):
        self.args = (atol, rtol, hermitian)
        xp = xp_of(a)
        m, n = a.shape[-2:]
        if hermitian:
            w, v = xp.linalg.eigh(a)
            tol = _tolerance(xp.abs(w), atol, rtol, m, n, xp)
            winv = xp.where(xp.abs(w) > tol, 1 / xp.where(w == 0, 1, w), 0).astype(a.dtype)
            y = (v * winv[..., None, :]) @ xp.conj(xp.swapaxes(v, -1, -2))
        else:
            u, s, vh = xp.linalg.svd(a, full_matrices=False)
            tol = _tolerance(s, atol, rtol, m, n, xp)
            sinv = xp.where(s > tol, 1 / xp.where(s == 0, 1, s), 0).astype(a.dtype)
            y = xp.conj(xp.swapaxes(vh, -1, -2)) * sinv[..., None, :] @ xp.conj(xp.swapaxes(u, -1, -2))
        y = y.astype(a.dtype, copy=False)
        self.save_output(y)
        return y

    def backward(self, g):
        # d(A+) = -A+ dA A+ + A+ A+^H dA^H (I - A A+) + (I - A+ A) dA^H A+^H A+  (constant rank)
        a, = self.inputs
        atol, rtol, hermitian = self.args
        p = self.saved_output(recompute=lambda: _Pinv.apply(a, atol=atol, rtol=rtol,
                                                            hermitian=hermitian))
        m, n = a.shape[-2:]
        ph = p.mH
        ga = -(ph @ g @ ph)
        ga = ga + (_eye_like(a, m) - a @ p) @ g.mH @ (p @ ph)
        ga = ga + (ph @ p) @ g.mH @ (_eye_like(a, n) - p @ a)
        return ga


def pinv(A: Tensor, *, atol=None, rtol=None, hermitian: bool = False, out=None) -> Tensor:
    """linalg.pinv(A, *, atol=None, rtol=None, hermitian=False): Moore-Penrose pseudo-inverse.

    Singular values at or below max(atol, rtol * s_max) are treated as zero.
    """
    _check(A, "linalg.pinv")
    return _with_out(_Pinv.apply(A, atol=atol, rtol=rtol, hermitian=bool(hermitian)), out)


@runs_on(0)
def lstsq(A: Tensor, B: Tensor, rcond=None, *, driver: str | None = None):
    """linalg.lstsq(A, B, rcond=None, *, driver=None) -> (solution, residuals, rank,
    singular_values).

    The solution is the minimum-norm least-squares solution pinv(A) @ B (differentiable).
    driver (default 'gelsy') decides, as in torch, which extra outputs are filled: rank for
    gelsy/gelsd/gelss, singular_values for gelsd/gelss, residuals when m > n, every matrix has
    full rank and the driver is not gelsy; the others are empty tensors.
    """
    _check(A, "linalg.lstsq")
    if not isinstance(B, Tensor):
        raise TypeError(f"linalg.lstsq(): argument 'B' (position 2) must be Tensor, not "
                        f"{type(B).__name__}")
    driver = "gelsy" if driver is None else driver
    if driver not in ("gels", "gelsy", "gelsd", "gelss"):
        raise RuntimeError("parameter `driver` should be one of (gels, gelsy, gelsd, gelss)")
    if A.dtype is not B.dtype:
        raise RuntimeError(f"torch.linalg.lstsq: Expected input and other to have the same dtype, "
                           f"but got input's dtype {A.dtype} and other's dtype {B.dtype}")
    vector = B.ndim == A.ndim - 1
    Bm = B.unsqueeze(-1) if vector else B
    m, n = A.shape[-2:]
    if Bm.shape[-2] != m:
        raise RuntimeError("torch.linalg.lstsq: input.size(-2) should match other.size(-2)")
    xp = xp_of(A._data)
    if rcond is None:
        rcond = np.finfo(A._data.dtype).eps * max(m, n)
    X = _Pinv.apply(A, atol=None, rtol=float(rcond), hermitian=False) @ Bm
    s = xp.linalg.svd(A._data, compute_uv=False) if A.numel() else xp.zeros(
        A.shape[:-2] + (min(m, n),), A._data.real.dtype)
    tol = rcond * (s.max(-1, keepdims=True) if s.shape[-1] else 0)
    rank = (s > tol).sum(-1).astype(np.int64)
    empty = _const(xp.empty((0,), A._data.real.dtype))
    residuals = empty
    if m > n and driver != "gelsy" and bool((rank == n).all()):
        residuals = ((A @ X - Bm).abs() ** 2).sum(-2)  # differentiable, as torch's
    rank_t = _const(rank) if driver != "gels" else _const(xp.empty((0,), np.int64))
    sv = _const(s.astype(A._data.real.dtype)) if driver in ("gelsd", "gelss") else empty
    return lstsq_result(X.squeeze(-1) if vector else X, residuals, rank_t, sv)


@runs_on(0)
def matrix_rank(A: Tensor, *, atol=None, rtol=None, hermitian: bool = False, out=None) -> Tensor:
    """linalg.matrix_rank(A, *, atol=None, rtol=None, hermitian=False): number of singular
    values above max(atol, rtol * s_max), as int64."""
    _check(A, "linalg.matrix_rank")
    xp = xp_of(A._data)
    m, n = A.shape[-2:]
    a = A._data
    s = xp.abs(xp.linalg.eigvalsh(a)) if hermitian else xp.linalg.svd(a, compute_uv=False)
    tol = _tolerance(s, atol, rtol, m, n, xp)
    return _with_out(_const((s > tol).sum(-1).astype(np.int64)), out)
