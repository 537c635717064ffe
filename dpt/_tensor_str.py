"""Tensor printing in torch's layout: ``tensor([[1., 2.]], requires_grad=True)``.

One formatter per tensor picks the style from the finite non-zero values, exactly as
torch does: all integral -> ``1.``; a max/min ratio over 1000, a max over 1e8 or a min
under 1e-4 -> scientific; otherwise fixed with ``precision`` decimals. Every element is
right-aligned to the widest one, rows wrap at ``linewidth``, and tensors with more than
``threshold`` elements show ``edgeitems`` items at each end of every dimension.
"""
from __future__ import annotations

import contextlib
import math

import numpy as np

from . import _dtype

__all__ = ["set_printoptions", "get_printoptions", "printoptions"]


class _PrintOptions:
    precision = 4
    threshold = 1000
    edgeitems = 3
    linewidth = 80
    sci_mode = None


PRINT_OPTS = _PrintOptions()

_PROFILES = {"default": (4, 1000, 3, 80), "short": (2, 1000, 2, 80), "full": (4, math.inf, 3, 80)}


def set_printoptions(precision=None, threshold=None, edgeitems=None, linewidth=None, profile=None,
                     sci_mode=None) -> None:
    """set_printoptions(precision=4, threshold=1000, edgeitems=3, linewidth=80, profile=None,
    sci_mode=None), as torch: ``profile`` is 'default', 'short' or 'full'; ``sci_mode`` True
    or False forces scientific notation on or off, None (the default) lets dpt choose.
    """
    if profile is not None:
        if profile not in _PROFILES:
            raise ValueError(f"profile must be one of {sorted(_PROFILES)}, got {profile!r}")
        (PRINT_OPTS.precision, PRINT_OPTS.threshold, PRINT_OPTS.edgeitems,
         PRINT_OPTS.linewidth) = _PROFILES[profile]
    if precision is not None:
        PRINT_OPTS.precision = precision
    if threshold is not None:
        PRINT_OPTS.threshold = threshold
    if edgeitems is not None:
        PRINT_OPTS.edgeitems = edgeitems
    if linewidth is not None:
        PRINT_OPTS.linewidth = linewidth
    PRINT_OPTS.sci_mode = sci_mode  # torch resets it on every call too


def get_printoptions() -> dict:
    return {k: getattr(PRINT_OPTS, k) for k in
            ("precision", "threshold", "edgeitems", "linewidth", "sci_mode")}


@contextlib.contextmanager
def printoptions(**kwargs):
    """Temporarily change the print options: ``with printoptions(precision=2): ...``."""
    old = get_printoptions()
    set_printoptions(**kwargs)
    try:
        yield
    finally:
        set_printoptions(**old)


class _Formatter:
    """Decides int/fixed/scientific style and the common width from the values shown."""

    def __init__(self, values: np.ndarray):
        self.floating = values.dtype.kind == "f"
        self.int_mode, self.sci_mode, self.max_width = True, False, 1
        flat = values.ravel()
        p = PRINT_OPTS.precision
        if not self.floating:
            for v in flat.tolist():
                self.max_width = max(self.max_width, len(f"{v}"))
        else:
            vals = flat[np.isfinite(flat) & (flat != 0)]
            if vals.size:
                absv = np.abs(vals).astype(np.float64)
                lo, hi = absv.min(), absv.max()
                self.int_mode = bool(np.all(vals == np.ceil(vals)))
                py = vals.tolist()
                self.sci_mode = hi / lo > 1000.0 or hi > 1.0e8 or (not self.int_mode and lo < 1.0e-4)
                if PRINT_OPTS.sci_mode is not None:  # a forced mode also sets the width, as torch
                    self.sci_mode = PRINT_OPTS.sci_mode
                if self.sci_mode:
                    widths = [len(f"{v:.{p}e}") for v in py]
                elif self.int_mode:
                    widths = [len(f"{v:.0f}") + 1 for v in py]
                else:
                    widths = [len(f"{v:.{p}f}") for v in py]
                self.max_width = max([self.max_width] + widths)
        if PRINT_OPTS.sci_mode is not None:
            self.sci_mode = PRINT_OPTS.sci_mode

    def width(self) -> int:
        return self.max_width

    def format(self, value) -> str:
        p = PRINT_OPTS.precision
        if self.floating:
            if self.sci_mode:
                s = f"{value:{self.max_width}.{p}e}"
            elif self.int_mode:
                s = f"{value:.0f}"
                if not (math.isinf(value) or math.isnan(value)):
                    s += "."
            else:
                s = f"{value:.{p}f}"
        else:
            s = f"{value}"
        return (self.max_width - len(s)) * " " + s


def _complex_str(val, real_fmt: _Formatter, imag_fmt: _Formatter) -> str:
    real = real_fmt.format(val.real)
    imag = (imag_fmt.format(val.imag) + "j").lstrip()
    return real + imag if imag[0] in "+-" else real + "+" + imag


