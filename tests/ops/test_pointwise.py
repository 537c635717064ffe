"""Element-wise math against numpy/scipy, float64 gradchecks (and second derivatives for the
smooth ones), torch's dtype rules, gradients at kinks, edge cases and in-place twins."""
import math

import numpy as np
import pytest
import scipy.special as sp

import dpt
from tests.helpers import assert_close, check_gradients, check_op, leaf, randn


def _uniform(lo, hi, shape=(2, 3), seed=0):
    return np.random.default_rng(seed).uniform(lo, hi, shape)


ANY = _uniform(-2, 2)
POS = _uniform(0.2, 3)
UNIT = _uniform(-0.9, 0.9)
ABOVE1 = _uniform(1.2, 3)
PROB = _uniform(0.1, 0.9)

# name, numpy reference, domain (every one also checks its second derivatives)
UNARY = [
    ("exp", np.exp, ANY), ("exp2", np.exp2, ANY), ("expm1", np.expm1, ANY), ("log", np.log, POS),
    ("log1p", np.log1p, POS), ("log2", np.log2, POS), ("log10", np.log10, POS),
    ("sqrt", np.sqrt, POS), ("rsqrt", lambda x: 1 / np.sqrt(x), POS), ("square", np.square, ANY),
    ("reciprocal", np.reciprocal, POS), ("sin", np.sin, ANY), ("cos", np.cos, ANY),
    ("tan", np.tan, UNIT), ("asin", np.arcsin, UNIT), ("acos", np.arccos, UNIT),
    ("atan", np.arctan, ANY), ("sinh", np.sinh, ANY), ("cosh", np.cosh, ANY),
    ("tanh", np.tanh, ANY), ("asinh", np.arcsinh, ANY), ("acosh", np.arccosh, ABOVE1),
    ("atanh", np.arctanh, UNIT), ("sigmoid", sp.expit, ANY), ("logit", sp.logit, PROB),
    ("erf", sp.erf, ANY), ("erfc", sp.erfc, ANY), ("erfinv", sp.erfinv, UNIT),
    ("lgamma", sp.gammaln, POS), ("digamma", sp.digamma, POS), ("sinc", np.sinc, ANY),
    ("abs", np.abs, ANY), ("relu", lambda x: np.maximum(x, 0), ANY),
    ("frac", lambda x: x - np.trunc(x), ANY), ("deg2rad", np.deg2rad, ANY),
    ("rad2deg", np.rad2deg, ANY), ("neg", np.negative, ANY),
]


@pytest.mark.parametrize("name,ref,domain", UNARY, ids=[u[0] for u in UNARY])
def test_unary_against_numpy(name, ref, domain):
    fn = getattr(dpt, name)
    check_op(fn, ref, domain, gradgrad=True)
    check_op(lambda t: getattr(t, name)(), ref, domain[0], grad=False)  # method form, 1-d
    assert fn(dpt.tensor(domain[0, 0])).shape == ()  # 0-d stays 0-d
    empty = fn(dpt.empty(0, 3, dtype=dpt.float64))
    assert empty.shape == (0, 3) and empty.dtype is dpt.float64


@pytest.mark.parametrize("name", ["exp", "sin", "tanh", "sigmoid", "log", "sqrt"])
def test_unary_on_device(name, device):
    check_op(getattr(dpt, name), {"exp": np.exp, "sin": np.sin, "tanh": np.tanh, "log": np.log,
                                  "sqrt": np.sqrt, "sigmoid": sp.expit}[name], POS, device=device)


@pytest.mark.parametrize("name", ["exp", "exp2", "log", "sqrt", "rsqrt", "reciprocal", "sin",
                                  "asinh", "sigmoid", "logit", "erf", "lgamma", "digamma", "sinc",
                                  "deg2rad"])
