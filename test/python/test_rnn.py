"""nn.RNN, nn.LSTM, nn.GRU and their cells: against a NumPy float64 reference
(multi-layer, bidirectional, batch_first, unbatched, hx given or not, LSTM
projections), gradients against finite differences, dropout in train and
eval, PyTorch's errors, a training loop, @mlopt.compile against eager, and
against PyTorch's modules with the same state dict where it is installed."""
import math
import warnings

import numpy as np
import pytest

import mlopt
import mlopt.nn as nn
from mlopt.testing import gradcheck

RNG = np.random.default_rng(21)
I, H = 3, 4


# ---- the NumPy reference -----------------------------------------------------------------
def sigmoid(x):
    return 1 / (1 + np.exp(-x))


def step_ref(mode, x, h, c, p, suffix):
    """One step of layer/direction `suffix` ('_l0', '_l1_reverse', '' for cells)."""
    w_ih, w_hh = p["weight_ih" + suffix], p["weight_hh" + suffix]
    b_ih = p.get("bias_ih" + suffix, 0.0)
    b_hh = p.get("bias_hh" + suffix, 0.0)
    gx, gh = x @ w_ih.T + b_ih, h @ w_hh.T + b_hh
    if mode in ("RNN_TANH", "RNN_RELU"):
        return (np.tanh(gx + gh) if mode == "RNN_TANH" else np.maximum(gx + gh, 0)), None
    n = w_hh.shape[0] // (4 if mode == "LSTM" else 3)
    if mode == "GRU":
        r = sigmoid(gx[:, :n] + gh[:, :n])
        z = sigmoid(gx[:, n:2 * n] + gh[:, n:2 * n])
        new = np.tanh(gx[:, 2 * n:] + r * gh[:, 2 * n:])
        return (1 - z) * new + z * h, None
    g = gx + gh
    i, f, gg, o = sigmoid(g[:, :n]), sigmoid(g[:, n:2 * n]), np.tanh(g[:, 2 * n:3 * n]), \
        sigmoid(g[:, 3 * n:])
    c = f * c + i * gg
    h = o * np.tanh(c)
    if "weight_hr" + suffix in p:
        h = h @ p["weight_hr" + suffix].T
    return h, c


def rnn_ref(mode, p, x, h0, c0, num_layers, bidirectional):
    """x (L, N, in); h0, c0 (layers * directions, N, *): output, h_n, c_n."""
    dirs = 2 if bidirectional else 1
    h_n, c_n = [], []
    for layer in range(num_layers):
        outs = []
        for d in range(dirs):
            k = layer * dirs + d
            suffix = f"_l{layer}" + ("_reverse" if d else "")
            h, c = h0[k], None if c0 is None else c0[k]
            steps = range(len(x) - 1, -1, -1) if d else range(len(x))
            out = [None] * len(x)
            for t in steps:
                h, c = step_ref(mode, x[t], h, c, p, suffix)
                out[t] = h
            outs.append(np.stack(out))
            h_n.append(h)
            c_n.append(c)
        x = np.concatenate(outs, -1)
    return x, np.stack(h_n), (None if c0 is None else np.stack(c_n))


MODES = {"RNN": "RNN_TANH", "LSTM": "LSTM", "GRU": "GRU"}


def params_of(module):
    return {k: v.numpy() for k, v in module.state_dict().items()}


def make(name, **kw):
    mlopt.manual_seed(3)
    return getattr(nn, name)(I, H, **kw).double()


def state_shape(module, batch, cell=False):
    dirs = 2 if module.bidirectional else 1
    size = module.proj_size if module.proj_size and not cell else module.hidden_size
    return (module.num_layers * dirs, batch, size)


CONFIGS = [
    ("RNN", {}),
    ("RNN", {"nonlinearity": "relu", "num_layers": 2}),
    ("RNN", {"num_layers": 2, "bidirectional": True, "batch_first": True}),
    ("LSTM", {}),
    ("LSTM", {"num_layers": 2, "bidirectional": True}),
    ("LSTM", {"batch_first": True, "bias": False}),
    ("LSTM", {"proj_size": 2, "num_layers": 2, "bidirectional": True}),
    ("GRU", {}),
    ("GRU", {"num_layers": 3, "bidirectional": True}),
    ("GRU", {"batch_first": True, "bias": False, "num_layers": 2}),
]
IDS = [f"{n}-{'-'.join(f'{k}={v}' for k, v in kw.items()) or 'default'}" for n, kw in CONFIGS]


