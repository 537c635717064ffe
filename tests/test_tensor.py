"""Tensor attributes and conversions: shape/dtype/device, type(), to(), numpy, dlpack, pickling."""
import copy
import operator
import pickle

import numpy as np
import pytest

import dpt
from dpt._device import to_numpy
from tests.conftest import HAS_CUDA


def arr(t):
    return to_numpy(t.detach()._data)


# ---- attributes -------------------------------------------------------------------------
def test_shape_size_dim_numel():
    x = dpt.zeros(2, 3, 4)
    assert x.shape == (2, 3, 4) and isinstance(x.shape, dpt.Size)
    assert repr(x.shape) == "dpt.Size([2, 3, 4])"
    assert x.size() == x.shape and x.size(1) == 3 and x.size(-1) == 4
    assert x.dim() == x.ndim == x.ndimension() == 3
    assert x.numel() == x.nelement() == 24 and dpt.numel(x) == 24
    assert x.shape.numel() == 24 and x.shape[1:] == dpt.Size([3, 4])
    assert dpt.tensor(1.0).shape == () and dpt.tensor(1.0).numel() == 1
    with pytest.raises(IndexError, match="Dimension out of range"):
        x.size(3)


def test_dtype_device_and_flags():
    x = dpt.ones(2)
    assert x.dtype is dpt.float32 and x.device == dpt.device("cpu") and x.device.type == "cpu"
    assert x.is_cpu and not x.is_cuda and x.get_device() == -1
    assert x.is_floating_point() and not x.is_complex()
    assert dpt.ones(1, dtype=dpt.complex64).is_complex()
    assert not dpt.ones(1, dtype=dpt.int64).is_floating_point()
    assert x.element_size() == 4 and dpt.ones(1, dtype=dpt.float64).element_size() == 8
    assert dpt.ones(1, dtype=dpt.bool).element_size() == 1
    assert dpt.ones(3, dtype=dpt.int16).nbytes == 6


def test_transposes():
    x = dpt.arange(6).reshape(2, 3)
    assert x.T.shape == (3, 2) and arr(x.T).tolist() == [[0, 3], [1, 4], [2, 5]]
    b = dpt.zeros(4, 2, 3)
    assert b.mT.shape == (4, 3, 2)
    with pytest.raises(RuntimeError, match="mT is only supported on matrices"):
        dpt.zeros(3).mT


def test_type_strings_and_conversion():
    x = dpt.ones(2)
    assert x.type() == "dpt.FloatTensor"
    assert dpt.ones(2, dtype=dpt.int64).type() == "dpt.LongTensor"
    assert dpt.ones(2, dtype=dpt.bool).type() == "dpt.BoolTensor"
    assert x.type(dpt.float64).dtype == dpt.float64
    assert x.type("dpt.DoubleTensor").dtype == dpt.float64
    assert x.type("torch.IntTensor").dtype == dpt.int32
    assert x.type(dpt.LongTensor).dtype == dpt.int64
    assert x.type(dpt.float32) is x
    assert dpt.typename(x) == "dpt.FloatTensor"
    with pytest.raises(ValueError, match="invalid type"):
        x.type("dpt.NopeTensor")


def test_dtype_shortcuts():
    x = dpt.tensor([1.7, -2.2])
    for meth, dt in (("float", dpt.float32), ("double", dpt.float64), ("half", dpt.float16),
                     ("bfloat16", dpt.bfloat16), ("long", dpt.int64), ("int", dpt.int32),
                     ("short", dpt.int16), ("char", dpt.int8), ("byte", dpt.uint8),
                     ("bool", dpt.bool), ("cfloat", dpt.complex64), ("cdouble", dpt.complex128)):
        assert getattr(x, meth)().dtype == dt
    assert arr(x.long()).tolist() == [1, -2]  # truncation toward zero
    assert arr(x.bool()).tolist() == [True, True]
    assert x.float() is x


def test_to_variants():
    x = dpt.ones(2, 2)
    assert x.to(dpt.float64).dtype == dpt.float64
    assert x.to("cpu") is x and x.to(dpt.device("cpu")) is x
    assert x.to(dtype=dpt.int32).dtype == dpt.int32
    assert x.to("cpu", dpt.float16).dtype == dpt.float16
    other = dpt.zeros(1, dtype=dpt.int64)
    assert x.to(other).dtype == dpt.int64
    c = x.to(dpt.float32, copy=True)
    assert c is not x and c.dtype == dpt.float32
    c[0, 0] = 5
    assert x[0, 0].item() == 1
    assert x.cpu() is x
    assert x.type_as(other).dtype == dpt.int64