def test_integer_inputs_give_default_float(name):
    fn = getattr(dpt, name)
    assert fn(dpt.tensor([1, 2])).dtype is dpt.float32
    assert fn(dpt.tensor([True, False])).dtype is dpt.float32
    dpt.set_default_dtype(dpt.float64)
    assert fn(dpt.tensor([1, 2])).dtype is dpt.float64


def test_dtype_preserving_ops_on_integers():
    i = dpt.tensor([-2, 0, 3])
    for name in ("abs", "sign", "relu", "square", "floor", "ceil", "round", "trunc", "neg"):
        r = getattr(dpt, name)(i)
        assert r.dtype is dpt.int64, name
    assert dpt.abs(i).tolist() == [2, 0, 3] and dpt.relu(i).tolist() == [0, 0, 3]
    assert dpt.floor(i).tolist() == [-2, 0, 3] and dpt.floor(i)._data is not i._data
    assert dpt.exp(dpt.tensor([1.0], dtype=dpt.float16)).dtype is dpt.float16
    assert dpt.lgamma(dpt.tensor([3.0], dtype=dpt.bfloat16)).dtype is dpt.bfloat16
    with pytest.raises(RuntimeError, match="\"frac_cpu\" not implemented for 'Long'"):
        dpt.frac(i)


def test_aliases():
    x = dpt.tensor(UNIT)
    for a, b in [("arcsin", "asin"), ("arccos", "acos"), ("arctan", "atan"), ("arcsinh", "asinh"),
                 ("arctanh", "atanh"), ("absolute", "abs"), ("clip", "clamp"), ("fix", "trunc"),
                 ("arctan2", "atan2")]:
        assert getattr(dpt, a) is getattr(dpt, b)
    assert_close(dpt.arccosh(x.abs() + 1), np.arccosh(np.abs(UNIT) + 1))
    assert_close(x.arcsin(), np.arcsin(UNIT))


def test_type_errors():
    with pytest.raises(TypeError, match=r"exp\(\): argument 'input' \(position 1\) must be Tensor, "
                                        r"not float"):
        dpt.exp(1.0)
    with pytest.raises(RuntimeError, match="Please use torch.sgn instead"):
        dpt.sign(dpt.tensor([1j]))


# ---- kinks, rounding and stepwise functions ------------------------------------------------------
def test_gradients_at_kinks_follow_torch():
    x = leaf([-1.0, 0.0, 2.0])
    (g,) = dpt.autograd.grad(dpt.abs(x).sum(), x)
    assert_close(g, [-1.0, 0.0, 1.0])
    (g,) = dpt.autograd.grad(dpt.relu(x).sum(), x)
    assert_close(g, [0.0, 0.0, 1.0])
    (g,) = dpt.autograd.grad(dpt.clamp(x, 0.0, 2.0).sum(), x)
    assert_close(g, [0.0, 1.0, 1.0])  # bounds are inclusive
    (g,) = dpt.autograd.grad(dpt.sinc(x).sum(), x)
    assert_close(g[1], 0.0)


@pytest.mark.parametrize("name,ref", [("floor", np.floor), ("ceil", np.ceil), ("trunc", np.trunc),
                                      ("round", np.round), ("sign", np.sign)])
def test_stepwise_functions(name, ref):
    a = np.array([[-2.5, -1.5, -0.4], [0.0, 0.5, 1.7]])
    fn = getattr(dpt, name)
    check_op(fn, ref, a, grad=False)
    x = leaf(a)
    y = fn(x)
    assert y.requires_grad  # recorded as in torch, with a zero gradient
    (g,) = dpt.autograd.grad(y.sum(), x)
    assert_close(g, np.zeros_like(a))


def test_round_decimals_and_frac():
    a = np.array([1.2345, -2.5551, 1234.5])
    assert_close(dpt.round(dpt.tensor(a), decimals=2), np.round(a, 2))
    assert_close(dpt.round(dpt.tensor(a), decimals=-2), np.round(a, -2))
    assert dpt.round(dpt.tensor([0.5, 1.5, 2.5])).tolist() == [0.0, 2.0, 2.0]  # half to even
    assert_close(dpt.frac(dpt.tensor([-1.25, 2.75])), [-0.25, 0.75])


