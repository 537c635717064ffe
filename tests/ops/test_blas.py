"""Matrix products and diagonals against numpy, float64 gradchecks and torch's error messages."""
import numpy as np
import pytest

import dpt
from tests.helpers import assert_close, check_gradients, check_op, leaf, randn


# ---- matmul family ------------------------------------------------------------------------
@pytest.mark.parametrize("sa,sb", [((3, 4), (4, 5)), ((4,), (4, 5)), ((3, 4), (4,)), ((4,), (4,)),
                                   ((2, 3, 4), (4, 5)), ((4,), (2, 4, 3)), ((2, 1, 3, 4), (5, 4, 2)),
                                   ((0, 3), (3, 2)), ((2, 0), (0, 3))])
def test_matmul_against_numpy(sa, sb, device):
    check_op(dpt.matmul, np.matmul, randn(*sa, seed=1), randn(*sb, seed=2), device=device)


def test_matmul_operator_and_method():
    a, b = randn(2, 3), randn(3, 2, seed=1)
    ta, tb = dpt.tensor(a), dpt.tensor(b)
    assert_close(ta @ tb, a @ b)
    assert_close(ta.matmul(tb), a @ b)
    assert_close(ta.mm(tb), a @ b)


def test_matmul_second_derivative():
    check_gradients(dpt.matmul, randn(2, 3), randn(3, 2, seed=1), gradgrad=True)
    check_gradients(dpt.matmul, randn(3), randn(2, 3, 2, seed=1), gradgrad=True)


def test_matmul_errors():
    with pytest.raises(RuntimeError, match=r"mat1 and mat2 shapes cannot be multiplied \(3x4 and 5x2\)"):
        dpt.ones(3, 4) @ dpt.ones(5, 2)
    with pytest.raises(RuntimeError, match=r"size mismatch, got input \(3\), mat \(3x4\), vec \(5\)"):
        dpt.ones(3, 4) @ dpt.ones(5)
    with pytest.raises(RuntimeError, match=r"inconsistent tensor size, expected tensor \[3\] and src \[4\]"):
        dpt.ones(3) @ dpt.ones(4)
    with pytest.raises(RuntimeError, match="both arguments to matmul need to be at least 1D, but they "
                                           "are 2D and 0D"):
        dpt.matmul(dpt.ones(2, 2), dpt.tensor(1.0))
    with pytest.raises(RuntimeError, match=r"Expected size for first two dimensions of batch2 tensor "
                                           r"to be: \[2, 4\] but got: \[2, 3\]"):
        dpt.ones(2, 3, 4) @ dpt.ones(2, 3, 5)
    with pytest.raises(RuntimeError, match=r"The size of tensor a \(2\) must match the size of tensor b "
                                           r"\(3\) at non-singleton dimension 0"):
        dpt.ones(2, 3, 4) @ dpt.ones(3, 4, 5)
    with pytest.raises(RuntimeError, match="expected m1 and m2 to have the same dtype, but got: "
                                           "float != double"):
        dpt.ones(2, 2) @ dpt.ones(2, 2, dtype=dpt.float64)
    with pytest.raises(TypeError, match="must be Tensor, not int"):
        dpt.matmul(dpt.ones(2), 3)


def test_integer_matmul_keeps_dtype():
    a = dpt.tensor([[1, 2], [3, 4]])
    out = a @ a
    assert out.dtype == dpt.int64
    assert out.tolist() == [[7, 10], [15, 22]]
    assert not out.requires_grad


def test_mm(device):
    check_op(dpt.mm, np.matmul, randn(3, 4), randn(4, 2, seed=1), device=device)
    with pytest.raises(RuntimeError, match=r"mat1 and mat2 shapes cannot be multiplied \(2x3 and 4x5\)"):
        dpt.mm(dpt.ones(2, 3), dpt.ones(4, 5))
    with pytest.raises(RuntimeError, match="self must be a matrix"):
        dpt.mm(dpt.ones(3), dpt.ones(3, 2))
    with pytest.raises(RuntimeError, match="mat2 must be a matrix"):
        dpt.mm(dpt.ones(2, 3), dpt.ones(2, 3, 2))


