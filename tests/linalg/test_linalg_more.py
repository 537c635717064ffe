"""dpt.linalg, second part: torch's gradient conventions (cholesky_solve, p-norm subgradients,
A^0, lstsq residuals, LU of wide and tall matrices), cond, vander, tensorinv, tensorsolve and
the randomized svd_lowrank/pca_lowrank. Forward against numpy, backward by gradcheck, and
torch's gradients where its convention is the spec."""
import math

import numpy as np
import pytest

import dpt
import dpt.linalg as LA
from dpt.autograd import gradcheck, gradgradcheck
from tests.helpers import assert_close, noncontiguous, randn


def leaf(*shape, seed=0):
    return dpt.tensor(randn(*shape, seed=seed), requires_grad=True)


def grads_of(fn, arrays, module, seed=5):
    """Input gradients of sum(fn(*inputs) * cotangent) under dpt or torch."""
    ins = [module.tensor(a, dtype=module.float64, requires_grad=True) for a in arrays]
    out = fn(*ins)
    cot = module.tensor(randn(*tuple(out.shape), seed=seed), dtype=module.float64)
    gs = module.autograd.grad(out, ins, cot, allow_unused=True)
    return [np.zeros(a.shape) if g is None else g.detach().numpy() for g, a in zip(gs, arrays)]


def lower_pd(n, batch=(), seed=0):
    a = randn(*batch, n, n, seed=seed)
    return np.linalg.cholesky(a @ np.swapaxes(a, -1, -2) + n * np.eye(n))


# ---- cholesky_solve / cholesky_inverse ----------------------------------------------------
@pytest.mark.parametrize("upper", [False, True])
def test_cholesky_solve_forward_broadcast_and_errors(upper):
    L = lower_pd(3, (2,))
    F = np.swapaxes(L, -1, -2) if upper else L
    b = randn(3, 4, seed=1)
    X = dpt.cholesky_solve(dpt.tensor(b), dpt.tensor(F), upper)
    assert_close(X, np.linalg.solve(L @ np.swapaxes(L, -1, -2), b), atol=1e-10)
    assert_close(dpt.cholesky_inverse(dpt.tensor(F), upper),
                 np.linalg.inv(L @ np.swapaxes(L, -1, -2)), atol=1e-10)
    assert_close(dpt.tensor(b).cholesky_solve(noncontiguous(dpt.tensor(F)), upper), X)
    with pytest.raises(RuntimeError, match="same dtype"):
        dpt.cholesky_solve(dpt.tensor(b, dtype=dpt.float32), dpt.tensor(F), upper)
    with pytest.raises(RuntimeError, match="Incompatible matrix sizes"):
        dpt.cholesky_solve(dpt.tensor(randn(2, 4)), dpt.tensor(F), upper)


@pytest.mark.parametrize("upper", [False, True])
def test_cholesky_solve_gradients(upper):
    torch = pytest.importorskip("torch")
    L = lower_pd(4, (2,))
    F = np.swapaxes(L, -1, -2).copy() if upper else L
    b = randn(2, 4, 3, seed=1)
    # torch differentiates the factor as the full matrix it is given
    for fn in (lambda m, x, f: m.cholesky_solve(x, f, upper),):
        ours = grads_of(lambda x, f: fn(dpt, x, f), [b, F], dpt)
        ref = grads_of(lambda x, f: fn(torch, x, f), [b, F], torch)
        for o, r in zip(ours, ref):
            assert_close(o, r, atol=1e-9)
    ours = grads_of(lambda f: dpt.cholesky_inverse(f, upper), [F], dpt)
    ref = grads_of(lambda f: torch.cholesky_inverse(f, upper), [F], torch)
    assert_close(ours[0], ref[0], atol=1e-9)
    # through a triangular parametrization the finite differences agree too
    tri = (lambda t: t.triu()) if upper else (lambda t: t.tril())
    F0 = dpt.tensor(F)
    f = leaf(2, 4, 4, seed=3)
    B = leaf(2, 4, 3, seed=1)
    assert gradcheck(lambda f, B: dpt.cholesky_solve(B, F0 + 0.1 * tri(f), upper), [f, B])
    assert gradgradcheck(lambda f: dpt.cholesky_inverse(F0 + 0.1 * tri(f), upper), [f])


