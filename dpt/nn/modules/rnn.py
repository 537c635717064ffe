"""RNN, LSTM, GRU and their single-step cells.

The time loop is written with dpt ops, so autograd provides backward: each layer and
direction first projects the inputs of all time steps with one matmul (x W_ih^T + b_ih),
then runs one small matmul plus the gate arithmetic per step. Padded input is handled
as a packed sequence whose batch size is the same at every step.
"""
from __future__ import annotations

import math
import numbers
import warnings

import numpy as np

from ... import ops
from ..._tensor import Tensor
from .. import functional as F
from .. import init
from ..parameter import Parameter
from ..utils.rnn import PackedSequence
from .module import Module

__all__ = ["RNNBase", "RNN", "LSTM", "GRU", "RNNCellBase", "RNNCell", "LSTMCell", "GRUCell"]


# -- one time step ------------------------------------------------------------------------
# xw is the input projection x W_ih^T + b_ih of this step, already computed.
def _rnn_step(xw, h, w_hh, b_hh, relu):
    pre = xw + F.linear(h, w_hh, b_hh)
    return ops.relu(pre) if relu else ops.tanh(pre)


def _lstm_step(xw, h, c, w_hh, b_hh, w_hr):
    gates = xw + F.linear(h, w_hh, b_hh)
    i, f, g, o = gates.chunk(4, 1)
    c = ops.sigmoid(f) * c + ops.sigmoid(i) * ops.tanh(g)
    h = ops.sigmoid(o) * ops.tanh(c)
    if w_hr is not None:
        h = F.linear(h, w_hr)
    return h, c


def _gru_step(xw, h, w_hh, b_hh):
    hh = F.linear(h, w_hh, b_hh)
    x_r, x_z, x_n = xw.chunk(3, 1)
    h_r, h_z, h_n = hh.chunk(3, 1)
    r = ops.sigmoid(x_r + h_r)
    z = ops.sigmoid(x_z + h_z)
    n = ops.tanh(x_n + r * h_n)
    return n + z * (h - n)  # (1 - z) * n + z * h


def _dropout(x: Tensor, p: float) -> Tensor:
    """Dropout between stacked layers: F.dropout, so the masks are torch's draws."""
    return F.dropout(x, p, True)


