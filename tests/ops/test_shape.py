"""Shape ops against numpy: views that share memory, copies, joins; float64 gradchecks and
torch's error messages."""
import numpy as np
import pytest

import dpt
from tests.helpers import assert_close, check_gradients, check_op, leaf, randn

A = randn(2, 3, 4)


def arr(*shape, seed=0):
    return randn(*shape, seed=seed)


# =======================================================================================
# views share memory and the version counter
# =======================================================================================
VIEWS = {
    "view": lambda t: t.view(6, 4),
    "view_infer": lambda t: t.view(-1, 2),
    "reshape": lambda t: t.reshape(4, 6),
    "flatten": lambda t: t.flatten(1),
    "unflatten": lambda t: t.unflatten(2, (2, 2)),
    "ravel": lambda t: t.ravel(),
    "squeeze": lambda t: t.unsqueeze(0).squeeze(0),
    "unsqueeze": lambda t: t.unsqueeze(-1),
    "permute": lambda t: t.permute(2, 0, 1),
    "transpose": lambda t: t.transpose(0, -1),
    "swapaxes": lambda t: t.swapaxes(0, 1),
    "swapdims": lambda t: t.swapdims(1, 2),
    "t": lambda t: t[0].t(),
    "T": lambda t: t.T,
    "expand": lambda t: t[:, :1].expand(2, 3, 4),
    "narrow": lambda t: t.narrow(2, 1, 2),
    "unbind": lambda t: t.unbind(1)[1],
    "split": lambda t: t.split(2, 2)[1],
    "split_sizes": lambda t: t.split([1, 2], 1)[1],
    "chunk": lambda t: t.chunk(2, -1)[0],
    "tensor_split": lambda t: t.tensor_split([1, 3], 2)[1],
    "movedim": lambda t: t.movedim(0, -1),
    "moveaxis": lambda t: t.moveaxis((0, 1), (1, 0)),
    "diagonal": lambda t: t.diagonal(1, 1, 2),
    "as_strided": lambda t: t.as_strided((3, 2), (4, 1), 1),
    "unfold": lambda t: t.unfold(2, 2, 2),
    "getitem": lambda t: t[1, ::2, 1:],
    "view_dtype": lambda t: t.view(dpt.int64),
}


@pytest.mark.parametrize("name", sorted(VIEWS))
def test_views_share_memory_and_version(name):
    base = dpt.tensor(A.copy())
    v = VIEWS[name](base)
    assert v.data_ptr() >= base.data_ptr() and v._data.base is not None
    before = base._vc[0]
    if name != "expand":  # an expanded view is read-only, as torch forbids writing to it
        v.fill_(0) if v.dtype.is_floating_point else v.zero_()
        assert float(dpt.abs(base).sum()) < np.abs(A).sum()  # the base changed
        assert base._vc[0] > before and v._vc is base._vc
    else:
        assert v._vc is base._vc


def test_write_through_view_setitem_changes_base():
    base = dpt.zeros(3, 4)
    v = base.t()
    v[1] = 5.0
    assert_close(base[:, 1], np.full(3, 5.0))
    assert base._vc[0] == 1


# =======================================================================================
# view / reshape
# =======================================================================================
@pytest.mark.parametrize("shape", [(6, 4), (-1,), (2, -1, 2), (24,), (1, 24, 1), (4, 3, 2)])
def test_view_and_reshape_against_numpy(shape, device):
    check_op(lambda t: t.reshape(shape), lambda a: a.reshape(shape), A, device=device)
    check_op(lambda t: t.contiguous().view(*shape), lambda a: a.reshape(shape), A, noncontig=False,
             device=device)


def test_view_stride_rule():
    t = dpt.tensor(A).transpose(0, 1)            # (3, 2, 4), last dim contiguous
    assert t.view(3, 2, 4).shape == (3, 2, 4)
    assert t.view(3, 2, 2, 2).shape == (3, 2, 2, 2)   # splitting a dimension is fine
    with pytest.raises(RuntimeError, match="view size is not compatible with input tensor's size "
                                           r"and stride.*Use \.reshape\(\.\.\.\) instead"):
        t.view(6, 4)                              # merging non-adjacent memory is not
    r = t.reshape(6, 4)                           # reshape copies instead
    assert_close(r, A.transpose(1, 0, 2).reshape(6, 4))
    assert r._vc is not t._vc


