"""Muon: momentum SGD whose step for a matrix is orthogonalized by Newton-Schulz iterations."""
from __future__ import annotations

import math

from .. import _device
from .._tensor import Tensor
from .optimizer import Optimizer, _closure_loss, _lerp_

__all__ = ["Muon"]

EPS = 1e-7
DEFAULT_A = 3.4445
DEFAULT_B = -4.7750
DEFAULT_C = 2.0315
DEFAULT_NS_STEPS = 5


class Muon(Optimizer):
    """Muon(params, lr=1e-3, weight_decay=0.1, momentum=0.95, nesterov=True,
    ns_coefficients=(3.4445, -4.7750, 2.0315), eps=1e-7, ns_steps=5, adjust_lr_fn=None).

    For 2-D parameters only: B = momentum * B + (1 - momentum) * g (state 'momentum_buffer');
    the step direction (g lerped towards B by momentum with nesterov, else B) is
    orthogonalized by ns_steps quintic Newton-Schulz iterations in bfloat16, as torch does;
    p *= 1 - lr * weight_decay, then p -= lr' * O with lr' = lr * sqrt(max(1, rows / cols))
    ('original', the default) or lr * 0.2 * sqrt(max(rows, cols)) ('match_rms_adamw').
    """

    def __init__(self, params, lr: float = 1e-3, weight_decay: float = 0.1,
                 momentum: float = 0.95, nesterov: bool = True,
                 ns_coefficients=(DEFAULT_A, DEFAULT_B, DEFAULT_C), eps: float = EPS,
                 ns_steps: int = DEFAULT_NS_STEPS, adjust_lr_fn: str | None = None) -> None:
        if isinstance(lr, Tensor) and lr.numel() != 1:
            raise ValueError("Tensor lr must be 1-element")
        if not 0.0 <= lr:
            raise ValueError(f"Learning rate should be >= 0 but is: {lr}")
        if not 0.0 <= momentum:
            raise ValueError(f"momentum should be >= 0 but is: {momentum}")
        if not 0.0 <= weight_decay:
            raise ValueError(f"weight decay should be >= 0 but is: {weight_decay}")
        if adjust_lr_fn is not None and adjust_lr_fn not in ("original", "match_rms_adamw"):
            raise ValueError(f"Adjust learning rate function {adjust_lr_fn} is not supported")
        defaults = dict(lr=lr, weight_decay=weight_decay, momentum=momentum, nesterov=nesterov,
                        ns_coefficients=ns_coefficients, eps=eps, ns_steps=ns_steps,
                        adjust_lr_fn=adjust_lr_fn)
        super().__init__(params, defaults)
        for group in self.param_groups:
            for p in group["params"]:
                if p.ndim != 2:
                    raise ValueError(f"Muon only supports 2D parameters whereas we found a "
                                     f"parameter with size: {p.size()}")

    def step(self, closure=None):
        """One Muon update of every parameter that has a gradient; returns closure's loss."""
        loss = _closure_loss(closure)
        for group in self.param_groups:
            for p in group["params"]:
                if p._grad is None:
                    continue
                if p.is_complex():
                    raise RuntimeError("Muon does not support complex parameters")
                st = self.state[p]
                if "momentum_buffer" not in st:
                    st["momentum_buffer"] = Tensor._make(
                        _device.xp_of(p._data).zeros_like(p._grad._data))
                _muon_update(p, p._grad._data, st["momentum_buffer"], lr=float(group["lr"]),
                             weight_decay=group["weight_decay"], momentum=group["momentum"],
                             nesterov=group["nesterov"], ns_coefficients=group["ns_coefficients"],
                             ns_steps=group["ns_steps"], eps=group["eps"],
                             adjust_lr_fn=group["adjust_lr_fn"])
        return loss


def _bf16(arr):
    """Round a float32 array to bfloat16 precision, to nearest even (the precision torch's
    iteration runs at), on its bits: CuPy has no bfloat16 dtype."""
    xp = _device.xp_of(arr)
    arr = xp.ascontiguousarray(arr, dtype=xp.float32)
    bits = arr.view(xp.uint32)
    bits = (bits + (((bits >> 16) & 1) + 0x7FFF)) & 0xFFFF0000
    return xp.where(xp.isnan(arr), arr, bits.astype(xp.uint32).view(xp.float32))


def _zeropower_via_newtonschulz(grad, ns_coefficients, ns_steps: int, eps: float):
    """An approximately orthogonal matrix with grad's singular vectors (U S' V^T, S' ~ 1),
    by quintic Newton-Schulz iterations, each product rounded to bfloat16."""
    if ns_steps >= 100:
        raise ValueError("Number of steps must be less than 100 for computational efficiency")
    if grad.ndim != 2:
        raise ValueError("Input tensor gradient must be a 2D matrix")
    if len(ns_coefficients) != 3:
        raise ValueError("Coefficients must be a tuple of exactly 3 values")
    a, b, c = ns_coefficients
    xp = _device.xp_of(grad)
    x = _bf16(grad.astype(xp.float32))
    tall = grad.shape[0] > grad.shape[1]
    if tall:
        x = x.T
    norm = _bf16(xp.asarray(xp.linalg.norm(x), dtype=xp.float32))
    x = _bf16(x / xp.maximum(norm, _bf16(xp.asarray(eps, dtype=xp.float32))))
    for _ in range(ns_steps):
        gram = _bf16(x @ x.T)
        gram_update = _bf16(b * gram + c * (gram @ gram))
        x = _bf16(a * x + gram_update @ x)
    return x.T if tall else x


def _adjust_lr(lr: float, adjust_lr_fn, shape) -> float:
    rows, cols = shape[:2]
    if adjust_lr_fn is None or adjust_lr_fn == "original":
        return lr * math.sqrt(max(1, rows / cols))
    if adjust_lr_fn == "match_rms_adamw":
        return lr * 0.2 * math.sqrt(max(rows, cols))
    return lr


def _muon_update(p, g, buf, *, lr, weight_decay, momentum, nesterov, ns_coefficients, ns_steps,
                 eps, adjust_lr_fn):
    """One parameter's Muon step on raw arrays, in place."""
    if g.ndim != 2:
        raise ValueError("Param gradient must be a 2D matrix")
    m = buf._data
    _lerp_(m, g, 1 - momentum)
    if nesterov:
        direction = g.copy()
        _lerp_(direction, m, momentum)
    else:
        direction = m
    update = _zeropower_via_newtonschulz(direction, ns_coefficients, ns_steps, eps)
    w = p._data
    w *= 1 - lr * weight_decay
    w -= (_adjust_lr(lr, adjust_lr_fn, w.shape) * update).astype(w.dtype, copy=False)
    buf._vc[0] += 1
    p._vc[0] += 1
