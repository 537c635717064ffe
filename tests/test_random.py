"""dpt.random generators and the sampling functions of dpt.ops.random."""
import pickle

import numpy as np
import pytest

import dpt
from dpt._device import to_numpy


def arr(t):
    return to_numpy(t.detach()._data)


# ---- generators and seeding ------------------------------------------------------------
def test_manual_seed_reproduces_every_sampler():
    def draw():
        return [arr(dpt.rand(3)), arr(dpt.randn(2, 2)), arr(dpt.randint(0, 10, (4,))),
                arr(dpt.randperm(6)), arr(dpt.empty(3).uniform_(-1, 1))]

    dpt.manual_seed(123)
    a = draw()
    dpt.manual_seed(123)
    b = draw()
    for x, y in zip(a, b):
        np.testing.assert_array_equal(x, y)
    dpt.manual_seed(124)
    assert not np.array_equal(arr(dpt.rand(3)), a[0])


def test_same_seed_same_numbers_as_torch_cpu_stream():
    # the documented stream is torch's CPU one: mt19937 seeded with the seed's low 32 bits,
    # float32 = low 24 bits of each 32-bit draw * 2**-24 (tests/test_random_torch_parity.py
    # checks everything against torch itself)
    dpt.manual_seed(7)
    bg = np.random.MT19937()
    bg._legacy_seeding(7)
    expected = ((bg.random_raw(4) & (2 ** 24 - 1)) * 2.0 ** -24).astype(np.float32)
    np.testing.assert_array_equal(arr(dpt.rand(4)), expected)
    dpt.manual_seed(2 ** 32 + 7)  # torch seeds its mt19937 with the low 32 bits
    np.testing.assert_array_equal(arr(dpt.rand(4)), expected)


def test_manual_seed_returns_generator_and_initial_seed():
    g = dpt.manual_seed(5)
    assert isinstance(g, dpt.Generator) and g is dpt.default_generator
    assert dpt.initial_seed() == 5
    dpt.manual_seed(-1)  # negative seeds wrap to uint64, as torch
    assert dpt.initial_seed() == 2 ** 64 - 1
    with pytest.raises(RuntimeError, match="Overflow"):
        dpt.manual_seed(2 ** 64)


def test_fresh_generator_default_seed():
    assert dpt.Generator().initial_seed() == 67280421310721
    assert dpt.Generator().device == dpt.device("cpu")


def test_seed_is_random_and_applied():
    s = dpt.seed()
    assert isinstance(s, int) and dpt.initial_seed() == s
    x = dpt.rand(3)
    dpt.manual_seed(s)
    np.testing.assert_array_equal(arr(dpt.rand(3)), arr(x))


def test_rng_state_round_trip():
    state = dpt.get_rng_state()
    assert state.dtype == dpt.uint8 and state.dim() == 1
    a = dpt.randn(5)
    dpt.set_rng_state(state)
    np.testing.assert_array_equal(arr(dpt.randn(5)), arr(a))
    with pytest.raises(TypeError, match="ByteTensor"):
        dpt.set_rng_state(dpt.zeros(3))


def test_generator_objects_are_independent():
    g1 = dpt.Generator().manual_seed(3)
    g2 = dpt.Generator().manual_seed(3)
    a = dpt.rand(4, generator=g1)
    dpt.rand(100)  # the default generator does not disturb g2
    np.testing.assert_array_equal(arr(dpt.rand(4, generator=g2)), arr(a))
    st = g1.get_state()
    b = dpt.randn(3, generator=g1)
    g1.set_state(st)
    np.testing.assert_array_equal(arr(dpt.randn(3, generator=g1)), arr(b))
    g3 = pickle.loads(pickle.dumps(g1))
    np.testing.assert_array_equal(arr(dpt.rand(2, generator=g3)), arr(dpt.rand(2, generator=g1)))


def test_fork_rng_restores_state():
    dpt.manual_seed(1)
    with dpt.random.fork_rng():
        dpt.rand(10)
    a = dpt.rand(2)
    dpt.manual_seed(1)
    np.testing.assert_array_equal(arr(dpt.rand(2)), arr(a))


def test_generator_device_mismatch_and_type():
    with pytest.raises(TypeError, match="Generator"):
        dpt.rand(2, generator=np.random.default_rng(0))


@pytest.mark.cuda
def test_cuda_generator_reproducible():
    g = dpt.Generator("cuda").manual_seed(0)
    a = dpt.rand(5, device="cuda", generator=g)
    st = g.get_state()
    b = dpt.randn(5, device="cuda", generator=g)
    g.set_state(st)
    np.testing.assert_array_equal(arr(dpt.randn(5, device="cuda", generator=g)), arr(b))
    g.manual_seed(0)
    np.testing.assert_array_equal(arr(dpt.rand(5, device="cuda", generator=g)), arr(a))
    with pytest.raises(RuntimeError, match="device type for generator"):
        dpt.rand(2, generator=g)


