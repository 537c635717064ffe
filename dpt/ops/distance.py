"""Distances between vectors: cdist, pdist, pairwise_distance and cosine_similarity.

The p-norms over the last dimension go through one Function whose gradient is 0 where the
distance is 0 (as torch's), instead of the 0/0 a composition of pow and sum would give.
"""
from __future__ import annotations

import math

import numpy as np

from .._device import xp_of
from .._tensor import Tensor, _wrap_dim
from ..autograd.function import Function
from ..autograd.grad_mode import no_grad
from . import pointwise as pw
from .creation import zeros_like
from .indexing import where
from .shape import broadcast_shapes

__all__ = ["cdist", "pdist", "pairwise_distance", "cosine_similarity"]


class _PNorm(Function):
    """||x||_p over the last dimension (p = 0 counts non-zeros, p = inf takes the max, p = -inf
    the min; a negative p is sum(|x|^p)^(1/p), as torch.norm)."""

    def forward(self, x, p):
        self.p = p
        xp = xp_of(x)
        a = xp.abs(x)
        if p == 0:
            y = (x != 0).sum(-1).astype(x.dtype)
        elif p == 1:
            y = a.sum(-1)
        elif p == 2:
            y = xp.sqrt((x * x).sum(-1))
        elif p == math.inf:
            y = a.max(-1) if x.shape[-1] else xp.zeros(x.shape[:-1], x.dtype)
        elif p == -math.inf:
            y = a.min(-1) if x.shape[-1] else xp.full(x.shape[:-1], math.inf, x.dtype)
        else:
            with np.errstate(divide="ignore", over="ignore"):
                y = (a ** p).sum(-1) ** (1.0 / p)
        y = y.astype(x.dtype, copy=False)
        self.save_output(y)
        return y

    def backward(self, g):
        x = self.inputs[0]
        p = self.p
        if p == 0:
            return zeros_like(x)
        g = g.unsqueeze(-1)
        if p == 1:
            return g * pw.sign(x)
        n = self.saved_output(recompute=lambda: _PNorm.apply(x, p)).unsqueeze(-1)
        pos = Tensor._make(n._data > 0)
        if math.isinf(p):
            top = Tensor._make(xp_of(x._data).abs(x._data) == n._data)
            return g * pw.sign(x) * top
        safe = where(pos, n, 1.0)
        if p == 2:
            return where(pos, g * x / safe, 0.0)
        nonzero = Tensor._make(x._data != 0)
        ax = where(nonzero, pw.abs(x), 1.0)
        r = pw.sign(x) * ax ** (p - 1) / safe ** (p - 1)
        return where(pos & nonzero, g * r, 0.0)


def _pnorm(x: Tensor, p: float) -> Tensor:
    return _PNorm.apply(x, float(p))


def _check_p(p, op: str) -> float:
    p = float(p)
    if p < 0:
        raise RuntimeError(f"{op} only supports non-negative p values")
    return p


def _dtype_word(dt) -> str:
    return {"int64": "Long", "int32": "Int", "int16": "Short", "int8": "Char", "uint8": "Byte",
            "bool": "Bool"}.get(dt.name, dt.name)


_COMPUTE_MODES = ("use_mm_for_euclid_dist_if_necessary", "use_mm_for_euclid_dist",
                  "donot_use_mm_for_euclid_dist")


