"""dpt.nn.utils parametrizations, weight_norm/spectral_norm hooks, functional_call and fusion
against torch."""
import warnings

import numpy as np
import pytest

import dpt
import dpt.nn as nn
from dpt.nn.utils import parametrizations as DPZ
from dpt.nn.utils import parametrize as P

torch = pytest.importorskip("torch")
TPZ = torch.nn.utils.parametrizations


def _np(t):
    return t.detach().numpy()


def _assert_sd_equal(d, t, atol=1e-12):
    sd_d, sd_t = d.state_dict(), t.state_dict()
    assert list(sd_d) == list(sd_t)
    for k in sd_t:
        np.testing.assert_allclose(_np(sd_d[k]), sd_t[k].detach().numpy(), atol=atol, rtol=0)


def _pair(name, *args, double=True):
    dpt.manual_seed(0)
    torch.manual_seed(0)
    d, t = getattr(nn, name)(*args), getattr(torch.nn, name)(*args)
    if double:
        d, t = d.double(), t.double()
    _assert_sd_equal(d, t)
    return d, t


# -- parametrizations.orthogonal ------------------------------------------------------------
@pytest.mark.parametrize("shape", [(4, 4), (5, 3), (3, 5)])
@pytest.mark.parametrize("orth_map", [None, "matrix_exp", "cayley", "householder"])
@pytest.mark.parametrize("triv", [True, False])
def test_orthogonal_matches_torch(shape, orth_map, triv):
    d, t = _pair("Linear", shape[1], shape[0])
    DPZ.orthogonal(d, orthogonal_map=orth_map, use_trivialization=triv)
    TPZ.orthogonal(t, orthogonal_map=orth_map, use_trivialization=triv)
    _assert_sd_equal(d, t, atol=1e-13)
    w = _np(d.weight)
    np.testing.assert_allclose(w, _np(t.weight), atol=1e-13)
    q = w if shape[0] >= shape[1] else w.T
    np.testing.assert_allclose(q.T @ q, np.eye(min(shape)), atol=1e-12)
    # the random completion of a rectangular base drew the same numbers as torch
    np.testing.assert_array_equal(_np(dpt.rand(3)), torch.rand(3).numpy())
    # a training step moves along the manifold the same way
    x = np.random.RandomState(0).randn(2, shape[1])
    od, ot = dpt.optim.SGD(d.parameters(), lr=0.1), torch.optim.SGD(t.parameters(), lr=0.1)
    for m, opt, lib in ((d, od, dpt), (t, ot, torch)):
        (m(lib.tensor(x)) ** 3).sum().backward()
        opt.step()
    np.testing.assert_allclose(_np(d.weight), _np(t.weight), atol=1e-12)


@pytest.mark.parametrize("orth_map", ["matrix_exp", "cayley", "householder"])
def test_orthogonal_assignment_and_batched_buffer(orth_map):
    d, t = _pair("Linear", 3, 3)
    DPZ.orthogonal(d, orthogonal_map=orth_map)
    TPZ.orthogonal(t, orthogonal_map=orth_map)
    q = np.linalg.qr(np.random.RandomState(1).randn(3, 3))[0]
    d.weight = dpt.tensor(q)
    t.weight = torch.tensor(q)
    np.testing.assert_allclose(_np(d.weight), q, atol=1e-12)
    _assert_sd_equal(d, t, atol=1e-12)
    dm, tm = nn.Module(), torch.nn.Module()
    a = np.random.RandomState(2).randn(2, 4, 3)
    dm.register_buffer("w", dpt.tensor(a))
    tm.register_buffer("w", torch.tensor(a))
    DPZ.orthogonal(dm, "w", orthogonal_map=orth_map)
    TPZ.orthogonal(tm, "w", orthogonal_map=orth_map)
    _assert_sd_equal(dm, tm, atol=1e-12)
    np.testing.assert_allclose(_np(dm.w), _np(tm.w), atol=1e-12)


