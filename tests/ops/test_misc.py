"""The torch top-level functions that dpt/ops/misc.py once held (now in ops/predicates, settings,
counting, calculus, statistics, complex_numbers, floating, special_functions, blas, shape,
shape_copies, norms, inplace_functions and dpt/_nn_aliases), against numpy/scipy, with float64
gradchecks."""
import warnings

import numpy as np
import pytest
import scipy.special
import scipy.integrate

import dpt
from tests.helpers import assert_close, check_gradients, check_op, leaf, randn


# ---- predicates, switches, creation ---------------------------------------------------------
def test_predicates():
    x = dpt.tensor([1.5])
    assert dpt.is_nonzero(x) and not dpt.is_nonzero(dpt.tensor([0]))
    with pytest.raises(RuntimeError, match="more than one value"):
        dpt.is_nonzero(dpt.ones(2))
    with pytest.raises(RuntimeError, match="no values"):
        dpt.is_nonzero(dpt.ones(0))
    assert dpt.is_floating_point(x) and not dpt.is_floating_point(dpt.tensor([1]))
    assert dpt.is_complex(dpt.tensor([1j])) and not dpt.is_complex(x)
    assert dpt.is_storage(x) is False and dpt.is_conj(x) is False
    assert x.is_nonzero() and dpt.is_same_size(x, dpt.zeros(1))


def test_default_device_roundtrip():
    assert dpt.get_default_device() == dpt.device("cpu")
    try:
        dpt.set_default_device("cpu")
        assert dpt.zeros(2).device == dpt.device("cpu")
        assert dpt.tensor([1.0]).device == dpt.device("cpu")
        if dpt.cuda.is_available():
            dpt.set_default_device("cuda")
            assert dpt.zeros(2).is_cuda and dpt.rand(2).is_cuda and dpt.arange(3).is_cuda
            assert dpt.zeros(2, device="cpu").is_cpu
        else:
            dpt.set_default_device("cuda")
            with pytest.raises(RuntimeError, match="cupy"):
                dpt.zeros(2)
    finally:
        dpt.set_default_device(None)
    assert dpt.zeros(1).device == dpt.device("cpu")


def test_deterministic_flag_and_default_tensor_type():
    assert not dpt.are_deterministic_algorithms_enabled()
    dpt.use_deterministic_algorithms(True, warn_only=True)
    try:
        assert dpt.are_deterministic_algorithms_enabled()
        assert dpt.is_deterministic_algorithms_warn_only_enabled()
    finally:
        dpt.use_deterministic_algorithms(False)
    with pytest.warns(UserWarning, match="deprecated"):
        dpt.set_default_tensor_type(dpt.DoubleTensor)
    assert dpt.get_default_dtype() is dpt.float64
    with pytest.warns(UserWarning):
        dpt.set_default_tensor_type("torch.FloatTensor")
    assert dpt.tensor([1.0]).dtype is dpt.float32
    with pytest.raises(TypeError, match="floating-point"), warnings.catch_warnings():
        warnings.simplefilter("ignore")
        dpt.set_default_tensor_type(dpt.LongTensor)


def test_frombuffer_and_empty_strided():
    buf = bytearray(np.arange(6, dtype=np.float32).tobytes())
    t = dpt.frombuffer(buf, dtype=dpt.float32, offset=4, count=3)
    assert t.tolist() == [1.0, 2.0, 3.0]
    t[0] = 10.0  # shares the buffer's memory
    assert np.frombuffer(buf, np.float32)[1] == 10.0
    with pytest.raises(ValueError, match="multiple of element size"):
        dpt.frombuffer(bytearray(5), dtype=dpt.float32)
    e = dpt.empty_strided((2, 3), (1, 2), dtype=dpt.float64)
    assert e.shape == (2, 3) and e.stride() == (1, 2) and e.dtype is dpt.float64
    assert dpt.empty_strided((0, 3), (3, 1)).numel() == 0


