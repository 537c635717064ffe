"""Test helpers: numpy references, float64 gradchecks, non-contiguous inputs.

Every op test uses these so that forward values are compared against numpy and
backward against finite differences the same way everywhere.
"""
from __future__ import annotations

import numpy as np

import dpt
from dpt._device import to_numpy


def randn(*shape, seed=0, dtype=np.float64):
    return np.random.default_rng(seed).standard_normal(shape).astype(dtype)


def leaf(arr, requires_grad=True, device="cpu"):
    """A float64 leaf tensor holding a copy of arr."""
    return dpt.tensor(np.asarray(arr), dtype=dpt.float64 if np.asarray(arr).dtype.kind == "f" else None,
                      device=device, requires_grad=requires_grad)


def noncontiguous(t):
    """The same values as t, backed by a non-contiguous view (a leaf if t was)."""
    arr = to_numpy(t._data)
    if arr.ndim == 0:
        return t
    big = np.repeat(arr[..., None], 2, axis=-1)  # interleave: every other element is ours
    view = big[..., 0]
    assert not view.flags.c_contiguous or view.size <= 1
    out = dpt.from_numpy(view).to(t.device)
    if t.requires_grad:
        out.requires_grad_(True)
    return out


def assert_close(actual, expected, rtol=1e-6, atol=1e-6, check_dtype=None):
    """Compare a tensor (or anything array-like) with a numpy reference."""
    if isinstance(actual, dpt.Tensor):
        if check_dtype is not None:
            assert actual.dtype == check_dtype, f"dtype {actual.dtype} != {check_dtype}"
        actual = to_numpy(actual.detach()._data)
    expected = np.asarray(expected)
    assert np.shape(actual) == expected.shape, f"shape {np.shape(actual)} != {expected.shape}"
    np.testing.assert_allclose(np.asarray(actual, dtype=np.result_type(actual, np.float64)
                                          if np.asarray(actual).dtype.kind != "c" else None),
                               expected, rtol=rtol, atol=atol, equal_nan=True)


def check_gradients(fn, *arrays, gradgrad=False, atol=1e-5, rtol=1e-3, device="cpu"):
    """gradcheck (and optionally gradgradcheck) of fn over float64 leaves made from arrays."""
    inputs = [leaf(a, device=device) for a in arrays]
    assert dpt.autograd.gradcheck(fn, inputs, atol=atol, rtol=rtol)
    if gradgrad:
        assert dpt.autograd.gradgradcheck(fn, inputs, atol=atol, rtol=rtol)


def check_op(dpt_fn, np_fn, *arrays, grad=True, gradgrad=False, noncontig=True, rtol=1e-6,
             atol=1e-6, device="cpu"):
    """Forward against numpy (contiguous and non-contiguous inputs) and backward gradcheck."""
    inputs = [leaf(a, requires_grad=False, device=device) for a in arrays]
    assert_close(dpt_fn(*inputs), np_fn(*arrays), rtol=rtol, atol=atol)
    if noncontig:
        nc = [noncontiguous(t) for t in inputs]
        assert_close(dpt_fn(*nc), np_fn(*arrays), rtol=rtol, atol=atol)
    if grad:
        check_gradients(dpt_fn, *arrays, gradgrad=gradgrad, device=device)