def test_orthogonal_householder_assignment_without_trivialization():
    d, t = _pair("Linear", 3, 5)
    DPZ.orthogonal(d, orthogonal_map="householder", use_trivialization=False)
    TPZ.orthogonal(t, orthogonal_map="householder", use_trivialization=False)
    q = np.linalg.qr(np.random.RandomState(1).randn(5, 3))[0]
    d.weight = dpt.tensor(q)
    t.weight = torch.tensor(q)
    _assert_sd_equal(d, t, atol=1e-12)
    np.testing.assert_allclose(_np(d.weight), _np(t.weight), atol=1e-12)


def test_orthogonal_errors():
    with pytest.raises(ValueError, match="Expected a matrix or batch of matrices. Got a tensor "
                                         "of 1 dimensions."):
        DPZ.orthogonal(nn.Linear(3, 3), "bias")
    with pytest.raises(ValueError, match='orthogonal_map has to be one of "matrix_exp", '
                                         '"cayley", "householder". Got: qr'):
        DPZ.orthogonal(nn.Linear(3, 3), orthogonal_map="qr")
    with pytest.raises(ValueError, match="has no parameter or buffer with name 'w'"):
        DPZ.orthogonal(nn.Linear(3, 3), "w")
    m = DPZ.orthogonal(nn.Linear(3, 3), orthogonal_map="cayley", use_trivialization=False)
    with pytest.raises(NotImplementedError, match="use_trivialization=False"):
        m.weight = dpt.eye(3)
    with pytest.raises(ValueError, match="Expected a matrix or batch of matrices of shape"):
        DPZ.orthogonal(nn.Linear(3, 3)).weight = dpt.eye(4)


@pytest.mark.parametrize("orth_map", ["matrix_exp", "cayley", "householder"])
def test_orthogonal_map_gradcheck(orth_map):
    w = dpt.tensor(np.random.RandomState(0).randn(4, 3))
    orth = DPZ._Orthogonal(w, DPZ._OrthMaps[orth_map], use_trivialization=False)
    # householder's sign comes from int(diag): keep the diagonal away from integers
    x = dpt.tensor(np.random.RandomState(1).randn(4, 3) * 0.3 + np.eye(4, 3) * 1.5,
                   requires_grad=True)
    assert dpt.autograd.gradcheck(orth, (x,))


# -- parametrizations.spectral_norm / weight_norm -------------------------------------------
@pytest.mark.parametrize("mod,args,kw", [("Linear", (5, 4), {}),
                                         ("Conv2d", (3, 4, 3), dict(n_power_iterations=3)),
                                         ("ConvTranspose2d", (3, 4, 3), {}),
                                         ("Conv1d", (2, 3, 2), dict(dim=-1, eps=1e-6))])
def test_parametrized_spectral_norm_matches_torch(mod, args, kw):
    d, t = _pair(mod, *args)
    dpt.manual_seed(1)
    torch.manual_seed(1)
    DPZ.spectral_norm(d, **kw)
    TPZ.spectral_norm(t, **kw)
    _assert_sd_equal(d, t, atol=1e-13)
    assert "parametrizations.weight.0._u" in d.state_dict()
    ndim_in = {"Linear": 2, "Conv2d": 4, "ConvTranspose2d": 4, "Conv1d": 3}[mod]
    shape = (2, 5) if ndim_in == 2 else (2, 3, 5, 5) if ndim_in == 4 else (2, 2, 6)
    rs = np.random.RandomState(0)
    od, ot = dpt.optim.SGD(d.parameters(), lr=0.05), torch.optim.SGD(t.parameters(), lr=0.05)
    for _ in range(3):
        x = rs.randn(*shape)
        for m, opt, lib in ((d, od, dpt), (t, ot, torch)):
            opt.zero_grad()
            (m(lib.tensor(x)) ** 2).mean().backward()
            opt.step()
    _assert_sd_equal(d, t, atol=1e-12)
    d.eval()
    t.eval()
    u = _np(d.parametrizations.weight[0]._u).copy()
    np.testing.assert_allclose(_np(d.weight), _np(t.weight), atol=1e-12)
    np.testing.assert_array_equal(_np(d.parametrizations.weight[0]._u), u)  # no iteration in eval


