"""Tensor, shape and indexing ops added for torch's op_db: split_with_sizes, unsafe_split/chunk,
repeat_interleave, index_reduce, fill, empty_permuted, nonzero_static, constant_pad_nd,
resize_as_, new_empty_strided, and the fixes to masked_fill/masked_scatter broadcasting,
take_along_dim's index wrapping, as_strided on views, frexp/nextafter gradients, gradient's
spacing=None and histogramdd's unsorted edges."""
import numpy as np
import pytest

import dpt
from tests.helpers import check_gradients, check_op, leaf, randn


# ---- splitting ---------------------------------------------------------------------------
def test_split_with_sizes_and_unsafe_forms():
    a = randn(5, 4)
    x = leaf(a, requires_grad=False)
    parts = dpt.split_with_sizes(x, [1, 3, 1], -2)
    assert [tuple(p.shape) for p in parts] == [(1, 4), (3, 4), (1, 4)]
    assert parts[1]._base is not None  # views, like split
    np.testing.assert_allclose(parts[1].numpy(), a[1:4])
    assert [tuple(p.shape) for p in x.split_with_sizes((4, 0), 1)] == [(5, 4), (5, 0)]
    assert [tuple(p.shape) for p in dpt.unsafe_split(x, 2)] == [(2, 4), (2, 4), (1, 4)]
    assert [tuple(p.shape) for p in x.unsafe_chunk(3, -1)] == [(5, 2), (5, 2)]
    check_gradients(lambda t: dpt.split_with_sizes(t, [2, 3])[1] * 2, a)
    check_gradients(lambda t: dpt.unsafe_chunk(t, 2, 1)[0], a)
    with pytest.raises(RuntimeError, match="split_with_sizes expects split_sizes to sum"):
        dpt.split_with_sizes(x, [1, 1])


# ---- repeat_interleave -------------------------------------------------------------------
@pytest.mark.parametrize("repeats,dim", [(2, None), (3, 1), ([1, 0, 2], 1), ([2], -1),
                                         ([0, 1], 0)])
def test_repeat_interleave(repeats, dim):
    a = randn(2, 3)
    axis = 1 if dim == -1 else dim
    reps = repeats if isinstance(repeats, int) or len(repeats) > 1 else repeats[0]

    def fn(t):
        r = repeats if isinstance(repeats, int) else dpt.tensor(repeats)
        return dpt.repeat_interleave(t, r, dim)

    check_op(fn, lambda x: np.repeat(x, reps, axis), a, gradgrad=True)


def test_repeat_interleave_forms_and_errors():
    assert dpt.repeat_interleave(dpt.tensor([1, 2, 0])).tolist() == [0, 1, 1]
    assert dpt.tensor(5.0).repeat_interleave(2).tolist() == [5.0, 5.0]
    x = dpt.arange(4.0).reshape(4, 1)
    out = x.repeat_interleave(dpt.tensor([1, 2, 0, 3]), 0, output_size=6)
    assert out.reshape(-1).tolist() == [0.0, 1.0, 1.0, 3.0, 3.0, 3.0]
    with pytest.raises(RuntimeError, match="allocated size does not match"):
        x.repeat_interleave(dpt.tensor([1, 2, 0, 3]), 0, output_size=5)
    with pytest.raises(RuntimeError, match=r"repeats.size\(0\) = 2 and input.size\(0\) = 4"):
        x.repeat_interleave(dpt.tensor([1, 2]), 0)
    with pytest.raises(RuntimeError, match="Repeats must be non-negative"):
        x.repeat_interleave(-1)
    with pytest.raises(NotImplementedError, match="not implemented for 'float32'"):
        x.repeat_interleave(dpt.tensor([1.0, 2.0, 1.0, 1.0]), 0)
    assert tuple(dpt.zeros(0, 3).repeat_interleave(2, 0).shape) == (0, 3)


# ---- index_reduce ------------------------------------------------------------------------
def _np_index_reduce(x, dim, idx, src, reduce, include_self):
    xm, sm = np.moveaxis(x, dim, 0).copy(), np.moveaxis(src, dim, 0)
    out = xm.copy()
    fn = {"prod": np.prod, "mean": np.mean, "amax": np.max, "amin": np.min}[reduce]
    for j in set(idx.tolist()):
        vals = [sm[i] for i in range(len(idx)) if idx[i] == j]
        if include_self:
            vals.append(xm[j])
        out[j] = fn(np.stack(vals), axis=0)
    return np.moveaxis(out, 0, dim)


