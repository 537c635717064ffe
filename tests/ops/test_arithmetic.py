"""Arithmetic, division family, pow, fused multiply-adds, logic/bitwise ops, out= and in-place
twins: numpy references, float64 gradchecks, torch's dtype rules and error messages."""
import numpy as np
import pytest
import scipy.special

import dpt
from tests.helpers import assert_close, check_gradients, check_op, leaf, randn

SHAPES = [((2, 3), (2, 3)), ((2, 3), (3,)), ((2, 1), (1, 3)), ((), (2,)), ((0, 3), (3,))]


# ---- add / sub / mul / div --------------------------------------------------------------
@pytest.mark.parametrize("sa,sb", SHAPES)
def test_basic_arithmetic_against_numpy(sa, sb, device):
    a, b = randn(*sa, seed=1), randn(*sb, seed=2) + 3
    check_op(dpt.add, np.add, a, b, device=device)
    check_op(dpt.sub, np.subtract, a, b, device=device)
    check_op(dpt.mul, np.multiply, a, b, device=device)
    check_op(dpt.div, np.divide, a, b, device=device)
    check_op(dpt.true_divide, np.divide, a, b, device=device)


def test_alpha_scales_other_and_its_gradient():
    a, b = randn(2, 3), randn(3, seed=1)
    check_op(lambda x, y: dpt.add(x, y, alpha=2.5), lambda x, y: x + 2.5 * y, a, b)
    check_op(lambda x, y: dpt.sub(x, y, alpha=-3), lambda x, y: x + 3 * y, a, b)
    check_op(lambda x, y: x.subtract(y, alpha=0.5), lambda x, y: x - 0.5 * y, a, b)
    assert dpt.add(dpt.tensor([1, 2]), dpt.tensor([3, 4]), alpha=2).tolist() == [7, 10]


def test_alpha_errors():
    i = dpt.tensor([1, 2])
    with pytest.raises(RuntimeError, match="For integral input tensors, argument alpha must not be "
                                           "a floating point number"):
        dpt.add(i, i, alpha=2.0)
    with pytest.raises(RuntimeError, match="Boolean alpha only supported for Boolean results"):
        dpt.add(dpt.ones(2), 1, alpha=True)


def test_mul_div_second_derivatives():
    a, b = randn(2, 3), randn(2, 3, seed=1) + 3
    check_gradients(dpt.mul, a, b, gradgrad=True)
    check_gradients(dpt.div, a, b, gradgrad=True)
    check_gradients(lambda x: 1 / x, b, gradgrad=True)


def test_dtype_results():
    i, f = dpt.tensor([1, 2, 3]), dpt.tensor([1.0, 2.0, 3.0])
    assert (i + i).dtype is dpt.int64
    assert (i + 1.5).dtype is dpt.float32
    assert (i * 2).dtype is dpt.int64
    assert (i / i).dtype is dpt.float32 and (i / 2).dtype is dpt.float32
    assert_close(i / 2, [0.5, 1.0, 1.5])
    assert (f + dpt.tensor(2.0, dtype=dpt.float64)).dtype is dpt.float32  # 0-d does not promote
    assert (f.double() + f).dtype is dpt.float64
    assert (dpt.tensor([1], dtype=dpt.int8) + dpt.tensor([1], dtype=dpt.uint8)).dtype is dpt.int16
    b = dpt.tensor([True, False])
    assert (b + b).tolist() == [True, False] and (b * b).dtype is dpt.bool
    assert (b + 1).dtype is dpt.int64
    with pytest.raises(RuntimeError, match="Subtraction, the `-` operator, with two bool tensors"):
        b - b
    dpt.set_default_dtype(dpt.float64)
    assert (i / 2).dtype is dpt.float64


