"""torch.backends.openmp: whether numpy's BLAS runs an OpenMP thread pool."""


def is_available() -> bool:
    try:
        from threadpoolctl import threadpool_info
    except ImportError:
        return False
    return any(p.get("user_api") == "openmp" or p.get("threading_layer") == "openmp"
               for p in threadpool_info())
