"""The rest of torch's top-level namespace: predicates and global switches, strided and buffer
creation, counting and histograms, finite differences and integration, statistics (cov,
corrcoef, quantile), small matrix helpers, complex views, float decomposition, the gamma-family
functions that live at top level, and the functional / in-place aliases torch exposes next to
them (``torch.conv2d``, ``torch.relu_``, ...).

Everything differentiable is written with dpt ops (so double backward works) or as a small
Function; counting functions (bincount, histogram, isin, ...) return integer or constant tensors.
"""
from __future__ import annotations

import builtins
import collections
import math
import numbers
import operator
import warnings

import numpy as np

from .. import _device, _dtype
from .._tensor import Tensor, _wrap_dim
from ..autograd.function import Function
from .arithmetic import _with_out
from .blas import diag, mm, outer
from .creation import empty, ones, tensor
from .indexing import gather
from .inplace import track_view
from .pointwise import _float_binary, _special, clamp, exp, exp2, lgamma, sqrt, xlogy
from .reduction import cumprod, cumsum, norm
from .shape import cat, flip, movedim, narrow
from .sorting import sort

__all__ = [
    # predicates and global switches
    "is_storage", "is_nonzero", "is_floating_point", "is_complex", "is_conj", "is_same_size",
    "is_signed", "resolve_conj", "resolve_neg", "conj_physical", "detach",
    "get_default_device", "set_default_device", "set_default_tensor_type",
    "use_deterministic_algorithms", "are_deterministic_algorithms_enabled",
    "is_deterministic_algorithms_warn_only_enabled",
    # creation
    "frombuffer", "empty_strided", "tril_indices", "triu_indices", "vander",
    # counting
    "bincount", "histogram", "histogramdd", "isin",
    # differences, integration, statistics
    "diff", "gradient", "trapezoid", "trapz", "cumulative_trapezoid", "cov", "corrcoef",
    "quantile", "nanquantile",
    # shapes and matrices
    "select", "narrow_copy", "rot90", "diagflat", "adjoint", "addr", "renorm",
    "view_as_real", "view_as_complex",
    # elementwise
    "heaviside", "frexp", "ldexp", "nextafter", "mvlgamma", "igamma", "igammac", "i0",
    "logaddexp2", "gcd", "lcm", "rsub",
]


# =======================================================================================
# predicates and global switches
# =======================================================================================
def is_storage(obj) -> bool:
    """is_storage(obj): always False, dpt tensors own plain arrays and have no storages."""
    return False


def is_nonzero(input: Tensor) -> bool:
    """is_nonzero(input): bool of a one-element tensor (errors for 0 or several elements)."""
    n = input.numel()
    if n == 0:
        raise RuntimeError("Boolean value of Tensor with no values is ambiguous")
    if n > 1:
        raise RuntimeError("Boolean value of Tensor with more than one value is ambiguous")
    return builtins.bool(input.item())


def is_floating_point(input: Tensor) -> bool:
    return input.is_floating_point()


def is_complex(input: Tensor) -> bool:
    return input.is_complex()


def is_signed(input: Tensor) -> bool:
    return input.is_signed()


def is_conj(input: Tensor) -> bool:
    """is_conj(input): always False, dpt conjugates eagerly (there is no lazy conj bit)."""
    return False


def is_same_size(input: Tensor, other: Tensor) -> bool:
    return input.shape == other.shape


def resolve_conj(input: Tensor) -> Tensor:
    """resolve_conj(input): input itself (no lazy conjugation in dpt)."""
    return input


def resolve_neg(input: Tensor) -> Tensor:
    """resolve_neg(input): input itself (no lazy negation in dpt)."""
    return input


def conj_physical(input: Tensor) -> Tensor:
    """conj_physical(input): the complex conjugate (dpt's conj already materialises it)."""
    from .pointwise import conj

    return conj(input)


def detach(input: Tensor) -> Tensor:
    return input.detach()


get_default_device = _device.get_default_device
set_default_device = _device.set_default_device

_deterministic = {"mode": False, "warn_only": False}


def use_deterministic_algorithms(mode: bool, *, warn_only: bool = False) -> None:
    """use_deterministic_algorithms(mode, *, warn_only=False): records the flag.

    dpt's CPU kernels are deterministic already. On the GPU, scatter-add style kernels of
    cupy use atomics; the flag is recorded for code that queries it but does not switch
    those kernels.
    """
    _deterministic["mode"], _deterministic["warn_only"] = builtins.bool(mode), builtins.bool(warn_only)


def are_deterministic_algorithms_enabled() -> bool:
    return _deterministic["mode"]


def is_deterministic_algorithms_warn_only_enabled() -> bool:
    return _deterministic["warn_only"]


def set_default_tensor_type(t) -> None:
    """set_default_tensor_type(t): legacy form of set_default_dtype (deprecated in torch).

    t is a legacy type (dpt.FloatTensor, dpt.DoubleTensor, ...) or its name ('torch.FloatTensor',
    'dpt.cuda.FloatTensor'); a cuda type also sets the default device.
    """
    warnings.warn("torch.set_default_tensor_type() is deprecated as of PyTorch 2.1, please use "
                  "torch.set_default_dtype() and torch.set_default_device() as alternatives.",
                  UserWarning, stacklevel=2)
    from .._tensor import _LEGACY

    cuda = False
    if isinstance(t, str):
        parts = t.split(".")
        cuda = "cuda" in parts[:-1]
        if parts[-1] not in _LEGACY or parts[0] not in ("torch", "dpt"):
            raise TypeError(f"invalid type: '{t}'")
        dt = _LEGACY[parts[-1]]
    elif getattr(t, "dtype", None) is not None and isinstance(t, type):
        dt = t.dtype
    else:
        raise TypeError(f"invalid type: '{t!r}'")
    if dt.category != 2:
        raise TypeError("only floating-point types are supported as the default type")
    _dtype.set_default_dtype(dt)
    if cuda:
        _device.set_default_device("cuda")


# =======================================================================================
# creation
# =======================================================================================
def frombuffer(buffer, *, dtype, count: int = -1, offset: int = 0,
               requires_grad: bool = False) -> Tensor:
    """frombuffer(buffer, *, dtype, count=-1, offset=0, requires_grad=False): a 1-D CPU tensor
    sharing the memory of an object that exposes the buffer protocol.

    A read-only buffer (bytes) gives a read-only tensor: writing to it raises.
    """
    dt = _dtype.as_dtype(dtype)
    mv = memoryview(buffer)
    nbytes = mv.nbytes
    if count == 0 or count < -1:
        raise ValueError(f"both buffer length ({nbytes}) and count ({count}) must not be 0")
    if not 0 <= offset < builtins.max(nbytes, 1) or nbytes == 0:
        raise ValueError(f"both buffer length ({nbytes}) and offset ({offset}) must not be 0, "
                         f"and offset must be in [0, {nbytes - 1}]")
    if count == -1:
        if (nbytes - offset) % dt.itemsize:
            raise ValueError(f"buffer length ({nbytes - offset} bytes) after offset ({offset} "
                             f"bytes) must be a multiple of element size ({dt.itemsize})")
        count = (nbytes - offset) // dt.itemsize
    elif offset + count * dt.itemsize > nbytes:
        raise ValueError(f"requested buffer length ({count} * {dt.itemsize} bytes) after offset "
                         f"({offset} bytes) must not be greater than actual buffer length "
                         f"({nbytes} bytes)")
    if mv.readonly:
        warnings.warn("The given buffer is not writable: the tensor shares its memory and is "
                      "read-only.", UserWarning, stacklevel=2)
    arr = np.frombuffer(buffer, dtype=dt.np, count=count, offset=offset)
    t = Tensor._make(arr)
    return t.requires_grad_(True) if requires_grad else t