def test_to_is_differentiable():
    x = dpt.ones(3, requires_grad=True)
    y = x.to(dpt.float64)
    assert y.grad_fn is not None
    (y * 2).sum().backward()
    assert x.grad.dtype == dpt.float32 and arr(x.grad).tolist() == [2, 2, 2]


@pytest.mark.skipif(HAS_CUDA, reason="checks the error raised without a GPU")
def test_cuda_without_gpu_is_a_clear_error():
    with pytest.raises(RuntimeError, match="CUDA"):
        dpt.ones(2).cuda()
    with pytest.raises(RuntimeError, match="CUDA"):
        dpt.ones(2).to("cuda")
    with pytest.raises(RuntimeError, match="CUDA"):
        dpt.zeros(2, device="cuda")


@pytest.mark.cuda
def test_cuda_round_trip():
    x = dpt.arange(4.0)
    g = x.cuda()
    assert g.is_cuda and g.device == dpt.device("cuda", 0) and g.get_device() == 0
    assert g.type() == "dpt.cuda.FloatTensor"
    assert arr(g.cpu()).tolist() == [0, 1, 2, 3]
    with pytest.raises(TypeError, match="cpu"):
        g.numpy()
    assert x.type("dpt.cuda.DoubleTensor").is_cuda


# ---- copies, views, memory ----------------------------------------------------------------
def test_clone_contiguous_strides():
    x = dpt.arange(6.0).reshape(2, 3)
    assert x.stride() == (3, 1) and x.stride(0) == 3 and x.stride(-1) == 1
    assert x.is_contiguous()
    t = x.t()
    assert t.stride() == (1, 3) and not t.is_contiguous()
    c = t.contiguous()
    assert c.is_contiguous() and c.stride() == (2, 1) and arr(c).tolist() == arr(t).tolist()
    assert x.contiguous() is x
    k = x.clone()
    k[0, 0] = 100
    assert x[0, 0].item() == 0
    assert dpt.zeros(2, 3, dtype=dpt.float64).stride() == (3, 1)  # elements, not bytes


def test_data_ptr_and_views():
    x = dpt.arange(6.0)
    v = x[2:]
    assert v.data_ptr() == x.data_ptr() + 2 * x.element_size()
    assert v.storage_offset() == 2
    assert x.clone().data_ptr() != x.data_ptr()


def test_copy_method():
    x = dpt.zeros(3)
    assert x.copy_(dpt.tensor([1, 2, 3])) is x
    assert arr(x).tolist() == [1, 2, 3] and x.dtype == dpt.float32


def test_len_iter_and_scalars():
    x = dpt.tensor([[1, 2], [3, 4], [5, 6]])
    assert len(x) == 3
    rows = list(x)
    assert len(rows) == 3 and arr(rows[1]).tolist() == [3, 4]
    assert [int(v) for v in dpt.tensor([7, 8])] == [7, 8]
    with pytest.raises(TypeError, match="len\\(\\) of a 0-d tensor"):
        len(dpt.tensor(1))
    with pytest.raises(TypeError, match="iteration over a 0-d tensor"):
        iter(dpt.tensor(1))
    one = dpt.tensor([2.5])
    assert float(one) == 2.5 and int(one) == 2 and complex(one) == 2.5
    assert bool(dpt.tensor([0.0])) is False and bool(dpt.tensor(3)) is True
    assert operator.index(dpt.tensor(3)) == 3 and [10, 20, 30][dpt.tensor(1)] == 20
    assert operator.index(dpt.tensor(True)) == 1
    with pytest.raises(TypeError, match="only integer tensors"):
        operator.index(dpt.tensor(1.5))
    with pytest.raises(RuntimeError, match="more than one value is ambiguous"):
        bool(dpt.tensor([1, 2]))
    with pytest.raises(RuntimeError, match="no values is ambiguous"):
        bool(dpt.tensor([]))
    with pytest.raises(ValueError, match="only one element tensors"):
        float(dpt.tensor([1.0, 2.0]))


def test_item_and_tolist():
    assert dpt.tensor(3).item() == 3 and isinstance(dpt.tensor(3).item(), int)
    assert isinstance(dpt.tensor(1.5).item(), float)
    assert dpt.tensor([[True]]).item() is True
    assert dpt.tensor(1.5, dtype=dpt.bfloat16).item() == 1.5
    with pytest.raises(RuntimeError, match="a Tensor with 2 elements cannot be converted to Scalar"):
        dpt.tensor([1, 2]).item()
    assert dpt.tensor([[1, 2], [3, 4]]).tolist() == [[1, 2], [3, 4]]
    assert dpt.tensor(2.0).tolist() == 2.0
    assert dpt.tensor([1.5], dtype=dpt.bfloat16).tolist() == [1.5]
    assert dpt.tensor([1 + 1j]).tolist() == [1 + 1j]


