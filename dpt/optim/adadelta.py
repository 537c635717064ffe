"""Adadelta."""
from __future__ import annotations

from .. import _device
from .optimizer import (Optimizer, _add_weight_decay, _check_nonnegative, _closure_loss, _real,
                        _start_update)

__all__ = ["Adadelta", "adadelta"]


class Adadelta(Optimizer):
    """Adadelta(params, lr=1.0, rho=0.9, eps=1e-6, weight_decay=0, *, maximize=False).

    v = rho v + (1 - rho) g^2; dx = sqrt(u + eps) / sqrt(v + eps) * g;
    u = rho u + (1 - rho) dx^2; p -= lr dx.
    """

    def __init__(self, params, lr: float = 1.0, rho: float = 0.9, eps: float = 1e-6,
                 weight_decay: float = 0, foreach=None, *, capturable: bool = False,
                 maximize: bool = False, differentiable: bool = False):
        _check_nonnegative(lr=lr)
        if not 0.0 <= rho <= 1.0:
            raise ValueError(f"Invalid rho value: {rho}")
        _check_nonnegative(eps=eps, weight_decay=weight_decay)
        defaults = dict(lr=lr, rho=rho, eps=eps, weight_decay=weight_decay, maximize=maximize,
                        capturable=capturable, foreach=foreach, differentiable=differentiable)
        super().__init__(params, defaults)

    def step(self, closure=None):
        loss = _closure_loss(closure)
        for group in self.param_groups:
            params, grads, states = self._group_state(group, ("square_avg", "acc_delta"))
            if not params:
                continue
            adadelta(params, grads, states, lr=float(group["lr"]), rho=group["rho"],
                     eps=group["eps"], weight_decay=group["weight_decay"],
                     maximize=group["maximize"])
        return loss


def adadelta(params, grads, states, *, lr, rho, eps, weight_decay, maximize):
    """The Adadelta update on raw arrays, in place."""
    for p, g, st in zip(params, grads, states):
        w, g, _ = _start_update(p, g, st, maximize)
        xp = _device.xp_of(w)
        g = _add_weight_decay(w, g, lr, weight_decay)
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
