"""LU with partial pivoting: linalg.lu_factor, lu_factor_ex, lu, lu_solve and lu_unpack.

The factorization runs on the host through scipy, for GPU tensors too (``_common._lu_host``);
pivots are LAPACK's 1-based int32 row swaps, as in torch. The backward handles square, wide
and tall matrices.
"""
from __future__ import annotations

import numpy as np

from .._device import to_numpy, xp_of
from .._tensor import Tensor
from ..autograd.function import Function
from .. import ops as _ops
from ._common import (LinAlgError, _check, _const, _diag, _lu_host, _to_xp, _with_out,
                      lu_factor_ex_result, lu_factor_result, lu_result, lu_unpack_result)
from ._det_inv_solve import solve_triangular


def _perm_from_pivots(piv: np.ndarray, m: int) -> np.ndarray:
    """Row order perm with A[perm] = L U, from LAPACK's sequential swaps (1-based)."""
    batch = piv.shape[:-1]
    perm = np.broadcast_to(np.arange(m), batch + (m,)).copy()
    flat_perm = perm.reshape(-1, m)
    flat_piv = piv.reshape(-1, piv.shape[-1]) - 1
    for b in range(flat_perm.shape[0]):
        p = flat_perm[b]
        for i, j in enumerate(flat_piv[b]):
            p[i], p[j] = p[j], p[i]
    return perm


class _LUFactor(Function):
    def forward(self, a):
        xp = xp_of(a)
        lu_, piv = _lu_host(to_numpy(a))
        return _to_xp(xp, lu_), _to_xp(xp, piv)

    def backward(self, gLU, _gpiv):
        a = self.inputs[0]
        k = min(a.shape[-2:])
        LU, piv = _LUFactor.apply(a)
        P, L, U = lu_unpack(LU, piv)
        return _lu_backward(P, L, U, gLU[..., :, :k].tril(-1), gLU[..., :k, :].triu())


def _lu_backward(P, L, U, gL, gU):
    """The gradient of A = P L U from those of L (m x k) and U (k x n), k = min(m, n).

    Square: gA = P L^-H (tril_-1(L^H gL) + triu(gU U^H)) U^-H. A wide A = P L [U1 U2] is the
    square LU of its first m columns plus U2 = L^-1 P^T A2, which adds P L^-H gU2 to A2's
    gradient and -gU2 U2^H inside the tril_-1 term. A tall A = P [L1; L2] U likewise: L2 =
    A2 U^-1 adds gL2 U^-H to A2's (permuted) gradient and -L2^H gL2 inside the triu term.
    """
    m, n = L.shape[-2], U.shape[-1]
    k = min(m, n)
    L1, U1 = L[..., :k, :], U[..., :, :k]
    inner = L1.mH @ gL[..., :k, :]
    upper = gU[..., :, :k] @ U1.mH
    if n > m:
        inner = inner - gU[..., :, k:] @ U[..., :, k:].mH
    if m > n:
        upper = upper - L[..., k:, :].mH @ gL[..., k:, :]
    X = inner.tril(-1) + upper.triu()
    X = solve_triangular(L1.mH, X, upper=True, unitriangular=True)
    gA = solve_triangular(U1.mH, X, upper=False, left=False)
    if n > m:
        gA2 = solve_triangular(L1.mH, gU[..., :, k:], upper=True, unitriangular=True)
        gA = _ops.cat([gA, gA2], -1)
    if m > n:
        gA2 = solve_triangular(U1.mH, gL[..., k:, :], upper=False, left=False)
        gA = _ops.cat([gA, gA2], -2)
    return P @ gA


def lu_factor(A: Tensor, *, pivot: bool = True, out=None):
    """linalg.lu_factor(A, *, pivot=True) -> (LU, pivots): packed LU and 1-based int32 pivots."""
    _check(A, "linalg.lu_factor")
    if not pivot:
        raise RuntimeError("linalg.lu_factor: LU without pivoting is not implemented on the CPU")
    return lu_factor_result(*_LUFactor.apply(A))


