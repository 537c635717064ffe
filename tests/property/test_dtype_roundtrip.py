"""numpy -> dpt -> numpy keeps values and dtype for every dtype dpt supports."""
import ml_dtypes
import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

import dpt

NP_DTYPES = [np.bool_, np.uint8, np.int8, np.int16, np.int32, np.int64, np.float16,
             np.float32, np.float64, np.complex64, np.complex128]


@st.composite
def arrays(draw):
    dt = draw(st.sampled_from(NP_DTYPES + [ml_dtypes.bfloat16]))
    shape = draw(hnp.array_shapes(min_dims=0, max_dims=3, min_side=0, max_side=4))
    if dt is ml_dtypes.bfloat16:
        return draw(hnp.arrays(np.float32, shape)).astype(dt)
    arr = draw(hnp.arrays(np.dtype(dt), shape))
    if arr.ndim and draw(st.booleans()):
        arr = arr[..., ::2]  # non-contiguous
    return arr


def _same(a, b):
    assert a.dtype == b.dtype and a.shape == b.shape
    assert np.ascontiguousarray(a).tobytes() == np.ascontiguousarray(b).tobytes()


@settings(max_examples=60)
@given(arr=arrays())
def test_tensor_numpy_roundtrip(arr):
    t = dpt.tensor(arr)
    assert t.dtype.np == arr.dtype and tuple(t.shape) == arr.shape
    out = t.numpy()
    _same(out, arr)
    assert not np.shares_memory(out, arr) or arr.size == 0, "dpt.tensor copies"


@settings(max_examples=40)
@given(arr=arrays())
def test_from_numpy_shares_memory(arr):
    t = dpt.from_numpy(arr)
    _same(t.numpy(), arr)
    if arr.size:
        assert np.shares_memory(t.numpy(), arr)


@settings(max_examples=40)
@given(arr=arrays().filter(lambda a: a.dtype != ml_dtypes.bfloat16))
def test_tolist_roundtrip(arr):
    t = dpt.tensor(arr)
    assert t.tolist() == arr.tolist() or np.isnan(arr).any()
    if arr.size:  # nested empty lists do not remember their shape
        _same(dpt.tensor(t.tolist(), dtype=t.dtype).numpy(), arr)


@settings(max_examples=30)
@given(arr=arrays(), target=st.sampled_from(["float64", "complex128", "int64"]))
def test_to_dtype_matches_numpy_astype(arr, target):
    if target == "int64" and arr.dtype.kind in "fcV":
        arr = np.nan_to_num(arr.astype(np.float64).real if arr.dtype.kind == "c"
                            else arr.astype(np.float64), posinf=0, neginf=0).clip(-1e6, 1e6)
    got = dpt.tensor(arr).to(getattr(dpt, target)).numpy()
    expected = arr.astype(np.float32).astype(target) if arr.dtype == ml_dtypes.bfloat16 \
        else arr.astype(target)
    if target == "int64" and arr.dtype.kind == "c":
        expected = arr.real.astype(target)
    _same(got, expected)
