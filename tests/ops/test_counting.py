"""dpt.ops.counting: bincount, histogram, histogramdd, isin against numpy."""
import numpy as np
import pytest

import dpt
from tests.helpers import assert_close, leaf, randn


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
