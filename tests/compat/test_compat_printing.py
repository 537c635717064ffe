"""repr/str of tensors against torch, with 'torch.' replaced by 'dpt.'.

grad_fn names are not compared (dpt's can differ, e.g. for fused ops): a "grad_fn=<...>" part
is normalised to "grad_fn=<>" on both sides.
"""
import re

import numpy as np
import pytest

torch = pytest.importorskip("torch")

from ._common import run_both  # noqa: E402

CASES = {
    "float_vec": lambda m: m.tensor([1.0, 2.5, -3.0]),
    "float_ints": lambda m: m.tensor([1.0, 2.0, 3.0]),
    "float_sci_big": lambda m: m.tensor([1e10, 1.0]), "float_sci_small": lambda m: m.tensor([1e-5, 1.0]),
    "float_mixed_mag": lambda m: m.tensor([123456.0, 0.001]), "float_0d": lambda m: m.tensor(3.14159),
    "float_0d_int": lambda m: m.tensor(2.0), "float_neg_zero": lambda m: m.tensor([-0.0, 0.0]),
    "float_nan_inf": lambda m: m.tensor([float("nan"), float("inf"), -float("inf"), 1.5]),
    "float_all_nan": lambda m: m.tensor([float("nan")]), "float64": lambda m: m.tensor([1.0, 2.5], dtype=m.float64),
    "float64_0d": lambda m: m.tensor(1.5, dtype=m.float64), "float16": lambda m: m.tensor([1.0, 2.5], dtype=m.float16),
    "bfloat16": lambda m: m.tensor([1.0, 2.5], dtype=m.bfloat16),
    "int64": lambda m: m.tensor([1, -2, 300]), "int32": lambda m: m.tensor([1, 2], dtype=m.int32),
    "uint8": lambda m: m.tensor([1, 255], dtype=m.uint8), "int8": lambda m: m.tensor([[1, -2]], dtype=m.int8),
    "int_0d": lambda m: m.tensor(7), "bool": lambda m: m.tensor([True, False]), "bool_0d": lambda m: m.tensor(True),
    "empty": lambda m: m.tensor([]), "empty_2d": lambda m: m.zeros(2, 0), "empty_int": lambda m: m.zeros(0, dtype=m.int64),
    "empty_3d": lambda m: m.ones(0, 2, 3, dtype=m.float64),
    "matrix": lambda m: m.arange(12.0).reshape(3, 4) / 7, "tensor3d": lambda m: m.arange(24).reshape(2, 3, 4),
    "tensor4d": lambda m: m.arange(16.0).reshape(2, 2, 2, 2) - 8,
    "large_summarized": lambda m: m.arange(2000.0), "large_int_summarized": lambda m: m.arange(1200),
    "large_2d_summarized": lambda m: m.arange(3000.0).reshape(50, 60), "wide_row": lambda m: m.arange(40.0) * 1.5,
    "requires_grad": lambda m: m.ones(2, requires_grad=True), "grad_fn": lambda m: m.ones(2, requires_grad=True) * 2,
    "grad_fn_0d": lambda m: m.ones(2, requires_grad=True).sum(), "int_big": lambda m: m.tensor([10 ** 12, 1]),
    "complex": lambda m: m.tensor([1 + 2j, -0.5j]), "complex128": lambda m: m.tensor([1 + 2j], dtype=m.complex128),
    "neg_floats": lambda m: m.tensor([[-1.25, 2.0], [3.0, -4.5]]), "tiny": lambda m: m.tensor([1e-20, 0.0]),
    "long_decimals": lambda m: m.tensor([0.123456789, 1.0]), "parameter": lambda m: m.nn.Parameter(m.ones(2)),
    "float64_default_dtype_note": lambda m: m.tensor([1.0], dtype=m.float64) * 3,
    "size": lambda m: m.ones(2, 3).shape, "dtype": lambda m: m.float32, "dtype_int": lambda m: m.int64,
    "view": lambda m: m.arange(6.0).view(2, 3).t(),
}