def empty_strided(size, stride, *, dtype=None, layout=None, device=None, requires_grad=False,
                  pin_memory=False) -> Tensor:
    """empty_strided(size, stride, *, dtype=None, device=None, requires_grad=False):
    uninitialised memory laid out with the given element strides."""
    size, stride = tuple(operator.index(s) for s in size), tuple(operator.index(s) for s in stride)
    if len(size) != len(stride):
        raise RuntimeError("mismatch in length of strides and shape")
    if any(s < 0 for s in size) or any(s < 0 for s in stride):
        raise RuntimeError("empty_strided: negative sizes or strides are not supported")
    dt = _dtype.as_dtype(dtype) if dtype is not None else _dtype.get_default_dtype()
    dev = _device.as_device(device)
    xp = _device.array_module(dev)
    extent = 0 if 0 in size else 1 + builtins.sum((n - 1) * s for n, s in zip(size, stride))
    with _device.device_context(dev):
        buf = xp.empty(builtins.max(extent, 1), dt.np)
        arr = xp.lib.stride_tricks.as_strided(buf, size, tuple(s * dt.itemsize for s in stride))
    t = Tensor._make(arr)
    return t.requires_grad_(True) if requires_grad else t


def _tri_indices(row, col, offset, dtype, device, upper):
    row, col, offset = operator.index(row), operator.index(col), operator.index(offset)
    if row < 0 or col < 0:
        raise RuntimeError(f"row must be non-negative, got {row}" if row < 0 else
                           f"col must be non-negative, got {col}")
    dt = _dtype.as_dtype(dtype)
    if dt not in (_dtype.int32, _dtype.int64):
        raise RuntimeError(f"\"{'triu' if upper else 'tril'}_indices\" not implemented for "
                           f"'{dt}'")
    fn = np.triu_indices if upper else np.tril_indices
    rows, cols = fn(row, offset, col)
    return tensor(np.stack([rows, cols]).astype(dt.np), device=device)


def tril_indices(row, col, offset=0, *, dtype=_dtype.int64, device=None, layout=None) -> Tensor:
    """tril_indices(row, col, offset=0): the 2 x N (row, col) coordinates of the lower triangle
    of a row x col matrix, row by row."""
    return _tri_indices(row, col, offset, dtype, device, False)


def triu_indices(row, col, offset=0, *, dtype=_dtype.int64, device=None, layout=None) -> Tensor:
    """triu_indices(row, col, offset=0): the 2 x N coordinates of the upper triangle."""
    return _tri_indices(row, col, offset, dtype, device, True)


def vander(x: Tensor, N: int | None = None, increasing: bool = False) -> Tensor:
    """vander(x, N=None, increasing=False): columns are powers of x (decreasing by default).

    Integer inputs give int64 (torch promotes with long); differentiable for float inputs.
    """
    if x.ndim != 1:
        raise RuntimeError("x must be a one-dimensional tensor.")
    n = x.shape[0] if N is None else operator.index(N)
    if n < 0:
        raise RuntimeError("N must be non-negative.")
    dt = _dtype.promote_types(x.dtype, _dtype.int64)
    x = x.to(dt)
    if n == 0:
        return empty(x.shape[0], 0, dtype=dt, device=x.device)
    cols = [ones(x.shape[0], 1, dtype=dt, device=x.device)]
    if n > 1:
        cols.append(cumprod(x.unsqueeze(1).expand(x.shape[0], n - 1), 1))
    result = cat(cols, 1)
    return result if increasing else flip(result, (1,))


# =======================================================================================
# counting: bincount, histogram, histogramdd, isin
# =======================================================================================
def _result_type(name: str, fields: tuple) -> type:
    """A torch.return_types-style named tuple."""
    base = collections.namedtuple(name, fields)
    return type(name, (base,), {"__slots__": (), "__module__": __name__, "__qualname__": name,
                                "__doc__": f"{name}({', '.join(fields)}): result of dpt.{name}."})


histogram_result = _result_type("histogram", ("hist", "bin_edges"))
histogramdd_result = _result_type("histogramdd", ("hist", "bin_edges"))
frexp_result = _result_type("frexp", ("mantissa", "exponent"))


def bincount(input: Tensor, weights: Tensor | None = None, minlength: int = 0) -> Tensor:
    """bincount(input, weights=None, minlength=0): occurrences of each value of a 1-D
    non-negative integer tensor (weighted sums with weights).

    Without weights the result is int64; float32 weights give float32, others float64.
    Not differentiable (as in torch).
    """
    minlength = operator.index(minlength)
    if minlength < 0:
        raise RuntimeError("minlength should be >= 0")
    if input.ndim != 1 or input.dtype.category != 1:
        raise RuntimeError("bincount only supports 1-d non-negative integral inputs.")
    x = input._data
    xp = _device.xp_of(x)
    if x.size and builtins.bool((x < 0).any()):
        raise RuntimeError("bincount only supports 1-d non-negative integral inputs.")
    if weights is None:
        return Tensor._make(xp.bincount(x, minlength=minlength).astype(np.int64, copy=False))
    if weights.ndim != 1 or weights.shape[0] != x.shape[0]:
        raise RuntimeError("weights should be 1-d and have the same length as input")
    out = np.float32 if weights.dtype is _dtype.float32 else np.float64
    w = weights.detach()._data.astype(np.float64)
    return Tensor._make(xp.bincount(x, weights=w, minlength=minlength).astype(out))


def _bin_edges(x, bins, rng, d: int, dt, dev, op):
    """The edges of dimension d as an array of dt: given, or bins+1 evenly spaced ones."""
    from .creation import linspace

    if isinstance(bins, Tensor):
        if bins.ndim != 1 or bins.numel() < 1:
            raise RuntimeError(f"{op}: bins tensor should have one dimension and at least 1 "
                               f"element, but got {bins.ndim} dimensions")
        if bins.dtype is not dt:
            raise RuntimeError(f"{op}: input tensor and bins tensors should have the same dtype, "
                               f"but got input {dt} and bins {bins.dtype}")
        e = bins._data
        if e.size > 1 and builtins.bool((e[1:] < e[:-1]).any()):
            raise RuntimeError(f"{op}: bins tensor must be monotonically increasing")
        return e
    n = operator.index(bins)
    if n <= 0:
        raise RuntimeError(f"{op}(): bins must be > 0, but got {n} for dimension {d}")
    if rng is not None:
        lo, hi = builtins.float(rng[0]), builtins.float(rng[1])
    elif x.shape[0]:
        lo, hi = builtins.float(x[:, d].min()), builtins.float(x[:, d].max())
    else:
        lo, hi = 0.0, 0.0
    if not (math.isfinite(lo) and math.isfinite(hi)):
        raise RuntimeError(f"{op}: dimension {d}'s range [{lo}, {hi}] is not finite")
    if lo > hi:
        raise RuntimeError(f"{op}: min should not exceed max, but got min {lo} max {hi} for "
                           f"dimension {d}")
    if lo == hi:  # numpy's rule: widen an empty range so the bins have a width
        lo, hi = lo - 0.5, hi + 0.5
    return linspace(lo, hi, n + 1, dtype=dt, device=dev)._data


