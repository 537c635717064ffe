"""Norms: norm (vector, Frobenius and nuclear), dist, and renorm.

The 2-norm is one Function that scales by the largest magnitude first (no overflow) and
has a zero gradient at zero, as torch's.
"""
from __future__ import annotations

import builtins
import math

import numpy as np

from .._device import xp_of
from .._tensor import Tensor, _wrap_dim
from ..autograd.function import Function
from ..autograd.grad_mode import is_grad_enabled
from .pointwise import abs as _abs
from .reduction import (_TYPE_WORD, _const, _numpy_kwargs, _reduce_dims, _reduced_shape,
                        _squeeze_dims, amax, amin, expand_reduced, normalize_dims, sum)

__all__ = ["norm", "dist", "renorm"]


class _Norm2(Function):
    def forward(self, x, dims, keepdim):
        self.shape, self.dims, self.keepdim = x.shape, dims, keepdim
        xp = xp_of(x)
        a = xp.abs(x)
        if a.size:  # divide by the largest magnitude first so that squares cannot overflow
            scale = a.max(axis=dims, keepdims=True)
            scale = xp.where(xp.isfinite(scale) & (scale > 0), scale, 1)
            out = xp.sqrt(((a / scale) ** 2).sum(axis=dims, keepdims=True)) * scale
        else:
            out = xp.zeros(_reduced_shape(x.shape, dims, True), dtype=a.dtype)
        self.out = out.astype(a.dtype, copy=False)
        return self.out if keepdim else self.out.reshape(_squeeze_dims(out.shape, dims))

    def backward(self, gz):
        x = self.inputs[0]
        g = expand_reduced(gz, self.shape, self.dims, self.keepdim)
        nrm = _Norm2.apply(x, self.dims, True) if is_grad_enabled() else _const(self.out)
        zero = _const((self.out == 0).astype(self.out.dtype))  # torch: zero gradient at 0
        return g * x / (nrm + zero) * (1 - zero)


class _CountNonzeroNorm(Function):
    """The 0-"norm": the number of non-zero elements; its gradient is zero everywhere."""

    def forward(self, x, dims, keepdim):
        self.shape, self.dims, self.keepdim = x.shape, dims, keepdim
        real = x.real.dtype
        return (x != 0).sum(axis=dims, keepdims=keepdim).astype(real)

    def backward(self, gz):
        return expand_reduced(gz, self.shape, self.dims, self.keepdim) * 0


class _NuclearNorm(Function):
    def forward(self, x, dims, keepdim):
        self.shape, self.dims, self.keepdim = x.shape, tuple(sorted(dims)), keepdim
        xp = xp_of(x)
        rest = [a for a in range(x.ndim) if a not in dims]
        perm = rest + list(dims)
        u, s, vh = xp.linalg.svd(x.transpose(perm), full_matrices=False)
        out = s.sum(axis=-1)
        self.uv = (u @ vh).transpose(tuple(np.argsort(perm)))
        if keepdim:
            out = out.reshape(_reduced_shape(x.shape, self.dims, True))
        return out.astype(s.dtype, copy=False)

    def backward(self, gz):
        # U V^H is treated as a constant: first derivatives are exact, second ones are not.
        return expand_reduced(gz, self.shape, self.dims, self.keepdim) * _const(self.uv)


def _vector_norm(x, p, dims, keepdim):
    if p == 2:
        return _Norm2.apply(x, dims, keepdim)
    if p == 0:
        return _CountNonzeroNorm.apply(x, dims, keepdim)
    a = _abs(x)
    if p == math.inf:
        return amax(a, dims, keepdim)
    if p == -math.inf:
        return amin(a, dims, keepdim)
    if p == 1:
        return sum(a, dims, keepdim)
    return sum(a ** p, dims, keepdim) ** (1.0 / p)


@_numpy_kwargs
def norm(input, p="fro", dim=None, keepdim=False, out=None, dtype=None) -> Tensor:
    """norm(input, p='fro', dim=None, keepdim=False, dtype=None).

    p a number: vector p-norm over dim (all elements when None); inf/-inf give max/min
    of |x|, 0 counts non-zeros. 'fro': 2-norm over the dims. 'nuc': nuclear norm of
    the matrices in two dims (first derivatives only).
    """
    if dtype is not None:
        input = input.to(dtype)
    if input.dtype.category < 2:
        raise RuntimeError(f"linalg.vector_norm: Expected a floating point or complex tensor as "
                           f"input. Got {_TYPE_WORD.get(input.dtype.name, input.dtype.name)}")
    if isinstance(p, str):
        if p == "fro":
            return _vector_norm(input, 2, _reduce_dims(dim, input.ndim, "norm"), keepdim)
        if p == "nuc":
            dims = normalize_dims(dim, input.ndim, "norm")
            if len(dims) != 2:
                raise RuntimeError(f"linalg.matrix_norm: dim must be a 2-tuple. Got {dim}")
            return _NuclearNorm.apply(input, dims, keepdim)
        raise RuntimeError(f"norm(): unsupported norm type {p!r}; expected a number, 'fro' or 'nuc'")
    p = 2.0 if p is None else float(p)
    return _vector_norm(input, p, _reduce_dims(dim, input.ndim, "norm"), keepdim)


def dist(input, other, p=2) -> Tensor:
    """dist(input, other, p=2): the p-norm of input - other (broadcasting)."""
    return norm(input - other, p)


def renorm(input: Tensor, p, dim: int, maxnorm) -> Tensor:
    """renorm(input, p, dim, maxnorm): each slice along dim whose p-norm exceeds maxnorm is
    rescaled to norm maxnorm (by maxnorm / (norm + 1e-7), as torch does)."""
    if input.dtype.category < 2:
        raise RuntimeError(f"renorm: expected a floating point or complex tensor, got "
                           f"{input.dtype}")
    if p <= 0:
        raise RuntimeError("renorm: non-positive-norm not supported")
    if maxnorm < 0:
        raise RuntimeError(f"renorm: expected maxnorm to be >= 0 but got {maxnorm}")
    if input.ndim <= 1:
        raise RuntimeError(f"renorm: input needs at least 2 dimensions, got {input.ndim} "
                           f"dimensions")
    d = _wrap_dim(dim, input.ndim, "renorm")
    others = tuple(i for i in builtins.range(input.ndim) if i != d)
    nrm = norm(input, p, others, keepdim=True)
    big = Tensor._make(nrm._data > maxnorm)
    factor = (maxnorm / (nrm + 1e-7)).where(big, Tensor._make(
        xp_of(nrm._data).ones((), nrm._data.dtype)))
    return input * factor.to(input.dtype) if factor.dtype is not input.dtype else input * factor
