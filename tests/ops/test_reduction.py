"""Reductions and scans against numpy, with float64 gradchecks (and gradgradchecks)."""
import math
import pickle

import numpy as np
import pytest

import dpt
from tests.helpers import assert_close, check_gradients, check_op, leaf, randn

X = randn(2, 3, 4)
M = randn(3, 4, seed=1)


# ---- sum, nansum, mean, nanmean -------------------------------------------------------
@pytest.mark.parametrize("dim", [None, 0, -1, (0, 2), [1], (-1, -2)])
@pytest.mark.parametrize("keepdim", [False, True])
def test_sum_mean(dim, keepdim):
    axis = None if dim is None else tuple(dim) if isinstance(dim, (tuple, list)) else dim
    check_op(lambda x: dpt.sum(x, dim, keepdim), lambda x: x.sum(axis=axis, keepdims=keepdim), X)
    check_op(lambda x: x.mean(dim, keepdim), lambda x: x.mean(axis=axis, keepdims=keepdim), X)


def test_sum_dtypes_and_edge_cases():
    assert dpt.tensor([1, 2, 3], dtype=dpt.int32).sum().dtype is dpt.int64
    assert dpt.tensor([True, True, False]).sum().item() == 2
    assert dpt.tensor([1, 2]).sum(dtype=dpt.float64).dtype is dpt.float64
    assert dpt.ones(2, 3).sum(dim=()).item() == 6  # an empty dim list reduces everything
    assert_close(dpt.zeros(0, 3).sum(0), np.zeros(3))
    assert dpt.tensor(2.5).sum().shape == ()
    assert math.isnan(dpt.zeros(0).mean().item())
    with pytest.raises(RuntimeError, match="mean\\(\\): could not infer output dtype"):
        dpt.tensor([1, 2]).mean()
    with pytest.raises(IndexError, match="Dimension out of range"):
        dpt.ones(2, 3).sum(2)
    with pytest.raises(RuntimeError, match="appears multiple times"):
        dpt.ones(2, 3).sum((0, -2))
    check_gradients(lambda x: x.sum(dim=0).sum() * x.mean(), X[0], gradgrad=True)


def test_nansum_nanmean():
    a = X.copy()
    a[0, 1, 2] = a[1, 0, 0] = np.nan
    check_op(lambda x: dpt.nansum(x, 1), lambda x: np.nansum(x, axis=1), a, grad=False)
    check_op(lambda x: x.nanmean((0, 2), keepdim=True),
             lambda x: np.nanmean(x, axis=(0, 2), keepdims=True), a, grad=False)
    x = leaf(a)
    (dpt.nansum(x) + dpt.nanmean(x, 1).sum()).backward()
    keep = ~np.isnan(a)
    assert_close(x.grad, keep * (1 + 1 / keep.sum(axis=1, keepdims=True)))
    check_gradients(lambda x: dpt.nansum(x, -1), X[0])
    check_gradients(lambda x: dpt.nanmean(x, 0), X[0])
    assert dpt.tensor([1, 2]).nansum().dtype is dpt.int64
    with pytest.raises(RuntimeError, match="nanmean"):
        dpt.tensor([1, 2]).nanmean()


# ---- prod -----------------------------------------------------------------------------
@pytest.mark.parametrize("zeros", [0, 1, 2])
@pytest.mark.parametrize("dim", [None, 1, -1])
def test_prod_gradients_with_zeros(zeros, dim):
    a = randn(3, 4, seed=2)
    if zeros:
        a[1, 1] = 0.0
    if zeros == 2:
        a[1, 3] = 0.0
        a[2, 0] = 0.0
    check_op(lambda x: dpt.prod(x, dim) if dim is not None else x.prod(),
             lambda x: np.prod(x, axis=dim), a, gradgrad=True)


def test_prod_zero_grad_values():
    x = leaf(np.array([2.0, 0.0, 3.0]))
    x.prod().backward()
    assert_close(x.grad, [0.0, 6.0, 0.0])


def test_prod_dtypes_and_errors():
    t = dpt.tensor([[1, 2], [3, 4]], dtype=dpt.int32)
    assert t.prod().dtype is dpt.int64 and t.prod().item() == 24
    assert_close(t.prod(0, keepdim=True), [[3, 8]])
    assert dpt.tensor(3.0).prod(0).item() == 3.0
    with pytest.raises(TypeError, match="must be int"):
        dpt.ones(2, 2).prod((0, 1))


