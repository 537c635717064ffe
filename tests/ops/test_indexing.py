"""Indexing against numpy: __getitem__/__setitem__, gather/scatter, index_*, masked_*, where,
nonzero, take; float64 gradchecks, in-place writes through views, torch's errors."""
import numpy as np
import pytest

import dpt
from tests.helpers import assert_close, check_gradients, check_op, leaf, randn

A = randn(3, 4, 5)
L = dpt.tensor  # shorthand for index tensors (int64 from python ints)


# =======================================================================================
# __getitem__
# =======================================================================================
GET = [
    1, -1, (0, 2), (slice(None), 1), slice(1, None), slice(None, None, 2), (Ellipsis, 1),
    (slice(None), slice(1, 4, 2), slice(None, None, 3)), (None, 1), (1, None, Ellipsis, None),
    (Ellipsis, None), slice(5, 10), slice(-2, None), (0, 0, 0), (),
    [0, 2], [[0, 1], [2, 2]], (slice(None), [3, 0, 3]), ([0, 1], [1, 2]), ([0, 2], slice(None), [1, 4]),
    (Ellipsis, [0, 0, 1]), ([[0], [1]], [1, 2, 3]), (slice(0, 2), [1, 2], slice(None, None, 2)),
    (None, [2, 1], None),
]


@pytest.mark.parametrize("index", GET, ids=[repr(i) for i in GET])
def test_getitem_against_numpy(index, device):
    # torch (unlike numpy) indexes with a list holding sequences as with a tuple of them
    np_index = tuple(index) if isinstance(index, list) and any(isinstance(i, list) for i in index) else index
    check_op(lambda t: t[index], lambda a: a[np_index], A, device=device)


def _as_tensor_index(index):
    if isinstance(index, tuple):
        return tuple(_as_tensor_index(i) for i in index)
    return L(index) if isinstance(index, list) else index


@pytest.mark.parametrize("index", [i for i in GET if isinstance(i, list) or
                                   isinstance(i, tuple) and any(isinstance(j, list) for j in i)])
def test_getitem_tensor_indices(index):
    ti = _as_tensor_index(index)
    check_op(lambda t: t[ti], lambda a: a[index], A)


def test_getitem_masks(device):
    m = A > 0
    check_op(lambda t: t[L(m, device=device)], lambda a: a[m], A, device=device)
    m2 = A[:, :, 0] > 0
    check_op(lambda t: t[L(m2)], lambda a: a[m2], A)
    m1 = np.array([True, False, True, True])
    check_op(lambda t: t[:, L(m1)], lambda a: a[:, m1], A)
    check_op(lambda t: t[1:, L(m1), ::2], lambda a: a[1:, m1, ::2], A)
    m5 = np.array([1, 0, 1, 0, 1], bool)
    check_op(lambda t: t[..., L(m5)], lambda a: a[..., m5], A)
    check_op(lambda t: t[True], lambda a: a[None], A)
    check_op(lambda t: t[False], lambda a: a[None][:0], A)
    check_op(lambda t: t[L(True)], lambda a: a[None], A)
    check_op(lambda t: t[:, m1.tolist()], lambda a: a[:, m1], A)


def test_getitem_int_then_advanced_follows_torch():
    # torch applies integers before tensor indices: x[0, :, [1, 2]] has shape [4, 2]
    # (numpy would give [2, 4])
    t = dpt.tensor(A)
    assert_close(t[0, :, [1, 2]], A[0][:, [1, 2]])
    assert_close(t[[0, 2], 1, :, None], A[:, 1][[0, 2], :, None])
    assert_close(t[1, L([0, 3])], A[1][[0, 3]])
    check_gradients(lambda x: x[0, :, [1, 2, 1]], A)


def test_getitem_zero_dim_tensor_index_is_a_view():
    t = dpt.tensor(A)
    v = t[L(1)]
    assert v.shape == (4, 5) and np.shares_memory(v._data, t._data)
    v2 = t[np.int64(2), L(1)]
    assert_close(v2, A[2, 1])


def test_getitem_views_share_memory():
    t = dpt.tensor(A.copy())
    v = t[1, ::2]
    v.fill_(0.0)
    assert (t.numpy()[1, ::2] == 0).all() and t._vc[0] == 1
    c = t[[0, 1]]
    assert not np.shares_memory(c._data, t._data)


def test_getitem_zero_d_and_empty():
    s = dpt.tensor(3.0)
    assert s[()].item() == 3.0 and s[None].shape == (1,) and s[...].shape == ()
    assert s[True].shape == (1,) and s[False].shape == (0,)
    e = dpt.ones(0, 3)
    assert e[:, 1].shape == (0,) and e[L([], dtype=dpt.int64)].shape == (0, 3)
    assert dpt.ones(3)[L([], dtype=dpt.int64)].shape == (0,)
    check_gradients(lambda x: x[()], np.array(2.0))


