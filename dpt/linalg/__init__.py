"""dpt.linalg: torch.linalg on CPU and GPU arrays, batched over leading dimensions and differentiable.

Factorizations are Functions whose forward calls the array module's LAPACK wrappers and
whose backward is written with dpt ops (and with the factorizations themselves), so that
``create_graph=True`` gives second derivatives. Where a backward reuses an output it
recomputes it from the inputs when a graph of the gradient is being built.

This file is the namespace only; the code lives in one file per theme:

    _common.py           LinAlgError, the named results, input checks, small helpers
    _det_inv_solve.py    det, slogdet, inv(_ex), solve(_ex), solve_triangular, tensorinv,
                         tensorsolve
    _factorizations.py   cholesky(_ex), qr, eigh, eigvalsh, eig, eigvals, svd, svdvals
    _pinv_lstsq.py       pinv, lstsq, matrix_rank
    _norms.py            vector_norm, matrix_norm, norm, cond
    _products.py         matmul, diagonal, vecdot, matrix_power, multi_dot, cross, matrix_exp,
                         vander
    _lu.py               lu_factor(_ex), lu, lu_solve, lu_unpack
    _ldl.py              ldl_factor(_ex), ldl_solve (Bunch-Kaufman, LAPACK's packed form)
    _householder.py      householder_product, and the torch.* geqrf and ormqr
    _lowrank.py          the torch.* svd_lowrank and pca_lowrank (randomized)
    _torch_spellings.py  the torch.* spellings (``dpt.det``, ``dpt.inverse``, ``dpt.svd``
                         returning V, ``dpt.lu`` ...), re-exported at the top level

Deviations from torch: LU (lu_factor, lu, lu_solve) runs on the host through scipy for
GPU tensors too, and LDL (ldl_factor, ldl_solve) on the host in numpy; eig/eigvals are not
differentiable; inv_ex/cholesky_ex report info but never raise; ldl_factor raises LinAlgError
where D has an exact zero (torch fails there with an internal assert).
"""
from ._det_inv_solve import (det, inv, inv_ex, slogdet, solve, solve_ex, solve_triangular,
                             tensorinv, tensorsolve)
from ._factorizations import (cholesky, cholesky_ex, eig, eigh, eigvals, eigvalsh, qr, svd,
                              svdvals)
from ._householder import householder_product
from ._ldl import ldl_factor, ldl_factor_ex, ldl_solve
from ._lu import lu, lu_factor, lu_factor_ex, lu_solve
from ._norms import cond, matrix_norm, norm, vector_norm
from ._pinv_lstsq import lstsq, matrix_rank, pinv
from ._products import (cross, diagonal, matmul, matrix_exp, matrix_power, multi_dot, vander,
                        vecdot)
from ._common import LinAlgError

# Re-exported beyond __all__ (noqa: F401): the named result types, _with_out, and the torch.*
# spellings that dpt/__init__.py, dpt/functional.py and dpt/_tensor_methods.py import.
from ._common import (  # noqa: F401
    _with_out, cholesky_ex_result, eig_result, eigh_result, inv_ex_result, lstsq_result,
    lu_factor_ex_result, lu_factor_result, lu_result, lu_unpack_result, qr_result,
    slogdet_result, solve_ex_result, svd_result, torch_svd_result, triangular_solve_result)
from ._householder import geqrf, geqrf_result, ormqr  # noqa: F401
from ._lowrank import pca_lowrank, svd_lowrank  # noqa: F401
from ._lu import lu_unpack  # noqa: F401
from ._torch_spellings import (  # noqa: F401
    _torch_cholesky, _torch_cross, _torch_lu, _torch_lu_solve, _torch_qr, _torch_slogdet,
    _torch_svd, cholesky_inverse, cholesky_solve, inverse, logdet, pinverse, triangular_solve)

__all__ = ["norm", "vector_norm", "matrix_norm", "det", "slogdet", "inv", "inv_ex", "pinv", "solve",
           "solve_ex", "lstsq", "cholesky", "cholesky_ex", "qr", "eigh", "eigvalsh", "eig", "eigvals",
           "svd", "svdvals", "matrix_rank", "matrix_power", "multi_dot", "cross", "lu_factor",
           "lu_factor_ex", "lu", "lu_solve", "solve_triangular", "vecdot", "diagonal",
           "matmul", "matrix_exp", "LinAlgError", "cond", "tensorinv", "tensorsolve", "vander",
           "householder_product", "ldl_factor", "ldl_factor_ex", "ldl_solve"]
