"""nn.RNN, nn.LSTM, nn.GRU and their cells nn.RNNCell, nn.LSTMCell, nn.GRUCell,
as PyTorch's: the same arguments, parameter names, shapes, gate order
(LSTM i, f, g, o; GRU r, z, n), init U(+-1/sqrt(hidden_size)), input
layouts and checks. Built from linear, sigmoid, tanh, slicing and stack (the
input projection of a whole sequence is one matmul, then one small matmul
per step), so they run eagerly with autograd and trace under
@mlopt.compile (the time loop unrolls) like any other module. A
PackedSequence input (mlopt.nn.utils.rnn) runs step t on the
batch_sizes[t] sequences that have it, so each state stops at its
sequence's last step, and returns a PackedSequence, as PyTorch's."""

import math
import numbers
import warnings

from .. import _tensor as T
from .._tensor import Tensor
from . import functional as F
from . import init
from .modules import Module, Parameter
from .utils.rnn import PackedSequence

_GATES = {"RNN_TANH": 1, "RNN_RELU": 1, "LSTM": 4, "GRU": 3}


# ---- one step of each cell -----------------------------------------------------------
# gx: the input's projection x W_ih^T + b_ih (N, gates * H); h, c: (N, H or proj).
def _rnn_step(gx, h, w_hh, b_hh, relu):
    pre = gx + F.linear(h, w_hh, b_hh)
    return F.relu(pre) if relu else T.tanh(pre)


def _lstm_step(gx, h, c, w_hh, b_hh, w_hr=None):
    gates = gx + F.linear(h, w_hh, b_hh)
    H = gates.shape[-1] // 4
    i = T.sigmoid(gates[..., 0:H])
    f = T.sigmoid(gates[..., H:2 * H])
    g = T.tanh(gates[..., 2 * H:3 * H])
    o = T.sigmoid(gates[..., 3 * H:4 * H])
    c = f * c + i * g
    h = o * T.tanh(c)
    return (F.linear(h, w_hr) if w_hr is not None else h), c


def _gru_step(gx, h, w_hh, b_hh):
    gh = F.linear(h, w_hh, b_hh)
    H = gh.shape[-1] // 3
    r = T.sigmoid(gx[..., 0:H] + gh[..., 0:H])
    z = T.sigmoid(gx[..., H:2 * H] + gh[..., H:2 * H])
    n = T.tanh(gx[..., 2 * H:3 * H] + r * gh[..., 2 * H:3 * H])
    return (h - n) * z + n  # (1 - z) * n + z * h, as PyTorch computes it


def _reset_uniform(module):
    """PyTorch's init of recurrent weights: U(-1/sqrt(hidden), 1/sqrt(hidden))."""
    stdv = 1.0 / math.sqrt(module.hidden_size) if module.hidden_size > 0 else 0
    for weight in module.parameters():
        init.uniform_(weight, -stdv, stdv)


def _check_dropout(dropout):
    if not isinstance(dropout, numbers.Number) or isinstance(dropout, bool) or \
            not 0 <= dropout <= 1:
        raise ValueError("dropout should be a number in range [0, 1] representing the "
                         "probability of an element being zeroed")


def _shape(t):
    return tuple(t.shape)