def test_tri_indices():
    for r, c, off in [(3, 3, 0), (4, 3, 1), (3, 5, -1), (0, 2, 0)]:
        assert_close(dpt.tril_indices(r, c, off), np.stack(np.tril_indices(r, off, c)))
        assert_close(dpt.triu_indices(r, c, off), np.stack(np.triu_indices(r, off, c)))
    assert dpt.tril_indices(3, 3).dtype is dpt.int64
    assert dpt.tril_indices(3, 3, dtype=dpt.int32).dtype is dpt.int32


def test_vander():
    x = np.array([1.0, 2.0, 3.0, 0.5])
    assert_close(dpt.vander(leaf(x, False)), np.vander(x))
    assert_close(dpt.vander(leaf(x, False), 2, increasing=True), np.vander(x, 2, increasing=True))
    assert dpt.vander(dpt.tensor([1, 2], dtype=dpt.int32)).dtype is dpt.int64
    assert dpt.vander(dpt.tensor([1.0, 2.0]), N=0).shape == (2, 0)
    check_gradients(lambda t: dpt.vander(t, 3), x)
    with pytest.raises(RuntimeError, match="one-dimensional"):
        dpt.vander(dpt.ones(2, 2))


# ---- counting --------------------------------------------------------------------------------
def test_bincount():
    x = np.array([0, 1, 1, 4, 2])
    assert_close(dpt.bincount(dpt.tensor(x)), np.bincount(x))
    assert dpt.bincount(dpt.tensor(x)).dtype is dpt.int64
    w = np.array([0.5, 1.0, 2.0, 0.25, 1.0])
    r = dpt.bincount(dpt.tensor(x), dpt.tensor(w, dtype=dpt.float32), minlength=7)
    assert r.dtype is dpt.float32 and r.shape == (7,)
    assert_close(r, np.bincount(x, w, minlength=7))
    assert dpt.bincount(dpt.tensor(x), dpt.tensor([1, 2, 3, 4, 5])).dtype is dpt.float64
    assert dpt.bincount(dpt.tensor([], dtype=dpt.int64)).shape == (0,)
    with pytest.raises(RuntimeError, match="non-negative"):
        dpt.bincount(dpt.tensor([-1, 2]))
    with pytest.raises(RuntimeError, match="1-d"):
        dpt.bincount(dpt.tensor([1.0]))


def test_histogram():
    x = randn(20)
    h, e = dpt.histogram(leaf(x, False), bins=5)
    nh, ne = np.histogram(x, bins=5)
    assert_close(h, nh)
    assert_close(e, ne, rtol=1e-12, atol=1e-12)
    w = np.abs(randn(20, seed=1))
    h, e = dpt.histogram(leaf(x, False), bins=4, range=(-1.0, 1.0), weight=leaf(w, False),
                         density=True)
    assert_close(h, np.histogram(x, 4, (-1, 1), weights=w, density=True)[0])
    edges = np.array([-3.0, -0.5, 0.0, 2.0, 3.0])
    h, e = dpt.histogram(dpt.tensor(x, dtype=dpt.float32), dpt.tensor(edges, dtype=dpt.float32))
    assert h.dtype is dpt.float32
    assert_close(h, np.histogram(x.astype(np.float32), edges.astype(np.float32))[0])
    assert dpt.histogram(dpt.tensor([2.0, 2.0]), bins=2).bin_edges.tolist() == [1.5, 2.0, 2.5]
    with pytest.raises(RuntimeError, match="floating"):
        dpt.histogram(dpt.tensor([1, 2]), bins=2)


def test_histogramdd():
    pts = randn(30, 2)
    h, edges = dpt.histogramdd(leaf(pts, False), bins=[3, 4])
    nh, nedges = np.histogramdd(pts, bins=[3, 4])
    assert_close(h, nh)
    for a, b in zip(edges, nedges):
        assert_close(a, b, rtol=1e-12, atol=1e-12)
    h, _ = dpt.histogramdd(leaf(pts, False), bins=2, range=[-1.0, 1.0, -2.0, 2.0])
    assert_close(h, np.histogramdd(pts, bins=2, range=[(-1, 1), (-2, 2)])[0])