def test_view_errors():
    t = dpt.ones(2, 3)
    with pytest.raises(RuntimeError, match=r"shape '\[4, 2\]' is invalid for input of size 6"):
        t.view(4, 2)
    with pytest.raises(RuntimeError, match="only one dimension can be inferred"):
        t.view(-1, -1)
    with pytest.raises(RuntimeError, match=r"shape '\[-1, 4\]' is invalid for input of size 6"):
        t.reshape(-1, 4)


def test_view_0d_and_empty():
    s = dpt.tensor(3.0)
    assert s.view(1).shape == (1,) and s.view(()).shape == () and s.reshape(1, 1).shape == (1, 1)
    e = dpt.ones(0, 3)
    assert e.view(3, 0).shape == (3, 0) and e.reshape(-1, 3).shape == (0, 3)
    with pytest.raises(RuntimeError):
        e.view(-1, 0)


def test_view_dtype():
    x = dpt.tensor([1.0, -2.0], dtype=dpt.float32)
    assert_close(x.view(dpt.int32), np.array([1.0, -2.0], np.float32).view(np.int32))
    b = x.view(dpt.uint8)
    assert b.shape == (8,) and b.dtype is dpt.uint8
    assert x.view(dpt.uint8).view(dpt.float32).shape == (2,)
    h = dpt.ones(2, 4, dtype=dpt.float16).view(dpt.float64)
    assert h.shape == (2, 1)
    with pytest.raises(RuntimeError, match="self.size\\(-1\\) must be divisible by 4"):
        dpt.ones(3, dtype=dpt.uint8).view(dpt.float32)
    with pytest.raises(RuntimeError, match="stride\\(-1\\) must be 1"):
        dpt.ones(2, 2).t().view(dpt.float64)


def test_view_gradients():
    check_gradients(lambda t: t.view(4, 6), A)
    check_gradients(lambda t: t.reshape(-1, 2) * 2, A, gradgrad=True)
    check_gradients(lambda t: t.view_as(dpt.empty(6, 4)), A)
    check_gradients(lambda t: t.reshape_as(dpt.empty(4, 6)), A)


# =======================================================================================
# flatten / unflatten / ravel / squeeze / unsqueeze
# =======================================================================================
@pytest.mark.parametrize("s,e,shape", [(0, -1, (24,)), (1, 2, (2, 12)), (-2, -1, (2, 12)),
                                       (0, 1, (6, 4)), (1, 1, (2, 3, 4))])
def test_flatten(s, e, shape):
    check_op(lambda t: t.flatten(s, e), lambda a: a.reshape(shape), A)


def test_flatten_ravel_edges():
    assert dpt.tensor(2.0).flatten().shape == (1,)
    assert dpt.ones(0, 3).flatten().shape == (0,)
    with pytest.raises(RuntimeError, match="start_dim cannot come after end_dim"):
        dpt.ones(2, 3).flatten(1, 0)
    with pytest.raises(IndexError, match="Dimension out of range"):
        dpt.ones(2, 3).flatten(0, 2)
    check_op(lambda t: t.ravel(), np.ravel, A)
    check_op(dpt.ravel, np.ravel, A)


def test_unflatten():
    check_op(lambda t: t.unflatten(-1, (2, -1)), lambda a: a.reshape(2, 3, 2, 2), A)
    check_op(lambda t: dpt.unflatten(t, 0, (1, 2)), lambda a: a.reshape(1, 2, 3, 4), A)
    with pytest.raises(RuntimeError, match=r"Provided sizes \[3, 3\] don't multiply up to the size "
                                           r"of dim 1 \(3\)"):
        dpt.ones(2, 3).unflatten(1, (3, 3))


