"""Matrix products and diagonals: matmul, mm, bmm, mv, dot, addmm & co, addr, kron, trace,
diag, diagflat, and the Vandermonde matrix.

The products are checked here (shapes and dtypes, with torch's messages) and then
either run as one MatMul node or composed from dpt ops, so that every backward is
itself differentiable.
"""
from __future__ import annotations

import builtins
import operator

import numpy as np

from .. import _dtype
from .._device import xp_of
from .._tensor import Tensor, _wrap_dim
from ..autograd.function import Function
from .arithmetic import _with_out as _checked_out
from .creation import empty, ones
from .scans import cumprod
from .shape_copies import cat, flip

__all__ = ["matmul", "mm", "bmm", "mv", "dot", "vdot", "inner", "outer", "ger", "addmm", "addmv",
           "addbmm", "baddbmm", "kron", "trace", "diag", "diag_embed", "chain_matmul", "addr",
           "diagflat", "vander"]


def _same_dtype(z, x, y):
    """numpy multiplies bfloat16 matrices into float32: round back, as torch returns bfloat16."""
    return z.astype(x.dtype) if z.dtype != x.dtype and x.dtype == y.dtype else z


# ---- the one product node -------------------------------------------------------------
class MatMul(Function):
    """z = x @ y with numpy's matmul rules (1-d promotion, batch broadcasting)."""

    autocast = "lower"

    def forward(self, x, y):
        return _same_dtype(x @ y, x, y)

    def backward(self, gz):
        x, y = self.inputs
        need_x, need_y = self.needs_input_grad
        gx = gy = None
        if x.ndim == 1 and y.ndim == 1:
            return (gz * y.conj() if need_x else None), (gz * x.conj() if need_y else None)
        # Lift 1-d operands to matrices so one formula serves every case.
        x2 = x.unsqueeze(0) if x.ndim == 1 else x
        y2 = y.unsqueeze(-1) if y.ndim == 1 else y
        g2 = gz
        if x.ndim == 1:
            g2 = g2.unsqueeze(-2)
        if y.ndim == 1:
            g2 = g2.unsqueeze(-1)
        if need_x:
            gx = g2 @ y2.mT.conj()
            if x.ndim == 1:
                gx = gx.squeeze(-2)
        if need_y:
            gy = x2.mT.conj() @ g2
            if y.ndim == 1:
                gy = gy.squeeze(-1)
        return gx, gy


# Same formula, torch's node names (MmBackward0, MvBackward0, DotBackward0, BmmBackward0).
class Mm(MatMul):
    pass


class Mv(MatMul):
    autocast = "lower_cuda"


class Dot(MatMul):
    autocast = None  # dot promotes (mixed inputs reach float32 as usual)


class Bmm(MatMul):
    pass


class _AddProduct(Function):
    """z = beta * input + alpha * product(x, y); beta == 0 ignores input entirely."""

    autocast = "lower"

    def forward(self, input, x, y, beta=1, alpha=1):
        self.beta, self.alpha = beta, alpha
        prod = self._product(x, y)
        if alpha != 1:
            prod = prod * alpha
        if beta == 0:
            return _same_dtype(prod, x, y)
        return _same_dtype(prod + (input if beta == 1 else input * beta), x, y)

    def backward(self, gz):
        input, x, y = self.inputs
        need_i, need_x, need_y = self.needs_input_grad[:3]
        gi = (gz if self.beta == 1 else gz * self.beta) if need_i else None
        ga = gz if self.alpha == 1 else gz * self.alpha
        gx = self._grad_x(ga, y.conj()) if need_x else None
        gy = self._grad_y(ga, x.conj()) if need_y else None
        return gi, gx, gy


class Addmm(_AddProduct):
    @staticmethod
    def _product(x, y):
        return x @ y

    @staticmethod
    def _grad_x(g, y):
        return g @ y.mT

    @staticmethod
    def _grad_y(g, x):
        return x.mT @ g


class Baddbmm(Addmm):
    pass


class Addmv(_AddProduct):
    autocast = "lower_cuda"

    @staticmethod
    def _product(m, v):
        return m @ v

    @staticmethod
    def _grad_x(g, v):
        return g.unsqueeze(-1) * v.unsqueeze(0)

    @staticmethod
    def _grad_y(g, m):
        return m.mT @ g


