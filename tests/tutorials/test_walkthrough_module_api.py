"""torch-source-walkthrough, sections 20.12-20.13: the Module class API and DataParallel."""
import types

import pytest

import dpt
import dpt.nn as nn
from dpt._device import gpu_module
from tests.helpers import assert_close


def _norm(text: str) -> str:
    """The tutorial's printouts lost their indentation: compare modulo whitespace."""
    return " ".join(text.replace("torch.", "dpt.").split())


class _Two(nn.Module):
    def __init__(self, n_in=10, hidden=10, dropout=False, bn=False):
        super(_Two, self).__init__()  # "这步必须有": sets up the parameter/buffer/module dicts
        self.L1 = nn.Linear(n_in, hidden)
        self.L2 = nn.Linear(hidden, 1)
        if bn:
            self.B = nn.BatchNorm1d(2)
        if dropout:
            self.D = nn.Dropout(0.5)

    def forward(self, x):
        x = self.L1(x)
        return self.L2(self.D(x) if hasattr(self, "D") else x)


class _Net(nn.Module):
    def __init__(self):
        super(_Net, self).__init__()
        self.conv = nn.Conv2d(3, 16, 3, 1, 1)
        self.Relu = nn.LeakyReLU(0.2)
        self.Linear = nn.Linear(1600, 2)
        self.Softmax = nn.Softmax(dim=1)
        self.Batchnorma = nn.BatchNorm2d(16)
        self.Dropout = nn.Dropout(0.5)

    def forward(self, x):
        return self.Softmax(self.Linear(self.Dropout(self.Relu(self.Batchnorma(self.conv(x))))
                                        .view(2, -1)))


def test_build_a_model():
    mode_ = _Net()
    out = mode_(dpt.rand(2, 3, 10, 10))
    assert out.shape == (2, 2) and repr(out).endswith("grad_fn=<SoftmaxBackward0>)")
    assert_close(out.sum(1), [1.0, 1.0], rtol=1e-6)


def test_init_dicts(capsys):
    mode_ = _Two(3, 3)
    print(mode_._parameters)
    print(mode_._buffers)
    print(mode_._backward_hooks)
    print(mode_._forward_hooks)
    print(mode_._forward_pre_hooks)
    print(mode_._state_dict_hooks)
    print(mode_._load_state_dict_pre_hooks)
    print(mode_._modules)
    # torch 2 keeps _parameters/_buffers/_modules in plain dicts, the hooks in OrderedDicts
    assert capsys.readouterr().out.splitlines() == [
        "{}", "{}", "OrderedDict()", "OrderedDict()", "OrderedDict()", "OrderedDict()",
        "OrderedDict()",
        "{'L1': Linear(in_features=3, out_features=3, bias=True), "
        "'L2': Linear(in_features=3, out_features=1, bias=True)}"]


def test_call_runs_forward():
    class Module(object):  # the tutorial's sketch of what __call__ does
        def __init__(self, w=1):
            self.w = w
            self.b = 0

        def forward(self, x):
            return x * self.w + self.b

        def __call__(self, x):
            return self.forward(x)

    assert Module(2)(2) == 4
    seen = []
    m = _Two(3, 3)
    m.register_forward_pre_hook(lambda mod, args: seen.append("pre"))
    m.register_forward_hook(lambda mod, args, out: seen.append("post"))
    x = dpt.rand(1, 3)
    assert_close(m(x).detach(), m.forward(x).detach())
    assert seen == ["pre", "post"]  # __call__ wraps forward in the hooks


def test_register_buffer_and_parameter():
    m = nn.Module()
    m.register_buffer("running", dpt.zeros(2))
    m.register_parameter("w", nn.Parameter(dpt.ones(2)))
    assert list(m.state_dict()) == ["w", "running"]
    assert [n for n, _ in m.named_parameters()] == ["w"]  # buffers are not trained


def test_add_module():
    mode_ = _Two()
    mode_(dpt.rand(2, 10))
    mode_.add_module("L3", nn.Linear(10, 10))
    assert repr(mode_._modules) == (
        "{'L1': Linear(in_features=10, out_features=10, bias=True), "
        "'L2': Linear(in_features=10, out_features=1, bias=True), "
        "'L3': Linear(in_features=10, out_features=10, bias=True)}")


APPLY_PRINTED = """Linear(in_features=10, out_features=10, bias=True) 12
Linear(in_features=10, out_features=1, bias=True) 12
mode(
(L1): Linear(in_features=10, out_features=10, bias=True)
(L2): Linear(in_features=10, out_features=1, bias=True)
) 12
[Parameter containing:
tensor([[1., 1., 1., 1., 1., 1., 1., 1., 1., 1.],
[1., 1., 1., 1., 1., 1., 1., 1., 1., 1.],
[1., 1., 1., 1., 1., 1., 1., 1., 1., 1.],
[1., 1., 1., 1., 1., 1., 1., 1., 1., 1.],
[1., 1., 1., 1., 1., 1., 1., 1., 1., 1.],
[1., 1., 1., 1., 1., 1., 1., 1., 1., 1.],
[1., 1., 1., 1., 1., 1., 1., 1., 1., 1.],
[1., 1., 1., 1., 1., 1., 1., 1., 1., 1.],
[1., 1., 1., 1., 1., 1., 1., 1., 1., 1.],
[1., 1., 1., 1., 1., 1., 1., 1., 1., 1.]], requires_grad=True),
Parameter containing:
tensor([0., 0., 0., 0., 0., 0., 0., 0., 0., 0.], requires_grad=True),
Parameter containing:
tensor([[1., 1., 1., 1., 1., 1., 1., 1., 1., 1.]], requires_grad=True),
Parameter containing:
tensor([0.], requires_grad=True)]"""


