"""torch's smaller top-level names and Tensor methods (dpt/_top_level.py, dpt/_flags.py,
dpt/_nn_aliases.py, dpt/_tensor_methods.py) against torch."""
import math
import pickle
import warnings

import numpy as np
import pytest

import dpt
from tests.helpers import assert_close, check_gradients, randn

torch = pytest.importorskip("torch")


def _t(a):
    return torch.tensor(np.asarray(a))


def _d(a):
    return dpt.tensor(np.asarray(a))


# -- constants and predicates ------------------------------------------------------------------
def test_constants_match_torch():
    for name in ("pi", "e", "inf"):
        assert getattr(dpt, name) == getattr(torch, name)
    assert math.isnan(dpt.nan) and dpt.newaxis is None is torch.newaxis
    assert dpt.zeros(2, 3)[dpt.newaxis].shape == (1, 2, 3)


def test_predicates():
    x, tx = dpt.randn(2, 3), torch.randn(2, 3)
    for name in ("is_inference", "is_neg", "is_distributed", "get_device"):
        assert getattr(dpt, name)(x) == getattr(torch, name)(tx)
    for name in ("is_inference", "is_neg", "is_distributed"):
        assert getattr(x, name)() == getattr(tx, name)()
    with dpt.inference_mode():
        assert dpt.is_inference(dpt.ones(1)) is False  # documented deviation
    with pytest.raises(TypeError, match="is_neg"):
        dpt.is_neg([1.0])


def test_detach_and_index_put_():
    x = dpt.ones(3, requires_grad=True) * 2
    assert dpt.detach_(x) is x and not x.requires_grad and x.grad_fn is None
    a, ta = dpt.zeros(5), torch.zeros(5)
    idx = ([0, 2, 2],)
    dpt.index_put_(a, tuple(_d(i) for i in idx), dpt.tensor([1.0, 2.0, 3.0]), accumulate=True)
    torch.index_put_(ta, tuple(_t(i) for i in idx), torch.tensor([1.0, 2.0, 3.0]),
                     accumulate=True)
    assert_close(a, ta.numpy())


# -- switches ----------------------------------------------------------------------------------
def test_warn_always_and_flush_denormal():
    assert dpt.is_warn_always_enabled() is False
    dpt.set_warn_always(True)
    try:
        assert dpt.is_warn_always_enabled() is True
    finally:
        dpt.set_warn_always(False)
    assert dpt.set_flush_denormal(False) is False  # numpy cannot switch the CPU mode


@pytest.mark.parametrize("mode", ["default", "warn", "error", 0, 1, 2])
def test_deterministic_debug_mode_like_torch(mode):
    try:
        torch.set_deterministic_debug_mode(mode)
        dpt.set_deterministic_debug_mode(mode)
        assert dpt.get_deterministic_debug_mode() == torch.get_deterministic_debug_mode()
        assert dpt.are_deterministic_algorithms_enabled() == \
            torch.are_deterministic_algorithms_enabled()
        assert dpt.is_deterministic_algorithms_warn_only_enabled() == \
            torch.is_deterministic_algorithms_warn_only_enabled()
    finally:
        torch.set_deterministic_debug_mode(0)
        dpt.set_deterministic_debug_mode(0)


def test_deterministic_debug_mode_errors():
    with pytest.raises(RuntimeError, match="expected one of `default`, `warn`, `error`"):
        dpt.set_deterministic_debug_mode("loud")
    with pytest.raises(RuntimeError, match="expected 0, 1, or 2"):
        dpt.set_deterministic_debug_mode(3)
    with pytest.raises(TypeError):
        dpt.set_deterministic_debug_mode(1.0)


