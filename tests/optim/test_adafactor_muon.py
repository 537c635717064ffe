"""Adafactor and Muon against torch 2.13: trajectories of a small model, state, errors."""
import numpy as np
import pytest

import dpt

torch = pytest.importorskip("torch")


def _model_pair(seed=0, dtype="float32", bias=True):
    """The same two-layer MLP in torch and dpt (weights copied through numpy)."""
    torch.manual_seed(seed)
    tm = torch.nn.Sequential(torch.nn.Linear(5, 7, bias=bias), torch.nn.Tanh(),
                             torch.nn.Linear(7, 3, bias=bias)).to(getattr(torch, dtype))
    dm = dpt.nn.Sequential(dpt.nn.Linear(5, 7, bias=bias), dpt.nn.Tanh(),
                           dpt.nn.Linear(7, 3, bias=bias)).to(getattr(dpt, dtype))
    with dpt.no_grad():
        for a, b in zip(tm.parameters(), dm.parameters()):
            b.copy_(dpt.tensor(a.detach().numpy()))
    return tm, dm


def _data(dtype="float32"):
    rng = np.random.default_rng(1)
    return rng.standard_normal((8, 5)).astype(dtype), rng.standard_normal((8, 3)).astype(dtype)


def _train(tm, dm, topt, dopt, steps, dtype="float32", tol=1e-5):
    x, y = _data(dtype)
    for _ in range(steps):
        for lib, m, opt in ((torch, tm, topt), (dpt, dm, dopt)):
            opt.zero_grad()
            loss = ((m(lib.tensor(x)) - lib.tensor(y)) ** 2).mean()
            loss.backward()
            opt.step()
        for a, b in zip(tm.parameters(), dm.parameters()):
            np.testing.assert_allclose(b.detach().numpy(), a.detach().numpy(), rtol=tol,
                                       atol=tol)


def _compare_state(topt, dopt, tol=1e-5):
    ts, ds = topt.state_dict(), dopt.state_dict()
    assert ts["param_groups"] == ds["param_groups"]
    assert list(ts["state"]) == list(ds["state"])
    for k in ts["state"]:
        assert list(ts["state"][k]) == list(ds["state"][k])
        for name, v in ts["state"][k].items():
            np.testing.assert_allclose(ds["state"][k][name].numpy(), v.numpy(), rtol=tol,
                                       atol=tol)
            assert ds["state"][k][name].dtype.itemsize == v.dtype.itemsize


# -- Adafactor ----------------------------------------------------------------------------------
@pytest.mark.parametrize("kwargs", [{}, {"lr": 0.05, "weight_decay": 0.1},
                                    {"maximize": True, "eps": (1e-20, 1e-2), "d": 1.5},
                                    {"beta2_decay": -0.5, "lr": 1e-3}])
def test_adafactor_trajectory_matches_torch(kwargs):
    tm, dm = _model_pair()
    topt = torch.optim.Adafactor(tm.parameters(), **kwargs)
    dopt = dpt.optim.Adafactor(dm.parameters(), **kwargs)
    _train(tm, dm, topt, dopt, 6)
    _compare_state(topt, dopt)


def test_adafactor_float64_batched_matrices_and_scalars():
    rng = np.random.default_rng(2)
    arrays = [rng.standard_normal((2, 3, 4)), rng.standard_normal(()), rng.standard_normal(5)]
    tp = [torch.tensor(a, requires_grad=True) for a in arrays]
    dp = [dpt.tensor(a, requires_grad=True) for a in arrays]
    topt = torch.optim.Adafactor(tp, lr=0.1)
    dopt = dpt.optim.Adafactor(dp, lr=0.1)
    for k in range(5):
        for ps, opt, lib in ((tp, topt, torch), (dp, dopt, dpt)):
            for p, a in zip(ps, arrays):
                p.grad = lib.tensor(np.sin(a * (k + 1)) + 0.1 * k)
            opt.step()
        for a, b in zip(tp, dp):
            np.testing.assert_allclose(b.detach().numpy(), a.detach().numpy(), rtol=1e-12,
                                       atol=1e-12)
    _compare_state(topt, dopt, tol=1e-12)
    assert tuple(dopt.state[dp[0]]["row_var"].shape) == (2, 3, 1)
    assert tuple(dopt.state[dp[0]]["col_var"].shape) == (2, 1, 4)