class RNNBase(Module):
    """The multi-layer, optionally bidirectional recurrence RNN, LSTM and GRU
    share; `mode` is 'RNN_TANH', 'RNN_RELU', 'LSTM' or 'GRU', as PyTorch's."""

    def __init__(self, mode, input_size, hidden_size, num_layers=1, bias=True,
                 batch_first=False, dropout=0.0, bidirectional=False, proj_size=0,
                 device=None, dtype=None):
        super().__init__()
        if mode not in _GATES:
            raise ValueError("Unrecognized RNN mode: " + str(mode))
        _check_dropout(dropout)
        if dropout > 0 and num_layers == 1:
            warnings.warn("dropout option adds dropout after all but last recurrent layer, so "
                          "non-zero dropout expects num_layers greater than 1, but got "
                          f"dropout={dropout} and num_layers={num_layers}")
        if not isinstance(bias, bool):
            raise TypeError(f"bias should be of type bool, got: {type(bias).__name__}")
        if not isinstance(batch_first, bool):
            raise TypeError(f"batch_first should be of type bool, got: "
                            f"{type(batch_first).__name__}")
        if not isinstance(input_size, int):
            raise TypeError(f"input_size should be of type int, got: "
                            f"{type(input_size).__name__}")
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
        if proj_size and mode != "LSTM":
            raise ValueError("proj_size argument is only supported for LSTM, not RNN or GRU")
        self.mode, self.input_size, self.hidden_size = mode, input_size, hidden_size
        self.num_layers, self.bias, self.batch_first = num_layers, bias, batch_first
        self.dropout, self.bidirectional = float(dropout), bidirectional
        self.proj_size = proj_size
        directions = 2 if bidirectional else 1
        gate_size = _GATES[mode] * hidden_size
        real_hidden = proj_size if proj_size > 0 else hidden_size
        self._flat_weights_names = []
        self._all_weights = []
        for layer in range(num_layers):
            for direction in range(directions):
                layer_input = input_size if layer == 0 else real_hidden * directions
                suffix = "_reverse" if direction == 1 else ""
                shapes = [("weight_ih", (gate_size, layer_input)),
                          ("weight_hh", (gate_size, real_hidden))]
                if bias:
                    shapes += [("bias_ih", (gate_size,)), ("bias_hh", (gate_size,))]
                if proj_size > 0:
                    shapes += [("weight_hr", (proj_size, hidden_size))]
                names = []
                for kind, shape in shapes:
                    name = f"{kind}_l{layer}{suffix}"
                    setattr(self, name, Parameter(T.empty(*shape, dtype=dtype, device=device)))
                    names.append(name)
                self._flat_weights_names.extend(names)
                self._all_weights.append(names)
        self.reset_parameters()

    def reset_parameters(self):
        _reset_uniform(self)

    def flatten_parameters(self):
        """A no-op (PyTorch's packs the weights for cuDNN)."""

    @property
    def _flat_weights(self):
        return [getattr(self, name) for name in self._flat_weights_names]

    @property
    def all_weights(self):
        return [[getattr(self, name) for name in names] for names in self._all_weights]

    def extra_repr(self):
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

    # ---- checks, as PyTorch's -------------------------------------------------------
    def _check_input(self, input):
        weight = self.weight_ih_l0
        if input.dtype != weight.dtype:
            raise ValueError(f"RNN input dtype ({input.dtype}) does not match weight dtype "
                             f"({weight.dtype}). Convert input: input.to({weight.dtype}), or "
                             f"convert model: model.to({input.dtype})")
        if input.ndim != 3:
            raise RuntimeError(f"input must have 3 dimensions, got {input.ndim}")
        if self.input_size != input.shape[-1]:
            raise RuntimeError(f"input.size(-1) must be equal to input_size. Expected "
                               f"{self.input_size}, got {input.shape[-1]}")

    def _expected_hidden_size(self, input, size=None):
        batch = input.shape[0] if self.batch_first else input.shape[1]
        directions = 2 if self.bidirectional else 1
        if size is None:
            size = self.proj_size if self.proj_size > 0 else self.hidden_size
        return (self.num_layers * directions, batch, size)

    @staticmethod
    def _check_hidden_size(hx, expected, msg="Expected hidden size {}, got {}"):
        if _shape(hx) != expected:
            raise RuntimeError(msg.format(expected, list(hx.shape)))

    def _check_hidden_dtype(self, input, hx):
        if hx.dtype != input.dtype:
            raise RuntimeError(f"input and hidden tensors are not the same dtype, found "
                               f"input tensor with {input.dtype} and hidden tensor with "
                               f"{hx.dtype}")

    # ---- the recurrence ---------------------------------------------------------------
    def _layer_direction(self, x, layer, reverse, h, c):
        """One direction of one layer over x (L, N, in): the outputs (L, N, H)
        and the last state."""
        suffix = "_reverse" if reverse else ""
        w_ih = getattr(self, f"weight_ih_l{layer}{suffix}")
        w_hh = getattr(self, f"weight_hh_l{layer}{suffix}")
        b_ih = getattr(self, f"bias_ih_l{layer}{suffix}") if self.bias else None
        b_hh = getattr(self, f"bias_hh_l{layer}{suffix}") if self.bias else None
        w_hr = getattr(self, f"weight_hr_l{layer}{suffix}") if self.proj_size > 0 else None
        gx = F.linear(x, w_ih, b_ih)  # every step's input projection at once
        steps = range(x.shape[0] - 1, -1, -1) if reverse else range(x.shape[0])
        outputs = []
        for t in steps:
            if self.mode == "LSTM":
                h, c = _lstm_step(gx[t], h, c, w_hh, b_hh, w_hr)
            elif self.mode == "GRU":
                h = _gru_step(gx[t], h, w_hh, b_hh)
            else:
                h = _rnn_step(gx[t], h, w_hh, b_hh, self.mode == "RNN_RELU")
            outputs.append(h)
        if reverse:
            outputs.reverse()
        return T.stack(outputs, 0), h, c

    def _run(self, x, h0, c0):
        """x (L, N, in) time-major; h0, c0 (layers * directions, N, *) or c0
        None: the output (L, N, directions * H) and the last states."""
        if x.shape[0] == 0:
            raise RuntimeError("Expected sequence length to be larger than 0 in RNN")
        return self._layers(x, h0, c0, self._layer_direction, 2)

    def _layers(self, x, h0, c0, direction_fn, feature_dim):
        """Every layer over x, each direction by direction_fn(x, layer,
        reverse, h, c) -> (out, h, c), the directions joined along
        feature_dim, dropout between layers: the output and the last states."""
        directions = 2 if self.bidirectional else 1
        h_n, c_n = [], []
        for layer in range(self.num_layers):
            outs = []
            for direction in range(directions):
                k = layer * directions + direction
                out, h, c = direction_fn(x, layer, direction == 1, h0[k],
                                         None if c0 is None else c0[k])
                outs.append(out)
                h_n.append(h)
                c_n.append(c)
            x = outs[0] if directions == 1 else T.cat(outs, feature_dim)
            if self.dropout and self.training and layer < self.num_layers - 1:
                x = F.dropout(x, self.dropout, True)
        return x, T.stack(h_n, 0), (None if c0 is None else T.stack(c_n, 0))

    def _cell(self, gx, h, c, w_hh, b_hh, w_hr):
        if self.mode == "LSTM":
            return _lstm_step(gx, h, c, w_hh, b_hh, w_hr)
        if self.mode == "GRU":
            return _gru_step(gx, h, w_hh, b_hh), None
        return _rnn_step(gx, h, w_hh, b_hh, self.mode == "RNN_RELU"), None

    def _layer_direction_packed(self, x, batch_sizes, layer, reverse, h, c):
        """One direction of one layer over packed data x (sum of lengths, in):
        each step t runs the batch_sizes[t] sequences that have it (the
        longest first), so a sequence's state stops at its last step. The
        packed outputs and the last states (B, *)."""
        suffix = "_reverse" if reverse else ""
        w_hh = getattr(self, f"weight_hh_l{layer}{suffix}")
        b_hh = getattr(self, f"bias_hh_l{layer}{suffix}") if self.bias else None
        w_hr = getattr(self, f"weight_hr_l{layer}{suffix}") if self.proj_size > 0 else None
        gx = F.linear(x, getattr(self, f"weight_ih_l{layer}{suffix}"),
                      getattr(self, f"bias_ih_l{layer}{suffix}") if self.bias else None)
        offsets = [0]
        for b in batch_sizes:
            offsets.append(offsets[-1] + b)
        outputs = [None] * len(batch_sizes)
        if not reverse:
            done_h, done_c = [], []  # the states of finished sequences, last rows first
            for t, b in enumerate(batch_sizes):
                if b < h.shape[0]:
                    done_h.append(h[b:])
                    h = h[:b]
                    if c is not None:
                        done_c.append(c[b:])
                        c = c[:b]
                h, c = self._cell(gx[offsets[t]:offsets[t + 1]], h, c, w_hh, b_hh, w_hr)
                outputs[t] = h
            h_n = T.cat([h] + done_h[::-1], 0) if done_h else h
            c_n = None if c is None else (T.cat([c] + done_c[::-1], 0) if done_c else c)
        else:  # from each sequence's last step back: sequences join as t falls
            h0, c0 = h, c
            active = batch_sizes[-1]
            h = h0[:active]
            c = None if c0 is None else c0[:active]
            for t in range(len(batch_sizes) - 1, -1, -1):
                b = batch_sizes[t]
                if b > active:
                    h = T.cat([h, h0[active:b]], 0)
                    if c is not None:
                        c = T.cat([c, c0[active:b]], 0)
                    active = b
                h, c = self._cell(gx[offsets[t]:offsets[t + 1]], h, c, w_hh, b_hh, w_hr)
                outputs[t] = h
            h_n, c_n = h, c
        return T.cat(outputs, 0), h_n, c_n

    def _run_packed(self, x, batch_sizes, h0, c0):
        return self._layers(x, h0, c0, lambda x, layer, reverse, h, c: (
            self._layer_direction_packed(x, batch_sizes, layer, reverse, h, c)), 1)

    def _forward_packed(self, packed, hx):
        """A PackedSequence input, as PyTorch's: hx (if given) in the
        caller's batch order, the output a PackedSequence with the input's
        batch_sizes and indices, h_n (and c_n) in the caller's order."""
        x, batch_sizes = packed.data, packed._batch_sizes_list()
        if not isinstance(x, Tensor) or x.ndim != 2:
            raise RuntimeError(f"packed input must have 2 dimensions, got "
                               f"{getattr(x, 'ndim', None)}")
        if self.input_size != x.shape[-1]:
            raise RuntimeError(f"input.size(-1) must be equal to input_size. Expected "
                               f"{self.input_size}, got {x.shape[-1]}")
        batch = batch_sizes[0]
        directions = 2 if self.bidirectional else 1
        real_hidden = self.proj_size if self.proj_size > 0 else self.hidden_size
        lstm = self.mode == "LSTM"
        shape_h = (self.num_layers * directions, batch, real_hidden)
        shape_c = (self.num_layers * directions, batch, self.hidden_size)
        if hx is None:
            h0 = T.zeros(*shape_h, dtype=x.dtype, device=x.device)
            c0 = T.zeros(*shape_c, dtype=x.dtype, device=x.device) if lstm else None
        else:
            if lstm:
                if not isinstance(hx, (tuple, list)) or len(hx) != 2:
                    raise RuntimeError("LSTM: hx must be a tuple (h_0, c_0) of two tensors")
                h0, c0 = hx
                self._check_hidden_size(h0, shape_h, "Expected hidden[0] size {}, got {}")
                self._check_hidden_size(c0, shape_c, "Expected hidden[1] size {}, got {}")
                self._check_hidden_dtype(x, c0)
            else:
                h0, c0 = hx, None
                self._check_hidden_size(h0, shape_h)
            self._check_hidden_dtype(x, h0)
            if packed.sorted_indices is not None:
                h0 = h0.index_select(1, packed.sorted_indices)
                c0 = None if c0 is None else c0.index_select(1, packed.sorted_indices)
        out, h_n, c_n = self._run_packed(x, batch_sizes, h0, c0)
        if packed.unsorted_indices is not None:
            h_n = h_n.index_select(1, packed.unsorted_indices)
            c_n = None if c_n is None else c_n.index_select(1, packed.unsorted_indices)
        out = PackedSequence(out, batch_sizes, packed.sorted_indices, packed.unsorted_indices)
        return out, ((h_n, c_n) if lstm else h_n)

    def _prepare(self, input, name):
        if not isinstance(input, Tensor):
            raise TypeError(f"{name}: expected a Tensor input, got {type(input).__name__}")
        if input.ndim not in (2, 3):  # (PyTorch's RNN says "tensor", LSTM and GRU not)
            raise ValueError(f"{name}: Expected input to be 2D or 3D, got {input.ndim}D "
                             + ("tensor instead" if name == "RNN" else "instead"))
        return input.ndim == 3, (0 if self.batch_first else 1)

    def _zeros(self, input, size):
        return T.zeros(*self._expected_hidden_size(input, size), dtype=input.dtype,
                       device=input.device)

    def forward(self, input, hx=None):
        if isinstance(input, PackedSequence):
            return self._forward_packed(input, hx)
        name = "RNN" if self.mode.startswith("RNN") else self.mode
        is_batched, batch_dim = self._prepare(input, name)
        if not is_batched:
            input = input.unsqueeze(batch_dim)
            if hx is not None:
                if hx.ndim != 2:
                    raise RuntimeError(f"For unbatched 2-D input, hx should also be 2-D but "
                                       f"got {hx.ndim}-D tensor")
                hx = hx.unsqueeze(1)
        elif hx is not None and hx.ndim != 3:
            raise RuntimeError(f"For batched 3-D input, hx should also be 3-D but got "
                               f"{hx.ndim}-D tensor")
        self._check_input(input)
        if hx is None:
            hx = self._zeros(input, None)
        else:
            self._check_hidden_size(hx, self._expected_hidden_size(input))
            self._check_hidden_dtype(input, hx)
        x = input.transpose(0, 1) if self.batch_first else input
        out, h_n, _ = self._run(x, hx, None)
        if self.batch_first:
            out = out.transpose(0, 1)
        if not is_batched:
            out, h_n = out.squeeze(batch_dim), h_n.squeeze(1)
        return out, h_n


