"""Dropout, Dropout1d/2d/3d, AlphaDropout, FeatureAlphaDropout."""
import numpy as np
import pytest

import dpt
import dpt.nn as nn
import dpt.nn.functional as F
from tests.helpers import assert_close, leaf, randn

SELU_A, SELU_S = 1.6732632423543772, 1.0507009873554805


def test_dropout_scales_kept_values_and_zeroes_the_rest():
    x = randn(50, 40) + 5  # no zeros of its own
    out = F.dropout(dpt.tensor(x), 0.3).numpy()
    kept = out != 0
    assert_close(out[kept], x[kept] / 0.7, rtol=1e-12)
    assert abs(1 - kept.mean() - 0.3) < 0.03


def test_dropout_gradient_is_the_scaled_mask():
    x = leaf(randn(20, 10) + 5)
    out = F.dropout(x, 0.5)
    out.sum().backward()
    mask = out.detach().numpy() != 0
    assert_close(x.grad, mask * 2.0)


def test_dropout_reproducible_with_manual_seed():
    x = dpt.ones(100)
    dpt.manual_seed(7)
    a = F.dropout(x, 0.5).numpy()
    dpt.manual_seed(7)
    b = nn.Dropout(0.5)(x).numpy()
    assert np.array_equal(a, b)
    assert not np.array_equal(a, F.dropout(x, 0.5).numpy())


def test_dropout_eval_training_flag_and_edge_probabilities():
    x = dpt.tensor(randn(4, 5))
    m = nn.Dropout(0.9)
    m.eval()
    assert_close(m(x), x.numpy())
    assert_close(F.dropout(x, 0.5, training=False), x.numpy())
    assert_close(F.dropout(x, 0.0), x.numpy())
    assert np.all(F.dropout(x, 1.0).numpy() == 0)
    assert F.dropout(dpt.zeros(0, 3), 0.5).shape == (0, 3)
    f32 = F.dropout(dpt.ones(3, dtype=dpt.float32), 0.5)
    assert f32.dtype == dpt.float32


def test_dropout_inplace_writes_into_input():
    x = dpt.tensor(randn(10, 10) + 5)
    out = F.dropout(x, 0.5, inplace=True)
    assert out is x
    assert (x.numpy() == 0).any()
    y = dpt.tensor(randn(10, 10) + 5)
    assert nn.Dropout(0.5, inplace=True)(y) is y


def test_dropout_probability_validation_and_repr():
    for bad in (-0.1, 1.5):
        with pytest.raises(ValueError, match="dropout probability has to be between 0 and 1, "
                                             f"but got {bad}"):
            F.dropout(dpt.ones(2), bad)
        with pytest.raises(ValueError, match="dropout probability has to be between 0 and 1"):
            nn.Dropout2d(bad)
    assert repr(nn.Dropout()) == "Dropout(p=0.5, inplace=False)"
    assert repr(nn.Dropout2d(0.2, True)) == "Dropout2d(p=0.2, inplace=True)"
    assert repr(nn.AlphaDropout(0.1)) == "AlphaDropout(p=0.1, inplace=False)"


def _channels_constant(out, x, lead):
    """Every channel is either all zero or all x / (1 - p)."""
    o = out.reshape(lead + (-1,))
    z = (o == 0).all(-1)
    k = np.isclose(o, x.reshape(lead + (-1,)) * 2).all(-1)
    return np.all(z | k)


def test_channel_dropout_drops_whole_channels():
    x = np.abs(randn(4, 6, 3, 5)) + 1
    out = F.dropout2d(dpt.tensor(x), 0.5).numpy()
    assert _channels_constant(out, x, (4, 6))
    x3 = np.abs(randn(2, 4, 2, 3, 2)) + 1
    assert _channels_constant(nn.Dropout3d()(dpt.tensor(x3)).numpy(), x3, (2, 4))
    x1 = np.abs(randn(3, 5, 7)) + 1
    assert _channels_constant(nn.Dropout1d()(dpt.tensor(x1)).numpy(), x1, (3, 5))
    xu = np.abs(randn(5, 7)) + 1  # unbatched (C, L)
    assert _channels_constant(F.dropout1d(dpt.tensor(xu), 0.5).numpy(), xu, (5,))


def test_channel_dropout_errors_and_warnings():
    with pytest.raises(RuntimeError, match="dropout1d: Expected 2D or 3D input, but received a "
                                           "4D input"):
        F.dropout1d(dpt.ones(1, 2, 3, 4))
    with pytest.warns(UserWarning, match="Received a 3D input to dropout2d"):
        F.dropout2d(dpt.ones(2, 3, 4))
    with pytest.warns(UserWarning, match="Received a 2-D input to dropout3d"):
        F.dropout3d(dpt.ones(2, 3))
    m = nn.Dropout2d()
    m.eval()
    x = dpt.ones(2, 3, 4, 4)
    assert_close(m(x), np.ones((2, 3, 4, 4)))


def test_alpha_dropout_keeps_selu_statistics():
    rng = np.random.default_rng(0)
    x = rng.standard_normal(40000)
    out = F.alpha_dropout(dpt.tensor(x), 0.2, training=True).numpy()
    assert abs(out.mean()) < 0.03 and abs(out.std() - 1) < 0.03
    # dropped units all share one value: SELU's saturation after the affine correction
    a = 1 / np.sqrt((SELU_A * SELU_S) ** 2 * 0.2 + 1) / np.sqrt(0.8)
    dropped = a * (-SELU_A * SELU_S) + a * SELU_A * SELU_S * 0.2
    kept = ~np.isclose(out, dropped)
    assert abs(1 - kept.mean() - 0.2) < 0.02
    assert_close(out[kept], a * x[kept] + a * SELU_A * SELU_S * 0.2, rtol=1e-10)


def test_alpha_dropout_defaults_eval_and_gradient():
    x = dpt.tensor(randn(3, 4))
    assert_close(F.alpha_dropout(x, 0.5), x.numpy())  # training=False by default
    m = nn.AlphaDropout(0.5)
    m.eval()
    assert_close(m(x), x.numpy())
    xl = leaf(randn(30, 4))
    out = nn.AlphaDropout(0.5)(xl)
    out.sum().backward()
    g = xl.grad.numpy()
    a = 1 / np.sqrt((SELU_A * SELU_S) ** 2 * 0.5 + 1) / np.sqrt(0.5)
    assert set(np.unique(np.round(g, 12))) <= {0.0, round(a, 12)}


def test_feature_alpha_dropout_is_channel_wise():
    x = np.zeros((4, 8, 5))
    out = nn.FeatureAlphaDropout(0.5)(dpt.tensor(x)).numpy()
    assert np.all(out.std(-1) < 1e-12)  # one value per channel
    assert len(np.unique(np.round(out, 10))) == 2
    with pytest.raises(RuntimeError, match="Feature dropout requires at least 2 dimensions"):
        F.feature_alpha_dropout(dpt.ones(3), 0.5, training=True)


def test_dropout_train_eval_toggle_in_a_model():
    model = nn.Sequential(nn.Linear(4, 4), nn.Dropout(0.99))
    x = dpt.ones(2, 4)
    model.eval()
    a, b = model(x).detach().numpy(), model(x).detach().numpy()
    assert np.array_equal(a, b)
    model.train()
    assert (model(x).detach().numpy() == 0).mean() > 0.5


def test_dropout_on_device(device):
    x = dpt.ones(200, device=device)
    out = F.dropout(x, 0.5)
    assert out.device == x.device
    vals = set(np.unique(out.cpu().numpy()).tolist())
    assert vals <= {0.0, 2.0}
