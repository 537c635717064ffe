"""Higher-level derivatives: jacobian, hessian, vjp, jvp, hvp, vhp."""
from __future__ import annotations


def _tuple(x):
    return (tuple(x), True) if isinstance(x, (list, tuple)) else ((x,), False)


def _prepare(inputs, create_graph):
    return tuple(x.detach().requires_grad_(True) if not create_graph or not x.requires_grad else x
                 for x in inputs)


def _grads(outputs, inputs, grad_outputs, create_graph):
    from . import grad

    gs = grad(outputs, inputs, grad_outputs, retain_graph=True, create_graph=create_graph,
              allow_unused=True)
    from .. import ops

    return tuple(g if g is not None else ops.zeros_like(x) for g, x in zip(gs, inputs))


def vjp(func, inputs, v=None, create_graph=False, strict=False):
    """vjp(func, inputs, v=None) -> (func(inputs), v^T J)."""
    inputs, was_tuple = _tuple(inputs)
    inputs = _prepare(inputs, create_graph)
    out = func(*inputs)
    outs, out_tuple = _tuple(out)
    vs = _tuple(v)[0] if v is not None else (None,) * len(outs)
    res = _grads(outs, inputs, vs, create_graph)
    detach = (lambda t: t) if create_graph else (lambda t: t.detach())
    res = tuple(detach(r) for r in res)
    out = tuple(detach(o) for o in outs) if out_tuple else detach(outs[0])
    return out, (res if was_tuple else res[0])


def jvp(func, inputs, v=None, create_graph=False, strict=False):
    """jvp(func, inputs, v=None) -> (func(inputs), J v), by the double-vjp trick."""
    from .. import ops

    inputs, was_tuple = _tuple(inputs)
    inputs = _prepare(inputs, True)
    outs, out_tuple = _tuple(func(*inputs))
    us = tuple(ops.zeros_like(o).requires_grad_(True) for o in outs)
    g = _grads(outs, inputs, us, True)
    vs = _tuple(v)[0] if v is not None else tuple(ops.ones_like(x) for x in inputs)
    res = _grads(g, us, vs, create_graph)
    detach = (lambda t: t) if create_graph else (lambda t: t.detach())
    res = tuple(detach(r) for r in res)
    out = tuple(detach(o) for o in outs) if out_tuple else detach(outs[0])
    return out, (res if out_tuple else res[0])


def jacobian(func, inputs, create_graph=False, strict=False, vectorize=False, strategy="reverse-mode"):
    """jacobian(func, inputs): d func / d inputs, shaped output.shape + input.shape."""
    from .. import ops

    inputs, was_tuple = _tuple(inputs)
    inputs = _prepare(inputs, create_graph)
    outs, out_tuple = _tuple(func(*inputs))
    table = []
    for o in outs:
        rows = [[] for _ in inputs]
        flat = o.reshape(-1)
        for i in range(flat.numel()):
            if flat.requires_grad:
                gs = _grads((flat[i],), inputs, None, create_graph)
            else:
                gs = tuple(ops.zeros_like(x) for x in inputs)
            for j, g in enumerate(gs):
                rows[j].append(g)
        jac = []
        for j, x in enumerate(inputs):
            stacked = ops.stack(rows[j]) if rows[j] else ops.zeros(0, *x.shape, dtype=x.dtype)
            jac.append(stacked.reshape(tuple(o.shape) + tuple(x.shape)))
        if not create_graph:
            jac = [t.detach() for t in jac]
        table.append(tuple(jac) if was_tuple else jac[0])
    return tuple(table) if out_tuple else table[0]


def hessian(func, inputs, create_graph=False, strict=False, vectorize=False,
            outer_jacobian_strategy="reverse-mode"):
    """hessian(func, inputs): the second derivative of a scalar function."""
    inputs_t, was_tuple = _tuple(inputs)

    def grad_fn(*xs):
        return jacobian(func, xs if was_tuple else xs[0], create_graph=True)

    return jacobian(grad_fn, inputs_t if was_tuple else inputs_t[0], create_graph=create_graph)


def vhp(func, inputs, v=None, create_graph=False, strict=False):
    """vhp(func, inputs, v) -> (func(inputs), v^T H)."""
    inputs, was_tuple = _tuple(inputs)
    inputs = _prepare(inputs, True)
    out = func(*inputs)
    g = _grads((out,), inputs, None, True)
    vs = _tuple(v)[0]
    res = _grads(g, inputs, vs, create_graph)
    if not create_graph:
        res = tuple(r.detach() for r in res)
    return out.detach(), (res if was_tuple else res[0])


hvp = vhp  # the Hessian is symmetric for twice-differentiable functions
