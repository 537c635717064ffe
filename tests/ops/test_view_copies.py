"""dpt.ops.view_copies: the *_copy ops (a view's result in fresh memory) and the *_scatter ops
(src embedded where a view looks), against numpy and finite differences."""
import numpy as np
import pytest

import dpt
from tests.helpers import check_gradients, check_op, leaf, randn


# =======================================================================================
# *_copy
# =======================================================================================
COPIES = [
    ("expand_copy", lambda t: dpt.expand_copy(t, (2, 3, 4)),
     lambda a: np.broadcast_to(a, (2, 3, 4)), (3, 1)),
    ("expand_copy -1", lambda t: dpt.expand_copy(t, [-1, 4]),
     lambda a: np.broadcast_to(a, (3, 4)), (3, 1)),
    ("diagonal_copy", lambda t: dpt.diagonal_copy(t, 1, -1, 0),
     lambda a: np.diagonal(a, 1, 2, 0), (3, 2, 4)),
    ("alias_copy", dpt.alias_copy, lambda a: a, (2, 3)),
    ("view_copy", lambda t: dpt.view_copy(t, (3, -1)), lambda a: a.reshape(3, -1), (2, 3, 2)),
    ("permute_copy", lambda t: dpt.permute_copy(t, (2, 0, -2)),
     lambda a: a.transpose(2, 0, 1), (2, 3, 4)),
    ("unfold_copy", lambda t: dpt.unfold_copy(t, -1, 2, 2),
     lambda a: np.stack([a[:, 0:2], a[:, 2:4]], 1), (3, 5)),
    ("squeeze_copy", dpt.squeeze_copy, lambda a: a.reshape(2, 3), (2, 1, 3, 1)),
    ("squeeze_copy dim", lambda t: dpt.squeeze_copy(t, -1), lambda a: a.reshape(2, 1, 3),
     (2, 1, 3, 1)),
    ("unsqueeze_copy", lambda t: dpt.unsqueeze_copy(t, -1), lambda a: a[..., None], (2, 3)),
    ("transpose_copy", lambda t: dpt.transpose_copy(t, 0, -1), lambda a: a.swapaxes(0, 2),
     (2, 3, 4)),
    ("t_copy", dpt.t_copy, lambda a: a.T, (2, 3)),
    ("select_copy", lambda t: dpt.select_copy(t, 1, -1), lambda a: a[:, -1], (2, 3)),
    ("as_strided_copy", lambda t: dpt.as_strided_copy(t, (2, 2), (1, 3), 1),
     lambda a: np.lib.stride_tricks.as_strided(a.reshape(-1)[1:], (2, 2), (8, 24)), (3, 3)),
]


@pytest.mark.parametrize("name,fn,ref,shape", COPIES, ids=[c[0] for c in COPIES])
def test_copy_ops_match_the_view(name, fn, ref, shape):
    a = randn(*shape)
    # as_strided reads storage: its input must be contiguous to have a numpy reference
    check_op(fn, ref, a, noncontig=not name.startswith("as_strided"), gradgrad=True)
    x = leaf(a, requires_grad=False)
    out = fn(x)
    assert out._base is None and out.is_contiguous()
    before = x.clone()
    out.fill_(7.0)  # fresh memory: the input is untouched
    assert dpt.equal(x, before)


def test_copy_ops_returning_pieces():
    a = randn(3, 4)
    x = leaf(a)
    pieces = dpt.unbind_copy(x, -1)
    assert len(pieces) == 4 and all(p._base is None for p in pieces)
    np.testing.assert_allclose(pieces[2].detach().numpy(), a[:, 2])
    parts = dpt.split_with_sizes_copy(x, [1, 0, 3], 1)
    assert [tuple(p.shape) for p in parts] == [(3, 1), (3, 0), (3, 3)]
    check_gradients(lambda t: dpt.cat([p * (i + 1) for i, p in enumerate(dpt.unbind_copy(t, 1))]),
                    a)
    check_gradients(lambda t: dpt.split_with_sizes_copy(t, [2, 2], -1)[1], a)
    with pytest.raises(RuntimeError, match="split_with_sizes"):
        dpt.split_with_sizes_copy(x, [1, 2], 1)


def test_copy_ops_out_and_empty():
    out = dpt.empty(0)
    dpt.t_copy(dpt.arange(6.0).reshape(2, 3), out=out)
    assert out.tolist() == [[0.0, 3.0], [1.0, 4.0], [2.0, 5.0]]
    e = dpt.permute_copy(dpt.zeros(2, 0, 3), (2, 1, 0))
    assert tuple(e.shape) == (3, 0, 2)


# =======================================================================================
# *_scatter
# =======================================================================================
def _np_diagonal_scatter(a, s, offset, d1, d2):
    out = a.copy()
    view = np.diagonal(out, offset, d1, d2)
    view.setflags(write=True)
    view[...] = s
    return out


@pytest.mark.parametrize("shape,offset,d1,d2", [((4, 4), 0, 0, 1), ((3, 5), 2, 0, 1),
                                                 ((5, 3), -2, 0, 1), ((2, 3, 4), 1, -1, 0)])
def test_diagonal_scatter(shape, offset, d1, d2):
    a = randn(*shape)
    n = np.diagonal(a, offset, d1 % a.ndim, d2 % a.ndim).shape
    s = randn(*n, seed=1)
    check_op(lambda x, y: dpt.diagonal_scatter(x, y, offset, d1, d2),
             lambda x, y: _np_diagonal_scatter(x, y, offset, d1 % x.ndim, d2 % x.ndim), a, s,
             gradgrad=True)