class RNN(RNNBase):
    """Elman RNN: h_t = tanh(x_t W_ih^T + b_ih + h_{t-1} W_hh^T + b_hh)
    (or relu), as torch.nn.RNN (nonlinearity is the fourth positional
    argument, as there)."""

    def __init__(self, input_size, hidden_size, num_layers=1, nonlinearity="tanh", bias=True,
                 batch_first=False, dropout=0.0, bidirectional=False, device=None, dtype=None,
                 **kwargs):
        if "proj_size" in kwargs:
            raise ValueError("proj_size argument is only supported for LSTM, not RNN or GRU")
        if kwargs:
            raise TypeError(f"RNN.__init__() got an unexpected keyword argument "
                            f"'{next(iter(kwargs))}'")
        if nonlinearity == "tanh":
            mode = "RNN_TANH"
        elif nonlinearity == "relu":
            mode = "RNN_RELU"
        else:
            raise ValueError(f"Unknown nonlinearity '{nonlinearity}'. Select from 'tanh' or "
                             "'relu'.")
        super().__init__(mode, input_size, hidden_size, num_layers, bias, batch_first, dropout,
                         bidirectional, 0, device, dtype)
        self.nonlinearity = nonlinearity


class GRU(RNNBase):
    """torch.nn.GRU: r, z, n gates with n = tanh(W_in x + b_in + r * (W_hn h + b_hn))."""

    def __init__(self, input_size, hidden_size, num_layers=1, bias=True, batch_first=False,
                 dropout=0.0, bidirectional=False, device=None, dtype=None, **kwargs):
        if "proj_size" in kwargs:
            raise ValueError("proj_size argument is only supported for LSTM, not RNN or GRU")
        if kwargs:
            raise TypeError(f"GRU.__init__() got an unexpected keyword argument "
                            f"'{next(iter(kwargs))}'")
        super().__init__("GRU", input_size, hidden_size, num_layers, bias, batch_first,
                         dropout, bidirectional, 0, device, dtype)


