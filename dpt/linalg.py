"""dpt.linalg: torch.linalg on CPU and GPU arrays, batched over leading dimensions and differentiable.

Factorizations are Functions whose forward calls the array module's LAPACK wrappers and
whose backward is written with dpt ops (and with the factorizations themselves), so that
``create_graph=True`` gives second derivatives. Where a backward reuses an output it
recomputes it from the inputs when a graph of the gradient is being built.

The torch.* spellings (``dpt.det``, ``dpt.inverse``, ``dpt.svd`` returning V, ``dpt.lu`` ...)
live at the end of this file and are re-exported at the top level.

Deviations from torch: LU (lu_factor, lu, lu_solve) runs on the host through scipy for
GPU tensors too; eig/eigvals are not differentiable; the backward of lu_factor/lu is
implemented for square matrices only; inv_ex/cholesky_ex report info but never raise.
"""
from __future__ import annotations

import math
import warnings

import numpy as np

from ._device import to_numpy, xp_of
from ._tensor import Tensor, _wrap_dim
from .autograd.function import Function
from .return_types import _result_type
from . import ops as _ops

__all__ = ["norm", "vector_norm", "matrix_norm", "det", "slogdet", "inv", "inv_ex", "pinv", "solve",
           "solve_ex", "lstsq", "cholesky", "cholesky_ex", "qr", "eigh", "eigvalsh", "eig", "eigvals",
           "svd", "svdvals", "matrix_rank", "matrix_power", "multi_dot", "cross", "lu_factor",
           "lu_factor_ex", "lu", "lu_solve", "solve_triangular", "vecdot", "diagonal",
           "matmul", "matrix_exp", "LinAlgError"]


class LinAlgError(RuntimeError):
    """Raised when a factorization fails (singular or non-positive-definite input)."""


# ---- named results ----------------------------------------------------------------------
slogdet_result = _result_type("slogdet", ("sign", "logabsdet"))
qr_result = _result_type("qr", ("Q", "R"))
eigh_result = _result_type("eigh", ("eigenvalues", "eigenvectors"))
eig_result = _result_type("eig", ("eigenvalues", "eigenvectors"))
svd_result = _result_type("svd", ("U", "S", "Vh"))
torch_svd_result = _result_type("svd", ("U", "S", "V"))
lstsq_result = _result_type("lstsq", ("solution", "residuals", "rank", "singular_values"))
lu_factor_result = _result_type("lu_factor", ("LU", "pivots"))
lu_factor_ex_result = _result_type("lu_factor_ex", ("LU", "pivots", "info"))
lu_result = _result_type("lu", ("P", "L", "U"))
lu_unpack_result = _result_type("lu_unpack", ("P", "L", "U"))
inv_ex_result = _result_type("inv_ex", ("inverse", "info"))
cholesky_ex_result = _result_type("cholesky_ex", ("L", "info"))
solve_ex_result = _result_type("solve_ex", ("result", "info"))
triangular_solve_result = _result_type("triangular_solve", ("solution", "cloned_coefficient"))

_TITLE = {"float32": "Float", "float64": "Double", "float16": "Half", "bfloat16": "BFloat16",
          "int64": "Long", "int32": "Int", "int16": "Short", "int8": "Char", "uint8": "Byte",
          "bool": "Bool", "complex64": "ComplexFloat", "complex128": "ComplexDouble"}


# ---- checks -----------------------------------------------------------------------------
def _check(A, op: str, *, square: bool = False, name: str = "A") -> None:
    """A must be a float/complex tensor with >= 2 dims (square matrices if asked)."""
    if not isinstance(A, Tensor):
        raise TypeError(f"{op}(): argument '{name}' (position 1) must be Tensor, not "
                        f"{type(A).__name__}")
    if A.ndim < 2:
        raise RuntimeError(f"{op}: The input tensor {name} must have at least 2 dimensions.")
    if square and A.shape[-1] != A.shape[-2]:
        raise RuntimeError(f"{op}: {name} must be batches of square matrices, but they are "
                           f"{A.shape[-2]} by {A.shape[-1]} matrices")
    if A.dtype.category < 2 or A.dtype.name in ("float16", "bfloat16"):
        raise RuntimeError(f"{op}: Expected a floating point or complex tensor as input. Got "
                           f"{_TITLE.get(A.dtype.name, A.dtype.name)}")