def test_sgn_and_signbit():
    z = np.array([3 + 4j, 0j, -2j])
    assert_close(dpt.sgn(dpt.tensor(z)), np.array([0.6 + 0.8j, 0, -1j]))
    assert dpt.sgn(dpt.tensor([-2.0, 0.0, 3.0])).tolist() == [-1.0, 0.0, 1.0]
    assert dpt.signbit(dpt.tensor([-0.0, 0.0, -1.0, np.nan])).tolist() == [True, False, True, False]
    assert dpt.signbit(dpt.tensor([-3, 4])).tolist() == [True, False]


# ---- clamp ------------------------------------------------------------------------------------
def test_clamp_scalars_and_tensors():
    a = np.array([[-2.0, -0.3, 0.4], [0.9, 1.6, 3.0]])
    check_op(lambda x: dpt.clamp(x, -1.0, 1.0), lambda x: np.clip(x, -1, 1), a)
    check_op(lambda x: dpt.clamp(x, min=0.5), lambda x: np.maximum(x, 0.5), a)
    check_op(lambda x: dpt.clamp(x, max=0.5), lambda x: np.minimum(x, 0.5), a)
    check_op(lambda x: x.clamp_min(0.0), lambda x: np.maximum(x, 0), a)
    check_op(lambda x: x.clamp_max(0.0), lambda x: np.minimum(x, 0), a)
    lo, hi = np.array([-1.0, 0.0, 0.5]), np.array([[0.6], [2.0]])
    check_op(dpt.clamp, lambda x, l, h: np.minimum(np.maximum(x, l), h), a, lo, hi, gradgrad=True)
    check_op(lambda x, l: dpt.clamp(x, l), lambda x, l: np.maximum(x, l), a, lo)
    check_op(lambda x, h: dpt.clamp(x, None, h), lambda x, h: np.minimum(x, h), a, hi)
    assert dpt.clamp(dpt.tensor([1.0, 5.0]), 3.0, 2.0).tolist() == [2.0, 2.0]  # min > max -> max


def test_clamp_dtypes_and_errors():
    i = dpt.tensor([1, 5, 9])
    assert dpt.clamp(i, 2, 6).tolist() == [2, 5, 6] and dpt.clamp(i, 2, 6).dtype is dpt.int64
    assert dpt.clamp(i, 2.5).dtype is dpt.float32
    assert dpt.clamp(dpt.tensor([np.nan, 1.0]), 0.0, 0.5).tolist()[1] == 0.5
    assert math.isnan(dpt.clamp(dpt.tensor([np.nan]), 0.0, 0.5).item())
    with pytest.raises(RuntimeError, match="At least one of 'min' or 'max' must not be None"):
        dpt.clamp(i)


# ---- special functions -------------------------------------------------------------------------
def test_special_function_values():
    x = dpt.tensor([0.0, 1.0, -1.0, 2.5], dtype=dpt.float64)
    assert dpt.digamma(x)[0].item() == -math.inf
    assert math.isnan(dpt.digamma(x)[2].item())
    pts = [-2.5, 0.5, 10.0]
    assert_close(dpt.lgamma(dpt.tensor(pts)), sp.gammaln(pts), rtol=1e-5)
    assert_close(dpt.polygamma(2, dpt.tensor(POS)), sp.polygamma(2, POS))
    assert_close(dpt.tensor(POS).polygamma(1), sp.polygamma(1, POS))
    check_gradients(lambda t: dpt.polygamma(1, t), POS)
    assert dpt.erfinv(dpt.tensor([1.0, -1.0])).tolist() == [math.inf, -math.inf]
    with pytest.raises(RuntimeError, match="does not support negative n"):
        dpt.polygamma(-1, x)


