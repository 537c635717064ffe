"""The torch.* spellings of linear algebra: dpt.logdet, dpt.inverse, dpt.pinverse,
dpt.cholesky_solve, dpt.cholesky_inverse, dpt.triangular_solve and, as ``_torch_*`` (renamed
where dpt/__init__.py, dpt/functional.py and the Tensor methods import them), the older
signatures of dpt.cholesky, dpt.qr, dpt.svd (returning V, not Vh), dpt.slogdet, dpt.cross,
dpt.lu and dpt.lu_solve. Each is a thin wrapper over a torch.linalg function.
"""
from __future__ import annotations

import warnings

import numpy as np

from .._device import runs_on, xp_of
from .._tensor import Tensor
from ..autograd.function import Function
from .. import ops as _ops
from ._common import (LinAlgError, _check, _const, _eye_like, _with_out, torch_svd_result,
                      triangular_solve_result)
from ._det_inv_solve import _Slogdet, inv, slogdet, solve_triangular
from ._factorizations import _SVD, _Svdvals, cholesky, qr
from ._lu import lu_factor_ex, lu_solve
from ._pinv_lstsq import pinv
from ._products import cross


@runs_on(0)
def logdet(input: Tensor) -> Tensor:
    """logdet(input): log det of square matrices; nan for a negative determinant."""
    _check(input, "logdet", square=True)
    sign, logabs = _Slogdet.apply(input)
    if input.dtype.category == 3:
        return _ops.log(sign) + logabs
    nan = _const(xp_of(input._data).where(sign._data < 0, np.nan, 0.0).astype(logabs._data.dtype))
    return logabs + nan


def inverse(input: Tensor, *, out=None) -> Tensor:
    """inverse(input): alias of linalg.inv."""
    return inv(input, out=out)


def _torch_cholesky(input: Tensor, upper: bool = False, *, out=None) -> Tensor:
    """cholesky(input, upper=False): deprecated torch spelling of linalg.cholesky."""
    return cholesky(input, upper=upper, out=out)


def _torch_qr(input: Tensor, some: bool = True, *, out=None):
    """qr(input, some=True) -> (Q, R): reduced when some, complete otherwise."""
    return qr(input, "reduced" if some else "complete")


def _torch_svd(input: Tensor, some: bool = True, compute_uv: bool = True, *, out=None):
    """svd(input, some=True, compute_uv=True) -> (U, S, V) with input = U diag(S) V^H.

    Returns V, not Vh. With compute_uv=False, U and V are zero-filled (m, m) and (n, n).
    """
    _check(input, "svd")
    m, n = input.shape[-2:]
    if not compute_uv:
        xp = xp_of(input._data)
        S = _Svdvals.apply(input)
        batch = tuple(input.shape[:-2])
        U = _const(xp.zeros(batch + (m, m), input._data.dtype))
        V = _const(xp.zeros(batch + (n, n), input._data.dtype))
        return torch_svd_result(U, S, V)
    U, S, Vh = _SVD.apply(input, full_matrices=not some)
    return torch_svd_result(U, S, Vh.mH)


def pinverse(input: Tensor, rcond: float = 1e-15) -> Tensor:
    """pinverse(input, rcond=1e-15): linalg.pinv with rtol=rcond."""
    return pinv(input, rtol=rcond)


def _torch_slogdet(input: Tensor):
    """slogdet(input) -> (sign, logabsdet)."""
    return slogdet(input)


def _torch_cross(input: Tensor, other: Tensor, dim: int | None = None, *, out=None) -> Tensor:
    """cross(input, other, dim=None): dim None picks the first dimension of size 3 (deprecated
    in torch, which warns)."""
    if dim is None:
        a, b = _ops.broadcast_tensors(input, other)
        sizes = [i for i, s in enumerate(a.shape) if s == 3]
        if not sizes:
            raise RuntimeError("no dimension of size 3 in input")
        warnings.warn("Using torch.cross without specifying the dim arg is deprecated.\nPlease "
                      "either pass the dim explicitly or simply use torch.linalg.cross.\nThe default "
                      "value of dim will change to agree with that of linalg.cross in a future "
                      "release.", UserWarning, stacklevel=2)
        dim = sizes[0]
    return cross(input, other, dim=dim, out=out)


