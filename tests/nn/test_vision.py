"""interpolate/Upsample, grid_sample/affine_grid, pixel (un)shuffle, unfold/fold."""
import itertools
import math

import numpy as np
import pytest

import dpt
import dpt.nn as nn
import dpt.nn.functional as F
from tests.helpers import assert_close, check_gradients, leaf, randn


def ref_linear_1d(x, O, align):
    """Per output sample: the two neighbours and weights, straight from the definition."""
    L = x.shape[-1]
    y = np.zeros(x.shape[:-1] + (O,))
    for o in range(O):
        if align:
            src = o * (L - 1) / (O - 1) if O > 1 else 0.0
        else:
            src = max((o + 0.5) * L / O - 0.5, 0.0)
        i0 = min(int(math.floor(src)), L - 1)
        i1 = min(i0 + 1, L - 1)
        t = src - i0
        y[..., o] = (1 - t) * x[..., i0] + t * x[..., i1]
    return y


@pytest.mark.parametrize("align", [False, True])
@pytest.mark.parametrize("size", [(7, 9), (3, 2)])
def test_bilinear(align, size):
    x = randn(2, 2, 4, 5)
    y = F.interpolate(leaf(x, False), size=size, mode="bilinear", align_corners=align)
    ref = ref_linear_1d(ref_linear_1d(x, size[1], align).swapaxes(-1, -2), size[0], align)
    assert_close(y, ref.swapaxes(-1, -2), atol=1e-12)
    check_gradients(lambda a: F.interpolate(a, size=size, mode="bilinear", align_corners=align),
                    x[:1, :1], gradgrad=True)


def test_linear_and_trilinear():
    x = randn(2, 3, 5)
    assert_close(F.interpolate(leaf(x, False), scale_factor=2, mode="linear"),
                 ref_linear_1d(x, 10, False), atol=1e-12)
    x3 = randn(1, 1, 2, 3, 4)
    y = F.interpolate(leaf(x3, False), size=(3, 4, 5), mode="trilinear", align_corners=True)
    ref = ref_linear_1d(x3, 5, True)
    ref = ref_linear_1d(ref.swapaxes(-1, -2), 4, True).swapaxes(-1, -2)
    ref = ref_linear_1d(ref.swapaxes(-1, -3), 3, True).swapaxes(-1, -3)
    assert_close(y, ref, atol=1e-12)


@pytest.mark.parametrize("mode", ["nearest", "nearest-exact"])
def test_nearest(mode):
    x = randn(1, 2, 3, 5)
    y = F.interpolate(leaf(x, False), size=(7, 2), mode=mode)
    off = 0.5 if mode == "nearest-exact" else 0.0
    rows = [min(int(math.floor((i + off) * 3 / 7)), 2) for i in range(7)]
    cols = [min(int(math.floor((j + off) * 5 / 2)), 4) for j in range(2)]
    assert_close(y, x[:, :, rows][:, :, :, cols])
    assert_close(F.interpolate(leaf(x, False), scale_factor=2), x.repeat(2, 2).repeat(2, 3))
    check_gradients(lambda a: F.interpolate(a, size=(7, 2), mode=mode), x)


def test_bicubic_matches_cubic_kernel():
    x = randn(1, 1, 5, 6)
    y = F.interpolate(leaf(x, False), size=(5, 9), mode="bicubic", align_corners=True)
    A = -0.75

    def w(d):
        d = abs(d)
        if d <= 1:
            return (A + 2) * d ** 3 - (A + 3) * d ** 2 + 1
        return A * d ** 3 - 5 * A * d ** 2 + 8 * A * d - 4 * A if d < 2 else 0.0
    ref = np.zeros((1, 1, 5, 9))
    for o in range(9):
        src = o * 5 / 8
        i = int(math.floor(src))
        for j in range(i - 1, i + 3):
            ref[..., o] += w(src - j) * x[..., min(max(j, 0), 5)]
    assert_close(y, ref, atol=1e-12)
    check_gradients(lambda a: F.interpolate(a, scale_factor=1.5, mode="bicubic"), x)


def test_area_and_scale_factor_rules():
    x = randn(1, 2, 6, 4)
    assert_close(F.interpolate(leaf(x, False), size=(3, 2), mode="area"),
                 x.reshape(1, 2, 3, 2, 2, 2).mean(axis=(3, 5)), atol=1e-12)
    assert F.interpolate(leaf(x), scale_factor=1.5).shape == (1, 2, 9, 6)
    y1 = F.interpolate(leaf(x, False), scale_factor=1.7, mode="bilinear")
    y2 = F.interpolate(leaf(x, False), scale_factor=1.7, mode="bilinear",
                       recompute_scale_factor=True)
    assert y1.shape == y2.shape == (1, 2, 10, 6)
    assert_close(y2, F.interpolate(leaf(x, False), size=(10, 6), mode="bilinear"))


