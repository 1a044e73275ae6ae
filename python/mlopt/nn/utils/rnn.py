"""mlopt.nn.utils.rnn: PackedSequence and the padding/packing helpers, as
torch.nn.utils.rnn. A PackedSequence holds the time-major steps of a batch
of sequences sorted by length, longest first: `data` (sum of lengths, *),
`batch_sizes` (how many sequences have step t; an int64 CPU tensor),
`sorted_indices` and `unsorted_indices` (None when the batch was already
sorted). The lengths are read on the host, so packing inside
@mlopt.compile ends the trace (the call runs eagerly) unless they are
Python ints."""

from collections import namedtuple

import numpy as np

from ... import _dtype as dt
from ... import _tensor as T
from ..._tensor import Tensor

__all__ = ["PackedSequence", "invert_permutation", "pack_padded_sequence",
           "pad_packed_sequence", "pad_sequence", "unpad_sequence", "pack_sequence",
           "unpack_sequence"]


def _host_ints(x):
    """A tensor, array or sequence of ints as a NumPy int64 array (a traced
    tensor ends the trace here)."""
    if isinstance(x, Tensor):
        concrete = getattr(x, "_concrete", None)
        if concrete is not None:
            concrete("the lengths of a packed sequence")
        return np.asarray(x.detach().cpu()).astype(np.int64).reshape(-1)
    return np.asarray(list(x) if not isinstance(x, np.ndarray) else x,
                      dtype=np.int64).reshape(-1)


def _index_tensor(values, device=None):
    return T.tensor(np.ascontiguousarray(values, dtype=np.int64), device=device)


_PackedSequenceBase = namedtuple("PackedSequence",
                                 ["data", "batch_sizes", "sorted_indices", "unsorted_indices"])


class PackedSequence(_PackedSequenceBase):
    def __new__(cls, data, batch_sizes=None, sorted_indices=None, unsorted_indices=None):
        if unsorted_indices is None and sorted_indices is not None:
            unsorted_indices = invert_permutation(sorted_indices)
        if batch_sizes is None:
            raise RuntimeError("PackedSequence: batch_sizes is required")
        sizes = None
        if not isinstance(batch_sizes, Tensor):
            sizes = [int(b) for b in _host_ints(batch_sizes)]
            batch_sizes = _index_tensor(sizes)
        self = super().__new__(cls, data, batch_sizes, sorted_indices, unsorted_indices)
        # (kept as Python ints when known: a compiled call then reads no tensor)
        self._sizes = sizes
        return self

    def _batch_sizes_list(self):
        if getattr(self, "_sizes", None) is None:
            self._sizes = [int(b) for b in _host_ints(self.batch_sizes)]
        return list(self._sizes)

    def to(self, *args, **kwargs):
        data = self.data.to(*args, **kwargs)
        if data is self.data:
            return self
        device = data.device
        return type(self)(data, self._batch_sizes_list(),
                          None if self.sorted_indices is None else self.sorted_indices.to(device),
                          None if self.unsorted_indices is None
                          else self.unsorted_indices.to(device))

    def cuda(self, *args, **kwargs):
        return self.to("cuda")

    def cpu(self):
        return self.to("cpu")

    def double(self):
        return self.to(dt.float64)

    def float(self):
        return self.to(dt.float32)

    def half(self):
        return self.to(dt.float16)

    @property
    def is_cuda(self):
        return self.data.is_cuda

    def is_pinned(self):
        return False


def invert_permutation(permutation):
    if permutation is None:
        return None
    order = _host_ints(permutation)
    inverse = np.empty_like(order)
    inverse[order] = np.arange(order.size)
    return _index_tensor(inverse, permutation.device if isinstance(permutation, Tensor)
                         else None)


def _pack_time_major(x, lengths):
    """x (T, B, *) with B sorted by decreasing lengths: (data, batch_sizes)."""
    batch_sizes = [int((lengths > t).sum()) for t in range(int(lengths[0]))]
    data = T.cat([x[t, :b] for t, b in enumerate(batch_sizes)], 0)
    return data, batch_sizes


