"""dpt.optim.swa_utils against torch.optim.swa_utils: averaging, SWALR, update_bn, a run."""
import numpy as np
import pytest

import dpt
from dpt.optim import swa_utils

torch = pytest.importorskip("torch")
tswa = torch.optim.swa_utils


def _models(dtype="float64", seed=0):
    """The same small BN network in torch and dpt (dpt gets torch's initial weights)."""
    torch.manual_seed(seed)
    tdt, ddt = getattr(torch, dtype), getattr(dpt, dtype)
    tm = torch.nn.Sequential(torch.nn.Linear(4, 6), torch.nn.BatchNorm1d(6), torch.nn.ReLU(),
                             torch.nn.Linear(6, 2)).to(tdt)
    dm = dpt.nn.Sequential(dpt.nn.Linear(4, 6), dpt.nn.BatchNorm1d(6), dpt.nn.ReLU(),
                           dpt.nn.Linear(6, 2)).to(ddt)
    dm.load_state_dict({k: dpt.tensor(v.numpy()) for k, v in tm.state_dict().items()})
    return tm, dm


def _assert_same_state(tmod, dmod, tol=1e-12):
    ts, ds = tmod.state_dict(), dmod.state_dict()
    assert list(ts) == list(ds)
    for k in ts:
        np.testing.assert_allclose(ds[k].numpy(), ts[k].numpy(), rtol=tol, atol=tol, err_msg=k)
        assert str(ds[k].dtype).split(".")[-1] == str(ts[k].dtype).split(".")[-1], k


def _perturb(tm, dm, k):
    """Move both models' weights and buffers the same way, as a training step would."""
    for (_, tp), (_, dp) in zip(tm.state_dict().items(), dm.state_dict().items()):
        if tp.is_floating_point():
            delta = np.sin(np.arange(tp.numel()).reshape(tuple(tp.shape)) + k) * 0.1
            tp.add_(torch.tensor(delta, dtype=tp.dtype))
            dp.add_(dpt.tensor(delta, dtype=dp.dtype))
        else:
            tp.add_(k + 1)
            dp.add_(k + 1)


AVG_CASES = [
    ({}, {}),
    ({"avg_fn": tswa.get_ema_avg_fn(0.9)}, {"avg_fn": swa_utils.get_ema_avg_fn(0.9)}),
    ({"avg_fn": tswa.get_swa_avg_fn()}, {"avg_fn": swa_utils.get_swa_avg_fn()}),
    ({"multi_avg_fn": tswa.get_ema_multi_avg_fn(0.8)},
     {"multi_avg_fn": swa_utils.get_ema_multi_avg_fn(0.8)}),
    ({"multi_avg_fn": tswa.get_swa_multi_avg_fn()},
     {"multi_avg_fn": swa_utils.get_swa_multi_avg_fn()}),
    ({"multi_avg_fn": tswa.get_ema_multi_avg_fn(0.7), "use_buffers": True},
     {"multi_avg_fn": swa_utils.get_ema_multi_avg_fn(0.7), "use_buffers": True}),
    ({"use_buffers": True}, {"use_buffers": True}),
    ({"avg_fn": lambda a, m, n: 0.25 * a + 0.75 * m, "use_buffers": True},
     {"avg_fn": lambda a, m, n: 0.25 * a + 0.75 * m, "use_buffers": True}),
]


@pytest.mark.parametrize("dtype", ["float64", "float32"])
@pytest.mark.parametrize("tkw,dkw", AVG_CASES)
def test_averaged_model_matches_torch(tkw, dkw, dtype):
    tm, dm = _models(dtype)
    tavg, davg = tswa.AveragedModel(tm, **tkw), swa_utils.AveragedModel(dm, **dkw)
    tol = 1e-12 if dtype == "float64" else 1e-6
    _assert_same_state(tavg, davg)
    for k in range(4):
        _perturb(tm, dm, k)
        tavg.update_parameters(tm)
        davg.update_parameters(dm)
        _assert_same_state(tavg, davg, tol)
    assert int(davg.n_averaged) == int(tavg.n_averaged) == 4
    x = np.random.default_rng(1).standard_normal((5, 4))
    tavg.eval()
    davg.eval()
    np.testing.assert_allclose(davg(dpt.tensor(x, dtype=getattr(dpt, dtype))).detach().numpy(),
                               tavg(torch.tensor(x, dtype=getattr(torch, dtype))).detach().numpy(),
                               rtol=tol, atol=tol)


