"""The differentiating transforms of torch.func: grad, grad_and_value, vjp, jvp, linearize,
jacrev, jacfwd and hessian, on dpt's define-by-run autograd.

Each transform runs ``func`` under enable_grad on differentiable stand-ins for the chosen
inputs and differentiates the result with ``autograd.grad``:

- an input that is already part of an enclosing graph (it requires grad, as the stand-ins of
  an outer transform do) is aliased with ``view_as``, so the inner result stays a function of
  the outer variable and the outer transform can differentiate through the inner one (grad of
  grad, jacrev of grad, ...); any other input becomes a fresh detached leaf;
- the inner gradients are built with ``create_graph=True`` whenever an enclosing transform or
  a tensor of the caller's graph (a closed-over parameter) could need them, and returned
  detached otherwise, as torch.func returns plain tensors at the outermost level;
- forward mode (jvp, linearize, jacfwd) is the double-vjp trick: ``g(u) = J^T u`` is linear in
  the cotangent ``u``, so differentiating it along a tangent ``v`` gives ``J v`` exactly.

Deviations from torch.func: forward mode costs reverse passes (two per jvp, one per Jacobian
column after the first). Complex jvp works too: u enters ``g(u)`` real-linearly, so the
second vjp recovers J v for non-holomorphic functions as well (conj, abs, ...). jacrev and
jacfwd refuse complex inputs and outputs, as torch's do.
"""
from __future__ import annotations

import contextlib
import functools
import threading

from .._tensor import Tensor
from ..autograd.api import grad as _autograd_grad_raw
from ..autograd.function import AccumulateGrad
from ..autograd.grad_mode import enable_grad, is_grad_enabled
from ..ops.creation import zeros, zeros_like
from ..ops.shape_copies import stack
from ._pytree import tree_flatten, tree_map, tree_unflatten

__all__ = ["grad", "grad_and_value", "vjp", "jvp", "linearize", "jacrev", "jacfwd", "hessian"]

_local = threading.local()


def _depth() -> int:
    """How many differentiating transforms are running func right now (in this thread)."""
    return getattr(_local, "depth", 0)


@contextlib.contextmanager
def _nested():
    _local.depth = _depth() + 1
    try:
        with enable_grad():
            yield
    finally:
        _local.depth -= 1


# -- argnums --------------------------------------------------------------------------------
def _wrap_argnum(argnum, nargs: int) -> int:
    if not isinstance(argnum, int):
        raise RuntimeError(f"argnum must be int, got: {type(argnum)}")
    if -nargs <= argnum < nargs:
        return argnum % nargs
    raise RuntimeError(f"Got argnum={argnum}, but only {nargs} positional inputs")


def _check_argnums(argnums, nargs: int):
    """argnums validated and made non-negative (an int or a tuple of ints)."""
    if isinstance(argnums, int):
        return _wrap_argnum(argnums, nargs)
    if not isinstance(argnums, tuple):
        raise RuntimeError(f"argnums must be int or Tuple[int, ...], got: {type(argnums)}")
    wrapped = tuple(_wrap_argnum(a, nargs) for a in argnums)
    if len(wrapped) == 0:
        raise RuntimeError("argnums must be non-empty")
    if len(set(wrapped)) != len(wrapped):
        raise RuntimeError(f"argnums elements must be unique, got {argnums}")
    return wrapped


def _slice_args(args, argnums):
    return args[argnums] if isinstance(argnums, int) else tuple(args[i] for i in argnums)


def _replace_args(args, new, argnums):
    if isinstance(argnums, int):
        return tuple(new if i == argnums else a for i, a in enumerate(args))
    return tuple(new[argnums.index(i)] if i in argnums else a for i, a in enumerate(args))


# -- stand-ins, graph decisions, gradients ----------------------------------------------------
def _stand_in(x, keep_graph: bool) -> Tensor:
    """The differentiable tensor func sees in place of the input x."""
    if not isinstance(x, Tensor):
        raise ValueError(f"Thing passed to transform API must be Tensor, got {type(x)}")
    if keep_graph and x.requires_grad:
        return x.view_as(x)  # stays on the enclosing graph: outer transforms see through us
    return x.detach().requires_grad_(True)


def _tensors(*trees) -> list:
    out = []
    for t in trees:
        out.extend(x for x in tree_flatten(t)[0] if isinstance(x, Tensor))
    return out


