"""d2l "Preliminaries" (reference/d2l-preliminaries-notes.txt and -lab.txt), tensor and
autograd parts, with torch -> dpt. pandas and plotting are left out."""
import math

import numpy as np
import pytest

import dpt
from tests.helpers import assert_close


# ---- data manipulation ------------------------------------------------------------------------
def test_getting_started():
    x = dpt.arange(12)
    assert x.tolist() == list(range(12)) and x.dtype == dpt.int64
    assert x.shape == (12,) and x.numel() == 12
    X = x.reshape(3, 4)
    assert X.tolist() == [[0, 1, 2, 3], [4, 5, 6, 7], [8, 9, 10, 11]]
    assert dpt.zeros((2, 3, 4)).shape == (2, 3, 4) and dpt.zeros((2, 3, 4)).sum().item() == 0
    assert dpt.ones((2, 3, 4)).sum().item() == 24
    assert dpt.randn(3, 4).shape == (3, 4)
    assert dpt.tensor([[2, 1, 4, 3], [1, 2, 3, 4], [4, 3, 2, 1]]).shape == (3, 4)
    assert dpt.ones((1, 2)).tolist() == [[1.0, 1.0]]
    assert dpt.tensor([[1, 2, 3], [4, 54, 5]]).dtype == dpt.int64


def test_operators():
    x = dpt.tensor([1.0, 2, 4, 8])
    y = dpt.tensor([2, 2, 2, 2])
    assert (x + y).tolist() == [3.0, 4.0, 6.0, 10.0]
    assert (x - y).tolist() == [-1.0, 0.0, 2.0, 6.0]
    assert (x * y).tolist() == [2.0, 4.0, 8.0, 16.0]
    assert (x / y).tolist() == [0.5, 1.0, 2.0, 4.0]
    assert (x ** y).tolist() == [1.0, 4.0, 16.0, 64.0]
    assert (x + y).dtype == dpt.float32
    assert_close(dpt.exp(x), np.exp([1.0, 2, 4, 8]), rtol=1e-6)


def test_elementwise_with_scalars_and_comparisons():
    a = dpt.tensor([[1.0, 2], [3, 4]])
    b = 4
    d = dpt.tensor([[1.0, 0.0], [5.0, 4.0]])
    assert (a + b).tolist() == [[5.0, 6.0], [7.0, 8.0]]
    assert (a / b).tolist() == [[0.25, 0.5], [0.75, 1.0]]
    assert (a == d).tolist() == [[True, False], [False, True]]
    assert (a > d).tolist() == [[False, True], [False, False]]
    assert (a < d).tolist() == [[False, False], [True, False]]


def test_cat_and_compare():
    X = dpt.arange(12, dtype=dpt.float32).reshape((3, 4))
    Y = dpt.tensor([[2.0, 1, 4, 3], [1, 2, 3, 4], [4, 3, 2, 1]])
    c0, c1 = dpt.cat((X, Y), dim=0), dpt.cat((X, Y), dim=1)
    assert c0.shape == (6, 4) and c1.shape == (3, 8)
    assert c1[0].tolist() == [0.0, 1.0, 2.0, 3.0, 2.0, 1.0, 4.0, 3.0]
    assert (X == Y).tolist() == [[False, True, False, True], [False] * 4, [False] * 4]
    assert (X < Y).tolist()[0] == [True, False, True, False]
    assert (X > Y).tolist()[2] == [True] * 4
    assert X.sum().item() == 66.0
    # an integer and a float tensor concatenate to float (the notes' cat of arange and randn)
    assert dpt.cat((dpt.arange(12).reshape((3, 4)), dpt.randn((3, 4))), dim=1).dtype == dpt.float32


def test_broadcasting():
    a = dpt.arange(3).reshape((3, 1))
    b = dpt.arange(2).reshape((1, 2))
    assert (a + b).tolist() == [[0, 1], [1, 2], [2, 3]]
    a = dpt.arange(12).reshape((3, 1, 4))
    b = dpt.arange(3).reshape((3, 1, 1))
    c = dpt.arange(4).reshape((1, 1, 4))
    assert (a + b).shape == (3, 1, 4) and (a + b)[2, 0].tolist() == [10, 11, 12, 13]
    assert (a + c)[1, 0].tolist() == [4, 6, 8, 10]


def test_indexing_and_slicing():
    X = dpt.arange(12, dtype=dpt.float32).reshape((3, 4))
    assert X[-1].tolist() == [8.0, 9.0, 10.0, 11.0]
    assert X[1:3].tolist() == [[4.0, 5.0, 6.0, 7.0], [8.0, 9.0, 10.0, 11.0]]
    X[1, 2] = 9
    assert X[1].tolist() == [4.0, 5.0, 9.0, 7.0]
    X[0:2, :] = 12
    assert X.tolist() == [[12.0] * 4, [12.0] * 4, [8.0, 9.0, 10.0, 11.0]]
    a = dpt.arange(12).reshape((3, 4))
    assert a[0:1, 0:1].tolist() == [[0]] and a[1, 1].item() == 5