@pytest.mark.parametrize("name, kw", CONFIGS, ids=IDS)
@pytest.mark.parametrize("given_hx", [False, True])
def test_rnn_layers_match_numpy(name, kw, given_hx):
    module = make(name, **kw)
    mode = "RNN_RELU" if kw.get("nonlinearity") == "relu" else MODES[name]
    L, N = 5, 2
    x = RNG.standard_normal((L, N, I))
    h0 = RNG.standard_normal(state_shape(module, N)) if given_hx else \
        np.zeros(state_shape(module, N))
    c0 = None
    if name == "LSTM":
        c0 = RNG.standard_normal(state_shape(module, N, cell=True)) if given_hx else \
            np.zeros(state_shape(module, N, cell=True))
    want, want_h, want_c = rnn_ref(mode, params_of(module), x, h0, c0, module.num_layers,
                                   module.bidirectional)
    xin = x.transpose(1, 0, 2) if module.batch_first else x
    hx = None
    if given_hx:
        hx = (mlopt.tensor(h0), mlopt.tensor(c0)) if name == "LSTM" else mlopt.tensor(h0)
    out, state = module(mlopt.tensor(xin), hx)
    out = out.detach().numpy()
    if module.batch_first:
        out = out.transpose(1, 0, 2)
    dirs = 2 if module.bidirectional else 1
    assert out.shape == (L, N, dirs * (module.proj_size or H))
    np.testing.assert_allclose(out, want, rtol=1e-12, atol=1e-12)
    if name == "LSTM":
        h_n, c_n = state
        np.testing.assert_allclose(c_n.detach().numpy(), want_c, rtol=1e-12, atol=1e-12)
    else:
        h_n = state
    assert tuple(h_n.shape) == state_shape(module, N)
    np.testing.assert_allclose(h_n.detach().numpy(), want_h, rtol=1e-12, atol=1e-12)


@pytest.mark.parametrize("name", ["RNN", "LSTM", "GRU"])
@pytest.mark.parametrize("batch_first", [False, True])
def test_unbatched_input_is_a_batch_of_one(name, batch_first):
    module = make(name, num_layers=2, bidirectional=True, batch_first=batch_first)
    x = RNG.standard_normal((6, I))
    h = RNG.standard_normal((4, H))
    hx = (mlopt.tensor(h), mlopt.tensor(h[:, ::-1].copy())) if name == "LSTM" else mlopt.tensor(h)
    batched_hx = tuple(t.unsqueeze(1) for t in hx) if name == "LSTM" else hx.unsqueeze(1)
    for state, batched_state in ((None, None), (hx, batched_hx)):
        out, got = module(mlopt.tensor(x), state)
        want_out, want = module(mlopt.tensor(x).unsqueeze(0 if batch_first else 1),
                                batched_state)
        assert tuple(out.shape) == (6, 2 * H)
        np.testing.assert_allclose(out.detach().numpy(),
                                   want_out.squeeze(0 if batch_first else 1).detach().numpy(),
                                   rtol=1e-14, atol=1e-14)
        for g, w in zip(got if name == "LSTM" else (got,), want if name == "LSTM" else (want,)):
            assert tuple(g.shape) == (4, H)
            np.testing.assert_allclose(g.detach().numpy(), w.squeeze(1).detach().numpy(),
                                       rtol=1e-14, atol=1e-14)


