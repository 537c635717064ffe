"""F.pad, F.interpolate, F.grid_sample, F.affine_grid, F.pixel_shuffle/unshuffle, F.unfold/fold.

Resampling is written as gathers (index_select) and small per-dim interpolation
matrices applied with matmul, so autograd and double backward come from the ops.
Constant padding and unfold/fold are fused Functions paired with their adjoints.
"""
from __future__ import annotations

import itertools
import math

import numpy as np

from ... import _dtype, ops
from ..._device import runs_on, xp_of
from ..._tensor import Tensor
from ...autograd.function import Function
from .conv import _ntuple, col2im, pad_array, windows
from .pooling import _adaptive_avg_poolnd

__all__ = ["pad", "interpolate", "upsample", "upsample_nearest", "upsample_bilinear",
           "grid_sample", "affine_grid", "pixel_shuffle", "pixel_unshuffle", "channel_shuffle",
           "native_channel_shuffle",
           "unfold", "fold"]


# --------------------------------------------------------------------------------------
# pad
# --------------------------------------------------------------------------------------
class _ConstantPad(Function):
    """Pad (or crop, for negative amounts) the last len(pads) dims; pads ((lo, hi), ...)."""

    def forward(self, x, *, pads, value):
        self.pads = pads
        xp = xp_of(x)
        k = len(pads)
        lead = x.shape[:x.ndim - k]
        tail = x.shape[x.ndim - k:]
        shape = lead + tuple(s + lo + hi for s, (lo, hi) in zip(tail, pads))
        out = xp.full(shape, value, dtype=x.dtype)
        src = tuple(slice(max(-lo, 0), s - max(-hi, 0)) for s, (lo, hi) in zip(tail, pads))
        dst = tuple(slice(max(lo, 0), max(lo, 0) + (sl.stop - sl.start)) for sl, (lo, _) in
                    zip(src, pads))
        if all(sl.stop > sl.start for sl in src):
            out[(Ellipsis,) + dst] = x[(Ellipsis,) + src]
        return out

    def backward(self, g):
        return _ConstantPad.apply(g, pads=tuple((-lo, -hi) for lo, hi in self.pads), value=0)


def _pad_index(L, lo, hi, mode):
    j = np.arange(-lo, L + hi)
    if mode == "reflect":
        period = 2 * (L - 1) if L > 1 else 1
        j = np.abs(j) % period
        return np.where(j >= L, period - j, j)
    if mode == "replicate":
        return np.clip(j, 0, L - 1)
    # circular: negative amounts crop first, then the cropped range wraps around
    start, stop = max(-lo, 0), L - max(-hi, 0)
    n = stop - start
    return start + np.arange(-max(lo, 0), n + max(hi, 0)) % n


_NONCONST_DIMS = {"reflect": (1, 3), "replicate": (1, 3), "circular": (1, 3)}


