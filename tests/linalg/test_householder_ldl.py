"""geqrf, householder_product, ormqr and the Bunch-Kaufman LDL (ldl_factor(_ex), ldl_solve).

geqrf and ldl_factor reproduce LAPACK's packed outputs, so they are compared with torch's
(which calls LAPACK) exactly where torch is installed; everything is also checked through
reconstructions against numpy, and the differentiable ops by gradcheck."""
import numpy as np
import pytest

import dpt
import dpt.linalg as LA
from dpt.autograd import gradcheck, gradgradcheck
from tests.helpers import assert_close, noncontiguous, randn


def crandn(*shape, seed=0):
    return randn(*shape, seed=seed) + 1j * randn(*shape, seed=seed + 100)


def q_from_numpy(a, tau):
    """Q = H_1 ... H_k (m x m) from packed reflectors, the slow obvious way."""
    m = a.shape[0]
    Q = np.eye(m, dtype=a.dtype)
    for i in range(len(tau)):
        v = np.zeros(m, a.dtype)
        v[i] = 1
        v[i + 1:] = a[i + 1:, i]
        Q = Q @ (np.eye(m) - tau[i] * np.outer(v, v.conj()))
    return Q


# ---- geqrf -----------------------------------------------------------------------------------
@pytest.mark.parametrize("shape", [(5, 5), (5, 2), (2, 5), (3, 4, 3), (4, 0), (0, 3), (0, 2, 2)])
@pytest.mark.parametrize("cplx", [False, True])
def test_geqrf_reconstructs(shape, cplx):
    a = crandn(*shape) if cplx else randn(*shape)
    res = dpt.geqrf(dpt.tensor(a))
    assert type(res).__name__ == "geqrf" and res.a.shape == a.shape
    assert res.tau.shape == shape[:-2] + (min(shape[-2:]),)
    A, tau = res.a.numpy(), res.tau.numpy()
    for idx in np.ndindex(shape[:-2]):
        Q = q_from_numpy(A[idx], tau[idx])
        assert_close(Q @ np.triu(A[idx]), a[idx], atol=1e-12)
        assert_close(Q.conj().T @ Q, np.eye(shape[-2]), atol=1e-12)
    assert_close(dpt.tensor(a).geqrf().a, A)


def test_geqrf_matches_lapack_exactly():
    torch = pytest.importorskip("torch")
    for a in (randn(6, 4), randn(3, 4, 6), crandn(5, 5), np.zeros((3, 3)),
              np.triu(randn(4, 3))):
        ta, ttau = torch.geqrf(torch.tensor(a))
        da, dtau = dpt.geqrf(noncontiguous(dpt.tensor(a)))
        assert_close(da, ta.numpy(), atol=1e-13, rtol=1e-12)
        assert_close(dtau, ttau.numpy(), atol=1e-13, rtol=1e-12)


def test_geqrf_errors():
    with pytest.raises(RuntimeError, match="at least 2 dimensions"):
        dpt.geqrf(dpt.ones(3))
    with pytest.raises(NotImplementedError, match="Long"):
        dpt.geqrf(dpt.ones(3, 3, dtype=dpt.int64))


# ---- householder_product and ormqr --------------------------------------------------------------
@pytest.mark.parametrize("shape,k", [((5, 5), 5), ((6, 4), 4), ((5, 4), 2), ((2, 5, 3), 3)])
def test_householder_product_forward_and_gradients(shape, k):
    a = randn(*shape)
    tau = randn(*shape[:-2], k, seed=1) * 0.5
    Q = LA.householder_product(dpt.tensor(a), dpt.tensor(tau))
    for idx in np.ndindex(shape[:-2]):
        assert_close(Q.numpy()[idx], q_from_numpy(a[idx], tau[idx])[:, :shape[-1]], atol=1e-12)
    A, T = dpt.tensor(a, requires_grad=True), dpt.tensor(tau, requires_grad=True)
    assert gradcheck(LA.householder_product, [A, T])
    assert gradgradcheck(LA.householder_product, [A, T])