def test_autocast_setters_reach_amp_state():
    assert dpt.is_autocast_cpu_enabled() is False
    assert dpt.get_autocast_cpu_dtype() is dpt.bfloat16
    assert dpt.get_autocast_gpu_dtype() is dpt.float16
    with dpt.autocast("cpu"):
        assert dpt.is_autocast_cpu_enabled() and dpt.is_autocast_enabled("cpu")
    dpt.set_autocast_cpu_dtype(dpt.float16)
    try:
        with dpt.autocast("cpu"):  # the region takes the set dtype, as in torch
            assert dpt.get_autocast_dtype("cpu") is dpt.float16
            y = dpt.mm(dpt.randn(2, 2), dpt.randn(2, 2))
            assert y.dtype is dpt.float16
    finally:
        dpt.set_autocast_dtype("cpu", dpt.bfloat16)
    dpt.set_autocast_enabled("cpu", True)
    try:
        assert dpt.is_autocast_enabled("cpu")
        assert dpt.mm(dpt.randn(2, 2), dpt.randn(2, 2)).dtype is dpt.bfloat16
        with dpt.autocast("cpu", enabled=False):
            assert not dpt.is_autocast_cpu_enabled()
        assert dpt.is_autocast_cpu_enabled()
    finally:
        dpt.set_autocast_cpu_enabled(False)
    assert dpt.mm(dpt.randn(2, 2), dpt.randn(2, 2)).dtype is dpt.float32
    dpt.set_autocast_enabled(False)  # the old one-argument form is cuda's
    assert not dpt.is_autocast_enabled()
    with pytest.raises(RuntimeError, match="device_type"):
        dpt.set_autocast_enabled("tpu", True)
    assert dpt.autocast_increment_nesting() == 1 and dpt.autocast_decrement_nesting() == 0
    dpt.set_autocast_cache_enabled(False)
    assert dpt.is_autocast_cache_enabled() is False
    dpt.set_autocast_cache_enabled(True)
    dpt.clear_autocast_cache()


# -- anomaly detection -------------------------------------------------------------------------
def test_detect_anomaly_names_the_node_with_nan():
    x, tx = dpt.tensor([0.0, 1.0], requires_grad=True), torch.tensor([0.0, 1.0],
                                                                      requires_grad=True)
    with pytest.warns(UserWarning, match="Anomaly Detection has been enabled"):
        mode = dpt.autograd.detect_anomaly()
    with mode, pytest.raises(RuntimeError) as got, warnings.catch_warnings():
        warnings.simplefilter("ignore")
        assert dpt.is_anomaly_enabled() and dpt.is_anomaly_check_nan_enabled()
        (x.sqrt() * 0).sum().backward()
    with pytest.warns(UserWarning), torch.autograd.detect_anomaly(), \
            pytest.raises(RuntimeError) as want:
        (tx.sqrt() * 0).sum().backward()
    assert str(got.value) == str(want.value)  # Function 'SqrtBackward0' returned nan ...
    assert not dpt.is_anomaly_enabled()


def test_anomaly_without_check_nan_and_setters():
    x = dpt.tensor([0.0], requires_grad=True)
    with pytest.warns(UserWarning), dpt.autograd.detect_anomaly(check_nan=False):
        assert dpt.is_anomaly_enabled() and not dpt.is_anomaly_check_nan_enabled()
        with np.errstate(all="ignore"):
            (x.sqrt() * 0).sum().backward()
    assert math.isnan(x.grad.item())
    assert dpt.is_anomaly_check_nan_enabled() and not dpt.is_anomaly_enabled()
    with dpt.autograd.set_detect_anomaly(True):
        assert dpt.is_anomaly_enabled()
        with dpt.autograd.set_detect_anomaly(False):
            assert not dpt.is_anomaly_enabled()
        assert dpt.is_anomaly_enabled()
    assert not dpt.is_anomaly_enabled()
    dpt.set_anomaly_enabled(True, check_nan=False)
    try:
        assert dpt.is_anomaly_enabled() and not dpt.is_anomaly_check_nan_enabled()
    finally:
        dpt.set_anomaly_enabled(False)
    assert dpt.is_anomaly_check_nan_enabled()


def test_anomaly_shows_forward_stack_of_failing_backward():
    class Bad(dpt.autograd.Function):
        @staticmethod
        def forward(ctx, x):
            return x * 2

        @staticmethod
        def backward(ctx, g):
            raise ValueError("broken backward")

    x = dpt.ones(2, requires_grad=True)

    @dpt.autograd.detect_anomaly()
    def run():
        y = Bad.apply(x)  # the forward line the warning must show
        y.sum().backward()

    with warnings.catch_warnings(record=True) as caught, pytest.raises(ValueError):
        warnings.simplefilter("always")
        run()
    text = " ".join(str(w.message) for w in caught)
    assert "Error detected in BadBackward" in text and "Bad.apply(x)" in text
    assert not dpt.is_anomaly_enabled()


def test_anomaly_mode_keeps_gradients():
    a = randn(3, 4)
    x = dpt.tensor(a, requires_grad=True)
    with pytest.warns(UserWarning), dpt.autograd.detect_anomaly():
        (x.tanh() * x).sum().backward()
    assert_close(x.grad, np.tanh(a) + a * (1 - np.tanh(a) ** 2))