# ---- var, std -------------------------------------------------------------------------
@pytest.mark.parametrize("dim", [None, 1, (0, 2), -1])
@pytest.mark.parametrize("correction", [0, 1, 2])
def test_var_std(dim, correction):
    axis = tuple(dim) if isinstance(dim, tuple) else dim
    check_op(lambda x: dpt.var(x, dim, correction=correction),
             lambda x: np.var(x, axis=axis, ddof=correction), X, gradgrad=dim == 1)
    check_op(lambda x: x.std(dim, keepdim=True, correction=correction),
             lambda x: np.std(x, axis=axis, ddof=correction, keepdims=True), X)


def test_var_legacy_unbiased_and_tuples():
    t = dpt.tensor(M)
    assert_close(t.var(False), np.var(M))
    assert_close(t.var(0, False), np.var(M, axis=0))
    assert_close(t.std(1, True, True), np.std(M, axis=1, ddof=1, keepdims=True))
    assert_close(dpt.std(t, unbiased=False), np.std(M))
    s, m = dpt.std_mean(t, 1)
    assert_close(s, np.std(M, axis=1, ddof=1))
    assert_close(m, M.mean(axis=1))
    v, m = dpt.var_mean(t, dim=(0, 1), correction=0, keepdim=True)
    assert_close(v, np.var(M, keepdims=True))
    assert_close(m, M.mean(keepdims=True))
    assert math.isnan(dpt.tensor([1.0]).var().item())  # N - correction == 0
    with pytest.raises(RuntimeError, match="floating point"):
        dpt.tensor([1, 2]).var()


def test_std_grad_is_zero_for_constant_input():
    x = leaf(np.ones((2, 3)))
    x.std(1).sum().backward()
    assert_close(x.grad, np.zeros((2, 3)))


# ---- max, min, amax, amin, argmax, aminmax --------------------------------------------
@pytest.mark.parametrize("dim", [0, 1, -1])
@pytest.mark.parametrize("keepdim", [False, True])
def test_max_min_with_dim(dim, keepdim):
    for fn, npv, npi in ((dpt.max, np.max, np.argmax), (dpt.min, np.min, np.argmin)):
        t = dpt.tensor(X)
        res = fn(t, dim, keepdim)
        assert type(res).__name__ == fn.__name__ and res.values is res[0]
        assert_close(res.values, npv(X, axis=dim, keepdims=keepdim))
        assert_close(res.indices, npi(X, axis=dim, keepdims=keepdim))
        assert res.indices.dtype is dpt.int64
        check_op(lambda x: fn(x, dim, keepdim=keepdim).values,
                 lambda x: npv(x, axis=dim, keepdims=keepdim), X, gradgrad=dim == 1)


def test_max_without_dim_and_ties():
    t = dpt.tensor(X)
    assert t.max().shape == () and t.max().item() == X.max()
    assert t.min().item() == X.min()
    x = leaf(np.array([[1.0, 3.0, 3.0], [3.0, 0.0, 2.0]]))
    x.max().backward()
    assert_close(x.grad, [[0, 1 / 3, 1 / 3], [1 / 3, 0, 0]])
    x.grad = None
    x.amax(1).sum().backward()
    assert_close(x.grad, [[0, 0.5, 0.5], [1, 0, 0]])
    x.grad = None
    x.max(1).values.sum().backward()  # with a dim, all of it goes to the returned index
    assert_close(x.grad, [[0, 1, 0], [1, 0, 0]])
    with pytest.raises(RuntimeError, match="Expected reduction dim to be specified"):
        dpt.zeros(0).max()
    with pytest.raises(IndexError, match="Expected reduction dim 1 to have non-zero size"):
        dpt.zeros(2, 0).max(1)
    with pytest.raises(TypeError, match="must be int"):
        dpt.ones(2, 2).max((0, 1))


def test_max_of_0d_and_ints():
    r = dpt.max(dpt.tensor(4.0), 0)
    assert r.values.item() == 4.0 and r.indices.item() == 0 and r.values.shape == ()
    r = dpt.tensor([[3, 1], [2, 5]]).min(0)
    assert r.values.dtype is dpt.int64
    assert_close(r.values, [2, 1])
    assert_close(r.indices, [1, 0])


