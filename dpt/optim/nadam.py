"""NAdam: Adam with Nesterov momentum and a momentum-decay schedule."""
from __future__ import annotations

import numpy as np

from .. import _device
from .._tensor import Tensor
from .optimizer import (Optimizer, _check_betas, _closure_loss, _lerp_, _params_with_grad, _real,
                        _step_tensor, _zeros_like)

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
        if not 0.0 <= lr:
            raise ValueError(f"Invalid learning rate: {lr}")
        if not 0.0 <= eps:
            raise ValueError(f"Invalid epsilon value: {eps}")
        _check_betas(betas)
        if not 0.0 <= weight_decay:
            raise ValueError(f"Invalid weight_decay value: {weight_decay}")
        if not 0.0 <= momentum_decay:
            raise ValueError(f"Invalid momentum_decay value: {momentum_decay}")
        defaults = dict(lr=lr, betas=betas, eps=eps, weight_decay=weight_decay,
                        momentum_decay=momentum_decay,
                        decoupled_weight_decay=decoupled_weight_decay, maximize=maximize,
                        foreach=foreach, capturable=capturable, differentiable=differentiable)
        super().__init__(params, defaults)

    def step(self, closure=None):
        loss = _closure_loss(closure)
        for group in self.param_groups:
            pairs = _params_with_grad(group)
            if not pairs:
                continue
            states = []
            for p, _ in pairs:
                st = self.state[p]
                if len(st) == 0:
                    st["step"] = _step_tensor()
                    st["mu_product"] = Tensor._make(np.array(1.0, dtype=np.float32))
                    st["exp_avg"] = _zeros_like(p)
                    st["exp_avg_sq"] = _zeros_like(p)
                states.append(st)
            beta1, beta2 = group["betas"]
            nadam([p for p, _ in pairs], [g for _, g in pairs], states, lr=float(group["lr"]),
                  beta1=beta1, beta2=beta2, eps=group["eps"], weight_decay=group["weight_decay"],
                  momentum_decay=group["momentum_decay"],
                  decoupled_weight_decay=group["decoupled_weight_decay"],
                  maximize=group["maximize"])
        return loss


def nadam(params, grads, states, *, lr, beta1, beta2, eps, weight_decay, momentum_decay,
          decoupled_weight_decay, maximize):
    """The NAdam update on raw arrays, in place (mu_product kept in float32 as torch does)."""
    for p, g, st in zip(params, grads, states):
        w = _real(p._data)
        g = _real(g)
        xp = _device.xp_of(w)
        if maximize:
            g = -g
        st["step"]._data += 1
        step = float(st["step"]._data)
        bias_correction2 = 1 - beta2 ** step
        if weight_decay != 0:
            if decoupled_weight_decay:
                w *= 1 - lr * weight_decay
            else:
                g = g + weight_decay * w
        mu = beta1 * (1.0 - 0.5 * (0.96 ** (step * momentum_decay)))
        mu_next = beta1 * (1.0 - 0.5 * (0.96 ** ((step + 1) * momentum_decay)))
        mu_prod = st["mu_product"]._data
        mu_prod *= mu
        mu_product = float(mu_prod)
        m = _real(st["exp_avg"]._data)
        v = _real(st["exp_avg_sq"]._data)
        _lerp_(m, g, 1 - beta1)
        v *= beta2
        v += (1 - beta2) * g * g
        denom = xp.sqrt(v / bias_correction2)
        denom += eps
        mu_product_next = mu_product * mu_next
        w += (-lr * (1.0 - mu) / (1.0 - mu_product)) * (g / denom)
        w += ((-lr * mu_next) / (1.0 - mu_product_next)) * (m / denom)
        p._vc[0] += 1
        st["exp_avg"]._vc[0] += 1
        st["exp_avg_sq"]._vc[0] += 1
