"""LDL^T (LDL^H) factorization with Bunch-Kaufman pivoting: linalg.ldl_factor(_ex), ldl_solve.

The factorization is LAPACK's unblocked ?sytf2/?hetf2 on the lower triangle, written in numpy
so that LD and pivots have LAPACK's (and so torch's) packed form: L's unit-diagonal columns
below the diagonal, D's 1x1 and 2x2 blocks on and next to it, and 1-based int32 pivots, where
pivots[k] = p > 0 means rows k and p-1 were swapped before a 1x1 step and pivots[k] =
pivots[k+1] = -p means rows k+1 and p-1 were swapped before a 2x2 step. It runs on the host,
one matrix at a time (each step decides its pivot from the data). Not differentiable, as in
torch.
"""
from __future__ import annotations

import numpy as np

from .._device import to_numpy, xp_of
from .._tensor import Tensor
from ..return_types import _result_type
from ._common import LinAlgError, _TITLE, _check, _const, _to_xp, _with_out

ldl_factor_result = _result_type("linalg_ldl_factor", ("LD", "pivots"))
ldl_factor_ex_result = _result_type("linalg_ldl_factor_ex", ("LD", "pivots", "info"))

_ALPHA = (1 + np.sqrt(17.0)) / 8  # Bunch-Kaufman's growth-bounding constant


def _cabs1(x):
    """|Re x| + |Im x|: LAPACK's cheap magnitude for choosing pivots."""
    return np.abs(x.real) + np.abs(x.imag) if np.iscomplexobj(x) else np.abs(x)


def _mirror_lower(w: np.ndarray, s: int, herm: bool) -> None:
    """Make the trailing block w[s:, s:] exactly symmetric (Hermitian, with a real diagonal)
    again from its lower triangle, the only one LAPACK updates and reads."""
    blk = w[s:, s:]
    low = np.tril(blk, -1)
    diag = blk.diagonal().real if herm else blk.diagonal()
    w[s:, s:] = low + (np.conj(low) if herm else low).T + np.diag(diag)


def _ldl_one(a: np.ndarray, herm: bool):
    """(LD, pivots, info) of one matrix, from its lower triangle."""
    n = a.shape[0]
    cj = np.conj if herm else (lambda v: v)
    # Work on the full symmetric (Hermitian) matrix rebuilt from the lower triangle, so that
    # the interchanges are plain row-and-column swaps of the trailing block.
    w = np.tril(a) + cj(np.tril(a, -1)).T
    if herm:
        w[np.diag_indices(n)] = w.diagonal().real
    piv = np.zeros(n, np.int32)
    info = 0
    k = 0
    while k < n:
        kstep = 1
        absakk = abs(w[k, k].real) if herm else _cabs1(w[k, k])
        if k + 1 < n:
            col = _cabs1(w[k + 1:, k])
            imax = k + 1 + int(np.argmax(col))
            colmax = col[imax - k - 1]
        else:
            imax, colmax = k, 0.0
        if max(absakk, colmax) == 0 or np.isnan(absakk):
            info = info or k + 1  # D[k, k] is exactly zero: nothing to eliminate
            piv[k] = k + 1
            k += 1
            continue
        kp = k
        if absakk < _ALPHA * colmax:
            # the largest off-diagonal entry in row (and column) imax of the trailing block
            row = _cabs1(w[imax, k:imax])
            rowmax = row.max()
            if imax + 1 < n:
                rowmax = max(rowmax, _cabs1(w[imax + 1:, imax]).max())
            diag_imax = abs(w[imax, imax].real) if herm else _cabs1(w[imax, imax])
            if absakk >= _ALPHA * colmax * (colmax / rowmax):
                kp = k
            elif diag_imax >= _ALPHA * rowmax:
                kp = imax
            else:
                kp, kstep = imax, 2
        kk = k + kstep - 1
        if kp != kk:  # symmetric interchange inside the trailing block only
            w[[kk, kp], k:] = w[[kp, kk], k:]
            w[k:, [kk, kp]] = w[k:, [kp, kk]]
        if kstep == 1:
            if k + 1 < n:
                d11 = 1 / (w[k, k].real if herm else w[k, k])
                x = w[k + 1:, k].copy()
                w[k + 1:, k + 1:] += x[:, None] * cj(-d11 * x)[None, :]
                _mirror_lower(w, k + 1, herm)
                w[k + 1:, k] = x * d11
                w[k, k + 1:] = cj(w[k + 1:, k])
            piv[k] = kp + 1
        else:
            if k + 2 < n:
                xk, xk1 = w[k + 2:, k].copy(), w[k + 2:, k + 1].copy()
                if herm:
                    d = abs(w[k + 1, k])
                    d11, d22 = w[k + 1, k + 1].real / d, w[k, k].real / d
                    d21 = w[k + 1, k] / d
                    t = 1 / (d11 * d22 - 1) / d
                    wk = t * (d11 * xk - d21 * xk1)
                    wkp1 = t * (d22 * xk1 - np.conj(d21) * xk)
                else:
                    d21 = w[k + 1, k]
                    d11, d22 = w[k + 1, k + 1] / d21, w[k, k] / d21
                    t = 1 / (d11 * d22 - 1) / d21
                    wk = t * (d11 * xk - xk1)
                    wkp1 = t * (d22 * xk1 - xk)
                w[k + 2:, k + 2:] -= xk[:, None] * cj(wk)[None, :]
                w[k + 2:, k + 2:] -= xk1[:, None] * cj(wkp1)[None, :]
                _mirror_lower(w, k + 2, herm)
                w[k + 2:, k], w[k + 2:, k + 1] = wk, wkp1
                w[k, k + 2:], w[k + 1, k + 2:] = cj(wk), cj(wkp1)
            piv[k] = piv[k + 1] = -(kp + 1)
        k += kstep
    return np.tril(w), piv, info


