"""Grad modes: no_grad, enable_grad, set_grad_enabled, inference_mode.

The mode is per thread, as in torch. Every op reads it, so it is a plain attribute
of a thread-local object (class attributes give the defaults in new threads).
"""
from __future__ import annotations

import functools
import threading


class _State(threading.local):
    enabled = True
    inference = False
    # {device type: numpy dtype} of the enabled autocast regions (dpt.amp.autocast), or None;
    # read by Function.apply for the ops that declare an autocast policy
    autocast = None
    # a list collecting every node recorded while it is set (autograd.graph.record_nodes)
    recorder = None


_state = _State()


def is_grad_enabled() -> bool:
    """True when ops record the graph (the default)."""
    return _state.enabled


def _set_enabled(mode: bool) -> None:
    _state.enabled = mode


def is_inference_mode_enabled() -> bool:
    return _state.inference


class _GradMode:
    """Base of the grad-mode context managers; each also works as a decorator."""

    mode = True

    def __enter__(self):
        self._prev = _state.enabled
        _state.enabled = self.mode
        return self

    def __exit__(self, *exc):
        _state.enabled = self._prev
        return False

    def __call__(self, func):
        ctor_args = self._ctor_args()
        cls = self.__class__

        @functools.wraps(func)
        def wrapper(*args, **kwargs):
            with cls(*ctor_args):
                return func(*args, **kwargs)
        return wrapper

    def clone(self):
        return self.__class__(*self._ctor_args())

    def _ctor_args(self):
        return ()


class no_grad(_GradMode):
    """no_grad(): ops run without recording a graph (context manager or decorator).

    Both ``@no_grad()`` and the bare ``@no_grad`` decorate a function.
    """

    mode = False

    def __new__(cls, orig_func=None):
        self = super().__new__(cls)
        if callable(orig_func):
            return self(orig_func)
        return self

    def __init__(self, orig_func=None):
        pass


class enable_grad(no_grad):
    """enable_grad(): turn recording back on inside a no_grad region."""

    mode = True


class set_grad_enabled(_GradMode):
    """set_grad_enabled(mode): sets recording on or off at once; also a context manager
    (restoring the previous mode on exit) and a decorator."""

    def __init__(self, mode: bool):
        self.mode = bool(mode)
        self._prev = _state.enabled
        _state.enabled = self.mode

    def __call__(self, func):
        # As a decorator the call above must not leak: restore, then apply the mode per call.
        _state.enabled = self._prev
        return super().__call__(func)

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        _state.enabled = self._prev
        return False

    def _ctor_args(self):
        return (self.mode,)


class inference_mode(_GradMode):
    """inference_mode(mode=True): like no_grad; ``inference_mode(False)`` changes nothing.

    Deviation from torch: dpt has no separate inference tensors, so tensors made
    here may later be used in autograd.
    """

    def __new__(cls, mode=True):
        self = super().__new__(cls)
        if callable(mode):
            self.__init__()
            return self(mode)
        return self

    def __init__(self, mode: bool = True):
        self._inference = bool(mode)

    def __enter__(self):
        self._prev_inf = _state.inference
        self._prev = _state.enabled
        if self._inference:
            _state.inference = True
            _state.enabled = False
        return self

    def __exit__(self, *exc):
        _state.inference = self._prev_inf
        _state.enabled = self._prev
        return False

    def _ctor_args(self):
        return (self._inference,)
