"""dpt.optim: each update rule re-derived in numpy from torch's documented pseudo-code,
plus parameter groups, state_dict round trips, zero_grad, closures and LBFGS."""
import copy
import math
import pickle

import numpy as np
import pytest

import dpt
import dpt.nn as nn
import dpt.optim as optim
from tests.helpers import assert_close

P0 = np.array([[0.5, -1.0, 2.0], [1.5, 0.25, -0.75]])
GRADS = [np.random.default_rng(i).standard_normal(P0.shape) for i in range(6)]


def run(opt_cls, **kw):
    """The parameter trajectory of opt_cls over GRADS (float64)."""
    p = nn.Parameter(dpt.tensor(P0))
    opt = opt_cls([p], **kw)
    out = []
    for g in GRADS:
        p.grad = dpt.tensor(g)
        opt.step()
        out.append(p.detach().numpy().copy())
    return out, opt, p


def check(opt_cls, reference, **kw):
    got, opt, p = run(opt_cls, **kw)
    expected = reference(**kw)
    for step, (a, b) in enumerate(zip(got, expected)):
        np.testing.assert_allclose(a, b, rtol=1e-10, atol=1e-12, err_msg=f"step {step + 1}")
    return opt, p


# -- numpy references, following the pseudo-code in torch's documentation ------------------------
def ref_sgd(lr=1e-3, momentum=0, dampening=0, weight_decay=0, nesterov=False, maximize=False):
    # maximize negates the gradient before weight decay, as torch's implementation does
    theta, b, out = P0.copy(), None, []
    for t, g in enumerate(GRADS, 1):
        g = (-g if maximize else g) + weight_decay * theta
        if momentum:
            b = g.copy() if t == 1 else momentum * b + (1 - dampening) * g
            g = g + momentum * b if nesterov else b
        theta = theta - lr * g
        out.append(theta)
    return out


def ref_adam(lr=1e-3, betas=(0.9, 0.999), eps=1e-8, weight_decay=0, amsgrad=False,
             maximize=False, decoupled=False):
    b1, b2 = betas
    theta, m, v, vmax, out = P0.copy(), 0 * P0, 0 * P0, 0 * P0, []
    for t, g in enumerate(GRADS, 1):
        g = -g if maximize else g
        if decoupled:
            theta = theta - lr * weight_decay * theta
        elif weight_decay:
            g = g + weight_decay * theta
        m = b1 * m + (1 - b1) * g
        v = b2 * v + (1 - b2) * g * g
        m_hat = m / (1 - b1 ** t)
        if amsgrad:
            vmax = np.maximum(vmax, v)
            v_hat = vmax / (1 - b2 ** t)
        else:
            v_hat = v / (1 - b2 ** t)
        theta = theta - lr * m_hat / (np.sqrt(v_hat) + eps)
        out.append(theta)
    return out


def ref_adamw(lr=1e-3, betas=(0.9, 0.999), eps=1e-8, weight_decay=1e-2, amsgrad=False,
              maximize=False):
    return ref_adam(lr, betas, eps, weight_decay, amsgrad, maximize, decoupled=True)


def ref_rmsprop(lr=1e-2, alpha=0.99, eps=1e-8, weight_decay=0, momentum=0, centered=False):
    theta, v, gavg, b, out = P0.copy(), 0 * P0, 0 * P0, 0 * P0, []
    for g in GRADS:
        g = g + weight_decay * theta
        v = alpha * v + (1 - alpha) * g * g
        v_tilde = v
        if centered:
            gavg = alpha * gavg + (1 - alpha) * g
            v_tilde = v - gavg * gavg
        if momentum > 0:
            b = momentum * b + g / (np.sqrt(v_tilde) + eps)
            theta = theta - lr * b
        else:
            theta = theta - lr * g / (np.sqrt(v_tilde) + eps)
        out.append(theta)
    return out


def ref_adagrad(lr=1e-2, lr_decay=0, weight_decay=0, initial_accumulator_value=0, eps=1e-10):
    theta, s, out = P0.copy(), np.full_like(P0, initial_accumulator_value), []
    for t, g in enumerate(GRADS, 1):
        clr = lr / (1 + (t - 1) * lr_decay)
        g = g + weight_decay * theta
        s = s + g * g
        theta = theta - clr * g / (np.sqrt(s) + eps)
        out.append(theta)
    return out


def ref_adadelta(lr=1.0, rho=0.9, eps=1e-6, weight_decay=0):
    theta, v, u, out = P0.copy(), 0 * P0, 0 * P0, []
    for g in GRADS:
        g = g + weight_decay * theta
        v = v * rho + g * g * (1 - rho)
        dx = np.sqrt(u + eps) / np.sqrt(v + eps) * g
        u = u * rho + dx * dx * (1 - rho)
        theta = theta - lr * dx
        out.append(theta)
    return out