def test_householder_product_of_geqrf_is_qr_q_and_torch_gradient():
    a = randn(6, 4)
    g = dpt.geqrf(dpt.tensor(a))
    Q = LA.householder_product(g.a, g.tau)
    assert_close(Q @ g.a.triu()[:4], a, atol=1e-12)
    A, T = dpt.tensor(a, requires_grad=True), dpt.tensor(randn(4, seed=2), requires_grad=True)
    R = LA.householder_product(A, T)
    R.backward(dpt.tensor(randn(6, 4, seed=3)))
    assert_close(A.grad.triu(), np.zeros((6, 4)))  # only the reflectors below the diagonal count
    torch = pytest.importorskip("torch")
    tA = torch.tensor(a, requires_grad=True)
    tT = torch.tensor(randn(4, seed=2), requires_grad=True)
    torch.linalg.householder_product(tA, tT).backward(torch.tensor(randn(6, 4, seed=3)))
    assert_close(A.grad, tA.grad.numpy(), atol=1e-10)
    assert_close(T.grad, tT.grad.numpy(), atol=1e-10)


def test_householder_product_no_reflectors_and_errors():
    A = dpt.tensor(randn(4, 3), requires_grad=True)
    T = dpt.zeros(0, dtype=dpt.float64, requires_grad=True)
    Q = LA.householder_product(A, T)
    assert_close(Q, np.eye(4, 3))
    g, = dpt.autograd.grad(Q.sum(), [A])
    assert_close(g, np.zeros((4, 3)))
    with pytest.raises(RuntimeError, match="greater than or equal to input.shape"):
        LA.householder_product(dpt.ones(3, 4), dpt.ones(2))
    with pytest.raises(RuntimeError, match="greater than or equal to tau.shape"):
        LA.householder_product(dpt.ones(4, 3), dpt.ones(4))
    with pytest.raises(RuntimeError, match="one dimension less"):
        LA.householder_product(dpt.ones(4, 3), dpt.ones(2, 2))
    with pytest.raises(RuntimeError, match="batch dimensions of tau"):
        LA.householder_product(dpt.ones(2, 4, 3), dpt.ones(3, 3))
    with pytest.raises(RuntimeError, match="does not match"):
        LA.householder_product(dpt.ones(4, 3), dpt.ones(2, dtype=dpt.float64))


@pytest.mark.parametrize("left", [True, False])
@pytest.mark.parametrize("transpose", [True, False])
@pytest.mark.parametrize("cplx", [False, True])
def test_ormqr_against_explicit_q(left, transpose, cplx):
    a = crandn(2, 5, 3) if cplx else randn(2, 5, 3)
    g = dpt.geqrf(dpt.tensor(a))
    c = crandn(2, 5, 4, seed=3) if cplx else randn(2, 5, 4, seed=3)
    if not left:
        c = np.swapaxes(c, -1, -2).copy()
    got = dpt.ormqr(g.a, g.tau, dpt.tensor(c), left, transpose)
    for i in range(2):
        Q = q_from_numpy(g.a.numpy()[i], g.tau.numpy()[i])
        Q = Q.conj().T if transpose else Q
        assert_close(got.numpy()[i], Q @ c[i] if left else c[i] @ Q, atol=1e-12)
    assert_close(g.a.ormqr(g.tau, noncontiguous(dpt.tensor(c)), left, transpose), got.numpy())


@pytest.mark.parametrize("left,transpose", [(True, False), (False, True)])
def test_ormqr_gradients(left, transpose):
    A = dpt.tensor(randn(5, 3), requires_grad=True)
    T = dpt.tensor(randn(3, seed=1), requires_grad=True)
    C = dpt.tensor(randn(5, 2, seed=2) if left else randn(2, 5, seed=2), requires_grad=True)
    assert gradcheck(lambda A, T, C: dpt.ormqr(A, T, C, left, transpose), [A, T, C])
    assert gradgradcheck(lambda A, T, C: dpt.ormqr(A, T, C, left, transpose), [A, T, C])


