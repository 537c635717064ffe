"""ASGD, Rprop and SparseAdam against torch: step-by-step updates, state, errors."""
import warnings

import numpy as np
import pytest

import dpt

torch = pytest.importorskip("torch")


def _grad(w, k):
    # Sign changes, zeros and growth, so Rprop's three branches and clamps all run.
    g = np.cos(3 * w + k) * (1 + k) + 0.1 * w ** 2
    g[..., 0] = 0.0
    return g


def _make(lib, arrays, dtype):
    if lib is torch:
        return [torch.tensor(a, dtype=dtype, requires_grad=True) for a in arrays]
    return [dpt.tensor(a, dtype=dtype, requires_grad=True) for a in arrays]


def _set_grads(lib, params, k):
    for p in params:
        g = _grad(p.detach().numpy(), k)
        p.grad = torch.tensor(g) if lib is torch else dpt.tensor(g)
        p.grad = p.grad.to(p.dtype)


def _arrays(seed=0):
    rng = np.random.default_rng(seed)
    return [rng.standard_normal((3, 4)), rng.standard_normal(5)]


def _groups(params, group_kw):
    if group_kw is None:
        return params
    return [{"params": [params[0]]}, {"params": [params[1]], **group_kw}]


def _run_pair(name, kwargs, steps=6, group_kw=None, dtype="float64", tol=1e-12):
    arrays = _arrays()
    tp = _make(torch, arrays, getattr(torch, dtype))
    dp = _make(dpt, arrays, getattr(dpt, dtype))
    topt = getattr(torch.optim, name)(_groups(tp, group_kw), **kwargs)
    dopt = getattr(dpt.optim, name)(_groups(dp, group_kw), **kwargs)
    for k in range(steps):
        _set_grads(torch, tp, k)
        _set_grads(dpt, dp, k)
        topt.step()
        dopt.step()
        for a, b in zip(tp, dp):
            np.testing.assert_allclose(b.detach().numpy(), a.detach().numpy(), rtol=tol,
                                       atol=tol)
    return topt, dopt, tp, dp


def _compare_state(topt, dopt, tol=1e-12):
    ts, ds = topt.state_dict(), dopt.state_dict()
    assert ts["param_groups"] == ds["param_groups"]
    assert list(ts["state"]) == list(ds["state"])
    for i in ts["state"]:
        assert list(ts["state"][i]) == list(ds["state"][i])
        for key, tv in ts["state"][i].items():
            dv = ds["state"][i][key]
            assert str(dv.dtype).split(".")[-1] == str(tv.dtype).split(".")[-1], key
            np.testing.assert_allclose(dv.numpy(), tv.numpy(), rtol=tol, atol=tol)


ASGD_CASES = [
    {},
    {"lr": 0.05, "lambd": 1e-2, "alpha": 0.6, "t0": 2},
    {"lr": 0.03, "t0": 0, "weight_decay": 0.1, "maximize": True},
    {"lr": 0.02, "t0": 3, "foreach": False, "differentiable": False},
]


@pytest.mark.parametrize("kwargs", ASGD_CASES)
def test_asgd_matches_torch(kwargs):
    topt, dopt, _, _ = _run_pair("ASGD", kwargs)
    _compare_state(topt, dopt)


@pytest.mark.parametrize("kwargs", [
    {"foreach": True}, {"foreach": True, "lr": 0.05, "t0": 2, "maximize": True},
    {"foreach": True, "lr": 0.3, "lambd": 0.05, "alpha": 0.6, "t0": 0, "weight_decay": 0.01},
])
def test_asgd_foreach_matches_torch_multi_tensor_path(kwargs):
    # torch's foreach=True kernel rounds differently (eta in float32 tensor arithmetic, the
    # decay folded into the step); dpt follows it. Residual differences (~1e-12 relative)
    # come from fused multiply-adds in torch's vectorised kernels.
    topt, dopt, _, _ = _run_pair("ASGD", kwargs, steps=12, tol=1e-10)
    _compare_state(topt, dopt, tol=1e-10)