def _reaches_foreign_leaf(tensors, own) -> bool:
    """Whether the graph of tensors reaches a leaf that requires grad and is not ours."""
    own_ids = {id(t) for t in own}
    stack_, seen = [], set()
    for t in tensors:
        if t.requires_grad:
            stack_.append(t._edge()[0])
    while stack_:
        node = stack_.pop()
        if node in seen:
            continue
        seen.add(node)
        if isinstance(node, AccumulateGrad):
            if id(node.variable) not in own_ids:
                return True
            continue
        stack_.extend(e[0] for e in node._edges if e is not None)
    return False


def _needs_graph(outer_enabled: bool, depth: int, tensors, own) -> bool:
    """Whether the results must stay differentiable: under an enclosing transform, or when
    func's results hang on the caller's own graph (a closed-over parameter)."""
    if not outer_enabled:
        return False
    return depth > 0 or _reaches_foreign_leaf(tensors, own)


def _grads(outputs, inputs, grad_outputs, create_graph: bool):
    """Gradients of outputs (contracted with grad_outputs) w.r.t. inputs; zeros where unused."""
    pairs = [(o, g) for o, g in zip(outputs, grad_outputs) if o.requires_grad]
    if pairs:
        outs, gos = zip(*pairs)
        gs = _autograd_grad_raw(outs, inputs, gos, retain_graph=True, create_graph=create_graph,
                                allow_unused=True)
    else:
        gs = (None,) * len(inputs)
    return [zeros_like(x) if g is None else g for g, x in zip(gs, inputs)]


def _detach_tree(tree):
    return tree_map(lambda x: x.detach() if isinstance(x, Tensor) else x, tree)


def _split_aux(out, has_aux: bool, api: str):
    if not has_aux:
        return out, None
    if not (isinstance(out, tuple) and len(out) == 2):
        raise RuntimeError(f"{api}: output of function f should be a tuple: (output, aux) "
                           "if has_aux is True")
    return out


def _check_tensor_outputs(flat, api: str):
    if len(flat) < 1 or (len(flat) == 1 and flat[0] is None):
        raise RuntimeError(f"{api}: Expected f to be a function that has non-empty output "
                           f"(got output = {flat})")
    for o in flat:
        if not isinstance(o, Tensor):
            raise RuntimeError(f"{api}: expected f(*primals) to return only tensors, got "
                               f"unsupported type {type(o)}")


# -- grad, grad_and_value -------------------------------------------------------------------
def grad_and_value(func, argnums=0, has_aux: bool = False):
    """grad_and_value(func, argnums=0, has_aux=False)

    Returns a function computing ``(gradient, value)`` (``(gradient, (value, aux))`` with
    has_aux) of a func returning a scalar tensor; the gradient has the structure of the
    argument (a pytree) at argnums, or a tuple of those for a tuple of argnums.
    """
    @functools.wraps(func)
    def wrapper(*args, **kwargs):
        return _grad_and_value(func, argnums, has_aux, args, kwargs)
    return wrapper


def _grad_and_value(func, argnums, has_aux, args, kwargs):
    api = "grad_and_value(f)(*args)"
    outer, depth = is_grad_enabled(), _depth()
    argnums = _check_argnums(argnums, len(args))
    with _nested():
        flat, spec = tree_flatten(_slice_args(args, argnums))
        ins = [_stand_in(x, outer) for x in flat]
        out = func(*_replace_args(args, tree_unflatten(ins, spec), argnums), **kwargs)
        out, aux = _split_aux(out, has_aux, api)
        if not isinstance(out, Tensor):
            raise RuntimeError(f"{api}: Expected f(*args) to return a Tensor, got {type(out)}")
        if out.dim() != 0:
            raise RuntimeError(f"{api}: Expected f(*args) to return a scalar Tensor, got tensor "
                               f"with {out.dim()} dims. Maybe you wanted to use the vjp or jacrev "
                               f"APIs instead?")
        keep = _needs_graph(outer, depth, _tensors(out, aux), ins)
        grads = tree_unflatten(_grads((out,), ins, (None,), keep), spec)
    if not keep:
        out, aux = out.detach(), _detach_tree(aux)
    return (grads, (out, aux)) if has_aux else (grads, out)


def grad(func, argnums=0, has_aux: bool = False):
    """grad(func, argnums=0, has_aux=False)

    Returns a function computing the gradient of func (which returns a scalar tensor) w.r.t.
    the positional argument(s) at argnums; with has_aux, ``(gradient, aux)``.
    """
    @functools.wraps(func)
    def wrapper(*args, **kwargs):
        g, value = _grad_and_value(func, argnums, has_aux, args, kwargs)
        return (g, value[1]) if has_aux else g
    return wrapper


