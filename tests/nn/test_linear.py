"""Identity, Linear, Bilinear, Flatten, Unflatten and F.linear / F.bilinear."""
import math

import numpy as np
import pytest

import dpt
import dpt.nn as nn
import dpt.nn.functional as F
from tests.helpers import assert_close, check_gradients, leaf, randn


# -- F.linear ------------------------------------------------------------------------------
def test_linear_forward_matches_numpy(device):
    x, w, b = randn(4, 3), randn(5, 3, seed=1), randn(5, seed=2)
    out = F.linear(leaf(x, False, device), leaf(w, False, device), leaf(b, False, device))
    assert_close(out, x @ w.T + b)
    out = F.linear(leaf(x, False, device), leaf(w, False, device))
    assert_close(out, x @ w.T)


def test_linear_batched_and_1d_inputs():
    x, w, b = randn(2, 3, 4), randn(5, 4, seed=1), randn(5, seed=2)
    assert_close(F.linear(leaf(x, False), leaf(w, False), leaf(b, False)), x @ w.T + b)
    v = randn(4)
    assert_close(F.linear(leaf(v, False), leaf(w, False), leaf(b, False)), v @ w.T + b)
    empty = np.zeros((0, 4))
    assert F.linear(leaf(empty, False), leaf(w, False)).shape == (0, 5)


def test_linear_gradcheck():
    check_gradients(F.linear, randn(3, 2), randn(4, 2, seed=1), randn(4, seed=2), gradgrad=True)
    check_gradients(F.linear, randn(2, 3, 2), randn(4, 2, seed=1))
    check_gradients(F.linear, randn(2), randn(3, 2, seed=1), randn(3, seed=2))


def test_linear_gradients_by_hand():
    x, w, b = leaf(randn(3, 2)), leaf(randn(4, 2, seed=1)), leaf(randn(4, seed=2))
    gy = randn(3, 4, seed=3)
    F.linear(x, w, b).backward(dpt.tensor(gy))
    assert_close(x.grad, gy @ w.detach().numpy())
    assert_close(w.grad, gy.T @ x.detach().numpy())
    assert_close(b.grad, gy.sum(0))


def test_linear_float32_and_noncontiguous():
    x = dpt.rand(6, 4)[::2]
    w = dpt.rand(4, 3).t()  # a transposed (non-contiguous) weight
    out = F.linear(x, w)
    assert out.dtype == dpt.float32
    assert_close(out, x.numpy() @ w.numpy().T, rtol=1e-5, atol=1e-6)


def test_linear_errors_name_shapes():
    lin = nn.Linear(3, 4)
    with pytest.raises(RuntimeError, match=r"mat1 and mat2 shapes cannot be multiplied \(2x5 and 3x4\)"):
        lin(dpt.zeros(2, 5))
    with pytest.raises(RuntimeError, match=r"\(14x5 and 3x4\)"):
        lin(dpt.zeros(2, 7, 5))
    with pytest.raises(RuntimeError, match="mat1 and mat2 must have the same dtype"):
        lin(dpt.zeros(2, 3, dtype=dpt.float64))
    with pytest.raises(RuntimeError, match="at least 1D"):
        F.linear(dpt.tensor(1.0), lin.weight)
    with pytest.raises(RuntimeError, match="bias of shape"):
        F.linear(dpt.zeros(2, 3), lin.weight, dpt.zeros(3))
    with pytest.raises(TypeError, match="must be Tensors"):
        F.linear(np.zeros((2, 3)), lin.weight)


# -- Linear module ---------------------------------------------------------------------------
def test_linear_module_defaults_and_init_bounds():
    lin = nn.Linear(50, 20)
    assert lin.weight.shape == (20, 50) and lin.bias.shape == (20,)
    assert lin.weight.dtype == dpt.float32 and lin.weight.requires_grad
    bound = 1 / math.sqrt(50)  # kaiming_uniform_(a=sqrt(5)) gives U(-1/sqrt(fan_in), ...)
    w, b = lin.weight.detach().numpy(), lin.bias.detach().numpy()
    assert np.abs(w).max() <= bound and np.abs(b).max() <= bound
    assert np.abs(w).max() > 0.8 * bound  # the full range is used
    assert abs(w.std() - bound / math.sqrt(3)) < 0.02
    assert repr(lin) == "Linear(in_features=50, out_features=20, bias=True)"
    nob = nn.Linear(3, 2, bias=False)
    assert nob.bias is None and [n for n, _ in nob.named_parameters()] == ["weight"]
    assert repr(nob) == "Linear(in_features=3, out_features=2, bias=False)"
    d = nn.Linear(2, 2, dtype=dpt.float64)
    assert d.weight.dtype == dpt.float64 and d(dpt.zeros(1, 2, dtype=dpt.float64)).dtype == dpt.float64


