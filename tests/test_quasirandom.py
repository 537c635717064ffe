"""SobolEngine: torch's (and scipy's, same Joe-Kuo numbers) unscrambled sequence, scrambling."""
import numpy as np
import pytest
from scipy.stats import qmc

import dpt
from dpt.quasirandom import SobolEngine


def test_first_points_are_torchs():
    pts = SobolEngine(3).draw(8)
    assert pts.dtype == dpt.float32 and pts.shape == (8, 3)
    assert pts.tolist() == [[0.0, 0.0, 0.0], [0.5, 0.5, 0.5], [0.75, 0.25, 0.25],
                            [0.25, 0.75, 0.75], [0.375, 0.375, 0.625], [0.875, 0.875, 0.125],
                            [0.625, 0.125, 0.875], [0.125, 0.625, 0.375]]


def test_matches_reference_sequence_in_many_dimensions():
    ours = SobolEngine(40).draw(100, dtype=dpt.float64).numpy()
    ref = qmc.Sobol(40, scramble=False).random(128)[:100]
    np.testing.assert_array_equal(ours, ref)


def test_tutorial_draw_100():
    pts = SobolEngine(3).draw(100)
    assert pts.shape == (100, 3)
    assert float(pts.min()) >= 0 and float(pts.max()) < 1


def test_piecewise_draws_fast_forward_and_reset():
    full = SobolEngine(5).draw(64).numpy()
    eng = SobolEngine(5)
    parts = [eng.draw(1), eng.draw(20)]
    eng.fast_forward(10)
    parts.append(eng.draw(33))
    got = np.concatenate([p.numpy() for p in parts])
    np.testing.assert_array_equal(got[:21], full[:21])
    np.testing.assert_array_equal(got[21:], full[31:])
    assert eng.num_generated == 64
    np.testing.assert_array_equal(eng.reset().draw(4).numpy(), full[:4])


def test_draw_base2_balance_check():
    eng = SobolEngine(2)
    assert eng.draw_base2(3).shape == (8, 2)
    assert eng.draw_base2(3).shape == (8, 2)
    eng.draw(1)
    with pytest.raises(ValueError, match="power of 2"):
        eng.draw_base2(2)


def test_scrambled_is_seeded_and_balanced():
    a = SobolEngine(4, scramble=True, seed=7).draw(64)
    b = SobolEngine(4, scramble=True, seed=7).draw(64)
    c = SobolEngine(4, scramble=True, seed=8).draw(64)
    assert dpt.equal(a, b) and not dpt.equal(a, c)
    # A (t, m, s)-net stays one: every dyadic interval of length 1/64 holds exactly one point.
    cells = np.sort(np.floor(a.double().numpy() * 64).astype(int), axis=0)
    np.testing.assert_array_equal(cells, np.tile(np.arange(64)[:, None], (1, 4)))
    assert float(a[0].abs().sum()) > 0  # the digital shift moves the first point off 0


def test_out_and_errors_and_repr():
    out = dpt.empty(0)
    SobolEngine(2).draw(4, out=out)
    assert out.shape == (4, 2)
    with pytest.raises(ValueError, match="dimensionality"):
        SobolEngine(0)
    assert repr(SobolEngine(3, scramble=True, seed=1)) == "SobolEngine(dimension=3, scramble=True, seed=1)"