def test_isin():
    e, t = np.array([[1, 2], [3, 4]]), np.array([2, 4, 9])
    assert_close(dpt.isin(dpt.tensor(e), dpt.tensor(t)), np.isin(e, t))
    assert_close(dpt.isin(dpt.tensor(e), dpt.tensor(t), invert=True), np.isin(e, t, invert=True))
    assert_close(dpt.isin(dpt.tensor(e), 3), e == 3)
    assert dpt.isin(2, dpt.tensor(t)).item() is True
    assert dpt.tensor([1.0, 2.5]).isin(dpt.tensor([2.5])).tolist() == [False, True]


# ---- differences and integration -------------------------------------------------------------
def test_diff():
    x = randn(3, 5)
    check_op(lambda t: dpt.diff(t), lambda a: np.diff(a), x)
    check_op(lambda t: dpt.diff(t, n=2, dim=0), lambda a: np.diff(a, n=2, axis=0), x)
    p, a = randn(3, 1, seed=1), randn(3, 2, seed=2)
    check_op(lambda t, u, v: dpt.diff(t, dim=-1, prepend=u, append=v),
             lambda t, u, v: np.diff(t, axis=-1, prepend=u, append=v), x, p, a)
    assert dpt.diff(dpt.tensor([1, 4, 9])).tolist() == [3, 5]
    assert dpt.diff(dpt.tensor([True, False, False])).tolist() == [True, False]
    assert dpt.diff(dpt.ones(3), n=5).shape == (0,)
    with pytest.raises(RuntimeError, match="at least one-dimensional"):
        dpt.diff(dpt.tensor(1.0))
    with pytest.raises(RuntimeError, match="non-negative"):
        dpt.diff(dpt.ones(3), n=-1)


@pytest.mark.parametrize("edge_order", [1, 2])
def test_gradient(edge_order):
    f = randn(4, 5)
    got = dpt.gradient(leaf(f, False), edge_order=edge_order)
    for g, ref in zip(got, np.gradient(f, edge_order=edge_order)):
        assert_close(g, ref)
    got = dpt.gradient(leaf(f, False), spacing=[2.0], dim=1, edge_order=edge_order)
    assert_close(got[0], np.gradient(f, 2.0, axis=1, edge_order=edge_order))
    xs = np.array([0.0, 0.5, 1.5, 1.75, 3.0])
    got = dpt.gradient(leaf(f, False), spacing=(leaf(xs, False),), dim=-1, edge_order=edge_order)
    assert_close(got[0], np.gradient(f, xs, axis=-1, edge_order=edge_order))
    check_gradients(lambda t: dpt.gradient(t, spacing=(leaf(xs, False),), dim=1,
                                           edge_order=edge_order)[0], f)
    check_gradients(lambda t: dpt.gradient(t, edge_order=edge_order)[0], f)


def test_gradient_ints_and_errors():
    assert_close(dpt.gradient(dpt.tensor([1, 2, 4]))[0], [1.0, 1.5, 2.0])
    with pytest.raises(RuntimeError, match="edge_order"):
        dpt.gradient(dpt.ones(3), edge_order=3)
    with pytest.raises(RuntimeError, match="at least edge_order"):
        dpt.gradient(dpt.ones(2), edge_order=2)
    with pytest.raises(RuntimeError, match="same length"):
        dpt.gradient(dpt.ones(3, 3), spacing=[1.0, 2.0, 3.0])


def test_trapezoid():
    y = randn(3, 4)
    check_op(lambda t: dpt.trapezoid(t), lambda a: np.trapezoid(a), y)
    check_op(lambda t: dpt.trapezoid(t, dx=0.5, dim=0), lambda a: np.trapezoid(a, dx=0.5, axis=0), y)
    x = np.array([0.0, 1.0, 1.5, 4.0])
    check_op(lambda t, u: dpt.trapezoid(t, u), lambda a, b: np.trapezoid(a, b), y, x)
    assert_close(dpt.trapz(leaf(y, False), leaf(x, False)), np.trapezoid(y, x))
    assert_close(dpt.trapezoid(dpt.tensor([1, 2, 3])), 4.0)
    assert dpt.trapezoid(dpt.ones(2, 0)).tolist() == [0.0, 0.0]


