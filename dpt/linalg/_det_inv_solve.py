"""Determinants, inverses and linear solves of square matrices: linalg.det, slogdet, inv,
inv_ex, solve, solve_ex, solve_triangular, and tensorinv/tensorsolve (the same on reshaped
tensors).

The backward of each is written with the others (det's with inv, solve's with solve on A^H),
so they share one file; the factorizations build on solve_triangular.
"""
from __future__ import annotations

import numpy as np

from .._device import to_numpy, xp_of
from .._tensor import Tensor, _wrap_dim
from .. import ops as _ops
from ..autograd.function import Function
from ._common import (LinAlgError, _TITLE, _check, _const, _lu_host, _to_xp, _with_out,
                      inv_ex_result, slogdet_result, solve_ex_result)


# ---- determinants -----------------------------------------------------------------------
class _Det(Function):
    def forward(self, a):
        d = xp_of(a).linalg.det(a).astype(a.dtype, copy=False)
        self.save_output(d)
        return d

    def backward(self, g):
        a, = self.inputs
        d = self.saved_output(recompute=lambda: _Det.apply(a))
        return (g * d.conj()).unsqueeze(-1).unsqueeze(-1) * _Inv.apply(a).mH


class _Slogdet(Function):
    def forward(self, a):
        sign, logabs = xp_of(a).linalg.slogdet(a)
        self.complex = a.dtype.kind == "c"
        return sign.astype(a.dtype, copy=False), logabs.astype(a.real.dtype, copy=False)

    def backward(self, gsign, glog):
        a, = self.inputs
        coef = glog
        if self.complex:
            sign = _Slogdet.apply(a)[0]
            coef = glog - 1j * (gsign.conj() * sign).imag
        return coef.unsqueeze(-1).unsqueeze(-1) * _Inv.apply(a).mH


def det(A: Tensor, *, out=None) -> Tensor:
    """linalg.det(A): determinant of each square matrix of A (*, n, n)."""
    _check(A, "linalg.det", square=True)
    return _with_out(_Det.apply(A), out)


def slogdet(A: Tensor, *, out=None):
    """linalg.slogdet(A) -> (sign, logabsdet); sign is 0 and logabsdet -inf for singular A."""
    _check(A, "linalg.slogdet", square=True)
    return slogdet_result(*_Slogdet.apply(A))


# ---- inverse and solves -----------------------------------------------------------------
def _singular(op: str):
    return LinAlgError(f"{op}: The diagonal element is zero, the inversion could not be completed "
                       f"because the input matrix is singular.")


class _Inv(Function):
    def forward(self, a):
        try:
            y = xp_of(a).linalg.inv(a)
        except np.linalg.LinAlgError:
            raise _singular("linalg.inv") from None
        self.save_output(y)
        return y

    def backward(self, g):
        a, = self.inputs
        ai = self.saved_output(recompute=lambda: _Inv.apply(a))
        return -(ai.mH @ g @ ai.mH)


def inv(A: Tensor, *, out=None) -> Tensor:
    """linalg.inv(A): inverse of each square matrix; singular input raises LinAlgError."""
    _check(A, "linalg.inv", square=True)
    return _with_out(_Inv.apply(A), out)


def inv_ex(A: Tensor, *, check_errors: bool = False, out=None):
    """linalg.inv_ex(A) -> (inverse, info): info > 0 marks singular matrices (never raises
    unless check_errors)."""
    _check(A, "linalg.inv_ex", square=True)
    xp = xp_of(A._data)
    info = _lu_info(A)
    if check_errors and bool((info > 0).any()):
        raise _singular("linalg.inv_ex")
    if bool((info > 0).any()):
        res = _const(xp.full(A.shape, xp.nan, dtype=A._data.dtype))
    else:
        res = _Inv.apply(A)
    return inv_ex_result(res, _const(_to_xp(xp, info)))


def _lu_info(A: Tensor) -> np.ndarray:
    """LAPACK-style info per matrix: 0, or the 1-based index of the first zero pivot of U."""
    n = A.shape[-1]
    if A.numel() == 0:
        return np.zeros(A.shape[:-2], np.int32)
    lu_, _ = _lu_host(to_numpy(A._data))
    d = np.diagonal(lu_, 0, -2, -1)[..., :min(A.shape[-2:])] == 0
    first = np.where(d.any(-1), d.argmax(-1) + 1, 0) if n else np.zeros(A.shape[:-2], np.int64)
    return first.astype(np.int32)


