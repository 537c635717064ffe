"""Type promotion: result_type and op result dtypes follow torch's rules.

The oracle below is written from torch's documentation, independently of dpt/_dtype.py:
categories bool < integer < floating < complex; operands are ranked dimensioned tensors >
0-d tensors > python scalars, and a lower-ranked group only changes the result when its
category is higher (a float result then keeps its precision when a complex joins it).
"""
import numpy as np
from hypothesis import assume, given, settings
from hypothesis import strategies as st

import dpt

BOOL, INT, FLOAT, COMPLEX = range(4)
# name -> (category, bits); uint8 is the only unsigned type
INFO = {"bool": (BOOL, 8), "uint8": (INT, 8), "int8": (INT, 8), "int16": (INT, 16),
        "int32": (INT, 32), "int64": (INT, 64), "float16": (FLOAT, 16),
        "bfloat16": (FLOAT, 16), "float32": (FLOAT, 32), "float64": (FLOAT, 64),
        "complex64": (COMPLEX, 64), "complex128": (COMPLEX, 128)}
NAMES = sorted(INFO)


def promote(a, b):
    """torch.promote_types on dtype names."""
    if a == b:
        return a
    (ca, ba), (cb, bb) = INFO[a], INFO[b]
    if ca != cb:
        hi, lo = (a, b) if ca > cb else (b, a)
        if INFO[hi][0] == COMPLEX and INFO[lo] == (FLOAT, 64):
            return "complex128"
        return hi
    if ca == INT and "uint8" in (a, b):
        other = b if a == "uint8" else a
        return "int16" if other == "int8" else other
    if {a, b} == {"float16", "bfloat16"}:
        return "float32"
    return a if ba > bb else b


def to_complex(name):
    # torch: float16 -> complex32 (dpt has none and uses complex64); bfloat16 has none.
    return {"float64": "complex128"}.get(name, "complex64")


def combine(higher, lower):
    """Merge a higher-priority group's dtype with a lower-priority one's (None = absent)."""
    if higher is None:
        return lower
    if lower is None:
        return higher
    ch, cl = INFO[higher][0], INFO[lower][0]
    if cl <= ch:
        return higher if ch != BOOL else promote(higher, lower)
    if cl == COMPLEX and ch == FLOAT:
        return to_complex(higher)
    return lower if ch != BOOL and cl != FLOAT else promote(higher, lower)


def oracle(operands, default="float32"):
    dim = zero = wrapped = None
    for kind, value in operands:
        if kind == "scalar":
            name = {bool: "bool", int: "int64", float: default,
                    complex: "complex128" if default == "float64" else "complex64"}[type(value)]
            wrapped = name if wrapped is None else promote(wrapped, name)
        elif kind == "dim":
            dim = value if dim is None else promote(dim, value)
        else:
            zero = value if zero is None else promote(zero, value)
    return combine(dim, combine(zero, wrapped))


def _uses_bf16_with_complex(operands):
    names = [v for k, v in operands if k != "scalar"]
    has_complex = any(INFO[n][0] == COMPLEX for n in names) or any(
        isinstance(v, complex) for k, v in operands if k == "scalar")
    return has_complex and "bfloat16" in names


scalars = st.one_of(st.booleans(), st.integers(-3, 3), st.floats(-2, 2, allow_nan=False),
                    st.complex_numbers(max_magnitude=2, allow_nan=False, allow_infinity=False))
tensor_operand = st.tuples(st.sampled_from(["dim", "zero"]), st.sampled_from(NAMES))
operand = st.one_of(tensor_operand, st.tuples(st.just("scalar"), scalars))


def materialise(kind, value):
    if kind == "scalar":
        return value
    shape = (2,) if kind == "dim" else ()
    return dpt.ones(shape, dtype=getattr(dpt, value))


@settings(max_examples=60)
@given(a=tensor_operand, b=operand, default=st.sampled_from(["float32", "float64"]))
def test_result_type_of_pairs(a, b, default):
    assume(not _uses_bf16_with_complex([a, b]))
    dpt.set_default_dtype(getattr(dpt, default))  # the autouse fixture restores it
    got = dpt.result_type(materialise(*a), materialise(*b))
    assert got is getattr(dpt, oracle([a, b], default)), (a, b)


@settings(max_examples=60)
@given(ops=st.lists(operand, min_size=1, max_size=4).filter(
    lambda ops: any(k != "scalar" for k, _ in ops)))
def test_result_type_of_several_operands(ops):
    assume(not _uses_bf16_with_complex(ops))
    got = dpt._dtype.result_type(*[materialise(*o) for o in ops])
    assert got is getattr(dpt, oracle(ops)), ops


@settings(max_examples=60)
@given(a=tensor_operand, b=operand)
def test_add_and_mul_result_dtype(a, b):
    assume(not _uses_bf16_with_complex([a, b]))
    expected = getattr(dpt, oracle([a, b]))
    x, y = materialise(*a), materialise(*b)
    for out in (x + y, y + x, x * y, dpt.mul(x, y)):
        assert out.dtype is expected, (a, b, out.dtype)
        assert out._data.dtype == expected.np


@settings(max_examples=40)
@given(a=st.sampled_from(NAMES), b=st.sampled_from(NAMES))
def test_promote_types_is_symmetric_and_matches(a, b):
    da, db = getattr(dpt, a), getattr(dpt, b)
    assert dpt.promote_types(da, db) is dpt.promote_types(db, da)
    assert dpt.promote_types(da, db) is getattr(dpt, promote(a, b))
    assert dpt.can_cast(da, dpt.promote_types(da, db))
