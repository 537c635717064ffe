"""Reductions: sum, mean, prod, var/std, max/min, argmax/argmin, logsumexp, all/any, ...

(median and mode are in statistics.py, norm and dist in norms.py, the scans cumsum & co in
scans.py; they share the dim, out= and pick-along-a-dim helpers below.)

sum_to (re-exported from the autograd core, which needs it) reduces broadcast gradients. Ops that pick
elements (max with a dim, median, mode, cummax, and sort/topk in sorting.py) return
their values through ``_TakeAlong``, whose backward scatters the gradient back to the
chosen positions with ``_PutAlong``; each is the other's adjoint, so double backward
works.
"""
from __future__ import annotations

import functools

import builtins
import math
import warnings

import numpy as np

from .. import _dtype, return_types
from .._device import runs_on, xp_of
from .._tensor import Tensor, _wrap_dim
from ..autograd.function import Function, autocast_fp32
from ..autograd.sum_to import sum_to
from ..autograd.grad_mode import is_grad_enabled
from .arithmetic import _type_word, _with_out
from .comparison import maximum, minimum
from .pointwise import exp

__all__ = ["sum", "nansum", "mean", "nanmean", "prod", "std", "var", "std_mean", "var_mean",
           "max", "min", "amax", "amin", "aminmax", "argmax", "argmin", "logsumexp", "all", "any",
           "count_nonzero", "sum_to"]


# ---- dims and shapes ------------------------------------------------------------------

def _numpy_kwargs(fn):
    """Accept numpy's spellings ``axis=`` and ``keepdims=`` as torch's arg parser does."""
    @functools.wraps(fn)
    def wrapper(*args, **kwargs):
        if "axis" in kwargs:
            kwargs["dim"] = kwargs.pop("axis")
        if "keepdims" in kwargs:
            kwargs["keepdim"] = kwargs.pop("keepdims")
        return fn(*args, **kwargs)
    return wrapper

def normalize_dims(dim, ndim: int, op: str) -> tuple:
    """dim given as None / int / tuple / list -> sorted tuple of non-negative dims."""
    if dim is None:
        return tuple(range(ndim))
    dims = (dim,) if isinstance(dim, (int, np.integer)) else tuple(dim)
    n = builtins.max(ndim, 1)
    out = []
    for d in dims:
        if not -n <= d < n:
            raise IndexError(f"{op}: Dimension out of range (expected to be in range of "
                             f"[{-n}, {n - 1}], but got {d})")
        d = int(d) % n
        if d in out:
            raise RuntimeError(f"{op}: dim {d} appears multiple times in the list of dims")
        out.append(d)
    return tuple(sorted(out)) if ndim else ()


def _reduce_dims(dim, ndim: int, op: str) -> tuple:
    """Like normalize_dims, but an empty dim list means every dim (torch's rule for sum & co)."""
    if dim is not None and not isinstance(dim, (int, np.integer)) and len(dim) == 0:
        dim = None
    return normalize_dims(dim, ndim, op)


def _int_dim(dim, ndim: int, op: str) -> int:
    """A single dim (ops like max, cumsum, sort accept only an int), wrapped to >= 0."""
    if isinstance(dim, bool) or not isinstance(dim, (int, np.integer)):
        raise TypeError(f"{op}(): argument 'dim' must be int, not {type(dim).__name__}")
    return _wrap_dim(int(dim), ndim, op)


def _check_nonempty(x, dims, op: str) -> None:
    if x.size == 0:
        if not dims:
            raise RuntimeError(f"{op}(): Expected reduction dim to be specified for input.numel() "
                               f"== 0. Specify the reduction dim with the 'dim' argument.")
        for d in dims:
            if x.shape[d] == 0:
                raise IndexError(f"{op}(): Expected reduction dim {d} to have non-zero size.")


def _squeeze_dims(shape, dims) -> tuple:
    return tuple(s for i, s in enumerate(shape) if i not in dims)


