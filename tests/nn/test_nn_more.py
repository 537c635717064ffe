"""ChannelShuffle, LPPool3d, CrossMapLRN2d, AdaptiveLogSoftmaxWithLoss, the deprecated names,
nn.init.eye/dirac, nn.utils.skip_init and the memory-format converters, against torch."""
import warnings

import numpy as np
import pytest

import dpt
from dpt.autograd import gradcheck

torch = pytest.importorskip("torch")


def _pair(x, requires_grad=False):
    return (dpt.tensor(x, requires_grad=requires_grad),
            torch.tensor(x, requires_grad=requires_grad))


def _err(fd, ft):
    with pytest.raises(Exception) as de:
        fd()
    with pytest.raises(Exception) as te:
        ft()
    assert type(de.value) is type(te.value)
    assert str(de.value).replace("dpt.", "torch.") == str(te.value)


# -- channel shuffle ------------------------------------------------------------------------------
@pytest.mark.parametrize("shape,groups", [((2, 6, 3), 3), ((1, 4, 2, 3), 2), ((0, 4, 2), 4),
                                          ((2, 6, 1, 2, 2), 1)])
def test_channel_shuffle_matches_torch(shape, groups):
    x = np.random.default_rng(0).standard_normal(shape)
    d, t = _pair(x)
    for fd, ft in [(dpt.nn.functional.channel_shuffle, torch.nn.functional.channel_shuffle),
                   (dpt.nn.functional.native_channel_shuffle,
                    torch.nn.functional.native_channel_shuffle),
                   (dpt.nn.ChannelShuffle(groups), torch.nn.ChannelShuffle(groups))]:
        if isinstance(fd, dpt.nn.Module):
            np.testing.assert_array_equal(fd(d).numpy(), ft(t).numpy())
        else:
            np.testing.assert_array_equal(fd(d, groups).numpy(), ft(t, groups).numpy())
    assert repr(dpt.nn.ChannelShuffle(groups)) == repr(torch.nn.ChannelShuffle(groups))
    if x.size:
        xd = dpt.tensor(x, requires_grad=True).transpose(0, 1)  # non-contiguous
        assert gradcheck(lambda a: dpt.nn.functional.channel_shuffle(a.transpose(0, 1), groups),
                         (xd,))


def test_channel_shuffle_errors():
    F, T = dpt.nn.functional, torch.nn.functional
    _err(lambda: F.channel_shuffle(dpt.ones(2, 4), 2),
         lambda: T.channel_shuffle(torch.ones(2, 4), 2))
    _err(lambda: F.channel_shuffle(dpt.ones(2, 4, 3), 0),
         lambda: T.channel_shuffle(torch.ones(2, 4, 3), 0))
    _err(lambda: F.channel_shuffle(dpt.ones(2, 5, 3), 2),
         lambda: T.channel_shuffle(torch.ones(2, 5, 3), 2))


# -- LP pooling ---------------------------------------------------------------------------------
@pytest.mark.parametrize("p,k,s,ceil", [(2, 2, None, False), (3, (2, 1, 3), 1, False),
                                        (1.5, 2, (1, 2, 1), True), (float("inf"), 2, 1, False),
                                        (-float("inf"), (1, 2, 2), None, True)])
def test_lp_pool3d_matches_torch(p, k, s, ceil):
    x = np.abs(np.random.default_rng(1).standard_normal((2, 2, 5, 4, 5))) + 0.1
    d, t = _pair(x)
    out = dpt.nn.functional.lp_pool3d(d, p, k, s, ceil)
    np.testing.assert_allclose(out.numpy(), torch.nn.functional.lp_pool3d(t, p, k, s, ceil).numpy(),
                               rtol=1e-12, atol=1e-12)
    m, tm = dpt.nn.LPPool3d(p, k, s, ceil), torch.nn.LPPool3d(p, k, s, ceil)
    assert repr(m) == repr(tm)
    np.testing.assert_allclose(m(d).numpy(), tm(t).numpy(), rtol=1e-12, atol=1e-12)
    assert gradcheck(lambda a: dpt.nn.functional.lp_pool3d(a, p, k, s, ceil),
                     (dpt.tensor(x[:1, :1, :3, :3, :3], requires_grad=True),))