class RNNBase(Module):
    """RNNBase(mode, input_size, hidden_size, num_layers=1, bias=True, batch_first=False,
    dropout=0.0, bidirectional=False, proj_size=0): the stacked, optionally bidirectional
    recurrent layer behind RNN, LSTM and GRU. Every weight and bias starts as
    U(-1/sqrt(hidden_size), 1/sqrt(hidden_size))."""

    _gates = {"RNN_TANH": 1, "RNN_RELU": 1, "LSTM": 4, "GRU": 3}

    def __init__(self, mode: str, input_size: int, hidden_size: int, num_layers: int = 1,
                 bias: bool = True, batch_first: bool = False, dropout: float = 0.0,
                 bidirectional: bool = False, proj_size: int = 0, device=None,
                 dtype=None) -> None:
        super().__init__()
        if (not isinstance(dropout, numbers.Number) or isinstance(dropout, bool)
                or not 0 <= dropout <= 1):
            raise ValueError("dropout should be a number in range [0, 1] representing the "
                             "probability of an element being zeroed")
        if dropout > 0 and num_layers == 1:
            warnings.warn("dropout option adds dropout after all but last recurrent layer, so "
                          "non-zero dropout expects num_layers greater than 1, but got "
                          f"dropout={dropout} and num_layers={num_layers}", stacklevel=2)
        if not isinstance(bias, bool):
            raise TypeError(f"bias should be of type bool, got: {type(bias).__name__}")
        if not isinstance(batch_first, bool):
            raise TypeError(f"batch_first should be of type bool, got: "
                            f"{type(batch_first).__name__}")
        if not isinstance(input_size, int):
            raise TypeError(f"input_size should be of type int, got: {type(input_size).__name__}")
        if input_size <= 0:
            raise ValueError("input_size must be greater than zero")
        if not isinstance(hidden_size, int):
            raise TypeError(f"hidden_size should be of type int, got: "
                            f"{type(hidden_size).__name__}")
        if hidden_size <= 0:
            raise ValueError("hidden_size must be greater than zero")
        if num_layers <= 0:
            raise ValueError("num_layers must be greater than zero")
        if proj_size < 0:
            raise ValueError("proj_size should be a positive integer or zero to disable "
                             "projections")
        if proj_size >= hidden_size:
            raise ValueError("proj_size has to be smaller than hidden_size")
        if mode not in self._gates:
            raise ValueError("Unrecognized RNN mode: " + mode)
        self.mode = mode
        self.input_size = input_size
        self.hidden_size = hidden_size
        self.num_layers = num_layers
        self.bias = bias
        self.batch_first = batch_first
        self.dropout = float(dropout)
        self.bidirectional = bidirectional
        self.proj_size = proj_size
        gate_size = self._gates[mode] * hidden_size
        num_directions = 2 if bidirectional else 1
        real_hidden = proj_size if proj_size > 0 else hidden_size
        self._flat_weights_names = []
        self._all_weights = []
        for layer in range(num_layers):
            for direction in range(num_directions):
                layer_input = input_size if layer == 0 else real_hidden * num_directions
                suffix = "_reverse" if direction == 1 else ""
                shapes = [("weight_ih", (gate_size, layer_input)),
                          ("weight_hh", (gate_size, real_hidden))]
                if bias:
                    shapes += [("bias_ih", (gate_size,)), ("bias_hh", (gate_size,))]
                if proj_size > 0:
                    shapes.append(("weight_hr", (proj_size, hidden_size)))
                names = []
                for base, shape in shapes:
                    name = f"{base}_l{layer}{suffix}"
                    setattr(self, name, Parameter(ops.empty(shape, device=device, dtype=dtype)))
                    names.append(name)
                self._flat_weights_names.extend(names)
                self._all_weights.append(names)
        self.reset_parameters()

    def reset_parameters(self) -> None:
        stdv = 1.0 / math.sqrt(self.hidden_size) if self.hidden_size > 0 else 0
        for weight in self.parameters():
            init.uniform_(weight, -stdv, stdv)

    def flatten_parameters(self) -> None:
        """No-op (cuDNN's contiguous weight buffer has no dpt counterpart)."""

    @property
    def _flat_weights(self) -> list:
        return [getattr(self, name, None) for name in self._flat_weights_names]

    @property
    def all_weights(self) -> list:
        return [[getattr(self, name) for name in names] for names in self._all_weights]

    def extra_repr(self) -> str:
        s = f"{self.input_size}, {self.hidden_size}"
        if self.proj_size != 0:
            s += f", proj_size={self.proj_size}"
        if self.num_layers != 1:
            s += f", num_layers={self.num_layers}"
        if self.bias is not True:
            s += f", bias={self.bias}"
        if self.batch_first is not False:
            s += f", batch_first={self.batch_first}"
        if self.dropout != 0:
            s += f", dropout={self.dropout}"
        if self.bidirectional is not False:
            s += f", bidirectional={self.bidirectional}"
        return s

    # -- argument checks -------------------------------------------------------------------
    def _real_hidden(self) -> int:
        return self.proj_size if self.proj_size > 0 else self.hidden_size

    def check_input(self, input: Tensor, batch_sizes) -> None:
        w = self.weight_ih_l0
        if input.dtype != w.dtype:
            raise ValueError(f"RNN input dtype ({input.dtype}) does not match weight dtype "
                             f"({w.dtype}). Convert input: input.to({w.dtype}), or convert "
                             f"model: model.to({input.dtype})")
        expected = 2 if batch_sizes is not None else 3
        if input.ndim != expected:
            raise RuntimeError(f"input must have {expected} dimensions, got {input.ndim}")
        if self.input_size != input.shape[-1]:
            raise RuntimeError(f"input.size(-1) must be equal to input_size. Expected "
                               f"{self.input_size}, got {input.shape[-1]}")

    def get_expected_hidden_size(self, input: Tensor, batch_sizes) -> tuple:
        if batch_sizes is not None:
            mini_batch = int(batch_sizes[0])
        else:
            mini_batch = input.shape[0] if self.batch_first else input.shape[1]
        num_directions = 2 if self.bidirectional else 1
        return (self.num_layers * num_directions, mini_batch, self._real_hidden())

    def check_hidden_size(self, hx: Tensor, expected: tuple,
                          msg: str = "Expected hidden size {}, got {}") -> None:
        if tuple(hx.shape) != tuple(expected):
            raise RuntimeError(msg.format(tuple(expected), list(hx.shape)))

    def check_forward_args(self, input, hidden, batch_sizes) -> None:
        self.check_input(input, batch_sizes)
        if self.mode == "LSTM":
            expected = self.get_expected_hidden_size(input, batch_sizes)
            self.check_hidden_size(hidden[0], expected, "Expected hidden[0] size {}, got {}")
            cell = (expected[0], expected[1], self.hidden_size)
            self.check_hidden_size(hidden[1], cell, "Expected hidden[1] size {}, got {}")
        else:
            self.check_hidden_size(hidden, self.get_expected_hidden_size(input, batch_sizes))

    @staticmethod
    def permute_hidden(hx, permutation):
        if permutation is None:
            return hx
        if isinstance(hx, tuple):
            return tuple(h.index_select(1, permutation) for h in hx)
        return hx.index_select(1, permutation)

    # -- forward ---------------------------------------------------------------------------
    def forward(self, input, hx=None):
        name = "RNN" if self.mode.startswith("RNN") else self.mode
        lstm = self.mode == "LSTM"
        num_directions = 2 if self.bidirectional else 1
        packed = isinstance(input, PackedSequence)
        if packed:
            data, batch_sizes_t, sorted_indices, unsorted_indices = input
            batch_sizes = [int(b) for b in batch_sizes_t.tolist()]
            max_batch = batch_sizes[0] if batch_sizes else 0
            is_batched = True
            if hx is not None:
                hx = self.permute_hidden(hx, sorted_indices)
        else:
            if input.ndim not in (2, 3):
                tail = "instead" if lstm else "tensor instead"
                raise ValueError(f"{name}: Expected input to be 2D or 3D, got {input.ndim}D "
                                 f"{tail}")
            batch_sizes_t = sorted_indices = unsorted_indices = None
            is_batched = input.ndim == 3
            batch_dim = 0 if self.batch_first else 1
            if not is_batched:
                input = input.unsqueeze(batch_dim)
                if hx is not None:
                    dims = [h.ndim for h in hx] if lstm else [hx.ndim]
                    if any(d != 2 for d in dims):
                        got = (f"({dims[0]}-D, {dims[1]}-D) tensors" if lstm
                               else f"{dims[0]}-D tensor")
                        raise RuntimeError(f"For unbatched 2-D input, hx{' and cx' if lstm else ''}"
                                           f" should also be 2-D but got {got}")
                    hx = tuple(h.unsqueeze(1) for h in hx) if lstm else hx.unsqueeze(1)
            elif hx is not None:
                dims = [h.ndim for h in hx] if lstm else [hx.ndim]
                if any(d != 3 for d in dims):
                    got = (f"({dims[0]}-D, {dims[1]}-D) tensors" if lstm
                           else f"{dims[0]}-D tensor")
                    raise RuntimeError(f"For batched 3-D input, hx{' and cx' if lstm else ''} "
                                       f"should also be 3-D but got {got}")
            max_batch = input.shape[0] if self.batch_first else input.shape[1]
        x_check = data if packed else input
        if hx is None:
            zeros = ops.zeros((self.num_layers * num_directions, max_batch, self._real_hidden()),
                              dtype=x_check.dtype, device=x_check.device)
            if lstm:
                hx = (zeros, ops.zeros((self.num_layers * num_directions, max_batch,
                                        self.hidden_size), dtype=x_check.dtype,
                                       device=x_check.device))
            else:
                hx = zeros
        self.check_forward_args(x_check, hx, batch_sizes_t)

        if packed:
            flat = data
        else:
            seq = input.transpose(0, 1) if self.batch_first else input
            steps = seq.shape[0]
            batch_sizes = [max_batch] * steps
            flat = seq.reshape(steps * max_batch, seq.shape[2])
        out, h_n, c_n = self._run(flat, batch_sizes, hx)

        if packed:
            output = PackedSequence(out, batch_sizes_t, sorted_indices, unsorted_indices)
            h_n = self.permute_hidden(h_n, unsorted_indices)
            if lstm:
                c_n = self.permute_hidden(c_n, unsorted_indices)
        else:
            output = out.reshape(len(batch_sizes), max_batch, out.shape[-1])
            if self.batch_first:
                output = output.transpose(0, 1)
            if not is_batched:
                output = output.squeeze(1 if not self.batch_first else 0)
                h_n = h_n.squeeze(1)
                if lstm:
                    c_n = c_n.squeeze(1)
        return (output, (h_n, c_n)) if lstm else (output, h_n)

    def _run(self, flat: Tensor, batch_sizes: list, hx):
        """All layers over packed data; returns (output data, h_n, c_n or None)."""
        lstm = self.mode == "LSTM"
        num_directions = 2 if self.bidirectional else 1
        h0, c0 = hx if lstm else (hx, None)
        h_out, c_out = [], []
        layer_input = flat
        for layer in range(self.num_layers):
            outs = []
            for direction in range(num_directions):
                k = layer * num_directions + direction
                out, h, c = self._run_direction(layer_input, batch_sizes, layer, direction,
                                                h0[k], c0[k] if lstm else None)
                outs.append(out)
                h_out.append(h)
                c_out.append(c)
            layer_input = outs[0] if num_directions == 1 else ops.cat(outs, 1)
            if self.dropout and self.training and layer < self.num_layers - 1:
                layer_input = _dropout(layer_input, self.dropout)
        h_n = ops.stack(h_out, 0)
        c_n = ops.stack(c_out, 0) if lstm else None
        return layer_input, h_n, c_n

    def _run_direction(self, x: Tensor, batch_sizes: list, layer: int, direction: int, h0, c0):
        suffix = f"_l{layer}" + ("_reverse" if direction else "")
        w_ih = getattr(self, "weight_ih" + suffix)
        w_hh = getattr(self, "weight_hh" + suffix)
        b_ih = getattr(self, "bias_ih" + suffix) if self.bias else None
        b_hh = getattr(self, "bias_hh" + suffix) if self.bias else None
        w_hr = getattr(self, "weight_hr" + suffix) if self.proj_size > 0 else None
        xw = F.linear(x, w_ih, b_ih)  # every time step's input projection in one matmul
        starts = np.concatenate([[0], np.cumsum(batch_sizes)]).astype(int)
        steps = len(batch_sizes)
        lstm = self.mode == "LSTM"
        relu = self.mode == "RNN_RELU"

        def step(xw_t, h, c):
            if lstm:
                return _lstm_step(xw_t, h, c, w_hh, b_hh, w_hr)
            if self.mode == "GRU":
                return _gru_step(xw_t, h, w_hh, b_hh), None
            return _rnn_step(xw_t, h, w_hh, b_hh, relu), None

        outputs = [None] * steps
        if direction == 0:
            # sequences end as t grows: the finished ones keep their last state
            h, c = h0, c0
            done_h, done_c = [], []
            for t in range(steps):
                bs = batch_sizes[t]
                if bs < h.shape[0]:
                    done_h.append(h[bs:])
                    h = h[:bs]
                    if lstm:
                        done_c.append(c[bs:])
                        c = c[:bs]
                h, c = step(xw[starts[t]:starts[t + 1]], h, c)
                outputs[t] = h
            h_last = ops.cat([h] + done_h[::-1], 0) if done_h else h
            c_last = (ops.cat([c] + done_c[::-1], 0) if done_c else c) if lstm else None
        else:
            # run backwards: sequences join (from h0) as t falls
            h = c = None
            for t in range(steps - 1, -1, -1):
                bs = batch_sizes[t]
                have = 0 if h is None else h.shape[0]
                if bs > have:
                    h = h0[have:bs] if h is None else ops.cat([h, h0[have:bs]], 0)
                    if lstm:
                        c = c0[have:bs] if c is None else ops.cat([c, c0[have:bs]], 0)
                h, c = step(xw[starts[t]:starts[t + 1]], h, c)
                outputs[t] = h
            if h is None:  # no time steps at all
                h, c = h0, c0
            h_last, c_last = h, c
        out = ops.cat(outputs, 0) if steps else xw[:, :0]
        return out, h_last, c_last


