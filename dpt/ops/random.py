"""Sampling: rand/randn/randint/randperm, normal, bernoulli, multinomial, poisson, in-place fills.

Every function takes ``generator=`` (a ``dpt.Generator`` on the output's device; the
device's default generator otherwise). Values are drawn by the generator's primitives
(uniform, normal, integers, permutation, poisson) and shaped here with the array module.
On the CPU each sampler follows torch's CPU kernel (which draws it makes, in which order,
and how it rounds), so after the same ``manual_seed`` the values equal torch's; in-place
fills of strided tensors draw in memory order, as torch's TensorIterator does. Draws are
not differentiable: as in torch, an output that depends on a tensor requiring grad is in
the graph with zero gradients.
"""
from __future__ import annotations

import math

import numpy as np

from .. import _device, _dtype, _memory_format, _mt19937
from .. import random as _random
from .._tensor import Tensor
from ..autograd.function import Function
from ..autograd.grad_mode import is_grad_enabled
from .creation import _size, _sizes, zeros_like

__all__ = ["rand", "randn", "randint", "randperm", "normal", "bernoulli", "multinomial", "poisson",
           "rand_like", "randn_like", "randint_like", "uniform_", "normal_", "random_",
           "bernoulli_", "exponential_", "geometric_", "cauchy_", "log_normal_"]


# ---- draws in the graph: zero gradient for every tensor parameter -------------------------
class _Draw(Function):
    """The output is a sample given to forward; its parameters get zero gradients."""

    def forward(self, *params, sample):
        return sample

    def backward(self, gz):
        return tuple(zeros_like(gz) if need else None for need in self.needs_input_grad)


class Normal(_Draw):
    pass


class Bernoulli(_Draw):
    pass


class Poisson(_Draw):
    pass


class Uniform(_Draw):
    pass


class Random(_Draw):
    pass


class Exponential(_Draw):
    pass


class Geometric(_Draw):
    pass


class Cauchy(_Draw):
    pass


class LogNormal(_Draw):
    pass


# ---- helpers ---------------------------------------------------------------------------
def _generator(generator, dev: _device.device) -> "_random.Generator":
    if generator is None:
        return _random.default_generator_for(dev)
    if not isinstance(generator, _random.Generator):
        raise TypeError(f"generator must be a dpt.Generator, got {type(generator).__name__}")
    if generator.device.type != dev.type:
        raise RuntimeError(f"Expected a '{dev.type}' device type for generator but found "
                           f"'{generator.device.type}'")
    return generator


def _work_dtype(dt: _dtype.dtype):
    """The numpy dtype samples are drawn in: float64 for double precision, else float32."""
    return np.float64 if dt in (_dtype.float64, _dtype.complex128) else np.float32


def _finish(arr, requires_grad: bool) -> Tensor:
    t = Tensor._make(arr)
    if requires_grad:
        t.requires_grad_(True)
    return t




def _storage_order(arr):
    """Axes of arr from outermost to innermost in memory: the order torch fills them in."""
    return sorted(range(arr.ndim), key=lambda d: -abs(arr.strides[d]))


def _as_laid_out(flat, like):
    """Values drawn one by one in like's memory order, rearranged to its logical shape."""
    if like.flags.c_contiguous or like.ndim < 2:
        return flat.reshape(like.shape)
    perm = _storage_order(like)
    back = tuple(int(d) for d in np.argsort(perm))
    return flat.reshape([like.shape[d] for d in perm]).transpose(back)


def _cpu_float_draw(kind, shape, dt, g, a, b, contiguous):
    """torch's CPU uniform_ (a, b = from, to) or normal_ (a, b = mean, std) on a new tensor
    of dt; complex tensors are filled through their (..., 2) real view, as in torch."""
    real = dt.to_real()
    n = math.prod(shape) * (2 if dt.is_complex else 1)
    double = real is _dtype.float64
    if kind == "uniform":
        x = _mt19937.uniform(g._engine, n, double)
        if (a, b) != (0.0, 1.0):  # x * (to - from) + from in the working type, fused
            if double:
                x = _mt19937.fma64(x, float(b) - float(a), float(a))
            else:
                lo, hi = np.float32(a), np.float32(b)
                x = _mt19937.fma32(x, hi - lo, lo)
        v = x.astype(real.np)
        v[v == v.dtype.type(b)] = v.dtype.type(a)  # rounded up to `to`: torch gives `from`
    else:
        std = b / math.sqrt(2.0) if dt.is_complex else b
        v = g._normal((n,), np.float64 if double else np.float32, a, std, contiguous,
                      half=real in (_dtype.float16, _dtype.bfloat16)).astype(real.np)
    return (v.view(dt.np) if dt.is_complex else v).reshape(shape)


