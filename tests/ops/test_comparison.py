"""Comparisons, equal/allclose/isclose, maximum/minimum/fmax/fmin (with torch's tie gradients)
and the isfinite family, against numpy."""
import numpy as np
import pytest

import dpt
from tests.helpers import assert_close, check_op, leaf, randn

OPS = [("eq", np.equal), ("ne", np.not_equal), ("lt", np.less), ("le", np.less_equal),
       ("gt", np.greater), ("ge", np.greater_equal)]


@pytest.mark.parametrize("name,ref", OPS)
def test_comparisons_against_numpy(name, ref, device):
    a = np.array([[1.0, 2.0, np.nan], [0.0, -1.0, 3.0]])
    b = np.array([1.0, 3.0, np.nan])
    ta, tb = dpt.tensor(a, device=device), dpt.tensor(b, device=device)
    fn = getattr(dpt, name)
    r = fn(ta, tb)
    assert r.dtype is dpt.bool and r.shape == (2, 3)
    assert r.tolist() == ref(a, b).tolist()
    assert getattr(ta, name)(tb).tolist() == r.tolist()
    assert fn(ta, 2.0).tolist() == ref(a, 2.0).tolist()
    assert fn(dpt.tensor(1.0), dpt.tensor(2.0)).shape == ()
    assert fn(dpt.empty(0, 3), dpt.ones(3)).shape == (0, 3)


def test_operators_and_aliases():
    a, b = np.array([1, 2, 3]), np.array([3, 2, 1])
    ta, tb = dpt.tensor(a), dpt.tensor(b)
    assert (ta < tb).tolist() == (a < b).tolist() and (ta >= tb).tolist() == (a >= b).tolist()
    assert (ta == 2).tolist() == [False, True, False] and (ta != 2).tolist() == [True, False, True]
    assert (2 < ta).tolist() == [False, False, True]  # reflected through __gt__
    for alias, name in [("greater", "gt"), ("greater_equal", "ge"), ("less", "lt"),
                        ("less_equal", "le"), ("not_equal", "ne")]:
        assert getattr(dpt, alias) is getattr(dpt, name)
        assert getattr(ta, alias)(tb).tolist() == getattr(ta, name)(tb).tolist()


def test_comparison_promotes_and_rejects_complex_ordering():
    assert (dpt.tensor([1, 2]) == dpt.tensor([1.0, 2.5])).tolist() == [True, False]
    assert (dpt.tensor([1, 2]) < 1.5).tolist() == [True, False]
    assert (dpt.tensor([True, False]) == 1).tolist() == [True, False]
    z = dpt.tensor([1 + 1j])
    assert (z == z).tolist() == [True]
    with pytest.raises(RuntimeError, match="\"lt_cpu\" not implemented for 'ComplexFloat'"):
        z < z


def test_comparison_out_and_inplace():
    out = dpt.empty(3, dtype=dpt.bool)
    assert dpt.gt(dpt.tensor([1, 2, 3]), 1, out=out) is out and out.tolist() == [False, True, True]
    x = dpt.tensor([1.0, 2.0, 3.0])
    x.gt_(1.5)  # in place keeps the float dtype
    assert x.dtype is dpt.float32 and x.tolist() == [0.0, 1.0, 1.0]


# ---- equal / isclose / allclose ------------------------------------------------------------
def test_equal():
    a = dpt.tensor([1.0, 2.0])
    assert dpt.equal(a, dpt.tensor([1.0, 2.0])) and a.equal(a.clone())
    assert not dpt.equal(a, dpt.tensor([1.0, 3.0]))
    assert not dpt.equal(a, dpt.tensor([[1.0, 2.0]]))  # shapes differ: False, no broadcasting
    assert not dpt.equal(dpt.tensor([np.nan]), dpt.tensor([np.nan]))
    assert dpt.equal(dpt.empty(0), dpt.empty(0))


