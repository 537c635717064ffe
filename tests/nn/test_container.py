"""Sequential, ModuleList, ModuleDict, ParameterList, ParameterDict."""
from collections import OrderedDict

import numpy as np
import pytest

import dpt
import dpt.nn as nn
from tests.helpers import assert_close


def _lin(i, o):
    return nn.Linear(i, o)


# -- Sequential ------------------------------------------------------------------------------
def test_sequential_runs_in_order_tutorial():
    net = nn.Sequential(_lin(3, 4), _lin(4, 1))
    a = dpt.rand(2, 3)
    expected = net[1](net[0](a))
    assert_close(net(a), expected.detach().numpy())
    new_last = _lin(4, 1)
    net[-1] = new_last  # the tutorial's assignment
    assert net[1] is new_last and net._modules["1"] is new_last
    assert net(a).shape == (2, 1)


def test_sequential_indexing_and_slicing():
    mods = [_lin(1, 1), nn.Identity(), _lin(1, 2)]
    net = nn.Sequential(*mods)
    assert net[0] is mods[0] and net[-1] is mods[2] and net[-3] is mods[0]
    with pytest.raises(IndexError, match="index 3 is out of range"):
        net[3]
    with pytest.raises(IndexError, match="index -4 is out of range"):
        net[-4]
    sub = net[1:]
    assert isinstance(sub, nn.Sequential) and list(sub._modules) == ["1", "2"]
    assert list(sub) == mods[1:]
    assert len(net) == 3 and list(net) == mods


def test_sequential_ordereddict_form():
    net = nn.Sequential(OrderedDict([("fc", _lin(2, 3)), ("act", nn.Identity())]))
    assert list(net._modules) == ["fc", "act"]
    assert net.fc is net[0]
    assert repr(net).startswith("Sequential(\n  (fc): Linear(in_features=2")


def test_sequential_mutation():
    a, b, c, d = _lin(1, 1), _lin(1, 1), _lin(1, 1), _lin(1, 1)
    net = nn.Sequential(a, b)
    net.append(c)
    assert list(net._modules) == ["0", "1", "2"] and net[2] is c
    net.insert(0, d)
    assert list(net) == [d, a, b, c] and list(net._modules) == ["0", "1", "2", "3"]
    net.insert(-1, nn.Identity())
    assert isinstance(net[3], nn.Identity)
    with pytest.raises(IndexError, match="Index out of range: 9"):
        net.insert(9, d)
    del net[3]
    assert list(net) == [d, a, b, c]
    del net[0:2]
    assert list(net) == [b, c] and list(net._modules) == ["0", "1"]
    assert net.pop(0) is b and list(net) == [c]
    net.extend([a, b])
    assert list(net) == [c, a, b]
    both = nn.Sequential(a) + nn.Sequential(b)
    assert list(both) == [a, b]
    with pytest.raises(ValueError, match="add operator supports only objects of Sequential class"):
        nn.Sequential(a) + [b]
    tripled = nn.Sequential(a) * 3
    assert list(tripled) == [a, a, a]
    net2 = nn.Sequential(a)
    net2 += nn.Sequential(b)
    assert list(net2) == [a, b]


def test_sequential_parameters_and_state_dict_keys():
    net = nn.Sequential(_lin(2, 3), nn.Sequential(_lin(3, 1)))
    assert list(net.state_dict()) == ["0.weight", "0.bias", "1.0.weight", "1.0.bias"]
    assert len(list(net.parameters())) == 4


# -- ModuleList ---------------------------------------------------------------------------
def test_modulelist_tutorial():
    ml = nn.ModuleList()
    ml.append(_lin(3, 4))
    ml.append(_lin(4, 1))
    a = dpt.rand(2, 3)
    assert ml[0](a).shape == (2, 4)
    assert len(ml) == 2 and [n for n, _ in ml.named_parameters()][0] == "0.weight"
    with pytest.raises(NotImplementedError):
        ml(a)


def test_modulelist_operations():
    a, b, c = _lin(1, 1), _lin(1, 1), nn.Identity()
    ml = nn.ModuleList([a, b])
    ml.extend([c])
    assert list(ml) == [a, b, c]
    ml.insert(1, c)
    assert list(ml) == [a, c, b, c]
    assert ml[-1] is c and isinstance(ml[1:], nn.ModuleList) and list(ml[1:3]) == [c, b]
    ml[0] = b
    assert ml[0] is b
    del ml[0]
    assert list(ml._modules) == ["0", "1", "2"] and list(ml) == [c, b, c]
    assert ml.pop(1) is b
    ml += [a]
    assert list(ml) == [c, c, a]
    combined = ml + nn.ModuleList([b])
    assert list(combined) == [c, c, a, b]
    with pytest.raises(IndexError, match="index 5 is out of range"):
        ml[5]
    with pytest.raises(TypeError, match="ModuleList.extend should be called with an iterable"):
        ml.extend(3)


