"""The factorizations computed by the array module's LAPACK wrappers, on CPU or GPU:
linalg.cholesky(_ex), qr, eigh, eigvalsh, eig, eigvals, svd, svdvals.

Each backward is written with dpt ops and re-runs the factorization when it needs the
outputs, so ``create_graph=True`` gives second derivatives. LU, which runs on the host
through scipy, is in ``_lu.py``.
"""
from __future__ import annotations

import numpy as np

from .._device import to_numpy, xp_of
from .._tensor import Tensor
from ..autograd.function import Function
from .. import ops as _ops
from ._common import (LinAlgError, _check, _const, _diag, _to_xp, _with_out, cholesky_ex_result,
                      eig_result, eigh_result, qr_result, svd_result)
from ._det_inv_solve import solve_triangular


# ---- Cholesky -----------------------------------------------------------------------------
def _not_pd(op: str, arr) -> LinAlgError:
    """The error for a matrix that is not positive-definite, naming the first bad minor."""
    order = ""
    arr = to_numpy(arr)
    arr = arr.reshape((-1,) + arr.shape[-2:])
    for m in arr:
        for k in range(1, m.shape[-1] + 1):
            try:
                np.linalg.cholesky(m[:k, :k])
            except np.linalg.LinAlgError:
                order = f" (the leading minor of order {k} is not positive-definite)"
                break
        if order:
            break
    return LinAlgError(f"{op}: The factorization could not be completed because the input is not "
                       f"positive-definite{order}.")


class _Cholesky(Function):
    def forward(self, a):
        try:
            L = xp_of(a).linalg.cholesky(a)
        except np.linalg.LinAlgError:
            raise _not_pd("linalg.cholesky", a) from None
        self.save_output(L)
        return L

    def backward(self, gL):
        a, = self.inputs
        L = self.saved_output(recompute=lambda: _Cholesky.apply(a))
        P = (L.mH @ gL).tril()
        P = P - 0.5 * _ops.diag_embed(_diag(P))
        # S = L^-H P L^-1, then symmetrize: only the symmetric part of A is read.
        S = solve_triangular(L.mH, P, upper=True)
        S = solve_triangular(L, S, upper=False, left=False)
        return 0.5 * (S + S.mH)


def cholesky(A: Tensor, *, upper: bool = False, out=None) -> Tensor:
    """linalg.cholesky(A, *, upper=False): L (lower) with A = L L^H, or U = L^H if upper."""
    _check(A, "linalg.cholesky", square=True)
    L = _Cholesky.apply(A)
    return _with_out(L.mH if upper else L, out)


def cholesky_ex(A: Tensor, *, upper: bool = False, check_errors: bool = False, out=None):
    """linalg.cholesky_ex(A) -> (L, info): info is the order of the first non-PD minor, or 0."""
    _check(A, "linalg.cholesky_ex", square=True)
    xp = xp_of(A._data)
    arr = to_numpy(A._data)
    info = np.zeros(arr.shape[:-2], np.int32)
    for idx in np.ndindex(*arr.shape[:-2]):
        m = arr[idx]
        try:
            np.linalg.cholesky(m)
        except np.linalg.LinAlgError:
            for k in range(1, m.shape[-1] + 1):
                try:
                    np.linalg.cholesky(m[:k, :k])
                except np.linalg.LinAlgError:
                    info[idx] = k
                    break
    if info.any():
        if check_errors:
            raise _not_pd("linalg.cholesky_ex", A._data)
        L = _const(xp.zeros(A.shape, A._data.dtype))
    else:
        L = cholesky(A, upper=upper)
    return cholesky_ex_result(L, _const(_to_xp(xp, info)))


