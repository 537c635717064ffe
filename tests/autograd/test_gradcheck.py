"""gradcheck / gradgradcheck pass on correct gradients and catch wrong ones."""
import numpy as np
import pytest

import dpt
from dpt.autograd import Function
from dpt.autograd.gradcheck import GradcheckError


def _leaf(*shape, seed=0):
    return dpt.tensor(np.random.default_rng(seed).standard_normal(shape), requires_grad=True)


class GoodSquare(Function):
    @staticmethod
    def forward(ctx, x):
        ctx.save_for_backward(x)
        return x * x

    @staticmethod
    def backward(ctx, g):
        (x,) = ctx.saved_tensors
        return 2 * x * g


class WrongSquare(Function):
    @staticmethod
    def forward(ctx, x):
        ctx.save_for_backward(x)
        return x * x

    @staticmethod
    def backward(ctx, g):
        (x,) = ctx.saved_tensors
        return 3 * x * g  # deliberately wrong


class WrongSecondDerivative(Function):
    """First derivative right, but computed from constants so its own derivative is wrong."""

    @staticmethod
    def forward(ctx, x):
        ctx.save_for_backward(x)
        return x * x * x

    @staticmethod
    def backward(ctx, g):
        (x,) = ctx.saved_tensors
        return 3 * (x * x).detach() * g


def test_gradcheck_passes_for_builtin_composites():
    a, b = _leaf(2, 3), _leaf(3, seed=1)
    assert dpt.autograd.gradcheck(lambda x, y: (x * y + x.exp()).sum(1) / (y * y).sum(), (a, b))
    assert dpt.autograd.gradcheck(lambda x: x @ x.mT, (a,))


def test_gradcheck_catches_wrong_backward():
    x = _leaf(2, 3)
    assert dpt.autograd.gradcheck(GoodSquare.apply, (x,))
    with pytest.raises(GradcheckError, match="Jacobian mismatch for output 0 with respect to input 0"):
        dpt.autograd.gradcheck(WrongSquare.apply, (x,))
    assert issubclass(GradcheckError, RuntimeError)
    assert dpt.autograd.gradcheck(WrongSquare.apply, (x,), raise_exception=False) is False


def test_gradgradcheck():
    x = _leaf(2, 2)
    assert dpt.autograd.gradgradcheck(lambda t: (t * t * t).sum(), (x,))
    assert dpt.autograd.gradgradcheck(GoodSquare.apply, (x,))
    assert dpt.autograd.gradcheck(WrongSecondDerivative.apply, (x,))
    with pytest.raises(GradcheckError):
        dpt.autograd.gradgradcheck(WrongSecondDerivative.apply, (x,))


def test_gradcheck_with_non_tensor_and_non_differentiable_inputs():
    x = _leaf(3)
    c = dpt.tensor([1.0, 2.0, 3.0], dtype=dpt.float64)  # does not require grad
    assert dpt.autograd.gradcheck(lambda t, k, s: t * k * s, (x, c, 2.5))


def test_gradcheck_needs_an_input_requiring_grad():
    with pytest.raises(ValueError, match="at least one input tensor to require gradient"):
        dpt.autograd.gradcheck(lambda t: t * 2, (dpt.ones(2, dtype=dpt.float64),))


def test_gradcheck_several_outputs():
    x = _leaf(3)
    assert dpt.autograd.gradcheck(lambda t: (t * 2, t.exp()), (x,))