class _Solve(Function):
    """X = A^-1 B for matrices B (the wrapper handles vectors and left=False)."""

    def forward(self, a, b):
        try:
            x = xp_of(a).linalg.solve(a, b)
        except np.linalg.LinAlgError:
            raise LinAlgError("linalg.solve: The solver failed because the input matrix is "
                              "singular.") from None
        self.save_output(x)
        return x

    def backward(self, g):
        a, b = self.inputs
        gb = _Solve.apply(a.mH, g)
        ga = None
        if self.needs_input_grad[0]:
            x = self.saved_output(recompute=lambda: _Solve.apply(a, b))
            ga = -(gb @ x.mH)
        return ga, (gb if self.needs_input_grad[1] else None)


def _is_vector_rhs(A: Tensor, B: Tensor) -> bool:
    return B.ndim == 1 or (B.ndim == A.ndim - 1 and tuple(B.shape) == tuple(A.shape[:-1]))


def solve(A: Tensor, B: Tensor, *, left: bool = True, out=None) -> Tensor:
    """linalg.solve(A, B, *, left=True): X with A X = B (or X A = B when left=False).

    B may be a vector (*, n) or a batch of matrices (*, n, k); batch dims broadcast.
    """
    _check(A, "linalg.solve", square=True)
    if not isinstance(B, Tensor):
        raise TypeError(f"linalg.solve(): argument 'B' (position 2) must be Tensor, not "
                        f"{type(B).__name__}")
    if A.dtype is not B.dtype:
        raise RuntimeError(f"linalg.solve: Expected A and B to have the same dtype, but found "
                           f"A of type {_TITLE[A.dtype.name]} and B of type {_TITLE[B.dtype.name]} "
                           f"instead")
    vector = _is_vector_rhs(A, B)
    Bm = B.unsqueeze(-1) if vector else B
    if not left:
        if vector:
            raise RuntimeError("linalg.solve: Vector broadcasting of the left hand side is not "
                               "supported for left=False. In this case linalg.solve is equivalent "
                               "to B / A.squeeze(-1)")
        A, Bm = A.mT, Bm.mT
    n = A.shape[-1]
    if Bm.shape[-2] != n:
        raise RuntimeError(f"linalg.solve: Incompatible shapes of A and B for the equation "
                           f"{'AX = B' if left else 'XA = B'} ({n}x{n} and "
                           f"{Bm.shape[-2]}x{Bm.shape[-1]})")
    X = _Solve.apply(A, Bm)
    if not left:
        X = X.mT
    return _with_out(X.squeeze(-1) if vector else X, out)


def solve_ex(A: Tensor, B: Tensor, *, left: bool = True, check_errors: bool = False, out=None):
    """linalg.solve_ex(A, B) -> (result, info)."""
    _check(A, "linalg.solve_ex", square=True)
    info = _lu_info(A)
    if bool((info > 0).any()):
        if check_errors:
            raise LinAlgError("linalg.solve_ex: The solver failed because the input matrix is "
                              "singular.")
        shape = np.broadcast_shapes(tuple(A.shape[:-2]), tuple(B.shape[:-2] if B.ndim > 1 else ()))
        res = _const(xp_of(A._data).full(tuple(shape) + tuple(B.shape[-2 if B.ndim > 1 else -1:]),
                                         np.nan, dtype=A._data.dtype))
    else:
        res = solve(A, B, left=left)
    return solve_ex_result(res, _const(_to_xp(xp_of(A._data), info)))