# ---- QR -------------------------------------------------------------------------------------
class _QR(Function):
    def forward(self, a, mode):
        self.mode = mode
        q, r = xp_of(a).linalg.qr(a, mode="complete" if mode == "complete" else "reduced")
        if mode == "r":
            return xp_of(a).empty((0,), a.dtype), r
        return q, r

    def backward(self, gQ, gR):
        a, = self.inputs
        m, n = a.shape[-2:]
        if self.mode == "r":
            raise RuntimeError("The derivative of linalg.qr depends on Q, which is not computed when "
                               "mode='r'. Please use linalg.qr(A, mode='reduced') if you are going "
                               "to differentiate through linalg.qr.")
        if self.mode == "complete" and m > n:
            raise RuntimeError("The QR decomposition is not differentiable when mode='complete' and "
                               "nrows > ncols.")
        Q, R = _QR.apply(a, mode=self.mode)
        if m >= n:
            return _qr_backward(Q, R, gQ, gR)
        # A = Q [X | Y] with X = A[:, :m] square: push Y's part into X's problem.
        Y = a[..., :, m:]
        gR1, gR2 = gR[..., :, :m], gR[..., :, m:]
        gY = Q @ gR2
        gX = _qr_backward(Q, R[..., :, :m], gQ + Y @ gR2.mH, gR1)
        return _ops.cat([gX, gY], -1)


def _qr_backward(Q: Tensor, R: Tensor, gQ: Tensor, gR: Tensor) -> Tensor:
    """A = QR with m >= n (reduced): gA = (gQ + Q copyltu(M)) R^-H, M = R gR^H - gQ^H Q."""
    M = R @ gR.mH - gQ.mH @ Q
    low = M.tril(-1)
    sym = low + low.mH + _ops.diag_embed(_diag(M).real.to(M.dtype) if M.dtype.category == 3
                                         else _diag(M))
    rhs = gQ + Q @ sym
    return solve_triangular(R.mH, rhs, upper=False, left=False)


def qr(A: Tensor, mode: str = "reduced", *, out=None):
    """linalg.qr(A, mode='reduced') -> (Q, R); mode 'complete' gives a square Q, 'r' only R."""
    _check(A, "linalg.qr")
    if mode not in ("reduced", "complete", "r"):
        raise RuntimeError(f"qr received unrecognized mode '{mode}' but expected one of 'reduced' "
                           f"(default), 'r', or 'complete'")
    return qr_result(*_QR.apply(A, mode=mode))


# ---- symmetric eigenproblems ------------------------------------------------------------------
class _Eigh(Function):
    def forward(self, a, uplo):
        self.uplo = uplo
        w, v = xp_of(a).linalg.eigh(a, UPLO=uplo)
        return w, v

    def backward(self, gw, gV):
        a, = self.inputs
        w, V = _Eigh.apply(a, uplo=self.uplo)
        xp = xp_of(a._data)
        n = a.shape[-1]
        eye = _const(xp.eye(n, dtype=bool))
        # F_ij = 1 / (w_j - w_i) off the diagonal, 0 on it.
        E = w.unsqueeze(-2) - w.unsqueeze(-1)
        F = _ops.where(eye, 0.0, 1.0 / _ops.where(eye, 1.0, E))
        inner = _ops.diag_embed(gw.to(V.dtype)) + F.to(V.dtype) * (V.mH @ gV)
        return V @ inner @ V.mH


def eigh(A: Tensor, UPLO: str = "L", *, out=None):
    """linalg.eigh(A, UPLO='L') -> (eigenvalues ascending, eigenvectors as columns).

    Only the UPLO triangle of A is read; gradients assume A is Hermitian.
    """
    _check(A, "linalg.eigh", square=True)
    if UPLO not in ("L", "U"):
        raise RuntimeError(f"Expected UPLO argument to be 'L' or 'U', but got {UPLO}")
    return eigh_result(*_Eigh.apply(A, uplo=UPLO))


def eigvalsh(A: Tensor, UPLO: str = "L", *, out=None) -> Tensor:
    """linalg.eigvalsh(A, UPLO='L'): eigenvalues of Hermitian matrices, ascending."""
    _check(A, "linalg.eigvalsh", square=True)
    if UPLO not in ("L", "U"):
        raise RuntimeError(f"Expected UPLO argument to be 'L' or 'U', but got {UPLO}")
    return _with_out(_Eigh.apply(A, uplo=UPLO)[0], out)


def _complex_of(npdtype):
    return np.complex64 if npdtype in (np.float32, np.complex64) else np.complex128


