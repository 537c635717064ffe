"""repr(tensor) against the exact strings torch prints."""
import math

import pytest

import dpt


@pytest.fixture(autouse=True)
def _default_print_options():
    dpt.set_printoptions(profile="default")
    yield
    dpt.set_printoptions(profile="default")


def r(t):
    return repr(t)


@pytest.mark.parametrize("make, expected", [
    (lambda: dpt.tensor(1.0), "tensor(1.)"),
    (lambda: dpt.tensor(1.5), "tensor(1.5000)"),
    (lambda: dpt.tensor(18), "tensor(18)"),
    (lambda: dpt.tensor(True), "tensor(True)"),
    (lambda: dpt.tensor(-0.25, dtype=dpt.float64), "tensor(-0.2500, dtype=dpt.float64)"),
    (lambda: dpt.tensor([1.0, 2.0]), "tensor([1., 2.])"),
    (lambda: dpt.tensor([6.0, 10.0, 14.0]), "tensor([ 6., 10., 14.])"),
    (lambda: dpt.tensor([100.0, 2.0]), "tensor([100.,   2.])"),
    (lambda: dpt.tensor([0.0, 0.0]), "tensor([0., 0.])"),
    (lambda: dpt.tensor([1, 2]), "tensor([1, 2])"),
    (lambda: dpt.tensor([-1, 20]), "tensor([-1, 20])"),
    (lambda: dpt.tensor([True, False]), "tensor([ True, False])"),
    (lambda: dpt.tensor([0.3607, 0.2429]), "tensor([0.3607, 0.2429])"),
    (lambda: dpt.tensor([0, 1, 2], dtype=dpt.int32), "tensor([0, 1, 2], dtype=dpt.int32)"),
    (lambda: dpt.tensor([1.0, 2.0], dtype=dpt.float64), "tensor([1., 2.], dtype=dpt.float64)"),
    (lambda: dpt.tensor([1.5], dtype=dpt.float16), "tensor([1.5000], dtype=dpt.float16)"),
    (lambda: dpt.tensor([2.0], dtype=dpt.bfloat16), "tensor([2.], dtype=dpt.bfloat16)"),
    (lambda: dpt.tensor([1, 2], dtype=dpt.uint8), "tensor([1, 2], dtype=dpt.uint8)"),
])
def test_basic_layouts(make, expected):
    assert r(make()) == expected


def test_matrices_align_columns_across_rows():
    x = dpt.tensor([[1.3014, 1.0249], [0.8903, -0.4908], [-0.3393, 0.7987]])
    assert r(x) == ("tensor([[ 1.3014,  1.0249],\n"
                    "        [ 0.8903, -0.4908],\n"
                    "        [-0.3393,  0.7987]])")
    y = dpt.tensor([[0.3607, -0.2859, 0.0], [0.0, -1.3833, 0.0]])
    assert r(y) == ("tensor([[ 0.3607, -0.2859,  0.0000],\n"
                    "        [ 0.0000, -1.3833,  0.0000]])")
    i = dpt.tensor([[0, 1, 2], [10, 11, 12]])
    assert r(i) == "tensor([[ 0,  1,  2],\n        [10, 11, 12]])"
    m = dpt.tensor([[True, False, False], [True, False, False]])
    assert r(m) == "tensor([[ True, False, False],\n        [ True, False, False]])"


def test_three_dims_leave_blank_lines():
    x = dpt.tensor([[[0, 9, 3], [7, 1, 4]], [[9, 6, 3], [2, 0, 1]]])
    assert r(x) == ("tensor([[[0, 9, 3],\n"
                    "         [7, 1, 4]],\n"
                    "\n"
                    "        [[9, 6, 3],\n"
                    "         [2, 0, 1]]])")


def test_autograd_suffixes():
    x = dpt.tensor([[1.0, 2.0]], requires_grad=True)
    assert r(x) == "tensor([[1., 2.]], requires_grad=True)"
    assert r(x + 1) == "tensor([[2., 3.]], grad_fn=<AddBackward0>)"
    assert r(x * 2) == "tensor([[2., 4.]], grad_fn=<MulBackward0>)"
    d = dpt.tensor([1.0], dtype=dpt.float64, requires_grad=True)
    assert r(d) == "tensor([1.], dtype=dpt.float64, requires_grad=True)"
    assert r(x.detach()) == "tensor([[1., 2.]])"


def test_empty_tensors():
    assert r(dpt.tensor([])) == "tensor([])"
    assert r(dpt.zeros(0, 3)) == "tensor([], size=(0, 3))"
    assert r(dpt.tensor([], dtype=dpt.int64)) == "tensor([], dtype=dpt.int64)"
    assert r(dpt.zeros(2, 0, dtype=dpt.bool)) == "tensor([], size=(2, 0), dtype=dpt.bool)"