def ref_adamax(lr=2e-3, betas=(0.9, 0.999), eps=1e-8, weight_decay=0):
    b1, b2 = betas
    theta, m, u, out = P0.copy(), 0 * P0, 0 * P0, []
    for t, g in enumerate(GRADS, 1):
        g = g + weight_decay * theta
        m = b1 * m + (1 - b1) * g
        u = np.maximum(b2 * u, np.abs(g) + eps)
        theta = theta - lr * m / ((1 - b1 ** t) * u)
        out.append(theta)
    return out


def ref_nadam(lr=2e-3, betas=(0.9, 0.999), eps=1e-8, weight_decay=0, momentum_decay=4e-3,
              decoupled_weight_decay=False):
    b1, b2 = betas
    theta, m, v, out = P0.copy(), 0 * P0, 0 * P0, []
    mu_prod = np.float32(1.0)  # torch keeps the running product in a float32 tensor
    for t, g in enumerate(GRADS, 1):
        if decoupled_weight_decay:
            theta = theta * (1 - lr * weight_decay)
        else:
            g = g + weight_decay * theta
        mu = b1 * (1 - 0.5 * 0.96 ** (t * momentum_decay))
        mu_next = b1 * (1 - 0.5 * 0.96 ** ((t + 1) * momentum_decay))
        mu_prod = np.float32(mu_prod * mu)
        m = b1 * m + (1 - b1) * g
        v = b2 * v + (1 - b2) * g * g
        denom = np.sqrt(v / (1 - b2 ** t)) + eps
        theta = (theta - lr * (1 - mu) / (1 - float(mu_prod)) * g / denom
                 - lr * mu_next / (1 - float(mu_prod) * mu_next) * m / denom)
        out.append(theta)
    return out


def ref_radam(lr=1e-3, betas=(0.9, 0.999), eps=1e-8, weight_decay=0,
              decoupled_weight_decay=False):
    b1, b2 = betas
    theta, m, v, out = P0.copy(), 0 * P0, 0 * P0, []
    rho_inf = 2 / (1 - b2) - 1
    for t, g in enumerate(GRADS, 1):
        if decoupled_weight_decay:
            theta = theta * (1 - lr * weight_decay)
        else:
            g = g + weight_decay * theta
        m = b1 * m + (1 - b1) * g
        v = b2 * v + (1 - b2) * g * g
        m_hat = m / (1 - b1 ** t)
        rho_t = rho_inf - 2 * t * b2 ** t / (1 - b2 ** t)
        if rho_t > 5:
            l_t = math.sqrt(1 - b2 ** t) / (np.sqrt(v) + eps)
            r_t = math.sqrt((rho_t - 4) * (rho_t - 2) * rho_inf
                            / ((rho_inf - 4) * (rho_inf - 2) * rho_t))
            theta = theta - lr * m_hat * l_t * r_t
        else:
            theta = theta - lr * m_hat
        out.append(theta)
    return out


# -- the update rules ------------------------------------------------------------------------
@pytest.mark.parametrize("kw", [dict(lr=0.1), dict(lr=0.1, weight_decay=0.1),
                                dict(lr=0.1, momentum=0.9), dict(lr=0.1, momentum=0.9, dampening=0.5),
                                dict(lr=0.1, momentum=0.9, nesterov=True),
                                dict(lr=0.1, momentum=0.5, maximize=True, weight_decay=0.01)])
def test_sgd(kw):
    opt, p = check(optim.SGD, ref_sgd, **kw)
    assert ("momentum_buffer" in opt.state[p]) == bool(kw.get("momentum"))


def test_sgd_step_by_hand_tutorial():
    """new = old - lr * grad, checked on a small model as in the reference walkthrough."""
    model = nn.Sequential(nn.Linear(3, 2), nn.Linear(2, 1))
    old = [p.detach().numpy().copy() for p in model.parameters()]
    opt = optim.SGD(model.parameters(), lr=2)
    model.zero_grad()
    model(dpt.rand(1, 3)).backward()
    opt.step()
    for p, o in zip(opt.param_groups[0]["params"], old):
        assert_close(p, o - 2 * p.grad.numpy(), rtol=1e-6)


@pytest.mark.parametrize("kw", [dict(lr=0.01), dict(lr=0.01, betas=(0.8, 0.9), weight_decay=0.1),
                                dict(lr=0.01, amsgrad=True), dict(lr=0.01, maximize=True)])
