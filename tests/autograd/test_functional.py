"""dpt.autograd.functional against analytic derivatives."""
import numpy as np
import pytest

import dpt
from dpt.autograd import functional as AF
from tests.helpers import assert_close

X = np.array([0.5, -1.0, 2.0])
A = np.array([[1.0, 2.0, 0.0], [0.0, -1.0, 3.0]])


def _t(a, **kw):
    return dpt.tensor(np.asarray(a, dtype=np.float64), **kw)


def cube_sum(x):
    return (x ** 3).sum()


def test_vjp():
    v = np.array([1.0, 2.0, -1.0])
    out, g = AF.vjp(lambda x: x.exp() * 2, _t(X), _t(v))
    assert_close(out, 2 * np.exp(X))
    assert_close(g, v * 2 * np.exp(X))
    assert not out.requires_grad and not g.requires_grad
    out, g = AF.vjp(cube_sum, _t(X))  # v may be omitted for a scalar output
    assert_close(g, 3 * X ** 2)
    with pytest.raises(RuntimeError, match="v can only be None"):
        AF.vjp(lambda x: x * 2, _t(X))


def test_vjp_several_inputs():
    (ga, gb) = AF.vjp(lambda a, b: (a * b).sum(), (_t(X), _t(X[::-1])))[1]
    assert_close(ga, X[::-1])
    assert_close(gb, X)


def test_jvp():
    v = np.array([1.0, 0.0, 2.0])
    out, jv = AF.jvp(lambda x: _t(A) @ (x * x), _t(X), _t(v))
    assert_close(out, A @ (X * X))
    assert_close(jv, A @ (2 * X * v))
    # a linear function and a constant part of the output
    out, jv = AF.jvp(lambda x: (x * 3, dpt.ones(2, dtype=dpt.float64)), _t(X), _t(v))
    assert_close(jv[0], 3 * v)
    assert_close(jv[1], [0.0, 0.0])


def test_jacobian_single_and_tuple():
    J = AF.jacobian(lambda x: _t(A) @ x.sin(), _t(X))
    assert_close(J, A * np.cos(X))
    Ja, Jb = AF.jacobian(lambda a, b: a * b, (_t(X), _t(2 * X)))
    assert_close(Ja, np.diag(2 * X))
    assert_close(Jb, np.diag(X))
    (J1, J2) = AF.jacobian(lambda x: (x.sum(), x * 0 + 1), _t(X))
    assert J1.shape == (3,) and J2.shape == (3, 3)
    assert_close(J1, np.ones(3))
    assert_close(J2, np.zeros((3, 3)))


def test_jacobian_of_matrix_function():
    m = np.arange(6.0).reshape(2, 3)
    J = AF.jacobian(lambda x: x.T, _t(m))
    assert J.shape == (3, 2, 2, 3)
    assert_close(J[1, 0], np.eye(6)[1].reshape(2, 3))


def test_jacobian_create_graph():
    x = _t(X, requires_grad=True)
    J = AF.jacobian(lambda t: t ** 3, x, create_graph=True)
    assert J.requires_grad
    J.sum().backward()
    assert_close(x.grad, 6 * X)


def test_hessian():
    H = AF.hessian(cube_sum, _t(X))
    assert_close(H, np.diag(6 * X))
    Q = A.T @ A
    H = AF.hessian(lambda x: 0.5 * (x @ (_t(Q) @ x)), _t(X))
    assert_close(H, Q)
    Haa = AF.hessian(lambda a, b: (a * a * b).sum(), (_t(X), _t(2 * X)))
    assert_close(Haa[0][0], np.diag(2 * 2 * X))
    assert_close(Haa[0][1], np.diag(2 * X))
    assert_close(Haa[1][1], np.zeros((3, 3)))
    with pytest.raises(RuntimeError, match="single Tensor with a single element"):
        AF.hessian(lambda x: x * 2, _t(X))


def test_hvp_and_vhp():
    v = np.array([1.0, -1.0, 0.5])
    Q = A.T @ A + np.eye(3)

    def f(x):
        return 0.5 * (x @ (_t(Q) @ x)) + (x ** 3).sum()

    H = Q + np.diag(6 * X)
    val, hv = AF.hvp(f, _t(X), _t(v))
    assert_close(val, 0.5 * X @ Q @ X + (X ** 3).sum())
    assert_close(hv, H @ v)
    _, vh = AF.vhp(f, _t(X), _t(v))
    assert_close(vh, v @ H)
    with pytest.raises(RuntimeError, match="Mismatch in shape"):
        AF.vhp(f, _t(X), _t([1.0]))
