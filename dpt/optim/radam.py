"""RAdam: Adam with a rectified adaptive learning rate."""
from __future__ import annotations

import math

from .. import _device
from .adam import _update_moments
from .optimizer import (Optimizer, _add_weight_decay, _check_betas, _check_nonnegative,
                        _closure_loss, _real, _start_update)

__all__ = ["RAdam", "radam"]


class RAdam(Optimizer):
    """RAdam(params, lr=1e-3, betas=(0.9, 0.999), eps=1e-8, weight_decay=0, decoupled_weight_decay=False, *, maximize=False).

    rho_t = rho_inf - 2 t b2^t / (1 - b2^t); if rho_t > 5 the step is the Adam step scaled
    by the rectification r_t, otherwise plain momentum: p -= lr m / (1 - b1^t).
    """

    def __init__(self, params, lr: float = 1e-3, betas=(0.9, 0.999), eps: float = 1e-8,
                 weight_decay: float = 0, decoupled_weight_decay: bool = False, *, foreach=None,
                 maximize: bool = False, capturable: bool = False, differentiable: bool = False):
        _check_nonnegative(lr=lr, eps=eps)
        _check_betas(betas)
        _check_nonnegative(weight_decay=weight_decay)
        defaults = dict(lr=lr, betas=betas, eps=eps, weight_decay=weight_decay, maximize=maximize,
                        foreach=foreach, capturable=capturable,
                        decoupled_weight_decay=decoupled_weight_decay,
                        differentiable=differentiable)
        super().__init__(params, defaults)

    def step(self, closure=None):
        loss = _closure_loss(closure)
        for group in self.param_groups:
            params, grads, states = self._group_state(group, ("exp_avg", "exp_avg_sq"))
            if not params:
                continue
            beta1, beta2 = group["betas"]
            radam(params, grads, states, lr=float(group["lr"]),
                  beta1=beta1, beta2=beta2, eps=group["eps"], weight_decay=group["weight_decay"],
                  decoupled_weight_decay=group["decoupled_weight_decay"],
                  maximize=group["maximize"])
        return loss


def radam(params, grads, states, *, lr, beta1, beta2, eps, weight_decay, decoupled_weight_decay,
          maximize):
    """The RAdam update on raw arrays, in place."""
    for p, g, st in zip(params, grads, states):
        w, g, step = _start_update(p, g, st, maximize)
        xp = _device.xp_of(w)
        g = _add_weight_decay(w, g, lr, weight_decay, decoupled_weight_decay)
        m = _real(st["exp_avg"]._data)
        v = _real(st["exp_avg_sq"]._data)
        _update_moments(m, v, g, beta1, beta2)
        bias_correction1 = 1 - beta1 ** step
        bias_correction2 = 1 - beta2 ** step
        m_hat = m / bias_correction1
        rho_inf = 2 / (1 - beta2) - 1
        rho_t = rho_inf - 2 * step * (beta2 ** step) / bias_correction2
        if rho_t > 5.0:
            rect = math.sqrt((rho_t - 4) * (rho_t - 2) * rho_inf
                             / ((rho_inf - 4) * (rho_inf - 2) * rho_t))
            root = xp.sqrt(v)
            root += eps
            adaptive = math.sqrt(bias_correction2) / root
            w -= m_hat * lr * adaptive * rect
        else:
            w -= m_hat * lr
        p._vc[0] += 1
        st["exp_avg"]._vc[0] += 1
        st["exp_avg_sq"]._vc[0] += 1