# -- losses and layers at the top level ---------------------------------------------------------
@pytest.mark.parametrize("reduction", [0, 1, 2])
def test_loss_aliases_match_torch(reduction):
    rng = np.random.default_rng(0)
    a, b, c = (rng.standard_normal((4, 5)) for _ in range(3))
    sign = np.sign(rng.standard_normal(4))
    pos = rng.random((4, 5))
    cases = [
        ("kl_div", (a, pos), {}),
        ("margin_ranking_loss", (a[:, 0], b[:, 0], sign), {"margin": 0.3}),
        ("cosine_embedding_loss", (a, b, sign), {"margin": 0.1}),
        ("hinge_embedding_loss", (a, np.sign(b)), {"margin": 0.5}),
        ("triplet_margin_loss", (a, b, c), {"margin": 0.5, "p": 2, "swap": True}),
        ("binary_cross_entropy_with_logits", (a, pos), {"pos_weight": np.full(5, 2.0)}),
    ]
    for name, args, kw in cases:
        dk = {k: (_d(v) if isinstance(v, np.ndarray) else v) for k, v in kw.items()}
        tk = {k: (_t(v) if isinstance(v, np.ndarray) else v) for k, v in kw.items()}
        got = getattr(dpt, name)(*map(_d, args), reduction=reduction, **dk)
        want = getattr(torch, name)(*map(_t, args), reduction=reduction, **tk)
        assert_close(got, want.numpy(), rtol=1e-10, atol=1e-12)
    got = dpt.poisson_nll_loss(_d(a), _d(pos), True, True, 1e-8, reduction)
    want = torch.poisson_nll_loss(_t(a), _t(pos), True, True, 1e-8, reduction)
    assert_close(got, want.numpy(), rtol=1e-10, atol=1e-12)


def test_loss_alias_gradients_and_errors():
    t = np.random.default_rng(1).random((3, 4))
    check_gradients(lambda x: dpt.kl_div(x, dpt.tensor(t), 2), randn(3, 4))
    check_gradients(lambda x, y: dpt.binary_cross_entropy_with_logits(x, y, None, None, 0),
                    randn(3, 4), t)
    with pytest.raises(ValueError, match="reduction"):
        dpt.kl_div(dpt.randn(2), dpt.rand(2), 5)


def test_ctc_loss_alias():
    rng = np.random.default_rng(0)
    lp = torch.randn(6, 2, 4, dtype=torch.float64).log_softmax(2)
    tg = torch.tensor([[1, 2, 1], [3, 3, 0]])
    il, tl = [6, 5], [3, 2]
    want = torch.ctc_loss(lp, tg, il, tl, 0, 2, False)
    got = dpt.ctc_loss(dpt.tensor(lp.numpy()), dpt.tensor(tg.numpy()), il, tl, 0, 2, False)
    assert_close(got, want.numpy(), rtol=1e-8)
    del rng


def test_native_and_feature_dropout():
    x = dpt.ones(1000)
    out, mask = dpt.native_dropout(x, 0.3, True)
    assert mask.dtype is dpt.bool and out.shape == x.shape
    kept = mask.numpy()
    assert 0.6 < kept.mean() < 0.8
    assert_close(out, np.where(kept, 1 / 0.7, 0.0))
    out, mask = dpt.native_dropout(x, 0.3, False)
    assert mask.numpy().all() and np.array_equal(out.numpy(), x.numpy())
    tout, tmask = torch.native_dropout(torch.ones(3), 0.3, False)
    assert tmask.dtype is torch.bool and tmask.all()
    y = dpt.ones(50, 8, 3, 3)
    z = dpt.feature_dropout(y, 0.5, True).numpy()
    per_channel = z.reshape(50, 8, 9)
    assert np.all((per_channel == 0).all(-1) | (per_channel == 2.0).all(-1))
    assert dpt.feature_dropout(y, 0.5, False) is y
    w = dpt.ones(4, 6)
    assert dpt.feature_dropout_(w, 0.5, True) is w
    with pytest.raises(RuntimeError, match="2 dimensions"):
        dpt.feature_dropout(dpt.ones(3), 0.5, True)