def test_getitem_gradients():
    check_gradients(lambda x: x[1:, ::2, -1], A, gradgrad=True)
    check_gradients(lambda x: x[[0, 0, 2], :, [1, 1, 4]], A, gradgrad=True)  # duplicates add
    check_gradients(lambda x: x[L(A > 0.5)], A, gradgrad=True)
    check_gradients(lambda x: x[None, ..., 2], A)


def test_getitem_errors():
    t = dpt.ones(3, 4)
    with pytest.raises(IndexError, match="index 3 is out of bounds for dimension 0 with size 3"):
        t[3]
    with pytest.raises(IndexError, match="index -5 is out of bounds for dimension 1 with size 4"):
        t[0, -5]
    with pytest.raises(IndexError, match="index 7 is out of bounds for dimension 1 with size 4"):
        t[:, [0, 7]]
    with pytest.raises(IndexError, match="index -4 is out of bounds for dimension 0 with size 3"):
        t[L([-4])]
    with pytest.raises(IndexError, match="too many indices for tensor of dimension 2"):
        t[0, 0, 0]
    with pytest.raises(IndexError, match=r"The shape of the mask \[2\] at index 0 does not match the "
                                         r"shape of the indexed tensor \[3\] at index 0"):
        t[L([True, False])]
    with pytest.raises(IndexError, match="tensors used as indices must be long, int, byte or bool"):
        t[L([0.0])]
    with pytest.raises(IndexError, match="an index can only have a single ellipsis"):
        t[..., ...]
    with pytest.raises(ValueError, match="step must be greater than zero"):
        t[::-1]
    with pytest.raises(IndexError, match="only integers, slices"):
        t["a"]


# =======================================================================================
# __setitem__
# =======================================================================================
SET = [(1, 7.0), ((slice(None), 0), np.arange(3.0)), ((Ellipsis, 1), np.ones((1,))),
       ((0, slice(1, 3)), np.array([[1.0, 2.0]])), ([0, 2], np.arange(4.0)),
       ((slice(None), [1, 3]), np.ones((3, 1))), ("mask", -1.0), (None, 5.0)]


@pytest.mark.parametrize("index,value", SET, ids=[repr(s[0]) for s in SET])
def test_setitem_against_numpy(index, value, device):
    a = randn(3, 4)
    if isinstance(index, str):
        index = a > 0
    ref = a.copy()
    ref[index] = value
    t = dpt.tensor(a, device=device)
    ti = L(index, device=device) if isinstance(index, np.ndarray) else index
    t[ti] = value if np.ndim(value) == 0 else dpt.tensor(value, device=device)
    assert_close(t, ref)
    assert t._vc[0] == 1


def test_setitem_casts_and_lists():
    t = dpt.zeros(3, dtype=dpt.int64)
    t[0] = 2.7
    t[1:] = [4, 5]
    assert t.tolist() == [2, 4, 5]
    f = dpt.zeros(2, 2)
    f[0] = dpt.tensor([1, 2])
    assert f.dtype is dpt.float32 and f.tolist() == [[1.0, 2.0], [0.0, 0.0]]


def test_setitem_gradients_target_and_value():
    def fn(x, v):
        y = x * 1
        y[1:, [0, 2]] = v
        return y
    check_gradients(fn, randn(3, 4), randn(2, 2, seed=1), gradgrad=True)

    def fn_b(x, v):  # the value broadcasts: its gradient is summed back
        y = x.clone()
        y[:, 1] = v
        return y * y
    check_gradients(fn_b, randn(3, 4), randn(1, seed=1))

    def fn_m(x, v):
        y = x + 0
        y[x > 0] = v
        return y
    check_gradients(fn_m, randn(3, 4), np.array(0.5))


def test_setitem_value_requires_grad_into_plain_tensor():
    v = leaf(np.array([1.0, 2.0]))
    y = dpt.zeros(2, 3, dtype=dpt.float64)
    y[:, 0] = v
    assert y.requires_grad and y.grad_fn is not None
    (y * 3).sum().backward()
    assert_close(v.grad, [3.0, 3.0])


def test_setitem_errors():
    t = dpt.zeros(3, 4)
    with pytest.raises(RuntimeError, match=r"shape mismatch: value tensor of shape \[3\] cannot be "
                                           r"broadcast to indexing result of shape \[4\]"):
        t[0] = dpt.ones(3)
    with pytest.raises(IndexError, match="index 4 is out of bounds for dimension 0 with size 3"):
        t[4] = 1.0
    with pytest.raises(RuntimeError, match="a leaf Variable that requires grad is being used in an "
                                           "in-place operation"):
        leaf(randn(2))[0] = 1.0


# =======================================================================================
# in-place ops through views of a tensor that requires grad (CopySlices)
# =======================================================================================
def test_inplace_on_view_rebases_base():
    x = leaf(randn(2, 3))
    y = x * 1
    y[0].mul_(2)
    assert y.grad_fn.name().startswith("CopySlices")
    y.sum().backward()
    assert_close(x.grad, [[2.0] * 3, [1.0] * 3])


