"""Sorting and searching against numpy, with gradchecks for the value-returning ops."""
import math

import numpy as np
import pytest

import dpt
from tests.helpers import assert_close, check_gradients, check_op, leaf, randn

X = randn(2, 3, 4)


# ---- sort, argsort, msort -------------------------------------------------------------
@pytest.mark.parametrize("dim", [0, 1, -1])
@pytest.mark.parametrize("descending", [False, True])
def test_sort(dim, descending):
    ref = lambda x: -np.sort(-x, axis=dim) if descending else np.sort(x, axis=dim)
    r = dpt.sort(dpt.tensor(X), dim, descending)
    assert type(r).__name__ == "sort" and r.indices.dtype is dpt.int64
    assert_close(r.values, ref(X))
    assert_close(np.take_along_axis(X, r.indices.numpy(), dim), ref(X))
    check_op(lambda x: x.sort(dim, descending=descending).values, ref, X, gradgrad=dim == -1)
    assert_close(dpt.argsort(dpt.tensor(X), dim, descending), r.indices.numpy())


def test_sort_is_stable_and_nan_is_largest():
    a = np.array([2.0, 1.0, np.nan, 2.0, 1.0, 3.0])
    r = dpt.tensor(a).sort()
    assert_close(r.values, [1, 1, 2, 2, 3, np.nan])
    assert r.indices.tolist() == [1, 4, 0, 3, 5, 2]
    r = dpt.tensor(a).sort(descending=True, stable=True)
    assert_close(r.values, [np.nan, 3, 2, 2, 1, 1])
    assert r.indices.tolist() == [2, 5, 0, 3, 1, 4]  # ties keep their order descending too
    b = dpt.tensor([True, False, True])
    assert b.sort(descending=True).values.tolist() == [True, True, False]
    u = dpt.tensor([0, 255, 3], dtype=dpt.uint8)
    assert u.sort(descending=True).values.tolist() == [255, 3, 0]


def test_sort_edge_cases():
    r = dpt.tensor(5.0).sort()
    assert r.values.shape == () and r.indices.item() == 0
    r = dpt.zeros(0, 3).sort(0)
    assert r.values.shape == (0, 3) and r.indices.shape == (0, 3)
    assert dpt.tensor(X).argsort(dim=1).shape == (2, 3, 4)
    assert_close(dpt.msort(dpt.tensor(X)), np.sort(X, axis=0))
    assert_close(dpt.tensor(X).msort(), np.sort(X, axis=0))
    with pytest.raises(IndexError, match="Dimension out of range"):
        dpt.ones(2, 2).sort(2)


def test_sort_grad_scatters_back():
    x = leaf(np.array([3.0, 1.0, 2.0]))
    w = dpt.tensor([1.0, 10.0, 100.0], dtype=dpt.float64)
    (x.sort().values * w).sum().backward()
    assert_close(x.grad, [100.0, 1.0, 10.0])


# ---- topk, kthvalue -------------------------------------------------------------------
@pytest.mark.parametrize("largest", [True, False])
@pytest.mark.parametrize("dim", [0, -1])
def test_topk(largest, dim):
    k = 2
    def ref(x):
        s = -np.sort(-x, axis=dim) if largest else np.sort(x, axis=dim)
        return np.take(s, range(k), axis=dim)
    r = dpt.topk(dpt.tensor(X), k, dim, largest)
    assert type(r).__name__ == "topk"
    assert_close(r.values, ref(X))
    assert_close(np.take_along_axis(X, r.indices.numpy(), dim), ref(X))
    check_op(lambda x: x.topk(k, dim=dim, largest=largest).values, ref, X, gradgrad=dim == -1)


def test_topk_edges():
    t = dpt.tensor([1.0, np.nan, 3.0])
    assert math.isnan(t.topk(1).values.item())  # NaN counts as the largest
    assert t.topk(0).values.shape == (0,)
    assert dpt.topk(t, 2, sorted=False).values.shape == (2,)
    with pytest.raises(RuntimeError, match="selected index k out of range"):
        t.topk(4)


@pytest.mark.parametrize("k", [1, 2, 3])
@pytest.mark.parametrize("keepdim", [False, True])
def test_kthvalue(k, keepdim):
    ref = lambda x: np.take(np.sort(x, axis=1), [k - 1] if keepdim else k - 1, axis=1)
    r = dpt.kthvalue(dpt.tensor(X), k, 1, keepdim)
    assert type(r).__name__ == "kthvalue"
    assert_close(r.values, ref(X))
    idx = r.indices.numpy() if keepdim else np.expand_dims(r.indices.numpy(), 1)
    assert_close(np.take_along_axis(X, idx, 1), np.take(np.sort(X, axis=1), [k - 1], axis=1))
    check_op(lambda x: x.kthvalue(k, 1, keepdim).values, ref, X, gradgrad=k == 2)


