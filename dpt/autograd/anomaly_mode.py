"""Anomaly detection: detect_anomaly, set_detect_anomaly and the flags behind them.

While enabled, each node recorded by this thread keeps the stack of the forward call that
made it, and a backward that raises warns with that stack (torch's "Error detected in
...Backward0"). With check_nan, a backward whose gradients contain NaN raises a
RuntimeError naming its node. The flags are process-wide, as in torch; forward stacks are
kept for the thread that enabled the mode, and not inside an activation checkpoint's own
recording (autograd.graph.record_nodes). Backward runs slower: use it to debug.
"""
from __future__ import annotations

import functools
import traceback
import warnings

from .._device import xp_of
from .grad_mode import _state as _grad_state

__all__ = ["detect_anomaly", "set_detect_anomaly"]


class _Flags:
    enabled = False
    check_nan = True


flags = _Flags()


def is_anomaly_enabled() -> bool:
    return flags.enabled


def is_anomaly_check_nan_enabled() -> bool:
    return flags.check_nan


class _StackRecorder:
    """Stands in for grad_mode's node recorder: stamps each node with its forward stack,
    then hands it on to the recorder it replaced (autograd.graph.record_nodes)."""

    def __init__(self, outer):
        self.outer = outer

    def append(self, node):
        if flags.enabled:  # it may outlive the mode when a record_nodes block was open
            node.__dict__["_anomaly_stack"] = traceback.format_stack()[:-2]
        if self.outer is not None:
            self.outer.append(node)


def set_anomaly_enabled(enabled: bool, check_nan: bool = True) -> None:
    """set_anomaly_enabled(enabled, check_nan=True): turn anomaly detection on or off."""
    flags.enabled, flags.check_nan = bool(enabled), bool(check_nan)
    rec = _grad_state.recorder
    if flags.enabled and not isinstance(rec, _StackRecorder):
        _grad_state.recorder = _StackRecorder(rec)
    elif not flags.enabled and isinstance(rec, _StackRecorder):
        _grad_state.recorder = rec.outer


class _Mode:
    """Anomaly detection set to (enabled, check_nan) inside a with-block, restored after."""

    def __init__(self, enabled: bool, check_nan: bool):
        self.mode, self.prev = (enabled, check_nan), None

    def __enter__(self):
        self.prev = (flags.enabled, flags.check_nan)
        set_anomaly_enabled(*self.mode)

    def __exit__(self, *exc):
        set_anomaly_enabled(*self.prev)
        return False


class set_detect_anomaly:
    """set_detect_anomaly(mode, check_nan=True): turns anomaly detection on or off on creation
    (usable as a plain call or a context manager); leaving the with-block restores the
    previous setting."""

    def __init__(self, mode: bool, check_nan: bool = True):
        self.prev = (flags.enabled, flags.check_nan)
        set_anomaly_enabled(mode, check_nan)

    def __enter__(self):
        return None

    def __exit__(self, *exc):
        set_anomaly_enabled(*self.prev)
        return False


class detect_anomaly:
    """detect_anomaly(check_nan=True): a context manager (or decorator) that enables anomaly
    detection inside it: a failing backward warns with its node's forward stack and, with
    check_nan, a NaN gradient raises RuntimeError naming the node that produced it."""

    def __init__(self, check_nan: bool = True):
        self.check_nan = check_nan
        self._mode = None
        warnings.warn("Anomaly Detection has been enabled. This mode will increase the runtime "
                      "and should only be enabled for debugging.", UserWarning, stacklevel=2)

    def __enter__(self):
        self._mode = _Mode(True, self.check_nan)
        self._mode.__enter__()

    def __exit__(self, *exc):
        return self._mode.__exit__(*exc)

    def __call__(self, fn):
        @functools.wraps(fn)
        def wrapper(*args, **kwargs):
            with _Mode(True, self.check_nan):
                return fn(*args, **kwargs)
        return wrapper


def run_backward_checked(node, grads):
    """node.backward(*grads) in anomaly mode: a failure warns with the forward stack; with
    check_nan, a NaN among the results raises naming the node."""
    try:
        out = node.backward(*grads)
    except Exception:
        stack = node.__dict__.get("_anomaly_stack")
        trace = "".join(stack) if stack else "(not recorded: the forward ran outside the mode)\n"
        warnings.warn(f"Error detected in {node.name()}. Traceback of forward call that caused "
                      f"the error:\n{trace}", UserWarning, stacklevel=2)
        raise
    if flags.check_nan:
        for i, g in enumerate(out if type(out) is tuple else (out,)):
            if g is None:
                continue
            data = getattr(g, "_data", g)
            xp = xp_of(data)
            if data.dtype.kind in "fc" and bool(xp.isnan(data).any()):
                raise RuntimeError(f"Function '{node.name()}' returned nan values in its {i}th "
                                   "output.")
    return out