def _histogramdd(input, bins, rng, weight, density, op):
    if not isinstance(input, Tensor):
        raise TypeError(f"{op}(): argument 'input' must be Tensor, not {type(input).__name__}")
    if input.dtype.category != 2:
        raise RuntimeError(f"{op}: input tensor and bins tensors should have the same dtype, "
                           f"floating point expected but got {input.dtype}")
    if input.ndim < 2:
        raise RuntimeError(f"{op}: input tensor should have at least 2 dimensions, but got "
                           f"{input.ndim}")
    D = input.shape[-1]
    x = input.detach()._data.reshape(-1, D)
    xp = _device.xp_of(x)
    if isinstance(bins, (Tensor, numbers.Integral)):
        bins = [bins] * D
    bins = list(bins)
    if len(bins) != D:
        raise RuntimeError(f"{op}: expected {D} sequences of bin edges for each of the {D} "
                           f"dimensions of the input, but got {len(bins)}")
    if rng is not None:
        if any(isinstance(b, Tensor) for b in bins):
            raise TypeError(f"{op}(): range cannot be given together with bin edge tensors")
        rng = [builtins.float(r) for r in rng]
        if len(rng) != 2 * D:
            raise RuntimeError(f"{op}: for a {D}-dimensional histogram, range should have "
                               f"{2 * D} elements, but got {len(rng)}")
    edges = [_bin_edges(x, b, None if rng is None else rng[2 * d:2 * d + 2], d, input.dtype,
                        input.device, op) for d, b in enumerate(bins)]
    w = None
    if weight is not None:
        if tuple(weight.shape) != tuple(input.shape[:-1]):
            raise RuntimeError(f"{op}: if weight tensor is provided it should have the same "
                               f"shape as the input tensor excluding its innermost dimension, "
                               f"but got input with shape {list(input.shape)} and weight with "
                               f"shape {list(weight.shape)}")
        w = weight.detach()._data.reshape(-1).astype(np.float64)
    nbins = [e.size - 1 for e in edges]
    keep = xp.ones(x.shape[0], dtype=bool)
    flat = xp.zeros(x.shape[0], dtype=np.int64)
    for d, e in enumerate(edges):
        v = x[:, d]
        keep &= (v >= e[0]) & (v <= e[-1])
        pos = xp.searchsorted(e, v, side="right") - 1
        pos = xp.clip(pos, 0, builtins.max(nbins[d] - 1, 0))  # the last edge closes the last bin
        flat = flat * nbins[d] + pos
    total = int(np.prod(nbins))
    hist = xp.bincount(flat[keep], weights=None if w is None else w[keep], minlength=total)
    hist = hist[:total].astype(np.float64).reshape(nbins)
    if density:
        widths = [xp.diff(e.astype(np.float64)) for e in edges]
        vol = widths[0]
        for wd in widths[1:]:
            vol = vol[..., None] * wd
        hist = hist / (hist.sum() * vol)
    dt = input.dtype.np
    return Tensor._make(hist.astype(dt)), [Tensor._make(e.astype(dt)) for e in edges]


def histogram(input: Tensor, bins=100, *, range=None, weight=None, density=False):
    """histogram(input, bins, *, range=None, weight=None, density=False) -> (hist, bin_edges).

    bins: the number of equal-width bins over range (default: the data's min and max) or a
    1-D tensor of increasing edges. Bins are half-open [a, b) except the last, which includes
    its right edge; values outside are ignored. hist has input's dtype. Not differentiable.
    """
    if not isinstance(input, Tensor):
        raise TypeError(f"histogram(): argument 'input' must be Tensor, not "
                        f"{type(input).__name__}")
    if weight is not None and tuple(weight.shape) != tuple(input.shape):
        raise RuntimeError(f"histogram: if weight tensor is provided it should have the same "
                           f"shape as the input tensor, but got input with shape "
                           f"{list(input.shape)} and weight with shape {list(weight.shape)}")
    hist, edges = _histogramdd(input.reshape(-1, 1), [bins], range,
                               None if weight is None else weight.reshape(-1), density,
                               "histogram")
    return histogram_result(hist, edges[0])


def histogramdd(input: Tensor, bins=10, *, range=None, weight=None, density=False):
    """histogramdd(input, bins, *, range=None, weight=None, density=False) -> (hist, bin_edges).

    input (..., D) holds N points in D dimensions; bins is an int, D ints or D edge tensors;
    range is [min_0, max_0, min_1, max_1, ...]. bin_edges is a list of D tensors.
    """
    hist, edges = _histogramdd(input, bins, range, weight, density, "histogramdd")
    return histogramdd_result(hist, edges)


def isin(elements, test_elements, *, assume_unique: bool = False, invert: bool = False) -> Tensor:
    """isin(elements, test_elements, *, assume_unique=False, invert=False): a bool tensor of
    elements' shape, True where the element occurs in test_elements (either may be a number)."""
    if not isinstance(elements, Tensor) and not isinstance(test_elements, Tensor):
        raise TypeError("isin(): expected elements or test_elements to be a Tensor")
    like = elements if isinstance(elements, Tensor) else test_elements
    xp = _device.xp_of(like._data)
    e = elements._data if isinstance(elements, Tensor) else xp.asarray(elements)
    t = test_elements._data if isinstance(test_elements, Tensor) else xp.asarray(test_elements)
    return Tensor._make(xp.asarray(xp.isin(e, t, assume_unique=assume_unique, invert=invert)))


# =======================================================================================
# differences, integration, statistics
# =======================================================================================
def diff(input: Tensor, n: int = 1, dim: int = -1, prepend: Tensor | None = None,
         append: Tensor | None = None) -> Tensor:
    """diff(input, n=1, dim=-1, prepend=None, append=None): the n-th forward difference along
    dim, after concatenating prepend and append there (bool tensors use xor)."""
    if input.ndim == 0:
        raise RuntimeError("diff expects input to be at least one-dimensional")
    n = operator.index(n)
    if n < 0:
        raise RuntimeError(f"order must be non-negative but got {n}")
    d = _wrap_dim(dim, input.ndim, "diff")
    parts = []
    for extra in (prepend, append):
        if extra is not None and extra.ndim != input.ndim:
            raise RuntimeError("diff expects prepend or append to be the same dimension as input")
    if prepend is not None or append is not None:
        parts = [t for t in (prepend, input, append) if t is not None]
        input = cat(parts, d)
    for _ in builtins.range(n):
        m = input.shape[d] - 1
        if m <= 0:
            return narrow(input, d, 0, 0)
        hi, lo = narrow(input, d, 1, m), narrow(input, d, 0, m)
        input = hi.logical_xor(lo) if input.dtype is _dtype.bool else hi - lo
    return input


def _edge_grad(f, d, h, order, left):
    """One-sided derivative at the first (left) or last sample of f along d; h is the
    spacing (number) or the 1-D tensor of the first/last two intervals (broadcast along d)."""
    n = f.shape[d]
    if left:
        f0, f1 = narrow(f, d, 0, 1), narrow(f, d, 1, 1)
        if order == 1:
            return (f1 - f0) / (h if not isinstance(h, tuple) else h[0])
        f2 = narrow(f, d, 2, 1)
        if not isinstance(h, tuple):
            return (-1.5 * f0 + 2 * f1 - 0.5 * f2) / h
        h1, h2 = h
        a = -(2 * h1 + h2) / (h1 * (h1 + h2))
        b = (h1 + h2) / (h1 * h2)
        c = -h1 / (h2 * (h1 + h2))
        return a * f0 + b * f1 + c * f2
    fa, fb = narrow(f, d, n - 2, 1), narrow(f, d, n - 1, 1)
    if order == 1:
        return (fb - fa) / (h if not isinstance(h, tuple) else h[1])
    fz = narrow(f, d, n - 3, 1)
    if not isinstance(h, tuple):
        return (0.5 * fz - 2 * fa + 1.5 * fb) / h
    h1, h2 = h
    a = h2 / (h1 * (h1 + h2))
    b = -(h2 + h1) / (h1 * h2)
    c = (2 * h2 + h1) / (h2 * (h1 + h2))
    return a * fz + b * fa + c * fb