class Addbmm(_AddProduct):
    @staticmethod
    def _product(x, y):
        return (x @ y).sum(0)

    @staticmethod
    def _grad_x(g, y):
        return g.unsqueeze(0) @ y.mT

    @staticmethod
    def _grad_y(g, x):
        return x.mT @ g.unsqueeze(0)


# ---- checks -----------------------------------------------------------------------------
# torch names dtypes by their C++ spelling in the matmul family's messages.
_C_NAMES = {"float32": "float", "float64": "double", "float16": "c10::Half",
            "bfloat16": "c10::BFloat16", "int64": "long int", "int32": "int", "int16": "short int",
            "int8": "signed char", "uint8": "unsigned char", "bool": "bool",
            "complex64": "c10::complex<float>", "complex128": "c10::complex<double>"}
_TITLE = {"float32": "Float", "float64": "Double", "float16": "Half", "bfloat16": "BFloat16",
          "int64": "Long", "int32": "Int", "int16": "Short", "int8": "Char", "uint8": "Byte",
          "bool": "Bool", "complex64": "ComplexFloat", "complex128": "ComplexDouble"}


def _check_tensor(op: str, x, name: str, pos: int) -> None:
    if not isinstance(x, Tensor):
        raise TypeError(f"{op}(): argument '{name}' (position {pos}) must be Tensor, not "
                        f"{type(x).__name__}")


def _check_same_dtype(a: Tensor, b: Tensor) -> None:
    if a._data.dtype != b._data.dtype:
        raise RuntimeError(f"expected m1 and m2 to have the same dtype, but got: "
                           f"{_C_NAMES[a.dtype.name]} != {_C_NAMES[b.dtype.name]}")


def _check_matrix(op: str, x: Tensor, name: str) -> None:
    if x.ndim != 2:
        raise RuntimeError(f"{op}: {name} must be a matrix, got {x.ndim}-D tensor")


def _mm_shapes(a: Tensor, b: Tensor) -> None:
    if a.shape[1] != b.shape[0]:
        raise RuntimeError(f"mat1 and mat2 shapes cannot be multiplied ({a.shape[0]}x{a.shape[1]} "
                           f"and {b.shape[0]}x{b.shape[1]})")


def _broadcast_input(op: str, input: Tensor, target: tuple) -> None:
    """input must broadcast to target (the product's shape), as torch's expand demands."""
    shape = tuple(input.shape)
    if len(shape) > len(target):
        raise RuntimeError(f"{op}: expand({input.type()}{{{list(shape)}}}, size={list(target)}): the "
                           f"number of sizes provided ({len(target)}) must be greater or equal to "
                           f"the number of dimensions in the tensor ({len(shape)})")
    for i in range(1, len(shape) + 1):
        if shape[-i] != 1 and shape[-i] != target[-i]:
            raise RuntimeError(
                f"{op}: The expanded size of the tensor ({target[-i]}) must match the existing "
                f"size ({shape[-i]}) at non-singleton dimension {len(target) - i}.  Target sizes: "
                f"{list(target)}.  Tensor sizes: {list(shape)}")


def _check_scalars(op: str, input: Tensor, beta, alpha) -> None:
    if input.dtype.category <= 1:
        for name, v in (("beta", beta), ("alpha", alpha)):
            if isinstance(v, float) or isinstance(v, complex):
                raise RuntimeError(f"{op}: For integral input tensors, argument {name} must not "
                                   f"be a floating point number.")


def _add_product(fn, op: str, input, x: Tensor, y: Tensor, shape: tuple, beta, alpha) -> Tensor:
    """Check input against the product (dtype, broadcastable shape, scalars), then run fn."""
    _check_tensor(op, input, "input", 1)
    if input.dtype is not x.dtype:
        raise RuntimeError(f"{op}: self and mat2 must have the same dtype, but got "
                           f"{_TITLE[input.dtype.name]} and {_TITLE[x.dtype.name]}")
    _check_scalars(op, input, beta, alpha)
    _broadcast_input(op, input, shape)
    return fn.apply(input, x, y, beta=beta, alpha=alpha)