def test_max_min_elementwise():
    a, b = randn(2, 3), randn(3, seed=3)
    check_op(lambda x, y: dpt.max(x, y), np.maximum, a, b)
    check_op(lambda x, y: x.min(y), np.minimum, a, b)
    x, y = leaf(np.array([1.0, 2.0])), leaf(np.array([1.0, 3.0]))
    dpt.max(x, y).sum().backward()
    assert_close(x.grad, [0.5, 0.0])
    assert_close(y.grad, [0.5, 1.0])


@pytest.mark.parametrize("dim", [(), 0, (0, 2), [-1], (1, -1)])
@pytest.mark.parametrize("keepdim", [False, True])
def test_amax_amin(dim, keepdim):
    axis = tuple(range(3)) if dim == () else tuple(dim) if isinstance(dim, (tuple, list)) else dim
    check_op(lambda x: dpt.amax(x, dim, keepdim), lambda x: np.amax(x, axis=axis, keepdims=keepdim), X)
    check_op(lambda x: x.amin(dim, keepdim), lambda x: np.amin(x, axis=axis, keepdims=keepdim), X)
    check_gradients(lambda x: dpt.amax(x, dim, keepdim), X[:, :2, :2], gradgrad=True)


def test_aminmax():
    r = dpt.aminmax(dpt.tensor(X))
    assert type(r).__name__ == "aminmax"
    assert r.min.item() == X.min() and r.max.item() == X.max()
    r = dpt.tensor(X).aminmax(dim=1, keepdim=True)
    assert_close(r.min, X.min(axis=1, keepdims=True))
    assert_close(r.max, X.max(axis=1, keepdims=True))
    check_gradients(lambda x: dpt.aminmax(x, dim=-1), M)


def test_argmax_argmin():
    t = dpt.tensor(X)
    assert t.argmax().item() == X.argmax() and t.argmin().item() == X.argmin()
    assert t.argmax(keepdim=True).shape == (1, 1, 1)
    assert_close(dpt.argmax(t, 1), X.argmax(axis=1))
    assert_close(dpt.argmin(t, -1, keepdim=True), X.argmin(axis=-1, keepdims=True))
    assert dpt.argmax(t, 0).dtype is dpt.int64
    assert dpt.tensor(1.5).argmax(0).item() == 0
    assert dpt.tensor([1.0, 3.0, 3.0]).argmax().item() == 1  # the first maximum
    with pytest.raises(IndexError, match="argmax\\(\\): Expected reduction dim to be specified"):
        dpt.zeros(0).argmax()  # IndexError as torch
    with pytest.raises(IndexError, match="argmin\\(\\): Expected reduction dim 0"):
        dpt.zeros(0, 2).argmin(0)


