"""Creation functions: dtypes, defaults, shapes and values against torch."""
import numpy as np
import pytest

torch = pytest.importorskip("torch")

from ._common import run_both  # noqa: E402

CREATION = {
    "arange_int": lambda m: m.arange(5), "arange_float_end": lambda m: m.arange(5.0),
    "arange_step_float": lambda m: m.arange(0, 1, 0.1), "arange_neg_step": lambda m: m.arange(3, -2, -0.5),
    "arange_int_args_float_step": lambda m: m.arange(1, 4, 0.5), "arange_dtype": lambda m: m.arange(4, dtype=m.float64),
    "arange_tensor_args": lambda m: m.arange(m.tensor(2), m.tensor(7)), "arange_empty": lambda m: m.arange(3, 3),
    "arange_fp_edge": lambda m: m.arange(0, 0.3, 0.1), "arange_large_step": lambda m: m.arange(-1.5, 10, 2.25),
    "arange_int_dtype_float_args": lambda m: m.arange(0.5, 4.5, dtype=m.int64),
    "arange_int_step": lambda m: m.arange(0, 10, 3), "arange_bool_start": lambda m: m.arange(True, 4),
    "arange_requires_grad": lambda m: m.arange(3.0, requires_grad=True),
    "range": lambda m: m.range(0, 2, 0.5) if hasattr(m, "range") else m.arange(0, 2.5, 0.5),
    "linspace": lambda m: m.linspace(0, 1, 5), "linspace_int_dtype": lambda m: m.linspace(0, 10, 4, dtype=m.int64),
    "linspace_one": lambda m: m.linspace(2, 3, 1), "linspace_zero": lambda m: m.linspace(2, 3, 0),
    "linspace_desc": lambda m: m.linspace(5, -5, 7, dtype=m.float64), "logspace": lambda m: m.logspace(0, 2, 3),
    "logspace_base": lambda m: m.logspace(0, 3, 4, base=2), "linspace_tensor": lambda m: m.linspace(m.tensor(0.0), m.tensor(1.0), 3),
    "full_bool": lambda m: m.full((2,), True), "full_int": lambda m: m.full((2, 2), 7), "full_float": lambda m: m.full((1, 2), 1.5),
    "full_dtype": lambda m: m.full((2,), 3, dtype=m.float32), "full_0d": lambda m: m.full((), -1),
    "full_tensor_fill": lambda m: m.full((2,), m.tensor(2.5)), "full_list_size": lambda m: m.full([3], 2.5, dtype=m.float64),
    "full_like": lambda m: m.full_like(m.ones(2, dtype=m.int32), 2.7), "full_like_dtype": lambda m: m.full_like(m.ones(2), 1, dtype=m.bool),
    "zeros": lambda m: m.zeros(2, 3), "zeros_tuple": lambda m: m.zeros((2, 3), dtype=m.int32), "zeros_list": lambda m: m.zeros([0, 2]),
    "ones": lambda m: m.ones(3, dtype=m.bool), "ones_size": lambda m: m.ones(m.Size([2, 1])), "ones_0d": lambda m: m.ones(()),
    "zeros_like": lambda m: m.zeros_like(m.ones(2, 2, dtype=m.float64)), "ones_like_grad": lambda m: m.ones_like(m.ones(2, requires_grad=True)),
    "empty_shape": lambda m: m.empty(2, 3).shape, "empty_like_dtype": lambda m: m.empty_like(m.ones(2, dtype=m.int64)).dtype,
    "eye": lambda m: m.eye(3), "eye_rect": lambda m: m.eye(2, 4, dtype=m.int64),
    "tril_indices": lambda m: m.tril_indices(3, 4), "triu_indices": lambda m: m.triu_indices(4, 3, 1),
    "zeros_rg": lambda m: m.zeros(2, requires_grad=True), "scalar_tensor": lambda m: m.scalar_tensor(3),
    "complex": lambda m: m.complex(m.ones(2), m.zeros(2)), "polar": lambda m: m.polar(m.ones(2), m.zeros(2)),
    "heaviside": lambda m: m.heaviside(m.tensor([-1.0, 0.0, 2.0]), m.tensor(0.5)),
    "new_ones": lambda m: m.ones(2, dtype=m.float64).new_ones(3), "new_zeros": lambda m: m.ones(2, dtype=m.int32).new_zeros((2, 2)),
    "new_full": lambda m: m.ones(2, dtype=m.int32).new_full((2,), 3.7), "new_tensor": lambda m: m.ones(2, dtype=m.float64).new_tensor([1, 2]),
    "new_empty_dtype": lambda m: m.ones(2, dtype=m.int32).new_empty(3).dtype,
}

TENSOR_DATA = {
    "ints": [1, 2, 3], "floats": [1.0, 2.5], "mixed_int_float": [1, 2.5, 3], "bools": [True, False],
    "mixed_bool_int": [True, 2], "mixed_bool_float": [False, 1.5], "nested": [[1, 2], [3, 4]],
    "nested_mixed": [[1, 2.0], [3, 4]], "scalar_int": 3, "scalar_float": 2.5, "scalar_bool": True,
    "empty": [], "empty_nested": [[], []], "complex": [1, 2j], "big_int": [2 ** 40],
    "numpy_f32": np.array([1, 2], dtype=np.float32), "numpy_i32": np.array([1, 2], dtype=np.int32),
    "numpy_f64_scalar": np.float64(1.5), "numpy_bool": np.array([True]), "tuple": (1, 2),
    "np_int_in_list": [np.int64(1), 2], "np_float32_in_list": [np.float32(1.5), 2],
}


