"""Packed sequences: PackedSequence, pack_padded_sequence, pad_packed_sequence, pad_sequence,
pack_sequence, unpack_sequence, unpad_sequence.

A PackedSequence stores the steps of a batch of variable-length sequences time-major:
``data`` holds, for t = 0, 1, ..., the rows of the batch_sizes[t] sequences still running
at step t (sequences sorted by decreasing length), so recurrent layers never compute on
padding. Packing and unpacking are gathers, hence differentiable.
"""
from __future__ import annotations

from collections import namedtuple

import numpy as np

from ... import ops
from ..._device import to_numpy, xp_of
from ..._tensor import Tensor

__all__ = ["PackedSequence", "invert_permutation", "pack_padded_sequence",
           "pad_packed_sequence", "pad_sequence", "unpad_sequence", "pack_sequence",
           "unpack_sequence"]


class PackedSequence(namedtuple("PackedSequence_",
                                ["data", "batch_sizes", "sorted_indices", "unsorted_indices"])):
    """PackedSequence(data, batch_sizes, sorted_indices=None, unsorted_indices=None).

    Build it with pack_padded_sequence / pack_sequence rather than by hand. batch_sizes is
    an int64 CPU tensor; sorted_indices[i] is the original batch position of the i-th
    longest sequence, unsorted_indices its inverse.
    """

    def __new__(cls, data, batch_sizes=None, sorted_indices=None, unsorted_indices=None):
        if unsorted_indices is None:
            unsorted_indices = invert_permutation(sorted_indices)
        if batch_sizes is None:
            raise RuntimeError("PackedSequence: batch_sizes must be given (build packed sequences "
                               "with pack_padded_sequence or pack_sequence)")
        if batch_sizes.device.type != "cpu":
            raise ValueError("batch_sizes should always be on CPU. Instances of PackedSequence "
                             "should never be created manually. They should be instantiated by "
                             "functions like pack_sequence and pack_padded_sequences in "
                             "nn.utils.rnn.")
        return super().__new__(cls, data, batch_sizes, sorted_indices, unsorted_indices)

    def _with(self, fn):
        """A copy with fn applied to data (and the index tensors moved alongside)."""
        data = fn(self.data)
        idx = [None if t is None else t.to(data.device) for t in (self.sorted_indices,
                                                                   self.unsorted_indices)]
        return type(self)(data, self.batch_sizes, idx[0], idx[1])

    def to(self, *args, **kwargs) -> "PackedSequence":
        data = self.data.to(*args, **kwargs)
        if data is self.data:
            return self
        return self._with(lambda _: data)

    def cuda(self, *args, **kwargs) -> "PackedSequence":
        return self._with(lambda d: d.cuda(*args, **kwargs))

    def cpu(self) -> "PackedSequence":
        return self._with(lambda d: d.cpu())

    def double(self) -> "PackedSequence":
        return self._with(lambda d: d.double())

    def float(self) -> "PackedSequence":
        return self._with(lambda d: d.float())

    def half(self) -> "PackedSequence":
        return self._with(lambda d: d.half())

    def long(self) -> "PackedSequence":
        return self._with(lambda d: d.long())

    def int(self) -> "PackedSequence":
        return self._with(lambda d: d.int())

    @property
    def is_cuda(self) -> bool:
        return self.data.is_cuda

    def is_pinned(self) -> bool:
        return False


def invert_permutation(permutation: Tensor | None) -> Tensor | None:
    """The inverse of a permutation given as an index tensor (None stays None)."""
    if permutation is None:
        return None
    p = permutation._data
    inv = xp_of(p).empty_like(p)
    inv[p] = xp_of(p).arange(p.size, dtype=p.dtype)
    return Tensor._make(inv)


def _lengths_array(lengths) -> np.ndarray:
    if isinstance(lengths, Tensor):
        arr = to_numpy(lengths._data)
    else:
        arr = np.asarray(lengths)
    if arr.ndim != 1:
        raise RuntimeError(f"lengths must be a 1D CPU int64 tensor or a list of ints, got shape "
                           f"{list(arr.shape)}")
    return arr.astype(np.int64)


