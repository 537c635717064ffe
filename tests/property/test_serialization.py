"""dpt.save / dpt.load round-trip random nested data exactly; a failed save changes nothing."""
import io
import math
import os
import tempfile

import ml_dtypes
import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

import dpt
from dpt._device import to_numpy

DTYPES = ["bool", "uint8", "int8", "int16", "int32", "int64", "float16", "bfloat16",
          "float32", "float64", "complex64", "complex128"]


@st.composite
def tensors(draw):
    name = draw(st.sampled_from(DTYPES))
    shape = draw(hnp.array_shapes(min_dims=0, max_dims=3, min_side=0, max_side=3))
    store = np.float32 if name == "bfloat16" else np.dtype(name)
    arr = draw(hnp.arrays(store, shape))
    if name == "bfloat16":
        arr = arr.astype(ml_dtypes.bfloat16)
    t = dpt.tensor(arr)
    assert t.dtype is getattr(dpt, name)
    if t.dtype.category >= 2 and draw(st.booleans()):
        t.requires_grad_(True)
    return t


leaves = st.one_of(tensors(), st.none(), st.booleans(), st.integers(-2**63, 2**63 - 1),
                   st.floats(allow_nan=True, allow_infinity=True), st.text(max_size=8),
                   st.complex_numbers(allow_nan=False), st.binary(max_size=8))
keys = st.one_of(st.text(max_size=5), st.integers(-5, 5))
nested = st.recursive(leaves, lambda kids: st.one_of(
    st.lists(kids, max_size=3), st.tuples(kids, kids),
    st.dictionaries(keys, kids, max_size=3)), max_leaves=8)


def assert_same(a, b):
    assert type(a) is type(b), (type(a), type(b))
    if isinstance(a, dpt.Tensor):
        assert a.dtype is b.dtype and tuple(a.shape) == tuple(b.shape)
        assert a.requires_grad == b.requires_grad
        assert to_numpy(a.detach()._data).tobytes() == to_numpy(b.detach()._data).tobytes()
    elif isinstance(a, (list, tuple)):
        assert len(a) == len(b)
        for x, y in zip(a, b):
            assert_same(x, y)
    elif isinstance(a, dict):
        assert list(a) == list(b)  # keys and their order
        for k in a:
            assert_same(a[k], b[k])
    elif isinstance(a, float) and math.isnan(a):
        assert math.isnan(b)
    else:
        assert a == b


def _roundtrip(obj):
    buf = io.BytesIO()
    dpt.save(obj, buf)
    buf.seek(0)
    return dpt.load(buf)


@settings(max_examples=50)
@given(obj=nested)
def test_nested_roundtrip_is_exact(obj):
    assert_same(obj, _roundtrip(obj))


@settings(max_examples=30)
@given(t=tensors())
def test_shared_tensor_loads_as_one_object(t):
    out = _roundtrip({"a": t, "b": [t]})
    assert out["a"] is out["b"][0]
    assert_same(t, out["a"])


class _Explodes:
    """Pickling this fails, after every tensor before it has been written."""

    def __reduce__(self):
        raise RuntimeError("boom while saving")


@settings(max_examples=20)
@given(first=nested, second=nested)
def test_failed_save_to_a_path_leaves_the_old_file(first, second):
    with tempfile.TemporaryDirectory() as d:
        path = os.path.join(d, "ckpt.pt")
        dpt.save(first, path)
        with pytest.raises(RuntimeError, match="boom while saving"):
            dpt.save([second, _Explodes()], path)
        assert os.listdir(d) == ["ckpt.pt"], "no temporary file may be left behind"
        assert_same(first, dpt.load(path))
