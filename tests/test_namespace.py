"""torch's top-level names that scripts use exist in dpt, and the pass-through compilers."""
import pytest

import dpt

TORCH_TOP_LEVEL = """
is_storage is_nonzero is_floating_point is_complex is_conj is_same_size is_signed resolve_conj
resolve_neg conj_physical detach get_default_device set_default_device set_default_tensor_type
use_deterministic_algorithms are_deterministic_algorithms_enabled
is_deterministic_algorithms_warn_only_enabled frombuffer empty_strided tril_indices triu_indices
vander bincount histogram histogramdd isin diff gradient trapezoid trapz cumulative_trapezoid cov
corrcoef quantile nanquantile select narrow_copy rot90 diagflat adjoint addr renorm view_as_real
view_as_complex heaviside frexp ldexp nextafter mvlgamma igamma igammac i0 logaddexp2 gcd lcm rsub
abs_ acos_ asin_ atan_ ceil_ clamp_ clip_ cos_ cosh_ deg2rad_ erf_ erfc_ exp_ exp2_ expm1_ fix_
floor_ frac_ log_ log10_ log1p_ log2_ logit_ nan_to_num_ neg_ negative_ rad2deg_ reciprocal_ relu_
round_ rsqrt_ sigmoid_ sin_ sinc_ sinh_ sqrt_ square_ tan_ tanh_ trunc_ xlogy_ selu_ celu_
threshold_ dropout_ alpha_dropout_ feature_alpha_dropout_
dropout alpha_dropout feature_alpha_dropout conv1d conv2d conv3d conv_transpose1d conv_transpose2d
conv_transpose3d max_pool1d max_pool2d max_pool3d max_pool1d_with_indices avg_pool1d
adaptive_avg_pool1d adaptive_max_pool1d batch_norm instance_norm layer_norm group_norm embedding
pixel_shuffle pixel_unshuffle channel_shuffle cosine_similarity bilinear selu celu threshold
hardshrink prelu pdist cdist pairwise_distance
special testing jit amp compile autocast is_autocast_enabled get_autocast_dtype
""".split()

TENSOR_METHODS = """
select diff bincount histogram quantile nanquantile isin renorm renorm_ rot90 diagflat adjoint
heaviside frexp ldexp ldexp_ nextafter mvlgamma igamma igammac addr addr_ cov corrcoef narrow_copy
is_nonzero i0 gcd lcm logaddexp2 polygamma_ sinc_
""".split()


@pytest.mark.parametrize("name", TORCH_TOP_LEVEL)
def test_top_level_name_exists(name):
    assert hasattr(dpt, name), f"dpt.{name} is missing"


def test_tensor_methods_exist():
    t = dpt.ones(2, 2)
    assert [n for n in TENSOR_METHODS if not hasattr(t, n)] == []


def test_special_and_testing_are_modules():
    import dpt.special
    import dpt.testing

    assert dpt.special.expit is dpt.sigmoid and callable(dpt.testing.assert_close)


def test_compile_returns_the_callable():
    model = dpt.nn.Linear(2, 1)
    assert dpt.compile(model) is model

    def f(x):
        return x * 2

    assert dpt.compile(f, mode="max-autotune") is f

    @dpt.compile(fullgraph=True)
    def g(x):
        return x + 1

    assert g(dpt.tensor(1.0)).item() == 2.0
    assert "no compiler" in dpt.compile.__doc__


def test_jit_pass_through():
    model = dpt.nn.Linear(2, 1)
    assert dpt.jit.script(model) is model
    assert dpt.jit.trace(model, dpt.ones(1, 2)) is model

    @dpt.jit.ignore
    def a():
        return 1

    @dpt.jit.ignore(drop=True)
    def b():
        return 2

    @dpt.jit.unused
    def c():
        return 3

    assert (a(), b(), c()) == (1, 2, 3)
    assert not dpt.jit.is_scripting() and not dpt.jit.is_tracing()
    assert dpt.jit.annotate(int, 5) == 5 and dpt.jit.Final[int] is int
