"""Reductions over random dims (int, tuple, negative) and keepdim agree with numpy."""
import numpy as np
import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st

import dpt
from dpt._device import to_numpy

from .strategies import floats_array, seeds, shapes


def _logsumexp(a, axis, keepdims):
    m = np.max(a, axis=axis, keepdims=True) if a.size else 0.0
    out = np.log(np.sum(np.exp(a - m), axis=axis, keepdims=True)) + m
    return out if keepdims else np.squeeze(out, axis=axis)


REDUCTIONS = {
    "sum": (lambda t, d, k: dpt.sum(t, d, keepdim=k), np.sum),
    "mean": (lambda t, d, k: dpt.mean(t, d, keepdim=k), np.mean),
    "prod": (lambda t, d, k: dpt.prod(t, d, keepdim=k), np.prod),
    "amax": (lambda t, d, k: dpt.amax(t, d, keepdim=k), np.amax),
    "amin": (lambda t, d, k: dpt.amin(t, d, keepdim=k), np.amin),
    "std": (lambda t, d, k: dpt.std(t, d, keepdim=k),
            lambda a, axis, keepdims: np.std(a, axis=axis, keepdims=keepdims, ddof=1)),
    "var": (lambda t, d, k: dpt.var(t, d, keepdim=k),
            lambda a, axis, keepdims: np.var(a, axis=axis, keepdims=keepdims, ddof=1)),
    "logsumexp": (lambda t, d, k: dpt.logsumexp(t, d, keepdim=k), _logsumexp),
}
SINGLE_DIM_ONLY = {"prod"}  # torch.prod takes one int dim


@st.composite
def dims_case(draw, single):
    shape = draw(shapes(min_dims=1, max_dims=4, min_side=1, max_side=4))
    nd = len(shape)
    if single or draw(st.booleans()):
        d = draw(st.integers(-nd, nd - 1))
        return shape, d, d % nd
    ds = draw(st.lists(st.integers(0, nd - 1), min_size=1, max_size=nd, unique=True))
    ds = [d - nd if draw(st.booleans()) else d for d in ds]
    return shape, tuple(ds), tuple(d % nd for d in ds)


@pytest.mark.parametrize("name", sorted(REDUCTIONS))
@settings(max_examples=30)
@given(data=st.data(), keepdim=st.booleans(), seed=seeds)
def test_reduction_matches_numpy(name, data, keepdim, seed):
    shape, dim, axis = data.draw(dims_case(single=name in SINGLE_DIM_ONLY))
    if name in ("std", "var"):
        n = np.prod([shape[a] for a in np.atleast_1d(axis)])
        assume(n > 1)  # one sample: torch gives nan with a warning
    dpt_fn, np_fn = REDUCTIONS[name]
    a = floats_array(shape, seed)
    got = dpt_fn(dpt.tensor(a), dim, keepdim)
    expected = np.asarray(np_fn(a, axis=axis, keepdims=keepdim))
    assert tuple(got.shape) == expected.shape, (name, shape, dim, keepdim)
    np.testing.assert_allclose(to_numpy(got._data), expected, rtol=1e-10, atol=1e-12)


@pytest.mark.parametrize("name", ["sum", "mean", "amax", "logsumexp"])
@settings(max_examples=20)
@given(shape=shapes(min_dims=0, max_dims=3, min_side=1, max_side=4), seed=seeds)
def test_full_reduction_is_0d(name, shape, seed):
    a = floats_array(shape, seed)
    got = getattr(dpt, name)(dpt.tensor(a)) if name != "logsumexp" else dpt.logsumexp(
        dpt.tensor(a), tuple(range(a.ndim)))
    expected = (_logsumexp(a, tuple(range(a.ndim)), False) if name == "logsumexp"
                else getattr(np, name)(a))
    assert got.ndim == 0
    np.testing.assert_allclose(float(got), expected, rtol=1e-10)


@settings(max_examples=40)
@given(shape=shapes(min_dims=1, max_dims=4, min_side=0, max_side=4), data=st.data(), seed=seeds)
def test_cumsum_and_empty_sums(shape, data, seed):
    nd = len(shape)
    d = data.draw(st.integers(-nd, nd - 1))
    a = floats_array(shape, seed)
    got = dpt.cumsum(dpt.tensor(a), d)
    np.testing.assert_allclose(to_numpy(got._data), np.cumsum(a, axis=d), rtol=1e-10, atol=1e-12)
    s = dpt.sum(dpt.tensor(a), d)  # size-0 dims reduce to zeros
    np.testing.assert_allclose(to_numpy(s._data), np.sum(a, axis=d), rtol=1e-10, atol=1e-12)


@settings(max_examples=30)
@given(shape=shapes(min_dims=1, max_dims=3, min_side=1, max_side=4), data=st.data(),
       dtype=st.sampled_from(["bool", "uint8", "int32", "int64"]))
def test_integer_sum_and_prod_give_int64(shape, data, dtype):
    nd = len(shape)
    d = data.draw(st.integers(-nd, nd - 1))
    a = (np.arange(int(np.prod(shape))).reshape(shape) % 3).astype(dtype)
    for fn, np_fn in ((dpt.sum, np.sum), (dpt.prod, np.prod), (dpt.cumsum, np.cumsum)):
        got = fn(dpt.tensor(a), d)
        assert got.dtype is dpt.int64, (fn.__name__, dtype, got.dtype)
        np.testing.assert_array_equal(to_numpy(got._data), np_fn(a.astype(np.int64), axis=d))