def test_modulelist_repr_groups_repeats():
    ml = nn.ModuleList([_lin(2, 2) for _ in range(3)] + [nn.Identity()])
    assert repr(ml) == ("ModuleList(\n"
                        "  (0-2): 3 x Linear(in_features=2, out_features=2, bias=True)\n"
                        "  (3): Identity()\n"
                        ")")
    assert repr(nn.ModuleList()) == "ModuleList()"


# -- ModuleDict ---------------------------------------------------------------------------
def test_moduledict():
    a, b = _lin(1, 2), nn.Identity()
    md = nn.ModuleDict({"a": a, "b": b})
    assert md["a"] is a and "b" in md and len(md) == 2
    assert list(md) == ["a", "b"] and list(md.keys()) == ["a", "b"]
    assert list(md.values()) == [a, b] and list(md.items())[0] == ("a", a)
    md["c"] = _lin(2, 2)
    md.update([("d", nn.Identity())])
    assert list(md) == ["a", "b", "c", "d"]
    assert md.pop("b") is b and "b" not in md
    del md["c"]
    assert list(md) == ["a", "d"]
    with pytest.raises(ValueError, match="has length 1; 2 is required"):
        md.update([("x",)])
    with pytest.raises(TypeError, match="ModuleDict.update should be called with an iterable"):
        md.update(3)
    md.clear()
    assert len(md) == 0
    assert repr(nn.ModuleDict({"a": nn.Identity()})) == "ModuleDict(\n  (a): Identity()\n)"


# -- ParameterList / ParameterDict ---------------------------------------------------------
def test_parameterlist():
    pl = nn.ParameterList([nn.Parameter(dpt.zeros(2, 3)), dpt.ones(3, dtype=dpt.float64)])
    assert len(pl) == 2 and isinstance(pl[1], nn.Parameter) and pl[1].requires_grad
    assert [n for n, _ in pl.named_parameters()] == ["0", "1"]
    pl.append(dpt.zeros(1))
    pl.extend([dpt.zeros(2)])
    assert len(pl) == 4 and isinstance(pl[-1], nn.Parameter)
    assert isinstance(pl[1:3], nn.ParameterList) and len(pl[1:3]) == 2
    pl[0] = dpt.ones(1)
    assert_close(pl[0], [1.0])
    assert repr(nn.ParameterList([nn.Parameter(dpt.zeros(2, 3)), dpt.zeros(1, dtype=dpt.float64)])) == (
        "ParameterList(\n    (0): Parameter containing: [dpt.float32 of size 2x3]\n"
        "    (1): Parameter containing: [dpt.float64 of size 1]\n)")
    # one entry prints on one line, as in torch
    assert repr(nn.ParameterList([dpt.zeros(2)])) == (
        "ParameterList(  (0): Parameter containing: [dpt.float32 of size 2])")
    with pytest.raises(RuntimeError, match="ParameterList should not be called"):
        pl(1)
    # the parameters reach an optimizer
    assert len(dpt.optim.SGD(pl.parameters(), lr=0.1).param_groups[0]["params"]) == 4


def test_parameterdict():
    pd = nn.ParameterDict({"b": dpt.zeros(2), "a": nn.Parameter(dpt.ones(1))})
    assert list(pd) == ["a", "b"]  # a plain dict is taken in sorted key order, as torch
    assert isinstance(pd["b"], nn.Parameter)
    pd["c"] = dpt.ones(3)
    assert "c" in pd and len(pd) == 3 and list(pd.keys()) == ["a", "b", "c"]
    assert pd.get("zz") is None and pd.get("a") is pd["a"]
    assert pd.pop("a").shape == (1,) and "a" not in pd
    assert [k for k, _ in pd.items()] == ["b", "c"]
    assert pd.setdefault("d", dpt.zeros(1)).shape == (1,)
    merged = pd | nn.ParameterDict({"e": dpt.zeros(1)})
    assert list(merged) == ["b", "c", "d", "e"]
    with pytest.raises(TypeError, match="cannot be used as a key as it is not a string"):
        pd[1] = dpt.zeros(1)
    assert repr(nn.ParameterDict({"x": dpt.zeros(2, 3), "y": dpt.zeros(1)})) == (
        "ParameterDict(\n    (x): Parameter containing: [dpt.FloatTensor of size 2x3]\n"
        "    (y): Parameter containing: [dpt.FloatTensor of size 1]\n)")
    assert [n for n, _ in pd.named_parameters()] == ["b", "c", "d"]
    pd.clear()
    assert len(pd) == 0


def test_containers_state_dict_roundtrip():
    net = nn.ModuleDict({"enc": nn.ModuleList([_lin(2, 2)]),
                         "p": nn.ParameterList([dpt.zeros(2)])})
    sd = net.state_dict()
    assert list(sd) == ["enc.0.weight", "enc.0.bias", "p.0"]
    other = nn.ModuleDict({"enc": nn.ModuleList([_lin(2, 2)]),
                           "p": nn.ParameterList([dpt.ones(2)])})
    assert repr(other.load_state_dict(sd)) == "<All keys matched successfully>"
    assert_close(other["p"][0], np.zeros(2))
