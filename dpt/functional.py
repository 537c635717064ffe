"""torch.functional: einsum, tensordot, meshgrid, cartesian_prod, block_diag, stft/istft, ...

Everything here is composed from differentiable dpt ops, so gradients (and gradients of
gradients) need no code of their own. einsum contracts its operands pairwise in the order
numpy's ``einsum_path`` finds cheapest, each pair as one batched matrix product.

The functions torch.functional shares with the rest of the namespace (split, norm, unique,
broadcast_tensors, ...) are the dpt.ops ones, re-exported here.
"""
from __future__ import annotations

import itertools
import math
import warnings

import numpy as np

from ._device import to_numpy, xp_of
from ._dtype import get_default_dtype, result_type
from ._tensor import Tensor, _wrap_dim
from . import fft as _fft, ops as _ops
from .ops import (atleast_1d, atleast_2d, atleast_3d, broadcast_shapes, broadcast_tensors, cdist,
                  chain_matmul, norm, split, unique, unique_consecutive)
from .linalg import _torch_lu as lu, lu_unpack
from .ops.blas import _with_out as _blas_out

__all__ = ["atleast_1d", "atleast_2d", "atleast_3d", "block_diag", "broadcast_shapes",
           "broadcast_tensors", "cartesian_prod", "cdist", "chain_matmul", "combinations", "einsum",
           "istft", "lu", "lu_unpack", "meshgrid", "norm", "split", "stft", "tensordot", "unique",
           "unique_consecutive", "unravel_index"]


# ---- einsum -----------------------------------------------------------------------------
_LETTERS = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"


def _sublist_equation(args) -> tuple:
    """einsum(op1, sub1, op2, sub2, ..., [out]) -> ('ab,bc->ac', operands)."""
    def term(sub):
        out = ""
        for s in sub:
            if s is Ellipsis:
                out += "..."
            elif isinstance(s, int) and 0 <= s < 52:
                out += _LETTERS[s]
            else:
                raise ValueError(f"einsum(): expected subscript to be within the range [0, 52), "
                                 f"but got {s}")
        return out
    out = args[-1] if len(args) % 2 == 1 else None
    pairs = args[:len(args) - len(args) % 2]
    operands, subs = list(pairs[0::2]), list(pairs[1::2])
    eq = ",".join(term(s) for s in subs)
    if out is not None:
        eq += "->" + term(out)
    return eq, operands


def _parse(equation: str, operands: list) -> tuple:
    """Subscripts per operand (ellipses expanded to spare letters) and the output subscripts."""
    eq = equation.replace(" ", "")
    lhs, arrow, rhs = eq.partition("->")
    terms = lhs.split(",")
    if len(terms) != len(operands):
        more = len(operands) > len(terms)
        raise ValueError(f"einsum(): {'more' if more else 'fewer'} operands were provided than "
                         f"specified in the equation")
    for i, ch in enumerate(eq):
        if ch not in _LETTERS and ch not in ".,->":
            raise ValueError(f"einsum(): invalid subscript given at index {i} in the equation "
                             f"string, subscripts must be in [a-zA-Z]")
    spare = [c for c in _LETTERS if c not in eq]
    n_ell = 0
    for t, op in zip(terms, operands):
        if "..." in t:
            n_ell = max(n_ell, op.ndim - len(t.replace("...", "")))
    ell = "".join(spare[:n_ell])
    subs = []
    for k, (t, op) in enumerate(zip(terms, operands)):
        if "..." in t:
            k_ell = op.ndim - len(t.replace("...", ""))
            if k_ell < 0:
                raise RuntimeError(f"einsum(): the number of subscripts in the equation "
                                   f"({len(t) - 3}) is more than the number of dimensions "
                                   f"({op.ndim}) for operand {k}")
            t = t.replace("...", ell[n_ell - k_ell:])
        elif len(t) != op.ndim:
            raise RuntimeError(f"einsum(): the number of subscripts in the equation ({len(t)}) does "
                               f"not match the number of dimensions ({op.ndim}) for operand {k} "
                               f"and no ellipsis was given")
        subs.append(t)
    if arrow:
        out = rhs.replace("...", ell)
        for c in out:
            if out.count(c) > 1:
                raise ValueError(f"einsum(): output subscript {c} appears more than once in the "
                                 f"output")
            if not any(c in s for s in subs):
                raise ValueError(f"einsum(): output subscript {c} does not appear in the equation "
                                 f"for any input operand")
    else:
        counts = {}
        for s in subs:
            for c in s:
                counts[c] = counts.get(c, 0) + 1
        out = ell + "".join(sorted(c for c, n in counts.items() if n == 1 and c not in ell))
    return subs, out


