"""Vector and matrix norms: linalg.vector_norm, matrix_norm, norm, and cond (built on them)."""
from __future__ import annotations

import math

import numpy as np

from .._device import xp_of
from .._tensor import Tensor, _wrap_dim
from ..autograd.function import Function
from .. import ops as _ops
from ._common import _TITLE, _check, _const, _eye_like, _to_xp, _with_out
from ._det_inv_solve import _Inv, _lu_info
from ._factorizations import _Svdvals


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
    if math.isinf(ord) and x.numel() == 0:
        raise RuntimeError(f"linalg.vector_norm cannot compute the {ord} norm on an empty "
                           f"tensor because the operation does not have an identity")
    if ord == 2:
        return _with_out(_ops.norm(x.abs() if x.dtype.category == 3 else x, 2, dim, keepdim), out)
    if ord == 0 or math.isinf(ord):
        return _with_out(_ops.norm(x, ord, dim, keepdim), out)
    if dim is None or x.ndim == 0:
        dims = tuple(range(x.ndim))
    else:
        dims = tuple(sorted({_wrap_dim(d, x.ndim, "linalg.vector_norm") for d in dim}))
    return _with_out(_PNorm.apply(x, ord, dims, keepdim), out)


class _PNorm(Function):
    """(sum |x|^p)^(1/p) over dims for a finite p other than 0 and 2 (negative p too)."""

    def forward(self, x, p, dims, keepdim):
        self.p, self.dims, self.keepdim = p, dims, keepdim
        xp = xp_of(x)
        a = xp.abs(x)
        with np.errstate(divide="ignore", over="ignore"):  # 0 ** -p is inf, as in torch
            out = (a ** p).sum(axis=dims, keepdims=True) ** (1.0 / p)
        out = out.astype(a.dtype, copy=False)
        self.save_output(out if keepdim else out.reshape(_squeeze(out.shape, dims)))
        return out if keepdim else out.reshape(_squeeze(out.shape, dims))

    def backward(self, g):
        # d||x||_p / dx = sgn(x) |x|^(p-1) ||x||^(1-p), with torch's subgradient 0 wherever
        # x = 0 or the norm is 0 (the norm is 0 for p < 0 as soon as one x is 0).
        x = self.inputs[0]
        p, dims, keepdim = self.p, self.dims, self.keepdim
        nrm = self.saved_output(recompute=lambda: _PNorm.apply(x, p, dims, keepdim))
        if not keepdim:
            g, nrm = (_unsqueeze_dims(t, dims) for t in (g, nrm))
        xp = xp_of(x._data)
        live = (x._data != 0) & (nrm._data != 0)
        one = _const(xp.ones((), dtype=nrm._data.dtype))
        safe_x = _ops.where(_const(live), x, one)
        safe_n = _ops.where(_const(nrm._data != 0), nrm, one)
        a = safe_x.abs()
        grad = _ops.sgn(safe_x) * a ** (p - 1) * safe_n ** (1 - p) * g
        return _ops.where(_const(live), grad, _const(xp.zeros((), dtype=grad._data.dtype)))


def _squeeze(shape, dims):
    return tuple(s for i, s in enumerate(shape) if i not in dims)


def _unsqueeze_dims(t: Tensor, dims) -> Tensor:
    for d in sorted(dims):
        t = t.unsqueeze(d)
    return t


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


def cond(A: Tensor, p=None, *, out=None) -> Tensor:
    """linalg.cond(A, p=None): the condition number of each matrix in the norm p.

    p None, 2 or -2: ratio of the extreme singular values (any shape). 'fro', 'nuc', inf, -inf,
    1, -1: norm(A, p) * norm(A^-1, p) for square A, inf where A is singular. Empty matrices
    give 0.
    """
    if not isinstance(A, Tensor):
        raise TypeError(f"linalg_cond(): argument 'input' (position 1) must be Tensor, not "
                        f"{type(A).__name__}")
    if A.ndim < 2:
        raise RuntimeError("linalg.cond: The input tensor must have at least 2 dimensions.")
    if not (p is None or p in ("fro", "nuc") if isinstance(p, str) or p is None else
            isinstance(p, (int, float)) and p in (2, -2, math.inf, -math.inf, 1, -1)):
        raise RuntimeError(f"linalg.cond got an invalid norm type: {p}")
    spectral = p is None or p in (2, -2)
    _check(A, "linalg.svd" if spectral else "linalg.cond")
    m, n = A.shape[-2:]
    if not spectral and m != n:
        raise RuntimeError(f"linalg.cond(ord={p}): A must be batches of square matrices, but they "
                           f"are {m} by {n} matrices")
    xp = xp_of(A._data)
    real = xp.zeros((), A._data.dtype).real.dtype
    if A.numel() == 0:
        return _with_out(_const(xp.zeros(tuple(A.shape[:-2]), real)), out)
    if spectral:
        s = _Svdvals.apply(A)
        r = s[..., -1] / s[..., 0] if p == -2 else s[..., 0] / s[..., -1]
        return _with_out(r, out)
    # Singular matrices are swapped for the identity before inverting so that the others keep
    # their value and gradient; their result is then set to inf.
    singular = _const(_to_xp(xp, _lu_info(A) > 0))
    safe = _ops.where(singular[..., None, None], _eye_like(A), A)
    r = matrix_norm(safe, p) * matrix_norm(_Inv.apply(safe), p)
    return _with_out(_ops.where(singular, _const(xp.asarray(np.inf, real)), r), out)
