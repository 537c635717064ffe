"""Lower-triangle <-> vector packing (torch.distributions.utils.vec_to_tril_matrix and
tril_matrix_to_vec), used by CorrCholeskyTransform and LKJCholesky."""
from __future__ import annotations

import numpy as np

import dpt
from .._tensor import Tensor

__all__ = ["tril_matrix_to_vec", "vec_to_tril_matrix"]


def _tril_flat_index(n: int, diag: int):
    """Flat (row-major) positions in an n x n matrix of the entries on or below diagonal
    diag, in row-major order."""
    rows, cols = np.tril_indices(n, k=diag)
    return rows * n + cols


def vec_to_tril_matrix(vec: Tensor, diag: int = 0) -> Tensor:
    """The (..., n, n) matrix whose entries on or below diagonal diag are vec's last
    dimension in row-major order, zeros elsewhere (differentiable)."""
    m = vec.shape[-1]
    # n solves m = n (n + 1) / 2 + diag n  (for diag <= 0)
    n = (-(1 + 2 * diag) + ((1 + 2 * diag) ** 2 + 8 * m + 4 * abs(diag) * (diag + 1)) ** 0.5) / 2
    eps = dpt.finfo(dpt.float32).eps
    if round(n) - n > eps:
        raise ValueError(f"The size of last dimension is {m} which cannot be expressed as the "
                         "lower triangular part of a square D x D matrix.")
    n = round(n)
    # gather from [0, vec...]: index 0 fills the positions outside the triangle
    index = np.zeros(n * n, dtype=np.int64)
    index[_tril_flat_index(n, diag)] = np.arange(1, m + 1)
    padded = dpt.cat([vec.new_zeros(tuple(vec.shape[:-1]) + (1,)), vec], -1)
    index = dpt.tensor(index, device=vec.device)
    return padded.index_select(-1, index).reshape(tuple(vec.shape[:-1]) + (n, n))


def tril_matrix_to_vec(mat: Tensor, diag: int = 0) -> Tensor:
    """The entries on or below diagonal diag of (..., n, n) mat, row-major, as the last
    dimension (inverse of vec_to_tril_matrix)."""
    n = mat.shape[-1]
    if mat.dim() < 2 or mat.shape[-2] != n:
        raise ValueError(f"tril_matrix_to_vec: expected a batch of square matrices, got shape "
                         f"{tuple(mat.shape)}")
    index = dpt.tensor(_tril_flat_index(n, diag), device=mat.device)
    return mat.reshape(tuple(mat.shape[:-2]) + (n * n,)).index_select(-1, index)