def test_kthvalue_errors_and_0d():
    assert dpt.tensor(4.0).kthvalue(1).values.item() == 4.0
    assert dpt.tensor([3, 1, 2]).kthvalue(3).values.item() == 3
    with pytest.raises(RuntimeError, match="selected number k out of range for dimension 0"):
        dpt.tensor([1.0, 2.0]).kthvalue(3)
    with pytest.raises(RuntimeError, match="selected number k out of range"):
        dpt.tensor([1.0, 2.0]).kthvalue(0)


# ---- unique, unique_consecutive -------------------------------------------------------
def test_unique():
    a = np.array([[2, 1, 2], [3, 1, 0]])
    t = dpt.tensor(a)
    assert_close(dpt.unique(t), [0, 1, 2, 3])
    out, inv, cnt = t.unique(return_inverse=True, return_counts=True)
    assert inv.shape == (2, 3) and inv.dtype is dpt.int64 and cnt.dtype is dpt.int64
    assert_close(out.numpy()[inv.numpy()], a)
    assert_close(cnt, [1, 2, 2, 1])
    out, cnt = dpt.unique(t, sorted=True, return_counts=True)
    assert_close(cnt, [1, 2, 2, 1])
    rows = dpt.tensor([[1, 2], [0, 5], [1, 2]])
    out, inv = rows.unique(dim=0, return_inverse=True)
    assert_close(out, [[0, 5], [1, 2]])
    assert_close(inv, [1, 0, 1])
    assert_close(rows.unique(dim=1), [[1, 2], [0, 5], [1, 2]])
    assert dpt.zeros(0).unique().shape == (0,)
    f = dpt.tensor([1.0, np.nan, np.nan])
    assert f.unique().shape == (3,)  # NaNs are never equal, as in torch


def test_unique_consecutive():
    a = np.array([1, 1, 2, 2, 3, 1, 1, 2])
    out, inv, cnt = dpt.unique_consecutive(dpt.tensor(a), return_inverse=True, return_counts=True)
    assert_close(out, [1, 2, 3, 1, 2])
    assert_close(inv, [0, 0, 1, 1, 2, 3, 3, 4])
    assert_close(cnt, [2, 2, 1, 2, 1])
    m = dpt.tensor([[1, 1, 2, 2], [3, 3, 4, 5]])
    assert_close(m.unique_consecutive(), [1, 2, 3, 4, 5])
    out, cnt = m.unique_consecutive(dim=1, return_counts=True)
    assert_close(out, [[1, 2, 2], [3, 4, 5]])
    assert_close(cnt, [2, 1, 1])
    out, inv = m.unique_consecutive(return_inverse=True)
    assert inv.shape == (2, 4)
    out, inv, cnt = dpt.zeros(0).unique_consecutive(return_inverse=True, return_counts=True)
    assert out.shape == inv.shape == cnt.shape == (0,)


# ---- searchsorted, bucketize, histc ---------------------------------------------------
def test_searchsorted():
    seq = dpt.tensor([1.0, 3.0, 5.0, 7.0, 9.0])
    vals = dpt.tensor([[3.0, 6.0, 9.0], [3.0, 6.0, 10.0]])
    assert_close(dpt.searchsorted(seq, vals), [[1, 3, 4], [1, 3, 5]])
    assert_close(dpt.searchsorted(seq, vals, right=True), [[2, 3, 5], [2, 3, 5]])
    assert_close(dpt.searchsorted(seq, vals, side="right"), [[2, 3, 5], [2, 3, 5]])
    assert dpt.searchsorted(seq, vals, out_int32=True).dtype is dpt.int32
    assert dpt.searchsorted(seq, vals).dtype is dpt.int64
    r = dpt.searchsorted(seq, 4.0)
    assert r.shape == () and r.item() == 2
    rows = dpt.tensor([[1, 3, 5, 7, 9], [2, 4, 6, 8, 10]])
    assert_close(dpt.searchsorted(rows, dpt.tensor([[3, 6, 9], [3, 6, 9]])), [[1, 3, 4], [1, 2, 4]])
    unsorted = dpt.tensor([5.0, 1.0, 3.0])
    assert_close(dpt.searchsorted(unsorted, dpt.tensor([2.0, 4.0]), sorter=dpt.tensor([1, 2, 0])),
                 [1, 2])
    with pytest.raises(RuntimeError, match="side and right can't be set to opposites"):
        dpt.searchsorted(seq, vals, right=True, side="left")
    with pytest.raises(RuntimeError, match="first N-1 dimensions"):
        dpt.searchsorted(rows, dpt.tensor([[1, 2]] * 3))


