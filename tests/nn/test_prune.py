"""dpt.nn.utils.prune against torch.nn.utils.prune (masks equal after manual_seed)."""
import math

import numpy as np
import pytest

import dpt
import dpt.nn as nn
import dpt.nn.utils.prune as prune

torch = pytest.importorskip("torch")
tprune = pytest.importorskip("torch.nn.utils.prune")


def _np(t):
    return t.detach().numpy()


def _assert_same(d, t):
    sd_d, sd_t = d.state_dict(), t.state_dict()
    assert list(sd_d) == list(sd_t)
    for k in sd_t:
        np.testing.assert_array_equal(_np(sd_d[k]), sd_t[k].numpy())
    for hook_d, hook_t in zip(d._forward_pre_hooks.values(), t._forward_pre_hooks.values()):
        assert type(hook_d).__name__ == type(hook_t).__name__
    assert len(d._forward_pre_hooks) == len(t._forward_pre_hooks)


def _conv_pair():
    dpt.manual_seed(0)
    torch.manual_seed(0)
    return nn.Conv2d(3, 6, 3), torch.nn.Conv2d(3, 6, 3)


STEPS = [("random_unstructured", dict(amount=0.3)),
         ("l1_unstructured", dict(amount=7)),
         ("random_structured", dict(amount=2, dim=0)),
         ("ln_structured", dict(amount=0.34, n=2, dim=1)),
         ("ln_structured", dict(amount=1, n=math.inf, dim=-1)),
         ("ln_structured", dict(amount=1, n=1, dim=0)),
         ("identity", {})]


@pytest.mark.parametrize("step", range(len(STEPS)))
def test_single_method_matches_torch(step):
    d, t = _conv_pair()
    name, kw = STEPS[step]
    dpt.manual_seed(5)
    torch.manual_seed(5)
    getattr(prune, name)(d, "weight", **kw)
    getattr(tprune, name)(t, "weight", **kw)
    _assert_same(d, t)
    assert "weight" not in d._parameters and isinstance(d.weight_orig, nn.Parameter)
    np.testing.assert_array_equal(_np(d.weight), _np(d.weight_orig * d.weight_mask))
    assert prune.is_pruned(d)


def test_iterative_pruning_builds_container_and_matches_torch():
    d, t = _conv_pair()
    for i, (name, kw) in enumerate(STEPS):
        dpt.manual_seed(i)
        torch.manual_seed(i)
        getattr(prune, name)(d, "weight", **kw)
        getattr(tprune, name)(t, "weight", **kw)
        _assert_same(d, t)
    hook = next(iter(d._forward_pre_hooks.values()))
    assert isinstance(hook, prune.PruningContainer) and len(hook) == len(STEPS)
    assert [type(m).__name__ for m in hook] == [type(m).__name__ for m in
                                                 next(iter(t._forward_pre_hooks.values()))]
    # forward recomputes weight from weight_orig * mask (through the pre-hook)
    with dpt.no_grad():
        d.weight_orig.add_(1.0)
    with torch.no_grad():
        t.weight_orig.add_(1.0)
    x = np.random.RandomState(0).randn(2, 3, 5, 5).astype(np.float32)
    yd, yt = d(dpt.tensor(x)), t(torch.tensor(x))
    np.testing.assert_allclose(_np(yd), _np(yt), atol=1e-5)
    yd.sum().backward()
    yt.sum().backward()
    np.testing.assert_allclose(_np(d.weight_orig.grad), t.weight_orig.grad.numpy(), atol=1e-4)
    assert (_np(d.weight_orig.grad)[_np(d.weight_mask) == 0] == 0).all()
    prune.remove(d, "weight")
    tprune.remove(t, "weight")
    _assert_same(d, t)
    assert isinstance(d.weight, nn.Parameter) and not prune.is_pruned(d)


def test_importance_scores_and_bias():
    d, t = _conv_pair()
    scores = np.random.RandomState(1).rand(6, 3, 3, 3).astype(np.float32)
    prune.l1_unstructured(d, "weight", amount=0.5, importance_scores=dpt.tensor(scores))
    tprune.l1_unstructured(t, "weight", amount=0.5, importance_scores=torch.tensor(scores))
    prune.ln_structured(d, "weight", amount=2, n=2, dim=0, importance_scores=dpt.tensor(scores))
    tprune.ln_structured(t, "weight", amount=2, n=2, dim=0,
                         importance_scores=torch.tensor(scores))
    prune.l1_unstructured(d, "bias", amount=3)
    tprune.l1_unstructured(t, "bias", amount=3)
    _assert_same(d, t)


def test_custom_from_mask_and_global_unstructured():
    dpt.manual_seed(0)
    torch.manual_seed(0)
    dm = nn.Sequential(nn.Linear(4, 3), nn.Linear(3, 2))
    tm = torch.nn.Sequential(torch.nn.Linear(4, 3), torch.nn.Linear(3, 2))
    mask = np.array([1.0, 0.0, 1.0])
    prune.custom_from_mask(dm[0], "bias", dpt.tensor(mask))
    tprune.custom_from_mask(tm[0], "bias", torch.tensor(mask))
    params_d = [(dm[0], "weight"), (dm[1], "weight"), (dm[1], "bias"), (dm[0], "bias")]
    params_t = [(tm[0], "weight"), (tm[1], "weight"), (tm[1], "bias"), (tm[0], "bias")]
    prune.global_unstructured(params_d, prune.L1Unstructured, amount=0.5)
    tprune.global_unstructured(params_t, tprune.L1Unstructured, amount=0.5)
    for a, b in zip(dm, tm):
        _assert_same(a, b)
    dpt.manual_seed(3)
    torch.manual_seed(3)
    prune.global_unstructured(params_d[:2], prune.RandomUnstructured, amount=3)
    tprune.global_unstructured(params_t[:2], tprune.RandomUnstructured, amount=3)
    for a, b in zip(dm, tm):
        _assert_same(a, b)
    scores = {(dm[1], "weight"): dpt.zeros(2, 3)}
    prune.global_unstructured(params_d[:2], prune.L1Unstructured, amount=2,
                              importance_scores=scores)
    tprune.global_unstructured(params_t[:2], tprune.L1Unstructured, amount=2,
                               importance_scores={(tm[1], "weight"): torch.zeros(2, 3)})
    for a, b in zip(dm, tm):
        _assert_same(a, b)
    with pytest.raises(TypeError, match='Only "unstructured" PRUNING_TYPE'):
        prune.global_unstructured(params_d[:1], prune.RandomStructured, amount=1)
    with pytest.raises(TypeError, match="importance_scores must be of type dict"):
        prune.global_unstructured(params_d[:1], prune.L1Unstructured, amount=1,
                                  importance_scores=[1])