def test_rms_norm_and_convolution_match_torch():
    a, w = randn(2, 3, 4), randn(4, seed=1)
    assert_close(dpt.rms_norm(_d(a), [4], _d(w), 1e-6),
                 torch.rms_norm(_t(a), [4], _t(w), 1e-6).numpy(), rtol=1e-12)
    x, k, b = randn(2, 4, 7, 7), randn(6, 2, 3, 3, seed=1), randn(6, seed=2)
    args = ((2, 1), (1, 0), (1, 2), False, (0, 0), 2)
    assert_close(dpt.convolution(_d(x), _d(k), _d(b), *args),
                 torch.convolution(_t(x), _t(k), _t(b), *args).numpy(), rtol=1e-10)
    kt = randn(4, 3, 3, 3, seed=3)
    args = ((2, 2), (1, 1), (1, 1), True, (1, 0), 1)
    assert_close(dpt.convolution(_d(x), _d(kt), None, *args),
                 torch.convolution(_t(x), _t(kt), None, *args).numpy(), rtol=1e-10)
    x1, k1 = randn(2, 4, 9), randn(3, 4, 2, seed=4)
    args = ((1,), (0,), (2,), False, (0,), 1)
    assert_close(dpt.convolution(_d(x1), _d(k1), None, *args),
                 torch.convolution(_t(x1), _t(k1), None, *args).numpy(), rtol=1e-10)


def _cell_params(gates, inp, hid, seed=0):
    rng = np.random.default_rng(seed)
    return [rng.standard_normal(s) * 0.5 for s in
            [(gates * hid, inp), (gates * hid, hid), (gates * hid,), (gates * hid,)]]


@pytest.mark.parametrize("name,gates", [("rnn_tanh_cell", 1), ("rnn_relu_cell", 1),
                                        ("gru_cell", 3), ("lstm_cell", 4)])
def test_rnn_cells_match_torch(name, gates):
    x, h, c = randn(3, 5), randn(3, 4, seed=1), randn(3, 4, seed=2)
    params = _cell_params(gates, 5, 4)
    hd, ht = ((_d(h), _d(c)), (_t(h), _t(c))) if name == "lstm_cell" else (_d(h), _t(h))
    got = getattr(dpt, name)(_d(x), hd, *map(_d, params))
    want = getattr(torch, name)(_t(x), ht, *map(_t, params))
    for g, w in zip(got if isinstance(got, tuple) else (got,),
                    want if isinstance(want, tuple) else (want,)):
        assert_close(g, w.numpy(), rtol=1e-10, atol=1e-12)
    no_bias = getattr(dpt, name)(_d(x), hd, _d(params[0]), _d(params[1]))
    want = getattr(torch, name)(_t(x), ht, _t(params[0]), _t(params[1]))
    assert_close(no_bias[0] if isinstance(no_bias, tuple) else no_bias,
                 (want[0] if isinstance(want, tuple) else want).numpy(), rtol=1e-10)
    if name != "lstm_cell":
        check_gradients(lambda *a: getattr(dpt, name)(*a), x, h, *params)
    else:
        check_gradients(lambda x, h, c, *p: dpt.lstm_cell(x, (h, c), *p)[1], x, h, c, *params)


@pytest.mark.parametrize("name,gates", [("rnn_tanh", 1), ("rnn_relu", 1), ("gru", 3),
                                        ("lstm", 4)])
@pytest.mark.parametrize("bidirectional,batch_first", [(False, False), (True, True)])
def test_rnn_layers_match_torch(name, gates, bidirectional, batch_first):
    layers, dirs, inp, hid, T, B = 2, 2 if bidirectional else 1, 3, 4, 5, 2
    params = []
    for layer in range(layers):
        for d in range(dirs):
            params += _cell_params(gates, inp if layer == 0 else hid * dirs, hid,
                                   seed=layer * 2 + d)
    x = randn(B, T, inp) if batch_first else randn(T, B, inp)
    h0, c0 = randn(layers * dirs, B, hid, seed=7), randn(layers * dirs, B, hid, seed=8)
    dh = (_d(h0), _d(c0)) if name == "lstm" else _d(h0)
    th = (_t(h0), _t(c0)) if name == "lstm" else _t(h0)
    got = getattr(dpt, name)(_d(x), dh, [_d(p) for p in params], True, layers, 0.0, False,
                             bidirectional, batch_first)
    want = getattr(torch, name)(_t(x), th, [_t(p) for p in params], True, layers, 0.0, False,
                                bidirectional, batch_first)
    assert len(got) == len(want)
    for g, w in zip(got, want):
        assert_close(g, w.numpy(), rtol=1e-9, atol=1e-12)


