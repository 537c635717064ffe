"""dtypes: torch's promotion rules, the default dtype, finfo/iinfo, float16/bfloat16."""
import pickle

import numpy as np
import pytest

import dpt
from dpt._device import to_numpy


def t(values, dtype):
    return dpt.tensor(values, dtype=dtype)


# (a, b, expected dtype of a + b): tensors with dimensions, 0-d tensors and python scalars
PROMOTION = [
    (lambda: t([1], dpt.int64), lambda: 1.5, dpt.float32),             # int tensor + float scalar
    (lambda: t([1], dpt.int32), lambda: 2, dpt.int32),                 # int scalar keeps the tensor's
    (lambda: t([1], dpt.int64), lambda: t([1], dpt.float32), dpt.float32),
    (lambda: t([1], dpt.uint8), lambda: t([1], dpt.int8), dpt.int16),
    (lambda: t([1], dpt.uint8), lambda: t([1], dpt.int16), dpt.int16),
    (lambda: t([1], dpt.int32), lambda: t([1], dpt.int64), dpt.int64),
    (lambda: t([True], dpt.bool), lambda: 1, dpt.int64),                # bool + int scalar
    (lambda: t([True], dpt.bool), lambda: True, dpt.bool),
    (lambda: t([True], dpt.bool), lambda: 1.0, dpt.float32),
    (lambda: t([1], dpt.float16), lambda: t([1], dpt.bfloat16), dpt.float32),
    (lambda: t([1], dpt.float16), lambda: 2.0, dpt.float16),
    (lambda: t([1], dpt.float32), lambda: t([1], dpt.float64), dpt.float64),
    (lambda: t([1], dpt.float32), lambda: 1j, dpt.complex64),
    (lambda: t([1], dpt.float64), lambda: 1j, dpt.complex128),
    (lambda: t([1], dpt.int64), lambda: 1j, dpt.complex64),
    (lambda: t([1], dpt.complex64), lambda: t([1], dpt.float64), dpt.complex128),
    # 0-d tensors only win when they are of a higher category
    (lambda: t([1], dpt.int8), lambda: t(1, dpt.int64), dpt.int8),
    (lambda: t([1], dpt.float32), lambda: t(1, dpt.float64), dpt.float32),
    (lambda: t([1], dpt.int32), lambda: t(1.0, dpt.float64), dpt.float64),
    (lambda: t(1, dpt.int32), lambda: t(1, dpt.int64), dpt.int64),
    (lambda: t(1, dpt.int64), lambda: 2.5, dpt.float32),
    (lambda: t(1, dpt.float64), lambda: 2.5, dpt.float64),
]


@pytest.mark.parametrize("a, b, expected", PROMOTION)
def test_promotion_table(a, b, expected):
    a, b = a(), b()
    assert dpt.result_type(a, b) == expected
    assert dpt.result_type(b, a) == expected
    assert (a + b).dtype == expected
    assert (b + a).dtype == expected


def test_out_of_range_scalar_keeps_tensor_dtype():
    assert dpt.result_type(t([1], dpt.uint8), 1000) == dpt.uint8
    assert dpt.result_type(t([1], dpt.int8), -1000) == dpt.int8


def test_promote_types_and_can_cast():
    assert dpt.promote_types(dpt.uint8, dpt.int8) == dpt.int16
    assert dpt.promote_types(dpt.int32, dpt.float16) == dpt.float16
    assert dpt.promote_types(dpt.bool, dpt.uint8) == dpt.uint8
    assert dpt.promote_types(dpt.bfloat16, dpt.float16) == dpt.float32
    assert dpt.promote_types(dpt.complex64, dpt.float64) == dpt.complex128
    assert dpt.can_cast(dpt.int32, dpt.float32) and not dpt.can_cast(dpt.float32, dpt.int32)
    assert dpt.can_cast(dpt.float64, dpt.float32)


