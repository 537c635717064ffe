"""dpt.linalg against numpy/scipy, with float64 gradchecks (complex ones through real leaves)."""
import numpy as np
import pytest
import scipy.linalg

import dpt
import dpt.linalg as LA
from dpt.autograd import gradcheck, gradgradcheck
from tests.helpers import assert_close, randn


def leaf(*shape, seed=0):
    return dpt.tensor(randn(*shape, seed=seed), requires_grad=True)


def spd(a):
    n = a.shape[-1]
    return a @ a.mT + n * dpt.eye(n, dtype=a.dtype)


def cplx(f):
    """f of a complex matrix, checked through two real leaves (real and imaginary parts)."""
    return lambda re, im: f(dpt.complex(re, im))


# ---- forward values ---------------------------------------------------------------------
def test_det_slogdet_inv_batched():
    a = randn(2, 3, 3)
    A = dpt.tensor(a)
    assert_close(LA.det(A), np.linalg.det(a))
    sign, logabs = LA.slogdet(A)
    ref = np.linalg.slogdet(a)
    assert_close(sign, ref[0])
    assert_close(logabs, ref[1])
    assert_close(LA.inv(A), np.linalg.inv(a), atol=1e-10)
    assert LA.det(dpt.tensor(randn(3, 3), dtype=dpt.float32)).dtype == dpt.float32


def test_solve_vector_matrix_left_right():
    a, b = randn(2, 3, 3), randn(2, 3, 4, seed=1)
    A, B = dpt.tensor(a), dpt.tensor(b)
    assert_close(LA.solve(A, B), np.linalg.solve(a, b), atol=1e-10)
    v = randn(2, 3, seed=2)
    assert_close(LA.solve(A, dpt.tensor(v)), np.linalg.solve(a, v[..., None])[..., 0], atol=1e-10)
    c = randn(2, 4, 3, seed=3)
    X = LA.solve(A, dpt.tensor(c), left=False)
    assert_close(X @ A, c, atol=1e-10)


def test_solve_triangular_and_cholesky():
    a = randn(3, 3)
    m = a @ a.T + 3 * np.eye(3)
    L = LA.cholesky(dpt.tensor(m))
    assert_close(L, np.linalg.cholesky(m), atol=1e-12)
    assert_close(LA.cholesky(dpt.tensor(m), upper=True), np.linalg.cholesky(m).T, atol=1e-12)
    b = randn(3, 2, seed=1)
    X = LA.solve_triangular(dpt.tensor(a), dpt.tensor(b), upper=True)
    assert_close(X, scipy.linalg.solve_triangular(np.triu(a), b), atol=1e-10)
    X = LA.solve_triangular(dpt.tensor(a), dpt.tensor(b), upper=False, unitriangular=True)
    assert_close(X, scipy.linalg.solve_triangular(a, b, lower=True, unit_diagonal=True), atol=1e-10)
    assert_close(dpt.cholesky_solve(dpt.tensor(b), L), np.linalg.solve(m, b), atol=1e-10)
    assert_close(dpt.cholesky_inverse(L), np.linalg.inv(m), atol=1e-10)


def test_cholesky_not_positive_definite():
    with pytest.raises(RuntimeError, match="leading minor of order 2 is not positive-definite"):
        LA.cholesky(dpt.tensor([[1.0, 2.0], [2.0, 1.0]]))
    L, info = LA.cholesky_ex(dpt.tensor([[1.0, 2.0], [2.0, 1.0]]))
    assert info.item() == 2


def test_qr_eigh_svd_reconstruct():
    a = randn(2, 4, 3)
    A = dpt.tensor(a)
    Q, R = LA.qr(A)
    assert Q.shape == (2, 4, 3) and R.shape == (2, 3, 3)
    assert_close(Q @ R, a, atol=1e-12)
    Q, R = LA.qr(A, mode="complete")
    assert Q.shape == (2, 4, 4)
    assert LA.qr(A, mode="r").Q.numel() == 0
    s = a[0].T @ a[0]
    w, V = LA.eigh(dpt.tensor(s))
    assert_close(w, np.linalg.eigvalsh(s), atol=1e-12)
    assert_close(V @ dpt.diag(w) @ V.mT, s, atol=1e-12)
    U, S, Vh = LA.svd(A, full_matrices=False)
    assert_close((U * S.unsqueeze(-2)) @ Vh, a, atol=1e-12)
    assert LA.svd(A).U.shape == (2, 4, 4)
    assert_close(LA.svdvals(A), np.linalg.svd(a, compute_uv=False))
    ev = LA.eigvals(dpt.tensor(a[0, :3]))
    assert ev.dtype == dpt.complex128
    assert_close(np.sort_complex(ev.numpy()), np.sort_complex(np.linalg.eigvals(a[0, :3])))