def test_state_dict_layout_and_round_trip():
    tm, dm = _models()
    tavg, davg = tswa.AveragedModel(tm), swa_utils.AveragedModel(dm)
    assert list(davg.state_dict()) == list(tavg.state_dict())
    assert list(davg.state_dict())[0] == "n_averaged"
    assert davg.n_averaged.dtype is dpt.int64 and davg.n_averaged.ndim == 0
    davg.update_parameters(dm)
    other = swa_utils.AveragedModel(dm)
    other.load_state_dict(davg.state_dict())
    assert int(other.n_averaged) == 1
    # The copy is deep: the averaged parameters are not the model's.
    assert all(p is not q for p, q in zip(davg.module.parameters(), dm.parameters()))


def test_swa_multi_avg_fn_on_integer_buffers_raises_like_torch():
    tm, dm = _models()
    tavg = tswa.AveragedModel(tm, multi_avg_fn=tswa.get_swa_multi_avg_fn(), use_buffers=True)
    davg = swa_utils.AveragedModel(dm, multi_avg_fn=swa_utils.get_swa_multi_avg_fn(),
                                   use_buffers=True)
    tavg.update_parameters(tm)
    davg.update_parameters(dm)
    with pytest.raises(RuntimeError, match="Integer division with addcdiv"):
        tavg.update_parameters(tm)
    with pytest.raises(RuntimeError, match="Integer division with addcdiv"):
        davg.update_parameters(dm)


def test_argument_errors_match_torch():
    tm, dm = _models()
    with pytest.raises(AssertionError, match="Only one of avg_fn and multi_avg_fn"):
        swa_utils.AveragedModel(dm, avg_fn=swa_utils.get_swa_avg_fn(),
                                multi_avg_fn=swa_utils.get_swa_multi_avg_fn())
    for bad in (-0.1, 1.5):
        for name in ("get_ema_avg_fn", "get_ema_multi_avg_fn"):
            with pytest.raises(ValueError) as t:
                getattr(tswa, name)(bad)
            with pytest.raises(ValueError) as d:
                getattr(swa_utils, name)(bad)
            assert str(d.value) == str(t.value)


def test_device_argument():
    _, dm = _models()
    davg = swa_utils.AveragedModel(dm, device="cpu")
    assert davg.n_averaged.device.type == "cpu"
    assert all(p.device.type == "cpu" for p in davg.parameters())


def _sgd_pair(n_groups=1):
    tp = [torch.zeros(2, requires_grad=True) for _ in range(n_groups)]
    dp = [dpt.zeros(2, requires_grad=True) for _ in range(n_groups)]
    tg = [{"params": [p], "lr": 0.1 * (i + 1)} for i, p in enumerate(tp)]
    dg = [{"params": [p], "lr": 0.1 * (i + 1)} for i, p in enumerate(dp)]
    return torch.optim.SGD(tg, lr=0.5), dpt.optim.SGD(dg, lr=0.5)


@pytest.mark.parametrize("kwargs", [
    {"swa_lr": 0.05}, {"swa_lr": 0.05, "anneal_strategy": "linear"},
    {"swa_lr": 0.05, "anneal_epochs": 3}, {"swa_lr": 0.02, "anneal_epochs": 0},
    {"swa_lr": [0.05, 0.01], "anneal_epochs": 4, "anneal_strategy": "linear"},
    {"swa_lr": [0.3, 0.01], "anneal_epochs": 1},
])
def test_swalr_matches_torch(kwargs):
    topt, dopt = _sgd_pair(2)
    tsch, dsch = tswa.SWALR(topt, **kwargs), swa_utils.SWALR(dopt, **kwargs)
    assert dsch.get_last_lr() == pytest.approx(tsch.get_last_lr(), rel=1e-15)
    for _ in range(14):
        topt.step()
        dopt.step()
        tsch.step()
        dsch.step()
        assert dsch.get_last_lr() == pytest.approx(tsch.get_last_lr(), rel=1e-15, abs=1e-18)
        assert [g["swa_lr"] for g in dopt.param_groups] == [g["swa_lr"] for g in topt.param_groups]


def test_swalr_state_dict_round_trip():
    topt, dopt = _sgd_pair()
    dsch = swa_utils.SWALR(dopt, swa_lr=0.05, anneal_epochs=5, anneal_strategy="linear")
    tsch = tswa.SWALR(topt, swa_lr=0.05, anneal_epochs=5, anneal_strategy="linear")
    for _ in range(2):
        dopt.step()
        dsch.step()
    state = dsch.state_dict()
    assert "anneal_func" not in state and "optimizer" not in state
    # torch's LRScheduler base also keeps an '_is_initial' flag that dpt's base does not.
    assert set(state) == set(tsch.state_dict()) - {"_is_initial"}
    topt2, dopt2 = _sgd_pair()
    fresh = swa_utils.SWALR(dopt2, swa_lr=0.9, anneal_strategy="cos")
    fresh.load_state_dict(state)
    assert fresh.anneal_func is swa_utils.SWALR._linear_anneal
    dopt2.load_state_dict(dopt.state_dict())  # lr and swa_lr live in the param groups
    for _ in range(4):
        dsch.step()
        fresh.step()
        assert fresh.get_last_lr() == dsch.get_last_lr()


