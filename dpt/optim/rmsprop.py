"""RMSprop (centered and momentum variants)."""
from __future__ import annotations

from .. import _device
from .optimizer import (Optimizer, _add_weight_decay, _check_nonnegative, _closure_loss, _lerp_,
                        _real, _start_update)

__all__ = ["RMSprop", "rmsprop"]


class RMSprop(Optimizer):
    """RMSprop(params, lr=1e-2, alpha=0.99, eps=1e-8, weight_decay=0, momentum=0, centered=False, *, maximize=False).

    v = alpha v + (1 - alpha) g^2; centered: v~ = v - (EMA of g)^2; avg = sqrt(v~) + eps;
    momentum: b = momentum b + g / avg, p -= lr b; else p -= lr g / avg.
    """

    def __init__(self, params, lr: float = 1e-2, alpha: float = 0.99, eps: float = 1e-8,
                 weight_decay: float = 0, momentum: float = 0, centered: bool = False,
                 capturable: bool = False, foreach=None, maximize: bool = False,
                 differentiable: bool = False):
        _check_nonnegative(lr=lr, eps=eps, momentum=momentum, weight_decay=weight_decay,
                           alpha=alpha)
        defaults = dict(lr=lr, momentum=momentum, alpha=alpha, eps=eps, centered=centered,
                        weight_decay=weight_decay, capturable=capturable, foreach=foreach,
                        maximize=maximize, differentiable=differentiable)
        super().__init__(params, defaults)

    def step(self, closure=None):
        loss = _closure_loss(closure)
        for group in self.param_groups:
            buffers = (("square_avg",) + (("momentum_buffer",) if group["momentum"] > 0 else ())
                       + (("grad_avg",) if group["centered"] else ()))
            params, grads, states = self._group_state(group, buffers)
            if not params:
                continue
            rmsprop(params, grads, states, lr=float(group["lr"]),
                    alpha=group["alpha"], eps=group["eps"], weight_decay=group["weight_decay"],
                    momentum=group["momentum"], centered=group["centered"],
                    maximize=group["maximize"])
        return loss


def rmsprop(params, grads, states, *, lr, alpha, eps, weight_decay, momentum, centered, maximize):
    """The RMSprop update on raw arrays, in place."""
    for p, g, st in zip(params, grads, states):
        w, g, _ = _start_update(p, g, st, maximize)
        xp = _device.xp_of(w)
        g = _add_weight_decay(w, g, lr, weight_decay)
        sq = _real(st["square_avg"]._data)
        sq *= alpha
        sq += (1 - alpha) * g * g
        if centered:
            ga = _real(st["grad_avg"]._data)
            _lerp_(ga, g, 1 - alpha)
            avg = sq - ga * ga
            xp.sqrt(avg, out=avg)
        else:
            avg = xp.sqrt(sq)
        avg += eps
        if momentum > 0:
            buf = _real(st["momentum_buffer"]._data)
            buf *= momentum
            buf += g / avg
            w -= lr * buf
        else:
            w -= lr * (g / avg)
        p._vc[0] += 1
        for t in st.values():
            t._vc[0] += 1