# -- old linear algebra, views, copies ---------------------------------------------------------
def test_frobenius_and_nuclear_norm_match_torch():
    a = randn(3, 4, 5)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        assert_close(dpt.frobenius_norm(_d(a), (1, 2)),
                     torch.frobenius_norm(_t(a), (1, 2)).numpy(), rtol=1e-12)
        assert_close(dpt.frobenius_norm(_d(a), (0,), True),
                     torch.frobenius_norm(_t(a), (0,), True).numpy(), rtol=1e-12)
        assert_close(dpt.nuclear_norm(_d(a[0])), torch.nuclear_norm(_t(a[0])).numpy(),
                     rtol=1e-10)
        assert_close(dpt.nuclear_norm(_d(a[0]), True),
                     torch.nuclear_norm(_t(a[0]), True).numpy(), rtol=1e-10)
        assert_close(dpt.nuclear_norm(_d(a), (0, 2), keepdim=True),
                     torch.nuclear_norm(_t(a), (0, 2), keepdim=True).numpy(), rtol=1e-10)
        with pytest.raises(RuntimeError):
            dpt.nuclear_norm(_d(a))
    with pytest.warns(UserWarning, match="deprecated"):
        dpt.frobenius_norm(_d(a), (0, 1))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        check_gradients(lambda x: dpt.frobenius_norm(x, (0, 1)), randn(3, 4))


@pytest.mark.parametrize("name", ["matrix_rank", "lstsq", "solve", "eig", "symeig"])
def test_removed_linalg_spellings_raise_pointing_to_linalg(name):
    a = dpt.randn(3, 3)
    with pytest.raises(RuntimeError, match=f"dpt.{name} was removed.*dpt.linalg"):
        getattr(dpt, name)(a)
    if name != "matrix_rank":
        with pytest.raises(RuntimeError, match="removed"):
            getattr(a, name)(a)
        with pytest.raises(RuntimeError, match="removed"):
            getattr(torch.randn(3, 3), name)(torch.randn(3, 3))


def test_slice_inverse_is_a_view_of_the_base():
    for shape, args in [((5, 2), (0, 1, 3)), ((3, 4), (1, 1, 4, 2)), ((3, 4), (-1, None, 2))]:
        base, tbase = dpt.arange(float(np.prod(shape))).reshape(shape), \
            torch.arange(float(np.prod(shape))).reshape(shape)
        dim = args[0] % 2
        sl = base[(slice(None),) * dim + (slice(*args[1:]),)]
        tsl = tbase[(slice(None),) * dim + (slice(*args[1:]),)]
        got, want = dpt.slice_inverse(sl, base, *args), torch.slice_inverse(tsl, tbase, *args)
        assert_close(got, want.numpy())
        assert got.stride() == want.stride() and got.data_ptr() == base.data_ptr()
        assert sl.slice_inverse(base, *args).data_ptr() == base.data_ptr()


def test_split_variants_and_copies():
    a = randn(5, 6)
    for got, want in zip(dpt.unsafe_split_with_sizes(_d(a), [2, 3], 0),
                         torch.unsafe_split_with_sizes(_t(a), [2, 3], 0)):
        assert_close(got, want.numpy())
    assert len(_d(a).unsafe_split_with_sizes([1, 5], 1)) == 2
    for got, want in zip(dpt.split_copy(_d(a).t(), 2, 1), torch.split_copy(_t(a).t(), 2, 1)):
        assert_close(got, want.numpy())
        assert got.is_contiguous() and got.stride() == want.stride()
    for args in [(1, 1, None, 2), (0, -3), (1, 0, 100), (-1, 2, 4)]:
        got, want = dpt.slice_copy(_d(a), *args), torch.slice_copy(_t(a), *args)
        assert_close(got, want.numpy())
        assert got.is_contiguous() and got._base is None
    z = (randn(3, 2) + 0j).astype(np.complex128)
    z.imag = randn(3, 2, seed=3)
    got = dpt.view_as_real_copy(_d(z))
    assert_close(got, torch.view_as_real_copy(_t(z)).numpy())
    assert got._base is None
    back = dpt.view_as_complex_copy(got)
    assert np.array_equal(back.numpy(), z) and back._base is None
    x = dpt.tensor(a, requires_grad=True).t()
    got, want = dpt.detach_copy(x), torch.detach_copy(_t(a).t())
    assert not got.requires_grad and got.stride() == want.stride() and got._base is None
    assert_close(got, want.numpy())
    check_gradients(lambda x: dpt.slice_copy(x, 1, 1, None, 2), a, gradgrad=True)
    check_gradients(lambda x: dpt.split_copy(x, 4, 1)[1], a)