def test_cumulative_trapezoid():
    y = randn(3, 4)
    check_op(lambda t: dpt.cumulative_trapezoid(t),
             lambda a: scipy.integrate.cumulative_trapezoid(a), y)
    check_op(lambda t: dpt.cumulative_trapezoid(t, dx=2.0, dim=0),
             lambda a: scipy.integrate.cumulative_trapezoid(a, dx=2.0, axis=0), y)
    x = np.array([0.0, 1.0, 1.5, 4.0])
    check_op(lambda t, u: dpt.cumulative_trapezoid(t, u),
             lambda a, b: scipy.integrate.cumulative_trapezoid(a, b), y, x)


# ---- statistics ---------------------------------------------------------------------------
def test_cov():
    x = randn(3, 6)
    check_op(lambda t: dpt.cov(t), lambda a: np.cov(a), x)
    check_op(lambda t: dpt.cov(t, correction=0), lambda a: np.cov(a, ddof=0), x)
    check_op(lambda t: dpt.cov(t), lambda a: np.cov(a), x[0])  # one variable -> 0-d
    fw = np.array([1, 2, 1, 3, 1, 1])
    aw = np.abs(randn(6, seed=3)) + 0.1
    got = dpt.cov(leaf(x, False), fweights=dpt.tensor(fw), aweights=leaf(aw, False))
    assert_close(got, np.cov(x, fweights=fw, aweights=aw))
    check_gradients(lambda t, w: dpt.cov(t, fweights=dpt.tensor(fw), aweights=w), x, aw)
    assert dpt.cov(dpt.tensor([[1, 2, 4]])).dtype is dpt.float32
    c = randn(2, 5) + 1j * randn(2, 5, seed=4)
    assert_close(dpt.cov(dpt.tensor(c)), np.cov(c))
    with pytest.raises(RuntimeError, match="integral dtype"):
        dpt.cov(dpt.ones(2, 3), fweights=dpt.ones(3))
    with pytest.raises(RuntimeError, match="cannot be negative"):
        dpt.cov(dpt.ones(2, 3), fweights=dpt.tensor([1, -1, 1]))
    with pytest.raises(RuntimeError, match="two or fewer"):
        dpt.cov(dpt.ones(2, 2, 2))
    with pytest.warns(UserWarning, match="degrees of freedom"):
        dpt.cov(dpt.ones(2, 1))


def test_corrcoef():
    x = randn(3, 5)
    check_op(lambda t: dpt.corrcoef(t), lambda a: np.corrcoef(a), x)
    assert_close(dpt.corrcoef(dpt.tensor([1.0, 2.0, 4.0])), 1.0)


@pytest.mark.parametrize("interp", ["linear", "lower", "higher", "midpoint", "nearest"])
def test_quantile(interp):
    x = randn(4, 7)
    q = np.array([0.0, 0.25, 0.5, 0.9, 1.0])
    for dim in (None, 0, -1):
        got = dpt.quantile(leaf(x, False), leaf(q, False), dim=dim, interpolation=interp)
        assert_close(got, np.quantile(x, q, axis=dim, method=interp), rtol=1e-12, atol=1e-12)
        got = dpt.quantile(leaf(x, False), 0.3, dim=dim, keepdim=True, interpolation=interp)
        assert_close(got, np.quantile(x, 0.3, axis=dim, keepdims=True, method=interp))