def test_squeeze_unsqueeze():
    a = randn(2, 1, 3, 1)
    check_op(lambda t: t.squeeze(), np.squeeze, a)
    check_op(lambda t: t.squeeze(1), lambda x: x.squeeze(1), a)
    check_op(lambda t: t.squeeze(-1), lambda x: x.squeeze(-1), a)
    check_op(lambda t: t.squeeze((1, 3)), lambda x: x.squeeze((1, 3)), a)
    check_op(lambda t: t.squeeze(0), lambda x: x, a)  # a non-1 dim is left alone
    check_op(lambda t: t.unsqueeze(-1), lambda x: x[..., None], a)
    check_op(lambda t: t.unsqueeze(0), lambda x: x[None], a)
    check_op(lambda t: t.unsqueeze(2), lambda x: np.expand_dims(x, 2), a)
    s = dpt.tensor(1.0)
    assert s.squeeze().shape == () and s.squeeze(0).shape == () and s.squeeze(-1).shape == ()
    assert s.unsqueeze(0).shape == (1,) and s.unsqueeze(-1).shape == (1,)
    with pytest.raises(IndexError, match="Dimension out of range"):
        dpt.ones(2).squeeze(2)
    with pytest.raises(IndexError, match=r"expected to be in range of \[-3, 2\], but got 3"):
        dpt.ones(2, 3).unsqueeze(3)


def test_squeeze_unsqueeze_inplace():
    x = dpt.ones(2, 1, 3)
    assert x.squeeze_().shape == (2, 3) and x.unsqueeze_(0).shape == (1, 2, 3)
    assert x.transpose_(0, 2).shape == (3, 2, 1)
    assert dpt.ones(2, 3).t_().shape == (3, 2)


# =======================================================================================
# permutations
# =======================================================================================
def test_permute_transpose_t_movedim(device):
    check_op(lambda t: t.permute(2, 0, 1), lambda a: a.transpose(2, 0, 1), A, device=device)
    check_op(lambda t: t.permute((-1, 0, 1)), lambda a: a.transpose(2, 0, 1), A, device=device)
    check_op(lambda t: t.transpose(0, -1), lambda a: a.swapaxes(0, 2), A, device=device)
    check_op(lambda t: dpt.swapaxes(t, 1, 2), lambda a: a.swapaxes(1, 2), A, device=device)
    check_op(lambda t: dpt.swapdims(t, 0, 1), lambda a: a.swapaxes(0, 1), A, device=device)
    check_op(lambda t: t.t(), lambda a: a.T, randn(2, 3), device=device)
    check_op(lambda t: t.t(), lambda a: a, randn(3), device=device)
    check_op(lambda t: t.T, lambda a: a.T, A, device=device)
    check_op(lambda t: t.movedim(0, -1), lambda a: np.moveaxis(a, 0, -1), A, device=device)
    check_op(lambda t: dpt.moveaxis(t, (0, 2), (2, 0)), lambda a: np.moveaxis(a, (0, 2), (2, 0)), A)
    check_op(lambda t: t.movedim((1, 0), (0, 2)), lambda a: np.moveaxis(a, (1, 0), (0, 2)), A)
    s = dpt.tensor(1.0)
    assert s.t().shape == () and s.permute().shape == () and s.transpose(0, -1).shape == ()
    assert s.movedim(0, 0).shape == ()


def test_permutation_errors():
    x = dpt.ones(2, 3, 4)
    with pytest.raises(RuntimeError, match="number of dimensions in the tensor input does not match"):
        x.permute(0, 1)
    with pytest.raises(RuntimeError, match="duplicate dims are not allowed"):
        x.permute(0, 1, 1)
    with pytest.raises(RuntimeError, match="t\\(\\) expects a tensor with <= 2 dimensions, but self is 3D"):
        x.t()
    with pytest.raises(IndexError, match="Dimension out of range"):
        x.transpose(0, 3)
    with pytest.raises(RuntimeError, match="movedim: Invalid source or destination dims"):
        x.movedim((0, 1), (0,))
    with pytest.raises(RuntimeError, match="movedim: repeated dim in `source`"):
        x.movedim((0, 0), (1, 2))


