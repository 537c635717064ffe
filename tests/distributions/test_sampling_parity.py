"""Same seed, same samples as torch: every distribution's sample/rsample, and the samplers
underneath (_standard_gamma, _sample_dirichlet, binomial, poisson), equal torch's CPU
values bit for bit, and leave the generator where torch leaves it. Plus the statistics of
large samples and the implicit reparameterisation gradients."""

import numpy as np
import pytest

torch = pytest.importorskip("torch")
from scipy import special  # noqa: E402

import dpt  # noqa: E402
import dpt.distributions as D  # noqa: E402

TD = torch.distributions
DTYPES = ["float32", "float64"]
SEEDS = [0, 1, 12345]


def _pair(x, dt):
    x = np.asarray(x, dtype=np.float64)
    return torch.tensor(x, dtype=getattr(torch, dt)), dpt.tensor(x, dtype=getattr(dpt, dt))


def _same(draw_torch, draw_dpt, seed):
    """Both draws after seeding both libraries with seed (None: as they stand): equal values,
    dtype and shape, and the next numbers of both generators equal too (the same amount of
    stream consumed)."""
    if seed is not None:
        torch.manual_seed(seed)
    a = draw_torch()
    if seed is not None:
        dpt.manual_seed(seed)
    b = draw_dpt()
    a, b = a.detach().numpy(), b.detach().numpy()
    assert a.dtype == b.dtype and a.shape == b.shape
    np.testing.assert_array_equal(b, a)
    assert dpt.randn(3, dtype=dpt.float64).tolist() == torch.randn(3, dtype=torch.float64).tolist()


# -- the distributions -----------------------------------------------------------------------
PARAMS = {  # (small, large) parameter sets, batch shape (2,) or (2, 2)
    "Gamma": [([0.3, 0.05], [1.0, 2.5]), ([[40.0, 1.0], [3.0, 900.0]], [[0.5, 3.0], [1.0, 2.0]])],
    "Chi2": [([0.4, 1.5],), ([9.0, 250.0],)],
    "StudentT": [([0.6, 1.2], [0.0, 1.0], [1.0, 2.0]), ([30.0, 400.0], [-1.0, 3.0], [0.5, 4.0])],
    "Beta": [([0.2, 0.9], [0.5, 0.05]), ([30.0, 2.0], [5.0, 700.0])],
    "Dirichlet": [([[0.1, 0.9, 0.5]],), ([[3.0, 40.0, 1.5, 0.3, 7.0], [1.0, 1.0, 1.0, 1.0, 1.0]],)],
    "Poisson": [([0.5, 9.5],), ([10.0, 2000.0],)],
    "Binomial": [([5.0, 20.0], [0.3, 0.9]), ([[100.0, 1000.0]], [[0.2], [0.85]])],
    "Cauchy": [([0.0, 1.0], [1.0, 3.0]), ([[100.0, -5.0]], [[0.01], [50.0]])],
    "Bernoulli": [([0.1, 0.9],), ([[0.5, 0.3], [1.0, 0.0]],)],
}


@pytest.mark.parametrize("dt", DTYPES)
@pytest.mark.parametrize("size", ["small", "large"])
@pytest.mark.parametrize("name", sorted(PARAMS))
def test_distribution_samples_equal_torch(name, size, dt):
    params = PARAMS[name][size == "large"]
    tp, dp = zip(*[_pair(p, dt) for p in params])
    method = "rsample" if getattr(TD, name).has_rsample else "sample"
    for seed in SEEDS:
        for shape in [(), (4,), (2, 3)]:
            _same(lambda: getattr(getattr(TD, name)(*tp), method)(shape),
                  lambda: getattr(getattr(D, name)(*dp), method)(shape), seed)


@pytest.mark.parametrize("dt", DTYPES)
@pytest.mark.parametrize("name,params", [("Gamma", (0.7, 2.0)), ("Chi2", (3.0,)),
                                         ("StudentT", (4.0, 1.0, 2.0)), ("Beta", (0.5, 2.0)),
                                         ("Poisson", (3.5,)), ("Binomial", (12.0, 0.4)),
                                         ("Cauchy", (0.0, 1.0)), ("Bernoulli", (0.25,))])
