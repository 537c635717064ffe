"""torch.functional: einsum, tensordot, grids, block_diag, stft/istft, the tutorial examples."""
import math

import numpy as np
import pytest

import dpt
import dpt.functional as Fn
from dpt.autograd import gradcheck
from tests.helpers import assert_close, randn


def leaf(*shape, seed=0):
    return dpt.tensor(randn(*shape, seed=seed), requires_grad=True)


EINSUM = [("ij,jk->ik", [(3, 4), (4, 5)]), ("ij,jk,kl->il", [(3, 4), (4, 5), (5, 2)]),
          ("i,j->ij", [(4,), (3,)]), ("ii->i", [(3, 3)]), ("ii", [(3, 3)]), ("ij->", [(3, 4)]),
          ("...ij,...jk->...ik", [(2, 3, 4), (2, 4, 5)]), ("bij,bjk->bik", [(2, 3, 4), (1, 4, 5)]),
          ("ij,ij->ij", [(3, 4), (3, 4)]), ("ji", [(3, 4)]), ("ij,kj", [(3, 4), (2, 4)]),
          ("i,i", [(4,), (4,)]), ("abc,cd,db->a", [(2, 3, 4), (4, 5), (5, 3)]),
          ("i...->...", [(3, 2, 2)]), ("iij->j", [(2, 2, 3)]),
          ("ab,bc,cd,de->ae", [(2, 3), (3, 4), (4, 5), (5, 2)]), ("b i j, b j -> b i", [(2, 3, 4), (2, 4)])]


@pytest.mark.parametrize("eq, shapes", EINSUM)
def test_einsum_matches_numpy_and_gradcheck(eq, shapes):
    ops = [leaf(*s, seed=i) for i, s in enumerate(shapes)]
    ref = np.einsum(eq.replace(" ", ""), *[o.detach().numpy() for o in ops])
    assert_close(dpt.einsum(eq, *ops), ref, atol=1e-10)
    assert gradcheck(lambda *o: dpt.einsum(eq, *o), ops)


def test_einsum_forms_and_dtypes():
    x, y = dpt.tensor([1.0, 2.0, 3.0]), dpt.tensor([1.0, 2.0])
    assert dpt.einsum("i,j->ij", x, y).tolist() == [[1, 2], [2, 4], [3, 6]]
    a, b = dpt.randn(3, 4), dpt.randn(4, 5)
    assert_close(dpt.einsum("ij,jk", [a, b]), (a @ b).numpy(), atol=1e-5)
    assert_close(dpt.einsum(a, [0, 1], b, [1, 2], [0, 2]), (a @ b).numpy(), atol=1e-5)
    assert_close(dpt.einsum(a, [Ellipsis, 1], [Ellipsis]), a.sum(-1).numpy(), atol=1e-5)
    ints = dpt.einsum("ij,jk->ik", dpt.ones(2, 3, dtype=dpt.int64), dpt.ones(3, 2, dtype=dpt.int64))
    assert ints.dtype == dpt.int64 and ints.tolist() == [[3, 3], [3, 3]]
    assert dpt.einsum("i,i->", dpt.ones(3), dpt.ones(3, dtype=dpt.float64)).dtype == dpt.float64
    # size-1 dims broadcast, as in torch
    assert dpt.einsum("ij,ij->ij", dpt.ones(1, 3), dpt.ones(2, 1)).shape == (2, 3)


def test_einsum_errors():
    with pytest.raises(ValueError, match="more operands"):
        dpt.einsum("i", dpt.ones(2), dpt.ones(2))
    with pytest.raises(RuntimeError, match="does not match the number of dimensions"):
        dpt.einsum("ij", dpt.ones(2))
    with pytest.raises(RuntimeError, match="operands do not broadcast"):
        dpt.einsum("i,i", dpt.ones(2), dpt.ones(3))
    with pytest.raises(ValueError, match="appears more than once"):
        dpt.einsum("i->ii", dpt.ones(2))
    with pytest.raises(ValueError, match="invalid subscript"):
        dpt.einsum("i1", dpt.ones(2, 2))


