"""Lazy modules and uninitialized parameters against torch 2.13."""
import copy
import pickle

import numpy as np
import pytest

import dpt
from dpt.nn.parameter import UninitializedBuffer, UninitializedParameter, is_lazy

torch = pytest.importorskip("torch")

# (name, constructor args, input shape, class it becomes)
CASES = [
    ("LazyLinear", (3,), (2, 4), "Linear"),
    ("LazyLinear", (3, False), (2, 5, 4), "Linear"),
    ("LazyConv1d", (4, 3), (2, 5, 7), "Conv1d"),
    ("LazyConv1d", (4, 3), (6, 7), "Conv1d"),
    ("LazyConv2d", (4, 3, 1, 1, 1, 2), (2, 6, 7, 7), "Conv2d"),
    ("LazyConv3d", (4, 2), (2, 2, 4, 4, 4), "Conv3d"),
    ("LazyConvTranspose1d", (4, 3, 2), (5, 6), "ConvTranspose1d"),
    ("LazyConvTranspose2d", (4, 3), (2, 5, 6, 6), "ConvTranspose2d"),
    ("LazyConvTranspose3d", (2, 2, 1, 0, 0, 1, False), (1, 3, 3, 3, 3), "ConvTranspose3d"),
    ("LazyBatchNorm1d", (), (4, 3), "BatchNorm1d"),
    ("LazyBatchNorm2d", (1e-3, 0.2), (2, 3, 4, 4), "BatchNorm2d"),
    ("LazyBatchNorm3d", (), (2, 3, 2, 2, 2), "BatchNorm3d"),
    ("LazyInstanceNorm1d", (), (2, 3, 5), "InstanceNorm1d"),
    ("LazyInstanceNorm2d", (1e-5, 0.1, False, False), (2, 3, 4, 4), "InstanceNorm2d"),
    ("LazyInstanceNorm3d", (), (2, 3, 2, 2, 2), "InstanceNorm3d"),
]


def _shapes(sd):
    return [tuple(v.shape) for v in sd.values()]


@pytest.mark.parametrize("name,args,shape,becomes", CASES)
def test_lazy_module_matches_torch(name, args, shape, becomes):
    torch.manual_seed(0)
    t = getattr(torch.nn, name)(*args).double()
    d = getattr(dpt.nn, name)(*args).double()
    assert repr(d) == repr(t)
    assert list(d.state_dict()) == list(t.state_dict())
    assert d.has_uninitialized_params() == t.has_uninitialized_params()
    x = np.random.default_rng(0).standard_normal(shape)
    ty = t(torch.tensor(x))
    dy = d(dpt.tensor(x))
    assert type(d).__name__ == type(t).__name__ == becomes
    assert repr(d) == repr(t)
    assert list(d.state_dict()) == list(t.state_dict())
    assert _shapes(d.state_dict()) == _shapes(t.state_dict())
    assert all(v.dtype == dpt.float64 for v in d.parameters())
    assert not d.has_uninitialized_params() if hasattr(d, "has_uninitialized_params") else True
    # with torch's values the outputs agree
    d.load_state_dict({k: dpt.tensor(v.numpy()) for k, v in t.state_dict().items()})
    np.testing.assert_allclose(d(dpt.tensor(x)).detach().numpy(), t(torch.tensor(x)).detach()
                               .numpy(), rtol=1e-10, atol=1e-10)
    assert tuple(dy.shape) == tuple(ty.shape)


def test_lazy_linear_initialises_like_linear():
    dpt.manual_seed(3)
    lazy = dpt.nn.LazyLinear(5)
    lazy(dpt.ones(2, 4))
    dpt.manual_seed(3)
    plain = dpt.nn.Linear(4, 5)
    assert type(lazy) is dpt.nn.Linear
    assert dpt.equal(lazy.weight, plain.weight) and dpt.equal(lazy.bias, plain.bias)
    assert lazy.in_features == 4