def _with_out(result: Tensor, out: Tensor | None) -> Tensor:
    """Honour ``out=``: copy the result into out (resized if its shape differs)."""
    if out is None:
        return result
    out._check_inplace("out=")
    if out.shape != result.shape:
        out._data = result._data.astype(out._data.dtype, copy=True)
    else:
        out._data[...] = result._data
    out._vc[0] += 1
    return out


# ---- matmul and its special cases -------------------------------------------------------
def matmul(input, other, *, out=None) -> Tensor:
    """matmul(input, other): matrix product with broadcasting over batch dimensions.

    Both operands must have the same dtype (torch does not promote here).
    """
    _check_tensor("matmul", input, "input", 1)
    _check_tensor("matmul", other, "other", 2)
    a, b = input, other
    if a.ndim == 0 or b.ndim == 0:
        raise RuntimeError(f"both arguments to matmul need to be at least 1D, but they are "
                           f"{a.ndim}D and {b.ndim}D")
    _check_same_dtype(a, b)
    k_a = a.shape[-1]
    k_b = b.shape[0] if b.ndim == 1 else b.shape[-2]
    if k_a != k_b:
        if a.ndim == 1 and b.ndim == 1:
            raise RuntimeError(f"inconsistent tensor size, expected tensor [{k_a}] and src [{k_b}] to "
                               f"have the same number of elements, but got {k_a} and {k_b} elements "
                               f"respectively")
        if a.ndim == 2 and b.ndim == 1:
            raise RuntimeError(f"size mismatch, got input ({a.shape[0]}), mat ({a.shape[0]}x{k_a}), "
                               f"vec ({k_b})")
        if a.ndim <= 2 and b.ndim <= 2:
            rows = a.shape[0] if a.ndim == 2 else 1
            raise RuntimeError(f"mat1 and mat2 shapes cannot be multiplied ({rows}x{k_a} and "
                               f"{k_b}x{b.shape[-1]})")
        raise RuntimeError(f"Expected size for first two dimensions of batch2 tensor to be: "
                           f"[{_batch(a)}, {k_a}] but got: [{_batch(b)}, {k_b}].")
    if a.ndim > 2 or b.ndim > 2:
        _broadcast_batch(tuple(a.shape[:-2]), tuple(b.shape[:-2]) if b.ndim > 1 else ())
    return _with_out(_matmul_node(a, b).apply(a, b), out)


def _matmul_node(a: Tensor, b: Tensor):
    if a.ndim == 2:
        return Mm if b.ndim == 2 else Mv if b.ndim == 1 else MatMul
    if a.ndim == 1 and b.ndim == 1:
        return Dot
    if a.ndim == 3 and b.ndim == 3 and a.shape[0] == b.shape[0]:
        return Bmm
    return MatMul


def _batch(x: Tensor) -> int:
    n = 1
    for s in x.shape[:-2]:
        n *= s
    return n


def _broadcast_batch(sa: tuple, sb: tuple) -> None:
    n = max(len(sa), len(sb))
    pa, pb = (1,) * (n - len(sa)) + sa, (1,) * (n - len(sb)) + sb
    for i, (x, y) in enumerate(zip(pa, pb)):
        if x != y and x != 1 and y != 1:
            raise RuntimeError(f"The size of tensor a ({x}) must match the size of tensor b ({y}) at "
                               f"non-singleton dimension {i}")


def mm(input, mat2, *, out=None) -> Tensor:
    """mm(input, mat2): product of two 2-D matrices (no broadcasting)."""
    _check_tensor("mm", input, "input", 1)
    _check_tensor("mm", mat2, "mat2", 2)
    if input.ndim != 2:
        raise RuntimeError("self must be a matrix")
    if mat2.ndim != 2:
        raise RuntimeError("mat2 must be a matrix")
    _check_same_dtype(input, mat2)
    _mm_shapes(input, mat2)
    return _with_out(Mm.apply(input, mat2), out)


def bmm(input, mat2, *, out=None) -> Tensor:
    """bmm(input, mat2): batched product of (b, n, m) and (b, m, p) (no broadcasting)."""
    _check_tensor("bmm", input, "input", 1)
    _check_tensor("bmm", mat2, "mat2", 2)
    if input.ndim != 3:
        raise RuntimeError("batch1 must be a 3D tensor")
    if mat2.ndim != 3:
        raise RuntimeError("batch2 must be a 3D tensor")
    _check_same_dtype(input, mat2)
    if mat2.shape[0] != input.shape[0] or mat2.shape[1] != input.shape[2]:
        raise RuntimeError(f"Expected size for first two dimensions of batch2 tensor to be: "
                           f"[{input.shape[0]}, {input.shape[2]}] but got: [{mat2.shape[0]}, "
                           f"{mat2.shape[1]}].")
    return _with_out(Bmm.apply(input, mat2), out)


