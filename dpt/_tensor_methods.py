"""Tensor's math methods, registered in one place.

The core Tensor (dpt/_tensor.py) holds the data, the autograd fields and what the engine
needs; it imports no op. The ops sit above it, and this module, above them, gives Tensor
every op that torch also offers as a method:

- ``METHODS``: ``Tensor.name`` is the op function itself (the tensor binds as its first
  argument), so ``help(x.sum)`` and ``inspect.signature(dpt.Tensor.sum)`` show the op's
  parameters and docstring, and a method call costs no extra Python frame.
- ``INPLACE``: ``Tensor.name_`` runs the op ``name`` and writes the result back through
  ``Tensor._inplace`` (dpt/ops/inplace.py), which checks shapes, dtypes and autograd rules.
- the operators, and the few methods whose arguments differ from their function's
  (``x.flip(0, 1)``, ``x.where(c, y)``, ``x.new_zeros(...)``), are written out below.

Adding an op as a method is one name in one of these lists. ``install()`` runs once, from
``dpt/__init__``, after every op module is imported.
"""
from __future__ import annotations

import functools
import math
import warnings

from . import _device, _top_level, functional, linalg, ops
from ._tensor import Tensor
from .autograd.sum_to import sum_to
from .ops.inplace import inplace
from .multiprocessing import _shared_memory
from .ops import fill_diagonal, memory

METHODS = """
    abs absolute neg negative positive sign sgn exp exp2 expm1 log log1p log2 log10 sqrt
    rsqrt square reciprocal sin cos tan asin acos atan arcsin arccos arctan sinh cosh tanh
    asinh acosh atanh arcsinh arccosh arctanh sigmoid logit erf erfc erfinv relu floor ceil
    round trunc fix frac isfinite isnan isinf isposinf isneginf isreal nan_to_num
    logical_not bitwise_not signbit conj angle deg2rad rad2deg lgamma digamma sinc clamp
    clip clamp_min clamp_max pow float_power add sub subtract mul multiply div divide
    true_divide floor_divide remainder fmod atan2 arctan2 lerp addcmul addcdiv maximum
    minimum fmax fmin hypot copysign xlogy logaddexp logical_and logical_or logical_xor
    bitwise_and bitwise_or bitwise_xor bitwise_left_shift bitwise_right_shift eq ne lt le gt
    ge greater greater_equal less less_equal not_equal equal allclose isclose sum nansum
    mean nanmean prod std var max min amax amin aminmax argmax argmin median nanmedian mode
    logsumexp cumsum cumprod cummax cummin logcumsumexp norm dist all any count_nonzero sort
    argsort topk kthvalue unique unique_consecutive histc msort view view_as reshape
    reshape_as flatten unflatten squeeze unsqueeze permute transpose t swapaxes swapdims
    expand expand_as narrow unbind split chunk tensor_split movedim moveaxis diagonal
    as_strided repeat tile fliplr flipud roll broadcast_to contiguous ravel tril triu diag
    diag_embed trace index_select gather scatter scatter_add scatter_reduce masked_select
    masked_fill masked_scatter nonzero take take_along_dim index_add index_copy index_fill
    index_put hsplit vsplit dsplit matmul mm bmm mv dot vdot outer inner addmm addmv addbmm
    baddbmm kron clone softmax log_softmax select diff bincount histogram quantile
    nanquantile isin renorm rot90 diagflat adjoint heaviside frexp ldexp nextafter mvlgamma
    igamma igammac addr cov corrcoef narrow_copy is_nonzero i0 gcd lcm logaddexp2
    is_same_size is_conj resolve_conj resolve_neg conj_physical put argwhere unfold fill_
    zero_ copy_ uniform_ normal_ random_ bernoulli_ bernoulli multinomial exponential_
    geometric_ cauchy_ log_normal_ resize_ resize_as_ split_with_sizes unsafe_split
    unsafe_chunk repeat_interleave index_reduce nonzero_static diagonal_scatter select_scatter
    slice_scatter as_strided_scatter
""".split()

INPLACE = """
    addmm addmv addbmm baddbmm renorm heaviside ldexp nextafter mvlgamma igamma igammac addr
    i0 gcd lcm conj_physical sinc sgn abs neg sign exp exp2 expm1 log log1p log2 log10 sqrt
    rsqrt square reciprocal sin cos tan asin acos atan sinh cosh tanh asinh acosh atanh
    sigmoid logit erf erfc erfinv relu floor ceil round trunc frac nan_to_num logical_not
    bitwise_not deg2rad rad2deg lgamma digamma clamp clip clamp_min clamp_max pow
    float_power add sub subtract mul multiply div divide true_divide floor_divide remainder
    fmod atan2 lerp addcmul addcdiv hypot copysign xlogy logical_and logical_or logical_xor
    bitwise_and bitwise_or bitwise_xor bitwise_left_shift bitwise_right_shift eq ne lt le gt
    ge cumsum cumprod tril triu scatter scatter_add scatter_reduce masked_fill
    masked_scatter index_add index_copy index_fill index_put put index_reduce
""".split()