@pytest.mark.parametrize("fn", ["lp_pool1d", "lp_pool2d"])
def test_lp_pool_infinite_norms(fn):
    x = np.random.default_rng(2).standard_normal((1, 2, 6, 6) if fn == "lp_pool2d" else (1, 2, 6))
    d, t = _pair(x)
    for p in (float("inf"), -float("inf")):
        np.testing.assert_allclose(getattr(dpt.nn.functional, fn)(d, p, 2).numpy(),
                                   getattr(torch.nn.functional, fn)(t, p, 2).numpy())


def test_lp_pool3d_unbatched():
    x = np.random.default_rng(3).random((2, 4, 4, 4))
    d, t = _pair(x)
    np.testing.assert_allclose(dpt.nn.functional.lp_pool3d(d, 2, 2).numpy(),
                               torch.nn.functional.lp_pool3d(t, 2, 2).numpy(), rtol=1e-12)


# -- CrossMapLRN2d --------------------------------------------------------------------------------
@pytest.mark.parametrize("size,channels", [(1, 3), (2, 5), (3, 7), (4, 7), (5, 8), (9, 4)])
def test_cross_map_lrn2d_forward_matches_torch(size, channels):
    x = np.random.default_rng(size).standard_normal((2, channels, 3, 2))
    d, t = _pair(x)
    m, tm = dpt.nn.CrossMapLRN2d(size, 0.1, 0.6, 2), torch.nn.CrossMapLRN2d(size, 0.1, 0.6, 2)
    assert repr(m) == repr(tm) and repr(dpt.nn.CrossMapLRN2d(3)) == repr(torch.nn.CrossMapLRN2d(3))
    np.testing.assert_allclose(m(d).numpy(), tm(t).numpy(), rtol=1e-12, atol=1e-14)
    # gradient: the exact derivative of that forward. torch's hand-written backward is not
    # (it fails gradcheck, and raises for size=1), so it is not compared against
    assert gradcheck(m, (dpt.tensor(x, requires_grad=True),))


def test_cross_map_lrn2d_errors():
    _err(lambda: dpt.nn.CrossMapLRN2d(3)(dpt.ones(2, 3, 4)),
         lambda: torch.nn.CrossMapLRN2d(3)(torch.ones(2, 3, 4)))


# -- AdaptiveLogSoftmaxWithLoss -------------------------------------------------------------------
def _asm_pair(head_bias=True, cutoffs=(4, 10, 15), div_value=2.0):
    torch.manual_seed(0)
    t = torch.nn.AdaptiveLogSoftmaxWithLoss(8, 20, list(cutoffs), div_value=div_value,
                                            head_bias=head_bias).double()
    d = dpt.nn.AdaptiveLogSoftmaxWithLoss(8, 20, list(cutoffs), div_value=div_value,
                                          head_bias=head_bias).double()
    assert repr(d) == repr(t) and list(d.state_dict()) == list(t.state_dict())
    d.load_state_dict({k: dpt.tensor(v.numpy()) for k, v in t.state_dict().items()})
    return d, t


@pytest.mark.parametrize("target", [[0, 3, 4, 9, 10, 14, 15, 19, 1, 2, 12, 17], [0, 1, 2, 3],
                                    [19, 16, 15, 18]])
