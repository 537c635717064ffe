"""dpt.nn.utils.parametrize against torch.nn.utils.parametrize."""
import copy
import pickle

import numpy as np
import pytest

import dpt
import dpt.nn as nn
from dpt.nn.utils import parametrize as P

torch = pytest.importorskip("torch")
TP = torch.nn.utils.parametrize


def _np(t):
    return t.detach().numpy()


def _to_torch_sd(sd):
    return {k: torch.tensor(_np(v)) for k, v in sd.items()}


def _assert_sd_equal(d, t, atol=1e-12):
    sd_d, sd_t = d.state_dict(), t.state_dict()
    assert list(sd_d) == list(sd_t)
    for k in sd_t:
        np.testing.assert_allclose(_np(sd_d[k]), sd_t[k].detach().numpy(), atol=atol, rtol=0)


def _linear_pair(n_in=4, n_out=4, bias=True):
    dpt.manual_seed(0)
    torch.manual_seed(0)
    d = nn.Linear(n_in, n_out, bias=bias).double()
    t = torch.nn.Linear(n_in, n_out, bias=bias).double()
    # dpt's CPU generator equals torch's after manual_seed, so the initialisations agree
    _assert_sd_equal(d, t)
    return d, t


def _make_pcls(lib):
    class Symmetric(lib.nn.Module):
        def forward(self, x):
            return x.triu() + x.triu(1).mT

        def right_inverse(self, a):
            return a.triu()

    class Scale(lib.nn.Module):
        def forward(self, x):
            return 3.0 * x

        def right_inverse(self, a):
            return a / 3.0

    class NoInverse(lib.nn.Module):
        def forward(self, x):
            return x * x

    class Split(lib.nn.Module):  # two originals: x = a + b
        def forward(self, a, b):
            return a + 2 * b

        def right_inverse(self, x):
            return x / 2, x / 4

    class Shrink(lib.nn.Module):  # changes the shape: only with unsafe=True
        def forward(self, x):
            return x[:-1]

    return dict(Symmetric=Symmetric, Scale=Scale, NoInverse=NoInverse, Split=Split,
                Shrink=Shrink)


DC, TC = _make_pcls(dpt), _make_pcls(torch)


def test_register_state_dict_keys_class_and_forward_match_torch():
    d, t = _linear_pair()
    P.register_parametrization(d, "weight", DC["Symmetric"]())
    TP.register_parametrization(t, "weight", TC["Symmetric"]())
    assert type(d).__name__ == type(t).__name__ == "ParametrizedLinear"
    assert isinstance(d, nn.Linear) and type(d) is not nn.Linear
    assert P.type_before_parametrizations(d) is nn.Linear
    assert P.type_before_parametrizations(nn.Linear(2, 2)) is nn.Linear
    assert P.is_parametrized(d) and P.is_parametrized(d, "weight")
    assert not P.is_parametrized(d, "bias") and not P.is_parametrized(nn.Linear(2, 2))
    assert [n for n, _ in d.named_parameters()] == [n for n, _ in t.named_parameters()]
    _assert_sd_equal(d, t)
    np.testing.assert_allclose(_np(d.weight), _np(t.weight), atol=1e-15)
    # only the instance changed class: a fresh Linear has no 'weight' property
    assert not isinstance(nn.Linear.__dict__.get("weight"), property)
    x = np.random.RandomState(0).randn(3, 4)
    yd, yt = d(dpt.tensor(x)), t(torch.tensor(x))
    np.testing.assert_allclose(_np(yd), _np(yt), atol=1e-14)
    yd.sum().backward()
    yt.sum().backward()
    orig_d, orig_t = d.parametrizations.weight.original, t.parametrizations.weight.original
    np.testing.assert_allclose(_np(orig_d.grad), orig_t.grad.numpy(), atol=1e-14)


def test_original_keeps_identity_and_optimizer_training_matches_torch():
    d, t = _linear_pair()
    w_d = d.weight
    P.register_parametrization(d, "weight", DC["Symmetric"]())
    TP.register_parametrization(t, "weight", TC["Symmetric"]())
    assert d.parametrizations.weight.original is w_d  # the same Parameter object, as torch
    od, ot = dpt.optim.SGD(d.parameters(), lr=0.1), torch.optim.SGD(t.parameters(), lr=0.1)
    rs = np.random.RandomState(1)
    for _ in range(3):
        x = rs.randn(5, 4)
        for m, opt, lib in ((d, od, dpt), (t, ot, torch)):
            opt.zero_grad()
            (m(lib.tensor(x)) ** 2).mean().backward()
            opt.step()
    _assert_sd_equal(d, t, atol=1e-13)