def test_setitem_through_view():
    x, v = leaf(randn(3, 4)), leaf(randn(3, seed=1))
    y = x * 2
    y.t()[1] = v                       # writes column 1 of y through a transposed view
    assert_close(y[:, 1], v.detach().numpy())
    (y * y).sum().backward()
    g = 2 * 2 * x.detach().numpy() * 2
    g[:, 1] = 0
    assert_close(x.grad, g)
    assert_close(v.grad, 2 * v.detach().numpy())


@pytest.mark.parametrize("case", ["mul", "slice_add", "nested", "diag", "noncontig_base", "unbind"])
def test_inplace_view_gradcheck(case):
    def fn(x, w):
        y = x * 1
        if case == "mul":
            y[1].mul_(w)
        elif case == "slice_add":
            y[:, 1:3].add_(w[:1] * w[:1])
        elif case == "nested":
            v = y[1:]
            v[:, 0].mul_(w[0])
            v.t()[2].div_(w[1])
        elif case == "diag":
            y.diagonal().mul_(w[:2])
        elif case == "noncontig_base":
            z = x.t() * 1      # a non-contiguous base
            z = z.t()
            z[0, 1:].mul_(w[1:])
            return z * z
        elif case == "unbind":
            y.unbind(1)[2].add_(w[:2])
        return y * y
    check_gradients(fn, randn(2, 3), randn(3, seed=1) + 2, gradgrad=case == "mul")


def test_inplace_on_view_of_plain_base_makes_it_require_grad():
    w = leaf(np.array(3.0))
    y = dpt.ones(2, 2, dtype=dpt.float64)
    y[0].mul_(w)
    assert y.requires_grad
    y.sum().backward()
    assert_close(w.grad, 2.0)


def test_inplace_on_view_of_leaf_errors():
    x = leaf(randn(2, 2))
    with pytest.raises(RuntimeError, match="a view of a leaf Variable that requires grad is being "
                                           "used in an in-place operation"):
        x[0].mul_(2)
    with dpt.no_grad():
        x[0].mul_(2)  # allowed without recording


def test_inplace_on_detached_view_does_not_touch_graph():
    x = leaf(randn(2))
    y = x * 1
    d = y.detach()
    d.mul_(2)
    assert y.grad_fn.name().startswith("Mul")


# =======================================================================================
# index_select / index_add / index_copy / index_fill / index_put / take
# =======================================================================================
def test_index_select(device):
    i = np.array([2, 0, 2])
    check_op(lambda t: t.index_select(1, L(i, device=device)), lambda a: a[:, i], A, device=device)
    check_op(lambda t: dpt.index_select(t, -1, L(i).int()), lambda a: a[..., i], A)
    check_op(lambda t: t.index_select(0, L(1)), lambda a: a[[1]], A)
    check_op(lambda t: t.index_select(0, L([], dtype=dpt.int64)), lambda a: a[:0], A)
    assert_close(dpt.tensor(5.0).index_select(0, L([0])), 5.0)  # 0-d in, 0-d out, as torch
    with pytest.raises(RuntimeError, match="index_select\\(\\): index 3 is out of bounds for "
                                         "dimension 0 with size 3"):
        dpt.tensor(A).index_select(0, L([3]))
    with pytest.raises(IndexError, match="Index is supposed to be a vector"):
        dpt.tensor(A).index_select(0, L([[0]]))
    with pytest.raises(RuntimeError, match="Expected dtype int32/int64 for index"):
        dpt.tensor(A).index_select(0, dpt.tensor([0.0]))


def _np_index_add(a, dim, idx, src, alpha=1):
    out = a.copy()
    for j, i in enumerate(idx):
        sl = [slice(None)] * a.ndim
        sl[dim] = i
        sj = [slice(None)] * a.ndim
        sj[dim] = j
        out[tuple(sl)] += alpha * src[tuple(sj)]
    return out


def test_index_add_copy_fill(device):
    a, src = randn(3, 4), randn(3, 3, seed=1)
    i = np.array([0, 3, 0])
    ti = L(i, device=device)
    check_op(lambda x, s: x.index_add(1, ti, s, alpha=2), lambda x, s: _np_index_add(x, 1, i, s, 2),
             a, src, device=device)
    uniq = np.array([3, 1, 0])
    ref = a.copy()
    ref[:, uniq] = src
    check_op(lambda x, s: x.index_copy(1, L(uniq, device=device), s), lambda x, s: ref, a, src,
             device=device)
    ref = a.copy()
    ref[[2, 0]] = -1.5
    check_op(lambda x: x.index_fill(0, L([2, 0, 2], device=device), -1.5), lambda x: ref, a,
             device=device)
    check_gradients(lambda x, v: x.index_fill(1, L([1, 1, 3]), v), a, np.array(0.3))