class RNN(RNNBase):
    """RNN(input_size, hidden_size, num_layers=1, nonlinearity='tanh', bias=True,
    batch_first=False, dropout=0.0, bidirectional=False):
    h_t = tanh(x_t W_ih^T + b_ih + h_{t-1} W_hh^T + b_hh) (or relu).

    forward(input, hx=None) -> (output, h_n); input (T, B, H_in), (B, T, H_in) with
    batch_first, (T, H_in) unbatched, or a PackedSequence.
    """

    def __init__(self, *args, **kwargs) -> None:
        if "proj_size" in kwargs:
            raise ValueError("proj_size argument is only supported for LSTM, not RNN or GRU")
        if len(args) > 3:
            self.nonlinearity = args[3]
            args = args[:3] + args[4:]
        else:
            self.nonlinearity = kwargs.pop("nonlinearity", "tanh")
        if self.nonlinearity == "tanh":
            mode = "RNN_TANH"
        elif self.nonlinearity == "relu":
            mode = "RNN_RELU"
        else:
            raise ValueError(f"Unknown nonlinearity '{self.nonlinearity}'. Select from 'tanh' "
                             f"or 'relu'.")
        super().__init__(mode, *args, **kwargs)


class LSTM(RNNBase):
    """LSTM(input_size, hidden_size, num_layers=1, bias=True, batch_first=False, dropout=0.0,
    bidirectional=False, proj_size=0): gates i, f, g, o (torch's order) in weight_ih/hh;
    c_t = f * c_{t-1} + i * g, h_t = o * tanh(c_t) (then h_t W_hr^T with proj_size > 0).

    forward(input, (h_0, c_0)=None) -> (output, (h_n, c_n)).
    """

    def __init__(self, *args, **kwargs) -> None:
        super().__init__("LSTM", *args, **kwargs)