# ---- norms: torch's subgradients ------------------------------------------------------------
@pytest.mark.parametrize("p", [0.5, 1, 1.5, 3.5, -0.5, -1, -2, 0, math.inf, -math.inf])
def test_vector_norm_subgradient_at_zero_matches_torch(p):
    torch = pytest.importorskip("torch")
    x = np.array([[0.0, 1.5, -2.0, 0.0], [0.0, 0.0, 0.0, 0.0]])
    ours = grads_of(lambda t: LA.vector_norm(t, p, dim=-1), [x], dpt)
    ref = grads_of(lambda t: torch.linalg.vector_norm(t, p, dim=-1), [x], torch)
    assert np.isfinite(ours[0]).all()
    assert_close(ours[0], ref[0], atol=1e-12)


@pytest.mark.parametrize("p", [0.5, 3, -1.5])
def test_vector_norm_general_p(p):
    x = np.abs(randn(3, 4)) + 0.5
    ref = (np.abs(x) ** p).sum(1) ** (1 / p)
    assert_close(LA.vector_norm(dpt.tensor(x), p, dim=1), ref)
    assert_close(LA.vector_norm(dpt.tensor(x), p, dim=-1, keepdim=True), ref[:, None])
    assert_close(LA.vector_norm(noncontiguous(dpt.tensor(x)), p), (np.abs(x) ** p).sum() ** (1 / p))
    t = dpt.tensor(x * np.sign(randn(3, 4, seed=2)), requires_grad=True)
    assert gradcheck(lambda t: LA.vector_norm(t, p, dim=(0, -1)), [t])
    assert gradgradcheck(lambda t: LA.vector_norm(t, p, dim=0), [t])
    assert LA.vector_norm(dpt.zeros(0), p).item() == (0.0 if p > 0 else math.inf)


def test_zero_norm_and_matrix_power_zero_stay_in_graph():
    x = dpt.tensor([0.0, 2.0, 0.0], requires_grad=True)
    for r in (LA.vector_norm(x, 0), LA.norm(x, 0)):
        assert r.item() == 1.0 and r.requires_grad
        g, = dpt.autograd.grad(r, [x])
        assert_close(g, np.zeros(3))
    A = leaf(2, 3, 3)
    P = LA.matrix_power(A, 0)
    assert_close(P, np.broadcast_to(np.eye(3), (2, 3, 3)))
    g, = dpt.autograd.grad(P.sum(), [A])
    assert_close(g, np.zeros((2, 3, 3)))


# ---- lstsq: residuals are differentiable ---------------------------------------------------
@pytest.mark.parametrize("driver", ["gels", "gelsd", "gelss"])
def test_lstsq_residual_gradient_matches_torch(driver):
    torch = pytest.importorskip("torch")
    a, b = randn(5, 3), randn(5, 2, seed=1)

    def f(m, A, B):
        r = m.linalg.lstsq(A, B, driver=driver)
        return (r.solution.sum(0) + 2 * r.residuals)

    ours = grads_of(lambda A, B: f(dpt, A, B), [a, b], dpt)
    ref = grads_of(lambda A, B: f(torch, A, B), [a, b], torch)
    for o, r in zip(ours, ref):
        assert_close(o, r, atol=1e-9)
    A, B = leaf(5, 3), leaf(5, 2, seed=1)
    assert gradcheck(lambda A, B: LA.lstsq(A, B, driver=driver).residuals, [A, B])


# ---- LU of wide and tall matrices ------------------------------------------------------------
@pytest.mark.parametrize("shape", [(3, 5), (5, 3), (2, 3, 4), (2, 4, 3), (4, 4)])
def test_lu_backward_all_shapes(shape):
    A = leaf(*shape)
    assert gradcheck(lambda A: LA.lu_factor(A).LU, [A])
    assert gradcheck(lambda A: LA.lu(A)[1:], [A])
    assert gradgradcheck(lambda A: LA.lu(A).U, [A])
    P, L, U = LA.lu(A)
    assert_close(P @ L @ U, A.detach().numpy(), atol=1e-12)