def mv(input, vec, *, out=None) -> Tensor:
    """mv(input, vec): matrix-vector product."""
    _check_tensor("mv", input, "input", 1)
    _check_tensor("mv", vec, "vec", 2)
    if input.ndim != 2 or vec.ndim != 1:
        raise RuntimeError(f"vector + matrix @ vector expected, got 1, {input.ndim}, {vec.ndim}")
    _check_same_dtype(input, vec)
    if input.shape[1] != vec.shape[0]:
        raise RuntimeError(f"size mismatch, got input ({input.shape[0]}), mat "
                           f"({input.shape[0]}x{input.shape[1]}), vec ({vec.shape[0]})")
    return _with_out(Mv.apply(input, vec), out)


def _check_vectors(op: str, input: Tensor, other: Tensor) -> None:
    if input.ndim != 1 or other.ndim != 1:
        raise RuntimeError(f"1D tensors expected, but got {input.ndim}D and {other.ndim}D tensors")
    if input.shape[0] != other.shape[0]:
        raise RuntimeError(f"inconsistent tensor size, expected tensor [{input.shape[0]}] and src "
                           f"[{other.shape[0]}] to have the same number of elements, but got "
                           f"{input.shape[0]} and {other.shape[0]} elements respectively")
    if input.dtype is not other.dtype:
        raise RuntimeError(f"{op} : expected both vectors to have same dtype, but found "
                           f"{_TITLE[input.dtype.name]} and {_TITLE[other.dtype.name]}")


def dot(input, other, *, out=None) -> Tensor:
    """dot(input, other): inner product of two 1-D tensors of the same length and dtype."""
    _check_tensor("dot", input, "input", 1)
    _check_tensor("dot", other, "other", 2)
    _check_vectors("dot", input, other)
    return _with_out(Dot.apply(input, other), out)


def vdot(input, other, *, out=None) -> Tensor:
    """vdot(input, other): dot product with the first vector conjugated."""
    _check_tensor("vdot", input, "input", 1)
    _check_tensor("vdot", other, "other", 2)
    _check_vectors("vdot", input, other)
    return _with_out(Dot.apply(input.conj(), other), out)


def inner(input, other, *, out=None) -> Tensor:
    """inner(input, other): sum over the last dimensions; a 0-d operand multiplies."""
    _check_tensor("inner", input, "input", 1)
    _check_tensor("inner", other, "other", 2)
    if input.ndim == 0 or other.ndim == 0:
        return _with_out(input * other, out)
    if input.shape[-1] != other.shape[-1]:
        raise RuntimeError(f"inner() the last dimension must match on both input tensors but got "
                           f"shapes {list(input.shape)} and {list(other.shape)}")
    _check_same_dtype(input, other)
    k = input.shape[-1]
    res = Mm.apply(input.reshape(-1, k), other.reshape(-1, k).mT)
    return _with_out(res.reshape(tuple(input.shape[:-1]) + tuple(other.shape[:-1])), out)


def outer(input, vec2, *, out=None) -> Tensor:
    """outer(input, vec2): the outer product of two vectors."""
    _check_tensor("outer", input, "input", 1)
    _check_tensor("outer", vec2, "vec2", 2)
    if input.ndim != 1 or vec2.ndim != 1:
        raise RuntimeError(f"outer: Expected 1-D arguments, but got {input.ndim}-D and "
                           f"{vec2.ndim}-D")
    return _with_out(input.reshape(-1, 1) * vec2.reshape(1, -1), out)


ger = outer