def test_index_family_inplace_and_errors():
    x = dpt.zeros(2, 3)
    assert x.index_add_(1, L([0, 0]), dpt.ones(2, 2)) is x
    assert x.tolist() == [[2.0, 0.0, 0.0], [2.0, 0.0, 0.0]]
    x.index_fill_(0, L([1]), 7.0).index_copy_(1, L([2]), dpt.full((2, 1), 3.0))
    assert x.tolist() == [[2.0, 0.0, 3.0], [7.0, 7.0, 3.0]]
    with pytest.raises(RuntimeError, match="self \\(Float\\) and source \\(Double\\) must have the "
                                           "same scalar type"):
        x.index_add(0, L([0]), dpt.ones(1, 3, dtype=dpt.float64))
    with pytest.raises(RuntimeError, match="Source/destination tensor must have same slice shapes"):
        x.index_add(0, L([0]), dpt.ones(1, 2))
    with pytest.raises(IndexError, match="index 2 is out of bounds for dimension 0 with size 2"):
        x.index_fill(0, L([2]), 1.0)
    with pytest.raises(RuntimeError, match="only supports a 0-dimensional value tensor"):
        x.index_fill(0, L([0]), dpt.ones(2))


def test_index_put(device):
    a, v = randn(3, 4), randn(2, seed=1)
    i, j = np.array([0, 2]), np.array([1, 1])
    ref = a.copy()
    ref[i, j] = v
    check_op(lambda x, y: x.index_put((L(i, device=device), L(j, device=device)), y),
             lambda x, y: ref, a, v, device=device)
    dup_i, dup_j = np.array([0, 0, 1]), np.array([1, 1, 2])
    ref = a.copy()
    np.add.at(ref, (dup_i, dup_j), 2.0)
    check_op(lambda x: x.index_put((L(dup_i), L(dup_j)), dpt.tensor(2.0, dtype=dpt.float64),
                                   accumulate=True), lambda x: ref, a)
    check_gradients(lambda x, y: x.index_put((L(dup_i), L(dup_j)), y, accumulate=True), a,
                    randn(3, seed=2), gradgrad=True)
    m = a > 0
    ref = a.copy()
    ref[m] = 0.0
    check_op(lambda x: x.index_put((L(m),), dpt.tensor(0.0, dtype=dpt.float64)), lambda x: ref, a)
    x = dpt.zeros(3)
    x.index_put_((L([1]),), dpt.tensor(4.0))
    assert x.tolist() == [0.0, 4.0, 0.0]
    with pytest.raises(RuntimeError, match="Index put requires the source and destination dtypes "
                                           "match, got Float for the destination and Double"):
        x.index_put((L([0]),), dpt.tensor(1.0, dtype=dpt.float64))


def test_take(device):
    i = np.array([[0, 59], [-1, 7]])
    check_op(lambda t: dpt.take(t, L(i, device=device)), lambda a: np.take(a, i), A, device=device)
    check_op(lambda t: t.take(L([3, 3, 0])), lambda a: np.take(a, [3, 3, 0]), A)
    assert dpt.tensor(2.0).take(L(0)).item() == 2.0
    with pytest.raises(IndexError, match="index 60 is out of range for a tensor of 60 elements"):
        dpt.tensor(A).take(L([60]))


# =======================================================================================
# gather / scatter family
# =======================================================================================
IDX = np.array([[0, 2, 2], [1, 0, 1]])  # for a (2, 3) or (3, 4) input along dim 0/1


def _np_scatter(a, dim, idx, src, op):
    out = a.copy()
    for pos in np.ndindex(*idx.shape):
        tgt = list(pos)
        tgt[dim] = idx[pos]
        out[tuple(tgt)] = op(out[tuple(tgt)], src[pos])
    return out


def test_gather(device):
    a = randn(3, 4)
    check_op(lambda t: t.gather(1, L(IDX, device=device)),
             lambda x: np.take_along_axis(x[:2], IDX, 1), a, device=device)
    check_op(lambda t: dpt.gather(t, 0, L(IDX)), lambda x: np.take_along_axis(x[:, :3], IDX, 0), a)
    check_op(lambda t: t.gather(-1, L(IDX[:, :1])), lambda x: np.take_along_axis(x[:2], IDX[:, :1], 1), a)
    assert dpt.tensor(3.0).gather(0, L(0)).item() == 3.0
    check_gradients(lambda t: t.gather(1, L(IDX)) ** 2, a, gradgrad=True)


def test_gather_errors():
    x = dpt.ones(2, 3)
    with pytest.raises(RuntimeError, match="gather\\(\\): Expected dtype int32/int64 for index"):
        x.gather(1, L([[0]]).short())
    assert x.gather(1, L([[0]]).int()).shape == (1, 1)  # int32 indices, as torch 2
    with pytest.raises(RuntimeError, match="Index tensor must have the same number of dimensions"):
        x.gather(1, L([0]))
    with pytest.raises(RuntimeError, match="gather\\(\\): index 3 is out of bounds for dimension 1 "
                                         "with size 3"):
        x.gather(1, L([[3]]))
    with pytest.raises(RuntimeError, match="index -1 is out of bounds"):
        x.gather(1, L([[-1]]))
    with pytest.raises(RuntimeError, match=r"Size does not match at dimension 0 expected index "
                                           r"\[3, 1\] to be smaller than self \[2, 3\] apart from "
                                           r"dimension 1"):
        x.gather(1, L([[0], [0], [0]]))


