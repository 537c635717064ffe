"""Randomized low-rank SVD and PCA: dpt.svd_lowrank and dpt.pca_lowrank (torch's top-level
spellings).

The range of A - M is found by Halko, Martinsson and Tropp's randomized range finder (a
Gaussian sketch, then niter rounds of subspace iteration, each product re-orthonormalized by
QR); the SVD of A - M projected on it gives the factors. Everything is a composition of dpt
ops, so the factors are differentiable in A (and M).
"""
from __future__ import annotations

from .._tensor import Tensor
from .. import ops as _ops
from ._factorizations import qr, svd
from ._common import torch_svd_result


def _range_basis(A: Tensor, M, q: int, niter: int) -> Tensor:
    """Q with q orthonormal columns whose span approximates that of A - M."""
    sketch = _ops.randn(*A.shape[:-2], A.shape[-1], q, dtype=A.dtype, device=A.device)

    def times(X, adjoint=False):
        if adjoint:
            return A.mH @ X if M is None else A.mH @ X - M.mH @ X
        return A @ X if M is None else A @ X - M @ X

    Q = qr(times(sketch)).Q
    for _ in range(niter):
        Q = qr(times(Q, adjoint=True)).Q
        Q = qr(times(Q)).Q
    return Q


def svd_lowrank(A: Tensor, q: int | None = 6, niter: int = 2, M: Tensor | None = None):
    """svd_lowrank(A, q=6, niter=2, M=None) -> (U, S, V): an approximate rank-q SVD of A - M,
    A - M ~ U diag(S) V^H, with U (..., m, q), S (..., q), V (..., n, q).

    Random: the result depends on dpt's generator (seed it with dpt.manual_seed).
    """
    if not isinstance(A, Tensor):
        raise TypeError(f"svd_lowrank(): argument 'A' must be Tensor, not {type(A).__name__}")
    q = 6 if q is None else q
    if M is not None:
        M = M.broadcast_to(A.shape)
    m, n = A.shape[-2:]
    if m < n:  # work on the tall A^H; its U and V swap places
        V, S, U = _svd_lowrank_tall(A.mH, q, niter, None if M is None else M.mH)
    else:
        U, S, V = _svd_lowrank_tall(A, q, niter, M)
    return torch_svd_result(U, S, V)


def _svd_lowrank_tall(A: Tensor, q: int, niter: int, M):
    Q = _range_basis(A, M, q, niter)
    B = Q.mH @ A if M is None else Q.mH @ A - Q.mH @ M
    U, S, Vh = svd(B, full_matrices=False)
    return Q @ U, S, Vh.mH


def pca_lowrank(A: Tensor, q: int | None = None, center: bool = True, niter: int = 2):
    """pca_lowrank(A, q=None, center=True, niter=2) -> (U, S, V): svd_lowrank of A with the
    column means removed (when center); q defaults to min(6, m, n)."""
    if not isinstance(A, Tensor):
        raise TypeError(f"pca_lowrank(): argument 'A' must be Tensor, not {type(A).__name__}")
    m, n = A.shape[-2:]
    if q is None:
        q = min(6, m, n)
    elif not (0 <= q <= min(m, n)):
        raise ValueError(f"q(={q}) must be non-negative integer and not greater than "
                         f"min(m, n)={min(m, n)}")
    if not niter >= 0:
        raise ValueError(f"niter(={niter}) must be non-negative integer")
    if center:
        A = A - A.mean(-2, keepdim=True)
    return svd_lowrank(A, q, niter=niter)
