"""dpt: a PyTorch-shaped autograd engine on CPU and GPU arrays, trained data-parallel over
MPI/NCCL.

``import dpt`` stands in for ``import torch``; this module only re-exports.
"""
from . import _early_mpi  # noqa: F401  (first: MPI must start before the rest under srun pmi2)
from ._device import device
from ._dtype import (bfloat16, bool, cdouble, cfloat, complex64, complex128, double, dtype, finfo,
                     float, float16, float32, float64, get_default_dtype, half, iinfo, int, int8,
                     int16, int32, int64, long, promote_types, result_type, can_cast,
                     set_default_dtype, short, uint8, uint16, uint32, uint64)
from ._tensor import Size, Tensor
from ._memory_format import (channels_last, channels_last_3d, contiguous_format, layout,
                             legacy_contiguous_format, memory_format, preserve_format, strided)
from .ops import *  # noqa: F401,F403
from . import _tensor_methods
_tensor_methods.install()  # Tensor's math methods, now that every op exists
from ._tensor import (BFloat16Tensor, BoolTensor, ByteTensor, CharTensor, DoubleTensor, FloatTensor,
                      HalfTensor, IntTensor, LongTensor, ShortTensor)
from ._tensor_str import set_printoptions
from .random import (Generator, default_generator, get_rng_state, initial_seed, manual_seed, seed,
                     set_rng_state)
from . import random
from . import autograd
from . import nn, optim
from . import func  # noqa: F401
from .func import vmap  # noqa: F401  (torch.vmap is torch.func.vmap)
from .nn.utils.weight_norm import _weight_norm, norm_except_dim  # noqa: F401
from ._nn_aliases import *  # noqa: F401,F403  (torch.conv2d, torch.dropout, ...: above nn)
from . import distributed
from . import distributions
from .distributions._sampling import _sample_dirichlet, _standard_gamma, binomial  # noqa: F401
from . import return_types
from . import utils
from .serialization import load, save
from . import fft, linalg, quasirandom
from . import backends, cuda
from .cuda import OutOfMemoryError  # torch.OutOfMemoryError is torch.cuda's
from . import accelerator, cpu, multiprocessing, onnx  # noqa: F401
from .backends.cuda import get_float32_matmul_precision, set_float32_matmul_precision
from . import amp, jit, special, testing
from . import signal
from .amp import autocast, get_autocast_dtype, is_autocast_enabled
from ._flags import *  # noqa: F401,F403  (set_warn_always, autocast and anomaly switches, ...)
from ._top_level import *  # noqa: F401,F403  (pi, is_neg, cond, from_file, to_dlpack, ...)
from .jit import compile  # noqa: A001  (torch.compile: returns its argument, see dpt.jit)
from . import __config__, __future__
from .__config__ import (get_num_interop_threads, get_num_threads, set_num_interop_threads,
                         set_num_threads)
from .functional import (block_diag, cartesian_prod, combinations, einsum, istft, lu, lu_unpack,
                         meshgrid, stft, tensordot, unravel_index)
from .linalg import (cholesky_inverse, cholesky_solve, det, inverse, logdet, matrix_exp,
                     matrix_power, pinverse, triangular_solve)
from .linalg import geqrf, ormqr, pca_lowrank, svd_lowrank
from .linalg import (_torch_cholesky as cholesky, _torch_cross as cross,  # torch's older spellings
                     _torch_lu_solve as lu_solve, _torch_qr as qr, _torch_slogdet as slogdet,
                     _torch_svd as svd)
from .autograd import (enable_grad, inference_mode, is_grad_enabled, is_inference_mode_enabled,
                       no_grad, set_grad_enabled)

__version__ = "0.1.0"


def is_tensor(obj) -> bool:
    """is_tensor(obj): True for dpt Tensors (and Parameters)."""
    return isinstance(obj, Tensor)


def numel(input: Tensor) -> int:
    return input.numel()


def typename(obj) -> str:
    """typename(obj): 'dpt.FloatTensor' for tensors, the qualified class name otherwise."""
    if isinstance(obj, Tensor):
        return obj.type()
    cls = type(obj)
    return f"{cls.__module__}.{cls.__qualname__}" if cls.__module__ != "builtins" else cls.__qualname__