def test_parameters_names_shapes_init_dtype_and_repr():
    lstm = nn.LSTM(I, H, num_layers=2, bidirectional=True)
    names = [n for n, _ in lstm.named_parameters()]
    per = ["weight_ih_l{}{}", "weight_hh_l{}{}", "bias_ih_l{}{}", "bias_hh_l{}{}"]
    assert names == [p.format(layer, s) for layer in (0, 1) for s in ("", "_reverse")
                     for p in per]
    shapes = {n: tuple(p.shape) for n, p in lstm.named_parameters()}
    assert shapes["weight_ih_l0"] == (4 * H, I) and shapes["weight_ih_l1"] == (4 * H, 2 * H)
    assert shapes["weight_hh_l1_reverse"] == (4 * H, H) and shapes["bias_hh_l0"] == (4 * H,)
    assert len(lstm.all_weights) == 4 and lstm.all_weights[1][0] is lstm.weight_ih_l0_reverse
    proj = nn.LSTM(I, H, proj_size=2, bias=False)
    assert {n: tuple(p.shape) for n, p in proj.named_parameters()} == {
        "weight_ih_l0": (4 * H, I), "weight_hh_l0": (4 * H, 2), "weight_hr_l0": (2, H)}
    gru = nn.GRU(I, 16, dtype=mlopt.float64)
    assert all(p.dtype == mlopt.float64 for p in gru.parameters())
    values = np.concatenate([p.detach().numpy().ravel() for p in gru.parameters()])
    bound = 1 / math.sqrt(16)
    assert np.abs(values).max() <= bound and np.abs(values).max() > 0.9 * bound
    assert abs(values.std() - bound / math.sqrt(3)) < 0.1 * bound  # uniform, not constant
    cell = nn.GRUCell(I, H, bias=False)
    assert [n for n, _ in cell.named_parameters()] == ["weight_ih", "weight_hh"]
    assert cell.bias_ih is None and tuple(cell.weight_hh.shape) == (3 * H, H)
    assert [tuple(p.shape) for p in nn.RNNCell(I, H).parameters()] == [(H, I), (H, H), (H,), (H,)]
    assert repr(nn.GRU(I, H, 2, batch_first=True, dropout=0.5)) == \
        "GRU(3, 4, num_layers=2, batch_first=True, dropout=0.5)"
    assert repr(nn.RNNCell(I, H, nonlinearity="relu")) == "RNNCell(3, 4, nonlinearity=relu)"
    assert nn.RNN(I, H, 1, "relu").nonlinearity == "relu"  # the fourth positional argument


# ---- gradients ------------------------------------------------------------------------------
@pytest.mark.parametrize("name", ["RNN", "LSTM", "GRU"])
def test_gradients_match_finite_differences(name):
    module = make(name, num_layers=2, bidirectional=True)
    x = RNG.standard_normal((3, 2, I))
    h0 = RNG.standard_normal((4, 2, H))
    c0 = RNG.standard_normal((4, 2, H))

    def f(x, h0, c0):
        out, state = module(x, (h0, c0) if name == "LSTM" else h0)
        return (out,) + (state if name == "LSTM" else (state,))
    gradcheck(f, [mlopt.tensor(a) for a in (x, h0, c0)], atol=1e-7)

    # the parameters' gradients, at a few entries of each, by central differences
    weights = RNG.standard_normal(f(mlopt.tensor(x), mlopt.tensor(h0), mlopt.tensor(c0))[0].shape)

    def loss():
        out, state = f(mlopt.tensor(x), mlopt.tensor(h0), mlopt.tensor(c0))[:2]
        return (out * mlopt.tensor(weights)).sum() + (state ** 2).sum()
    module.zero_grad()
    loss().backward()
    eps = 1e-6
    for pname, p in module.named_parameters():
        flat = p.detach().view(-1)
        grad = p.grad.numpy().ravel()
        for j in RNG.choice(flat.shape[0], 3, replace=False):
            j = int(j)
            base = flat[j].item()
            with mlopt.no_grad():
                flat[j] = base + eps
                up = loss().item()
                flat[j] = base - eps
                down = loss().item()
                flat[j] = base
            assert abs((up - down) / (2 * eps) - grad[j]) < 1e-6 * max(1, abs(grad[j])), pname


