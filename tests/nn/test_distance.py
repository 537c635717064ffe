"""cdist, pdist, pairwise_distance, cosine_similarity and normalize (dpt and dpt.nn.functional)."""
import math

import numpy as np
import pytest

import dpt
import dpt.nn as nn
import dpt.nn.functional as F
from tests.helpers import assert_close, check_gradients, check_op, leaf, randn

PS = [0.0, 1.0, 2.0, 3.0, 0.5, math.inf]


def _np_dist(u, v, p):
    d = np.abs(u - v)
    if p == 0:
        return float((d != 0).sum())
    if math.isinf(p):
        return float(d.max())
    return float((d ** p).sum() ** (1 / p))


def _np_cdist(a, b, p):
    out = np.zeros(a.shape[:-2] + (a.shape[-2], b.shape[-2]))
    for idx in np.ndindex(*a.shape[:-2]):
        for i in range(a.shape[-2]):
            for j in range(b.shape[-2]):
                out[idx + (i, j)] = _np_dist(a[idx + (i,)], b[idx + (j,)], p)
    return out


@pytest.mark.parametrize("p", PS)
def test_cdist_matches_loops_and_gradcheck(p):
    a, b = randn(2, 3, 4), randn(2, 5, 4, seed=1)
    check_op(lambda x, y: dpt.cdist(x, y, p), lambda x, y: _np_cdist(x, y, p), a, b,
             grad=p != 0)
    assert_close(F.cdist(leaf(a[0], False), leaf(b[0], False), p), _np_cdist(a[0], b[0], p))


def test_cdist_compute_modes_and_large_inputs():
    a, b = randn(30, 3), randn(27, 3, seed=1)
    ref = _np_cdist(a, b, 2.0)
    for mode in ("use_mm_for_euclid_dist_if_necessary", "use_mm_for_euclid_dist",
                 "donot_use_mm_for_euclid_dist"):
        assert_close(dpt.cdist(leaf(a, False), leaf(b, False), compute_mode=mode), ref,
                     rtol=1e-7, atol=1e-7)
    check_gradients(lambda x, y: dpt.cdist(x, y, compute_mode="use_mm_for_euclid_dist"),
                    a[:3], b[:4])
    with pytest.raises(ValueError, match="foo is not a valid value for compute_mode"):
        dpt.cdist(leaf(a, False), leaf(b, False), compute_mode="foo")


def test_cdist_zero_distance_has_zero_gradient_and_broadcasts():
    x = leaf(np.zeros((2, 3)))
    dpt.cdist(x, x).sum().backward()
    assert_close(x.grad, np.zeros((2, 3)))
    a, b = randn(2, 1, 3, 4), randn(5, 2, 4, seed=1)
    out = dpt.cdist(leaf(a, False), leaf(b, False))
    assert out.shape == (2, 5, 3, 2)
    assert_close(out, _np_cdist(np.broadcast_to(a, (2, 5, 3, 4)),
                                np.broadcast_to(b, (2, 5, 2, 4)), 2.0))


def test_cdist_errors():
    with pytest.raises(RuntimeError, match="cdist only supports at least 2D tensors, X1 got: 1D"):
        dpt.cdist(dpt.zeros(3), dpt.zeros(2, 3))
    with pytest.raises(RuntimeError, match="X1 and X2 must have the same number of columns. "
                                           "X1: 3 X2: 4"):
        dpt.cdist(dpt.zeros(2, 3), dpt.zeros(2, 4))
    with pytest.raises(RuntimeError, match="cdist only supports non-negative p values"):
        dpt.cdist(dpt.zeros(2, 3), dpt.zeros(2, 3), -1)
    with pytest.raises(RuntimeError, match="cdist only supports floating-point dtypes, X1 got: "
                                           "Long"):
        dpt.cdist(dpt.zeros(2, 3, dtype=dpt.int64), dpt.zeros(2, 3))