def test_parametrized_spectral_norm_errors_and_gradcheck():
    with pytest.raises(IndexError, match=r"Dimension out of range \(expected to be in range of "
                                         r"\[-2, 1\] but got 2\)"):
        DPZ.spectral_norm(nn.Linear(3, 3), dim=2)
    with pytest.raises(ValueError, match="Expected n_power_iterations to be positive"):
        DPZ.spectral_norm(nn.Linear(3, 3), n_power_iterations=0)
    m = DPZ.spectral_norm(nn.Linear(4, 3).double())
    m.eval()
    sn = m.parametrizations.weight[0]
    w = dpt.tensor(np.random.RandomState(0).randn(3, 4), requires_grad=True)
    assert dpt.autograd.gradcheck(sn, (w,))
    b = DPZ.spectral_norm(nn.Linear(4, 3).double(), "bias")  # 1-d: plain normalisation
    np.testing.assert_allclose(np.linalg.norm(_np(b.bias)), 1.0)


@pytest.mark.parametrize("dim", [0, 1, -1, None])
def test_parametrized_weight_norm_matches_torch(dim):
    d, t = _pair("Conv2d", 3, 4, 3)
    DPZ.weight_norm(d, dim=dim)
    TPZ.weight_norm(t, dim=dim)
    _assert_sd_equal(d, t, atol=1e-14)
    np.testing.assert_allclose(_np(d.weight), _np(t.weight), atol=1e-14)
    x = np.random.RandomState(0).randn(2, 3, 5, 5)
    yd, yt = d(dpt.tensor(x)), t(torch.tensor(x))
    yd.pow(2).sum().backward()
    yt.pow(2).sum().backward()
    for i in (0, 1):
        np.testing.assert_allclose(_np(getattr(d.parametrizations.weight, f"original{i}").grad),
                                   getattr(t.parametrizations.weight, f"original{i}").grad,
                                   atol=1e-10)
    g = getattr(d.parametrizations.weight, "original0").detach().clone().requires_grad_(True)
    v = getattr(d.parametrizations.weight, "original1").detach().clone().requires_grad_(True)
    assert dpt.autograd.gradcheck(d.parametrizations.weight[0], (g, v))


def test_weight_norm_loads_old_state_dict_and_removes():
    d, t = _pair("Linear", 4, 3)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        torch.nn.utils.weight_norm(t)
    DPZ.weight_norm(d)
    old = {k: dpt.tensor(v.detach().numpy() * 2) for k, v in t.state_dict().items()}
    assert "weight_g" in old
    d.load_state_dict(old)
    np.testing.assert_allclose(_np(d.parametrizations.weight.original1), _np(old["weight_v"]))
    P.remove_parametrizations(d, "weight")
    assert isinstance(d.weight, nn.Parameter) and list(d.state_dict()) == ["bias", "weight"]


def test_norm_except_dim_and_weight_norm_namespace():
    a = np.random.RandomState(0).randn(2, 3, 4)
    for dim in (0, 1, 2, -1):
        np.testing.assert_allclose(_np(dpt.norm_except_dim(dpt.tensor(a), 2, dim)),
                                   torch.norm_except_dim(torch.tensor(a), 2, dim).numpy())
    g = np.random.RandomState(1).rand(1, 3, 1)
    np.testing.assert_allclose(_np(dpt._weight_norm(dpt.tensor(a), dpt.tensor(g), 1)),
                               torch._weight_norm(torch.tensor(a), torch.tensor(g), 1).numpy())


# -- the hook-based weight_norm / spectral_norm ---------------------------------------------
@pytest.mark.parametrize("dim", [0, 1, -1, None])
def test_old_weight_norm_matches_torch(dim):
    d, t = _pair("Conv2d", 3, 4, 3)
    with pytest.warns(FutureWarning, match="weight_norm` is deprecated"):
        nn.utils.weight_norm(d, dim=dim)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        torch.nn.utils.weight_norm(t, dim=dim)
    _assert_sd_equal(d, t, atol=1e-14)
    assert "weight" not in d._parameters and not isinstance(d.weight, nn.Parameter)
    with pytest.raises(RuntimeError, match="Cannot register two weight_norm hooks"):
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            nn.utils.weight_norm(d, dim=dim)
    x = np.random.RandomState(0).randn(2, 3, 5, 5)
    od, ot = dpt.optim.SGD(d.parameters(), lr=0.1), torch.optim.SGD(t.parameters(), lr=0.1)
    for m, opt, lib in ((d, od, dpt), (t, ot, torch)):
        (m(lib.tensor(x)) ** 2).mean().backward()
        opt.step()
        m(lib.tensor(x))  # the pre-hook recomputes weight from the updated g, v
    np.testing.assert_allclose(_np(d.weight), _np(t.weight), atol=1e-12)
    nn.utils.remove_weight_norm(d)
    torch.nn.utils.remove_weight_norm(t)
    _assert_sd_equal(d, t, atol=1e-12)
    assert isinstance(d.weight, nn.Parameter)
    with pytest.raises(ValueError, match="weight_norm of 'weight' not found in"):
        nn.utils.remove_weight_norm(d)


