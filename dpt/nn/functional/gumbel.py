"""gumbel_softmax: a differentiable sample from the Gumbel-softmax (Concrete) distribution."""
from __future__ import annotations

import warnings

from ... import ops
from ..._memory_format import contiguous_format
from ..._tensor import Tensor

__all__ = ["gumbel_softmax"]


def gumbel_softmax(logits: Tensor, tau: float = 1, hard: bool = False, eps: float = 1e-10,
                   dim: int = -1) -> Tensor:
    """gumbel_softmax(logits, tau=1, hard=False, eps=1e-10, dim=-1).

    softmax((logits + g) / tau) with g ~ Gumbel(0, 1) drawn as -log(Exponential(1)), the
    same generator calls as torch. hard=True returns the one-hot argmax in the forward pass
    with the soft sample's gradient (straight-through). eps is deprecated and unused.
    """
    if eps != 1e-10:
        warnings.warn("`eps` parameter is deprecated and has no effect.", stacklevel=2)
    # row-major noise, as torch's legacy_contiguous_format, so draws match for any strides
    gumbels = -ops.empty_like(logits, memory_format=contiguous_format).exponential_().log()
    y_soft = ((logits + gumbels) / tau).softmax(dim)
    if not hard:
        return y_soft
    index = y_soft.max(dim, keepdim=True)[1]
    y_hard = ops.zeros_like(logits).scatter_(dim, index, 1.0)
    return y_hard - y_soft.detach() + y_soft
