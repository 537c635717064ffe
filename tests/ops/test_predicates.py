"""dpt.ops.predicates: is_nonzero, is_floating_point, is_same_size, ..."""
import pytest

import dpt


def test_predicates():
    x = dpt.tensor([1.5])
    assert dpt.is_nonzero(x) and not dpt.is_nonzero(dpt.tensor([0]))
    with pytest.raises(RuntimeError, match="more than one value"):
        dpt.is_nonzero(dpt.ones(2))
    with pytest.raises(RuntimeError, match="no values"):
        dpt.is_nonzero(dpt.ones(0))
    assert dpt.is_floating_point(x) and not dpt.is_floating_point(dpt.tensor([1]))
    assert dpt.is_complex(dpt.tensor([1j])) and not dpt.is_complex(x)
    assert dpt.is_storage(x) is False and dpt.is_conj(x) is False
    assert x.is_nonzero() and dpt.is_same_size(x, dpt.zeros(1))