def test_scalar_parameters_equal_torch(name, params, dt):
    tp, dp = zip(*[_pair(p, dt) for p in params])
    for seed in SEEDS:
        for shape in [(), (5,)]:
            _same(lambda: getattr(TD, name)(*tp).sample(shape),
                  lambda: getattr(D, name)(*dp).sample(shape), seed)


# -- the samplers underneath -------------------------------------------------------------------
@pytest.mark.parametrize("dt", DTYPES)
def test_standard_gamma_equals_torch(dt):
    alphas = [0.0, 1e-4, 0.01, 0.3, 0.999, 1.0, 1.5, 7.3, 80.0, 1e4, 3e7]
    ta, da = _pair(np.tile(alphas, 60), dt)
    for seed in SEEDS:
        _same(lambda: torch._standard_gamma(ta), lambda: dpt._standard_gamma(da), seed)
    ta, da = _pair(0.25, dt)
    _same(lambda: torch._standard_gamma(ta), lambda: dpt._standard_gamma(da), 3)
    ta, da = _pair(np.zeros((0, 3)), dt)
    _same(lambda: torch._standard_gamma(ta), lambda: dpt._standard_gamma(da), 3)


@pytest.mark.parametrize("dt", DTYPES)
@pytest.mark.parametrize("alpha", [1.0, 1.3, 4.0, 250.0])
def test_standard_gamma_one_alpha_equals_torch(alpha, dt):
    # one alpha >= 1 for every element takes the vectorised path; near 1 it restarts often
    # (normals with y <= 0), and a cached normal before it shifts every attempt
    ta, da = _pair(np.full((2000,), alpha), dt)
    for seed in SEEDS:
        for spare in (False, True):
            torch.manual_seed(seed)
            dpt.manual_seed(seed)
            if spare:
                torch.randn(1, dtype=torch.float64)
                dpt.randn(1, dtype=dpt.float64)
            _same(lambda: torch._standard_gamma(ta), lambda: dpt._standard_gamma(da), None)


@pytest.mark.parametrize("dt", DTYPES)
def test_standard_gamma_few_alphas_equal_torch(dt):
    # a few alphas >= 1, in a cycle or in blocks: the vectorised path with classes
    for alphas in (np.tile([1.0, 1.0001, 7.0], 400), np.repeat([1.5, 2.5, 30.0, 1e5], 300)):
        ta, da = _pair(alphas, dt)
        for seed in SEEDS:
            _same(lambda: torch._standard_gamma(ta), lambda: dpt._standard_gamma(da), seed)
    t, d = _pair([2.0, 3.0, 1.5], dt)
    _same(lambda: TD.Dirichlet(t).sample((500,)), lambda: D.Dirichlet(d).sample((500,)), 6)


@pytest.mark.parametrize("dt", DTYPES)
def test_standard_gamma_uses_the_cached_normal(dt):
    # a lone randn leaves the second Box-Muller value in the generator; gamma's first normal
    # must take it, and gamma's last spare must be left for the next normal draw
    ta, da = _pair([2.0, 0.5, 3.0], dt)
    for seed in SEEDS:
        _same(lambda: torch.cat([torch.randn(1, dtype=torch.float64).to(ta.dtype),
                                 torch._standard_gamma(ta)]),
              lambda: dpt.cat([dpt.randn(1, dtype=dpt.float64).to(da.dtype),
                               dpt._standard_gamma(da)]), seed)


@pytest.mark.parametrize("dt", DTYPES)
def test_standard_gamma_noncontiguous_and_generator(dt):
    x = np.random.RandomState(0).gamma(1.0, size=(4, 6)) + 0.05
    ta, da = _pair(x, dt)
    _same(lambda: torch._standard_gamma(ta.t()), lambda: dpt._standard_gamma(da.t()), 5)
    _same(lambda: torch._standard_gamma(ta[:, ::2]), lambda: dpt._standard_gamma(da[:, ::2]), 5)
    a = torch._standard_gamma(ta, generator=torch.Generator().manual_seed(9))
    b = dpt._standard_gamma(da, generator=dpt.Generator().manual_seed(9))
    np.testing.assert_array_equal(b.numpy(), a.numpy())