def expand_reduced(g: Tensor, shape: tuple, dims: tuple, keepdim: bool) -> Tensor:
    """Broadcast a reduced gradient back to the input shape."""
    if not keepdim and dims:
        kept = list(g.shape)
        for d in dims:
            kept.insert(d, 1)
        g = g.reshape(kept)
        if g._data.shape == tuple(shape):
            return g  # already a view in the input's shape: expand would add a no-op view
    return g.expand(shape)


def _const(arr) -> Tensor:
    """A constant (never requires grad) tensor around an array: masks and scales in backward."""
    return Tensor._make(arr)


def _float_input(x: Tensor) -> Tensor:
    return x if x.dtype.category >= 2 else x.to(_dtype.get_default_dtype())


def _require_float(x: Tensor, op: str) -> None:
    if x.dtype.category < 2:
        raise RuntimeError(f"{op}(): input dtype should be either floating point or complex "
                           f"dtypes. Got {_TYPE_WORD.get(x.dtype.name, x.dtype.name)} instead.")


_TYPE_WORD = {"int64": "Long", "int32": "Int", "int16": "Short", "int8": "Char", "uint8": "Byte",
              "bool": "Bool"}


# ---- out= -------------------------------------------------------------------------------
# torch's C++ names of scalar types, as its "Expected out tensor to have dtype ..." says them
_CPP_NAME = {"float32": "float", "float64": "double", "float16": "c10::Half",
             "bfloat16": "c10::BFloat16", "int64": "long int", "int32": "int", "int16": "short int",
             "int8": "signed char", "uint8": "unsigned char", "bool": "bool",
             "complex64": "c10::complex<float>", "complex128": "c10::complex<double>"}


def _check_out(out, op: str) -> None:
    if not isinstance(out, Tensor):
        raise TypeError(f"{op}(): argument 'out' must be Tensor, not {type(out).__name__}")


def _expect_out_dtype(out: Tensor, want) -> None:
    if out.dtype is not want:
        raise RuntimeError(f"Expected out tensor to have dtype {_CPP_NAME[want.name]}, but got "
                           f"{_CPP_NAME[out.dtype.name]} instead")


def _out_dtype(dtype, out, op: str):
    """dtype of a sum-like op (sum, prod, cumsum, cumprod) given out=: it computes in out's
    dtype unless dtype= is given, and then the two must agree (torch's rule)."""
    if out is None:
        return dtype
    _check_out(out, op)
    if dtype is None:
        return out.dtype
    dtype = _dtype.as_dtype(dtype)
    _expect_out_dtype(out, dtype)
    return dtype


def _to_out(result: Tensor, out, op: str) -> Tensor:
    """Copy result into out (resized when mis-shaped, with torch's deprecation warning)."""
    if out is None:
        return result
    _check_out(out, op)
    old = tuple(out.shape)
    _with_out(result, out, op)
    if 0 not in old and old != tuple(out.shape):
        warnings.warn(f"An output with one or more elements was resized since it had shape "
                      f"{list(old)}, which does not match the required output shape "
                      f"{list(out.shape)}. This behavior is deprecated, and in a future PyTorch "
                      f"release outputs will not be resized unless they have zero elements. You "
                      f"can explicitly reuse an out tensor t by resizing it, inplace, to zero "
                      f"elements with t.resize_(0).", UserWarning, stacklevel=3)
    return out


# ---- picking elements along a dim (shared with sorting.py) ----------------------------
def _along_index(xp, idx, dim):
    """The fancy-index tuple that addresses x[..., idx, ...] element by element."""
    index = []
    for a, n in enumerate(idx.shape):
        if a == dim:
            index.append(idx)
        else:
            shape = [1] * idx.ndim
            shape[a] = n
            index.append(xp.arange(n).reshape(shape))
    return tuple(index)


class _TakeAlong(Function):
    """out = x picked at idx along dim (idx has x's ndim), like numpy's take_along_axis."""

    def forward(self, x, idx, dim, unique=False):
        self.idx, self.dim, self.shape, self.unique = idx, dim, x.shape, unique
        return xp_of(x).take_along_axis(x, idx, axis=dim)

    def backward(self, gz):
        return _PutAlong.apply(gz, self.idx, self.dim, self.shape, self.unique)


