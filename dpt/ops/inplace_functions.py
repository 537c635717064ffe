"""torch's top-level in-place functions: ``dpt.relu_(x)`` is ``x.relu_()``, the op's result
written back into its input through the one in-place path (ops/inplace.py)."""
from __future__ import annotations

from . import arithmetic, complex_numbers, floating, pointwise, special_functions
from .inplace import inplace

__all__ = ["abs_", "acos_", "acosh_", "asin_", "asinh_", "atan_", "atanh_", "arccos_", "arccosh_",
           "arcsin_", "arcsinh_", "arctan_", "arctanh_", "ceil_", "clamp_", "clamp_max_",
           "clamp_min_", "clip_", "cos_", "cosh_", "deg2rad_", "erf_", "erfc_", "exp_", "exp2_",
           "expm1_", "fix_", "floor_", "frac_", "log_", "log10_", "log1p_", "log2_", "logit_",
           "nan_to_num_", "neg_", "negative_", "rad2deg_", "reciprocal_", "relu_", "round_",
           "rsqrt_", "sigmoid_", "sin_", "sinc_", "sinh_", "sqrt_", "square_", "tan_", "tanh_",
           "trunc_", "xlogy_", "ldexp_", "gcd_", "lcm_", "i0_", "conj_physical_"]


def _twin(fn, name: str):
    """name(input, ...): fn(input, ...) written into input."""

    def op(input, *args, **kwargs):
        return inplace(input, fn(input, *args, **kwargs), name)

    op.__name__ = op.__qualname__ = name
    op.__doc__ = f"{name}(input, ...): dpt.{name[:-1]} written into input."
    return op


abs_ = _twin(pointwise.abs, "abs_")
acos_ = _twin(pointwise.acos, "acos_")
acosh_ = _twin(pointwise.acosh, "acosh_")
asin_ = _twin(pointwise.asin, "asin_")
asinh_ = _twin(pointwise.asinh, "asinh_")
atan_ = _twin(pointwise.atan, "atan_")
atanh_ = _twin(pointwise.atanh, "atanh_")
arccos_ = _twin(pointwise.arccos, "arccos_")
arccosh_ = _twin(pointwise.arccosh, "arccosh_")
arcsin_ = _twin(pointwise.arcsin, "arcsin_")
arcsinh_ = _twin(pointwise.arcsinh, "arcsinh_")
arctan_ = _twin(pointwise.arctan, "arctan_")
arctanh_ = _twin(pointwise.arctanh, "arctanh_")
ceil_ = _twin(pointwise.ceil, "ceil_")
clamp_ = _twin(pointwise.clamp, "clamp_")
clamp_max_ = _twin(pointwise.clamp_max, "clamp_max_")
clamp_min_ = _twin(pointwise.clamp_min, "clamp_min_")
clip_ = _twin(pointwise.clip, "clip_")
cos_ = _twin(pointwise.cos, "cos_")
cosh_ = _twin(pointwise.cosh, "cosh_")
deg2rad_ = _twin(pointwise.deg2rad, "deg2rad_")
erf_ = _twin(special_functions.erf, "erf_")
erfc_ = _twin(special_functions.erfc, "erfc_")
exp_ = _twin(pointwise.exp, "exp_")
exp2_ = _twin(pointwise.exp2, "exp2_")
expm1_ = _twin(pointwise.expm1, "expm1_")
fix_ = _twin(pointwise.fix, "fix_")
floor_ = _twin(pointwise.floor, "floor_")
frac_ = _twin(pointwise.frac, "frac_")
log_ = _twin(pointwise.log, "log_")
log10_ = _twin(pointwise.log10, "log10_")
log1p_ = _twin(pointwise.log1p, "log1p_")
log2_ = _twin(pointwise.log2, "log2_")
logit_ = _twin(pointwise.logit, "logit_")
nan_to_num_ = _twin(pointwise.nan_to_num, "nan_to_num_")
neg_ = _twin(arithmetic.neg, "neg_")
negative_ = _twin(arithmetic.negative, "negative_")
rad2deg_ = _twin(pointwise.rad2deg, "rad2deg_")
reciprocal_ = _twin(pointwise.reciprocal, "reciprocal_")
relu_ = _twin(pointwise.relu, "relu_")
round_ = _twin(pointwise.round, "round_")
rsqrt_ = _twin(pointwise.rsqrt, "rsqrt_")
sigmoid_ = _twin(pointwise.sigmoid, "sigmoid_")
sin_ = _twin(pointwise.sin, "sin_")
sinc_ = _twin(pointwise.sinc, "sinc_")
sinh_ = _twin(pointwise.sinh, "sinh_")
sqrt_ = _twin(pointwise.sqrt, "sqrt_")
square_ = _twin(pointwise.square, "square_")
tan_ = _twin(pointwise.tan, "tan_")
tanh_ = _twin(pointwise.tanh, "tanh_")
trunc_ = _twin(pointwise.trunc, "trunc_")
xlogy_ = _twin(pointwise.xlogy, "xlogy_")
ldexp_ = _twin(floating.ldexp, "ldexp_")
gcd_ = _twin(arithmetic.gcd, "gcd_")
lcm_ = _twin(arithmetic.lcm, "lcm_")
i0_ = _twin(special_functions.i0, "i0_")
conj_physical_ = _twin(complex_numbers.conj_physical, "conj_physical_")