def test_tensordot():
    a = dpt.arange(60.).reshape(3, 4, 5)
    b = dpt.arange(24.).reshape(4, 3, 2)
    expected = [[4400., 4730.], [4532., 4874.], [4664., 5018.], [4796., 5162.], [4928., 5306.]]
    assert dpt.tensordot(a, b, dims=([1, 0], [0, 1])).tolist() == expected
    x, y = randn(3, 4), randn(4, 5, seed=1)
    assert_close(dpt.tensordot(dpt.tensor(x), dpt.tensor(y), 1), np.tensordot(x, y, 1))
    assert dpt.tensordot(dpt.tensor(x), dpt.tensor(y), 0).shape == (3, 4, 4, 5)
    assert gradcheck(lambda p, q: dpt.tensordot(p, q, ([0], [1])), [leaf(3, 2), leaf(4, 3, seed=1)])
    with pytest.raises(RuntimeError, match="contracted dimensions need to match"):
        dpt.tensordot(dpt.ones(2, 3), dpt.ones(4, 5), 1)
    with pytest.raises(RuntimeError, match="dims >= 0"):
        dpt.tensordot(dpt.ones(2), dpt.ones(2), -1)


def test_cartesian_prod_meshgrid_combinations():
    a, b = dpt.tensor([1, 2, 3]), dpt.tensor([4, 5])
    assert dpt.cartesian_prod(a, b).tolist() == [[1, 4], [1, 5], [2, 4], [2, 5], [3, 4], [3, 5]]
    assert dpt.cartesian_prod(a).tolist() == [1, 2, 3]
    gx, gy = dpt.meshgrid(dpt.tensor([1, 2, 3]), dpt.tensor([4, 5, 6]), indexing="ij")
    assert gx.tolist() == [[1, 1, 1], [2, 2, 2], [3, 3, 3]]
    assert gy.tolist() == [[4, 5, 6]] * 3
    xs, ys = dpt.meshgrid(dpt.arange(3), dpt.arange(4), indexing="xy")
    nx, ny = np.meshgrid(np.arange(3), np.arange(4), indexing="xy")
    assert xs.tolist() == nx.tolist() and ys.tolist() == ny.tolist()
    with pytest.warns(UserWarning, match="indexing argument"):
        dpt.meshgrid(a, b)
    t = leaf(3)
    assert gradcheck(lambda v: dpt.meshgrid(v, v, indexing="ij")[0], [t])
    assert dpt.combinations(a).tolist() == [[1, 2], [1, 3], [2, 3]]
    assert dpt.combinations(a, 3).tolist() == [[1, 2, 3]]
    assert dpt.combinations(a, with_replacement=True).shape == (6, 2)
    assert dpt.combinations(a, 0).numel() == 0


def test_block_diag():
    out = dpt.block_diag(dpt.tensor([[0, 1], [1, 0]]), dpt.tensor([[3, 4, 5], [6, 7, 8]]),
                         dpt.tensor(7), dpt.tensor([1, 2, 3]))
    assert out.shape == (6, 9) and out[2:4, 2:5].tolist() == [[3, 4, 5], [6, 7, 8]]
    assert out[4, 5].item() == 7 and out[5, 6:].tolist() == [1, 2, 3] and out.sum().item() == 48
    assert dpt.block_diag(dpt.ones(1), dpt.ones(1, dtype=dpt.float64)).dtype == dpt.float64
    assert gradcheck(lambda p, q: dpt.block_diag(p, q), [leaf(2, 2), leaf(3, seed=1)])