def _take_diagonals(x: Tensor, sub: str) -> tuple:
    """Repeated subscripts within one operand ('ii') select its diagonal."""
    while True:
        dup = next((c for c in sub if sub.count(c) > 1), None)
        if dup is None:
            return x, sub
        i = sub.index(dup)
        j = sub.index(dup, i + 1)
        if x.shape[i] != x.shape[j]:
            raise RuntimeError(f"einsum(): subscript {dup} is repeated for operand but the sizes "
                               f"don't match, {x.shape[i]} != {x.shape[j]}")
        x = _ops.diagonal(x, 0, i, j)
        sub = sub[:i] + sub[i + 1:j] + sub[j + 1:] + dup


def _contract(x: Tensor, sx: str, y: Tensor, sy: str, keep: set, sizes: dict) -> tuple:
    """Contract two operands over the subscripts they share and nobody else needs, as one
    batched matmul: (batch, x-only, shared) @ (batch, shared, y-only)."""
    batch = [c for c in sx if c in sy and c in keep]
    summed = [c for c in sx if c in sy and c not in keep]
    xonly = [c for c in sx if c not in sy]
    yonly = [c for c in sy if c not in sx]

    def arrange(t, s, order):
        t = t.permute([s.index(c) for c in order]) if list(s) != order else t
        return t.expand(tuple(sizes[c] if c in batch or c in summed else t.shape[i]
                              for i, c in enumerate(order)))

    xt = arrange(x, sx, batch + xonly + summed)
    yt = arrange(y, sy, batch + summed + yonly)
    nb = [sizes[c] for c in batch]
    nx = math.prod(xt.shape[len(batch):len(batch) + len(xonly)])
    ny = math.prod(yt.shape[len(batch) + len(summed):])
    nk = math.prod(sizes[c] for c in summed)
    res = xt.reshape(tuple(nb) + (nx, nk)) @ yt.reshape(tuple(nb) + (nk, ny))
    shape = tuple(nb) + tuple(xt.shape[len(batch):len(batch) + len(xonly)]) + \
        tuple(yt.shape[len(batch) + len(summed):])
    return res.reshape(shape), "".join(batch + xonly + yonly)


def einsum(*args) -> Tensor:
    """einsum(equation, *operands): Einstein summation, with ellipses ('...'), implicit output
    (the subscripts used once, sorted) and the sublist form einsum(op, [0, 1], op2, [1, 2]).

    Operands are contracted pairwise in the order of numpy's greedy ``einsum_path``.
    """
    if not args:
        raise TypeError("einsum(): must specify the equation string and at least one operand, "
                        "or at least one operand and its subscripts list")
    if isinstance(args[0], str):
        equation = args[0]
        operands = list(args[1:])
        if len(operands) == 1 and isinstance(operands[0], (list, tuple)):
            operands = list(operands[0])
    else:
        equation, operands = _sublist_equation(args)
    for i, op in enumerate(operands):
        if not isinstance(op, Tensor):
            raise TypeError(f"einsum(): operand {i} must be a Tensor, not {type(op).__name__}")
    if not operands:
        raise ValueError("einsum(): must provide at least one operand")
    subs, out = _parse(equation, operands)
    dt = result_type(*operands)
    ops = [o if o.dtype is dt else o.to(dt) for o in operands]

    # Sizes per subscript, with size-1 dims broadcasting.
    sizes = {}
    for k, (o, s) in enumerate(zip(ops, subs)):
        for c, n in zip(s, o.shape):
            prev = sizes.get(c, 1)
            if n != 1 and prev != 1 and n != prev:
                raise RuntimeError(f"einsum(): operands do not broadcast with remapped shapes: "
                                   f"subscript {c} has size {n} for operand {k} which does not "
                                   f"broadcast with previously seen size {prev}")
            sizes[c] = prev if n == 1 else n

    # Diagonals, then sum out what only one operand uses.
    terms = []
    for k, (o, s) in enumerate(zip(ops, subs)):
        o, s = _take_diagonals(o, s)
        others = set(out).union(*(set(t) for j, t in enumerate(subs) if j != k))
        lone = [i for i, c in enumerate(s) if c not in others]
        if lone:
            o = o.sum(tuple(lone))
            s = "".join(c for c in s if c in others)
        terms.append((o, s))

    if len(terms) > 1:
        dummies = [np.broadcast_to(np.zeros((), np.float32), tuple(sizes[c] for c in s))
                   for _, s in terms]
        path = np.einsum_path(",".join(s for _, s in terms) + "->" + out, *dummies,
                              optimize="greedy")[0][1:]
        for step in path:
            picked = [terms[i] for i in step]
            for i in sorted(step, reverse=True):
                del terms[i]
            x, sx = picked[0]
            for k, (y, sy) in enumerate(picked[1:]):
                rest = [s for _, s in picked[k + 2:]] + [s for _, s in terms]
                keep = set(out).union(*(set(s) for s in rest))
                x, sx = _contract(x, sx, y, sy, keep, sizes)
            terms.append((x, sx))
    x, s = terms[0]
    extra = [i for i, c in enumerate(s) if c not in out]
    if extra:
        x = x.sum(tuple(extra))
        s = "".join(c for c in s if c in out)
    if s != out:
        x = x.permute([s.index(c) for c in out])
    if tuple(x.shape) != tuple(sizes[c] for c in out):
        x = x.expand(tuple(sizes[c] for c in out))
    return x if len(operands) > 1 or x is not operands[0] else x.clone()