def test_from_file(tmp_path):
    path = tmp_path / "data.bin"
    np.arange(6, dtype=np.float32).tofile(path)
    got = dpt.from_file(str(path), size=4, dtype=dpt.float32)
    want = torch.from_file(str(path), size=4, dtype=torch.float32)
    assert_close(got, want.numpy()) and got.dtype is dpt.float32
    got[0] = 9.0  # a private copy: the file keeps its bytes
    assert np.fromfile(path, np.float32)[0] == 0.0
    shared = dpt.from_file(str(path), shared=True, size=6, dtype=dpt.float32)
    shared[1] = 7.0
    del shared
    assert np.fromfile(path, np.float32)[1] == 7.0
    with pytest.raises(RuntimeError, match="bytes"):
        dpt.from_file(str(path), size=100, dtype=dpt.float64)
    assert dpt.from_file(str(path), size=0).shape == (0,)


def test_to_dlpack_shares_memory():
    x = dpt.arange(6.0).reshape(2, 3)
    cap = dpt.to_dlpack(x)
    y = torch.from_dlpack(cap)
    assert y.tolist() == x.tolist()
    y[0, 0] = 5.0
    assert x[0, 0].item() == 5.0
    with pytest.raises(RuntimeError, match="require"):
        dpt.to_dlpack(dpt.ones(2, requires_grad=True))


def test_cond_and_while_loop_run_eagerly():
    x = dpt.tensor([1.0, 2.0], requires_grad=True)
    out = dpt.cond(x.sum() > 0, lambda v: v * 3, lambda v: v - 1, (x,))
    assert out.tolist() == [3.0, 6.0]
    out.sum().backward()
    assert x.grad.tolist() == [3.0, 3.0]
    assert dpt.cond(False, lambda: 1, lambda: 2) == 2
    tx = torch.tensor([1.0, 2.0])
    assert torch.cond(tx.sum() > 0, lambda v: v * 3, lambda v: v - 1, (tx,)).tolist() == \
        [3.0, 6.0]
    with pytest.raises(RuntimeError, match="single element"):
        dpt.cond(dpt.tensor([True, False]), lambda: 1, lambda: 2)
    got = dpt.while_loop(lambda i, v: i < 3, lambda i, v: (i + 1, v * 2),
                         (dpt.tensor(0), dpt.ones(2)))
    want = torch.while_loop(lambda i, v: i < 3, lambda i, v: (i + 1, v * 2),
                            (torch.tensor(0), torch.ones(2)))
    assert isinstance(got, tuple) and [g.tolist() for g in got] == [w.tolist() for w in want]
    with pytest.raises(RuntimeError, match="returned 2 values"):
        dpt.while_loop(lambda i: i < 3, lambda i: (i + 1, i), (dpt.tensor(0),))


# -- Tensor methods -----------------------------------------------------------------------------
ALIASES = ["absolute_", "arccos_", "arccosh_", "arcsin_", "arcsinh_", "arctan_", "arctanh_",
           "fix_", "negative_"]
BINARY_ALIASES = ["arctan2_", "greater_", "greater_equal_", "less_", "less_equal_",
                  "not_equal_"]


@pytest.mark.parametrize("name", ALIASES + BINARY_ALIASES)
def test_inplace_aliases_match_torch(name):
    a = np.random.default_rng(0).uniform(-0.9, 0.9, (3, 4))
    if name == "arccosh_":
        a = 1.5 + np.abs(a)
    b = np.round(a, 1)
    d, t = _d(a), _t(a)
    args_d, args_t = ((_d(b),), (_t(b),)) if name in BINARY_ALIASES else ((), ())
    assert getattr(d, name)(*args_d) is d
    getattr(t, name)(*args_t)
    assert_close(d, t.numpy(), rtol=1e-12)


def test_swapaxes_swapdims_inplace():
    for name in ("swapaxes_", "swapdims_"):
        d, t = dpt.arange(24.0).reshape(2, 3, 4), torch.arange(24.0).reshape(2, 3, 4)
        assert getattr(d, name)(0, -1) is d
        getattr(t, name)(0, -1)
        assert d.shape == t.shape and d.stride() == t.stride()
        assert_close(d, t.numpy())


