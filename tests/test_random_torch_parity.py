"""Same seed, same numbers: after manual_seed(s), dpt's CPU draws equal torch's bit for bit.

Each check runs one expression twice, with ``m`` bound to torch and to dpt (their APIs
match), after seeding both the same way, and compares every result exactly (nn.init's
orthogonal_ to rounding: its QR is another LAPACK). The generator states must agree too.
"""
import math

import numpy as np
import pytest

torch = pytest.importorskip("torch")

import dpt  # noqa: E402
import dpt.nn.functional as dF  # noqa: E402
import torch.nn.functional as tF  # noqa: E402

SEEDS = [0, 1, 2 ** 32 + 5, 12345678901234, 2 ** 64 - 7]


def _np(x):
    if isinstance(x, (list, tuple)):
        return [_np(v) for v in x]
    if isinstance(x, (torch.Tensor, dpt.Tensor)):
        if x.dtype in (torch.bfloat16, dpt.bfloat16):
            x = x.float()
        return x.detach().numpy()
    return np.asarray(x)


def _same(a, b, what):
    if isinstance(a, list):
        assert len(a) == len(b), what
        for x, y in zip(a, b):
            _same(x, y, what)
        return
    assert a.dtype == b.dtype and a.shape == b.shape, (what, a.dtype, b.dtype, a.shape, b.shape)
    # bit patterns, so -0.0 vs 0.0 and NaN payloads count too
    if a.dtype.kind in "fc":
        a, b = np.ascontiguousarray(a), np.ascontiguousarray(b)
        assert np.array_equal(a.view(np.uint8), b.view(np.uint8)), (what, a, b)
    else:
        assert np.array_equal(a, b), (what, a, b)


def both(fn, seed=0, what=""):
    """fn(m) under torch and under dpt, each after manual_seed(seed); the states must match."""
    torch.manual_seed(seed)
    t = _np(fn(torch))
    dpt.manual_seed(seed)
    d = _np(fn(dpt))
    _same(t, d, what or fn)
    assert bytes(dpt.get_rng_state().numpy()) == bytes(torch.get_rng_state().numpy()), what
    return t


# ---- seeding and state -----------------------------------------------------------------
@pytest.mark.parametrize("seed", SEEDS + [-3])
def test_state_after_seed(seed):
    torch.manual_seed(seed)
    dpt.manual_seed(seed)
    assert bytes(dpt.get_rng_state().numpy()) == bytes(torch.get_rng_state().numpy())
    assert dpt.initial_seed() == torch.initial_seed()


def test_default_generator_before_any_seed():
    fresh = dpt.Generator().get_state().numpy()
    assert bytes(fresh) == bytes(torch.Generator().get_state().numpy())


def test_state_round_trips_between_torch_and_dpt():
    torch.manual_seed(7)
    torch.randn(3, dtype=torch.float64)  # leaves a cached normal in the state
    torch.rand(700)
    dpt.set_rng_state(dpt.tensor(torch.get_rng_state().numpy()))
    a, b = torch.randn(5, dtype=torch.float64).numpy(), dpt.randn(5, dtype=dpt.float64).numpy()
    _same(a, b, "resumed from torch's state")
    torch.set_rng_state(torch.from_numpy(dpt.get_rng_state().numpy().copy()))
    _same(torch.rand(9).numpy(), dpt.rand(9).numpy(), "torch resumed from dpt's state")


def test_generator_objects_and_fork_rng():
    for seed in SEEDS:
        t = torch.Generator().manual_seed(seed)
        d = dpt.Generator().manual_seed(seed)
        _same(torch.randn(40, generator=t).numpy(), dpt.randn(40, generator=d).numpy(), seed)
        _same(torch.randperm(50, generator=t).numpy(), dpt.randperm(50, generator=d).numpy(), seed)
    dpt.manual_seed(3)
    with dpt.random.fork_rng():
        dpt.rand(100)
    torch.manual_seed(3)
    _same(torch.rand(4).numpy(), dpt.rand(4).numpy(), "fork_rng restores")


# ---- floats ------------------------------------------------------------------------------
@pytest.mark.parametrize("seed", SEEDS)
@pytest.mark.parametrize("dtype", ["float32", "float64", "float16", "bfloat16", "complex64",
                                   "complex128"])