@pytest.mark.parametrize("reduce", ["prod", "mean", "amax", "amin"])
@pytest.mark.parametrize("include_self", [True, False])
def test_index_reduce(reduce, include_self):
    a, s = randn(4, 3), randn(4, 5, seed=1)
    idx = np.array([0, 2, 0, 1, 2])
    fn = lambda x, y: dpt.index_reduce(x, -1, dpt.tensor(idx), y, reduce,  # noqa: E731
                                       include_self=include_self)
    check_op(fn, lambda x, y: _np_index_reduce(x, 1, idx, y, reduce, include_self), a, s,
             gradgrad=reduce != "prod")


def test_index_reduce_method_scalar_and_errors():
    x = dpt.tensor(2.0)
    assert x.index_reduce(0, dpt.tensor([0]), dpt.tensor(5.0), "prod").item() == 10.0
    y = dpt.ones(3, 2)
    y.index_reduce_(0, dpt.tensor([2, 2]), dpt.full((2, 2), 3.0), "amax", include_self=False)
    assert y.tolist() == [[1.0, 1.0], [1.0, 1.0], [3.0, 3.0]]
    with pytest.raises(RuntimeError, match="Expected reduce to be one of prod, mean, amax or amin"):
        dpt.index_reduce(y, 0, dpt.tensor([0]), dpt.ones(1, 2), "sum")
    with pytest.raises(IndexError, match="index out of range in self"):
        dpt.index_reduce(y, 0, dpt.tensor([3]), dpt.ones(1, 2), "prod")
    with pytest.raises(RuntimeError, match=r"Number of indices \(2\) should be equal"):
        dpt.index_reduce(y, 0, dpt.tensor([0, 1]), dpt.ones(3, 2), "prod")
    with pytest.raises(RuntimeError, match="Expected dtype int32/int64 for index"):
        dpt.index_reduce(y, 0, dpt.tensor([0.0]), dpt.ones(1, 2), "prod")


def test_index_reduce_against_torch():
    torch = pytest.importorskip("torch")
    a, s = randn(3, 4), randn(3, 6, seed=1)
    s[:, 1] = s[:, 0]  # ties for amax/amin share the gradient
    idx = [1, 1, 3, 0, 3, 3]
    g = randn(3, 4, seed=2)
    for reduce in ("prod", "mean", "amax", "amin"):
        for inc in (True, False):
            tx, ts = (torch.tensor(v, requires_grad=True) for v in (a, s))
            out = torch.index_reduce(tx, 1, torch.tensor(idx), ts, reduce, include_self=inc)
            tg = torch.autograd.grad(out, [tx, ts], torch.tensor(g))
            dx, ds = leaf(a), leaf(s)
            d = dpt.index_reduce(dx, 1, dpt.tensor(idx), ds, reduce, include_self=inc)
            dg = dpt.autograd.grad(d, [dx, ds], dpt.tensor(g))
            np.testing.assert_allclose(d.detach().numpy(), out.detach().numpy(), rtol=1e-12)
            for u, v in zip(dg, tg):
                np.testing.assert_allclose(u.numpy(), v.numpy(), rtol=1e-10, atol=1e-12)


# ---- fill, empty_permuted, nonzero_static, constant_pad_nd, resize_as_, new_empty_strided -
def test_fill_out_of_place():
    x = leaf(randn(2, 3))
    v = dpt.tensor(1.5, dtype=dpt.float64, requires_grad=True)
    out = dpt.fill(x, v)
    assert out.tolist() == [[1.5] * 3] * 2 and x.tolist() != out.tolist()
    gx, gv = dpt.autograd.grad(out.sum() * 2, [x, v])
    assert gx.tolist() == [[0.0] * 3] * 2 and gv.item() == 12.0
    assert dpt.fill(dpt.zeros(3, dtype=dpt.int64), 2.7).tolist() == [2, 2, 2]
    assert dpt.fill(dpt.zeros(1, 0), True).shape == (1, 0)
    check_gradients(lambda t, w: dpt.fill(t, w) * t, randn(3), np.array(0.5))
    with pytest.raises(RuntimeError, match="0-dimension value tensor"):
        dpt.fill(x, dpt.ones(2))


@pytest.mark.parametrize("size,layout", [((2, 3, 4), (0, 2, 1)), ((2, 3, 4), (2, 0, 1)),
                                         ((), ()), ((0, 2), (1, 0))])