def test_quantile_grad_nan_and_errors():
    x = randn(3, 5)
    check_gradients(lambda t: dpt.quantile(t, 0.3, dim=1), x)
    check_gradients(lambda t: dpt.quantile(t, leaf([0.2, 0.7], False), dim=0), x)
    xn = x.copy()
    xn[0, 1] = np.nan
    xn[2, :] = np.nan
    assert_close(dpt.quantile(leaf(xn, False), 0.4, dim=1), np.quantile(xn, 0.4, axis=1))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)  # numpy's all-NaN slice warning
        ref = np.nanquantile(xn, 0.4, axis=1)
    assert_close(dpt.nanquantile(leaf(xn, False), 0.4, dim=1), ref)
    assert_close(dpt.tensor(xn).nanquantile(0.5), np.nanquantile(xn, 0.5))
    with pytest.raises(RuntimeError, match="range"):
        dpt.quantile(dpt.ones(3), 1.5)
    with pytest.raises(RuntimeError, match="float or double"):
        dpt.quantile(dpt.tensor([1, 2]), 0.5)
    with pytest.raises(RuntimeError, match="same dtype"):
        dpt.quantile(dpt.ones(3), dpt.tensor([0.5], dtype=dpt.float64))
    with pytest.raises(RuntimeError, match="interpolation"):
        dpt.quantile(dpt.ones(3), 0.5, interpolation="cubic")


# ---- shapes and matrices -----------------------------------------------------------------
def test_select_is_a_view():
    x = dpt.arange(12.0).reshape(3, 4)
    s = dpt.select(x, 1, -1)
    assert s.tolist() == [3.0, 7.0, 11.0] and s._base is not None
    s[0] = 100.0
    assert x[0, 3].item() == 100.0
    assert x.select(0, 2).tolist() == [8.0, 9.0, 10.0, 11.0]
    check_gradients(lambda t: dpt.select(t, 0, 1) * 2, randn(3, 2))
    with pytest.raises(IndexError, match="out of range"):
        dpt.select(x, 0, 3)
    with pytest.raises(IndexError, match="0-dim"):
        dpt.select(dpt.tensor(1.0), 0, 0)


def test_narrow_copy_and_diagflat():
    x = dpt.arange(6.0).reshape(2, 3)
    c = dpt.narrow_copy(x, 1, 1, 2)
    assert c.tolist() == [[1.0, 2.0], [4.0, 5.0]] and c._base is None
    check_op(lambda t: dpt.diagflat(t, 1), lambda a: np.diagflat(a, 1), randn(2, 2))


@pytest.mark.parametrize("k", [-1, 0, 1, 2, 3, 5])
def test_rot90(k):
    x = randn(2, 3, 4)
    check_op(lambda t: dpt.rot90(t, k, (0, 2)), lambda a: np.rot90(a, k, (0, 2)), x)


def test_rot90_errors():
    with pytest.raises(RuntimeError, match="total rotation dims"):
        dpt.rot90(dpt.ones(2, 2), 1, (0,))
    with pytest.raises(RuntimeError, match="different"):
        dpt.rot90(dpt.ones(2, 2), 1, (1, -1))


def test_adjoint_and_addr():
    c = randn(2, 3) + 1j * randn(2, 3, seed=1)
    assert_close(dpt.adjoint(dpt.tensor(c)), c.T.conj())
    assert dpt.tensor([[1.0, 2.0]]).adjoint().shape == (2, 1)
    m, a, b = randn(3, 4), randn(3, seed=1), randn(4, seed=2)
    check_op(lambda t, u, v: dpt.addr(t, u, v, beta=0.5, alpha=2.0),
             lambda t, u, v: 0.5 * t + 2.0 * np.outer(u, v), m, a, b)
    nan = dpt.full((3, 4), float("nan"), dtype=dpt.float64)
    assert_close(dpt.addr(nan, leaf(a, False), leaf(b, False), beta=0), np.outer(a, b))
    with pytest.raises(RuntimeError, match="1-D"):
        dpt.addr(dpt.ones(2, 2), dpt.ones(2, 1), dpt.ones(2))


def test_renorm():
    x = randn(3, 4) * 3

    def ref(a, p=2.0, dim=0, maxnorm=2.0):
        n = np.linalg.norm(a, p, axis=1, keepdims=True) if dim == 0 else \
            np.linalg.norm(a, p, axis=0, keepdims=True)
        return a * np.where(n > maxnorm, maxnorm / (n + 1e-7), 1.0)

    check_op(lambda t: dpt.renorm(t, 2, 0, 2.0), ref, x)
    check_op(lambda t: dpt.renorm(t, 1, 1, 2.0), lambda a: ref(a, 1.0, 1), x)
    with pytest.raises(RuntimeError, match="maxnorm"):
        dpt.renorm(dpt.ones(2, 2), 2, 0, -1.0)