def pad(input: Tensor, pad, mode: str = "constant", value=None) -> Tensor:
    """pad(input, pad, mode='constant', value=None).

    pad lists (left, right) amounts starting from the last dim: (l, r) pads the last dim,
    (l, r, t, b) the last two, ... Modes: 'constant' (any number of dims, negative amounts
    crop), 'reflect', 'replicate', 'circular' (last 1-3 dims of a batched or unbatched input).
    """
    if not isinstance(input, Tensor):
        raise TypeError(f"pad(): argument 'input' must be Tensor, not {type(input).__name__}")
    pad = tuple(int(p) for p in pad)
    if len(pad) % 2:
        raise RuntimeError("Padding length must be divisible by 2")
    k = len(pad) // 2
    if k > input.ndim:
        raise RuntimeError(f"Padding length should be less than or equal to two times the input "
                           f"dimension but got padding length {len(pad)} and input of dimension "
                           f"{input.ndim}")
    pads = tuple((pad[2 * i], pad[2 * i + 1]) for i in range(k))[::-1]  # first padded dim first
    if mode == "constant":
        for d, (s, (lo, hi)) in enumerate(zip(input.shape[input.ndim - k:], pads)):
            if s + lo + hi < 0:
                raise RuntimeError(f"The input size {s}, plus negative padding {lo} and {hi} "
                                   f"resulted in a negative output size, which is invalid. Check "
                                   f"dimension {input.ndim - k + d} of your input.")
        return _ConstantPad.apply(input, pads=pads, value=0 if value is None else value)
    if mode not in _NONCONST_DIMS:
        raise NotImplementedError(f"Unrecognised padding mode {mode}")
    if value is not None and value != 0:
        raise RuntimeError(f"Padding mode \"{mode}\" doesn't take in value argument")
    if not 1 <= k <= 3 or input.ndim not in (k + 1, k + 2):
        raise NotImplementedError(f"Only 2D, 3D, 4D, 5D padding with non-constant padding are "
                                  f"supported for now (got padding size {len(pad)} for a "
                                  f"{input.ndim}D input in mode '{mode}')")
    out = input
    first = input.ndim - k
    for i, (lo, hi) in enumerate(pads):
        dim = first + i
        L = input.shape[dim]
        if mode == "reflect" and (lo >= L or hi >= L):
            raise RuntimeError(f"Argument #4: Padding size should be less than the corresponding "
                               f"input dimension, but got: padding ({lo}, {hi}) at dimension "
                               f"{dim} of input {list(input.shape)}")
        if mode == "circular" and (lo > L or hi > L):
            raise RuntimeError("Padding value causes wrapping around more than once.")
        if L + lo + hi < 0 or (mode != "circular" and L == 0):
            raise RuntimeError(f"pad: input size {L} at dimension {dim} is too small for "
                               f"padding ({lo}, {hi}) in mode '{mode}'")
        if lo == hi == 0:
            continue
        idx = Tensor._make(xp_of(input._data).asarray(_pad_index(L, lo, hi, mode)))
        out = ops.index_select(out, dim, idx)
    return out


# --------------------------------------------------------------------------------------
# interpolate
# --------------------------------------------------------------------------------------
_MODE_DIMS = {"linear": 1, "bilinear": 2, "bicubic": 2, "trilinear": 3}


def _coord_scale(in_size, out_size, align_corners, scale):
    if align_corners:
        return (in_size - 1) / (out_size - 1) if out_size > 1 else 0.0
    return 1.0 / scale if scale is not None and scale > 0 else in_size / out_size


def _linear_matrix(L, O, align_corners, scale):
    s = _coord_scale(L, O, align_corners, scale)
    dst = np.arange(O, dtype=np.float64)
    src = dst * s if align_corners else np.maximum(s * (dst + 0.5) - 0.5, 0.0)
    i0 = np.minimum(np.floor(src).astype(np.int64), L - 1)
    i1 = np.minimum(i0 + 1, L - 1)
    lam = src - i0
    m = np.zeros((O, L))
    np.add.at(m, (np.arange(O), i0), 1 - lam)
    np.add.at(m, (np.arange(O), i1), lam)
    return m


def _cubic_matrix(L, O, align_corners, scale, A=-0.75):
    s = _coord_scale(L, O, align_corners, scale)
    dst = np.arange(O, dtype=np.float64)
    src = dst * s if align_corners else s * (dst + 0.5) - 0.5
    i = np.floor(src).astype(np.int64)
    t = src - i

    def near(x):  # |x| <= 1
        return ((A + 2) * x - (A + 3)) * x * x + 1

    def far(x):  # 1 < |x| < 2
        return ((A * x - 5 * A) * x + 8 * A) * x - 4 * A

    w = [far(t + 1), near(t), near(1 - t), far(2 - t)]
    m = np.zeros((O, L))
    for j, wj in enumerate(w):
        np.add.at(m, (np.arange(O), np.clip(i - 1 + j, 0, L - 1)), wj)
    return m


def _nearest_index(L, O, scale, exact):
    if O == L:
        return np.arange(O)
    s = np.float32(1.0 / scale if scale is not None and scale > 0 else L / O)
    dst = np.arange(O, dtype=np.float32)
    src = np.floor((dst + np.float32(0.5)) * s if exact else dst * s).astype(np.int64)
    return np.minimum(src, L - 1)