def lu_factor_ex(A: Tensor, *, pivot: bool = True, check_errors: bool = False, out=None):
    """linalg.lu_factor_ex(A) -> (LU, pivots, info): info > 0 where U has a zero pivot."""
    LU, piv = lu_factor(A, pivot=pivot)
    k = min(A.shape[-2:])
    d = to_numpy(_diag(LU)._data)[..., :k] == 0
    info = np.where(d.any(-1), d.argmax(-1) + 1, 0).astype(np.int32)
    if check_errors and info.any():
        raise LinAlgError("linalg.lu_factor_ex: U is singular")
    return lu_factor_ex_result(LU, piv, _const(_to_xp(xp_of(A._data), info)))


def lu_unpack(LU_data: Tensor, LU_pivots: Tensor, unpack_data: bool = True,
              unpack_pivots: bool = True, *, out=None):
    """lu_unpack(LU_data, LU_pivots) -> (P, L, U) with A = P @ L @ U (differentiable in LU_data).

    Empty tensors stand in for the parts not asked for, as in torch.
    """
    if LU_pivots.dtype.name != "int32":
        raise RuntimeError("lu_unpack: LU_pivots is expected to be a contiguous tensor of "
                           "torch.int32 dtype. Note: this function is intended to be used with the "
                           "output produced by torch.linalg.lu_factor")
    m, n = LU_data.shape[-2:]
    k = min(m, n)
    xp = xp_of(LU_data._data)
    empty = _const(xp.empty((0,), LU_data._data.dtype))
    L = U = P = empty
    if unpack_data:
        eye = _const(xp.eye(m, k, dtype=LU_data._data.dtype))
        L = LU_data[..., :, :k].tril(-1) + eye
        U = LU_data[..., :k, :].triu()
    if unpack_pivots:
        perm = _perm_from_pivots(to_numpy(LU_pivots._data), m)
        eye = np.eye(m, dtype=LU_data._data.dtype)
        P = _const(_to_xp(xp, np.swapaxes(eye[perm], -1, -2).copy()))
    return lu_unpack_result(P, L, U)


def lu(A: Tensor, *, pivot: bool = True, out=None):
    """linalg.lu(A, *, pivot=True) -> (P, L, U) with A = P L U (differentiable)."""
    _check(A, "linalg.lu")
    LU, piv = lu_factor(A, pivot=pivot)
    return lu_result(*lu_unpack(LU, piv))


def lu_solve(LU: Tensor, pivots: Tensor, B: Tensor, *, left: bool = True, adjoint: bool = False,
             out=None) -> Tensor:
    """linalg.lu_solve(LU, pivots, B, *, left=True, adjoint=False): solve A X = B (or X A = B,
    or with A^H) from lu_factor's output; differentiable in LU and B."""
    _check(LU, "linalg.lu_solve", square=True, name="LU")
    P, L, U = lu_unpack(LU, pivots)
    if left and not adjoint:      # X = U^-1 L^-1 P^T B
        X = solve_triangular(L, P.mT @ B, upper=False, unitriangular=True)
        X = solve_triangular(U, X, upper=True)
    elif left:                    # A^H X = B: X = P L^-H U^-H B
        X = solve_triangular(U.mH, B, upper=False)
        X = P @ solve_triangular(L.mH, X, upper=True, unitriangular=True)
    elif not adjoint:             # X A = B: X = B U^-1 L^-1 P^T
        X = solve_triangular(U, B, upper=True, left=False)
        X = solve_triangular(L, X, upper=False, left=False, unitriangular=True) @ P.mT
    else:                         # X A^H = B: X = B P L^-H U^-H
        X = solve_triangular(L.mH, B @ P, upper=True, left=False, unitriangular=True)
        X = solve_triangular(U.mH, X, upper=False, left=False)
    return _with_out(X, out)