# ---- beta * input + alpha * product ------------------------------------------------------
def addmm(input, mat1, mat2, *, beta=1, alpha=1, out=None) -> Tensor:
    """addmm(input, mat1, mat2, *, beta=1, alpha=1): beta * input + alpha * (mat1 @ mat2)."""
    _check_tensor("addmm", mat1, "mat1", 2)
    _check_tensor("addmm", mat2, "mat2", 3)
    _check_matrix("addmm", mat1, "mat1")
    _check_matrix("addmm", mat2, "mat2")
    if mat1.dtype is not mat2.dtype:
        raise RuntimeError("mat1 and mat2 must have the same dtype")
    _mm_shapes(mat1, mat2)
    shape = (mat1.shape[0], mat2.shape[1])
    return _with_out(_add_product(Addmm, "addmm", input, mat1, mat2, shape, beta, alpha), out)


def addmv(input, mat, vec, *, beta=1, alpha=1, out=None) -> Tensor:
    """addmv(input, mat, vec, *, beta=1, alpha=1): beta * input + alpha * (mat @ vec)."""
    _check_tensor("addmv", mat, "mat", 2)
    _check_tensor("addmv", vec, "vec", 3)
    if mat.ndim != 2 or vec.ndim != 1 or input.ndim > 1:
        raise RuntimeError(f"vector + matrix @ vector expected, got {input.ndim}, {mat.ndim}, "
                           f"{vec.ndim}")
    if mat.shape[1] != vec.shape[0] or (input.ndim == 1 and input.shape[0] not in (1, mat.shape[0])):
        inp = input.shape[0] if input.ndim else 1
        raise RuntimeError(f"size mismatch, got input ({inp}), mat ({mat.shape[0]}x{mat.shape[1]}), "
                           f"vec ({vec.shape[0]})")
    _check_same_dtype(mat, vec)
    return _with_out(_add_product(Addmv, "addmv", input, mat, vec, (mat.shape[0],), beta, alpha), out)


def _check_batches(op: str, b1: Tensor, b2: Tensor) -> None:
    if b1.ndim != 3:
        raise RuntimeError("batch1 must be a 3D tensor")
    if b2.ndim != 3:
        raise RuntimeError("batch2 must be a 3D tensor")
    if b1.shape[0] != b2.shape[0]:
        raise RuntimeError(f"batch1 and batch2 must have same number of batches, got "
                           f"{b1.shape[0]} and {b2.shape[0]}")
    if b1.shape[2] != b2.shape[1]:
        raise RuntimeError(f"Incompatible matrix sizes for bmm ({b1.shape[1]}x{b1.shape[2]} and "
                           f"{b2.shape[1]}x{b2.shape[2]})")
    _check_same_dtype(b1, b2)


def addbmm(input, batch1, batch2, *, beta=1, alpha=1, out=None) -> Tensor:
    """addbmm(input, batch1, batch2, *, beta=1, alpha=1): beta * input + alpha * sum_b(b1[b] @ b2[b])."""
    _check_tensor("addbmm", batch1, "batch1", 2)
    _check_tensor("addbmm", batch2, "batch2", 3)
    _check_batches("addbmm", batch1, batch2)
    shape = (batch1.shape[1], batch2.shape[2])
    return _with_out(_add_product(Addbmm, "addbmm", input, batch1, batch2, shape, beta, alpha), out)


def baddbmm(input, batch1, batch2, *, beta=1, alpha=1, out=None) -> Tensor:
    """baddbmm(input, batch1, batch2, *, beta=1, alpha=1): beta * input + alpha * bmm(b1, b2)."""
    _check_tensor("baddbmm", batch1, "batch1", 2)
    _check_tensor("baddbmm", batch2, "batch2", 3)
    _check_batches("baddbmm", batch1, batch2)
    shape = (batch1.shape[0], batch1.shape[1], batch2.shape[2])
    return _with_out(_add_product(Baddbmm, "baddbmm", input, batch1, batch2, shape, beta, alpha), out)