def test_logit_eps():
    a = np.array([0.0, 0.05, 0.5, 0.97, 1.0])
    eps = 0.1
    ref = sp.logit(np.clip(a, eps, 1 - eps))
    assert_close(dpt.logit(dpt.tensor(a), eps=eps), ref)
    x = leaf(a)
    (g,) = dpt.autograd.grad(dpt.logit(x, eps).sum(), x)
    assert_close(g, [0.0, 0.0, 4.0, 0.0, 0.0])
    assert math.isinf(dpt.logit(dpt.tensor([1.0])).item())


def test_sigmoid_is_stable_for_large_inputs():
    y = dpt.sigmoid(dpt.tensor([-1000.0, 1000.0]))
    assert y.tolist() == [0.0, 1.0]


# ---- binary math functions ----------------------------------------------------------------------
def test_binary_math_functions():
    a, b = randn(2, 3), randn(3, seed=1) + 0.5
    check_op(dpt.atan2, np.arctan2, a, b, gradgrad=True)
    check_op(dpt.hypot, np.hypot, a, b, gradgrad=True)
    check_op(dpt.logaddexp, np.logaddexp, a, b, gradgrad=True)
    check_op(dpt.copysign, np.copysign, a, b, gradgrad=True)
    check_op(dpt.xlogy, sp.xlogy, a, np.abs(b), gradgrad=True)
    check_op(lambda x: dpt.xlogy(x, 2.0), lambda x: x * np.log(2.0), a)
    check_op(lambda y: dpt.xlogy(3.0, y), lambda y: 3.0 * np.log(y), np.abs(b))
    check_op(lambda x: dpt.copysign(x, -1.0), lambda x: -np.abs(x), a)
    assert dpt.atan2(dpt.tensor([1]), dpt.tensor([1])).dtype is dpt.float32
    assert dpt.copysign(dpt.tensor([1, 2]), -1).tolist() == [-1.0, -2.0]


def test_xlogy_and_logaddexp_edge_values():
    r = dpt.xlogy(dpt.tensor([0.0, 0.0, 1.0]), dpt.tensor([0.0, np.nan, 0.0]))
    assert r[0].item() == 0.0 and math.isnan(r[1].item()) and r[2].item() == -math.inf
    big = dpt.logaddexp(dpt.tensor([1000.0, -math.inf]), dpt.tensor([1000.0, -math.inf]))
    assert_close(big, [1000.0 + math.log(2.0), -math.inf])


def test_nan_to_num():
    a = np.array([np.nan, np.inf, -np.inf, 1.5])
    t = dpt.tensor(a)
    assert_close(dpt.nan_to_num(t), np.nan_to_num(a), rtol=0)
    assert dpt.nan_to_num(t, nan=1.0, posinf=2.0, neginf=-2.0).tolist() == [1.0, 2.0, -2.0, 1.5]
    x = leaf(a)
    (g,) = dpt.autograd.grad(dpt.nan_to_num(x).sum(), x)
    assert_close(g, [0.0, 0.0, 0.0, 1.0])
    assert dpt.nan_to_num(dpt.tensor([1, 2])).tolist() == [1, 2]


# ---- complex numbers ----------------------------------------------------------------------
def test_complex_helpers():
    z = np.array([1 + 2j, -3 - 1j, 0.5j])
    t = dpt.tensor(z)
    assert_close(dpt.conj(t), np.conj(z))
    assert_close(dpt.real(t), z.real)
    assert_close(dpt.imag(t), z.imag)
    assert_close(dpt.angle(t), np.angle(z))
    assert_close(dpt.abs(t), np.abs(z))
    assert_close(dpt.exp(t), np.exp(z))
    assert t.real._data.base is not None  # a view, as in torch
    r = dpt.tensor([1.0])
    assert dpt.conj(r) is r and dpt.real(r) is r
    with pytest.raises(RuntimeError, match="imag is not implemented for tensors with non-complex"):
        dpt.imag(r)
    assert_close(dpt.angle(dpt.tensor([-2.0, 0.0, 3.0, np.nan])), [np.pi, 0.0, 0.0, np.nan])