# ---- tensordot --------------------------------------------------------------------------
def tensordot(a: Tensor, b: Tensor, dims=2, out=None) -> Tensor:
    """tensordot(a, b, dims=2): contract the last `dims` dims of a with the first of b, or the
    listed pairs dims=([a dims], [b dims])."""
    if isinstance(dims, Tensor):
        dims = dims.tolist()
    if isinstance(dims, (int, np.integer)):
        if dims < 0:
            raise RuntimeError(f"tensordot expects dims >= 0, but got dims={dims}")
        if dims > a.ndim or dims > b.ndim:
            raise RuntimeError(f"tensordot expects dims < ndim_a or ndim_b, but got dims={dims}")
        da, db = list(range(a.ndim - dims, a.ndim)), list(range(dims))
    else:
        da, db = dims
        da = [da] if isinstance(da, int) else list(da)
        db = [db] if isinstance(db, int) else list(db)
        if len(da) != len(db):
            raise RuntimeError("both dimension lists should have same length")
        da = [_wrap_dim(d, a.ndim, "tensordot") for d in da]
        db = [_wrap_dim(d, b.ndim, "tensordot") for d in db]
    for i, j in zip(da, db):
        if a.shape[i] != b.shape[j] and a.shape[i] != 1 and b.shape[j] != 1:
            raise RuntimeError(f"contracted dimensions need to match, but first has size "
                               f"{a.shape[i]} in dim {i} and second has size {b.shape[j]} in dim {j}")
    if a.dtype is not b.dtype:
        raise RuntimeError(f"expected scalar type {a.dtype} but found {b.dtype}")
    fa = [d for d in range(a.ndim) if d not in da]
    fb = [d for d in range(b.ndim) if d not in db]
    sizes = [max(a.shape[i], b.shape[j]) for i, j in zip(da, db)]
    at = a.permute(fa + da).expand(tuple(a.shape[d] for d in fa) + tuple(sizes))
    bt = b.permute(db + fb).expand(tuple(sizes) + tuple(b.shape[d] for d in fb))
    k = math.prod(sizes)
    res = at.reshape(-1, k) @ bt.reshape(k, -1)
    res = res.reshape(tuple(a.shape[d] for d in fa) + tuple(b.shape[d] for d in fb))
    if out is not None:
        return _blas_out(res, out)
    return res


# ---- grids and combinations ---------------------------------------------------------------
def _tensor_list(tensors, op: str) -> list:
    if len(tensors) == 1 and isinstance(tensors[0], (list, tuple)):
        tensors = tensors[0]
    return list(tensors)


