"""dpt.utils.checkpoint: activation checkpointing (torch.utils.checkpoint).

``checkpoint(fn, *args)`` runs fn without keeping the activations its backward needs and
runs it again during backward to get them back: compute traded for memory. The two
variants of torch:

* ``use_reentrant=True``: fn runs under no_grad inside one autograd Function. That
  Function's backward reruns fn with grad on over detached copies of the inputs and runs
  a backward of its own through the fresh graph (a backward inside the backward).
* ``use_reentrant=False``: fn runs with grad on, so its graph is recorded as usual, and
  then every node it recorded drops its saved values. When backward first reaches one of
  them, fn reruns and each node takes back what its twin in the rerun saved; at the end
  of that backward they are dropped again, so with retain_graph a second backward
  recomputes (as in torch). Gradients flow through the original graph, so
  ``autograd.grad``, ``backward(inputs=)``, ``create_graph`` and DDP's hooks all work.

Both restore the RNG state of forward for the rerun (``preserve_rng_state``), so dropout
draws the same mask, and the autocast state of forward.

Deviations from torch: dpt has no saved-tensor hooks (ops keep their saved values as
attributes of their node), so the non-reentrant variant swaps whole node states instead
of packing single tensors; its determinism check compares each node's op and output
shapes/dtypes, and the rerun always runs fn to the end (``early_stop`` changes nothing).
Nested checkpoints give correct gradients, but an inner checkpoint's inputs stay alive
until its backward.
"""
from __future__ import annotations

import contextlib
import warnings
import weakref
from typing import Any, Callable, ContextManager, Iterable, Tuple

from .. import amp as _amp
from .. import random as _random
from .._device import device as _device
from .._tensor import Tensor
from ..autograd import backward as _backward
from ..autograd.engine import _is_checkpoint_valid, queue_callback
from ..autograd.function import Function as _OpNode
from ..autograd.function import FunctionBase as _Function
from ..autograd.graph import record_nodes
from ..autograd.grad_mode import _state as _grad_state
from ..autograd.grad_mode import enable_grad, is_grad_enabled

__all__ = ["checkpoint", "checkpoint_sequential", "CheckpointError", "CheckpointFunction",
           "check_backward_validity", "detach_variable", "noop_context_fn",
           "set_checkpoint_debug_enabled", "set_checkpoint_early_stop"]

_DETERMINISM_CHECKS = ("default", "none")
_debug_enabled: bool | None = None


class CheckpointError(RuntimeError):
    """The rerun of a non-reentrant checkpoint recorded a different graph than forward."""


def noop_context_fn() -> Tuple[ContextManager, ContextManager]:
    """The default context_fn: no context around forward, none around the rerun."""
    return contextlib.nullcontext(), contextlib.nullcontext()


@contextlib.contextmanager
def set_checkpoint_debug_enabled(enabled: bool | None):
    """set_checkpoint_debug_enabled(enabled): overrides every checkpoint's ``debug`` flag
    inside the block (None: each call's own flag)."""
    global _debug_enabled
    prev, _debug_enabled = _debug_enabled, enabled
    try:
        yield
    finally:
        _debug_enabled = prev


@contextlib.contextmanager
def set_checkpoint_early_stop(enable: bool):
    """set_checkpoint_early_stop(enable): accepted for torch scripts; dpt's rerun always runs
    the function to the end, so it changes nothing."""
    yield


def detach_variable(inputs: Tuple[Any, ...]) -> Tuple[Any, ...]:
    """The tuple with each tensor detached, keeping its requires_grad flag."""
    if not isinstance(inputs, tuple):
        raise RuntimeError("Only tuple of tensors is supported. Got Unsupported input type: "
                           f"{type(inputs).__name__}")
    out = []
    for a in inputs:
        if isinstance(a, Tensor):
            d = a.detach()
            d.requires_grad_(a.requires_grad)
            a = d
        out.append(a)
    return tuple(out)


def check_backward_validity(inputs: Iterable[Any]) -> None:
    """Warn when no tensor input requires grad: a reentrant checkpoint's outputs then don't."""
    if not any(isinstance(a, Tensor) and a.requires_grad for a in inputs):
        warnings.warn("None of the inputs have requires_grad=True. Gradients will be None",
                      stacklevel=2)


