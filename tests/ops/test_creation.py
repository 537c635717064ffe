"""Creation functions: tensor/as_tensor/from_numpy/from_dlpack, filled tensors, ranges, legacy types."""
import warnings

import numpy as np
import pytest

import dpt
from dpt._device import to_numpy
from tests.helpers import assert_close


def arr(t):
    return to_numpy(t.detach()._data)


# ---- tensor() -------------------------------------------------------------------------
@pytest.mark.parametrize("data, dtype", [
    ([1, 2], dpt.int64), ([1.0, 2], dpt.float32), ([True, False], dpt.bool),
    ([True, 2], dpt.int64), ([1, 2.5, True], dpt.float32), ([1 + 2j, 1], dpt.complex64),
    (3, dpt.int64), (3.5, dpt.float32), (False, dpt.bool), ([], dpt.float32), ([[]], dpt.float32),
    ([[1, 2], [3, 4]], dpt.int64),
])
def test_tensor_dtype_inference(data, dtype):
    t = dpt.tensor(data)
    assert t.dtype == dtype
    assert t.shape == np.asarray(data).shape


def test_tensor_inference_follows_default_dtype():
    dpt.set_default_dtype(dpt.float64)
    assert dpt.tensor([1.5]).dtype == dpt.float64
    assert dpt.tensor([1j]).dtype == dpt.complex128
    assert dpt.tensor([1]).dtype == dpt.int64


def test_tensor_from_numpy_keeps_dtype_and_copies():
    a = np.arange(3, dtype=np.int32)
    t = dpt.tensor(a)
    assert t.dtype == dpt.int32
    a[0] = 9
    assert arr(t)[0] == 0
    assert dpt.tensor(np.float64(1.5)).dtype == dpt.float64
    assert dpt.tensor([np.float16(1), 2.0]).dtype == dpt.float32  # promoted with the default
    assert dpt.tensor(np.array([1, 2], dtype=np.uint16)).dtype == dpt.uint16  # as torch 2.3+


def test_tensor_from_lists_of_tensors():
    t = dpt.tensor([dpt.tensor(1.0), dpt.tensor(2.0)])
    assert t.dtype == dpt.float32 and arr(t).tolist() == [1.0, 2.0]
    # as in torch, a tensor inside a sequence is a scalar: it must have one element
    t = dpt.tensor([dpt.tensor([1], dtype=dpt.int32), dpt.tensor([[3]], dtype=dpt.int32)])
    assert t.dtype == dpt.int32 and t.shape == (2,)
    with pytest.raises(TypeError, match="only integer tensors of a single element"):
        dpt.tensor([dpt.tensor([1, 2], dtype=dpt.int32), dpt.tensor([3, 4], dtype=dpt.int32)])
    assert dpt.tensor([dpt.tensor(1.0, dtype=dpt.float64), 2]).dtype == dpt.float64
    assert dpt.tensor([dpt.tensor(1, dtype=dpt.int8), 2]).dtype == dpt.int64
    g = dpt.ones(2, requires_grad=True)
    t = dpt.tensor([g[0] * 2, g[1]])
    assert not t.requires_grad and arr(t).tolist() == [2.0, 1.0]


def test_tensor_options_and_copy_of_tensor():
    t = dpt.tensor([1, 2], dtype=dpt.float64, requires_grad=True)
    assert t.dtype == dpt.float64 and t.requires_grad and t.is_leaf
    src = dpt.ones(2)
    with pytest.warns(UserWarning, match="clone"):
        c = dpt.tensor(src)
    c[0] = 5
    assert arr(src).tolist() == [1.0, 1.0]


def test_tensor_errors():
    with pytest.raises(TypeError):
        dpt.tensor("abc")
    with pytest.raises(ValueError):
        dpt.tensor([[1, 2], [3]])
    with pytest.raises(ValueError, match="Overflow"):
        dpt.tensor([2 ** 70])
    with pytest.raises(RuntimeError, match="Tensors of floating point"):
        dpt.tensor([1, 2], requires_grad=True)


def test_scalar_tensor_and_complex_creation():
    assert dpt.scalar_tensor(3).dtype == dpt.float32 and dpt.scalar_tensor(3).shape == ()
    z = dpt.tensor([1 + 2j, -3j])
    assert z.dtype == dpt.complex64
    assert arr(z).tolist() == [1 + 2j, -3j]
    assert dpt.zeros(2, dtype=dpt.complex128).dtype == dpt.complex128
    assert dpt.full((2,), 1 + 1j).dtype == dpt.complex64