def test_assignment_goes_through_right_inverse():
    d, t = _linear_pair()
    P.register_parametrization(d, "weight", DC["Symmetric"]())
    TP.register_parametrization(t, "weight", TC["Symmetric"]())
    a = np.random.RandomState(2).randn(4, 4)
    a = a + a.T
    d.weight = dpt.tensor(a)
    t.weight = torch.tensor(a)
    _assert_sd_equal(d, t)
    np.testing.assert_allclose(_np(d.weight), a, atol=1e-15)


def test_chained_parametrizations_match_torch():
    d, t = _linear_pair()
    for name in ("Symmetric", "Scale"):
        P.register_parametrization(d, "weight", DC[name]())
        TP.register_parametrization(t, "weight", TC[name]())
    assert len(d.parametrizations.weight) == 2
    _assert_sd_equal(d, t)
    np.testing.assert_allclose(_np(d.weight), _np(t.weight), atol=1e-14)
    a = np.eye(4) * 6.0
    d.weight = dpt.tensor(a)
    t.weight = torch.tensor(a)
    _assert_sd_equal(d, t)
    np.testing.assert_allclose(_np(d.weight), a, atol=1e-14)


def test_no_right_inverse_keeps_value_and_assignment_raises():
    d, t = _linear_pair()
    P.register_parametrization(d, "weight", DC["NoInverse"]())
    TP.register_parametrization(t, "weight", TC["NoInverse"]())
    _assert_sd_equal(d, t)
    with pytest.raises(RuntimeError, match="NoInverse does not implement right_inverse"):
        d.weight = dpt.zeros(4, 4, dtype=dpt.float64)


def test_unsafe_allows_shape_change():
    d, _ = _linear_pair()
    with pytest.raises(ValueError, match="may not change the shape"):
        P.register_parametrization(d, "weight", DC["Shrink"]())
    assert not P.is_parametrized(d)
    P.register_parametrization(d, "weight", DC["Shrink"](), unsafe=True)
    assert tuple(d.weight.shape) == (3, 4)
    assert d.parametrizations.weight.unsafe


def test_sequence_right_inverse_original0_original1():
    d, t = _linear_pair()
    P.register_parametrization(d, "weight", DC["Split"]())
    TP.register_parametrization(t, "weight", TC["Split"]())
    _assert_sd_equal(d, t)
    assert d.parametrizations.weight.ntensors == 2
    assert isinstance(d.parametrizations.weight.original0, nn.Parameter)
    np.testing.assert_allclose(_np(d.weight), _np(t.weight), atol=1e-15)
    with pytest.raises(ValueError, match="Cannot leave unparametrized"):
        P.remove_parametrizations(d, "weight", leave_parametrized=False)
    P.remove_parametrizations(d, "weight")
    TP.remove_parametrizations(t, "weight")
    assert type(d) is nn.Linear and isinstance(d.weight, nn.Parameter)
    _assert_sd_equal(d, t)


@pytest.mark.parametrize("leave", [True, False])
def test_remove_parametrizations_matches_torch(leave):
    d, t = _linear_pair()
    w_d = d.weight
    for name in ("Symmetric", "Scale"):
        P.register_parametrization(d, "weight", DC[name]())
        TP.register_parametrization(t, "weight", TC[name]())
    P.register_parametrization(d, "bias", DC["Scale"]())
    TP.register_parametrization(t, "bias", TC["Scale"]())
    P.remove_parametrizations(d, "weight", leave_parametrized=leave)
    TP.remove_parametrizations(t, "weight", leave_parametrized=leave)
    assert type(d).__name__ == "ParametrizedLinear" and P.is_parametrized(d, "bias")
    assert d.weight is w_d
    _assert_sd_equal(d, t)
    P.remove_parametrizations(d, "bias", leave_parametrized=leave)
    TP.remove_parametrizations(t, "bias", leave_parametrized=leave)
    assert type(d) is nn.Linear and not hasattr(d, "parametrizations")
    _assert_sd_equal(d, t)
    with pytest.raises(ValueError, match="does not have a parametrization on weight"):
        P.remove_parametrizations(d, "weight")