# =======================================================================================
# expand / broadcast
# =======================================================================================
def test_expand(device):
    a = randn(3, 1)
    check_op(lambda t: t.expand(2, 3, 4), lambda x: np.broadcast_to(x, (2, 3, 4)), a, device=device)
    check_op(lambda t: t.expand(-1, 5), lambda x: np.broadcast_to(x, (3, 5)), a, device=device)
    check_op(lambda t: t.expand_as(dpt.empty(2, 3, 2)), lambda x: np.broadcast_to(x, (2, 3, 2)), a)
    check_op(lambda t: dpt.broadcast_to(t, (4, 3, 3)), lambda x: np.broadcast_to(x, (4, 3, 3)), a)
    check_op(lambda t: t.expand(0, 3, 1), lambda x: np.broadcast_to(x, (0, 3, 1)), a)
    assert dpt.tensor(2.0).expand(3).tolist() == [2.0, 2.0, 2.0]
    with pytest.raises(RuntimeError, match=r"The expanded size of the tensor \(4\) must match the "
                                           r"existing size \(3\) at non-singleton dimension 0"):
        dpt.ones(3, 1).expand(4, 2)
    with pytest.raises(RuntimeError, match="must be greater or equal to the number of dimensions"):
        dpt.ones(3, 1).expand(3)
    with pytest.raises(RuntimeError, match="isn't allowed in a leading, non-existing dimension 0"):
        dpt.ones(3).expand(-1, 3)


def test_broadcast_shapes_and_tensors():
    assert dpt.broadcast_shapes((2, 1), (3,), 1) == dpt.Size([2, 3])
    assert dpt.broadcast_shapes() == dpt.Size([])
    assert dpt.broadcast_shapes((0, 1), (4,)) == (0, 4)
    with pytest.raises(RuntimeError, match="shape mismatch: objects cannot be broadcast to a single "
                                           "shape.  Mismatch is between arg 0 and arg 1."):
        dpt.broadcast_shapes((2,), (3,))
    a, b = dpt.broadcast_tensors(dpt.ones(2, 1), dpt.zeros(3))
    assert a.shape == b.shape == (2, 3)
    with pytest.raises(RuntimeError, match=r"The size of tensor a \(2\) must match the size of tensor "
                                           r"b \(3\) at non-singleton dimension 0"):
        dpt.broadcast_tensors(dpt.ones(2), dpt.ones(3))
    check_gradients(lambda x, y: dpt.broadcast_tensors(x, y), randn(2, 1), randn(3, seed=1))


# =======================================================================================
# narrow / unbind / split / chunk / tensor_split
# =======================================================================================
def test_narrow(device):
    check_op(lambda t: t.narrow(2, 1, 2), lambda a: a[:, :, 1:3], A, device=device)
    check_op(lambda t: t.narrow(-2, -2, 2), lambda a: a[:, 1:3], A, device=device)
    check_op(lambda t: dpt.narrow(t, 0, dpt.tensor(1), 1), lambda a: a[1:2], A)
    check_op(lambda t: t.narrow(0, 2, 0), lambda a: a[2:2], A)
    with pytest.raises(RuntimeError, match=r"start \(2\) \+ length \(2\) exceeds dimension size \(3\)"):
        dpt.ones(3).narrow(0, 2, 2)
    with pytest.raises(IndexError, match=r"start out of range \(expected to be in range of \[-3, 3\], "
                                         r"but got 4\)"):
        dpt.ones(3).narrow(0, 4, 0)
    with pytest.raises(RuntimeError, match="narrow\\(\\) cannot be applied to a 0-dim tensor"):
        dpt.tensor(1.0).narrow(0, 0, 1)


def test_unbind():
    out = dpt.tensor(A).unbind(1)
    assert len(out) == 3
    for i, o in enumerate(out):
        assert_close(o, A[:, i])
    assert dpt.unbind(dpt.ones(0, 2)) == ()
    check_gradients(lambda t: t.unbind(-1), randn(2, 3))
    check_gradients(lambda t: t.unbind(0)[1] * 2, randn(2, 3), gradgrad=True)  # unused outputs
    with pytest.raises(IndexError):
        dpt.tensor(1.0).unbind()


def _np_split(a, bounds, axis):
    return [np.take(a, range(*b), axis=axis) for b in bounds]


@pytest.mark.parametrize("arg,dim,bounds", [(2, 2, [(0, 2), (2, 4)]), (3, 2, [(0, 3), (3, 4)]),
                                            (5, -1, [(0, 4)]), ([1, 2], 1, [(0, 1), (1, 3)]),
                                            ([0, 4, 0], 2, [(0, 0), (0, 4), (4, 4)])])
