"""The backward engine: one reverse-topological walk over the recorded graph.

Each node waits until every consumer reachable from the roots has handed it a
gradient (dependency counting, as in HIPS/autograd), then runs once; its gradient
buffer is dropped as soon as it is used so memory falls during backward.
"""
from __future__ import annotations

import threading

from .._device import device_context, runs_on
from .._tensor import Tensor
from . import anomaly_mode as _anomaly
from .function import _FREED_MSG, AccumulateGrad
from .grad_mode import _state as _grad_state
from .sum_to import sum_to as _sum_to

_local = threading.local()


def queue_callback(callback) -> None:
    """Run callback() once, when the backward pass now running has finished.

    DistributedDataParallel uses this to wait for its last all-reduce.
    """
    stack = getattr(_local, "callbacks", None)
    if not stack:
        raise RuntimeError("queue_callback can only be called during a backward pass")
    stack[-1].append(callback)


def queue_callback_outermost(callback) -> None:
    """Like queue_callback, but run at the end of the outermost backward pass running: a
    reentrant checkpoint's inner backward ends before the gradients of the rest of the graph
    are ready (DistributedDataParallel waits for all of them)."""
    stack = getattr(_local, "callbacks", None)
    if not stack:
        raise RuntimeError("queue_callback can only be called during a backward pass")
    stack[0].append(callback)


def _is_checkpoint_valid() -> bool:
    """False inside a backward pass that runs only toward given inputs (autograd.grad,
    backward(inputs=)): a reentrant checkpoint's inner backward could not honour them."""
    partial = getattr(_local, "partial", None)
    return not partial or not partial[-1]


def _collect(roots):
    """For every node reachable from roots: how many reachable edges point at it.

    One walk: a node is pushed the first time an edge reaches it (roots start pushed),
    so each node's edges are read once.
    """
    deps = {}
    stack = list(roots)
    is_root = set(stack) if len(stack) > 1 else ()  # one root is never reached again (a DAG)
    while stack:
        for edge in stack.pop()._edges:
            if edge is None:
                continue
            child = edge[0]
            if child in deps:
                deps[child] += 1
            else:
                deps[child] = 1
                if child not in is_root:
                    stack.append(child)
    return deps


def _prune(seen, targets):
    """Nodes from which some target is reachable (only they need to run)."""
    parents = {}
    for node in seen:
        for edge in node._edges:
            if edge is not None:
                parents.setdefault(edge[0], []).append(node)
    needed = set()
    stack = [t for t in targets if t in seen]
    while stack:
        node = stack.pop()
        if node in needed:
            continue
        needed.add(node)
        stack.extend(parents.get(node, ()))
    return needed


def run_backward(roots, grad_roots, retain_graph=False, create_graph=False,
                 inputs=None, accumulate=True, allow_unused=False):
    """Backpropagate grad_roots from the root tensors.

    With ``inputs``, only the part of the graph leading to them runs and the
    gradients reaching them are returned (in order); ``accumulate`` then says
    whether leaves among them also accumulate into ``.grad`` (``backward(inputs=)``)
    or not (``autograd.grad``). Without ``inputs`` every leaf's ``.grad`` accumulates.
    """
    capture = {}
    if inputs is not None:
        for i, t in enumerate(inputs):
            if not t._requires_grad:
                raise RuntimeError("One of the differentiated Tensors does not require grad")
            capture.setdefault(t._edge(), []).append(i)
    captured = [None] * (len(inputs) if inputs is not None else 0)

    buffers = {}
    owned = set()  # ids of arrays that must be copied before becoming some leaf's .grad
    start = []
    for t, g in zip(roots, grad_roots):
        node, nr = t._edge()
        buf = buffers.get(node)
        if buf is None:
            buf = buffers[node] = [None] * len(node._out_meta)
            start.append(node)
        buf[nr] = g if buf[nr] is None else buf[nr] + g
        owned.add(id(g._data))  # a caller's gradient is never stored as a .grad by reference

    deps = _collect(start)
    needed = _prune(set(deps).union(start), [e[0] for e in capture]) if capture else None
    ready = [n for n in start if n not in deps]

    stack = getattr(_local, "callbacks", None)
    if stack is None:
        stack = _local.callbacks = []
    callbacks = []
    stack.append(callbacks)
    partial = getattr(_local, "partial", None)
    if partial is None:
        partial = _local.partial = []
    partial.append(bool(capture))
    prev_mode, prev_autocast = _grad_state.enabled, _grad_state.autocast
    # The whole pass, hooks included, records a graph only when asked to (create_graph), and
    # runs each backward in the dtypes its forward chose (no autocast, as in torch).
    _grad_state.enabled, _grad_state.autocast = create_graph, None
    try:
        while ready:
            node = ready.pop()
            grads = buffers.pop(node, None)
            if grads is not None and (needed is None or node in needed):
                _run_node(node, grads, capture, captured, buffers, owned, accumulate,
                          create_graph, retain_graph, needed)
            for edge in node._edges:
                if edge is None:
                    continue
                child = edge[0]
                left = deps[child] - 1
                if left:
                    deps[child] = left
                else:  # every consumer has handed child its gradient
                    ready.append(child)
        _grad_state.enabled, _grad_state.autocast = prev_mode, prev_autocast
        i = 0
        while i < len(callbacks):  # a callback may queue further callbacks
            callbacks[i]()
            i += 1
    finally:
        _grad_state.enabled, _grad_state.autocast = prev_mode, prev_autocast
        stack.pop()
        partial.pop()

    if inputs is not None and not allow_unused:
        for g in captured:
            if g is None:
                raise RuntimeError(
                    "One of the differentiated Tensors appears to not have been used in the "
                    "graph. Set allow_unused=True if this is the desired behavior.")
    return captured


