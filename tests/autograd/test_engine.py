"""The backward engine: accumulation, retain_graph, errors, hooks, higher derivatives."""
import numpy as np
import pytest

import dpt
from tests.helpers import assert_close, check_op


def test_grad_accumulates_across_backward_calls():
    x = dpt.tensor([1.0, 2.0], requires_grad=True)
    (x * x).sum().backward()
    (x * x).sum().backward()
    assert_close(x.grad, [4.0, 8.0])


def test_leaf_and_nonleaf():
    w = dpt.tensor([2.0], requires_grad=True)
    x = dpt.tensor([3.0])
    b = dpt.tensor([1.0], requires_grad=True)
    y = w * x
    z = y + b
    assert w.is_leaf and b.is_leaf and x.is_leaf and not y.is_leaf
    z.backward()
    assert_close(w.grad, [3.0])
    assert_close(b.grad, [1.0])
    assert x.grad is None
    with pytest.warns(UserWarning, match="not a leaf Tensor"):
        assert y.grad is None
    assert z.grad_fn.name() == "AddBackward0"
    assert y.grad_fn.next_functions[0][0].name() == "AccumulateGrad"


def test_retain_grad_keeps_nonleaf_gradient():
    x = dpt.tensor([1.0, 2.0], requires_grad=True)
    y = x * 3
    y.retain_grad()
    (y * y).sum().backward()
    assert_close(y.grad, [6.0, 12.0])


def test_second_backward_without_retain_graph_raises():
    x = dpt.tensor([1.0, 2.0], requires_grad=True)
    y = (x * x).sum()
    y.backward()
    with pytest.raises(RuntimeError, match="backward through the graph a second time"):
        y.backward()


def test_retain_graph_allows_second_backward():
    x = dpt.tensor([1.0, 2.0], requires_grad=True)
    y = (x * x).sum()
    y.backward(retain_graph=True)
    y.backward()
    assert_close(x.grad, [4.0, 8.0])


def test_nonscalar_backward_needs_gradient():
    x = dpt.tensor([1.0, 2.0], requires_grad=True)
    y = x * 2
    with pytest.raises(RuntimeError, match="grad can be implicitly created only for scalar outputs"):
        y.backward()
    y.backward(dpt.tensor([1.0, 0.1]))
    assert_close(x.grad, [2.0, 0.2])


def test_backward_on_tensor_without_grad_raises():
    with pytest.raises(RuntimeError, match="does not require grad"):
        dpt.tensor([1.0]).sum().backward()


def test_inplace_on_saved_tensor_is_detected():
    a = dpt.tensor([1.0, 2.0], requires_grad=True)
    b = a * 1
    c = b * b
    b.add_(1)
    with pytest.raises(RuntimeError, match="modified by an inplace operation"):
        c.sum().backward()


def test_inplace_on_leaf_requiring_grad_raises():
    a = dpt.tensor([1.0, 2.0], requires_grad=True)
    with pytest.raises(RuntimeError, match="leaf Variable that requires grad"):
        a.add_(1)
    with dpt.no_grad():
        a.add_(1)
    assert_close(a, [2.0, 3.0])


def test_inplace_keeps_identity_and_graph():
    x = dpt.tensor([1.0, 2.0], requires_grad=True)
    y = x * 2
    before = id(y)
    y += 1
    y *= x
    assert id(y) == before
    y.sum().backward()
    assert_close(x.grad, 4 * np.array([1.0, 2.0]) + 1)


def test_higher_derivatives_of_sin_like_exp():
    x = dpt.tensor([0.5, 1.0], dtype=dpt.float64, requires_grad=True)
    (g,) = dpt.autograd.grad(x.exp().sum(), x, create_graph=True)
    (gg,) = dpt.autograd.grad(g.sum(), x)
    assert_close(gg, np.exp([0.5, 1.0]))


