"""Autograd: random compositions of smooth ops pass gradcheck; retained graphs accumulate."""
import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

import dpt
from dpt._device import to_numpy

from .strategies import seeds

STEPS = ["exp", "tanh", "sin", "mul_y", "add_y", "matmul_w", "sum_last", "mul_self"]


def _program(steps):
    """f(x, y, w): apply the steps in order; shapes stay broadcast-compatible with y."""
    def f(x, y, w):
        z = x
        for s in steps:
            if s == "exp":
                z = dpt.exp(z) * 0.1  # stays bounded however many times it repeats
            elif s == "tanh":
                z = dpt.tanh(z)
            elif s == "sin":
                z = dpt.sin(z)
            elif s == "mul_y":
                z = z * y
            elif s == "add_y":
                z = z + y
            elif s == "mul_self":
                z = z * z
            elif s == "matmul_w":
                z = dpt.matmul(z, w) if z.shape[-1] == w.shape[0] else z @ w[:1]
            elif s == "sum_last":
                z = dpt.sum(z, -1, keepdim=True)
        return z
    return f


def _inputs(seed):
    rng = np.random.default_rng(seed)
    arrays = rng.uniform(-1, 1, (2, 3)), rng.uniform(-1, 1, (2, 3)), rng.uniform(-0.7, 0.7, (3, 3))
    return [dpt.tensor(a, requires_grad=True) for a in arrays]


@settings(max_examples=40)
@given(steps=st.lists(st.sampled_from(STEPS), min_size=1, max_size=5), seed=seeds)
def test_random_composition_passes_gradcheck(steps, seed):
    assert dpt.autograd.gradcheck(_program(steps), _inputs(seed), atol=1e-6, rtol=1e-4)


@settings(max_examples=30)
@given(steps=st.lists(st.sampled_from(STEPS), min_size=1, max_size=5), seed=seeds)
def test_backward_twice_with_retain_graph_doubles_grad(steps, seed):
    inputs = _inputs(seed)
    loss = _program(steps)(*inputs).sum()
    loss.backward(retain_graph=True)
    first = [None if t.grad is None else to_numpy(t.grad._data).copy() for t in inputs]
    loss.backward()
    for t, g in zip(inputs, first):
        if g is None:
            assert t.grad is None
        else:
            np.testing.assert_allclose(to_numpy(t.grad._data), 2 * g, rtol=1e-12, atol=1e-15)


@settings(max_examples=25)
@given(steps=st.lists(st.sampled_from(["exp", "tanh", "sin", "mul_y", "mul_self"]),
                      min_size=1, max_size=3), seed=seeds)
def test_random_composition_passes_gradgradcheck(steps, seed):
    x, y, w = _inputs(seed)
    f = _program(steps)
    assert dpt.autograd.gradgradcheck(lambda a, b: f(a, b, w.detach()), [x, y],
                                      atol=1e-6, rtol=1e-4)