def _float_draw(kind: str, shape, dt, g, dev, a=0.0, b=1.0, contiguous=True):
    """U[a, b) (kind "uniform") or N(a, b**2) (kind "normal") samples of dtype dt."""
    if dt.category < 2:
        name = "rand" if kind == "uniform" else "randn"
        raise RuntimeError(f"{name}: expected a floating point or complex dtype, got {dt}")
    if g.device.type == "cpu":
        return _cpu_float_draw(kind, shape, dt, g, a, b, contiguous)
    draw = g._uniform if kind == "uniform" else g._normal
    wd = _work_dtype(dt)
    with _device.device_context(dev):
        if kind == "uniform" and (a, b) != (0.0, 1.0):
            return _float_draw(kind, shape, dt, g, dev) * (b - a) + a
        if kind == "normal" and (a, b) != (0.0, 1.0):
            return (_float_draw(kind, shape, dt, g, dev) * b + a).astype(dt.np, copy=False)
        if dt.is_complex:
            re, im = draw(shape, wd), draw(shape, wd)
            if kind == "normal":  # unit variance overall, as torch: each part has variance 1/2
                re, im = re * math.sqrt(0.5), im * math.sqrt(0.5)
            arr = re.astype(dt.np)
            arr.imag = im
            return arr
        return draw(shape, wd).astype(dt.np, copy=False)


def _check_float(t: Tensor, op: str) -> None:
    if t.dtype.category < 2:
        raise RuntimeError(f"{op}: expected a floating point tensor, got dtype {t.dtype}")


def _num(v):
    return v.item() if isinstance(v, Tensor) else v


def _fill(input: Tensor, sample, op: str, node=Random) -> Tensor:
    """Write sample into input: in the graph (zero gradient) when input requires grad."""
    sample = sample.astype(input._data.dtype, copy=False)
    if input.requires_grad and is_grad_enabled():
        return input._inplace(node.apply(input, sample=sample), op)
    input._data[...] = sample
    input._vc[0] += 1
    return input


# ---- factories ---------------------------------------------------------------------------
def rand(*sizes, size=None, generator=None, out=None, dtype=None, layout=None, device=None,
         requires_grad=False, pin_memory=False) -> Tensor:
    """rand(*size, *, generator=None, dtype=None, device=None, requires_grad=False): U[0, 1)."""
    shape = _sizes(sizes, size)
    dt = _dtype.as_dtype(dtype) if dtype is not None else _dtype.get_default_dtype()
    dev = _device.as_device(device)
    return _finish(_float_draw("uniform", shape, dt, _generator(generator, dev), dev), requires_grad)


def randn(*sizes, size=None, generator=None, out=None, dtype=None, layout=None, device=None,
          requires_grad=False, pin_memory=False) -> Tensor:
    """randn(*size, *, generator=None, dtype=None, device=None, requires_grad=False): N(0, 1)."""
    shape = _sizes(sizes, size)
    dt = _dtype.as_dtype(dtype) if dtype is not None else _dtype.get_default_dtype()
    dev = _device.as_device(device)
    return _finish(_float_draw("normal", shape, dt, _generator(generator, dev), dev), requires_grad)


_WIDE = ("int64", "float64", "float32", "bfloat16")  # torch's random_ takes 64-bit draws


def _int_draw(low, high_exclusive, shape, dt, g, dev, op="random_"):
    low, high = int(_num(low)), int(_num(high_exclusive))
    if low >= high:
        raise RuntimeError(f"{op} expects 'from' to be less than 'to', but got from={low} >= to={high}")
    with _device.device_context(dev):
        return g._integers(low, high - 1, shape, dt.name in _WIDE).astype(dt.np, copy=False)