def _const(arr) -> Tensor:
    return Tensor._make(arr)


def _eye_like(A: Tensor, n: int | None = None) -> Tensor:
    xp = xp_of(A._data)
    n = A.shape[-1] if n is None else n
    return _const(xp.eye(n, dtype=A._data.dtype))


def _diag(x: Tensor) -> Tensor:
    return _ops.diagonal(x, 0, -2, -1)


def _batched(fn, a, *outs_dtype):
    """Run a 2-D numpy/scipy routine over the leading dims of a (on the host)."""
    arr = to_numpy(a)
    batch = arr.shape[:-2]
    flat = arr.reshape((-1,) + arr.shape[-2:])
    results = [fn(m) for m in flat]
    if not results:
        return None
    outs = tuple(np.stack([r[i] for r in results]).reshape(batch + np.shape(results[0][i]))
                 for i in range(len(results[0])))
    return outs


def _to_xp(xp, arr):
    return arr if xp is np else xp.asarray(arr)


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


# ---- pseudo-inverse, least squares, rank ----------------------------------------------------
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
        r = A.detach() @ X.detach() - Bm.detach()
        residuals = _const((xp.abs(r._data) ** 2).sum(-2))
    rank_t = _const(rank) if driver != "gels" else _const(xp.empty((0,), np.int64))
    sv = _const(s.astype(A._data.real.dtype)) if driver in ("gelsd", "gelss") else empty
    return lstsq_result(X.squeeze(-1) if vector else X, residuals, rank_t, sv)


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


# ---- norms ------------------------------------------------------------------------------------
def _float_input(x: Tensor, op: str, dtype) -> Tensor:
    if dtype is not None:
        x = x.to(dtype)
    if x.dtype.category < 2:
        raise RuntimeError(f"{op}: Expected a floating point or complex tensor as input. Got "
                           f"{_TITLE.get(x.dtype.name, x.dtype.name)}")
    return x


def vector_norm(x: Tensor, ord=2, dim=None, keepdim: bool = False, *, dtype=None,
                out=None) -> Tensor:
    """linalg.vector_norm(x, ord=2, dim=None, keepdim=False, *, dtype=None): x treated as a
    vector over dim (every element when None); ord may be any real, inf or -inf."""
    x = _float_input(x, "linalg.vector_norm", dtype)
    if isinstance(ord, str):
        raise RuntimeError(f"linalg.vector_norm: Expected a number as ord, got {ord!r}")
    if isinstance(dim, int):
        dim = (dim,)
    ord = float(ord)
    a = x.abs()
    if math.isinf(ord):
        if a.numel() == 0:
            raise RuntimeError(f"linalg.vector_norm cannot compute the {ord} norm on an empty "
                               f"tensor because the operation does not have an identity")
        red = _ops.amax if ord > 0 else _ops.amin
        dims = tuple(range(x.ndim)) if dim is None else tuple(dim)
        return _with_out(red(a, dims, keepdim=keepdim), out)
    if ord < 0 or ord == 0:
        dims = tuple(range(x.ndim)) if dim is None else tuple(dim)
        if ord == 0:
            return _with_out((a != 0).to(a.dtype).sum(dims, keepdim=keepdim), out)
        return _with_out((a ** ord).sum(dims, keepdim=keepdim) ** (1.0 / ord), out)
    return _with_out(_ops.norm(a if x.dtype.category == 3 else x, ord, dim, keepdim), out)


