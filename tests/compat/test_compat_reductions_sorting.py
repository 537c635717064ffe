"""Reductions (dim/keepdim/dtype, int inputs) and sorting/topk/unique/searchsorted against torch."""
import numpy as np
import pytest

torch = pytest.importorskip("torch")

from ._common import T, run_both, sample  # noqa: E402

DTYPES = ["bool", "int32", "int64", "float32", "float64"]

# name -> accepts dtype= keyword
REDUCTIONS = {"sum": True, "prod": True, "mean": True, "nansum": True, "nanmean": True,
              "amax": False, "amin": False, "max": False, "min": False, "argmax": False,
              "argmin": False, "all": False, "any": False, "std": False, "var": False,
              "logsumexp": False, "count_nonzero": False, "median": False, "nanmedian": False,
              "norm": False, "cumsum": True, "cumprod": True, "cummax": False, "cummin": False,
              "logcumsumexp": False, "mode": False, "aminmax": False, "std_mean": False,
              "var_mean": False}
CUMULATIVE = {"cumsum", "cumprod", "cummax", "cummin", "logcumsumexp"}
DIM_ONLY_INT = {"median", "nanmedian", "mode", "argmax", "argmin", "max", "min"} | CUMULATIVE


def _call(m, op, x, dim, keepdim, dtype=None):
    f = getattr(m, op)
    kw = {}
    if dtype is not None:
        kw["dtype"] = getattr(m, dtype)
    if op in CUMULATIVE:
        return f(x, dim if dim is not None else 0, **kw)
    if dim is None:
        if op in ("amax", "amin", "count_nonzero", "logsumexp"):
            return f(x, **kw) if op != "logsumexp" else f(x, dim=(0, 1))
        if op == "aminmax":
            return f(x)
        return f(x, **kw)
    if op == "count_nonzero":
        return f(x, dim=dim)
    return f(x, dim=dim, keepdim=keepdim, **kw) if op != "aminmax" else f(x, dim=dim, keepdim=keepdim)


# (dim, keepdim): keepdim only matters with a dim; tuple dims only for ops that take them
DIMS = [(None, False), (0, False), (0, True), (-1, False), (-1, True), ((0, 2), False), ((0, 2), True)]


@pytest.mark.parametrize("dim,keepdim", DIMS, ids=repr)
@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("op", sorted(REDUCTIONS))
def test_reduction(op, dtype, dim, keepdim):
    if isinstance(dim, tuple) and op in DIM_ONLY_INT:
        dim = dim[1]  # the op takes one int dim: use the last of the pair
    x = sample((2, 3, 4), dtype, seed=11)
    if dtype.startswith("float"):
        x[0, 0, 0] = x[0, 0, 1]  # a tie: first index wins in argmax/argmin/max/min
    run_both(lambda m: _call(m, op, T(m, x, dtype), dim, keepdim))


@pytest.mark.parametrize("out_dtype", ["int64", "float32", "float64"])
@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("op", [k for k, v in REDUCTIONS.items() if v])
def test_reduction_dtype_kwarg(op, dtype, out_dtype):
    x = sample((2, 3), dtype, seed=12)
    run_both(lambda m: (_call(m, op, T(m, x, dtype), None, False, out_dtype),
                        _call(m, op, T(m, x, dtype), 1, True, out_dtype)))


@pytest.mark.parametrize("op", ["sum", "mean", "prod", "amax", "max", "std", "var", "logsumexp",
                                "norm", "cumsum", "cumprod", "median", "min", "nansum", "cummax"])
def test_reduction_backward(op):
    x = sample((2, 3), "float64", seed=13, positive=True)
    x[0, 0] = x[0, 1]  # ties: torch spreads amax's gradient evenly, max(dim)'s to the index

    def prog(m):
        a = T(m, x, "float64", requires_grad=True)
        outs = [_call(m, op, a, 1, False)]
        if op not in CUMULATIVE:
            outs.append(_call(m, op, a, None, False))
        tot = 0
        for o in outs:
            o = o[0] if isinstance(o, tuple) else o
            tot = tot + (o * o).sum()
        tot.backward()
        return outs, a.grad
    run_both(prog)


def test_reduction_edge_cases():
    run_both(lambda m: (m.zeros(0).sum(), m.zeros(0, dtype=m.int32).sum(), m.zeros(0).prod(),
                        m.zeros(0).mean(), m.zeros(2, 0).sum(1), m.zeros(2, 0).amax(0),
                        m.tensor(3.0).sum(0), m.tensor(3.0).mean(-1, keepdim=True), m.ones(2, 3).std(1, correction=0),
                        m.ones(2, 3).var(unbiased=False), m.tensor([True, True]).sum(), m.tensor([1, 2], dtype=m.int32).sum(),
                        m.tensor([1, 2], dtype=m.int8).prod(), m.tensor([1.0, 2.0]).std(0, correction=2)))