def randint(*args, size=None, low=None, high=None, generator=None, out=None, dtype=None,
            layout=None, device=None, requires_grad=False, pin_memory=False) -> Tensor:
    """randint(low=0, high, size, *, generator=None, dtype=int64, device=None): [low, high)."""
    args = list(args)
    if size is None:
        if not args:
            raise TypeError("randint() missing required argument 'size'")
        size = args.pop()
    if len(args) == 2:
        low, high = args
    elif len(args) == 1:
        if high is None:
            high = args[0]
        else:
            low = args[0]
    elif len(args) > 2:
        raise TypeError(f"randint() takes at most 3 positional arguments ({len(args) + 1} given)")
    if high is None:
        raise TypeError("randint() missing required argument 'high'")
    low = 0 if low is None else low
    dt = _dtype.as_dtype(dtype) if dtype is not None else _dtype.int64
    dev = _device.as_device(device)
    shape = _size((size,))
    arr = _int_draw(low, high, shape, dt, _generator(generator, dev), dev)
    return _finish(arr, requires_grad)


def randperm(n, *, generator=None, out=None, dtype=None, layout=None, device=None,
             requires_grad=False, pin_memory=False) -> Tensor:
    """randperm(n, *, generator=None, dtype=int64, device=None): a random permutation of 0..n-1."""
    n = int(_num(n))
    if n < 0:
        raise RuntimeError(f"randperm: n must be non-negative, got {n}")
    dt = _dtype.as_dtype(dtype) if dtype is not None else _dtype.int64
    dev = _device.as_device(device)
    g = _generator(generator, dev)
    with _device.device_context(dev):
        arr = g._permutation(n).astype(dt.np, copy=False)
    return _finish(arr, requires_grad)


def _drawn_like(input, draw, layout, memory_format, requires_grad, op):
    """draw(shape) -> Tensor, made in the memory order memory_format (preserve by default)
    gives input's *_like result, so the values fill memory in torch's order."""
    _memory_format.check_layout(layout, op)
    order = _memory_format.physical_order(input._data, memory_format, op)
    if order is None:
        t = draw(tuple(input.shape))
    else:
        t = draw(tuple(input.shape[d] for d in order))
        t = Tensor._make(t._data.transpose(_memory_format.inverse(order)))
    return t.requires_grad_(True) if requires_grad else t


def rand_like(input: Tensor, *, dtype=None, layout=None, device=None, requires_grad=False,
              memory_format=None, generator=None) -> Tensor:
    return _drawn_like(input, lambda shape: rand(shape, dtype=dtype or input.dtype,
                                                 device=device or input.device,
                                                 generator=generator),
                       layout, memory_format, requires_grad, "rand_like")


def randn_like(input: Tensor, *, dtype=None, layout=None, device=None, requires_grad=False,
               memory_format=None, generator=None) -> Tensor:
    return _drawn_like(input, lambda shape: randn(shape, dtype=dtype or input.dtype,
                                                  device=device or input.device,
                                                  generator=generator),
                       layout, memory_format, requires_grad, "randn_like")


def randint_like(input: Tensor, low=0, high=None, *, dtype=None, layout=None, device=None,
                 requires_grad=False, memory_format=None, generator=None) -> Tensor:
    """randint_like(input, high) / randint_like(input, low, high): input's shape and dtype."""
    if high is None:
        low, high = 0, low
    return _drawn_like(input, lambda shape: randint(low, high, shape, dtype=dtype or input.dtype,
                                                    device=device or input.device,
                                                    generator=generator),
                       layout, memory_format, requires_grad, "randint_like")