class _PutAlong(Function):
    """zeros(shape) with g added at idx along dim: the adjoint of _TakeAlong."""

    def forward(self, g, idx, dim, shape, unique=False):
        self.idx, self.dim, self.unique = idx, dim, unique
        xp = xp_of(g)
        out = xp.zeros(shape, dtype=g.dtype)
        index = _along_index(xp, idx, dim)
        if unique:  # every target hit once (sort, topk, max): plain assignment
            out[index] = g
        else:  # targets repeat (cummax): accumulate
            xp.add.at(out, index, g)
        return out

    def backward(self, gz):
        return _TakeAlong.apply(gz, self.idx, self.dim, self.unique)


@runs_on(0)
def _pick(input: Tensor, idx, dim: int, keepdim: bool, unique: bool = True) -> tuple:
    """(values, indices) tensors of input at idx (keepdim-shaped int array) along dim."""
    values = _TakeAlong.apply(input, idx, dim, unique)
    idx = idx.astype(np.int64, copy=False)
    if not keepdim:
        values = values.squeeze(dim)
        idx = idx.reshape(_squeeze_dims(idx.shape, (dim,)))
    return values, Tensor._make(idx)


@runs_on(0)
def _picked_along(input: Tensor, dim, keepdim: bool, op: str, select, rtype):
    """Shared body of max/min/median/mode/kthvalue with a dim.

    select(array, dim) -> keepdim-shaped indices of the chosen elements.
    """
    if input.ndim == 0:
        _int_dim(dim, 0, op)
        v, i = _picked_along(input.reshape(1), 0, True, op, select, rtype)
        return rtype(v.reshape(()), i.reshape(()))
    d = _int_dim(dim, input.ndim, op)
    _check_nonempty(input._data, (d,), op)
    return rtype(*_pick(input, select(input._data, d), d, keepdim))


class _Flip(Function):
    def forward(self, x, dim):
        self.dim = dim
        return xp_of(x).flip(x, axis=dim).copy()

    def backward(self, gz):
        return _Flip.apply(gz, self.dim)


class _Shift(Function):
    """Shift by one along dim: step=1 gives out[i] = x[i-1], step=-1 gives x[i+1]; fill at the edge."""

    def forward(self, x, dim, step, fill):
        self.dim, self.step = dim, step
        out = xp_of(x).full(x.shape, fill, dtype=x.dtype)
        n = x.shape[dim]
        lo, hi = [slice(None)] * x.ndim, [slice(None)] * x.ndim
        lo[dim], hi[dim] = slice(0, builtins.max(n - 1, 0)), slice(1, None)
        if step > 0:
            out[tuple(hi)] = x[tuple(lo)]
        else:
            out[tuple(lo)] = x[tuple(hi)]
        return out

    def backward(self, gz):
        return _Shift.apply(gz, self.dim, -self.step, 0)


# ---- sum, nansum, mean, nanmean -------------------------------------------------------
class Sum(Function):
    autocast = "fp32_cuda"  # torch's autocast list
    def forward(self, x, dims, keepdim, dtype):
        self.shape, self.dims, self.keepdim = x.shape, dims, keepdim
        return x.sum(axis=dims, keepdims=keepdim, dtype=dtype)

    def backward(self, gz):
        return expand_reduced(gz, self.shape, self.dims, self.keepdim)


def _sum_dtype(input: Tensor, dtype):
    """Result dtype of sum-like ops: given, else int64 for integer and bool inputs."""
    if dtype is not None:
        return _dtype.as_dtype(dtype)
    return _dtype.int64 if input.dtype.category <= 1 else input.dtype


@_numpy_kwargs
def sum(input, dim=None, keepdim=False, *, dtype=None, out=None) -> Tensor:
    """sum(input, dim=None, keepdim=False, *, dtype=None, out=None).

    Integer and bool inputs sum in int64, as in torch; with out= the sum is taken in
    out's dtype (dtype=, when given, must match it).
    """
    if dim is None and dtype is None and out is None:  # fast path: a full float sum
        idt = input.dtype
        if idt.category >= 2:
            return Sum.apply(input, tuple(range(input._data.ndim)), keepdim, None)
    dtype = _out_dtype(dtype, out, "sum")
    dims = _reduce_dims(dim, input.ndim, "sum")
    dt = _sum_dtype(input, dtype)
    if dt is not input.dtype and dt.category >= 2:
        input = input.to(dt)
    # dtype None: the input's own (an autocast cast to float32 then sums in float32)
    return _to_out(Sum.apply(input, dims, keepdim, None if dt is input.dtype else dt.np), out,
                   "sum")