def test_hooks_and_callbacks():
    x = dpt.tensor([1.0, 2.0], requires_grad=True)
    seen, done = [], []
    x.register_hook(lambda g: g * 10)
    x.register_post_accumulate_grad_hook(lambda t: seen.append(t.grad.tolist()))
    y = x * 2
    y.register_hook(lambda g: done.append("y") or None)

    def queue(_g):
        dpt.autograd.queue_callback(lambda: done.append("end"))
    y.register_hook(queue)
    y.sum().backward()
    assert_close(x.grad, [20.0, 20.0])
    assert seen == [[20.0, 20.0]]
    assert done == ["y", "end"]


def test_no_grad_and_set_grad_enabled():
    x = dpt.tensor([1.0], requires_grad=True)
    with dpt.no_grad():
        assert not (x * 2).requires_grad
    with dpt.set_grad_enabled(False):
        assert not (x * 2).requires_grad
    assert (x * 2).requires_grad

    @dpt.no_grad()
    def f():
        return x * 2
    assert not f().requires_grad


def test_grad_allow_unused():
    x = dpt.tensor([1.0], requires_grad=True)
    y = dpt.tensor([1.0], requires_grad=True)
    with pytest.raises(RuntimeError, match="allow_unused"):
        dpt.autograd.grad((x * 2).sum(), [x, y])
    gx, gy = dpt.autograd.grad((x * 2).sum(), [x, y], allow_unused=True)
    assert gy is None and gx.item() == 2.0
    assert x.grad is None


def test_custom_function():
    class Square(dpt.autograd.Function):
        @staticmethod
        def forward(ctx, x):
            ctx.save_for_backward(x)
            return x * x

        @staticmethod
        def backward(ctx, g):
            (x,) = ctx.saved_tensors
            return 2 * x * g

    x = dpt.tensor([3.0], dtype=dpt.float64, requires_grad=True)
    y = Square.apply(x)
    assert y.grad_fn.name() == "SquareBackward"
    y.backward()
    assert x.grad.item() == 6.0
    assert dpt.autograd.gradcheck(Square.apply, (dpt.tensor([1.5, -2.0], dtype=dpt.float64,
                                                             requires_grad=True),))


def test_deep_graph_has_no_recursion_limit():
    x = dpt.tensor([1.0], requires_grad=True)
    y = x
    for _ in range(5000):
        y = y + 1
    y.backward()
    assert x.grad.item() == 1.0


@pytest.mark.parametrize("shape_a,shape_b", [((3, 4), (3, 4)), ((3, 1), (1, 4)), ((2, 3, 4), (4,)),
                                             ((), (3,)), ((0, 3), (3,))])
def test_broadcast_arithmetic(shape_a, shape_b):
    a = np.random.default_rng(1).standard_normal(shape_a) + 3
    b = np.random.default_rng(2).standard_normal(shape_b) + 3
    check_op(lambda x, y: x + y, np.add, a, b)
    check_op(lambda x, y: x - 2 * y, lambda x, y: x - 2 * y, a, b)
    check_op(lambda x, y: x * y, np.multiply, a, b, gradgrad=True)
    check_op(lambda x, y: x / y, np.divide, a, b, gradgrad=True)
    check_op(lambda x, y: x ** y, np.power, np.abs(a), b)


def test_matmul_shapes_and_grads():
    rng = np.random.default_rng(0)
    for sa, sb in [((3, 4), (4, 5)), ((4,), (4, 5)), ((3, 4), (4,)), ((4,), (4,)),
                   ((2, 3, 4), (4, 5)), ((2, 1, 3, 4), (5, 4, 2))]:
        check_op(lambda x, y: x @ y, np.matmul, rng.standard_normal(sa), rng.standard_normal(sb))
    with pytest.raises(RuntimeError, match=r"mat1 and mat2 shapes cannot be multiplied \(3x4 and 5x2\)"):
        dpt.ones(3, 4) @ dpt.ones(5, 2)
