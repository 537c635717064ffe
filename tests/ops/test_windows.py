"""Window functions against numpy's symmetric windows (periodic = N + 1 points, last dropped)."""
import numpy as np
import pytest

import dpt
from tests.helpers import assert_close

REFS = {"hann_window": np.hanning, "hamming_window": np.hamming, "blackman_window": np.blackman,
        "bartlett_window": np.bartlett, "kaiser_window": lambda n: np.kaiser(n, 12.0)}


@pytest.mark.parametrize("name", sorted(REFS))
def test_windows(name):
    fn, ref = getattr(dpt, name), REFS[name]
    assert_close(fn(7, periodic=False, dtype=dpt.float64), ref(7), atol=1e-12)
    assert_close(fn(8, dtype=dpt.float64), ref(9)[:8], atol=1e-12)
    assert fn(8).dtype == dpt.float32
    assert fn(0).shape == (0,)
    assert fn(1).tolist() == [1.0]


def test_window_arguments():
    assert_close(dpt.hamming_window(5, False, alpha=0.5, beta=0.5, dtype=dpt.float64),
                 np.hanning(5), atol=1e-12)
    assert_close(dpt.kaiser_window(6, False, beta=3.0, dtype=dpt.float64), np.kaiser(6, 3.0))
    assert dpt.hann_window(4, requires_grad=True).requires_grad
    with pytest.raises(RuntimeError, match="floating point"):
        dpt.hann_window(4, dtype=dpt.int64)
    with pytest.raises(RuntimeError, match="non-negative"):
        dpt.hann_window(-1)