def test_rand_randn(seed, dtype):
    for n in (1, 5, 15, 16, 17, 37, 1000):
        both(lambda m: [m.rand(n, dtype=getattr(m, dtype)), m.randn(n, dtype=getattr(m, dtype))],
             seed, (dtype, n))


def test_empty_and_zero_dim_draws():
    both(lambda m: [m.randn(0), m.rand(2, 0), m.randperm(0), m.randint(0, 5, (0,))], 1)
    both(lambda m: [m.randn(()), m.rand(()), m.empty(()).normal_(), m.empty(()).bernoulli_(0.5),
                    m.randint(0, 9, ())], 1)


def test_randn_large_and_shaped():
    both(lambda m: m.randn(100003), 5)
    both(lambda m: m.randn(1 << 17, dtype=m.float64), 6)
    both(lambda m: [m.randn(3, 7), m.rand(2, 3, 4, dtype=m.float64)], 2)


def test_scalar_normal_path_shares_its_cached_value():
    both(lambda m: [m.randn(3, dtype=m.float64), m.randn(1), m.randn(1), m.randn(5),
                    m.randn(40), m.randn(2, dtype=m.float64),
                    m.empty(4).log_normal_(0.5, 0.25), m.randn(1)], 11)
    # seeding clears the cached normal in both
    both(lambda m: [m.randn(1), m.manual_seed(4) and m.randn(1)], 2)


@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_inplace_float_fills(dtype):
    def run(m):
        dt = getattr(m, dtype)
        out = [m.empty(40, dtype=dt).uniform_(-0.37, 2.91),
               m.empty(7, dtype=dt).uniform_(1.5, 2.5),
               m.empty(40, dtype=dt).normal_(0.3, 1.7),
               m.empty(7, dtype=dt).normal_(-2.0, 0.5),
               m.empty(50, dtype=dt).exponential_(1.5),
               m.empty(50, dtype=dt).geometric_(0.3),
               m.empty(50, dtype=dt).cauchy_(0.5, 2.0),
               m.empty(50, dtype=dt).log_normal_(0.2, 0.7)]
        return out
    for seed in SEEDS:
        both(run, seed, dtype)


def test_strided_fills_follow_memory_order():
    def run(m):
        a = m.zeros(6, 5).t()  # transposed: torch fills it in memory order, one by one
        b = m.zeros(8, 6).t()
        c = m.zeros(4, 10)[:, ::2]
        return [a.normal_(), b.uniform_(), c.random_(0, 100), m.zeros(5, 4).t().bernoulli_(0.3),
                m.zeros(6, 4).t().normal_(1.0, 2.0)]
    both(run, 3)


def test_normal_overloads():
    def run(m):
        mean = m.arange(20, dtype=m.float32) / 7
        std = (m.arange(20, dtype=m.float32) + 1) / 10
        return [m.normal(mean, std), m.normal(mean, 0.5), m.normal(1.5, std),
                m.normal(0.25, 2.0, size=(5, 6)), m.normal(mean[:3], std[:3]),
                m.normal(mean.double(), 1.5)]
    for seed in SEEDS[:3]:
        both(run, seed)


# ---- integers ----------------------------------------------------------------------------
@pytest.mark.parametrize("seed", SEEDS)
def test_randint_and_random_(seed):
    def run(m):
        return [m.randint(0, 10, (50,)), m.randint(-5, 7, (3, 4), dtype=m.int32),
                m.randint(-(2 ** 40), 2 ** 40, (20,)), m.randint(3, (20,)),
                m.randint(0, 2 ** 33, (9,), dtype=m.float64),
                m.randint(-2 ** 24, 2 ** 24, (9,), dtype=m.float32),
                m.randint(-2 ** 63, 2 ** 63 - 1, (5,)),
                m.randint(0, 200, (9,), dtype=m.uint8), m.randint(0, 200, (9,), dtype=m.int16),
                m.randint_like(m.zeros(4, 2), 3, 9)]
    both(run, seed)


@pytest.mark.parametrize("dtype", ["int64", "int32", "int16", "int8", "uint8", "bool",
                                   "float32", "float64", "float16", "bfloat16"])
