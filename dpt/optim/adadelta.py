"""Adadelta."""
from __future__ import annotations

from .. import _device
from .optimizer import (Optimizer, _closure_loss, _params_with_grad, _real, _step_tensor,
                        _zeros_like)

__all__ = ["Adadelta", "adadelta"]


class Adadelta(Optimizer):
    """Adadelta(params, lr=1.0, rho=0.9, eps=1e-6, weight_decay=0, *, maximize=False).

    v = rho v + (1 - rho) g^2; dx = sqrt(u + eps) / sqrt(v + eps) * g;
    u = rho u + (1 - rho) dx^2; p -= lr dx.
    """

    def __init__(self, params, lr: float = 1.0, rho: float = 0.9, eps: float = 1e-6,
                 weight_decay: float = 0, foreach=None, *, capturable: bool = False,
                 maximize: bool = False, differentiable: bool = False):
        if not 0.0 <= lr:
            raise ValueError(f"Invalid learning rate: {lr}")
        if not 0.0 <= rho <= 1.0:
            raise ValueError(f"Invalid rho value: {rho}")
        if not 0.0 <= eps:
            raise ValueError(f"Invalid epsilon value: {eps}")
        if not 0.0 <= weight_decay:
            raise ValueError(f"Invalid weight_decay value: {weight_decay}")
        defaults = dict(lr=lr, rho=rho, eps=eps, weight_decay=weight_decay, maximize=maximize,
                        capturable=capturable, foreach=foreach, differentiable=differentiable)
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
                    st["square_avg"] = _zeros_like(p)
                    st["acc_delta"] = _zeros_like(p)
                states.append(st)
            adadelta([p for p, _ in pairs], [g for _, g in pairs], states, lr=float(group["lr"]),
                     rho=group["rho"], eps=group["eps"], weight_decay=group["weight_decay"],
                     maximize=group["maximize"])
        return loss


def adadelta(params, grads, states, *, lr, rho, eps, weight_decay, maximize):
    """The Adadelta update on raw arrays, in place."""
    for p, g, st in zip(params, grads, states):
        w = _real(p._data)
        g = _real(g)
        xp = _device.xp_of(w)
        st["step"]._data += 1
        if maximize:
            g = -g
        if weight_decay != 0:
            g = g + weight_decay * w
        sq = _real(st["square_avg"]._data)
        acc = _real(st["acc_delta"]._data)
        sq *= rho
        sq += (1 - rho) * g * g
        std = xp.sqrt(sq + eps)
        delta = xp.sqrt(acc + eps)
        delta /= std
        delta *= g
        acc *= rho
        acc += (1 - rho) * delta * delta
        w -= lr * delta
        p._vc[0] += 1
        st["square_avg"]._vc[0] += 1
        st["acc_delta"]._vc[0] += 1