def test_bmm(device):
    check_op(dpt.bmm, np.matmul, randn(2, 3, 4), randn(2, 4, 2, seed=1), device=device)
    with pytest.raises(RuntimeError, match="batch1 must be a 3D tensor"):
        dpt.bmm(dpt.ones(3, 4), dpt.ones(2, 4, 2))
    with pytest.raises(RuntimeError, match="batch2 must be a 3D tensor"):
        dpt.bmm(dpt.ones(2, 3, 4), dpt.ones(4, 2))
    with pytest.raises(RuntimeError, match=r"batch2 tensor to be: \[2, 4\] but got: \[3, 4\]"):
        dpt.bmm(dpt.ones(2, 3, 4), dpt.ones(3, 4, 2))


def test_mv_dot_vdot_inner_outer():
    check_op(dpt.mv, np.matmul, randn(3, 4), randn(4, seed=1))
    check_op(dpt.dot, np.dot, randn(4), randn(4, seed=1))
    check_op(dpt.vdot, np.vdot, randn(4), randn(4, seed=1))
    check_op(dpt.inner, np.inner, randn(2, 3), randn(4, 3, seed=1))
    check_op(dpt.inner, np.inner, randn(3), randn(2, 2, 3, seed=1))
    check_op(dpt.outer, np.outer, randn(3), randn(4, seed=1))
    assert_close(dpt.ger(dpt.tensor([1.0, 2.0]), dpt.tensor([3.0])), [[3.0], [6.0]])
    # a 0-d operand of inner just multiplies
    assert_close(dpt.inner(dpt.tensor(2.0), dpt.tensor([1.0, 3.0])), [2.0, 6.0])


def test_vdot_conjugates_first_argument():
    a = np.array([1 + 2j, 3 - 1j])
    b = np.array([2 - 1j, 1 + 1j])
    assert_close(dpt.vdot(dpt.tensor(a), dpt.tensor(b)), np.vdot(a, b))
    assert_close(dpt.dot(dpt.tensor(a), dpt.tensor(b)), np.dot(a, b))


def test_vector_errors():
    with pytest.raises(RuntimeError, match="1D tensors expected, but got 2D and 1D tensors"):
        dpt.dot(dpt.ones(2, 2), dpt.ones(2))
    with pytest.raises(RuntimeError, match="inconsistent tensor size, expected tensor \\[3\\] and "
                                           "src \\[2\\]"):
        dpt.vdot(dpt.ones(3), dpt.ones(2))
    with pytest.raises(RuntimeError, match="dot : expected both vectors to have same dtype, but "
                                           "found Long and Float"):
        dpt.dot(dpt.tensor([1, 2]), dpt.tensor([1.0, 2.0]))
    with pytest.raises(RuntimeError, match=r"vector \+ matrix @ vector expected, got 1, 2, 2"):
        dpt.mv(dpt.ones(2, 2), dpt.ones(2, 2))
    with pytest.raises(RuntimeError, match=r"size mismatch, got input \(2\), mat \(2x3\), vec \(2\)"):
        dpt.mv(dpt.ones(2, 3), dpt.ones(2))
    with pytest.raises(RuntimeError, match=r"inner\(\) the last dimension must match on both input "
                                           r"tensors but got shapes \[2, 3\] and \[2, 4\]"):
        dpt.inner(dpt.ones(2, 3), dpt.ones(2, 4))


def test_dot_of_integer_vectors():
    assert dpt.dot(dpt.tensor([2, 3]), dpt.tensor([3, 4])).item() == 18


# ---- addmm & co -----------------------------------------------------------------------------
def test_addmm(device):
    check_op(lambda i, a, b: dpt.addmm(i, a, b), lambda i, a, b: i + a @ b,
             randn(3, 2), randn(3, 4, seed=1), randn(4, 2, seed=2), device=device)
    check_op(lambda i, a, b: dpt.addmm(i, a, b, beta=0.5, alpha=-2.0),
             lambda i, a, b: 0.5 * i + -2.0 * (a @ b),
             randn(2), randn(3, 4, seed=1), randn(4, 2, seed=2), device=device)
    check_gradients(lambda i, a, b: dpt.addmm(i, a, b, beta=2, alpha=3),
                    randn(1, 2), randn(3, 4, seed=1), randn(4, 2, seed=2), gradgrad=True)