def _ldl_host(arr: np.ndarray, herm: bool):
    n = arr.shape[-1]
    count = int(np.prod(arr.shape[:-2], dtype=np.int64))
    flat = arr.reshape((count, n, n))
    lds = np.empty_like(flat)
    pivs = np.empty((flat.shape[0], n), np.int32)
    infos = np.zeros(flat.shape[0], np.int32)
    for i, mat in enumerate(flat):
        lds[i], pivs[i], infos[i] = _ldl_one(mat, herm)
    batch = arr.shape[:-2]
    return lds.reshape(arr.shape), pivs.reshape(batch + (n,)), infos.reshape(batch)


def ldl_factor_ex(A: Tensor, *, hermitian: bool = False, check_errors: bool = False, out=None):
    """linalg.ldl_factor_ex(A, *, hermitian=False, check_errors=False) -> (LD, pivots, info).

    Only A's lower triangle is read. info[i] = k > 0 when D[k-1, k-1] is exactly zero (the
    factorization is complete but D is singular); check_errors raises then.
    """
    op = "torch.linalg.ldl_factor_ex"
    _check(A, op, square=True)
    xp = xp_of(A._data)
    herm = bool(hermitian) and A.dtype.category == 3
    ld, piv, info = _ldl_host(to_numpy(A._data), herm)
    if check_errors and info.any():
        raise LinAlgError(f"{op}: The factorization could not be completed because the input is "
                          f"singular: D has a zero at diagonal element {int(info.max())}.")
    return ldl_factor_ex_result(_const(_to_xp(xp, ld)), _const(_to_xp(xp, piv)),
                                _const(_to_xp(xp, info)))


def ldl_factor(A: Tensor, *, hermitian: bool = False, out=None):
    """linalg.ldl_factor(A, *, hermitian=False) -> (LD, pivots): Bunch-Kaufman LDL^T (LDL^H
    when hermitian) of A's lower triangle, in LAPACK's packed form (see the module).

    Raises LinAlgError when D has an exact zero (torch raises an internal RuntimeError there).
    """
    LD, piv, info = ldl_factor_ex(A, hermitian=hermitian)
    if bool(to_numpy(info._data).any()):
        raise LinAlgError(f"torch.linalg.ldl_factor: The factorization could not be completed "
                          f"because the input is singular: D has a zero at diagonal element "
                          f"{int(to_numpy(info._data).max())}.")
    return ldl_factor_result(LD, piv)