# ---- parametrised distributions ----------------------------------------------------------
def normal(mean=0.0, std=1.0, size=None, *, generator=None, out=None, dtype=None, layout=None,
           device=None, requires_grad=False, pin_memory=False) -> Tensor:
    """normal(mean, std, size=None, *, generator=None): the four torch overloads.

    Tensor mean and/or std broadcast against each other (the output takes their shape and
    promoted dtype); two numbers need ``size``. Gradients to mean/std are zero, as in torch
    (use ``mean + std * randn_like(std)`` for a reparametrised sample).
    """
    mt, st = isinstance(mean, Tensor), isinstance(std, Tensor)
    if not mt and not st:
        if size is None:
            raise TypeError("normal() received an invalid combination of arguments: two numbers "
                            "need a size, e.g. normal(0.0, 1.0, size=(2, 3))")
        if std < 0:
            raise RuntimeError(f"normal expects std >= 0.0, but found std {std}")
        shape = _size((size,))
        dt = _dtype.as_dtype(dtype) if dtype is not None else _dtype.get_default_dtype()
        dev = _device.as_device(device)
        arr = _float_draw("normal", shape, dt, _generator(generator, dev), dev, mean, std)
        return _finish(arr, requires_grad)
    ref = mean if mt else std
    dt = _dtype.result_type(*(x for x in (mean, std) if isinstance(x, Tensor)))
    if dt.category < 2:
        raise RuntimeError(f"normal: expected floating point mean/std, got dtype {dt}")
    dev = ref.device
    xp = _device.array_module(dev)
    m = mean._data if mt else mean
    s = std._data if st else std
    if (bool((s < 0).any()) if st else s < 0):
        raise RuntimeError("normal expects all elements of std >= 0.0" if st else
                           f"normal expects std >= 0.0, but found std {s}")
    shape = np.broadcast_shapes(getattr(m, "shape", ()), getattr(s, "shape", ()))
    g = _generator(generator, dev)
    with _device.device_context(dev):
        if dev.type == "cpu" and not st:  # torch: normal_(0, std), then + mean
            sample = _float_draw("normal", shape, dt, g, dev, 0.0, s) + m.astype(dt.np)
        else:                             # torch: normal_(0, 1), then * std + mean
            noise = _float_draw("normal", shape, dt, g, dev)
            if st:
                s = s.astype(dt.np)
            sample = noise * s + (m.astype(dt.np) if mt else m)
        sample = xp.asarray(sample).astype(dt.np, copy=False)
    return Normal.apply(mean, std, sample=sample)


@_device.runs_on(0)
def bernoulli(input: Tensor, p=None, *, generator=None, out=None) -> Tensor:
    """bernoulli(input, *, generator=None): 1 with probability input; bernoulli(input, p) uses p."""
    dev = input.device
    g = _generator(generator, dev)
    probs = input._data if p is None else _num(p)
    if p is None:
        if input.numel() and not bool(((probs >= 0) & (probs <= 1)).all()):
            raise RuntimeError("bernoulli: all probabilities must be in [0, 1]")
    elif not 0 <= probs <= 1:
        raise RuntimeError(f"bernoulli_ expects p to be in [0, 1], but got p={probs}")
    with _device.device_context(dev):
        if p is None:  # torch: a contiguous result filled with bernoulli_(input), in C order
            like = _device.xp_of(probs).empty(tuple(input.shape), input._data.dtype)
            sample = _bernoulli_draw(g, like, probs).astype(input._data.dtype)
        else:
            sample = _bernoulli_draw(g, input._data, float(probs)).astype(input._data.dtype)
    if p is None:
        return Bernoulli.apply(input, sample=sample)
    return Tensor._make(sample)


def _bernoulli_draw(g, like, probs):
    """u < p for each element of like (filled in its memory order). On the CPU, as torch: a
    number p or float64 probabilities compare 53-bit uniforms, other probabilities 24-bit."""
    shape = tuple(like.shape)
    if g.device.type != "cpu":
        wd = np.float64 if like.dtype == np.float64 else np.float32
        return g._uniform(shape, wd) < probs
    double = not hasattr(probs, "dtype") or probs.dtype == np.float64
    u = _as_laid_out(_mt19937.uniform(g._engine, math.prod(shape), double), like)
    return u < (probs if double else np.asarray(probs, np.float32))


@_device.runs_on(0)  # its rate check runs on input's device (cuda:1 included)
def poisson(input: Tensor, generator=None) -> Tensor:
    """poisson(input, generator=None): Poisson counts with rates input, in input's dtype."""
    _check_float(input, "poisson")
    if input.numel() and not bool((input._data >= 0).all()):
        raise RuntimeError("poisson: all rates must be non-negative")
    g = _generator(generator, input.device)
    with _device.device_context(input.device):
        drawn = g._poisson(input._data.astype(np.float64))  # a plain int for 0-d rates
        sample = _device.xp_of(input._data).asarray(drawn).astype(input._data.dtype)
    return Poisson.apply(input, sample=sample)