def test_random_default_ranges(dtype):
    high = 2 if dtype == "bool" else 100
    both(lambda m: [m.empty(30, dtype=getattr(m, dtype)).random_(),
                    m.empty(30, dtype=getattr(m, dtype)).random_(2),
                    m.empty(30, dtype=getattr(m, dtype)).random_(1 if high == 100 else 0, high)],
         9, dtype)


@pytest.mark.parametrize("n", [0, 1, 2, 3, 10, 1000, 70001])
def test_randperm(n):
    for seed in SEEDS[:3]:
        both(lambda m: [m.randperm(n), m.randperm(n, dtype=m.int32)], seed, n)


# ---- bernoulli, multinomial -----------------------------------------------------------------
def test_bernoulli():
    def run(m):
        p32 = m.arange(30, dtype=m.float32) / 29
        p64 = m.arange(30, dtype=m.float64) / 29
        return [m.empty(100).bernoulli_(0.3), m.empty(10, dtype=m.float64).bernoulli_(),
                m.empty(30).bernoulli_(p32), m.empty(30).bernoulli_(p64),
                m.empty(4, 30).bernoulli_(p32), m.bernoulli(p32), m.bernoulli(p64),
                m.bernoulli(p32, 0.7), m.empty(20, dtype=m.bool).bernoulli_(0.5)]
    for seed in SEEDS:
        both(run, seed)


def test_multinomial():
    def run(m):
        w = m.tensor([0.1, 2.0, 0.0, 3.0, 0.5, 1.0, 0.25])
        w2 = m.rand(4, 30) * (m.rand(4, 30) > 0.2)
        w64 = w.double()
        return [m.multinomial(w, 5), m.multinomial(w, 1), m.multinomial(w, 40, True),
                m.multinomial(w, 1, True), m.multinomial(w2, 12), m.multinomial(w2, 50, True),
                m.multinomial(w64, 3), m.multinomial(w64, 25, replacement=True)]
    for seed in SEEDS:
        both(run, seed)


# ---- dropout ------------------------------------------------------------------------------
def test_dropout_family():
    def run(F, m):
        x = m.arange(1, 241, dtype=m.float32).reshape(2, 3, 40) / 7
        x4 = x.reshape(2, 3, 8, 5)
        x5 = x.reshape(2, 3, 2, 4, 5)
        return [F.dropout(x, 0.3), F.dropout(x, 0.1), F.dropout(x.double(), 0.5),
                F.dropout(x, 1.0), F.dropout(x, 0.3, training=False),
                F.dropout1d(x, 0.4), F.dropout2d(x4, 0.4), F.dropout3d(x5, 0.4),
                F.alpha_dropout(x, 0.2, True), F.feature_alpha_dropout(x4, 0.2, True),
                m.nn.Dropout(0.25)(x), F.dropout(x.half(), 0.123), F.dropout(x.bfloat16(), 0.3),
                F.dropout(m.zeros(0), 0.5)]
    for seed in SEEDS[:3]:
        torch.manual_seed(seed)
        t = _np(run(tF, torch))
        dpt.manual_seed(seed)
        d = _np(run(dF, dpt))
        _same(t, d, "dropout")


# ---- nn.init and layers -----------------------------------------------------------------
def test_nn_init():
    def run(m):
        init = m.nn.init
        return [init.uniform_(m.empty(5, 7), -0.3, 0.8), init.normal_(m.empty(9, 9), 0.1, 0.02),
                init.kaiming_uniform_(m.empty(16, 8), a=math.sqrt(5)),
                init.kaiming_normal_(m.empty(4, 3, 3, 3), mode="fan_out", nonlinearity="relu"),
                init.xavier_uniform_(m.empty(10, 20), gain=2.0),
                init.xavier_normal_(m.empty(6, 5)),
                init.trunc_normal_(m.empty(30, 10), std=0.02),
                init.trunc_normal_(m.empty(200), mean=0.5, std=1.0, a=-1.0, b=1.5),
                init.sparse_(m.empty(10, 6), 0.3)]
    for seed in SEEDS[:3]:
        both(run, seed)


def test_orthogonal_matches_to_rounding():
    torch.manual_seed(0)
    t = torch.nn.init.orthogonal_(torch.empty(6, 10)).numpy()
    dpt.manual_seed(0)
    d = dpt.nn.init.orthogonal_(dpt.empty(6, 10)).numpy()
    np.testing.assert_allclose(d, t, atol=1e-5)
    assert bytes(dpt.get_rng_state().numpy()) == bytes(torch.get_rng_state().numpy())