def _gradient_along(f, d, spacing, edge_order):
    n = f.shape[d]
    if isinstance(spacing, Tensor):  # coordinates: second-order accurate non-uniform stencil
        if spacing.ndim != 1 or spacing.shape[0] != n:
            raise RuntimeError(f"torch.gradient expected each tensor to be on the same device "
                               f"and 1-D with size {n} along dim {d}, but got a tensor of shape "
                               f"{list(spacing.shape)}")
        x = spacing.to(f.dtype) if spacing.dtype is not f.dtype else spacing
        shape = [1] * f.ndim
        shape[d] = n - 1
        dx = diff(x).reshape(shape)
        hd, hs = narrow(dx, d, 0, n - 2), narrow(dx, d, 1, n - 2)
        a = -hs / (hd * (hd + hs))
        b = (hs - hd) / (hd * hs)
        c = hd / (hs * (hd + hs))
        mid = a * narrow(f, d, 0, n - 2) + b * narrow(f, d, 1, n - 2) + c * narrow(f, d, 2, n - 2)
        left = (narrow(dx, d, 0, 1), narrow(dx, d, 1, 1)) if edge_order == 2 else \
            (narrow(dx, d, 0, 1), None)
        right = (narrow(dx, d, n - 3, 1), narrow(dx, d, n - 2, 1)) if edge_order == 2 else \
            (None, narrow(dx, d, n - 2, 1))
        return cat([_edge_grad(f, d, left, edge_order, True), mid,
                    _edge_grad(f, d, right, edge_order, False)], d)
    h = spacing
    mid = (narrow(f, d, 2, n - 2) - narrow(f, d, 0, n - 2)) / (2 * h)
    return cat([_edge_grad(f, d, h, edge_order, True), mid,
                _edge_grad(f, d, h, edge_order, False)], d)


def gradient(input: Tensor, *, spacing=1, dim=None, edge_order: int = 1) -> tuple:
    """gradient(input, *, spacing=1, dim=None, edge_order=1): central differences in the
    interior and one-sided ones of order edge_order at the ends, one tensor per dim.

    spacing: a number (every dim), a list of numbers (one per dim) or a list of 1-D
    coordinate tensors (one per dim, non-uniform samples).
    """
    if edge_order not in (1, 2):
        raise RuntimeError("torch.gradient only supports edge_order=1 and edge_order=2.")
    if dim is None:
        dims = tuple(builtins.range(input.ndim))
    else:  # in the caller's order
        dims = tuple(_wrap_dim(d, input.ndim, "gradient")
                     for d in ((dim,) if isinstance(dim, (int, np.integer)) else dim))
    if isinstance(spacing, (list, tuple)):
        if len(spacing) != len(dims):
            raise RuntimeError(f"torch.gradient expected spacing to be unspecified, a scalar or "
                               f"it's spacing and dim arguments to have the same length, but got "
                               f"a spacing argument of length {len(spacing)} and a dim argument "
                               f"of length {len(dims)}.")
        spacings = list(spacing)
    else:
        spacings = [spacing] * len(dims)
    spacings = [s.item() if isinstance(s, Tensor) and s.ndim == 0 else s for s in spacings]
    f = input if input.dtype.category >= 2 else input.to(_dtype.get_default_dtype())
    for d in dims:
        if input.shape[d] < edge_order + 1:
            raise RuntimeError("torch.gradient expected each dimension size to be at least "
                               "edge_order+1")
    return tuple(_gradient_along(f, d, s, edge_order) for d, s in zip(dims, spacings))


def _trapz_dim(y, dim, op):
    if not isinstance(y, Tensor):
        raise TypeError(f"{op}(): argument 'y' must be Tensor, not {type(y).__name__}")
    if y.ndim == 0:
        raise IndexError(f"{op}: Dimension out of range (expected a tensor with at least one "
                         f"dimension, got a 0-d tensor)")
    return _wrap_dim(dim, y.ndim, op)


def _x_intervals(y, x, d, op):
    """diff of the sample points x, shaped to broadcast against y's intervals along d."""
    if x.ndim == 1:
        if x.shape[0] != y.shape[d]:
            raise RuntimeError(f"{op}: There must be one `x` value for each sample point")
        shape = [1] * y.ndim
        shape[d] = x.shape[0]
        x = x.reshape(shape)
    elif x.ndim < y.ndim:
        x = x.reshape((1,) * (y.ndim - x.ndim) + tuple(x.shape))
    return diff(x, dim=d)


def trapezoid(y: Tensor, x: Tensor | None = None, *, dx=None, dim: int = -1) -> Tensor:
    """trapezoid(y, x=None, *, dx=None, dim=-1): the trapezoid-rule integral of y along dim,
    at sample points x (a tensor) or with constant spacing dx (default 1)."""
    d = _trapz_dim(y, dim, "trapezoid")
    if x is not None and dx is not None:
        raise TypeError("trapezoid() received both x and dx: pass one of them")
    if x is not None and not isinstance(x, Tensor):
        raise TypeError(f"trapezoid(): argument 'x' must be Tensor, not {type(x).__name__}; "
                        f"use dx= for a constant spacing")
    n = y.shape[d]
    if n == 0:
        return y.sum(d) * 0
    if x is not None:
        h = _x_intervals(y, x, d, "trapezoid")
        return (h * (narrow(y, d, 1, n - 1) + narrow(y, d, 0, n - 1))).sum(d) / 2.0
    dx = 1 if dx is None else dx
    ends = narrow(y, d, 0, 1).squeeze(d) + narrow(y, d, n - 1, 1).squeeze(d)
    return (y.sum(d) - ends * 0.5) * dx


def trapz(y: Tensor, x: Tensor | None = None, *, dx=None, dim: int = -1) -> Tensor:
    """trapz(y, x=None, *, dx=None, dim=-1): alias of trapezoid."""
    return trapezoid(y, x, dx=dx, dim=dim)


def cumulative_trapezoid(y: Tensor, x: Tensor | None = None, *, dx=None, dim: int = -1) -> Tensor:
    """cumulative_trapezoid(y, x=None, *, dx=None, dim=-1): running trapezoid integrals; the
    result has one element fewer than y along dim."""
    d = _trapz_dim(y, dim, "cumulative_trapezoid")
    if x is not None and dx is not None:
        raise TypeError("cumulative_trapezoid() received both x and dx: pass one of them")
    n = y.shape[d]
    if n == 0:
        return narrow(y, d, 0, 0) * 1.0
    pair = narrow(y, d, 1, n - 1) + narrow(y, d, 0, n - 1)
    if x is not None:
        h = _x_intervals(y, x, d, "cumulative_trapezoid")
        return cumsum(h * pair / 2.0, d)
    dx = 1 if dx is None else dx
    return cumsum(dx / 2.0 * pair, d)


