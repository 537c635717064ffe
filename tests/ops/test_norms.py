"""dpt.ops.norms: renorm (norm and dist are covered in test_reduction.py)."""
import numpy as np
import pytest

import dpt
from tests.helpers import check_op, randn


def test_renorm():
    x = randn(3, 4) * 3

    def ref(a, p=2.0, dim=0, maxnorm=2.0):
        n = np.linalg.norm(a, p, axis=1, keepdims=True) if dim == 0 else \
            np.linalg.norm(a, p, axis=0, keepdims=True)
        return a * np.where(n > maxnorm, maxnorm / (n + 1e-7), 1.0)

    check_op(lambda t: dpt.renorm(t, 2, 0, 2.0), ref, x)
    check_op(lambda t: dpt.renorm(t, 1, 1, 2.0), lambda a: ref(a, 1.0, 1), x)
    with pytest.raises(RuntimeError, match="maxnorm"):
        dpt.renorm(dpt.ones(2, 2), 2, 0, -1.0)