class LSTM(RNNBase):
    """torch.nn.LSTM: i, f, g, o gates; hx and the returned state are
    (h, c); proj_size > 0 projects h by weight_hr_l{k} (proj_size, hidden_size)."""

    def __init__(self, input_size, hidden_size, num_layers=1, bias=True, batch_first=False,
                 dropout=0.0, bidirectional=False, proj_size=0, device=None, dtype=None):
        super().__init__("LSTM", input_size, hidden_size, num_layers, bias, batch_first,
                         dropout, bidirectional, proj_size, device, dtype)

    def forward(self, input, hx=None):
        if isinstance(input, PackedSequence):
            return self._forward_packed(input, hx)
        is_batched, batch_dim = self._prepare(input, "LSTM")
        if not is_batched:
            input = input.unsqueeze(batch_dim)
        if hx is None:
            self._check_input(input)
            h0 = self._zeros(input, None)
            c0 = self._zeros(input, self.hidden_size)
        else:
            if not isinstance(hx, (tuple, list)) or len(hx) != 2:
                raise RuntimeError("LSTM: hx must be a tuple (h_0, c_0) of two tensors")
            h0, c0 = hx
            if is_batched:
                if h0.ndim != 3 or c0.ndim != 3:
                    raise RuntimeError(f"For batched 3-D input, hx and cx should also be 3-D "
                                       f"but got ({h0.ndim}-D, {c0.ndim}-D) tensors")
            else:
                if h0.ndim != 2 or c0.ndim != 2:
                    raise RuntimeError(f"For unbatched 2-D input, hx and cx should also be "
                                       f"2-D but got ({h0.ndim}-D, {c0.ndim}-D) tensors")
                h0, c0 = h0.unsqueeze(1), c0.unsqueeze(1)
            self._check_input(input)
            self._check_hidden_size(h0, self._expected_hidden_size(input),
                                    "Expected hidden[0] size {}, got {}")
            self._check_hidden_size(c0, self._expected_hidden_size(input, self.hidden_size),
                                    "Expected hidden[1] size {}, got {}")
            self._check_hidden_dtype(input, h0)
            self._check_hidden_dtype(input, c0)
        x = input.transpose(0, 1) if self.batch_first else input
        out, h_n, c_n = self._run(x, h0, c0)
        if self.batch_first:
            out = out.transpose(0, 1)
        if not is_batched:
            out, h_n, c_n = out.squeeze(batch_dim), h_n.squeeze(1), c_n.squeeze(1)
        return out, (h_n, c_n)