class NanSum(Function):
    def forward(self, x, dims, keepdim):
        self.shape, self.dims, self.keepdim = x.shape, dims, keepdim
        xp = xp_of(x)
        self.keep = (~xp.isnan(x)).astype(x.dtype)
        return xp.nansum(x, axis=dims, keepdims=keepdim).astype(x.dtype, copy=False)

    def backward(self, gz):
        return expand_reduced(gz, self.shape, self.dims, self.keepdim) * _const(self.keep)


@_numpy_kwargs
def nansum(input, dim=None, keepdim=False, *, dtype=None) -> Tensor:
    """nansum(input, dim=None, keepdim=False, *, dtype=None): sum treating NaN as zero."""
    dt = _sum_dtype(input, dtype)
    if dt.category < 2:
        return sum(input, dim, keepdim, dtype=dt)
    if input.dtype is not dt:
        input = input.to(dt)
    return NanSum.apply(input, _reduce_dims(dim, input.ndim, "nansum"), keepdim)


class Mean(Function):
    def forward(self, x, dims, keepdim):
        self.shape, self.dims, self.keepdim = x.shape, dims, keepdim
        n = 1
        for d in dims:
            n *= x.shape[d]
        self.n = n
        if n == 0:  # numpy would warn "mean of empty slice"; torch quietly gives nan
            return xp_of(x).full(_reduced_shape(x.shape, dims, keepdim), math.nan, dtype=x.dtype)
        return x.mean(axis=dims, keepdims=keepdim)

    def backward(self, gz):
        return expand_reduced(gz / self.n if self.n else gz * float("nan"),
                              self.shape, self.dims, self.keepdim)


def _reduced_shape(shape, dims, keepdim) -> tuple:
    return tuple((1 if i in dims else s) for i, s in enumerate(shape) if keepdim or i not in dims)


@_numpy_kwargs
def mean(input, dim=None, keepdim=False, *, dtype=None, out=None) -> Tensor:
    """mean(input, dim=None, keepdim=False, *, dtype=None, out=None): floating/complex inputs
    only. A floating input with a floating out= is averaged in out's dtype."""
    if dtype is not None:
        input = input.to(dtype)
    if input.dtype.category < 2:
        raise RuntimeError(f"mean(): could not infer output dtype. Input dtype must be either a "
                           f"floating point or complex dtype. Got: {_TYPE_WORD[input.dtype.name]}")
    if out is not None:
        _check_out(out, "mean")
        if dtype is None and input.dtype.category == 2 and out.dtype.category == 2:
            input = input.to(out.dtype)
    r = Mean.apply(input, _reduce_dims(dim, input.ndim, "mean"), keepdim)
    return _to_out(r, out, "mean")


class NanMean(Function):
    def forward(self, x, dims, keepdim):
        self.shape, self.dims, self.keepdim = x.shape, dims, keepdim
        xp = xp_of(x)
        keep = ~xp.isnan(x)
        count = keep.sum(axis=dims, keepdims=True)
        total = xp.nansum(x, axis=dims, keepdims=True)
        with np.errstate(invalid="ignore", divide="ignore"):
            out = (total / count).astype(x.dtype, copy=False)
            # the gradient of an all-NaN slice is zero, not 0/0
            self.scale = keep * xp.where(count > 0, 1.0 / xp.maximum(count, 1), 0).astype(x.dtype)
        return out if keepdim else out.reshape(_squeeze_dims(out.shape, dims))

    def backward(self, gz):
        return expand_reduced(gz, self.shape, self.dims, self.keepdim) * _const(self.scale)