def test_apply(capsys):
    mode = type("mode", (_Two,), {})  # the tutorial's class is called `mode`
    mode_ = mode()

    def fn(x):
        print(x, 12)
        if isinstance(x, nn.Linear):
            x.weight.data.fill_(1)
            x.bias.data.fill_(0)

    assert mode_.apply(fn) is mode_  # children first, then the module itself
    print(list(mode_.parameters()))
    assert _norm(capsys.readouterr().out) == _norm(APPLY_PRINTED)


@pytest.mark.cuda
def test_cuda_moves_parameters():
    mode_ = _Two()
    assert mode_.cuda() is mode_
    assert all(p.device.type == "cuda" and p.device.index == 0 for p in mode_.parameters())
    assert mode_.cpu() is mode_ and all(p.device.type == "cpu" for p in mode_.parameters())


TYPE_PRINTED = ("Parameter containing:\ntensor([" + ",\n".join(["[0, 0, 0, 0, 0, 0, 0, 0, 0, 0]"]
                                                                   * 10)
                + "], dtype=torch.int8, requires_grad=True)")


def test_type_int8():
    # As printed by the tutorial's torch 1.x. (torch >= 2 refuses: "data set to a tensor that
    # requires gradients must be floating point or complex dtype"; dpt keeps the old result.)
    mode_ = _Two()
    assert mode_.type(dpt.int8) is mode_
    assert _norm(repr(mode_.L1.weight)) == _norm(TYPE_PRINTED)
    assert mode_.L2.bias.dtype == dpt.int8


def test_float_and_to():
    L = nn.Linear(10, 1)
    assert L.double().weight.dtype == dpt.float64 and L.float().weight.dtype == dpt.float32
    assert L.to(dpt.float16) is L and L.weight.dtype == dpt.float16
    assert L.to(device="cpu") is L
    assert repr(L) == "Linear(in_features=10, out_features=1, bias=True)"


@pytest.mark.cuda
def test_to_gpu():
    L = nn.Linear(10, 1)
    assert L.to(0).weight.device == dpt.device("cuda", 0)
    assert L.to(device="cpu").weight.device.type == "cpu"
    assert L.to('cuda').weight.device.type == "cuda"


def test_getattr_submodule():
    mode_ = _Two()
    assert repr(mode_.L1) == "Linear(in_features=10, out_features=10, bias=True)"
    assert getattr(mode_, "L2") is mode_._modules["L2"]


def test_state_dict_and_load_state_dict():
    mode_ = _Two(bn=True)
    data = mode_.state_dict()
    assert list(data) == ["L1.weight", "L1.bias", "L2.weight", "L2.bias", "B.weight", "B.bias",
                          "B.running_mean", "B.running_var", "B.num_batches_tracked"]
    result = mode_.load_state_dict(data)
    assert repr(result) == "<All keys matched successfully>"
    other = _Two(bn=True)
    other.load_state_dict(data)
    assert all(dpt.equal(a, b) for a, b in zip(other.state_dict().values(), data.values()))


def test_parameters_is_a_generator():
    mode_ = _Two(bn=True)
    params = mode_.parameters()
    assert isinstance(params, types.GeneratorType)
    assert [p.shape for p in params] == [(10, 10), (10,), (1, 10), (1,), (2,), (2,)]


def test_train_and_eval():
    a = dpt.rand(2, 10)
    mode_ = _Two(dropout=True)
    mode_.train()
    train_out = mode_(a)
    mode_.eval()
    eval_out = mode_(a)
    assert not mode_.training and not mode_.D.training
    assert_close(eval_out.detach(), mode_.L2(mode_.L1(a)).detach(), rtol=1e-6)  # no dropout
    assert not dpt.allclose(train_out, eval_out)  # "可以看到很明显的区别"


def test_zero_grad():
    mode_ = _Two(dropout=True)
    mode_(dpt.rand(2, 10)).sum().backward()
    assert mode_.L1.weight.grad is not None
    mode_.zero_grad()
    assert all(p.grad is None for p in mode_.parameters())  # torch 2: set_to_none=True


@pytest.mark.skipif(gpu_module() is not None, reason="checks the machine without a GPU")
def test_data_parallel_without_gpu_runs_the_module():
    # torch on a machine without GPUs ignores device_ids and simply calls the module
    a = dpt.rand(2, 10)
    mode_ = _Two(dropout=True).eval()
    mode_p = nn.DataParallel(mode_, device_ids=[0])
    assert mode_p.device_ids == [] and mode_p.module is mode_
    assert_close(mode_p(a).detach(), mode_(a).detach())


@pytest.mark.cuda
def test_data_parallel_on_gpu0():
    a = dpt.rand(2, 10)
    mode_ = _Two(dropout=True)
    mode_.cuda(0)
    mode_p = nn.DataParallel(mode_, device_ids=[0])
    out = mode_p(a.cuda(0))
    assert out.shape == (2, 1) and out.device == dpt.device("cuda", 0)
    assert "device='cuda:0'" in repr(out)