def matrix_norm(A: Tensor, ord="fro", dim=(-2, -1), keepdim: bool = False, *, dtype=None,
                out=None) -> Tensor:
    """linalg.matrix_norm(A, ord='fro', dim=(-2, -1), keepdim=False, *, dtype=None).

    ord: 'fro', 'nuc', inf, -inf, 1, -1, 2, -2.
    """
    A = _float_input(A, "linalg.matrix_norm", dtype)
    if A.ndim < 2:
        raise RuntimeError("linalg.matrix_norm: The input tensor A must have at least 2 "
                           "dimensions.")
    d0, d1 = (_wrap_dim(d, A.ndim, "linalg.matrix_norm") for d in dim)
    if d0 == d1:
        raise RuntimeError(f"linalg.matrix_norm: dims must be different. Got ({dim[0]}, {dim[1]})")
    if ord == "fro":
        return _with_out(_ops.norm(A, 2, (d0, d1), keepdim), out)
    moved = _ops.movedim(A, (d0, d1), (-2, -1))
    if ord == "nuc":
        r = _Svdvals.apply(moved).sum(-1)
    elif ord in (2, -2):
        s = _Svdvals.apply(moved)
        r = s.amax(-1) if ord == 2 else s.amin(-1)
    elif ord in (1, -1, math.inf, -math.inf):
        col = moved.abs().sum(-2 if abs(ord) == 1 else -1)
        r = col.amax(-1) if ord > 0 else col.amin(-1)
    else:
        raise RuntimeError(f"linalg.matrix_norm: Order {ord} not supported.")
    if keepdim:
        for d in sorted((d0, d1)):
            r = r.unsqueeze(d)
    return _with_out(r, out)


def norm(A: Tensor, ord=None, dim=None, keepdim: bool = False, *, dtype=None, out=None) -> Tensor:
    """linalg.norm(A, ord=None, dim=None, keepdim=False, *, dtype=None).

    A vector norm when dim is an int (or A is 1-D), a matrix norm when dim is a 2-tuple (or A
    is 2-D with ord given); with ord and dim both None, the 2-norm of A flattened.
    """
    if isinstance(dim, int):
        dim = (dim,)
    if dim is not None and len(dim) == 2:
        return matrix_norm(A, "fro" if ord is None else ord, dim, keepdim, dtype=dtype, out=out)
    if dim is None and ord is not None:
        if A.ndim == 2:
            return matrix_norm(A, ord, (-2, -1), keepdim, dtype=dtype, out=out)
        if A.ndim != 1:
            raise RuntimeError(f"linalg.norm: If dim is not specified but ord is, the input must "
                               f"be 1D or 2D. Got {A.ndim}D.")
    if isinstance(ord, str):
        raise RuntimeError(f"linalg.norm: If dim is specified, it must be of length 1 or 2. Got "
                           f"{list(dim) if dim is not None else dim}")
    return vector_norm(A, 2 if ord is None else ord, dim, keepdim, dtype=dtype, out=out)


# ---- products, powers, cross ------------------------------------------------------------
def matmul(input: Tensor, other: Tensor, *, out=None) -> Tensor:
    """linalg.matmul: alias of dpt.matmul."""
    return _ops.matmul(input, other, out=out)


def diagonal(A: Tensor, *, offset: int = 0, dim1: int = -2, dim2: int = -1) -> Tensor:
    """linalg.diagonal(A, *, offset=0, dim1=-2, dim2=-1): dpt.diagonal with matrix defaults."""
    return _ops.diagonal(A, offset, dim1, dim2)


def vecdot(x: Tensor, y: Tensor, *, dim: int = -1, out=None) -> Tensor:
    """linalg.vecdot(x, y, *, dim=-1): sum(conj(x) * y) over dim, broadcasting."""
    return _with_out((x.conj() * y).sum(dim), out)