def test_view_as_real_complex():
    c = dpt.tensor([[1 + 2j, 3 - 1j], [0.5j, 2.0]])
    r = dpt.view_as_real(c)
    assert r.shape == (2, 2, 2) and r.dtype is dpt.float32 and r._base is c
    assert_close(r, np.stack([c.numpy().real, c.numpy().imag], -1))
    r[0, 0, 1] = 7.0
    assert c[0, 0].item() == 1 + 7j
    back = dpt.view_as_complex(r)
    assert back.dtype is dpt.complex64 and back.tolist() == c.tolist()
    # non-contiguous complex input: a column
    col = dpt.view_as_real(c[:, 1])
    assert_close(col, np.stack([c.numpy()[:, 1].real, c.numpy()[:, 1].imag], -1))
    x = randn(3, 2)
    check_gradients(lambda t: dpt.view_as_real(dpt.view_as_complex(t) * (1 + 2j)), x)
    check_gradients(lambda t: dpt.view_as_real(dpt.view_as_complex(t).exp()).sum(-1), x)
    with pytest.raises(RuntimeError, match="last dimension of size 2"):
        dpt.view_as_complex(dpt.ones(3))
    with pytest.raises(RuntimeError, match="stride 1"):
        dpt.view_as_complex(dpt.ones(2, 4)[:, ::2])
    with pytest.raises(RuntimeError, match="complex tensors"):
        dpt.view_as_real(dpt.ones(2))


# ---- elementwise ---------------------------------------------------------------------------
def test_heaviside_nextafter_frexp_ldexp():
    x = dpt.tensor([-1.5, 0.0, 2.0, float("nan")])
    assert_close(dpt.heaviside(x, dpt.tensor([0.5])), [0.0, 0.5, 1.0, 0.0])
    assert dpt.heaviside(dpt.tensor([0, 3]), dpt.tensor([7])).tolist() == [7, 1]
    with pytest.raises(RuntimeError, match="different dtypes"):
        dpt.heaviside(x, dpt.tensor([1]))
    h = dpt.heaviside(leaf([1.0, -1.0]), leaf([0.5], False)).sum()
    with pytest.raises(RuntimeError, match="derivative for 'heaviside' is not implemented"):
        h.backward()
    a, b = np.array([1.0, 2.0, -0.0]), np.array([2.0, 1.0, -1.0])
    assert_close(dpt.nextafter(leaf(a, False), leaf(b, False)), np.nextafter(a, b), rtol=0, atol=0)
    v = randn(5) * 100
    m, e = dpt.frexp(leaf(v, False))
    nm, ne = np.frexp(v)
    assert_close(m, nm) and e.dtype is dpt.int32
    assert e.tolist() == ne.tolist()
    check_gradients(lambda t: dpt.frexp(t).mantissa, v)
    check_op(lambda t, u: dpt.ldexp(t, u), lambda t, u: np.ldexp(t, u.astype(int)),
             randn(4), np.array([0.0, 1.0, -2.0, 5.0]), grad=False)
    check_gradients(lambda t: dpt.ldexp(t, dpt.tensor([1, 2, 3])), randn(3))
    assert dpt.ldexp(dpt.tensor([1]), dpt.tensor([3])).dtype is dpt.float32


def test_mvlgamma_igamma():
    x = np.array([1.7, 2.5, 4.0])
    for p in (1, 2, 3):
        check_op(lambda t: dpt.mvlgamma(t, p), lambda a: scipy.special.multigammaln(a, p), x)
    with pytest.raises(RuntimeError, match="greater than"):
        dpt.mvlgamma(dpt.tensor([0.2]), 2)
    a, z = np.array([0.5, 1.0, 3.0]), np.array([0.3, 2.0, 1.5])
    check_op(lambda s, t: dpt.igamma(s, t), scipy.special.gammainc, a, z, grad=False)
    check_op(lambda s, t: dpt.igammac(s, t), scipy.special.gammaincc, a, z, grad=False)
    check_gradients(lambda t: dpt.igamma(leaf(a, False), t), z)
    check_gradients(lambda t: dpt.igammac(leaf(a, False), t), z)
    with pytest.raises(RuntimeError, match="igamma"):
        dpt.igamma(leaf(a), leaf(z, False)).sum().backward()