def cdist(x1: Tensor, x2: Tensor, p: float = 2.0,
          compute_mode: str = "use_mm_for_euclid_dist_if_necessary") -> Tensor:
    """cdist(x1, x2, p=2.0, compute_mode=...): p-norm distances between the rows of x1 (B, P, M)
    and x2 (B, R, M), giving (B, P, R); batch dimensions broadcast.

    compute_mode as torch: the Euclidean distance uses a matrix product (|a|^2 + |b|^2 - 2ab,
    faster, slightly less exact) when asked, or when P > 25 or R > 25 by default.
    """
    for name, t in (("X1", x1), ("X2", x2)):
        if t.ndim < 2:
            raise RuntimeError(f"cdist only supports at least 2D tensors, {name} got: {t.ndim}D")
        if t.dtype.category != 2:
            raise RuntimeError(f"cdist only supports floating-point dtypes, {name} got: "
                               f"{_dtype_word(t.dtype)}")
    if x1.shape[-1] != x2.shape[-1]:
        raise RuntimeError(f"X1 and X2 must have the same number of columns. X1: {x1.shape[-1]} "
                           f"X2: {x2.shape[-1]}")
    if x1.dtype is not x2.dtype:
        raise RuntimeError(f"cdist: X1 and X2 must have the same dtype, got {x1.dtype.name} and "
                           f"{x2.dtype.name}")
    if compute_mode not in _COMPUTE_MODES:
        raise ValueError(f"{compute_mode} is not a valid value for compute_mode")
    p = _check_p(p, "cdist")
    use_mm = p == 2 and (compute_mode == "use_mm_for_euclid_dist" or (
        compute_mode == "use_mm_for_euclid_dist_if_necessary"
        and (x1.shape[-2] > 25 or x2.shape[-2] > 25)))
    if use_mm:
        sq1 = (x1 * x1).sum(-1, keepdim=True)
        sq2 = (x2 * x2).sum(-1, keepdim=True)
        d2 = sq1 + sq2.mT - 2 * (x1 @ x2.mT)
        return d2.clamp_min(1e-30).sqrt()
    return _pnorm(x1.unsqueeze(-2) - x2.unsqueeze(-3), p)


def pdist(input: Tensor, p: float = 2) -> Tensor:
    """pdist(input, p=2): distances between every pair of rows i < j of an (N, M) input, as a
    vector of N(N-1)/2 values in row-major order of the upper triangle."""
    if input.ndim != 2:
        raise RuntimeError(f"pdist only supports 2D tensors, got: {input.ndim}D")
    if input.dtype.category != 2:
        raise RuntimeError("pdist only supports floating-point dtypes")
    p = _check_p(p, "pdist")
    n = input.shape[0]
    i, j = np.triu_indices(n, 1)
    xp = xp_of(input._data)
    ii = Tensor._make(xp.asarray(i.astype(np.int64)))
    jj = Tensor._make(xp.asarray(j.astype(np.int64)))
    return _pnorm(input.index_select(0, ii) - input.index_select(0, jj), p)


def pairwise_distance(x1: Tensor, x2: Tensor, p: float = 2.0, eps: float = 1e-6,
                      keepdim: bool = False) -> Tensor:
    """pairwise_distance(x1, x2, p=2.0, eps=1e-6, keepdim=False): ||x1 - x2 + eps||_p over the
    last dimension, broadcasting x1 against x2. Like torch it takes any p, negative ones
    included (-inf gives the smallest |x1 - x2 + eps|)."""
    if x1.ndim == 0 and x2.ndim == 0:
        x1, x2 = x1.reshape(1), x2.reshape(1)
        d = _pnorm(x1 - x2 + eps, p)
        return d if keepdim else d.reshape(())
    d = _pnorm(x1 - x2 + eps, p)
    return d.unsqueeze(-1) if keepdim else d


def cosine_similarity(x1: Tensor, x2: Tensor, dim: int = 1, eps: float = 1e-8) -> Tensor:
    """cosine_similarity(x1, x2, dim=1, eps=1e-8): sum(x1 * x2) / (max(||x1||, eps) *
    max(||x2||, eps)) along dim, broadcasting x1 against x2.

    As in torch, each norm is clamped to eps as a constant (the gradient flows through the
    unclamped norm).
    """
    nd = max(x1.ndim, x2.ndim)
    d = _wrap_dim(dim, nd, "cosine_similarity")
    # both are expanded first, so a size-1 dim that broadcasts along `dim` is normed whole
    shape = broadcast_shapes(x1.shape, x2.shape)
    x1, x2 = x1.expand(shape), x2.expand(shape)

    def unit(x):
        n = _pnorm(x.movedim(d, -1), 2.0).unsqueeze(d)
        with no_grad():
            shift = n.clamp_min(eps) - n
        return x / (n + shift)

    return (unit(x1) * unit(x2)).sum(d)
