"""gradcheck / gradgradcheck: analytical gradients against central finite differences."""
from __future__ import annotations

import numpy as np

from .._device import device_context, to_numpy, xp_of
from .._tensor import Tensor
from ..ops.creation import tensor
from .api import grad
from .grad_mode import no_grad


class GradcheckError(RuntimeError):
    """Raised by gradcheck when the analytical and numerical Jacobians disagree."""


def _as_tuple(x):
    return tuple(x) if isinstance(x, (list, tuple)) else (x,)


def _diff_outputs(outs):
    return [o for o in _as_tuple(outs) if hasattr(o, "_data") and o.dtype.category >= 2]


def _numerical_jacobians(func, inputs, diff_idx, eps):
    """J[k][i][j] = d out_k[i] / d input_{diff_idx[j]} flattened, by central differences."""
    # func runs with recording on: gradgradcheck's func itself calls autograd.grad.
    outs = _diff_outputs(func(*inputs))
    jac = [[np.zeros((o.numel(), inputs[j].numel()), dtype=np.float64) for j in diff_idx]
           for o in outs]
    for col, j in enumerate(diff_idx):
        x = inputs[j]._data
        on = device_context(inputs[j].device)  # writing x[idx] runs a kernel on x's GPU
        for e, idx in enumerate(np.ndindex(*x.shape)):
            orig = x[idx].item()
            with on:
                x[idx] = orig + eps
            plus = [to_numpy(o._data).astype(np.float64).ravel() for o in _diff_outputs(func(*inputs))]
            with on:
                x[idx] = orig - eps
            minus = [to_numpy(o._data).astype(np.float64).ravel() for o in _diff_outputs(func(*inputs))]
            with on:
                x[idx] = orig
            for k in range(len(outs)):
                jac[k][col][:, e] = (plus[k] - minus[k]) / (2 * eps)
    return outs, jac


def _analytical_jacobians(func, inputs, diff_idx):
    outs = _diff_outputs(func(*inputs))
    diff_inputs = [inputs[j] for j in diff_idx]
    jac = [[np.zeros((o.numel(), inputs[j].numel()), dtype=np.float64) for j in diff_idx]
           for o in outs]
    for k, o in enumerate(outs):
        if not o.requires_grad:
            continue
        xp = xp_of(o._data)
        for i in range(o.numel()):
            with device_context(o.device):  # allocate on o's GPU, not the current one
                onehot = xp.zeros(o._data.size, dtype=o._data.dtype)
                onehot[i] = 1
            grads = grad(o, diff_inputs, Tensor._make(onehot.reshape(o._data.shape)),
                                  retain_graph=True, allow_unused=True)
            for col, g in enumerate(grads):
                if g is not None:
                    jac[k][col][i, :] = to_numpy(g._data).astype(np.float64).ravel()
    return jac


def gradcheck(func, inputs, *, eps=1e-6, atol=1e-5, rtol=1e-3, raise_exception=True,
              nondet_tol=0.0, check_undefined_grad=True, fast_mode=False, **unused) -> bool:
    """gradcheck(func, inputs, eps=1e-6, atol=1e-5, rtol=1e-3, raise_exception=True).

    Compares the Jacobian autograd computes with central finite differences. Inputs
    that require grad should be float64 (float32 rarely passes at these tolerances).
    """
    inputs = _as_tuple(inputs)
    diff_idx = [j for j, x in enumerate(inputs) if hasattr(x, "_data") and x.requires_grad]
    if not diff_idx:
        raise ValueError("gradcheck expects at least one input tensor to require gradient")
    _, numerical = _numerical_jacobians(func, inputs, diff_idx, eps)
    analytical = _analytical_jacobians(func, inputs, diff_idx)
    for k, (num_k, ana_k) in enumerate(zip(numerical, analytical)):
        for col, (n, a) in enumerate(zip(num_k, ana_k)):
            if not np.allclose(a, n, rtol=rtol, atol=atol):
                msg = (f"Jacobian mismatch for output {k} with respect to input {diff_idx[col]},\n"
                       f"numerical:{n}\nanalytical:{a}\n")
                if raise_exception:
                    raise GradcheckError(msg)
                return False
    return True


def gradgradcheck(func, inputs, grad_outputs=None, *, eps=1e-6, atol=1e-5, rtol=1e-3,
                  raise_exception=True, **unused) -> bool:
    """gradgradcheck(func, inputs, grad_outputs=None): gradcheck of the first derivative."""
    inputs = _as_tuple(inputs)
    with no_grad():
        outs = _diff_outputs(func(*inputs))
    if grad_outputs is None:
        rng = np.random.default_rng(0)
        grad_outputs = [tensor(rng.standard_normal(o.shape), dtype=o.dtype, requires_grad=True)
                        for o in outs]
    grad_outputs = list(_as_tuple(grad_outputs))
    diff_idx = [j for j, x in enumerate(inputs) if hasattr(x, "_data") and x.requires_grad]
    n_in = len(inputs)

    def first_grads(*args):
        ins, gos = args[:n_in], args[n_in:]
        o = _diff_outputs(func(*ins))
        diff = [ins[j] for j in diff_idx]
        gs = grad(o, diff, gos, create_graph=True, allow_unused=True)
        return tuple(g for g in gs if g is not None)

    return gradcheck(first_grads, (*inputs, *grad_outputs), eps=eps, atol=atol, rtol=rtol,
                     raise_exception=raise_exception)