def test_adaptive_log_softmax_matches_torch(target):
    d, t = _asm_pair()
    y = np.array(target)
    x = np.random.default_rng(0).standard_normal((len(y), 8))
    od = d(dpt.tensor(x), dpt.tensor(y))
    ot = t(torch.tensor(x), torch.tensor(y))
    assert type(od).__name__ == "_ASMoutput" and od._fields == ("output", "loss")
    np.testing.assert_allclose(od.output.detach().numpy(), ot.output.detach().numpy(), rtol=1e-12)
    np.testing.assert_allclose(float(od.loss), float(ot.loss), rtol=1e-12)
    od.loss.backward()
    ot.loss.backward()
    for a, b in zip(d.parameters(), t.parameters()):
        if b.grad is None:  # a cluster no target fell in
            assert a.grad is None
            continue
        np.testing.assert_allclose(a.grad.numpy(), b.grad.numpy(), rtol=1e-10, atol=1e-14)
    np.testing.assert_allclose(d.log_prob(dpt.tensor(x)).detach().numpy(),
                               t.log_prob(torch.tensor(x)).detach().numpy(), rtol=1e-12)
    np.testing.assert_array_equal(d.predict(dpt.tensor(x)).numpy(),
                                  t.predict(torch.tensor(x)).numpy())
    xd = dpt.tensor(x, requires_grad=True)
    assert gradcheck(lambda a: d(a, dpt.tensor(y)).output, (xd,))


def test_adaptive_log_softmax_unbatched_and_log_prob_normalised():
    d, t = _asm_pair(head_bias=False, cutoffs=(5,), div_value=4.0)
    x = np.random.default_rng(1).standard_normal(8)
    od, ot = d(dpt.tensor(x), dpt.tensor(7)), t(torch.tensor(x), torch.tensor(7))
    assert od.output.ndim == 0
    np.testing.assert_allclose(float(od.output), float(ot.output), rtol=1e-12)
    lp = d.log_prob(dpt.tensor(x[None]))
    np.testing.assert_allclose(float(lp.exp().sum()), 1.0, rtol=1e-12)


def test_adaptive_log_softmax_errors():
    d, t = _asm_pair()
    x = np.ones((3, 8))
    for xs, ys in [(x, np.array([0, 1])), (x[0], np.array([1])), (x, np.array([[1]])),
                   (x, np.array([0, 5, 25])), (x, np.array([-1, 0, 1]))]:
        _err(lambda: d(dpt.tensor(xs), dpt.tensor(ys)),
             lambda: t(torch.tensor(xs), torch.tensor(ys)))
    for cut in ([], [4, 4], [0, 3], [3, 20], [5, 3]):
        _err(lambda: dpt.nn.AdaptiveLogSoftmaxWithLoss(8, 20, cut),
             lambda: torch.nn.AdaptiveLogSoftmaxWithLoss(8, 20, cut))


# -- deprecated names -----------------------------------------------------------------------------
def test_deprecated_container_and_nllloss2d():
    with pytest.warns(FutureWarning, match="`nn.Container` is deprecated"):
        c = dpt.nn.Container(a=dpt.nn.ReLU(), b=dpt.nn.Linear(2, 2))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        tc = torch.nn.Container(a=torch.nn.ReLU(), b=torch.nn.Linear(2, 2))
    assert repr(c) == repr(tc) and list(c.state_dict()) == list(tc.state_dict())
    with pytest.warns(FutureWarning, match="`NLLLoss2d` has been deprecated"):
        loss = dpt.nn.NLLLoss2d(ignore_index=1, reduction="sum")
    assert isinstance(loss, dpt.nn.NLLLoss) and repr(loss) == "NLLLoss2d()"
    x = np.log(np.random.default_rng(0).dirichlet(np.ones(3), size=(2, 4, 4)).transpose(0, 3, 1, 2))
    y = np.random.default_rng(1).integers(0, 3, (2, 4, 4))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        tl = torch.nn.NLLLoss2d(ignore_index=1, reduction="sum")
    np.testing.assert_allclose(float(loss(dpt.tensor(x), dpt.tensor(y))),
                               float(tl(torch.tensor(x), torch.tensor(y))), rtol=1e-12)


def test_init_eye_and_dirac_aliases():
    with pytest.warns(FutureWarning, match="`nn.init.eye` is now deprecated in favor of "
                                           "`nn.init.eye_`"):
        w = dpt.nn.init.eye(dpt.empty(3, 4))
    np.testing.assert_array_equal(w.numpy(), np.eye(3, 4))
    with pytest.warns(FutureWarning, match="`nn.init.dirac` is now deprecated"):
        k = dpt.nn.init.dirac(dpt.empty(4, 2, 3), groups=2)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        tk = torch.nn.init.dirac(torch.empty(4, 2, 3), groups=2)
    np.testing.assert_array_equal(k.numpy(), tk.numpy())


