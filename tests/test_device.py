"""dpt.device: parsing, equality, hashing, repr, and where tensors live."""
import pickle

import pytest

import dpt


def test_parse_forms():
    assert dpt.device("cpu").type == "cpu" and dpt.device("cpu").index is None
    d = dpt.device("cuda:1")
    assert (d.type, d.index) == ("cuda", 1)
    assert dpt.device("cuda", 2).index == 2
    assert dpt.device(3) == dpt.device("cuda:3")
    assert dpt.device(type="cuda", index=0) == dpt.device("cuda:0")
    assert dpt.device(dpt.device("cuda:1")) == d


def test_equality_hash_str_repr():
    assert dpt.device("cpu") == dpt.device("cpu") == "cpu"
    assert dpt.device("cuda:0") != dpt.device("cuda:1")
    assert dpt.device("cuda") != dpt.device("cuda:0")  # as in torch: no index is not index 0
    assert len({dpt.device("cpu"), dpt.device("cpu"), dpt.device("cuda:0")}) == 2
    assert str(dpt.device("cuda:1")) == "cuda:1" and str(dpt.device("cpu")) == "cpu"
    assert repr(dpt.device("cpu")) == "device(type='cpu')"
    assert repr(dpt.device("cuda:1")) == "device(type='cuda', index=1)"
    assert pickle.loads(pickle.dumps(dpt.device("cuda:2"))) == dpt.device("cuda:2")


def test_invalid_devices():
    with pytest.raises(RuntimeError, match="Expected one of cpu, cuda"):
        dpt.device("gpu")
    with pytest.raises(RuntimeError, match="Invalid device string"):
        dpt.device("cuda:x")
    with pytest.raises(RuntimeError, match="negative"):
        dpt.device("cuda", -1)
    with pytest.raises(TypeError):
        dpt.device(1.5)


def test_tensor_device(device):
    x = dpt.ones(2, device=device)
    assert x.device.type == device.split(":")[0]
    assert dpt.zeros(1, device=dpt.device(device)).device == x.device
    assert dpt.ones_like(x).device == x.device


def test_device_module_picks_special_functions_and_scatter_kernels():
    import numpy as np
    import scipy.special

    from dpt import _device

    assert _device.special_module(np) is scipy.special
    target = np.zeros(3)
    _device.scatter_add(np, target, np.array([0, 2, 0]), np.array([1.0, 2.0, 3.0]))
    assert target.tolist() == [4.0, 0.0, 2.0]  # repeated indices accumulate
    _device.ufunc_at(np, "maximum", target, np.array([1, 1]), np.array([5.0, 7.0]))
    assert target.tolist() == [4.0, 7.0, 2.0]
    assert _device.gpu_available() == (_device.gpu_module() is not None)
    assert _device.gpu_count() >= 0 and isinstance(_device.gpu_description(), str)
