"""default_collate / default_convert."""
import collections

import numpy as np
import pytest

import dpt
from dpt.utils.data import default_collate, default_convert

pytestmark = pytest.mark.timeout(30)

Point = collections.namedtuple("Point", ["x", "y"])


def test_tensors_are_stacked():
    out = default_collate([dpt.tensor([1.0, 2.0]), dpt.tensor([3.0, 4.0])])
    assert out.shape == (2, 2) and out.dtype == dpt.float32
    assert out.tolist() == [[1.0, 2.0], [3.0, 4.0]]


def test_tensor_size_mismatch():
    with pytest.raises(RuntimeError, match=r"stack expects each tensor to be equal size, but got "
                                           r"\[2\] at entry 0 and \[3\] at entry 1"):
        default_collate([dpt.zeros(2), dpt.zeros(3)])


def test_numbers_get_torch_dtypes():
    f = default_collate([1.5, 2.5])
    assert f.dtype == dpt.float64 and f.tolist() == [1.5, 2.5]
    i = default_collate([1, 2, 3])
    assert i.dtype == dpt.int64 and i.tolist() == [1, 2, 3]
    b = default_collate([True, False])
    assert b.dtype == dpt.bool and b.tolist() == [True, False]


def test_numpy_arrays_and_scalars():
    out = default_collate([np.zeros((2, 3), np.float32), np.ones((2, 3), np.float32)])
    assert isinstance(out, dpt.Tensor) and out.shape == (2, 2, 3) and out.dtype == dpt.float32
    s = default_collate([np.float64(1.0), np.float64(2.0)])
    assert s.dtype == dpt.float64 and s.tolist() == [1.0, 2.0]
    s = default_collate([np.int32(1), np.int32(2)])
    assert s.dtype == dpt.int32
    with pytest.raises(TypeError, match="default_collate: batch must contain tensors, numpy "
                                        "arrays, numbers, dicts or lists; found <U1"):
        default_collate([np.array(["a"]), np.array(["b"])])


def test_strings_stay_lists():
    assert default_collate(["a", "b"]) == ["a", "b"]
    assert default_collate([b"a", b"b"]) == [b"a", b"b"]


def test_dicts_tuples_namedtuples_lists():
    batch = [{"x": dpt.tensor([1, 2]), "name": "a", "w": 0.5},
             {"x": dpt.tensor([3, 4]), "name": "b", "w": 1.5}]
    out = default_collate(batch)
    assert out["x"].tolist() == [[1, 2], [3, 4]] and out["name"] == ["a", "b"]
    assert out["w"].dtype == dpt.float64
    od = default_collate([collections.OrderedDict(a=1), collections.OrderedDict(a=2)])
    assert isinstance(od, collections.OrderedDict) and od["a"].tolist() == [1, 2]
    # tuples are transposed into a list, as in torch
    t = default_collate([(1, "a"), (2, "b")])
    assert isinstance(t, list) and t[0].tolist() == [1, 2] and t[1] == ["a", "b"]
    p = default_collate([Point(1, 2.0), Point(3, 4.0)])
    assert isinstance(p, Point) and p.x.tolist() == [1, 3] and p.y.dtype == dpt.float64
    lst = default_collate([[1, 2], [3, 4], [5, 6]])
    assert isinstance(lst, list) and [v.tolist() for v in lst] == [[1, 3, 5], [2, 4, 6]]


def test_sequence_length_mismatch():
    with pytest.raises(RuntimeError, match="each element in list of batch should be of equal size"):
        default_collate([[1, 2], [3]])


def test_unknown_type():
    with pytest.raises(TypeError, match="default_collate: batch must contain tensors"):
        default_collate([object(), object()])


def test_default_convert():
    arr = np.arange(3)
    out = default_convert(arr)
    assert isinstance(out, dpt.Tensor) and out.dtype == dpt.int64
    assert np.shares_memory(out.numpy(), arr)  # as_tensor: no copy
    assert default_convert(5) == 5 and default_convert("s") == "s"
    strs = np.array(["a"])
    assert default_convert(strs) is strs
    d = default_convert({"a": np.float32(1), "b": [np.zeros(2)]})
    assert d["a"].dtype == dpt.float32 and d["a"].ndim == 0
    assert isinstance(d["b"], list) and isinstance(d["b"][0], dpt.Tensor)
    t = default_convert((np.zeros(1), 2))
    assert isinstance(t, list) and isinstance(t[0], dpt.Tensor) and t[1] == 2
    p = default_convert(Point(np.ones(1), 1))
    assert isinstance(p, Point) and isinstance(p.x, dpt.Tensor)
