"""Adagrad with learning-rate decay and an initial accumulator value."""
from __future__ import annotations

from .. import _device
from .._tensor import Tensor
from .optimizer import (Optimizer, _add_weight_decay, _check_nonnegative, _closure_loss, _real,
                        _scalar_state, _start_update)

__all__ = ["Adagrad", "adagrad"]


class Adagrad(Optimizer):
    """Adagrad(params, lr=1e-2, lr_decay=0, weight_decay=0, initial_accumulator_value=0, eps=1e-10, *, maximize=False).

    clr = lr / (1 + (t - 1) lr_decay); s += g^2; p -= clr g / (sqrt(s) + eps).
    State is created at construction (step=0, sum=initial_accumulator_value), as in torch.
    """

    def __init__(self, params, lr: float = 1e-2, lr_decay: float = 0, weight_decay: float = 0,
                 initial_accumulator_value: float = 0, eps: float = 1e-10, foreach=None, *,
                 maximize: bool = False, differentiable: bool = False, fused=None):
        _check_nonnegative(lr=lr, lr_decay=lr_decay, weight_decay=weight_decay,
                           initial_accumulator_value=initial_accumulator_value, eps=eps)
        defaults = dict(lr=lr, lr_decay=lr_decay, eps=eps, weight_decay=weight_decay,
                        initial_accumulator_value=initial_accumulator_value, foreach=foreach,
                        maximize=maximize, differentiable=differentiable, fused=fused)
        super().__init__(params, defaults)
        for group in self.param_groups:
            for p in group["params"]:
                st = self.state[p]
                st["step"] = _scalar_state()
                xp = _device.xp_of(p._data)
                init = group["initial_accumulator_value"]
                if p.is_complex():
                    init = complex(init, init)
                with _device.device_context(p.device):
                    st["sum"] = Tensor._make(xp.full_like(p._data, init))

    def step(self, closure=None):
        loss = _closure_loss(closure)
        for group in self.param_groups:
            params, grads, states = self._group_state(group)
            if not params:
                continue
            adagrad(params, grads, states, lr=float(group["lr"]),
                    weight_decay=group["weight_decay"], lr_decay=group["lr_decay"],
                    eps=group["eps"], maximize=group["maximize"])
        return loss


def adagrad(params, grads, states, *, lr, weight_decay, lr_decay, eps, maximize):
    """The Adagrad update on raw arrays, in place."""
    for p, g, st in zip(params, grads, states):
        w, g, step = _start_update(p, g, st, maximize)
        xp = _device.xp_of(w)
        g = _add_weight_decay(w, g, lr, weight_decay)
        clr = lr / (1 + (step - 1) * lr_decay)
        s = _real(st["sum"]._data)
        s += g * g
        std = xp.sqrt(s)
        std += eps
        w -= clr * (g / std)
        p._vc[0] += 1
        st["sum"]._vc[0] += 1