# torch's method spellings of functions that live outside dpt.ops
OTHER_METHODS = {
    "cross": linalg._torch_cross, "det": linalg.det, "logdet": linalg.logdet,
    "slogdet": linalg._torch_slogdet, "inverse": linalg.inverse, "pinverse": linalg.pinverse,
    "cholesky": linalg._torch_cholesky, "cholesky_solve": linalg.cholesky_solve,
    "cholesky_inverse": linalg.cholesky_inverse, "qr": linalg._torch_qr,
    "svd": linalg._torch_svd, "lu": linalg._torch_lu, "lu_solve": linalg._torch_lu_solve,
    "triangular_solve": linalg.triangular_solve, "matrix_power": linalg.matrix_power,
    "matrix_exp": linalg.matrix_exp, "stft": functional.stft, "istft": functional.istft,
    "geqrf": linalg.geqrf, "ormqr": linalg.ormqr, "orgqr": linalg.householder_product,
    "is_inference": _top_level.is_inference, "is_neg": _top_level.is_neg,
    "is_distributed": _top_level.is_distributed, "slice_inverse": _top_level.slice_inverse,
    "unsafe_split_with_sizes": _top_level.unsafe_split_with_sizes, "eig": _top_level.eig,
    "lstsq": _top_level.lstsq, "solve": _top_level.solve, "symeig": _top_level.symeig,
    "ger": ops.outer,
}

# in-place spellings of an existing in-place method: Tensor.alias_ is Tensor.target_
INPLACE_ALIASES = {
    "absolute_": "abs_", "arccos_": "acos_", "arccosh_": "acosh_", "arcsin_": "asin_",
    "arcsinh_": "asinh_", "arctan_": "atan_", "arctan2_": "atan2_", "arctanh_": "atanh_",
    "fix_": "trunc_", "greater_": "gt_", "greater_equal_": "ge_", "less_": "lt_",
    "less_equal_": "le_", "negative_": "neg_", "not_equal_": "ne_", "swapaxes_": "transpose_",
    "swapdims_": "transpose_",
}


def _inplace_twin(fn, name: str):
    """Tensor.name: fn's result written into the tensor, with fn's signature."""

    @functools.wraps(fn)
    def method(self, *args, **kwargs):
        return inplace(self, fn(self, *args, **kwargs), name)

    method.__name__ = method.__qualname__ = name
    method.__doc__ = f"{name}(...): in-place version of {fn.__name__}.\n\n{fn.__doc__ or ''}"
    return method


# -- methods whose arguments differ from their function's -------------------------------------
def polygamma(self, n, **kwargs):
    """polygamma(n): the n-th derivative of digamma at each element."""
    return ops.polygamma(n, self, **kwargs)


def polygamma_(self, n):
    return inplace(self, ops.polygamma(n, self), "polygamma_")


def flip(self, *dims, **kwargs):
    """flip(*dims): reverse the order along dims (x.flip(0, 2) or x.flip((0, 2)))."""
    if not dims:
        return ops.flip(self, **kwargs)
    return ops.flip(self, dims if len(dims) > 1 else dims[0], **kwargs)


def where(self, condition, other):
    """where(condition, other): dpt.where(condition, self, other)."""
    return ops.where(condition, self, other)


def squeeze_(self, *args):
    return ops.set_view_(self, ops.squeeze(self, *args))


def unsqueeze_(self, dim):
    return ops.set_view_(self, ops.unsqueeze(self, dim))


def as_strided_(self, size, stride, storage_offset=None):
    return ops.set_view_(self, ops.as_strided(self, size, stride, storage_offset))


def t_(self):
    return ops.set_view_(self, ops.t(self))


def transpose_(self, dim0, dim1):
    return ops.set_view_(self, ops.transpose(self, dim0, dim1))


def sum_to_size(self, *size) -> Tensor:
    """sum_to_size(*size): self summed down to size, which must broadcast to self's shape."""
    shape = tuple(size[0]) if len(size) == 1 and isinstance(size[0], (tuple, list)) else size
    lead = self.ndim - len(shape)
    if lead < 0 or any(s != 1 and s != n for s, n in zip(shape, self.shape[lead:])):
        raise RuntimeError(f"size {{{list(shape)}}} is not expandable to size "
                           f"{{{list(self.shape)}}}.")
    return sum_to(self, tuple(shape))


