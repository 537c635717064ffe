"""dpt.amp: autocast's recorded state and GradScaler's loss-scaling algorithm."""
import numpy as np
import pytest

import dpt
from dpt.amp import GradScaler, autocast


def test_autocast_state_and_arguments():
    assert not dpt.is_autocast_enabled("cpu")
    with dpt.autocast("cpu", dtype=dpt.bfloat16):
        assert dpt.is_autocast_enabled("cpu") and dpt.get_autocast_dtype("cpu") is dpt.bfloat16
        with autocast("cpu", enabled=False):
            assert not dpt.is_autocast_enabled("cpu")
        assert dpt.is_autocast_enabled("cpu")
        x = dpt.ones(2, 2)
        assert (x @ x).dtype is dpt.float32  # documented deviation: no casting
    assert not dpt.is_autocast_enabled("cpu")
    with pytest.warns(UserWarning, match="not supported"):
        with autocast("cpu", dtype=dpt.float64) as ac:
            assert not dpt.is_autocast_enabled("cpu") and ac is not None
    with pytest.raises(RuntimeError, match="unsupported autocast device_type"):
        autocast("tpu")

    @autocast("cuda")
    def f():
        return dpt.is_autocast_enabled("cuda"), dpt.get_autocast_dtype("cuda")

    assert f() == (True, dpt.float16) and not dpt.is_autocast_enabled()


def _setup(scale=4.0, **kw):
    w = dpt.nn.Parameter(dpt.tensor([1.0, -2.0]))
    opt = dpt.optim.SGD([w], lr=0.1)
    return w, opt, GradScaler("cpu", init_scale=scale, **kw)


def test_gradscaler_scales_unscales_and_steps():
    w, opt, scaler = _setup(growth_interval=2)
    loss = (w * w).sum()
    scaled = scaler.scale(loss)
    assert scaled.item() == pytest.approx(4 * loss.item())
    scaled.backward()
    assert w.grad.tolist() == [8.0, -16.0]
    scaler.unscale_(opt)
    assert w.grad.tolist() == [2.0, -4.0]
    with pytest.raises(RuntimeError, match="already been called"):
        scaler.unscale_(opt)
    scaler.step(opt)
    assert np.allclose(w.detach().numpy(), [0.8, -1.6])
    scaler.update()
    assert scaler.get_scale() == 4.0
    for _ in range(2):
        opt.zero_grad()
        scaler.scale((w * w).sum()).backward()
        scaler.step(opt)
        scaler.update()
    assert scaler.get_scale() == 8.0  # grew after growth_interval clean steps


def test_gradscaler_skips_inf_steps_and_backs_off():
    w, opt, scaler = _setup(scale=2.0 ** 10)
    before = w.detach().numpy().copy()
    w.grad = dpt.tensor([float("inf"), 1.0])
    assert scaler.step(opt) is None
    assert np.array_equal(w.detach().numpy(), before)
    scaler.update()
    assert scaler.get_scale() == 2.0 ** 9
    state = scaler.state_dict()
    other = GradScaler("cpu")
    other.load_state_dict(state)
    assert other.get_scale() == 2.0 ** 9


def test_gradscaler_disabled_is_a_pass_through():
    w, opt, _ = _setup()
    scaler = GradScaler("cpu", enabled=False)
    loss = (w * w).sum()
    assert scaler.scale(loss) is loss
    loss.backward()
    scaler.unscale_(opt)
    scaler.step(opt)
    scaler.update()
    assert np.allclose(w.detach().numpy(), [0.8, -1.6]) and scaler.get_scale() == 1.0
    assert scaler.state_dict() == {} and not scaler.is_enabled()
    if not dpt.cuda.is_available():
        with pytest.warns(UserWarning, match="CUDA is not available"):
            assert not GradScaler().is_enabled()