# ---- cells ------------------------------------------------------------------------------
class RNNCellBase(Module):
    def __init__(self, input_size, hidden_size, bias, num_chunks, device=None, dtype=None):
        super().__init__()
        self.input_size, self.hidden_size, self.bias = input_size, hidden_size, bias
        gates = num_chunks * hidden_size
        self.weight_ih = Parameter(T.empty(gates, input_size, dtype=dtype, device=device))
        self.weight_hh = Parameter(T.empty(gates, hidden_size, dtype=dtype, device=device))
        if bias:
            self.bias_ih = Parameter(T.empty(gates, dtype=dtype, device=device))
            self.bias_hh = Parameter(T.empty(gates, dtype=dtype, device=device))
        else:
            self.register_parameter("bias_ih", None)
            self.register_parameter("bias_hh", None)
        self.reset_parameters()

    def reset_parameters(self):
        _reset_uniform(self)

    def extra_repr(self):
        s = f"{self.input_size}, {self.hidden_size}"
        if self.bias is not True:
            s += f", bias={self.bias}"
        if getattr(self, "nonlinearity", "tanh") != "tanh":
            s += f", nonlinearity={self.nonlinearity}"
        return s

    def _prepare(self, input, hidden, name, labels):
        """Checks as PyTorch's; returns (is_batched, the 2-D input, the 2-D
        hidden tensors, zeros where not given) for `hidden`, a list."""
        if input.ndim not in (1, 2):
            raise ValueError(f"{name}: Expected input to be 1D or 2D, got {input.ndim}D instead")
        for h, label in zip(hidden, labels):
            if h is not None and h.ndim not in (1, 2):
                raise ValueError(f"{name}: Expected {label} to be 1D or 2D, got {h.ndim}D "
                                 "instead")
        is_batched = input.ndim == 2
        x = input if is_batched else input.unsqueeze(0)
        if x.shape[1] != self.input_size:
            raise RuntimeError(f"input has inconsistent input_size: got {x.shape[1]} expected "
                               f"{self.input_size}")
        if x.dtype != self.weight_ih.dtype:
            raise RuntimeError(f"{name}: input of type {x.dtype}, but the weights are "
                               f"{self.weight_ih.dtype}")
        states = []
        for k, h in enumerate(hidden):
            if h is None:
                h = T.zeros(x.shape[0], self.hidden_size, dtype=x.dtype, device=x.device)
            else:
                h = h if is_batched else h.unsqueeze(0)
                if h.ndim != 2:
                    raise RuntimeError(f"Expected 2D hidden{k} (batch x hidden_size), but got "
                                       f"{h.ndim}D tensor")
                if x.shape[0] != h.shape[0]:
                    raise RuntimeError(f"Input batch size {x.shape[0]} doesn't match hidden{k} "
                                       f"batch size {h.shape[0]}")
                if h.shape[1] != self.hidden_size:
                    raise RuntimeError(f"hidden{k} has inconsistent hidden_size: got "
                                       f"{h.shape[1]}, expected {self.hidden_size}")
                if h.dtype != x.dtype:
                    raise RuntimeError(f"{name}: hidden{k} of type {h.dtype}, but the input is "
                                       f"{x.dtype}")
            states.append(h)
        return is_batched, x, states