def _gather_rows(source: Tensor, rows: np.ndarray) -> Tensor:
    """source[rows] along dim 0, rows a numpy index array (moved to source's device)."""
    idx = Tensor._make(rows).to(source.device) if source.device.type != "cpu" else \
        Tensor._make(rows)
    return source[idx]


def pack_padded_sequence(input: Tensor, lengths, batch_first: bool = False,
                         enforce_sorted: bool = True) -> PackedSequence:
    """pack_padded_sequence(input, lengths, batch_first=False, enforce_sorted=True).

    input is (T, B, *) (or (B, T, *) with batch_first) and lengths the B sequence lengths
    (a list or a CPU int64 tensor). With enforce_sorted=True the lengths must be
    decreasing; otherwise the batch is sorted and the permutation kept in the result.
    """
    lens = _lengths_array(lengths)
    if enforce_sorted:
        sorted_indices = None
        if lens.size > 1 and bool((lens[1:] > lens[:-1]).any()):
            raise RuntimeError("`lengths` array must be sorted in decreasing order when "
                               "`enforce_sorted` is True. You can pass `enforce_sorted=False` to "
                               "pack_padded_sequence and/or pack_sequence to sidestep this "
                               "requirement if you do not need ONNX exportability.")
        order = np.arange(lens.size)
    else:
        order = np.argsort(-lens, kind="stable")
        sorted_indices = Tensor._make(order.astype(np.int64)).to(input.device)
        lens = lens[order]
    x = input.transpose(0, 1) if batch_first else input
    if x.numel() == 0 and x.ndim >= 2 and x.shape[1] == 0:
        raise RuntimeError("Cannot pack empty tensors.")
    steps, batch = x.shape[0], x.shape[1]
    if lens.size != batch:
        raise RuntimeError(f"Expected `len(lengths)` to be equal to batch_size, but got "
                           f"{lens.size} (batch_size={batch})")
    if lens.size and lens.min() <= 0:
        raise RuntimeError("Length of all samples has to be greater than 0, but found an element "
                           "in 'lengths' that is <= 0")
    if lens.size and lens.max() > steps:
        raise RuntimeError(f"pack_padded_sequence: a length of {int(lens.max())} exceeds the "
                           f"padded sequence length {steps}")
    max_len = int(lens.max()) if lens.size else 0
    batch_sizes = (lens[None, :] > np.arange(max_len)[:, None]).sum(1).astype(np.int64)
    # row of step t, sorted sequence j in the (T * B, *) flattening of x
    rows = np.concatenate([t * batch + order[:bs] for t, bs in enumerate(batch_sizes)]) \
        if max_len else np.zeros(0, np.int64)
    data = _gather_rows(x.reshape((steps * batch,) + tuple(x.shape[2:])), rows)
    return PackedSequence(data, Tensor._make(batch_sizes), sorted_indices,
                          invert_permutation(sorted_indices))


def pad_packed_sequence(sequence: PackedSequence, batch_first: bool = False,
                        padding_value: float = 0.0,
                        total_length: int | None = None) -> tuple[Tensor, Tensor]:
    """pad_packed_sequence(sequence, batch_first=False, padding_value=0.0, total_length=None)
    -> (padded, lengths): the inverse of pack_padded_sequence, in the original batch order.
    lengths is an int64 CPU tensor; total_length pads the time dimension to that size."""
    data = sequence.data
    bs = _lengths_array(sequence.batch_sizes)
    max_len = int(bs.size)
    batch = int(bs[0]) if bs.size else 0
    if total_length is not None:
        if total_length < max_len:
            raise ValueError(f"Expected total_length to be at least the length of the longest "
                             f"sequence in input, but got total_length={total_length} and max "
                             f"sequence length being {max_len}")
        steps = total_length
    else:
        steps = max_len
    lens = (bs[None, :] > np.arange(batch)[:, None]).sum(1).astype(np.int64)  # sorted order
    # every (t, b) slot reads its packed row, or the padding row appended at the end
    table = np.full((steps, batch), data.shape[0], dtype=np.int64)
    start = np.concatenate([[0], np.cumsum(bs)[:-1]]).astype(np.int64)
    for t in range(max_len):
        table[t, :bs[t]] = start[t] + np.arange(bs[t])
    pad = ops.full((1,) + tuple(data.shape[1:]), padding_value, dtype=data.dtype,
                   device=data.device)
    padded = _gather_rows(ops.cat([data, pad], 0), table.reshape(-1))
    padded = padded.reshape((steps, batch) + tuple(data.shape[1:]))
    if sequence.unsorted_indices is not None:
        unsorted = sequence.unsorted_indices
        padded = padded.index_select(1, unsorted)
        lens = lens[to_numpy(unsorted._data)]
    if batch_first:
        padded = padded.transpose(0, 1)
    return padded, Tensor._make(lens)