def test_isclose_and_allclose():
    a = np.array([1.0, 1.0 + 1e-6, np.inf, -np.inf, np.nan, 0.0, 1e-9])
    b = np.array([1.0, 1.0, np.inf, np.inf, np.nan, 1e-9, 0.0])
    ta, tb = dpt.tensor(a), dpt.tensor(b)
    assert dpt.isclose(ta, tb).tolist() == np.isclose(a, b).tolist()
    assert dpt.isclose(ta, tb, equal_nan=True).tolist() == np.isclose(a, b, equal_nan=True).tolist()
    assert dpt.isclose(ta, tb, rtol=0, atol=0).tolist() == np.isclose(a, b, rtol=0, atol=0).tolist()
    assert dpt.allclose(dpt.tensor([1.0, 2.0]), dpt.tensor([1.0, 2.0 + 1e-7]))
    assert not dpt.allclose(dpt.tensor([1.0, 2.0]), dpt.tensor([1.0, 2.1]))
    assert dpt.allclose(ta[:2], tb[:2], rtol=1e-3) and not ta.allclose(tb)
    assert dpt.isclose(dpt.tensor([1, 2]), dpt.tensor([1, 3])).tolist() == [True, False]
    with pytest.raises(RuntimeError, match="Float did not match Double"):
        dpt.isclose(dpt.ones(2), dpt.ones(2, dtype=dpt.float64))
    with pytest.raises(RuntimeError, match="rtol must be greater than or equal to zero"):
        dpt.allclose(ta, tb, rtol=-1)


# ---- maximum / minimum / fmax / fmin ----------------------------------------------------------
@pytest.mark.parametrize("name,ref", [("maximum", np.maximum), ("minimum", np.minimum),
                                      ("fmax", np.fmax), ("fmin", np.fmin)])
def test_elementwise_extrema(name, ref):
    a, b = randn(2, 3), randn(3, seed=1)
    check_op(getattr(dpt, name), ref, a, b, gradgrad=True)
    na = np.array([np.nan, 1.0, 2.0])
    nb = np.array([0.0, np.nan, 3.0])
    assert_close(getattr(dpt, name)(dpt.tensor(na), dpt.tensor(nb)), ref(na, nb))
    i = getattr(dpt, name)(dpt.tensor([1, 5]), dpt.tensor([3, 2]))
    assert i.dtype is dpt.int64 and i.tolist() == ref([1, 5], [3, 2]).tolist()
    assert getattr(dpt, name)(dpt.tensor([1, 5]), dpt.tensor([2.5])).dtype is dpt.float32


def test_extrema_tie_gradients_follow_torch():
    x, y = leaf([1.0, 2.0, 3.0]), leaf([1.0, 1.0, 4.0])
    gx, gy = dpt.autograd.grad(dpt.maximum(x, y).sum(), (x, y))
    assert_close(gx, [0.5, 1.0, 0.0])
    assert_close(gy, [0.5, 0.0, 1.0])
    gx, gy = dpt.autograd.grad(dpt.minimum(x, y).sum(), (x, y))
    assert_close(gx, [0.5, 0.0, 1.0])
    assert_close(gy, [0.5, 1.0, 0.0])
    gx, gy = dpt.autograd.grad(dpt.fmax(x, y).sum(), (x, y))
    assert_close(gx, [1.0, 1.0, 0.0])
    assert_close(gy, [0.0, 0.0, 1.0])


def test_extrema_errors():
    with pytest.raises(TypeError, match=r"maximum\(\): argument 'other' \(position 2\) must be "
                                        r"Tensor, not int"):
        dpt.maximum(dpt.ones(2), 1)
    z = dpt.tensor([1j])
    with pytest.raises(RuntimeError, match="not implemented for complex tensors"):
        dpt.minimum(z, z)


# ---- classification --------------------------------------------------------------------------
def test_classification():
    a = np.array([1.0, np.inf, -np.inf, np.nan, -0.0])
    t = dpt.tensor(a)
    for name in ("isfinite", "isnan", "isinf", "isposinf", "isneginf"):
        r = getattr(dpt, name)(t)
        assert r.dtype is dpt.bool and r.tolist() == getattr(np, name)(a).tolist(), name
        assert getattr(t, name)().tolist() == r.tolist()
        ri = getattr(dpt, name)(dpt.tensor([1, 2]))
        assert ri.tolist() == [name == "isfinite"] * 2
    assert dpt.isreal(t).tolist() == [True] * 5
    assert dpt.isreal(dpt.tensor([1 + 0j, 1j])).tolist() == [True, False]
    out = dpt.empty(5, dtype=dpt.bool)
    assert dpt.isposinf(t, out=out) is out and out.tolist()[1]
    assert dpt.isnan(dpt.tensor(np.nan)).shape == ()
