"""Adagrad with learning-rate decay and an initial accumulator value."""
from __future__ import annotations

from .. import _device
from .._tensor import Tensor
from .optimizer import Optimizer, _closure_loss, _params_with_grad, _real, _step_tensor

__all__ = ["Adagrad", "adagrad"]


class Adagrad(Optimizer):
    """Adagrad(params, lr=1e-2, lr_decay=0, weight_decay=0, initial_accumulator_value=0, eps=1e-10, *, maximize=False).

    clr = lr / (1 + (t - 1) lr_decay); s += g^2; p -= clr g / (sqrt(s) + eps).
    State is created at construction (step=0, sum=initial_accumulator_value), as in torch.
    """

    def __init__(self, params, lr: float = 1e-2, lr_decay: float = 0, weight_decay: float = 0,
                 initial_accumulator_value: float = 0, eps: float = 1e-10, foreach=None, *,
                 maximize: bool = False, differentiable: bool = False, fused=None):
        if not 0.0 <= lr:
            raise ValueError(f"Invalid learning rate: {lr}")
        if not 0.0 <= lr_decay:
            raise ValueError(f"Invalid lr_decay value: {lr_decay}")
        if not 0.0 <= weight_decay:
            raise ValueError(f"Invalid weight_decay value: {weight_decay}")
        if not 0.0 <= initial_accumulator_value:
            raise ValueError(f"Invalid initial_accumulator_value value: {initial_accumulator_value}")
        if not 0.0 <= eps:
            raise ValueError(f"Invalid epsilon value: {eps}")
        defaults = dict(lr=lr, lr_decay=lr_decay, eps=eps, weight_decay=weight_decay,
                        initial_accumulator_value=initial_accumulator_value, foreach=foreach,
                        maximize=maximize, differentiable=differentiable, fused=fused)
        super().__init__(params, defaults)
        for group in self.param_groups:
            for p in group["params"]:
                st = self.state[p]
                st["step"] = _step_tensor()
                xp = _device.xp_of(p._data)
                init = group["initial_accumulator_value"]
                if p.is_complex():
                    init = complex(init, init)
                st["sum"] = Tensor._make(xp.full_like(p._data, init))

    def step(self, closure=None):
        loss = _closure_loss(closure)
        for group in self.param_groups:
            pairs = _params_with_grad(group)
            if not pairs:
                continue
            adagrad([p for p, _ in pairs], [g for _, g in pairs], [self.state[p] for p, _ in pairs],
                    lr=float(group["lr"]), weight_decay=group["weight_decay"],
                    lr_decay=group["lr_decay"], eps=group["eps"], maximize=group["maximize"])
        return loss


def adagrad(params, grads, states, *, lr, weight_decay, lr_decay, eps, maximize):
    """The Adagrad update on raw arrays, in place."""
    for p, g, st in zip(params, grads, states):
        w = _real(p._data)
        g = _real(g)
        xp = _device.xp_of(w)
        st["step"]._data += 1
        step = float(st["step"]._data)
        if maximize:
            g = -g
        if weight_decay != 0:
            g = g + weight_decay * w
        clr = lr / (1 + (step - 1) * lr_decay)
        s = _real(st["sum"]._data)
        s += g * g
        std = xp.sqrt(s)
        std += eps
        w -= clr * (g / std)
        p._vc[0] += 1
        st["sum"]._vc[0] += 1