# ---- median, nanmedian, mode ----------------------------------------------------------
def _lower_median(a, axis):
    s = np.sort(a, axis=axis)
    return np.take(s, (a.shape[axis] - 1) // 2, axis=axis)


def test_median():
    t = dpt.tensor(X)
    assert t.median().item() == np.sort(X.ravel())[(X.size - 1) // 2]  # lower middle, not the mean
    for dim in (0, 1, -1):
        r = t.median(dim)
        expected = _lower_median(X, dim)
        assert_close(r.values, expected)
        assert_close(np.take_along_axis(X, np.expand_dims(r.indices.numpy(), dim), dim).squeeze(dim),
                     expected)
    assert dpt.median(t, 1, keepdim=True).values.shape == (2, 1, 4)
    assert dpt.tensor([4, 1, 3, 2]).median().item() == 2
    assert math.isnan(dpt.zeros(0).median().item())
    check_op(lambda x: dpt.median(x, 1).values, lambda x: _lower_median(x, 1), X, gradgrad=True)
    check_gradients(lambda x: x.median(), M)


def test_median_nan():
    a = np.array([[1.0, np.nan, 3.0, 0.0], [2.0, 5.0, 4.0, 1.0]])
    r = dpt.tensor(a).median(1)
    assert math.isnan(r.values[0].item()) and r.indices[0].item() == 1
    assert r.values[1].item() == 2.0
    r = dpt.tensor(a).nanmedian(1)
    assert_close(r.values, [1.0, 2.0])
    assert_close(r.indices, [0, 0])
    assert math.isnan(dpt.tensor(a).median().item())
    assert dpt.tensor(a).nanmedian().item() == 2.0
    assert math.isnan(dpt.tensor([np.nan, np.nan]).nanmedian().item())
    check_gradients(lambda x: dpt.nanmedian(x, 0).values, M)


def test_mode():
    a = np.array([[1.0, 2.0, 2.0, 3.0, 3.0, 0.0], [5.0, 4.0, 5.0, 4.0, 4.0, 5.0]])
    r = dpt.tensor(a).mode()
    assert type(r).__name__ == "mode"
    assert_close(r.values, [2.0, 4.0])  # ties between values go to the smallest
    assert_close(r.indices, [2, 4])  # the last occurrence
    r = dpt.mode(dpt.tensor(a.T), 0, keepdim=True)
    assert_close(r.values, [[2.0, 4.0]])
    assert dpt.tensor([7]).mode().values.item() == 7
    x = leaf(a)
    x.mode(1).values.sum().backward()
    expected = np.zeros_like(a)
    expected[0, 2] = expected[1, 4] = 1
    assert_close(x.grad, expected)


# ---- logsumexp ------------------------------------------------------------------------
def _np_logsumexp(a, axis, keepdims=False):
    m = np.max(a, axis=axis, keepdims=True)
    out = np.log(np.sum(np.exp(a - m), axis=axis, keepdims=True)) + m
    return out if keepdims else np.squeeze(out, axis=axis)


@pytest.mark.parametrize("dim", [0, -1, (0, 2)])
def test_logsumexp(dim):
    check_op(lambda x: dpt.logsumexp(x, dim), lambda x: _np_logsumexp(x, dim), X, gradgrad=dim == -1)
    check_op(lambda x: x.logsumexp(dim, keepdim=True), lambda x: _np_logsumexp(x, dim, True), X,
             grad=False)


def test_logsumexp_stable_and_dtypes():
    big = dpt.tensor([1000.0, 1000.0, -1000.0], dtype=dpt.float64)
    assert_close(big.logsumexp(0), 1000 + np.log(2))
    assert dpt.tensor([-math.inf, -math.inf]).logsumexp(0).item() == -math.inf
    assert dpt.tensor([1, 2]).logsumexp(0).dtype is dpt.float32
    assert dpt.zeros(0).logsumexp(0).item() == -math.inf


# ---- scans ----------------------------------------------------------------------------
@pytest.mark.parametrize("dim", [0, 1, -1])
def test_cumsum_cumprod(dim):
    check_op(lambda x: dpt.cumsum(x, dim), lambda x: np.cumsum(x, axis=dim), X, gradgrad=dim == 1)
    check_op(lambda x: x.cumprod(dim), lambda x: np.cumprod(x, axis=dim), X, gradgrad=dim == 1)


def test_cumsum_cumprod_dtypes_and_0d():
    assert dpt.tensor([1, 2], dtype=dpt.int32).cumsum(0).dtype is dpt.int64
    assert_close(dpt.tensor([True, True]).cumsum(0), [1, 2])
    assert dpt.tensor([1, 2]).cumprod(0, dtype=dpt.float64).dtype is dpt.float64
    assert dpt.tensor(3.0).cumsum(0).shape == ()
    assert dpt.zeros(0).cumsum(0).shape == (0,)
    with pytest.raises(IndexError):
        dpt.ones(2).cumsum(1)


@pytest.mark.parametrize("zero_at", [[(0, 1)], [(0, 0), (1, 2)], [(0, 1), (0, 3)]])
def test_cumprod_gradients_with_zeros(zero_at):
    a = randn(2, 4, seed=4)
    for i, j in zero_at:
        a[i, j] = 0.0
    check_op(lambda x: dpt.cumprod(x, 1), lambda x: np.cumprod(x, axis=1), a, gradgrad=True)


def _np_cum_extreme(a, axis, largest):
    a = np.moveaxis(a, axis, -1)
    vals, idx = np.empty_like(a), np.zeros(a.shape, dtype=np.int64)
    for pos in np.ndindex(*a.shape[:-1]):
        best, bi = a[pos][0], 0
        for j, v in enumerate(a[pos]):
            if (v >= best) if largest else (v <= best):
                best, bi = v, j
            vals[pos + (j,)], idx[pos + (j,)] = best, bi
    return np.moveaxis(vals, -1, axis), np.moveaxis(idx, -1, axis)


@pytest.mark.parametrize("dim", [0, -1])
def test_cummax_cummin(dim):
    a = np.round(X * 2) / 2  # ties
    for fn, largest in ((dpt.cummax, True), (dpt.cummin, False)):
        r = fn(dpt.tensor(a), dim)
        vals, idx = _np_cum_extreme(a, dim, largest)
        assert_close(r.values, vals)
        assert_close(r.indices, idx)  # the last of equal extremes, as torch
        check_op(lambda x: fn(x, dim).values, lambda x: _np_cum_extreme(x, dim, largest)[0], X,
                 gradgrad=True)
    r = dpt.tensor(2.0).cummax(0)
    assert r.values.shape == () and r.indices.item() == 0


def test_cummax_grad_accumulates_on_repeated_index():
    x = leaf(np.array([3.0, 1.0, 2.0, 4.0]))
    x.cummax(0).values.sum().backward()
    assert_close(x.grad, [3.0, 0.0, 0.0, 1.0])


@pytest.mark.parametrize("dim", [0, -1])
def test_logcumsumexp(dim):
    check_op(lambda x: dpt.logcumsumexp(x, dim), lambda x: np.logaddexp.accumulate(x, axis=dim), X,
             gradgrad=dim == -1)


def test_logcumsumexp_stable():
    t = dpt.tensor([-1000.0, 0.0, 1000.0], dtype=dpt.float64)
    assert_close(t.logcumsumexp(0), [-1000.0, 0.0, 1000.0])
    check_gradients(lambda x: dpt.logcumsumexp(x * 300, 0), np.array([-2.0, 0.5, 1.0]))
    x = leaf(np.array([-1000.0, 0.0, 1000.0]))
    dpt.logcumsumexp(x, 0).sum().backward()
    assert_close(x.grad, [1.0, 1.0, 1.0])


# ---- norm, dist -----------------------------------------------------------------------
@pytest.mark.parametrize("p", [2, 1, 3, 0.5, math.inf, -math.inf, "fro"])
def test_vector_norms(p):
    q = 2 if p == "fro" else p
    ref = lambda x: np.sum(np.abs(x) ** q) ** (1 / q) if q not in (math.inf, -math.inf) else (
        np.abs(x).max() if q > 0 else np.abs(x).min())
    check_op(lambda x: dpt.norm(x, p), ref, M)
    check_op(lambda x: x.norm(p, dim=1, keepdim=True),
             lambda x: np.linalg.norm(x, ord=q, axis=1, keepdims=True), M)


def test_norm_misc():
    t = dpt.tensor(X)
    assert_close(t.norm(dim=(0, 2)), np.sqrt((X ** 2).sum(axis=(0, 2))))
    assert_close(dpt.norm(dpt.tensor(M), 0), np.count_nonzero(M))
    assert_close(dpt.norm(dpt.tensor(M), "nuc"), np.linalg.norm(M, "nuc"))
    assert_close(t.norm("nuc", dim=(0, 2), keepdim=True),
                 np.linalg.svd(X.transpose(1, 0, 2), compute_uv=False).sum(-1).reshape(1, 3, 1))
    check_gradients(lambda x: dpt.norm(x, "nuc"), M)
    check_gradients(lambda x: dpt.norm(x, dim=0), M, gradgrad=True)
    assert dpt.tensor([1.0, 2.0], dtype=dpt.float64).norm(dtype=dpt.float32).dtype is dpt.float32
    assert_close(dpt.tensor([3e200, 4e200], dtype=dpt.float64).norm(), 5e200, rtol=1e-12)
    x = leaf(np.zeros(3))
    x.norm().backward()
    assert_close(x.grad, np.zeros(3))  # not nan
    with pytest.raises(RuntimeError, match="floating point or complex"):
        dpt.tensor([1, 2]).norm()
    c = dpt.tensor(np.array([3 + 4j, 0j]))
    assert c.norm().dtype is dpt.float64 and c.norm().item() == 5.0


def test_dist():
    a, b = randn(2, 3), randn(3, seed=5)
    check_op(lambda x, y: dpt.dist(x, y), lambda x, y: np.linalg.norm((x - y).ravel()), a, b)
    check_op(lambda x, y: x.dist(y, 1), lambda x, y: np.abs(x - y).sum(), a, b)
    assert_close(dpt.dist(dpt.tensor(a), dpt.tensor(b), math.inf), np.abs(a - b).max())


# ---- all, any, count_nonzero ----------------------------------------------------------
def test_all_any_count_nonzero():
    a = np.array([[0, 1, 2], [3, 0, 0]])
    t = dpt.tensor(a)
    assert t.all().item() is False and t.any().item() is True
    assert t.all().dtype is dpt.bool
    assert_close(t.any(1), [True, True])
    assert_close(dpt.all(t, 0, keepdim=True), [[False, False, False]])
    assert_close(dpt.any(t > 1, (0, 1)), True)
    assert dpt.tensor(a, dtype=dpt.uint8).all().dtype is dpt.uint8
    assert dpt.zeros(0).all().item() is True and dpt.zeros(0).any().item() is False
    assert t.count_nonzero().item() == 3 and t.count_nonzero().dtype is dpt.int64
    assert_close(dpt.count_nonzero(t, 0), [1, 1, 1])
    assert_close(t.count_nonzero((0, 1)), 3)


# ---- second derivatives of the composite and selecting ops ----------------------------
@pytest.mark.parametrize("fn", [
    lambda x: x.std(1), lambda x: dpt.std(x, correction=0), lambda x: x.nanmean(0),
    lambda x: x.median(), lambda x: x.norm(3, dim=1), lambda x: x.norm(math.inf),
    lambda x: x.logcumsumexp(0), lambda x: x.cummin(1).values, lambda x: x.mode(0).values,
    lambda x: x.sum(np.int64(1)), lambda x: dpt.min(x, x[0] * 0.5)])
def test_second_derivatives(fn):
    check_gradients(fn, M[:2, :3], gradgrad=True)


# ---- the method surface and result types ----------------------------------------------
@pytest.mark.parametrize("name,args", [
    ("sum", (1,)), ("nansum", ()), ("mean", (0,)), ("nanmean", ()), ("prod", (1,)), ("std", (1,)),
    ("var", ()), ("max", (1,)), ("min", ()), ("amax", (0,)), ("amin", ()), ("argmax", (1,)),
    ("argmin", ()), ("median", (0,)), ("nanmedian", ()), ("mode", (1,)), ("logsumexp", (1,)),
    ("cumsum", (1,)), ("cumprod", (0,)), ("cummax", (1,)), ("cummin", (0,)), ("logcumsumexp", (1,)),
    ("norm", ()), ("all", ()), ("any", (1,)), ("count_nonzero", (0,)), ("aminmax", ())])
def test_methods_match_functions(name, args):
    t = dpt.tensor(M)
    via_method, via_function = getattr(t, name)(*args), getattr(dpt, name)(t, *args)
    pairs = zip(via_method, via_function) if isinstance(via_method, tuple) else [(via_method,
                                                                                via_function)]
    for a, b in pairs:
        assert a.dtype is b.dtype
        assert_close(a, b.numpy())


def test_return_types_behave_like_torch():
    r = dpt.tensor([[1, 5], [4, 2]]).max(0)
    values, indices = r
    assert isinstance(r, tuple) and len(r) == 2 and r[1] is indices
    assert repr(r) == ("dpt.return_types.max(\nvalues=tensor([4, 5]),\nindices=tensor([1, 0]))")
    assert isinstance(r, dpt.return_types.max)
    back = pickle.loads(pickle.dumps(r))
    assert type(back) is dpt.return_types.max and back.values.tolist() == [4, 5]


# ---- the same ops on every device -----------------------------------------------------
def test_reductions_on_device(device):
    a = np.round(randn(3, 5, seed=7) * 2) / 2
    t = dpt.tensor(a, device=device)
    assert_close(t.sum(1), a.sum(1))
    assert_close(t.var(0), a.var(0, ddof=1))
    assert_close(t.prod(1), a.prod(1))
    assert_close(t.amax((0, 1)), a.max())
    r = t.max(1)
    assert_close(r.values, a.max(1))
    assert_close(r.indices, a.argmax(1))
    assert_close(t.argmin(), a.argmin())
    assert_close(t.median(1).values, _lower_median(a, 1))
    assert_close(t.mode(1).values, [np.unique(row)[np.argmax(np.unique(row, return_counts=True)[1])]
                                    for row in a])
    assert_close(t.logsumexp(1), _np_logsumexp(a, 1))
    assert_close(t.cumsum(1), a.cumsum(1))
    assert_close(t.cumprod(0), a.cumprod(0))
    assert_close(t.cummax(1).values, np.maximum.accumulate(a, 1))
    assert_close(t.logcumsumexp(1), np.logaddexp.accumulate(a, 1))
    assert_close(t.norm(), np.linalg.norm(a))
    assert_close(t.norm("nuc"), np.linalg.norm(a, "nuc"))
    assert_close(t.count_nonzero(0), np.count_nonzero(a, 0))
    x = dpt.tensor(a, device=device, requires_grad=True)
    (x.max(1).values.sum() + x.cummax(1).values.sum() + x.prod() + x.cumprod(1).sum()).backward()
    assert x.grad.device == x.device and x.grad.shape == (3, 5)


# ---- out= -----------------------------------------------------------------------------
OUT_CASES = [
    ("sum", (1,), {}, lambda a: a.sum(1)),
    ("sum", ((0, 2),), {"keepdim": True}, lambda a: a.sum((0, 2), keepdims=True)),
    ("mean", (-1,), {}, lambda a: a.mean(-1)),
    ("prod", (0,), {}, lambda a: a.prod(0)),
    ("amax", ((1, 2),), {}, lambda a: a.max((1, 2))),
    ("amin", (0,), {"keepdim": True}, lambda a: a.min(0, keepdims=True)),
    ("std", (1,), {}, lambda a: a.std(1, ddof=1)),
    ("var", (2,), {"correction": 0}, lambda a: a.var(2)),
    ("cumsum", (1,), {}, lambda a: a.cumsum(1)),
    ("cumprod", (-1,), {}, lambda a: a.cumprod(-1)),
]


@pytest.mark.parametrize("name,args,kwargs,ref", OUT_CASES, ids=[c[0] for c in OUT_CASES])
def test_out_writes_in_place_and_returns_out(device, name, args, kwargs, ref):
    x = dpt.tensor(X, device=device)
    want = ref(X)
    out = dpt.empty(want.shape, dtype=dpt.float64, device=device)
    keep = out._data
    r = getattr(dpt, name)(x, *args, out=out, **kwargs)
    assert r is out and out._data is keep  # a right-shaped out is written, not replaced
    assert_close(out, want, atol=1e-12)
    # a zero-element out is resized silently, like torch
    out = dpt.empty(0, dtype=dpt.float64, device=device)
    getattr(dpt, name)(x, *args, out=out, **kwargs)
    assert_close(out, want, atol=1e-12)


def test_out_resize_warns_for_nonempty_and_writes_into_views():
    x = dpt.tensor(M)
    out = dpt.zeros(5, dtype=dpt.float64)
    with pytest.warns(UserWarning, match=r"had shape \[5\], which does not match the required "
                                         r"output shape \[3\]"):
        dpt.sum(x, 1, out=out)
    assert_close(out, M.sum(1))
    big = dpt.zeros(4, 3, dtype=dpt.float64)
    col = big[:, 1]  # a non-contiguous out of the right shape: written through to big
    dpt.amax(x, 0, out=col)
    assert_close(big[:, 1], M.max(0))
    assert big._version >= 1


def test_out_dtype_rules():
    xi = dpt.tensor([[1, 2, 3], [4, 5, 6]])
    xf = dpt.tensor([[0.5, 1.5], [2.0, 4.0]])
    # sum-like ops compute in out's dtype
    o = dpt.empty(3)
    assert_close(dpt.sum(xi, 0, out=o), [5.0, 7.0, 9.0], check_dtype=dpt.float32)
    o = dpt.empty(0, dtype=dpt.int32)
    assert dpt.cumsum(xi, 1, out=o).tolist() == [[1, 3, 6], [4, 9, 15]] and o.dtype is dpt.int32
    o = dpt.empty(0, dtype=dpt.float64)
    assert_close(dpt.cumprod(xf, 0, out=o), np.cumprod([[0.5, 1.5], [2.0, 4.0]], 0),
                 check_dtype=dpt.float64)
    assert_close(dpt.prod(xi, 1, out=dpt.empty(2)), [6.0, 120.0], check_dtype=dpt.float32)
    with pytest.raises(RuntimeError, match="Expected out tensor to have dtype double, but got "
                                           "float instead"):
        dpt.sum(xf, 0, dtype=dpt.float64, out=dpt.empty(2))
    # mean/std/var cast their floating result into out; no float into an integer out
    assert_close(dpt.mean(xf, 0, out=dpt.empty(2, dtype=dpt.float64)), [1.25, 2.75],
                 check_dtype=dpt.float64)
    with pytest.raises(RuntimeError, match="result type Float can't be cast to the desired "
                                           "output type Long"):
        dpt.mean(xf, 0, out=dpt.empty(2, dtype=dpt.int64))
    with pytest.raises(RuntimeError, match="mean\\(\\): could not infer output dtype"):
        dpt.mean(xi, 0, out=dpt.empty(3))
    assert_close(dpt.std(xf, 1, out=dpt.empty(0, dtype=dpt.float64)),
                 np.std([[0.5, 1.5], [2.0, 4.0]], 1, ddof=1), check_dtype=dpt.float64)
    # amax/amin: out must have the input's dtype
    with pytest.raises(RuntimeError, match="Expected the dtype for input and out to match, but "
                                           "got Float for input's dtype and Double for out's"):
        dpt.amax(xf, 0, out=dpt.empty(2, dtype=dpt.float64))
    with pytest.raises(TypeError, match="argument 'out' must be Tensor, not list"):
        dpt.sum(xf, 0, out=[1.0, 2.0])


def test_max_min_out():
    x = dpt.tensor(M)
    vals, idx = dpt.empty(0, dtype=dpt.float64), dpt.empty(0, dtype=dpt.int64)
    r = dpt.max(x, 1, out=(vals, idx))
    assert r.values is vals and r.indices is idx and type(r) is dpt.return_types.max
    assert_close(vals, M.max(1))
    assert idx.tolist() == M.argmax(1).tolist()
    vals, idx = dpt.empty(0, dtype=dpt.float64), dpt.empty(0, dtype=dpt.int64)
    r = dpt.min(x, 0, keepdim=True, out=(vals, idx))
    assert_close(r.values, M.min(0, keepdims=True))
    assert idx.tolist() == [M.argmin(0).tolist()]
    o = dpt.empty(())
    o64 = dpt.empty((), dtype=dpt.float64)
    assert dpt.max(x, out=o64) is o64 and float(o64) == M.max()
    y = dpt.tensor(M[::-1].copy())
    assert_close(dpt.min(x, y, out=dpt.empty(0, dtype=dpt.float64)), np.minimum(M, M[::-1]))
    with pytest.raises(RuntimeError, match="Expected out tensor to have dtype double, but got "
                                           "float instead"):
        dpt.max(x, 1, out=(o, idx))
    with pytest.raises(RuntimeError, match="Expected out tensor to have dtype long int, but got "
                                           "int instead"):
        dpt.max(x, 1, out=(vals, dpt.empty(0, dtype=dpt.int32)))
    with pytest.raises(TypeError, match="argument 'out' must be tuple of Tensors"):
        dpt.max(x, 1, out=vals)


def test_out_refuses_autograd_when_recording():
    x = leaf(M)
    msg = "functions with out=... arguments don't support automatic differentiation"
    with pytest.raises(RuntimeError, match="sum\\(\\): " + msg.replace(".", "\\.")):
        dpt.sum(x, 0, out=dpt.empty(4, dtype=dpt.float64))
    with pytest.raises(RuntimeError, match="cumsum\\(\\): " + msg.replace(".", "\\.")):
        dpt.cumsum(dpt.tensor(M), 0, out=dpt.empty(0, dtype=dpt.float64, requires_grad=True))
    with pytest.raises(RuntimeError, match="max\\(\\): " + msg.replace(".", "\\.")):
        dpt.max(x, 0, out=(dpt.empty(0, dtype=dpt.float64), dpt.empty(0, dtype=dpt.int64)))
    with dpt.no_grad():  # without recording it is allowed, as in torch
        out = dpt.empty(4, dtype=dpt.float64)
        assert_close(dpt.var(x, 0, out=out), M.var(0, ddof=1))
        assert not out.requires_grad