def test_scatter_and_scatter_add(device):
    a, src = randn(3, 4), randn(2, 5, seed=1)   # src larger than index: only its corner is read
    uniq = np.array([[0, 2, 1], [1, 0, 2]])     # no duplicates along dim 0 within a column
    put = lambda o, s: s  # noqa: E731
    check_op(lambda x, s: x.scatter(0, L(uniq, device=device), s),
             lambda x, s: _np_scatter(x, 0, uniq, s, put), a, src, device=device)
    check_op(lambda x, s: x.scatter_add(1, L(IDX, device=device), s),
             lambda x, s: _np_scatter(x, 1, IDX, s, np.add), a, src, device=device)
    check_op(lambda x: x.scatter(1, L(IDX), 2.5), lambda x: _np_scatter(
        x, 1, IDX, np.full(IDX.shape, 2.5), put), a)
    check_op(lambda x, s: x.scatter(1, L(IDX), s, reduce="add"),
             lambda x, s: _np_scatter(x, 1, IDX, s, np.add), a, src)
    check_op(lambda x, s: x.scatter(1, L(IDX), s, reduce="multiply"),
             lambda x, s: _np_scatter(x, 1, IDX, s, np.multiply), a, src)
    check_op(lambda x: x.scatter(1, L(IDX), value=3.0, reduce="multiply"),
             lambda x: _np_scatter(x, 1, IDX, np.full(IDX.shape, 3.0), np.multiply), a)
    x = dpt.zeros(2, 3)
    assert x.scatter_(1, L([[2], [0]]), 1.0) is x and x.tolist() == [[0, 0, 1], [1, 0, 0]]
    x.scatter_add_(1, L([[2, 2]]), dpt.ones(1, 2))
    assert x.tolist() == [[0, 0, 3], [1, 0, 0]]


def test_scatter_errors():
    x = dpt.zeros(2, 3)
    with pytest.raises(RuntimeError, match="Expected self.dtype to be equal to src.dtype"):
        x.scatter(1, L([[0]]), dpt.ones(1, 1, dtype=dpt.float64))
    with pytest.raises(RuntimeError, match="to be smaller size than src"):
        x.scatter(1, L([[0, 1]]), dpt.ones(1, 1))
    with pytest.raises(RuntimeError, match="index 5 is out of bounds for dimension 1 with size 3"):
        x.scatter_add(1, L([[5]]), dpt.ones(1, 1))
    with pytest.raises(RuntimeError, match="reduce argument must be either add or multiply"):
        x.scatter(1, L([[0]]), 1.0, reduce="max")


REDUCE_NP = {"sum": np.add, "prod": np.multiply, "amax": np.maximum, "amin": np.minimum}


def _np_scatter_reduce(a, dim, idx, src, reduce, include_self):
    out = a.copy()
    groups = {}
    for pos in np.ndindex(*idx.shape):
        tgt = list(pos)
        tgt[dim] = idx[pos]
        groups.setdefault(tuple(tgt), []).append(src[pos])
    for tgt, vals in groups.items():
        vals = ([a[tgt]] if include_self else []) + vals
        if reduce == "mean":
            out[tgt] = np.mean(vals)
        else:
            out[tgt] = REDUCE_NP[reduce].reduce(np.array(vals))
    return out


@pytest.mark.parametrize("reduce", ["sum", "prod", "mean", "amax", "amin"])
@pytest.mark.parametrize("include_self", [True, False])
def test_scatter_reduce(reduce, include_self, device):
    a, src = randn(3, 4), randn(2, 3, seed=1)
    check_op(lambda x, s: x.scatter_reduce(1, L(IDX, device=device), s, reduce,
                                           include_self=include_self),
             lambda x, s: _np_scatter_reduce(x, 1, IDX, s, reduce, include_self), a, src,
             device=device)


@pytest.mark.parametrize("include_self", [True, False])
def test_scatter_reduce_prod_gradient_with_zeros(include_self):
    a = np.array([[0.0, 2.0, 3.0], [1.5, 0.0, -1.0]])
    src = np.array([[0.5, 0.0, 2.0], [3.0, 0.0, 0.0]])
    idx = L([[0, 0, 1], [2, 2, 2]])
    fn = lambda x, s: x.scatter_reduce(1, idx, s, "prod", include_self=include_self)  # noqa: E731
    check_gradients(fn, a, src)
    check_gradients(fn, a + 3, src + 1, gradgrad=True)  # second derivatives away from zeros


def test_scatter_reduce_ties_share_gradient():
    x = leaf(np.array([1.0, 5.0]))
    s = leaf(np.array([5.0, 5.0, 2.0]))
    out = x.scatter_reduce(0, L([1, 1, 0]), s, "amax")
    out.sum().backward()
    assert_close(out, [2.0, 5.0])
    assert_close(x.grad, [0.0, 1 / 3])
    assert_close(s.grad, [1 / 3, 1 / 3, 1.0])