def test_lazy_gradients_and_optimizer_built_before_init():
    m = dpt.nn.Sequential(dpt.nn.LazyLinear(3), dpt.nn.Tanh(), dpt.nn.LazyLinear(2))
    params = list(m.parameters())
    opt = dpt.optim.SGD(m.parameters(), lr=0.1)
    opt.zero_grad()
    opt.step()  # no gradients yet: nothing to do, as in torch
    x = dpt.randn(4, 6)
    m(x).sum().backward()
    before = [p.detach().clone() for p in params]
    opt.step()
    # the optimizer holds the same (now materialized) objects
    assert [id(p) for p in m.parameters()] == [id(p) for p in params]
    assert all(type(p) is dpt.nn.Parameter for p in params)
    assert all(not dpt.equal(a, p) for a, p in zip(before, params))
    lin = dpt.nn.LazyLinear(2).double()
    lin(dpt.randn(3, 4, dtype=dpt.float64))
    assert dpt.autograd.gradcheck(lambda x, w, b: dpt.nn.functional.linear(x, w, b),
                                  (dpt.randn(3, 4, dtype=dpt.float64, requires_grad=True),
                                   lin.weight, lin.bias))


def test_uninitialized_parameter_refuses_use():
    p = UninitializedParameter()
    assert repr(p) == "<UninitializedParameter>"
    assert isinstance(p, dpt.nn.Parameter) and is_lazy(p) and p.requires_grad
    assert p.dtype == dpt.float32 and p.device == dpt.device("cpu")
    assert tuple(p.size()) == (0,)
    with pytest.raises(ValueError, match="Attempted to use an uninitialized parameter"):
        p + 1
    with pytest.raises(ValueError, match="uninitialized parameter"):
        dpt.nn.functional.linear(dpt.ones(2, 2), p)
    with pytest.raises(RuntimeError, match="Can't access the shape of an uninitialized"):
        p.shape
    with pytest.raises(RuntimeError, match="Can't share memory on an uninitialized"):
        p.share_memory_()
    with pytest.raises(RuntimeError, match="Can't share memory on an uninitialized"):
        dpt.nn.LazyLinear(2).share_memory()
    q = p.double()
    assert is_lazy(q) and q.dtype == dpt.float64 and p.dtype == dpt.float32
    assert p.to(dpt.float32) is p
    with pytest.raises(RuntimeError, match="Only Tensors of floating point"):
        UninitializedParameter(dtype=dpt.int64)
    p.materialize((2, 3))
    assert type(p) is dpt.nn.Parameter and tuple(p.shape) == (2, 3) and p.requires_grad
    b = UninitializedBuffer(dtype=dpt.float64, persistent=False)
    assert isinstance(b, dpt.nn.Buffer) and not b.requires_grad
    assert repr(b) == "<UninitializedBuffer>"
    b.materialize(4)
    assert type(b) is dpt.Tensor and tuple(b.shape) == (4,) and b.dtype == dpt.float64


def test_uninitialized_copy_and_pickle():
    p = UninitializedParameter(dtype=dpt.float64)
    for q in (copy.deepcopy(p), pickle.loads(pickle.dumps(p))):
        assert type(q) is UninitializedParameter and q.dtype == dpt.float64 and q is not p
    m = copy.deepcopy(dpt.nn.LazyLinear(3))
    assert type(m) is dpt.nn.LazyLinear and m.has_uninitialized_params()
    m(dpt.ones(1, 2))
    assert type(m) is dpt.nn.Linear


def test_lazy_state_dict_round_trips_like_torch():
    # uninitialized state_dict entries are the placeholders themselves
    lazy = dpt.nn.LazyLinear(3)
    sd = lazy.state_dict()
    assert list(sd) == ["weight", "bias"] and all(is_lazy(v) for v in sd.values())
    # an initialized state_dict materializes a lazy module (it stays lazy until forward)
    src = dpt.nn.Linear(4, 3)
    lazy.load_state_dict(src.state_dict())
    assert type(lazy) is dpt.nn.LazyLinear and not lazy.has_uninitialized_params()
    assert dpt.equal(lazy.weight, src.weight) and dpt.equal(lazy.bias, src.bias)
    out = lazy(dpt.ones(2, 4))
    assert type(lazy) is dpt.nn.Linear
    np.testing.assert_allclose(out.detach().numpy(), src(dpt.ones(2, 4)).detach().numpy())
    # lazy into lazy keeps both uninitialized
    other = dpt.nn.LazyLinear(3)
    other.load_state_dict(dpt.nn.LazyLinear(3).state_dict())
    assert other.has_uninitialized_params()
    # lazy into initialized: torch's shape error
    with pytest.raises(RuntimeError, match="Can't access the shape of an uninitialized"):
        dpt.nn.Linear(4, 3).load_state_dict(dpt.nn.LazyLinear(3).state_dict())
    bn = dpt.nn.LazyBatchNorm1d()
    bn.load_state_dict(dpt.nn.BatchNorm1d(5).state_dict())
    assert tuple(bn.running_mean.shape) == (5,) and not bn.has_uninitialized_params()