class RNNCell(RNNCellBase):
    def __init__(self, input_size, hidden_size, bias=True, nonlinearity="tanh", device=None,
                 dtype=None):
        super().__init__(input_size, hidden_size, bias, 1, device, dtype)
        self.nonlinearity = nonlinearity

    def forward(self, input, hx=None):
        is_batched, x, (h,) = self._prepare(input, [hx], "RNNCell", ["hidden"])
        if self.nonlinearity not in ("tanh", "relu"):
            raise RuntimeError(f"Unknown nonlinearity: {self.nonlinearity}")
        h = _rnn_step(F.linear(x, self.weight_ih, self.bias_ih), h, self.weight_hh,
                      self.bias_hh, self.nonlinearity == "relu")
        return h if is_batched else h.squeeze(0)


class LSTMCell(RNNCellBase):
    def __init__(self, input_size, hidden_size, bias=True, device=None, dtype=None):
        super().__init__(input_size, hidden_size, bias, 4, device, dtype)

    def forward(self, input, hx=None):
        is_batched, x, (h, c) = self._prepare(input, [None, None] if hx is None else list(hx),
                                              "LSTMCell", ["hx[0]", "hx[1]"])
        h, c = _lstm_step(F.linear(x, self.weight_ih, self.bias_ih), h, c, self.weight_hh,
                          self.bias_hh)
        return (h, c) if is_batched else (h.squeeze(0), c.squeeze(0))


class GRUCell(RNNCellBase):
    def __init__(self, input_size, hidden_size, bias=True, device=None, dtype=None):
        super().__init__(input_size, hidden_size, bias, 3, device, dtype)

    def forward(self, input, hx=None):
        is_batched, x, (h,) = self._prepare(input, [hx], "GRUCell", ["hidden"])
        h = _gru_step(F.linear(x, self.weight_ih, self.bias_ih), h, self.weight_hh,
                      self.bias_hh)
        return h if is_batched else h.squeeze(0)