def test_empty_permuted(size, layout):
    t = dpt.empty_permuted(size, layout, dtype=dpt.float64)
    assert tuple(t.shape) == size and t.dtype is dpt.float64
    contiguous = dpt.zeros(tuple(size[p] for p in layout)).stride()
    for i, p in enumerate(layout):
        if size[p] > 1:
            assert t.stride(p) == contiguous[i]
    with pytest.raises(RuntimeError, match="does not match the length of the physical_layout"):
        dpt.empty_permuted((2, 3), (0,))


def test_nonzero_static():
    x = dpt.tensor([[1, 0], [3, 2]])
    assert dpt.nonzero_static(x, size=5, fill_value=7).tolist() == \
        [[0, 0], [1, 0], [1, 1], [7, 7], [7, 7]]
    assert x.nonzero_static(size=2).tolist() == [[0, 0], [1, 0]]
    z = dpt.nonzero_static(dpt.tensor(3.0), size=2)
    assert tuple(z.shape) == (2, 0) and z.dtype is dpt.int64
    assert tuple(dpt.nonzero_static(dpt.zeros(4), size=0).shape) == (0, 1)
    with pytest.raises(RuntimeError, match="non-negative"):
        dpt.nonzero_static(x, size=-1)
    with pytest.raises(TypeError, match="must be int"):
        dpt.nonzero_static(x, size=2.0)


def test_constant_pad_nd():
    a = randn(2, 3)
    check_op(lambda t: dpt.constant_pad_nd(t, (1, 2), 1.5),
             lambda x: np.pad(x, ((0, 0), (1, 2)), constant_values=1.5), a)
    check_op(lambda t: dpt.constant_pad_nd(t, (-1, 0, 1, 1)),
             lambda x: np.pad(x[:, 1:], ((1, 1), (0, 0))), a)


def test_resize_as_and_new_empty_strided():
    x = dpt.arange(6.0)
    assert x.resize_as_(dpt.zeros(2, 3)) is x and tuple(x.shape) == (2, 3)
    assert dpt.resize_as_(x, dpt.zeros(4)).tolist() == [0.0, 1.0, 2.0, 3.0]
    y = dpt.zeros(2, dtype=dpt.float64).new_empty_strided((2, 3), (1, 2))
    assert y.dtype is dpt.float64 and y.stride() == (1, 2) and tuple(y.shape) == (2, 3)
    z = dpt.zeros(2).new_empty_strided((2,), (1,), dtype=dpt.int32)
    assert z.dtype is dpt.int32


# ---- fixes -------------------------------------------------------------------------------
def test_masked_ops_broadcast_to_a_larger_mask():
    a, m = randn(3), np.random.default_rng(1).random((2, 3)) > 0.5
    mask = dpt.tensor(m)
    check_op(lambda t: dpt.masked_fill(t, mask, 2.0), lambda x: np.where(m, 2.0, x), a)
    src = randn(6, seed=2)

    def ref(x, s):
        out = np.broadcast_to(x, (2, 3)).copy()
        out[m] = s[:m.sum()]
        return out

    check_op(lambda t, s: dpt.masked_scatter(t, mask, s), ref, a, src)
    with pytest.raises(RuntimeError, match="doesn't match the broadcast shape"):
        dpt.zeros(3).masked_fill_(mask, 1.0)


def test_take_along_dim_wraps_indices_like_torch():
    torch = pytest.importorskip("torch")
    a = randn(2, 3)
    idx = [[-1, -4], [3, -3]]
    t = torch.take_along_dim(torch.tensor(a), torch.tensor(idx), 1)
    d = dpt.take_along_dim(dpt.tensor(a), dpt.tensor(idx), -1)
    np.testing.assert_array_equal(d.numpy(), t.numpy())
    check_gradients(lambda x: dpt.take_along_dim(x, dpt.tensor(idx), 1), a)
    with pytest.raises(RuntimeError, match="out of bounds"):
        dpt.take_along_dim(dpt.tensor(a), dpt.tensor([-1]))  # the flattened form does not wrap


def test_as_strided_of_a_view_reads_the_base_storage():
    torch = pytest.importorskip("torch")
    tb, b = torch.arange(20.0), dpt.arange(20.0)
    views = [(tb[5:15], b[5:15]), (tb.reshape(4, 5).diagonal(), b.reshape(4, 5).diagonal()),
             (tb.as_strided((3,), (2,), 4), b.as_strided((3,), (2,), 4))]
    for view_t, view_d in views:
        assert view_d.storage_offset() == view_t.storage_offset()
        for off in (None, 0, 3):
            assert dpt.as_strided(view_d, (2, 2), (1, 3), off).tolist() == \
                torch.as_strided(view_t, (2, 2), (1, 3), off).tolist()