def test_split(arg, dim, bounds, device):
    out = dpt.tensor(A, device=device).split(arg, dim)
    exp = _np_split(A, bounds, dim)
    assert len(out) == len(exp)
    for o, e in zip(out, exp):
        assert_close(o, e)
    check_gradients(lambda t: dpt.split(t, arg, dim), A)


def test_split_errors_and_empty():
    x = dpt.ones(3, 2)
    with pytest.raises(RuntimeError, match=r"split_with_sizes expects split_sizes to sum exactly to "
                                           r"3 \(input tensor's size at dimension 0\), but got "
                                           r"split_sizes=\[1, 1\]"):
        x.split([1, 1])
    with pytest.raises(RuntimeError, match="split_size can only be 0 if dimension size is 0"):
        x.split(0)
    with pytest.raises(RuntimeError, match="split expects split_size be non-negative"):
        x.split(-1)
    assert [t.shape for t in dpt.ones(0, 2).split(2)] == [(0, 2)]


@pytest.mark.parametrize("n,chunks", [(6, 3), (5, 2), (4, 3), (2, 5), (1, 1)])
def test_chunk(n, chunks):
    a = np.arange(float(n))
    out = dpt.tensor(a).chunk(chunks)
    size = -(-n // chunks)
    exp = [a[i:i + size] for i in range(0, n, size)]
    assert len(out) == len(exp)
    for o, e in zip(out, exp):
        assert_close(o, e)
    with pytest.raises(RuntimeError, match="chunk expects `chunks` to be greater than 0, got: 0"):
        dpt.ones(2).chunk(0)


@pytest.mark.parametrize("ios", [3, 5, 1, [1, 3], [2], [3, 1], [-1], [0, 10]])
def test_tensor_split_against_numpy(ios):
    a = randn(4, 2)
    out = dpt.tensor(a).tensor_split(ios)
    exp = np.array_split(a, ios)
    assert len(out) == len(exp)
    for o, e in zip(out, exp):
        assert_close(o, e)
    check_gradients(lambda t: t.tensor_split(ios), a)


def test_tensor_split_tensor_arg_and_hvd_split():
    a = randn(2, 4, 6)
    out = dpt.tensor(a).tensor_split(dpt.tensor([1, 3]), dim=1)
    for o, e in zip(out, np.array_split(a, [1, 3], axis=1)):
        assert_close(o, e)
    for fn, nfn in ((dpt.hsplit, np.hsplit), (dpt.vsplit, np.vsplit), (dpt.dsplit, np.dsplit)):
        for o, e in zip(fn(dpt.tensor(a), 2), nfn(a, 2)):
            assert_close(o, e)
    with pytest.raises(RuntimeError, match="number of sections must be larger than 0, got 0"):
        dpt.ones(3).tensor_split(0)
    with pytest.raises(RuntimeError, match="is not divisible by the split_size 4"):
        dpt.hsplit(dpt.ones(2, 6), 4)


# =======================================================================================
# diagonal / as_strided / unfold
# =======================================================================================
@pytest.mark.parametrize("offset,d1,d2", [(0, 0, 1), (1, 0, 1), (-1, 0, 1), (2, 1, 2), (-2, -1, 0),
                                          (5, 0, 1)])
def test_diagonal(offset, d1, d2, device):
    check_op(lambda t: t.diagonal(offset, d1, d2), lambda a: np.diagonal(a, offset, d1, d2), A,
             device=device)
    check_gradients(lambda t: dpt.diagonal(t, offset, d1, d2) * 3, A, gradgrad=True)


def test_diagonal_errors():
    with pytest.raises(RuntimeError, match="diagonal dimensions cannot be identical 1, -1"):
        dpt.ones(2, 3).diagonal(0, 1, -1)
    with pytest.raises(IndexError):
        dpt.ones(3).diagonal()


def test_as_strided():
    a = np.arange(12.0)
    t = dpt.tensor(a)
    st = np.lib.stride_tricks.as_strided
    assert_close(t.as_strided((3, 3), (3, 1)), st(a, (3, 3), (24, 8)))
    assert_close(t.as_strided((2, 2), (1, 2), 3), st(a[3:], (2, 2), (8, 16)))
    assert_close(t[2:].as_strided((2,), (1,)), a[2:4])       # offset defaults to the view's own
    assert_close(t.as_strided((3, 2), (0, 1)), st(a, (3, 2), (0, 8)))
    check_gradients(lambda x: x.as_strided((2, 2), (1, 2), 1), randn(6))
    check_gradients(lambda x: x.as_strided((3, 2), (1, 1)) ** 2, randn(5))  # overlapping windows
    check_gradients(lambda x: x[:, 1:].as_strided((2, 2), (3, 1)), randn(2, 3))
    with pytest.raises(RuntimeError, match="out of bounds for storage of size"):
        t.as_strided((4, 4), (4, 1))
    with pytest.raises(RuntimeError, match="Negative strides are not supported"):
        t.as_strided((2,), (-1,))


@pytest.mark.parametrize("dim,size,step", [(0, 2, 1), (2, 2, 2), (-1, 3, 1), (1, 1, 2), (2, 4, 1),
                                           (1, 0, 1)])
def test_unfold(dim, size, step, device):
    def ref(a):
        w = np.lib.stride_tricks.sliding_window_view(a, size, axis=dim)
        return np.take(w, range(0, w.shape[dim], step), axis=dim)
    check_op(lambda t: t.unfold(dim, size, step), ref, A, device=device)


def test_unfold_overlap_gradient_and_errors():
    check_gradients(lambda t: t.unfold(1, 3, 1) ** 2, randn(2, 5), gradgrad=True)
    assert dpt.tensor(5.0).unfold(0, 1, 1).tolist() == [5.0]
    with pytest.raises(RuntimeError, match="maximum size for tensor at dimension 0 is 3 but size is 4"):
        dpt.ones(3).unfold(0, 4, 1)
    with pytest.raises(RuntimeError, match="step is 0 but must be > 0"):
        dpt.ones(3).unfold(0, 1, 0)


# =======================================================================================
# copies: repeat, tile, flip, roll
# =======================================================================================
@pytest.mark.parametrize("reps", [(1, 1, 1), (2, 1, 3), (2, 2, 1, 1), (0, 1, 2)])
def test_repeat(reps, device):
    check_op(lambda t: t.repeat(*reps), lambda a: np.tile(a, reps), A, device=device)
    check_op(lambda t: t.repeat(reps), lambda a: np.tile(a, reps), A, grad=False)


def test_repeat_tile_edges():
    check_op(lambda t: t.repeat(3), lambda a: np.tile(a, 3), np.array(2.0))
    check_op(lambda t: t.tile((2,)), lambda a: np.tile(a, 2), A)
    check_op(lambda t: dpt.tile(t, (2, 1, 1, 2)), lambda a: np.tile(a, (2, 1, 1, 2)), A)
    assert not np.shares_memory(dpt.ones(2).repeat(1)._data, dpt.ones(2)._data)
    with pytest.raises(RuntimeError, match="Number of dimensions of repeat dims can not be smaller "
                                           "than number of dimensions of tensor"):
        dpt.ones(2, 2).repeat(2)
    check_gradients(lambda t: t.repeat(2, 3) ** 2, randn(2, 2), gradgrad=True)


def test_flip_roll(device):
    check_op(lambda t: t.flip(0), lambda a: np.flip(a, 0), A, device=device)
    check_op(lambda t: t.flip((0, -1)), lambda a: np.flip(a, (0, 2)), A, device=device)
    check_op(lambda t: dpt.fliplr(t), np.fliplr, A)
    check_op(lambda t: dpt.flipud(t), np.flipud, A)
    check_op(lambda t: t.roll(1), lambda a: np.roll(a, 1), A, device=device)
    check_op(lambda t: t.roll(-2, 2), lambda a: np.roll(a, -2, 2), A)
    check_op(lambda t: t.roll((1, 5), (0, -1)), lambda a: np.roll(a, (1, 5), (0, 2)), A)
    flipped = dpt.tensor(A).flip(0)
    assert not np.shares_memory(flipped._data, A)
    assert dpt.tensor(1.0).flip(()).item() == 1.0 and dpt.tensor(1.0).roll(3).item() == 1.0
    with pytest.raises(RuntimeError, match="dim 0 appears multiple times in the list of dims"):
        dpt.ones(2).flip((0, 0))
    with pytest.raises(RuntimeError, match="Input must be >= 2-d."):
        dpt.ones(2).fliplr()
    with pytest.raises(RuntimeError, match="shifts and dimensions must align. shifts: 2, dims:1"):
        dpt.ones(2, 2).roll((1, 1), 0)


# =======================================================================================
# joining
# =======================================================================================
def test_cat(device):
    a, b = randn(2, 3), randn(2, 1, seed=1)
    check_op(lambda x, y: dpt.cat([x, y], 1), lambda x, y: np.concatenate([x, y], 1), a, b, device=device)
    check_op(lambda x, y: dpt.cat((x, x, y), -1), lambda x, y: np.concatenate([x, x, y], -1), a, b)
    check_op(lambda x: dpt.concat([x, x]), lambda x: np.concatenate([x, x]), a)
    check_op(lambda x: dpt.concatenate([x], 0), lambda x: x, a)


def test_cat_promotion_and_empty_rule():
    r = dpt.cat([dpt.tensor([1, 2]), dpt.tensor([0.5], dtype=dpt.float64)])
    assert r.dtype is dpt.float64 and r.tolist() == [1.0, 2.0, 0.5]
    r = dpt.cat([dpt.tensor([True]), dpt.tensor([3], dtype=dpt.int32)])
    assert r.dtype is dpt.int32
    r = dpt.cat([dpt.ones(2, 3), dpt.empty(0), dpt.zeros(1, 3)])  # legacy: [0]-shaped is skipped
    assert r.shape == (3, 3)
    assert dpt.cat([dpt.empty(0), dpt.empty(0)]).shape == (0,)
    assert dpt.cat([dpt.ones(0, 3), dpt.ones(2, 3)]).shape == (2, 3)
    x = leaf(randn(2, 2))
    dpt.cat([x, dpt.ones(1, 2, dtype=dpt.float64)]).sum().backward()
    assert_close(x.grad, np.ones((2, 2)))


def test_cat_errors():
    with pytest.raises(RuntimeError, match=r"Sizes of tensors must match except in dimension 1. "
                                           r"Expected size 2 but got size 3 for tensor number 1 in "
                                           r"the list."):
        dpt.cat([dpt.ones(2, 2), dpt.ones(3, 2)], 1)
    with pytest.raises(RuntimeError, match="Tensors must have same number of dimensions: got 2 and 1"):
        dpt.cat([dpt.ones(2, 2), dpt.ones(2)])
    with pytest.raises(ValueError, match="expected a non-empty list of Tensors"):
        dpt.cat([])
    with pytest.raises(RuntimeError, match=r"zero-dimensional tensor \(at position 0\) cannot be "
                                           r"concatenated"):
        dpt.cat([dpt.tensor(1.0)])
    with pytest.raises(IndexError, match="Dimension out of range"):
        dpt.cat([dpt.ones(2)], 1)
    with pytest.raises(TypeError):
        dpt.cat(dpt.ones(2))


def test_stack_and_friends(device):
    a, b = randn(2, 3), randn(2, 3, seed=1)
    check_op(lambda x, y: dpt.stack([x, y]), lambda x, y: np.stack([x, y]), a, b, device=device)
    check_op(lambda x, y: dpt.stack([x, y], -1), lambda x, y: np.stack([x, y], -1), a, b)
    check_op(lambda x, y: dpt.hstack([x, y]), lambda x, y: np.hstack([x, y]), a, b)
    check_op(lambda x, y: dpt.vstack([x, y]), lambda x, y: np.vstack([x, y]), a, b)
    check_op(lambda x, y: dpt.row_stack([x, y]), lambda x, y: np.vstack([x, y]), a, b)
    check_op(lambda x, y: dpt.dstack([x, y]), lambda x, y: np.dstack([x, y]), a, b)
    check_op(lambda x, y: dpt.column_stack([x, y]), lambda x, y: np.column_stack([x, y]), a, b)
    v, w = randn(3), randn(3, seed=2)
    for fn, nfn in ((dpt.hstack, np.hstack), (dpt.vstack, np.vstack), (dpt.dstack, np.dstack),
                    (dpt.column_stack, np.column_stack)):
        check_op(lambda x, y: fn([x, y]), lambda x, y: nfn([x, y]), v, w)
    assert_close(dpt.stack([dpt.tensor(1.0), dpt.tensor(2.0)]), np.array([1.0, 2.0]))
    assert dpt.atleast_1d(dpt.tensor(1.0)).shape == (1,)
    assert [t.shape for t in dpt.atleast_2d(dpt.tensor(1.0), dpt.ones(3))] == [(1, 1), (1, 3)]
    assert [t.shape for t in dpt.atleast_3d((dpt.ones(3), dpt.ones(2, 3)))] == [(1, 3, 1), (2, 3, 1)]
    with pytest.raises(RuntimeError, match=r"stack expects each tensor to be equal size, but got "
                                           r"\[2, 3\] at entry 0 and \[3\] at entry 1"):
        dpt.stack([dpt.ones(2, 3), dpt.ones(3)])
    with pytest.raises(RuntimeError, match="stack expects a non-empty TensorList"):
        dpt.stack([])


# =======================================================================================
# tril / triu / resize_
# =======================================================================================
@pytest.mark.parametrize("k", [0, 1, -1, 5, -5])
def test_tril_triu(k, device):
    a = randn(2, 3, 4)
    check_op(lambda t: t.tril(k), lambda x: np.tril(x, k), a, device=device)
    check_op(lambda t: dpt.triu(t, diagonal=k), lambda x: np.triu(x, k), a, device=device)
    x = dpt.tensor(randn(3, 3))
    ref = np.triu(x.numpy(), k)
    assert x.triu_(k) is x
    assert_close(x, ref)
    assert dpt.ones(2, 2, dtype=dpt.int64).tril().dtype is dpt.int64
    with pytest.raises(RuntimeError, match="tril: input tensor must have at least 2 dimensions"):
        dpt.ones(3).tril()


def test_resize_():
    x = dpt.arange(6.0)
    assert x.resize_(2, 2) is x and x.shape == (2, 2)
    assert_close(x, [[0.0, 1.0], [2.0, 3.0]])
    x.resize_(3, 3)
    assert_close(x.reshape(-1)[:4], [0.0, 1.0, 2.0, 3.0])
    y = dpt.arange(6.0).reshape(2, 3).t()
    y.resize_((6,))
    assert y.is_contiguous() and y.shape == (6,)
    with pytest.raises(RuntimeError, match="cannot resize variables that require grad"):
        dpt.ones(2, requires_grad=True).resize_(3)


# =======================================================================================
# gradients of views through a non-contiguous, empty or 0-d input
# =======================================================================================
@pytest.mark.parametrize("name", sorted(set(VIEWS) - {"view_dtype"}))
def test_view_gradchecks(name):
    check_gradients(VIEWS[name], A)


def test_empty_inputs():
    e = dpt.ones(0, 3)
    assert e.t().shape == (3, 0) and e.permute(1, 0).shape == (3, 0)
    assert e.flip(0).shape == (0, 3) and e.roll(1, 1).shape == (0, 3)
    assert e.repeat(2, 2).shape == (0, 6) and e.unfold(1, 2, 1).shape == (0, 2, 2)
    assert e.diagonal().shape == (0,) and e.tril().shape == (0, 3)
    assert dpt.stack([e, e]).shape == (2, 0, 3)


def test_select_is_a_view():
    x = dpt.arange(12.0).reshape(3, 4)
    s = dpt.select(x, 1, -1)
    assert s.tolist() == [3.0, 7.0, 11.0] and s._base is not None
    s[0] = 100.0
    assert x[0, 3].item() == 100.0
    assert x.select(0, 2).tolist() == [8.0, 9.0, 10.0, 11.0]
    check_gradients(lambda t: dpt.select(t, 0, 1) * 2, randn(3, 2))
    with pytest.raises(IndexError, match="out of range"):
        dpt.select(x, 0, 3)
    with pytest.raises(IndexError, match="0-dim"):
        dpt.select(dpt.tensor(1.0), 0, 0)