def _ldl_solve_one(ld: np.ndarray, piv: np.ndarray, b: np.ndarray, herm: bool) -> np.ndarray:
    """X with A X = B, A = L D L^T (L D L^H) as packed by _ldl_one."""
    n = ld.shape[0]
    cj = np.conj if herm else (lambda v: v)
    b = b.copy()
    k = 0
    while k < n:  # L D Y = B, with the interchanges in the order they were made
        if piv[k] > 0:
            kp = piv[k] - 1
            b[[k, kp]] = b[[kp, k]]
            b[k + 1:] -= ld[k + 1:, k, None] * b[k]
            b[k] /= ld[k, k].real if herm else ld[k, k]
            k += 1
        else:
            kp = -piv[k] - 1
            b[[k + 1, kp]] = b[[kp, k + 1]]
            b[k + 2:] -= ld[k + 2:, k, None] * b[k] + ld[k + 2:, k + 1, None] * b[k + 1]
            e = ld[k + 1, k]
            akm1, ak = ld[k, k] / cj(e), ld[k + 1, k + 1] / e
            denom = akm1 * ak - 1
            bkm1, bk = b[k] / cj(e), b[k + 1] / e
            b[k], b[k + 1] = (ak * bkm1 - bk) / denom, (akm1 * bk - bkm1) / denom
            k += 2
    k = n - 1
    while k >= 0:  # L^T X = Y (L^H), undoing the interchanges in reverse
        if piv[k] > 0:
            b[k] -= cj(ld[k + 1:, k]) @ b[k + 1:]
            kp = piv[k] - 1
            b[[k, kp]] = b[[kp, k]]
            k -= 1
        else:
            b[k] -= cj(ld[k + 1:, k]) @ b[k + 1:]
            b[k - 1] -= cj(ld[k + 1:, k - 1]) @ b[k + 1:]
            kp = -piv[k] - 1
            b[[k, kp]] = b[[kp, k]]
            k -= 2
    return b


def ldl_solve(LD: Tensor, pivots: Tensor, B: Tensor, *, hermitian: bool = False,
              out=None) -> Tensor:
    """linalg.ldl_solve(LD, pivots, B, *, hermitian=False): solve A X = B from ldl_factor's
    output; batch dimensions of LD and B broadcast. Not differentiable, as in torch."""
    op = "torch.linalg.ldl_solve"
    _check(LD, op, square=True)
    if B.ndim < 2:
        raise RuntimeError(f"{op}: The input tensor B must have at least 2 dimensions.")
    if tuple(LD.shape[:-1]) != tuple(pivots.shape):
        raise RuntimeError(f"{op}: Expected LD.shape[:-1] and pivots.shape to be the same, but "
                           f"got pivots with shape {list(pivots.shape)} instead")
    if pivots.dtype.category != 1:
        raise RuntimeError(f"{op}: Expected pivots to be integers. Got "
                           f"{_TITLE.get(pivots.dtype.name, pivots.dtype.name)}")
    if B.dtype is not LD.dtype:
        raise RuntimeError(f"Expected b and A to have the same dtype, but found b of type "
                           f"{_TITLE.get(B.dtype.name)} and A of type {_TITLE.get(LD.dtype.name)} "
                           f"instead.")
    n = LD.shape[-1]
    if B.shape[-2] != n:
        raise RuntimeError(f"Incompatible matrix sizes for {op}: each A matrix is {n} by {n} but "
                           f"each b matrix is {B.shape[-2]} by {B.shape[-1]}")
    xp = xp_of(LD._data)
    batch = np.broadcast_shapes(tuple(LD.shape[:-2]), tuple(B.shape[:-2]))
    count = int(np.prod(batch, dtype=np.int64))
    ld = np.broadcast_to(to_numpy(LD._data), batch + (n, n)).reshape((count, n, n))
    piv = np.broadcast_to(to_numpy(pivots._data), batch + (n,)).reshape((count, n))
    b = np.broadcast_to(to_numpy(B._data), batch + tuple(B.shape[-2:]))
    b = b.reshape((count,) + tuple(B.shape[-2:]))
    herm = bool(hermitian) and LD.dtype.category == 3
    x = np.empty_like(b)
    for i in range(b.shape[0]):
        x[i] = _ldl_solve_one(ld[i], piv[i], b[i], herm)
    return _with_out(_const(_to_xp(xp, x.reshape(batch + tuple(B.shape[-2:])))), out)