@pytest.mark.parametrize("name", ["RNNCell", "LSTMCell", "GRUCell"])
def test_cells_match_numpy_and_finite_differences(name):
    mlopt.manual_seed(1)
    cell = getattr(nn, name)(I, H, nonlinearity="relu").double() if name == "RNNCell" else \
        getattr(nn, name)(I, H).double()
    mode = {"RNNCell": "RNN_RELU", "LSTMCell": "LSTM", "GRUCell": "GRU"}[name]
    p = params_of(cell)
    x, h, c = RNG.standard_normal((3, I)), RNG.standard_normal((3, H)), RNG.standard_normal((3, H))
    want_h, want_c = step_ref(mode, x, h, c, p, "")
    hx = (mlopt.tensor(h), mlopt.tensor(c)) if name == "LSTMCell" else mlopt.tensor(h)
    got = cell(mlopt.tensor(x), hx)
    got_h, got_c = got if name == "LSTMCell" else (got, None)
    np.testing.assert_allclose(got_h.detach().numpy(), want_h, rtol=1e-12, atol=1e-12)
    if name == "LSTMCell":
        np.testing.assert_allclose(got_c.detach().numpy(), want_c, rtol=1e-12, atol=1e-12)
    # hx None: zeros; unbatched (1-D) input and state
    zero_h, _ = step_ref(mode, x, np.zeros((3, H)), np.zeros((3, H)), p, "")
    got = cell(mlopt.tensor(x))
    np.testing.assert_allclose((got[0] if name == "LSTMCell" else got).detach().numpy(), zero_h,
                               rtol=1e-12, atol=1e-12)
    single = cell(mlopt.tensor(x[1]), (hx[0][1], hx[1][1]) if name == "LSTMCell" else hx[1])
    single_h = single[0] if name == "LSTMCell" else single
    assert tuple(single_h.shape) == (H,)
    np.testing.assert_allclose(single_h.detach().numpy(), want_h[1], rtol=1e-12, atol=1e-12)

    def f(x, h, c):
        return cell(x, (h, c) if name == "LSTMCell" else h)
    gradcheck(f, [mlopt.tensor(a) for a in (x, h, c)], atol=1e-7)


@pytest.mark.parametrize("name", ["RNN", "LSTM", "GRU"])
def test_a_cell_stepped_over_time_is_the_layer(name):
    layer = make(name)
    cell = getattr(nn, name + "Cell")(I, H).double()
    cell.load_state_dict({k[:-3]: v for k, v in layer.state_dict().items()})  # ..._l0 -> ...
    x = mlopt.tensor(RNG.standard_normal((4, 2, I)))
    state = None
    for t in range(4):
        state = cell(x[t], state)
    out, last = layer(x)
    h = state[0] if name == "LSTM" else state
    np.testing.assert_allclose(h.detach().numpy(), out[-1].detach().numpy(), rtol=1e-13)
    want = last[1][0] if name == "LSTM" else last[0]
    got = state[1] if name == "LSTM" else state
    np.testing.assert_allclose(got.detach().numpy(), want.detach().numpy(), rtol=1e-13)


# ---- dropout ----------------------------------------------------------------------------------
def test_dropout_between_layers_in_training_only():
    x = mlopt.tensor(RNG.standard_normal((5, 3, I)))
    plain = make("GRU", num_layers=2)
    dropped = make("GRU", num_layers=2, dropout=0.5)  # (the same seed: the same weights)
    plain.train()
    dropped.eval()
    np.testing.assert_array_equal(dropped(x)[0].detach().numpy(), plain(x)[0].detach().numpy())
    dropped.train()
    a, b = dropped(x)[0].detach().numpy(), dropped(x)[0].detach().numpy()
    assert not np.allclose(a, plain(x)[0].detach().numpy()) and not np.allclose(a, b)
    # p = 1 zeroes the first layer's output: the second layer then sees zeros
    every = make("LSTM", num_layers=2, dropout=1.0).train()
    out, (h_n, c_n) = every(x)
    second = nn.LSTM(H, H).double()
    second.load_state_dict({k.replace("_l1", "_l0"): v for k, v in every.state_dict().items()
                            if "_l1" in k})
    want, (want_h, _) = second(mlopt.zeros(5, 3, H, dtype=mlopt.float64))
    np.testing.assert_allclose(out.detach().numpy(), want.detach().numpy(), rtol=1e-14)
    np.testing.assert_allclose(h_n[1].detach().numpy(), want_h[0].detach().numpy(), rtol=1e-14)
    # the last layer's output is never dropped: a single layer ignores dropout (with a warning)
    with pytest.warns(UserWarning, match="num_layers greater than 1"):
        single = make("RNN", dropout=0.5)
    reference = make("RNN")
    np.testing.assert_array_equal(single.train()(x)[0].detach().numpy(),
                                  reference(x)[0].detach().numpy())


