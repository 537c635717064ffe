"""dpt.nn.utils: clip_grad_norm_, clip_grad_value_, parameters_to_vector, vector_to_parameters."""
import math

import numpy as np
import pytest

import dpt
import dpt.nn as nn
from dpt.nn.utils import (clip_grad_norm_, clip_grad_value_, get_total_norm,
                          parameters_to_vector, vector_to_parameters)
from tests.helpers import assert_close, check_gradients, randn


def _params_with_grads(grads):
    params = []
    for g in grads:
        p = nn.Parameter(dpt.zeros(*g.shape, dtype=dpt.float64))
        p.grad = dpt.tensor(g)
        params.append(p)
    return params


def test_clip_grad_norm_scales_and_returns_total():
    g1, g2 = randn(3, 4), randn(5, seed=1)
    params = _params_with_grads([g1, g2])
    total = math.sqrt((g1 ** 2).sum() + (g2 ** 2).sum())
    out = clip_grad_norm_(params, max_norm=1.0)
    assert out.item() == pytest.approx(total)
    coef = 1.0 / (total + 1e-6)
    assert_close(params[0].grad, g1 * coef)
    assert_close(params[1].grad, g2 * coef)


def test_clip_grad_norm_no_clip_when_small_and_other_norms():
    g = randn(4)
    p = _params_with_grads([g])
    clip_grad_norm_(p, max_norm=1e6)
    assert_close(p[0].grad, g)
    p = _params_with_grads([g, 2 * g])
    out = clip_grad_norm_(p, max_norm=0.5, norm_type=math.inf)
    top = np.abs(2 * g).max()
    assert out.item() == pytest.approx(top)
    assert_close(p[1].grad, 2 * g * 0.5 / (top + 1e-6))
    p = _params_with_grads([g])
    out = clip_grad_norm_(p[0], max_norm=100.0, norm_type=1)  # a single tensor is accepted
    assert out.item() == pytest.approx(np.abs(g).sum())
    out = clip_grad_norm_(_params_with_grads([g]), 1.0, norm_type=3.0)
    assert out.item() == pytest.approx((np.abs(g) ** 3).sum() ** (1 / 3))


def test_clip_grad_norm_edge_cases():
    p = nn.Parameter(dpt.zeros(2))
    assert clip_grad_norm_([p], 1.0).item() == 0.0  # no gradients at all
    bad = _params_with_grads([np.array([1.0, np.inf])])
    with pytest.raises(RuntimeError, match="The total norm of order 2.0 for gradients from "
                                           "`parameters` is non-finite"):
        clip_grad_norm_(bad, 1.0, error_if_nonfinite=True)
    model = nn.Linear(3, 2)
    model(dpt.rand(4, 3)).sum().backward()
    total = clip_grad_norm_(model.parameters(), 0.1)
    assert total.dtype == dpt.float32
    assert get_total_norm([p.grad for p in model.parameters()]).item() == pytest.approx(0.1, rel=1e-4)


def test_clip_grad_value():
    g = np.array([-3.0, -0.5, 0.2, 4.0])
    p = _params_with_grads([g])
    clip_grad_value_(p, 1.0)
    assert_close(p[0].grad, [-1.0, -0.5, 0.2, 1.0])
    clip_grad_value_(nn.Parameter(dpt.zeros(1)), 1.0)  # no grad: nothing to do


def test_parameters_to_vector_and_back():
    model = nn.Sequential(nn.Linear(3, 2), nn.Linear(2, 1))
    vec = parameters_to_vector(model.parameters())
    expected = np.concatenate([p.detach().numpy().ravel() for p in model.parameters()])
    assert_close(vec, expected)
    assert vec.requires_grad
    new = dpt.arange(vec.numel(), dtype=dpt.float32)
    vector_to_parameters(new, model.parameters())
    assert_close(model[0].weight, np.arange(6).reshape(2, 3))
    assert_close(model[1].bias, [10.0])
    assert isinstance(model[0].weight, nn.Parameter)
    with pytest.raises(TypeError, match="expected dpt.Tensor, but got"):
        vector_to_parameters([1.0], model.parameters())
    with pytest.raises(RuntimeError, match="vec has 3 elements"):
        vector_to_parameters(dpt.zeros(3), model.parameters())


def test_parameters_to_vector_is_differentiable():
    check_gradients(lambda a, b: parameters_to_vector([a, b]) * 2, randn(2, 3), randn(4, seed=1))
    a = dpt.ones(2, requires_grad=True)
    b = dpt.ones(3)  # not every input needs a gradient
    (parameters_to_vector([b, a]) * dpt.arange(5.0)).sum().backward()
    assert_close(a.grad, [3.0, 4.0])
