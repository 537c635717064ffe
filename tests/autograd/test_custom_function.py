"""dpt.autograd.Function: ctx API, several outputs, non-differentiable outputs, errors."""
import numpy as np
import pytest

import dpt
from dpt.autograd import Function
from tests.helpers import assert_close


class Exp(Function):
    @staticmethod
    def forward(ctx, x):
        y = x.exp()
        ctx.save_for_backward(y)
        return y

    @staticmethod
    def backward(ctx, g):
        (y,) = ctx.saved_tensors
        return g * y


class MulAdd(Function):
    """(x * y, x + k * y) for a python scalar k: two outputs, a non-tensor argument."""

    @staticmethod
    def forward(ctx, x, y, k):
        ctx.save_for_backward(x, y)
        ctx.k = k
        ctx.seen_needs = ctx.needs_input_grad
        return x * y, x + k * y

    @staticmethod
    def backward(ctx, g_prod, g_sum):
        x, y = ctx.saved_tensors
        gx = g_prod * y + g_sum if ctx.needs_input_grad[0] else None
        gy = g_prod * x + ctx.k * g_sum if ctx.needs_input_grad[1] else None
        return gx, gy, None


def test_single_output_with_saved_output():
    x = dpt.tensor([0.0, 1.0], dtype=dpt.float64, requires_grad=True)
    y = Exp.apply(x)
    assert y.grad_fn.name() == "ExpBackward"
    y.sum().backward()
    assert_close(x.grad, np.exp([0.0, 1.0]))
    assert y.grad_fn.name() == "ExpBackward"  # still named after backward freed it


def test_several_outputs_and_needs_input_grad():
    x = dpt.tensor([1.0, 2.0], requires_grad=True)
    y = dpt.tensor([3.0, 4.0])
    p, s = MulAdd.apply(x, y, 2.0)
    assert p.grad_fn is s.grad_fn and p.output_nr == 0 and s.output_nr == 1
    assert p.grad_fn.k == 2.0 and p.grad_fn.seen_needs == (True, False, False)  # ctx attributes
    assert p.grad_fn.needs_input_grad == (True, False, False)
    (p.sum() + 3 * s.sum()).backward()
    assert_close(x.grad, [3.0 + 3.0, 4.0 + 3.0])
    assert y.grad is None


def test_unused_output_gets_zero_gradient():
    x = dpt.tensor([1.0, 2.0], requires_grad=True)
    y = dpt.tensor([3.0, 4.0], requires_grad=True)
    p, _ = MulAdd.apply(x, y, 5.0)
    p.sum().backward()  # g_sum is materialised as zeros
    assert_close(x.grad, [3.0, 4.0])
    assert_close(y.grad, [1.0, 2.0])


def test_gradcheck_of_custom_functions():
    x = dpt.tensor(np.array([0.3, -1.2]), requires_grad=True)
    y = dpt.tensor(np.array([2.0, 0.5]), requires_grad=True)
    assert dpt.autograd.gradcheck(Exp.apply, (x,))
    assert dpt.autograd.gradcheck(lambda a, b: MulAdd.apply(a, b, 3.0), (x, y))
    # the backward is written with dpt ops, so it is itself differentiable
    assert dpt.autograd.gradgradcheck(Exp.apply, (x,))


def test_mark_non_differentiable():
    class SortWithIndex(Function):
        @staticmethod
        def forward(ctx, x):
            arr = x.detach().numpy()
            idx = dpt.tensor(np.argsort(arr))
            vals = dpt.tensor(np.sort(arr))
            sign = dpt.tensor(np.sign(arr))
            ctx.mark_non_differentiable(idx, sign)
            ctx.idx = idx
            return vals, idx, sign

        @staticmethod
        def backward(ctx, g_vals, g_idx, g_sign):
            assert float(g_sign.abs().sum()) == 0.0  # materialised zeros
            out = np.zeros(g_vals.shape)
            out[ctx.idx.numpy()] = g_vals.detach().numpy()
            return dpt.tensor(out, dtype=g_vals.dtype)

    x = dpt.tensor([3.0, 1.0, 2.0], requires_grad=True)
    vals, idx, sign = SortWithIndex.apply(x)
    assert vals.requires_grad and not idx.requires_grad and not sign.requires_grad
    (vals * dpt.tensor([1.0, 10.0, 100.0])).sum().backward()
    assert_close(x.grad, [100.0, 1.0, 10.0])