@runs_on(0)
def interpolate(input: Tensor, size=None, scale_factor=None, mode: str = "nearest",
                align_corners=None, recompute_scale_factor=None, antialias: bool = False) -> Tensor:
    """interpolate(input, size=None, scale_factor=None, mode='nearest', align_corners=None,
    recompute_scale_factor=None, antialias=False).

    Modes: nearest, nearest-exact, linear (3-D input), bilinear/bicubic (4-D), trilinear
    (5-D), area (adaptive average pooling). antialias=True is not supported.
    """
    if not isinstance(input, Tensor):
        raise TypeError(f"interpolate(): argument 'input' must be Tensor, not "
                        f"{type(input).__name__}")
    if mode in ("nearest", "area", "nearest-exact"):
        if align_corners is not None:
            raise ValueError("align_corners option can only be set with the interpolating modes: "
                             "linear | bilinear | bicubic | trilinear")
    elif mode not in _MODE_DIMS:
        raise NotImplementedError(f"Input Error: Only 3D, 4D and 5D input Tensors supported "
                                  f"(got {input.ndim}D) for the modes: nearest | linear | "
                                  f"bilinear | bicubic | trilinear | area | nearest-exact (got "
                                  f"{mode})")
    if align_corners is None:
        align_corners = False
    if antialias:
        raise NotImplementedError("interpolate: antialias=True is not supported by dpt")
    nd = input.ndim - 2
    if nd not in (1, 2, 3):
        raise NotImplementedError(f"Input Error: Only 3D, 4D and 5D input Tensors supported (got "
                                  f"{input.ndim}D) for the modes: nearest | linear | bilinear | "
                                  f"bicubic | trilinear | area | nearest-exact (got {mode})")
    if mode in _MODE_DIMS and _MODE_DIMS[mode] != nd:
        raise NotImplementedError(f"Got {input.ndim}D input, but {mode} mode needs "
                                  f"{_MODE_DIMS[mode] + 2}D input")
    if size is not None and scale_factor is not None:
        raise ValueError("only one of size or scale_factor should be defined")
    in_sizes = tuple(input.shape[2:])
    if size is not None:
        if isinstance(size, (list, tuple)):
            if len(size) != nd:
                raise ValueError(f"Input and output must have the same number of spatial "
                                 f"dimensions, but got input with spatial dimensions of "
                                 f"{list(in_sizes)} and output size of {list(size)}. Please "
                                 f"provide input tensor in (N, C, d1, d2, ...,dK) format and "
                                 f"output size in (o1, o2, ...,oK) format.")
            out_sizes = tuple(int(s) for s in size)
        else:
            out_sizes = (int(size),) * nd
        scales = (None,) * nd
    elif scale_factor is not None:
        if isinstance(scale_factor, (list, tuple)):
            if len(scale_factor) != nd:
                raise ValueError(f"Input and scale_factor must have the same number of spatial "
                                 f"dimensions, but got input with spatial dimensions of "
                                 f"{list(in_sizes)} and scale_factor of shape "
                                 f"{list(scale_factor)}. Please provide input tensor in (N, C, "
                                 f"d1, d2, ...,dK) format and scale_factor in (s1, s2, ...,sK) "
                                 f"format.")
            sf = tuple(float(s) for s in scale_factor)
        else:
            sf = (float(scale_factor),) * nd
        out_sizes = tuple(int(math.floor(L * s)) for L, s in zip(in_sizes, sf))
        scales = (None,) * nd if recompute_scale_factor else sf
    else:
        raise ValueError("either size or scale_factor should be defined")
    if any(o <= 0 for o in out_sizes):
        raise RuntimeError(f"Input and output sizes should be greater than 0, but got input "
                           f"({', '.join(map(str, in_sizes))}) and output "
                           f"({', '.join(map(str, out_sizes))})")
    if mode == "area":
        return _adaptive_avg_poolnd(f"adaptive_avg_pool{nd}d", nd, input, out_sizes)
    xp = xp_of(input._data)
    y = input
    for i, (L, O, s) in enumerate(zip(in_sizes, out_sizes, scales)):
        dim = 2 + i
        if mode in ("nearest", "nearest-exact"):
            idx = _nearest_index(L, O, s, mode == "nearest-exact")
            if O != L:
                y = ops.index_select(y, dim, Tensor._make(xp.asarray(idx)))
            continue
        m = (_cubic_matrix if mode == "bicubic" else _linear_matrix)(L, O, align_corners, s)
        mat = Tensor._make(xp.asarray(m.T, dtype=input._data.dtype))   # (L, O)
        y = (y.movedim(dim, -1) @ mat).movedim(-1, dim)
    return y


