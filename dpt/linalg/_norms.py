"""Vector and matrix norms: linalg.vector_norm, matrix_norm, norm."""
from __future__ import annotations

import math

from .._tensor import Tensor, _wrap_dim
from .. import ops as _ops
from ._common import _TITLE, _with_out
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