@_device.runs_on(0)
def multinomial(input: Tensor, num_samples: int, replacement: bool = False, *,
                generator=None, out=None) -> Tensor:
    """multinomial(input, num_samples, replacement=False, *, generator=None) -> int64 indices.

    Rows of input are unnormalised category weights (1-D or 2-D). Without replacement,
    the categories with the smallest Exp(1) / weight are taken (an exact sampler).
    """
    if input.dim() not in (1, 2):
        raise RuntimeError("multinomial: prob_dist must be 1 or 2 dim")
    if not input.dtype.is_floating_point:
        raise RuntimeError(f"multinomial only supports floating-point dtypes for input, got: "
                           f"{input.dtype}")
    n_cat = input.shape[-1]
    if num_samples <= 0:
        raise RuntimeError("multinomial: cannot sample n_sample <= 0 samples")
    if not replacement and num_samples > n_cat:
        raise RuntimeError("multinomial: cannot sample n_sample > prob_dist.size(-1) samples "
                           "without replacement")
    dev = input.device
    xp = _device.array_module(dev)
    g = _generator(generator, dev)
    w = input._data.astype(np.float64).reshape(-1, n_cat)
    if not bool((xp.isfinite(w) & (w >= 0)).all()):
        raise RuntimeError("multinomial: probability tensor contains either `inf`, `nan` or element < 0")
    total = w.sum(axis=1)
    if n_cat == 0 or not bool((total > 0).all()):
        raise RuntimeError("multinomial: invalid multinomial distribution (sum of probabilities <= 0)")
    rows = w.shape[0]
    if not replacement and bool(((w > 0).sum(axis=1) < num_samples).any()):
        raise RuntimeError("multinomial: invalid multinomial distribution (with "
                           "replacement=False, not enough non-negative category to sample)")
    if dev.type == "cpu":
        idx = _cpu_multinomial(g, input._data.reshape(-1, n_cat), num_samples, replacement)
        return Tensor._make(idx.reshape(tuple(input.shape[:-1]) + (num_samples,)))
    with _device.device_context(dev):
        if replacement:
            cdf = xp.cumsum(w, axis=1) / total[:, None]
            cdf[:, -1] = 1.0
            u = g._uniform((rows, num_samples), np.float64)
            # one sorted search over all rows: shift row r's cdf and draws by r
            shift = xp.arange(rows, dtype=np.float64)[:, None]
            flat = (cdf + shift).ravel()
            idx = xp.searchsorted(flat, (u + shift).ravel(), side="right").reshape(rows, num_samples)
            idx = idx - (xp.arange(rows) * n_cat)[:, None]
            idx = xp.minimum(idx, n_cat - 1)
        else:
            e = -xp.log1p(-g._uniform((rows, n_cat), np.float64))
            with np.errstate(divide="ignore"):
                keys = xp.where(w > 0, e / xp.where(w > 0, w, 1.0), xp.inf)
            idx = xp.argsort(keys, axis=1, kind="stable")[:, :num_samples]
    idx = idx.astype(np.int64)
    return Tensor._make(idx.reshape(tuple(input.shape[:-1]) + (num_samples,)))


def _cpu_multinomial(g, w, num_samples: int, replacement: bool):
    """torch's CPU multinomial on rows w (in their own dtype)."""
    rows, n_cat = w.shape
    if not replacement or num_samples == 1:
        # argmax / top-k of w / q with q ~ Exp(1) (float64 draws, rounded to w's dtype)
        u = _mt19937.uniform53(g._engine, rows * n_cat).reshape(rows, n_cat)
        q = (-np.log1p(-u)).astype(w.dtype)
        with np.errstate(divide="ignore", invalid="ignore"):
            keys = w / q
        if num_samples == 1:
            return np.argmax(keys, axis=1)[:, None].astype(np.int64)
        return np.argsort(-keys, axis=1, kind="stable")[:, :num_samples].astype(np.int64)
    # with replacement: the row's running sum in its dtype, scaled to end at 1; each float64
    # uniform takes the first category whose cumulative value reaches it
    cdf = np.cumsum(w, axis=1, dtype=w.dtype)
    cdf = cdf / cdf[:, -1:]
    cdf[:, -1] = 1
    u = _mt19937.uniform53(g._engine, rows * num_samples).reshape(rows, num_samples)
    cdf = cdf.astype(np.float64)
    return np.stack([np.searchsorted(cdf[r], u[r], side="left") for r in range(rows)]) \
        .astype(np.int64)