def test_asgd_param_groups_and_float32():
    topt, dopt, _, _ = _run_pair("ASGD", {"lr": 0.04, "t0": 1},
                                 group_kw={"lr": 0.1, "lambd": 0.01})
    _compare_state(topt, dopt)
    arrays = _arrays(1)
    tp, dp = _make(torch, arrays, torch.float32), _make(dpt, arrays, dpt.float32)
    topt, dopt = torch.optim.ASGD(tp, lr=0.05, t0=1), dpt.optim.ASGD(dp, lr=0.05, t0=1)
    for k in range(4):
        _set_grads(torch, tp, k)
        _set_grads(dpt, dp, k)
        topt.step()
        dopt.step()
    for a, b in zip(tp, dp):
        np.testing.assert_allclose(b.detach().numpy(), a.detach().numpy(), rtol=1e-6, atol=1e-6)


RPROP_CASES = [
    {},
    {"lr": 0.05, "etas": (0.3, 1.5), "step_sizes": (1e-3, 0.08)},
    {"lr": 0.02, "maximize": True},
    {"lr": 0.1, "foreach": False, "differentiable": False, "step_sizes": (0.05, 0.2)},
]


@pytest.mark.parametrize("kwargs", RPROP_CASES)
def test_rprop_matches_torch(kwargs):
    topt, dopt, _, _ = _run_pair("Rprop", kwargs, steps=8)
    _compare_state(topt, dopt)


def test_rprop_param_groups():
    topt, dopt, _, _ = _run_pair("Rprop", {"lr": 0.03}, group_kw={"etas": (0.4, 1.3)})
    _compare_state(topt, dopt)


@pytest.mark.parametrize("name,kwargs", [("ASGD", {"lr": 0.05, "t0": 1}), ("Rprop", {"lr": 0.05})])
def test_complex_params_match_torch(name, kwargs):
    rng = np.random.default_rng(3)
    a = rng.standard_normal(4) + 1j * rng.standard_normal(4)
    tp = torch.tensor(a, requires_grad=True)
    dp = dpt.tensor(a, requires_grad=True)
    topt, dopt = getattr(torch.optim, name)([tp], **kwargs), getattr(dpt.optim, name)([dp], **kwargs)
    for k in range(4):
        g = np.cos(a * (k + 1)) + 0.5j * np.sin(a * k)
        tp.grad, dp.grad = torch.tensor(g), dpt.tensor(g)
        topt.step()
        dopt.step()
        np.testing.assert_allclose(dp.detach().numpy(), tp.detach().numpy(), rtol=1e-12,
                                   atol=1e-12)


@pytest.mark.parametrize("name,kwargs", [("ASGD", {"lr": 0.05, "t0": 2}),
                                         ("Rprop", {"lr": 0.05, "etas": (0.4, 1.3)})])
def test_state_dict_round_trip_into_fresh_optimizer(name, kwargs):
    topt, dopt, tp, dp = _run_pair(name, kwargs, steps=3)
    saved = dopt.state_dict()
    fresh = getattr(dpt.optim, name)(dp, lr=0.5)
    fresh.load_state_dict(saved)
    assert fresh.param_groups[0]["lr"] == kwargs["lr"]
    # torch casts loaded floating state (ASGD's eta and mu too) to the parameter's dtype.
    tfresh = getattr(torch.optim, name)(tp, lr=0.5)
    tfresh.load_state_dict(topt.state_dict())
    _compare_state(tfresh, fresh)
    topt = tfresh
    for k in range(3, 7):
        _set_grads(torch, tp, k)
        _set_grads(dpt, dp, k)
        topt.step()
        fresh.step()
        for a, b in zip(tp, dp):
            np.testing.assert_allclose(b.detach().numpy(), a.detach().numpy(), rtol=1e-12,
                                       atol=1e-12)
    _compare_state(topt, fresh)
    # The loaded state is a copy: stepping the fresh optimizer left the saved dict alone.
    assert float(saved["state"][0]["step"]) == 3.0


def test_params_without_grad_are_skipped():
    p, q = dpt.ones(3, requires_grad=True), dpt.ones(3, requires_grad=True)
    for cls in (dpt.optim.ASGD, dpt.optim.Rprop):
        opt = cls([p, q])
        p.grad = dpt.ones(3)
        opt.step()
        assert q not in opt.state and p in opt.state
        assert np.array_equal(q.detach().numpy(), np.ones(3))


