"""torch-source-walkthrough, sections 5 (functional.py) and 6 (quasirandom.py)."""
import warnings

import numpy as np
import pytest

import dpt
from tests.helpers import assert_close


def test_broadcast_tensors():
    # the tutorial's printed draws, fed back: b = [0.9848], a = 2x3
    a = dpt.tensor([[0.1015, 0.0311, 0.2963], [0.4183, 0.8421, 0.1063]])
    b = dpt.tensor([0.9848])
    bb, ab = dpt.broadcast_tensors(b, a)
    assert repr(bb) == "tensor([[0.9848, 0.9848, 0.9848],\n        [0.9848, 0.9848, 0.9848]])"
    assert dpt.equal(ab, a)
    x, y = dpt.broadcast_tensors(dpt.rand(1), dpt.rand(2, 3))
    assert x.shape == y.shape == (2, 3)


def test_split():
    a = dpt.linspace(1, 12, 12).view(2, 6)
    parts = dpt.split(a, 2, -1)
    assert len(parts) == 3
    assert [p.tolist() for p in parts] == [[[1., 2.], [7., 8.]], [[3., 4.], [9., 10.]],
                                           [[5., 6.], [11., 12.]]]
    assert repr(parts[1]) == "tensor([[ 3.,  4.],\n        [ 9., 10.]])"


def test_lu_unpack_reconstructs():
    A = dpt.randn(2, 3, 3)
    A_LU, pivots = A.lu()
    P, A_L, A_U = dpt.lu_unpack(A_LU, pivots)
    # torch's == shows a few False from rounding; the product equals A up to rounding
    rebuilt = dpt.bmm(P, dpt.bmm(A_L, A_U))
    assert (A == rebuilt).dtype == dpt.bool and (A == rebuilt).shape == (2, 3, 3)
    assert_close(rebuilt, A, atol=1e-5)
    assert dpt.equal(A_L.tril(), A_L) and dpt.equal(A_U.triu(), A_U)
    assert dpt.equal(A_L.diagonal(dim1=-2, dim2=-1), dpt.ones(2, 3))
    # the LU example from the prose: A = [[1,2,-1],[3,1,0],[-1,-1,-1]]
    M = dpt.tensor([[1., 2., -1.], [3., 1., 0.], [-1., -1., -1.]])
    P, L, U = dpt.lu_unpack(*dpt.linalg.lu_factor(M))
    assert_close(P @ L @ U, M, atol=1e-6)


def test_einsum_outer_product():
    a, b = dpt.rand(3), dpt.rand(4)
    out = dpt.einsum('i,j->ij', a, b)
    assert out.shape == (3, 4)
    assert_close(out, a[:, None] * b[None, :])
    # the printed result is an outer product: rebuild it from its first row and column ratios
    printed = np.array([[0.1073, 0.1324, 0.1057, 0.0287], [0.2942, 0.3630, 0.2897, 0.0786],
                        [0.3002, 0.3704, 0.2956, 0.0802]])
    a = dpt.tensor([1.0, 0.2942 / 0.1073, 0.3002 / 0.1073])
    b = dpt.tensor(printed[0].tolist())
    assert_close(dpt.einsum('i,j->ij', a, b), printed, atol=2e-3)


def test_isfinite():
    a = dpt.rand(3)
    assert repr(dpt.isfinite(a)) == "tensor([True, True, True])"
    assert dpt.isfinite(dpt.tensor([1.0, float("inf"), float("nan")])).tolist() == \
        [True, False, False]
    assert dpt.isfinite(dpt.tensor([1, 2])).tolist() == [True, True]


def test_meshgrid():
    a = dpt.tensor([1, 2, 3, 7])
    b = dpt.tensor([4, 5, 6])
    with pytest.warns(UserWarning, match="indexing argument"):  # as torch >= 1.10 warns
        x, y = dpt.meshgrid(a, b)
    assert repr(x) == ("tensor([[1, 1, 1],\n        [2, 2, 2],\n        [3, 3, 3],\n"
                       "        [7, 7, 7]])")
    assert repr(y) == ("tensor([[4, 5, 6],\n        [4, 5, 6],\n        [4, 5, 6],\n"
                       "        [4, 5, 6]])")


def _calc_stft(signal, sample_rate=16000, frame_size=0.025, frame_stride=0.01,
               winfunc=np.hamming, NFFT=512):
    """The tutorial's numpy power spectrum, verbatim in substance."""
    frame_length = int(round(frame_size * sample_rate))
    frame_step = int(round(frame_stride * sample_rate))
    signal_length = len(signal)
    num_frames = 1 + int(np.ceil(float(np.abs(signal_length - frame_length)) / frame_step))
    pad_signal_length = num_frames * frame_step + frame_length
    pad_signal = np.append(signal, np.zeros((pad_signal_length - signal_length)))
    indices = np.tile(np.arange(0, frame_length), (num_frames, 1)) + \
        np.tile(np.arange(0, num_frames * frame_step, frame_step), (frame_length, 1)).T
    frames = pad_signal[indices.astype(np.int32, copy=False)]
    frames *= winfunc(frame_length)
    mag_frames = np.absolute(np.fft.rfft(frames, NFFT))
    return (1.0 / NFFT) * ((mag_frames) ** 2)