class GRU(RNNBase):
    """GRU(input_size, hidden_size, num_layers=1, bias=True, batch_first=False, dropout=0.0,
    bidirectional=False): gates r, z, n (torch's order);
    n = tanh(W_in x + b_in + r * (W_hn h + b_hn)), h_t = (1 - z) * n + z * h_{t-1}.

    forward(input, h_0=None) -> (output, h_n).
    """

    def __init__(self, *args, **kwargs) -> None:
        if "proj_size" in kwargs:
            raise ValueError("proj_size argument is only supported for LSTM, not RNN or GRU")
        super().__init__("GRU", *args, **kwargs)


class RNNCellBase(Module):
    """weight_ih (chunks*hidden, input), weight_hh (chunks*hidden, hidden), bias_ih, bias_hh,
    all U(-1/sqrt(hidden_size), 1/sqrt(hidden_size))."""

    def __init__(self, input_size: int, hidden_size: int, bias: bool, num_chunks: int,
                 device=None, dtype=None) -> None:
        super().__init__()
        self.input_size = input_size
        self.hidden_size = hidden_size
        self.bias = bias
        self.weight_ih = Parameter(ops.empty((num_chunks * hidden_size, input_size),
                                             device=device, dtype=dtype))
        self.weight_hh = Parameter(ops.empty((num_chunks * hidden_size, hidden_size),
                                             device=device, dtype=dtype))
        if bias:
            self.bias_ih = Parameter(ops.empty(num_chunks * hidden_size, device=device,
                                               dtype=dtype))
            self.bias_hh = Parameter(ops.empty(num_chunks * hidden_size, device=device,
                                               dtype=dtype))
        else:
            self.register_parameter("bias_ih", None)
            self.register_parameter("bias_hh", None)
        self.reset_parameters()

    def reset_parameters(self) -> None:
        stdv = 1.0 / math.sqrt(self.hidden_size) if self.hidden_size > 0 else 0
        for weight in self.parameters():
            init.uniform_(weight, -stdv, stdv)

    def extra_repr(self) -> str:
        s = f"{self.input_size}, {self.hidden_size}"
        if self.bias is not True:
            s += f", bias={self.bias}"
        if getattr(self, "nonlinearity", "tanh") != "tanh":
            s += f", nonlinearity={self.nonlinearity}"
        return s

    def _prepare(self, input: Tensor, hx, name: str, n_states: int):
        """Check dims/sizes; return batched input, list of batched states, is_batched."""
        if input.ndim not in (1, 2):
            raise ValueError(f"{name}: Expected input to be 1D or 2D, got {input.ndim}D instead")
        states = [] if hx is None else (list(hx) if n_states == 2 else [hx])
        for i, h in enumerate(states):
            if h.ndim not in (1, 2):
                what = f"hx[{i}]" if n_states == 2 else "hidden"
                raise ValueError(f"{name}: Expected {what} to be 1D or 2D, got {h.ndim}D instead")
        is_batched = input.ndim == 2
        if not is_batched:
            input = input.unsqueeze(0)
            states = [h.unsqueeze(0) for h in states]
        if input.shape[1] != self.input_size:
            raise RuntimeError(f"input has inconsistent input_size: got {input.shape[1]}, "
                               f"expected {self.input_size}")
        if not states:
            states = [ops.zeros((input.shape[0], self.hidden_size), dtype=input.dtype,
                                device=input.device) for _ in range(n_states)]
        for i, h in enumerate(states):
            if h.shape[0] != input.shape[0]:
                raise RuntimeError(f"Input batch size {input.shape[0]} doesn't match hidden{i} "
                                   f"batch size {h.shape[0]}")
            if h.shape[1] != self.hidden_size:
                raise RuntimeError(f"hidden{i} has inconsistent hidden_size: got {h.shape[1]}, "
                                   f"expected {self.hidden_size}")
        return input, states, is_batched


