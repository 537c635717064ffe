"""dpt.ops.inplace_functions: torch's top-level in-place functions."""
import numpy as np
import pytest

import dpt
from tests.helpers import assert_close


def test_top_level_inplace_aliases():
    x = dpt.tensor([-1.0, 0.25, 4.0])
    assert dpt.relu_(x) is x and x.tolist() == [0.0, 0.25, 4.0]
    dpt.sqrt_(x)
    assert x.tolist() == [0.0, 0.5, 2.0]
    dpt.clamp_(x, max=1.0)
    assert x.tolist() == [0.0, 0.5, 1.0]
    y = dpt.tensor([-2.0, 3.0])
    dpt.abs_(y), dpt.exp_(y), dpt.sigmoid_(y), dpt.tanh_(y)
    assert_close(y, np.tanh(1 / (1 + np.exp(-np.exp([2.0, 3.0])))), rtol=1e-6)
    with pytest.raises(RuntimeError, match="leaf Variable"):
        dpt.exp_(dpt.ones(2, requires_grad=True))