def cov(input: Tensor, *, correction: int = 1, fweights: Tensor | None = None,
        aweights: Tensor | None = None) -> Tensor:
    """cov(input, *, correction=1, fweights=None, aweights=None): covariance of the variables
    in the rows of input (observations in the columns); a 1-D input is one variable."""
    if input.ndim > 2:
        raise RuntimeError(f"cov(): expected input to have two or fewer dimensions but got an "
                           f"input with {input.ndim} dimensions")
    x = input.reshape(1, -1) if input.ndim < 2 else input
    if x.dtype.category < 2:
        x = x.to(_dtype.get_default_dtype())
    num_obs = x.shape[1]
    w = None
    for name, wt in (("fweights", fweights), ("aweights", aweights)):
        if wt is None:
            continue
        if wt.ndim > 1:
            raise RuntimeError(f"cov(): expected {name} to have one or fewer dimensions but got "
                               f"{name} with {wt.ndim} dimensions")
        if wt.numel() != num_obs:
            raise RuntimeError(f"cov(): expected {name} to have the same numel as there are "
                               f"observations in the input but got {wt.numel()} != {num_obs}")
        if name == "fweights" and wt.dtype.category != 1:
            raise RuntimeError(f"cov(): expected fweights to have integral dtype but got "
                               f"fweights with {wt.dtype} dtype")
        if name == "aweights" and wt.dtype.category != 2:
            raise RuntimeError(f"cov(): expected aweights to have floating point dtype but got "
                               f"aweights with {wt.dtype} dtype")
        if wt.numel() and builtins.bool((wt._data < 0).any()):
            raise RuntimeError(f"cov(): {name} cannot be negative")
        wt = wt.reshape(-1)
        w = wt if w is None else w * wt
    if w is None:
        avg = x.mean(1)
        norm_factor = num_obs - correction
        if norm_factor <= 0:
            warnings.warn("cov(): degrees of freedom is <= 0. Correction should be strictly "
                          "less than the number of observations.", UserWarning, stacklevel=2)
            norm_factor = 0
    else:
        w_sum = w.sum()
        avg = (x * w).sum(1) / w_sum
        if correction == 0:
            norm_factor = w_sum
        elif aweights is None:
            norm_factor = w_sum - correction
        else:
            norm_factor = w_sum - correction * (w * aweights.reshape(-1)).sum() / w_sum
        if builtins.bool((norm_factor._data <= 0).any()):
            warnings.warn("cov(): degrees of freedom is <= 0. Correction should be strictly "
                          "less than the number of observations.", UserWarning, stacklevel=2)
            norm_factor = clamp(norm_factor, min=0)
    xm = x - avg.unsqueeze(1)
    c = mm(xm, (xm if w is None else xm * w).t().conj())
    with np.errstate(divide="ignore", invalid="ignore"):
        return (c / norm_factor).squeeze()


def corrcoef(input: Tensor) -> Tensor:
    """corrcoef(input): Pearson correlation coefficients of the rows of input, clipped to
    [-1, 1] (real and imaginary parts separately for complex input)."""
    c = cov(input)
    with np.errstate(divide="ignore", invalid="ignore"):
        if c.ndim == 0:
            return c / c
        d = c.diagonal()
        std = sqrt(d.real if d.is_complex() else d)
        c = c / std.unsqueeze(1)
        c = c / std.unsqueeze(0)
    if c.is_complex():
        from .creation import complex as _complex

        return _complex(clamp(c.real, -1, 1), clamp(c.imag, -1, 1))
    return clamp(c, -1, 1)


_INTERPOLATIONS = ("linear", "lower", "higher", "midpoint", "nearest")


def _quantile(input, q, dim, keepdim, interpolation, ignore_nan, op):
    if not isinstance(input, Tensor):
        raise TypeError(f"{op}(): argument 'input' must be Tensor, not {type(input).__name__}")
    if input.dtype not in (_dtype.float32, _dtype.float64):
        raise RuntimeError(f"{op}() input tensor must be either float or double dtype")
    if interpolation not in _INTERPOLATIONS:
        raise RuntimeError(f"{op}() interpolation must be one of linear, lower, higher, midpoint "
                           f"or nearest. Got {interpolation}")
    xp = _device.xp_of(input._data)
    if isinstance(q, Tensor):
        if q.ndim > 1:
            raise RuntimeError(f"{op}() q must be a scalar or 1D tensor")
        if q.dtype is not input.dtype:
            raise RuntimeError(f"{op}() q tensor must be same dtype as the input tensor")
        scalar_q, qa = q.ndim == 0, q.detach()._data.reshape(-1)
        if qa.size and builtins.bool(((qa < 0) | (qa > 1)).any()):
            raise RuntimeError(f"{op}() q values must be in the range [0, 1]")
    else:
        if not 0 <= q <= 1:
            raise RuntimeError(f"{op}() q must be in the range [0, 1] but got {q}")
        scalar_q, qa = True, xp.asarray([q], dtype=input.dtype.np)
    if input.numel() == 0:
        raise RuntimeError(f"{op}() input tensor must be non-empty")
    if dim is None:
        x = input.reshape(-1)
    elif input.ndim == 0:
        _wrap_dim(dim, 0, op)
        x = input.reshape(1)
    else:
        x = movedim(input, _wrap_dim(dim, input.ndim, op), -1)
    s = sort(x, dim=-1).values  # NaN sorts last
    n = s.shape[-1]
    nan = xp.isnan(s._data)
    if ignore_nan:
        count = (~nan).sum(-1, keepdims=True)
        ranks = qa * (count - 1).astype(qa.dtype)
        ranks = xp.where(ranks < 0, n - 1, ranks)  # all-NaN slices read the last value: NaN
    else:
        ranks = qa * (n - 1) + xp.zeros(s.shape[:-1] + (1,), qa.dtype)
        ranks = xp.where(nan.any(-1, keepdims=True), n - 1, ranks)
    ranks = ranks.astype(qa.dtype, copy=False)
    if interpolation in ("lower", "higher", "nearest"):
        pick = {"lower": xp.floor, "higher": xp.ceil, "nearest": xp.round}[interpolation](ranks)
        r = gather(s, -1, Tensor._make(pick.astype(np.int64)))
    else:
        lo = xp.floor(ranks)
        below = gather(s, -1, Tensor._make(lo.astype(np.int64)))
        above = gather(s, -1, Tensor._make(xp.ceil(ranks).astype(np.int64)))
        weight = (ranks - lo) if interpolation == "linear" else xp.full_like(ranks, 0.5)
        r = below + Tensor._make(weight.astype(qa.dtype)) * (above - below)
    r = movedim(r, -1, 0)  # (Q, *reduced)
    if keepdim:
        if dim is None:
            r = r.reshape((r.shape[0],) + (1,) * input.ndim)
        elif input.ndim:
            r = r.unsqueeze(_wrap_dim(dim, input.ndim, op) + 1)
    return r.squeeze(0) if scalar_q else r


def quantile(input: Tensor, q, dim=None, keepdim: bool = False, *, interpolation: str = "linear",
             out=None) -> Tensor:
    """quantile(input, q, dim=None, keepdim=False, *, interpolation='linear'): the q-th
    quantiles along dim (of all elements when dim is None).

    q: a number or a 0-d/1-D tensor of input's dtype in [0, 1]; a 1-D q puts its dimension
    first in the result. A slice holding NaN gives NaN. interpolation: 'linear', 'lower',
    'higher', 'midpoint' or 'nearest'. Differentiable in input (not in q).
    """
    return _with_out(_quantile(input, q, dim, keepdim, interpolation, False, "quantile"), out,
                     "quantile")


def nanquantile(input: Tensor, q, dim=None, keepdim: bool = False, *,
                interpolation: str = "linear", out=None) -> Tensor:
    """nanquantile(...): quantile ignoring NaN (an all-NaN slice gives NaN)."""
    return _with_out(_quantile(input, q, dim, keepdim, interpolation, True, "nanquantile"), out,
                     "nanquantile")


