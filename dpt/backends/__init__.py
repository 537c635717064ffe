"""dpt.backends: what the array libraries behind dpt provide (torch.backends).

cudnn, mkldnn and mps do not exist here (convolutions are written with strided windows and
BLAS, on CPU or GPU arrays), and CuPy exposes none of torch's cuBLAS/attention switches
(backends.cuda); their flags are accepted so scripts that set them keep running.
"""
from . import cuda, cudnn, mkl, mkldnn, mps, openmp  # noqa: F401
