"""Products, powers and the exponential of matrices: linalg.matmul, diagonal, vecdot,
matrix_power, multi_dot, cross, matrix_exp, and vander (the powers of a vector).
"""
from __future__ import annotations

import warnings

import numpy as np

from .._device import to_numpy, xp_of
from .._tensor import Tensor, _wrap_dim
from ..autograd.function import Function
from .. import ops as _ops
from ._common import _ZeroGrad, _check, _to_xp, _with_out
from ._det_inv_solve import _Inv


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
        xp = xp_of(A._data)
        eye = xp.broadcast_to(xp.eye(A.shape[-1], dtype=A._data.dtype), A.shape).copy()
        return _with_out(_ZeroGrad.apply(A, value=eye), out)
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


def vander(x: Tensor, *, N: int | None = None) -> Tensor:
    """linalg.vander(x, *, N=None): the Vandermonde matrices [x^0, x^1, ..., x^(N-1)] along a new
    last dimension (N defaults to x.shape[-1]); integer inputs give int64, as cumprod does."""
    if not isinstance(x, Tensor):
        raise TypeError(f"linalg_vander(): argument 'x' (position 1) must be Tensor, not "
                        f"{type(x).__name__}")
    if x.dtype.name == "bool":
        raise RuntimeError("linalg.vander supports floating point, complex, and integer tensors, "
                           "but got Bool")
    n = N if N is not None else (x.shape[-1] if x.ndim else 0)
    if n <= 1:
        raise RuntimeError("N must be greater than 1.")
    if x.ndim == 0:  # torch treats a scalar as a 1-vector
        x = x.reshape(1)
    shape = tuple(x.shape)
    powers = _ops.cumprod(x.unsqueeze(-1).expand(shape + (n - 1,)), -1)
    ones = _ops.ones(shape + (1,), dtype=powers.dtype, device=x.device)
    return _ops.cat([ones, powers], -1)


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
        from scipy.linalg import expm  # here, not at the top: scipy.linalg slows `import dpt`
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