# =======================================================================================
# shapes and matrices
# =======================================================================================
class Select(Function):
    """x[..., i, ...] along d, a view; backward puts the gradient back at i (zeros elsewhere)."""

    is_view = True

    def forward(self, x, d, i):
        self.shape, self.d, self.i = x.shape, d, i
        return x[(slice(None),) * d + (i, Ellipsis)]  # the Ellipsis keeps a 0-d result a view

    def backward(self, gz):
        d, i, n = self.d, self.i, self.shape[self.d]
        xp = _device.xp_of(gz._data)
        parts = []
        for m in (i, n - i - 1):
            shp = list(self.shape)
            shp[d] = m
            parts.append(Tensor._make(xp.zeros(shp, gz._data.dtype)))
        return cat([parts[0], gz.unsqueeze(d), parts[1]], d), None, None


def select(input: Tensor, dim: int, index: int) -> Tensor:
    """select(input, dim, index): input[..., index, ...] along dim, without that dim (a view)."""
    if input.ndim == 0:
        raise IndexError("select() cannot be applied to a 0-dim tensor.")
    d = _wrap_dim(dim, input.ndim, "select")
    n = input.shape[d]
    index = operator.index(index)
    if not -n <= index < n:
        raise IndexError(f"select(): index {index} out of range for tensor of size "
                         f"{list(input.shape)} at dimension {d}")
    out = Select.apply(input, d, index % n)
    return track_view(out) if out._base is not None else out


def narrow_copy(input: Tensor, dim: int, start: int, length: int) -> Tensor:
    """narrow_copy(input, dim, start, length): narrow, copied into fresh memory."""
    return narrow(input, dim, start, length).clone()


def rot90(input: Tensor, k: int = 1, dims=(0, 1)) -> Tensor:
    """rot90(input, k=1, dims=(0, 1)): rotate by k * 90 degrees in the plane of dims, from the
    first towards the second."""
    dims = list(dims)
    if len(dims) != 2:
        raise RuntimeError(f"expected total rotation dims == 2, but got dims = {len(dims)}")
    if input.ndim < 2:
        raise RuntimeError(f"expected total dims >= 2, but got total dims = {input.ndim}")
    d0, d1 = (_wrap_dim(d, input.ndim, "rot90") for d in dims)
    if d0 == d1:
        raise RuntimeError(f"expected rotation dims to be different, but got dim0 = {d0} and "
                           f"dim1 = {d1}")
    k = operator.index(k) % 4
    if k == 1:
        return flip(input, (d1,)).transpose(d0, d1)
    if k == 2:
        return flip(input, (d0, d1))
    if k == 3:
        return flip(input, (d0,)).transpose(d0, d1)
    return input.clone()


def diagflat(input: Tensor, offset: int = 0) -> Tensor:
    """diagflat(input, offset=0): a 2-D tensor with the flattened input on diagonal offset."""
    return diag(input.reshape(-1), offset)


def adjoint(input: Tensor) -> Tensor:
    """adjoint(input): the conjugate transpose of the last two dims (a view for real tensors)."""
    if input.ndim < 2:
        raise RuntimeError(f"tensor.adjoint() is only supported on matrices or batches of "
                           f"matrices. Got {input.ndim}-D tensor.")
    t = input.transpose(-2, -1)
    return t.conj() if t.is_complex() else t


def addr(input: Tensor, vec1: Tensor, vec2: Tensor, *, beta=1, alpha=1, out=None) -> Tensor:
    """addr(input, vec1, vec2, *, beta=1, alpha=1): beta * input + alpha * outer(vec1, vec2);
    input is ignored (nan included) when beta is 0."""
    for name, v in (("vec1", vec1), ("vec2", vec2)):
        if v.ndim != 1:
            raise RuntimeError(f"addr: Expected 1-D argument {name}, but got {v.ndim}-D")
    o = outer(vec1, vec2)
    if o.dtype.category < 2 and (isinstance(alpha, builtins.float) or
                                 isinstance(beta, builtins.float)):
        raise RuntimeError("For integral input tensors, argument beta must not be a floating "
                           "point number." if isinstance(beta, builtins.float) else
                           "For integral input tensors, argument alpha must not be a floating "
                           "point number.")
    r = o if alpha == 1 else o * alpha
    if beta != 0:
        r = (input if beta == 1 else input * beta) + r
    else:  # input only decides the dtype and must broadcast; its values (nan too) are unused
        if np.broadcast_shapes(tuple(input.shape), tuple(o.shape)) != tuple(o.shape):
            raise RuntimeError(f"addr: input of shape {list(input.shape)} does not broadcast to "
                               f"the outer product's shape {list(o.shape)}")
        r = r.to(_dtype.promote_types(input.dtype, r.dtype))
    return _with_out(r, out, "addr")


def renorm(input: Tensor, p, dim: int, maxnorm) -> Tensor:
    """renorm(input, p, dim, maxnorm): each slice along dim whose p-norm exceeds maxnorm is
    rescaled to norm maxnorm (by maxnorm / (norm + 1e-7), as torch does)."""
    if input.dtype.category < 2:
        raise RuntimeError(f"renorm: expected a floating point or complex tensor, got "
                           f"{input.dtype}")
    if p <= 0:
        raise RuntimeError("renorm: non-positive-norm not supported")
    if maxnorm < 0:
        raise RuntimeError(f"renorm: expected maxnorm to be >= 0 but got {maxnorm}")
    if input.ndim <= 1:
        raise RuntimeError(f"renorm: input needs at least 2 dimensions, got {input.ndim} "
                           f"dimensions")
    d = _wrap_dim(dim, input.ndim, "renorm")
    others = tuple(i for i in builtins.range(input.ndim) if i != d)
    nrm = norm(input, p, others, keepdim=True)
    big = Tensor._make(nrm._data > maxnorm)
    factor = (maxnorm / (nrm + 1e-7)).where(big, Tensor._make(
        _device.xp_of(nrm._data).ones((), nrm._data.dtype)))
    return input * factor.to(input.dtype) if factor.dtype is not input.dtype else input * factor


class ViewAsReal(Function):
    """complex (...) -> real (..., 2), sharing memory."""

    is_view = True

    def forward(self, x):
        xp = _device.xp_of(x)
        re = x.real  # same memory, same byte strides, real dtype
        return xp.lib.stride_tricks.as_strided(re, x.shape + (2,),
                                               x.strides + (re.dtype.itemsize,))

    def backward(self, gz):
        return view_as_complex(gz.contiguous())


class ViewAsComplex(Function):
    """real (..., 2) -> complex (...), sharing memory."""

    is_view = True

    def forward(self, x):
        return x.view(np.complex128 if x.dtype == np.float64 else np.complex64)[..., 0]

    def backward(self, gz):
        return view_as_real(gz)


def view_as_real(input: Tensor) -> Tensor:
    """view_as_real(input): a complex tensor seen as real (..., 2) pairs (a view)."""
    if not input.is_complex():
        raise RuntimeError("view_as_real is only supported for complex tensors")
    return track_view(ViewAsReal.apply(input))


def view_as_complex(input: Tensor) -> Tensor:
    """view_as_complex(input): a float32/float64 (..., 2) tensor seen as complex (a view)."""
    if input.dtype not in (_dtype.float32, _dtype.float64):
        raise RuntimeError(f"view_as_complex is only supported for float and double tensors, "
                           f"but got a tensor of scalar type: {input.dtype}")
    if input.ndim == 0 or input.shape[-1] != 2:
        raise RuntimeError("Tensor must have a last dimension of size 2")
    if input.stride(-1) != 1:
        raise RuntimeError("Tensor must have a last dimension with stride 1")
    if any(s % 2 for s in input.stride()[:-1]):
        raise RuntimeError("Tensor must have a stride divisible by 2 for all but last dimension")
    if input.storage_offset() % 2:
        raise RuntimeError("Tensor must have a storage_offset divisible by 2")
    return track_view(ViewAsComplex.apply(input))