def test_ormqr_errors():
    a, t = dpt.ones(4, 3), dpt.ones(3)
    with pytest.raises(RuntimeError, match=r"other.shape\[-2\] must be equal"):
        dpt.ormqr(a, t, dpt.ones(3, 2))
    with pytest.raises(RuntimeError, match=r"other.shape\[-1\] must be equal"):
        dpt.ormqr(a, t, dpt.ones(2, 3), left=False)
    with pytest.raises(RuntimeError, match="tau.shape"):
        dpt.ormqr(a, dpt.ones(2), dpt.ones(4, 2))
    with pytest.raises(RuntimeError, match="other must have at least 2"):
        dpt.ormqr(a, t, dpt.ones(4))
    with pytest.raises(RuntimeError, match="batch dimensions of other"):
        dpt.ormqr(dpt.ones(2, 4, 3), dpt.ones(2, 3), dpt.ones(3, 4, 2))
    with pytest.raises(RuntimeError, match="same dtype"):
        dpt.ormqr(a, t, dpt.ones(4, 2, dtype=dpt.float64))


# ---- LDL ---------------------------------------------------------------------------------------
def symmetric(n, batch=(), seed=0, cplx=False, herm=False):
    a = crandn(*batch, n, n, seed=seed) if cplx else randn(*batch, n, n, seed=seed)
    at = np.swapaxes(a, -1, -2)
    return a + (at.conj() if herm else at)


def unpack_ldl(ld, piv, herm):
    """A rebuilt from LAPACK's packed form: A = P1 L1 P2 L2 ... D ... (L's)^T."""
    n = ld.shape[0]
    cj = np.conj if herm else (lambda v: v)
    M, D = np.eye(n, dtype=ld.dtype), np.zeros_like(ld)
    k = 0
    while k < n:
        s = 1 if piv[k] > 0 else 2
        kp = abs(piv[k]) - 1
        P = np.eye(n)
        P[[k + s - 1, kp]] = P[[kp, k + s - 1]]
        Lk = np.eye(n, dtype=ld.dtype)
        Lk[k + s:, k:k + s] = ld[k + s:, k:k + s]
        D[k:k + s, k:k + s] = np.tril(ld[k:k + s, k:k + s])
        if s == 2:
            D[k, k + 1] = cj(ld[k + 1, k])
        M = M @ P @ Lk
        k += s
    return M @ D @ cj(M).T


@pytest.mark.parametrize("cplx,herm", [(False, False), (True, False), (True, True)])
def test_ldl_factor_reconstructs_and_solves(cplx, herm):
    for n in (1, 2, 5, 9):
        a = symmetric(n, (3,), seed=n, cplx=cplx, herm=herm)
        if n > 2:  # zeros force 2x2 pivots and interchanges somewhere
            a[0, -1, 0] = a[0, 0, -1] = a[0, 0, 0] = 0
        LD, piv = LA.ldl_factor(dpt.tensor(a), hermitian=herm)
        assert piv.dtype == dpt.int32 and LD.shape == a.shape
        assert_close(LD.triu(1), np.zeros_like(a))
        for i in range(3):
            assert_close(unpack_ldl(LD.numpy()[i], piv.numpy()[i], herm), a[i], atol=1e-10)
        b = crandn(n, 2, seed=7) if cplx else randn(n, 2, seed=7)
        X = LA.ldl_solve(LD, piv, dpt.tensor(b), hermitian=herm)
        assert X.shape == (3, n, 2)
        assert_close(X, np.linalg.solve(a, b), atol=1e-9)


def test_ldl_factor_reads_lower_triangle_only():
    a = symmetric(4)
    junk = np.tril(a) + np.triu(randn(4, 4, seed=9), 1)
    r1 = LA.ldl_factor(dpt.tensor(a))
    r2 = LA.ldl_factor(noncontiguous(dpt.tensor(junk)))
    assert_close(r1.LD, r2.LD.numpy())
    assert (r1.pivots.numpy() == r2.pivots.numpy()).all()