def test_torch_svd_returns_v():
    a = randn(4, 3)
    U, S, V = dpt.svd(dpt.tensor(a))
    assert V.shape == (3, 3)
    assert_close(U @ dpt.diag(S) @ V.mT, a, atol=1e-12)
    U, S, V = dpt.svd(dpt.tensor(a), some=False)
    assert U.shape == (4, 4)
    U, S, V = dpt.svd(dpt.tensor(a), compute_uv=False)
    assert U.abs().sum().item() == 0 and V.shape == (3, 3)


def test_pinv_lstsq_rank():
    a = randn(4, 3)
    assert_close(LA.pinv(dpt.tensor(a)), np.linalg.pinv(a), atol=1e-10)
    s = a @ a.T  # rank 3 of 4, symmetric
    assert_close(LA.pinv(dpt.tensor(s), hermitian=True), np.linalg.pinv(s, hermitian=True), atol=1e-8)
    assert LA.matrix_rank(dpt.tensor(s)).item() == 3
    assert LA.matrix_rank(dpt.tensor(s), hermitian=True).item() == 3
    b = randn(4, 2, seed=1)
    res = LA.lstsq(dpt.tensor(a), dpt.tensor(b), driver="gelsd")
    ref = np.linalg.lstsq(a, b, rcond=None)
    assert_close(res.solution, ref[0], atol=1e-10)
    assert_close(res.residuals, ref[1], atol=1e-10)
    assert res.rank.item() == 3
    assert_close(res.singular_values, ref[3])
    assert LA.lstsq(dpt.tensor(a), dpt.tensor(b)).residuals.numel() == 0  # gelsy


def test_norms():
    a = randn(2, 3, 4)
    A = dpt.tensor(a)
    for ord in (2, 1, np.inf, -np.inf, 0, 3.5, -1):
        assert_close(LA.vector_norm(A, ord, dim=-1), np.linalg.norm(a, ord, axis=-1))
    assert_close(LA.vector_norm(A), np.linalg.norm(a.ravel()))
    for ord in ("fro", "nuc", 2, -2, 1, -1, np.inf, -np.inf):
        assert_close(LA.matrix_norm(A, ord), np.linalg.norm(a, ord, axis=(-2, -1)))
    assert_close(LA.matrix_norm(A, 1, dim=(0, 2), keepdim=True),
                 np.linalg.norm(a, 1, axis=(0, 2), keepdims=True))
    assert_close(LA.norm(A), np.linalg.norm(a.ravel()))
    assert_close(LA.norm(A[0], "nuc"), np.linalg.norm(a[0], "nuc"))
    assert_close(LA.norm(A, dim=(0, 1)), np.linalg.norm(a, axis=(0, 1)))
    assert_close(LA.norm(A[0, 0], 1), np.linalg.norm(a[0, 0], 1))
    with pytest.raises(RuntimeError, match="must be 1D or 2D"):
        LA.norm(A, 2)


def test_products_powers_cross():
    a = randn(3, 3)
    A = dpt.tensor(a)
    assert_close(LA.matrix_power(A, 3), np.linalg.matrix_power(a, 3), atol=1e-10)
    assert_close(LA.matrix_power(A, -2), np.linalg.matrix_power(a, -2), atol=1e-8)
    assert_close(LA.matrix_power(A, 0), np.eye(3))
    b, c = randn(3, 5, seed=1), randn(5, seed=2)
    v = randn(3, seed=3)
    assert_close(LA.multi_dot([dpt.tensor(v), A, dpt.tensor(b), dpt.tensor(c)]),
                 np.linalg.multi_dot([v, a, b, c]), atol=1e-10)
    x, y = randn(4, 3), randn(1, 3, seed=1)
    assert_close(LA.cross(dpt.tensor(x), dpt.tensor(y)), np.cross(x, y))
    with pytest.warns(UserWarning, match="dim"):
        assert_close(dpt.cross(dpt.tensor(x), dpt.tensor(x[::-1].copy())), np.cross(x, x[::-1]))
    assert_close(LA.matrix_exp(A), scipy.linalg.expm(a), atol=1e-10)