def test_complex_and_polar():
    re = dpt.tensor([1.0, 2.0], dtype=dpt.float64, requires_grad=True)
    im = dpt.tensor([3.0, -1.0], dtype=dpt.float64, requires_grad=True)
    z = dpt.complex(re, im)
    assert z.dtype == dpt.complex128 and arr(z).tolist() == [1 + 3j, 2 - 1j]
    (z.real * 2 + z.imag * 5).sum().backward()
    assert arr(re.grad).tolist() == [2, 2] and arr(im.grad).tolist() == [5, 5]
    p = dpt.polar(dpt.tensor([2.0]), dpt.tensor([np.pi / 2]))
    assert p.dtype == dpt.complex64
    np.testing.assert_allclose(arr(p), [2j], atol=1e-6)
    with pytest.raises(RuntimeError, match="same"):
        dpt.complex(dpt.ones(1), dpt.ones(1, dtype=dpt.float64))


# ---- sharing memory ----------------------------------------------------------------------
def test_from_numpy_shares_memory_both_ways():
    a = np.zeros(3, dtype=np.float32)
    t = dpt.from_numpy(a)
    assert t.dtype == dpt.float32
    a[0] = 1
    assert t[0].item() == 1
    t[1] = 2
    assert a[1] == 2
    t.add_(1)
    assert a.tolist() == [2, 3, 1]
    assert t.numpy() is a or np.shares_memory(t.numpy(), a)


def test_from_numpy_rejects_unsupported():
    with pytest.raises(TypeError, match="can't convert"):
        dpt.from_numpy(np.array(["a"]))
    with pytest.raises(TypeError, match="can't convert"):
        dpt.from_numpy(np.zeros(2, dtype=np.longdouble))
    with pytest.raises(TypeError, match="ndarray"):
        dpt.from_numpy([1, 2])
    with pytest.raises(ValueError, match="byte order"):
        dpt.from_numpy(np.zeros(2, dtype=">f4"))


def test_as_tensor_and_asarray_share_when_possible():
    a = np.arange(4.0)
    t = dpt.as_tensor(a)
    a[0] = 7
    assert t[0].item() == 7
    c = dpt.as_tensor(a, dtype=dpt.float32)  # a dtype change copies
    a[1] = 9
    assert c[1].item() == 1
    x = dpt.ones(2)
    assert dpt.as_tensor(x) is x
    assert dpt.as_tensor(x, dtype=dpt.float64).dtype == dpt.float64
    assert dpt.as_tensor([1, 2]).dtype == dpt.int64
    s = dpt.asarray(a)
    assert np.shares_memory(s.numpy(), a)
    cp = dpt.asarray(a, copy=True)
    a[2] = -1
    assert cp[2].item() == 2
    with pytest.raises(ValueError, match="copy=False"):
        dpt.asarray(a, dtype=dpt.float32, copy=False)
    r = dpt.asarray([1.0, 2.0], requires_grad=True)
    assert r.requires_grad and r.is_leaf


def test_from_dlpack_zero_copy_with_numpy():
    a = np.arange(6.0).reshape(2, 3)
    t = dpt.from_dlpack(a)
    a[0, 0] = 42
    assert t[0, 0].item() == 42 and t.shape == (2, 3) and t.dtype == dpt.float64
    back = np.from_dlpack(t)
    back[1, 2] = -5
    assert t[1, 2].item() == -5
    assert dpt.from_dlpack(t) is t
    with pytest.raises(RuntimeError, match="require gradient"):
        np.from_dlpack(dpt.ones(2, requires_grad=True))
    cap = a.__dlpack__()
    assert dpt.from_dlpack(cap)[0, 0].item() == 42
    with pytest.raises(TypeError):
        dpt.from_dlpack([1, 2])


# ---- filled tensors ---------------------------------------------------------------------------
def test_zeros_ones_empty_full(device):
    for fn, val in ((dpt.zeros, 0), (dpt.ones, 1), (dpt.empty, None)):
        for args in ((2, 3), ((2, 3),), ([2, 3],), (dpt.Size([2, 3]),)):
            t = fn(*args, device=device)
            assert t.shape == (2, 3) and t.dtype == dpt.float32 and t.device.type == device.split(":")[0]
            if val is not None:
                assert (arr(t) == val).all()
        assert fn(size=(4,)).shape == (4,)
        assert fn(()).shape == ()
        assert fn(0).shape == (0,)
        assert fn(2, dtype=dpt.int32).dtype == dpt.int32
        assert fn(2, requires_grad=True).requires_grad
    assert dpt.full((2,), 1.5, device=device).dtype == dpt.float32
    assert dpt.full((2,), 7).dtype == dpt.int64
    assert dpt.full((2,), False).dtype == dpt.bool
    assert dpt.full((2, 2), 3, dtype=dpt.float64).dtype == dpt.float64
    assert arr(dpt.full([3], dpt.tensor(2.5))).tolist() == [2.5] * 3
    with pytest.raises(RuntimeError, match="negative dimension"):
        dpt.zeros(-1)
    with pytest.raises(TypeError):
        dpt.ones(2.5)


