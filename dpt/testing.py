"""dpt.testing: torch.testing's assert_close and make_tensor.

assert_close compares tensors, numpy arrays, numbers and (nested) sequences or mappings of
them, with torch's per-dtype default tolerances and torch's failure messages.
"""
from __future__ import annotations

import collections.abc
import math
import numbers

import numpy as np

from . import _dtype, ops
from ._device import to_numpy
from ._tensor import Tensor

__all__ = ["assert_close", "make_tensor"]

# torch's defaults: (rtol, atol) by dtype; every other dtype compares exactly
_TOLERANCES = {
    _dtype.float16: (1e-3, 1e-5),
    _dtype.bfloat16: (1.6e-2, 1e-5),
    _dtype.float32: (1.3e-6, 1e-5),
    _dtype.float64: (1e-7, 1e-7),
    _dtype.complex64: (1.3e-6, 1e-5),
    _dtype.complex128: (1e-7, 1e-7),
}


def _tolerances(*dtypes, rtol, atol):
    if (rtol is None) != (atol is None):
        raise ValueError(f"Both 'rtol' and 'atol' must be either specified or omitted, but got no "
                         f"{'rtol' if rtol is None else 'atol'}.")
    if rtol is not None:
        return rtol, atol
    pairs = [_TOLERANCES.get(d, (0.0, 0.0)) for d in dtypes]
    return max(p[0] for p in pairs), max(p[1] for p in pairs)


class _Mismatch(Exception):
    """A failed comparison: the exception type to raise and its message."""

    def __init__(self, kind, msg: str, path=()):
        super().__init__(msg)
        self.kind, self.msg, self.path = kind, msg, path

    def to_error(self):
        msg = self.msg
        if self.path:
            msg += "\n\nThe failure occurred for item " + "".join(f"[{p!r}]" for p in self.path)
        return self.kind(msg)


def _diff_msg(kind: str, diff, idx, tol) -> str:
    msg = f"{kind.title()} difference: {diff}" if idx is None else \
        f"Greatest {kind} difference: {diff} at index {idx}"
    return msg + (f" (up to {tol} allowed)" if tol > 0 else "") + "\n"


def _mismatch_msg(default_identifier, extra, abs_diff, abs_idx, atol, rel_diff, rel_idx, rtol):
    equal = rtol == 0 and atol == 0
    msg = f"{default_identifier} are not {'equal' if equal else 'close'}!\n\n"
    if extra:
        msg += extra.strip() + "\n"
    msg += _diff_msg("absolute", abs_diff, abs_idx, atol)
    msg += _diff_msg("relative", rel_diff, rel_idx, rtol)
    return msg.strip()