@pytest.mark.parametrize("mod,args", [("Linear", (5, 4)), ("ConvTranspose2d", (3, 4, 3))])
def test_old_spectral_norm_matches_torch(mod, args):
    d, t = _pair(mod, *args)
    dpt.manual_seed(2)
    torch.manual_seed(2)
    nn.utils.spectral_norm(d, n_power_iterations=2)
    torch.nn.utils.spectral_norm(t, n_power_iterations=2)
    _assert_sd_equal(d, t)
    assert list(d.state_dict()) == ["bias", "weight_orig", "weight_u", "weight_v"]
    assert d.state_dict()._metadata == t.state_dict()._metadata
    with pytest.raises(RuntimeError, match="Cannot register two spectral_norm hooks"):
        nn.utils.spectral_norm(d)
    shape = (2, 5) if mod == "Linear" else (2, 3, 4, 4)
    rs = np.random.RandomState(0)
    od, ot = dpt.optim.SGD(d.parameters(), lr=0.1), torch.optim.SGD(t.parameters(), lr=0.1)
    for _ in range(3):
        x = rs.randn(*shape)
        for m, opt, lib in ((d, od, dpt), (t, ot, torch)):
            opt.zero_grad()
            (m(lib.tensor(x)) ** 2).mean().backward()
            opt.step()
    _assert_sd_equal(d, t, atol=1e-12)
    np.testing.assert_allclose(_np(d.weight), _np(t.weight), atol=1e-12)
    nn.utils.remove_spectral_norm(d)
    torch.nn.utils.remove_spectral_norm(t)
    _assert_sd_equal(d, t, atol=1e-12)
    assert d.state_dict()._metadata == t.state_dict()._metadata and not d._state_dict_hooks
    with pytest.raises(ValueError, match="spectral_norm of 'weight' not found in"):
        nn.utils.remove_spectral_norm(d)
    with pytest.raises(ValueError, match="Expected n_power_iterations to be positive"):
        nn.utils.spectral_norm(nn.Linear(2, 2), n_power_iterations=0)


# -- functional_call ------------------------------------------------------------------------
class _Tied(nn.Module):
    def __init__(self):
        super().__init__()
        self.a = nn.Linear(3, 3, bias=False)
        self.b = nn.Linear(3, 3, bias=False)
        self.b.weight = self.a.weight
        self.register_buffer("shift", dpt.ones(3))

    def forward(self, x, scale=1.0):
        return self.b(self.a(x)) * scale + self.shift