# -- vjp ------------------------------------------------------------------------------------
def vjp(func, *primals, has_aux: bool = False):
    """vjp(func, *primals, has_aux=False) -> (output, vjp_fn) or (output, vjp_fn, aux)

    ``vjp_fn(cotangents)`` takes cotangents with the structure of output and returns a tuple
    with one gradient per primal (pytrees like the primals); it may be called many times.
    """
    api = "vjp(f, *primals)"
    outer, depth = is_grad_enabled(), _depth()
    with _nested():
        flat, spec = tree_flatten(primals)
        ins = [_stand_in(x, outer) for x in flat]
        out = func(*tree_unflatten(ins, spec))
        out, aux = _split_aux(out, has_aux, api)
        flat_out, out_spec = tree_flatten(out)
        _check_tensor_outputs(flat_out, api)
        for o in flat_out:
            if not (o.is_floating_point() or o.is_complex()):
                raise RuntimeError(f"vjp(f, ...): All outputs of f must be floating-point or "
                                   f"complex Tensors, got Tensor with dtype {o.dtype}")
        keep = _needs_graph(outer, depth, _tensors(out, aux), ins)

    def vjp_fn(cotangents, retain_graph: bool = True, create_graph: bool | None = None):
        flat_ct, ct_spec = tree_flatten(cotangents)
        if ct_spec != out_spec:
            raise RuntimeError(f"Expected pytree structure of cotangents to be the same as pytree "
                               f"structure of outputs to the function. cotangents: {ct_spec}, "
                               f"primal output: {out_spec}")
        if create_graph is None:
            create_graph = is_grad_enabled()
        graph = create_graph and (keep or _depth() > 0 or
                                  any(isinstance(c, Tensor) and c.requires_grad for c in flat_ct))
        with enable_grad():
            gs = _grads(flat_out, ins, flat_ct, graph)
        return tree_unflatten(gs, spec)

    if not keep:
        out, aux = _detach_tree(out), _detach_tree(aux)
    return (out, vjp_fn, aux) if has_aux else (out, vjp_fn)


# -- forward mode: jvp, linearize -----------------------------------------------------------
_JVP = "jvp(f, primals, tangents)"


class _Linearization:
    """func's outputs and the graph of ``g(u) = J^T u`` at the primals, reusable for any tangent."""

    def __init__(self, outs, ins):
        self.outs, self.ins = outs, ins
        diff = [o for o in outs if o.requires_grad]
        self.us = [zeros_like(o).requires_grad_(True) for o in diff]
        if diff:
            self.gs = _autograd_grad_raw(diff, ins, self.us, retain_graph=True, create_graph=True,
                                         allow_unused=True)
        else:
            self.gs = (None,) * len(ins)
        self.diff_ids = [id(o) for o in diff]

    def jvp(self, tangents, create_graph: bool, strict: bool = False):
        """J v for the tangents (one per input), one tensor per output."""
        pairs = [(g, t) for g, t in zip(self.gs, tangents) if g is not None and g.requires_grad]
        if pairs:
            gs, ts = zip(*pairs)
            with enable_grad():
                jv = _autograd_grad_raw(gs, self.us, ts, retain_graph=True,
                                        create_graph=create_graph, allow_unused=True)
        else:
            jv = (None,) * len(self.us)
        by_out = dict(zip(self.diff_ids, jv))
        result = []
        for o in self.outs:
            t = by_out.get(id(o))
            if t is None:
                if strict:
                    raise RuntimeError("jvp(f, primals, tangents, strict=True): The output of f "
                                       "is independent of the inputs. This is not allowed with "
                                       "strict=True.")
                t = zeros_like(o)
            result.append(t)
        return result


def _check_primal_tangent(primals_flat, tangents_flat):
    for name, flat in (("primals", primals_flat), ("tangents", tangents_flat)):
        if len(flat) == 0:
            raise RuntimeError(f"{_JVP}: Expected {name} to contain at least one Tensor.")
        for x in flat:
            if not isinstance(x, Tensor):
                raise RuntimeError(f"{_JVP}: Expected {name} to only contain Tensors, got "
                                   f"{type(x)}")
    for p, t in zip(primals_flat, tangents_flat):
        if tuple(p.shape) != tuple(t.shape):
            raise RuntimeError("Trying to set a forward gradient that has a different size than "
                               "that of the original Tensor, this is not supported. Tensor is of "
                               f"size {list(p.shape)} while the given forward gradient is of size "
                               f"{list(t.shape)}.")