def _summarized(arr: np.ndarray) -> np.ndarray:
    """The elements that will be printed (edge items of every dimension)."""
    e = PRINT_OPTS.edgeitems
    if arr.ndim == 0:
        return arr
    if arr.ndim == 1:
        return np.concatenate((arr[:e], arr[-e:])) if arr.shape[0] > 2 * e else arr
    if not e:
        return arr[(slice(0, 0),) * arr.ndim]
    rows = list(arr[:e]) + list(arr[-e:]) if arr.shape[0] > 2 * e else list(arr)
    return np.stack([_summarized(r) for r in rows])


def _vector_str(arr, indent, summarize, fmt1, fmt2=None) -> str:
    elem_len = fmt1.width() + 2 + (fmt2.width() + 1 if fmt2 is not None else 0)
    per_line = max(1, int(math.floor((PRINT_OPTS.linewidth - indent) / elem_len)))

    def one(v):
        return _complex_str(v, fmt1, fmt2) if fmt2 is not None else fmt1.format(v)

    e = PRINT_OPTS.edgeitems
    if summarize and not e:
        data = ["..."]
    elif summarize and arr.shape[0] > 2 * e:
        data = [one(v) for v in arr[:e].tolist()] + [" ..."] + [one(v) for v in arr[-e:].tolist()]
    else:
        data = [one(v) for v in arr.tolist()]
    lines = [", ".join(data[i:i + per_line]) for i in range(0, len(data), per_line)]
    return "[" + ("," + "\n" + " " * (indent + 1)).join(lines) + "]"


def _str_with_formatter(arr, indent, summarize, fmt1, fmt2=None) -> str:
    if arr.ndim == 0:
        v = arr.item()
        return _complex_str(v, fmt1, fmt2) if fmt2 is not None else fmt1.format(v)
    if arr.ndim == 1:
        return _vector_str(arr, indent, summarize, fmt1, fmt2)
    e = PRINT_OPTS.edgeitems
    n = arr.shape[0]
    if summarize and n > 2 * e:
        slices = ([_str_with_formatter(arr[i], indent + 1, summarize, fmt1, fmt2) for i in range(e)]
                  + ["..."]
                  + [_str_with_formatter(arr[i], indent + 1, summarize, fmt1, fmt2)
                     for i in range(n - e, n)])
    else:
        slices = [_str_with_formatter(arr[i], indent + 1, summarize, fmt1, fmt2) for i in range(n)]
    return "[" + ("," + "\n" * (arr.ndim - 1) + " " * (indent + 1)).join(slices) + "]"


def format_array(arr: np.ndarray, indent: int) -> str:
    """The bracketed body of a tensor's repr for a numpy array, indented by indent columns."""
    if arr.size == 0:
        return "[]"
    summarize = arr.size > PRINT_OPTS.threshold
    if arr.dtype.kind == "f" and arr.dtype.itemsize < 4 or arr.dtype.name == "bfloat16":
        arr = arr.astype(np.float32)
    if arr.dtype.kind == "c":
        shown = _summarized(arr) if summarize else arr
        return _str_with_formatter(arr, indent, summarize, _Formatter(shown.real), _Formatter(shown.imag))
    return _str_with_formatter(arr, indent, summarize, _Formatter(_summarized(arr) if summarize else arr))


def _add_suffixes(body: str, suffixes: list, indent: int) -> str:
    parts = [body]
    last_line_len = len(body) - body.rfind("\n") + 1
    for suffix in suffixes:
        if last_line_len + len(suffix) + 2 > PRINT_OPTS.linewidth:
            parts.append(",\n" + " " * indent + suffix)
            last_line_len = indent + len(suffix)
        else:
            parts.append(", " + suffix)
            last_line_len += len(suffix) + 2
    parts.append(")")
    return "".join(parts)


def tensor_repr(t, prefix: str | None = None) -> str:
    """repr(t) as torch prints it; subclasses other than Parameter print their class name."""
    if prefix is None:
        cls = type(t)
        plain = cls.__name__ in ("Tensor", "Parameter")
        prefix = "tensor(" if plain else f"{cls.__name__}("
    indent = len(prefix)
    arr = t._data
    arr = arr if isinstance(arr, np.ndarray) else arr.get()
    suffixes = []
    if t.device.type != "cpu":
        suffixes.append(f"device='{t.device}'")
    default = _dtype.get_default_dtype()
    if arr.size == 0:
        if arr.ndim != 1:
            suffixes.append(f"size={tuple(arr.shape)}")
        if t.dtype is not default:
            suffixes.append(f"dtype={t.dtype!r}")
        body = "[]"
    else:
        if not PRINT_OPTS.edgeitems:
            suffixes.append(f"size={tuple(arr.shape)}")
        if t.dtype not in (default, _dtype.default_complex(), _dtype.int64, _dtype.bool):
            suffixes.append(f"dtype={t.dtype!r}")
        body = format_array(arr, indent)
    if t.grad_fn is not None:
        suffixes.append(f"grad_fn=<{t.grad_fn.name()}>")
    elif t.requires_grad:
        suffixes.append("requires_grad=True")
    return _add_suffixes(prefix + body, suffixes, indent)