def test_interpolate_errors():
    x = dpt.zeros(1, 1, 4, 4)
    with pytest.raises(ValueError, match="only one of size or scale_factor"):
        F.interpolate(x, size=2, scale_factor=2)
    with pytest.raises(ValueError, match="either size or scale_factor"):
        F.interpolate(x)
    with pytest.raises(ValueError, match="align_corners option can only be set"):
        F.interpolate(x, size=2, align_corners=True)
    with pytest.raises(NotImplementedError, match="Got 4D input, but linear mode needs 3D"):
        F.interpolate(x, size=2, mode="linear")


def test_upsample_modules():
    x = leaf(randn(1, 1, 2, 3), False)
    assert repr(nn.Upsample(scale_factor=2)) == "Upsample(scale_factor=2.0, mode='nearest')"
    assert repr(nn.UpsamplingBilinear2d(size=(4, 4))) == \
        "UpsamplingBilinear2d(size=(4, 4), mode='bilinear')"
    assert nn.UpsamplingNearest2d(scale_factor=2)(x).shape == (1, 1, 4, 6)
    assert_close(nn.UpsamplingBilinear2d(size=(3, 5))(x),
                 F.interpolate(x, size=(3, 5), mode="bilinear", align_corners=True))


def test_affine_grid():
    theta = randn(2, 2, 3)
    for align in (True, False):
        g = F.affine_grid(leaf(theta, False), (2, 1, 3, 4), align_corners=align)
        xs = np.linspace(-1, 1, 4) * (1 if align else 3 / 4)
        ys = np.linspace(-1, 1, 3) * (1 if align else 2 / 3)
        ref = np.zeros((2, 3, 4, 2))
        for n, i, j in itertools.product(range(2), range(3), range(4)):
            ref[n, i, j] = theta[n] @ np.array([xs[j], ys[i], 1.0])
        assert_close(g, ref, atol=1e-12)
    assert F.affine_grid(leaf(randn(1, 3, 4)), (1, 1, 2, 3, 4)).shape == (1, 2, 3, 4, 3)
    check_gradients(lambda t: F.affine_grid(t, (2, 1, 3, 4)), theta)


def ref_grid_sample(x, grid, padding_mode, align):
    n, c, h, w = x.shape
    out = np.zeros((n, c) + grid.shape[1:3])

    def coord(v, size):
        v = (v + 1) / 2 * (size - 1) if align else ((v + 1) * size - 1) / 2
        if padding_mode == "border":
            v = min(max(v, 0), size - 1)
        return v
    for b, i, j in itertools.product(range(n), *map(range, grid.shape[1:3])):
        ix, iy = coord(grid[b, i, j, 0], w), coord(grid[b, i, j, 1], h)
        x0, y0 = math.floor(ix), math.floor(iy)
        for yy, xx in itertools.product((y0, y0 + 1), (x0, x0 + 1)):
            wgt = (1 - abs(ix - xx)) * (1 - abs(iy - yy))
            if 0 <= yy < h and 0 <= xx < w:
                out[b, :, i, j] += wgt * x[b, :, yy, xx]
    return out


@pytest.mark.parametrize("padding_mode", ["zeros", "border"])
@pytest.mark.parametrize("align", [False, True])
def test_grid_sample_bilinear(padding_mode, align):
    x = randn(2, 2, 4, 5)
    grid = np.random.default_rng(3).uniform(-1.2, 1.2, (2, 3, 2, 2))
    y = F.grid_sample(leaf(x, False), leaf(grid, False), padding_mode=padding_mode,
                      align_corners=align)
    assert_close(y, ref_grid_sample(x, grid, padding_mode, align), atol=1e-12)
    check_gradients(lambda a, g: F.grid_sample(a, g, padding_mode=padding_mode,
                                               align_corners=align), x[:1, :1], grid[:1])


