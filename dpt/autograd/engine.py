"""The backward engine: one reverse-topological walk over the recorded graph.

Each node waits until every consumer reachable from the roots has handed it a
gradient (dependency counting, as in HIPS/autograd), then runs once; its gradient
buffer is dropped as soon as it is used so memory falls during backward.
"""
from __future__ import annotations

import threading

from .function import _FREED_MSG, AccumulateGrad
from .grad_mode import set_grad_enabled

Tensor = None  # set by dpt._tensor
_local = threading.local()


def queue_callback(callback) -> None:
    """Run callback() once, when the backward pass now running has finished.

    DistributedDataParallel uses this to wait for its last all-reduce.
    """
    stack = getattr(_local, "callbacks", None)
    if not stack:
        raise RuntimeError("queue_callback can only be called during a backward pass")
    stack[-1].append(callback)


def _collect(roots):
    """Reachable nodes and, for each, how many reachable edges point at it."""
    deps = {}
    seen = set()
    stack = [n for n in roots if n is not None]
    for n in stack:
        seen.add(n)
    while stack:
        node = stack.pop()
        for edge in getattr(node, "_edges", ()):
            if edge is None:
                continue
            child = edge[0]
            deps[child] = deps.get(child, 0) + 1
            if child not in seen:
                seen.add(child)
                stack.append(child)
    return deps, seen


def _prune(seen, targets):
    """Nodes from which some target is reachable (only they need to run)."""
    parents = {}
    for node in seen:
        for edge in getattr(node, "_edges", ()):
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

    With ``inputs``, the gradients reaching those tensors are returned (for
    ``autograd.grad`` with accumulate=False, or ``backward(inputs=...)`` which
    accumulates only into them). Otherwise every leaf's ``.grad`` accumulates.
    """
    from ..ops.reduction import sum_to

    capture = {}
    if inputs is not None:
        for i, t in enumerate(inputs):
            if not t.requires_grad:
                raise RuntimeError(f"One of the differentiated Tensors (input {i}) does not require grad")
            capture.setdefault(t._edge(), []).append(i)
    captured = [None] * (len(inputs) if inputs is not None else 0)

    buffers = {}
    owned = set()
    start = []
    for t, g in zip(roots, grad_roots):
        node, nr = t._edge()
        if node not in buffers:
            buffers[node] = [None] * _n_outputs(node)
            start.append(node)
        buf = buffers[node]
        buf[nr] = g if buf[nr] is None else buf[nr] + g
        owned.add(id(g._data))  # a caller's gradient is never stored as a .grad by reference

    deps, seen = _collect(start)
    needed = _prune(seen, [e[0] for e in capture]) if (capture and not accumulate) else None
    ready = [n for n in start if deps.get(n, 0) == 0]

    _local.callbacks = getattr(_local, "callbacks", [])
    _local.callbacks.append([])
    try:
        while ready:
            node = ready.pop()
            grads = buffers.pop(node, None) or [None] * _n_outputs(node)
            if needed is None or node in needed:
                _run_node(node, grads, capture, captured, buffers, owned, accumulate,
                          create_graph, retain_graph, sum_to)
            for edge in getattr(node, "_edges", ()):
                if edge is None:
                    continue
                child = edge[0]
                deps[child] -= 1
                if deps[child] == 0:
                    ready.append(child)
        for cb in _local.callbacks[-1]:
            cb()
    finally:
        _local.callbacks.pop()

    if inputs is not None and not allow_unused and accumulate is False:
        for i, g in enumerate(captured):
            if g is None:
                raise RuntimeError(
                    "One of the differentiated Tensors appears to not have been used in the "
                    "graph. Set allow_unused=True if this is the desired behavior.")
    return captured


def _n_outputs(node):
    return len(node._out_meta) if hasattr(node, "_out_meta") else 1


def _run_node(node, grads, capture, captured, buffers, owned, accumulate, create_graph,
              retain_graph, sum_to):
    pre = node.__dict__.get("_pre_hooks")
    if pre:
        for nr, hooks in pre.items():
            for hook in list(hooks):
                if grads[nr] is not None:
                    out = hook(grads[nr])
                    if out is not None:
                        grads[nr] = out
    for hook in node.__dict__.get("_pre_hooks_all", ()):
        out = hook(tuple(grads))
        if out is not None:
            grads = list(out)

    if isinstance(node, AccumulateGrad):
        leaf = node.variable
        g = grads[0]
        if g is None:
            return
        for hook in leaf._hooks or ():
            out = hook(g)
            if out is not None:
                g = out
        key = (node, 0)
        if key in capture:
            for i in capture[key]:
                captured[i] = g
            if accumulate:
                _accumulate(leaf, g, create_graph, owned)
        elif accumulate and capture == {}:
            _accumulate(leaf, g, create_graph, owned)
        return

    for nr, g in enumerate(grads):
        key = (node, nr)
        if key in capture and g is not None:
            for i in capture[key]:
                captured[i] = g
    if all(g is None for g in grads):
        return
    if node._freed:
        raise RuntimeError(_FREED_MSG)
    if len(grads) > 1 and any(g is None for g in grads):
        grads = [g if g is not None else _zeros_like_meta(m) for g, m in zip(grads, node._out_meta)]

    with set_grad_enabled(create_graph):
        in_grads = node.backward(*grads)
    if not isinstance(in_grads, tuple):
        in_grads = (in_grads,)
    for hook in node.__dict__.get("_post_hooks", ()):
        out = hook(in_grads, tuple(grads))
        if out is not None:
            in_grads = tuple(out)
    if not retain_graph:
        node._release()

    for edge, g, meta in zip(node._edges, in_grads, node._in_meta):
        if edge is None or g is None:
            continue
        shape, dt = meta
        if g._data.shape != shape:
            with set_grad_enabled(create_graph):
                g = sum_to(g, shape)
        if g._data.dtype != dt:
            with set_grad_enabled(create_graph):
                g = g.to(dt)
        child, nr = edge
        buf = buffers.get(child)
        if buf is None:
            buf = buffers[child] = [None] * _n_outputs(child)
        if buf[nr] is None:
            buf[nr] = g
        else:
            with set_grad_enabled(create_graph):
                buf[nr] = buf[nr] + g


def _zeros_like_meta(meta):
    shape, dt, _, xp = meta
    return Tensor._make(xp.zeros(shape, dt))


def _accumulate(leaf, g, create_graph, owned):
    """Add g into leaf.grad: in place when no graph is being built, else out of place."""
    if leaf._grad is None:
        if create_graph:
            leaf._grad = g
        else:
            arr = g._data
            if id(arr) in owned or arr.base is not None:
                arr = arr.copy()
            owned.add(id(arr))
            leaf._grad = Tensor._make(arr)
    elif create_graph or leaf._grad.requires_grad:
        leaf._grad = leaf._grad + g
    else:
        dst = leaf._grad._data
        if dst.shape != g._data.shape:
            raise RuntimeError(f"accumulating a gradient of shape {tuple(g.shape)} into .grad of "
                               f"shape {tuple(dst.shape)}")
        dst += g._data
    for hook in leaf._post_acc_hooks or ():
        hook(leaf)
