"""dtypes, the default dtype and torch's type-promotion rules."""
from __future__ import annotations

import builtins

import ml_dtypes
import numpy as np

__all__ = [
    "dtype", "bool", "uint8", "int8", "int16", "int32", "int64", "float16", "bfloat16",
    "uint16", "uint32", "uint64",
    "float32", "float64", "complex64", "complex128", "half", "float", "double", "short",
    "int", "long", "cfloat", "cdouble", "set_default_dtype", "get_default_dtype",
    "promote_types", "result_type", "can_cast", "finfo", "iinfo",
]

# Categories order promotion across kinds: bool < integer < floating < complex.
_BOOL, _INT, _FLOAT, _COMPLEX = 0, 1, 2, 3


class dtype:
    """A dpt dtype: a name plus the numpy dtype that stores it."""

    __slots__ = ("name", "np", "category", "itemsize", "is_signed")

    def __init__(self, name: str, np_dtype, category: builtins.int):
        self.name = name
        self.np = np.dtype(np_dtype)
        self.category = category
        self.itemsize = self.np.itemsize
        self.is_signed = category != _BOOL and not name.startswith("uint")

    @property
    def is_floating_point(self) -> builtins.bool:
        return self.category == _FLOAT

    @property
    def is_complex(self) -> builtins.bool:
        return self.category == _COMPLEX

    def to_real(self) -> "dtype":
        return {complex64: float32, complex128: float64}.get(self, self)

    def to_complex(self) -> "dtype":
        return {float64: complex128}.get(self, complex64) if self.category == _FLOAT else self

    def __repr__(self) -> str:
        return f"dpt.{self.name}"

    def __reduce__(self):
        return (_lookup_by_name, (self.name,))


def _lookup_by_name(name: str) -> dtype:
    return _BY_NAME[name]


bool = dtype("bool", np.bool_, _BOOL)
uint8 = dtype("uint8", np.uint8, _INT)
# torch's "limited support" unsigned types: creation, copies, comparisons, bitwise ops; they
# promote only with themselves and with floating types (see promote_types)
uint16 = dtype("uint16", np.uint16, _INT)
uint32 = dtype("uint32", np.uint32, _INT)
uint64 = dtype("uint64", np.uint64, _INT)
int8 = dtype("int8", np.int8, _INT)
int16 = dtype("int16", np.int16, _INT)
int32 = dtype("int32", np.int32, _INT)
int64 = dtype("int64", np.int64, _INT)
float16 = dtype("float16", np.float16, _FLOAT)
bfloat16 = dtype("bfloat16", ml_dtypes.bfloat16, _FLOAT)
float32 = dtype("float32", np.float32, _FLOAT)
float64 = dtype("float64", np.float64, _FLOAT)
complex64 = dtype("complex64", np.complex64, _COMPLEX)
complex128 = dtype("complex128", np.complex128, _COMPLEX)

half, float, double = float16, float32, float64
short, int, long = int16, int32, int64
cfloat, cdouble = complex64, complex128

_ALL = (bool, uint8, int8, int16, int32, int64, float16, bfloat16, float32, float64,
        complex64, complex128, uint16, uint32, uint64)
_LIMITED_UINTS = (uint16, uint32, uint64)
_BY_NAME = {d.name: d for d in _ALL}
_BY_NP = {d.np: d for d in _ALL}
# numpy kinds dpt has no dtype for map to the nearest one torch would use
_BY_NP.update({np.dtype(np.longdouble): float64})

_default_float = float32


def set_default_dtype(d: dtype) -> None:
    """set_default_dtype(d): the dtype of float literals and of Tensor(*sizes)."""
    global _default_float
    d = as_dtype(d)
    if d not in (float16, bfloat16, float32, float64):
        raise TypeError(f"only floating-point types are supported as the default type, got {d}")
    _default_float = d


def get_default_dtype() -> dtype:
    return _default_float


def default_complex() -> dtype:
    return complex128 if _default_float is float64 else complex64


def as_dtype(d) -> dtype:
    """Accept a dpt dtype, a numpy dtype / type, or a python type (float, int, bool)."""
    if isinstance(d, dtype):
        return d
    if d is builtins.float:
        return _default_float
    if d is builtins.int:
        return int64
    if d is builtins.bool:
        return bool
    if d is builtins.complex:
        return default_complex()
    if isinstance(d, str):
        name = d.removeprefix("dpt.").removeprefix("torch.")
        if name in _BY_NAME:
            return _BY_NAME[name]
        aliases = {"float": float32, "double": float64, "half": float16, "long": int64,
                   "int": int32, "short": int16, "cfloat": complex64, "cdouble": complex128}
        if name in aliases:
            return aliases[name]
    try:
        return _BY_NP[np.dtype(d)]
    except (TypeError, KeyError):
        raise TypeError(f"cannot interpret {d!r} as a dpt dtype") from None


