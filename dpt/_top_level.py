"""torch's smaller top-level names: constants, tensor predicates, old spellings, a few view
copies, files and DLPack, and the eager control-flow operators ``cond``/``while_loop``."""
from __future__ import annotations

import builtins
import math
import operator
import os
import warnings

import numpy as np

from . import _dtype, linalg, ops
from ._memory_format import check_layout, contiguous_format
from ._tensor import Tensor
from .autograd.grad_mode import no_grad

__all__ = ["pi", "e", "inf", "nan", "newaxis", "is_inference", "is_neg", "get_device",
           "is_distributed", "detach_", "index_put_", "frobenius_norm", "nuclear_norm",
           "matrix_rank", "lstsq", "solve", "eig", "symeig", "slice_inverse",
           "unsafe_split_with_sizes", "split_copy", "slice_copy", "detach_copy",
           "view_as_real_copy", "view_as_complex_copy", "from_file", "to_dlpack", "cond", "while_loop", "orgqr",
           "addmv_", "as_strided_", "embedding_renorm_", "is_vulkan_available",
           "get_device_module"]

pi = math.pi
e = math.e
inf = math.inf
nan = math.nan
newaxis = None


# -- predicates ---------------------------------------------------------------------------------
def is_inference(input: Tensor) -> bool:
    """is_inference(input): whether input is an inference tensor. dpt's inference_mode makes
    ordinary tensors (see dpt.autograd.inference_mode), so this is always False."""
    _check_tensor(input, "is_inference")
    return False


def is_neg(input: Tensor) -> bool:
    """is_neg(input): whether input carries a lazy negation bit. dpt negates eagerly (as
    resolve_neg assumes), so this is always False."""
    _check_tensor(input, "is_neg")
    return False


def is_distributed(input: Tensor) -> bool:
    """is_distributed(input): False; dpt shards nothing inside one tensor."""
    _check_tensor(input, "is_distributed")
    return False


def get_device(input: Tensor) -> int:
    """get_device(input): the CUDA device index, or -1 on the CPU."""
    _check_tensor(input, "get_device")
    return input.get_device()


def _check_tensor(x, op):
    if not isinstance(x, Tensor):
        raise TypeError(f"{op}(): argument 'input' (position 1) must be Tensor, not "
                        f"{type(x).__name__}")


def detach_(input: Tensor) -> Tensor:
    return input.detach_()


def index_put_(input: Tensor, indices, values: Tensor, accumulate: bool = False) -> Tensor:
    """index_put_(input, indices, values, accumulate=False): Tensor.index_put_."""
    return input.index_put_(indices, values, accumulate)


def addmv_(input: Tensor, mat: Tensor, vec: Tensor, *, beta=1, alpha=1) -> Tensor:
    """addmv_(input, mat, vec, *, beta=1, alpha=1): Tensor.addmv_."""
    return input.addmv_(mat, vec, beta=beta, alpha=alpha)


def as_strided_(input: Tensor, size, stride, storage_offset=None) -> Tensor:
    """as_strided_(input, size, stride, storage_offset=None): input becomes that view of its
    own memory, in place."""
    return ops.set_view_(input, ops.as_strided(input, size, stride, storage_offset))


def embedding_renorm_(input: Tensor, indices: Tensor, max_norm: float,
                      norm_type: float) -> Tensor:
    """embedding_renorm_(input, indices, max_norm, norm_type): rescale, in place and outside
    autograd, each row of input named in indices whose norm exceeds max_norm to that norm
    (scale max_norm / (norm + 1e-7), as nn.Embedding's max_norm)."""
    rows = ops.unique(indices.reshape(-1))
    with no_grad():
        picked = input.index_select(0, rows)
        norms = linalg.vector_norm(picked, norm_type, dim=1, keepdim=True)
        scale = ops.where(norms > max_norm, max_norm / (norms + 1e-7), ops.ones_like(norms))
        input.index_copy_(0, rows, picked * scale)
    return input


def is_vulkan_available() -> bool:
    return False


def get_device_module(device=None):
    """get_device_module(device=None): dpt.cuda or dpt.cpu for the device (type) given, the
    current accelerator's (or dpt.cpu) when None."""
    import dpt  # the device modules hang off the package
    if device is None:
        return dpt.cuda if dpt.cuda.is_available() else dpt.cpu
    kind = device.type if isinstance(device, dpt.device) else str(device).split(":")[0]
    if kind not in ("cpu", "cuda"):
        raise RuntimeError(f"get_device_module: dpt has device modules for cpu and cuda only, "
                           f"got '{device}'")
    return getattr(dpt, kind)


