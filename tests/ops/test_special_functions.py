"""dpt.ops.special_functions: mvlgamma, igamma, igammac against scipy, with gradchecks."""
import numpy as np
import pytest
import scipy.special

import dpt
from tests.helpers import check_gradients, check_op, leaf


def test_mvlgamma_igamma():
    x = np.array([1.7, 2.5, 4.0])
    for p in (1, 2, 3):
        check_op(lambda t: dpt.mvlgamma(t, p), lambda a: scipy.special.multigammaln(a, p), x)
    with pytest.raises(RuntimeError, match="greater than"):
        dpt.mvlgamma(dpt.tensor([0.2]), 2)
    a, z = np.array([0.5, 1.0, 3.0]), np.array([0.3, 2.0, 1.5])
    check_op(lambda s, t: dpt.igamma(s, t), scipy.special.gammainc, a, z, grad=False)
    check_op(lambda s, t: dpt.igammac(s, t), scipy.special.gammaincc, a, z, grad=False)
    check_gradients(lambda t: dpt.igamma(leaf(a, False), t), z)
    check_gradients(lambda t: dpt.igammac(leaf(a, False), t), z)
    with pytest.raises(RuntimeError, match="igamma"):
        dpt.igamma(leaf(a), leaf(z, False)).sum().backward()