def test_unique_and_consecutive_examples():
    out, inverse, counts = dpt.unique(dpt.tensor([1, 3, 2, 3]), sorted=True, return_inverse=True,
                                      return_counts=True)
    assert out.tolist() == [1, 2, 3] and inverse.tolist() == [0, 2, 1, 2]
    assert counts.tolist() == [1, 1, 2]
    out, inverse, counts = dpt.unique_consecutive(dpt.tensor([1, 1, 2, 2, 3, 1, 1, 2]),
                                                  return_inverse=True, return_counts=True)
    assert out.tolist() == [1, 2, 3, 1, 2] and counts.tolist() == [2, 2, 1, 2, 1]
    assert inverse.tolist() == [0, 0, 1, 1, 2, 3, 3, 4]


def test_reexports_are_the_ops_functions():
    for name in ("split", "norm", "unique", "broadcast_tensors", "atleast_2d", "chain_matmul"):
        assert getattr(Fn, name) is getattr(dpt.ops, name) is getattr(dpt, name)


def test_unravel_index():
    rows, cols = dpt.unravel_index(dpt.tensor([4, 1, -1]), (2, 3))
    assert rows.tolist() == [1, 0, 1] and cols.tolist() == [1, 1, 2]


# ---- stft / istft ----------------------------------------------------------------------------
def test_stft_of_a_tone():
    sr, f0, n_fft = 800, 100, 64
    t = dpt.arange(sr * 1.0) / sr
    x = dpt.sin(2 * math.pi * f0 * t)
    spec = dpt.stft(x, n_fft=n_fft, hop_length=16, window=dpt.hann_window(n_fft),
                    return_complex=True)
    assert spec.shape == (n_fft // 2 + 1, 1 + sr // 16) and spec.dtype == dpt.complex64
    assert spec.abs().mean(-1).argmax().item() == f0 * n_fft // sr
    y = dpt.istft(spec, n_fft=n_fft, hop_length=16, window=dpt.hann_window(n_fft), length=sr)
    assert_close(y, x.numpy(), atol=1e-5)


def test_stft_matches_framed_rfft():
    x = randn(50)
    win = np.hanning(17)[:16]
    padded = np.pad(x, 8, mode="reflect")
    ref = np.stack([np.fft.rfft(padded[i * 4:i * 4 + 16] * win) for i in range(13)], 1)
    out = dpt.stft(dpt.tensor(x), 16, 4, window=dpt.hann_window(16, dtype=dpt.float64),
                   return_complex=True)
    assert_close(out, ref, atol=1e-10)
    real = dpt.stft(dpt.tensor(x), 16, 4, window=dpt.hann_window(16, dtype=dpt.float64),
                    return_complex=False, normalized=True)
    assert real.shape == (9, 13, 2)
    assert_close(real[..., 0], ref.real / 4, atol=1e-10)
    two = dpt.stft(dpt.tensor(x).reshape(2, 25), 8, return_complex=True, onesided=False,
                   pad_mode="constant", win_length=6)
    assert two.shape == (2, 8, 13)
    assert dpt.stft(dpt.tensor(x), 16, center=False, return_complex=True).shape == (9, 9)


def test_stft_errors():
    with pytest.raises(RuntimeError, match="return_complex"):
        dpt.stft(dpt.randn(32), 8)
    with pytest.raises(RuntimeError, match="window"):
        dpt.stft(dpt.randn(32), 8, window=dpt.ones(5), return_complex=True)


def test_stft_istft_gradients():
    x = leaf(20)
    w = dpt.hann_window(8, dtype=dpt.float64)
    assert gradcheck(lambda v: dpt.stft(v, 8, 2, window=w, return_complex=True).abs(), [x])
    spec = dpt.stft(x.detach(), 8, 2, window=w, return_complex=True)
    re, im = spec.real.detach().requires_grad_(), spec.imag.detach().requires_grad_()
    assert gradcheck(lambda a, b: dpt.istft(dpt.complex(a, b), 8, 2, window=w, length=20), [re, im])
    assert_close(dpt.istft(spec, 8, 2, window=w, length=20), x.detach().numpy(), atol=1e-12)