def test_complex_gradients():
    z = dpt.tensor(np.array([1 + 2j, -3 - 1j]), requires_grad=True)
    (g,) = dpt.autograd.grad(dpt.real(z).sum() + 2 * dpt.imag(z).sum(), z)
    assert_close(g, [1 + 2j, 1 + 2j])
    (g,) = dpt.autograd.grad(dpt.abs(z).sum(), z)
    assert_close(g, np.array([1 + 2j, -3 - 1j]) / np.abs([1 + 2j, -3 - 1j]))
    (g,) = dpt.autograd.grad(dpt.real(z * z).sum(), z)  # d/dz of Re(z^2) is conj(2z)
    assert_close(g, np.conj(2 * np.array([1 + 2j, -3 - 1j])))


def _wirtinger_numeric(fn, z, eps=1e-6):
    """torch's gradient of the real loss sum(fn(z)) (re/im-weighted): dL/dx + i dL/dy."""
    def loss(v):
        y = fn(dpt.tensor(v))
        y = dpt.real(y) * 1.3 + dpt.imag(y) * 0.7 if y.dtype.is_complex else y
        return y.sum().item()

    g = np.zeros_like(z)
    for k in range(z.size):
        d = np.zeros_like(z)
        d[k] = eps
        g[k] = ((loss(z + d) - loss(z - d)) + 1j * (loss(z + 1j * d) - loss(z - 1j * d))) / (2 * eps)
    return g


@pytest.mark.parametrize("fn", [dpt.exp, dpt.log, dpt.sqrt, dpt.sin, dpt.tanh, dpt.atanh,
                                dpt.sigmoid, dpt.reciprocal, dpt.abs, dpt.angle, dpt.sgn,
                                lambda t: t * (2 - 1j) * t, lambda t: (1 + 2j) / t,
                                lambda t: t ** 2.5, lambda t: dpt.add(t, t, alpha=1j), dpt.conj,
                                lambda t: dpt.real(t) * dpt.imag(t) + dpt.conj(t) * t])
def test_complex_gradients_against_finite_differences(fn):
    z = np.array([0.7 + 0.4j, -0.3 + 1.2j])
    t = dpt.tensor(z, requires_grad=True)
    y = fn(t)
    y = dpt.real(y) * 1.3 + dpt.imag(y) * 0.7 if y.dtype.is_complex else y
    (g,) = dpt.autograd.grad(y.sum(), t)
    assert_close(g, _wirtinger_numeric(fn, z), atol=1e-5, rtol=1e-5)


# ---- in-place twins -----------------------------------------------------------------------
def test_inplace_pointwise_methods():
    x = dpt.tensor([-2.0, 0.5, 3.0])
    ident = id(x)
    x.clamp_(-1, 1)
    assert x.tolist() == [-1.0, 0.5, 1.0]
    x.sigmoid_()
    assert_close(x, sp.expit([-1.0, 0.5, 1.0]))
    x.exp_().log_()
    assert_close(x, sp.expit([-1.0, 0.5, 1.0]))
    assert id(x) == ident
    i = dpt.tensor([1, 2])
    with pytest.raises(RuntimeError, match="can't be cast to the desired output type"):
        i.sqrt_()


def test_inplace_pointwise_in_graph():
    x = leaf([0.5, -1.0])
    y = x * 1
    y.sigmoid_()
    y.sum().backward()
    s = sp.expit([0.5, -1.0])
    assert_close(x.grad, s * (1 - s))


def test_out_argument_on_unary():
    out = dpt.empty(2, dtype=dpt.float64)
    r = dpt.exp(dpt.tensor([0.0, 1.0]), out=out)
    assert r is out and out.dtype is dpt.float64
    assert_close(out, [1.0, math.e])