def test_ldl_matches_lapack_exactly():
    torch = pytest.importorskip("torch")
    rng = np.random.default_rng(0)
    for trial in range(40):
        n = 1 + trial % 9
        a = symmetric(n, seed=trial)
        if trial % 3 == 1:
            a[rng.random((n, n)) < 0.4] = 0
        if trial % 3 == 2:
            a = np.round(a)  # ties in the pivot search
        for herm, arr in ((False, a), (True, symmetric(n, seed=trial, cplx=True, herm=True))):
            t = torch.linalg.ldl_factor_ex(torch.tensor(arr), hermitian=herm)
            d = LA.ldl_factor_ex(dpt.tensor(arr), hermitian=herm)
            assert (d.pivots.numpy() == t.pivots.numpy()).all()
            assert_close(d.LD, t.LD.numpy(), atol=1e-12, rtol=1e-10)
            assert d.info.item() == t.info.item()


def test_ldl_singular_empty_and_errors():
    r = LA.ldl_factor_ex(dpt.zeros(2, 3, 3))
    assert r.info.tolist() == [1, 1] and r.pivots.tolist() == [[1, 2, 3]] * 2
    assert type(r).__name__ == "linalg_ldl_factor_ex"
    with pytest.raises(RuntimeError, match="singular"):
        LA.ldl_factor_ex(dpt.zeros(3, 3), check_errors=True)
    with pytest.raises(RuntimeError, match="singular"):
        LA.ldl_factor(dpt.zeros(3, 3))
    e = LA.ldl_factor(dpt.zeros(0, 2, 2))
    assert e.LD.shape == (0, 2, 2) and e.pivots.shape == (0, 2)
    assert LA.ldl_solve(dpt.zeros(0, 0), dpt.zeros(0, dtype=dpt.int32), dpt.zeros(0, 5)).shape == (0, 5)
    with pytest.raises(RuntimeError, match="square"):
        LA.ldl_factor(dpt.ones(3, 4))
    with pytest.raises(RuntimeError, match="floating point"):
        LA.ldl_factor(dpt.ones(3, 3, dtype=dpt.int64))
    LD, piv = LA.ldl_factor(dpt.tensor(symmetric(4)))
    with pytest.raises(RuntimeError, match="same dtype"):
        LA.ldl_solve(LD, piv, dpt.ones(4, 2))
    with pytest.raises(RuntimeError, match="Incompatible matrix sizes"):
        LA.ldl_solve(LD, piv, dpt.ones(3, 2, dtype=dpt.float64))
    with pytest.raises(RuntimeError, match="pivots.shape"):
        LA.ldl_solve(LD, piv[:3], dpt.ones(4, 2, dtype=dpt.float64))


# ---- on a GPU (or the strict CuPy stand-in): the same results as on the CPU ---------------------
@pytest.mark.cuda
def test_new_linalg_ops_on_cuda():
    a = randn(2, 5, 3)
    s = symmetric(4, (2,))
    c = randn(2, 5, 2, seed=2)
    L = np.linalg.cholesky(s @ s.transpose(0, 2, 1) + 4 * np.eye(4))

    def run(dev):
        t = lambda x: dpt.tensor(x, device=dev, requires_grad=x.dtype.kind == "f")  # noqa: E731
        A, S, C, Lt = t(a), t(s), t(c), t(L)
        g = dpt.geqrf(A.detach())
        Q = LA.householder_product(A, g.tau)
        O = dpt.ormqr(A, g.tau, C, True, True)
        LD, piv = LA.ldl_factor(S.detach())
        X = LA.ldl_solve(LD, piv, C.detach()[:, :4])
        K = LA.cond(S, "fro") + LA.cond(A)
        V = LA.vander(C, N=3)
        N = LA.vector_norm(C, 3.5, dim=-1)
        CS = dpt.cholesky_solve(C[:, :4], Lt)
        P, Lf, U = LA.lu(A)
        outs = [g.a, g.tau, Q, O, LD, piv, X, K, V, N, CS, Lf, U]
        loss = sum((o.double() ** 2).sum() for o in outs if o.requires_grad)
        grads = dpt.autograd.grad(loss, [A, S, C, Lt])
        return [o.detach().cpu().numpy() for o in outs + list(grads)]

    for d, h in zip(run("cuda"), run("cpu")):
        assert_close(d, h, atol=1e-9)