def meshgrid(*tensors, indexing: str | None = None) -> tuple:
    """meshgrid(*tensors, indexing=None): coordinate grids of 1-D tensors.

    indexing 'ij' (the default, with torch's warning when not given) gives shape (len(t0),
    len(t1), ...); 'xy' swaps the first two dims (numpy's default). Results are views.
    """
    tensors = _tensor_list(tensors, "meshgrid")
    if indexing is None:
        warnings.warn("torch.meshgrid: in an upcoming release, it will be required to pass the "
                      "indexing argument.", UserWarning, stacklevel=2)
        indexing = "ij"
    if indexing not in ("ij", "xy"):
        raise RuntimeError(f"torch.meshgrid: indexing must be one of \"xy\" or \"ij\", but received: "
                           f"{indexing}")
    if not tensors:
        raise RuntimeError("meshgrid expects a non-empty TensorList")
    for t in tensors:
        if t.ndim > 1:
            raise RuntimeError(f"torch.meshgrid: Expected 0D or 1D tensor in the tensor list but "
                               f"got: {t}")
    for t in tensors[1:]:
        if t.dtype is not tensors[0].dtype:
            raise RuntimeError("meshgrid expects all tensors to have the same dtype")
    ts = [t.reshape(-1) for t in tensors]
    swap = indexing == "xy" and len(ts) >= 2
    if swap:
        ts[0], ts[1] = ts[1], ts[0]
    shape = tuple(t.shape[0] for t in ts)
    grids = []
    for i, t in enumerate(ts):
        view = [1] * len(ts)
        view[i] = shape[i]
        grids.append(t.reshape(view).expand(shape))
    if swap:
        grids[0], grids[1] = grids[1], grids[0]
    return tuple(grids)


def cartesian_prod(*tensors) -> Tensor:
    """cartesian_prod(*tensors): rows of every combination of the 1-D inputs' elements, (N, k);
    one tensor comes back unchanged."""
    tensors = _tensor_list(tensors, "cartesian_prod")
    for t in tensors:
        if t.ndim != 1:
            raise RuntimeError(f"Expect a 1D vector, but got shape {list(t.shape)}")
    if len(tensors) == 1:
        return tensors[0]
    grids = meshgrid(*tensors, indexing="ij")
    return _ops.stack([g.reshape(-1) for g in grids], 1)


def combinations(input: Tensor, r: int = 2, with_replacement: bool = False) -> Tensor:
    """combinations(input, r=2, with_replacement=False): the r-length combinations of a 1-D
    tensor's elements, one per row (itertools' order)."""
    if input.ndim != 1:
        raise RuntimeError(f"Expect a 1D vector, but got shape {list(input.shape)}")
    if r < 0:
        raise RuntimeError(f"Expect a non-negative number, but got {r}")
    if r == 0:
        return _ops.empty(0, dtype=input.dtype, device=input.device)
    n = input.shape[0]
    gen = itertools.combinations_with_replacement if with_replacement else itertools.combinations
    idx = np.array(list(gen(range(n), r)), dtype=np.int64).reshape(-1, r)
    return input[_ops.tensor(idx, device=input.device)]


def block_diag(*tensors) -> Tensor:
    """block_diag(*tensors): a block-diagonal matrix from 0-, 1- or 2-D tensors (0-D -> 1x1,
    1-D -> one row), in their promoted dtype."""
    blocks = []
    for i, t in enumerate(tensors):
        if t.ndim > 2:
            raise RuntimeError(f"torch.block_diag: Input tensors must have 2 or fewer dimensions. "
                               f"Input {i} has {t.ndim} dimensions")
        blocks.append(t.reshape(1, 1) if t.ndim == 0 else t.reshape(1, -1) if t.ndim == 1 else t)
    if not blocks:
        return _ops.empty(1, 0)
    dt = result_type(*blocks)
    width = sum(b.shape[1] for b in blocks)
    rows, col = [], 0
    for b in blocks:
        h, w = b.shape
        parts = []
        if col:
            parts.append(_ops.zeros(h, col, dtype=dt, device=b.device))
        parts.append(b.to(dt))
        if width - col - w:
            parts.append(_ops.zeros(h, width - col - w, dtype=dt, device=b.device))
        rows.append(_ops.cat(parts, 1) if len(parts) > 1 else parts[0])
        col += w
    return _ops.cat(rows, 0)


def unravel_index(indices, shape) -> tuple:
    """unravel_index(indices, shape): flat indices -> a tuple of coordinate tensors."""
    if isinstance(shape, int):
        shape = (shape,)
    if not isinstance(indices, Tensor):
        indices = _ops.tensor(indices)
    if indices.dtype.category != 1:
        raise TypeError(f"expected 'indices' to be integer dtype, but got {indices.dtype}")
    size = math.prod(shape)
    arr = to_numpy(indices._data)
    if ((arr < -size) | (arr >= size)).any():
        raise RuntimeError(f"'indices' must be in range [{-size}, {size - 1}]")
    coords = np.unravel_index(np.where(arr < 0, arr + size, arr), tuple(shape))
    return tuple(_ops.tensor(c.astype(np.int64), device=indices.device) for c in coords)