def test_scatter_reduce_int_and_inplace():
    x = dpt.tensor([10, 20, 30])
    out = x.scatter_reduce(0, L([0, 0, 2]), dpt.tensor([1, 4, 5]), "mean")
    assert out.dtype is dpt.int64 and out.tolist() == [5, 20, 17]
    out = x.scatter_reduce(0, L([1, 1]), dpt.tensor([40, 7]), "amax", include_self=False)
    assert out.tolist() == [10, 40, 30]
    y = dpt.zeros(3)
    y.scatter_reduce_(0, L([0, 0]), dpt.tensor([2.0, 3.0]), "sum")
    assert y.tolist() == [5.0, 0.0, 0.0]
    with pytest.raises(RuntimeError, match="reduce argument must be either sum, prod, mean, amax or "
                                           "amin, got max"):
        y.scatter_reduce(0, L([0]), dpt.ones(1), "max")


def test_take_along_dim():
    a = randn(3, 4)
    i = np.array([[0, 3], [1, 1], [2, 0]])
    check_op(lambda t: dpt.take_along_dim(t, L(i), 1), lambda x: np.take_along_axis(x, i, 1), a)
    i0 = np.array([[2, 0, 1, 1]])
    check_op(lambda t: t.take_along_dim(L(i0), 0), lambda x: np.take_along_axis(x, i0, 0), a)
    check_op(lambda t: t.take_along_dim(L([5, 0])), lambda x: x.reshape(-1)[[5, 0]], a)
    b = np.array([[0], [2], [1]])  # broadcasts along dim 1
    check_op(lambda t: t.take_along_dim(L(b), 1), lambda x: np.take_along_axis(x, b, 1), a)
    with pytest.raises(RuntimeError, match="dtype of indices should be Long but got Int"):
        dpt.ones(2).take_along_dim(L([0]).int(), 0)
    with pytest.raises(RuntimeError, match="input and indices should have the same number of "
                                           "dimensions"):
        dpt.ones(2, 2).take_along_dim(L([0]), 0)


# =======================================================================================
# masked_* / nonzero / argwhere / where
# =======================================================================================
def test_masked_fill_select_scatter(device):
    a = randn(3, 4)
    m = a > 0
    mrow = np.array([True, False, True, False])  # broadcasts over rows
    tm, trow = L(m, device=device), L(mrow, device=device)
    check_op(lambda x: x.masked_fill(tm, 2.0), lambda x: np.where(m, 2.0, x), a, device=device)
    check_op(lambda x: x.masked_fill(trow, -1), lambda x: np.where(mrow, -1.0, x), a, device=device)
    check_op(lambda x: x.masked_select(tm), lambda x: x[m], a, device=device)
    check_op(lambda x: dpt.masked_select(x, trow), lambda x: x[:, mrow].ravel(), a, device=device)
    check_op(lambda x: x[:1].masked_select(tm), lambda x: np.broadcast_to(x[:1], (3, 4))[m], a)
    src = randn(12, seed=1)
    ref = a.copy()
    ref[m] = src[:m.sum()]
    check_op(lambda x, s: x.masked_scatter(tm, s), lambda x, s: ref, a, src, device=device)
    bm = np.broadcast_to(mrow, (3, 4))
    ref = a.copy()
    ref[bm] = src[:6]
    check_op(lambda x, s: x.masked_scatter(trow, s.reshape(3, 4)), lambda x, s: ref, a, src)
    check_gradients(lambda x, v: x.masked_fill(tm, v), a, np.array(1.5))


def test_masked_errors_and_inplace():
    x = dpt.zeros(2, 2)
    x.masked_fill_(L([[True, False], [False, True]]), 1.0)
    assert x.tolist() == [[1.0, 0.0], [0.0, 1.0]]
    x.masked_scatter_(L([False, True]), dpt.tensor([5.0, 6.0]))
    assert x.tolist() == [[1.0, 5.0], [0.0, 6.0]]
    with pytest.raises(RuntimeError, match="masked_fill_ only supports boolean masks"):
        x.masked_fill(L([[1, 0], [0, 1]]), 0.0)
    with pytest.raises(RuntimeError, match="masked_select: expected BoolTensor for mask"):
        x.masked_select(L([1, 0]))
    with pytest.raises(RuntimeError, match=r"Number of elements of source \(1\) < number of ones in "
                                           r"mask \(4\)"):
        x.masked_scatter(L([True, True]), dpt.ones(1))
    with pytest.raises(RuntimeError, match=r"size of tensor a \(3\) must match the size of "
                                           r"tensor b \(2\) at non-singleton dimension 1"):
        x.masked_fill(L([True, True, False]), 0.0)


def test_nonzero_argwhere():
    a = np.array([[0.0, 1.5, 0.0], [2.0, 0.0, -1.0]])
    t = dpt.tensor(a)
    nz = t.nonzero()
    assert nz.dtype is dpt.int64 and nz.tolist() == np.argwhere(a).tolist()
    assert dpt.argwhere(t).tolist() == np.argwhere(a).tolist()
    tup = dpt.nonzero(t, as_tuple=True)
    assert len(tup) == 2 and all(u.tolist() == v.tolist() for u, v in zip(tup, np.nonzero(a)))
    assert dpt.tensor(0.0).nonzero().shape == (0, 0) and dpt.tensor(3).nonzero().shape == (1, 0)
    assert [u.tolist() for u in dpt.tensor(3).nonzero(as_tuple=True)] == [[0]]
    assert dpt.zeros(0, 2).nonzero().shape == (0, 2)
    assert [u.tolist() for u in dpt.where(t > 1)] == [[0, 1], [1, 0]]


