"""dpt.ops.calculus: diff, gradient, trapezoid, cumulative_trapezoid against numpy/scipy, with gradchecks."""
import numpy as np
import pytest
import scipy.integrate

import dpt
from tests.helpers import assert_close, check_gradients, check_op, leaf, randn


def test_diff():
    x = randn(3, 5)
    check_op(lambda t: dpt.diff(t), lambda a: np.diff(a), x)
    check_op(lambda t: dpt.diff(t, n=2, dim=0), lambda a: np.diff(a, n=2, axis=0), x)
    p, a = randn(3, 1, seed=1), randn(3, 2, seed=2)
    check_op(lambda t, u, v: dpt.diff(t, dim=-1, prepend=u, append=v),
             lambda t, u, v: np.diff(t, axis=-1, prepend=u, append=v), x, p, a)
    assert dpt.diff(dpt.tensor([1, 4, 9])).tolist() == [3, 5]
    assert dpt.diff(dpt.tensor([True, False, False])).tolist() == [True, False]
    assert dpt.diff(dpt.ones(3), n=5).shape == (0,)
    with pytest.raises(RuntimeError, match="at least one-dimensional"):
        dpt.diff(dpt.tensor(1.0))
    with pytest.raises(RuntimeError, match="non-negative"):
        dpt.diff(dpt.ones(3), n=-1)


@pytest.mark.parametrize("edge_order", [1, 2])
def test_gradient(edge_order):
    f = randn(4, 5)
    got = dpt.gradient(leaf(f, False), edge_order=edge_order)
    for g, ref in zip(got, np.gradient(f, edge_order=edge_order)):
        assert_close(g, ref)
    got = dpt.gradient(leaf(f, False), spacing=[2.0], dim=1, edge_order=edge_order)
    assert_close(got[0], np.gradient(f, 2.0, axis=1, edge_order=edge_order))
    xs = np.array([0.0, 0.5, 1.5, 1.75, 3.0])
    got = dpt.gradient(leaf(f, False), spacing=(leaf(xs, False),), dim=-1, edge_order=edge_order)
    assert_close(got[0], np.gradient(f, xs, axis=-1, edge_order=edge_order))
    check_gradients(lambda t: dpt.gradient(t, spacing=(leaf(xs, False),), dim=1,
                                           edge_order=edge_order)[0], f)
    check_gradients(lambda t: dpt.gradient(t, edge_order=edge_order)[0], f)


def test_gradient_ints_and_errors():
    assert_close(dpt.gradient(dpt.tensor([1, 2, 4]))[0], [1.0, 1.5, 2.0])
    with pytest.raises(RuntimeError, match="edge_order"):
        dpt.gradient(dpt.ones(3), edge_order=3)
    with pytest.raises(RuntimeError, match="at least edge_order"):
        dpt.gradient(dpt.ones(2), edge_order=2)
    with pytest.raises(RuntimeError, match="same length"):
        dpt.gradient(dpt.ones(3, 3), spacing=[1.0, 2.0, 3.0])


def test_trapezoid():
    y = randn(3, 4)
    check_op(lambda t: dpt.trapezoid(t), lambda a: np.trapezoid(a), y)
    check_op(lambda t: dpt.trapezoid(t, dx=0.5, dim=0), lambda a: np.trapezoid(a, dx=0.5, axis=0), y)
    x = np.array([0.0, 1.0, 1.5, 4.0])
    check_op(lambda t, u: dpt.trapezoid(t, u), lambda a, b: np.trapezoid(a, b), y, x)
    assert_close(dpt.trapz(leaf(y, False), leaf(x, False)), np.trapezoid(y, x))
    assert_close(dpt.trapezoid(dpt.tensor([1, 2, 3])), 4.0)
    assert dpt.trapezoid(dpt.ones(2, 0)).tolist() == [0.0, 0.0]


def test_cumulative_trapezoid():
    y = randn(3, 4)
    check_op(lambda t: dpt.cumulative_trapezoid(t),
             lambda a: scipy.integrate.cumulative_trapezoid(a), y)
    check_op(lambda t: dpt.cumulative_trapezoid(t, dx=2.0, dim=0),
             lambda a: scipy.integrate.cumulative_trapezoid(a, dx=2.0, axis=0), y)
    x = np.array([0.0, 1.0, 1.5, 4.0])
    check_op(lambda t, u: dpt.cumulative_trapezoid(t, u),
             lambda a, b: scipy.integrate.cumulative_trapezoid(a, b), y, x)