def test_new_resize_and_subclass():
    x, tx = dpt.arange(6.0).reshape(2, 3), torch.arange(6.0).reshape(2, 3)
    for args in [(2,), ([1, 2],), (), (dpt.Size([2, 2]),)]:
        targs = tuple(torch.Size(a) if isinstance(a, dpt.Size) else a for a in args)
        got, want = x.new(*args), tx.new(*targs)
        assert got.shape == tuple(want.shape) and str(got.dtype)[4:] == str(want.dtype)[6:]
    assert x.new(x).data_ptr() == x.data_ptr()
    with pytest.warns(UserWarning, match="deprecated"):
        r = x.resize(3, 2)
    assert r.tolist() == tx.resize(3, 2).tolist()
    with pytest.warns(UserWarning):
        assert x.resize_as(dpt.ones(6)).shape == (6,)
    with pytest.warns(UserWarning), pytest.raises(RuntimeError, match="number of elements"):
        x.resize(4)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        check_gradients(lambda v: v.t().resize(6), randn(2, 3))

    class Sub(dpt.Tensor):
        pass

    y = x.as_subclass(Sub)
    assert type(y) is Sub and y.data_ptr() == x.data_ptr() and y.tolist() == x.tolist()
    with pytest.raises(TypeError, match="subclass"):
        x.as_subclass(int)
    assert x.is_set_to(x) and not x.is_set_to(x.t()) and not x.is_set_to(x.clone())
    assert x.const_data_ptr() == x.data_ptr()
    for v, tv in [(x, tx), (x.t(), tx.t()),
                  (dpt.empty(2, 3, 4, 5).contiguous(memory_format=dpt.channels_last),
                   torch.empty(2, 3, 4, 5).contiguous(memory_format=torch.channels_last))]:
        assert v.dim_order() == tv.dim_order()


def test_method_spellings_of_ops():
    a, b = randn(3), randn(4, seed=1)
    assert_close(_d(a).ger(_d(b)), _t(a).ger(_t(b)).numpy())
    w = np.array([0.25])
    assert_close(_d(a).prelu(_d(w)), _t(a).prelu(_t(w)).numpy())
    assert_close(_d(a).hardshrink(0.3), _t(a).hardshrink(0.3).numpy())
    m, tau = randn(4, 3), randn(3, seed=2)
    assert_close(_d(m).orgqr(_d(tau)), _t(m).orgqr(_t(tau)).numpy(), rtol=1e-10)
    assert dpt.randn(2).layout is dpt.strided
    check_gradients(lambda x: x.hardshrink(0.3), a + 0.05)


# -- uint16/32/64 ---------------------------------------------------------------------------------
UINTS = [("uint16", np.uint16), ("uint32", np.uint32), ("uint64", np.uint64)]


@pytest.mark.parametrize("name,npt", UINTS)
def test_limited_unsigned_dtypes_like_torch(name, npt):
    d, t = getattr(dpt, name), getattr(torch, name)
    assert repr(d) == f"dpt.{name}" and not d.is_signed and d.itemsize == t.itemsize
    info, tinfo = dpt.iinfo(d), torch.iinfo(t)
    assert (info.min, info.max, info.bits) == (tinfo.min, tinfo.max, tinfo.bits)
    a = np.array([3, 1, 2], dtype=npt)
    x, tx = dpt.from_numpy(a), torch.from_numpy(a)
    assert x.dtype is d and tx.dtype is t and x.type() == tx.type().replace("torch", "dpt")
    assert dpt.tensor(a).dtype is d and dpt.zeros(2, dtype=d).dtype is d
    pairs = [(x * 2, tx * 2), (x == 1, tx == 1), (x & 1, tx & 1), (x | x, tx | tx),
             (x.to(dpt.float32), tx.to(torch.float32)), (x + 2.5, tx + 2.5),
             (x.sum(), tx.sum()), (x.sort().values, tx.sort().values), (x.clone(), tx.clone()),
             (dpt.tensor([-1, 70000]).to(d), torch.tensor([-1, 70000]).to(t)),
             (dpt.tensor([1.7]).to(d), torch.tensor([1.7]).to(t))]
    for got, want in pairs:
        assert str(got.dtype)[4:] == str(want.dtype)[6:]
        assert got.tolist() == want.tolist()
    for other in (dpt.int64, dpt.uint8, dpt.bool, dpt.complex64):
        with pytest.raises(RuntimeError, match="Promotion for uint16, uint32, uint64"):
            dpt.promote_types(d, other)
    assert dpt.promote_types(d, dpt.float32) is dpt.float32 and dpt.promote_types(d, d) is d
    with pytest.raises(RuntimeError, match="Promotion"):
        x + dpt.tensor([1, 2, 3])
    assert pickle.loads(pickle.dumps(d)) is d