def test_saving_memory():
    X = dpt.arange(12, dtype=dpt.float32).reshape((3, 4))
    Y = dpt.tensor([[2.0, 1, 4, 3], [1, 2, 3, 4], [4, 3, 2, 1]])
    before = id(Y)
    Y = Y + X
    assert id(Y) != before
    Z = dpt.zeros_like(Y)
    zid = id(Z)
    Z[:] = X + Y
    assert id(Z) == zid
    assert_close(Z, (X + Y).numpy())
    before = id(X)
    X += Y
    assert id(X) == before
    assert X[0].tolist() == [2.0, 3.0, 8.0, 9.0]


def test_saving_memory_notes_version():
    a = dpt.arange(12).reshape((3, 4))
    a_p = id(a)
    b = dpt.randn((3, 4))
    a = a + b
    b_p = id(b)
    b[:] = a + b
    b += a
    assert a_p != id(a) and b_p == id(b)


def test_conversion_to_python_objects():
    X = dpt.arange(12, dtype=dpt.float32).reshape((3, 4))
    A = X.numpy()
    B = dpt.tensor(A)
    assert type(A) is np.ndarray and type(B) is dpt.Tensor
    a = dpt.tensor([3.5])
    assert (a.item(), float(a), int(a)) == (3.5, 3.5, 3)
    t = dpt.arange(12).reshape((3, 4))
    assert id(t) != id(t.numpy())
    assert t[1, 3:].item() == 7 and int(t[1, 2]) == 6


