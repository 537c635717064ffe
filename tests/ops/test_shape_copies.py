"""dpt.ops.shape_copies: narrow_copy and rot90 (cat, flip, ... are covered in test_shape.py)."""
import numpy as np
import pytest

import dpt
from tests.helpers import check_op, randn


def test_narrow_copy_and_diagflat():
    x = dpt.arange(6.0).reshape(2, 3)
    c = dpt.narrow_copy(x, 1, 1, 2)
    assert c.tolist() == [[1.0, 2.0], [4.0, 5.0]] and c._base is None
    check_op(lambda t: dpt.diagflat(t, 1), lambda a: np.diagflat(a, 1), randn(2, 2))


@pytest.mark.parametrize("k", [-1, 0, 1, 2, 3, 5])
def test_rot90(k):
    x = randn(2, 3, 4)
    check_op(lambda t: dpt.rot90(t, k, (0, 2)), lambda a: np.rot90(a, k, (0, 2)), x)


def test_rot90_errors():
    with pytest.raises(RuntimeError, match="total rotation dims"):
        dpt.rot90(dpt.ones(2, 2), 1, (0,))
    with pytest.raises(RuntimeError, match="different"):
        dpt.rot90(dpt.ones(2, 2), 1, (1, -1))


def test_cat_gives_skipped_legacy_empty_inputs_an_empty_gradient():
    """torch skips 1-D empty tensors in cat but still hands them a (0,)-shaped gradient."""
    a = dpt.zeros(0, dtype=dpt.float64, requires_grad=True)
    b = dpt.ones(2, 3, dtype=dpt.float64, requires_grad=True)
    ga, gb = dpt.autograd.grad(dpt.cat([a, b], 1).sum(), [a, b])
    assert ga.shape == (0,) and gb.tolist() == [[1.0] * 3] * 2
