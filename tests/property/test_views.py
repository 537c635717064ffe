"""Views: shape ops agree with numpy, round-trip, share memory and the version counter."""
import numpy as np
from hypothesis import assume, given, settings
from hypothesis import strategies as st

import dpt
from dpt._device import to_numpy

from .strategies import shapes


def _base(shape):
    arr = np.arange(int(np.prod(shape)), dtype=np.float64).reshape(shape)
    return arr, dpt.tensor(arr)


@st.composite
def view_case(draw):
    """(name, shape, dpt function, numpy function) for one random view op."""
    shape = draw(shapes(min_dims=0, max_dims=4, min_side=0, max_side=4))
    nd = len(shape)
    dim = lambda: draw(st.integers(-max(nd, 1), max(nd, 1) - 1))  # noqa: E731
    options = ["reshape", "view", "flatten", "unsqueeze", "squeeze_all"]
    if nd:
        options += ["permute", "transpose", "squeeze_dim", "expand", "narrow", "select"]
    if nd >= 2:
        options += ["diagonal"]
    name = draw(st.sampled_from(options))
    if name in ("reshape", "view"):
        size = int(np.prod(shape))
        divisors = [d for d in range(1, size + 1) if size % d == 0] or [1]
        first = draw(st.sampled_from(divisors)) if size else draw(st.integers(0, 3))
        new = (first, -1) if size or first else (0, draw(st.integers(1, 3)))
        return name, shape, lambda t: getattr(t, name)(*new), lambda a: a.reshape(new)
    if name == "flatten":
        if nd == 0:
            return name, shape, lambda t: t.flatten(), lambda a: a.reshape(1)
        s, e = sorted([draw(st.integers(0, nd - 1)), draw(st.integers(0, nd - 1))])
        new = shape[:s] + (int(np.prod(shape[s:e + 1])),) + shape[e + 1:]
        return name, shape, lambda t: t.flatten(s, e), lambda a: a.reshape(new)
    if name == "unsqueeze":
        d = draw(st.integers(-nd - 1, nd))
        return name, shape, lambda t: t.unsqueeze(d), lambda a: np.expand_dims(a, d)
    if name == "squeeze_all":
        return name, shape, lambda t: t.squeeze(), lambda a: a.reshape(
            tuple(n for n in shape if n != 1))
    if name == "squeeze_dim":
        d = dim()
        return name, shape, lambda t: t.squeeze(d), lambda a: (
            np.squeeze(a, d) if shape[d] == 1 else a)
    if name == "permute":
        perm = draw(st.permutations(range(nd)))
        perm = [p - nd if draw(st.booleans()) else p for p in perm]
        return name, shape, lambda t: t.permute(*perm), lambda a: a.transpose(
            [p % nd for p in perm])
    if name == "transpose":
        d0, d1 = dim(), dim()
        return name, shape, lambda t: t.transpose(d0, d1), lambda a: np.swapaxes(a, d0, d1)
    if name == "expand":
        extra = tuple(draw(st.lists(st.integers(0, 3), max_size=2)))
        target = extra + tuple(draw(st.integers(0, 3)) if n == 1 else
                               (-1 if draw(st.booleans()) else n) for n in shape)
        full = extra + tuple(n if t == -1 else t for n, t in zip(shape, target[len(extra):]))
        return name, shape, lambda t: t.expand(*target), lambda a: np.broadcast_to(a, full)
    if name == "narrow":
        d = dim()
        start = draw(st.integers(0, shape[d]))
        length = draw(st.integers(0, shape[d] - start))
        return name, shape, lambda t: t.narrow(d, start, length), lambda a: np.take(
            a, np.arange(start, start + length), axis=d)
    if name == "select":
        d = dim()
        assume(shape[d] > 0)
        i = draw(st.integers(-shape[d], shape[d] - 1))
        return name, shape, lambda t: t.select(d, i), lambda a: np.take(a, i, axis=d)
    offset = draw(st.integers(-3, 3))
    d1, d2 = draw(st.sampled_from([(0, 1), (1, 0), (-1, -2), (0, -1)]))
    return name, shape, lambda t: t.diagonal(offset, d1, d2), lambda a: np.diagonal(
        a, offset, d1 % nd, d2 % nd)


@settings(max_examples=60)
@given(case=view_case())
def test_view_matches_numpy_and_shares_memory(case):
    name, shape, fn, np_fn = case
    arr, x = _base(shape)
    v = fn(x)
    expected = np_fn(arr)
    assert tuple(v.shape) == expected.shape, name
    np.testing.assert_array_equal(to_numpy(v._data), expected)
    assert v._vc is x._vc, f"{name}: a view must share the base's version counter"
    if v.numel() == 0:
        return
    assert np.shares_memory(to_numpy(v._data), to_numpy(x._data)), name
    if name == "expand":
        return  # several elements alias one location: writes are not allowed
    before = x._vc[0]
    v.mul_(-1)  # write through the view
    # np_fn applied to flat positions says which base elements the view holds
    positions = np_fn(np.arange(arr.size).reshape(shape))
    ref = arr.copy().reshape(-1)
    ref[positions.reshape(-1)] *= -1
    np.testing.assert_array_equal(to_numpy(x._data), ref.reshape(shape))
    assert x._vc[0] > before and v._vc[0] == x._vc[0]


@settings(max_examples=40)
@given(shape=shapes(min_dims=1, max_dims=4, max_side=4), data=st.data())
def test_round_trips(shape, data):
    arr, x = _base(shape)
    nd = len(shape)
    perm = data.draw(st.permutations(range(nd)))
    inverse = list(np.argsort(perm))
    assert np.array_equal(to_numpy(x.permute(*perm).permute(*inverse)._data), arr)
    d0, d1 = data.draw(st.integers(-nd, nd - 1)), data.draw(st.integers(-nd, nd - 1))
    assert np.array_equal(to_numpy(x.transpose(d0, d1).transpose(d0, d1)._data), arr)
    d = data.draw(st.integers(-nd - 1, nd))
    u = x.unsqueeze(d)
    assert tuple(u.squeeze(d).shape) == shape
    assert tuple(x.flatten().reshape(shape).shape) == shape
    assert np.array_equal(to_numpy(x.flatten().view(*shape)._data), arr)
    p = x.permute(*perm)
    if not p.is_contiguous():
        y = p.contiguous()  # a copy: its own memory and version counter
        assert y._vc is not x._vc
        assert not np.shares_memory(to_numpy(y._data), to_numpy(x._data))
        assert np.array_equal(to_numpy(y._data), arr.transpose(perm))