def test_lu_factor_unpack_solve():
    a = randn(2, 3, 3)
    A = dpt.tensor(a)
    LU, piv = LA.lu_factor(A)
    assert piv.dtype == dpt.int32 and piv.shape == (2, 3)
    ref_lu, ref_piv = scipy.linalg.lu_factor(a[1])
    assert_close(LU[1], ref_lu)
    assert np.array_equal(piv[1].numpy(), ref_piv + 1)
    P, L, U = dpt.lu_unpack(LU, piv)
    assert_close(P @ L @ U, a, atol=1e-12)
    for shape in ((4, 3), (3, 5)):
        m = randn(*shape, seed=4)
        P, L, U = LA.lu(dpt.tensor(m))
        assert_close(P @ L @ U, m, atol=1e-12)
        assert_close(L.triu(1), np.zeros(L.shape))
    b = randn(2, 3, 2, seed=5)
    assert_close(LA.lu_solve(LU, piv, dpt.tensor(b)), np.linalg.solve(a, b), atol=1e-10)
    assert_close(LA.lu_solve(LU, piv, dpt.tensor(b), adjoint=True),
                 np.linalg.solve(np.swapaxes(a, -1, -2), b), atol=1e-10)
    assert_close(dpt.lu_solve(dpt.tensor(b), LU, piv), np.linalg.solve(a, b), atol=1e-10)
    A_LU, pivots, infos = dpt.lu(A, get_infos=True)
    assert infos.tolist() == [0, 0]


def test_lu_tutorial_reconstruction():
    A = dpt.randn(2, 3, 3)
    A_LU, pivots = dpt.lu(A)
    P, L, U = dpt.lu_unpack(A_LU, pivots)
    assert dpt.allclose(A, P @ L @ U, atol=1e-6)


def test_top_level_spellings():
    a = randn(3, 3)
    A = dpt.tensor(a)
    assert_close(dpt.det(A), np.linalg.det(a))
    assert_close(dpt.inverse(A), np.linalg.inv(a), atol=1e-10)
    assert_close(A.inverse(), np.linalg.inv(a), atol=1e-10)
    m = a @ a.T
    assert_close(dpt.logdet(dpt.tensor(m)), np.log(np.linalg.det(m)))
    neg = np.diag([-1.0, 2.0])
    assert np.isnan(dpt.logdet(dpt.tensor(neg)).item())
    assert_close(dpt.pinverse(A), np.linalg.pinv(a), atol=1e-10)
    Q, R = dpt.qr(A)
    assert_close(Q @ R, a, atol=1e-12)
    assert_close(A.matrix_power(2), a @ a)
    assert dpt.slogdet(A).sign.item() == np.sign(np.linalg.det(a))


def test_errors():
    with pytest.raises(RuntimeError, match="must be batches of square matrices"):
        LA.inv(dpt.ones(2, 3))
    with pytest.raises(RuntimeError, match="at least 2 dimensions"):
        LA.det(dpt.ones(3))
    with pytest.raises(RuntimeError, match="Expected a floating point or complex tensor"):
        LA.inv(dpt.ones(2, 2, dtype=dpt.int64))
    with pytest.raises(RuntimeError, match="singular"):
        LA.inv(dpt.zeros(2, 2))
    with pytest.raises(RuntimeError, match="Incompatible shapes"):
        LA.solve(dpt.eye(3), dpt.ones(2, 2))
    with pytest.raises(RuntimeError, match="must have length 3"):
        LA.cross(dpt.ones(2), dpt.ones(2))
    inv, info = LA.inv_ex(dpt.zeros(2, 2))
    assert info.item() == 1


