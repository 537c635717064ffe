"""The minimal failing examples the property tests found, kept as plain regression tests."""
import dpt


def test_complex_0d_with_float_dims_keeps_the_float_precision():
    x = dpt.ones(2, dtype=dpt.float32)
    z = dpt.tensor(1j, dtype=dpt.complex128)
    assert dpt.result_type(x, z) is dpt.complex64
    assert (x + z).dtype is dpt.complex64
    assert (dpt.ones(2, dtype=dpt.float64) + dpt.tensor(1j, dtype=dpt.complex64)).dtype \
        is dpt.complex128


def test_bfloat16_with_float_scalar_stays_bfloat16():
    x = dpt.ones(3, dtype=dpt.bfloat16, requires_grad=True)
    y = (x * 0.5 + 1.5) / 2.0 - 0.25
    assert y.dtype is dpt.bfloat16 and (0.5 * x).dtype is dpt.bfloat16
    y.sum().backward()
    assert x.grad.dtype is dpt.bfloat16 and x.grad.tolist() == [0.25] * 3


def test_select_to_0d_is_a_view():
    x = dpt.zeros(3)
    x.select(0, 1).add_(5)
    assert x.tolist() == [0.0, 5.0, 0.0]


def test_empty_index_of_0d_is_a_view():
    x = dpt.tensor(1.0)
    x[()].add_(2)
    assert x.item() == 3.0