def _norm(s):
    s = s.replace("torch.", "dpt.").replace("torch", "dpt")
    return re.sub(r"grad_fn=<\w+>", "grad_fn=<>", s)


@pytest.mark.parametrize("fmt", ["repr", "str"])
@pytest.mark.parametrize("name", sorted(CASES))
def test_repr(name, fmt):
    f = repr if fmt == "repr" else str
    run_both(lambda m: _norm(f(CASES[name](m))))


@pytest.mark.parametrize("opts", [dict(precision=2), dict(threshold=5), dict(edgeitems=1, threshold=3),
                                  dict(sci_mode=True), dict(sci_mode=False), dict(linewidth=20)], ids=repr)
def test_set_printoptions(opts):
    def prog(m):
        m.set_printoptions(**opts)
        try:
            return [_norm(repr(t)) for t in (m.arange(10.0) / 3, m.tensor([1e-6, 1e6]), m.arange(8).reshape(2, 4) * 111,
                                             m.tensor([1.0, 2.0, 3000.0]), m.tensor([1.0, -2.0]), m.tensor([1e9, 1.5]),
                                             m.tensor([float("nan"), 1.0, 1e-7]), m.tensor([1 + 1e-5j, 2j]))]
        finally:
            m.set_printoptions(profile="default")
    run_both(prog)


def test_default_dtype_float64_repr():
    def prog(m):
        m.set_default_dtype(m.float64)
        try:
            return [_norm(repr(t)) for t in (m.tensor([1.0, 2.0]), m.tensor([1.0], dtype=m.float32), m.tensor(1.5))]
        finally:
            m.set_default_dtype(m.float32)
    run_both(prog)


MODULE_REPRS = {
    "linear": lambda nn: nn.Linear(3, 2), "linear_nobias": lambda nn: nn.Linear(3, 2, bias=False),
    "conv2d": lambda nn: nn.Conv2d(3, 8, 3, stride=2, padding=1), "conv1d_groups": lambda nn: nn.Conv1d(4, 4, 3, groups=2, bias=False),
    "bn": lambda nn: nn.BatchNorm2d(4), "ln": lambda nn: nn.LayerNorm(5, eps=1e-6), "dropout": lambda nn: nn.Dropout(0.3),
    "relu": lambda nn: nn.ReLU(), "leaky": lambda nn: nn.LeakyReLU(0.2), "maxpool": lambda nn: nn.MaxPool2d(2),
    "embedding": lambda nn: nn.Embedding(10, 3, padding_idx=0), "lstm": lambda nn: nn.LSTM(4, 8, num_layers=2, batch_first=True),
    "sequential": lambda nn: nn.Sequential(nn.Linear(2, 3), nn.Tanh(), nn.Sequential(nn.Linear(3, 1), nn.Sigmoid())),
    "modulelist": lambda nn: nn.ModuleList([nn.Linear(1, 1), nn.ReLU()]),
    "moduledict": lambda nn: nn.ModuleDict({"a": nn.Identity(), "b": nn.Flatten()}),
    "softmax": lambda nn: nn.Softmax(dim=1), "celoss": lambda nn: nn.CrossEntropyLoss(label_smoothing=0.1),
    "gelu": lambda nn: nn.GELU(approximate="tanh"), "avgpool": lambda nn: nn.AdaptiveAvgPool2d((1, 1)),
    "groupnorm": lambda nn: nn.GroupNorm(2, 4), "mha": lambda nn: nn.MultiheadAttention(4, 2),
}


@pytest.mark.parametrize("name", sorted(MODULE_REPRS))
def test_module_repr(name):
    run_both(lambda m: _norm(repr(MODULE_REPRS[name](m.nn))))


def test_parameter_and_grad_repr():
    def prog(m):
        p = m.nn.Parameter(m.tensor([1.0, 2.0]))
        (p * 2).sum().backward()
        return [_norm(repr(p)), _norm(repr(p.grad)), _norm(str(m.nn.Parameter(m.ones(1), requires_grad=False)))]
    run_both(prog)
