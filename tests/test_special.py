"""dpt.special against scipy.special, with float64 gradchecks where torch differentiates."""
import numpy as np
import pytest
import scipy.special as sp

import dpt
import dpt.special as S
from tests.helpers import assert_close, check_op, randn

POS = np.array([0.3, 0.9, 1.7, 3.2])     # positive arguments
SIGNED = np.array([-2.1, -0.4, 0.6, 1.9])
PROB = np.array([0.05, 0.3, 0.6, 0.97])


@pytest.mark.parametrize("name, ref, x, gradgrad", [
    ("erfcx", sp.erfcx, SIGNED, True),
    ("ndtr", sp.ndtr, SIGNED, True),
    ("ndtri", sp.ndtri, PROB, False),
    ("log_ndtr", sp.log_ndtr, SIGNED, True),
    ("i0", sp.i0, SIGNED, True),
    ("i0e", sp.i0e, SIGNED, False),
    ("i1", sp.i1, SIGNED, True),
    ("i1e", sp.i1e, SIGNED, False),
    ("entr", sp.entr, POS, True),
    ("bessel_j0", sp.j0, SIGNED, True),
    ("bessel_j1", sp.j1, SIGNED, False),
    ("expit", sp.expit, SIGNED, False),
    ("logit", sp.logit, PROB, False),
    ("erf", sp.erf, SIGNED, False),
    ("erfc", sp.erfc, SIGNED, False),
    ("erfinv", sp.erfinv, PROB - 0.5, False),
    ("gammaln", sp.gammaln, POS, False),
    ("digamma", sp.digamma, POS, False),
    ("psi", sp.psi, POS, False),
    ("log1p", np.log1p, POS, False),
    ("expm1", np.expm1, SIGNED, False),
    ("exp2", np.exp2, SIGNED, False),
    ("sinc", np.sinc, SIGNED, False),
])
def test_unary_against_scipy(name, ref, x, gradgrad):
    check_op(getattr(S, name), ref, x, gradgrad=gradgrad, rtol=1e-10, atol=1e-12)


def test_gradients_at_zero():
    x = dpt.tensor([0.0], dtype=dpt.float64, requires_grad=True)
    for fn, expected in [(S.i1, 0.5), (S.i1e, 0.5), (S.bessel_j1, 0.5), (S.i0, 0.0),
                         (S.bessel_j0, 0.0)]:
        (g,) = dpt.autograd.grad(fn(x).sum(), x)
        assert_close(g, [expected])


def test_not_differentiable_ones():
    x = np.array([0.5, 1.5, 2.5])
    for name, ref in [("bessel_y0", sp.y0), ("bessel_y1", sp.y1), ("modified_bessel_k0", sp.k0),
                      ("modified_bessel_k1", sp.k1), ("scaled_modified_bessel_k0", sp.k0e),
                      ("scaled_modified_bessel_k1", sp.k1e),
                      ("airy_ai", lambda a: sp.airy(a)[0]),
                      ("spherical_bessel_j0", lambda a: sp.spherical_jn(0, a))]:
        check_op(getattr(S, name), ref, x, grad=False, rtol=1e-10, atol=1e-12)
    y = S.bessel_y0(dpt.tensor(x, requires_grad=True)).sum()
    with pytest.raises(RuntimeError, match="not implemented"):
        y.backward()
    assert S.spherical_bessel_j0(dpt.tensor([0.0])).item() == 1.0


def test_binary_functions():
    a, b = np.array([0.0, 0.5, 2.0, 3.0]), np.array([0.3, -0.5, 1.5, 2.0])
    check_op(S.xlog1py, sp.xlog1py, a, b, gradgrad=True)
    check_op(S.xlogy, sp.xlogy, a, np.abs(b) + 0.1)
    assert S.xlog1py(dpt.tensor([0.0]), dpt.tensor([-1.0])).item() == 0.0
    assert_close(S.xlog1py(2.0, dpt.tensor([1.0])), [2 * np.log(2.0)])
    s, q = np.array([2.0, 3.5, 4.0]), np.array([1.0, 0.5, 2.5])
    check_op(S.zeta, sp.zeta, s, q, grad=False)
    z = np.array([0.3, 2.0, 1.5])
    check_op(S.gammainc, sp.gammainc, np.array([0.5, 1.0, 3.0]), z, grad=False)
    check_op(S.gammaincc, sp.gammaincc, np.array([0.5, 1.0, 3.0]), z, grad=False)


def test_polygamma_multigammaln_and_reductions():
    check_op(lambda t: S.polygamma(2, t), lambda a: sp.polygamma(2, a), POS)
    check_op(lambda t: S.multigammaln(t, 3), lambda a: sp.multigammaln(a, 3), POS + 1.5)
    x = randn(2, 3)
    check_op(lambda t: S.softmax(t, 1), lambda a: sp.softmax(a, axis=1), x)
    check_op(lambda t: S.log_softmax(t, 0), lambda a: sp.log_softmax(a, axis=0), x)
    check_op(lambda t: S.logsumexp(t, 1), lambda a: sp.logsumexp(a, axis=1), x)
    assert_close(S.round(dpt.tensor([1.25, 2.5]), decimals=1), np.round([1.25, 2.5], 1))


def test_dtypes():
    assert S.i0e(dpt.tensor([1, 2])).dtype is dpt.float32
    assert S.ndtr(dpt.tensor([0.0], dtype=dpt.float64)).dtype is dpt.float64
    assert S.erfcx(dpt.tensor([0.5], dtype=dpt.float16)).dtype is dpt.float16
    with pytest.raises(TypeError):
        S.ndtr([0.5])