# ---- in-place fills -------------------------------------------------------------------------
@_device.runs_on(0)
def uniform_(input: Tensor, from_=0.0, to=1.0, *, generator=None) -> Tensor:
    """uniform_(from_=0, to=1): fill with U[from_, to)."""
    _check_float(input, "uniform_")
    from_, to = _num(from_), _num(to)
    if from_ > to:
        raise RuntimeError(f"uniform_ expects to return a [from, to) range, but found "
                           f"from={from_} > to={to}")
    n = input.numel()
    u = _float_draw("uniform", (n,), input.dtype, _generator(generator, input.device),
                    input.device, from_, to)
    return _fill(input, _as_laid_out(u, input._data), "uniform_", Uniform)


@_device.runs_on(0)
def normal_(input: Tensor, mean=0.0, std=1.0, *, generator=None) -> Tensor:
    """normal_(mean=0, std=1): fill with N(mean, std**2)."""
    _check_float(input, "normal_")
    mean, std = _num(mean), _num(std)
    if std < 0:
        raise RuntimeError(f"normal expects std >= 0.0, but found std {std}")
    n, data = input.numel(), input._data
    z = _float_draw("normal", (n,), input.dtype, _generator(generator, input.device),
                    input.device, mean, std, contiguous=data.flags.c_contiguous)
    return _fill(input, _as_laid_out(z, data), "normal_", Normal)


def _random_bounds(dt: _dtype.dtype):
    """The inclusive upper end of random_() with no arguments, per dtype (torch's choice)."""
    if dt is _dtype.bool:
        return 1
    if dt.category == 1:
        return int(np.iinfo(dt.np).max)
    digits = {"float16": 11, "bfloat16": 8, "float32": 24, "float64": 53}[dt.name]
    return 1 << digits


@_device.runs_on(0)
def random_(input: Tensor, *args, generator=None) -> Tensor:
    """random_(from=0, to=None): integers in [from, to - 1]; to=None means the dtype's range."""
    if input.dtype.is_complex:
        raise RuntimeError("random_: not implemented for complex tensors")
    if len(args) > 2:
        raise TypeError(f"random_() takes at most 2 arguments ({len(args)} given)")
    if len(args) == 0:
        low, high = 0, None
    elif len(args) == 1:
        low, high = 0, _num(args[0])
    else:
        low, high = _num(args[0]), _num(args[1])
    if high is None:
        high = _random_bounds(input.dtype) + 1
    dev = input.device
    sample = _int_draw(low, high, (input.numel(),), input.dtype, _generator(generator, dev), dev)
    return _fill(input, _as_laid_out(sample, input._data), "random_", Random)


def _cpu_uniform53(g, like):
    """float64 uniforms for each element of like, laid out as torch fills it."""
    return _as_laid_out(_mt19937.uniform53(g._engine, like.size), like)


@_device.runs_on(0)
def bernoulli_(input: Tensor, p=0.5, *, generator=None) -> Tensor:
    """bernoulli_(p=0.5): fill with 1 (probability p, a number or a broadcastable tensor) or 0."""
    dev = input.device
    g = _generator(generator, dev)
    if isinstance(p, Tensor):
        probs = _device.move(p._data, dev)
        if p.numel() and not bool(((probs >= 0) & (probs <= 1)).all()):
            raise RuntimeError("bernoulli_: all probabilities in p must be in [0, 1]")
    else:
        probs = p
        if not 0 <= probs <= 1:
            raise RuntimeError(f"bernoulli_ expects p to be in [0, 1], but got p={p}")
    with _device.device_context(dev):
        if isinstance(p, Tensor):
            probs = _device.xp_of(probs).broadcast_to(probs, tuple(input.shape))
        else:
            probs = float(probs)
        sample = _bernoulli_draw(g, input._data, probs)
    return _fill(input, sample, "bernoulli_", Bernoulli)