@pytest.mark.parametrize("mode", [0, 1, 2])
@pytest.mark.parametrize("variant", ["offsets", "last_offset", "padding", "2d"])
@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_embedding_bag_alias_matches_torch(mode, variant, dtype):
    w = randn(6, 3, dtype=dtype)
    idx, off = np.array([0, 2, 4, 5, 1, 3]), np.array([0, 2, 2, 5])
    kw, tkw = {}, {}
    if variant == "2d":
        idx, off = idx.reshape(2, 3), None
    if variant == "last_offset":
        off = np.array([0, 2, 2, 6])
        kw = tkw = {"include_last_offset": True}
    targs_tail = ()
    if variant == "padding":
        kw, targs_tail = {"padding_idx": 2}, (False, None, False, 2)  # torch: positional
    dargs = (_d(w), _d(idx), None if off is None else _d(off), False, mode)
    if variant == "2d":
        targs = (_t(w), _t(idx).reshape(-1), torch.tensor([0, 3]), False, mode)
    else:
        targs = (_t(w), _t(idx), _t(off), False, mode)
    got = dpt.embedding_bag(*dargs, **kw)
    want = torch.embedding_bag(*targs, *targs_tail, **tkw)
    assert_close(got[0], want[0].numpy(), rtol=1e-6)
    for g, t in zip(got[1:], want[1:]):
        assert g.dtype is dpt.int64 and g.tolist() == t.tolist()
    if dtype == np.float64:
        check_gradients(lambda v: dpt.embedding_bag(v, *dargs[1:], **kw)[0], w)


def test_more_top_level_spellings_match_torch():
    m, tau = randn(4, 3), randn(3, seed=2)
    assert_close(dpt.orgqr(_d(m), _d(tau)), torch.orgqr(_t(m), _t(tau)).numpy(), rtol=1e-10)
    y, A, v = randn(3), randn(3, 4, seed=1), randn(4, seed=2)
    dy, ty = _d(y), _t(y)
    assert dpt.addmv_(dy, _d(A), _d(v), beta=0.5, alpha=2) is dy
    torch.addmv_(ty, _t(A), _t(v), beta=0.5, alpha=2)
    assert_close(dy, ty.numpy(), rtol=1e-12)
    for mod in (dpt, torch):
        x = mod.arange(12.0)
        assert mod.as_strided_(x, (3, 2), (4, 1), 1) is x
        assert x.tolist() == [[1.0, 2.0], [5.0, 6.0], [9.0, 10.0]]
        z = mod.arange(6.0)
        assert z.as_strided_((2, 2), (1, 2)) is z and z.tolist() == [[0.0, 2.0], [1.0, 3.0]]
    w = randn(5, 3) * 3
    dw, tw = _d(w), _t(w)
    assert dpt.embedding_renorm_(dw, dpt.tensor([0, 2, 2]), 1.0, 2.0) is dw
    torch.embedding_renorm_(tw, torch.tensor([0, 2, 2]), 1.0, 2.0)
    assert_close(dw, tw.numpy(), rtol=1e-12)
    assert dpt.is_vulkan_available() is torch.is_vulkan_available() is False
    assert dpt.get_device_module("cpu") is dpt.cpu
    assert dpt.get_device_module(dpt.device("cpu")) is dpt.cpu
    with pytest.raises(RuntimeError, match="cpu and cuda"):
        dpt.get_device_module("tpu")


def test_more_layer_spellings_match_torch():
    x, w, b = randn(7, 2, 3), randn(3, 3, 4, seed=1), randn(4, seed=2)
    assert_close(dpt.conv_tbc(_d(x), _d(w), _d(b), 1),
                 torch.conv_tbc(_t(x), _t(w), _t(b), 1).numpy(), rtol=1e-10)
    check_gradients(lambda x, w, b: dpt.conv_tbc(x, w, b, 1), x, w, b)
    img = randn(1, 6, 2, 2)
    assert_close(dpt.native_channel_shuffle(_d(img), 3),
                 torch.native_channel_shuffle(_t(img), 3).numpy())
    theta = randn(2, 2, 3)
    for ac in (False, True):
        assert_close(dpt.affine_grid_generator(_d(theta), [2, 1, 3, 4], ac),
                     torch.affine_grid_generator(_t(theta), [2, 1, 3, 4], ac).numpy(),
                     rtol=1e-10, atol=1e-12)