@_numpy_kwargs
def nanmean(input, dim=None, keepdim=False, *, dtype=None) -> Tensor:
    """nanmean(input, dim=None, keepdim=False, *, dtype=None): mean of the non-NaN elements."""
    if input.dtype.category < 2:  # checked before dtype= applies, as torch
        raise RuntimeError(f"nanmean(): expected input to have floating point or complex dtype "
                           f"but got {_TYPE_WORD[input.dtype.name]}")
    if dtype is not None:
        if dtype.category < 2:
            raise RuntimeError(f"nanmean(): could not infer output dtype. Optional dtype must be "
                               f"either a floating point or complex dtype. Got: {_TYPE_WORD[dtype.name]}")
        input = input.to(dtype)
    return NanMean.apply(input, _reduce_dims(dim, input.ndim, "nanmean"), keepdim)


# ---- prod -----------------------------------------------------------------------------
class Prod(Function):
    def forward(self, x, dim, keepdim, dtype):
        self.shape, self.dim, self.keepdim = x.shape, dim, keepdim
        self.has_zero = bool((x == 0).any())
        return x.prod(axis=dim, keepdims=keepdim, dtype=dtype)

    def backward(self, gz):
        x = self.inputs[0]
        dims = tuple(range(x.ndim)) if self.dim is None else (self.dim,)
        g = expand_reduced(gz, self.shape, dims, self.keepdim)
        if not self.has_zero:
            return g * prod(x, self.dim, keepdim=self.dim is not None) / x
        # Zeros: the product of the others, from exclusive products on both sides.
        flat, d = (x.reshape(-1), 0) if self.dim is None else (x, self.dim)
        # x.cumprod() is scans.cumprod, reached through Tensor: scans.py builds on this file
        left = _Shift.apply(flat.cumprod(d), d, 1, 1)
        right = _Flip.apply(_Shift.apply(_Flip.apply(flat, d).cumprod(d), d, 1, 1), d)
        return g * (left * right).reshape(self.shape)


@_numpy_kwargs
@autocast_fp32  # torch's autocast list; here, as the result dtype is chosen before apply
def prod(input, dim=None, keepdim=False, *, dtype=None, out=None) -> Tensor:
    """prod(input, dim=None, keepdim=False, *, dtype=None, out=None): dim is a single int, as
    in torch.

    Integer and bool inputs multiply in int64 (in out's dtype with out=). Gradients are
    exact with zeros in the input.
    """
    dtype = _out_dtype(dtype, out, "prod")
    if dim is not None:
        dim = _int_dim(dim, input.ndim, "prod")
        if input.ndim == 0:
            dim = None
    dt = _sum_dtype(input, dtype)
    if dt is not input.dtype and dt.category >= 2:
        input = input.to(dt)
    return _to_out(Prod.apply(input, dim, keepdim, dt.np), out, "prod")


# ---- var, std -------------------------------------------------------------------------
def _var_args(op, dim, unbiased, correction):
    if isinstance(dim, bool):  # var(x, True): the legacy unbiased-only overload
        dim, unbiased = None, dim
    if unbiased is not None and correction is not None:
        raise RuntimeError(f"{op}(): 'unbiased' and 'correction' cannot both be specified")
    if correction is None:
        correction = 0 if unbiased is False else 1
    return dim, correction


class Var(Function):
    def forward(self, x, dims, correction, keepdim):
        self.shape, self.dims, self.keepdim = x.shape, dims, keepdim
        n = 1
        for d in dims:
            n *= x.shape[d]
        self.denom = builtins.max(0, n - correction)
        xp = xp_of(x)
        diff = x - x.sum(axis=dims, keepdims=True) / builtins.max(n, 1)
        sq = (diff * diff.conj()).real if xp.iscomplexobj(x) else diff * diff
        with np.errstate(invalid="ignore", divide="ignore"):
            out = sq.sum(axis=dims, keepdims=keepdim) / self.denom
        return xp.asarray(out, dtype=sq.dtype)

    def backward(self, gz):
        x = self.inputs[0]
        g = expand_reduced(gz, self.shape, self.dims, self.keepdim)
        diff = x - mean(x, self.dims, keepdim=True)
        return g * diff * (2.0 / self.denom if self.denom else math.inf)