def matrix_power(A: Tensor, n: int, *, out=None) -> Tensor:
    """linalg.matrix_power(A, n): A multiplied by itself n times (inverse powers for n < 0)."""
    if not isinstance(A, Tensor):
        raise TypeError(f"matrix_power(): argument 'input' (position 1) must be Tensor, not "
                        f"{type(A).__name__}")
    if A.ndim < 2 or A.shape[-1] != A.shape[-2]:
        raise RuntimeError(f"linalg.matrix_power: A must be batches of square matrices, but they "
                           f"are {A.shape[-2] if A.ndim > 1 else 1} by {A.shape[-1] if A.ndim else 1}"
                           f" matrices")
    n = int(n)
    if n == 0:
        eye = _eye_like(A).expand(A.shape)
        return _with_out(eye.clone(), out)
    if n < 0:
        _check(A, "linalg.matrix_power", square=True)
        A, n = _Inv.apply(A), -n
    result, base = None, A
    while n:  # square-and-multiply, so n needs only log2(n) products
        if n & 1:
            result = base if result is None else result @ base
        n >>= 1
        if n:
            base = base @ base
    return _with_out(result if result is not A else A.clone(), out)


def multi_dot(tensors, *, out=None) -> Tensor:
    """linalg.multi_dot(tensors): chained product in the cheapest order; the first tensor may be
    a row vector and the last a column vector (1-D)."""
    tensors = list(tensors)
    if len(tensors) < 2:
        raise RuntimeError(f"multi_dot(): expected at least 2 tensors but got {len(tensors)}")
    first_vec, last_vec = tensors[0].ndim == 1, tensors[-1].ndim == 1
    mats = list(tensors)
    if first_vec:
        mats[0] = mats[0].unsqueeze(0)
    if last_vec:
        mats[-1] = mats[-1].unsqueeze(-1)
    for i, t in enumerate(mats):
        if t.ndim != 2:
            which = "first" if i == 0 else "last" if i == len(mats) - 1 else None
            if which:
                raise RuntimeError(f"multi_dot(): the {which} tensor must be 1D or 2D but got "
                                   f"{tensors[i].ndim}D")
            raise RuntimeError(f"multi_dot(): tensor {i} must be 2D but got {t.ndim}D")
    for i in range(len(mats) - 1):
        if mats[i].shape[1] != mats[i + 1].shape[0]:
            raise RuntimeError(
                f"multi_dot(): tensors {i} and {i + 1} with shapes {list(mats[i].shape)} and "
                f"{list(mats[i + 1].shape)} cannot be multiplied")
    with warnings.catch_warnings():  # chain_matmul's deprecation is not multi_dot's concern
        warnings.simplefilter("ignore", UserWarning)
        res = _ops.chain_matmul(*mats)
    if first_vec:
        res = res.squeeze(0)
    if last_vec:
        res = res.squeeze(-1)
    return _with_out(res, out)


def cross(input: Tensor, other: Tensor, *, dim: int = -1, out=None) -> Tensor:
    """linalg.cross(input, other, *, dim=-1): 3-vector cross product along dim (broadcasting)."""
    if input.ndim != other.ndim:
        raise RuntimeError("linalg.cross: inputs must have the same number of dimensions.")
    d = _wrap_dim(dim, max(input.ndim, 1), "linalg.cross")
    if input.shape[d] != 3 or other.shape[d] != 3:
        raise RuntimeError(f"linalg.cross: inputs dimension {dim} must have length 3. Got "
                           f"{input.shape[d]} and {other.shape[d]}")
    a, b = _ops.broadcast_tensors(input, other)
    a0, a1, a2 = a.unbind(d)
    b0, b1, b2 = b.unbind(d)
    res = _ops.stack([a1 * b2 - a2 * b1, a2 * b0 - a0 * b2, a0 * b1 - a1 * b0], d)
    return _with_out(res, out)


class _MatrixExp(Function):
    def forward(self, a):
        from scipy.linalg import expm
        xp = xp_of(a)
        arr = to_numpy(a)
        flat = arr.reshape((-1,) + arr.shape[-2:])
        res = np.stack([expm(m) for m in flat]) if len(flat) else flat.copy()
        return _to_xp(xp, res.reshape(arr.shape).astype(arr.dtype))

    def backward(self, g):
        # The adjoint of d exp at A is d exp at A^H: read it off the block matrix
        # exp([[A^H, G], [0, A^H]]) = [[e^A^H, L(A^H, G)], [0, e^A^H]].
        a, = self.inputs
        n = a.shape[-1]
        ah = a.mH
        top = _ops.cat([ah, g], -1)
        bottom = _ops.cat([_ops.zeros_like(ah), ah], -1)
        big = _MatrixExp.apply(_ops.cat([top, bottom], -2))
        return big[..., :n, n:]