def chain_matmul(*matrices, out=None) -> Tensor:
    """chain_matmul(*matrices): the product of 2-D matrices, multiplied in the cheapest order.

    Deprecated in torch in favour of ``linalg.multi_dot``; kept for old scripts.
    """
    import warnings

    warnings.warn("dpt.chain_matmul is deprecated and will be removed in a future release. Use "
                  "dpt.linalg.multi_dot instead, which accepts a list of two or more tensors "
                  "rather than multiple parameters.", UserWarning, stacklevel=2)
    if len(matrices) == 1 and isinstance(matrices[0], (list, tuple)):
        matrices = tuple(matrices[0])
    if not matrices:
        raise RuntimeError("chain_matmul(): Expected one or more matrices")
    for i, m in enumerate(matrices):
        _check_tensor("chain_matmul", m, f"matrices[{i}]", i + 1)
        if m.ndim != 2:
            raise RuntimeError(f"chain_matmul(): Tensor dimension is {m.ndim}, expected 2 instead.")
    if len(matrices) == 1:
        return _with_out(matrices[0].clone(), out)
    for a, b in zip(matrices, matrices[1:]):
        _check_same_dtype(a, b)
        _mm_shapes(a, b)
    dims = [m.shape[0] for m in matrices] + [matrices[-1].shape[1]]
    split = _chain_order(dims)

    def product(i, j):
        if i == j:
            return matrices[i]
        k = split[i][j]
        return Mm.apply(product(i, k), product(k + 1, j))

    return _with_out(product(0, len(matrices) - 1), out)


def _chain_order(dims: list) -> list:
    """The classic matrix-chain dynamic programme: split[i][j] is where to cut i..j."""
    n = len(dims) - 1
    cost = [[0] * n for _ in range(n)]
    split = [[0] * n for _ in range(n)]
    for length in range(1, n):
        for i in range(n - length):
            j = i + length
            cost[i][j] = None
            for k in range(i, j):
                c = cost[i][k] + cost[k + 1][j] + dims[i] * dims[k + 1] * dims[j + 1]
                if cost[i][j] is None or c < cost[i][j]:
                    cost[i][j], split[i][j] = c, k
    return split


# ---- kron, trace, diagonals -------------------------------------------------------------
def kron(input, other, *, out=None) -> Tensor:
    """kron(input, other): the Kronecker product (operands padded to the same number of dims)."""
    _check_tensor("kron", input, "input", 1)
    _check_tensor("kron", other, "other", 2)
    n = max(input.ndim, other.ndim)
    sa = (1,) * (n - input.ndim) + tuple(input.shape)
    sb = (1,) * (n - other.ndim) + tuple(other.shape)
    # Interleave the axes: a[i0, 1, i1, 1, ...] * b[1, j0, 1, j1, ...] then merge pairs.
    a = input.reshape(tuple(x for s in sa for x in (s, 1)))
    b = other.reshape(tuple(x for s in sb for x in (1, s)))
    res = (a * b).reshape(tuple(x * y for x, y in zip(sa, sb)))
    return _with_out(res, out)


class Trace(Function):
    """Sum of the main diagonal of a matrix."""

    def forward(self, x, dtype):
        self.shape = x.shape
        return x.trace(dtype=dtype)

    def backward(self, gz):
        xp = xp_of(gz._data)
        eye = Tensor._make(xp.eye(*self.shape, dtype=gz._data.dtype))
        return gz * eye


def trace(input) -> Tensor:
    """trace(input): sum of the diagonal of a 2-D tensor (integers sum in int64)."""
    _check_tensor("trace", input, "input", 1)
    if input.ndim != 2:
        raise RuntimeError(f"trace: expected a matrix, but got tensor with dim {input.ndim}")
    dt = np.int64 if input.dtype.category <= 1 else input._data.dtype
    return Trace.apply(input, dt)


class _Diagonal(Function):
    """A copy of the diagonal (offset, dim1, dim2), laid out along the last dimension."""

    def forward(self, x, offset, dim1, dim2):
        self.args = (offset, dim1, dim2, x.shape[dim1], x.shape[dim2])
        return x.diagonal(offset, dim1, dim2).copy()

    def backward(self, gz):
        return _DiagEmbed.apply(gz, *self.args)


class _DiagEmbed(Function):
    """Place the last dimension on the diagonal (offset, dim1, dim2) of (size1, size2) zeros."""

    def forward(self, x, offset, dim1, dim2, size1, size2):
        self.args = (offset, dim1, dim2)
        xp = xp_of(x)
        n = x.shape[-1]
        out = xp.zeros(x.shape[:-1] + (size1, size2), dtype=x.dtype)
        idx = xp.arange(n)
        out[..., idx + max(-offset, 0), idx + max(offset, 0)] = x
        return xp.moveaxis(out, (-2, -1), (dim1, dim2))

    def backward(self, gz):
        return _Diagonal.apply(gz, *self.args)


