"""SGD with momentum, dampening, Nesterov, weight decay and maximize."""
from __future__ import annotations

import numpy as np

from .. import _device
from .._tensor import Tensor
from .optimizer import Optimizer, _closure_loss, _params_with_grad, _real

__all__ = ["SGD", "sgd"]


class SGD(Optimizer):
    """SGD(params, lr=1e-3, momentum=0, dampening=0, weight_decay=0, nesterov=False, *, maximize=False).

    g = grad (+ weight_decay * p); with momentum b = momentum * b + (1 - dampening) * g
    (b = g on the first step), g = g + momentum * b (Nesterov) or b; p = p - lr * g.
    maximize negates the gradient before weight decay (torch's implementation; its
    documentation's pseudo-code adds the step instead).
    """

    def __init__(self, params, lr: float = 1e-3, momentum: float = 0, dampening: float = 0,
                 weight_decay: float = 0, nesterov: bool = False, *, maximize: bool = False,
                 foreach=None, differentiable: bool = False, fused=None):
        if lr < 0.0:
            raise ValueError(f"Invalid learning rate: {lr}")
        if momentum < 0.0:
            raise ValueError(f"Invalid momentum value: {momentum}")
        if weight_decay < 0.0:
            raise ValueError(f"Invalid weight_decay value: {weight_decay}")
        defaults = dict(lr=lr, momentum=momentum, dampening=dampening, weight_decay=weight_decay,
                        nesterov=nesterov, maximize=maximize, foreach=foreach,
                        differentiable=differentiable, fused=fused)
        if nesterov and (momentum <= 0 or dampening != 0):
            raise ValueError("Nesterov momentum requires a momentum and zero dampening")
        super().__init__(params, defaults)

    def step(self, closure=None):
        """One update of every parameter that has a gradient; returns closure's loss."""
        loss = _closure_loss(closure)
        for group in self.param_groups:
            pairs = _params_with_grad(group)
            if not pairs:
                continue
            momentum = group["momentum"]
            bufs = [self.state[p].get("momentum_buffer") if momentum != 0 else None
                    for p, _ in pairs]
            sgd([p for p, _ in pairs], [g for _, g in pairs], bufs, lr=float(group["lr"]),
                weight_decay=group["weight_decay"], momentum=momentum,
                dampening=group["dampening"], nesterov=group["nesterov"],
                maximize=group["maximize"])
            if momentum != 0:
                for (p, _), buf in zip(pairs, bufs):
                    self.state[p]["momentum_buffer"] = buf
        return loss


def sgd(params, grads, momentum_buffers, *, lr, weight_decay, momentum, dampening, nesterov,
        maximize):
    """The SGD update on raw arrays, in place; fills momentum_buffers[i] on the first step."""
    for i, (p, g) in enumerate(zip(params, grads)):
        w = _real(p._data)
        g = _real(g)
        if maximize:
            g = -g
        if weight_decay != 0:
            g = g + weight_decay * w
        if momentum != 0:
            buf = momentum_buffers[i]
            if buf is None:
                buf = Tensor._make(_device.xp_of(g).array(g, copy=True).view(p._data.dtype)
                                   .reshape(p._data.shape))
                momentum_buffers[i] = buf
                b = _real(buf._data)
            else:
                b = _real(buf._data)
                b *= momentum
                b += g if dampening == 0 else (1 - dampening) * g
                buf._vc[0] += 1
            g = g + momentum * b if nesterov else b
        _sub_scaled(w, g, lr)
        p._vc[0] += 1


_CHUNK = 1 << 16  # elements: the temporary of lr * g stays at 256 KB in float32


def _sub_scaled(w, g, lr) -> None:
    """w -= lr * g in place, without a temporary as large as w for big CPU parameters."""
    n = w.size
    if n <= _CHUNK or type(w) is not np.ndarray or not (w.flags.c_contiguous and
                                                         g.flags.c_contiguous):
        w -= lr * g
        return
    wf, gf = w.reshape(-1), g.reshape(-1)
    tmp = np.empty(_CHUNK, dtype=np.result_type(gf.dtype, lr))
    for s in range(0, n, _CHUNK):
        t = tmp[:min(_CHUNK, n - s)]
        np.multiply(gf[s:s + _CHUNK], lr, out=t)
        wf[s:s + _CHUNK] -= t