def test_closure_returns_loss():
    p = dpt.tensor([1.0, -2.0], requires_grad=True)
    for cls in (dpt.optim.ASGD, dpt.optim.Rprop):
        opt = cls([p])

        def closure():
            opt.zero_grad()
            loss = (p ** 2).sum()
            loss.backward()
            return loss

        assert float(opt.step(closure)) == pytest.approx(float((p.detach() ** 2).sum()), abs=1)


def _errors(fn):
    try:
        fn()
    except Exception as e:  # noqa: BLE001 - the type and message are what is compared
        return type(e), str(e)
    return None


@pytest.mark.parametrize("name,kwargs", [
    ("ASGD", {"lr": -1.0}), ("ASGD", {"weight_decay": -0.1}),
    ("Rprop", {"lr": -1.0}), ("Rprop", {"etas": (1.5, 2.0)}), ("Rprop", {"etas": (0.5, 0.9)}),
    ("Rprop", {"etas": (0.0, 1.2)}),
    ("SparseAdam", {"lr": 0.0}), ("SparseAdam", {"eps": 0.0}),
    ("SparseAdam", {"betas": (1.0, 0.5)}), ("SparseAdam", {"betas": (0.5, 1.0)}),
])
def test_constructor_errors_match_torch(name, kwargs):
    t = _errors(lambda: getattr(torch.optim, name)([torch.zeros(2, requires_grad=True)],
                                                   **kwargs))
    d = _errors(lambda: getattr(dpt.optim, name)([dpt.zeros(2, requires_grad=True)], **kwargs))
    assert t is not None and d == t


@pytest.mark.parametrize("name", ["ASGD", "Rprop"])
def test_capturable_on_cpu_raises_like_torch(name):
    tp, dp = torch.zeros(2, requires_grad=True), dpt.zeros(2, requires_grad=True)
    topt = getattr(torch.optim, name)([tp], capturable=True)
    dopt = getattr(dpt.optim, name)([dp], capturable=True)
    tp.grad, dp.grad = torch.ones(2), dpt.ones(2)
    assert _errors(dopt.step) == _errors(topt.step) and _errors(topt.step)[0] is AssertionError


def test_defaults_match_torch():
    for name in ("ASGD", "Rprop", "SparseAdam"):
        t = getattr(torch.optim, name)([torch.zeros(1, requires_grad=True)]).defaults
        d = getattr(dpt.optim, name)([dpt.zeros(1, requires_grad=True)]).defaults
        assert d == t, name


def test_sparse_adam_refuses_dense_gradients_like_torch():
    tp, dp = torch.zeros(2, requires_grad=True), dpt.zeros(2, requires_grad=True)
    topt, dopt = torch.optim.SparseAdam([tp]), dpt.optim.SparseAdam([dp])
    assert dopt.step() is None and topt.step() is None  # no gradients yet: nothing to do
    tp.grad, dp.grad = torch.ones(2), dpt.ones(2)
    assert _errors(dopt.step) == _errors(topt.step)
    assert _errors(dopt.step)[0] is RuntimeError
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        t = _errors(lambda: torch.optim.SparseAdam([torch.zeros(2, dtype=torch.complex64,
                                                                requires_grad=True)]))
    d = _errors(lambda: dpt.optim.SparseAdam([dpt.zeros(2, dtype=dpt.complex64,
                                                        requires_grad=True)]))
    assert d == t


def test_asgd_scalar_state_follows_default_dtype_like_torch():
    old_t, old_d = torch.get_default_dtype(), dpt.get_default_dtype()
    torch.set_default_dtype(torch.float64)
    dpt.set_default_dtype(dpt.float64)
    try:
        topt, dopt, _, _ = _run_pair("ASGD", {"lr": 0.05, "t0": 2})
        _compare_state(topt, dopt)
        assert str(dopt.state_dict()["state"][0]["eta"].dtype) == "dpt.float64"
    finally:
        torch.set_default_dtype(old_t)
        dpt.set_default_dtype(old_d)