@pytest.mark.parametrize("dt", DTYPES)
@pytest.mark.parametrize("k", [1, 2, 3, 4, 5, 8, 15, 16, 17, 40, 100, 256, 1100])
def test_sample_dirichlet_equals_torch(k, dt):
    # k >= 4 sums the gammas in the order of torch's vectorised (AVX2) sum kernel, k >= 256
    # through its cascade of partial sums
    alpha = np.random.RandomState(k).gamma(1.0, size=(3, k)) + 0.01
    alpha[0, 0] = 0.001
    ta, da = _pair(alpha, dt)
    for seed in SEEDS[:2]:
        _same(lambda: torch._sample_dirichlet(ta), lambda: dpt._sample_dirichlet(da), seed)


@pytest.mark.parametrize("dt", DTYPES)
def test_binomial_equals_torch(dt):
    # inversion (count * p < 10) and BTRS (>= 10), p on both sides of 1/2, the edges
    counts = [0, 1, 5, 10, 20, 37, 100, 1000, 12345, 1e6, 3e7]
    probs = [0.0, 1e-4, 0.01, 0.1, 0.3, 0.5, 0.5000001, 0.7, 0.95, 0.999, 1.0]
    n = np.tile(np.repeat(counts, len(probs)), 8)
    p = np.tile(probs, len(counts) * 8)
    tn, dn = _pair(n, dt)
    tp, dp = _pair(p, dt)
    for seed in SEEDS:
        _same(lambda: torch.binomial(tn, tp), lambda: dpt.binomial(dn, dp), seed)
    tn, dn = _pair([2.5, 17.5, 1e8 + 3], dt)  # counts that are not (float32) integers
    tp, dp = _pair([0.5, 0.9, 0.4], dt)
    _same(lambda: torch.binomial(tn, tp), lambda: dpt.binomial(dn, dp), 0)


@pytest.mark.parametrize("dt", DTYPES)
def test_binomial_few_parameter_sets_equal_torch(dt):
    # every element on BTRS with a few distinct (count, p): a vectorised path
    tn, dn = _pair(np.tile([[30.0, 30.0, 500.0]], (700, 1)), dt)
    tp, dp = _pair(np.tile([[0.5, 0.97, 0.2]], (700, 1)), dt)
    for seed in SEEDS:
        _same(lambda: torch.binomial(tn, tp), lambda: dpt.binomial(dn, dp), seed)
    tn, dn = _pair(np.full(5000, 1e6), dt)
    tp, dp = _pair(np.full(5000, 0.3), dt)
    _same(lambda: torch.binomial(tn, tp), lambda: dpt.binomial(dn, dp), 4)
    # every element on inversion (count * p < 10), a few (count, p): the other vectorised path
    tn, dn = _pair(np.tile([[1.0, 7.0, 40.0, 2.5]], (500, 1)), dt)
    tp, dp = _pair(np.tile([[0.5, 0.05, 0.999, 0.5]], (500, 1)), dt)
    for seed in SEEDS:
        _same(lambda: torch.binomial(tn, tp), lambda: dpt.binomial(dn, dp), seed)


@pytest.mark.parametrize("dt", DTYPES)
def test_dirichlet_binomial_strided_input_and_generator(dt):
    alpha = np.random.RandomState(1).gamma(1.0, size=(4, 3)) + 0.05
    ta, da = _pair(alpha, dt)
    _same(lambda: torch._sample_dirichlet(ta.t()), lambda: dpt._sample_dirichlet(da.t()), 2)
    _same(lambda: torch._sample_dirichlet(ta[:1].expand(5, 3)),
          lambda: dpt._sample_dirichlet(da[:1].expand(5, 3)), 2)
    a = torch._sample_dirichlet(ta, generator=torch.Generator().manual_seed(8))
    b = dpt._sample_dirichlet(da, generator=dpt.Generator().manual_seed(8))
    np.testing.assert_array_equal(b.numpy(), a.numpy())
    tn, dn = _pair([[5.0, 60.0], [7.0, 300.0]], dt)
    tp, dp = _pair([[0.5, 0.25], [0.9, 0.6]], dt)
    _same(lambda: torch.binomial(tn.t(), tp.t()), lambda: dpt.binomial(dn.t(), dp.t()), 3)
    a = torch.binomial(tn, tp, generator=torch.Generator().manual_seed(8))
    b = dpt.binomial(dn, dp, generator=dpt.Generator().manual_seed(8))
    np.testing.assert_array_equal(b.numpy(), a.numpy())