# ---- errors ---------------------------------------------------------------------------------
def f32(*shape):
    return mlopt.zeros(*shape)


ERRORS = [
    (lambda: nn.RNN(I, H)(f32(5, 2, 2, I)), ValueError,
     r"RNN: Expected input to be 2D or 3D, got 4D tensor instead"),
    (lambda: nn.LSTM(I, H)(f32(I)), ValueError, r"LSTM: Expected input to be 2D or 3D, got 1D"),
    (lambda: nn.GRU(I, H)(f32(5, 2, 7)), RuntimeError,
     r"input.size\(-1\) must be equal to input_size. Expected 3, got 7"),
    (lambda: nn.RNN(I, H, 2)(f32(5, 2, I), f32(1, 2, H)), RuntimeError,
     r"Expected hidden size \(2, 2, 4\), got \[1, 2, 4\]"),
    (lambda: nn.GRU(I, H, batch_first=True)(f32(5, 2, I), f32(1, 2, H)), RuntimeError,
     r"Expected hidden size \(1, 5, 4\), got \[1, 2, 4\]"),
    (lambda: nn.RNN(I, H)(f32(5, 2, I), f32(2, H)), RuntimeError,
     r"For batched 3-D input, hx should also be 3-D but got 2-D tensor"),
    (lambda: nn.GRU(I, H)(f32(5, I), f32(1, 1, H)), RuntimeError,
     r"For unbatched 2-D input, hx should also be 2-D but got 3-D tensor"),
    (lambda: nn.LSTM(I, H)(f32(5, 2, I), (f32(1, 2, H), f32(1, 3, H))), RuntimeError,
     r"Expected hidden\[1\] size \(1, 2, 4\), got \[1, 3, 4\]"),
    (lambda: nn.LSTM(I, H, proj_size=2)(f32(5, 2, I), (f32(1, 2, H), f32(1, 2, H))),
     RuntimeError, r"Expected hidden\[0\] size \(1, 2, 2\), got \[1, 2, 4\]"),
    (lambda: nn.LSTM(I, H)(f32(5, 2, I), (f32(2, H), f32(1, 2, H))), RuntimeError,
     r"hx and cx should also be 3-D but got \(2-D, 3-D\)"),
    (lambda: nn.RNN(I, H)(f32(5, 2, I).double()), ValueError,
     r"RNN input dtype \(mlopt.float64\) does not match weight dtype \(mlopt.float32\)"),
    (lambda: nn.GRU(I, H)(f32(0, 2, I)), RuntimeError, "Expected sequence length to be larger"),
    (lambda: nn.RNNCell(I, H)(f32(1, 2, I)), ValueError,
     r"RNNCell: Expected input to be 1D or 2D, got 3D instead"),
    (lambda: nn.GRUCell(I, H)(f32(2, I), f32(1, 2, H)), ValueError,
     r"GRUCell: Expected hidden to be 1D or 2D, got 3D instead"),
    (lambda: nn.LSTMCell(I, H)(f32(2, I), (f32(2, H), f32(1, 2, H))), ValueError,
     r"LSTMCell: Expected hx\[1\] to be 1D or 2D, got 3D instead"),
    (lambda: nn.GRUCell(I, H)(f32(2, 2)), RuntimeError,
     r"input has inconsistent input_size: got 2 expected 3"),
    (lambda: nn.RNNCell(I, H)(f32(2, I), f32(3, H)), RuntimeError,
     r"Input batch size 2 doesn't match hidden0 batch size 3"),
    (lambda: nn.LSTMCell(I, H)(f32(2, I), (f32(2, H), f32(2, 5))), RuntimeError,
     r"hidden1 has inconsistent hidden_size: got 5, expected 4"),
    (lambda: nn.RNNCell(I, H, nonlinearity="gelu")(f32(2, I)), RuntimeError,
     r"Unknown nonlinearity: gelu"),
    (lambda: nn.RNN(I, H, nonlinearity="sigmoid"), ValueError,
     r"Unknown nonlinearity 'sigmoid'. Select from 'tanh' or 'relu'."),
    (lambda: nn.GRU(I, H, proj_size=1), ValueError, r"proj_size argument is only supported"),
    (lambda: nn.LSTM(I, H, proj_size=H), ValueError, r"proj_size has to be smaller"),
    (lambda: nn.LSTM(I, H, dropout=1.5), ValueError, r"dropout should be a number in range"),
    (lambda: nn.GRU(I, 0), ValueError, r"hidden_size must be greater than zero"),
    (lambda: nn.GRU(I, 2.0), TypeError, r"hidden_size should be of type int, got: float"),
    (lambda: nn.RNN(I, H, 0), ValueError, r"num_layers must be greater than zero"),
]