def test_addmm_beta_zero_ignores_nan_input():
    inp = dpt.full((2, 2), float("nan"))
    a = dpt.ones(2, 3)
    out = dpt.addmm(inp, a, dpt.ones(3, 2), beta=0)
    assert_close(out, np.full((2, 2), 3.0))


def test_addmm_method_and_integer_scalars():
    i = dpt.tensor([[1, 1]])
    a = dpt.tensor([[1, 2], [3, 4]])
    assert i.addmm(a, a, beta=2, alpha=3).tolist() == [[23, 32], [47, 68]]
    with pytest.raises(RuntimeError, match="argument alpha must not be a floating point number"):
        dpt.addmm(i, a, a, alpha=0.5)


def test_addmm_errors():
    with pytest.raises(RuntimeError, match=r"mat1 and mat2 shapes cannot be multiplied \(5x9 and 7x5\)"):
        dpt.addmm(dpt.ones(5, 5), dpt.ones(5, 9), dpt.ones(7, 5))
    with pytest.raises(RuntimeError, match="mat1 must be a matrix, got 3-D tensor"):
        dpt.addmm(dpt.ones(2, 2), dpt.ones(1, 2, 2), dpt.ones(2, 2))
    with pytest.raises(RuntimeError, match=r"The expanded size of the tensor \(9\) must match the "
                                           r"existing size \(5\) at non-singleton dimension 1.  "
                                           r"Target sizes: \[7, 9\].  Tensor sizes: \[8, 5\]"):
        dpt.addmm(dpt.ones(8, 5), dpt.ones(7, 3), dpt.ones(3, 9))
    with pytest.raises(RuntimeError, match="self and mat2 must have the same dtype, but got Double "
                                           "and Float"):
        dpt.addmm(dpt.ones(2, 2, dtype=dpt.float64), dpt.ones(2, 2), dpt.ones(2, 2))


def test_addmv():
    check_op(lambda i, m, v: dpt.addmv(i, m, v, beta=0.5, alpha=2.0),
             lambda i, m, v: 0.5 * i + 2.0 * (m @ v), randn(3), randn(3, 4, seed=1), randn(4, seed=2))
    check_op(dpt.addmv, lambda i, m, v: i + m @ v, randn(1), randn(3, 4, seed=1), randn(4, seed=2))
    with pytest.raises(RuntimeError, match=r"size mismatch, got input \(4\), mat \(4x7\), vec \(3\)"):
        dpt.addmv(dpt.ones(4), dpt.ones(4, 7), dpt.ones(3))
    with pytest.raises(RuntimeError, match=r"vector \+ matrix @ vector expected, got 1, 1, 1"):
        dpt.addmv(dpt.ones(2), dpt.ones(2), dpt.ones(2))


def test_addbmm_and_baddbmm():
    i, b1, b2 = randn(3, 2), randn(4, 3, 5, seed=1), randn(4, 5, 2, seed=2)
    check_op(lambda i, x, y: dpt.addbmm(i, x, y, beta=0.5, alpha=2.0),
             lambda i, x, y: 0.5 * i + 2.0 * (x @ y).sum(0), i, b1, b2)
    check_op(lambda i, x, y: dpt.baddbmm(i, x, y, beta=-1.0, alpha=0.5),
             lambda i, x, y: -i + 0.5 * (x @ y), i, b1, b2)
    check_gradients(lambda i, x, y: dpt.baddbmm(i, x, y), randn(2), randn(2, 2, 3, seed=1),
                    randn(2, 3, 2, seed=2), gradgrad=True)
    with pytest.raises(RuntimeError, match="batch1 and batch2 must have same number of batches, "
                                           "got 9 and 8"):
        dpt.addbmm(dpt.ones(2, 2), dpt.ones(9, 2, 3), dpt.ones(8, 3, 2))
    with pytest.raises(RuntimeError, match=r"Incompatible matrix sizes for bmm \(6x8 and 5x2\)"):
        dpt.baddbmm(dpt.ones(6, 2), dpt.ones(3, 6, 8), dpt.ones(3, 5, 2))
    with pytest.raises(RuntimeError, match="batch2 must be a 3D tensor"):
        dpt.addbmm(dpt.ones(2, 2), dpt.ones(1, 2, 2), dpt.ones(2, 2))