def test_reflected_operators():
    a = randn(2, 3) + 3
    t = dpt.tensor(a)
    assert_close(2 - t, 2 - a)
    assert_close(2 / t, 2 / a)
    assert_close(2 ** t, 2 ** a)
    assert_close(t ** 2, a ** 2)
    assert_close(7 // t, 7 // a)
    assert_close(7 % t, 7 % a)
    assert_close(-t, -a)
    assert +t is t
    with pytest.raises(TypeError, match="expected at least one Tensor"):
        dpt.add(1, 2)


# ---- division family ----------------------------------------------------------------------
def test_div_rounding_modes_match_python():
    a = np.array([[-7.5, -7.0, -0.5], [0.5, 7.0, 7.5]])
    b = np.array([2.0, -2.0, 3.0])
    ta, tb = dpt.tensor(a), dpt.tensor(b)
    assert_close(dpt.div(ta, tb, rounding_mode="floor"), np.floor_divide(a, b))
    assert_close(dpt.div(ta, tb, rounding_mode="trunc"), np.trunc(a / b))
    ia, ib = dpt.tensor([[-7, 7], [5, -5]]), dpt.tensor([2, -3])
    floor = dpt.div(ia, ib, rounding_mode="floor")
    trunc = dpt.div(ia, ib, rounding_mode="trunc")
    assert floor.dtype is dpt.int64 and trunc.dtype is dpt.int64
    assert floor.tolist() == [[-4, -3], [2, 1]]
    assert trunc.tolist() == [[-3, -2], [2, 1]]
    assert (ia // ib).tolist() == floor.tolist()
    assert dpt.true_divide(ia, ib).dtype is dpt.float32
    with pytest.raises(ValueError, match="div expected rounding_mode to be one of None, "
                                         "'trunc', or 'floor' but found 'round'"):
        dpt.div(ta, tb, rounding_mode="round")


def test_rounding_divisions_have_zero_gradient():
    x = leaf([1.5, -2.5])
    for y in (dpt.div(x, 2.0, rounding_mode="floor"), dpt.div(x, 2.0, rounding_mode="trunc"),
              dpt.floor_divide(x, 2.0)):
        assert y.requires_grad
        (g,) = dpt.autograd.grad(y.sum(), x)
        assert_close(g, [0.0, 0.0])


def test_integer_division_by_zero_raises():
    i = dpt.tensor([1, 2])
    for fn in (lambda: i // 0, lambda: i % dpt.tensor([1, 0]), lambda: dpt.fmod(i, 0),
               lambda: dpt.div(i, 0, rounding_mode="trunc")):
        with pytest.raises(RuntimeError, match="ZeroDivisionError"):
            fn()
    with np.errstate(divide="ignore"):  # float division by zero is inf, as in torch
        assert_close(dpt.tensor([1.0, -1.0]) / 0, [np.inf, -np.inf])


def test_remainder_and_fmod():
    a = np.array([[-3.5, -1.0, 2.5], [4.3, 5.5, -6.2]])
    b = np.array([2.0, -1.5, 4.0])
    check_op(dpt.remainder, np.remainder, a, b, gradgrad=True)
    check_op(dpt.fmod, np.fmod, a, b, gradgrad=True)
    check_op(lambda x: dpt.remainder(x, 1.5), lambda x: np.remainder(x, 1.5), a)
    check_op(lambda y: dpt.remainder(5.0, y), lambda y: np.remainder(5.0, y), b)
    i = dpt.tensor([-5, 5])
    assert dpt.remainder(i, 3).tolist() == [1, 2]
    assert dpt.fmod(i, 3).tolist() == [-2, 2]
    assert dpt.remainder(i, 3).dtype is dpt.int64


# ---- pow and friends -----------------------------------------------------------------------
def test_pow_forms_and_gradients():
    base, ex = np.abs(randn(2, 3)) + 0.5, randn(3, seed=1)
    check_op(dpt.pow, np.power, base, ex, gradgrad=True)
    check_op(lambda x: dpt.pow(x, 3), lambda x: x ** 3, randn(2, 3), gradgrad=True)
    check_op(lambda x: dpt.pow(x, 0.5), np.sqrt, base, gradgrad=True)
    check_op(lambda y: dpt.pow(2.0, y), lambda y: 2.0 ** y, ex, gradgrad=True)
    check_op(lambda x: x.square(), np.square, randn(2, 3))


def test_pow_special_points_follow_torch():
    x = leaf([0.0, 2.0])
    (g,) = dpt.autograd.grad(dpt.pow(x, 0).sum(), x)
    assert_close(g, [0.0, 0.0])  # exponent 0: no 0 * inf = nan at x = 0
    y = leaf([2.0, 3.0])
    (gy,) = dpt.autograd.grad(dpt.pow(dpt.tensor([0.0, 2.0], dtype=dpt.float64), y).sum(), y)
    assert_close(gy, [0.0, 8.0 * np.log(2.0)])  # 0 ** y: zero derivative in y, not nan


def test_pow_dtypes_and_errors():
    i = dpt.tensor([1, 2, 3])
    assert (i ** 2).dtype is dpt.int64 and (i ** 2).tolist() == [1, 4, 9]
    assert (i ** 0.5).dtype is dpt.float32
    assert (2 ** i).tolist() == [2, 4, 8]
    assert dpt.square(dpt.tensor([True, False])).dtype is dpt.int64
    with pytest.raises(RuntimeError, match="Integers to negative integer powers are not allowed"):
        i ** -1
    with pytest.raises(RuntimeError, match="Integers to negative integer powers are not allowed"):
        i ** dpt.tensor([1, -1, 2])
    fp = dpt.float_power(i, 2)
    assert fp.dtype is dpt.float64 and fp.tolist() == [1.0, 4.0, 9.0]
    assert dpt.float_power(dpt.ones(2), dpt.ones(2)).dtype is dpt.float64
    check_op(dpt.float_power, np.power, np.abs(randn(2, 3)) + 0.5, randn(3, seed=2))


def test_neg_and_positive():
    check_op(dpt.neg, np.negative, randn(2, 3))
    assert dpt.negative is dpt.neg
    t = dpt.ones(2)
    assert dpt.positive(t) is t
    b = dpt.tensor([True])
    with pytest.raises(RuntimeError, match="Negation, the `-` operator, on a bool tensor"):
        -b
    with pytest.raises(RuntimeError, match="The `\\+` operator, on a bool tensor is not supported"):
        dpt.positive(b)


# ---- addcmul / addcdiv / lerp ---------------------------------------------------------------
def test_addcmul_addcdiv():
    a, b, c = randn(2, 3), randn(3, seed=1), randn(2, 1, seed=2) + 3
    check_op(lambda x, y, z: dpt.addcmul(x, y, z, value=0.5), lambda x, y, z: x + 0.5 * y * z,
             a, b, c)
    check_op(lambda x, y, z: dpt.addcdiv(x, y, z, value=-2), lambda x, y, z: x - 2 * y / z, a, b, c)
    check_op(lambda x, y, z: x.addcmul(y, z), lambda x, y, z: x + y * z, a, b, c, gradgrad=True)
    i = dpt.tensor([1, 2])
    with pytest.raises(RuntimeError, match="Integer division with addcdiv is no longer supported"):
        dpt.addcdiv(i, i, i)


def test_lerp_scalar_and_tensor_weight():
    a, b, w = randn(2, 3), randn(3, seed=1), randn(2, 3, seed=2)
    check_op(lambda x, y: dpt.lerp(x, y, 0.3), lambda x, y: x + 0.3 * (y - x), a, b)
    check_op(dpt.lerp, lambda x, y, z: x + z * (y - x), a, b, w, gradgrad=True)
    with pytest.raises(RuntimeError, match="expected dtype float32 for `end` but got dtype "
                                           "float64"):
        dpt.lerp(dpt.ones(2), dpt.ones(2, dtype=dpt.float64), 0.5)


# ---- logical and bitwise ---------------------------------------------------------------------
def test_logical_ops():
    a, b = np.array([0, 1, 2, 0]), np.array([0.0, 0.0, 3.0, -1.0])
    ta, tb = dpt.tensor(a), dpt.tensor(b)
    for name in ("logical_and", "logical_or", "logical_xor"):
        r = getattr(dpt, name)(ta, tb)
        assert r.dtype is dpt.bool and r.tolist() == getattr(np, name)(a, b).tolist()
        assert getattr(ta, name)(tb).tolist() == r.tolist()
    assert dpt.logical_not(ta).tolist() == [True, False, False, True]
    assert dpt.logical_and(ta, tb, out=dpt.empty(4)).tolist() == [0.0, 0.0, 1.0, 0.0]


def test_bitwise_ops_integers_and_bools_only():
    a, b = np.array([[12, -7], [5, 0]]), np.array([10, 3])
    ta, tb = dpt.tensor(a), dpt.tensor(b)
    assert (ta & tb).tolist() == (a & b).tolist()
    assert (ta | tb).tolist() == (a | b).tolist()
    assert (ta ^ tb).tolist() == (a ^ b).tolist()
    assert (~ta).tolist() == (~a).tolist()
    assert (ta << 2).tolist() == (a << 2).tolist()
    assert (ta >> 1).tolist() == (a >> 1).tolist()
    assert dpt.bitwise_left_shift(ta, tb).tolist() == (a << b).tolist()
    m = dpt.tensor([True, False])
    assert (m & dpt.tensor([True, True])).tolist() == [True, False]
    assert (~m).tolist() == [False, True] and (m | m).dtype is dpt.bool
    f = dpt.ones(2)
    with pytest.raises(RuntimeError, match="\"bitwise_and_cpu\" not implemented for 'Float'"):
        f & f
    with pytest.raises(RuntimeError, match="\"bitwise_not_cpu\" not implemented for 'Float'"):
        ~f
    with pytest.raises(RuntimeError, match="\"lshift_cpu\" not implemented for 'Float'"):
        f << 1
    with pytest.raises(RuntimeError, match="not implemented for 'Float'"):
        dpt.tensor([1, 2]) | 1.5


# ---- out= ------------------------------------------------------------------------------------
def test_out_argument():
    a, b = dpt.tensor([1.0, 2.0]), dpt.tensor([3.0, 4.0])
    out = dpt.empty(2)
    assert dpt.add(a, b, out=out) is out and out.tolist() == [4.0, 6.0]
    dpt.mul(a, b, out=out)
    assert out.tolist() == [3.0, 8.0]
    resized = dpt.empty(0)
    dpt.sub(a, b, out=resized)
    assert resized.shape == (2,) and resized.tolist() == [-2.0, -2.0]
    wide = dpt.empty(2, dtype=dpt.float64)
    dpt.div(a, b, out=wide)
    assert wide.dtype is dpt.float64 and wide.tolist() == pytest.approx([1 / 3, 0.5])
    with pytest.raises(RuntimeError, match="result type Float can't be cast to the desired output "
                                           "type Long"):
        dpt.add(a, b, out=dpt.empty(2, dtype=dpt.int64))
    with pytest.raises(RuntimeError, match="add\\(\\): functions with out=... arguments don't "
                                           "support automatic differentiation"):
        dpt.add(a.requires_grad_(), b, out=out)
    with dpt.no_grad():
        dpt.add(a, b, out=out)
    assert out.tolist() == [4.0, 6.0]


# ---- in-place twins ----------------------------------------------------------------------------
def test_inplace_methods_keep_identity():
    x = dpt.tensor([1.0, 2.0])
    ident = id(x)
    x += 1
    x *= 2
    x -= 1
    x /= 2
    assert id(x) == ident and x.tolist() == [1.5, 2.5]
    assert x.add_(1, alpha=2) is x and x.tolist() == [3.5, 4.5]
    assert x.mul_(dpt.tensor([2.0, 0.0])) is x and x.tolist() == [7.0, 0.0]
    i = dpt.tensor([5, 7])
    i //= 2
    i %= 2
    assert i.tolist() == [0, 1] and i.dtype is dpt.int64
    x[:] = dpt.tensor([9.0, 8.0])
    assert id(x) == ident and x.tolist() == [9.0, 8.0]


def test_inplace_dtype_and_leaf_errors():
    i = dpt.tensor([1, 2])
    with pytest.raises(RuntimeError, match="result type .*Float.* can't be cast to the desired "
                                           "output type .*Long|result type float32 can't be cast "
                                           "to the desired output type int64"):
        i += 1.5
    with pytest.raises(RuntimeError, match="can't be cast to the desired output type"):
        i /= 2
    w = dpt.ones(2, requires_grad=True)
    with pytest.raises(RuntimeError, match="a leaf Variable that requires grad is being used in an "
                                           "in-place operation"):
        w.add_(1)
    with dpt.no_grad():
        w.add_(1)
    assert w.tolist() == [2.0, 2.0]


def test_inplace_in_graph_gradient():
    x = leaf(np.array([1.0, 2.0]))
    y = x * 3
    y.add_(x, alpha=2)  # y = 5x
    y.mul_(x)  # y = 5x^2
    y.sum().backward()
    assert_close(x.grad, [10.0, 20.0])


def test_int_helpers_and_aliases():
    assert dpt.gcd(dpt.tensor([4, 6, 0]), dpt.tensor([6, 9, 5])).tolist() == [2, 3, 5]
    assert dpt.lcm(dpt.tensor([4, 6]), dpt.tensor([6, 9])).tolist() == [12, 18]
    with pytest.raises(RuntimeError, match="not implemented"):
        dpt.gcd(dpt.ones(2), dpt.ones(2))
    check_op(lambda s, t: dpt.logaddexp2(s, t), np.logaddexp2, randn(3), randn(3, seed=1))
    assert dpt.rsub(dpt.tensor([1.0, 2.0]), 5, alpha=2).tolist() == [3.0, 1.0]
    check_op(dpt.i0, scipy.special.i0, randn(4))


def test_division_by_zero_is_silent_like_torch():
    """x / 0 gives inf and 0 / 0 nan without numpy's RuntimeWarning (torch prints nothing),
    also where warnings are errors (pytest's filterwarnings = error)."""
    import warnings
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        x = dpt.tensor([1.0, -2.0, 0.0], requires_grad=True)
        y = x / dpt.zeros(3)
        np.testing.assert_array_equal(y.detach().numpy(), [np.inf, -np.inf, np.nan])
        (1 / x).sum().backward()
        assert np.isinf(x.grad.numpy()[2])