# ---- factories -------------------------------------------------------------------------
def test_rand_randn_shapes_dtypes_and_moments(device):
    x = dpt.rand(2, 3, device=device)
    assert x.shape == (2, 3) and x.dtype == dpt.float32 and x.device.type == device.split(":")[0]
    u = arr(dpt.rand(20000, dtype=dpt.float64, device=device))
    assert u.dtype == np.float64 and u.min() >= 0 and u.max() < 1 and abs(u.mean() - 0.5) < 0.02
    z = arr(dpt.randn((20000,), device=device))
    assert abs(z.mean()) < 0.05 and abs(z.std() - 1) < 0.05
    assert dpt.rand(size=(4,)).shape == (4,)
    assert dpt.randn(()).shape == ()
    assert dpt.rand(0, 3).shape == (0, 3)
    assert dpt.rand(2, dtype=dpt.float16).dtype == dpt.float16
    assert dpt.rand(2, dtype=dpt.bfloat16).dtype == dpt.bfloat16
    dpt.set_default_dtype(dpt.float64)
    assert dpt.randn(2).dtype == dpt.float64


def test_rand_requires_grad_and_bad_dtype():
    x = dpt.randn(3, requires_grad=True)
    assert x.requires_grad and x.is_leaf
    with pytest.raises(RuntimeError, match="floating point"):
        dpt.rand(2, dtype=dpt.int64)


def test_complex_rand_randn():
    z = dpt.randn(20000, dtype=dpt.complex64)
    assert z.dtype == dpt.complex64
    v = arr(z)
    assert abs(v.real.var() - 0.5) < 0.03 and abs(v.imag.var() - 0.5) < 0.03
    u = arr(dpt.rand(100, dtype=dpt.complex128))
    assert (u.real >= 0).all() and (u.imag < 1).all()


def test_randint_overloads():
    a = dpt.randint(10, (3, 4))
    assert a.dtype == dpt.int64 and a.shape == (3, 4)
    v = arr(dpt.randint(3, 6, (1000,)))
    assert v.min() == 3 and v.max() == 5
    assert dpt.randint(low=2, high=4, size=(5,)).min().item() >= 2
    assert dpt.randint(5, size=(2,)).shape == (2,)
    assert dpt.randint(0, 2, (3,), dtype=dpt.float32).dtype == dpt.float32
    with pytest.raises(RuntimeError, match="from.*less than.*to"):
        dpt.randint(5, 5, (2,))
    with pytest.raises(TypeError):
        dpt.randint(5)


def test_randperm():
    p = arr(dpt.randperm(50))
    assert p.dtype == np.int64 and sorted(p.tolist()) == list(range(50))
    assert dpt.randperm(0).shape == (0,)
    assert dpt.randperm(4, dtype=dpt.int32).dtype == dpt.int32
    with pytest.raises(RuntimeError, match="non-negative"):
        dpt.randperm(-1)


def test_like_variants():
    x = dpt.zeros(2, 3, dtype=dpt.float64)
    assert dpt.rand_like(x).dtype == dpt.float64 and dpt.rand_like(x).shape == (2, 3)
    assert dpt.randn_like(x, dtype=dpt.float32).dtype == dpt.float32
    i = dpt.zeros(4, dtype=dpt.int32)
    r = dpt.randint_like(i, 7)
    assert r.dtype == dpt.int32 and arr(r).max() < 7
    r = arr(dpt.randint_like(i, 3, 5))
    assert r.min() >= 3 and r.max() <= 4


# ---- distributions ---------------------------------------------------------------------
def test_normal_overloads():
    a = dpt.normal(2.0, 3.0, size=(20000,))
    assert a.dtype == dpt.float32 and abs(arr(a).mean() - 2) < 0.1 and abs(arr(a).std() - 3) < 0.1
    mean = dpt.tensor([0.0, 100.0], dtype=dpt.float64)
    b = dpt.normal(mean, 0.001)
    assert b.dtype == dpt.float64 and np.allclose(arr(b), [0, 100], atol=0.1)
    c = dpt.normal(5.0, dpt.tensor([0.0, 0.0]))
    assert arr(c).tolist() == [5.0, 5.0]
    d = dpt.normal(dpt.zeros(3, 1), dpt.ones(1, 2))
    assert d.shape == (3, 2)
    with pytest.raises(RuntimeError, match="std >= 0"):
        dpt.normal(0.0, -1.0, size=(2,))
    with pytest.raises(RuntimeError, match="std >= 0"):
        dpt.normal(dpt.zeros(2), dpt.tensor([1.0, -1.0]))
    with pytest.raises(TypeError, match="size"):
        dpt.normal(0.0, 1.0)