# ---- short-time Fourier transform --------------------------------------------------------
def _pad_signal(x: Tensor, pad: int, mode: str) -> Tensor:
    """Pad the last dim by `pad` on both sides: constant (zeros), reflect, replicate, circular."""
    if pad == 0:
        return x
    n = x.shape[-1]
    if mode == "constant":
        z = _ops.zeros(tuple(x.shape[:-1]) + (pad,), dtype=x.dtype, device=x.device)
        return _ops.cat([z, x, z], -1)
    if mode == "reflect":
        if pad >= n:
            raise RuntimeError(f"Argument #4: Padding size should be less than the corresponding "
                               f"input dimension, but got: padding ({pad}, {pad}) at dimension "
                               f"{x.ndim - 1} of input {list(x.shape)}")
        left = x[..., 1:pad + 1].flip(-1)
        right = x[..., n - pad - 1:n - 1].flip(-1)
    elif mode == "replicate":
        left = x[..., :1].expand(tuple(x.shape[:-1]) + (pad,))
        right = x[..., n - 1:].expand(tuple(x.shape[:-1]) + (pad,))
    elif mode == "circular":
        if pad > n:
            raise RuntimeError("Padding value causes wrapping around more than once.")
        left, right = x[..., n - pad:], x[..., :pad]
    else:
        raise NotImplementedError(f"stft: unsupported pad_mode {mode!r}")
    return _ops.cat([left, x, right], -1)


def _window_for(window, win_length: int, n_fft: int, x: Tensor, op: str) -> Tensor:
    """The window zero-padded on both sides to n_fft (a rectangle when None)."""
    if window is None:
        window = _ops.ones(win_length, dtype=x.dtype if x.dtype.category == 2 else
                           x.real.dtype, device=x.device)
    if window.ndim != 1 or window.shape[0] != win_length:
        raise RuntimeError(f"{op}: expected a 1D window tensor of size equal to win_length="
                           f"{win_length}, but got window with size {list(window.shape)}")
    left = (n_fft - win_length) // 2
    if left or n_fft - win_length - left:
        window = _ops.cat([_ops.zeros(left, dtype=window.dtype, device=window.device), window,
                           _ops.zeros(n_fft - win_length - left, dtype=window.dtype,
                                      device=window.device)])
    return window