def test_stft_matches_the_numpy_power_spectrum(tmp_path):
    # No wav file here: a synthetic 8 kHz chirp. Frames of 200 samples every 80, and a
    # length that needs no zero padding, so the numpy frames and torch.stft's coincide.
    sample_rate = 8000
    t = np.arange(200 + 80 * 60) / sample_rate
    signal = np.sin(2 * np.pi * (300 + 1500 * t) * t)
    pow_spec = _calc_stft(signal, sample_rate, NFFT=200)
    spec = dpt.stft(dpt.tensor(signal), n_fft=200, hop_length=80,
                    window=dpt.hamming_window(200, periodic=False, dtype=dpt.float64),
                    center=False, return_complex=True)
    assert spec.shape == (101, 61) and spec.dtype == dpt.complex128
    assert_close(spec.abs().pow(2).T / 200, pow_spec, rtol=1e-7, atol=1e-9)
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    plt.imshow(pow_spec)
    plt.tight_layout()
    plt.savefig(tmp_path / "stft.png")
    plt.close("all")
    assert (tmp_path / "stft.png").stat().st_size > 0


def test_unique():
    a = dpt.tensor([1, 2, 4, 2, 3, 1, 3, 4, 2])
    out, inverse, counts = dpt.functional.unique(a, return_counts=True, return_inverse=True)
    assert repr(out) == "tensor([1, 2, 3, 4])"
    assert repr(inverse) == "tensor([0, 1, 3, 1, 2, 0, 2, 3, 1])"
    assert repr(counts) == "tensor([2, 3, 2, 2])"


def test_unique_consecutive():
    a = dpt.tensor([1, 2, 3, 2, 1, 2, 1, 1, 1, 1, 2, 3])
    out, inverse = dpt.functional.unique_consecutive(a, return_inverse=True)
    assert repr(out) == "tensor([1, 2, 3, 2, 1, 2, 1, 2, 3])"
    assert repr(inverse) == "tensor([0, 1, 2, 3, 4, 5, 6, 6, 6, 6, 7, 8])"


def test_tensordot():
    a = dpt.ones(2, 2)
    b = dpt.ones(2, 3) * 3
    assert repr(dpt.functional.tensordot(a, b, 1)) == \
        "tensor([[6., 6., 6.],\n        [6., 6., 6.]])"
    a = dpt.arange(60.).reshape(3, 4, 5)
    b = dpt.arange(24.).reshape(4, 3, 2)
    out = dpt.tensordot(a, b, dims=([1, 0], [0, 1]))
    assert out.tolist() == [[4400., 4730.], [4532., 4874.], [4664., 5018.], [4796., 5162.],
                            [4928., 5306.]]
    first = sum(sum(a[:, :, 0].T * b[:, :, 0]))  # python's sum over tensors, as printed
    assert repr(first) == "tensor(4400.)"


def test_cartesian_prod():
    a = dpt.linspace(1, 3, 3)
    b = dpt.linspace(4, 6, 3)
    out = dpt.functional.cartesian_prod(a, b)
    assert out.tolist() == [[i, j] for i in (1., 2., 3.) for j in (4., 5., 6.)]
    assert repr(out).startswith("tensor([[1., 4.],\n        [1., 5.],")


def test_norm():
    a = dpt.tensor([1., 2.])
    assert repr(dpt.functional.norm(a)) == "tensor(2.2361)"
    assert repr(dpt.sqrt(dpt.tensor(5.))) == "tensor(2.2361)"


def test_chain_matmul():
    a, b, c = dpt.rand(2, 2), dpt.rand(2, 3), dpt.rand(3, 4)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # deprecated in favour of linalg.multi_dot
        out = dpt.functional.chain_matmul(a, b, c)
    assert out.shape == (2, 4)
    assert_close(out, a @ b @ c, rtol=1e-6)
    assert_close(dpt.linalg.multi_dot([a, b, c]), out, rtol=1e-6)


def test_chain_matmul_warns_deprecated():
    a = dpt.rand(2, 2)
    with pytest.warns(UserWarning, match="chain_matmul is deprecated"):  # as torch warns
        dpt.functional.chain_matmul(a, a, a)


def test_sobol_engine_scatter(tmp_path):
    test = dpt.quasirandom.SobolEngine(3)
    a = test.draw(100)
    assert a.shape == (100, 3) and a.dtype == dpt.float32
    assert float(a.min()) >= 0 and float(a.max()) < 1
    # low discrepancy: each axis's first 64 points fill the 8 bins of [0, 1) evenly
    counts = np.stack([np.histogram(a[:64, d].numpy(), bins=8, range=(0, 1))[0]
                       for d in range(3)])
    assert (counts == 8).all()
    import matplotlib
    matplotlib.use("Agg")
    from matplotlib import pyplot as plt
    plt.figure()
    ax1 = plt.axes(projection='3d')
    ax1.scatter3D(a[:, 0], a[:, 1], a[:, 2])  # dpt tensors straight to matplotlib
    r = dpt.rand(100), dpt.rand(100), dpt.rand(100)
    ax1.scatter3D(*r)
    plt.savefig(tmp_path / "sobol.png")
    plt.close("all")
    assert r[0].shape == (100,) and (tmp_path / "sobol.png").exists()