# ---- linear algebra ------------------------------------------------------------------------------
def test_scalars_vectors_matrices():
    x, y = dpt.tensor(3.0), dpt.tensor(2.0)
    assert [(x + y).item(), (x * y).item(), (x / y).item(), (x ** y).item()] == [5.0, 6.0, 1.5, 9.0]
    a, b = dpt.tensor(5), dpt.tensor(6)
    assert (a // b).item() == 0 and (a % b).item() == 5 and (a / b).dtype == dpt.float32
    x = dpt.arange(4)
    assert x[3].item() == 3 and len(x) == 4 and x.shape == (4,)
    A = dpt.arange(20).reshape(5, 4)
    assert A.T.tolist() == np.arange(20).reshape(5, 4).T.tolist()
    B = dpt.tensor([[1, 2, 3], [2, 0, 4], [3, 4, 5]])
    assert bool((B == B.T).all())
    X = dpt.arange(24).reshape(2, 3, 4)
    assert len(X) == 2


def test_tensor_arithmetic_properties():
    A = dpt.arange(20, dtype=dpt.float32).reshape(5, 4)
    B = A.clone()
    assert B.data_ptr() != A.data_ptr()
    assert (A + B).tolist() == (2 * np.arange(20.0).reshape(5, 4)).tolist()
    assert (A * B).tolist() == (np.arange(20.0).reshape(5, 4) ** 2).tolist()
    a = 2
    X = dpt.arange(24).reshape(2, 3, 4)
    assert (a + X)[0, 0].tolist() == [2, 3, 4, 5] and (a * X).shape == (2, 3, 4)


def test_reductions():
    x = dpt.arange(4, dtype=dpt.float32)
    assert x.sum().item() == 6.0
    A = dpt.arange(20, dtype=dpt.float32).reshape(5, 4)
    assert A.sum().item() == 190.0
    A0 = A.sum(axis=0)
    assert A0.tolist() == [40.0, 45.0, 50.0, 55.0] and A0.shape == (4,)
    A1 = A.sum(axis=1)
    assert A1.tolist() == [6.0, 22.0, 38.0, 54.0, 70.0] and A1.shape == (5,)
    assert A.sum(axis=[0, 1]).item() == 190.0
    assert A.mean().item() == 9.5 and (A.sum() / A.numel()).item() == 9.5
    assert A.mean(axis=0).tolist() == [8.0, 9.0, 10.0, 11.0]
    assert (A.sum(axis=0) / A.shape[0]).tolist() == [8.0, 9.0, 10.0, 11.0]
    sum_A = A.sum(axis=1, keepdims=True)
    assert sum_A.shape == (5, 1)
    assert_close(A / sum_A, np.arange(20.0).reshape(5, 4) / np.array([[6.0], [22], [38], [54], [70]]))
    assert A.cumsum(axis=0)[-1].tolist() == [40.0, 45.0, 50.0, 55.0]
    a = dpt.arange(12, dtype=dpt.float32).reshape(2, 3, 2)
    assert a.sum(axis=0, keepdims=True).shape == (1, 3, 2)
    assert a.sum(axis=[0, 1]).tolist() == [30.0, 36.0]


def test_reduction_exercises():
    A = dpt.ones((3, 4))
    assert_close(A / A.sum(axis=1, keepdim=True), np.full((3, 4), 0.25))
    assert_close(A / A.sum(axis=0), np.full((3, 4), 1 / 3))
    with pytest.raises(RuntimeError, match="must match"):
        A / A.sum(axis=1)
    A = dpt.ones((2, 3, 4))
    assert (A.sum(axis=0).size(), A.sum(axis=1).size(), A.sum(axis=2).size()) == \
        ((3, 4), (2, 4), (2, 3))


def test_products_and_norms():
    x = dpt.arange(4, dtype=dpt.float32)
    y = dpt.ones(4, dtype=dpt.float32)
    assert dpt.dot(x, y).item() == 6.0 and dpt.sum(x * y).item() == 6.0
    A = dpt.arange(20, dtype=dpt.float32).reshape(5, 4)
    assert A.shape == (5, 4) and x.shape == (4,)
    assert dpt.mv(A, x).tolist() == [14.0, 38.0, 62.0, 86.0, 110.0]
    B = dpt.ones(4, 3)
    assert dpt.mm(A, B).tolist() == [[6.0] * 3, [22.0] * 3, [38.0] * 3, [54.0] * 3, [70.0] * 3]
    u = dpt.tensor([3.0, -4.0])
    assert dpt.norm(u).item() == 5.0 and dpt.abs(u).sum().item() == 7.0
    assert dpt.norm(dpt.ones((4, 9))).item() == 6.0


# ---- automatic differentiation ----------------------------------------------------------------
def test_simple_example():
    x = dpt.arange(4.0)
    x.requires_grad_(True)
    assert x.grad is None
    y = 2 * dpt.dot(x, x)
    assert y.item() == 28.0 and y.grad_fn is not None
    y.backward()
    assert x.grad.tolist() == [0.0, 4.0, 8.0, 12.0]
    assert bool((x.grad == 4 * x).all())
    x.grad.zero_()
    y = x.sum()
    y.backward()
    assert x.grad.tolist() == [1.0, 1.0, 1.0, 1.0]


def test_non_scalar_backward():
    x = dpt.arange(4.0, requires_grad=True)
    y = x * x
    y.sum().backward()
    assert x.grad.tolist() == [0.0, 2.0, 4.0, 6.0]
    x.grad.zero_()
    y = x * x
    y.backward(dpt.ones(len(x)))
    assert bool((x.grad == 2 * x).all())


def test_detaching_computation():
    x = dpt.arange(4.0, requires_grad=True)
    y = x * x
    u = y.detach()
    z = u * x
    z.sum().backward()
    assert bool((x.grad == u).all())
    x.grad.zero_()
    y.sum().backward()
    assert bool((x.grad == 2 * x).all())


def f(a):
    b = a * 2
    while b.norm() < 1000:
        b = b * 2
    if b.sum() > 0:
        c = b
    else:
        c = 100 * b
    return c


@pytest.mark.parametrize("seed", [0, 1, 2, 3])
def test_control_flow_gradient(seed):
    dpt.manual_seed(seed)
    a = dpt.randn(size=(), requires_grad=True)
    d = f(a)
    d.backward()
    assert a.grad.item() == pytest.approx((d / a).item(), rel=1e-6)
    assert bool(a.grad == d / a)


def test_control_flow_with_vector_input():
    dpt.manual_seed(0)
    a = dpt.randn(size=(3,), requires_grad=True, dtype=dpt.float32)
    d = f(a)
    with pytest.raises(RuntimeError, match="grad can be implicitly created only for scalar outputs"):
        d.backward()
    d.sum().backward()
    assert_close(a.grad, (d / a).detach().numpy(), rtol=1e-6)
    a2 = dpt.randn((2, 3), requires_grad=True)
    d2 = f(a2)
    d2.backward(dpt.ones_like(d2))
    g = a2.grad.numpy()
    assert np.all(g == g.flat[0])  # one scale factor for every element, as the lab prints
    assert_close(a2.grad, (d2 / a2).detach().numpy(), rtol=1e-6)


def test_backward_twice_exercise():
    x = dpt.randn((2, 3), requires_grad=True)
    y = dpt.square(x) - 1
    loss = y.mean()
    loss.backward()
    with pytest.raises(RuntimeError, match="Trying to backward through the graph a second time"):
        loss.backward()
    x = dpt.randn((2, 3), requires_grad=True)
    loss = (dpt.square(x) - 1).mean()
    loss.backward(retain_graph=True)
    first = x.grad.clone()
    assert_close(first, 2 * x.detach().numpy() / 6, rtol=1e-6)
    loss.backward()
    assert_close(x.grad, 2 * first.numpy(), rtol=1e-6)


def test_control_flow_by_order_exercise():
    def g(x, order):
        if order == 1:
            y = dpt.sqrt(x)
        elif order == 2:
            y = dpt.square(x)
        else:
            return x
        return y

    x = dpt.tensor(-1.2684, requires_grad=True)
    g(x, 1).backward()
    assert math.isnan(x.grad.item())  # sqrt of a negative number
    x.grad.zero_()
    g(x, 2).backward()
    assert x.grad.item() == pytest.approx(-2.5368, abs=1e-4)


def test_sin_derivative_without_cos():
    x = dpt.tensor(np.linspace(-np.pi, np.pi, 100), requires_grad=True)
    y = dpt.sin(x)
    y.sum().backward()
    assert x.grad.dtype == dpt.float64
    assert_close(x.grad, np.cos(np.linspace(-np.pi, np.pi, 100)))
    assert y.detach().shape == (100,)