def test_adam(kw):
    opt, p = check(optim.Adam, ref_adam, **kw)
    st = opt.state[p]
    assert list(st) == ["step", "exp_avg", "exp_avg_sq"] + (["max_exp_avg_sq"] if kw.get("amsgrad") else [])
    assert st["step"].item() == len(GRADS) and st["step"].dtype == dpt.float32


@pytest.mark.parametrize("kw", [dict(lr=0.01), dict(lr=0.01, weight_decay=0.5, amsgrad=True)])
def test_adamw(kw):
    check(optim.AdamW, ref_adamw, **kw)


@pytest.mark.parametrize("kw", [dict(lr=0.01), dict(lr=0.01, centered=True),
                                dict(lr=0.01, momentum=0.9, weight_decay=0.1),
                                dict(lr=0.01, centered=True, momentum=0.5)])
def test_rmsprop(kw):
    check(optim.RMSprop, ref_rmsprop, **kw)


@pytest.mark.parametrize("kw", [dict(lr=0.1), dict(lr=0.1, lr_decay=0.1, weight_decay=0.1,
                                                   initial_accumulator_value=0.5)])
def test_adagrad(kw):
    opt, p = check(optim.Adagrad, ref_adagrad, **kw)
    fresh = optim.Adagrad([nn.Parameter(dpt.zeros(2))], initial_accumulator_value=0.3)
    (st,) = fresh.state.values()  # torch creates Adagrad's state at construction
    assert st["step"].item() == 0 and np.allclose(st["sum"].numpy(), 0.3)


@pytest.mark.parametrize("kw", [dict(), dict(lr=0.5, rho=0.8, weight_decay=0.1)])
def test_adadelta(kw):
    check(optim.Adadelta, ref_adadelta, **kw)


@pytest.mark.parametrize("kw", [dict(), dict(lr=0.01, weight_decay=0.1)])
def test_adamax(kw):
    check(optim.Adamax, ref_adamax, **kw)


@pytest.mark.parametrize("kw", [dict(), dict(lr=0.01, weight_decay=0.1),
                                dict(lr=0.01, weight_decay=0.1, decoupled_weight_decay=True)])
def test_nadam(kw):
    check(optim.NAdam, ref_nadam, **kw)


@pytest.mark.parametrize("kw", [dict(lr=0.01), dict(lr=0.01, weight_decay=0.1),
                                dict(lr=0.01, weight_decay=0.1, decoupled_weight_decay=True)])
def test_radam(kw):
    check(optim.RAdam, ref_radam, **kw)


def test_radam_uses_rectified_step_after_warmup():
    # with betas=(0.9, 0.999), rho_t exceeds 5 from step 6 on: both branches are exercised
    b2 = 0.999
    rho_inf = 2 / (1 - b2) - 1
    rho = [rho_inf - 2 * t * b2 ** t / (1 - b2 ** t) for t in range(1, 7)]
    assert rho[4] <= 5 < rho[5]


@pytest.mark.parametrize("cls", [optim.SGD, optim.Adam, optim.AdamW, optim.RMSprop, optim.Adagrad,
                                 optim.Adadelta, optim.Adamax, optim.NAdam, optim.RAdam])
def test_float32_params_stay_float32_and_bump_version(cls):
    p = nn.Parameter(dpt.ones(3))
    opt = cls([p], lr=0.1)
    p.grad = dpt.ones(3)
    v = p._vc[0]
    opt.step()
    assert p.dtype == dpt.float32 and p._vc[0] > v
    assert not np.allclose(p.detach().numpy(), 1.0)


def test_params_without_grad_are_skipped_and_complex_params():
    a, b = nn.Parameter(dpt.ones(2)), nn.Parameter(dpt.ones(2))
    opt = optim.Adam([a, b], lr=0.1)
    a.grad = dpt.ones(2)
    opt.step()
    assert_close(b, [1.0, 1.0]) and len(opt.state) == 1
    z = nn.Parameter(dpt.tensor([1 + 2j], dtype=dpt.complex128))
    opt = optim.SGD([z], lr=0.5, momentum=0.9)
    z.grad = dpt.tensor([2 - 4j], dtype=dpt.complex128)
    opt.step()
    assert_close(z, np.array([0 + 4j]))


