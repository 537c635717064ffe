"""torch.backends.mkl: whether numpy's BLAS is Intel MKL."""


def is_available() -> bool:
    try:
        from threadpoolctl import threadpool_info
    except ImportError:
        return False
    return any(p.get("internal_api") == "mkl" for p in threadpool_info())