# -- nn.utils -------------------------------------------------------------------------------------
def test_skip_init():
    state = dpt.random.get_rng_state()
    m = dpt.nn.utils.skip_init(dpt.nn.Linear, 3, 4, bias=True, dtype=dpt.float64)
    assert dpt.equal(dpt.random.get_rng_state(), state)  # no random draws were used up
    assert type(m) is dpt.nn.Linear and tuple(m.weight.shape) == (4, 3)
    assert m.weight.dtype == dpt.float64 and m.weight.requires_grad
    assert repr(m) == repr(torch.nn.utils.skip_init(torch.nn.Linear, 3, 4))
    for cls, tcls in [(dpt.nn.ReLU, torch.nn.ReLU)]:
        _err(lambda: dpt.nn.utils.skip_init(cls), lambda: torch.nn.utils.skip_init(tcls))
    with pytest.raises(RuntimeError, match="Expected a Module; got"):
        dpt.nn.utils.skip_init(int)


def test_convert_conv_weight_memory_format():
    m = dpt.nn.Sequential(dpt.nn.Conv2d(2, 3, 2),
                          dpt.nn.Sequential(dpt.nn.ConvTranspose2d(3, 2, 2)),
                          dpt.nn.Conv3d(1, 1, 1), dpt.nn.Linear(2, 2))
    before = {k: v.clone() for k, v in m.state_dict().items()}
    conv2d_weight = m[0].weight
    assert dpt.nn.utils.convert_conv2d_weight_memory_format(m, "channels_last") is m
    assert dpt.nn.utils.convert_conv3d_weight_memory_format(m, "channels_last_3d") is m
    assert m[0].weight is conv2d_weight  # same Parameter, new storage
    for k, v in m.state_dict().items():
        assert dpt.equal(v, before[k]) and v.is_contiguous()


def test_adaptive_log_softmax_zero_width_cluster():
    # in_features // div_value**2 == 0: the last cluster's projection has no features
    torch.manual_seed(1)
    t = torch.nn.AdaptiveLogSoftmaxWithLoss(8, 10, [3, 6]).double()
    d = dpt.nn.AdaptiveLogSoftmaxWithLoss(8, 10, [3, 6]).double()
    d.load_state_dict({k: dpt.tensor(v.numpy()) for k, v in t.state_dict().items()})
    x = np.random.default_rng(2).standard_normal((4, 8))
    y = np.array([0, 4, 7, 9])
    od, ot = d(dpt.tensor(x), dpt.tensor(y)), t(torch.tensor(x), torch.tensor(y))
    od.loss.backward()
    ot.loss.backward()
    np.testing.assert_allclose(od.output.detach().numpy(), ot.output.detach().numpy(), rtol=1e-12)
    for a, b in zip(d.parameters(), t.parameters()):
        np.testing.assert_allclose(a.grad.numpy(), b.grad.numpy(), rtol=1e-10, atol=1e-14)


@pytest.mark.parametrize("fin,fout", [(0, 3), (3, 0), (0, 0)])
def test_linear_backward_with_zero_features(fin, fout):
    # F.linear's backward reshaped with -1, which numpy cannot infer for zero-size arrays
    w = dpt.zeros(fout, fin, requires_grad=True)
    b = dpt.zeros(fout, requires_grad=True)
    x = dpt.ones(4, 2, fin, requires_grad=True)
    dpt.nn.functional.linear(x, w, b).sum().backward()
    assert tuple(w.grad.shape) == (fout, fin) and tuple(x.grad.shape) == (4, 2, fin)
    np.testing.assert_array_equal(b.grad.numpy(), np.full(fout, 8.0))