def upsample(input, size=None, scale_factor=None, mode="nearest", align_corners=None):
    """upsample(...): deprecated alias of interpolate."""
    return interpolate(input, size, scale_factor, mode, align_corners)


def upsample_nearest(input, size=None, scale_factor=None):
    """upsample_nearest(input, size=None, scale_factor=None): interpolate(mode='nearest')."""
    return interpolate(input, size, scale_factor, mode="nearest")


def upsample_bilinear(input, size=None, scale_factor=None):
    """upsample_bilinear(input, size=None, scale_factor=None): bilinear, align_corners=True."""
    return interpolate(input, size, scale_factor, mode="bilinear", align_corners=True)


# --------------------------------------------------------------------------------------
# affine_grid / grid_sample
# --------------------------------------------------------------------------------------
def _base_coords(n, align_corners):
    c = np.linspace(-1.0, 1.0, n) if n > 1 else np.zeros(1)
    return c if align_corners else c * (n - 1) / n


@runs_on(0)
def affine_grid(theta: Tensor, size, align_corners=None) -> Tensor:
    """affine_grid(theta, size, align_corners=None): sampling grid (N, H, W, 2) from theta
    (N, 2, 3) for size (N, C, H, W), or (N, D, H, W, 3) from (N, 3, 4) for 5-D sizes."""
    if align_corners is None:
        align_corners = False
    if theta.dtype.category < 2:
        raise ValueError(f"Expected theta to have floating point type, but got {theta.dtype}")
    size = list(size)
    if len(size) == 4:
        if theta.ndim != 3 or tuple(theta.shape[-2:]) != (2, 3):
            raise ValueError(f"Expected a batch of 2D affine matrices of shape Nx2x3 for size "
                             f"{size}. Got {list(theta.shape)}.")
        spatial = size[2:]
    elif len(size) == 5:
        if theta.ndim != 3 or tuple(theta.shape[-2:]) != (3, 4):
            raise ValueError(f"Expected a batch of 3D affine matrices of shape Nx3x4 for size "
                             f"{size}. Got {list(theta.shape)}.")
        spatial = size[2:]
    else:
        raise NotImplementedError(f"affine_grid only supports 4D and 5D sizes, for 2D and 3D "
                                  f"affine transforms, respectively. Got size {size}.")
    if min(size) <= 0:
        raise ValueError(f"Expected non-zero, positive output size. Got {size}")
    if theta.shape[0] != size[0]:
        raise ValueError(f"Expected theta batch size {theta.shape[0]} to match size {size}")
    axes = [_base_coords(s, align_corners) for s in spatial]       # (D,) H, W
    mesh = np.meshgrid(*axes, indexing="ij")[::-1]                # x (W) first
    base = np.stack(list(mesh) + [np.ones(tuple(spatial))], axis=-1)
    xp = xp_of(theta._data)
    base = Tensor._make(xp.asarray(base.reshape(1, -1, len(spatial) + 1), dtype=theta._data.dtype))
    grid = base @ theta.transpose(1, 2)
    return grid.reshape([size[0]] + spatial + [len(spatial)])


def _unnormalize(c, n, align_corners):
    return (c + 1) / 2 * (n - 1) if align_corners else ((c + 1) * n - 1) / 2


def _reflect(c, lo2, hi2):
    if lo2 == hi2:
        return c * 0
    lo = lo2 / 2
    span = (hi2 - lo2) / 2
    c = (c - lo).abs()
    extra = ops.fmod(c, span)
    flips = ops.floor(c / span).detach()
    even = ops.fmod(flips, 2) == 0
    return ops.where(even, extra + lo, span - extra + lo)


def _pad_coord(c, n, padding_mode, align_corners):
    """An unnormalised coordinate moved inside [0, n - 1] by the padding mode ('zeros' keeps
    it; the taps outside then read 0)."""
    if padding_mode == "border":
        c = c.clamp(0, n - 1)
    elif padding_mode == "reflection":
        c = _reflect(c, 0, 2 * (n - 1)) if align_corners else _reflect(c, -1, 2 * n - 1)
        c = c.clamp(0, n - 1)
    return c


def _source_coord(c, n, padding_mode, align_corners):
    return _pad_coord(_unnormalize(c, n, align_corners), n, padding_mode, align_corners)