def _diag_dims(op: str, ndim: int, dim1: int, dim2: int) -> tuple:
    d1, d2 = _wrap_dim(dim1, ndim, op), _wrap_dim(dim2, ndim, op)
    if d1 == d2:
        raise RuntimeError(f"diagonal dimensions cannot be identical {dim1}, {dim2}")
    return d1, d2


def diag_embed(input, offset: int = 0, dim1: int = -2, dim2: int = -1) -> Tensor:
    """diag_embed(input, offset=0, dim1=-2, dim2=-1): the last dimension becomes a diagonal."""
    _check_tensor("diag_embed", input, "input", 1)
    if input.ndim == 0:
        raise RuntimeError("diag_embed: expected a tensor with at least 1 dimension")
    d1, d2 = _diag_dims("diag_embed", input.ndim + 1, dim1, dim2)
    size = input.shape[-1] + abs(offset)
    return _DiagEmbed.apply(input, offset, d1, d2, size, size)


def diag(input, diagonal: int = 0, *, out=None) -> Tensor:
    """diag(input, diagonal=0): 1-D -> square matrix with input on that diagonal; 2-D -> a copy
    of that diagonal."""
    _check_tensor("diag", input, "input", 1)
    if input.ndim == 1:
        size = input.shape[0] + abs(diagonal)
        return _with_out(_DiagEmbed.apply(input, diagonal, 0, 1, size, size), out)
    if input.ndim == 2:
        return _with_out(_Diagonal.apply(input, diagonal, 0, 1), out)
    raise RuntimeError(f"diag(): Supports 1D or 2D tensors. Got {input.ndim}D")


def diagflat(input: Tensor, offset: int = 0) -> Tensor:
    """diagflat(input, offset=0): a 2-D tensor with the flattened input on diagonal offset."""
    return diag(input.reshape(-1), offset)


def addr(input: Tensor, vec1: Tensor, vec2: Tensor, *, beta=1, alpha=1, out=None) -> Tensor:
    """addr(input, vec1, vec2, *, beta=1, alpha=1): beta * input + alpha * outer(vec1, vec2);
    input is ignored (nan included) when beta is 0."""
    for name, v in (("vec1", vec1), ("vec2", vec2)):
        if v.ndim != 1:
            raise RuntimeError(f"addr: Expected 1-D argument {name}, but got {v.ndim}-D")
    o = outer(vec1, vec2)
    if o.dtype.category < 2 and (isinstance(alpha, builtins.float) or
                                 isinstance(beta, builtins.float)):
        raise RuntimeError("For integral input tensors, argument beta must not be a floating "
                           "point number." if isinstance(beta, builtins.float) else
                           "For integral input tensors, argument alpha must not be a floating "
                           "point number.")
    r = o if alpha == 1 else o * alpha
    if beta != 0:
        r = (input if beta == 1 else input * beta) + r
    else:  # input only decides the dtype and must broadcast; its values (nan too) are unused
        if np.broadcast_shapes(tuple(input.shape), tuple(o.shape)) != tuple(o.shape):
            raise RuntimeError(f"addr: input of shape {list(input.shape)} does not broadcast to "
                               f"the outer product's shape {list(o.shape)}")
        r = r.to(_dtype.promote_types(input.dtype, r.dtype))
    return _checked_out(r, out, "addr")


# ---- structured matrices ---------------------------------------------------------------
def vander(x: Tensor, N: int | None = None, increasing: bool = False) -> Tensor:
    """vander(x, N=None, increasing=False): columns are powers of x (decreasing by default).

    Integer inputs give int64 (torch promotes with long); differentiable for float inputs.
    """
    if x.ndim != 1:
        raise RuntimeError("x must be a one-dimensional tensor.")
    n = x.shape[0] if N is None else operator.index(N)
    if n < 0:
        raise RuntimeError("N must be non-negative.")
    dt = _dtype.promote_types(x.dtype, _dtype.int64)
    x = x.to(dt)
    if n == 0:
        return empty(x.shape[0], 0, dtype=dt, device=x.device)
    cols = [ones(x.shape[0], 1, dtype=dt, device=x.device)]
    if n > 1:
        cols.append(cumprod(x.unsqueeze(1).expand(x.shape[0], n - 1), 1))
    result = cat(cols, 1)
    return result if increasing else flip(result, (1,))