class _ForwardState:
    """The RNG and autocast state forward ran under, to rerun fn under the same."""

    def __init__(self, tensors, preserve_rng_state: bool):
        self.preserve = preserve_rng_state
        self.gpus = sorted({t.device.index or 0 for t in tensors if t.is_cuda})
        if preserve_rng_state:
            self.cpu = _random.get_rng_state()
            self.gpu_states = [self._gpu_gen(i).get_state() for i in self.gpus]
        self.autocast = [(dev, _amp.is_autocast_enabled(dev), _amp.get_autocast_dtype(dev))
                         for dev in ("cpu", "cuda")]

    @staticmethod
    def _gpu_gen(index: int):
        return _random.default_generator_for(_device("cuda", index))

    @contextlib.contextmanager
    def restored(self):
        """Forward's random state and autocast regions; the caller's come back on exit."""
        prev_autocast = _grad_state.autocast
        with _random.fork_rng(devices=self.gpus, enabled=self.preserve), \
                contextlib.ExitStack() as regions:
            if self.preserve:
                _random.set_rng_state(self.cpu)
                for i, st in zip(self.gpus, self.gpu_states):
                    self._gpu_gen(i).set_state(st)
            for dev, enabled, dtype in self.autocast:
                regions.enter_context(_amp.autocast(dev, dtype, enabled=enabled))
            try:
                yield
            finally:
                regions.close()
                _grad_state.autocast = prev_autocast  # the engine runs backward without


def _tensors(args, kwargs=None) -> list:
    return [a for a in list(args) + list((kwargs or {}).values()) if isinstance(a, Tensor)]


# ---------------------------------------------------------------------------------------
# use_reentrant=True: one Function whose backward reruns fn and backpropagates through it
# ---------------------------------------------------------------------------------------
class CheckpointFunction(_Function):
    """The reentrant checkpoint: ``CheckpointFunction.apply(fn, preserve_rng_state, *args)``."""

    @staticmethod
    def forward(ctx, run_function, preserve_rng_state, *args):
        check_backward_validity(args)
        ctx.run_function = run_function
        ctx.state = _ForwardState(_tensors(args), preserve_rng_state)
        ctx.inputs = [None if isinstance(a, Tensor) else a for a in args]
        ctx.tensor_indices = [i for i, a in enumerate(args) if isinstance(a, Tensor)]
        ctx.save_for_backward(*[a for a in args if isinstance(a, Tensor)])
        return run_function(*args)  # apply runs forward under no_grad: nothing is kept

    @staticmethod
    def backward(ctx, *grad_outputs):
        if not _is_checkpoint_valid():
            raise RuntimeError(
                "When use_reentrant=True, dpt.utils.checkpoint is incompatible with .grad() or "
                "passing an `inputs` parameter to .backward(). To resolve this error, you can "
                "either set use_reentrant=False, or call .backward() without passing the "
                "`inputs` argument.")
        inputs = list(ctx.inputs)
        for i, t in zip(ctx.tensor_indices, ctx.saved_tensors):
            inputs[i] = t
        with ctx.state.restored():
            detached = detach_variable(tuple(inputs))
            with enable_grad():
                outputs = ctx.run_function(*detached)
        if isinstance(outputs, Tensor):
            outputs = (outputs,)
        pairs = [(o, g) for o, g in zip(outputs, grad_outputs)
                 if isinstance(o, Tensor) and o.requires_grad]
        if not pairs:
            raise RuntimeError("none of output has requires_grad=True, this checkpoint() is "
                               "not necessary")
        _backward([o for o, _ in pairs], [g for _, g in pairs])
        return (None, None) + tuple(a.grad if isinstance(a, Tensor) else None for a in detached)


# ---------------------------------------------------------------------------------------
# use_reentrant=False: the recorded nodes give up their saved values until backward
# ---------------------------------------------------------------------------------------
# What a stripped node keeps: its place in the graph, its hooks, what forward's outputs were.
_GRAPH_KEYS = frozenset(_OpNode._KEEP) | {"_out_versions", "_cls", "_materialize", "_freed"}


def _signature(node) -> tuple:
    """What the rerun's twin of node must match: the op and its outputs' shapes and dtypes."""
    return node.name(), tuple(m[:2] if m is not None else None for m in node._out_meta)