def new(self, *args, device=None):
    """new(*sizes) / new(data) / new(tensor) / new(): the legacy constructor, with self's
    dtype and device; new(tensor) shares tensor's memory."""
    if len(args) == 1 and isinstance(args[0], Tensor):
        other = args[0]
        if other.dtype is not self.dtype:
            raise TypeError(f"expected {self.dtype} (got {other.dtype})")
        return Tensor._make(other._data)
    return Tensor(*args, dtype=self.dtype, device=device or self.device)


def resize(self, *sizes) -> Tensor:
    """resize(*sizes): deprecated out-of-place resize: a differentiable reshape that must keep
    the number of elements (resize_ is the in-place one that may change it)."""
    warnings.warn("non-inplace resize is deprecated", stacklevel=2)
    shape = tuple(sizes[0]) if len(sizes) == 1 and isinstance(sizes[0], (tuple, list)) else sizes
    return _resized(self, tuple(shape))


def _resized(self, shape) -> Tensor:
    n = math.prod(shape)
    if n != self.numel():
        raise RuntimeError(f"requested resize to {'x'.join(map(str, shape))} ({n} elements in "
                           f"total), but the given tensor has a size of "
                           f"{'x'.join(map(str, self.shape))} ({self.numel()} elements). "
                           "resize can only change the shape of a given tensor, while "
                           "preserving the number of elements.")
    return ops.reshape(ops.contiguous(self), shape)


def resize_as(self, tensor) -> Tensor:
    """resize_as(tensor): deprecated; resize(tensor.size())."""
    warnings.warn("non-inplace resize_as is deprecated", stacklevel=2)
    return _resized(self, tuple(tensor.shape))


def prelu(self, weight) -> Tensor:
    return _functional().prelu(self, weight)


def hardshrink(self, lambd: float = 0.5) -> Tensor:
    return _functional().hardshrink(self, lambd)


def _functional():
    from .nn import functional as F  # nn sits above the tensor methods
    return F


def as_subclass(self, cls):
    """as_subclass(cls): the same memory as an instance of the Tensor subclass cls, cut from
    the graph (as torch's)."""
    if not (isinstance(cls, type) and issubclass(cls, Tensor)):
        raise TypeError(f"as_subclass(): argument 'cls' must be a subclass of Tensor, got "
                        f"{cls!r}")
    return cls._make_subclass(self._data)


def is_set_to(self, tensor) -> bool:
    """is_set_to(tensor): same memory, offset, shape and strides."""
    return (self.data_ptr() == tensor.data_ptr() and self.shape == tensor.shape and
            self.stride() == tensor.stride() and self.dtype is tensor.dtype)


def const_data_ptr(self) -> int:
    return self.data_ptr()


def dim_order(self, *, ambiguity_check=False) -> tuple:
    """dim_order(): the dims from outermost to innermost in memory (by stride; ties keep the
    dim order). The ambiguity checks of torch are not made."""
    strides = self.stride()
    return tuple(sorted(range(self.ndim), key=lambda d: -strides[d]))


def to(self, *args, **kwargs) -> Tensor:
    """to(dtype) / to(device, dtype=None) / to(other): differentiable copy, or self."""
    return ops.to(self, *args, **kwargs)


def _new_like(factory):
    """Tensor.new_*: factory(...) with self's dtype and device unless given."""

    @functools.wraps(factory)
    def method(self, *args, dtype=None, device=None, requires_grad=False):
        return factory(*args, dtype=dtype or self.dtype, device=device or self.device,
                       requires_grad=requires_grad)

    method.__name__ = method.__qualname__ = "new_" + factory.__name__
    return method


def new_full(self, size, fill_value, dtype=None, device=None, requires_grad=False):
    return ops.full(size, fill_value, dtype=dtype or self.dtype, device=device or self.device,
                    requires_grad=requires_grad)


def new_empty_strided(self, size, stride, dtype=None, device=None, requires_grad=False,
                      layout=None, pin_memory=False):
    return ops.empty_strided(size, stride, dtype=dtype or self.dtype,
                             device=device or self.device, requires_grad=requires_grad)


def new_tensor(self, data, dtype=None, device=None, requires_grad=False):
    return ops.tensor(data, dtype=dtype or self.dtype, device=device or self.device,
                      requires_grad=requires_grad)