def _cubic_weights(t):
    """The four cubic-convolution weights (A = -0.75) of the taps at -1, 0, 1, 2 from the
    floor, for the fractional offset t."""
    A = -0.75

    def near(x):  # |x| <= 1
        return ((A + 2) * x - (A + 3)) * x * x + 1

    def far(x):  # 1 < |x| < 2
        return ((A * x - 5 * A) * x + 8 * A) * x - 4 * A

    return [far(t + 1), near(t), near(1 - t), far(2 - t)]


class _ZeroGradTo(Function):
    """out itself, with a zero gradient for `other` (nearest sampling: piecewise constant in
    the grid, so torch gives the grid a zero gradient rather than none)."""

    def forward(self, out, other):
        return out

    def backward(self, g):
        return g, ops.zeros_like(self.inputs[1])


_MODES = {0: "bilinear", 1: "nearest", 2: "bicubic"}
_PADDINGS = {0: "zeros", 1: "border", 2: "reflection"}


def grid_sample(input: Tensor, grid: Tensor, mode: str = "bilinear", padding_mode: str = "zeros",
                align_corners=None) -> Tensor:
    """grid_sample(input, grid, mode='bilinear', padding_mode='zeros', align_corners=None).

    input (N, C, H, W) with grid (N, H_out, W_out, 2) of (x, y) in [-1, 1], or input
    (N, C, D, H, W) with grid (N, D_out, H_out, W_out, 3) of (x, y, z); modes 'bilinear'
    (trilinear for 5-D), 'nearest' and, for 4-D only, 'bicubic'; padding 'zeros', 'border',
    'reflection'. Gradients flow to input and grid (zero for the grid under 'nearest').
    """
    if mode not in ("bilinear", "nearest", "bicubic"):
        raise ValueError(f"nn.functional.grid_sample(): expected mode to be 'bilinear', "
                         f"'nearest' or 'bicubic', but got: '{mode}'")
    if padding_mode not in ("zeros", "border", "reflection"):
        raise ValueError(f"nn.functional.grid_sample(): expected padding_mode to be 'zeros', "
                         f"'border', or 'reflection', but got: '{padding_mode}'")
    return _grid_sampler(input, grid, mode, padding_mode, bool(align_corners))


def grid_sampler(input: Tensor, grid: Tensor, interpolation_mode: int, padding_mode: int,
                 align_corners: bool) -> Tensor:
    """grid_sampler(input, grid, interpolation_mode, padding_mode, align_corners): torch's
    top-level grid_sample with the modes as integers (0 bilinear, 1 nearest, 2 bicubic;
    padding 0 zeros, 1 border, 2 reflection)."""
    return _grid_sampler(input, grid, _MODES[interpolation_mode], _PADDINGS[padding_mode],
                         align_corners)


def grid_sampler_2d(input: Tensor, grid: Tensor, interpolation_mode: int, padding_mode: int,
                    align_corners: bool) -> Tensor:
    """grid_sampler_2d(input, grid, interpolation_mode, padding_mode, align_corners)."""
    if input.ndim != 4:
        raise RuntimeError(f"grid_sampler_2d(): expected 4D input, but got input with sizes "
                           f"{list(input.shape)}")
    return grid_sampler(input, grid, interpolation_mode, padding_mode, align_corners)


def grid_sampler_3d(input: Tensor, grid: Tensor, interpolation_mode: int, padding_mode: int,
                    align_corners: bool) -> Tensor:
    """grid_sampler_3d(input, grid, interpolation_mode, padding_mode, align_corners)."""
    if input.ndim != 5:
        raise RuntimeError(f"grid_sampler_3d(): expected 5D input, but got input with sizes "
                           f"{list(input.shape)}")
    return grid_sampler(input, grid, interpolation_mode, padding_mode, align_corners)