def test_grid_sample_nearest_and_reflection():
    x = randn(1, 1, 3, 3)
    ident = F.affine_grid(dpt.tensor([[[1.0, 0, 0], [0, 1.0, 0]]], dtype=dpt.float64),
                          (1, 1, 3, 3), align_corners=True)
    for mode in ("nearest", "bilinear"):
        assert_close(F.grid_sample(leaf(x, False), ident, mode=mode, align_corners=True), x,
                     atol=1e-12)
    # reflection: a point mirrored across the right border samples its mirror image
    g = dpt.tensor([[[[1.5, 0.0]], [[0.5, 0.0]]]], dtype=dpt.float64)
    y = F.grid_sample(leaf(x, False), g, padding_mode="reflection", align_corners=True)
    assert_close(y[0, 0, 0], y[0, 0, 1], atol=1e-12)
    with pytest.raises(ValueError, match="expected padding_mode"):
        F.grid_sample(leaf(x), g, padding_mode="wrap")


def test_pixel_shuffle():
    x = randn(2, 8, 2, 3)
    y = F.pixel_shuffle(leaf(x, False), 2)
    ref = np.zeros((2, 2, 4, 6))
    for n, c, h, w in itertools.product(range(2), range(2), range(4), range(6)):
        ref[n, c, h, w] = x[n, c * 4 + (h % 2) * 2 + (w % 2), h // 2, w // 2]
    assert_close(y, ref)
    assert_close(F.pixel_unshuffle(y, 2), x)
    assert_close(nn.PixelUnshuffle(2)(nn.PixelShuffle(2)(leaf(x, False))), x)
    assert repr(nn.PixelShuffle(3)) == "PixelShuffle(upscale_factor=3)"
    with pytest.raises(RuntimeError, match="divisible by the square of upscale_factor"):
        F.pixel_shuffle(dpt.zeros(1, 3, 2, 2), 2)
    check_gradients(lambda a: F.pixel_shuffle(a, 2), x[:1, :4])


def ref_unfold(x, k, d, p, s):
    xp = np.pad(x, [(0, 0), (0, 0), (p[0], p[0]), (p[1], p[1])])
    oh = (xp.shape[2] - d[0] * (k[0] - 1) - 1) // s[0] + 1
    ow = (xp.shape[3] - d[1] * (k[1] - 1) - 1) // s[1] + 1
    out = np.zeros((x.shape[0], x.shape[1] * k[0] * k[1], oh * ow))
    for c, i, j, a, b in itertools.product(range(x.shape[1]), range(k[0]), range(k[1]),
                                           range(oh), range(ow)):
        out[:, (c * k[0] + i) * k[1] + j, a * ow + b] = xp[:, c, a * s[0] + i * d[0],
                                                           b * s[1] + j * d[1]]
    return out


def test_unfold_fold():
    x = randn(2, 2, 5, 6)
    args = dict(kernel_size=(2, 3), dilation=(1, 2), padding=1, stride=(2, 1))
    u = F.unfold(leaf(x, False), **args)
    ref = ref_unfold(x, (2, 3), (1, 2), (1, 1), (2, 1))
    assert_close(u, ref)
    # fold is the adjoint of unfold: <unfold(x), c> == <x, fold(c)>
    cols = randn(*ref.shape, seed=4)
    f = F.fold(leaf(cols, False), (5, 6), **args)
    np.testing.assert_allclose((ref * cols).sum(), (x * f.numpy()).sum(), rtol=1e-10)
    # non-overlapping blocks: fold(unfold(x)) == x
    assert_close(F.fold(F.unfold(leaf(x[:, :, :4], False), 2, stride=2), (4, 6), 2, stride=2),
                 x[:, :, :4])
    check_gradients(lambda a: F.unfold(a, **args), x[:1], gradgrad=True)
    check_gradients(lambda a: F.fold(a, (5, 6), **args), cols[:1], gradgrad=True)
    assert repr(nn.Unfold(2)) == "Unfold(kernel_size=2, dilation=1, padding=0, stride=1)"
    assert nn.Fold((4, 5), 2)(leaf(randn(1, 12, 12), False)).shape == (1, 3, 4, 5)
    with pytest.raises(RuntimeError, match="calculated number of sliding blocks"):
        F.fold(leaf(randn(1, 12, 10)), (4, 5), 2)


def test_channel_shuffle_interleaves_groups():
    x = dpt.arange(24.0).reshape(2, 6, 2)
    y = dpt.nn.functional.channel_shuffle(x, 3)
    ref = x.numpy().reshape(2, 3, 2, 2).transpose(0, 2, 1, 3).reshape(2, 6, 2)
    assert y.tolist() == ref.tolist() and dpt.channel_shuffle is dpt.nn.functional.channel_shuffle
    with pytest.raises(RuntimeError, match="divisible by groups"):
        dpt.channel_shuffle(x, 4)