def jvp(func, primals, tangents, *, strict: bool = False, has_aux: bool = False):
    """jvp(func, primals, tangents, *, strict=False, has_aux=False)

    Returns ``(func(*primals), J @ tangents)`` (and aux with has_aux); primals is a tuple of
    arguments (pytrees of tensors) and tangents has the same structure.
    """
    if not isinstance(primals, tuple):
        raise RuntimeError(f"{_JVP}: Expected primals to be a tuple. E.g. it should be valid to "
                           f"call f(*primals).")
    flat_p, p_spec = tree_flatten(primals)
    flat_t, t_spec = tree_flatten(tangents)
    if p_spec != t_spec:
        raise RuntimeError(f"{_JVP}: Expected primals and tangents to have the same python "
                           f"structure. For example, if primals is a tuple of 3 tensors, tangents "
                           f"also must be. Got primals with structure {p_spec} and tangents with "
                           f"structure {t_spec}")
    _check_primal_tangent(flat_p, flat_t)
    outer, depth = is_grad_enabled(), _depth()
    with _nested():
        ins = [_stand_in(x, outer) for x in flat_p]
        out = func(*tree_unflatten(ins, p_spec))
        out, aux = _split_aux(out, has_aux, _JVP)
        flat_out, out_spec = tree_flatten(out)
        _check_tensor_outputs(flat_out, _JVP)
        keep = _needs_graph(outer, depth, _tensors(out, aux), ins) or \
            (outer and any(t.requires_grad for t in flat_t))
        lin = _Linearization(flat_out, ins)
        tangents_out = lin.jvp([t.to(x.dtype) for t, x in zip(flat_t, ins)], keep, strict)
    if not keep:
        flat_out, aux = [o.detach() for o in flat_out], _detach_tree(aux)
    result = (tree_unflatten(flat_out, out_spec), tree_unflatten(tangents_out, out_spec))
    return result + (aux,) if has_aux else result


def linearize(func, *primals):
    """linearize(func, *primals) -> (output, jvp_fn)

    ``jvp_fn(*tangents)`` gives J @ tangents at the primals for any tangents, reusing the graph
    recorded once here.
    """
    flat_p, p_spec = tree_flatten(primals)
    outer, depth = is_grad_enabled(), _depth()
    with _nested():
        ins = [_stand_in(x, outer) for x in flat_p]
        out = func(*tree_unflatten(ins, p_spec))
        flat_out, out_spec = tree_flatten(out)
        _check_tensor_outputs(flat_out, "linearize")
        keep = _needs_graph(outer, depth, flat_out, ins)
        lin = _Linearization(flat_out, ins)

    def jvp_fn(*tangents):
        flat_t, t_spec = tree_flatten(tangents)
        if t_spec != p_spec:
            raise RuntimeError(f"Expected the tangents {t_spec} to have the same argspec as the "
                               f"primals {p_spec}")
        for i, (t, p) in enumerate(zip(flat_t, flat_p)):
            if tuple(t.shape) != tuple(p.shape):
                raise RuntimeError(f"Mismatch in tangent:{i} with shape {t.shape} in flattened "
                                   f"pytree doesn't match the shape {p.shape} of the corresponding "
                                   f"primal.")
        graph = keep or _depth() > 0 or any(t.requires_grad for t in flat_t)
        return tree_unflatten(lin.jvp(flat_t, graph and is_grad_enabled()), out_spec)

    if not keep:
        flat_out = [o.detach() for o in flat_out]
    return tree_unflatten(flat_out, out_spec), jvp_fn


# -- Jacobians --------------------------------------------------------------------------------
def _basis(like, k: int) -> Tensor:
    """The k-th standard basis tensor shaped like `like` (row-major order)."""
    e = zeros(like.numel(), dtype=like.dtype, device=like.device)
    e[k] = 1
    return e.reshape(like.shape)


def _error_if_complex(name, tree, what):
    for i, x in enumerate(tree_flatten(tree)[0]):
        if isinstance(x, Tensor) and x.is_complex():
            raise RuntimeError(f"{name}: Expected all {what} to be real but received complex "
                               f"tensor at flattened input idx: {i}")


