"""Tensor printing in torch's layout: ``tensor([[1., 2.]], requires_grad=True)``."""
from __future__ import annotations

import numpy as np

from . import _dtype

PRECISION = 4


def _float_formatter(values: np.ndarray):
    """torch's choice: integers print as '1.', else fixed 4 decimals, else scientific."""
    finite = values[np.isfinite(values)]
    if finite.size == 0:
        return lambda v: f"{v}"
    absv = np.abs(finite.astype(np.float64))
    if np.all(finite == np.round(finite)):
        if absv.max() >= 1e8:
            return lambda v: _fmt_sci(v)
        return lambda v: f"{v:.0f}." if np.isfinite(v) else f"{v}"
    nonzero = absv[absv > 0]
    if nonzero.size and (nonzero.max() / nonzero.min() > 1000 or nonzero.max() > 1e8
                         or nonzero.min() < 1e-4):
        return lambda v: _fmt_sci(v)
    return lambda v: f"{v:.{PRECISION}f}" if np.isfinite(v) else f"{v}"


def _fmt_sci(v) -> str:
    return f"{v:.{PRECISION}e}" if np.isfinite(v) else f"{v}"


def format_array(arr: np.ndarray, indent: int) -> str:
    if arr.dtype == np.bool_:
        fmt = lambda v: "True" if v else "False"  # noqa: E731
    elif arr.dtype.kind in "iu":
        fmt = str
    elif arr.dtype.kind == "c":
        re_fmt = _float_formatter(arr.real.ravel()) if arr.size else str
        im_fmt = _float_formatter(arr.imag.ravel()) if arr.size else str
        fmt = lambda v: f"{re_fmt(v.real)}{'+' if v.imag >= 0 else '-'}{im_fmt(abs(v.imag))}j"  # noqa: E731
    else:
        arr = arr.astype(np.float64) if arr.dtype.itemsize < 4 or arr.dtype.kind != "f" else arr
        fmt = _float_formatter(arr.ravel()) if arr.size else str
    if arr.ndim == 0:
        return fmt(arr.item() if arr.dtype.kind != "c" else arr[()])
    if arr.size == 0:
        return "[]"
    summarize = arr.size > 1000
    cells = np.vectorize(fmt, otypes=[object])(arr) if not summarize else None
    if summarize:
        return np.array2string(arr, separator=", ", prefix=" " * indent, threshold=1000,
                               edgeitems=3, formatter={"all": fmt})
    width = max(len(c) for c in cells.ravel())
    return _nest(cells, width, indent)


def _nest(cells, width, indent):
    if cells.ndim == 1:
        return "[" + ", ".join(c.rjust(width) for c in cells) + "]"
    sep = "," + "\n" * (cells.ndim - 1) + " " * (indent + 1)
    return "[" + sep.join(_nest(sub, width, indent + 1) for sub in cells) + "]"


def tensor_repr(t, prefix: str = "tensor(") -> str:
    arr = t._data
    arr = arr if isinstance(arr, np.ndarray) else arr.get()
    body = format_array(arr, len(prefix))
    suffixes = []
    if t.device.type != "cpu":
        suffixes.append(f"device='{t.device}'")
    if arr.size == 0 and arr.shape != (0,):
        suffixes.append(f"size={tuple(arr.shape)}")
    implicit = (_dtype.get_default_dtype(), _dtype.int64, _dtype.bool, _dtype.default_complex())
    if t.dtype not in implicit:
        suffixes.append(f"dtype={t.dtype!r}")
    if t.grad_fn is not None:
        suffixes.append(f"grad_fn=<{t.grad_fn.name()}>")
    elif t.requires_grad:
        suffixes.append("requires_grad=True")
    return prefix + body + "".join(", " + s for s in suffixes) + ")"