def test_normal_gradients_are_zero_as_in_torch():
    mean = dpt.zeros(3, requires_grad=True)
    std = dpt.ones(3, requires_grad=True)
    out = dpt.normal(mean, std)
    assert out.grad_fn is not None
    out.sum().backward()
    assert arr(mean.grad).tolist() == [0, 0, 0] and arr(std.grad).tolist() == [0, 0, 0]


def test_bernoulli():
    p = dpt.tensor([0.0, 1.0, 0.0, 1.0])
    np.testing.assert_array_equal(arr(dpt.bernoulli(p)), [0, 1, 0, 1])
    assert dpt.bernoulli(p).dtype == dpt.float32
    q = arr(dpt.bernoulli(dpt.full((20000,), 0.3)))
    assert abs(q.mean() - 0.3) < 0.02
    r = arr(dpt.bernoulli(dpt.zeros(20000), p=0.7))
    assert abs(r.mean() - 0.7) < 0.02
    assert dpt.bernoulli(dpt.ones(2, requires_grad=True)).grad_fn is not None
    assert dpt.ones(3).bernoulli().tolist() == [1.0, 1.0, 1.0]
    with pytest.raises(RuntimeError, match=r"\[0, 1\]"):
        dpt.bernoulli(dpt.tensor([1.5]))


def test_multinomial_with_replacement():
    w = dpt.tensor([0.0, 1.0, 3.0])
    s = arr(dpt.multinomial(w, 20000, replacement=True))
    assert s.dtype == np.int64 and (s != 0).all()
    assert abs((s == 2).mean() - 0.75) < 0.02
    w2 = dpt.tensor([[1.0, 0.0], [0.0, 1.0]])
    s2 = arr(dpt.multinomial(w2, 5, True))
    assert s2.shape == (2, 5) and (s2[0] == 0).all() and (s2[1] == 1).all()


def test_multinomial_without_replacement():
    w = dpt.tensor([[1.0, 1.0, 1.0, 0.0], [0.0, 5.0, 1.0, 1.0]])
    s = arr(dpt.multinomial(w, 3))
    assert s.shape == (2, 3)
    for row, allowed in zip(s, ({0, 1, 2}, {1, 2, 3})):
        assert set(row.tolist()) == allowed  # distinct, never a zero-weight category
    first = arr(dpt.multinomial(dpt.tensor([1.0, 9.0]).expand(4000, 2).contiguous(), 1))[:, 0]
    assert abs(first.mean() - 0.9) < 0.03
    assert dpt.tensor([0.2, 0.8]).multinomial(1).shape == (1,)


def test_multinomial_errors():
    with pytest.raises(RuntimeError, match="without replacement"):
        dpt.multinomial(dpt.ones(2), 3)
    with pytest.raises(RuntimeError, match="not enough"):
        dpt.multinomial(dpt.tensor([1.0, 0.0]), 2)
    with pytest.raises(RuntimeError, match="sum of probabilities"):
        dpt.multinomial(dpt.zeros(3), 1)
    with pytest.raises(RuntimeError, match="element < 0"):
        dpt.multinomial(dpt.tensor([1.0, -1.0]), 1)
    with pytest.raises(RuntimeError, match="1 or 2 dim"):
        dpt.multinomial(dpt.ones(2, 2, 2), 1)
    with pytest.raises(RuntimeError, match="floating-point"):
        dpt.multinomial(dpt.tensor([1, 2]), 1)


def test_poisson():
    rates = dpt.tensor([0.0, 4.0], dtype=dpt.float64).expand(10000, 2).contiguous()
    s = dpt.poisson(rates)
    assert s.dtype == dpt.float64
    v = arr(s)
    assert (v[:, 0] == 0).all() and abs(v[:, 1].mean() - 4) < 0.1
    with pytest.raises(RuntimeError, match="non-negative"):
        dpt.poisson(dpt.tensor([-1.0]))


# ---- in-place fills ----------------------------------------------------------------------
def test_uniform_normal_fills():
    x = dpt.empty(20000)
    assert x.uniform_(2, 5) is x
    v = arr(x)
    assert v.min() >= 2 and v.max() < 5
    x.normal_(1.0, 0.5)
    assert abs(arr(x).mean() - 1) < 0.02 and abs(arr(x).std() - 0.5) < 0.02
    with pytest.raises(RuntimeError, match=r"\[from, to\)"):
        x.uniform_(1, 0)
    with pytest.raises(RuntimeError, match="std >= 0"):
        x.normal_(0, -1)
    with pytest.raises(RuntimeError, match="floating point"):
        dpt.zeros(2, dtype=dpt.int64).uniform_()


