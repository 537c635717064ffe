"""numpy vs torch and the old Variable API (reference/numpy-variable-activations.txt), tensor parts."""
import numpy as np

import dpt
from dpt.autograd import Variable
from tests.helpers import assert_close


def test_numpy_bridge():
    np_data = np.arange(6).reshape((2, 3))
    torch_data = dpt.from_numpy(np_data)
    tensor2array = torch_data.numpy()
    assert torch_data.tolist() == [[0, 1, 2], [3, 4, 5]]
    assert tensor2array is np_data or np.shares_memory(tensor2array, np_data)
    np_data[0, 0] = 9  # from_numpy shares memory
    assert torch_data[0, 0].item() == 9


def test_math_ops_match_numpy():
    data = [-1, -2, 1, 2]
    tensor = dpt.FloatTensor(data)
    assert tensor.dtype == dpt.float32
    assert dpt.abs(tensor).tolist() == np.abs(data).astype(float).tolist()
    assert_close(dpt.sin(tensor), [-0.84147098, -0.90929743, 0.84147098, 0.90929743], rtol=1e-6)
    assert dpt.mean(tensor).item() == np.mean(data) == 0.0


def test_variable_computation_and_gradient():
    tensor = dpt.FloatTensor([[1, 2], [3, 4]])
    variable = Variable(tensor, requires_grad=True)
    t_out = dpt.mean(tensor * tensor)
    v_out = dpt.mean(variable * variable)
    assert t_out.item() == 7.5 and v_out.item() == 7.5
    assert not t_out.requires_grad and v_out.requires_grad
    v_out.backward()
    # d(mean(v^2))/dv = v / 2
    assert variable.grad.tolist() == [[0.5, 1.0], [1.5, 2.0]]
    assert variable.data.tolist() == [[1.0, 2.0], [3.0, 4.0]]
    assert variable.data.numpy().tolist() == [[1.0, 2.0], [3.0, 4.0]]


def test_activation_data_through_data_numpy():
    x = Variable(dpt.linspace(-5, 5, 200))
    x_np = x.data.numpy()
    assert x_np.shape == (200,)
    assert_close(dpt.relu(x).data.numpy(), np.maximum(x_np, 0))
    assert_close(dpt.sigmoid(x).data.numpy(), 1 / (1 + np.exp(-x_np)), rtol=1e-5)
    assert_close(dpt.tanh(x).data.numpy(), np.tanh(x_np), rtol=1e-5, atol=1e-6)
