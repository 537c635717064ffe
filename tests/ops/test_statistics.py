"""dpt.ops.statistics: cov, corrcoef, quantile against numpy, with gradchecks."""
import warnings

import numpy as np
import pytest

import dpt
from tests.helpers import assert_close, check_gradients, check_op, leaf, randn


def test_cov():
    x = randn(3, 6)
    check_op(lambda t: dpt.cov(t), lambda a: np.cov(a), x)
    check_op(lambda t: dpt.cov(t, correction=0), lambda a: np.cov(a, ddof=0), x)
    check_op(lambda t: dpt.cov(t), lambda a: np.cov(a), x[0])  # one variable -> 0-d
    fw = np.array([1, 2, 1, 3, 1, 1])
    aw = np.abs(randn(6, seed=3)) + 0.1
    got = dpt.cov(leaf(x, False), fweights=dpt.tensor(fw), aweights=leaf(aw, False))
    assert_close(got, np.cov(x, fweights=fw, aweights=aw))
    check_gradients(lambda t, w: dpt.cov(t, fweights=dpt.tensor(fw), aweights=w), x, aw)
    assert dpt.cov(dpt.tensor([[1, 2, 4]])).dtype is dpt.float32
    c = randn(2, 5) + 1j * randn(2, 5, seed=4)
    assert_close(dpt.cov(dpt.tensor(c)), np.cov(c))
    with pytest.raises(RuntimeError, match="integral dtype"):
        dpt.cov(dpt.ones(2, 3), fweights=dpt.ones(3))
    with pytest.raises(RuntimeError, match="cannot be negative"):
        dpt.cov(dpt.ones(2, 3), fweights=dpt.tensor([1, -1, 1]))
    with pytest.raises(RuntimeError, match="two or fewer"):
        dpt.cov(dpt.ones(2, 2, 2))
    with pytest.warns(UserWarning, match="degrees of freedom"):
        dpt.cov(dpt.ones(2, 1))


def test_corrcoef():
    x = randn(3, 5)
    check_op(lambda t: dpt.corrcoef(t), lambda a: np.corrcoef(a), x)
    assert_close(dpt.corrcoef(dpt.tensor([1.0, 2.0, 4.0])), 1.0)


@pytest.mark.parametrize("interp", ["linear", "lower", "higher", "midpoint", "nearest"])
def test_quantile(interp):
    x = randn(4, 7)
    q = np.array([0.0, 0.25, 0.5, 0.9, 1.0])
    for dim in (None, 0, -1):
        got = dpt.quantile(leaf(x, False), leaf(q, False), dim=dim, interpolation=interp)
        assert_close(got, np.quantile(x, q, axis=dim, method=interp), rtol=1e-12, atol=1e-12)
        got = dpt.quantile(leaf(x, False), 0.3, dim=dim, keepdim=True, interpolation=interp)
        assert_close(got, np.quantile(x, 0.3, axis=dim, keepdims=True, method=interp))


def test_quantile_grad_nan_and_errors():
    x = randn(3, 5)
    check_gradients(lambda t: dpt.quantile(t, 0.3, dim=1), x)
    check_gradients(lambda t: dpt.quantile(t, leaf([0.2, 0.7], False), dim=0), x)
    xn = x.copy()
    xn[0, 1] = np.nan
    xn[2, :] = np.nan
    assert_close(dpt.quantile(leaf(xn, False), 0.4, dim=1), np.quantile(xn, 0.4, axis=1))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)  # numpy's all-NaN slice warning
        ref = np.nanquantile(xn, 0.4, axis=1)
    assert_close(dpt.nanquantile(leaf(xn, False), 0.4, dim=1), ref)
    assert_close(dpt.tensor(xn).nanquantile(0.5), np.nanquantile(xn, 0.5))
    with pytest.raises(RuntimeError, match="range"):
        dpt.quantile(dpt.ones(3), 1.5)
    with pytest.raises(RuntimeError, match="float or double"):
        dpt.quantile(dpt.tensor([1, 2]), 0.5)
    with pytest.raises(RuntimeError, match="same dtype"):
        dpt.quantile(dpt.ones(3), dpt.tensor([0.5], dtype=dpt.float64))
    with pytest.raises(RuntimeError, match="interpolation"):
        dpt.quantile(dpt.ones(3), 0.5, interpolation="cubic")
