"""dpt.nn.init: gains, fans, bounds and statistics of every initialiser."""
import math

import numpy as np
import pytest

import dpt
import dpt.nn as nn
from dpt.nn import init


def _np(t):
    return t.detach().numpy()


def test_calculate_gain():
    for name in ("linear", "conv1d", "conv2d", "conv3d", "conv_transpose2d", "sigmoid"):
        assert init.calculate_gain(name) == 1
    assert init.calculate_gain("tanh") == pytest.approx(5 / 3)
    assert init.calculate_gain("relu") == pytest.approx(math.sqrt(2))
    assert init.calculate_gain("leaky_relu") == pytest.approx(math.sqrt(2 / (1 + 0.01 ** 2)))
    assert init.calculate_gain("leaky_relu", 0.2) == pytest.approx(math.sqrt(2 / 1.04))
    assert init.calculate_gain("selu") == 0.75
    with pytest.raises(ValueError, match="Unsupported nonlinearity foo"):
        init.calculate_gain("foo")
    with pytest.raises(ValueError, match="negative_slope x not a valid number"):
        init.calculate_gain("leaky_relu", "x")


def test_fans():
    assert init._calculate_fan_in_and_fan_out(dpt.empty(4, 3)) == (3, 4)
    assert init._calculate_fan_in_and_fan_out(dpt.empty(8, 2, 3, 5)) == (30, 120)
    with pytest.raises(ValueError, match="fewer than 2 dimensions"):
        init._calculate_fan_in_and_fan_out(dpt.empty(3))


def test_uniform_normal_constant():
    t = dpt.empty(200, 100)
    assert init.uniform_(t, -2.0, 3.0) is t
    a = _np(t)
    assert a.min() >= -2.0 and a.max() < 3.0 and abs(a.mean() - 0.5) < 0.05
    init.normal_(t, 1.0, 2.0)
    assert abs(_np(t).mean() - 1.0) < 0.05 and abs(_np(t).std() - 2.0) < 0.05
    init.constant_(t, 0.3)
    assert np.all(_np(t) == np.float32(0.3))
    init.ones_(t)
    assert np.all(_np(t) == 1)
    init.zeros_(t)
    assert not _np(t).any()


def test_init_runs_under_no_grad_on_parameters():
    p = nn.Parameter(dpt.empty(3, 4))
    init.normal_(p)
    init.xavier_uniform_(p)
    assert p.requires_grad and p.grad_fn is None


def test_generator_reproducibility():
    a, b = dpt.empty(5, 5), dpt.empty(5, 5)
    init.kaiming_normal_(a, generator=dpt.Generator().manual_seed(3))
    init.kaiming_normal_(b, generator=dpt.Generator().manual_seed(3))
    np.testing.assert_array_equal(_np(a), _np(b))


def test_xavier():
    t = dpt.empty(300, 200)
    bound = math.sqrt(6 / 500) * 2.0
    init.xavier_uniform_(t, gain=2.0)
    assert np.abs(_np(t)).max() <= bound and np.abs(_np(t)).max() > 0.95 * bound
    init.xavier_normal_(t)
    assert abs(_np(t).std() - math.sqrt(2 / 500)) < 0.003


def test_kaiming():
    t = dpt.empty(400, 100)
    init.kaiming_uniform_(t, a=0, nonlinearity="relu")
    bound = math.sqrt(2) * math.sqrt(3 / 100)
    assert np.abs(_np(t)).max() <= bound and np.abs(_np(t)).max() > 0.95 * bound
    init.kaiming_normal_(t, mode="fan_out", nonlinearity="relu")
    assert abs(_np(t).std() - math.sqrt(2 / 400)) < 0.003
    with pytest.raises(ValueError, match="Mode fan_avg not supported"):
        init.kaiming_uniform_(t, mode="fan_avg")
    with pytest.warns(UserWarning, match="Initializing zero-element tensors is a no-op"):
        init.kaiming_uniform_(dpt.empty(0, 3))


def test_trunc_normal():
    t = dpt.empty(100, 100)
    init.trunc_normal_(t, mean=1.0, std=2.0, a=-1.0, b=4.0)
    a = _np(t)
    assert a.min() >= -1.0 and a.max() <= 4.0
    # the mean of N(1, 2^2) truncated to [-1, 4]: mu + sigma (phi(alpha) - phi(beta)) / Z
    alpha, beta = -1.0, 1.5
    phi = lambda z: math.exp(-z * z / 2) / math.sqrt(2 * math.pi)  # noqa: E731
    cdf = lambda z: 0.5 * (1 + math.erf(z / math.sqrt(2)))  # noqa: E731
    expected = 1.0 + 2.0 * (phi(alpha) - phi(beta)) / (cdf(beta) - cdf(alpha))
    assert abs(a.mean() - expected) < 0.05


def test_eye_and_dirac():
    t = dpt.empty(3, 5)
    init.eye_(t)
    np.testing.assert_array_equal(_np(t), np.eye(3, 5))
    with pytest.raises(ValueError, match="Only tensors with 2 dimensions are supported"):
        init.eye_(dpt.empty(3))
    w = dpt.empty(4, 2, 3, 3)
    init.dirac_(w, groups=2)
    a = _np(w)
    assert a.sum() == 4 and a[0, 0, 1, 1] == 1 and a[1, 1, 1, 1] == 1 and a[2, 0, 1, 1] == 1
    k = dpt.empty(3, 3, 3)
    init.dirac_(k)
    expected = np.zeros((3, 3, 3))
    expected[:, :, 1] = np.eye(3)  # out channel o copies in channel o at the kernel centre
    np.testing.assert_array_equal(_np(k), expected)
    with pytest.raises(ValueError, match="Only tensors with 3, 4, or 5 dimensions are supported"):
        init.dirac_(dpt.empty(2, 2))
    with pytest.raises(ValueError, match="dim 0 must be divisible by groups"):
        init.dirac_(dpt.empty(3, 1, 1), groups=2)


def test_orthogonal():
    for shape in [(4, 6), (6, 4), (3, 2, 2)]:
        t = dpt.empty(*shape)
        init.orthogonal_(t, gain=2.0)
        m = _np(t).reshape(shape[0], -1).astype(np.float64)
        if m.shape[0] <= m.shape[1]:
            np.testing.assert_allclose(m @ m.T, 4 * np.eye(m.shape[0]), atol=1e-5)
        else:
            np.testing.assert_allclose(m.T @ m, 4 * np.eye(m.shape[1]), atol=1e-5)
    with pytest.raises(ValueError, match="Only tensors with 2 or more dimensions"):
        init.orthogonal_(dpt.empty(3))


def test_sparse():
    t = dpt.empty(10, 6)
    init.sparse_(t, sparsity=0.3, std=0.5)
    zeros_per_col = (_np(t) == 0).sum(0)
    assert np.all(zeros_per_col >= 3)
    with pytest.raises(ValueError, match="Only tensors with 2 dimensions are supported"):
        init.sparse_(dpt.empty(2, 2, 2), 0.1)


def test_deprecated_aliases_warn():
    with pytest.warns(FutureWarning, match="nn.init.uniform_"):
        init.uniform(dpt.empty(2))