class Std(Function):
    def forward(self, x, dims, correction, keepdim):
        v = Var.forward(self, x, dims, correction, True)  # sets self.denom
        self.shape, self.dims, self.keepdim, self.correction = x.shape, dims, keepdim, correction
        s = xp_of(x).sqrt(v)
        self.s = s
        return s if keepdim else s.reshape(_squeeze_dims(s.shape, dims))

    def backward(self, gz):
        x = self.inputs[0]
        g = expand_reduced(gz, self.shape, self.dims, self.keepdim)
        s = (Std.apply(x, self.dims, self.correction, True) if is_grad_enabled()
             else _const(self.s))
        zero = _const((self.s == 0).astype(self.s.dtype))  # torch: zero gradient where std == 0
        diff = x - mean(x, self.dims, keepdim=True)
        denom = self.denom if self.denom else 0.0
        return g * diff / ((s + zero) * denom) * (1 - zero)


def _var_like(fn, op, input, dim, unbiased, keepdim, correction):
    dim, correction = _var_args(op, dim, unbiased, correction)
    if input.dtype.category < 2:
        raise RuntimeError("std and var only support floating point and complex dtypes")
    return fn.apply(input, _reduce_dims(dim, input.ndim, op), correction, keepdim)


@_numpy_kwargs
def var(input, dim=None, unbiased=None, keepdim=False, *, correction=None, out=None) -> Tensor:
    """var(input, dim=None, *, correction=1, keepdim=False, out=None); also the legacy
    unbiased= forms.

    The divisor is max(0, N - correction); correction=0 (or unbiased=False) is the
    population variance.
    """
    r = _var_like(Var, "var", input, dim, unbiased, keepdim, correction)
    return _to_out(r, out, "var")


@_numpy_kwargs
def std(input, dim=None, unbiased=None, keepdim=False, *, correction=None, out=None) -> Tensor:
    """std(input, dim=None, *, correction=1, keepdim=False, out=None): sqrt of var (zero grad
    where 0)."""
    r = _var_like(Std, "std", input, dim, unbiased, keepdim, correction)
    return _to_out(r, out, "std")


@_numpy_kwargs
def var_mean(input, dim=None, unbiased=None, keepdim=False, *, correction=None) -> tuple:
    """var_mean(input, dim=None, *, correction=1, keepdim=False) -> (var, mean)."""
    v = var(input, dim, unbiased, keepdim, correction=correction)
    d = None if isinstance(dim, bool) else dim
    return v, mean(input, d, keepdim)


@_numpy_kwargs
def std_mean(input, dim=None, unbiased=None, keepdim=False, *, correction=None) -> tuple:
    """std_mean(input, dim=None, *, correction=1, keepdim=False) -> (std, mean)."""
    s = std(input, dim, unbiased, keepdim, correction=correction)
    d = None if isinstance(dim, bool) else dim
    return s, mean(input, d, keepdim)


# ---- amax, amin, max, min -------------------------------------------------------------
class _EvenlyDistributed(Function):
    """Return value (picked from x by the caller); ties share the gradient evenly, like torch."""

    def forward(self, x, value, dims, keepdim):
        self.shape, self.dims, self.keepdim = x.shape, dims, keepdim
        xp = xp_of(x)
        if x.dtype.kind in "fc":  # only floating inputs ever need the gradient
            hit = (x == value) | (xp.isnan(x) & xp.isnan(value))
            self.scale = (hit / xp.maximum(hit.sum(axis=dims, keepdims=True), 1)).astype(x.dtype)
        return value if keepdim else value.reshape(_squeeze_dims(value.shape, dims))

    def backward(self, gz):
        return expand_reduced(gz, self.shape, self.dims, self.keepdim) * _const(self.scale)


@runs_on(0)
def _amax_amin(input, dim, keepdim, largest, op):
    dims = _reduce_dims(dim, input.ndim, op)
    x = input._data
    # no dim given (None or ()): torch's "reduction dim to be specified" RuntimeError
    _check_nonempty(x, () if dim is None or isinstance(dim, (tuple, list)) and not dim else dims, op)
    value = x.max(axis=dims, keepdims=True) if largest else x.min(axis=dims, keepdims=True)
    return _EvenlyDistributed.apply(input, value, dims, keepdim)