def stft(input: Tensor, n_fft: int, hop_length: int | None = None, win_length: int | None = None,
         window: Tensor | None = None, center: bool = True, pad_mode: str = "reflect",
         normalized: bool = False, onesided: bool | None = None, return_complex: bool | None = None
         ) -> Tensor:
    """stft(input, n_fft, hop_length=None, win_length=None, window=None, center=True,
    pad_mode='reflect', normalized=False, onesided=None, return_complex=None).

    input (L) or (B, L) -> (B?, n_fft // 2 + 1 (onesided) or n_fft, n_frames), complex, or
    real with a last dim of 2 when return_complex=False. return_complex must be given for
    real inputs, as in torch.
    """
    if return_complex is None:
        if input.dtype.category != 3 and (window is None or window.dtype.category != 3):
            raise RuntimeError("stft requires the return_complex parameter be given for real "
                               "inputs, and will further require that return_complex=True in a "
                               "future PyTorch release.")
        return_complex = True
    if input.ndim not in (1, 2):
        raise RuntimeError(f"stft: expected a 1D or 2D tensor, but got {input.ndim}D tensor")
    hop_length = n_fft // 4 if hop_length is None else hop_length
    win_length = n_fft if win_length is None else win_length
    if n_fft <= 0 or hop_length <= 0 or not 0 < win_length <= n_fft:
        raise RuntimeError(f"stft: expected 0 < n_fft, 0 < hop_length and 0 < win_length <= n_fft, "
                           f"but got n_fft={n_fft}, hop_length={hop_length}, "
                           f"win_length={win_length}")
    x = input if input.dtype.category >= 2 else input.to(get_default_dtype())
    batched = x.ndim == 2
    if not batched:
        x = x.unsqueeze(0)
    if center:
        x = _pad_signal(x, n_fft // 2, pad_mode)
    if x.shape[-1] < n_fft:
        raise RuntimeError(f"stft: expected 0 < n_fft < {x.shape[-1]}, but got n_fft={n_fft}")
    w = _window_for(window, win_length, n_fft, x, "stft")
    frames = x.unfold(-1, n_fft, hop_length) * w          # (B, n_frames, n_fft)
    complex_in = x.dtype.category == 3 or w.dtype.category == 3
    onesided = (not complex_in) if onesided is None else onesided
    if onesided and complex_in:
        raise RuntimeError("Cannot have onesided output if window or input is complex")
    norm = "ortho" if normalized else "backward"
    spec = _fft.rfft(frames, norm=norm) if onesided else _fft.fft(frames, norm=norm)
    spec = spec.transpose(-1, -2)                          # (B, freq, n_frames)
    if not batched:
        spec = spec.squeeze(0)
    if not return_complex:
        return _ops.stack([spec.real, spec.imag], -1)
    return spec


def istft(input: Tensor, n_fft: int, hop_length: int | None = None, win_length: int | None = None,
          window: Tensor | None = None, center: bool = True, normalized: bool = False,
          onesided: bool | None = None, length: int | None = None,
          return_complex: bool = False) -> Tensor:
    """istft(input, n_fft, hop_length=None, win_length=None, window=None, center=True,
    normalized=False, onesided=None, length=None, return_complex=False): the inverse of stft by
    windowed overlap-add (least-squares ISTFT)."""
    if input.dtype.category != 3:
        if input.ndim >= 1 and input.shape[-1] == 2:
            input = _ops.complex(input[..., 0], input[..., 1])
        else:
            raise RuntimeError("istft requires a complex-valued input tensor")
    if input.ndim not in (2, 3):
        raise RuntimeError(f"istft: expected a tensor with 2 or 3 dimensions of complex, but got "
                           f"{input.ndim}")
    hop_length = n_fft // 4 if hop_length is None else hop_length
    win_length = n_fft if win_length is None else win_length
    batched = input.ndim == 3
    spec = input if batched else input.unsqueeze(0)
    n_freq, n_frames = spec.shape[-2:]
    onesided = (n_freq != n_fft) if onesided is None else onesided
    if onesided and n_freq != n_fft // 2 + 1:
        raise RuntimeError(f"istft: expected the frequency dimension (3rd to the last) of the input "
                           f"tensor to match n_fft / 2 + 1 when onesided=True, but got {n_freq}")
    if not onesided and n_freq != n_fft:
        raise RuntimeError(f"istft: expected the frequency dimension (3rd to the last) of the input "
                           f"tensor to match n_fft when onesided=False, but got {n_freq}")
    norm = "ortho" if normalized else "backward"
    frames = spec.transpose(-1, -2)                       # (B, n_frames, freq)
    if onesided:
        if return_complex:
            raise RuntimeError("cannot have onesided output if window or input is complex")
        frames = _fft.irfft(frames, n=n_fft, norm=norm)
    else:
        frames = _fft.ifft(frames, n=n_fft, norm=norm)
        if not return_complex:
            frames = frames.real
    real_dt = frames.dtype if frames.dtype.category == 2 else frames.real.dtype
    w = _window_for(window, win_length, n_fft, _ops.zeros(1, dtype=real_dt, device=frames.device),
                    "istft")
    frames = frames * w
    total = n_fft + hop_length * (n_frames - 1)
    xp = xp_of(w._data)
    pos = (np.arange(n_frames)[:, None] * hop_length + np.arange(n_fft)[None, :]).reshape(-1)
    idx = _ops.tensor(pos, device=frames.device)
    B = frames.shape[0]
    y = _ops.zeros(B, total, dtype=frames.dtype, device=frames.device)
    y = _ops.index_add(y, 1, idx, frames.reshape(B, -1))
    # The squared-window envelope each output sample was weighted by.
    w2 = to_numpy((w * w)._data)
    env = np.bincount(pos, weights=np.tile(w2, n_frames), minlength=total).astype(w2.dtype)
    start = n_fft // 2 if center else 0
    end = total if length is None else min(start + length, total)
    if length is None and center:
        end = total - n_fft // 2
    env = env[start:end]
    if env.size and float(np.abs(env).min()) < 1e-11:
        raise RuntimeError("istft: window overlap add min: the window envelope is zero somewhere; "
                           "NOLA (nonzero overlap-add) condition not met")
    y = y[:, start:end] / Tensor._make(xp.asarray(env) if xp is not np else env)
    if length is not None and y.shape[-1] < length:
        y = _ops.cat([y, _ops.zeros(B, length - y.shape[-1], dtype=y.dtype, device=y.device)], -1)
    return y if batched else y.squeeze(0)