def test_set_materialize_grads_false_passes_none():
    class Two(Function):
        @staticmethod
        def forward(ctx, x):
            ctx.set_materialize_grads(False)
            return x * 2, x * 3

        @staticmethod
        def backward(ctx, g1, g2):
            assert g2 is None
            return g1 * 2

    x = dpt.tensor([1.0], requires_grad=True)
    a, _ = Two.apply(x)
    a.sum().backward()
    assert x.grad.item() == 2.0


def test_setup_context_style():
    class Square(Function):
        @staticmethod
        def forward(x):
            return x * x

        @staticmethod
        def setup_context(ctx, inputs, output):
            (x,) = inputs
            ctx.save_for_backward(x)

        @staticmethod
        def backward(ctx, g):
            (x,) = ctx.saved_tensors
            return 2 * x * g

    x = dpt.tensor([3.0], requires_grad=True)
    Square.apply(x).backward()
    assert x.grad.item() == 6.0


def test_no_graph_when_nothing_requires_grad_or_under_no_grad():
    x = dpt.tensor([1.0])
    assert Exp.apply(x).grad_fn is None
    xr = dpt.tensor([1.0], requires_grad=True)
    with dpt.no_grad():
        assert Exp.apply(xr).grad_fn is None


def test_returning_an_input_gives_a_new_tensor():
    class Identity(Function):
        @staticmethod
        def forward(ctx, x):
            return x

        @staticmethod
        def backward(ctx, g):
            return g

    x = dpt.tensor([1.0, 2.0], requires_grad=True)
    y = Identity.apply(x)
    assert y is not x and x.is_leaf and not y.is_leaf
    y.sum().backward()
    assert_close(x.grad, [1.0, 1.0])


def test_mark_dirty_in_place_function():
    class AddOne_(Function):
        @staticmethod
        def forward(ctx, x):
            x.add_(1)
            ctx.mark_dirty(x)
            return x

        @staticmethod
        def backward(ctx, g):
            return g

    a = dpt.tensor([1.0, 2.0], requires_grad=True)
    b = a * 2
    c = AddOne_.apply(b)
    assert c is b and b.grad_fn.name() == "AddOne_Backward"
    (b * b).sum().backward()
    assert_close(a.grad, 2 * 2 * np.array([3.0, 5.0]))
    with pytest.raises(RuntimeError, match="leaf Variable that requires grad"):
        AddOne_.apply(dpt.tensor([1.0], requires_grad=True))


def test_backward_returning_a_saved_tensor_is_not_aliased_into_grad():
    class PassSaved(Function):
        @staticmethod
        def forward(ctx, x, w):
            ctx.save_for_backward(w)
            return x * 1

        @staticmethod
        def backward(ctx, g):
            (w,) = ctx.saved_tensors
            return w, None

    x = dpt.tensor([1.0, 2.0], requires_grad=True)
    w = dpt.tensor([5.0, 6.0])
    PassSaved.apply(x, w).sum().backward()
    x.grad.add_(1.0)
    assert_close(w, [5.0, 6.0])


def test_wrong_number_of_gradients():
    class Bad(Function):
        @staticmethod
        def forward(ctx, x, y):
            return x + y

        @staticmethod
        def backward(ctx, g):
            return g

    a = dpt.tensor([1.0], requires_grad=True)
    with pytest.raises(RuntimeError, match=r"function BadBackward returned an incorrect number of "
                                           r"gradients \(expected 2, got 1\)"):
        Bad.apply(a, a).backward()


def test_wrong_gradient_shape():
    class BadShape(Function):
        @staticmethod
        def forward(ctx, x):
            return x.sum()

        @staticmethod
        def backward(ctx, g):
            return dpt.ones(5)

    with pytest.raises(RuntimeError, match=r"returned an invalid gradient at index 0 - got \[5\] but "
                                           r"expected shape compatible with \[2\]"):
        BadShape.apply(dpt.tensor([1.0, 2.0], requires_grad=True)).backward()


def test_saved_tensors_after_free_and_after_in_place():
    x = dpt.tensor([1.0, 2.0], requires_grad=True)
    y = Exp.apply(x)
    y.sum().backward()
    with pytest.raises(RuntimeError, match="backward through the graph a second time"):
        y.grad_fn.saved_tensors
    x2 = dpt.tensor([1.0, 2.0], requires_grad=True)
    y2 = Exp.apply(x2 * 1)
    with dpt.no_grad():
        y2.mul_(2)
    with pytest.raises(RuntimeError, match="modified by an inplace operation"):
        y2.sum().backward()


def test_missing_backward_raises():
    class NoBackward(Function):
        @staticmethod
        def forward(ctx, x):
            return x * 2

    with pytest.raises(NotImplementedError, match="You must implement either the backward"):
        NoBackward.apply(dpt.tensor([1.0], requires_grad=True)).backward()
