"""dpt.fft's n-dimensional Hermitian transforms (hfft2, hfftn, ihfft2, ihfftn) against
scipy.fft, gradients by gradcheck, out= and torch's argument errors."""
import numpy as np
import pytest

import dpt
import dpt.fft as F
from dpt.autograd import gradcheck, gradgradcheck
from tests.helpers import assert_close, noncontiguous, randn

sfft = pytest.importorskip("scipy.fft")
NORMS = [None, "ortho", "forward"]


def _c(*shape, seed=0):
    return randn(*shape, seed=seed) + 1j * randn(*shape, seed=seed + 1)


@pytest.mark.parametrize("norm", NORMS)
@pytest.mark.parametrize("name, real", [("hfft2", False), ("hfftn", False), ("ihfft2", True),
                                        ("ihfftn", True)])
def test_matches_scipy(name, real, norm):
    x = randn(2, 4, 6) if real else _c(2, 4, 6)
    ours, ref = getattr(F, name), getattr(sfft, name)
    t = dpt.tensor(x)
    assert_close(ours(t, norm=norm), ref(x, norm=norm), atol=1e-10)
    assert_close(ours(noncontiguous(t), norm=norm), ref(x, norm=norm), atol=1e-10)
    assert_close(ours(t, s=(3, 5), dim=(0, 2), norm=norm),
                 ref(x, s=(3, 5), axes=(0, 2), norm=norm), atol=1e-10)
    assert_close(ours(t, dim=(-1, 0), norm=norm), ref(x, axes=(-1, 0), norm=norm), atol=1e-10)
    if name.endswith("n"):  # s alone picks the last len(s) dims
        assert_close(ours(t, s=(7,), norm=norm), ref(x, s=(7,), norm=norm), atol=1e-10)


def test_dtypes_and_defaults():
    c = _c(3, 4, 5).astype(np.complex64)
    y = F.hfftn(dpt.tensor(c))
    assert y.dtype == dpt.float32 and y.shape == (3, 4, 8)  # last dim 2 * (m - 1)
    assert F.hfftn(dpt.tensor(c), s=(3, -1)).shape == (3, 3, 8)  # -1: that dim's default
    assert F.hfft2(dpt.tensor(c)).shape == (3, 4, 8)
    r = dpt.arange(24).reshape(2, 3, 4)  # integers go through the default dtype
    assert F.ihfftn(r).dtype == dpt.complex64 and F.ihfftn(r).shape == (2, 3, 3)
    assert F.ihfft2(r.double()).dtype == dpt.complex128
    assert_close(F.ihfftn(r), sfft.ihfftn(np.arange(24.).reshape(2, 3, 4)), atol=1e-6)


def test_round_trip():
    x = randn(4, 6)
    assert_close(F.hfftn(F.ihfftn(dpt.tensor(x)), s=(4, 6)), x, atol=1e-12)
    assert_close(F.hfft2(F.ihfft2(dpt.tensor(x), norm="ortho"), s=(4, 6), norm="ortho"), x,
                 atol=1e-12)


def test_out():
    x = _c(3, 4)
    out = dpt.empty(0, dtype=dpt.float64)
    r = F.hfft2(dpt.tensor(x), out=out)
    assert r is out
    assert_close(out, sfft.hfft2(x), atol=1e-10)
    out = dpt.empty((3, 3), dtype=dpt.complex128)
    assert F.ihfftn(dpt.tensor(x.real), out=out) is out
    assert_close(out, sfft.ihfftn(x.real), atol=1e-10)
    out = dpt.empty(8, dtype=dpt.complex128)  # the 1-d transforms honour out= too
    F.fft(dpt.tensor(x[0]), n=8, out=out)
    assert_close(out, np.fft.fft(x[0], n=8), atol=1e-10)


def test_errors():
    c, r = dpt.tensor(_c(3, 4, 5)), dpt.tensor(randn(3, 4, 5))
    with pytest.raises(RuntimeError, match="Invalid normalization mode"):
        F.hfftn(c, norm="bogus")
    with pytest.raises(RuntimeError, match="FFT dims must be unique"):
        F.ihfft2(r, dim=(0, 0))
    with pytest.raises(RuntimeError, match="Got shape with 4 values but input tensor only has 3"):
        F.hfftn(c, s=(2, 3, 4, 5))
    with pytest.raises(RuntimeError, match="same length"):
        F.hfft2(c, s=(4,))
    with pytest.raises(RuntimeError, match="Invalid number of data points \\(0\\)"):
        F.hfftn(c[..., :1])  # default output size 2 * (1 - 1)
    with pytest.raises(RuntimeError, match="at least one axis"):
        F.ihfftn(r, dim=())
    with pytest.raises(RuntimeError, match="expects a real input"):
        F.ihfftn(c)
    with pytest.raises(IndexError):
        F.hfft2(c, dim=(0, 3))
    with pytest.raises(RuntimeError, match="Invalid number of data points \\(-1\\)"):
        F.irfft(c, n=-1)


@pytest.mark.parametrize("norm", NORMS)
def test_gradients(norm):
    x = dpt.tensor(randn(3, 4), requires_grad=True)
    assert gradcheck(lambda t: F.ihfft2(t, norm=norm).imag, [x])
    assert gradcheck(lambda t: F.ihfftn(t, s=(2, 6), norm=norm).abs(), [x])
    re = dpt.tensor(randn(3, 4), requires_grad=True)
    im = dpt.tensor(randn(3, 4, seed=1), requires_grad=True)
    for f in (lambda z: F.hfft2(z, norm=norm), lambda z: F.hfftn(z, s=(4, 5), norm=norm),
              lambda z: F.hfftn(z, dim=0, norm=norm)):
        assert gradcheck(lambda a, b: f(dpt.complex(a, b)), [re, im])


def test_double_backward():
    x = dpt.tensor(randn(3, 4), requires_grad=True)
    assert gradgradcheck(lambda t: F.hfft2(F.ihfft2(t) * F.ihfft2(t), s=(3, 4)), [x])