@pytest.mark.parametrize("prog", [
    lambda m: m.zeros(0).amax(),
    lambda m: m.zeros(2, 0).max(1),
    lambda m: m.zeros(0).argmax(),
    lambda m: m.ones(2, 3).sum(2),
    lambda m: m.ones(2, 3).sum((0, 0)),
    lambda m: m.tensor([1, 2]).mean(),
    lambda m: m.tensor([1, 2]).std(),
    lambda m: m.ones(2).max(dim=5),
], ids=["amax_empty", "max_empty_dim", "argmax_empty", "bad_dim", "dup_dim", "int_mean", "int_std", "max_bad_dim"])
def test_reduction_errors(prog):
    run_both(prog)


# ---- sorting ---------------------------------------------------------------------------------
@pytest.mark.parametrize("dtype", ["bool", "int32", "int64", "float32", "float64"])
def test_sort_argsort_topk_kthvalue(dtype):
    x = sample((3, 5), dtype, seed=14)
    if dtype.startswith("float"):
        x[0, :2] = 1.0  # ties
        x[1, 1] = np.nan

    def prog(m):
        a = T(m, x, dtype)
        r = [m.sort(a, stable=True), m.sort(a, dim=0, descending=True, stable=True),
             m.argsort(a, stable=True), m.argsort(a, dim=0, descending=True, stable=True),
             a.msort() if hasattr(a, "msort") else m.sort(a, dim=0).values]
        if dtype != "bool":
            r.append(m.topk(a, 2).values)
            r.append(m.topk(a, 3, dim=0, largest=False, sorted=True).values)
            r.append(m.kthvalue(a, 2).values)
        return r
    run_both(prog)


def test_topk_indices_unique_values():
    x = np.array([[3.0, 1.0, 4.0, 1.5, 9.0], [2.0, 7.0, 1.0, 8.0, 2.5]])
    run_both(lambda m: (m.topk(T(m, x), 2), m.topk(T(m, x), 2, dim=0, largest=False),
                        m.kthvalue(T(m, x), 3, dim=1, keepdim=True), m.topk(m.tensor([5, 1, 3]), 2)))


def test_sort_backward():
    x = np.array([[3.0, 1.0, 4.0], [2.0, 7.0, 1.5]])

    def prog(m):
        a = T(m, x, requires_grad=True)
        v, i = m.sort(a, 1, descending=True)
        t = m.topk(a, 2, dim=1).values
        ((v * m.arange(3.0)).sum() + (t ** 2).sum()).backward()
        return v, i, t, a.grad
    run_both(prog)


@pytest.mark.parametrize("dtype", ["int64", "float32", "bool"])
def test_unique_variants(dtype):
    x = sample((2, 6), dtype, seed=15, low=0, high=3)

    def prog(m):
        a = T(m, x, dtype)
        return [m.unique(a), m.unique(a, return_inverse=True), m.unique(a, return_counts=True),
                m.unique(a, return_inverse=True, return_counts=True), m.unique(a, dim=1),
                m.unique(a, dim=0, return_inverse=True, return_counts=True),
                m.unique_consecutive(a), m.unique_consecutive(a.flatten(), return_counts=True, return_inverse=True),
                m.unique_consecutive(a, dim=1)]
    run_both(prog)


@pytest.mark.parametrize("dtype", ["int32", "int64", "float32", "float64"])
def test_searchsorted_bucketize(dtype):
    seq = np.array([1, 3, 3, 5, 7])
    vals = np.array([[0, 3, 6], [7, 8, 3]])

    def prog(m):
        s, v = T(m, seq, dtype), T(m, vals, dtype)
        return [m.searchsorted(s, v), m.searchsorted(s, v, right=True), m.searchsorted(s, v, side="right"),
                m.searchsorted(s, v, out_int32=True), m.searchsorted(s, 3), m.searchsorted(s, m.tensor(6)),
                m.searchsorted(m.stack([s, s * 2]), v), m.bucketize(v, s), m.bucketize(v, s, right=True, out_int32=True),
                m.searchsorted(s, v, sorter=m.argsort(s))]
    run_both(prog)


def test_sorting_errors():
    run_both(lambda m: m.topk(m.ones(3), 4))
    run_both(lambda m: m.sort(m.ones(3), dim=1))
    run_both(lambda m: m.searchsorted(m.ones(2, 3), m.ones(3, 2)))
    run_both(lambda m: m.kthvalue(m.ones(3), 4))