# -- construction errors and groups --------------------------------------------------------
def test_invalid_hyperparameters():
    p = [nn.Parameter(dpt.zeros(1))]
    with pytest.raises(ValueError, match="Invalid learning rate: -1"):
        optim.SGD(p, lr=-1)
    with pytest.raises(ValueError, match="Nesterov momentum requires a momentum and zero dampening"):
        optim.SGD(p, lr=0.1, nesterov=True)
    with pytest.raises(ValueError, match="Invalid beta parameter at index 1: 1.0"):
        optim.Adam(p, betas=(0.9, 1.0))
    with pytest.raises(ValueError, match="Invalid epsilon value: -1"):
        optim.RMSprop(p, eps=-1)
    with pytest.raises(ValueError, match="Invalid rho value: 2"):
        optim.Adadelta(p, rho=2)
    with pytest.raises(ValueError, match="optimizer got an empty parameter list"):
        optim.SGD([], lr=0.1)
    with pytest.raises(TypeError, match="should be an iterable of Tensors or dicts"):
        optim.SGD(p[0], lr=0.1)
    with pytest.raises(TypeError, match="optimizer can only optimize Tensors"):
        optim.SGD([1.0], lr=0.1)
    with pytest.raises(ValueError, match="can't optimize a non-leaf Tensor"):
        optim.SGD([p[0] * 2], lr=0.1)
    with pytest.raises(TypeError, match="organized in ordered collections"):
        optim.SGD([{"params": {p[0]}}], lr=0.1)


def test_per_layer_learning_rates():
    """The tutorial's per-layer learning rates via parameter groups."""
    model = nn.Sequential(nn.Linear(2, 2), nn.Linear(2, 1))
    opt = optim.SGD([{"params": model[0].parameters()},
                     {"params": model[1].parameters(), "lr": 1.0}], lr=0.1, momentum=0.9)
    assert [g["lr"] for g in opt.param_groups] == [0.1, 1.0]
    assert all(g["momentum"] == 0.9 for g in opt.param_groups)
    old = [p.detach().numpy().copy() for p in model.parameters()]
    model(dpt.ones(3, 2)).sum().backward()
    opt.step()
    for i, p in enumerate(model.parameters()):
        lr = 0.1 if i < 2 else 1.0
        assert_close(p, old[i] - lr * p.grad.numpy(), rtol=1e-6)


def test_add_param_group():
    a, b = nn.Parameter(dpt.zeros(1)), nn.Parameter(dpt.zeros(1))
    opt = optim.Adam([a], lr=0.1)
    opt.add_param_group({"params": b, "betas": (0.5, 0.6)})
    g = opt.param_groups[1]
    assert g["params"] == [b] and g["lr"] == 0.1 and g["betas"] == (0.5, 0.6)
    with pytest.raises(ValueError, match="some parameters appear in more than one parameter group"):
        opt.add_param_group({"params": [a]})
    with pytest.raises(TypeError, match="param_group must be a dict"):
        opt.add_param_group([a])
    with pytest.warns(UserWarning, match="duplicate parameters"):
        optim.SGD([a, a], lr=0.1)


def test_repr():
    opt = optim.SGD([nn.Parameter(dpt.zeros(1))], lr=0.1)
    assert repr(opt) == ("SGD (\nParameter Group 0\n    dampening: 0\n    differentiable: False\n"
                         "    foreach: None\n    fused: None\n    lr: 0.1\n    maximize: False\n"
                         "    momentum: 0\n    nesterov: False\n    weight_decay: 0\n)")


def test_zero_grad():
    p = nn.Parameter(dpt.ones(2))
    opt = optim.SGD([p], lr=0.1)
    p.grad = dpt.ones(2)
    opt.zero_grad(set_to_none=False)
    assert_close(p.grad, [0.0, 0.0])
    opt.zero_grad()
    assert p.grad is None


def test_step_closure_and_hooks():
    p = nn.Parameter(dpt.tensor([3.0]))
    opt = optim.SGD([p], lr=0.25)
    calls = []
    opt.register_step_pre_hook(lambda o, args, kwargs: calls.append("pre"))
    handle = opt.register_step_post_hook(lambda o, args, kwargs: calls.append("post"))

    def closure():
        opt.zero_grad()
        loss = (p * p).sum()
        loss.backward()
        return loss

    loss = opt.step(closure)
    assert loss.item() == 9.0 and calls == ["pre", "post"]
    assert_close(p, [3.0 - 0.25 * 6.0])
    handle.remove()
    opt.step(closure)
    assert calls == ["pre", "post", "pre"]


