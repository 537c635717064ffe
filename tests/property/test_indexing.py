"""Indexing: basic indices give numpy's values as views; advanced indices and setitem agree."""
import numpy as np
from hypothesis import assume, given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

import dpt
from dpt._device import to_numpy

from .strategies import shapes


def _base(shape):
    arr = np.asarray(np.arange(int(np.prod(shape)), dtype=np.float64).reshape(shape) - 3.0)
    return arr, dpt.tensor(arr)


@st.composite
def basic_case(draw):
    shape = draw(shapes(min_dims=0, max_dims=4, min_side=0, max_side=5))
    index = draw(hnp.basic_indices(shape, allow_newaxis=True, allow_ellipsis=True))
    return shape, _positive_steps(index)


def _positive_steps(index):
    """torch has no negative slice steps (a ValueError): flip them into positive ones."""
    flip = lambda s: slice(s.stop, s.start, -s.step) if isinstance(s, slice) and (  # noqa: E731
        s.step or 1) < 0 else s
    return tuple(map(flip, index)) if isinstance(index, tuple) else flip(index)


@settings(max_examples=60)
@given(case=basic_case())
def test_basic_index_is_numpy_view(case):
    shape, index = case
    arr, x = _base(shape)
    v = x[index]
    expected = np.asarray(arr[index])
    assert tuple(v.shape) == expected.shape, index
    np.testing.assert_array_equal(to_numpy(v._data), expected)
    assert v._vc is x._vc, "a basic index must give a view"
    if v.numel() == 0:
        return
    positions = np.asarray(np.arange(arr.size).reshape(shape)[index]).reshape(-1)
    if len(np.unique(positions)) != positions.size:
        return
    v.add_(100.0)
    ref = arr.copy().reshape(-1)
    ref[positions] += 100.0
    np.testing.assert_array_equal(to_numpy(x._data), ref.reshape(shape))


@st.composite
def advanced_case(draw):
    shape = draw(shapes(min_dims=1, max_dims=3, min_side=1, max_side=5))
    if draw(st.booleans()):
        index = draw(hnp.integer_array_indices(
            shape, result_shape=hnp.array_shapes(min_dims=0, max_dims=2, max_side=3)))
        if draw(st.booleans()) and len(index) < len(shape):
            index = index + (slice(None, None, draw(st.sampled_from([1, 2, 3]))),)
    else:
        k = draw(st.integers(1, len(shape)))
        mask = draw(hnp.arrays(np.bool_, shape[:k]))
        index = (mask,) if draw(st.booleans()) else (Ellipsis, draw(hnp.arrays(
            np.bool_, shape[len(shape) - 1:])))
    return shape, index


def _to_dpt(index):
    if not isinstance(index, tuple):
        return _to_dpt((index,))[0]
    return tuple(dpt.tensor(i) if isinstance(i, np.ndarray) else i for i in index)


@settings(max_examples=60)
@given(case=advanced_case())
def test_advanced_index_matches_numpy(case):
    shape, index = case
    arr, x = _base(shape)
    got = x[_to_dpt(index)]
    expected = arr[index]
    assert tuple(got.shape) == expected.shape, index
    np.testing.assert_array_equal(to_numpy(got._data), expected)
    if got.numel() and any(isinstance(i, np.ndarray) and i.ndim for i in index):
        assert not np.shares_memory(to_numpy(got._data), to_numpy(x._data))


@settings(max_examples=60)
@given(case=st.one_of(basic_case(), advanced_case()), scalar=st.booleans())
def test_setitem_matches_numpy(case, scalar):
    shape, index = case
    arr, x = _base(shape)
    positions = np.asarray(np.arange(arr.size).reshape(shape)[index]).reshape(-1)
    assume(len(np.unique(positions)) == positions.size)  # duplicates: torch leaves it undefined
    target_shape = np.asarray(arr[index]).shape
    value = 7.5 if scalar else (np.arange(int(np.prod(target_shape))) * 10.0).reshape(
        target_shape)
    ref = arr.copy()
    ref[index] = value
    x[_to_dpt(index)] = value if scalar else dpt.tensor(value)
    np.testing.assert_array_equal(to_numpy(x._data), ref)


@settings(max_examples=40)
@given(case=basic_case())
def test_index_gradient_scatters_ones(case):
    shape, index = case
    arr, _ = _base(shape)
    x = dpt.tensor(arr, requires_grad=True)
    x[index].sum().backward()
    expected = np.zeros(shape)
    positions = np.asarray(np.arange(arr.size).reshape(shape)[index]).reshape(-1)
    np.add.at(expected.reshape(-1), positions, 1.0)
    np.testing.assert_array_equal(to_numpy(x.grad._data), expected)


def test_negative_step_is_a_value_error():
    import pytest
    with pytest.raises(ValueError, match="step must be greater than zero"):
        dpt.arange(4)[::-1]