class _SolveTriangular(Function):
    """X = T^-1 B with T the upper/lower triangle of A (unit diagonal if unitriangular)."""

    def forward(self, a, b, upper, unitriangular):
        self.upper, self.unit = upper, unitriangular
        xp = xp_of(a)
        t = xp.triu(a) if upper else xp.tril(a)
        if unitriangular:
            n = a.shape[-1]
            t = t.copy()
            t[..., xp.arange(n), xp.arange(n)] = 1
        try:
            x = xp.linalg.solve(t, b)
        except np.linalg.LinAlgError:
            raise LinAlgError("linalg.solve_triangular: The solver failed because the input "
                              "triangular matrix is singular.") from None
        self.save_output(x)
        return x

    def backward(self, g):
        a, b = self.inputs
        up, unit = self.upper, self.unit
        gb = _SolveTriangular.apply(a.mH, g, upper=not up, unitriangular=unit)
        ga = None
        if self.needs_input_grad[0]:
            x = self.saved_output(recompute=lambda: _SolveTriangular.apply(
                a, b, upper=up, unitriangular=unit))
            full = -(gb @ x.mH)
            k = 1 if unit else 0
            ga = full.triu(k) if up else full.tril(-k)
        return ga, (gb if self.needs_input_grad[1] else None)


def solve_triangular(A: Tensor, B: Tensor, *, upper: bool, left: bool = True,
                     unitriangular: bool = False, out=None) -> Tensor:
    """linalg.solve_triangular(A, B, *, upper, left=True, unitriangular=False).

    Only the upper (or lower) triangle of A is read.
    """
    _check(A, "linalg.solve_triangular", square=True)
    if B.ndim < 2:
        raise RuntimeError("linalg.solve_triangular: The input tensor B must have at least 2 "
                           "dimensions.")
    if A.dtype is not B.dtype:
        raise RuntimeError(f"linalg.solve_triangular: Expected A and B to have the same dtype, but "
                           f"found A of type {_TITLE[A.dtype.name]} and B of type "
                           f"{_TITLE[B.dtype.name]} instead")
    n = A.shape[-1]
    if (B.shape[-2] if left else B.shape[-1]) != n:
        raise RuntimeError(f"linalg.solve_triangular: Incompatible shapes of A and B for the "
                           f"equation {'AX = B' if left else 'XA = B'} ({n}x{n} and "
                           f"{B.shape[-2]}x{B.shape[-1]})")
    if left:
        return _with_out(_SolveTriangular.apply(A, B, upper=upper, unitriangular=unitriangular), out)
    X = _SolveTriangular.apply(A.mT, B.mT, upper=not upper, unitriangular=unitriangular)
    return _with_out(X.mT, out)


# ---- tensor inverse and solve: the matrix ones on reshaped tensors --------------------------
def _prod(shape) -> int:
    n = 1
    for s in shape:
        n *= int(s)
    return n


def tensorinv(A: Tensor, ind: int = 2, *, out=None) -> Tensor:
    """linalg.tensorinv(A, ind=2): the tensor X of shape A.shape[ind:] + A.shape[:ind] with
    tensordot(A, X, ind) the identity; A reshaped to a square matrix must be invertible."""
    if not isinstance(ind, int) or ind <= 0:
        raise RuntimeError(f"Expected a strictly positive integer for 'ind', but got {ind}")
    rows, cols = _prod(A.shape[:ind]), _prod(A.shape[ind:])
    if rows != cols:
        raise RuntimeError(f"Expected self to satisfy the requirement prod(self.shape[ind:]) == "
                           f"prod(self.shape[:ind]), but got {cols} != {rows}")
    res = inv(A.reshape(rows, cols)).reshape(tuple(A.shape[ind:]) + tuple(A.shape[:ind]))
    return _with_out(res, out)


def tensorsolve(A: Tensor, B: Tensor, dims=None, *, out=None) -> Tensor:
    """linalg.tensorsolve(A, B, dims=None): X with tensordot(A, X, X.ndim) = B, where
    X.shape = A.shape[B.ndim:]; dims of A are first moved to the end."""
    if dims is not None:
        dims = [_wrap_dim(d, A.ndim, "linalg.tensorsolve") for d in dims]
        A = _ops.movedim(A, dims, list(range(A.ndim - len(dims), A.ndim)))
    x_shape = tuple(A.shape[B.ndim:])
    n, m = _prod(x_shape), _prod(A.shape[:B.ndim])
    if n != m:
        raise RuntimeError(f"Expected self to satisfy the requirement "
                           f"prod(self.shape[other.ndim:]) == prod(self.shape[:other.ndim]), but "
                           f"got {n} != {m}")
    return _with_out(solve(A.reshape(m, n), B.reshape(m)).reshape(x_shape), out)