def test_scientific_mode():
    assert r(dpt.tensor([1e-5, 1.0])) == "tensor([1.0000e-05, 1.0000e+00])"
    assert r(dpt.tensor([1e10])) == "tensor([1.0000e+10])"
    assert r(dpt.tensor([0.1, 1000.0])) == "tensor([1.0000e-01, 1.0000e+03])"
    assert r(dpt.tensor([1.0, 10000.0])) == "tensor([1.0000e+00, 1.0000e+04])"
    assert r(dpt.tensor([-1e-5, 1.0])) == "tensor([-1.0000e-05,  1.0000e+00])"


def test_nonfinite_values():
    assert r(dpt.tensor([math.nan, 1.0])) == "tensor([nan, 1.])"
    assert r(dpt.tensor([math.inf, -1.5])) == "tensor([    inf, -1.5000])"
    assert r(dpt.tensor([math.inf, -math.inf])) == "tensor([inf, -inf])"


def test_complex():
    assert r(dpt.tensor([1 + 2j, 3 - 4j])) == "tensor([1.+2.j, 3.-4.j])"
    assert r(dpt.tensor([1.5 + 2j])) == "tensor([1.5000+2.j])"
    assert r(dpt.tensor(1 + 1j, dtype=dpt.complex128)) == "tensor(1.+1.j, dtype=dpt.complex128)"


def test_long_rows_wrap_at_linewidth():
    assert r(dpt.arange(30)) == (
        "tensor([ 0,  1,  2,  3,  4,  5,  6,  7,  8,  9, 10, 11, 12, 13, 14, 15, 16, 17,\n"
        "        18, 19, 20, 21, 22, 23, 24, 25, 26, 27, 28, 29])")
    # a suffix that does not fit on the last line goes to its own line
    s = r(dpt.arange(54, dtype=dpt.uint8))
    assert s.endswith("53],\n       dtype=dpt.uint8)")
    assert r(dpt.arange(56, dtype=dpt.uint8)).endswith("54, 55], dtype=dpt.uint8)")


def test_summarisation_beyond_threshold():
    assert r(dpt.arange(2000)) == "tensor([   0,    1,    2,  ..., 1997, 1998, 1999])"
    assert r(dpt.zeros(100, 100)) == (
        "tensor([[0., 0., 0.,  ..., 0., 0., 0.],\n"
        "        [0., 0., 0.,  ..., 0., 0., 0.],\n"
        "        [0., 0., 0.,  ..., 0., 0., 0.],\n"
        "        ...,\n"
        "        [0., 0., 0.,  ..., 0., 0., 0.],\n"
        "        [0., 0., 0.,  ..., 0., 0., 0.],\n"
        "        [0., 0., 0.,  ..., 0., 0., 0.]])")
    assert r(dpt.arange(1000)).count("...") == 0  # exactly at the threshold: everything


def test_set_printoptions():
    x = dpt.tensor([1.23456, 2.0])
    dpt.set_printoptions(precision=2)
    assert r(x) == "tensor([1.23, 2.00])"
    dpt.set_printoptions(sci_mode=True)  # precision stays, sci forced
    assert r(x) == "tensor([1.23e+00, 2.00e+00])"
    dpt.set_printoptions(profile="default")
    dpt.set_printoptions(sci_mode=False)
    # the forced mode also sets the width (torch 2.x: checked in tests/compat)
    assert r(dpt.tensor([1e-5, 1.0])) == "tensor([0.0000, 1.0000])"
    dpt.set_printoptions(threshold=5)
    assert r(dpt.arange(10)) == "tensor([0, 1, 2,  ..., 7, 8, 9])"
    dpt.set_printoptions(threshold=5, edgeitems=1)
    assert r(dpt.arange(10)) == "tensor([0,  ..., 9])"
    dpt.set_printoptions(profile="default")
    dpt.set_printoptions(linewidth=20)
    assert r(dpt.arange(8)) == "tensor([0, 1, 2, 3,\n        4, 5, 6, 7])"
    dpt.set_printoptions(profile="full")
    assert "..." not in r(dpt.arange(2000))
    with pytest.raises(ValueError):
        dpt.set_printoptions(profile="nope")


def test_print_uses_repr_and_format(capsys):
    print(dpt.tensor([1, 2]))
    assert capsys.readouterr().out == "tensor([1, 2])\n"
    assert f"{dpt.tensor(2.5):.1f}" == "2.5"
    assert str(dpt.ones(1)) == "tensor([1.])"
