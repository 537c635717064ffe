"""Adam (with amsgrad, L2 weight decay and maximize); AdamW reuses the same update."""
from __future__ import annotations

import math

from .. import _device
from .optimizer import (Optimizer, _add_weight_decay, _check_betas, _check_nonnegative,
                        _closure_loss, _lerp_, _real, _start_update)

__all__ = ["Adam", "adam"]


class Adam(Optimizer):
    """Adam(params, lr=1e-3, betas=(0.9, 0.999), eps=1e-8, weight_decay=0, amsgrad=False, *, maximize=False).

    m = b1 m + (1 - b1) g;  v = b2 v + (1 - b2) g^2;  (amsgrad: v_max = max(v_max, v))
    p = p - lr / (1 - b1^t) * m / (sqrt(v) / sqrt(1 - b2^t) + eps).
    """

    def __init__(self, params, lr: float = 1e-3, betas=(0.9, 0.999), eps: float = 1e-8,
                 weight_decay: float = 0, amsgrad: bool = False, *, foreach=None,
                 maximize: bool = False, capturable: bool = False, differentiable: bool = False,
                 fused=None, decoupled_weight_decay: bool = False):
        _check_nonnegative(lr=lr, eps=eps)
        _check_betas(betas)
        _check_nonnegative(weight_decay=weight_decay)
        defaults = dict(lr=lr, betas=betas, eps=eps, weight_decay=weight_decay, amsgrad=amsgrad,
                        maximize=maximize, foreach=foreach, capturable=capturable,
                        differentiable=differentiable, fused=fused,
                        decoupled_weight_decay=decoupled_weight_decay)
        super().__init__(params, defaults)

    def step(self, closure=None):
        """One Adam update of every parameter that has a gradient; returns closure's loss."""
        loss = _closure_loss(closure)
        for group in self.param_groups:
            amsgrad = group["amsgrad"]
            buffers = ("exp_avg", "exp_avg_sq") + (("max_exp_avg_sq",) if amsgrad else ())
            params, grads, states = self._group_state(group, buffers)
            if not params:
                continue
            beta1, beta2 = group["betas"]
            adam(params, grads, states, amsgrad=amsgrad, beta1=beta1, beta2=beta2,
                 lr=float(group["lr"]), weight_decay=group["weight_decay"], eps=group["eps"],
                 maximize=group["maximize"],
                 decoupled_weight_decay=group.get("decoupled_weight_decay", False))
        return loss


def adam(params, grads, states, *, amsgrad, beta1, beta2, lr, weight_decay, eps, maximize,
         decoupled_weight_decay=False):
    """The Adam/AdamW update on raw arrays, in place (state tensors updated too)."""
    for p, g, st in zip(params, grads, states):
        w, g, step = _start_update(p, g, st, maximize)
        xp = _device.xp_of(w)
        g = _add_weight_decay(w, g, lr, weight_decay, decoupled_weight_decay)
        m = _real(st["exp_avg"]._data)
        v = _real(st["exp_avg_sq"]._data)
        _update_moments(m, v, g, beta1, beta2)
        bias_correction1 = 1 - beta1 ** step
        bias_correction2 = 1 - beta2 ** step
        step_size = lr / bias_correction1
        bc2_sqrt = math.sqrt(bias_correction2)
        if amsgrad:
            vmax = _real(st["max_exp_avg_sq"]._data)
            xp.maximum(vmax, v, out=vmax)
            denom = xp.sqrt(vmax)
        else:
            denom = xp.sqrt(v)
        denom /= bc2_sqrt
        denom += eps
        upd = xp.divide(m, denom, out=denom)
        upd *= -step_size
        w += upd
        p._vc[0] += 1
        for key in ("exp_avg", "exp_avg_sq", "max_exp_avg_sq"):
            if key in st:
                st[key]._vc[0] += 1


def _update_moments(m, v, g, beta1: float, beta2: float) -> None:
    """Adam's running averages, in place: m of the gradient, v of its square."""
    _lerp_(m, g, 1 - beta1)
    v *= beta2
    v += (1 - beta2) * g * g