@pytest.mark.parametrize("call, error, message", ERRORS, ids=[m[:40] for _, _, m in ERRORS])
def test_errors_as_pytorch(call, error, message):
    with pytest.raises(error, match=message):
        call()


# ---- training and @mlopt.compile ----------------------------------------------------------------
class Regressor(nn.Module):
    """Predicts the running mean of a sequence from its last hidden state."""

    def __init__(self, cls):
        super().__init__()
        self.rnn = cls(2, 8, num_layers=2, batch_first=True)
        self.head = nn.Linear(8, 1)

    def forward(self, x):
        out, _ = self.rnn(x)
        return self.head(out[:, -1])


@pytest.mark.parametrize("cls", [nn.LSTM, nn.GRU])
def test_a_short_training_loop_reduces_the_loss(cls):
    mlopt.manual_seed(0)
    model = Regressor(cls)
    opt = mlopt.optim.Adam(model.parameters(), lr=0.02)
    x = mlopt.tensor(RNG.standard_normal((16, 6, 2)).astype(np.float32))
    y = mlopt.tensor(x.numpy()[:, :, 0].mean(1, keepdims=True) - x.numpy()[:, -1, 1:])
    losses = []
    for _ in range(40):
        opt.zero_grad()
        loss = ((model(x) - y) ** 2).mean()
        loss.backward()
        opt.step()
        losses.append(loss.item())
    assert losses[-1] < 0.2 * losses[0], losses


@pytest.mark.parametrize("name, kw", [
    ("LSTM", {"num_layers": 2, "bidirectional": True, "batch_first": True}),
    ("GRU", {"num_layers": 2}),
    ("RNN", {"bidirectional": True, "nonlinearity": "relu"}),
], ids=["LSTM", "GRU", "RNN"])
def test_compiled_forward_and_backward_match_eager(name, kw):
    module = make(name, **kw)
    x = mlopt.tensor(RNG.standard_normal((2, 5, I) if kw.get("batch_first") else (5, 2, I)))
    h = RNG.standard_normal(state_shape(module, 2))

    def step(x, h0):
        hx = (h0, h0 * 0.5) if name == "LSTM" else h0
        out, state = module(x, hx)
        last = state[0] if name == "LSTM" else state
        loss = (out ** 2).mean() + last.sum()
        loss.backward()
        return loss, out

    def run(fn):
        module.zero_grad()
        h0 = mlopt.tensor(h, requires_grad=True)
        loss, out = fn(x, h0)
        return [loss.item(), out.detach().numpy(), h0.grad.numpy()] + \
            [p.grad.numpy().copy() for p in module.parameters()]

    want = run(step)
    compiled = mlopt.compile(step)
    for _ in range(2):  # the first call traces, the second runs the compiled function
        got = run(compiled)
        for g, w in zip(got, want):
            np.testing.assert_allclose(g, w, rtol=1e-10, atol=1e-12)
    assert compiled.reasons == [] and all(e.trace is not None for e in compiled.cache.values())
    # a compiled module: unbatched input and the (h, c) structure come back as eager's
    model = mlopt.compile(module)
    single = mlopt.tensor(RNG.standard_normal((4, I)))
    got, want = model(single), module(single)
    np.testing.assert_allclose(got[0].detach().numpy(), want[0].detach().numpy(), rtol=1e-12)
    if name == "LSTM":
        assert isinstance(got[1], tuple) and len(got[1]) == 2
        np.testing.assert_allclose(got[1][1].detach().numpy(), want[1][1].detach().numpy(),
                                   rtol=1e-12)


