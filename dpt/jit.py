"""dpt.jit and dpt.compile: torch's compiler entry points, accepted and passed through.

dpt has no compiler and no graph capture: every op runs eagerly on CPU or GPU arrays. These
functions exist so that scripts written for torch run unchanged; they return the function
or module they are given, and the decorators leave functions as they are.
"""
from __future__ import annotations

__all__ = ["script", "trace", "trace_module", "ignore", "unused", "export", "is_scripting",
           "is_tracing", "annotate", "compile", "Final"]


def compile(model=None, *, fullgraph: bool = False, dynamic=None, backend="inductor", mode=None,
            options=None, disable: bool = False):
    """compile(model=None, *, fullgraph=False, dynamic=None, backend='inductor', mode=None,
    options=None, disable=False): returns model unchanged (dpt has no compiler).

    Used as ``@dpt.compile`` or ``@dpt.compile(mode=...)`` it is a decorator that leaves
    the function as it is.
    """
    if model is None:
        return lambda fn: fn
    if not callable(model):
        raise RuntimeError("compile(): model must be a callable (a function or a Module)")
    return model


def script(obj, optimize=None, _frames_up: int = 0, _rcb=None, example_inputs=None):
    """script(obj): obj itself (dpt runs eagerly; TorchScript is not available)."""
    return obj


def trace(func, example_inputs=None, optimize=None, check_trace: bool = True,
          check_inputs=None, check_tolerance: float = 1e-5, strict: bool = True,
          _force_outplace: bool = False, _module_class=None, _compilation_unit=None,
          example_kwarg_inputs=None, _store_inputs: bool = True):
    """trace(func, example_inputs=None, ...): func itself. Unlike torch, no graph is recorded,
    so data-dependent control flow keeps working and there is nothing to save."""
    return func


def trace_module(mod, inputs, *args, **kwargs):
    """trace_module(mod, inputs, ...): mod itself."""
    return mod


def ignore(drop=False, **kwargs):
    """@ignore or @ignore(drop=...): leaves the function unchanged."""
    if callable(drop):
        return drop
    return lambda fn: fn


def unused(fn):
    """@unused: leaves the function unchanged."""
    return fn


def export(fn):
    """@export: leaves the function unchanged."""
    return fn


def is_scripting() -> bool:
    """is_scripting(): always False (nothing is compiled)."""
    return False


def is_tracing() -> bool:
    """is_tracing(): always False (nothing is traced)."""
    return False


def annotate(the_type, the_value):
    """annotate(type, value): value (type annotations only matter to TorchScript)."""
    return the_value


class _FinalMeta(type):
    def __getitem__(cls, item):
        return item


class Final(metaclass=_FinalMeta):
    """Final[int]: the annotated type itself (TorchScript's constant marker)."""

