"""F.pairwise_distance, F.cosine_similarity, F.pdist, F.cdist and F.normalize.

The distances themselves live in dpt.ops.distance (they are torch-level functions too).
"""
from __future__ import annotations

from ...autograd.grad_mode import no_grad
from ...ops.distance import _pnorm, cdist, cosine_similarity, pairwise_distance, pdist
from ..._tensor import Tensor, _wrap_dim

__all__ = ["pairwise_distance", "cosine_similarity", "pdist", "cdist", "normalize"]


def normalize(input: Tensor, p: float = 2.0, dim: int = 1, eps: float = 1e-12,
              out: Tensor | None = None) -> Tensor:
    """normalize(input, p=2.0, dim=1, eps=1e-12, out=None): input / max(||input||_p, eps) along
    dim."""
    if not isinstance(input, Tensor):
        raise TypeError(f"normalize(): argument 'input' must be Tensor, not "
                        f"{type(input).__name__}")
    d = _wrap_dim(dim, input.ndim, "normalize")
    x = input if input.ndim else input.reshape(1)
    norm = _pnorm(x.movedim(d, -1), p).unsqueeze(d).reshape(
        tuple(input.shape[:d]) + (1,) + tuple(input.shape[d + 1:]) if input.ndim else ())
    denom = norm.clamp_min(eps).expand_as(input)
    result = input / denom
    if out is None:
        return result
    with no_grad():
        out.resize_(tuple(result.shape)) if tuple(out.shape) != tuple(result.shape) else None
        out.copy_(result)
    return out
