"""Broadcasting: binary ops match numpy, and gradients are summed back to each input's shape."""
import numpy as np
import pytest
from hypothesis import given, settings

import dpt
from dpt._device import to_numpy

from .strategies import broadcast_pair, floats_array, seeds

OPS = {
    "add": (dpt.add, np.add),
    "mul": (dpt.mul, np.multiply),
    "sub": (dpt.sub, np.subtract),
    "div": (dpt.div, np.divide),
    "maximum": (dpt.maximum, np.maximum),
}


def _unbroadcast(grad, shape):
    """numpy reference of the engine's sum_to: sum the broadcast dims away."""
    lead = grad.ndim - len(shape)
    grad = grad.sum(axis=tuple(range(lead)))
    axes = tuple(i for i, n in enumerate(shape) if n == 1 and grad.shape[i] != 1)
    return grad.sum(axis=axes, keepdims=True).reshape(shape)


@pytest.mark.parametrize("name", sorted(OPS))
@settings(max_examples=30)
@given(shapes=broadcast_pair(), seed=seeds)
def test_binary_op_matches_numpy(name, shapes, seed):
    dpt_fn, np_fn = OPS[name]
    a, b = floats_array(shapes[0], seed), floats_array(shapes[1], seed + 1)
    out = dpt_fn(dpt.tensor(a), dpt.tensor(b))
    expected = np_fn(a, b)
    assert tuple(out.shape) == expected.shape
    assert out.dtype == dpt.float64
    np.testing.assert_allclose(to_numpy(out._data), expected, rtol=1e-12, atol=0)


@settings(max_examples=50)
@given(shapes=broadcast_pair(), seed=seeds)
def test_grad_of_broadcast_product_is_sum_reduced(shapes, seed):
    a, b = floats_array(shapes[0], seed), floats_array(shapes[1], seed + 1)
    x = dpt.tensor(a, requires_grad=True)
    y = dpt.tensor(b, requires_grad=True)
    (x * y).sum().backward()
    full = np.broadcast_shapes(a.shape, b.shape)
    gx = _unbroadcast(np.broadcast_to(b, full).astype(np.float64), a.shape)
    gy = _unbroadcast(np.broadcast_to(a, full).astype(np.float64), b.shape)
    assert tuple(x.grad.shape) == a.shape and tuple(y.grad.shape) == b.shape
    np.testing.assert_allclose(to_numpy(x.grad._data), gx, rtol=1e-12, atol=1e-12)
    np.testing.assert_allclose(to_numpy(y.grad._data), gy, rtol=1e-12, atol=1e-12)


@settings(max_examples=30)
@given(shapes=broadcast_pair(max_dims=3), seed=seeds)
def test_float32_inputs_get_float32_grads(shapes, seed):
    a = floats_array(shapes[0], seed).astype(np.float32)
    x = dpt.tensor(a, requires_grad=True)
    y = dpt.tensor(floats_array(shapes[1], seed + 1))  # float64, no grad
    (x * y).sum().backward()
    assert x.grad.dtype == dpt.float32 and tuple(x.grad.shape) == a.shape