@runs_on(0)  # the tap masks use bitwise ops, which do not select the device themselves
def _grid_sampler(input: Tensor, grid: Tensor, mode: str, padding_mode: str,
                  align_corners: bool) -> Tensor:
    k = input.ndim - 2
    if input.ndim not in (4, 5) or grid.ndim != input.ndim or grid.shape[-1] != k:
        raise RuntimeError(f"grid_sampler(): expected 4D or 5D input and grid with same number "
                           f"of dimensions, and grid of shape (N, *, {max(k, 2)}), but got input "
                           f"with sizes {list(input.shape)} and grid with sizes "
                           f"{list(grid.shape)}")
    if input.shape[0] != grid.shape[0]:
        raise RuntimeError(f"grid_sampler(): expected grid and input to have same batch size, but "
                           f"got input with sizes {list(input.shape)} and grid with sizes "
                           f"{list(grid.shape)}")
    if input.dtype is not grid.dtype:
        raise RuntimeError(f"grid_sampler(): expected input and grid to have same dtype, but "
                           f"input has {input.dtype} and grid has {grid.dtype}")
    if mode == "bicubic" and k == 3:
        raise RuntimeError("grid_sampler(): bicubic interpolation only supports 4D input")
    n, c = input.shape[:2]
    sizes = tuple(input.shape[2:])
    out_sizes = tuple(grid.shape[1:-1])
    m = math.prod(out_sizes)
    strides = [math.prod(sizes[j + 1:]) for j in range(k)]
    flat = input.reshape(n, c, math.prod(sizes))
    # spatial dim j (D, H, W order) is read from grid[..., k - 1 - j] (grid is x, y, z)
    raw = [grid[..., k - 1 - j] for j in range(k)]

    def tap(idx):
        """input at the integer coordinates idx (one (N, *out) tensor per spatial dim) as
        (N, C, *out), 0 outside."""
        inside, pos = None, 0
        for j, (i, size) in enumerate(zip(idx, sizes)):
            ok = (i >= 0) & (i <= size - 1)
            inside = ok if inside is None else inside & ok
            pos = pos + i.clamp(0, size - 1) * strides[j]
        pos = pos.to(_dtype.int64).reshape(n, 1, m)
        vals = flat.gather(2, pos.expand(n, c, m)).reshape((n, c) + out_sizes)
        return vals * inside.unsqueeze(1).to(input.dtype)

    if mode == "bicubic":
        src = [_unnormalize(r, size, align_corners) for r, size in zip(raw, sizes)]
        base = [ops.floor(s_.detach()) for s_ in src]
        weights = [_cubic_weights(s_ - b) for s_, b in zip(src, base)]
        out = 0
        for offs in itertools.product(range(4), repeat=k):
            idx = [_pad_coord(b + (o - 1), size, padding_mode, align_corners)
                   for b, o, size in zip(base, offs, sizes)]
            w = math.prod(weights[j][o] for j, o in enumerate(offs))
            out = out + tap([ops.floor(i) for i in idx]) * w.unsqueeze(1)
        return out
    src = [_source_coord(r, size, padding_mode, align_corners) for r, size in zip(raw, sizes)]
    if mode == "nearest":
        out = tap([ops.round(s_.detach()) for s_ in src])
        return _ZeroGradTo.apply(out, grid) if grid.requires_grad else out
    base = [ops.floor(s_.detach()) for s_ in src]
    frac = [s_ - b for s_, b in zip(src, base)]
    out = 0
    for corner in itertools.product((0, 1), repeat=k):
        w = math.prod(f if bit else 1 - f for f, bit in zip(frac, corner))
        out = out + tap([b + bit for b, bit in zip(base, corner)]) * w.unsqueeze(1)
    return out