@pytest.mark.parametrize("kwargs", [
    {"swa_lr": 0.1, "anneal_strategy": "exp"}, {"swa_lr": 0.1, "anneal_epochs": -1},
    {"swa_lr": 0.1, "anneal_epochs": 2.0}, {"swa_lr": [0.1, 0.2, 0.3]},
])
def test_swalr_errors_match_torch(kwargs):
    topt, dopt = _sgd_pair(2)
    with pytest.raises(ValueError) as t:
        tswa.SWALR(topt, **kwargs)
    with pytest.raises(ValueError) as d:
        swa_utils.SWALR(dopt, **kwargs)
    assert str(d.value) == str(t.value)


def _loader(lib, n=4, seed=2, as_tuple=True):
    rng = np.random.default_rng(seed)
    batches = [rng.standard_normal((5, 4)) * (i + 1) for i in range(n)]
    if as_tuple:
        return [(lib.tensor(b), lib.tensor(np.zeros(5))) for b in batches]
    return [lib.tensor(b) for b in batches]


@pytest.mark.parametrize("as_tuple", [True, False])
def test_update_bn_matches_torch(as_tuple):
    tm, dm = _models()
    tm.eval()
    dm.eval()
    tm[1].momentum = dm[1].momentum = 0.3
    tswa.update_bn(_loader(torch, as_tuple=as_tuple), tm)
    swa_utils.update_bn(_loader(dpt, as_tuple=as_tuple), dm, device="cpu")
    _assert_same_state(tm, dm)
    assert dm[1].momentum == 0.3 and not dm.training
    assert int(dm[1].num_batches_tracked) == 4


def test_update_bn_without_batchnorm_is_a_no_op():
    dm = dpt.nn.Linear(4, 2)
    before = {k: v.clone() for k, v in dm.state_dict().items()}
    swa_utils.update_bn(iter(()), dm)
    assert all(dpt.equal(before[k], v) for k, v in dm.state_dict().items())


def test_swa_training_run_matches_torch():
    """torch's documented recipe: SGD + CosineAnnealingLR, then SWALR and averaging, then
    update_bn on the averaged model; every number compared against torch."""
    tm, dm = _models()
    rng = np.random.default_rng(5)
    data = [(rng.standard_normal((8, 4)), rng.standard_normal((8, 2))) for _ in range(3)]
    tloader = [(torch.tensor(x), torch.tensor(y)) for x, y in data]
    dloader = [(dpt.tensor(x), dpt.tensor(y)) for x, y in data]
    topt = torch.optim.SGD(tm.parameters(), lr=0.1, momentum=0.9)
    dopt = dpt.optim.SGD(dm.parameters(), lr=0.1, momentum=0.9)
    tsched = torch.optim.lr_scheduler.CosineAnnealingLR(topt, T_max=10)
    dsched = dpt.optim.lr_scheduler.CosineAnnealingLR(dopt, T_max=10)
    tswa_model, dswa_model = tswa.AveragedModel(tm), swa_utils.AveragedModel(dm)
    tswa_sched = tswa.SWALR(topt, swa_lr=0.05, anneal_epochs=2)
    dswa_sched = swa_utils.SWALR(dopt, swa_lr=0.05, anneal_epochs=2)
    swa_start = 3
    for epoch in range(7):
        for (tx, ty), (dx, dy) in zip(tloader, dloader):
            topt.zero_grad()
            dopt.zero_grad()
            torch.nn.functional.mse_loss(tm(tx), ty).backward()
            dpt.nn.functional.mse_loss(dm(dx), dy).backward()
            topt.step()
            dopt.step()
        if epoch > swa_start:
            tswa_model.update_parameters(tm)
            dswa_model.update_parameters(dm)
            tswa_sched.step()
            dswa_sched.step()
        else:
            tsched.step()
            dsched.step()
        assert dopt.param_groups[0]["lr"] == pytest.approx(topt.param_groups[0]["lr"], rel=1e-12)
        _assert_same_state(tm, dm, tol=1e-10)
    tswa.update_bn(tloader, tswa_model)
    swa_utils.update_bn(dloader, dswa_model)
    _assert_same_state(tswa_model, dswa_model, tol=1e-10)
    x = rng.standard_normal((6, 4))
    np.testing.assert_allclose(dswa_model(dpt.tensor(x)).detach().numpy(),
                               tswa_model(torch.tensor(x)).detach().numpy(), rtol=1e-10,
                               atol=1e-10)