def test_compiled_step_with_a_graph_break_runs_eagerly():
    """A step that cannot trace (here an .item() in the loop) falls back to
    eager and still returns eager's values and gradients."""
    module = make("GRU")
    x = mlopt.tensor(RNG.standard_normal((4, 2, I)))

    def step(x):
        out, h_n = module(x)
        loss = (out ** 2).sum() * (1.0 if h_n.sum().item() > -1e9 else 2.0)
        loss.backward()
        return loss

    module.zero_grad()
    want = step(x).item(), module.weight_hh_l0.grad.numpy().copy()
    module.zero_grad()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        compiled = mlopt.compile(step)
        got = compiled(x).item(), module.weight_hh_l0.grad.numpy().copy()
    assert any(".item()" in r for r in compiled.reasons), compiled.reasons
    assert got[0] == pytest.approx(want[0], rel=1e-12)
    np.testing.assert_allclose(got[1], want[1], rtol=1e-12)


# ---- against PyTorch -------------------------------------------------------------------
def _copy_from_torch(ours, theirs):
    assert list(ours.state_dict()) == list(theirs.state_dict())
    ours.load_state_dict({k: mlopt.tensor(v.detach().numpy())
                          for k, v in theirs.state_dict().items()})


# (few shapes: each new one compiles its kernels, once, into mlopt's disk cache)
TORCH_CONFIGS = [
    ("RNN", {"nonlinearity": "relu", "num_layers": 2, "bidirectional": True,
             "batch_first": True}),
    ("RNN", {"bias": False}),
    ("LSTM", {"num_layers": 2, "bidirectional": True}),
    ("LSTM", {"proj_size": 3, "batch_first": True}),
    ("GRU", {"num_layers": 2, "bidirectional": True, "bias": False}),
    ("GRU", {"batch_first": True}),
]


@pytest.mark.filterwarnings("ignore:LSTM with projections")  # (PyTorch's, about oneDNN)
@pytest.mark.parametrize("dtype, tol", [("float32", 1e-5), ("float64", 1e-12)])
def test_layers_match_pytorch(dtype, tol):
    """Outputs and states batched and unbatched, with hx and without; the
    gradients of the input, hx and every parameter for a batch with hx (one
    backward per config: each new graph compiles its backward once)."""
    torch = pytest.importorskip("torch")
    for name, kw in TORCH_CONFIGS:
        theirs = getattr(torch.nn, name)(I, H, **kw).to(getattr(torch, dtype))
        ours = getattr(nn, name)(I, H, **kw).to(getattr(mlopt, dtype))
        _copy_from_torch(ours, theirs)
        for unbatched in (False, True):
            bf = kw.get("batch_first", False)
            shape = (5, I) if unbatched else ((2, 5, I) if bf else (5, 2, I))
            x = RNG.standard_normal(shape).astype(dtype)
            dirs = 2 if kw.get("bidirectional") else 1
            hs = (dirs * kw.get("num_layers", 1),) + (() if unbatched else (2,))
            h0 = RNG.standard_normal(hs + (kw.get("proj_size") or H,)).astype(dtype)
            c0 = RNG.standard_normal(hs + (H,)).astype(dtype)
            for given in (False, True):
                grads = given and not unbatched
                results = []
                for lib, module in ((torch, theirs), (mlopt, ours)):
                    module.zero_grad()
                    xt = lib.tensor(x, requires_grad=grads)
                    states = [lib.tensor(h0, requires_grad=grads),
                              lib.tensor(c0, requires_grad=grads)]
                    hx = (tuple(states) if name == "LSTM" else states[0]) if given else None
                    with lib.set_grad_enabled(grads):
                        out, state = module(xt, hx)
                    state = state if name == "LSTM" else (state,)
                    results.append([t.detach().numpy() for t in (out, *state)])
                    if grads:
                        loss = (out * out).sum() + sum((s * s * s).sum() for s in state)
                        loss.backward()
                        results[-1] += [t.grad.numpy() for t in (xt, *states[:len(state)])]
                        results[-1] += [p.grad.numpy() for p in module.parameters()]
                where = f"{name} {kw} unbatched={unbatched} hx={given}"
                assert len(results[0]) == len(results[1]), where
                for want, got in zip(*results):
                    assert want.shape == got.shape, where
                    np.testing.assert_allclose(got, want, rtol=tol, atol=tol, err_msg=where)