@_numpy_kwargs
def amax(input, dim=(), keepdim=False, *, out=None) -> Tensor:
    """amax(input, dim=(), keepdim=False, *, out=None): max over dims (all by default); ties
    share the grad. out must have input's dtype."""
    _check_extreme_out(input, out, "amax")
    return _to_out(_amax_amin(input, dim, keepdim, True, "amax"), out, "amax")


@_numpy_kwargs
def amin(input, dim=(), keepdim=False, *, out=None) -> Tensor:
    """amin(input, dim=(), keepdim=False, *, out=None): min over dims (all by default); ties
    share the grad. out must have input's dtype."""
    _check_extreme_out(input, out, "amin")
    return _to_out(_amax_amin(input, dim, keepdim, False, "amin"), out, "amin")


def _check_extreme_out(input, out, op):
    if out is not None:
        _check_out(out, op)
        if out.dtype is not input.dtype:
            raise RuntimeError(f"Expected the dtype for input and out to match, but got "
                               f"{_type_word(input.dtype)} for input's dtype and "
                               f"{_type_word(out.dtype)} for out's dtype.")


def aminmax(input, *, dim=None, keepdim=False):
    """aminmax(input, *, dim=None, keepdim=False) -> (min, max)."""
    if dim is None:
        _check_nonempty(input._data, (), "aminmax")
        dim = ()
    else:
        dim = _int_dim(dim, input.ndim, "aminmax") if input.ndim else ()
    return return_types.aminmax(_amax_amin(input, dim, keepdim, False, "aminmax"),
                                _amax_amin(input, dim, keepdim, True, "aminmax"))


def _elementwise(input, other, largest):
    return maximum(input, other) if largest else minimum(input, other)


def _argext(largest):
    def select(x, d):
        return x.argmax(axis=d, keepdims=True) if largest else x.argmin(axis=d, keepdims=True)
    return select


@_numpy_kwargs
def max(input, dim=None, keepdim=False, *, other=None, out=None):
    """max(input) -> 0-d; max(input, dim, keepdim=False) -> (values, indices); max(input, other).

    Without a dim ties share the gradient evenly; with a dim it flows to the index
    returned (the first maximal element, as numpy picks it). out= is a tensor, or with a
    dim a (values, indices) pair of input's dtype and int64.
    """
    return _max_min(input, dim, keepdim, other, out, True, "max", return_types.max)


@_numpy_kwargs
def min(input, dim=None, keepdim=False, *, other=None, out=None):
    """min(input) -> 0-d; min(input, dim, keepdim=False) -> (values, indices); min(input, other).

    out= as for max.
    """
    return _max_min(input, dim, keepdim, other, out, False, "min", return_types.min)


def _max_min(input, dim, keepdim, other, out, largest, op, rtype):
    if isinstance(dim, Tensor) or other is not None:
        r = _elementwise(input, dim if other is None else other, largest)
        return _to_out(r, out, op)
    if dim is None:
        _check_nonempty(input._data, (), op)
        return _to_out(amax(input) if largest else amin(input), out, op)
    if out is None:
        return _picked_along(input, dim, keepdim, op, _argext(largest), rtype)
    if not (isinstance(out, (tuple, list)) and len(out) == 2
            and builtins.all(isinstance(o, Tensor) for o in out)):
        raise TypeError(f"{op}(): argument 'out' must be tuple of Tensors, not "
                        f"{type(out).__name__}")
    _expect_out_dtype(out[0], input.dtype)
    _expect_out_dtype(out[1], _dtype.int64)
    values, indices = _picked_along(input, dim, keepdim, op, _argext(largest), rtype)
    return rtype(_to_out(values, out[0], op), _to_out(indices, out[1], op))