def test_frexp_backward_on_0d_and_nextafter_gradients():
    check_gradients(lambda t: dpt.frexp(t).mantissa, np.array(3.0))
    x, y = leaf(randn(3)), leaf(randn(1, seed=1))
    z = dpt.nextafter(x, y)
    gx, gy = dpt.autograd.grad(z.sum(), [x, y])
    assert gx.tolist() == [1.0] * 3 and gy.tolist() == [0.0]


def test_gradient_spacing_none_is_unit_spacing():
    t = dpt.tensor([1.0, 4.0, 9.0, 16.0])
    assert dpt.gradient(t, spacing=None)[0].tolist() == dpt.gradient(t)[0].tolist()


def test_histogram_edges_need_not_increase_like_torch():
    torch = pytest.importorskip("torch")
    data = randn(40, 2, seed=3).astype(np.float32) * 3
    edges = [np.array([-2.0, 3.0, 0.5, 4.0], np.float32), np.array([1.0, -3.0, 2.0], np.float32)]
    t = torch.histogramdd(torch.tensor(data), [torch.tensor(e) for e in edges])
    d = dpt.histogramdd(dpt.tensor(data), [dpt.tensor(e) for e in edges])
    np.testing.assert_array_equal(d.hist.numpy(), t.hist.numpy())
    e = np.array([0.0, 2.0, 1.0, 3.0], np.float32)
    v = np.array([0.0, 1.0, 2.0, 3.0, 1.5], np.float32)
    assert dpt.histogram(dpt.tensor(v), dpt.tensor(e)).hist.tolist() == \
        torch.histogram(torch.tensor(v), torch.tensor(e)).hist.tolist()


# ---- on a GPU: the same results as on the CPU ----------------------------------------------
GPU_CASES = {
    "repeat_interleave": lambda x, s: x.repeat_interleave(dpt.tensor([1, 0, 2], device=x.device),
                                                          1),
    "index_reduce": lambda x, s: x.index_reduce(1, dpt.tensor([2, 0, 2], device=x.device), s,
                                                "amax", include_self=False),
    "diagonal_scatter": lambda x, s: dpt.diagonal_scatter(x, s[:, 0], 1),
    "slice_scatter": lambda x, s: dpt.slice_scatter(x, s, 1, 0, 3),
    "as_strided_scatter": lambda x, s: dpt.as_strided_scatter(x, s[0], (3,), (2,), 1),
    "permute_copy": lambda x, s: dpt.permute_copy(x, (1, 0)) * s.sum(),
    "fill": lambda x, s: dpt.fill(x, s[0, 0]),
    "masked_fill": lambda x, s: x.masked_fill(dpt.tensor([[[True], [False]]], device=x.device), 0),
    "take_along_dim": lambda x, s: x.take_along_dim(dpt.tensor([[-1], [4]], device=x.device), 1),
}


@pytest.mark.cuda
@pytest.mark.parametrize("name", sorted(GPU_CASES))
def test_new_ops_on_cuda_match_cpu(name):
    a, b = randn(2, 3), randn(2, 3, seed=1)
    outs, grads = [], []
    for dev in ("cpu", "cuda"):
        x = dpt.tensor(a, device=dev, requires_grad=True)
        s = dpt.tensor(b, device=dev, requires_grad=True)
        out = GPU_CASES[name](x, s)
        assert out.device.type == dev
        g = dpt.autograd.grad(out.sum(), [x, s], allow_unused=True)
        outs.append(out.detach().cpu().numpy())
        grads.append([None if v is None else v.cpu().numpy() for v in g])
    np.testing.assert_allclose(outs[1], outs[0], rtol=1e-12)
    for u, v in zip(*grads):
        assert (u is None) == (v is None)
        if u is not None:
            np.testing.assert_allclose(v, u, rtol=1e-12)


@pytest.mark.cuda
def test_new_index_ops_on_cuda_match_cpu():
    for dev in ("cpu", "cuda"):
        z = dpt.nonzero_static(dpt.tensor([[1, 0], [3, 2]], device=dev), size=4)
        assert z.device.type == dev and z.cpu().tolist() == [[0, 0], [1, 0], [1, 1], [-1, -1]]
        e = dpt.empty_permuted((2, 3), (1, 0), device=dev)
        assert e.device.type == dev and e.stride() == (1, 2)
        h = dpt.histogramdd(dpt.tensor(randn(20, 2), device=dev),
                            [dpt.tensor([-1.0, 2.0, 0.0], dtype=dpt.float64, device=dev)] * 2)
        assert h.hist.device.type == dev
