"""Rprop: resilient backpropagation (sign-based steps with per-element step sizes)."""
from __future__ import annotations

import numpy as np

from .. import _device
from .._tensor import Tensor
from .asgd import _check_capturable, _scalar_dtype
from .optimizer import Optimizer, _closure_loss, _real

__all__ = ["Rprop", "rprop"]


class Rprop(Optimizer):
    """Rprop(params, lr=1e-2, etas=(0.5, 1.2), step_sizes=(1e-6, 50), *, capturable=False, foreach=None, maximize=False, differentiable=False).

    Where g * prev > 0 the element's step size grows by etaplus, where < 0 it shrinks by
    etaminus and that gradient element is zeroed; sizes are clamped to step_sizes, then
    p -= sign(g) * step_size and prev = g.
    """

    def __init__(self, params, lr: float = 1e-2, etas=(0.5, 1.2), step_sizes=(1e-6, 50), *,
                 capturable: bool = False, foreach=None, maximize: bool = False,
                 differentiable: bool = False):
        if isinstance(lr, Tensor) and lr.numel() != 1:
            raise ValueError("Tensor lr must be 1-element")
        if not 0.0 <= lr:
            raise ValueError(f"Invalid learning rate: {lr}")
        if not 0.0 < etas[0] < 1.0 < etas[1]:
            raise ValueError(f"Invalid eta values: {etas[0]}, {etas[1]}")
        defaults = dict(lr=lr, etas=etas, step_sizes=step_sizes, foreach=foreach,
                        maximize=maximize, differentiable=differentiable, capturable=capturable)
        super().__init__(params, defaults)

    def step(self, closure=None):
        loss = _closure_loss(closure)
        for group in self.param_groups:
            params, grads, states = [], [], []
            for p in group["params"]:
                if p._grad is None:
                    continue
                st = self.state[p]
                if len(st) == 0:
                    g = p._grad._data
                    # 'step' lives on the CPU unless capturable, as in torch.
                    sxp = _device.xp_of(p._data) if group["capturable"] else np
                    st["step"] = Tensor._make(sxp.zeros((), dtype=_scalar_dtype()))
                    st["prev"] = Tensor._make(_device.xp_of(p._data).zeros_like(p._data))
                    lr = float(group["lr"])
                    fill = complex(lr, lr) if g.dtype.kind == "c" else lr
                    st["step_size"] = Tensor._make(_device.xp_of(g).full_like(g, fill))
                params.append(p)
                grads.append(p._grad._data)
                states.append(st)
            if not params:
                continue
            etaminus, etaplus = group["etas"]
            size_min, size_max = group["step_sizes"]
            rprop(params, grads, states, step_size_min=size_min, step_size_max=size_max,
                  etaminus=etaminus, etaplus=etaplus, maximize=group["maximize"],
                  capturable=group["capturable"])
        return loss


def rprop(params, grads, states, *, step_size_min, step_size_max, etaminus, etaplus, maximize,
          capturable=False):
    """The Rprop update on raw arrays, in place."""
    if capturable:
        _check_capturable(params, "params and state_steps")
    for p, g, st in zip(params, grads, states):
        xp = _device.xp_of(p._data)
        w, g = _real(p._data), _real(g)
        if maximize:
            g = -g
        st["step"]._data += 1
        prev = _real(st["prev"]._data)
        size = _real(st["step_size"]._data)
        sign = xp.sign(g * prev)
        factor = sign.copy()
        factor[sign > 0] = etaplus
        factor[sign < 0] = etaminus
        factor[sign == 0] = 1
        size *= factor
        xp.clip(size, step_size_min, step_size_max, out=size)
        g = g.copy()
        g[factor == etaminus] = 0
        w -= xp.sign(g) * size
        prev[...] = g
        p._vc[0] += 1
        st["prev"]._vc[0] += 1
        st["step_size"]._vc[0] += 1