def test_lu_backward_matches_torch():
    torch = pytest.importorskip("torch")
    for shape in [(3, 5), (5, 3)]:
        a = randn(*shape, seed=4)
        ours = grads_of(lambda A: LA.lu_factor(A).LU, [a], dpt)
        ref = grads_of(lambda A: torch.linalg.lu_factor(A).LU, [a], torch)
        assert_close(ours[0], ref[0], atol=1e-9)


# ---- cond -----------------------------------------------------------------------------------
@pytest.mark.parametrize("p", [None, 2, -2, "fro", "nuc", math.inf, -math.inf, 1, -1])
def test_cond_values_and_gradients(p):
    a = randn(2, 4, 4) + 2 * np.eye(4)
    assert_close(LA.cond(dpt.tensor(a), p), np.linalg.cond(a, p), rtol=1e-10)
    assert_close(LA.cond(noncontiguous(dpt.tensor(a)), p), np.linalg.cond(a, p), rtol=1e-10)
    A = dpt.tensor(a, requires_grad=True)
    assert gradcheck(lambda A: LA.cond(A, p), [A])
    assert LA.cond(dpt.tensor(a, dtype=dpt.float32), p).dtype == dpt.float32
    assert LA.cond(dpt.zeros(2, 0, 0), p).shape == (2,)


def test_cond_rectangular_singular_and_errors():
    a = randn(3, 5)
    assert_close(LA.cond(dpt.tensor(a)), np.linalg.cond(a), rtol=1e-10)
    sing = np.stack([np.ones((3, 3)), np.eye(3) * 2])
    assert_close(LA.cond(dpt.tensor(sing), 1), [math.inf, 1.0])
    S = dpt.tensor(sing, requires_grad=True)
    g, = dpt.autograd.grad(LA.cond(S, "fro")[1], [S])
    assert np.isfinite(g.numpy()).all()
    with pytest.raises(RuntimeError, match="square"):
        LA.cond(dpt.tensor(a), "fro")
    with pytest.raises(RuntimeError, match="invalid norm type"):
        LA.cond(dpt.tensor(randn(3, 3)), 3)
    with pytest.raises(RuntimeError, match="at least 2 dimensions"):
        LA.cond(dpt.ones(3))


# ---- vander, tensorinv, tensorsolve ------------------------------------------------------------
def test_vander():
    x = randn(2, 4)
    for N in (None, 2, 6):
        ref = np.stack([np.vander(r, N, increasing=True) for r in x])
        assert_close(LA.vander(dpt.tensor(x), N=N), ref, rtol=1e-12)
    assert_close(LA.vander(noncontiguous(dpt.tensor(x))), ref[..., :4], rtol=1e-12)
    assert LA.vander(dpt.tensor(2.0), N=3).shape == (1, 3)
    r = LA.vander(dpt.tensor([1, 2, 3], dtype=dpt.int32))
    assert r.dtype == dpt.int64 and r.tolist()[2] == [1, 3, 9]
    X = leaf(2, 4)
    assert gradcheck(lambda X: LA.vander(X, N=5), [X])
    assert gradgradcheck(lambda X: LA.vander(X), [X])
    with pytest.raises(RuntimeError, match="N must be greater than 1"):
        LA.vander(dpt.tensor(x), N=1)
    with pytest.raises(RuntimeError, match="Bool"):
        LA.vander(dpt.tensor([True, False]))