def test_like_functions():
    x = dpt.zeros(2, 3, dtype=dpt.float64)
    for fn in (dpt.zeros_like, dpt.ones_like, dpt.empty_like):
        y = fn(x)
        assert y.shape == (2, 3) and y.dtype == dpt.float64 and y is not x
        assert fn(x, dtype=dpt.int64).dtype == dpt.int64
        assert fn(x, requires_grad=True).requires_grad
    f = dpt.full_like(x, 7)
    assert f.dtype == dpt.float64 and (arr(f) == 7).all()
    assert arr(dpt.ones_like(dpt.tensor([True]))).tolist() == [True]


def test_eye():
    assert_close(dpt.eye(3), np.eye(3))
    assert_close(dpt.eye(2, 4), np.eye(2, 4))
    assert dpt.eye(2, dtype=dpt.int64).dtype == dpt.int64
    assert dpt.eye(0).shape == (0, 0)
    with pytest.raises(RuntimeError, match="n must be greater or equal to 0"):
        dpt.eye(-1)


# ---- ranges -------------------------------------------------------------------------------
def test_arange_dtypes_and_values():
    a = dpt.arange(5)
    assert a.dtype == dpt.int64 and arr(a).tolist() == [0, 1, 2, 3, 4]
    assert arr(dpt.arange(1, 10, 3)).tolist() == [1, 4, 7]
    assert arr(dpt.arange(10, 0, -3)).tolist() == [10, 7, 4, 1]
    f = dpt.arange(0, 1, 0.25)
    assert f.dtype == dpt.float32 and arr(f).tolist() == [0, 0.25, 0.5, 0.75]
    assert dpt.arange(5.0).dtype == dpt.float32
    assert arr(dpt.arange(0, 1, 0.1)).shape == (10,)
    assert arr(dpt.arange(1, 2.5, 0.5)).tolist() == [1.0, 1.5, 2.0]
    assert dpt.arange(3, dtype=dpt.float64).dtype == dpt.float64
    assert arr(dpt.arange(dpt.tensor(3))).tolist() == [0, 1, 2]
    assert dpt.arange(0).shape == (0,)
    assert dpt.arange(4, requires_grad=True, dtype=dpt.float32).requires_grad
    dpt.set_default_dtype(dpt.float64)
    assert dpt.arange(1.0).dtype == dpt.float64 and dpt.arange(1).dtype == dpt.int64
    with pytest.raises(RuntimeError, match="step must be nonzero"):
        dpt.arange(0, 5, 0)
    with pytest.raises(RuntimeError, match="inconsistent with step sign"):
        dpt.arange(0, 5, -1)


def test_range_includes_end():
    with pytest.warns(UserWarning, match="deprecated"):
        r = dpt.range(1, 4)
    assert r.dtype == dpt.float32 and arr(r).tolist() == [1, 2, 3, 4]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        assert arr(dpt.range(0, 1, 0.5)).tolist() == [0, 0.5, 1]


def test_linspace_logspace():
    t = dpt.linspace(1, 10, 4)
    assert t.dtype == dpt.float32 and arr(t).tolist() == [1, 4, 7, 10]
    assert_close(dpt.linspace(-1, 1, 7, dtype=dpt.float64), np.linspace(-1, 1, 7), rtol=0, atol=1e-15)
    assert arr(dpt.linspace(0, 10, 5, dtype=dpt.int64)).tolist() == [0, 2, 5, 7, 10]
    assert dpt.linspace(0, 1, 0).shape == (0,)
    assert arr(dpt.linspace(3, 5, 1)).tolist() == [3]
    assert arr(dpt.linspace(0, 1, 11))[-1] == 1.0
    assert dpt.linspace(0, 1j, 3).dtype == dpt.complex64
    assert_close(dpt.logspace(0, 3, 4), [1, 10, 100, 1000], rtol=1e-6)
    assert_close(dpt.logspace(0, 2, 3, base=2), [1, 2, 4])
    with pytest.raises(RuntimeError, match="non-negative"):
        dpt.linspace(0, 1, -1)