def test_functional_call_substitutes_and_restores():
    m = _Tied().double()
    x = dpt.tensor(np.random.RandomState(0).randn(2, 3))
    w = dpt.tensor(np.random.RandomState(1).randn(3, 3), requires_grad=True)
    orig = m.a.weight
    out = dpt.func.functional_call(m, {"a.weight": w}, (x,), {"scale": 2.0})
    ref = (x @ w.mT @ w.mT) * 2.0 + 1.0  # tied: b.weight follows a.weight
    np.testing.assert_allclose(_np(out), _np(ref), atol=1e-14)
    assert m.a.weight is orig and m.b.weight is orig and "weight" in m.a._parameters
    out.sum().backward()
    assert w.grad is not None and orig.grad is None
    untied = dpt.func.functional_call(m, {"a.weight": w}, x, tie_weights=False)
    np.testing.assert_allclose(_np(untied), _np(x @ w.mT @ orig.mT + 1.0), atol=1e-14)
    both = dpt.func.functional_call(m, ({"a.weight": w}, {"shift": dpt.zeros(3)}), (x,))
    np.testing.assert_allclose(_np(both), _np(x @ w.mT @ w.mT), atol=1e-14)
    with pytest.raises(ValueError, match="which are tied"):
        dpt.func.functional_call(m, {"a.weight": w, "b.weight": w * 2}, (x,))
    with pytest.raises(ValueError, match="appeared in multiple dictionaries"):
        dpt.func.functional_call(m, ({"shift": w}, {"shift": w}), (x,))
    with pytest.raises(ValueError, match="Expected parameter_and_buffer_dicts to be a dict"):
        dpt.func.functional_call(m, 3, (x,))
    with pytest.raises(RuntimeError, match=r"Error\(s\) in reparametrizing for _Tied:\n\t"
                                           r"Unexpected key\(s\): 'zz'.\n\tMissing key\(s\): "
                                           r"'b.weight', 'shift'."):
        dpt.func.functional_call(m, {"a.weight": w, "zz": w}, (x,), strict=True, tie_weights=False)
    with pytest.warns(FutureWarning, match="stateless.functional_call` is deprecated"):
        out2 = nn.utils.stateless.functional_call(m, {"a.weight": w}, (x,))
    np.testing.assert_allclose(_np(out2), _np(ref / 2.0 + 0.5), atol=1e-14)


def test_functional_call_matches_torch_and_gradcheck():
    d, t = _pair("Linear", 4, 3)
    rs = np.random.RandomState(0)
    wv, xv = rs.randn(3, 4), rs.randn(2, 4)
    yd = dpt.func.functional_call(d, {"weight": dpt.tensor(wv)}, (dpt.tensor(xv),))
    yt = torch.func.functional_call(t, {"weight": torch.tensor(wv)}, (torch.tensor(xv),))
    np.testing.assert_allclose(_np(yd), _np(yt), atol=1e-14)
    bn_d, bn_t = _pair("BatchNorm1d", 4)
    rm = np.zeros(4)
    out_d = dpt.func.functional_call(bn_d, {"running_mean": dpt.tensor(rm)}, dpt.tensor(xv))
    out_t = torch.func.functional_call(bn_t, {"running_mean": torch.tensor(rm)}, torch.tensor(xv))
    np.testing.assert_allclose(_np(out_d), _np(out_t), atol=1e-12)
    _assert_sd_equal(bn_d, bn_t)  # the module's own running stats untouched in both
    w = dpt.tensor(wv, requires_grad=True)
    x = dpt.tensor(xv, requires_grad=True)
    assert dpt.autograd.gradcheck(
        lambda w, x: dpt.func.functional_call(d, {"weight": w}, (x,)), (w, x))


def test_functional_call_on_parametrized_module():
    d, t = _pair("Linear", 3, 3)
    DPZ.orthogonal(d)
    TPZ.orthogonal(t)
    a = np.random.RandomState(0).randn(3, 3)
    x = np.random.RandomState(1).randn(2, 3)
    key = "parametrizations.weight.original"
    yd = dpt.func.functional_call(d, {key: dpt.tensor(a)}, (dpt.tensor(x),))
    yt = torch.func.functional_call(t, {key: torch.tensor(a)}, (torch.tensor(x),))
    np.testing.assert_allclose(_np(yd), _np(yt), atol=1e-12)
    _assert_sd_equal(d, t, atol=1e-13)


# -- fusion ---------------------------------------------------------------------------------
def _bn_pair(name, n):
    d, t = _pair(name, n)
    rs = np.random.RandomState(n)
    vals = [rs.randn(n), rs.rand(n) + 0.5, rs.randn(n), rs.randn(n)]
    for m, lib in ((d, dpt), (t, torch)):
        with lib.no_grad():
            for attr, v in zip(("running_mean", "running_var", "weight", "bias"), vals):
                getattr(m, attr).copy_(lib.tensor(v))
        m.eval()
    return d, t


@pytest.mark.parametrize("conv,args,bn,xshape,transpose", [
    ("Conv2d", (3, 4, 3), "BatchNorm2d", (2, 3, 6, 6), False),
    ("Conv1d", (3, 5, 2), "BatchNorm1d", (2, 3, 7), False),
    ("ConvTranspose2d", (3, 4, 3), "BatchNorm2d", (2, 3, 4, 4), True)])
