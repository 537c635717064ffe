"""Grad modes: no_grad, enable_grad, set_grad_enabled, inference_mode."""
from __future__ import annotations

import functools
import threading

_state = threading.local()


def is_grad_enabled() -> bool:
    return getattr(_state, "enabled", True)


def _set_enabled(mode: bool) -> None:
    _state.enabled = mode


def is_inference_mode_enabled() -> bool:
    return getattr(_state, "inference", False)


class _GradMode:
    """Base of the grad-mode context managers; each also works as a decorator."""

    mode = True

    def __enter__(self):
        self._prev = is_grad_enabled()
        _set_enabled(self.mode)
        return self

    def __exit__(self, *exc):
        _set_enabled(self._prev)
        return False

    def __call__(self, func):
        @functools.wraps(func)
        def wrapper(*args, **kwargs):
            with self.__class__(*self._ctor_args()):
                return func(*args, **kwargs)
        return wrapper

    def _ctor_args(self):
        return ()


class no_grad(_GradMode):
    """no_grad(): ops run without recording a graph (context manager or decorator)."""

    mode = False

    def __init__(self, orig_func=None):
        # Allow the bare decorator form @no_grad as well as @no_grad().
        self._func = orig_func

    def __new__(cls, orig_func=None):
        self = super().__new__(cls)
        if callable(orig_func):
            self.__init__()
            return self(orig_func)
        return self


class enable_grad(no_grad):
    """enable_grad(): turn recording back on inside a no_grad region."""

    mode = True


class set_grad_enabled(_GradMode):
    """set_grad_enabled(mode): sets recording on or off; usable as a function or a context."""

    def __init__(self, mode: bool):
        self.mode = bool(mode)
        self._prev = is_grad_enabled()
        _set_enabled(self.mode)

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        _set_enabled(self._prev)
        return False

    def _ctor_args(self):
        return (self.mode,)


class inference_mode(_GradMode):
    """inference_mode(mode=True): like no_grad (dpt has no separate inference tensors)."""

    def __init__(self, mode: bool = True):
        self.mode = not mode
        self._inference = mode

    def __new__(cls, mode=True):
        self = super().__new__(cls)
        if callable(mode):
            self.__init__()
            return self(mode)
        return self

    def __enter__(self):
        self._prev_inf = is_inference_mode_enabled()
        _state.inference = self._inference
        return super().__enter__()

    def __exit__(self, *exc):
        _state.inference = self._prev_inf
        return super().__exit__(*exc)

    def _ctor_args(self):
        return (self._inference,)
