"""Interop: pandas frames to tensors (the d2l house_tiny.csv lab), numpy and DLPack both ways."""
import os

import numpy as np
import pytest

import dpt

pd = pytest.importorskip("pandas")

pytestmark = pytest.mark.timeout(30)


# -- pandas: the d2l "data preprocessing" lab ---------------------------------------------------

@pytest.fixture
def house_tiny(tmp_path):
    data_file = os.path.join(tmp_path, "house_tiny.csv")
    with open(data_file, "w") as f:
        f.write("NumRooms,Alley,Price\n")  # column names
        f.write("NA,Pave,127500\n")  # one sample per row
        f.write("2,NA,106000\n")
        f.write("4,NA,178100\n")
        f.write("NA,NA,140000\n")
    return data_file


def preprocess(data_file):
    data = pd.read_csv(data_file)
    inputs, outputs = data.iloc[:, 0:2], data.iloc[:, 2]
    # the lab's inputs.mean(); pandas >= 2 needs numeric_only for the string column
    inputs = inputs.fillna(inputs.mean(numeric_only=True))
    inputs = pd.get_dummies(inputs, dummy_na=True)
    return inputs, outputs


EXPECTED_X = [[3.0, 1.0, 0.0], [2.0, 0.0, 1.0], [4.0, 0.0, 1.0], [3.0, 0.0, 1.0]]
EXPECTED_Y = [127500, 106000, 178100, 140000]


def test_house_tiny_to_tensors(house_tiny):
    inputs, outputs = preprocess(house_tiny)
    assert list(inputs.columns) == ["NumRooms", "Alley_Pave", "Alley_nan"]
    X, y = dpt.tensor(inputs.to_numpy(dtype=float)), dpt.tensor(outputs.values)
    assert X.dtype == dpt.float64 and X.shape == (4, 3)  # numpy float64 keeps its dtype
    assert X.tolist() == EXPECTED_X
    assert y.dtype == dpt.int64 and y.tolist() == EXPECTED_Y


def test_house_tiny_values(house_tiny):
    inputs, outputs = preprocess(house_tiny)
    # get_dummies makes bool columns, so .values of the mixed frame is an object array,
    # which (as in torch) is no tensor; with one numeric dtype it converts directly
    with pytest.raises(TypeError):
        dpt.tensor(inputs.values)
    X = dpt.tensor(inputs.astype(float).values)
    assert X.tolist() == EXPECTED_X
    dummies = dpt.tensor(inputs[["Alley_Pave", "Alley_nan"]].values)
    assert dummies.dtype == dpt.bool
    assert dummies.tolist() == [[True, False], [False, True], [False, True], [False, True]]


# -- numpy, sharing memory both ways ------------------------------------------------------------------

def test_from_numpy_shares_memory_both_ways():
    arr = np.arange(6, dtype=np.float32).reshape(2, 3)
    t = dpt.from_numpy(arr)
    assert t.dtype == dpt.float32 and t.shape == (2, 3)
    arr[0, 0] = 100.0  # numpy -> tensor
    assert t[0, 0].item() == 100.0
    t[1, 2] = -1.0  # tensor -> numpy
    t.add_(1)
    assert arr[1, 2] == 0.0 and arr[0, 1] == 2.0


def test_numpy_method_shares_memory_both_ways():
    t = dpt.zeros(3, dtype=dpt.int64)
    arr = t.numpy()
    assert arr.dtype == np.int64 and np.shares_memory(arr, t.numpy())
    arr[1] = 7
    assert t.tolist() == [0, 7, 0]
    t.mul_(2)
    assert arr.tolist() == [0, 14, 0]
    with pytest.raises(RuntimeError, match="Use tensor.detach\\(\\).numpy\\(\\) instead"):
        dpt.ones(2, requires_grad=True).numpy()


def test_as_tensor_shares_tensor_copies():
    arr = np.ones(3)
    shared, copied = dpt.as_tensor(arr), dpt.tensor(arr)
    arr[0] = 5.0
    assert shared[0].item() == 5.0 and copied[0].item() == 1.0
    assert shared.dtype == dpt.float64


# -- DLPack ------------------------------------------------------------------------------------

def test_dlpack_numpy_to_dpt():
    arr = np.arange(4, dtype=np.int32)
    t = dpt.from_dlpack(arr)
    assert t.dtype == dpt.int32 and t.tolist() == [0, 1, 2, 3]
    arr[0] = 9
    assert t[0].item() == 9  # zero copy


def test_dlpack_dpt_to_numpy():
    t = dpt.arange(6.0).reshape(2, 3)
    arr = np.from_dlpack(t)
    assert arr.shape == (2, 3) and arr.dtype == np.float32
    t[0, 0] = 42.0
    assert arr[0, 0] == 42.0  # zero copy
    assert t.__dlpack_device__()[0] == 1  # kDLCPU
    back = dpt.from_dlpack(np.from_dlpack(t.t()))  # strided views survive the round trip
    assert back.tolist() == t.t().tolist()