@pytest.mark.filterwarnings("ignore:dpt.chain_matmul is deprecated")
def test_chain_matmul():
    mats = [randn(2, 3), randn(3, 4, seed=1), randn(4, 1, seed=2), randn(1, 5, seed=3)]
    check_op(lambda *m: dpt.chain_matmul(*m), lambda *m: np.linalg.multi_dot(m), *mats)
    single = dpt.ones(2, 2)
    out = dpt.chain_matmul(single)
    assert_close(out, np.ones((2, 2)))
    assert out is not single
    with pytest.raises(RuntimeError, match="Tensor dimension is 1, expected 2 instead"):
        dpt.chain_matmul(dpt.ones(2, 2), dpt.ones(2))
    with pytest.raises(RuntimeError, match="Expected one or more matrices"):
        dpt.chain_matmul()


# ---- kron, trace, diag ----------------------------------------------------------------------
@pytest.mark.parametrize("sa,sb", [((2, 2), (2, 3)), ((3,), (2,)), ((2, 3), (2,)), ((2,), (2, 2, 1))])
def test_kron(sa, sb):
    check_op(dpt.kron, np.kron, randn(*sa), randn(*sb, seed=1), gradgrad=True)


def test_kron_integers():
    a = dpt.tensor([[1, 2], [3, 4]])
    b = dpt.tensor([[0, 1], [1, 0]])
    assert a.kron(b).tolist() == np.kron(a.numpy(), b.numpy()).tolist()


def test_trace():
    check_op(dpt.trace, np.trace, randn(3, 3))
    check_op(dpt.trace, np.trace, randn(2, 4))
    t = dpt.arange(9).reshape(3, 3)
    assert t.trace().item() == 12 and t.trace().dtype == dpt.int64
    with pytest.raises(RuntimeError, match="trace: expected a matrix, but got tensor with dim 1"):
        dpt.trace(dpt.ones(3))


@pytest.mark.parametrize("k", [0, 1, -2])
def test_diag_vector_to_matrix(k):
    check_op(lambda x: dpt.diag(x, k), lambda x: np.diag(x, k), randn(3), gradgrad=True)


@pytest.mark.parametrize("k", [0, 1, -1, 5])
def test_diag_matrix_to_vector(k):
    check_op(lambda x: dpt.diag(x, k), lambda x: np.diag(x, k).copy(), randn(3, 4), gradgrad=True)


def test_diag_is_a_copy_and_rejects_3d():
    m = dpt.zeros(2, 2)
    d = m.diag()
    d.add_(1)
    assert m.sum().item() == 0
    with pytest.raises(RuntimeError, match=r"diag\(\): Supports 1D or 2D tensors. Got 3D"):
        dpt.diag(dpt.ones(2, 2, 2))


def _np_diag_embed(x, offset=0, dim1=-2, dim2=-1):
    n = x.shape[-1] + abs(offset)
    out = np.zeros(x.shape[:-1] + (n, n), x.dtype)
    idx = np.arange(x.shape[-1])
    out[..., idx + max(-offset, 0), idx + max(offset, 0)] = x
    return np.moveaxis(out, (-2, -1), (dim1, dim2))


@pytest.mark.parametrize("args", [(), (1,), (-1, 0, 2), (0, 2, 0), (2, -1, 1)])
def test_diag_embed(args):
    x = randn(2, 3)
    check_op(lambda t: dpt.diag_embed(t, *args), lambda a: _np_diag_embed(a, *args), x, gradgrad=True)
    # diag_embed then the matching diagonal gives the input back
    t = dpt.tensor(x)
    emb = t.diag_embed(*args)
    dims = (args + (0, -2, -1)[len(args):])
    assert_close(np.diagonal(emb.numpy(), *dims), x)


def test_diag_embed_errors():
    with pytest.raises(RuntimeError, match="diagonal dimensions cannot be identical 0, 0"):
        dpt.diag_embed(dpt.ones(2, 2), 0, 0, 0)
    with pytest.raises(IndexError, match="Dimension out of range"):
        dpt.diag_embed(dpt.ones(2), 0, 0, 5)