# -- F.conv_tbc, nn.grad, nn.factory_kwargs -----------------------------------------------------
@pytest.mark.parametrize("pad", [0, 1, 2, -1])
def test_conv_tbc_matches_torch(pad):
    rng = np.random.default_rng(pad + 5)
    x, w, b = rng.standard_normal((5, 2, 3)), rng.standard_normal((2, 3, 4)), rng.standard_normal(4)
    out = dpt.nn.functional.conv_tbc(dpt.tensor(x), dpt.tensor(w), dpt.tensor(b), pad)
    ref = torch.nn.functional.conv_tbc(torch.tensor(x), torch.tensor(w), torch.tensor(b), pad)
    np.testing.assert_allclose(out.numpy(), ref.numpy(), rtol=1e-12, atol=1e-12)
    args = tuple(dpt.tensor(a, requires_grad=True) for a in (x, w, b))
    assert gradcheck(lambda *a: dpt.nn.functional.conv_tbc(*a, pad), args)


def test_conv_tbc_errors():
    F, T = dpt.nn.functional.conv_tbc, torch.conv_tbc
    for xs, ws, bs, pad in [((2, 3), (1, 3, 4), (4,), 0), ((5, 2, 3), (3, 4), (4,), 0),
                            ((5, 2, 3), (1, 3, 4), (4, 1), 0), ((5, 2, 3), (1, 2, 4), (4,), 0),
                            ((5, 2, 3), (1, 3, 4), (5,), 0), ((1, 2, 3), (4, 3, 4), (4,), 0)]:
        _err(lambda: F(dpt.ones(xs), dpt.ones(ws), dpt.ones(bs), pad),
             lambda: T(torch.ones(xs), torch.ones(ws), torch.ones(bs), pad))


@pytest.mark.parametrize("n", [1, 2, 3])
def test_nn_grad_matches_torch(n):
    rng = np.random.default_rng(n)
    xs, ws = (2, 4) + (5,) * n, (6, 2) + (2,) * n
    x, w = rng.standard_normal(xs), rng.standard_normal(ws)
    kw = dict(stride=2, padding=1, dilation=1, groups=2)
    go = rng.standard_normal(tuple(getattr(torch.nn.functional, f"conv{n}d")(
        torch.tensor(x), torch.tensor(w), **kw).shape))
    di = getattr(dpt.nn.grad, f"conv{n}d_input")(xs, dpt.tensor(w), dpt.tensor(go), **kw)
    ti = getattr(torch.nn.grad, f"conv{n}d_input")(xs, torch.tensor(w), torch.tensor(go), **kw)
    dw = getattr(dpt.nn.grad, f"conv{n}d_weight")(dpt.tensor(x), ws, dpt.tensor(go), **kw)
    tw = getattr(torch.nn.grad, f"conv{n}d_weight")(torch.tensor(x), ws, torch.tensor(go), **kw)
    np.testing.assert_allclose(di.numpy(), ti.numpy(), rtol=1e-12, atol=1e-12)
    np.testing.assert_allclose(dw.numpy(), tw.numpy(), rtol=1e-12, atol=1e-12)
    if n == 1:  # differentiable in its tensor arguments
        assert gradcheck(lambda w_, g_: dpt.nn.grad.conv1d_input(xs, w_, g_, **kw),
                         (dpt.tensor(w, requires_grad=True), dpt.tensor(go, requires_grad=True)))
        assert gradcheck(lambda x_, g_: dpt.nn.grad.conv1d_weight(x_, ws, g_, **kw),
                         (dpt.tensor(x, requires_grad=True), dpt.tensor(go, requires_grad=True)))


def test_factory_kwargs():
    assert dpt.nn.factory_kwargs(None) == {}
    assert dpt.nn.factory_kwargs({"device": "cpu", "factory_kwargs": {"dtype": dpt.float64}}) == \
        {"device": "cpu", "dtype": dpt.float64}
    for kw in ({"devic": "cpu"}, {"dtype": 1, "factory_kwargs": {"dtype": 2}}):
        _err(lambda: dpt.nn.factory_kwargs(kw), lambda: torch.nn.factory_kwargs(kw))