def from_numpy_dtype(npd) -> dtype:
    try:
        return _BY_NP[npd]
    except KeyError:
        raise TypeError(f"numpy dtype {npd} has no dpt equivalent; supported: "
                        f"{', '.join(d.name for d in _ALL)}") from None


def promote_types(a: dtype, b: dtype) -> dtype:
    """The smallest dtype both a and b convert to, by torch's rules."""
    if a is b:
        return a
    if (a in _LIMITED_UINTS or b in _LIMITED_UINTS) and _FLOAT not in (a.category, b.category):
        raise RuntimeError(f"Promotion for uint16, uint32, uint64 types is not supported, "
                           f"attempted to promote {a.name} and {b.name}")
    if a.category != b.category:
        hi, lo = (a, b) if a.category > b.category else (b, a)
        if hi.category == _COMPLEX and lo is float64:
            return complex128  # complex64 + float64 keeps double precision
        return hi
    if a.category == _FLOAT and {a, b} == {float16, bfloat16}:
        return float32
    if a.category == _INT and uint8 in (a, b):
        other = b if a is uint8 else a
        return {int8: int16}.get(other, other)
    return a if a.itemsize >= b.itemsize else b


def _scalar_category(x) -> builtins.int:
    if isinstance(x, (builtins.bool, np.bool_)):
        return _BOOL
    if isinstance(x, (builtins.int, np.integer)):
        return _INT
    if isinstance(x, (builtins.float, np.floating)):
        return _FLOAT
    if isinstance(x, (builtins.complex, np.complexfloating)):
        return _COMPLEX
    raise TypeError(f"unsupported scalar type {type(x).__name__}")


def result_type(*operands) -> dtype:
    """torch.result_type over Tensors and python scalars.

    Three tiers, highest priority first: tensors with dimensions, 0-d tensors, python
    scalars. A lower tier only changes the result when it is of a higher category
    (bool < int < float < complex) than everything above it.
    """
    dim_t = zero_t = None
    scalar_cat = -1
    for x in operands:
        d = getattr(x, "dtype", None)
        if isinstance(d, dtype):
            if x.ndim:
                dim_t = d if dim_t is None else promote_types(dim_t, d)
            else:
                zero_t = d if zero_t is None else promote_types(zero_t, d)
        else:
            scalar_cat = max(scalar_cat, _scalar_category(x))
    result = dim_t
    if zero_t is not None and (result is None or zero_t.category > result.category):
        if zero_t.category == _COMPLEX and result is not None and result.category == _FLOAT:
            result = result.to_complex()  # torch keeps the dimensioned float's precision
        else:
            result = zero_t
    if scalar_cat >= 0 and (result is None or scalar_cat > result.category):
        if scalar_cat == _COMPLEX and result is not None and result.category == _FLOAT:
            result = result.to_complex()
        else:
            result = {_BOOL: bool, _INT: int64, _FLOAT: _default_float,
                      _COMPLEX: default_complex()}[scalar_cat]
    return result


def can_cast(from_: dtype, to: dtype) -> builtins.bool:
    """torch.can_cast: False only when the cast lowers the category."""
    return from_.category <= to.category


class finfo:
    """finfo(dtype): machine limits of a floating dtype (bits, eps, max, min, tiny, resolution)."""

    def __init__(self, type: dtype | None = None):
        d = as_dtype(type) if type is not None else _default_float
        if d.category not in (_FLOAT, _COMPLEX):
            raise TypeError(f"finfo needs a floating point dtype, got {d}")
        info = ml_dtypes.finfo(d.to_real().np) if d is bfloat16 else np.finfo(d.to_real().np)
        self.dtype = d.to_real().name
        self.bits = info.bits
        self.eps = builtins.float(info.eps)
        self.max = builtins.float(info.max)
        self.min = builtins.float(info.min)
        self.tiny = self.smallest_normal = builtins.float(info.tiny)
        self.resolution = 10.0 ** -builtins.int(info.precision)  # torch: a power of ten

    def __repr__(self):
        return (f"finfo(resolution={self.resolution}, min={self.min}, max={self.max}, "
                f"eps={self.eps}, smallest_normal={self.tiny}, tiny={self.tiny}, dtype={self.dtype})")


class iinfo:
    """iinfo(dtype): limits of an integer dtype (bits, max, min)."""

    def __init__(self, type: dtype):
        d = as_dtype(type)
        if d.category not in (_INT, _BOOL):
            raise TypeError(f"iinfo needs an integer dtype, got {d}")
        info = np.iinfo(d.np) if d is not bool else np.iinfo(np.uint8)
        self.dtype, self.bits = d.name, info.bits
        self.max, self.min = builtins.int(info.max), builtins.int(info.min)

    def __repr__(self):
        return f"iinfo(min={self.min}, max={self.max}, bits={self.bits}, dtype={self.dtype})"