def _jac_setup(name, func, argnums, has_aux, args, kwargs, api, outer, depth):
    """Run func on stand-ins of the args at argnums: (ins, in_spec, outs, out_spec, aux, keep).
    outer, depth: the grad mode and nesting depth outside this transform. Jacobians are of
    real functions only (as in torch)."""
    _error_if_complex(name, args, "inputs")
    argnums = _check_argnums(argnums, len(args))
    flat, in_spec = tree_flatten(_slice_args(args, argnums))
    ins = [_stand_in(x, outer) for x in flat]
    out = func(*_replace_args(args, tree_unflatten(ins, in_spec), argnums), **kwargs)
    out, aux = _split_aux(out, has_aux, api)
    flat_out, out_spec = tree_flatten(out)
    _check_tensor_outputs(flat_out, api)
    _error_if_complex(name, flat_out, "outputs")
    keep = _needs_graph(outer, depth, _tensors(out, aux), ins)
    return ins, in_spec, flat_out, out_spec, aux, keep


def _jac_result(table, in_spec, flat_out, out_spec, aux, has_aux, keep):
    """table[j][i]: d out_j / d in_i. Outputs shaped like func's, each leaf an input pytree."""
    if not keep:
        table = [[t.detach() for t in row] for row in table]
        aux = _detach_tree(aux)
    jac = tree_unflatten([tree_unflatten(row, in_spec) for row in table], out_spec)
    return (jac, aux) if has_aux else jac


def jacrev(func, argnums=0, *, has_aux: bool = False, chunk_size: int | None = None):
    """jacrev(func, argnums=0, *, has_aux=False, chunk_size=None)

    The Jacobian by reverse mode, one backward pass per output element: for each output
    leaf, a tensor of shape ``output.shape + input.shape`` per input leaf. chunk_size is
    accepted for API compatibility (rows are computed one at a time either way).
    """
    if not (chunk_size is None or chunk_size > 0):
        raise ValueError("jacrev: `chunk_size` should be greater than 0.")

    @functools.wraps(func)
    def wrapper(*args, **kwargs):
        outer, depth = is_grad_enabled(), _depth()
        with _nested():
            ins, in_spec, outs, out_spec, aux, keep = _jac_setup(
                "jacrev", func, argnums, has_aux, args, kwargs, "vjp(f, *primals)", outer, depth)
            table = []
            for o in outs:
                rows = [[] for _ in ins]
                for k in range(o.numel()):
                    for i, g in enumerate(_grads((o,), ins, (_basis(o, k),), keep)):
                        rows[i].append(g)
                table.append([_stack_jac(r, o, x, 0) for r, x in zip(rows, ins)])
        return _jac_result(table, in_spec, outs, out_spec, aux, has_aux, keep)
    return wrapper


def _stack_jac(parts, out, x, dim):
    """Stack per-element derivatives (rows of x's shape, or columns of out's shape) into a
    tensor of shape out.shape + x.shape."""
    shape = tuple(out.shape) + tuple(x.shape)
    if not parts:
        return zeros(shape, dtype=x.dtype, device=x.device)
    return stack(parts, dim).reshape(shape)


def jacfwd(func, argnums=0, has_aux: bool = False, *, randomness: str = "error"):
    """jacfwd(func, argnums=0, has_aux=False, *, randomness='error')

    The Jacobian by forward mode (one jvp per input element, through the double-vjp trick),
    shaped like jacrev's. randomness as in vmap: under 'error' a func that draws random
    numbers raises.
    """
    from ._vmap import _check_randomness_arg, _RandomGuard
    _check_randomness_arg(randomness)

    @functools.wraps(func)
    def wrapper(*args, **kwargs):
        guard = _RandomGuard(randomness)
        outer, depth = is_grad_enabled(), _depth()
        with _nested():
            with guard.sample():
                ins, in_spec, outs, out_spec, aux, keep = _jac_setup(
                    "jacfwd", func, argnums, has_aux, args, kwargs, _JVP, outer, depth)
            lin = _Linearization(outs, ins)
            cols = [[[] for _ in ins] for _ in outs]
            for i, x in enumerate(ins):
                for k in range(x.numel()):
                    tangents = [_basis(x, k) if j == i else zeros_like(y)
                                for j, y in enumerate(ins)]
                    for j, col in enumerate(lin.jvp(tangents, keep)):
                        cols[j][i].append(col)
            table = [[_stack_jac(cols[j][i], o, x, -1) for i, x in enumerate(ins)]
                     for j, o in enumerate(outs)]
        return _jac_result(table, in_spec, outs, out_spec, aux, has_aux, keep)
    return wrapper


def hessian(func, argnums=0):
    """hessian(func, argnums=0): ``jacfwd(jacrev(func, argnums), argnums)``."""
    return jacfwd(jacrev(func, argnums), argnums)
