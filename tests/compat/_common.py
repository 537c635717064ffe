"""Run the same small program in torch and in dpt and compare what comes out.

A program is a function of the framework module: ``prog(m)`` with ``m`` either
``torch`` or ``dpt``. ``run_both(prog)`` runs it in both and compares the results
(values, dtypes, shapes, requires_grad, is_leaf, grad_fn presence) or, when torch
raises, checks that dpt raises the same exception type.
"""
import math

import numpy as np
import pytest

torch = pytest.importorskip("torch")

import dpt  # noqa: E402

RTOL = {"float16": 1e-3, "bfloat16": 1e-2, "float32": 1e-5, "float64": 1e-10}
ATOL = {"float16": 1e-3, "bfloat16": 1e-2, "float32": 1e-6, "float64": 1e-12}


def dtype_name(dt):
    return str(dt).split(".")[-1]


def _is_tensor(x):
    return isinstance(x, (torch.Tensor, dpt.Tensor))


def to_numpy(t):
    if isinstance(t, torch.Tensor):
        t = t.detach()
        if t.dtype == torch.bfloat16:
            t = t.float()
        return t.numpy()
    t = t.detach()
    if dtype_name(t.dtype) == "bfloat16":
        t = t.float()
    return np.asarray(t.numpy())


def compare_tensors(t, d, where="out", rtol=None, atol=None, autograd=True):
    assert isinstance(d, dpt.Tensor), f"{where}: dpt gave {type(d).__name__}, torch a Tensor"
    tn, dn = dtype_name(t.dtype), dtype_name(d.dtype)
    assert tn == dn, f"{where}: dtype torch {tn} vs dpt {dn}"
    assert tuple(t.shape) == tuple(d.shape), f"{where}: shape torch {tuple(t.shape)} vs dpt {tuple(d.shape)}"
    if autograd:
        assert t.requires_grad == d.requires_grad, f"{where}: requires_grad torch {t.requires_grad} vs dpt {d.requires_grad}"
        assert t.is_leaf == d.is_leaf, f"{where}: is_leaf torch {t.is_leaf} vs dpt {d.is_leaf}"
        assert (t.grad_fn is None) == (d.grad_fn is None), f"{where}: grad_fn torch {t.grad_fn} vs dpt {d.grad_fn}"
    a, b = to_numpy(t), to_numpy(d)
    if t.dtype.is_floating_point or t.dtype.is_complex:
        r = RTOL.get(tn, 1e-5) if rtol is None else rtol
        at = ATOL.get(tn, 1e-6) if atol is None else atol
        np.testing.assert_allclose(b, a, rtol=r, atol=at, equal_nan=True, err_msg=where)
    else:
        np.testing.assert_array_equal(b, a, err_msg=where)


def compare(t, d, where="out", **kw):
    """Recursively compare a torch result with a dpt result."""
    if _is_tensor(t):
        compare_tensors(t, d, where, **kw)
    elif isinstance(t, torch.dtype):
        assert dtype_name(t) == dtype_name(d), f"{where}: dtype {t} vs {d}"
    elif isinstance(t, torch.Size):
        assert tuple(t) == tuple(d), f"{where}: size {t} vs {d}"
    elif isinstance(t, (tuple, list)):
        assert isinstance(d, (tuple, list)), f"{where}: torch gave a sequence, dpt {type(d).__name__}"
        assert len(t) == len(d), f"{where}: length {len(t)} vs {len(d)}"
        if hasattr(t, "_fields"):
            assert tuple(t._fields) == tuple(getattr(d, "_fields", ())) or _fields_of(d) == tuple(t._fields), \
                f"{where}: fields {t._fields} vs {getattr(d, '_fields', None)}"
        for i, (x, y) in enumerate(zip(t, d)):
            compare(x, y, f"{where}[{i}]", **kw)
    elif isinstance(t, dict):
        assert set(t) == set(d), f"{where}: keys {sorted(t)} vs {sorted(d)}"
        for k in t:
            compare(t[k], d[k], f"{where}[{k!r}]", **kw)
    elif isinstance(t, bool):
        assert isinstance(d, bool) and t == d, f"{where}: {t!r} vs {d!r}"
    elif isinstance(t, float):
        assert isinstance(d, (float, int)) and not isinstance(d, bool), f"{where}: {t!r} vs {d!r}"
        assert (math.isnan(t) and math.isnan(d)) or math.isclose(t, d, rel_tol=1e-6, abs_tol=1e-9), f"{where}: {t!r} vs {d!r}"
    elif isinstance(t, int):
        assert type(d) is int and t == d, f"{where}: {t!r} vs {d!r}"
    else:
        assert t == d, f"{where}: {t!r} vs {d!r}"


def _fields_of(d):
    return tuple(getattr(d, "_fields", ()))


def run(prog, m):
    try:
        return False, prog(m)
    except Exception as e:  # noqa: BLE001
        return True, e


def run_both(prog, *, phrases=(), **kw):
    """Run ``prog`` in torch and dpt; compare results or exception types."""
    t_err, t_out = run(prog, torch)
    d_err, d_out = run(prog, dpt)
    if t_err:
        if isinstance(t_out, NotImplementedError) and "not implemented for" in str(t_out):
            # torch lacks a kernel for this dtype (e.g. "abs_cpu" for Bool): a gap in torch's
            # kernel coverage, not an API contract. dpt may compute it or raise.
            return t_out, d_out
        if not d_err:
            pytest.fail(f"torch raised {type(t_out).__name__}: {t_out}; dpt returned {d_out!r}")
        # torch.linalg.LinAlgError's class is named _LinAlgError
        assert type(d_out).__name__ == type(t_out).__name__.lstrip("_") or isinstance(d_out, type(t_out)), \
            f"torch raised {type(t_out).__name__}({t_out}); dpt raised {type(d_out).__name__}({d_out})"
        for p in phrases:
            assert p.lower() in str(d_out).lower(), f"dpt message {d_out!s} lacks {p!r} (torch: {t_out})"
        return t_out, d_out
    if d_err:
        raise AssertionError(f"torch returned, dpt raised {type(d_out).__name__}: {d_out}") from d_out
    compare(t_out, d_out, **kw)
    return t_out, d_out


def T(m, a, dtype=None, requires_grad=False):
    """``m.tensor`` of a numpy array (or nested list) with an optional dtype name."""
    if isinstance(a, np.ndarray):
        a = a.tolist() if a.ndim else a.item()
    kwargs = {}
    if dtype is not None:
        kwargs["dtype"] = getattr(m, dtype)
    return m.tensor(a, requires_grad=requires_grad, **kwargs)


def sample(shape, dtype, seed=0, low=-3, high=3, positive=False):
    rng = np.random.default_rng(seed)
    if dtype == "bool":
        return rng.random(shape) > 0.5
    if dtype.startswith("int") or dtype == "uint8":
        lo = 1 if positive else low
        return rng.integers(lo, high + 1, size=shape)
    x = rng.uniform(low, high, size=shape)
    if positive:
        x = np.abs(x) + 0.5
    return x
