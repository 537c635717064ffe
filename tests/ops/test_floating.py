"""dpt.ops.floating and heaviside: the binary form of floats against numpy."""
import numpy as np
import pytest

import dpt
from tests.helpers import assert_close, check_gradients, check_op, leaf, randn


def test_heaviside_nextafter_frexp_ldexp():
    x = dpt.tensor([-1.5, 0.0, 2.0, float("nan")])
    assert_close(dpt.heaviside(x, dpt.tensor([0.5])), [0.0, 0.5, 1.0, 0.0])
    assert dpt.heaviside(dpt.tensor([0, 3]), dpt.tensor([7])).tolist() == [7, 1]
    with pytest.raises(RuntimeError, match="different dtypes"):
        dpt.heaviside(x, dpt.tensor([1]))
    h = dpt.heaviside(leaf([1.0, -1.0]), leaf([0.5], False)).sum()
    with pytest.raises(RuntimeError, match="derivative for 'heaviside' is not implemented"):
        h.backward()
    a, b = np.array([1.0, 2.0, -0.0]), np.array([2.0, 1.0, -1.0])
    assert_close(dpt.nextafter(leaf(a, False), leaf(b, False)), np.nextafter(a, b), rtol=0, atol=0)
    v = randn(5) * 100
    m, e = dpt.frexp(leaf(v, False))
    nm, ne = np.frexp(v)
    assert_close(m, nm) and e.dtype is dpt.int32
    assert e.tolist() == ne.tolist()
    check_gradients(lambda t: dpt.frexp(t).mantissa, v)
    check_op(lambda t, u: dpt.ldexp(t, u), lambda t, u: np.ldexp(t, u.astype(int)),
             randn(4), np.array([0.0, 1.0, -2.0, 5.0]), grad=False)
    check_gradients(lambda t: dpt.ldexp(t, dpt.tensor([1, 2, 3])), randn(3))
    assert dpt.ldexp(dpt.tensor([1]), dpt.tensor([3])).dtype is dpt.float32