# =======================================================================================
# elementwise: heaviside, frexp, ldexp, nextafter, mvlgamma, igamma, i0, gcd, ...
# =======================================================================================
class _NoGrad(Function):
    """Ops torch does not differentiate: the output may require grad, backward says so."""

    def backward(self, *grads):
        raise RuntimeError(f"the derivative for '{self.op}' is not implemented.")


class Heaviside(_NoGrad):
    op = "heaviside"

    def forward(self, x, v):
        xp = _device.xp_of(x)
        return xp.where(x == 0, v, x > 0).astype(x.dtype)


class Nextafter(_NoGrad):
    op = "nextafter"

    def forward(self, x, y):
        return _device.xp_of(x).nextafter(x, y)


def heaviside(input: Tensor, values: Tensor, *, out=None) -> Tensor:
    """heaviside(input, values, *, out=None): 0 where input < 0, 1 where > 0, values where 0
    (NaN counts as 0 < NaN false, giving 0, as in torch's kernel)."""
    if not isinstance(values, Tensor):
        raise TypeError(f"heaviside(): argument 'values' must be Tensor, not "
                        f"{type(values).__name__}")
    if input.is_complex() or values.is_complex():
        raise RuntimeError("heaviside is not yet implemented for complex tensors.")
    if input.dtype is not values.dtype:
        raise RuntimeError("heaviside is not yet implemented for tensors with different dtypes.")
    return _with_out(Heaviside.apply(input, values), out, "heaviside")


def nextafter(input: Tensor, other: Tensor, *, out=None) -> Tensor:
    """nextafter(input, other, *, out=None): the next float after input towards other."""
    from ._promote import binary

    input, other, rt = binary(input, other, "nextafter")
    if rt.category != 2:
        raise NotImplementedError(f"\"nextafter_cpu\" not implemented for '{rt.name}'")
    return _with_out(Nextafter.apply(input, other), out, "nextafter")


class Frexp(Function):
    def forward(self, x):
        m, e = _device.xp_of(x).frexp(x)
        self.exponent = e
        return m, e.astype(np.int32, copy=False)

    def backward(self, gm, ge):
        # d mantissa / dx = 2 ** -exponent; the exponent is piecewise constant
        return gm * Tensor._make(_device.xp_of(self.exponent).ldexp(
            np.ones((), gm._data.dtype), -self.exponent))


def frexp(input: Tensor, *, out=None):
    """frexp(input) -> (mantissa, exponent): input = mantissa * 2 ** exponent with
    0.5 <= |mantissa| < 1; exponent is int32."""
    if input.dtype.category != 2:
        raise RuntimeError("torch.frexp() only supports floating-point dtypes")
    m, e = Frexp.apply(input)
    if out is not None:
        _with_out(m, out[0], "frexp")
        _with_out(e, out[1], "frexp")
        return frexp_result(out[0], out[1])
    return frexp_result(m, e)


def ldexp(input: Tensor, other: Tensor, *, out=None) -> Tensor:
    """ldexp(input, other, *, out=None): input * 2 ** other (integers give the default float)."""
    scale = exp2(other) if isinstance(other, Tensor) else 2.0 ** other
    return _with_out(input * scale, out, "ldexp")


def mvlgamma(input: Tensor, p: int) -> Tensor:
    """mvlgamma(input, p): the log of the multivariate gamma function of dimension p,
    sum_i lgamma(input - i / 2) + p (p - 1) / 4 * log(pi); needs input > (p - 1) / 2."""
    p = operator.index(p)
    if p < 1:
        raise RuntimeError("p has to be greater than or equal to 1")
    x = input if input.dtype.category >= 2 else input.to(_dtype.get_default_dtype())
    if x.numel() and not builtins.bool((x._data > (p - 1) / 2).all()):
        raise RuntimeError("All elements must be greater than (p-1)/2")
    offsets = Tensor._make(_device.xp_of(x._data).arange(p, dtype=x.dtype.np) / 2)
    return lgamma(x.unsqueeze(-1) - offsets).sum(-1) + p * (p - 1) / 4 * math.log(math.pi)


class Igamma(Function):
    """Regularised lower (upper=False) or upper incomplete gamma P(a, x) / Q(a, x)."""

    def forward(self, a, x, upper):
        self.upper = upper
        with np.errstate(all="ignore"):
            return _special(x, "gammaincc" if upper else "gammainc", a)

    def backward(self, gz):
        a, x, _ = self.inputs
        if self.needs_input_grad[0]:
            raise RuntimeError(f"the derivative for '{'igammac' if self.upper else 'igamma'}' "
                               f"with respect to `self` (the shape parameter) is not implemented.")
        # d/dx P(a, x) = x^(a-1) e^-x / Gamma(a)
        g = gz * exp(xlogy(a - 1, x) - x - lgamma(a))
        return None, (-g if self.upper else g), None


def _igamma(input, other, upper, out, op):
    a, x, _ = _float_binary(input, other, op)
    like = a if isinstance(a, Tensor) else x
    a, x = (v if isinstance(v, Tensor) else tensor(v, dtype=like.dtype, device=like.device)
            for v in (a, x))
    return _with_out(Igamma.apply(a, x, upper), out, op)


def igamma(input: Tensor, other: Tensor, *, out=None) -> Tensor:
    """igamma(input, other, *, out=None): regularised lower incomplete gamma P(input, other)
    (scipy.special.gammainc). Differentiable in other only, as in torch."""
    return _igamma(input, other, False, out, "igamma")


def igammac(input: Tensor, other: Tensor, *, out=None) -> Tensor:
    """igammac(input, other, *, out=None): regularised upper incomplete gamma Q = 1 - P."""
    return _igamma(input, other, True, out, "igammac")


class I0(Function):
    def forward(self, x):
        return _special(x, "i0")

    def backward(self, gz):
        from ..special import i1

        return gz * i1(self.inputs[0])


def i0(input: Tensor, *, out=None) -> Tensor:
    """i0(input, *, out=None): the modified Bessel function of the first kind, order 0."""
    x = input if input.dtype.category >= 2 else input.to(_dtype.get_default_dtype())
    with np.errstate(all="ignore"):
        return _with_out(I0.apply(x), out, "i0")


def logaddexp2(input: Tensor, other: Tensor, *, out=None) -> Tensor:
    """logaddexp2(input, other, *, out=None): log2(2 ** input + 2 ** other) without overflow."""
    from .pointwise import logaddexp

    from ._promote import binary

    input, other, _ = binary(input, other, "logaddexp2")  # promote before scaling: no precision loss
    ln2 = math.log(2.0)
    return _with_out(logaddexp(input * ln2, other * ln2) / ln2, out, "logaddexp2")


def _int_binary(input, other, op):
    from ._promote import binary

    a, b, rt = binary(input, other, op)
    if rt.category != 1:
        raise RuntimeError(f"\"{op}_cpu\" not implemented for '{rt.name}'")
    aa = a._data if isinstance(a, Tensor) else a
    bb = b._data if isinstance(b, Tensor) else b
    xp = _device.xp_of((a if isinstance(a, Tensor) else b)._data)
    return Tensor._make(xp.asarray(getattr(xp, op)(aa, bb)).astype(rt.np, copy=False))


def gcd(input: Tensor, other: Tensor, *, out=None) -> Tensor:
    """gcd(input, other, *, out=None): elementwise greatest common divisor (integers)."""
    return _with_out(_int_binary(input, other, "gcd"), out, "gcd")


