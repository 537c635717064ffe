"""dpt.testing: assert_close's tolerances and messages (torch's layout), make_tensor."""
import re

import numpy as np
import pytest

import dpt
from dpt.testing import assert_close, make_tensor


def test_passes_within_default_tolerances():
    assert_close(dpt.tensor([1.0, 2.0]), dpt.tensor([1.0, 2.0 + 1e-6]))  # float32: 1.3e-6 rel
    assert_close(dpt.tensor([1.0], dtype=dpt.float64), dpt.tensor([1.0 + 5e-8], dtype=dpt.float64))
    assert_close(np.array([1.0, 2.0]), np.array([1.0, 2.0]))
    assert_close(1, 1)
    assert_close([dpt.ones(2), {"a": dpt.zeros(1)}], [dpt.ones(2), {"a": dpt.zeros(1)}])
    assert_close(dpt.tensor([float("nan")]), dpt.tensor([float("nan")]), equal_nan=True)
    assert_close(dpt.tensor([1.0]), dpt.tensor([1.0], dtype=dpt.float64), check_dtype=False)
    assert_close(dpt.ones(0), dpt.ones(0))


def test_float_mismatch_message():
    with pytest.raises(AssertionError) as e:
        assert_close(dpt.tensor([1.0, 2.0, 3.0], dtype=dpt.float64),
                     dpt.tensor([1.0, 2.5, 3.0], dtype=dpt.float64))
    assert str(e.value) == (
        "Tensor-likes are not close!\n\n"
        "Mismatched elements: 1 / 3 (33.3%)\n"
        "Greatest absolute difference: 0.5 at index (1,) (up to 1e-07 allowed)\n"
        "Greatest relative difference: 0.2 at index (1,) (up to 1e-07 allowed)")


def test_int_and_scalar_messages():
    with pytest.raises(AssertionError, match=re.escape(
            "Tensor-likes are not equal!\n\nMismatched elements: 2 / 4 (50.0%)\n"
            "Greatest absolute difference: 3 at index (1, 1)\n")):
        assert_close(dpt.tensor([[1, 2], [3, 4]]), dpt.tensor([[1, 3], [3, 7]]))
    with pytest.raises(AssertionError) as e:
        assert_close(1.0, 1.5)
    assert str(e.value).startswith("Scalars are not close!\n\nExpected 1.5 but got 1.0.\n"
                                   "Absolute difference: 0.5 (up to 1e-07 allowed)")


def test_custom_tolerances_and_msg():
    assert_close(dpt.tensor([1.0]), dpt.tensor([1.1]), rtol=0.2, atol=0.0)
    with pytest.raises(ValueError, match="Both 'rtol' and 'atol'"):
        assert_close(dpt.tensor([1.0]), dpt.tensor([1.0]), rtol=0.1)
    with pytest.raises(AssertionError, match="^custom$"):
        assert_close(dpt.tensor([1.0]), dpt.tensor([2.0]), msg="custom")
    with pytest.raises(AssertionError, match="^wrapped: Tensor-likes"):
        assert_close(dpt.tensor([1.0]), dpt.tensor([2.0]), msg=lambda m: "wrapped: " + m)


def test_attribute_mismatches():
    with pytest.raises(AssertionError, match=r"attribute 'shape' do not match"):
        assert_close(dpt.ones(2), dpt.ones(3))
    with pytest.raises(AssertionError, match=r"attribute 'dtype' do not match: dpt.float32 != "
                                             r"dpt.float64"):
        assert_close(dpt.ones(2), dpt.ones(2, dtype=dpt.float64))
    with pytest.raises(AssertionError, match=r"stride"):
        assert_close(dpt.ones(3, 2)[:, 0], dpt.ones(3), check_stride=True)
    with pytest.raises(AssertionError, match=r"\[1\]\['a'\]"):
        assert_close([0, {"a": dpt.ones(1)}], [0, {"a": dpt.zeros(1)}])
    with pytest.raises(AssertionError, match="length of the sequences"):
        assert_close([1, 2], [1])
    with pytest.raises(TypeError, match="No comparison pair"):
        assert_close(dpt.ones(1), 1.0)
    with pytest.raises(AssertionError):
        assert_close(dpt.tensor([float("nan")]), dpt.tensor([float("nan")]))


def test_make_tensor():
    dpt.manual_seed(0)
    a = make_tensor(2, 3, dtype=dpt.float32)
    dpt.manual_seed(0)
    b = make_tensor((2, 3), dtype=dpt.float32)
    assert a.tolist() == b.tolist() and a.shape == (2, 3)
    assert float(a.min()) >= -9 and float(a.max()) < 9
    i = make_tensor(50, dtype=dpt.int64, low=-2, high=3)
    assert i.dtype is dpt.int64 and int(i.min()) >= -2 and int(i.max()) < 3
    assert make_tensor(10, dtype=dpt.uint8).min().item() >= 0
    assert make_tensor(4, dtype=dpt.bool).dtype is dpt.bool
    c = make_tensor(3, dtype=dpt.complex64)
    assert c.dtype is dpt.complex64
    nz = make_tensor(100, dtype=dpt.int8, low=0, high=2, exclude_zero=True)
    assert bool((nz != 0).all())
    nc = make_tensor(3, 4, dtype=dpt.float64, noncontiguous=True, requires_grad=True)
    assert not nc.is_contiguous() and nc.requires_grad and nc.shape == (3, 4)
    with pytest.raises(ValueError, match="low"):
        make_tensor(2, dtype=dpt.float32, low=3, high=1)