def test_lazy_moves_keep_placeholders():
    m = dpt.nn.LazyConv2d(4, 3)
    m.double()
    assert is_lazy(m.weight) and m.weight.dtype == dpt.float64
    m.float()
    bn = dpt.nn.LazyBatchNorm2d().double()
    assert is_lazy(bn.running_mean) and bn.running_mean.dtype == dpt.float64
    assert bn.num_batches_tracked.dtype == dpt.int64
    bn(dpt.randn(2, 3, 2, 2, dtype=dpt.float64))
    assert bn.running_mean.dtype == dpt.float64 and int(bn.num_batches_tracked) == 1
    out = m(dpt.randn(1, 2, 5, 5))
    assert out.dtype == dpt.float32 and tuple(m.weight.shape) == (4, 2, 3, 3)


def test_lazy_errors_like_torch():
    for name, x, exc in [("LazyConv2d", np.ones((2, 3)), RuntimeError),
                         ("LazyBatchNorm2d", np.ones((2, 3)), ValueError)]:
        args = (4, 3) if "Conv" in name else ()
        with pytest.raises(exc) as de:
            getattr(dpt.nn, name)(*args)(dpt.tensor(x))
        with pytest.raises(exc) as te:
            getattr(torch.nn, name)(*args)(torch.tensor(x))
        assert str(de.value).replace("dpt.Size", "torch.Size") == str(te.value)
    with pytest.raises(ValueError, match="in_channels must be divisible by groups"):
        dpt.nn.LazyConv1d(4, 3, groups=2)(dpt.ones(1, 3, 5))

    class Half(dpt.nn.modules.lazy.LazyModuleMixin, dpt.nn.Module):
        def __init__(self):
            super().__init__()
            self.w = UninitializedParameter()

        def forward(self, x):
            return x

    with pytest.raises(NotImplementedError, match="initialize_parameters is not implemented "
                                                  "for Half"):
        Half()(dpt.ones(1))
    Half.initialize_parameters = lambda self, x: None
    with pytest.raises(RuntimeError, match="module Half has not been fully initialized"):
        Half()(dpt.ones(1))
    with pytest.raises(RuntimeError, match="can't be used with `DataParallel`"):
        dpt.nn.LazyLinear(2)._replicate_for_data_parallel()


def test_lazy_modules_on_device(device):
    m = dpt.nn.Sequential(dpt.nn.LazyConv2d(3, 2), dpt.nn.LazyBatchNorm2d(), dpt.nn.Flatten(),
                          dpt.nn.LazyLinear(2)).to(device)
    assert all(is_lazy(p) and p.device.type == dpt.device(device).type for p in m.parameters())
    out = m(dpt.randn(2, 4, 5, 5, device=device))
    assert tuple(out.shape) == (2, 2) and out.device.type == dpt.device(device).type
    assert all(p.device.type == dpt.device(device).type for p in m.parameters())
    assert [type(c).__name__ for c in m] == ["Conv2d", "BatchNorm2d", "Flatten", "Linear"]
    lazy = dpt.nn.LazyLinear(3, device=device)
    lazy.load_state_dict(dpt.nn.Linear(4, 3).state_dict())
    assert lazy.weight.device.type == dpt.device(device).type


@pytest.mark.cuda
@pytest.mark.multi_gpu
def test_data_parallel_refuses_uninitialized_modules():
    m = dpt.nn.DataParallel(dpt.nn.LazyLinear(3).cuda(), device_ids=[0, 1])
    with pytest.raises(RuntimeError, match="Modules with uninitialized parameters can't be used "
                                           "with `DataParallel`"):
        m(dpt.ones(4, 2).cuda())
    lazy = dpt.nn.LazyLinear(3).cuda()
    lazy(dpt.ones(1, 2).cuda())  # a dummy batch initializes it; then it replicates
    out = dpt.nn.DataParallel(lazy, device_ids=[0, 1])(dpt.ones(4, 2).cuda())
    assert tuple(out.shape) == (4, 3)
