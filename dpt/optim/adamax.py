"""Adamax: Adam with the infinity norm."""
from __future__ import annotations

from .. import _device
from .optimizer import (Optimizer, _add_weight_decay, _check_betas, _check_nonnegative,
                        _closure_loss, _lerp_, _real, _start_update)

__all__ = ["Adamax", "adamax"]


class Adamax(Optimizer):
    """Adamax(params, lr=2e-3, betas=(0.9, 0.999), eps=1e-8, weight_decay=0, *, maximize=False).

    m = b1 m + (1 - b1) g; u = max(b2 u, |g| + eps); p -= lr / (1 - b1^t) * m / u.
    """

    def __init__(self, params, lr: float = 2e-3, betas=(0.9, 0.999), eps: float = 1e-8,
                 weight_decay: float = 0, foreach=None, *, maximize: bool = False,
                 differentiable: bool = False, capturable: bool = False):
        _check_nonnegative(lr=lr, eps=eps)
        _check_betas(betas)
        _check_nonnegative(weight_decay=weight_decay)
        defaults = dict(lr=lr, betas=betas, eps=eps, weight_decay=weight_decay, foreach=foreach,
                        maximize=maximize, differentiable=differentiable, capturable=capturable)
        super().__init__(params, defaults)

    def step(self, closure=None):
        loss = _closure_loss(closure)
        for group in self.param_groups:
            params, grads, states = self._group_state(group, ("exp_avg", "exp_inf"))
            if not params:
                continue
            beta1, beta2 = group["betas"]
            adamax(params, grads, states, lr=float(group["lr"]), beta1=beta1, beta2=beta2,
                   eps=group["eps"], weight_decay=group["weight_decay"],
                   maximize=group["maximize"])
        return loss


def adamax(params, grads, states, *, lr, beta1, beta2, eps, weight_decay, maximize):
    """The Adamax update on raw arrays, in place."""
    for p, g, st in zip(params, grads, states):
        w, g, step = _start_update(p, g, st, maximize)
        xp = _device.xp_of(w)
        g = _add_weight_decay(w, g, lr, weight_decay)
        m = _real(st["exp_avg"]._data)
        u = _real(st["exp_inf"]._data)
        _lerp_(m, g, 1 - beta1)
        u *= beta2
        absg = xp.abs(g)
        absg += eps
        xp.maximum(u, absg, out=u)
        clr = lr / (1 - beta1 ** step)
        w -= clr * (m / u)
        p._vc[0] += 1
        st["exp_avg"]._vc[0] += 1
        st["exp_inf"]._vc[0] += 1
