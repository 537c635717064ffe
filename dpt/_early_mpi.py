"""Start MPI before the rest of dpt loads, where starting it later is known to fail.

Under ``srun --mpi=pmi2`` across nodes (MPICH over UCX, the local Slurm rig), MPI_Init run
after ``import dpt`` has loaded numpy, scipy and dpt's modules aborts: slurmstepd receives a
PMI-2 request holding stray bytes of the process's memory ("request not begin with 'cmd='"),
and UCX's address exchange fails. The same job with MPI started first runs every time. dpt
starts MPI at init_process_group anyway, so doing it at import changes nothing else there.
"""
import os

if os.environ.get("SLURM_MPI_TYPE") == "pmi2" and "PMI_FD" in os.environ:
    try:
        from mpi4py import MPI  # noqa: F401  (importing it runs MPI_Init_thread)
    except ImportError:  # dpt without mpi4py: nothing to start
        pass