def lcm(input: Tensor, other: Tensor, *, out=None) -> Tensor:
    """lcm(input, other, *, out=None): elementwise least common multiple (integers)."""
    return _with_out(_int_binary(input, other, "lcm"), out, "lcm")


def rsub(input: Tensor, other, *, alpha=1) -> Tensor:
    """rsub(input, other, *, alpha=1): other - alpha * input."""
    return other - (input if alpha == 1 else input * alpha)


# =======================================================================================
# torch's top-level functional and in-place aliases
# =======================================================================================
def _F():
    from ..nn import functional

    return functional


def _alias(name: str, doc: str):
    """torch.<name>(...) with torch.nn.functional.<name>'s signature."""
    def fn(*args, **kwargs):
        return getattr(_F(), name)(*args, **kwargs)

    fn.__name__ = fn.__qualname__ = name
    fn.__doc__ = doc or f"{name}(...): dpt.nn.functional.{name}."
    fn.__module__ = __name__
    return fn


_SAME_AS_F = ("conv1d", "conv2d", "conv3d", "conv_transpose1d", "conv_transpose2d",
              "conv_transpose3d", "pixel_shuffle", "pixel_unshuffle", "bilinear", "selu", "celu",
              "threshold", "hardshrink", "prelu", "channel_shuffle")
for _n in _SAME_AS_F:
    globals()[_n] = _alias(_n, None)
__all__ += list(_SAME_AS_F)


def _stride(stride):
    return None if stride is None or (isinstance(stride, (tuple, list)) and not stride) else stride


def dropout(input: Tensor, p: float, train: bool) -> Tensor:
    """dropout(input, p, train): torch's positional form of nn.functional.dropout."""
    return _F().dropout(input, p, train)


def alpha_dropout(input: Tensor, p: float, train: bool) -> Tensor:
    return _F().alpha_dropout(input, p, train)


def feature_alpha_dropout(input: Tensor, p: float, train: bool) -> Tensor:
    return _F().feature_alpha_dropout(input, p, train)


def dropout_(input: Tensor, p: float, train: bool) -> Tensor:
    return _F().dropout(input, p, train, inplace=True)


def alpha_dropout_(input: Tensor, p: float, train: bool) -> Tensor:
    return _F().alpha_dropout(input, p, train, inplace=True)


def feature_alpha_dropout_(input: Tensor, p: float, train: bool) -> Tensor:
    return _F().feature_alpha_dropout(input, p, train, inplace=True)


def max_pool1d(input, kernel_size, stride=(), padding=0, dilation=1, ceil_mode=False) -> Tensor:
    return _F().max_pool1d(input, kernel_size, _stride(stride), padding, dilation, ceil_mode)


def max_pool2d(input, kernel_size, stride=(), padding=0, dilation=1, ceil_mode=False) -> Tensor:
    return _F().max_pool2d(input, kernel_size, _stride(stride), padding, dilation, ceil_mode)


def max_pool3d(input, kernel_size, stride=(), padding=0, dilation=1, ceil_mode=False) -> Tensor:
    return _F().max_pool3d(input, kernel_size, _stride(stride), padding, dilation, ceil_mode)


def max_pool1d_with_indices(input, kernel_size, stride=(), padding=0, dilation=1,
                            ceil_mode=False):
    return _F().max_pool1d(input, kernel_size, _stride(stride), padding, dilation, ceil_mode,
                           return_indices=True)


def avg_pool1d(input, kernel_size, stride=(), padding=0, ceil_mode=False,
               count_include_pad=True) -> Tensor:
    return _F().avg_pool1d(input, kernel_size, _stride(stride), padding, ceil_mode,
                           count_include_pad)


def adaptive_avg_pool1d(input, output_size) -> Tensor:
    return _F().adaptive_avg_pool1d(input, output_size)


def adaptive_max_pool1d(input, output_size):
    """adaptive_max_pool1d(input, output_size) -> (output, indices), as torch's top level."""
    return _F().adaptive_max_pool1d(input, output_size, return_indices=True)


def batch_norm(input, weight, bias, running_mean, running_var, training, momentum, eps,
               cudnn_enabled=True) -> Tensor:
    """batch_norm(input, weight, bias, running_mean, running_var, training, momentum, eps,
    cudnn_enabled): torch's top-level argument order (nn.functional's differs)."""
    return _F().batch_norm(input, running_mean, running_var, weight, bias, training, momentum,
                           eps)


def instance_norm(input, weight, bias, running_mean, running_var, use_input_stats, momentum, eps,
                  cudnn_enabled=True) -> Tensor:
    return _F().instance_norm(input, running_mean, running_var, weight, bias, use_input_stats,
                              momentum, eps)


def layer_norm(input, normalized_shape, weight=None, bias=None, eps=1e-5,
               cudnn_enable=True) -> Tensor:
    return _F().layer_norm(input, normalized_shape, weight, bias, eps)


def group_norm(input, num_groups, weight=None, bias=None, eps=1e-5, cudnn_enabled=True) -> Tensor:
    return _F().group_norm(input, num_groups, weight, bias, eps)


def embedding(weight, indices, padding_idx=-1, scale_grad_by_freq=False, sparse=False) -> Tensor:
    """embedding(weight, indices, padding_idx=-1, ...): torch's top-level order (weight first;
    padding_idx -1 means none)."""
    return _F().embedding(indices, weight, None if padding_idx == -1 else padding_idx,
                          scale_grad_by_freq=scale_grad_by_freq, sparse=sparse)


def selu_(input: Tensor) -> Tensor:
    return _F().selu(input, inplace=True)


def celu_(input: Tensor, alpha: float = 1.0) -> Tensor:
    return _F().celu(input, alpha, inplace=True)


def threshold_(input: Tensor, threshold: float, value: float) -> Tensor:
    return _F().threshold(input, threshold, value, inplace=True)


__all__ += ["dropout", "alpha_dropout", "feature_alpha_dropout", "dropout_", "alpha_dropout_",
            "feature_alpha_dropout_", "max_pool1d", "max_pool2d", "max_pool3d",
            "max_pool1d_with_indices", "avg_pool1d", "adaptive_avg_pool1d", "adaptive_max_pool1d",
            "batch_norm", "instance_norm", "layer_norm", "group_norm", "embedding", "selu_",
            "celu_", "threshold_"]


def _inplace_alias(base: str):
    name = base + "_"

    def fn(input, *args, **kwargs):
        from .. import ops

        return input._inplace(getattr(ops, base)(input, *args, **kwargs), name)

    fn.__name__ = fn.__qualname__ = name
    fn.__doc__ = f"{name}(input, ...): dpt.{base} written into input."
    fn.__module__ = __name__
    return fn


# torch's top-level in-place twins (torch.relu_(x) is x.relu_())
_INPLACE = ("abs", "acos", "acosh", "asin", "asinh", "atan", "atanh", "arccos", "arccosh",
            "arcsin", "arcsinh", "arctan", "arctanh", "ceil", "clamp", "clamp_max", "clamp_min",
            "clip", "cos", "cosh", "deg2rad", "erf", "erfc", "exp", "exp2", "expm1", "fix",
            "floor", "frac", "log", "log10", "log1p", "log2", "logit", "nan_to_num", "neg",
            "negative", "rad2deg", "reciprocal", "relu", "round", "rsqrt", "sigmoid", "sin",
            "sinc", "sinh", "sqrt", "square", "tan", "tanh", "trunc", "xlogy", "ldexp", "gcd",
            "lcm", "i0", "conj_physical")
for _n in _INPLACE:
    globals()[_n + "_"] = _inplace_alias(_n)
__all__ += [n + "_" for n in _INPLACE]
del _n
