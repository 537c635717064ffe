"""Higher-level derivatives: jacobian, hessian, vjp, jvp, hvp, vhp (torch.autograd.functional).

All are built on ``autograd.grad``: vjp is one reverse pass, jvp the double-vjp
trick (differentiate the vjp, which is linear in its cotangent), the Jacobian one
reverse pass per output element and the Hessian the Jacobian of the gradient.
Deviations from torch: ``strict`` and ``vectorize`` are accepted and ignored
(vectorize would batch through vmap, which in dpt.func is a per-element loop, so it would
buy nothing), and the Jacobian strategy is always reverse mode.
"""
from __future__ import annotations

from .._device import xp_of
from ..ops.creation import ones_like, zeros, zeros_like
from .api import grad
from .function import Function


def _tuple(x):
    """(tuple of x, whether x was a tuple/list)."""
    return (tuple(x), True) if isinstance(x, (list, tuple)) else ((x,), False)


def _prepare(inputs, create_graph):
    """Inputs the function runs on: fresh leaves, or (create_graph) the caller's own graph."""
    return tuple(x.view_as(x) if create_graph and x.requires_grad else
                 x.detach().requires_grad_(True) for x in inputs)


def _grads(outputs, inputs, grad_outputs, create_graph):
    """d outputs / d inputs contracted with grad_outputs; zeros where nothing flows."""
    pairs = [(o, g) for o, g in zip(outputs, grad_outputs) if o.requires_grad]
    if pairs:
        outs, gos = zip(*pairs)
        gs = grad(outs, inputs, gos, retain_graph=True, create_graph=create_graph, allow_unused=True)
    else:
        gs = (None,) * len(inputs)
    return tuple(g if g is not None else zeros_like(x) for g, x in zip(gs, inputs))


def _check_v(name, v, like, what):
    if len(v) != len(like):
        raise RuntimeError(f"{name}: v has {len(v)} tensors but the {what} has {len(like)}")
    for i, (a, b) in enumerate(zip(v, like)):
        if tuple(a.shape) != tuple(b.shape):
            raise RuntimeError(f"{name}: Mismatch in shape: v[{i}] has a shape of {a.shape} and "
                               f"{what}[{i}] has a shape of {b.shape}.")


def _default_v(name, like, what):
    for t in like:
        if t.numel() != 1:
            raise RuntimeError(f"The vector v can only be None if the {what} to the user-provided "
                               f"function is a single Tensor with a single element.")
    return tuple(ones_like(t) for t in like)


def _finish(ts, create_graph):
    return tuple(t if create_graph else t.detach() for t in ts)


def vjp(func, inputs, v=None, create_graph=False, strict=False):
    """vjp(func, inputs, v=None, create_graph=False) -> (func(inputs), v^T J)."""
    inputs, in_tuple = _tuple(inputs)
    inputs = _prepare(inputs, create_graph)
    outs, out_tuple = _tuple(func(*inputs))
    vs = _tuple(v)[0] if v is not None else _default_v("vjp", outs, "output")
    _check_v("vjp", vs, outs, "output")
    res = _finish(_grads(outs, inputs, vs, create_graph), create_graph)
    outs = _finish(outs, create_graph)
    return (outs if out_tuple else outs[0]), (res if in_tuple else res[0])


def jvp(func, inputs, v=None, create_graph=False, strict=False):
    """jvp(func, inputs, v=None, create_graph=False) -> (func(inputs), J v)."""
    inputs, in_tuple = _tuple(inputs)
    vs = _tuple(v)[0] if v is not None else _default_v("jvp", inputs, "input")
    _check_v("jvp", vs, inputs, "input")
    inputs = _prepare(inputs, create_graph)
    outs, out_tuple = _tuple(func(*inputs))
    # g(u) = J^T u is linear in u, so d<g(u), v>/du = J v.
    us = tuple(zeros_like(o).requires_grad_(True) for o in outs)
    g = _grads(outs, inputs, us, True)
    res = _finish(_grads(g, us, vs, create_graph), create_graph)
    outs = _finish(outs, create_graph)
    return (outs if out_tuple else outs[0]), (res if out_tuple else res[0])


class _Stack(Function):
    """Stack equal-shape tensors along a new first dimension (differentiable, for jacobian)."""

    def forward(self, *xs):
        return xp_of(xs[0]).stack(xs)

    def backward(self, gz):
        return tuple(gz[i] for i in range(gz.shape[0]))


def jacobian(func, inputs, create_graph=False, strict=False, vectorize=False, strategy="reverse-mode"):
    """jacobian(func, inputs, create_graph=False): d func / d inputs, shaped output.shape + input.shape.

    With several inputs (a tuple) each output gets a tuple over inputs; with several
    outputs the result is a tuple over outputs.
    """
    inputs, in_tuple = _tuple(inputs)
    inputs = _prepare(inputs, create_graph)
    outs, out_tuple = _tuple(func(*inputs))
    table = []
    for o in outs:
        flat = o.reshape(-1)
        rows = [[] for _ in inputs]
        for i in range(flat.numel()):
            gs = _grads((flat[i],), inputs, (None,), create_graph)
            for j, g in enumerate(gs):
                rows[j].append(g)
        jac = []
        for j, x in enumerate(inputs):
            shape = tuple(o.shape) + tuple(x.shape)
            if rows[j]:
                jac.append(_Stack.apply(*rows[j]).reshape(shape))
            else:
                jac.append(zeros(shape, dtype=x.dtype, device=x.device))
        jac = _finish(jac, create_graph)
        table.append(jac if in_tuple else jac[0])
    return tuple(table) if out_tuple else table[0]


def hessian(func, inputs, create_graph=False, strict=False, vectorize=False,
            outer_jacobian_strategy="reverse-mode"):
    """hessian(func, inputs, create_graph=False): second derivatives of a scalar function.

    With a tuple of inputs the result is a tuple of tuples: ``H[i][j] = d2 f / dx_i dx_j``.
    """
    inputs_t, in_tuple = _tuple(inputs)

    def check(*xs):
        out = func(*xs)
        if not hasattr(out, "numel") or out.numel() != 1:
            raise RuntimeError("The function given to hessian should return a single Tensor with "
                               "a single element.")
        return out.reshape(())

    def gradient(*xs):
        return jacobian(check, xs if in_tuple else xs[0], create_graph=True)

    return jacobian(gradient, inputs_t if in_tuple else inputs_t[0], create_graph=create_graph)


def vhp(func, inputs, v=None, create_graph=False, strict=False):
    """vhp(func, inputs, v=None, create_graph=False) -> (func(inputs), v^T H)."""
    inputs, in_tuple = _tuple(inputs)
    vs = _tuple(v)[0] if v is not None else _default_v("vhp", inputs, "input")
    _check_v("vhp", vs, inputs, "input")
    inputs = _prepare(inputs, create_graph)
    out = func(*inputs)
    if out.numel() != 1:
        raise RuntimeError("The function given to vhp should return a single Tensor with a "
                           "single element.")
    g = _grads((out,), inputs, (None,), True)
    res = _finish(_grads(g, inputs, vs, create_graph), create_graph)
    out = out if create_graph else out.detach()
    return out, (res if in_tuple else res[0])


def hvp(func, inputs, v=None, create_graph=False, strict=False):
    """hvp(func, inputs, v=None, create_graph=False) -> (func(inputs), H v).

    Computed as v^T H, which is the same for the symmetric Hessian of any twice
    continuously differentiable function (torch computes it by double backward).
    """
    return vhp(func, inputs, v, create_graph, strict)
