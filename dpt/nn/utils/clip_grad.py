"""Gradient clipping: by total norm (clip_grad_norm_) and by value (clip_grad_value_).

The arithmetic runs on the raw gradient arrays, in place; each touched gradient's
version counter is bumped as an in-place op would.
"""
from __future__ import annotations

import math
import warnings

from ... import _device
from ..._tensor import Tensor
from ...autograd.grad_mode import no_grad
from ...ops.creation import tensor as _tensor

__all__ = ["clip_grad_norm_", "clip_grad_norm", "clip_grad_value_", "get_total_norm",
           "clip_grads_with_norm_"]


def _as_list(tensors):
    return [tensors] if isinstance(tensors, Tensor) else list(tensors)


@_device.runs_on(0)
def _norm(arr, norm_type: float):
    """The vector norm of one array, as a float64 0-d array on the array's device."""
    xp = _device.xp_of(arr)
    a = xp.abs(arr.astype(xp.float64) if arr.dtype.kind == "f" and arr.dtype.itemsize < 8 else arr)
    if a.size == 0:
        return xp.zeros((), xp.float64)
    if norm_type == math.inf:
        return a.max().astype(xp.float64)
    if norm_type == -math.inf:
        return a.min().astype(xp.float64)
    if norm_type == 0:
        return (a != 0).sum().astype(xp.float64)
    if norm_type == 2:
        return xp.sqrt((a * a).sum()).astype(xp.float64)
    if norm_type == 1:
        return a.sum().astype(xp.float64)
    return ((a ** norm_type).sum() ** (1.0 / norm_type)).astype(xp.float64)


def get_total_norm(tensors, norm_type: float = 2.0, error_if_nonfinite: bool = False,
                   foreach=None) -> Tensor:
    """The norm of the norms of the given tensors (as if they were one long vector)."""
    tensors = [t for t in _as_list(tensors) if t is not None]
    norm_type = float(norm_type)
    if not tensors:
        return _tensor(0.0)
    first = tensors[0]
    dev = first.device
    norms = [_device.move(_norm(t._data, norm_type), dev) for t in tensors]
    xp = _device.xp_of(first._data)
    with _device.device_context(dev):
        stacked = xp.stack([xp.asarray(n) for n in norms])
        total = _norm(stacked, norm_type)
        finite = bool(xp.isfinite(total))
    if error_if_nonfinite and not finite:
        raise RuntimeError(f"The total norm of order {norm_type} for gradients from `parameters` "
                           f"is non-finite, so it cannot be clipped. To disable this error and "
                           f"scale the gradients by the non-finite norm anyway, set "
                           f"`error_if_nonfinite=False`")
    out_dtype = first._data.dtype if first._data.dtype.kind == "f" else xp.float32
    with _device.device_context(dev):
        return Tensor._make(xp.asarray(total, dtype=out_dtype))


def clip_grads_with_norm_(parameters, max_norm: float, total_norm: Tensor, foreach=None) -> None:
    """Scale the gradients by min(1, max_norm / (total_norm + 1e-6))."""
    params = _as_list(parameters)
    grads = [p.grad for p in params if p.grad is not None]
    if not grads:
        return
    coef = float(max_norm) / (float(total_norm.item()) + 1e-6)
    if coef < 1.0 or math.isnan(coef):
        with no_grad():
            for g in grads:
                with _device.device_context(g.device):
                    g._data *= g._data.dtype.type(coef) if g._data.dtype.kind == "f" else coef
                g._vc[0] += 1


def clip_grad_norm_(parameters, max_norm: float, norm_type: float = 2.0,
                    error_if_nonfinite: bool = False, foreach=None) -> Tensor:
    """clip_grad_norm_(parameters, max_norm, norm_type=2.0, error_if_nonfinite=False).

    Scales all gradients together so that their total norm is at most max_norm
    (norm_type may be inf) and returns the total norm measured before clipping.
    """
    params = _as_list(parameters)
    grads = [p.grad for p in params if p.grad is not None]
    total = get_total_norm(grads, norm_type, error_if_nonfinite)
    if grads:
        clip_grads_with_norm_(params, max_norm, total)
    return total


def clip_grad_norm(parameters, max_norm: float, norm_type: float = 2.0,
                   error_if_nonfinite: bool = False, foreach=None) -> Tensor:
    """Deprecated alias of clip_grad_norm_."""
    warnings.warn("`torch.nn.utils.clip_grad_norm` is now deprecated in favor of "
                  "`torch.nn.utils.clip_grad_norm_`.", FutureWarning, stacklevel=2)
    return clip_grad_norm_(parameters, max_norm, norm_type, error_if_nonfinite, foreach)


def clip_grad_value_(parameters, clip_value: float, foreach=None) -> None:
    """Clamp every gradient element into [-clip_value, clip_value], in place."""
    clip_value = float(clip_value)
    for p in _as_list(parameters):
        g = p.grad
        if g is None:
            continue
        xp = _device.xp_of(g._data)
        with _device.device_context(g.device):
            xp.clip(g._data, -clip_value, clip_value, out=g._data)
        g._vc[0] += 1