def test_layers_start_from_torchs_weights():
    def run(m):
        net = m.nn.Sequential(m.nn.Linear(20, 30), m.nn.ReLU(), m.nn.Conv1d(30, 8, 3),
                              m.nn.Embedding(10, 4), m.nn.Conv2d(3, 5, 3), m.nn.LSTM(4, 6),
                              m.nn.GRU(4, 6, bidirectional=True), m.nn.Bilinear(3, 4, 5),
                              m.nn.ConvTranspose2d(3, 4, 3), m.nn.MultiheadAttention(8, 2),
                              m.nn.TransformerEncoderLayer(8, 2, 16))
        return [p.detach() for p in net.parameters()]
    both(run, 0)


# ---- data ------------------------------------------------------------------------------------
def test_samplers_and_random_split():
    def run(m):
        data = m.utils.data
        ds = list(range(37))
        out = [list(data.RandomSampler(ds)), list(data.RandomSampler(ds, num_samples=80)),
               list(data.RandomSampler(ds, replacement=True, num_samples=70)),
               list(data.RandomSampler(ds, generator=m.Generator().manual_seed(5))),
               list(data.SubsetRandomSampler([3, 9, 27, 1, 4])),
               list(data.WeightedRandomSampler([0.1, 0.9, 0.4, 0.0, 2.0], 20)),
               list(data.WeightedRandomSampler([0.1, 0.9, 0.4, 0.0, 2.0], 3, replacement=False))]
        out += [s.indices for s in data.random_split(ds, [10, 20, 7])]
        out += [s.indices for s in data.random_split(ds, [0.3, 0.3, 0.4],
                                                      generator=m.Generator().manual_seed(42))]
        for epoch in range(2):
            for rank in range(3):
                s = data.DistributedSampler(ds, num_replicas=3, rank=rank, seed=11)
                s.set_epoch(epoch)
                out.append(list(s))
        loader = data.DataLoader(ds, batch_size=8, shuffle=True)
        out += [b.tolist() for b in loader] + [b.tolist() for b in loader]
        return [np.asarray(v) for v in out]
    for seed in SEEDS[:3]:
        both(run, seed)


def test_rnn_dropout_between_layers():
    x = np.random.default_rng(0).standard_normal((5, 3, 4)).astype(np.float32)
    outs = []
    for m in (torch, dpt):
        m.manual_seed(0)
        net = m.nn.LSTM(4, 6, num_layers=3, dropout=0.4, bidirectional=True)
        m.manual_seed(1)
        outs.append(net(m.from_numpy(x))[0].detach().numpy())
    # the forward's float math may round differently; a different mask would differ by O(1)
    np.testing.assert_allclose(outs[1], outs[0], atol=1e-6)
    assert bytes(dpt.get_rng_state().numpy()) == bytes(torch.get_rng_state().numpy())


def test_poisson():
    def run(m):
        rates = m.tensor([0.0, 0.5, 3.0, 9.99, 10.0, 15.5, 100.0, 1e4, 2.5, 40.0] * 5)
        return [m.poisson(rates), m.poisson(rates.double().reshape(5, 10)), m.poisson(rates[3])]
    for seed in SEEDS[:3]:
        both(run, seed)


def test_exponential_distribution():
    def run(m):
        rate = m.tensor([0.5, 1.0, 4.0])
        d = m.distributions.Exponential(rate)
        return [d.sample(), d.sample((2, 4)), d.rsample((3,)),
                m.distributions.Exponential(rate.double()).sample((5,))]
    for seed in SEEDS[:3]:
        both(run, seed)


def test_poisson_sampler_takes_uniforms_of_exactly_zero():
    """A uniform of 0 (probability 2**-53 per draw) is rejected or accepted as C's arithmetic
    does (-inf), not a Python ZeroDivisionError/ValueError."""
    from dpt import _mt19937
    # u = -0.5 (us = 0): rejected; then us = 0.04 with v = 0: log(v) = -inf accepts k
    draws = iter([0.0, 0.3, 0.96, 0.0])
    assert _mt19937._poisson_one(50.0, lambda: next(draws)) == 68
