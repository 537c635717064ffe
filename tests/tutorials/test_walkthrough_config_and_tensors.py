"""torch-source-walkthrough, sections 1-3 and 7-16 (reference/torch-source-walkthrough.txt):
__config__, __future__, typename/is_tensor, random seeds, save/load, no_grad, backends."""
import pickle

import pytest

import dpt
import dpt.nn as nn
from tests.helpers import assert_close


# -- 1. __config__.py -------------------------------------------------------------------
def test_config_show_and_parallel_info():
    show = dpt.__config__.show()
    info = dpt.__config__.parallel_info()
    assert isinstance(show, str) and show
    # torch prints 'ATen/Parallel:\n\tat::get_num_threads() : 28\n...'; dpt reports its own
    # thread settings in the same layout.
    assert isinstance(info, str) and "get_num_threads() : " in info
    assert f"get_num_threads() : {dpt.get_num_threads()}" in info


# -- 2. __future__.py: module.cpu() / module.double() -----------------------------------
class _Test(nn.Module):
    def __init__(self):
        super(_Test, self).__init__()
        self.Li = nn.Linear(1, 1)

    def forward(self, x):
        return self.Li(x)


def test_module_cpu_and_double():
    mode = _Test()
    assert mode.cpu() is mode
    a = dpt.rand(1, 1).double()
    assert a.dtype == dpt.float64
    out = mode.double()(a)
    # tensor([[0.5623]], dtype=torch.float64, grad_fn=<AddmmBackward>)
    assert out.shape == (1, 1) and out.dtype == dpt.float64 and out.grad_fn is not None
    assert mode.Li.weight.dtype == dpt.float64 and mode.Li.bias.dtype == dpt.float64
    assert repr(out).startswith("tensor([[") and "dtype=dpt.float64, grad_fn=<" in repr(out)
    expected = a * mode.Li.weight + mode.Li.bias
    assert_close(out, expected.detach())


def test_future_overwrite_module_params_flag():
    from dpt import __future__ as future

    assert future.get_overwrite_module_params_on_conversion() is False
    future.set_overwrite_module_params_on_conversion(True)
    try:
        assert future.get_overwrite_module_params_on_conversion() is True
        m = nn.Linear(1, 1)
        w = m.weight
        m.double()
        assert m.weight is not w and isinstance(m.weight, nn.Parameter)  # a new Parameter
    finally:
        future.set_overwrite_module_params_on_conversion(False)
    m = nn.Linear(1, 1)
    w = m.weight
    m.double()
    assert m.weight is w and w.dtype == dpt.float64  # the default: same Parameter, new data


# -- 3. __init__.py: typename / is_tensor -----------------------------------------------
def test_typename_and_is_tensor():
    a = dpt.nn.Linear(1, 2)
    b = dpt.rand(1)
    assert dpt.typename(a) == "dpt.nn.modules.linear.Linear"  # torch.nn.modules.linear.Linear
    assert dpt.typename(b) == "dpt.FloatTensor"                # torch.FloatTensor
    assert dpt.is_tensor(a) is False
    assert dpt.is_tensor(b) is True
    assert dpt.typename(dpt.rand(1).double()) == "dpt.DoubleTensor"
    assert dpt.typename(3) == "int"


# -- 7. random.py -----------------------------------------------------------------------
def test_manual_seed_repeats_the_sequence():
    # torch prints tensor([0.0043]) then tensor([0.1056]) after manual_seed(3): dpt draws
    # from its own generator, so only the reproducibility is the same.
    g = dpt.random.manual_seed(3)
    assert isinstance(g, dpt.Generator)
    first, second = dpt.rand(1), dpt.rand(1)
    dpt.random.manual_seed(3)  # "执行多次任然是这个结果": same numbers every time
    assert dpt.equal(dpt.rand(1), first) and dpt.equal(dpt.rand(1), second)
    assert not dpt.equal(first, second)
    assert 0 <= first.item() < 1 and dpt.initial_seed() == 3


# -- 8. serialization.py ----------------------------------------------------------------
class _SaveMode(dpt.nn.Module):
    def __init__(self):
        super(_SaveMode, self).__init__()
        self.li = dpt.nn.Linear(1, 1)

    def forward(self, x):
        return self.li(x)


def test_save_and_load_tensor(tmp_path):
    a = dpt.rand(10)
    path = str(tmp_path / "test_save_tensor.pt")
    dpt.serialization.save(a, path)
    loaded = dpt.load(path)
    assert loaded.shape == (10,) and dpt.equal(loaded, a)


def test_save_and_load_whole_module(tmp_path):
    test_save_mode = _SaveMode()
    path = tmp_path / "test_save_mode.pt"
    dpt.serialization.save(test_save_mode, path)
    # torch >= 2.6 (weights_only=True by default) refuses a pickled Module; so does dpt
    with pytest.raises(pickle.UnpicklingError, match="weights_only=False"):
        dpt.load(path)
    test_load_mode = dpt.load(path, weights_only=False)
    x = dpt.rand(10, 1)
    out = test_load_mode(x)
    assert out.shape == (10, 1) and out.grad_fn is not None
    assert_close(out.detach(), test_save_mode(x).detach())


# -- 10. autograd.grad_mode -------------------------------------------------------------
def test_backward_then_no_grad():
    x = dpt.rand(1, requires_grad=True)
    y = x * 2
    y.backward()
    assert y.requires_grad is True
    assert x.grad.tolist() == [2.0] and repr(x.grad) == "tensor([2.])"
    no_grad = dpt.autograd.grad_mode.no_grad()
    with no_grad:
        z = x ** 2
    assert z.requires_grad is False
    assert dpt.is_grad_enabled()  # restored on exit


def test_no_grad_as_decorator():
    x = dpt.rand(1, requires_grad=True)

    @dpt.autograd.grad_mode.no_grad()
    def square(t):
        return t * t

    assert square(x).requires_grad is False and (x * x).requires_grad is True


# -- 11-16. backends, distributed -------------------------------------------------------
def test_backends_is_available():
    assert dpt.backends.cudnn.is_available() is False  # dpt never uses cuDNN
    assert isinstance(dpt.backends.mkl.is_available(), bool)


def test_distributed_is_available():
    assert dpt.distributed.is_available() is True