def test_adafactor_defaults_and_errors():
    p = dpt.nn.Parameter(dpt.ones(2, 2))
    opt = dpt.optim.Adafactor([p])
    g = opt.param_groups[0]
    assert (g["lr"], g["beta2_decay"], g["eps"], g["d"], g["weight_decay"], g["maximize"]) == \
        (1e-2, -0.8, (None, 1e-3), 1.0, 0.0, False)
    for kw, msg in [({"lr": -1}, "Learning rate should be >= 0 but is: -1"),
                    ({"beta2_decay": 0.1}, "beta2_decay should be <= 0 but is: 0.1"),
                    ({"eps": (-1, 1e-3)}, "epsilon1 should be >= 0 but is: -1"),
                    ({"eps": (None, -1)}, "epsilon2 should be >= 0 but is: -1"),
                    ({"d": 0.5}, "Clipping threshold d should be >= 1 but is: 0.5"),
                    ({"weight_decay": -1}, "weight_decay should be >= 0 but is: -1")]:
        with pytest.raises(ValueError, match=msg.replace("(", r"\(")):
            dpt.optim.Adafactor([p], **kw)
    c = dpt.nn.Parameter(dpt.ones(2, dtype=dpt.complex64))
    c.grad = dpt.ones(2, dtype=dpt.complex64)
    with pytest.raises(RuntimeError, match="Adafactor does not support complex parameters"):
        dpt.optim.Adafactor([c]).step()


# -- Muon ---------------------------------------------------------------------------------------
@pytest.mark.parametrize("kwargs", [{}, {"lr": 0.02, "momentum": 0.9},
                                    {"nesterov": False, "weight_decay": 0.0},
                                    {"adjust_lr_fn": "match_rms_adamw", "ns_steps": 3},
                                    {"adjust_lr_fn": "original", "lr": 0.05}])
def test_muon_trajectory_matches_torch(kwargs):
    tm, dm = _model_pair(bias=False)
    topt = torch.optim.Muon(tm.parameters(), **kwargs)
    dopt = dpt.optim.Muon(dm.parameters(), **kwargs)
    _train(tm, dm, topt, dopt, 5)
    _compare_state(topt, dopt)


def test_muon_newton_schulz_is_bitwise_torch():
    from torch.optim._muon import _zeropower_via_newtonschulz as tz

    from dpt.optim.muon import _zeropower_via_newtonschulz as dz
    rng = np.random.default_rng(3)
    for shape in [(4, 6), (9, 3), (8, 8)]:
        g = rng.standard_normal(shape).astype(np.float32)
        coeffs = (3.4445, -4.7750, 2.0315)
        ours = dz(g, coeffs, 5, 1e-7)
        theirs = tz(torch.tensor(g), coeffs, 5, 1e-7).float().numpy()
        np.testing.assert_array_equal(ours, theirs)
        s = np.linalg.svd(ours.astype(np.float64), compute_uv=False)
        assert 0.3 < s.min() and s.max() < 1.5  # near-orthogonal, as the method promises


def test_muon_defaults_and_errors():
    w = dpt.nn.Parameter(dpt.ones(3, 2))
    g = dpt.optim.Muon([w]).param_groups[0]
    assert (g["lr"], g["weight_decay"], g["momentum"], g["nesterov"], g["ns_coefficients"],
            g["eps"], g["ns_steps"], g["adjust_lr_fn"]) == \
        (1e-3, 0.1, 0.95, True, (3.4445, -4.7750, 2.0315), 1e-7, 5, None)
    with pytest.raises(ValueError, match=r"Muon only supports 2D parameters whereas we found a "
                                         r"parameter with size: dpt.Size\(\[3\]\)"):
        dpt.optim.Muon([dpt.nn.Parameter(dpt.ones(3))])
    for kw, msg in [({"lr": -1}, "Learning rate should be >= 0 but is: -1"),
                    ({"momentum": -1}, "momentum should be >= 0 but is: -1"),
                    ({"weight_decay": -1}, "weight decay should be >= 0 but is: -1"),
                    ({"adjust_lr_fn": "x"}, "Adjust learning rate function x is not supported")]:
        with pytest.raises(ValueError, match=msg):
            dpt.optim.Muon([w], **kw)
    w.grad = dpt.ones(3, 2)
    with pytest.raises(ValueError, match="Number of steps must be less than 100"):
        dpt.optim.Muon([w], ns_steps=100).step()


