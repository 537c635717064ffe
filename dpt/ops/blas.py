"""Matrix products: matmul (with broadcasting), mm, bmm, mv, dot, outer."""
from __future__ import annotations

from .._tensor import Tensor
from ..autograd.function import Function
from ._promote import binary

__all__ = ["matmul", "mm", "bmm", "mv", "dot", "outer", "ger"]


class MatMul(Function):
    """z = x @ y with numpy's matmul rules (1-d promotion, batch broadcasting)."""

    def forward(self, x, y):
        return x @ y

    def backward(self, gz):
        x, y = self.inputs
        need_x, need_y = self.needs_input_grad
        gx = gy = None
        if x.ndim == 1 and y.ndim == 1:
            return (gz * y if need_x else None), (gz * x if need_y else None)
        # Lift 1-d operands to matrices so one formula serves every case.
        x2 = x.unsqueeze(0) if x.ndim == 1 else x
        y2 = y.unsqueeze(-1) if y.ndim == 1 else y
        g2 = gz
        if x.ndim == 1:
            g2 = g2.unsqueeze(-2)
        if y.ndim == 1:
            g2 = g2.unsqueeze(-1)
        if need_x:
            gx = g2 @ y2.mT
            if x.ndim == 1:
                gx = gx.reshape(gx.shape[:-2] + (gx.shape[-1],)) if gx.ndim > 2 else gx.squeeze(0)
        if need_y:
            gy = x2.mT @ g2
            if y.ndim == 1:
                gy = gy.squeeze(-1)
        return gx, gy


def _check(op, cond, msg):
    if not cond:
        raise RuntimeError(f"{op}: {msg}")


def matmul(input, other, *, out=None) -> Tensor:
    """matmul(input, other): matrix product with broadcasting over batch dimensions."""
    a, b, _ = binary(input, other, "matmul")
    if a.ndim == 0 or b.ndim == 0:
        raise RuntimeError(f"both arguments to matmul need to be at least 1D, but they are "
                           f"{a.ndim}D and {b.ndim}D")
    k_a = a.shape[-1]
    k_b = b.shape[0] if b.ndim == 1 else b.shape[-2]
    if k_a != k_b:
        if a.ndim <= 2 and b.ndim <= 2:
            sa = f"{a.shape[0] if a.ndim == 2 else 1}x{k_a}"
            sb = f"{k_b}x{b.shape[-1] if b.ndim == 2 else 1}"
            raise RuntimeError(f"mat1 and mat2 shapes cannot be multiplied ({sa} and {sb})")
        raise RuntimeError(f"matmul: Expected size for first two dimensions of batch2 tensor to be: "
                           f"{list(a.shape)} @ {list(b.shape)} needs {k_a} == {k_b}")
    return MatMul.apply(a, b)


def mm(input, mat2, *, out=None) -> Tensor:
    """mm(input, mat2): product of two 2-D matrices."""
    _check("mm", input.ndim == 2, f"self must be a matrix, got {input.ndim}-D")
    _check("mm", mat2.ndim == 2, f"mat2 must be a matrix, got {mat2.ndim}-D")
    return matmul(input, mat2)


def bmm(input, mat2, *, out=None) -> Tensor:
    """bmm(input, mat2): batched product of (b, n, m) and (b, m, p)."""
    _check("bmm", input.ndim == 3, f"batch1 must be a 3D tensor, got {input.ndim}-D")
    _check("bmm", mat2.ndim == 3, f"batch2 must be a 3D tensor, got {mat2.ndim}-D")
    _check("bmm", input.shape[0] == mat2.shape[0],
           f"batch1 and batch2 must have same number of batches, got {input.shape[0]} and {mat2.shape[0]}")
    return matmul(input, mat2)


def mv(input, vec, *, out=None) -> Tensor:
    """mv(input, vec): matrix-vector product."""
    _check("mv", input.ndim == 2 and vec.ndim == 1,
           f"vector + matrix @ vector expected, got {input.ndim}, {vec.ndim}")
    return matmul(input, vec)


def dot(input, other, *, out=None) -> Tensor:
    """dot(input, other): inner product of two 1-D tensors of the same length and dtype."""
    _check("dot", input.ndim == 1 and other.ndim == 1,
           f"1D tensors expected, but got {input.ndim}D and {other.ndim}D tensors")
    _check("dot", input.shape[0] == other.shape[0],
           f"inconsistent tensor size, expected tensor [{input.shape[0]}] and src [{other.shape[0]}] "
           f"to have the same number of elements, but got {input.shape[0]} and {other.shape[0]} elements "
           f"respectively")
    if input.dtype is not other.dtype:
        raise RuntimeError(f"dot : expected both vectors to have same dtype, but found "
                           f"{input.dtype.name} and {other.dtype.name}")
    return matmul(input, other)


def outer(input, vec2) -> Tensor:
    """outer(input, vec2): the outer product of two vectors."""
    return input.reshape(-1, 1) * vec2.reshape(1, -1)


ger = outer
