"""Helpers shared by the distributions: broadcasting parameters, probs <-> logits, lazy_property."""
from __future__ import annotations

from functools import update_wrapper
from numbers import Number

import dpt
from .._tensor import Tensor
from ._tril import tril_matrix_to_vec, vec_to_tril_matrix  # noqa: F401 (torch has them here)

__all__ = ["broadcast_all", "logits_to_probs", "probs_to_logits", "clamp_probs", "lazy_property",
           "vec_to_tril_matrix", "tril_matrix_to_vec"]


def broadcast_all(*values):
    """broadcast_all(*values): numbers become tensors, then every value is broadcast together.

    Numbers take the dtype and device of the first tensor among values (the default dtype
    when there is none), as in torch.
    """
    if not all(isinstance(v, (Tensor, Number)) for v in values):
        raise ValueError("Input arguments must all be instances of numbers.Number, "
                         "dpt.Tensor or objects implementing __torch_function__.")
    if all(isinstance(v, Tensor) for v in values):
        return dpt.broadcast_tensors(*values)
    like = next((v for v in values if isinstance(v, Tensor)), None)
    opts = {"dtype": dpt.get_default_dtype()} if like is None else \
        {"dtype": like.dtype, "device": like.device}
    values = [v if isinstance(v, Tensor) else dpt.tensor(v, **opts) for v in values]
    return dpt.broadcast_tensors(*values)


def _sum_rightmost(value, dim: int):
    """Sum out the dim rightmost dimensions of value (value itself when dim is 0)."""
    if dim == 0:
        return value
    return value.reshape(value.shape[:value.dim() - dim] + (-1,)).sum(-1)


def logits_to_probs(logits: Tensor, is_binary: bool = False) -> Tensor:
    """Sigmoid of binary logits, softmax over the last dimension otherwise."""
    if is_binary:
        return dpt.sigmoid(logits)
    return dpt.softmax(logits, dim=-1)


def clamp_probs(probs: Tensor) -> Tensor:
    """Clamp into [eps, 1 - eps] so that logs of probabilities stay finite."""
    eps = dpt.finfo(probs.dtype).eps
    return probs.clamp(min=eps, max=1 - eps)


def probs_to_logits(probs: Tensor, is_binary: bool = False) -> Tensor:
    """log(p) - log(1 - p) for binary probabilities, log(p) otherwise (after clamp_probs)."""
    p = clamp_probs(probs)
    if is_binary:
        return dpt.log(p) - dpt.log1p(-p)
    return dpt.log(p)


class lazy_property:
    """A property computed on first access and then stored in the instance's __dict__.

    The value is computed with gradients enabled, so a lazily derived parameter (logits
    from probs, covariance from scale_tril) stays connected to what it came from.
    """

    def __init__(self, wrapped):
        self.wrapped = wrapped
        update_wrapper(self, wrapped)

    def __get__(self, instance, obj_type=None):
        if instance is None:
            return _lazy_property_and_property(self.wrapped)
        with dpt.enable_grad():
            value = self.wrapped(instance)
        setattr(instance, self.wrapped.__name__, value)
        return value


class _lazy_property_and_property(lazy_property, property):
    """What the class attribute looks like: a lazy_property that is also a property, so
    documentation tools and isinstance(..., property) see it as one."""

    def __init__(self, wrapped):
        property.__init__(self, wrapped)


def init_probs_or_logits(dist, probs, logits):
    """Store the one of probs/logits given, as a tensor, on dist (and as dist._param); return
    the batch shape it implies (empty for a Python number)."""
    if (probs is None) == (logits is None):
        raise ValueError("Either `probs` or `logits` must be specified, but not both.")
    name, value = ("probs", probs) if probs is not None else ("logits", logits)
    (param,) = broadcast_all(value)
    setattr(dist, name, param)
    dist._param = param
    return dpt.Size() if isinstance(value, Number) else param.size()


def expand_probs_or_logits(src, new, batch_shape) -> None:
    """new's probs/logits (whichever src has computed) expanded to batch_shape."""
    for name in ("probs", "logits"):
        if name in src.__dict__:
            setattr(new, name, getattr(src, name).expand(batch_shape))
            new._param = getattr(new, name)
