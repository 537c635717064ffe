"""dpt.optim.lr_scheduler: lr sequences against torch's documented closed-form formulas."""
import math
import warnings

import pytest

import dpt
import dpt.nn as nn
from dpt.optim import SGD, Adam
from dpt.optim import lr_scheduler as L


def make_opt(lr=0.1, cls=SGD, **kw):
    a, b = nn.Parameter(dpt.zeros(1)), nn.Parameter(dpt.zeros(1))
    if cls is SGD:
        kw.setdefault("momentum", 0.9)
    return cls([{"params": [a]}, {"params": [b], "lr": lr / 2}], lr=lr, **kw)


def lrs(sched, opt, n, group=0):
    """get_last_lr()[group] at epochs 0..n-1, stepping optimizer then scheduler."""
    out = [sched.get_last_lr()[group]]
    for _ in range(n - 1):
        opt.step()
        sched.step()
        out.append(sched.get_last_lr()[group])
    return out


def close(a, b):
    assert len(a) == len(b)
    for i, (x, y) in enumerate(zip(a, b)):
        assert x == pytest.approx(y, rel=1e-9, abs=1e-12), f"epoch {i}: {x} != {y}"


def test_step_and_multistep():
    opt = make_opt()
    close(lrs(L.StepLR(opt, step_size=3, gamma=0.5), opt, 10),
          [0.1 * 0.5 ** (e // 3) for e in range(10)])
    opt = make_opt()
    close(lrs(L.MultiStepLR(opt, milestones=[2, 5, 5], gamma=0.3), opt, 8),
          [0.1 * 0.3 ** sum(m <= e for m in [2, 5, 5]) for e in range(8)])


def test_exponential_and_group_lrs():
    opt = make_opt()
    s = L.ExponentialLR(opt, gamma=0.9)
    close(lrs(s, opt, 6), [0.1 * 0.9 ** e for e in range(6)])
    assert s.get_last_lr()[1] == pytest.approx(0.05 * 0.9 ** 5)
    assert [g["initial_lr"] for g in opt.param_groups] == [0.1, 0.05]


def test_cosine_annealing_recursive_matches_closed_form():
    opt = make_opt()
    T, eta = 5, 0.001
    expected = [eta + (0.1 - eta) * (1 + math.cos(math.pi * e / T)) / 2 for e in range(16)]
    close(lrs(L.CosineAnnealingLR(opt, T_max=T, eta_min=eta), opt, 16), expected)


def test_cosine_warm_restarts():
    opt = make_opt()
    T0, mult, eta = 3, 2, 0.01
    expected = []
    for e in range(16):
        t_i, t_cur = T0, e
        while t_cur >= t_i:
            t_cur -= t_i
            t_i *= mult
        expected.append(eta + (0.1 - eta) * (1 + math.cos(math.pi * t_cur / t_i)) / 2)
    s = L.CosineAnnealingWarmRestarts(opt, T_0=T0, T_mult=mult, eta_min=eta)
    close(lrs(s, opt, 16), expected)
    s.step(1.5)  # fractional epochs are allowed with an explicit epoch
    assert s.get_last_lr()[0] == pytest.approx(eta + (0.1 - eta) * (1 + math.cos(math.pi * 0.5)) / 2)
    with pytest.raises(ValueError, match="Expected positive integer T_0"):
        L.CosineAnnealingWarmRestarts(opt, T_0=0)


def test_lambda_and_multiplicative():
    opt = make_opt()
    close(lrs(L.LambdaLR(opt, lambda e: 1 / (e + 1)), opt, 6), [0.1 / (e + 1) for e in range(6)])
    opt = make_opt()
    s = L.LambdaLR(opt, [lambda e: 1.0, lambda e: 0.5 ** e])
    close(lrs(s, opt, 4, group=1), [0.05 * 0.5 ** e for e in range(4)])
    with pytest.raises(ValueError, match="Expected 2 lr_lambdas, but got 3"):
        L.LambdaLR(opt, [lambda e: 1] * 3)
    opt = make_opt()
    close(lrs(L.MultiplicativeLR(opt, lambda e: 0.9), opt, 5), [0.1 * 0.9 ** e for e in range(5)])


def test_linear_and_constant():
    opt = make_opt()
    sf, ef, n = 0.25, 1.0, 4
    close(lrs(L.LinearLR(opt, start_factor=sf, end_factor=ef, total_iters=n), opt, 8),
          [0.1 * (sf + (ef - sf) * min(e, n) / n) for e in range(8)])
    opt = make_opt()
    close(lrs(L.ConstantLR(opt, factor=0.5, total_iters=3), opt, 6),
          [0.1 * (0.5 if e < 3 else 1.0) for e in range(6)])
    with pytest.raises(ValueError, match="Constant multiplicative factor expected to be between 0 and 1"):
        L.ConstantLR(opt, factor=2)
    with pytest.raises(ValueError, match="Starting multiplicative factor expected"):
        L.LinearLR(opt, start_factor=0)


def test_polynomial():
    opt = make_opt()
    close(lrs(L.PolynomialLR(opt, total_iters=6, power=2.0), opt, 9),
          [0.1 * (1 - min(e, 6) / 6) ** 2 for e in range(9)])


def test_one_cycle():
    opt = make_opt()
    total, pct, div, final = 20, 0.3, 25.0, 1e4
    s = L.OneCycleLR(opt, max_lr=1.0, total_steps=total, pct_start=pct)
    init, lo = 1.0 / div, 1.0 / div / final
    up_end = pct * total - 1

    def cos(a, b, p):
        return b + (a - b) / 2 * (math.cos(math.pi * p) + 1)

    expected = [cos(init, 1.0, e / up_end) if e <= up_end
                else cos(1.0, lo, (e - up_end) / (total - 1 - up_end)) for e in range(total)]
    close(lrs(s, opt, total), expected)
    # momentum cycles inversely, from max_momentum down to base_momentum at the peak
    opt = make_opt()
    s = L.OneCycleLR(opt, max_lr=1.0, total_steps=total)
    assert opt.param_groups[0]["momentum"] == pytest.approx(0.95)
    for _ in range(int(up_end)):
        opt.step()
        s.step()
    assert opt.param_groups[0]["momentum"] == pytest.approx(0.85, rel=1e-6)
    for _ in range(total - 1 - int(up_end)):
        opt.step()
        s.step()
    with pytest.raises(ValueError, match="Tried to step 21 times"):
        opt.step()
        s.step()
        s.step()
    adam = make_opt(cls=Adam)
    L.OneCycleLR(adam, max_lr=0.1, epochs=2, steps_per_epoch=5)
    assert adam.param_groups[0]["betas"][0] == pytest.approx(0.95)
    with pytest.raises(ValueError, match="You must define either total_steps OR"):
        L.OneCycleLR(make_opt(), max_lr=0.1)


def test_one_cycle_linear_three_phase():
    opt = make_opt()
    total = 10
    s = L.OneCycleLR(opt, max_lr=1.0, total_steps=total, three_phase=True, anneal_strategy="linear")
    seq = lrs(s, opt, total)
    init = 1.0 / 25
    assert seq[0] == pytest.approx(init)
    assert max(seq) == pytest.approx(1.0)
    assert seq[4] == pytest.approx(init)  # end of phase 2: float(2 * 0.3 * 10) - 2 = 4
    assert seq[-1] == pytest.approx(init / 1e4)


def test_cyclic():
    opt = make_opt()
    base, top, up = 0.01, 0.1, 3
    s = L.CyclicLR(opt, base_lr=base, max_lr=top, step_size_up=up)

    def tri(e, scale=lambda c: 1.0):
        cycle = math.floor(1 + e / (2 * up))
        x = abs(e / up - 2 * cycle + 1)
        return base + (top - base) * max(0.0, 1 - x) * scale(cycle)

    close(lrs(s, opt, 14), [tri(e) for e in range(14)])
    assert opt.param_groups[0]["momentum"] == pytest.approx(0.9 - 0.1 * (1 - abs(13 / 3 - 5)))
    opt = make_opt()
    s = L.CyclicLR(opt, base_lr=base, max_lr=top, step_size_up=up, mode="triangular2")
    close(lrs(s, opt, 14), [tri(e, lambda c: 1 / 2 ** (c - 1)) for e in range(14)])
    opt = make_opt()
    s = L.CyclicLR(opt, base_lr=base, max_lr=top, step_size_up=up, mode="exp_range", gamma=0.9)
    seq = lrs(s, opt, 8)
    close(seq, [base + (tri(e) - base) * 0.9 ** e for e in range(8)])
    with pytest.raises(ValueError, match="optimizer must support momentum or beta1"):
        L.CyclicLR(dpt.optim.Adagrad([nn.Parameter(dpt.zeros(1))]), 0.1, 1.0)
    with pytest.raises(ValueError, match="mode is invalid and scale_fn is None"):
        L.CyclicLR(make_opt(), 0.1, 1.0, mode="zigzag")


def test_reduce_on_plateau():
    opt = make_opt()
    s = L.ReduceLROnPlateau(opt, patience=2, factor=0.5, cooldown=1, min_lr=[0.02, 0.0])
    seen = []
    for metric in [5, 4, 4, 4, 4, 4, 4, 4, 4, 4]:
        s.step(metric)
        seen.append(s.get_last_lr()[0])
    # improvements at epochs 1-2; 3 bad epochs (patience 2) reduce at the 5th step; then
    # one cooldown epoch, and three more bad epochs reduce again
    assert seen == [0.1, 0.1, 0.1, 0.1, 0.05, 0.05, 0.05, 0.05, 0.025, 0.025]
    for _ in range(10):  # reductions at the 13th and 17th steps; group 0 stops at min_lr
        s.step(4)
    assert s.get_last_lr() == [0.02, pytest.approx(0.05 * 0.5 ** 4)]
    opt = make_opt()
    s = L.ReduceLROnPlateau(opt, mode="max", patience=0, threshold=0.1, threshold_mode="abs")
    s.step(dpt.tensor(1.0))
    s.step(1.05)  # not better by more than 0.1: reduce
    assert s.get_last_lr()[0] == pytest.approx(0.01)
    with pytest.raises(ValueError, match="Factor should be < 1.0."):
        L.ReduceLROnPlateau(opt, factor=1.0)
    with pytest.raises(ValueError, match="mode avg is unknown!"):
        L.ReduceLROnPlateau(opt, mode="avg")


def test_sequential_and_chained():
    opt = make_opt()
    s = L.SequentialLR(opt, [L.ConstantLR(opt, factor=0.1, total_iters=2),
                             L.ExponentialLR(opt, gamma=0.9)], milestones=[3])
    close(lrs(s, opt, 8), [0.01, 0.01, 0.1, 0.1, 0.09, 0.081, 0.0729, 0.06561])
    opt = make_opt()
    c = L.ChainedScheduler([L.ConstantLR(opt, factor=0.1, total_iters=2),
                            L.ExponentialLR(opt, gamma=0.9)])
    close(lrs(c, opt, 5), [0.01, 0.009, 0.081, 0.0729, 0.06561])
    other = make_opt()
    with pytest.raises(ValueError, match="expects all schedulers to belong to the same optimizer"):
        L.SequentialLR(opt, [L.StepLR(opt, 1), L.StepLR(other, 1)], milestones=[1])
    with pytest.raises(ValueError, match="number of milestones to be equal to 2"):
        L.SequentialLR(opt, [L.StepLR(opt, 1), L.StepLR(opt, 1)], milestones=[1, 2])
    with pytest.raises(ValueError, match="does not support `ReduceLROnPlateau`"):
        L.ChainedScheduler([L.ReduceLROnPlateau(opt)])


def test_state_dict_roundtrip():
    opt = make_opt()
    s = L.StepLR(opt, step_size=2, gamma=0.5)
    for _ in range(3):
        opt.step()
        s.step()
    sd = s.state_dict()
    assert "optimizer" not in sd and sd["last_epoch"] == 3
    opt2 = make_opt()
    s2 = L.StepLR(opt2, step_size=100)
    s2.load_state_dict(sd)
    assert s2.step_size == 2 and s2.get_last_lr() == s.get_last_lr()
    opt.step()
    s.step()
    opt2.param_groups[0]["lr"] = opt.param_groups[0]["lr"] / 0.5  # the lr before the 4th step
    opt2.step()
    s2.step()
    assert s2.get_last_lr()[0] == s.get_last_lr()[0]

    class Factor:
        def __init__(self):
            self.k = 0.5

        def __call__(self, e):
            return self.k ** e

    fn = Factor()
    lam = L.LambdaLR(make_opt(), [fn, lambda e: 1.0])
    fn.k = 0.25
    sd = lam.state_dict()
    assert sd["lr_lambdas"] == [{"k": 0.25}, None]
    fresh = Factor()
    L.LambdaLR(make_opt(), [fresh, lambda e: 1.0]).load_state_dict(sd)
    assert fresh.k == 0.25

    seq_opt = make_opt()
    seq = L.SequentialLR(seq_opt, [L.ConstantLR(seq_opt), L.StepLR(seq_opt, 2)], milestones=[2])
    sd = seq.state_dict()
    assert len(sd["_schedulers"]) == 2 and "optimizer" not in sd["_schedulers"][0]


def test_resume_requires_initial_lr_and_wrong_optimizer():
    with pytest.raises(KeyError, match="param 'initial_lr' is not specified in param_groups"):
        L.StepLR(make_opt(), 2, last_epoch=3)
    with pytest.raises(TypeError, match="list is not an Optimizer"):
        L.StepLR([], 2)


def test_warning_when_scheduler_steps_first():
    opt = make_opt()
    s = L.StepLR(opt, 2)
    with pytest.warns(UserWarning, match=r"Detected call of `lr_scheduler.step\(\)` before"):
        s.step()
    opt = make_opt()
    s = L.StepLR(opt, 2)
    opt.step()
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        s.step()


def test_explicit_epoch_uses_closed_form():
    opt = make_opt()
    s = L.StepLR(opt, step_size=2, gamma=0.5)
    opt.step()
    with pytest.warns(UserWarning, match="The epoch parameter in `scheduler.step\\(\\)`"):
        s.step(5)
    assert s.get_last_lr()[0] == pytest.approx(0.1 * 0.5 ** 2)