def test_tensorinv():
    a = randn(4, 6, 8, 3).reshape(24, 24) + 5 * np.eye(24)
    a = a.reshape(4, 6, 8, 3)
    assert_close(LA.tensorinv(dpt.tensor(a), ind=2), np.linalg.tensorinv(a, ind=2), atol=1e-10)
    b = randn(3, 2, 6).reshape(6, 6) + 3 * np.eye(6)
    b = b.reshape(6, 3, 2)
    assert_close(LA.tensorinv(noncontiguous(dpt.tensor(b)), ind=1), np.linalg.tensorinv(b, ind=1),
                 atol=1e-10)
    B = dpt.tensor(b, requires_grad=True)
    assert gradcheck(lambda B: LA.tensorinv(B, ind=1), [B])
    with pytest.raises(RuntimeError, match="strictly positive integer"):
        LA.tensorinv(dpt.tensor(b), ind=0)
    with pytest.raises(RuntimeError, match="prod"):
        LA.tensorinv(dpt.tensor(randn(4, 6, 24)), ind=1)


def test_tensorsolve():
    a = randn(2, 3, 6).reshape(6, 6) + 4 * np.eye(6)
    a = a.reshape(2, 3, 6)
    b = randn(2, 3, seed=1)
    assert_close(LA.tensorsolve(dpt.tensor(a), dpt.tensor(b)), np.linalg.tensorsolve(a, b),
                 atol=1e-10)
    c = randn(3, 4, 4, 3, seed=2).reshape(12, 12) + 4 * np.eye(12)
    c = c.reshape(3, 4, 4, 3)
    d = randn(3, 4, seed=3)
    ref = np.linalg.tensorsolve(c, d, axes=(0, 2))
    assert_close(LA.tensorsolve(dpt.tensor(c), dpt.tensor(d), dims=(0, -2)), ref, atol=1e-10)
    A, B = dpt.tensor(a, requires_grad=True), dpt.tensor(b, requires_grad=True)
    assert gradcheck(lambda A, B: LA.tensorsolve(A, B), [A, B])
    with pytest.raises(RuntimeError, match="prod"):
        LA.tensorsolve(dpt.tensor(randn(2, 3, 5)), dpt.tensor(b))


# ---- svd_lowrank / pca_lowrank -------------------------------------------------------------------
@pytest.mark.parametrize("shape", [(8, 5), (5, 8), (2, 7, 6)])
def test_svd_lowrank_recovers_low_rank(shape):
    dpt.manual_seed(0)
    *batch, m, n = shape
    a = randn(*batch, m, 3) @ randn(*batch, 3, n, seed=1)
    U, S, V = dpt.svd_lowrank(dpt.tensor(a), q=4)
    assert U.shape == (*batch, m, 4) and S.shape == (*batch, 4) and V.shape == (*batch, n, 4)
    assert_close(U @ dpt.diag_embed(S) @ V.mT, a, atol=1e-9)
    assert_close(S[..., :3], np.linalg.svd(a, compute_uv=False)[..., :3], rtol=1e-9)
    M = randn(*batch, m, n, seed=2)
    U, S, V = dpt.svd_lowrank(dpt.tensor(a + M), q=4, M=dpt.tensor(M))
    assert_close(U @ dpt.diag_embed(S) @ V.mT, a, atol=1e-9)


def test_svd_lowrank_gradient_with_full_q_is_svdvals_gradient():
    dpt.manual_seed(1)
    A = leaf(6, 4)
    g1, = dpt.autograd.grad(dpt.svd_lowrank(A, q=4, niter=1).S.sum(), [A])
    g2, = dpt.autograd.grad(LA.svdvals(A).sum(), [A])
    assert_close(g1, g2.numpy(), atol=1e-9)


def test_pca_lowrank():
    dpt.manual_seed(2)
    a = randn(10, 3) @ randn(3, 5, seed=1) + 7.0
    U, S, V = dpt.pca_lowrank(dpt.tensor(a), q=3)
    centred = a - a.mean(0)
    assert_close(U @ dpt.diag_embed(S) @ V.mT, centred, atol=1e-9)
    assert dpt.pca_lowrank(dpt.tensor(a)).S.shape == (5,)
    U, S, V = dpt.pca_lowrank(dpt.tensor(a), q=3, center=False)
    assert S.shape == (3,)
    with pytest.raises(ValueError, match="q"):
        dpt.pca_lowrank(dpt.tensor(a), q=6)
    with pytest.raises(ValueError, match="niter"):
        dpt.pca_lowrank(dpt.tensor(a), niter=-1)