# -- state_dict ----------------------------------------------------------------------------
def test_state_dict_layout_and_roundtrip():
    model = nn.Sequential(nn.Linear(2, 3), nn.Linear(3, 1))
    opt = optim.Adam([{"params": model[0].parameters()},
                      {"params": model[1].parameters(), "lr": 0.5}], lr=0.01)
    x = dpt.rand(4, 2)
    for _ in range(2):
        opt.zero_grad()
        model(x).sum().backward()
        opt.step()
    sd = opt.state_dict()
    assert sorted(sd["state"]) == [0, 1, 2, 3]
    assert [g["params"] for g in sd["param_groups"]] == [[0, 1], [2, 3]]
    assert sd["param_groups"][1]["lr"] == 0.5
    assert set(sd["state"][0]) == {"step", "exp_avg", "exp_avg_sq"}

    # a second model/optimizer loaded from the state takes exactly the same next step
    model2 = copy.deepcopy(model)
    opt2 = optim.Adam([{"params": model2[0].parameters()},
                       {"params": model2[1].parameters(), "lr": 123.0}], lr=0.01)
    opt2.load_state_dict(pickle.loads(pickle.dumps(sd)))
    assert opt2.param_groups[1]["lr"] == 0.5
    assert opt2.param_groups[0]["params"][0] is model2[0].weight
    assert opt2.state_dict()["param_groups"] == sd["param_groups"]
    for m, o in ((model, opt), (model2, opt2)):
        o.zero_grad()
        m(x).sum().backward()
        o.step()
    for a, b in zip(model.parameters(), model2.parameters()):
        np.testing.assert_array_equal(a.detach().numpy(), b.detach().numpy())


def test_load_state_dict_errors_and_casts():
    p = nn.Parameter(dpt.zeros(2, dtype=dpt.float64))
    opt = optim.SGD([p], lr=0.1, momentum=0.9)
    other = optim.SGD([nn.Parameter(dpt.zeros(2)), nn.Parameter(dpt.zeros(1))], lr=0.1)
    with pytest.raises(ValueError, match="doesn't match the size of optimizer's group"):
        opt.load_state_dict(other.state_dict())
    two = optim.SGD([{"params": [nn.Parameter(dpt.zeros(2))]},
                     {"params": [nn.Parameter(dpt.zeros(2))]}], lr=0.1)
    with pytest.raises(ValueError, match="different number of parameter groups"):
        opt.load_state_dict(two.state_dict())
    src = optim.SGD([nn.Parameter(dpt.zeros(2))], lr=0.3, momentum=0.9)
    src.state[src.param_groups[0]["params"][0]]["momentum_buffer"] = dpt.ones(2)
    opt.load_state_dict(src.state_dict())
    buf = opt.state[p]["momentum_buffer"]
    assert buf.dtype == dpt.float64 and opt.param_groups[0]["lr"] == 0.3


# -- LBFGS ---------------------------------------------------------------------------------
@pytest.mark.parametrize("line_search", [None, "strong_wolfe"])
def test_lbfgs_minimises_a_quadratic(line_search):
    rng = np.random.default_rng(0)
    A = rng.standard_normal((6, 3))
    y = rng.standard_normal(6)
    x = nn.Parameter(dpt.zeros(3, dtype=dpt.float64))
    opt = optim.LBFGS([x], lr=1, max_iter=50, line_search_fn=line_search)
    At, yt = dpt.tensor(A), dpt.tensor(y)

    def closure():
        opt.zero_grad()
        r = At @ x - yt
        loss = (r * r).sum()
        loss.backward()
        return loss

    for _ in range(3):
        opt.step(closure)
    solution = np.linalg.lstsq(A, y, rcond=None)[0]
    assert_close(x, solution, rtol=1e-5, atol=1e-6)
    assert opt.state[x]["func_evals"] >= 2 and opt.state[x]["n_iter"] >= 2


def test_lbfgs_first_iteration_is_a_scaled_gradient_step():
    """With max_iter=1 the step is -min(1, 1/|g|_1) * lr * g."""
    x = nn.Parameter(dpt.tensor([1.0, -2.0], dtype=dpt.float64))
    opt = optim.LBFGS([x], lr=0.5, max_iter=1)

    def closure():
        opt.zero_grad()
        loss = (x * x).sum()
        loss.backward()
        return loss

    opt.step(closure)
    g = np.array([2.0, -4.0])
    assert_close(x, np.array([1.0, -2.0]) - min(1.0, 1 / np.abs(g).sum()) * 0.5 * g)


def test_lbfgs_errors():
    a, b = nn.Parameter(dpt.zeros(1)), nn.Parameter(dpt.zeros(1))
    with pytest.raises(ValueError, match="LBFGS doesn't support per-parameter options"):
        optim.LBFGS([{"params": [a]}, {"params": [b]}])
    with pytest.raises(RuntimeError, match="requires a closure"):
        optim.LBFGS([a]).step(None)