def test_int_helpers_and_aliases():
    assert dpt.gcd(dpt.tensor([4, 6, 0]), dpt.tensor([6, 9, 5])).tolist() == [2, 3, 5]
    assert dpt.lcm(dpt.tensor([4, 6]), dpt.tensor([6, 9])).tolist() == [12, 18]
    with pytest.raises(RuntimeError, match="not implemented"):
        dpt.gcd(dpt.ones(2), dpt.ones(2))
    check_op(lambda s, t: dpt.logaddexp2(s, t), np.logaddexp2, randn(3), randn(3, seed=1))
    assert dpt.rsub(dpt.tensor([1.0, 2.0]), 5, alpha=2).tolist() == [3.0, 1.0]
    check_op(dpt.i0, scipy.special.i0, randn(4))


def test_top_level_inplace_aliases():
    x = dpt.tensor([-1.0, 0.25, 4.0])
    assert dpt.relu_(x) is x and x.tolist() == [0.0, 0.25, 4.0]
    dpt.sqrt_(x)
    assert x.tolist() == [0.0, 0.5, 2.0]
    dpt.clamp_(x, max=1.0)
    assert x.tolist() == [0.0, 0.5, 1.0]
    y = dpt.tensor([-2.0, 3.0])
    dpt.abs_(y), dpt.exp_(y), dpt.sigmoid_(y), dpt.tanh_(y)
    assert_close(y, np.tanh(1 / (1 + np.exp(-np.exp([2.0, 3.0])))), rtol=1e-6)
    with pytest.raises(RuntimeError, match="leaf Variable"):
        dpt.exp_(dpt.ones(2, requires_grad=True))


def test_functional_aliases_match_nn_functional():
    F = dpt.nn.functional
    x, w = dpt.randn(2, 3, 8), dpt.randn(4, 3, 3)
    assert_close(dpt.conv1d(x, w, None, 1, 1), F.conv1d(x, w, None, 1, 1).numpy())
    img, k = dpt.randn(1, 2, 6, 6), dpt.randn(3, 2, 3, 3)
    assert_close(dpt.conv2d(img, k, padding=1), F.conv2d(img, k, padding=1).numpy())
    assert_close(dpt.max_pool2d(img, 2), F.max_pool2d(img, 2).numpy())
    assert_close(dpt.avg_pool1d(x, 2), F.avg_pool1d(x, 2).numpy())
    out, idx = dpt.adaptive_max_pool1d(x, 4)
    assert out.shape == (2, 3, 4) and idx.dtype is dpt.int64
    rm, rv, g, b = dpt.zeros(3), dpt.ones(3), dpt.rand(3), dpt.rand(3)
    assert_close(dpt.batch_norm(x, g, b, rm, rv, False, 0.1, 1e-5, True),
                 F.batch_norm(x, rm, rv, g, b, False, 0.1, 1e-5).numpy())
    assert_close(dpt.layer_norm(x, (8,)), F.layer_norm(x, (8,)).numpy())
    assert_close(dpt.group_norm(x, 3), F.group_norm(x, 3).numpy())
    table = dpt.randn(5, 2)
    assert_close(dpt.embedding(table, dpt.tensor([4, 0])), table.numpy()[[4, 0]])
    assert dpt.dropout(x, 0.5, False) is x or dpt.dropout(x, 0.5, False).tolist() == x.tolist()
    assert dpt.pixel_shuffle(dpt.randn(1, 4, 2, 2), 2).shape == (1, 1, 4, 4)
    assert_close(dpt.cosine_similarity(x, x, dim=1), np.ones((2, 8)), rtol=1e-5, atol=1e-5)