def eig(A: Tensor, *, out=None):
    """linalg.eig(A) -> (eigenvalues, eigenvectors), always complex; not differentiable here."""
    _check(A, "linalg.eig", square=True)
    xp = xp_of(A._data)
    w, v = np.linalg.eig(to_numpy(A._data))
    c = _complex_of(A._data.dtype.type)
    return eig_result(_const(_to_xp(xp, w.astype(c))), _const(_to_xp(xp, v.astype(c))))


def eigvals(A: Tensor, *, out=None) -> Tensor:
    """linalg.eigvals(A): complex eigenvalues (not differentiable here)."""
    _check(A, "linalg.eigvals", square=True)
    xp = xp_of(A._data)
    w = np.linalg.eigvals(to_numpy(A._data)).astype(_complex_of(A._data.dtype.type))
    return _with_out(_const(_to_xp(xp, w)), out)


# ---- SVD ------------------------------------------------------------------------------------
class _SVD(Function):
    def forward(self, a, full_matrices):
        self.full = full_matrices
        u, s, vh = xp_of(a).linalg.svd(a, full_matrices=full_matrices)
        return u, s.astype(a.real.dtype, copy=False), vh

    def backward(self, gU, gS, gVh):
        a, = self.inputs
        m, n = a.shape[-2:]
        k = min(m, n)
        U, S, Vh = _SVD.apply(a, full_matrices=False)
        if self.full:
            gU, gVh = gU[..., :, :k], gVh[..., :k, :]
        return _svd_backward(U, S, Vh, gU, gS, gVh)


def _svd_backward(U, S, Vh, gU, gS, gVh):
    """Gradient of A = U diag(S) Vh (reduced) for a loss invariant to the singular vectors' phases."""
    m, n = U.shape[-2], Vh.shape[-1]
    k = S.shape[-1]
    dt = U.dtype
    skew = lambda X: X - X.mH  # noqa: E731
    UhgU = U.mH @ gU
    VhgV = Vh @ gVh.mH
    S2 = S * S
    xp = xp_of(S._data)
    eye = _const(xp.eye(k, dtype=bool))
    E = _ops.where(eye, 1.0, S2.unsqueeze(-2) - S2.unsqueeze(-1))
    Sc = S.to(dt)
    inner = (skew(UhgU) * Sc.unsqueeze(-2) + Sc.unsqueeze(-1) * skew(VhgV)) / E.to(dt)
    inner = inner + _ops.diag_embed(gS.to(dt))
    if dt.category == 3:
        # The phase freedom of each singular pair leaves this diagonal term (zero for real A).
        im = (_diag(UhgU).imag - _diag(VhgV).imag) / (2 * S)
        inner = inner + _ops.diag_embed(im.to(dt) * 1j)
    if m > k:
        gUS = gU / Sc.unsqueeze(-2)
        return (U @ inner + gUS - U @ (U.mH @ gUS)) @ Vh
    if n > k:
        gV = gVh.mH
        gVS = gV / Sc.unsqueeze(-2)
        return U @ (inner @ Vh + gVS.mH - (gVS.mH @ Vh.mH) @ Vh)
    return U @ inner @ Vh


def svd(A: Tensor, full_matrices: bool = True, *, driver=None, out=None):
    """linalg.svd(A, full_matrices=True) -> (U, S, Vh) with A = U diag(S) Vh.

    Gradients are defined for losses that do not depend on the singular vectors' signs or
    phases (as in torch); with full_matrices=True only the first min(m, n) vectors count.
    """
    _check(A, "linalg.svd")
    return svd_result(*_SVD.apply(A, full_matrices=bool(full_matrices)))


class _Svdvals(Function):
    def forward(self, a):
        return xp_of(a).linalg.svd(a, compute_uv=False).astype(a.real.dtype, copy=False)

    def backward(self, gS):
        a, = self.inputs
        U, S, Vh = _SVD.apply(a, full_matrices=False)
        return (U * gS.to(U.dtype).unsqueeze(-2)) @ Vh


def svdvals(A: Tensor, *, driver=None, out=None) -> Tensor:
    """linalg.svdvals(A): singular values in descending order."""
    _check(A, "linalg.svdvals")
    return _with_out(_Svdvals.apply(A), out)
