"""dpt.ops.settings: the default device, the legacy default tensor type, deterministic flags."""
import warnings

import pytest

import dpt


def test_default_device_roundtrip():
    assert dpt.get_default_device() == dpt.device("cpu")
    try:
        dpt.set_default_device("cpu")
        assert dpt.zeros(2).device == dpt.device("cpu")
        assert dpt.tensor([1.0]).device == dpt.device("cpu")
        if dpt.cuda.is_available():
            dpt.set_default_device("cuda")
            assert dpt.zeros(2).is_cuda and dpt.rand(2).is_cuda and dpt.arange(3).is_cuda
            assert dpt.zeros(2, device="cpu").is_cpu
        else:
            dpt.set_default_device("cuda")
            with pytest.raises(RuntimeError, match="cupy"):
                dpt.zeros(2)
    finally:
        dpt.set_default_device(None)
    assert dpt.zeros(1).device == dpt.device("cpu")


def test_deterministic_flag_and_default_tensor_type():
    assert not dpt.are_deterministic_algorithms_enabled()
    dpt.use_deterministic_algorithms(True, warn_only=True)
    try:
        assert dpt.are_deterministic_algorithms_enabled()
        assert dpt.is_deterministic_algorithms_warn_only_enabled()
    finally:
        dpt.use_deterministic_algorithms(False)
    with pytest.warns(UserWarning, match="deprecated"):
        dpt.set_default_tensor_type(dpt.DoubleTensor)
    assert dpt.get_default_dtype() is dpt.float64
    with pytest.warns(UserWarning):
        dpt.set_default_tensor_type("torch.FloatTensor")
    assert dpt.tensor([1.0]).dtype is dpt.float32
    with pytest.raises(TypeError, match="floating-point"), warnings.catch_warnings():
        warnings.simplefilter("ignore")
        dpt.set_default_tensor_type(dpt.LongTensor)