def matrix_exp(A: Tensor) -> Tensor:
    """linalg.matrix_exp(A): the matrix exponential (scipy's Pade approximation, on the host)."""
    _check(A, "linalg.matrix_exp", square=True)
    return _MatrixExp.apply(A)


# ---- LU ---------------------------------------------------------------------------------------
def _lu_host(arr: np.ndarray):
    """Batched LU with partial pivoting on the host: (packed LU, 1-based int32 pivots)."""
    from scipy.linalg import lu_factor as _scipy_lu

    m, n = arr.shape[-2:]
    k = min(m, n)
    batch = arr.shape[:-2]
    flat = arr.reshape((-1, m, n))
    lus = np.empty_like(flat)
    pivs = np.empty((flat.shape[0], k), np.int32)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # singular matrices factor fine; callers check U's diagonal
        for i, mat in enumerate(flat):
            if k == 0:
                lus[i] = mat
                continue
            lu_, piv = _scipy_lu(mat, check_finite=False)
            lus[i], pivs[i] = lu_, piv[:k] + 1
    return lus.reshape(arr.shape), pivs.reshape(batch + (k,))


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
        a, = self.inputs
        m, n = a.shape[-2:]
        if m != n:
            raise NotImplementedError("the derivative of lu_factor/lu is implemented for square "
                                      "matrices only in dpt")
        LU, piv = _LUFactor.apply(a)
        P, L, U = lu_unpack(LU, piv)
        gL, gU = gLU.tril(-1), gLU.triu()
        return _lu_backward(P, L, U, gL, gU)


def _lu_backward(P, L, U, gL, gU):
    """A = P L U (square): gA = P L^-H (tril_-1(L^H gL) + triu(gU U^H)) U^-H."""
    X = (L.mH @ gL).tril(-1) + (gU @ U.mH).triu()
    X = solve_triangular(L.mH, X, upper=True, unitriangular=True)
    X = solve_triangular(U.mH, X, upper=False, left=False)
    return P @ X


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
    """linalg.lu(A, *, pivot=True) -> (P, L, U) with A = P L U (differentiable for square A)."""
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


# ---- out= ---------------------------------------------------------------------------------
def _with_out(result: Tensor, out) -> Tensor:
    if out is None:
        return result
    from .ops.blas import _with_out as blas_out
    return blas_out(result, out)


# ---- torch.* spellings (re-exported at the top level) --------------------------------------
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


def cholesky_solve(B: Tensor, L: Tensor, upper: bool = False, *, out=None) -> Tensor:
    """cholesky_solve(B, L, upper=False): solve A X = B given A's Cholesky factor."""
    if upper:
        X = solve_triangular(L.mH, B, upper=False)
        return _with_out(solve_triangular(L, X, upper=True), out)
    X = solve_triangular(L, B, upper=False)
    return _with_out(solve_triangular(L.mH, X, upper=True), out)


def cholesky_inverse(L: Tensor, upper: bool = False, *, out=None) -> Tensor:
    """cholesky_inverse(L, upper=False): A^-1 given A's Cholesky factor."""
    return cholesky_solve(_eye_like(L).expand(L.shape), L, upper, out=out)


def triangular_solve(b: Tensor, A: Tensor, upper: bool = True, transpose: bool = False,
                     unitriangular: bool = False, *, out=None):
    """triangular_solve(b, A, upper=True, transpose=False, unitriangular=False) ->
    (solution, cloned_coefficient)."""
    T = A.mT if transpose else A
    X = solve_triangular(T, b, upper=upper != transpose, unitriangular=unitriangular)
    return triangular_solve_result(X, A.clone())