class RNNCell(RNNCellBase):
    """RNNCell(input_size, hidden_size, bias=True, nonlinearity='tanh'): one step,
    h' = tanh(x W_ih^T + b_ih + h W_hh^T + b_hh); forward(input, hx=None) -> h'."""

    def __init__(self, input_size: int, hidden_size: int, bias: bool = True,
                 nonlinearity: str = "tanh", device=None, dtype=None) -> None:
        super().__init__(input_size, hidden_size, bias, 1, device, dtype)
        self.nonlinearity = nonlinearity

    def forward(self, input: Tensor, hx: Tensor | None = None) -> Tensor:
        x, (h,), batched = self._prepare(input, hx, "RNNCell", 1)
        if self.nonlinearity not in ("tanh", "relu"):
            raise RuntimeError(f"Unknown nonlinearity: {self.nonlinearity}")
        h = _rnn_step(F.linear(x, self.weight_ih, self.bias_ih), h, self.weight_hh,
                      self.bias_hh, self.nonlinearity == "relu")
        return h if batched else h.squeeze(0)


class LSTMCell(RNNCellBase):
    """LSTMCell(input_size, hidden_size, bias=True): one LSTM step;
    forward(input, (h, c)=None) -> (h', c')."""

    def __init__(self, input_size: int, hidden_size: int, bias: bool = True, device=None,
                 dtype=None) -> None:
        super().__init__(input_size, hidden_size, bias, 4, device, dtype)

    def forward(self, input: Tensor, hx=None):
        x, (h, c), batched = self._prepare(input, hx, "LSTMCell", 2)
        h, c = _lstm_step(F.linear(x, self.weight_ih, self.bias_ih), h, c, self.weight_hh,
                          self.bias_hh, None)
        return (h, c) if batched else (h.squeeze(0), c.squeeze(0))


class GRUCell(RNNCellBase):
    """GRUCell(input_size, hidden_size, bias=True): one GRU step; forward(input, hx=None)."""

    def __init__(self, input_size: int, hidden_size: int, bias: bool = True, device=None,
                 dtype=None) -> None:
        super().__init__(input_size, hidden_size, bias, 3, device, dtype)

    def forward(self, input: Tensor, hx: Tensor | None = None) -> Tensor:
        x, (h,), batched = self._prepare(input, hx, "GRUCell", 1)
        h = _gru_step(F.linear(x, self.weight_ih, self.bias_ih), h, self.weight_hh,
                      self.bias_hh)
        return h if batched else h.squeeze(0)