def test_out_argument():
    out = dpt.empty(2, 2)
    res = dpt.mm(dpt.ones(2, 3), dpt.ones(3, 2), out=out)
    assert res is out
    assert_close(out, np.full((2, 2), 3.0))


def test_grad_reaches_both_operands_of_addmm():
    i = leaf(randn(2, 2))
    a = leaf(randn(2, 3, seed=1))
    b = leaf(randn(3, 2, seed=2))
    dpt.addmm(i, a, b, beta=2.0, alpha=3.0).sum().backward()
    assert_close(i.grad, np.full((2, 2), 2.0))
    assert_close(a.grad, 3.0 * np.ones((2, 2)) @ randn(3, 2, seed=2).T)
    assert_close(b.grad, 3.0 * randn(2, 3, seed=1).T @ np.ones((2, 2)))


def test_in_place_variants():
    i = dpt.zeros(2, 2)
    a = dpt.ones(2, 3)
    out = i.addmm_(a, dpt.ones(3, 2), alpha=2.0)
    assert out is i
    assert_close(i, np.full((2, 2), 6.0))
    v = dpt.ones(2)
    v.addmv_(a, dpt.ones(3), beta=0.5)
    assert_close(v, [3.5, 3.5])
    b = dpt.ones(2, 2, 2)
    b.baddbmm_(dpt.ones(2, 2, 3), dpt.ones(2, 3, 2))
    assert_close(b, np.full((2, 2, 2), 4.0))
    m = dpt.zeros(2, 2)
    m.addbmm_(dpt.ones(3, 2, 1), dpt.ones(3, 1, 2))
    assert_close(m, np.full((2, 2), 3.0))


def test_node_names_follow_torch():
    x = leaf(randn(2, 2))
    v = leaf(randn(2))
    b = leaf(randn(2, 2, 2))
    assert (x @ x).grad_fn.name() == "MmBackward0"
    assert (x @ v).grad_fn.name() == "MvBackward0"
    assert (v @ v).grad_fn.name() == "DotBackward0"
    assert dpt.bmm(b, b).grad_fn.name() == "BmmBackward0"
    assert dpt.addmm(x, x, x).grad_fn.name() == "AddmmBackward0"
    assert dpt.addmv(v, x, v).grad_fn.name() == "AddmvBackward0"
    assert dpt.baddbmm(b, b, b).grad_fn.name() == "BaddbmmBackward0"
    assert dpt.trace(x).grad_fn.name() == "TraceBackward0"


def test_vander():
    x = np.array([1.0, 2.0, 3.0, 0.5])
    assert_close(dpt.vander(leaf(x, False)), np.vander(x))
    assert_close(dpt.vander(leaf(x, False), 2, increasing=True), np.vander(x, 2, increasing=True))
    assert dpt.vander(dpt.tensor([1, 2], dtype=dpt.int32)).dtype is dpt.int64
    assert dpt.vander(dpt.tensor([1.0, 2.0]), N=0).shape == (2, 0)
    check_gradients(lambda t: dpt.vander(t, 3), x)
    with pytest.raises(RuntimeError, match="one-dimensional"):
        dpt.vander(dpt.ones(2, 2))


def test_adjoint_and_addr():
    c = randn(2, 3) + 1j * randn(2, 3, seed=1)
    assert_close(dpt.adjoint(dpt.tensor(c)), c.T.conj())
    assert dpt.tensor([[1.0, 2.0]]).adjoint().shape == (2, 1)
    m, a, b = randn(3, 4), randn(3, seed=1), randn(4, seed=2)
    check_op(lambda t, u, v: dpt.addr(t, u, v, beta=0.5, alpha=2.0),
             lambda t, u, v: 0.5 * t + 2.0 * np.outer(u, v), m, a, b)
    nan = dpt.full((3, 4), float("nan"), dtype=dpt.float64)
    assert_close(dpt.addr(nan, leaf(a, False), leaf(b, False), beta=0), np.outer(a, b))
    with pytest.raises(RuntimeError, match="1-D"):
        dpt.addr(dpt.ones(2, 2), dpt.ones(2, 1), dpt.ones(2))