# ---- gradients ------------------------------------------------------------------------------
GRAD_CASES = {
    "det": lambda a: LA.det(a),
    "slogdet": lambda a: LA.slogdet(a).logabsdet,
    "inv": LA.inv,
    "solve": lambda a: LA.solve(a, a[..., 0]),
    "solve_right": lambda a: LA.solve(a, a[..., :2, :], left=False),
    "solve_triangular": lambda a: LA.solve_triangular(a + 3 * dpt.eye(3, dtype=a.dtype), a,
                                                      upper=True),
    "cholesky": lambda a: LA.cholesky(spd(a)),
    "cholesky_upper": lambda a: LA.cholesky(spd(a), upper=True),
    "qr": lambda a: LA.qr(a),
    "qr_tall": lambda a: LA.qr(a[..., :2]),
    "qr_wide": lambda a: LA.qr(a[..., :2, :]),
    "eigh": lambda a: (lambda w, v: (w, v * v.sum(-2, keepdim=True).sign()))(*LA.eigh(a + a.mT)),
    "eigvalsh": lambda a: LA.eigvalsh(a + a.mT),
    # U Vh and S do not depend on the singular vectors' signs: a gauge-invariant loss.
    "svd": lambda a: (lambda u, s, vh: (u @ vh, s))(*LA.svd(a, full_matrices=False)),
    "svd_tall": lambda a: (lambda u, s, vh: (u @ vh, s))(*LA.svd(a[..., :2], full_matrices=False)),
    "svd_wide_full": lambda a: (lambda u, s, vh: u @ vh[..., :2, :])(*LA.svd(a[..., :2, :])),
    "svdvals": LA.svdvals,
    "pinv": LA.pinv,
    "pinv_tall": lambda a: LA.pinv(a[..., :2]),
    "pinv_hermitian": lambda a: LA.pinv(a + a.mT, hermitian=True),
    "lstsq": lambda a: LA.lstsq(a[..., :2], a[..., 2:]).solution,
    "lu": lambda a: LA.lu(a)[1:],
    "lu_solve": lambda a: LA.lu_solve(*LA.lu_factor(a), a.mT),
    "matrix_norms": lambda a: [LA.matrix_norm(a, o) for o in ("fro", "nuc", 2, -2, 1, np.inf)],
    "vector_norms": lambda a: [LA.vector_norm(a, o, dim=-1) for o in (1, 2, 3, np.inf)],
    "matrix_power": lambda a: LA.matrix_power(a, -2),
    "matrix_exp": LA.matrix_exp,
    "cross": lambda a: LA.cross(a, a.flip(-1)),
    "logdet": lambda a: dpt.logdet(spd(a)),
}


@pytest.mark.parametrize("name", sorted(GRAD_CASES))
def test_gradcheck(name):
    assert gradcheck(GRAD_CASES[name], [leaf(2, 3, 3)])


@pytest.mark.parametrize("name", ["det", "inv", "cholesky", "svdvals", "eigvalsh", "solve"])
def test_gradgradcheck(name):
    assert gradgradcheck(GRAD_CASES[name], [leaf(3, 3)])


COMPLEX_CASES = {
    "det": lambda a: LA.det(a).abs(),
    "slogdet": lambda a: (LA.slogdet(a)[0].real, LA.slogdet(a)[1]),
    "inv": lambda a: LA.inv(a).real,
    "solve": lambda a: LA.solve(a, a.mH).imag,
    "cholesky": lambda a: LA.cholesky(a @ a.mH + 3 * dpt.eye(3, dtype=a.dtype)).real,
    "eigvalsh": lambda a: LA.eigvalsh(a + a.mH),
    "svdvals": LA.svdvals,
    "svd": lambda a: (lambda u, s, vh: (u @ vh).real)(*LA.svd(a)),
    "pinv": lambda a: LA.pinv(a).abs(),
    "lu": lambda a: [t.real for t in LA.lu(a)[1:]],
}


@pytest.mark.parametrize("name", sorted(COMPLEX_CASES))
def test_gradcheck_complex(name):
    assert gradcheck(cplx(COMPLEX_CASES[name]), [leaf(3, 3), leaf(3, 3, seed=1)])


def test_eigh_gradient_matches_formula_value():
    # d(sum of eigenvalues) / dA = I for symmetric input read from its lower triangle
    a = leaf(3, 3)
    LA.eigvalsh(a + a.mT).sum().backward()
    assert_close(a.grad, 2 * np.eye(3), atol=1e-10)