@_device.runs_on(0)
def exponential_(input: Tensor, lambd=1.0, *, generator=None) -> Tensor:
    """exponential_(lambd=1): fill with Exp(lambd) samples."""
    _check_float(input, "exponential_")
    lambd = _num(lambd)
    if not lambd > 0:
        raise RuntimeError(f"exponential_ expects lambda > 0.0, but found lambda={lambd}")
    g = _generator(generator, input.device)
    if g.device.type == "cpu":  # float64 draws whatever the dtype: -1/lambda * log1p(-u)
        u = _cpu_uniform53(g, input._data)
        return _fill(input, (-1.0 / lambd) * np.log1p(-u), "exponential_", Exponential)
    xp = _device.array_module(input.device)
    u = _float_draw("uniform", tuple(input.shape), input.dtype, g, input.device)
    return _fill(input, -xp.log1p(-u) / lambd, "exponential_", Exponential)


@_device.runs_on(0)
def geometric_(input: Tensor, p, *, generator=None) -> Tensor:
    """geometric_(p): the number of Bernoulli(p) trials up to the first success (1, 2, ...)."""
    p = _num(p)
    if not 0 < p < 1:
        raise RuntimeError(f"geometric_ expects p to be in (0, 1), but got p={p}")
    if input.dtype.category == 3:
        raise RuntimeError("geometric_: not implemented for complex tensors")
    xp = _device.array_module(input.device)
    g = _generator(generator, input.device)
    if g.device.type == "cpu":  # torch: ceil(log(u) / log1p(-p)) from float64 draws
        with np.errstate(divide="ignore"):
            k = np.ceil(np.log(_cpu_uniform53(g, input._data)) / math.log1p(-p))
        return _fill(input, k, "geometric_", Geometric)
    with _device.device_context(input.device):
        u = 1.0 - g._uniform(tuple(input.shape), np.float64)  # in (0, 1]
        k = xp.floor(xp.log(u) / math.log1p(-p)) + 1
    return _fill(input, k, "geometric_", Geometric)


@_device.runs_on(0)
def cauchy_(input: Tensor, median=0.0, sigma=1.0, *, generator=None) -> Tensor:
    """cauchy_(median=0, sigma=1): fill with Cauchy(median, sigma) samples."""
    _check_float(input, "cauchy_")
    median, sigma = _num(median), _num(sigma)
    if not sigma > 0:
        raise RuntimeError(f"cauchy_ expects sigma > 0.0, but found sigma={sigma}")
    xp = _device.array_module(input.device)
    g = _generator(generator, input.device)
    if g.device.type == "cpu":  # float64 draws whatever the dtype
        u = _cpu_uniform53(g, input._data)
        return _fill(input, median + sigma * np.tan(math.pi * (u - 0.5)), "cauchy_", Cauchy)
    u = _float_draw("uniform", tuple(input.shape), input.dtype, g, input.device)
    return _fill(input, median + sigma * xp.tan(math.pi * (u - 0.5)), "cauchy_", Cauchy)


@_device.runs_on(0)
def log_normal_(input: Tensor, mean=1.0, std=2.0, *, generator=None) -> Tensor:
    """log_normal_(mean=1, std=2): exp of N(mean, std**2) samples."""
    _check_float(input, "log_normal_")
    mean, std = _num(mean), _num(std)
    if not std > 0:
        raise RuntimeError(f"log_normal_ expects std > 0.0, but found std={std}")
    xp = _device.array_module(input.device)
    g = _generator(generator, input.device)
    if g.device.type == "cpu":  # torch: exp of one-by-one float64 normals, at every size
        z = _as_laid_out(_mt19937.normal_scalar(g._engine, input.numel(), mean, std), input._data)
        return _fill(input, np.exp(z), "log_normal_", LogNormal)
    z = _float_draw("normal", tuple(input.shape), input.dtype, g, input.device)
    return _fill(input, xp.exp(z * std + mean), "log_normal_", LogNormal)