@pytest.mark.parametrize("p", [1.0, 2.0, 3.0, math.inf])
def test_pdist(p):
    x = randn(4, 3)
    ref = [_np_dist(x[i], x[j], p) for i in range(4) for j in range(i + 1, 4)]
    check_op(lambda t: F.pdist(t, p), lambda a: np.array(ref), x, gradgrad=p in (2.0, 3.0))
    assert dpt.pdist(dpt.zeros(1, 3)).shape == (0,)
    with pytest.raises(RuntimeError, match="pdist only supports 2D tensors, got: 3D"):
        dpt.pdist(dpt.zeros(2, 2, 2))


@pytest.mark.parametrize("p", [1.0, 2.0, 3.0])
def test_pairwise_distance(p):
    a, b = randn(3, 4), randn(3, 4, seed=1)
    ref = np.array([_np_dist(a[i] + 1e-6, b[i], p) for i in range(3)])
    check_op(lambda x, y: F.pairwise_distance(x, y, p), lambda x, y: ref, a, b)
    out = nn.PairwiseDistance(p, keepdim=True)(leaf(a, False), leaf(b, False))
    assert_close(out, ref[:, None])
    out = dpt.pairwise_distance(leaf(a, False), leaf(b[0], False), p, eps=0.0)  # broadcast
    assert_close(out, [_np_dist(a[i], b[0], p) for i in range(3)])


def _np_cos(a, b, dim, eps=1e-8):
    na = np.maximum(np.sqrt((a * a).sum(dim)), eps)
    nb = np.maximum(np.sqrt((b * b).sum(dim)), eps)
    return (a * b).sum(dim) / (na * nb)


@pytest.mark.parametrize("dim", [0, 1, -1])
def test_cosine_similarity(dim):
    a, b = randn(3, 4), randn(3, 4, seed=1)
    check_op(lambda x, y: F.cosine_similarity(x, y, dim), lambda x, y: _np_cos(x, y, dim), a, b,
             gradgrad=True)
    assert_close(nn.CosineSimilarity(dim)(leaf(a, False), leaf(b, False)), _np_cos(a, b, dim))


def test_cosine_similarity_zero_vector_and_broadcast():
    z, v = dpt.zeros(1, 3), dpt.tensor([[1.0, 2.0, 2.0]])
    assert_close(dpt.cosine_similarity(z, v), [0.0])
    a, b = randn(2, 3), randn(3, seed=1)
    assert_close(dpt.cosine_similarity(leaf(a, False), leaf(b, False), dim=-1),
                 _np_cos(a, b[None], -1))
    with pytest.raises(IndexError, match="Dimension out of range"):
        dpt.cosine_similarity(dpt.zeros(3), dpt.zeros(3), dim=1)
    m = nn.CosineSimilarity()
    assert m.dim == 1 and m.eps == 1e-8


@pytest.mark.parametrize("p,dim", [(2.0, 1), (1.0, 0), (3.0, -1)])
def test_normalize(p, dim):
    x = randn(3, 4)
    norm = (np.abs(x) ** p).sum(dim, keepdims=True) ** (1 / p)
    check_op(lambda t: F.normalize(t, p, dim), lambda a: a / np.maximum(norm, 1e-12), x,
             gradgrad=True)


def test_normalize_zero_rows_and_defaults():
    x = leaf(np.array([[0.0, 0.0], [3.0, 4.0]]))
    out = F.normalize(x)
    assert_close(out, [[0, 0], [0.6, 0.8]])
    out.sum().backward()
    assert np.isfinite(x.grad.numpy()).all()
    assert_close(F.normalize(dpt.tensor([3.0, 4.0]), dim=0), [0.6, 0.8])


def test_distances_on_device(device):
    a, b = randn(3, 4), randn(5, 4, seed=1)
    assert_close(dpt.cdist(leaf(a, False, device), leaf(b, False, device), 3.0),
                 _np_cdist(a, b, 3.0))
    assert_close(dpt.pdist(leaf(a, False, device)),
                 [_np_dist(a[i], a[j], 2.0) for i in range(3) for j in range(i + 1, 3)])
    assert_close(F.normalize(leaf(a, False, device)),
                 a / np.sqrt((a * a).sum(1, keepdims=True)))