def test_where(device):
    a, b = randn(3, 4), randn(4, seed=1)
    c = a > 0
    tc = L(c, device=device)
    check_op(lambda x, y: dpt.where(tc, x, y), lambda x, y: np.where(c, x, y), a, b, device=device)
    check_op(lambda x: dpt.where(tc, x, 0.5), lambda x: np.where(c, x, 0.5), a, device=device)
    check_op(lambda x: dpt.where(tc, -1, x), lambda x: np.where(c, -1, x), a)
    check_op(lambda x, y: x.where(tc, y), lambda x, y: np.where(c, x, y), a, b)
    check_gradients(lambda x, y: dpt.where(tc, x * x, y), a, b, gradgrad=True)


def test_where_dtypes_and_errors():
    c = L([True, False])
    assert dpt.where(c, dpt.tensor([1, 2]), dpt.tensor([0.5, 1.5])).dtype is dpt.float32
    assert dpt.where(c, dpt.tensor([1, 2]), 0.5).dtype is dpt.float32
    assert dpt.where(c, dpt.tensor([1, 2], dtype=dpt.int32), 7).dtype is dpt.int32
    assert dpt.where(c, 1.0, 0.0).dtype is dpt.float32
    assert dpt.where(c, 1, 0).dtype is dpt.int64 and dpt.where(c, 1, 0).tolist() == [1, 0]
    assert dpt.where(c, dpt.ones(2, dtype=dpt.float64), dpt.tensor(0.0)).dtype is dpt.float64
    with pytest.raises(RuntimeError, match="where expected condition to be a boolean tensor, but got "
                                           "a tensor with dtype Float"):
        dpt.where(dpt.ones(2), 1.0, 0.0)


def test_other_views_follow_inplace_writes():
    x = leaf(randn(2, 3))
    y = x * 1
    v = y[0]                      # a view made before its base is written in place
    y.mul_(3)
    assert v.grad_fn.name().startswith("ViewOfBase")
    (v * v).sum().backward()
    g = np.zeros((2, 3))
    g[0] = 2 * 9 * x.detach().numpy()[0]
    assert_close(x.grad, g)

    x2 = leaf(randn(2, 3, seed=3))
    y2 = x2 * 1
    col = y2[:, 0]                # a sibling view of the column written below
    y2.t()[0].mul_(2)
    col.sum().backward()
    assert_close(x2.grad, [[2.0, 0.0, 0.0], [2.0, 0.0, 0.0]])


def test_inplace_through_view_second_derivative():
    def fn(x, v):
        y = x * x
        y.t()[1] = v * v
        return y
    check_gradients(fn, randn(2, 3), randn(2, seed=1), gradgrad=True)


def test_many_views_keep_bookkeeping_small():
    y = dpt.zeros(100)
    for i in range(100):
        y[i:i + 1]                # temporary views die at once
    assert len(y.__dict__.get("_views", {})) <= 64


# =======================================================================================
# put / put_
# =======================================================================================
def _np_put(a, idx, src, accumulate=False):
    out = a.copy().reshape(-1)
    idx = np.asarray(idx).reshape(-1) % max(out.size, 1)
    if accumulate:
        np.add.at(out, idx, np.asarray(src).reshape(-1))
    else:
        out[idx] = np.asarray(src).reshape(-1)
    return out.reshape(a.shape)


@pytest.mark.parametrize("accumulate", [False, True])
def test_put_against_numpy(device, accumulate):
    a, src = randn(3, 4), randn(2, 2, seed=1)
    idx = [[0, -1], [5, 7]]
    got = dpt.put(dpt.tensor(a, device=device), L(idx, device=device),
                  dpt.tensor(src, device=device), accumulate)
    assert_close(got, _np_put(a, idx, src, accumulate))
    # the input is untouched; put_ writes in place and returns self
    x = dpt.tensor(a, device=device)
    r = x.put(L(idx, device=device), dpt.tensor(src, device=device))
    assert_close(x, a)
    assert x.put_(L(idx, device=device), dpt.tensor(src, device=device), accumulate) is x
    assert_close(x, _np_put(a, idx, src, accumulate))
    assert r.shape == (3, 4)