# -- old linear-algebra spellings -------------------------------------------------------------
def frobenius_norm(input: Tensor, dim, keepdim: bool = False, *, out=None) -> Tensor:
    """frobenius_norm(input, dim, keepdim=False): deprecated in torch; linalg.vector_norm with
    ord 2 over dim."""
    warnings.warn("frobenius_norm is deprecated: use dpt.linalg.vector_norm(A, 2, dim, "
                  "keepdim)", UserWarning, stacklevel=2)
    return linalg.vector_norm(input, 2, dim, keepdim, out=out)


def nuclear_norm(input: Tensor, dim=None, keepdim: bool = False, *, out=None) -> Tensor:
    """nuclear_norm(input, keepdim=False) / nuclear_norm(input, dim, keepdim=False): the sum
    of singular values; without dim, input must be a matrix. Deprecated in torch."""
    warnings.warn("nuclear_norm is deprecated: use dpt.linalg.matrix_norm(A, 'nuc', dim, "
                  "keepdim)", UserWarning, stacklevel=2)
    if isinstance(dim, builtins.bool):  # nuclear_norm(input, keepdim)
        dim, keepdim = None, dim
    if dim is None:
        if input.ndim != 2:
            raise RuntimeError(f"nuclear_norm: expected a 2-D tensor, but got {input.ndim}-D")
        dim = (0, 1)
    return linalg.matrix_norm(input, "nuc", dim, keepdim, out=out)


orgqr = linalg.householder_product  # torch's LAPACK name for it


def _removed(name: str, instead: str):
    def fn(*args, **kwargs):
        raise RuntimeError(f"dpt.{name} was removed (torch deprecated it in 1.9 and removed it): "
                           f"use {instead}. Check the argument order and the returned values "
                           "there, they differ from the old function's.")
    fn.__name__ = fn.__qualname__ = name
    fn.__doc__ = f"{name}: removed, as in torch; raises RuntimeError pointing to {instead}."
    return fn


matrix_rank = _removed("matrix_rank", "dpt.linalg.matrix_rank (symmetric is now hermitian)")
lstsq = _removed("lstsq", "dpt.linalg.lstsq(A, B) (arguments reversed)")
solve = _removed("solve", "dpt.linalg.solve(A, B) (arguments reversed)")
eig = _removed("eig", "dpt.linalg.eig or dpt.linalg.eigvals (complex results)")
symeig = _removed("symeig", "dpt.linalg.eigh or dpt.linalg.eigvalsh (UPLO='L' by default)")


# -- views and their copies ---------------------------------------------------------------------
def _slice_args(t, dim, start, end, step):
    n = t.shape[dim]
    start, end, _ = builtins.slice(start, end, step).indices(n)
    return start, end


def slice_inverse(input: Tensor, src: Tensor, dim: int = 0, start=None, end=None,
                  step: int = 1) -> Tensor:
    """slice_inverse(input, src, dim=0, start=None, end=None, step=1): given input, a slice of
    a tensor shaped like src (src[dim][start:end:step]), the view of input's memory with
    src's shape and strides, i.e. the tensor it was sliced from."""
    d = dim % builtins.max(src.ndim, 1)
    first, _ = _slice_args(src, d, start, end, step)
    offset = input.storage_offset() - first * src.stride(d)
    return ops.as_strided(input, tuple(src.shape), src.stride(), offset)


def unsafe_split_with_sizes(input: Tensor, split_sizes, dim: int = 0):
    """unsafe_split_with_sizes(input, split_sizes, dim=0): split_with_sizes (dpt's views carry
    full autograd checks, so the unsafe variant is the safe one)."""
    return ops.split_with_sizes(input, split_sizes, dim)


def _fresh(t: Tensor) -> Tensor:
    return ops.clone(t, memory_format=contiguous_format)


def split_copy(input: Tensor, split_size, dim: int = 0, *, out=None):
    """split_copy(input, split_size, dim=0): split, each piece in fresh contiguous memory."""
    return tuple(_fresh(p) for p in ops.split(input, split_size, dim))


def slice_copy(input: Tensor, dim: int = 0, start=None, end=None, step: int = 1, *,
               out=None) -> Tensor:
    """slice_copy(input, dim=0, start=None, end=None, step=1): input[..., start:end:step, ...]
    along dim, copied."""
    if step <= 0:
        raise RuntimeError("slice step must be positive")
    d = dim % builtins.max(input.ndim, 1)
    index = (builtins.slice(None),) * d + (builtins.slice(start, end, step),)
    return _fresh(input[index])