@runs_on(0)
def _arg_reduce(input, dim, keepdim, largest, op):
    x = input._data
    if input.dtype is _dtype.bool:
        raise RuntimeError(f"{op}(): does not support bool input")
    if dim is None:
        if x.size == 0:  # torch raises IndexError here (RuntimeError for amax/max)
            raise IndexError(f"{op}(): Expected reduction dim to be specified for input.numel() == 0.")
        flat = x.reshape(-1)
        r = flat.argmax() if largest else flat.argmin()
        r = xp_of(x).asarray(r, dtype=np.int64)
        return Tensor._make(r.reshape((1,) * x.ndim) if keepdim else r.reshape(()))
    if x.ndim == 0:
        _int_dim(dim, 0, op)
        return Tensor._make(xp_of(x).zeros((), dtype=np.int64))
    d = _int_dim(dim, x.ndim, op)
    _check_nonempty(x, (d,), op)
    r = _argext(largest)(x, d)
    return Tensor._make((r if keepdim else r.reshape(_squeeze_dims(r.shape, (d,))))
                        .astype(np.int64, copy=False))


@_numpy_kwargs
def argmax(input, dim=None, keepdim=False) -> Tensor:
    """argmax(input, dim=None, keepdim=False): index of the (first) maximum; None flattens."""
    return _arg_reduce(input, dim, keepdim, True, "argmax")


@_numpy_kwargs
def argmin(input, dim=None, keepdim=False) -> Tensor:
    """argmin(input, dim=None, keepdim=False): index of the (first) minimum; None flattens."""
    return _arg_reduce(input, dim, keepdim, False, "argmin")


# ---- logsumexp ------------------------------------------------------------------------
class LogSumExp(Function):
    def forward(self, x, dims, keepdim):
        self.shape, self.dims, self.keepdim = x.shape, dims, keepdim
        xp = xp_of(x)
        if x.size:
            m = x.max(axis=dims, keepdims=True)
            m = xp.where(xp.isfinite(m), m, 0)  # shift only by finite maxima
        else:
            m = xp.zeros(_reduced_shape(x.shape, dims, True), dtype=x.dtype)
        with np.errstate(divide="ignore"):
            out = (xp.log(xp.exp(x - m).sum(axis=dims, keepdims=True)) + m).astype(x.dtype)
        self.out = out
        return out if keepdim else out.reshape(_squeeze_dims(out.shape, dims))

    def backward(self, gz):
        x = self.inputs[0]
        g = expand_reduced(gz, self.shape, self.dims, self.keepdim)
        lse = (LogSumExp.apply(x, self.dims, True) if is_grad_enabled() else _const(self.out))
        return g * exp(x - lse)


@_numpy_kwargs
def logsumexp(input, dim, keepdim=False) -> Tensor:
    """logsumexp(input, dim, keepdim=False): log(sum(exp(input))) computed without overflow."""
    input = _float_input(input)
    return LogSumExp.apply(input, _reduce_dims(dim, input.ndim, "logsumexp"), keepdim)


# ---- all, any, count_nonzero ----------------------------------------------------------
@runs_on(0)
def _logical_reduce(input, dim, keepdim, op):
    dims = _reduce_dims(dim, input.ndim, op)
    x = input._data
    xp = xp_of(x)
    r = (xp.all if op == "all" else xp.any)(x, axis=dims, keepdims=keepdim)
    r = xp.asarray(r)
    return Tensor._make(r.astype(np.uint8) if x.dtype == np.uint8 else r)


@_numpy_kwargs
def all(input, dim=None, keepdim=False) -> Tensor:
    """all(input, dim=None, keepdim=False): bool (uint8 for uint8 input), as torch."""
    return _logical_reduce(input, dim, keepdim, "all")


@_numpy_kwargs
def any(input, dim=None, keepdim=False) -> Tensor:
    """any(input, dim=None, keepdim=False): bool (uint8 for uint8 input), as torch."""
    return _logical_reduce(input, dim, keepdim, "any")


@_numpy_kwargs
@runs_on(0)
def count_nonzero(input, dim=None) -> Tensor:
    """count_nonzero(input, dim=None) -> int64 counts over dim (an int or a tuple)."""
    dims = _reduce_dims(dim, input.ndim, "count_nonzero")
    x = input._data
    return Tensor._make(xp_of(x).asarray((x != 0).sum(axis=dims), dtype=np.int64))