def test_buffer_parametrization_stays_a_buffer():
    d = nn.BatchNorm1d(3).double()
    t = torch.nn.BatchNorm1d(3).double()
    P.register_parametrization(d, "running_var", DC["Scale"]())
    TP.register_parametrization(t, "running_var", TC["Scale"]())
    assert "parametrizations.running_var.original" in dict(d.named_buffers())
    _assert_sd_equal(d, t)


def test_state_dicts_interchange_with_torch():
    d, t = _linear_pair()
    P.register_parametrization(d, "weight", DC["Symmetric"]())
    TP.register_parametrization(t, "weight", TC["Symmetric"]())
    with torch.no_grad():
        t.parametrizations.weight.original.add_(1.0)
    d.load_state_dict({k: dpt.tensor(v.numpy()) for k, v in t.state_dict().items()})
    _assert_sd_equal(d, t)
    d.bias.data = d.bias.data * 2
    t.load_state_dict(_to_torch_sd(d.state_dict()))
    _assert_sd_equal(d, t)


def test_cached_computes_once():
    calls = []

    class Counting(nn.Module):
        def forward(self, x):
            calls.append(1)
            return 2 * x

    d, _ = _linear_pair()
    P.register_parametrization(d, "weight", Counting())
    calls.clear()
    with P.cached():
        w1, w2 = d.weight, d.weight
        with P.cached():
            assert d.weight is w1
    assert w1 is w2 and len(calls) == 1
    d.weight
    assert len(calls) == 2
    assert P._cache == {}


def test_errors_copy_and_pickle():
    d, t = _linear_pair()
    with pytest.raises(ValueError, match="does not have a parameter, a buffer, or a parametrized "
                                         "element with name 'nope'"):
        P.register_parametrization(d, "nope", DC["Scale"]())
    P.register_parametrization(d, "weight", DC["Scale"]())
    with pytest.raises(RuntimeError, match="Serialization of parametrized modules"):
        pickle.dumps(d)
    c = copy.deepcopy(d)
    assert type(c) is type(d) and c.parametrizations.weight.original is not \
        d.parametrizations.weight.original
    np.testing.assert_allclose(_np(c.weight), _np(d.weight))


def test_parametrization_follows_train_eval():
    d, _ = _linear_pair()
    d.eval()
    p = DC["Scale"]()
    P.register_parametrization(d, "weight", p)
    assert not p.training
    d.train()
    assert p.training


def test_gradcheck_through_parametrized_weight():
    d, _ = _linear_pair(3, 3)
    P.register_parametrization(d, "weight", DC["Symmetric"]())
    P.register_parametrization(d, "weight", DC["Scale"]())
    orig = d.parametrizations.weight.original
    x = dpt.tensor(np.random.RandomState(3).randn(2, 3), requires_grad=True)

    def fn(o, x):  # the chain applied to a free copy of original
        w = d.parametrizations.weight[1](d.parametrizations.weight[0](o))
        return dpt.nn.functional.linear(x, w, d.bias)

    o = orig.detach().clone().requires_grad_(True)
    assert dpt.autograd.gradcheck(fn, (o, x))
    assert dpt.autograd.gradcheck(lambda x: d(x), (x,))


def test_transfer_parametrizations_and_params_matches_torch():
    d, t = _linear_pair()
    P.register_parametrization(d, "weight", DC["Symmetric"]())
    TP.register_parametrization(t, "weight", TC["Symmetric"]())
    dpt.manual_seed(1)
    torch.manual_seed(1)
    d2, t2 = nn.Linear(4, 4).double(), torch.nn.Linear(4, 4).double()
    P.transfer_parametrizations_and_params(d, d2)
    TP.transfer_parametrizations_and_params(t, t2)
    _assert_sd_equal(d2, t2)
    assert d2.parametrizations.weight[0] is d.parametrizations.weight[0]
    np.testing.assert_allclose(_np(d2.weight), _np(d.weight))
    d3, t3 = nn.Module(), torch.nn.Module()
    P.transfer_parametrizations_and_params(d, d3, "weight")
    TP.transfer_parametrizations_and_params(t, t3, "weight")
    _assert_sd_equal(d3, t3)