# -- operators ---------------------------------------------------------------------------------
def _reflected(fn, name: str):
    """other <op> tensor: fn(other, self)."""

    def method(self, other):
        return fn(other, self)

    method.__name__ = method.__qualname__ = name
    return method


def _augmented(inplace_name: str, name: str):
    """tensor <op>= other: the in-place method."""

    def method(self, other):
        return getattr(self, inplace_name)(other)

    method.__name__ = method.__qualname__ = name
    return method


# (operator, op function, in-place method or None, reflected?)
_BINARY = [
    ("add", ops.add, "add_", True), ("sub", ops.sub, "sub_", True),
    ("mul", ops.mul, "mul_", True), ("truediv", ops.div, "div_", True),
    ("floordiv", ops.floor_divide, "floor_divide_", True),
    ("mod", ops.remainder, "remainder_", True), ("pow", ops.pow, "pow_", True),
    ("matmul", ops.matmul, None, True), ("and", ops.bitwise_and, "bitwise_and_", True),
    ("or", ops.bitwise_or, "bitwise_or_", True), ("xor", ops.bitwise_xor, "bitwise_xor_", True),
    ("lshift", ops.bitwise_left_shift, None, False),
    ("rshift", ops.bitwise_right_shift, None, False),
    ("lt", ops.lt, None, False), ("le", ops.le, None, False), ("gt", ops.gt, None, False),
    ("ge", ops.ge, None, False),
]


def __eq__(self, other):
    return False if other is None else ops.eq(self, other)


def __ne__(self, other):
    return True if other is None else ops.ne(self, other)


def __pos__(self):
    return self


def __setitem__(self, index, value):
    with _device.device_context(self.device):  # index conversion and the write run on self's GPU
        ops.setitem(self, index, value)


def _T(self):
    return ops.permute(self, tuple(range(self._data.ndim - 1, -1, -1)))


def _mT(self):
    if self._data.ndim < 2:
        raise RuntimeError(f"tensor.mT is only supported on matrices or batches of matrices. "
                           f"Got {self._data.ndim}-D tensor.")
    return ops.transpose(self, -2, -1)


_PROPERTIES = {
    "T": _T, "mT": _mT, "H": lambda self: ops.conj(_T(self)),
    "mH": lambda self: ops.conj(_mT(self)), "real": ops.real, "imag": ops.imag,
}

def share_memory_(self):
    """share_memory_(): move a CPU tensor's data into shared memory (in place; a no-op on a
    GPU), so processes it is sent to through dpt.multiprocessing see the same memory."""
    return _shared_memory.share_(self)


def is_shared(self) -> bool:
    return _shared_memory.is_shared(self)


_WRITTEN_OUT = [sum_to_size, polygamma, polygamma_, flip, where, squeeze_, unsqueeze_, t_, transpose_, to,
                new_full, new_empty_strided, new_tensor, __eq__, __ne__, __pos__, __setitem__]
_WRITTEN_OUT += [fill_diagonal.fill_diagonal_, fill_diagonal.map_, fill_diagonal.apply_,
                 memory.pin_memory, memory.is_pinned, memory.record_stream, share_memory_,
                 is_shared]
_WRITTEN_OUT += [new, resize, resize_as, prelu, hardshrink, as_subclass, is_set_to,
                 const_data_ptr, dim_order, as_strided_]


def install() -> None:
    """Give Tensor its methods (idempotent)."""
    for name in METHODS:
        setattr(Tensor, name, getattr(ops, name))
    for name, fn in OTHER_METHODS.items():
        setattr(Tensor, name, fn)
    for base in INPLACE:
        setattr(Tensor, base + "_", _inplace_twin(getattr(ops, base), base + "_"))
    for fn in _WRITTEN_OUT:
        setattr(Tensor, fn.__name__, fn)
    for alias, target in INPLACE_ALIASES.items():
        setattr(Tensor, alias, getattr(Tensor, target))
    for factory in (ops.zeros, ops.ones, ops.empty):
        setattr(Tensor, "new_" + factory.__name__, _new_like(factory))
    for name, fn, inplace_name, reflected in _BINARY:
        setattr(Tensor, f"__{name}__", fn)
        if reflected:
            setattr(Tensor, f"__r{name}__", _reflected(fn, f"__r{name}__"))
        if inplace_name:
            setattr(Tensor, f"__i{name}__", _augmented(inplace_name, f"__i{name}__"))
    Tensor.__neg__, Tensor.__abs__, Tensor.__invert__ = ops.neg, ops.abs, ops.bitwise_not
    Tensor.__getitem__ = ops.getitem
    for name, getter in _PROPERTIES.items():
        setattr(Tensor, name, property(getter))
    Tensor._inplace = inplace
