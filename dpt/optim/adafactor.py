"""Adafactor: Adam-like steps from a factored (row x column) second-moment estimate."""
from __future__ import annotations

import math

import numpy as np

from .. import _device
from .._tensor import Tensor
from .optimizer import Optimizer, _closure_loss, _lerp_, _scalar_state

__all__ = ["Adafactor", "adafactor"]


class Adafactor(Optimizer):
    """Adafactor(params, lr=1e-2, beta2_decay=-0.8, eps=(None, 1e-3), d=1.0, weight_decay=0.0,
    *, foreach=None, maximize=False).

    torch's variant: at step t, beta2 = 1 - t^beta2_decay and rho = min(lr, 1/sqrt(t)). A
    matrix (or batch of matrices) keeps row and column means of g^2 (state 'row_var' (..., n, 1),
    'col_var' (..., 1, m)) whose outer product, over the mean row variance, estimates v; a
    vector keeps v itself ('variance'). The update u = g / sqrt(max(v, eps1^2)) is divided by
    max(1, RMS(u) / d) and scaled by max(eps2, RMS(p)) * rho. eps1=None means the parameter
    dtype's machine epsilon. weight_decay shrinks p by 1 - lr * weight_decay.
    """

    def __init__(self, params, lr: float = 1e-2, beta2_decay: float = -0.8,
                 eps=(None, 1e-3), d: float = 1.0, weight_decay: float = 0.0, *, foreach=None,
                 maximize: bool = False) -> None:
        if isinstance(lr, Tensor) and lr.numel() != 1:
            raise ValueError("Tensor lr must be 1-element")
        if not 0.0 <= lr:
            raise ValueError(f"Learning rate should be >= 0 but is: {lr}")
        if not 0.0 >= beta2_decay:
            raise ValueError(f"beta2_decay should be <= 0 but is: {beta2_decay}")
        if eps[0] is not None and not 0.0 <= eps[0]:
            raise ValueError(f"epsilon1 should be >= 0 but is: {eps[0]}")
        if not 0.0 <= eps[1]:
            raise ValueError(f"epsilon2 should be >= 0 but is: {eps[1]}")
        if not 1.0 <= d:
            raise ValueError(f"Clipping threshold d should be >= 1 but is: {d}")
        if not 0.0 <= weight_decay:
            raise ValueError(f"weight_decay should be >= 0 but is: {weight_decay}")
        defaults = dict(lr=lr, beta2_decay=beta2_decay, eps=eps, d=d, weight_decay=weight_decay,
                        foreach=foreach, maximize=maximize)
        super().__init__(params, defaults)

    def _init_group(self, group):
        params, grads, states = [], [], []
        for p in group["params"]:
            if p._grad is None:
                continue
            if p.is_complex():
                raise RuntimeError("Adafactor does not support complex parameters")
            g = p._grad._data
            st = self.state[p]
            if len(st) == 0:
                st["step"] = _scalar_state()
                xp = _device.xp_of(g)
                if g.ndim > 1:
                    st["row_var"] = Tensor._make(xp.zeros(g.shape[:-1] + (1,), dtype=g.dtype))
                    st["col_var"] = Tensor._make(xp.zeros(g.shape[:-2] + (1,) + g.shape[-1:],
                                                          dtype=g.dtype))
                else:
                    st["variance"] = Tensor._make(xp.zeros_like(g))
            params.append(p)
            grads.append(g)
            states.append(st)
        return params, grads, states

    def step(self, closure=None):
        """One Adafactor update of every parameter that has a gradient; returns closure's loss."""
        loss = _closure_loss(closure)
        for group in self.param_groups:
            params, grads, states = self._init_group(group)
            eps1, eps2 = group["eps"]
            adafactor(params, grads, states, d=group["d"], lr=float(group["lr"]),
                      beta2_decay=group["beta2_decay"], weight_decay=group["weight_decay"],
                      eps1=eps1, eps2=eps2, maximize=group["maximize"])
        return loss


def _rms(arr, xp) -> float:
    return float(xp.linalg.norm(xp.asarray(arr).reshape(-1))) / math.sqrt(arr.size)


def adafactor(params, grads, states, *, d, lr, beta2_decay, weight_decay, eps1, eps2,
              maximize):
    """The Adafactor update on raw arrays, in place (state tensors updated too)."""
    for p, g, st in zip(params, grads, states):
        w = p._data
        xp = _device.xp_of(w)
        if maximize:
            g = -g
        if eps1 is None:  # as torch: the first parameter's dtype decides for the group
            eps1 = float(np.finfo(w.dtype).eps)
        st["step"]._data += 1
        step = float(st["step"]._data)
        one_minus_beta2 = step ** beta2_decay
        rho = min(lr, 1 / step ** 0.5)
        alpha = max(eps2, _rms(w, xp)) * rho
        if weight_decay != 0:
            w *= 1 - lr * weight_decay
        if g.ndim > 1:
            row_var, col_var = st["row_var"]._data, st["col_var"]._data
            _lerp_(row_var, (g * g).mean(axis=-1, keepdims=True), one_minus_beta2)
            _lerp_(col_var, (g * g).mean(axis=-2, keepdims=True), one_minus_beta2)
            var = xp.matmul(row_var, col_var)
            var /= xp.maximum(row_var.mean(axis=-2, keepdims=True), eps1)
            st["row_var"]._vc[0] += 1
            st["col_var"]._vc[0] += 1
        else:
            variance = st["variance"]._data
            _lerp_(variance, g * g, one_minus_beta2)
            var = variance.copy()
            st["variance"]._vc[0] += 1
        update = xp.asarray(1 / xp.sqrt(xp.maximum(var, eps1 * eps1)))
        update *= g
        denom = max(1.0, _rms(update, xp) / d)
        update *= -alpha / denom
        w += update.astype(w.dtype, copy=False)
        p._vc[0] += 1
