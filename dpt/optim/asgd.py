"""ASGD: averaged stochastic gradient descent (Polyak-Juditsky averaging)."""
from __future__ import annotations

import numpy as np

from .. import _device
from .._dtype import float64, get_default_dtype
from .._tensor import Tensor
from .optimizer import Optimizer, _add_weight_decay, _closure_loss, _real, _start_update

__all__ = ["ASGD", "asgd"]

# torch's capturable optimizers run only on these device types; a CPU parameter is refused.
_CAPTURABLE_DEVICES = ["cuda", "xpu", "hpu", "privateuseone", "xla"]


def _scalar_dtype():
    """torch keeps scalar state in float64 when that is the default dtype, else float32."""
    return np.float64 if get_default_dtype() == float64 else np.float32


def _check_capturable(params, what: str) -> None:
    if any(p.device.type not in _CAPTURABLE_DEVICES for p in params):
        raise AssertionError(f"If capturable=True, {what} must be on supported devices: "
                             f"{_CAPTURABLE_DEVICES}.")


class ASGD(Optimizer):
    """ASGD(params, lr=1e-2, lambd=1e-4, alpha=0.75, t0=1e6, weight_decay=0, foreach=None, maximize=False, differentiable=False, capturable=False).

    p = p (1 - lambd eta) - eta g; ax averages p from step t0 on (ax = p before);
    eta = lr / (1 + lambd lr t)^alpha; mu = 1 / max(1, t - t0). eta, mu and step are
    0-d scalar-dtype tensors in the state, as in torch, so their rounding matches.
    """

    def __init__(self, params, lr: float = 1e-2, lambd: float = 1e-4, alpha: float = 0.75,
                 t0: float = 1e6, weight_decay: float = 0, foreach=None, maximize: bool = False,
                 differentiable: bool = False, capturable: bool = False):
        if isinstance(lr, Tensor) and lr.numel() != 1:
            raise ValueError("Tensor lr must be 1-element")
        if not 0.0 <= lr:
            raise ValueError(f"Invalid learning rate: {lr}")
        if not 0.0 <= weight_decay:
            raise ValueError(f"Invalid weight_decay value: {weight_decay}")
        defaults = dict(lr=lr, lambd=lambd, alpha=alpha, t0=t0, weight_decay=weight_decay,
                        foreach=foreach, maximize=maximize, differentiable=differentiable,
                        capturable=capturable)
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
                    xp = _device.xp_of(p._data)
                    dt = _scalar_dtype()
                    st["step"] = Tensor._make(xp.zeros((), dtype=dt))
                    st["eta"] = Tensor._make(xp.asarray(float(group["lr"]), dtype=dt))
                    st["mu"] = Tensor._make(xp.ones((), dtype=dt))
                    st["ax"] = Tensor._make(xp.zeros_like(p._data))
                params.append(p)
                grads.append(p._grad._data)
                states.append(st)
            if not params:
                continue
            asgd(params, grads, states, lr=float(group["lr"]), lambd=group["lambd"],
                 alpha=group["alpha"], t0=group["t0"], weight_decay=group["weight_decay"],
                 maximize=group["maximize"], capturable=group["capturable"],
                 foreach=bool(group["foreach"]))
        return loss


def asgd(params, grads, states, *, lr, lambd, alpha, t0, weight_decay, maximize,
         capturable=False, foreach=False):
    """The ASGD update on raw arrays, in place."""
    if capturable:
        _check_capturable(params, "params, mus, etas, and state_steps")
    for p, g, st in zip(params, grads, states):
        w, g, step = _start_update(p, g, st, maximize)
        g = _add_weight_decay(w, g, lr, weight_decay)
        eta_arr, mu_arr = st["eta"]._data, st["mu"]._data
        ax = _real(st["ax"]._data)
        eta = float(eta_arr)
        mu = float(mu_arr)
        if foreach:
            # torch's multi-tensor kernel folds the decay into the step and always averages:
            # the same update with a different rounding, which foreach=True reproduces.
            w -= (g + lambd * w) * eta
        else:
            w *= 1 - lambd * eta
            w -= eta * g
        if foreach or capturable or mu != 1:
            diff = w - ax
            diff *= mu
            ax += diff
        else:
            ax[...] = w
        # torch builds the new values as default-dtype tensors before copying them in, so
        # they are rounded to that dtype even where loaded state made eta and mu float64.
        rounded = _scalar_dtype()
        if foreach:
            eta_arr[...] = _foreach_eta(lr, lambd, alpha, step, st["step"]._data.dtype.type)
        else:
            eta_arr[...] = rounded(lr / ((1 + lambd * lr * step) ** alpha))
        mu_arr[...] = rounded(1 / max(1, step - t0))
        p._vc[0] += 1
        for key in ("ax", "eta", "mu"):
            st[key]._vc[0] += 1


def _foreach_eta(lr, lambd, alpha, step, dt):
    """eta as torch's multi-tensor path computes it: tensor arithmetic on the step's dtype,
    lr / x taken as reciprocal(x) * lr, the power correctly rounded."""
    base = dt(1) + dt(lambd * lr) * dt(step)
    return (dt(1) / dt(float(base) ** alpha)) * dt(lr)