# --------------------------------------------------------------------------------------
# pixel shuffle
# --------------------------------------------------------------------------------------
def pixel_shuffle(input: Tensor, upscale_factor: int) -> Tensor:
    """pixel_shuffle(input, upscale_factor): (*, C r^2, H, W) -> (*, C, H r, W r)."""
    r = int(upscale_factor)
    if input.ndim < 3:
        raise RuntimeError(f"pixel_shuffle expects input to have at least 3 dimensions, but got "
                           f"input with {input.ndim} dimension(s)")
    if r <= 0:
        raise RuntimeError(f"pixel_shuffle expects a positive upscale_factor, but got {r}")
    *lead, c, h, w = input.shape
    if c % (r * r):
        raise RuntimeError(f"pixel_shuffle expects its input's 'channel' dimension to be "
                           f"divisible by the square of upscale_factor, but input.size(-3)={c} "
                           f"is not divisible by {r * r}")
    k = len(lead)
    x = input.reshape(lead + [c // (r * r), r, r, h, w])
    perm = list(range(k)) + [k, k + 3, k + 1, k + 4, k + 2]
    return x.permute(perm).reshape(lead + [c // (r * r), h * r, w * r])


def pixel_unshuffle(input: Tensor, downscale_factor: int) -> Tensor:
    """pixel_unshuffle(input, downscale_factor): (*, C, H r, W r) -> (*, C r^2, H, W)."""
    r = int(downscale_factor)
    if input.ndim < 3:
        raise RuntimeError(f"pixel_unshuffle expects input to have at least 3 dimensions, but got "
                           f"input with {input.ndim} dimension(s)")
    if r <= 0:
        raise RuntimeError(f"pixel_unshuffle expects a positive downscale_factor, but got {r}")
    *lead, c, h, w = input.shape
    if h % r or w % r:
        raise RuntimeError(f"pixel_unshuffle expects height and width to be divisible by "
                           f"downscale_factor, but input.size(-2)={h} and input.size(-1)={w} are "
                           f"not divisible by {r}")
    k = len(lead)
    x = input.reshape(lead + [c, h // r, r, w // r, r])
    perm = list(range(k)) + [k, k + 2, k + 4, k + 1, k + 3]
    return x.permute(perm).reshape(lead + [c * r * r, h // r, w // r])


def channel_shuffle(input: Tensor, groups: int) -> Tensor:
    """channel_shuffle(input, groups): split the C channels of (N, C, *) into groups and
    interleave them, (N, g, C/g, *) -> (N, C/g, g, *)."""
    if input.ndim < 3:
        raise RuntimeError(f"channel_shuffle expects input with > 2 dims, but got input with "
                           f"sizes {list(input.shape)}")
    if groups <= 0:
        raise RuntimeError(f"Number of groups to divide channels in must be positive. Value of "
                           f"groups:{groups}")
    n, c = input.shape[0], input.shape[1]
    if c % groups:
        raise RuntimeError(f"Number of channels must be divisible by groups. Got {c} channels and "
                           f"{groups} groups.")
    rest = tuple(input.shape[2:])
    return input.reshape((n, groups, c // groups) + rest).transpose(1, 2).reshape(
        tuple(input.shape))


def native_channel_shuffle(input: Tensor, groups: int) -> Tensor:
    """native_channel_shuffle(input, groups): channel_shuffle (torch's variant has no
    derivative; dpt's is differentiable)."""
    return channel_shuffle(input, groups)


# --------------------------------------------------------------------------------------
# unfold / fold (im2col / col2im)
# --------------------------------------------------------------------------------------
class _Unfold(Function):
    def forward(self, x, *, kernel, dilation, padding, stride):
        self.args = (kernel, dilation, padding, stride)
        xp = xp_of(x)
        n, c = x.shape[:2]
        pads = tuple((p, p) for p in padding)
        out = tuple((x.shape[2 + i] + 2 * padding[i] - dilation[i] * (kernel[i] - 1) - 1)
                    // stride[i] + 1 for i in range(2))
        win = windows(pad_array(x, pads), kernel, stride, dilation, out)  # (N, C, *O, *K)
        return xp.ascontiguousarray(win.transpose(0, 1, 4, 5, 2, 3)).reshape(
            n, c * math.prod(kernel), math.prod(out))

    def backward(self, g):
        x, = self.inputs
        return _Fold.apply(g, size=tuple(x.shape[2:]), args=self.args)


class _Fold(Function):
    def forward(self, cols, *, size, args):
        kernel, dilation, padding, stride = self.args = args
        self.size = size
        n = cols.shape[0]
        c = cols.shape[1] // math.prod(kernel)
        out = tuple((size[i] + 2 * padding[i] - dilation[i] * (kernel[i] - 1) - 1)
                    // stride[i] + 1 for i in range(2))
        blocks = cols.reshape((n, c) + tuple(kernel) + out).transpose(2, 3, 0, 1, 4, 5)
        full = tuple(s + 2 * p for s, p in zip(size, padding))
        res = col2im(blocks, full, stride, dilation)
        return xp_of(cols).ascontiguousarray(
            res[:, :, padding[0]:padding[0] + size[0], padding[1]:padding[1] + size[1]])

    def backward(self, g):
        kernel, dilation, padding, stride = self.args
        return _Unfold.apply(g, kernel=kernel, dilation=dilation, padding=padding, stride=stride)


def _fold_args(kernel_size, dilation, padding, stride):
    return (_ntuple(kernel_size, 2, "kernel_size"), _ntuple(dilation, 2, "dilation"),
            _ntuple(padding, 2, "padding"), _ntuple(stride, 2, "stride"))


def unfold(input: Tensor, kernel_size, dilation=1, padding=0, stride=1) -> Tensor:
    """unfold(input, kernel_size, dilation=1, padding=0, stride=1): (N, C, H, W) ->
    (N, C * prod(kernel_size), L) sliding blocks (im2col); 3-D unbatched input allowed."""
    if input.ndim not in (3, 4):
        raise RuntimeError(f"Input Error: Only 3D or 4D input Tensors are supported (got "
                           f"{input.ndim}D)")
    kernel, dilation, padding, stride = _fold_args(kernel_size, dilation, padding, stride)
    if min(kernel) <= 0 or min(dilation) <= 0 or min(stride) <= 0 or min(padding) < 0:
        raise RuntimeError(f"unfold: kernel_size, dilation and stride must be positive and "
                           f"padding non-negative, but got kernel_size={list(kernel)}, "
                           f"dilation={list(dilation)}, padding={list(padding)}, "
                           f"stride={list(stride)}")
    x = input.unsqueeze(0) if input.ndim == 3 else input
    blocks = [(x.shape[2 + i] + 2 * padding[i] - dilation[i] * (kernel[i] - 1) - 1) // stride[i]
              + 1 for i in range(2)]
    if min(blocks) < 1:
        raise RuntimeError(f"Given input with spatial size ({x.shape[2]}, {x.shape[3]}), "
                           f"kernel_size=({kernel[0]}, {kernel[1]}), dilation=({dilation[0]}, "
                           f"{dilation[1]}), padding=({padding[0]}, {padding[1]}), calculated "
                           f"shape of the array of sliding blocks as ({blocks[0]}, {blocks[1]}), "
                           f"but its components must be at least one.")
    y = _Unfold.apply(x, kernel=kernel, dilation=dilation, padding=padding, stride=stride)
    return y.squeeze(0) if input.ndim == 3 else y


def fold(input: Tensor, output_size, kernel_size, dilation=1, padding=0, stride=1) -> Tensor:
    """fold(input, output_size, kernel_size, dilation=1, padding=0, stride=1): sums sliding
    blocks (N, C * prod(kernel_size), L) into (N, C, *output_size) (col2im)."""
    if input.ndim not in (2, 3):
        raise RuntimeError(f"Input Error: Only unbatched (2D) or batched (3D) input Tensors are "
                           f"supported (got {input.ndim}D)")
    size = _ntuple(output_size, 2, "output_size")
    kernel, dilation, padding, stride = _fold_args(kernel_size, dilation, padding, stride)
    x = input.unsqueeze(0) if input.ndim == 2 else input
    kp = math.prod(kernel)
    if x.shape[1] % kp:
        raise RuntimeError(f"Expected size of input's dimension 1 to be divisible by the product "
                           f"of kernel_size, but got input.size(1)={x.shape[1]} and "
                           f"kernel_size=({kernel[0]}, {kernel[1]})")
    blocks = [(size[i] + 2 * padding[i] - dilation[i] * (kernel[i] - 1) - 1) // stride[i] + 1
              for i in range(2)]
    if min(blocks) < 1 or x.shape[2] != blocks[0] * blocks[1]:
        raise RuntimeError(f"Given output_size=({size[0]}, {size[1]}), kernel_size=({kernel[0]}, "
                           f"{kernel[1]}), dilation=({dilation[0]}, {dilation[1]}), "
                           f"padding=({padding[0]}, {padding[1]}), stride=({stride[0]}, "
                           f"{stride[1]}), expected size of input's dimension 2 to match the "
                           f"calculated number of sliding blocks {blocks[0]} * {blocks[1]} = "
                           f"{blocks[0] * blocks[1]}, but got input.size(2)={x.shape[2]}.")
    y = _Fold.apply(x, size=size, args=(kernel, dilation, padding, stride))
    return y.squeeze(0) if input.ndim == 2 else y