@pytest.mark.parametrize("dim,index", [(1, 2), (-1, -1), (0, 0)])
def test_select_scatter(dim, index):
    a, s = randn(3, 4, 5), randn(*np.take(randn(3, 4, 5), 0, dim).shape, seed=1)

    def ref(x, y):
        out = x.copy()
        out[(slice(None),) * (dim % 3) + (index,)] = y
        return out

    check_op(lambda x, y: dpt.select_scatter(x, y, dim, index), ref, a, s, gradgrad=True)


def test_select_scatter_into_a_vector_takes_a_0d_src():
    out = dpt.select_scatter(dpt.zeros(4), dpt.tensor(2.0), 0, -2)
    assert out.tolist() == [0.0, 0.0, 2.0, 0.0]
    with pytest.raises(IndexError, match="out of range"):
        dpt.select_scatter(dpt.zeros(4), dpt.tensor(2.0), 0, 4)


@pytest.mark.parametrize("dim,start,end,step", [(0, None, None, 1), (1, 2, None, 2),
                                                (-1, -4, -1, 1), (0, 1, 100, 3)])
def test_slice_scatter(dim, start, end, step):
    a = randn(6, 5, 4)
    key = (slice(None),) * (dim % 3) + (slice(start, end, step),)
    s = randn(*a[key].shape, seed=1)

    def ref(x, y):
        out = x.copy()
        out[key] = y
        return out

    check_op(lambda x, y: dpt.slice_scatter(x, y, dim, start, end, step), ref, a, s,
             gradgrad=True)


def test_scatter_errors():
    x = dpt.zeros(3, 4)
    with pytest.raises(RuntimeError, match=r"src size = \[3\], slice size = \[4\]"):
        dpt.select_scatter(x, dpt.zeros(3), 0, 1)
    with pytest.raises(RuntimeError, match="expected src to have a size equal"):
        dpt.diagonal_scatter(x, dpt.zeros(4))
    with pytest.raises(RuntimeError, match="slice step must be positive"):
        dpt.slice_scatter(x, dpt.zeros(3, 4), 0, None, None, 0)
    with pytest.raises(RuntimeError, match="diagonal dimensions cannot be identical"):
        dpt.diagonal_scatter(x, dpt.zeros(3), 0, 1, -1)


def test_scatter_ops_cast_src_like_copy_():
    out = dpt.slice_scatter(dpt.zeros(4, dtype=dpt.float64), dpt.ones(2), 0, 1, 3)
    assert out.dtype is dpt.float64 and out.tolist() == [0.0, 1.0, 1.0, 0.0]


def test_as_strided_scatter_contiguous():
    a, s = randn(3, 3), randn(2, 2, seed=1)

    def ref(x, y):
        out = x.copy().reshape(-1)
        np.lib.stride_tricks.as_strided(out[1:], (2, 2), (8, 16))[...] = y
        return out.reshape(3, 3)

    check_op(lambda x, y: dpt.as_strided_scatter(x, y, (2, 2), (1, 2), 1), ref, a, s,
             noncontig=False, gradgrad=True)


def test_as_strided_scatter_gradient_is_zero_where_src_lands():
    """torch's own backward gives the complement here (its op_db marks that gradient as an
    expected failure); dpt's follows finite differences."""
    x, s = leaf(randn(3, 3)), leaf(randn(2, 2, seed=1))
    out = dpt.as_strided_scatter(x, s, (2, 2), (1, 2), 0)
    gx, gs = dpt.autograd.grad(out.sum(), [x, s])
    covered = np.zeros(9)
    covered[[0, 1, 2, 3]] = 1
    np.testing.assert_array_equal(gx.numpy().reshape(-1), 1 - covered)
    np.testing.assert_array_equal(gs.numpy(), np.ones((2, 2)))


def test_as_strided_scatter_addresses_the_base_storage_of_a_view():
    torch = pytest.importorskip("torch")
    tb = torch.arange(12.0)
    b = dpt.arange(12.0)
    for off in (None, 0, 4):
        t = torch.as_strided_scatter(tb[3:9], torch.full((2,), -1.0), (2,), (2,), off)
        d = dpt.as_strided_scatter(b[3:9], dpt.full((2,), -1.0), (2,), (2,), off)
        assert d.tolist() == t.tolist()
    with pytest.raises(RuntimeError, match="out of bounds"):
        dpt.as_strided_scatter(dpt.zeros(4), dpt.zeros(3), (3,), (2,), 0)
    with pytest.raises(RuntimeError, match="expected src to have a size equal"):
        dpt.as_strided_scatter(dpt.zeros(4), dpt.zeros(3), (2,), (1,))


def test_scatter_methods():
    x = dpt.zeros(2, 2)
    assert x.diagonal_scatter(dpt.ones(2)).tolist() == [[1.0, 0.0], [0.0, 1.0]]
    assert x.select_scatter(dpt.ones(2), 1, 0).tolist() == [[1.0, 0.0], [1.0, 0.0]]
    assert x.slice_scatter(dpt.ones(1, 2), 0, 1).tolist() == [[0.0, 0.0], [1.0, 1.0]]
    assert x.as_strided_scatter(dpt.ones(2), (2,), (3,)).tolist() == [[1.0, 0.0], [0.0, 1.0]]