@pytest.mark.parametrize("name", sorted(CREATION))
def test_creation(name):
    run_both(CREATION[name])


@pytest.mark.parametrize("default", ["float32", "float64"])
@pytest.mark.parametrize("name", ["arange_float_end", "arange_step_float", "linspace", "full_float", "zeros",
                                  "eye", "logspace", "complex", "arange_int", "full_int", "scalar_tensor"])
def test_creation_follows_default_dtype(name, default):
    def prog(m):
        prev = m.get_default_dtype()
        m.set_default_dtype(getattr(m, default))
        try:
            return CREATION[name](m)
        finally:
            m.set_default_dtype(prev)
    run_both(prog)


@pytest.mark.parametrize("name", sorted(TENSOR_DATA))
def test_tensor_inference(name):
    data = TENSOR_DATA[name]
    run_both(lambda m: (m.tensor(data), m.as_tensor(data), m.tensor(data, dtype=m.float64)))


@pytest.mark.parametrize("prog", [
    lambda m: m.tensor([[1, 2], [3]]), lambda m: m.tensor([1, "a"]), lambda m: m.arange(0, 5, 0),
    lambda m: m.arange(5, 0, 1), lambda m: m.linspace(0, 1, -1), lambda m: m.zeros(-1),
    lambda m: m.full((2,), 1.5, dtype=m.int64), lambda m: m.eye(-1), lambda m: m.ones(2, 3).new_ones(-2),
    lambda m: m.tensor([1.0], dtype=m.int32, requires_grad=True), lambda m: m.tensor([1], requires_grad=True),
    lambda m: m.arange(float("nan")), lambda m: m.full((2,), 300, dtype=m.uint8),
], ids=lambda f: "")
def test_creation_errors(prog):
    run_both(prog)


def test_from_numpy_shares_memory_and_dtypes():
    def prog(m):
        a = np.arange(6, dtype=np.int32).reshape(2, 3)
        t = m.from_numpy(a)
        a[0, 0] = 100
        return t, m.from_numpy(np.ones(2, dtype=np.float16)), m.from_numpy(np.array(True))
    run_both(prog)


def test_conversions():
    run_both(lambda m: (m.tensor([1.7, -1.7]).int(), m.tensor([1.7, 0.0]).bool(), m.tensor([1, 2]).float(),
                        m.tensor([1, 2]).double(), m.tensor([1.5]).half(), m.tensor([1.5]).to(m.int64),
                        m.tensor([1.5]).type(m.float64), m.tensor([1.5]).type().replace("torch.", "dpt."), m.tensor([3]).long().dtype,
                        m.tensor([1.5]).item(), m.tensor([2]).item(), m.tensor([True]).item(), m.tensor([[1, 2]]).tolist(),
                        m.tensor([1.5, 2.5]).tolist(), float(m.tensor(2)), int(m.tensor(2.9)), bool(m.tensor([0.0])),
                        m.tensor([1.0]).element_size(), m.tensor([1], dtype=m.int16).element_size(), m.tensor([[1.0]]).dim(),
                        m.ones(2, 3).numel(), m.ones(2, 3).size(), m.ones(2, 3).size(-1), m.ones(2, 3).stride(),
                        m.ones(2, 3).t().is_contiguous(), m.ones(2, 3).is_floating_point(), m.ones(2, dtype=m.int64).is_floating_point(),
                        m.tensor([1.5]).to(m.float64).requires_grad, m.ones(2).dtype.is_floating_point, m.int32.is_signed,
                        m.float16.itemsize if hasattr(m.float16, "itemsize") else 2))


def test_conversion_errors():
    run_both(lambda m: m.ones(2).item())
    run_both(lambda m: bool(m.ones(2)))
    run_both(lambda m: m.ones(2, requires_grad=True).numpy())
    run_both(lambda m: int(m.ones(2)))


_RANGE_DTYPES = ["float32", "float64", "float16", "bfloat16", "int64", "int32", "uint8",
                 "complex64", "complex128"]


@pytest.mark.parametrize("dtype", _RANGE_DTYPES)
def test_linspace_equals_torch_bit_for_bit(dtype):
    """torch's CPU kernel counts the second half down from end with fused multiply-adds
    (half types round at every step, integers start from truncated ends): same bits."""
    import dpt
    for start, end in [(0, 1), (-3.7, 7.3), (1e-3, -2), (100, 1e4), (0.1, 0.3), (-2, 254)]:
        for steps in [1, 2, 5, 10, 17, 100, 1001, 5000]:
            try:
                want = torch.linspace(start, end, steps, dtype=getattr(torch, dtype))
            except RuntimeError:  # torch refuses ends that overflow the dtype
                continue
            got = dpt.linspace(start, end, steps, dtype=getattr(dpt, dtype))
            if dtype == "bfloat16":
                want, got = want.float(), got.float()
            np.testing.assert_array_equal(got.numpy(), want.numpy(),
                                          err_msg=f"linspace({start}, {end}, {steps})")


@pytest.mark.parametrize("dtype", ["float32", "float64", "float16", "int64"])
def test_logspace_equals_torch_bit_for_bit(dtype):
    import dpt
    for start, end in [(0, 1), (-1, 3), (0.1, -2), (2.5, 2.5)]:
        for steps in [1, 2, 7, 10, 100, 1000]:
            for base in [10.0, 2.0, 2.718]:
                want = torch.logspace(start, end, steps, base, dtype=getattr(torch, dtype))
                got = dpt.logspace(start, end, steps, base, dtype=getattr(dpt, dtype))
                np.testing.assert_array_equal(got.numpy(), want.numpy(),
                                              err_msg=f"logspace({start}, {end}, {steps}, {base})")