def test_fuse_conv_bn_eval_matches_torch(conv, args, bn, xshape, transpose):
    cd, ct = _pair(conv, *args)
    cd.eval()
    ct.eval()
    bd, bt = _bn_pair(bn, args[1])
    fd = nn.utils.fuse_conv_bn_eval(cd, bd, transpose=transpose)
    ft = torch.nn.utils.fuse_conv_bn_eval(ct, bt, transpose=transpose)
    _assert_sd_equal(fd, ft, atol=1e-13)
    assert fd is not cd and isinstance(fd.weight, nn.Parameter)
    x = np.random.RandomState(0).randn(*xshape)
    np.testing.assert_allclose(_np(fd(dpt.tensor(x))), _np(bd(cd(dpt.tensor(x)))), atol=1e-12)
    with pytest.raises(AssertionError, match="Fusion only for eval!"):
        nn.utils.fuse_conv_bn_eval(cd.train(), bd)


def test_fuse_weights_without_bias_and_linear():
    cd, ct = _pair("Conv2d", 3, 4, 3)
    bd, bt = _bn_pair("BatchNorm2d", 4)
    wd = nn.utils.fuse_conv_bn_weights(cd.weight, None, bd.running_mean, bd.running_var, 1e-3,
                                       None, None)
    wt = torch.nn.utils.fuse_conv_bn_weights(ct.weight, None, bt.running_mean, bt.running_var,
                                             1e-3, None, None)
    for a, b in zip(wd, wt):
        np.testing.assert_allclose(_np(a), _np(b), atol=1e-13)
        assert a.requires_grad == b.requires_grad
    ld, lt = _pair("Linear", 5, 4)
    ld.eval()
    lt.eval()
    for n in (4, 1):
        bd, bt = _bn_pair("BatchNorm1d", n)
        fd = nn.utils.fuse_linear_bn_eval(ld, bd)
        ft = torch.nn.utils.fuse_linear_bn_eval(lt, bt)
        _assert_sd_equal(fd, ft, atol=1e-13)
        # a one-feature bn normalises (N, 1, L): it broadcasts over the linear's outputs
        x = np.random.RandomState(0).randn(*((3, 5) if n == 4 else (3, 1, 5)))
        np.testing.assert_allclose(_np(fd(dpt.tensor(x))), _np(bd(ld(dpt.tensor(x)))),
                                   atol=1e-12)
    with pytest.raises(AssertionError, match="linear.out_features == bn.num_features"):
        nn.utils.fuse_linear_bn_eval(ld, _bn_pair("BatchNorm1d", 3)[0])
    # the fused tensors are new leaf Parameters (no graph back to the inputs), as in torch
    lw = ld.weight.detach().clone().requires_grad_(True)
    fw, fb = nn.utils.fuse_linear_bn_weights(lw * 1.0, None, bd.running_mean, bd.running_var,
                                             1e-5, bd.weight, bd.bias)
    assert fw.is_leaf and fw.requires_grad and fb.is_leaf and not fb.requires_grad


@pytest.mark.parametrize("orth_map", ["matrix_exp", "cayley"])
def test_orthogonal_complex_matches_torch(orth_map):
    rs = np.random.RandomState(0)
    a = rs.randn(3, 3) + 1j * rs.randn(3, 3)
    dm, tm = nn.Module(), torch.nn.Module()
    dm.w = nn.Parameter(dpt.tensor(a))
    tm.w = torch.nn.Parameter(torch.tensor(a))
    DPZ.orthogonal(dm, "w", orthogonal_map=orth_map)
    TPZ.orthogonal(tm, "w", orthogonal_map=orth_map)
    _assert_sd_equal(dm, tm, atol=1e-13)
    q = _np(dm.w)
    np.testing.assert_allclose(q.conj().T @ q, np.eye(3), atol=1e-12)
    dm.w.abs().sum().backward()
    tm.w.abs().sum().backward()
    np.testing.assert_allclose(_np(dm.parametrizations.w.original.grad),
                               tm.parametrizations.w.original.grad.numpy(), atol=1e-12)
    with pytest.raises(ValueError, match="householder parametrization does not support complex"):
        DPZ.orthogonal(dm, "w", orthogonal_map="householder")
