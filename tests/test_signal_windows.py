"""dpt.signal.windows against scipy.signal.windows (values) and torch (errors, dtypes)."""
import math

import numpy as np
import pytest

import dpt
from dpt.signal import windows as W
from tests.helpers import assert_close

sw = pytest.importorskip("scipy.signal.windows")

NUTTALL = [0.3635819, 0.4891775, 0.1365995, 0.0106411]
# (dpt name, dpt keyword arguments, scipy reference of (M, sym))
CASES = [
    ("hann", {}, lambda M, sym: sw.hann(M, sym=sym)),
    ("hamming", {}, lambda M, sym: sw.hamming(M, sym=sym)),
    ("blackman", {}, lambda M, sym: sw.blackman(M, sym=sym)),
    ("bartlett", {}, lambda M, sym: sw.bartlett(M, sym=sym)),
    ("cosine", {}, lambda M, sym: sw.cosine(M, sym=sym)),
    ("nuttall", {}, lambda M, sym: sw.general_cosine(M, NUTTALL, sym=sym)),
    ("general_hamming", {"alpha": 0.7}, lambda M, sym: sw.general_hamming(M, 0.7, sym=sym)),
    ("general_cosine", {"a": [0.5, 0.3, 0.2]},
     lambda M, sym: sw.general_cosine(M, [0.5, 0.3, 0.2], sym=sym)),
    ("general_cosine", {"a": (1.0,)}, lambda M, sym: np.ones(M)),
    ("gaussian", {}, lambda M, sym: sw.gaussian(M, 1.0, sym=sym)),
    ("gaussian", {"std": 2.5}, lambda M, sym: sw.gaussian(M, 2.5, sym=sym)),
    ("kaiser", {}, lambda M, sym: sw.kaiser(M, 12.0, sym=sym)),
    ("kaiser", {"beta": 0.0}, lambda M, sym: sw.kaiser(M, 0.0, sym=sym)),
    ("exponential", {}, lambda M, sym: sw.exponential(M, tau=1.0, sym=sym)),
    ("exponential", {"tau": 2.78}, lambda M, sym: sw.exponential(M, tau=2.78, sym=sym)),
]


@pytest.mark.parametrize("sym", [True, False])
@pytest.mark.parametrize("M", [0, 1, 2, 3, 6, 17])
@pytest.mark.parametrize("name, kwargs, ref", CASES)
def test_matches_scipy(name, kwargs, ref, M, sym):
    w = getattr(W, name)(M, sym=sym, dtype=dpt.float64, **kwargs)
    assert w.dtype == dpt.float64 and not w.requires_grad
    assert_close(w, ref(M, sym), rtol=1e-12, atol=1e-12)


def test_periodic_is_longer_symmetric_window_truncated():
    for name in ("hann", "blackman", "bartlett", "cosine", "gaussian", "kaiser", "nuttall"):
        assert_close(getattr(W, name)(7, sym=False, dtype=dpt.float64),
                     getattr(W, name)(8, dtype=dpt.float64).numpy()[:7], atol=1e-15)


def test_kaiser_large_beta_does_not_overflow():
    mpmath = pytest.importorskip("mpmath")
    beta, M = 800.0, 9
    r = 2 * np.arange(M) / (M - 1) - 1
    ref = [float(mpmath.besseli(0, beta * mpmath.sqrt(1 - v * v)) / mpmath.besseli(0, beta))
           for v in r]
    assert_close(W.kaiser(M, beta=beta, dtype=dpt.float64), ref, rtol=1e-12, atol=1e-300)


def test_exponential_center():
    w = W.exponential(5, center=1.0, sym=False, dtype=dpt.float64)
    assert_close(w, np.exp(-np.abs(np.arange(5) - 1.0)), atol=1e-15)
    assert_close(W.exponential(4, sym=False, tau=2.0, dtype=dpt.float64),
                 sw.exponential(4, tau=2.0, sym=False), atol=1e-15)