def pad_sequence(sequences, batch_first: bool = False, padding_value: float = 0.0,
                 padding_side: str = "right") -> Tensor:
    """pad_sequence(sequences, batch_first=False, padding_value=0.0, padding_side='right'):
    stack tensors of shape (L_i, *) into (T, B, *) (or (B, T, *)), T = max L_i, filling with
    padding_value on the right (or the left)."""
    if padding_side not in ("left", "right"):
        raise ValueError(f"Expected padding_side to be one of left or right, but got "
                         f"{padding_side}.")
    if isinstance(sequences, Tensor):
        sequences = list(sequences.unbind(0))
    sequences = list(sequences)
    if not sequences:
        raise RuntimeError("received an empty list of sequences")
    trailing = tuple(sequences[0].shape[1:])
    for s in sequences:
        if tuple(s.shape[1:]) != trailing:
            raise RuntimeError(f"The size of tensor a ({trailing}) must match the size of tensor "
                               f"b ({tuple(s.shape[1:])}) at non-singleton dimensions: "
                               f"pad_sequence needs equal trailing dims")
    lens = np.array([s.shape[0] for s in sequences], dtype=np.int64)
    steps, batch = int(lens.max()), len(sequences)
    flat = ops.cat(list(sequences), 0)
    dtype, device = flat.dtype, flat.device
    pad = ops.full((1,) + trailing, padding_value, dtype=dtype, device=device)
    starts = np.concatenate([[0], np.cumsum(lens)[:-1]])
    table = np.full((batch, steps), int(lens.sum()), dtype=np.int64)
    for b in range(batch):
        if padding_side == "right":
            table[b, :lens[b]] = starts[b] + np.arange(lens[b])
        else:
            table[b, steps - lens[b]:] = starts[b] + np.arange(lens[b])
    out = _gather_rows(ops.cat([flat, pad], 0), table.reshape(-1))
    out = out.reshape((batch, steps) + trailing)
    return out if batch_first else out.transpose(0, 1)


def unpad_sequence(padded_sequences: Tensor, lengths, batch_first: bool = False) -> list:
    """unpad_sequence(padded_sequences, lengths, batch_first=False): the list of unpadded
    sequences (L_i, *) of a (T, B, *) (or (B, T, *)) padded batch."""
    x = padded_sequences if batch_first else padded_sequences.transpose(0, 1)
    return [x[i, :int(n)] for i, n in enumerate(_lengths_array(lengths))]


def pack_sequence(sequences, enforce_sorted: bool = True) -> PackedSequence:
    """pack_sequence(sequences, enforce_sorted=True): pack a list of (L_i, *) tensors."""
    lengths = [s.shape[0] for s in sequences]
    return pack_padded_sequence(pad_sequence(sequences), lengths, enforce_sorted=enforce_sorted)


def unpack_sequence(packed_sequences: PackedSequence) -> list:
    """unpack_sequence(packed_sequences): the list of (L_i, *) tensors, original order."""
    padded, lengths = pad_packed_sequence(packed_sequences, batch_first=True)
    return unpad_sequence(padded, lengths, batch_first=True)