def _run_node(node, grads, capture, captured, buffers, owned, accumulate, create_graph,
              retain_graph, needed):
    d = node.__dict__
    pre = d.get("_pre_hooks")
    if pre:  # tensor hooks of this node's outputs (Tensor.register_hook on a non-leaf)
        for nr, hooks in pre.items():
            for hook in list(hooks):
                if grads[nr] is not None:
                    out = hook(grads[nr])
                    if out is not None:
                        grads[nr] = out
    pre_all = d.get("_pre_hooks_all")
    if pre_all:
        for hook in list(pre_all):
            out = hook(tuple(grads))
            if out is not None:
                grads = list(out)

    if type(node) is AccumulateGrad:
        leaf = node.variable
        g = grads[0]
        if g is None:
            return
        hooks = leaf._hooks
        if hooks:
            for hook in list(hooks):
                out = hook(g)
                if out is not None:
                    g = out
        targets = capture.get((node, 0)) if capture else None
        if targets is not None:
            for i in targets:
                captured[i] = g
        if accumulate and (targets is not None or not capture):
            _accumulate(leaf, g, create_graph, owned)
        return

    if capture:
        for nr, g in enumerate(grads):
            targets = capture.get((node, nr))
            if targets is not None and g is not None:
                for i in targets:
                    captured[i] = g
        if not any(e is not None and e[0] in needed for e in node._edges):
            return  # a captured non-leaf: nothing below it was asked for
    if node._freed:
        raise RuntimeError(_FREED_MSG)
    n_out = len(grads)
    if n_out > 1:
        if all(g is None for g in grads):
            return
        if getattr(node, "_materialize", True) and any(g is None for g in grads):
            ref = next(g for g in grads if g is not None)  # zeros go on its device
            grads = [g if g is not None or m is None else _zeros_like_meta(m, ref)
                     for g, m in zip(grads, node._out_meta)]
    elif grads[0] is None:
        return

    on = _on_device_of(grads)
    run = _anomaly.run_backward_checked if _anomaly.flags.enabled else _call_backward
    if on is None:
        in_grads = run(node, grads)
    else:  # raw-array backward formulas run their kernels on the gradients' GPU
        with on:
            in_grads = run(node, grads)
    if type(in_grads) is not tuple:
        in_grads = (in_grads,)
    post = d.get("_post_hooks")
    if post:
        in_grads = tuple(_as_tensor(g) for g in in_grads)
        for hook in list(post):
            out = hook(in_grads, tuple(grads))
            if out is not None:
                in_grads = tuple(out)
    aliases = node._aliases
    if aliases is not None:  # user code may hand back a saved tensor: never steal its memory
        owned.update(aliases())
    if not retain_graph:
        node._release()

    for edge, g, meta in zip(node._edges, in_grads, node._in_meta):
        if edge is None or g is None:
            continue
        if type(g) is not Tensor:
            g = _as_tensor(g)
        shape, dt = meta
        arr = g._data
        if arr.shape != shape:
            g = _sum_to(g, shape)
        if arr.dtype != dt:
            g = g.to(dt)
        child, nr = edge
        buf = buffers.get(child)
        if buf is None:
            n = len(child._out_meta)
            if n == 1:  # the common case: a single-output child's first gradient
                buffers[child] = [g]
                continue
            buf = buffers[child] = [None] * n
        if buf[nr] is None:
            buf[nr] = g
        else:
            buf[nr] = buf[nr] + g


def _call_backward(node, grads):
    return node.backward(*grads)


def _as_tensor(g):
    """A backward's gradient as a Tensor: formulas run on raw arrays (Function.operands)
    hand back arrays."""
    return g if g is None or isinstance(g, Tensor) else Tensor._make(g)


def _on_device_of(grads):
    """A device context for the first GPU gradient, or None when they live on the CPU."""
    for g in grads:
        if g is not None:
            return None if g.is_cpu else device_context(g.device)
    return None


def _zeros_like_meta(meta, ref):
    shape, dt, _, xp = meta
    with device_context(ref.device):
        return Tensor._make(xp.zeros(shape, dt))


@runs_on(1)  # copies and in-place adds run on the current device: make it the grad's
def _accumulate(leaf, g, create_graph, owned):
    """Add g into leaf.grad: in place when no graph is being built, else out of place."""
    if leaf._grad is None:
        if create_graph:
            if id(g._data) in owned and not g._requires_grad:
                g = Tensor._make(g._data.copy())
            leaf._grad = g
        else:
            arr = g._data
            if id(arr) in owned or arr.base is not None:
                arr = arr.copy()
            owned.add(id(arr))
            leaf._grad = Tensor._make(arr)
    elif create_graph or leaf._grad._requires_grad:
        leaf._grad = leaf._grad + g
    else:
        dst = leaf._grad._data
        if dst.shape != g._data.shape:
            raise RuntimeError(f"accumulating a gradient of shape {tuple(g.shape)} into .grad of "
                               f"shape {tuple(dst.shape)}")
        dst += g._data
    for hook in list(leaf._post_acc_hooks or ()):
        hook(leaf)
