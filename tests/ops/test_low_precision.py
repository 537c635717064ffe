"""Products keep a low-precision dtype: numpy computes bfloat16 matmuls in float32, torch
returns bfloat16 (float16 stays float16 in both)."""
import numpy as np
import pytest

import dpt
import dpt.nn.functional as F


@pytest.mark.parametrize("dt", [dpt.bfloat16, dpt.float16])
def test_products_keep_the_inputs_dtype(dt):
    x = dpt.arange(6.0).reshape(2, 3).to(dt)
    results = {
        "matmul": x @ x.T, "mm": dpt.mm(x, x.T), "bmm": dpt.bmm(x[None], x.T[None]),
        "mv": dpt.mv(x, x[0]), "dot": dpt.dot(x[0], x[0]), "addmm": dpt.addmm(x[:, :2], x, x.T),
        "baddbmm": dpt.baddbmm(x[None, :, :2], x[None], x.T[None]),
        "addbmm": dpt.addbmm(x[:, :2], x[None], x.T[None]), "addmv": dpt.addmv(x[0, :2], x, x[0]),
        "linear": F.linear(x, x, x[0, :2]),
        "conv2d": F.conv2d(dpt.ones(1, 2, 5, 5, dtype=dt), dpt.ones(4, 2, 3, 3, dtype=dt)),
        "conv2d_groups": F.conv2d(dpt.ones(1, 2, 5, 5, dtype=dt), dpt.ones(2, 1, 3, 3, dtype=dt),
                                  groups=2),
        "conv_transpose2d": F.conv_transpose2d(dpt.ones(1, 2, 3, 3, dtype=dt),
                                               dpt.ones(2, 1, 3, 3, dtype=dt)),
    }
    for name, out in results.items():
        assert out.dtype == dt, name
    np.testing.assert_allclose((x @ x.T).float().numpy(), [[5, 14], [14, 50]])


def test_weight_gradients_keep_the_parameters_dtype():
    w = dpt.ones(3, 2, 3, 3, dtype=dpt.bfloat16, requires_grad=True)
    lin = dpt.ones(4, 6, dtype=dpt.bfloat16, requires_grad=True)
    F.conv2d(dpt.ones(2, 2, 9, 9, dtype=dpt.bfloat16), w).sum().backward()
    F.linear(dpt.ones(5, 6, dtype=dpt.bfloat16), lin).sum().backward()
    assert w.grad.dtype == lin.grad.dtype == dpt.bfloat16
    assert float(w.grad.float()[0, 0, 0, 0]) == 2 * 7 * 7