def _torch_lu(A: Tensor, pivot: bool = True, get_infos: bool = False, out=None):
    """lu(A, pivot=True, get_infos=False) -> (A_LU, pivots[, infos])."""
    LU, piv, info = lu_factor_ex(A, pivot=pivot)
    return (LU, piv, info) if get_infos else (LU, piv)


def _torch_lu_solve(b: Tensor, LU_data: Tensor, LU_pivots: Tensor, *, out=None) -> Tensor:
    """lu_solve(b, LU_data, LU_pivots): linalg.lu_solve with torch's older argument order."""
    return lu_solve(LU_data, LU_pivots, b, out=out)


def _tri_solve_raw(xp, t, b):
    try:
        return xp.linalg.solve(t, b)
    except np.linalg.LinAlgError:
        raise LinAlgError("cholesky_solve: the Cholesky factor is singular") from None


class _CholeskySolve(Function):
    """X = A^-1 B with A = L L^H (or U^H U); the forward reads one triangle of the factor."""

    def forward(self, b, f, upper):
        self.upper = upper
        xp = xp_of(f)
        low = xp.conj(xp.swapaxes(xp.triu(f), -1, -2)) if upper else xp.tril(f)
        y = _tri_solve_raw(xp, low, b)
        x = _tri_solve_raw(xp, xp.conj(xp.swapaxes(low, -1, -2)), y).astype(f.dtype, copy=False)
        self.save_output(x)
        return x

    def backward(self, g):
        # The factor is differentiated as the full matrix it is given as (so the gradient is
        # not projected on its triangle), as torch does: with gA = -gB X^H, A = L L^H gives
        # gL = (gA + gA^H) L and A = U^H U gives gU = U (gA + gA^H).
        b, f = self.inputs
        up = self.upper
        gb = _CholeskySolve.apply(g, f, upper=up)
        gf = None
        if self.needs_input_grad[1]:
            x = self.saved_output(recompute=lambda: _CholeskySolve.apply(b, f, upper=up))
            sym = -(gb @ x.mH + x @ gb.mH)
            gf = f @ sym if up else sym @ f
        return (gb if self.needs_input_grad[0] else None), gf


def _check_cholesky_solve(B: Tensor, L: Tensor, op: str) -> None:
    _check(L, op, square=True, name="A")
    if not isinstance(B, Tensor) or B.ndim < 2:
        raise RuntimeError(f"{op}: The input tensor B must have at least 2 dimensions.")
    if B.dtype is not L.dtype:
        raise RuntimeError(f"{op}: Expected b and A to have the same dtype, but found b of type "
                           f"{B.dtype} and A of type {L.dtype} instead.")
    if B.shape[-2] != L.shape[-1]:
        raise RuntimeError(f"{op}: Incompatible matrix sizes for cholesky_solve: each A matrix "
                           f"is {L.shape[-1]} by {L.shape[-1]} but each b matrix is "
                           f"{B.shape[-2]} by {B.shape[-1]}")


def cholesky_solve(B: Tensor, L: Tensor, upper: bool = False, *, out=None) -> Tensor:
    """cholesky_solve(B, L, upper=False): solve A X = B given A's Cholesky factor
    (A = L L^H, or U^H U when upper), batch dimensions broadcasting."""
    _check_cholesky_solve(B, L, "cholesky_solve")
    return _with_out(_CholeskySolve.apply(B, L, upper=bool(upper)), out)


def cholesky_inverse(L: Tensor, upper: bool = False, *, out=None) -> Tensor:
    """cholesky_inverse(L, upper=False): A^-1 given A's Cholesky factor."""
    _check(L, "cholesky_inverse", square=True, name="input")
    return _with_out(_CholeskySolve.apply(_eye_like(L).expand(L.shape), L, upper=bool(upper)), out)


def triangular_solve(b: Tensor, A: Tensor, upper: bool = True, transpose: bool = False,
                     unitriangular: bool = False, *, out=None):
    """triangular_solve(b, A, upper=True, transpose=False, unitriangular=False) ->
    (solution, cloned_coefficient)."""
    T = A.mT if transpose else A
    X = solve_triangular(T, b, upper=upper != transpose, unitriangular=unitriangular)
    return triangular_solve_result(X, A.clone())