def test_linear_module_forward_and_backward():
    lin = nn.Linear(3, 2)
    x = dpt.rand(4, 3)
    y = lin(x)
    assert_close(y, x.numpy() @ lin.weight.detach().numpy().T + lin.bias.detach().numpy(),
                 rtol=1e-5, atol=1e-6)
    y.sum().backward()
    assert_close(lin.bias.grad, [4.0, 4.0])
    assert_close(lin.weight.grad, np.tile(x.numpy().sum(0), (2, 1)), rtol=1e-5)


def test_linear_on_device(device):
    lin = nn.Linear(3, 2).to(device)
    out = lin(dpt.ones(2, 3, device=device))
    assert out.device.type == device.split(":")[0]
    out.sum().backward()
    assert lin.weight.grad.device.type == device.split(":")[0]


# -- Bilinear ---------------------------------------------------------------------------------
def test_bilinear_matches_einsum_and_gradcheck():
    x1, x2 = randn(4, 3), randn(4, 2, seed=1)
    w, b = randn(5, 3, 2, seed=2), randn(5, seed=3)
    out = F.bilinear(leaf(x1, False), leaf(x2, False), leaf(w, False), leaf(b, False))
    assert_close(out, np.einsum("ni,oij,nj->no", x1, w, x2) + b)
    check_gradients(F.bilinear, randn(2, 3), randn(2, 2, seed=1), randn(2, 3, 2, seed=2),
                    randn(2, seed=3))
    batched = F.bilinear(leaf(randn(2, 3, 3), False), leaf(randn(2, 3, 2), False), leaf(w, False))
    assert batched.shape == (2, 3, 5)


def test_bilinear_module_and_errors():
    m = nn.Bilinear(3, 2, 4)
    assert m.weight.shape == (4, 3, 2) and m.bias.shape == (4,)
    bound = 1 / math.sqrt(3)
    assert np.abs(m.weight.detach().numpy()).max() <= bound
    assert repr(m) == "Bilinear(in1_features=3, in2_features=2, out_features=4, bias=True)"
    assert m(dpt.rand(5, 3), dpt.rand(5, 2)).shape == (5, 4)
    with pytest.raises(RuntimeError, match="input1 size does not match weight size: got 2 but expected 3"):
        m(dpt.rand(5, 2), dpt.rand(5, 2))
    with pytest.raises(RuntimeError, match="input batch dimensions do not match"):
        m(dpt.rand(5, 3), dpt.rand(4, 2))


# -- Identity, Flatten, Unflatten --------------------------------------------------------------
def test_identity():
    x = dpt.rand(2)
    assert nn.Identity(54, unused="x")(x) is x
    assert repr(nn.Identity()) == "Identity()"


def test_flatten_unflatten():
    x = dpt.rand(2, 3, 4, 5)
    assert nn.Flatten()(x).shape == (2, 60)
    assert nn.Flatten(0, 2)(x).shape == (24, 5)
    assert repr(nn.Flatten()) == "Flatten(start_dim=1, end_dim=-1)"
    u = nn.Unflatten(1, (2, 30))
    y = u(nn.Flatten()(x))
    assert y.shape == (2, 2, 30)
    assert_close(y, x.numpy().reshape(2, 2, 30))
    assert nn.Unflatten(-1, (-1, 5))(dpt.rand(3, 20)).shape == (3, 4, 5)
    assert repr(u) == "Unflatten(dim=1, unflattened_size=(2, 30))"
    with pytest.raises(RuntimeError, match="don't multiply up to the size of dim 1"):
        nn.Unflatten(1, (7, 2))(dpt.rand(2, 12))
    with pytest.raises(TypeError, match="unflattened_size must be tuple of ints"):
        nn.Unflatten(1, 3)
    check_gradients(lambda t: nn.Unflatten(1, (2, 3))(nn.Flatten()(t)), randn(2, 3, 2))
