"""What every torch.linalg file shares: the error, the named results, the input checks and a
few small helpers.

``_check`` raises where a bad input enters, naming the op, the shapes and what was expected.
``_lu_host`` (batched LU on the host through scipy) lives here rather than in ``_lu.py``
because the singular-matrix checks of inv_ex/solve_ex need it too, and ``_lu.py`` builds on
those solves.
"""
from __future__ import annotations

import warnings

import numpy as np

from .._device import xp_of
from .._tensor import Tensor
from ..autograd.function import Function
from ..ops.blas import _with_out  # noqa: F401  (out=: the same copy-into rule as dpt.matmul)
from ..return_types import _result_type
from .. import ops as _ops


class LinAlgError(RuntimeError):
    """Raised when a factorization fails (singular or non-positive-definite input)."""

    __module__ = "dpt.linalg"  # its public home, shown in tracebacks and reprs


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


class _ZeroGrad(Function):
    """value, kept in the graph of the inputs with zero gradients: torch's results that do not
    depend on their inputs (A^0, a product of no reflectors) still require grad."""

    def forward(self, *inputs, value):
        return value

    def backward(self, g):
        return tuple(_ops.zeros_like(t) for t in self.inputs)


def _to_xp(xp, arr):
    return arr if xp is np else xp.asarray(arr)


# ---- LU on the host -----------------------------------------------------------------------
def _lu_host(arr: np.ndarray):
    """Batched LU with partial pivoting on the host: (packed LU, 1-based int32 pivots)."""
    # Imported here, not at the top: scipy.linalg adds ~0.1 s to `import dpt`, and only LU and
    # matrix_exp need it.
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
