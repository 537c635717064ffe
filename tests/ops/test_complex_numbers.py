"""dpt.ops.complex_numbers: view_as_real / view_as_complex."""
import numpy as np
import pytest

import dpt
from tests.helpers import assert_close, check_gradients, randn


def test_view_as_real_complex():
    c = dpt.tensor([[1 + 2j, 3 - 1j], [0.5j, 2.0]])
    r = dpt.view_as_real(c)
    assert r.shape == (2, 2, 2) and r.dtype is dpt.float32 and r._base is c
    assert_close(r, np.stack([c.numpy().real, c.numpy().imag], -1))
    r[0, 0, 1] = 7.0
    assert c[0, 0].item() == 1 + 7j
    back = dpt.view_as_complex(r)
    assert back.dtype is dpt.complex64 and back.tolist() == c.tolist()
    # non-contiguous complex input: a column
    col = dpt.view_as_real(c[:, 1])
    assert_close(col, np.stack([c.numpy()[:, 1].real, c.numpy()[:, 1].imag], -1))
    x = randn(3, 2)
    check_gradients(lambda t: dpt.view_as_real(dpt.view_as_complex(t) * (1 + 2j)), x)
    check_gradients(lambda t: dpt.view_as_real(dpt.view_as_complex(t).exp()).sum(-1), x)
    with pytest.raises(RuntimeError, match="last dimension of size 2"):
        dpt.view_as_complex(dpt.ones(3))
    with pytest.raises(RuntimeError, match="stride 1"):
        dpt.view_as_complex(dpt.ones(2, 4)[:, ::2])
    with pytest.raises(RuntimeError, match="complex tensors"):
        dpt.view_as_real(dpt.ones(2))