def _as_array(x):
    """(numpy array, dpt dtype, device string, strides or None) of a tensor-like input."""
    if isinstance(x, Tensor):
        return to_numpy(x.detach()._data), x.dtype, str(x.device), x.stride()
    arr = np.asarray(x)
    return arr, _dtype.as_dtype(arr.dtype), "cpu", tuple(s // arr.itemsize for s in arr.strides)


def _isclose(a, b, rtol, atol, equal_nan):
    if a.dtype.kind in "biu" and b.dtype.kind in "biu":
        return a == b
    with np.errstate(all="ignore"):
        return np.isclose(a, b, rtol=rtol, atol=atol, equal_nan=equal_nan)


def _compare_tensors(actual, expected, *, rtol, atol, equal_nan, check_device, check_dtype,
                     check_stride):
    a, adt, adev, astr = _as_array(actual)
    e, edt, edev, estr = _as_array(expected)
    if a.shape != e.shape:
        raise _Mismatch(AssertionError, f"The values for attribute 'shape' do not match: "
                                        f"dpt.Size({list(a.shape)}) != dpt.Size({list(e.shape)}).")
    if check_device and adev != edev:
        raise _Mismatch(AssertionError, f"The values for attribute 'device' do not match: "
                                        f"{adev} != {edev}.")
    if check_dtype and adt is not edt:
        raise _Mismatch(AssertionError, f"The values for attribute 'dtype' do not match: "
                                        f"{adt} != {edt}.")
    if check_stride and astr != estr:
        raise _Mismatch(AssertionError, f"The values for attribute 'stride()' do not match: "
                                        f"{astr} != {estr}.")
    rtol, atol = _tolerances(adt, edt, rtol=rtol, atol=atol)
    if adt is not edt:  # compare in the promoted dtype, as torch does
        common = _dtype.promote_types(adt, edt)
        a, e = a.astype(common.np), e.astype(common.np)
    if a.dtype.kind == "b":
        a, e = a.astype(np.int64), e.astype(np.int64)
    if a.size == 0:
        return
    matches = _isclose(a, e, rtol, atol, equal_nan)
    if matches.all():
        return
    total, bad = matches.size, int(matches.size - matches.sum())
    if a.dtype.kind in "iu":
        af, ef = a.astype(np.int64).ravel(), e.astype(np.int64).ravel()
    else:
        af, ef = a.ravel(), e.ravel()
    m = matches.ravel()
    with np.errstate(all="ignore"):
        abs_diff = np.abs(af - ef)
        abs_diff[m] = 0
        rel_diff = abs_diff / np.abs(ef)
        if af.dtype.kind in "iu":
            rel_diff = rel_diff.astype(_dtype.get_default_dtype().np)  # torch's true_divide
        rel_diff[m] = 0
    # torch.max picks NaN when there is one; numpy's argmax does the same
    ai, ri = int(np.argmax(abs_diff)), int(np.argmax(rel_diff))
    extra = f"Mismatched elements: {bad} / {total} ({bad / total:.1%})"
    raise _Mismatch(AssertionError, _mismatch_msg(
        "Tensor-likes", extra, abs_diff[ai].item(), tuple(int(i) for i in np.unravel_index(ai, a.shape)),
        atol, rel_diff[ri].item(), tuple(int(i) for i in np.unravel_index(ri, a.shape)), rtol))


def _number_dtype(x):
    if isinstance(x, bool):
        return _dtype.bool
    if isinstance(x, numbers.Integral):
        return _dtype.int64
    if isinstance(x, numbers.Real):
        return _dtype.float64
    return _dtype.complex128


def _compare_numbers(actual, expected, *, rtol, atol, equal_nan, check_dtype):
    if check_dtype and type(actual) is not type(expected):
        raise _Mismatch(AssertionError, f"The (d)types do not match: {type(actual)} != "
                                        f"{type(expected)}.")
    rtol, atol = _tolerances(_number_dtype(actual), _number_dtype(expected), rtol=rtol, atol=atol)
    if actual == expected:
        return
    if equal_nan and isinstance(actual, numbers.Complex) and cmath_isnan(actual) and \
            cmath_isnan(expected):
        return
    abs_diff = abs(actual - expected)
    if abs_diff <= atol + rtol * abs(expected):
        return
    rel_diff = abs_diff / abs(expected) if expected != 0 else math.inf
    raise _Mismatch(AssertionError, _mismatch_msg(
        "Scalars", f"Expected {expected} but got {actual}.", abs_diff, None, atol, rel_diff,
        None, rtol))


def cmath_isnan(x) -> bool:
    return x != x


def _is_tensor_like(x) -> bool:
    return isinstance(x, (Tensor, np.ndarray))


def _compare(actual, expected, path, **kw):
    try:
        if _is_tensor_like(actual) and _is_tensor_like(expected):
            _compare_tensors(actual, expected, **{k: v for k, v in kw.items()})
            return
        if isinstance(actual, numbers.Number) and isinstance(expected, numbers.Number) and \
                not _is_tensor_like(actual) and not _is_tensor_like(expected):
            _compare_numbers(actual, expected, rtol=kw["rtol"], atol=kw["atol"],
                             equal_nan=kw["equal_nan"], check_dtype=kw["check_dtype"])
            return
    except _Mismatch as m:
        m.path = path
        raise
    seq = (collections.abc.Sequence,)
    if isinstance(actual, seq) and isinstance(expected, seq) and \
            not isinstance(actual, str) and not isinstance(expected, str):
        if len(actual) != len(expected):
            raise _Mismatch(AssertionError, f"The length of the sequences mismatch: "
                                            f"{len(actual)} != {len(expected)}", path)
        for i, (a, e) in enumerate(zip(actual, expected)):
            _compare(a, e, path + (i,), **kw)
        return
    if isinstance(actual, collections.abc.Mapping) and \
            isinstance(expected, collections.abc.Mapping):
        ak, ek = set(actual.keys()), set(expected.keys())
        if ak != ek:
            missing, extra = ek - ak, ak - ek
            raise _Mismatch(AssertionError,
                            "The keys of the mappings do not match:\n"
                            + (f"Missing keys in the actual mapping: {sorted(missing, key=repr)}\n"
                               if missing else "")
                            + (f"Extra keys in the actual mapping: {sorted(extra, key=repr)}"
                               if extra else ""), path)
        for k in expected.keys():
            _compare(actual[k], expected[k], path + (k,), **kw)
        return
    if actual is None and expected is None:
        return
    raise _Mismatch(TypeError, f"No comparison pair was able to handle inputs of type "
                               f"{type(actual)} and {type(expected)}.", path)


def assert_close(actual, expected, *, allow_subclasses: bool = True, rtol: float | None = None,
                 atol: float | None = None, equal_nan: bool = False, check_device: bool = True,
                 check_dtype: bool = True, check_layout: bool = True, check_stride: bool = False,
                 msg=None) -> None:
    """assert_close(actual, expected, *, rtol=None, atol=None, equal_nan=False,
    check_device=True, check_dtype=True, check_stride=False, msg=None).

    Passes when |actual - expected| <= atol + rtol * |expected| elementwise. Without rtol and
    atol, torch's defaults for the dtypes are used (float32: 1.3e-6 / 1e-5, float64: 1e-7 /
    1e-7, float16: 1e-3 / 1e-5, bfloat16: 1.6e-2 / 1e-5; integers and bool: exact). Inputs
    may be tensors, numpy arrays, numbers, or sequences / mappings of them (compared item by
    item). msg: a string, or a callable given the generated message, replaces the message.
    Raises AssertionError on a mismatch (TypeError for inputs that cannot be compared).
    """
    try:
        _compare(actual, expected, (), rtol=rtol, atol=atol, equal_nan=equal_nan,
                 check_device=check_device, check_dtype=check_dtype, check_stride=check_stride)
    except _Mismatch as m:
        err = m.to_error()
        if msg is not None:
            text = msg(str(err)) if callable(msg) else msg
            err = type(err)(text)
        raise err from None


def make_tensor(*shape, dtype, device="cpu", low=None, high=None, requires_grad: bool = False,
                noncontiguous: bool = False, exclude_zero: bool = False,
                memory_format=None) -> Tensor:
    """make_tensor(*shape, dtype, device, low=None, high=None, requires_grad=False,
    noncontiguous=False, exclude_zero=False): a random tensor for tests.

    Values are uniform in [low, high): floats default to [-9, 9], signed integers to [-9, 10),
    uint8 to [0, 10), bool to {False, True}; complex numbers draw both parts. Draws come from
    dpt's generator, so dpt.manual_seed makes them reproducible.
    """
    if len(shape) == 1 and isinstance(shape[0], (tuple, list)):
        shape = tuple(shape[0])
    shape = tuple(int(s) for s in shape)
    dt = _dtype.as_dtype(dtype)
    if dt is _dtype.bool:
        t = ops.randint(0, 2, shape, device=device).to(dt)
    else:
        lo_default, hi_default = (0, 10) if dt is _dtype.uint8 else (-9, 9 if dt.category >= 2
                                                                   else 10)
        lo = lo_default if low is None else low
        hi = hi_default if high is None else high
        if lo > hi:
            raise ValueError(f"`low` must be less than or equal to `high`, but got {lo} > {hi}")
        if dt.category == 1:
            info = _dtype.iinfo(dt)
            lo, hi = max(math.ceil(lo), info.min), min(math.ceil(hi), info.max)
            t = ops.randint(lo, max(hi, lo + 1), shape, device=device).to(dt)
        else:  # float and complex (both parts) drawn in float64, then cast
            def draw():
                return ops.rand(shape, dtype=_dtype.float64, device=device) * (hi - lo) + lo

            t = (draw() if dt.category == 2 else ops.complex(draw(), draw())).to(dt)
    if exclude_zero:
        zero = t == 0
        if bool(zero.any()):
            repl = 1 if dt.category < 2 else _dtype.finfo(dt if dt.category == 2 else
                                                          _dtype.float32).tiny
            t = t.masked_fill(zero, repl)
    if noncontiguous and t.numel() > 1:  # every other element of a buffer twice as long
        t = ops.stack([t, t], -1)[..., 0]
    if requires_grad:
        t.requires_grad_(True)
    return t