class _Frame:
    """One non-reentrant checkpoint call: fn's inputs, forward's state, its recorded nodes."""

    def __init__(self, fn, args, kwargs, state, recompute_context, check: str, debug: bool):
        self.fn, self.args, self.kwargs, self.state = fn, args, kwargs, state
        self.recompute_context = recompute_context
        self.check, self.debug = check, debug
        self.versions = [(t, t._vc[0]) for t in _tensors(args, kwargs)]
        self.loaded = weakref.WeakSet()

    def arm(self, nodes) -> None:
        """Strip the nodes forward recorded; the first to run in backward recomputes them.

        The frame holds them weakly: the graph owns the nodes and their hooks own the frame,
        so the frame is freed with the graph.
        """
        self.nodes = [weakref.ref(n) for n in nodes]
        self.signatures = [_signature(n) for n in nodes]
        for node in nodes:
            _strip(node)
            node.register_prehook(lambda grads, ref=weakref.ref(node): self._unpack(ref()))

    def _unpack(self, node) -> None:
        """Before a stripped node runs: refill it (and the rest) unless that is done."""
        if node._freed or node in self.loaded:
            return  # a freed node makes the engine raise its usual error
        self._recompute()

    def _recompute(self) -> None:
        for t, v in self.versions:
            if t._vc[0] != v:
                raise RuntimeError(
                    f"one of the variables needed for gradient computation has been modified by "
                    f"an inplace operation: [{t.type()} {list(t.shape)}] is at version "
                    f"{t._vc[0]}; expected version {v} instead. (an input of a checkpointed "
                    f"function)")
        with self.state.restored(), enable_grad(), self.recompute_context, \
                record_nodes() as fresh:
            self.fn(*self.args, **self.kwargs)
        self._verify(fresh)
        for ref, twin in zip(self.nodes, fresh):
            node = ref()
            if node is None or node._freed or node in self.loaded:
                continue
            d = twin.__dict__
            node.__dict__.update({k: v for k, v in d.items() if k not in _GRAPH_KEYS})
            if "_ctx" in d:  # a custom Function's ctx reads its checks through its node
                d["_ctx"]._node = node
            self.loaded.add(node)
        queue_callback(self._drop)

    def _drop(self) -> None:
        """End of the backward that recomputed: nodes it did not free give their values up."""
        for node in list(self.loaded):
            if not node._freed:
                _strip(node)
        self.loaded = weakref.WeakSet()

    def _verify(self, fresh) -> None:
        if len(fresh) != len(self.signatures):
            raise CheckpointError(
                "dpt.utils.checkpoint: the recomputation recorded a different number of graph "
                f"nodes than the original forward.\nNodes recorded during forward: "
                f"{len(self.signatures)}\nNodes recorded during recomputation: {len(fresh)}"
                f"{self._trace(fresh)}")
        if self.check == "none":
            return
        bad = [(i, a, _signature(b)) for i, (a, b) in enumerate(zip(self.signatures, fresh))
               if a != _signature(b)]
        if bad:
            lines = "".join(f"node {i}:\nsaved metadata: {a}\nrecomputed metadata: {b}\n"
                            for i, a, b in bad)
            raise CheckpointError(
                "dpt.utils.checkpoint: Recomputed values for the following nodes have different "
                f"metadata than during the forward pass.\n{lines}{self._trace(fresh)}")

    def _trace(self, fresh) -> str:
        if not self.debug:
            return ("\nTip: pass `debug=True` to checkpoint(...) or wrap the code in "
                    "`set_checkpoint_debug_enabled(True)` to list the recorded ops.")
        fwd = "\n".join(f"  {i}: {s[0]} {s[1]}" for i, s in enumerate(self.signatures))
        rec = "\n".join(f"  {i}: {n.name()} {_signature(n)[1]}" for i, n in enumerate(fresh))
        return f"\nOps recorded during forward:\n{fwd}\nOps recorded during recomputation:\n{rec}"


def _strip(node) -> None:
    d = node.__dict__
    for k in [k for k in d if k not in _GRAPH_KEYS]:
        del d[k]