# ---- fills ------------------------------------------------------------------------------------
def test_fill_zero_copy():
    x = dpt.ones(2, 2)
    assert x.fill_(3) is x and (arr(x) == 3).all()
    x.zero_()
    assert (arr(x) == 0).all()
    x.copy_(dpt.tensor([1, 2]))  # broadcast and cast
    assert arr(x).tolist() == [[1, 2], [1, 2]] and x.dtype == dpt.float32
    x.copy_(np.eye(2))
    assert arr(x).tolist() == [[1, 0], [0, 1]]
    with pytest.raises(RuntimeError, match="broadcastable"):
        x.copy_(dpt.ones(3))
    a = dpt.ones(2, requires_grad=True)
    y = dpt.zeros(2)
    y.copy_(a * 3)
    y.sum().backward()
    assert arr(a.grad).tolist() == [3, 3]


# ---- legacy constructors ---------------------------------------------------------------------
def test_legacy_tensor_constructor():
    assert dpt.Tensor(2, 3).shape == (2, 3) and dpt.Tensor(2, 3).dtype == dpt.float32
    assert dpt.Tensor().shape == (0,)
    one = dpt.Tensor(1)
    assert one.shape == (1,) and one.type() == "dpt.FloatTensor"
    t = dpt.Tensor([1, 2])
    assert t.dtype == dpt.float32 and arr(t).tolist() == [1, 2]
    assert dpt.Tensor((2, 3)).shape == (2,)  # a tuple is data, a Size is a shape
    assert dpt.Tensor(dpt.Size([2, 3])).shape == (2, 3)
    assert dpt.Tensor(np.arange(3)).dtype == dpt.float32
    dpt.set_default_dtype(dpt.float64)
    assert dpt.Tensor(2).dtype == dpt.float64 and dpt.Tensor([1]).dtype == dpt.float64


def test_legacy_typed_constructors_and_isinstance():
    cases = [(dpt.FloatTensor, dpt.float32), (dpt.DoubleTensor, dpt.float64),
             (dpt.LongTensor, dpt.int64), (dpt.IntTensor, dpt.int32),
             (dpt.BoolTensor, dpt.bool), (dpt.ByteTensor, dpt.uint8), (dpt.HalfTensor, dpt.float16)]
    for cls, dt in cases:
        t = cls(2, 3)
        assert t.dtype == dt and t.shape == (2, 3) and type(t) is dpt.Tensor
        assert cls([1, 0]).dtype == dt
        assert isinstance(t, cls) and isinstance(t, dpt.Tensor)
        assert t.type() == f"dpt.{cls.__name__}"
    idx = dpt.LongTensor([[0, 1, 1]])
    assert arr(idx).tolist() == [[0, 1, 1]]
    assert isinstance(dpt.zeros(2), dpt.FloatTensor)
    assert not isinstance(dpt.zeros(2), dpt.DoubleTensor)
    assert not isinstance(np.zeros(2), dpt.FloatTensor)
    assert isinstance(dpt.arange(3), dpt.LongTensor)


def test_frombuffer_and_empty_strided():
    buf = bytearray(np.arange(6, dtype=np.float32).tobytes())
    t = dpt.frombuffer(buf, dtype=dpt.float32, offset=4, count=3)
    assert t.tolist() == [1.0, 2.0, 3.0]
    t[0] = 10.0  # shares the buffer's memory
    assert np.frombuffer(buf, np.float32)[1] == 10.0
    with pytest.raises(ValueError, match="multiple of element size"):
        dpt.frombuffer(bytearray(5), dtype=dpt.float32)
    e = dpt.empty_strided((2, 3), (1, 2), dtype=dpt.float64)
    assert e.shape == (2, 3) and e.stride() == (1, 2) and e.dtype is dpt.float64
    assert dpt.empty_strided((0, 3), (3, 1)).numel() == 0


def test_tri_indices():
    for r, c, off in [(3, 3, 0), (4, 3, 1), (3, 5, -1), (0, 2, 0)]:
        assert_close(dpt.tril_indices(r, c, off), np.stack(np.tril_indices(r, off, c)))
        assert_close(dpt.triu_indices(r, c, off), np.stack(np.triu_indices(r, off, c)))
    assert dpt.tril_indices(3, 3).dtype is dpt.int64
    assert dpt.tril_indices(3, 3, dtype=dpt.int32).dtype is dpt.int32