# ---- numpy interop -------------------------------------------------------------------------
def test_numpy_shares_memory_and_refuses_grad():
    x = dpt.zeros(3)
    n = x.numpy()
    n[0] = 5
    assert x[0].item() == 5
    g = dpt.ones(2, requires_grad=True)
    with pytest.raises(RuntimeError, match=r"Can't call numpy\(\) on Tensor that requires grad. "
                                           r"Use tensor.detach\(\).numpy\(\) instead."):
        g.numpy()
    assert g.detach().numpy().tolist() == [1, 1]
    assert g.numpy(force=True).tolist() == [1, 1]


def test_array_protocol():
    x = dpt.tensor([1, 2])
    a = np.asarray(x)
    assert a.dtype == np.int64 and a.tolist() == [1, 2]
    assert np.asarray(x, dtype=np.float32).dtype == np.float32
    assert np.array(x, copy=True) is not x.numpy()
    with pytest.raises(RuntimeError, match="requires grad"):
        np.asarray(dpt.ones(1, requires_grad=True))
    s = np.sin(dpt.tensor([0.0, 1.0]))  # ufuncs give tensors back, as torch
    assert isinstance(s, dpt.Tensor)
    np.testing.assert_allclose(arr(s), np.sin([0.0, 1.0]), rtol=1e-6)


def test_dlpack_protocol():
    x = dpt.arange(4.0)
    y = np.from_dlpack(x)
    y[0] = -1
    assert x[0].item() == -1
    assert x.__dlpack_device__()[0] == 1
    back = dpt.from_dlpack(np.arange(3))
    assert back.dtype == dpt.int64


# ---- copying and pickling -----------------------------------------------------------------------
def test_deepcopy():
    x = dpt.tensor([1.0, 2.0], requires_grad=True)
    x.grad = dpt.ones(2)
    x.tag = "kept"
    y = copy.deepcopy(x)
    assert y is not x and y.requires_grad and y.is_leaf and y.tag == "kept"
    assert arr(y.grad).tolist() == [1, 1] and y.grad is not x.grad
    y.data[0] = 9
    assert x[0].item() == 1
    pair = copy.deepcopy([x, x])
    assert pair[0] is pair[1]
    with pytest.raises(RuntimeError, match="graph leaves"):
        copy.deepcopy(x * 2)


def test_pickle_round_trip():
    for t in (dpt.arange(6).reshape(2, 3), dpt.tensor([1.5], dtype=dpt.float64),
              dpt.tensor(True), dpt.tensor([1.0, 2.0], dtype=dpt.bfloat16),
              dpt.arange(6.0).reshape(2, 3).t()):
        u = pickle.loads(pickle.dumps(t))
        assert u.dtype == t.dtype and u.shape == t.shape
        np.testing.assert_array_equal(arr(u).astype(np.float64), arr(t).astype(np.float64))
    g = dpt.ones(2, requires_grad=True)
    h = pickle.loads(pickle.dumps(g))
    assert h.requires_grad and h.is_leaf


def test_new_factories_inherit_dtype():
    x = dpt.zeros(2, dtype=dpt.float64)
    assert x.new_zeros(3).dtype == dpt.float64 and x.new_zeros((2, 2)).shape == (2, 2)
    assert x.new_ones(2).dtype == dpt.float64
    assert x.new_full((2,), 3).dtype == dpt.float64
    assert x.new_tensor([1, 2]).dtype == dpt.float64
    assert x.new_empty(1, dtype=dpt.int32).dtype == dpt.int32


def test_sum_to_size_and_memory_format_shorthands():
    x = dpt.ones(3, 4, requires_grad=True)
    y = x.sum_to_size((1, 4))
    assert y.shape == (1, 4) and x.sum_to_size(4).tolist() == [3.0] * 4
    y.sum().backward()
    assert x.grad.shape == (3, 4)
    with pytest.raises(RuntimeError, match=r"size \{\[3, 5\]\} is not expandable to size \{\[3, 4\]\}"):
        x.sum_to_size(3, 5)
    assert x.double(memory_format=dpt.preserve_format).dtype is dpt.float64 \
        if hasattr(dpt, "preserve_format") else x.double(memory_format=None).dtype is dpt.float64
