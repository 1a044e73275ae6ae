"""Datasets and batches, as torch.utils.data: TensorDataset, DataLoader
(batches, shuffling from mlopt's generator so manual_seed repeats it,
drop_last, collate_fn), random_split. Loading runs in the calling thread."""

import math
import numbers

import numpy as np

from .. import _dtype as dt
from .. import _tensor as T


class Dataset:
    def __getitem__(self, index):
        raise NotImplementedError

    def __len__(self):
        raise NotImplementedError


class TensorDataset(Dataset):
    """Rows of tensors that share their first dim."""

    def __init__(self, *tensors):
        if tensors and any(t.shape[0] != tensors[0].shape[0] for t in tensors):
            raise ValueError("Size mismatch between tensors: "
                             f"{[tuple(t.shape) for t in tensors]}")
        self.tensors = tensors

    def __getitem__(self, index):
        return tuple(t[index] for t in self.tensors)

    def __len__(self):
        return self.tensors[0].shape[0] if self.tensors else 0


class Subset(Dataset):
    def __init__(self, dataset, indices):
        self.dataset, self.indices = dataset, list(indices)

    def __getitem__(self, index):
        return self.dataset[self.indices[index]]

    def __len__(self):
        return len(self.indices)


def random_split(dataset, lengths):
    """Subsets of the given lengths (or fractions summing to 1), of a random
    permutation from mlopt's generator."""
    n = len(dataset)
    if all(isinstance(x, float) for x in lengths) and math.isclose(sum(lengths), 1.0):
        counts = [int(math.floor(n * f)) for f in lengths]
        for i in range(n - sum(counts)):  # the remainder, one each, round robin
            counts[i % len(counts)] += 1
        lengths = counts
    if sum(lengths) != n:
        raise ValueError("Sum of input lengths does not equal the length of the input dataset!")
    order = T._generator.permutation(n).tolist()
    out, start = [], 0
    for length in lengths:
        out.append(Subset(dataset, order[start:start + length]))
        start += length
    return out


def default_collate(batch):
    """Samples into a batch: tensors stacked, numbers into a tensor, tuples,
    lists and dicts field by field (as PyTorch's)."""
    first = batch[0]
    if isinstance(first, T.Tensor):
        return T.stack(list(batch))
    if isinstance(first, np.ndarray):
        return T.tensor(np.stack(batch))
    if isinstance(first, float):  # Python floats: float64, as PyTorch's
        return T.tensor(list(batch), dtype=dt.float64)
    if isinstance(first, (bool, numbers.Number)):
        return T.tensor(list(batch))
    if isinstance(first, dict):
        return {k: default_collate([b[k] for b in batch]) for k in first}
    if isinstance(first, (tuple, list)):
        if any(len(b) != len(first) for b in batch):
            raise RuntimeError("each element in list of batch should be of equal size")
        fields = [default_collate(list(f)) for f in zip(*batch)]
        if isinstance(first, list):
            return fields
        return type(first)(*fields) if hasattr(first, "_fields") else tuple(fields)
    return batch


class DataLoader:
    def __init__(self, dataset, batch_size=1, shuffle=False, drop_last=False,
                 collate_fn=None, num_workers=0, pin_memory=False):
        if batch_size is not None and (not isinstance(batch_size, int) or batch_size <= 0):
            raise ValueError(f"batch_size should be a positive integer value, "
                             f"but got batch_size={batch_size}")
        self.dataset, self.batch_size, self.shuffle = dataset, batch_size, shuffle
        self.drop_last = drop_last
        self.collate_fn = collate_fn or (default_collate if batch_size is not None
                                         else (lambda x: x))
        # (num_workers and pin_memory are accepted; loading is in this thread)

    def __len__(self):
        n = len(self.dataset)
        if self.batch_size is None:
            return n
        return n // self.batch_size if self.drop_last else -(-n // self.batch_size)

    def __iter__(self):
        n = len(self.dataset)
        order = T._generator.permutation(n).tolist() if self.shuffle else range(n)
        if self.batch_size is None:
            for i in order:
                yield self.collate_fn(self.dataset[i])
            return
        order = list(order)
        for start in range(0, n, self.batch_size):
            indices = order[start:start + self.batch_size]
            if len(indices) < self.batch_size and self.drop_last:
                return
            if type(self.dataset) is TensorDataset and self.collate_fn is default_collate:
                # One gather per tensor, not a stack of rows.
                index = T.tensor(indices)
                yield tuple(t[index] for t in self.dataset.tensors)
            else:
                yield self.collate_fn([self.dataset[i] for i in indices])
