"""F.pad and the padding layers against numpy.pad; gradchecks, reprs and errors."""
import numpy as np
import pytest

import dpt
import dpt.nn as nn
import dpt.nn.functional as F
from tests.helpers import assert_close, check_gradients, leaf, randn

NP_MODE = {"reflect": "reflect", "replicate": "edge", "circular": "wrap"}


def np_pads(pad, ndim):
    pairs = [(0, 0)] * ndim
    for i in range(len(pad) // 2):
        pairs[ndim - 1 - i] = (pad[2 * i], pad[2 * i + 1])
    return pairs


@pytest.mark.parametrize("pad", [(1, 2), (0, 1, 2, 0), (1, 1, 0, 2, 1, 0), (1, 0, 1, 0, 1, 0, 1, 1)])
def test_constant_pad(pad):
    x = randn(2, 3, 4, 3)
    y = F.pad(leaf(x, False), pad, value=1.5)
    assert_close(y, np.pad(x, np_pads(pad, 4), constant_values=1.5))
    check_gradients(lambda a: F.pad(a, pad), x[:1, :2], gradgrad=True)


def test_constant_negative_pad_crops():
    x = randn(2, 5, 6)
    y = F.pad(leaf(x, False), (-1, 2, 1, -2))
    assert_close(y, np.pad(x, [(0, 0), (1, 0), (0, 2)])[:, :-2, 1:])
    check_gradients(lambda a: F.pad(a, (-1, 2, 1, -2)), x)


@pytest.mark.parametrize("mode", ["reflect", "replicate", "circular"])
@pytest.mark.parametrize("shape,pad", [((2, 5), (2, 1)), ((1, 2, 5), (1, 3)),
                                       ((2, 4, 5), (1, 2, 3, 1)), ((1, 2, 4, 5), (2, 0, 1, 3)),
                                       ((1, 1, 3, 4, 4), (1, 1, 2, 0, 1, 2))])
def test_nonconstant_pad(mode, shape, pad):
    x = randn(*shape)
    y = F.pad(leaf(x, False), pad, mode=mode)
    assert_close(y, np.pad(x, np_pads(pad, x.ndim), mode=NP_MODE[mode]))
    check_gradients(lambda a: F.pad(a, pad, mode=mode), x)


def test_circular_negative_pad():
    x = np.arange(6.0).reshape(1, 1, 6)
    assert F.pad(leaf(x, False), (-1, 2), mode="circular").tolist() == \
        [[[1.0, 2.0, 3.0, 4.0, 5.0, 1.0, 2.0]]]
    assert F.pad(leaf(x, False), (2, -1), mode="circular").tolist() == \
        [[[3.0, 4.0, 0.0, 1.0, 2.0, 3.0, 4.0]]]


def test_pad_modules():
    x = leaf(randn(1, 2, 3, 4), False)
    assert_close(nn.ZeroPad2d((1, 0, 2, 1))(x), np.pad(x.numpy(), np_pads((1, 0, 2, 1), 4)))
    assert_close(nn.ConstantPad1d(2, -1.0)(x), np.pad(x.numpy(), np_pads((2, 2), 4),
                                                      constant_values=-1.0))
    assert_close(nn.ReflectionPad2d(1)(x), np.pad(x.numpy(), np_pads((1,) * 4, 4), "reflect"))
    assert_close(nn.ReplicationPad1d((0, 3))(x[0]), np.pad(x.numpy()[0], np_pads((0, 3), 3),
                                                           "edge"))
    assert_close(nn.CircularPad2d(1)(x), np.pad(x.numpy(), np_pads((1,) * 4, 4), "wrap"))
    assert nn.ReplicationPad3d(1)(leaf(randn(1, 1, 2, 2, 2), False)).shape == (1, 1, 4, 4, 4)
    assert nn.ZeroPad3d(1)(leaf(randn(1, 2, 2, 2), False)).shape == (1, 4, 4, 4)


def test_pad_reprs():
    assert repr(nn.ZeroPad2d(1)) == "ZeroPad2d((1, 1, 1, 1))"
    assert repr(nn.ConstantPad1d((1, 2), 3.5)) == "ConstantPad1d(padding=(1, 2), value=3.5)"
    assert repr(nn.ReflectionPad2d((1, 0, 2, 3))) == "ReflectionPad2d((1, 0, 2, 3))"
    assert repr(nn.ReplicationPad3d(1)) == "ReplicationPad3d((1, 1, 1, 1, 1, 1))"
    assert repr(nn.CircularPad1d(2)) == "CircularPad1d((2, 2))"


def test_pad_errors():
    x = dpt.zeros(1, 2, 3)
    with pytest.raises(RuntimeError, match="Padding length must be divisible by 2"):
        F.pad(x, (1, 2, 3))
    with pytest.raises(RuntimeError, match="Padding length should be less than or equal to two"):
        F.pad(x, (1,) * 8)
    with pytest.raises(RuntimeError, match="Padding size should be less than the corresponding"):
        F.pad(x, (3, 0), mode="reflect")
    with pytest.raises(NotImplementedError, match="non-constant padding"):
        F.pad(x, (1, 1, 1, 1, 1, 1), mode="replicate")
    with pytest.raises(RuntimeError, match="negative output size"):
        F.pad(x, (-2, -2))


def test_pad_dtype_and_int():
    x = dpt.tensor([[1, 2, 3]])
    y = F.pad(x, (1, 1), value=7)
    assert y.dtype == dpt.int64 and y.tolist() == [[7, 1, 2, 3, 7]]