@pytest.mark.parametrize("dt", DTYPES)
def test_poisson_equals_torch(dt):
    tr, dr = _pair(np.tile([0.0, 0.1, 3.0, 9.99, 10.0, 55.5, 1e4], 40), dt)
    for seed in SEEDS:
        _same(lambda: torch.poisson(tr), lambda: dpt.poisson(dr), seed)


def test_bernoulli_of_expanded_and_transposed_probabilities():
    # torch fills a contiguous result in C order whatever the layout of the probabilities
    p = np.random.RandomState(0).rand(3, 5)
    for dt in DTYPES:
        tp, dp = _pair(p, dt)
        _same(lambda: torch.bernoulli(tp.t()), lambda: dpt.bernoulli(dp.t()), 0)
        _same(lambda: torch.bernoulli(tp[:1].expand(4, 5)),
              lambda: dpt.bernoulli(dp[:1].expand(4, 5)), 0)


def test_sampler_errors_like_torch():
    cases = [
        lambda m: m.binomial(m.tensor([3, 4]), m.tensor([0.5, 0.5])),
        lambda m: m.binomial(m.tensor([3.0]), m.tensor([1])),
        lambda m: m.binomial(m.tensor([3.0]), m.tensor([0.5], dtype=m.float64)),
        lambda m: m.binomial(m.tensor([3.0], dtype=m.float16), m.tensor([0.5], dtype=m.float16)),
        lambda m: m._standard_gamma(m.tensor([1, 2])),
        lambda m: m._standard_gamma(m.tensor([1.0], dtype=m.float16)),
        lambda m: m._sample_dirichlet(m.tensor([1, 2])),
    ]
    for case in cases:
        with pytest.raises(Exception) as want:
            case(torch)
        with pytest.raises(type(want.value), match=str(want.value).replace("'", ".")):
            case(dpt)
    with pytest.raises(TypeError):
        dpt._sample_dirichlet([1.0, 2.0])


def test_samplers_autograd_like_torch():
    for m in (torch, dpt):
        a = m.tensor([1.0, 2.0], requires_grad=True)
        y = m._standard_gamma(a)
        assert y.requires_grad
        y.sum().backward()
        assert a.grad is not None
        for y in (m._sample_dirichlet(a), m.binomial(a, m.tensor([0.5, 0.5]))):
            assert y.requires_grad
            with pytest.raises(RuntimeError, match="derivative for aten::.* is not implemented"):
                y.sum().backward()
        assert not m._sample_dirichlet(a.detach()).requires_grad


@pytest.mark.filterwarnings("ignore:An output with one or more elements was resized")
def test_binomial_broadcast_and_empty():
    tn, dn = _pair([[3.0], [40.0]], "float32")
    tp, dp = _pair([0.5, 0.2, 0.9], "float32")
    _same(lambda: torch.binomial(tn, tp), lambda: dpt.binomial(dn, dp), 0)
    _same(lambda: torch.binomial(tn[:0], tp[:0]), lambda: dpt.binomial(dn[:0], dp[:0]), 0)
    _same(lambda: torch.binomial(tn[0, 0], tp[0]), lambda: dpt.binomial(dn[0, 0], dp[0]), 0)


# -- statistics ----------------------------------------------------------------------------------
N = 100000


def _moments(x, mean, var):
    x = np.asarray(x, np.float64)
    np.testing.assert_allclose(x.mean(0), mean, atol=6 * np.sqrt(np.max(var) / N))
    np.testing.assert_allclose(x.var(0), var, rtol=0.05)