def test_put_duplicates_noncontiguous_0d_empty_and_ints():
    acc = dpt.zeros(3, dtype=dpt.int64).put_(L([1, 1, -2]), L([2, 3, 4]), accumulate=True)
    assert acc.dtype is dpt.int64 and acc.tolist() == [0, 9, 0]
    t = dpt.tensor(randn(4, 3)).t()  # non-contiguous: the flat order is the logical one
    assert_close(t.put(L([1, 4]), dpt.tensor([10.0, 20.0], dtype=dpt.float64)),
                 _np_put(randn(4, 3).T, [1, 4], [10.0, 20.0]))
    t.put_(L([0]), dpt.tensor([7.0], dtype=dpt.float64))
    assert float(t[0, 0]) == 7.0
    assert_close(dpt.zeros(()).put(L([0]), dpt.tensor([3.0])), np.array(3.0))
    assert_close(dpt.zeros(3).put(L(1), dpt.tensor(3.0)), [0.0, 3.0, 0.0])
    assert dpt.zeros(0).put(L([], dtype=dpt.int64), dpt.tensor([])).shape == (0,)
    assert dpt.zeros(2, dtype=dpt.bool).put(L([1]), dpt.tensor([True])).tolist() == [False, True]


@pytest.mark.parametrize("accumulate", [False, True])
def test_put_gradients(accumulate):
    uniq = L([[4, 0], [-1, 2]])
    check_gradients(lambda x, s: dpt.put(x, uniq, s, accumulate), randn(2, 3),
                    randn(2, 2, seed=2), gradgrad=True)
    # a repeated index: as in torch every source element gets the gradient at its index
    # (not a true derivative when accumulate=False, since only one write survives)
    idx = L([[4, 0], [-1, 4]])
    x, s = leaf(randn(2, 3)), leaf(randn(2, 2, seed=3))
    g = randn(2, 3, seed=4)
    dpt.put(x, idx, s, accumulate).backward(dpt.tensor(g))
    gx = g.copy().reshape(-1)
    if not accumulate:
        gx[[4, 0, 5]] = 0
    assert_close(x.grad, gx.reshape(2, 3))
    assert_close(s.grad, g.reshape(-1)[[4, 0, 5, 4]].reshape(2, 2))


def test_put_inplace_autograd():
    x = leaf(randn(2, 3))
    s = leaf(randn(2, seed=5))
    y = x * 2
    y.put_(L([1, 3]), s)
    y.sum().backward()
    assert_close(x.grad, [[2.0, 0.0, 2.0], [0.0, 2.0, 2.0]])
    assert_close(s.grad, [1.0, 1.0])
    with pytest.raises(RuntimeError, match="leaf Variable that requires grad"):
        leaf(randn(2)).put_(L([0]), dpt.tensor([1.0], dtype=dpt.float64))


def test_put_errors():
    x = dpt.zeros(2, 3)
    with pytest.raises(IndexError, match=r"out of range: tried to access index 6 on a tensor of 6"):
        x.put_(L([6]), dpt.tensor([1.0]))
    with pytest.raises(IndexError, match="index -7 on a tensor of 6 elements"):
        x.put_(L([-7]), dpt.tensor([1.0]))
    with pytest.raises(IndexError, match=r"source.numel\(\) = 1, index.numel\(\) = 2"):
        x.put_(L([1, 2]), dpt.tensor([1.0]))
    with pytest.raises(RuntimeError, match="Expected a long tensor for index, but got Int"):
        x.put_(L([1], dtype=dpt.int32), dpt.tensor([1.0]))
    with pytest.raises(RuntimeError, match="self.dtype = Float and source.dtype = Long"):
        x.put_(L([1]), L([1]))
    with pytest.raises(TypeError, match="argument 'source' .* must be Tensor, not float"):
        dpt.put(x, L([1]), 1.0)
    with pytest.raises(IndexError, match="Tried to put elements into an empty tensor"):
        dpt.zeros(0).put(L([0]), dpt.tensor([1.0]))


def test_degenerate_shapes_follow_torch():
    """An empty index reads nothing and is not checked further; a 0-d index gives a 0-d result."""
    x = dpt.zeros(1, 3)
    for idx_shape in [(0,), (2, 0), (0, 5), (3, 0, 2)]:
        for dim in (0, 1, -1):
            out = x.gather(dim, dpt.zeros(idx_shape, dtype=dpt.int64))
            assert out.shape == idx_shape
            assert x.scatter(dim, dpt.zeros(idx_shape, dtype=dpt.int64), 1.0).equal(x)
    assert dpt.gather(dpt.arange(4.0), 0, L(2)).shape == ()
    with pytest.raises(RuntimeError, match="Can not infer total number of classes"):
        dpt.nn.functional.one_hot(dpt.zeros(3, 3, 0, dtype=dpt.int64), 0)
    assert dpt.nn.functional.one_hot(dpt.zeros(3, 0, dtype=dpt.int64), 4).shape == (3, 0, 4)
    assert dpt.zeros(0, 3).index_fill(1, L([7]), 1.0).shape == (0, 3)
    assert_close(dpt.arange(3.0).index_fill(0, L([-1]), 9.0), [0.0, 1.0, 9.0])
    with pytest.raises(RuntimeError, match="Index to scalar can have only 1 value"):
        dpt.tensor(1.0).index_select(0, L([0, 0]))
    with pytest.raises(IndexError, match="tensor has no dimensions"):
        dpt.take_along_dim(dpt.tensor(1.0), L(0), 0)