def test_integer_division_is_true_division():
    a, b = dpt.tensor([3, 4]), dpt.tensor([2, 2])
    q = a / b
    assert q.dtype == dpt.float32 and to_numpy(q._data).tolist() == [1.5, 2.0]
    assert (a / 2).dtype == dpt.float32
    assert (a // b).dtype == dpt.int64
    dpt.set_default_dtype(dpt.float64)
    assert (a / b).dtype == dpt.float64


def test_default_dtype_effects():
    assert dpt.get_default_dtype() == dpt.float32
    dpt.set_default_dtype(dpt.float64)
    assert dpt.get_default_dtype() == dpt.float64
    assert dpt.tensor([1.0]).dtype == dpt.float64 and dpt.tensor([1]).dtype == dpt.int64
    assert dpt.Tensor(2).dtype == dpt.float64 and dpt.Tensor([1, 2]).dtype == dpt.float64
    assert dpt.arange(0.0, 1.0, 0.5).dtype == dpt.float64 and dpt.arange(3).dtype == dpt.int64
    assert dpt.zeros(2).dtype == dpt.float64 and dpt.rand(2).dtype == dpt.float64
    assert dpt.tensor([1j]).dtype == dpt.complex128
    assert (dpt.tensor([1]) * 1.5).dtype == dpt.float64
    assert repr(dpt.tensor([1.0])) == "tensor([1.])"  # the default dtype is not printed
    assert repr(dpt.tensor([1.0], dtype=dpt.float32)) == "tensor([1.], dtype=dpt.float32)"
    with pytest.raises(TypeError, match="floating-point"):
        dpt.set_default_dtype(dpt.int64)


def test_dtype_objects():
    assert repr(dpt.float32) == "dpt.float32" and str(dpt.int64) == "dpt.int64"
    assert dpt.float is dpt.float32 and dpt.double is dpt.float64 and dpt.long is dpt.int64
    assert dpt.half is dpt.float16 and dpt.int is dpt.int32 and dpt.cfloat is dpt.complex64
    assert dpt.float32.is_floating_point and not dpt.int8.is_floating_point
    assert dpt.complex64.is_complex and dpt.int8.is_signed and not dpt.uint8.is_signed
    assert dpt.float64.itemsize == 8 and dpt.bfloat16.itemsize == 2
    assert pickle.loads(pickle.dumps(dpt.bfloat16)) is dpt.bfloat16
    assert dpt.tensor([1], dtype=float).dtype == dpt.float32
    assert dpt.tensor([1.0], dtype=int).dtype == dpt.int64
    assert dpt.tensor([1.0], dtype=np.float64).dtype == dpt.float64
    assert dpt.tensor([1.0], dtype="float16").dtype == dpt.float16
    assert len({dpt.float32, dpt.float32, dpt.int64}) == 2
    with pytest.raises(TypeError):
        dpt.zeros(1, dtype="nope")


def test_finfo_iinfo():
    f = dpt.finfo(dpt.float32)
    assert f.bits == 32 and f.eps == np.finfo(np.float32).eps and f.max == np.finfo(np.float32).max
    assert f.tiny == np.finfo(np.float32).tiny and f.resolution == 1e-6
    assert dpt.finfo().bits == 32  # the default dtype
    assert dpt.finfo(dpt.float16).max == 65504.0
    b = dpt.finfo(dpt.bfloat16)
    assert b.bits == 16 and b.eps == 2.0 ** -7
    assert dpt.finfo(dpt.complex128).bits == 64
    i = dpt.iinfo(dpt.int16)
    assert (i.bits, i.min, i.max) == (16, -32768, 32767)
    assert dpt.iinfo(dpt.uint8).max == 255
    with pytest.raises(TypeError):
        dpt.finfo(dpt.int32)
    with pytest.raises(TypeError):
        dpt.iinfo(dpt.float32)


@pytest.mark.parametrize("dt", [dpt.float16, dpt.bfloat16])
def test_half_precision_types_work(dt):
    x = dpt.tensor([1.5, -2.0, 3.25], dtype=dt)
    assert x.dtype == dt and x.element_size() == 2
    y = x * 2 + 1
    assert y.dtype == dt and y.tolist() == [4.0, -3.0, 7.5]
    assert x.sum().item() == 2.75
    assert x.float().dtype == dpt.float32 and x.to(dpt.float64).tolist() == [1.5, -2.0, 3.25]
    w = dpt.ones(3, dtype=dt, requires_grad=True)
    (w * x).sum().backward()
    assert w.grad.dtype == dt and w.grad.tolist() == [1.5, -2.0, 3.25]


def test_float_to_small_int_wraps_like_torch():
    """Out-of-range floats wrap through int64 for every float dtype (bfloat16 included)."""
    for dt in (dpt.float32, dpt.float64, dpt.bfloat16, dpt.float16):
        x = dpt.tensor([200.0, -1.0, 2.5]).to(dt)
        assert x.to(dpt.int8).tolist() == [-56, -1, 2], dt
        assert x.to(dpt.uint8).tolist() == [200, 255, 2], dt