def detach_copy(input: Tensor, *, out=None) -> Tensor:
    """detach_copy(input): a contiguous copy cut from the graph. (torch's result claims to
    require grad and fails in backward: "derivative ... not implemented"; dpt's is a plain
    tensor.)"""
    return _fresh(input.detach())


def view_as_real_copy(input: Tensor, *, out=None) -> Tensor:
    return _fresh(ops.view_as_real(input))


def view_as_complex_copy(input: Tensor, *, out=None) -> Tensor:
    return _fresh(ops.view_as_complex(input))


# -- files and exchange -------------------------------------------------------------------------
def from_file(filename, shared=None, size: int = 0, *, dtype=None, layout=None, device=None,
              pin_memory: bool = False, requires_grad: bool = False) -> Tensor:
    """from_file(filename, shared=None, size=0, *, dtype=None, device=None): a 1-D tensor of
    size elements read from the start of a file. shared=True maps the file, so writes to the
    tensor reach it (the file must hold the bytes); otherwise the data is copied."""
    check_layout(layout, "from_file")
    dt = _dtype.as_dtype(dtype) if dtype is not None else _dtype.get_default_dtype()
    size = operator.index(size)
    nbytes = size * dt.itemsize
    have = os.path.getsize(filename)
    if shared:
        if have < nbytes:
            raise RuntimeError(f"from_file: the file {filename} holds {have} bytes, fewer than "
                               f"the {nbytes} that {size} elements of {dt} need")
        arr = np.memmap(filename, dtype=dt.np, mode="r+", shape=(size,)) if size else \
            np.empty(0, dt.np)
        arr = arr.view(np.ndarray)
    else:
        if have < nbytes:
            raise RuntimeError(f"from_file: the file {filename} holds {have} bytes, fewer than "
                               f"the {nbytes} that {size} elements of {dt} need")
        arr = np.fromfile(filename, dtype=dt.np, count=size)
    t = Tensor._make(arr)
    if device is not None:
        t = t.to(device)
    return t.requires_grad_(True) if requires_grad else t


def to_dlpack(tensor: Tensor):
    """to_dlpack(tensor): a DLPack capsule sharing the tensor's memory (the array's own
    __dlpack__: numpy's on the CPU, cupy's on a GPU)."""
    return tensor.__dlpack__()


# -- control flow, run eagerly ------------------------------------------------------------------
def cond(pred, true_fn, false_fn, operands=()):
    """cond(pred, true_fn, false_fn, operands=()): true_fn(*operands) if pred else
    false_fn(*operands). pred is a bool or a one-element tensor; dpt runs eagerly, so only the
    chosen branch runs and it is differentiated like any other code."""
    if isinstance(pred, Tensor):
        if pred.numel() != 1:
            raise RuntimeError(f"cond: expected pred to have a single element, got shape "
                               f"{list(pred.shape)}")
        pred = builtins.bool(pred.item())
    elif not isinstance(pred, (builtins.bool, builtins.int, np.bool_)):
        raise RuntimeError(f"cond: expected pred to be a bool or a tensor, got "
                           f"{type(pred).__name__}")
    if not isinstance(operands, (tuple, list)):
        raise RuntimeError(f"cond: expected operands to be a tuple or a list, got "
                           f"{type(operands).__name__}")
    return (true_fn if pred else false_fn)(*operands)


def while_loop(cond_fn, body_fn, carried_inputs):
    """while_loop(cond_fn, body_fn, carried_inputs): runs carried = body_fn(*carried) while
    cond_fn(*carried) holds; returns the final carried values as a tuple. body_fn must return
    as many values as it takes."""
    if not isinstance(carried_inputs, (tuple, list)):
        raise RuntimeError(f"while_loop: carried_inputs must be a tuple or a list, got "
                           f"{type(carried_inputs).__name__}")
    carried = tuple(carried_inputs)
    while _truth(cond_fn(*carried)):
        out = body_fn(*carried)
        out = tuple(out) if isinstance(out, (tuple, list)) else (out,)
        if len(out) != len(carried):
            raise RuntimeError(f"while_loop: body_fn returned {len(out)} values, expected "
                               f"{len(carried)} (one per carried input)")
        carried = out
    return carried


def _truth(v) -> bool:
    if isinstance(v, Tensor) and v.numel() != 1:
        raise RuntimeError(f"while_loop: cond_fn must return a bool or a one-element tensor, "
                           f"got shape {list(v.shape)}")
    return builtins.bool(v)