def test_prune_method_on_plain_tensor_and_container_rules():
    t = dpt.tensor([[3.0, -1.0, 2.0], [0.5, -4.0, 6.0]])
    out = prune.L1Unstructured(amount=2).prune(t)
    np.testing.assert_array_equal(_np(out), [[3.0, 0.0, 2.0], [0.0, -4.0, 6.0]])
    out = prune.LnStructured(amount=1, n=1, dim=1).prune(t)
    tt = torch.tensor(_np(t))
    np.testing.assert_array_equal(_np(out), tprune.LnStructured(amount=1, n=1, dim=1).prune(tt))
    a, b = prune.Identity(), prune.Identity()
    a._tensor_name, b._tensor_name = "weight", "bias"
    c = prune.PruningContainer(a)
    with pytest.raises(ValueError, match="Can only add pruning methods acting on the parameter "
                                         "named 'weight'"):
        c.add_pruning_method(b)
    with pytest.raises(TypeError, match="is not a BasePruningMethod subclass"):
        c.add_pruning_method(3)
    assert len(c) == 1 and c[0] is a


def test_amount_validation_errors_as_torch():
    for bad, exc in ((-1, ValueError), (1.5, ValueError), ("a", TypeError)):
        with pytest.raises(exc):
            prune.L1Unstructured(amount=bad)
        with pytest.raises(exc):
            tprune.L1Unstructured(amount=bad)
    d, _ = _conv_pair()
    with pytest.raises(ValueError, match=r"amount=1000 should be smaller than the number of "
                                         r"parameters to prune=162"):
        prune.l1_unstructured(d, "weight", amount=1000)
    # the failed pruning left the module untouched
    assert "weight" in d._parameters and "weight_orig" not in d._parameters
    lin = nn.Linear(3, 2)
    with pytest.raises(ValueError, match="Structured pruning can only be applied to "
                                         "multidimensional tensors"):
        prune.ln_structured(lin, "bias", amount=1, n=2, dim=0)
    with pytest.raises(IndexError, match="Invalid index 2 for tensor of size"):
        prune.ln_structured(lin, "weight", amount=1, n=2, dim=2)
    with pytest.raises(ValueError, match="has to be pruned before pruning can be removed"):
        prune.remove(lin, "weight")


def test_pruned_training_step_matches_torch():
    d, t = _conv_pair()
    prune.l1_unstructured(d, "weight", amount=0.4)
    tprune.l1_unstructured(t, "weight", amount=0.4)
    od, ot = dpt.optim.SGD(d.parameters(), lr=0.1), torch.optim.SGD(t.parameters(), lr=0.1)
    rs = np.random.RandomState(2)
    for _ in range(2):
        x = rs.randn(2, 3, 5, 5).astype(np.float32)
        for m, opt, lib in ((d, od, dpt), (t, ot, torch)):
            opt.zero_grad()
            (m(lib.tensor(x)) ** 2).mean().backward()
            opt.step()
    for k, v in t.state_dict().items():
        np.testing.assert_allclose(_np(d.state_dict()[k]), v.numpy(), atol=1e-5)


def test_gradcheck_through_mask():
    lin = nn.Linear(3, 2).double()
    prune.random_unstructured(lin, "weight", amount=2)
    x = dpt.tensor(np.random.RandomState(0).randn(4, 3), requires_grad=True)
    w = lin.weight_orig.detach().clone().requires_grad_(True)
    mask = lin.weight_mask

    def fn(w, x):
        return dpt.nn.functional.linear(x, mask * w, lin.bias)

    assert dpt.autograd.gradcheck(fn, (w, x))


def _every_other(lib_prune):
    class EveryOther(lib_prune.BasePruningMethod):  # a user-defined method, as in torch's docs
        PRUNING_TYPE = "unstructured"

        def compute_mask(self, t, default_mask):
            mask = default_mask.clone()
            mask.view(-1)[::2] = 0
            return mask

    return EveryOther


def test_user_subclass_of_base_pruning_method_matches_torch():
    d, t = _conv_pair()
    DE, TE = _every_other(prune), _every_other(tprune)
    DE.apply(d, "weight")
    TE.apply(t, "weight")
    prune.l1_unstructured(d, "weight", amount=10)
    tprune.l1_unstructured(t, "weight", amount=10)
    DE.apply(d, "weight")  # acts only on the entries still unpruned
    TE.apply(t, "weight")
    _assert_same(d, t)
    hook = next(iter(d._forward_pre_hooks.values()))
    assert [type(m).__name__ for m in hook] == ["EveryOther", "L1Unstructured", "EveryOther"]
    with pytest.raises(TypeError):
        prune.BasePruningMethod()  # abstract: compute_mask is required