def pack_padded_sequence(input, lengths, batch_first=False, enforce_sorted=True):
    lengths = _host_ints(lengths)
    if enforce_sorted:
        if np.any(lengths[1:] > lengths[:-1]):
            raise RuntimeError("`lengths` array must be sorted in decreasing order when "
                               "`enforce_sorted` is True. You can pass `enforce_sorted=False` "
                               "to pack_padded_sequence and/or pack_sequence to sidestep this "
                               "requirement if you do not need ONNX exportability.")
        sorted_indices = None
    else:
        order = np.argsort(-lengths, kind="stable")
        lengths = lengths[order]
        sorted_indices = _index_tensor(order, input.device)
        input = input.index_select(0 if batch_first else 1, sorted_indices)
    if lengths.size and lengths[-1] <= 0:
        raise RuntimeError("Length of all samples has to be greater than 0, but found an "
                           "element in 'lengths' that is <= 0")
    if batch_first:
        input = input.transpose(0, 1)
    if lengths.size and lengths[0] > input.shape[0]:
        raise RuntimeError(f"Expected sequence length to be at most {input.shape[0]}, but "
                           f"got {lengths[0]}")
    data, batch_sizes = _pack_time_major(input, lengths)
    return PackedSequence(data, batch_sizes, sorted_indices, invert_permutation(sorted_indices))


def pad_packed_sequence(sequence, batch_first=False, padding_value=0.0, total_length=None):
    batch_sizes = sequence._batch_sizes_list()
    max_len = len(batch_sizes)
    if total_length is not None:
        if total_length < max_len:
            raise ValueError(f"Expected total_length to be at least the length of the longest "
                             f"sequence in input, but got total_length={total_length} and max "
                             f"sequence length being {max_len}")
    else:
        total_length = max_len
    data = sequence.data
    batch = batch_sizes[0]
    rest = tuple(data.shape[1:])
    steps, offset = [], 0
    for b in batch_sizes:
        step = data[offset:offset + b]
        if b < batch:
            step = T.cat([step, T.full((batch - b,) + rest, padding_value, dtype=data.dtype,
                                       device=data.device)], 0)
        steps.append(step)
        offset += b
    for _ in range(total_length - max_len):
        steps.append(T.full((batch,) + rest, padding_value, dtype=data.dtype,
                            device=data.device))
    padded = T.stack(steps, 0)  # (T, B, *)
    sizes = np.asarray(batch_sizes)
    lengths = np.array([int((sizes > i).sum()) for i in range(batch)], dtype=np.int64)
    if sequence.unsorted_indices is not None:
        padded = padded.index_select(1, sequence.unsorted_indices)
        lengths = lengths[_host_ints(sequence.unsorted_indices)]
    if batch_first:
        padded = padded.transpose(0, 1)
    return padded, _index_tensor(lengths)


def pad_sequence(sequences, batch_first=False, padding_value=0.0, padding_side="right"):
    if padding_side not in ("left", "right"):
        raise ValueError(f"Expected padding_side to be one of left or right, but got "
                         f"{padding_side}.")
    if isinstance(sequences, Tensor):
        sequences = list(sequences.unbind(0))
    sequences = list(sequences)
    if not sequences:
        raise RuntimeError("received an empty list of sequences")
    max_len = max(s.shape[0] for s in sequences)
    padded = []
    for s in sequences:
        extra = max_len - s.shape[0]
        if extra:
            fill = T.full((extra,) + tuple(s.shape[1:]), padding_value, dtype=s.dtype,
                          device=s.device)
            s = T.cat([s, fill] if padding_side == "right" else [fill, s], 0)
        padded.append(s)
    return T.stack(padded, 0 if batch_first else 1)


def unpad_sequence(padded_sequences, lengths, batch_first=False):
    if not batch_first:
        padded_sequences = padded_sequences.transpose(0, 1)
    return [padded_sequences[i, :int(n)] for i, n in enumerate(_host_ints(lengths))]


def pack_sequence(sequences, enforce_sorted=True):
    lengths = [s.shape[0] for s in sequences]
    return pack_padded_sequence(pad_sequence(sequences), lengths,
                                enforce_sorted=enforce_sorted)


def unpack_sequence(packed_sequences):
    padded, lengths = pad_packed_sequence(packed_sequences, batch_first=True)
    return unpad_sequence(padded, lengths, batch_first=True)