def test_bucketize():
    bounds = dpt.tensor([1, 3, 5, 7, 9])
    v = dpt.tensor([[3, 6, 9], [3, 6, 9]])
    assert_close(dpt.bucketize(v, bounds), [[1, 3, 4], [1, 3, 4]])
    assert_close(dpt.bucketize(v, bounds, right=True), [[2, 3, 5], [2, 3, 5]])
    assert dpt.bucketize(v, bounds, out_int32=True).dtype is dpt.int32
    assert dpt.bucketize(4, bounds).item() == 2
    with pytest.raises(RuntimeError, match="boundaries tensor must be 1 dimension"):
        dpt.bucketize(v, v)


def test_histc():
    t = dpt.tensor([1.0, 2.0, 1.0, 4.0, 2.5])
    h = dpt.histc(t, bins=4, min=0, max=3)
    assert h.dtype is dpt.float32
    assert_close(h, [0, 2, 1, 1])  # 4.0 is outside; 2.5 in the last bin
    assert_close(t.histc(bins=3), [2, 2, 1])  # min == max: the data's range, max in the last bin
    assert_close(dpt.tensor([2.0, 2.0]).histc(bins=2), [0, 2])  # range widened to [1, 3]
    a = randn(50)
    assert_close(dpt.tensor(a).histc(5, -1, 1), np.histogram(a, bins=5, range=(-1, 1))[0])
    assert_close(dpt.zeros(0).histc(3), [0, 0, 0])
    with pytest.raises(RuntimeError, match="max must be larger than min"):
        t.histc(3, 2, 1)
    with pytest.raises(RuntimeError, match="bins must be > 0"):
        t.histc(0)
    with pytest.raises(RuntimeError, match="floating point"):
        dpt.tensor([1, 2]).histc()


def test_methods_match_functions():
    t = dpt.tensor(randn(3, 4, seed=1))
    assert_close(t.sort(0).values, dpt.sort(t, 0).values.numpy())
    assert_close(t.argsort(), dpt.argsort(t).numpy())
    assert_close(t.topk(2).indices, dpt.topk(t, 2).indices.numpy())
    assert_close(t.kthvalue(2).values, dpt.kthvalue(t, 2).values.numpy())
    assert_close(t.histc(4), dpt.histc(t, 4).numpy())
    check_gradients(lambda x: x.topk(3, largest=False).values * x.sort(0).values[:, :3],
                    randn(3, 4, seed=2))


def test_sorting_on_device(device):
    a = np.round(randn(3, 5, seed=7) * 2) / 2
    t = dpt.tensor(a, device=device)
    assert_close(t.sort(1, descending=True).values, -np.sort(-a, 1))
    assert_close(t.argsort(0), np.argsort(a, 0, kind="stable"))
    assert_close(t.topk(2).values, -np.sort(-a, 1)[:, :2])
    assert_close(t.kthvalue(2, 0).values, np.sort(a, 0)[1])
    out, inv, cnt = t.unique(return_inverse=True, return_counts=True)
    ref = np.unique(a, return_inverse=True, return_counts=True)
    assert_close(out, ref[0])
    assert_close(inv, ref[1].reshape(a.shape))
    assert_close(cnt, ref[2])
    assert_close(t.unique(dim=1), np.unique(a, axis=1))
    assert_close(t.flatten().unique_consecutive(), [v for i, v in enumerate(a.ravel())
                                                    if i == 0 or v != a.ravel()[i - 1]])
    seq = dpt.tensor([0.0, 1.0, 2.0], device=device)
    assert_close(dpt.searchsorted(seq, t), np.searchsorted([0.0, 1.0, 2.0], a))
    assert_close(dpt.bucketize(t, seq, right=True), np.searchsorted([0.0, 1.0, 2.0], a, "right"))
    assert_close(t.histc(4, -2, 2), np.histogram(a, 4, (-2, 2))[0])
    x = dpt.tensor(a, device=device, requires_grad=True)
    (x.sort(0).values[0].sum() + x.topk(3).values.sum()).backward()
    assert x.grad.device == x.device