def checkpoint(function, *args, use_reentrant: bool | None = None,
               context_fn: Callable[[], Tuple[ContextManager, ContextManager]] = noop_context_fn,
               determinism_check: str = "default", debug: bool = False, early_stop: bool = True,
               preserve_rng_state: bool = True, **kwargs):
    """checkpoint(function, *args, use_reentrant=None, context_fn=noop_context_fn,
    determinism_check='default', debug=False, early_stop=True, preserve_rng_state=True,
    **kwargs).

    Returns function(*args, **kwargs), keeping only the inputs for backward, which reruns
    the function to get its activations back (see the module docstring for the two
    variants). Pass ``use_reentrant`` explicitly: without it torch 2.13 warns and uses the
    reentrant variant, and so does dpt. Keyword arguments for function, ``context_fn`` and
    ``debug`` need ``use_reentrant=False``. ``context_fn()`` gives two context managers, one
    entered around forward and one around the rerun.
    """
    if use_reentrant is None:
        warnings.warn(
            "dpt.utils.checkpoint: the use_reentrant parameter should be passed explicitly. "
            "torch (2.9 and later) announces an exception for calls without it. "
            "use_reentrant=False is recommended, but if you need to preserve the current "
            "default behavior, you can pass use_reentrant=True. Refer to the docs for the "
            "differences between the two variants.", stacklevel=2)
        use_reentrant = True
    if use_reentrant:
        if kwargs:
            raise ValueError("Unexpected keyword arguments: " + ",".join(kwargs))
        if context_fn is not noop_context_fn or debug is not False:
            raise ValueError("Passing `context_fn` or `debug` is only supported when "
                             "use_reentrant=False.")
        return CheckpointFunction.apply(function, preserve_rng_state, *args)

    if determinism_check not in _DETERMINISM_CHECKS:
        raise ValueError(f"determinism_check should be one of {list(_DETERMINISM_CHECKS)}, "
                         f"but got {determinism_check}")
    debug = debug if _debug_enabled is None else _debug_enabled
    if debug and context_fn is not noop_context_fn:
        raise ValueError("debug=True is incompatible with non-default context_fn")
    forward_context, recompute_context = context_fn()
    if not is_grad_enabled():  # nothing is recorded, so nothing needs recomputing
        return function(*args, **kwargs)
    state = _ForwardState(_tensors(args, kwargs), preserve_rng_state)
    frame = _Frame(function, args, kwargs, state, recompute_context, determinism_check, debug)
    with record_nodes() as nodes:
        suppressed = True
        with forward_context:
            out = function(*args, **kwargs)
            suppressed = False
    if suppressed:
        raise RuntimeError(
            "dpt.utils.checkpoint: the forward context provided by context_fn suppressed an "
            "exception raised during the checkpointed forward. This is not supported because "
            "checkpoint cannot return a value for a failed forward.")
    frame.arm(nodes)
    return out


def checkpoint_sequential(functions, segments: int, input, use_reentrant: bool | None = None,
                          **kwargs):
    """checkpoint_sequential(functions, segments, input, use_reentrant=None, **kwargs).

    Runs an ``nn.Sequential`` (or a list of modules/functions) in ``segments`` chunks; every
    chunk but the last is checkpointed, so only the chunk boundaries stay in memory.
    ``preserve_rng_state`` is the one keyword argument accepted.
    """
    if use_reentrant is None:
        warnings.warn(
            "dpt.utils.checkpoint.checkpoint_sequential: the use_reentrant parameter should be "
            "passed explicitly. torch (2.9 and later) announces an exception for calls "
            "without it. use_reentrant=False is recommended, but if you need to preserve the "
            "current default behavior, you can pass use_reentrant=True.", stacklevel=2)
        use_reentrant = True
    preserve = kwargs.pop("preserve_rng_state", True)
    if kwargs:
        raise ValueError("Unexpected keyword arguments: " + ",".join(kwargs))
    from ..nn import Sequential
    if isinstance(functions, Sequential):
        functions = list(functions.children())
    functions = list(functions)

    def run(chunk):
        def forward(x):
            for f in chunk:
                x = f(x)
            return x
        return forward

    size = len(functions) // segments
    start = 0
    for _ in range(segments - 1):
        input = checkpoint(run(functions[start:start + size]), input,
                           use_reentrant=use_reentrant, preserve_rng_state=preserve)
        start += size
    return run(functions[start:])(input)
