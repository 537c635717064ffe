"""dpt.fft against numpy.fft; gradients by gradcheck (complex inputs through real leaves)."""
import numpy as np
import pytest

import dpt
import dpt.fft as F
from dpt.autograd import gradcheck, gradgradcheck
from tests.helpers import assert_close, randn

NORMS = [None, "ortho", "forward"]


def _c(*shape, seed=0):
    return randn(*shape, seed=seed) + 1j * randn(*shape, seed=seed + 1)


@pytest.mark.parametrize("norm", NORMS)
@pytest.mark.parametrize("name, real", [("fft", False), ("ifft", False), ("rfft", True),
                                        ("irfft", False), ("hfft", False), ("ihfft", True)])
def test_1d_matches_numpy(name, real, norm):
    x = randn(3, 8) if real else _c(3, 8)
    ours, ref = getattr(F, name), getattr(np.fft, name)
    assert_close(ours(dpt.tensor(x), norm=norm), ref(x, norm=norm), atol=1e-10)
    for n in (5, 12):
        assert_close(ours(dpt.tensor(x), n=n, dim=0, norm=norm), ref(x, n=n, axis=0, norm=norm),
                     atol=1e-10)


@pytest.mark.parametrize("norm", NORMS)
@pytest.mark.parametrize("name, real", [("fft2", False), ("ifft2", False), ("fftn", False),
                                        ("ifftn", False), ("rfft2", True), ("rfftn", True),
                                        ("irfft2", False), ("irfftn", False)])
def test_nd_matches_numpy(name, real, norm):
    x = randn(2, 4, 6) if real else _c(2, 4, 6)
    ours, ref = getattr(F, name), getattr(np.fft, name)
    assert_close(ours(dpt.tensor(x), norm=norm), ref(x, norm=norm), atol=1e-10)
    assert_close(ours(dpt.tensor(x), s=(3, 5), dim=(0, 2), norm=norm),
                 ref(x, s=(3, 5), axes=(0, 2), norm=norm), atol=1e-10)


def test_dtypes():
    x = dpt.randn(8)
    assert F.fft(x).dtype == dpt.complex64
    assert F.rfft(x).dtype == dpt.complex64
    assert F.irfft(F.rfft(x)).dtype == dpt.float32
    assert F.fft(dpt.arange(4)).dtype == dpt.complex64  # ints go through the default dtype
    assert F.fft(x.double()).dtype == dpt.complex128
    assert_close(F.irfft(F.rfft(x), n=8), x.numpy(), atol=1e-6)


def test_errors():
    with pytest.raises(RuntimeError, match="expects a real input"):
        F.rfft(dpt.tensor(_c(4)))
    with pytest.raises(RuntimeError, match="Invalid normalization mode"):
        F.fft(dpt.randn(4), norm="bogus")
    with pytest.raises(RuntimeError, match="Invalid number of data points"):
        F.fft(dpt.randn(4), n=0)
    with pytest.raises(IndexError):
        F.fft(dpt.randn(4), dim=2)


def test_freq_and_shift():
    assert_close(F.fftfreq(5, d=0.1), np.fft.fftfreq(5, d=0.1))
    assert_close(F.rfftfreq(6), np.fft.rfftfreq(6))
    x = randn(4, 5)
    assert_close(F.fftshift(dpt.tensor(x)), np.fft.fftshift(x))
    assert_close(F.ifftshift(dpt.tensor(x), dim=1), np.fft.ifftshift(x, axes=1))
    assert F.fftfreq(4).dtype == dpt.float32


@pytest.mark.parametrize("norm", NORMS)
def test_gradients_real_input(norm):
    x = dpt.tensor(randn(3, 8), requires_grad=True)
    assert gradcheck(lambda t: F.fft(t, norm=norm).abs(), [x])
    assert gradcheck(lambda t: F.rfft(t, n=10, norm=norm).abs(), [x])
    assert gradcheck(lambda t: F.ihfft(t, norm=norm).imag, [x])
    assert gradcheck(lambda t: F.rfft2(t, norm=norm).real, [x])
    assert gradcheck(lambda t: F.fftshift(t), [x])


@pytest.mark.parametrize("norm", NORMS)
def test_gradients_complex_input(norm):
    re = dpt.tensor(randn(3, 8), requires_grad=True)
    im = dpt.tensor(randn(3, 8, seed=1), requires_grad=True)
    cases = [lambda z: F.fft(z, n=6, norm=norm).abs(), lambda z: F.ifft(z, norm=norm).real,
             lambda z: F.irfft(z, norm=norm), lambda z: F.irfft(z, n=7, norm=norm),
             lambda z: F.hfft(z, norm=norm), lambda z: F.irfftn(z, s=(3, 9), norm=norm),
             lambda z: F.fft2(z, s=(4, 4), norm=norm).imag]
    for f in cases:
        assert gradcheck(lambda a, b: f(dpt.complex(a, b)), [re, im])


def test_double_backward():
    x = dpt.tensor(randn(6), requires_grad=True)
    assert gradgradcheck(lambda t: F.rfft(t).abs(), [x])
    assert gradgradcheck(lambda t: F.irfft(F.rfft(t) * F.rfft(t)), [x])