@pytest.mark.parametrize("dt", DTYPES)
def test_large_sample_statistics(dt):
    dpt.manual_seed(7)
    f = getattr(dpt, dt)
    c = dpt.tensor([0.3, 4.0], dtype=f)
    _moments(D.Gamma(c, 2.0).sample((N // 2,)).numpy(), [0.15, 2.0], [0.075, 1.0])
    b = D.Binomial(dpt.tensor([8.0, 200.0], dtype=f), dpt.tensor([0.3, 0.8], dtype=f))
    _moments(b.sample((N // 2,)).numpy(), [2.4, 160.0], [1.68, 32.0])
    _moments(D.Poisson(dpt.tensor([2.5, 40.0], dtype=f)).sample((N // 2,)).numpy(),
             [2.5, 40.0], [2.5, 40.0])
    x = D.Dirichlet(dpt.tensor([0.5, 2.0, 1.5], dtype=f)).sample((N // 3,)).numpy()
    a0, m = 4.0, np.array([0.5, 2.0, 1.5]) / 4.0
    _moments(x, m, m * (1 - m) / (a0 + 1))


# -- rsample gradients: the implicit reparameterisation ----------------------------------------
def _quantile_fd(alpha, x, h=1e-6):
    """dx/dalpha for x ~ Gamma(alpha) holding its CDF value fixed, by central differences."""
    q = special.gammainc(alpha, x)
    return (special.gammaincinv(alpha + h, q) - special.gammaincinv(alpha - h, q)) / (2 * h)


def test_gamma_rsample_gradient_vs_finite_differences():
    dpt.manual_seed(0)
    c = dpt.tensor([0.4, 1.0, 3.0, 20.0], dtype=dpt.float64, requires_grad=True)
    r = dpt.tensor([1.0, 2.0, 0.5, 4.0], dtype=dpt.float64, requires_grad=True)
    x = D.Gamma(c, r).rsample((3,))
    x.sum().backward()
    g = (x * r).detach().numpy()  # the standard gamma draws
    expect = (_quantile_fd(c.detach().numpy(), g) / r.detach().numpy()).sum(0)
    np.testing.assert_allclose(c.grad.numpy(), expect, rtol=1e-4)
    np.testing.assert_allclose(r.grad.numpy(), -(x.detach() / r.detach()).sum(0).numpy(),
                               rtol=1e-12)


def test_dirichlet_and_beta_rsample_gradient_vs_finite_differences():
    # the draw is g / sum(g) with each gamma g_i's CDF value held fixed
    dpt.manual_seed(4)
    alpha = np.array([0.6, 2.0, 5.0])
    conc = dpt.tensor(alpha, dtype=dpt.float64, requires_grad=True)
    w = np.array([1.0, -2.0, 0.5])
    x = D.Dirichlet(conc).rsample()
    (x * dpt.tensor(w)).sum().backward()
    # recover gammas up to a common factor from x: the CDF values need the gammas themselves,
    # so redraw them with the same seed through _standard_gamma's float64 path
    dpt.manual_seed(4)
    g = dpt._standard_gamma(dpt.tensor(alpha)).numpy()
    np.testing.assert_allclose(g / g.sum(), x.detach().numpy(), rtol=1e-12)
    q = special.gammainc(alpha, g)
    h = 1e-6
    fd = []
    for i in range(3):
        up, dn = alpha.copy(), alpha.copy()
        up[i] += h
        dn[i] -= h
        gu, gd = special.gammaincinv(up, q), special.gammaincinv(dn, q)
        fd.append(((gu / gu.sum() - gd / gd.sum()) @ w) / (2 * h))
    np.testing.assert_allclose(conc.grad.numpy(), fd, rtol=1e-4)
    a = dpt.tensor(2.0, dtype=dpt.float64, requires_grad=True)
    b = dpt.tensor(0.5, dtype=dpt.float64, requires_grad=True)
    dpt.manual_seed(2)
    D.Beta(a, b).rsample().backward()
    dpt.manual_seed(2)
    g = dpt._standard_gamma(dpt.tensor([2.0, 0.5], dtype=dpt.float64)).numpy()
    q = special.gammainc([2.0, 0.5], g)

    def beta_of(a_, b_):
        ga, gb = special.gammaincinv([a_, b_], q)
        return ga / (ga + gb)
    np.testing.assert_allclose(a.grad.item(), (beta_of(2 + h, 0.5) - beta_of(2 - h, 0.5)) / (2 * h),
                               rtol=1e-4)
    np.testing.assert_allclose(b.grad.item(), (beta_of(2, 0.5 + h) - beta_of(2, 0.5 - h)) / (2 * h),
                               rtol=1e-4)


def test_rsample_gradient_flows_in_float32():
    c = dpt.tensor([0.5, 3.0], requires_grad=True)
    D.Gamma(c, 1.0).rsample((10,)).sum().backward()
    assert c.grad.dtype == dpt.float32 and bool(dpt.isfinite(c.grad).all())
    conc = dpt.tensor([0.5, 3.0, 1.0], requires_grad=True)
    D.Dirichlet(conc).rsample((10,))[:, 0].sum().backward()
    assert conc.grad.dtype == dpt.float32 and bool(dpt.isfinite(conc.grad).all())