def test_random_fill_ranges():
    x = dpt.empty(1000)
    v = arr(x.random_(5))
    assert v.min() == 0 and v.max() == 4 and (v == np.round(v)).all()
    v = arr(x.random_(-3, 3))
    assert v.min() == -3 and v.max() == 2
    b = arr(dpt.empty(1000, dtype=dpt.uint8).random_())
    assert b.max() > 200
    assert set(arr(dpt.empty(100, dtype=dpt.bool).random_()).tolist()) == {False, True}
    big = dpt.empty((), dtype=dpt.int64).random_().item()
    assert 0 <= big < 2 ** 63
    with pytest.raises(RuntimeError, match="less than"):
        x.random_(3, 3)


def test_other_fills():
    x = dpt.empty(20000, dtype=dpt.float64)
    v = arr(x.bernoulli_(0.25))
    assert set(np.unique(v).tolist()) == {0.0, 1.0} and abs(v.mean() - 0.25) < 0.02
    v = arr(x.bernoulli_(dpt.tensor([0.0, 1.0], dtype=dpt.float64).repeat(10000)))
    assert (v[0::2] == 0).all() and (v[1::2] == 1).all()
    v = arr(x.exponential_(2.0))
    assert v.min() >= 0 and abs(v.mean() - 0.5) < 0.02
    v = arr(x.geometric_(0.5))
    assert v.min() == 1 and abs(v.mean() - 2) < 0.05
    v = arr(x.cauchy_(1.0, 2.0))
    assert abs(np.median(v) - 1) < 0.1
    v = arr(x.log_normal_(0.0, 0.5))
    assert v.min() > 0 and abs(np.median(np.log(v))) < 0.02
    i = arr(dpt.zeros(1000, dtype=dpt.int32).geometric_(0.9))
    assert i.dtype == np.int32 and i.min() == 1
    for bad in (lambda: x.bernoulli_(1.5), lambda: x.exponential_(0),
                lambda: x.geometric_(1.0), lambda: x.log_normal_(0, 0)):
        with pytest.raises(RuntimeError):
            bad()


def test_fills_respect_generator_and_autograd():
    g = dpt.Generator().manual_seed(9)
    a = arr(dpt.empty(4).normal_(generator=g))
    g.manual_seed(9)
    np.testing.assert_array_equal(arr(dpt.empty(4).normal_(generator=g)), a)
    leaf = dpt.zeros(3, requires_grad=True)
    with pytest.raises(RuntimeError, match="leaf Variable"):
        leaf.uniform_()
    with dpt.no_grad():
        leaf.uniform_()  # how nn.init fills parameters
    assert leaf.requires_grad and leaf.is_leaf
    x = dpt.ones(3, requires_grad=True)
    y = x * 2
    y.normal_()  # a non-leaf: the draw replaces y's value; gradient through it is zero
    y.sum().backward()
    assert arr(x.grad).tolist() == [0, 0, 0]
    v = x.detach().clone()
    before = v._version if hasattr(v, "_version") else v._vc[0]
    v.uniform_()
    assert v._vc[0] == before + 1


def test_cpu_state_is_torchs_5056_byte_layout():
    dpt.manual_seed(3)
    st = dpt.get_rng_state()
    assert st.dtype == dpt.uint8 and st.numel() == 5056
    with pytest.raises(RuntimeError, match="size 5056"):
        dpt.set_rng_state(st[:5048])
    dpt.randn(3, dtype=dpt.float64)  # caches the second normal of the last pair
    st = dpt.get_rng_state()
    a = dpt.randn(7)
    dpt.set_rng_state(st)
    np.testing.assert_array_equal(arr(dpt.randn(7)), arr(a))


def test_randperm_forward_swaps_match_the_sequential_loop():
    from dpt._mt19937 import _forward_swaps
    rng = np.random.default_rng(0)
    for n in [2, 3, 4, 7, 50, 2000]:
        for _ in range(50):
            targets = rng.integers(0, 2 ** 32, n - 1) % np.arange(n, 1, -1) + np.arange(n - 1)
            expected = list(range(n))
            for i, j in enumerate(targets.tolist()):
                expected[i], expected[j] = expected[j], expected[i]
            np.testing.assert_array_equal(_forward_swaps(targets), expected)
