"""dpt.amp: autocast (state, casting policies, custom_fwd/bwd) and GradScaler's loss scaling."""
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
        assert (x @ x).dtype is dpt.bfloat16
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


def test_autocast_casts_by_policy_and_gradients_keep_the_parameter_dtype():
    F = dpt.nn.functional
    x = dpt.randn(4, 6, requires_grad=True)
    w = dpt.randn(5, 6, requires_grad=True)
    img, k = dpt.randn(1, 3, 5, 5), dpt.randn(2, 3, 3, 3)
    with autocast("cpu"):
        y = F.linear(x, w)
        assert y.dtype is dpt.bfloat16
        assert (x @ w.T).dtype is dpt.bfloat16 and dpt.bmm(x[None], w.T[None]).dtype is dpt.bfloat16
        assert F.conv2d(img, k).dtype is dpt.bfloat16
        assert dpt.mv(x, x[0]).dtype is dpt.float32  # CUDA's list only, as in torch
        assert (y + x[:, :5]).dtype is dpt.float32  # ops outside the lists promote as usual
        assert F.linear(x.double(), w.double()).dtype is dpt.float64  # float64 never cast
        with autocast("cpu", enabled=False):
            assert F.linear(x, w).dtype is dpt.float32
        with autocast("cpu", dtype=dpt.float16):
            assert F.linear(x, w).dtype is dpt.float16
        loss = y.float().pow(2).sum()
    loss.backward()  # outside the region, as torch recommends
    assert x.grad.dtype is w.grad.dtype is dpt.float32
    with dpt.no_grad():
        ref = 2 * (x.bfloat16() @ w.bfloat16().T).float() @ w.bfloat16().float()
    np.testing.assert_allclose(x.grad.numpy(), ref.numpy(), rtol=0.05, atol=0.05)
    with autocast("cuda"):  # another device type's region leaves CPU tensors alone
        assert F.linear(x, w).dtype is dpt.float32


def test_backward_inside_a_region_runs_in_the_forward_dtypes():
    x = dpt.randn(3, 4, requires_grad=True)
    with autocast("cpu"):
        (x @ x.T).float().sum().backward()
    assert x.grad.dtype is dpt.float32


def test_custom_fwd_and_bwd():
    seen = {}

    class Square(dpt.autograd.Function):
        @staticmethod
        @dpt.amp.custom_fwd(device_type="cpu", cast_inputs=dpt.float32)
        def forward(ctx, a, b):
            seen["fwd"] = (a.dtype, dpt.is_autocast_enabled("cpu"))
            ctx.save_for_backward(a, b)
            return a @ b

        @staticmethod
        @dpt.amp.custom_bwd(device_type="cpu")
        def backward(ctx, g):
            seen["bwd"] = dpt.is_autocast_enabled("cpu")
            a, b = ctx.saved_tensors
            return g @ b.T, a.T @ g

    a = dpt.randn(2, 3, dtype=dpt.bfloat16, requires_grad=True)
    b = dpt.randn(3, 2, requires_grad=True)
    with autocast("cpu"):
        out = Square.apply(a, b)
    assert out.dtype is dpt.float32 and seen["fwd"] == (dpt.float32, False)
    out.sum().backward()
    assert seen["bwd"] is False and a.grad.dtype is dpt.bfloat16


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


@pytest.mark.cuda
def test_cuda_lists_cast_on_cuda_tensors_only():
    F = dpt.nn.functional
    x = dpt.randn(4, 6, device="cuda", requires_grad=True)
    w = dpt.randn(5, 6, device="cuda", requires_grad=True)
    with autocast("cuda"):
        y = F.linear(x, w)
        assert y.dtype is dpt.float16
        for out in (y.sum(), y.sum(1), y.cumsum(1), F.softmax(y, 1), F.log_softmax(y, 1),
                    y.exp(), F.layer_norm(y, (5,)), F.group_norm(y[:, :4, None], 2),
                    F.cross_entropy(y, dpt.zeros(4, dtype=dpt.int64, device="cuda"))):
            assert out.dtype is dpt.float32
        assert dpt.mv(x, x[0]).dtype is dpt.float16  # on CUDA's list only
        y.float().sum().backward()
    assert x.grad.dtype is w.grad.dtype is dpt.float32
    xc = dpt.randn(4, 6)
    with autocast("cpu"):
        assert xc.bfloat16().sum().dtype is dpt.bfloat16  # the CPU list leaves sums alone


@pytest.mark.cuda
def test_bfloat16_on_cuda_is_a_clear_error():
    with pytest.raises(RuntimeError, match="bfloat16 on CUDA"):
        autocast("cuda", dtype=dpt.bfloat16)
    with pytest.raises(RuntimeError, match="bfloat16 on CUDA"):
        dpt.ones(2, device="cuda").bfloat16()
    with pytest.raises(RuntimeError, match="bfloat16 on CUDA"):
        dpt.ones(2, dtype=dpt.bfloat16).cuda()