@pytest.mark.parametrize("dtype, tol", [("float32", 1e-5), ("float64", 1e-12)])
def test_cells_match_pytorch(dtype, tol):
    torch = pytest.importorskip("torch")
    for name, kw in [("RNNCell", {}), ("RNNCell", {"nonlinearity": "relu", "bias": False}),
                     ("LSTMCell", {}), ("GRUCell", {}), ("GRUCell", {"bias": False})]:
        theirs = getattr(torch.nn, name)(I, H, **kw).to(getattr(torch, dtype))
        ours = getattr(nn, name)(I, H, **kw).to(getattr(mlopt, dtype))
        _copy_from_torch(ours, theirs)
        for batch in ((3,), ()):
            x = RNG.standard_normal(batch + (I,)).astype(dtype)
            h = RNG.standard_normal((2,) + batch + (H,)).astype(dtype)
            results = []
            for lib, module in ((torch, theirs), (mlopt, ours)):
                module.zero_grad()
                xt = lib.tensor(x, requires_grad=True)
                ht = [lib.tensor(h[0], requires_grad=True), lib.tensor(h[1], requires_grad=True)]
                out = module(xt, tuple(ht) if name == "LSTMCell" else ht[0])
                outs = out if name == "LSTMCell" else (out,)
                sum(((o - 0.3) ** 2).sum() for o in outs).backward()
                results.append([t.detach().numpy() for t in (*outs, xt.grad, ht[0].grad)] +
                               [p.grad.numpy() for p in module.parameters()])
            for want, got in zip(*results):
                assert want.shape == got.shape
                np.testing.assert_allclose(got, want, rtol=tol, atol=tol, err_msg=f"{name} {kw}")


def test_constructor_and_input_errors_match_pytorch():
    torch = pytest.importorskip("torch")

    def outcome(lib, mod, call):
        try:
            call(lib, mod)
        except Exception as e:  # noqa: BLE001 - compared below
            return type(e).__name__, str(e).replace("torch.", "").replace("mlopt.", "")
        return None

    def z(lib, *shape):
        return lib.zeros(*shape)

    calls = [
        lambda lib, m: m.RNN(I, H)(z(lib, 5, 2, 2, I)),
        lambda lib, m: m.GRU(I, H)(z(lib, 5, 2, 7)),
        lambda lib, m: m.LSTM(I, H, 2, bidirectional=True)(z(lib, 5, 2, I),
                                                            (z(lib, 4, 2, H), z(lib, 2, 2, H))),
        lambda lib, m: m.RNN(I, H, 2)(z(lib, 5, I), z(lib, 1, H)),
        lambda lib, m: m.GRU(I, H, batch_first=True)(z(lib, 5, 2, I), z(lib, 1, 2, H)),
        lambda lib, m: m.RNN(I, H)(z(lib, 5, 2, I).double()),
        lambda lib, m: m.GRUCell(I, H)(z(lib, 2, I), z(lib, 4, H)),
        lambda lib, m: m.LSTMCell(I, H)(z(lib, 2, I), (z(lib, 2, H), z(lib, 1, 2, H))),
        lambda lib, m: m.RNNCell(I, H)(z(lib, I), z(lib, 1, H)),
        lambda lib, m: m.RNN(I, H, nonlinearity="x"),
        lambda lib, m: m.LSTM(I, H, dropout=True),
        lambda lib, m: m.GRU(I, H, bias=1),
    ]
    for call in calls:
        want = outcome(torch, torch.nn, call)
        assert want is not None and outcome(mlopt, nn, call) == want
