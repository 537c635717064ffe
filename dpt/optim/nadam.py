"""NAdam: Adam with Nesterov momentum and a momentum-decay schedule."""
from __future__ import annotations

from .. import _device
from .adam import _update_moments
from .optimizer import (Optimizer, _add_weight_decay, _check_betas, _check_nonnegative,
                        _closure_loss, _real, _start_update)

__all__ = ["NAdam", "nadam"]


class NAdam(Optimizer):
    """NAdam(params, lr=2e-3, betas=(0.9, 0.999), eps=1e-8, weight_decay=0, momentum_decay=4e-3, decoupled_weight_decay=False, *, maximize=False).

    mu_t = b1 (1 - 0.5 * 0.96^(t psi)); p -= lr (1 - mu_t) / (1 - prod mu) g / denom
    + lr mu_{t+1} / (1 - prod mu * mu_{t+1}) m / denom, denom = sqrt(v / (1 - b2^t)) + eps.
    """

    def __init__(self, params, lr: float = 2e-3, betas=(0.9, 0.999), eps: float = 1e-8,
                 weight_decay: float = 0, momentum_decay: float = 4e-3,
                 decoupled_weight_decay: bool = False, *, foreach=None, maximize: bool = False,
                 capturable: bool = False, differentiable: bool = False):
        _check_nonnegative(lr=lr, eps=eps)
        _check_betas(betas)
        _check_nonnegative(weight_decay=weight_decay, momentum_decay=momentum_decay)
        defaults = dict(lr=lr, betas=betas, eps=eps, weight_decay=weight_decay,
                        momentum_decay=momentum_decay,
                        decoupled_weight_decay=decoupled_weight_decay, maximize=maximize,
                        foreach=foreach, capturable=capturable, differentiable=differentiable)
        super().__init__(params, defaults)

    def step(self, closure=None):
        loss = _closure_loss(closure)
        for group in self.param_groups:
            params, grads, states = self._group_state(group, ("exp_avg", "exp_avg_sq"),
                                                      scalars={"mu_product": 1.0})
            if not params:
                continue
            beta1, beta2 = group["betas"]
            nadam(params, grads, states, lr=float(group["lr"]),
                  beta1=beta1, beta2=beta2, eps=group["eps"], weight_decay=group["weight_decay"],
                  momentum_decay=group["momentum_decay"],
                  decoupled_weight_decay=group["decoupled_weight_decay"],
                  maximize=group["maximize"])
        return loss


def nadam(params, grads, states, *, lr, beta1, beta2, eps, weight_decay, momentum_decay,
          decoupled_weight_decay, maximize):
    """The NAdam update on raw arrays, in place (mu_product kept in float32 as torch does)."""
    for p, g, st in zip(params, grads, states):
        w, g, step = _start_update(p, g, st, maximize)
        xp = _device.xp_of(w)
        bias_correction2 = 1 - beta2 ** step
        g = _add_weight_decay(w, g, lr, weight_decay, decoupled_weight_decay)
        mu = beta1 * (1.0 - 0.5 * (0.96 ** (step * momentum_decay)))
        mu_next = beta1 * (1.0 - 0.5 * (0.96 ** ((step + 1) * momentum_decay)))
        mu_prod = st["mu_product"]._data
        mu_prod *= mu
        mu_product = float(mu_prod)
        m = _real(st["exp_avg"]._data)
        v = _real(st["exp_avg_sq"]._data)
        _update_moments(m, v, g, beta1, beta2)
        denom = xp.sqrt(v / bias_correction2)
        denom += eps
        mu_product_next = mu_product * mu_next
        w += (-lr * (1.0 - mu) / (1.0 - mu_product)) * (g / denom)
        w += ((-lr * mu_next) / (1.0 - mu_product_next)) * (m / denom)
        p._vc[0] += 1
        st["exp_avg"]._vc[0] += 1
        st["exp_avg_sq"]._vc[0] += 1