# -- swap_in_optimizer_params_and_state ---------------------------------------------------------
def _swap_run(lib):
    w = lib.nn.Parameter(lib.tensor(np.arange(6.).reshape(2, 3)))
    opt = lib.optim.Adam([w], lr=0.1)
    w.grad = lib.ones(2, 3, dtype=lib.float64)
    opt.step()
    sd = opt.state_dict()
    w2 = lib.tensor(np.ones((2, 3)))
    w2.grad = lib.full((2, 3), 2.0, dtype=lib.float64)
    osd = {"state": {0: {k: v.clone() for k, v in sd["state"][0].items()}},
           "param_groups": [dict(sd["param_groups"][0], lr=0.5)]}
    params_list = opt.param_groups[0]["params"]
    with lib.optim.swap_in_optimizer_params_and_state(opt, {"w": w2}, osd):
        assert opt.param_groups[0]["lr"] == 0.5 and opt.param_groups[0]["params"] == [w2]
        opt.step()
    assert opt.param_groups[0]["params"] is params_list and opt.param_groups[0]["lr"] == 0.1
    return [w.detach().numpy(), w2.detach().numpy(), osd["state"][0]["exp_avg"].numpy(),
            osd["state"][0]["step"].numpy(), opt.state[w]["step"].numpy()]


def test_swap_in_optimizer_params_and_state_matches_torch():
    for a, b in zip(_swap_run(torch), _swap_run(dpt)):
        np.testing.assert_allclose(b, a, rtol=1e-12)


def test_swap_in_optimizer_params_and_state_errors():
    def check(make_args):
        msgs = []
        for lib in (torch, dpt):
            w = lib.nn.Parameter(lib.ones(2, dtype=lib.float64))
            opt = lib.optim.SGD([w], lr=0.1, momentum=0.9)
            if make_args is None:  # no step yet: the state is not initialised
                args = ({"w": w}, {"state": {}, "param_groups": []})
            else:
                w.grad = lib.ones(2, dtype=lib.float64)
                opt.step()
                args = make_args(w, opt.state_dict()["param_groups"])
            with pytest.raises(RuntimeError) as e:
                with lib.optim.swap_in_optimizer_params_and_state(opt, *args):
                    pass
            msgs.append(str(e.value))
        assert msgs[0] == msgs[1]

    check(None)
    check(lambda w, groups: ({"w": w}, []))
    check(lambda w, groups: ({"w": w}, {"state": [], "param_groups": []}))
    check(lambda w, groups: ({"w": w}, {"state": {}, "param_groups": {}}))
    check(lambda w, groups: ({"w": w}, {"state": {}, "param_groups": []}))
    check(lambda w, groups: ({"w": w}, {"state": {0: 1}, "param_groups": groups}))
    check(lambda w, groups: ({"w": w}, {"state": {},
                                        "param_groups": [dict(groups[0], params=[0, 1])]}))
    check(lambda w, groups: ({"w": w}, {"state": {}, "param_groups": [dict(groups[0], extra=1)]}))
    check(lambda w, groups: ({}, {"state": {}, "param_groups": groups}))
    check(lambda w, groups: ({"w": w}, {"state": {5: {}}, "param_groups": groups}))


def test_adafactor_and_muon_on_device_match_cpu(device):
    rng = np.random.default_rng(4)
    arrays = [rng.standard_normal((4, 3)).astype(np.float32),
              rng.standard_normal(3).astype(np.float32)]
    results = []
    for dev in ("cpu", device):
        ps = [dpt.nn.Parameter(dpt.tensor(a, device=dev)) for a in arrays]
        muon, ada = dpt.optim.Muon(ps[:1], lr=0.05), dpt.optim.Adafactor(ps[1:], lr=0.05)
        for k in range(3):
            for p, a in zip(ps, arrays):
                p.grad = dpt.tensor(np.cos(a * (k + 1)), device=dev)
            muon.step()
            ada.step()
        assert all(p.device == dpt.device(dev if ":" in dev or dev == "cpu" else dev + ":0")
                   for p in ps)
        results.append([p.detach().cpu().numpy() for p in ps])
    for a, b in zip(*results):
        np.testing.assert_allclose(b, a, rtol=1e-5, atol=1e-6)