def test_dtype_device_requires_grad():
    assert W.hann(5).dtype == dpt.float32  # the default dtype
    assert W.kaiser(5, dtype=dpt.float64).dtype == dpt.float64
    prev = dpt.get_default_dtype()
    dpt.set_default_dtype(dpt.float64)
    try:
        assert W.gaussian(4).dtype == dpt.float64
    finally:
        dpt.set_default_dtype(prev)
    w = W.hamming(4, requires_grad=True, device="cpu")
    assert w.requires_grad and w.device == dpt.device("cpu")
    assert W.bartlett(0).shape == (0,) and W.cosine(1).tolist() == [1.0]


def test_signatures_are_keyword_only():
    with pytest.raises(TypeError):
        W.hann(5, False)
    with pytest.raises(TypeError, match="'a'"):
        W.general_cosine(5)


@pytest.mark.parametrize("name, word", [("hann", "general_cosine"), ("hamming", "general_cosine"),
                                        ("nuttall", "general_cosine"), ("blackman", "blackman"),
                                        ("bartlett", "bartlett"), ("cosine", "cosine"),
                                        ("gaussian", "gaussian"), ("kaiser", "kaiser"),
                                        ("exponential", "exponential"),
                                        ("general_hamming", "general_cosine")])
def test_common_errors(name, word):
    f = getattr(W, name)
    with pytest.raises(ValueError, match=f"^{word} requires non-negative window length, got M=-1"):
        f(-1)
    with pytest.raises(ValueError, match=f"^{word} expects float32 or float64 dtypes, got: "
                                         "torch.int64"):
        f(3, dtype=dpt.int64)
    with pytest.raises(ValueError, match="float32 or float64"):
        f(3, dtype=dpt.float16)
    with pytest.raises(TypeError):
        f(3.0)


def test_parameter_errors():
    with pytest.raises(ValueError, match=r"Tau must be positive, got: -1.0 instead."):
        W.exponential(5, tau=-1.0)
    with pytest.raises(ValueError, match="Tau must be positive"):
        W.exponential(0, tau=0.0)  # checked even for an empty window, as in torch
    with pytest.raises(ValueError, match="Center must be None for symmetric windows"):
        W.exponential(5, center=1.0)
    with pytest.raises(ValueError, match=r"Standard deviation must be positive, got: 0.0"):
        W.gaussian(5, std=0.0)
    with pytest.raises(ValueError, match=r"beta must be non-negative, got: -1.0 instead."):
        W.kaiser(1, beta=-1.0)
    with pytest.raises(TypeError, match="Coefficients must be a list/tuple"):
        W.general_cosine(5, a=3.0)
    with pytest.raises(ValueError, match="Coefficients cannot be empty"):
        W.general_cosine(5, a=[])
    with pytest.raises(ValueError, match="length, got M=-1"):  # the length is checked first
        W.exponential(-1, tau=-1.0)


def test_against_torch():
    torch = pytest.importorskip("torch")
    for name, kwargs, _ in CASES:
        for M in (0, 1, 5, 8):
            for sym in (True, False):
                for tdt, ddt in ((torch.float32, dpt.float32), (torch.float64, dpt.float64)):
                    t = getattr(torch.signal.windows, name)(M, sym=sym, dtype=tdt, **kwargs)
                    d = getattr(W, name)(M, sym=sym, dtype=ddt, **kwargs)
                    assert d.dtype == ddt and d.shape == tuple(t.shape)
                    tol = 1e-6 if tdt == torch.float32 else 1e-12
                    assert_close(d, t.double().numpy(), rtol=tol, atol=tol)


def test_hann_matches_hann_window():
    assert_close(W.hann(9, sym=False), dpt.hann_window(9).numpy(), atol=1e-7)
    assert math.isclose(W.hann(9)[4].item(), 1.0)
