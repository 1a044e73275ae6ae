"""mlopt.nn.Module, its layers and mlopt.optim, against NumPy in float64
(and PyTorch where it is installed)."""
import math
import os
import pickle

import numpy as np
import pytest

import mlopt
import mlopt.nn as nn
from mlopt.testing import gradcheck
import mlopt.nn.functional as F


class Block(nn.Module):
    def __init__(self):
        super().__init__()
        self.norm = nn.LayerNorm(6)
        self.mlp = nn.Sequential(nn.Linear(6, 12), nn.GELU(), nn.Linear(12, 6, bias=False))
        self.scale = nn.Parameter(mlopt.ones(6))
        self.register_buffer("steps", mlopt.zeros(1, dtype=mlopt.int64))
        self.shared = self.mlp[0]  # the same module twice: its parameters count once

    def forward(self, x):
        return x + self.mlp(self.norm(x)) * self.scale


def test_module_registers_parameters_buffers_and_children():
    block = Block()
    names = [n for n, _ in block.named_parameters()]
    assert names == ["scale", "norm.weight", "norm.bias", "mlp.0.weight", "mlp.0.bias",
                     "mlp.2.weight"]
    assert sum(p.numel() for p in block.parameters()) == 6 + 12 + 6 * 12 + 12 + 12 * 6
    assert all(p.requires_grad and isinstance(p, nn.Parameter) for p in block.parameters())
    assert [n for n, _ in block.named_buffers()] == ["steps"]
    assert [n for n, _ in block.named_children()] == ["norm", "mlp", "shared"]
    assert [n for n, _ in block.named_modules()][:4] == ["", "norm", "mlp", "mlp.0"]
    assert block.mlp[1].approximate == "none" and len(block.mlp) == 3
    assert "Linear(in_features=6, out_features=12, bias=True)" in repr(block)
    with pytest.raises(TypeError, match="cannot assign 'int' as parameter 'scale'"):
        block.scale = 3
    with pytest.raises(AttributeError, match="no attribute 'missing'"):
        block.missing
    with pytest.raises(NotImplementedError, match="forward"):
        nn.Module()(1)

    class Early(nn.Module):
        def __init__(self):
            self.w = nn.Parameter(mlopt.ones(2))
    with pytest.raises(AttributeError, match="before Module.__init__"):
        Early()


def test_layers_compute_what_functional_does():
    mlopt.manual_seed(0)
    lin = nn.Linear(5, 3)
    bound = 1 / math.sqrt(5)  # PyTorch's default init: U(-1/sqrt(in), 1/sqrt(in))
    w, b = lin.weight.detach().numpy(), lin.bias.detach().numpy()
    assert w.shape == (3, 5) and np.abs(w).max() <= bound and np.abs(b).max() <= bound
    assert np.abs(w).max() > bound / 2  # spread, not zeros
    x = np.random.default_rng(0).standard_normal((4, 5))
    got = lin.double()(mlopt.tensor(x)).numpy()
    np.testing.assert_allclose(got, x @ w.astype(np.float64).T + b, rtol=1e-6, atol=1e-6)

    emb = nn.Embedding(10, 4, padding_idx=-1)
    assert emb.padding_idx == 9 and not emb.weight.detach().numpy()[9].any()
    ids = mlopt.tensor([[1, 9], [3, 3]])
    np.testing.assert_array_equal(emb(ids).detach().numpy(), emb.weight.detach().numpy()[[[1, 9], [3, 3]]])

    t = mlopt.randn(3, 8)
    for module, fn in [(nn.ReLU(), F.relu), (nn.SiLU(), F.silu), (nn.Tanh(), F.tanh),
                       (nn.Sigmoid(), F.sigmoid), (nn.Softmax(dim=-1), lambda v: F.softmax(v, -1)),
                       (nn.LogSoftmax(1), lambda v: F.log_softmax(v, 1)),
                       (nn.GELU("tanh"), lambda v: F.gelu(v, approximate="tanh")),
                       (nn.Identity(), lambda v: v), (nn.Flatten(0), lambda v: v.reshape(-1))]:
        np.testing.assert_array_equal(module(t).numpy(), fn(t).numpy())
    norm = nn.LayerNorm((8,), elementwise_affine=False)
    assert norm.weight is None and list(norm.parameters()) == []
    np.testing.assert_allclose(norm(t).numpy(), F.layer_norm(t, (8,)).numpy())


def test_conv_and_pool_layers():
    mlopt.manual_seed(2)
    conv = nn.Conv2d(4, 6, 3, padding=1, groups=2)
    assert conv.weight.shape == (6, 2, 3, 3) and conv.bias.shape == (6,)
    bound = 1 / math.sqrt(2 * 3 * 3)
    assert np.abs(conv.weight.detach().numpy()).max() <= bound
    x = mlopt.randn(2, 4, 8, 8)
    net = nn.Sequential(conv, nn.ReLU(), nn.MaxPool2d(2), nn.AvgPool2d(2, stride=2), nn.Flatten())
    want = F.avg_pool2d(F.max_pool2d(F.relu(F.conv2d(x, conv.weight, conv.bias, 1, 1, 1, 2)),
                                     2), 2, 2).reshape(2, -1)
    np.testing.assert_allclose(net(x).detach().numpy(), want.detach().numpy(), rtol=1e-6)
    assert net(x).shape == (2, 6 * 2 * 2)
    with pytest.raises(ValueError, match="divisible by groups"):
        nn.Conv2d(3, 6, 3, groups=2)


def test_train_eval_dropout_and_losses():
    drop = nn.Sequential(nn.Dropout(0.5))
    x = mlopt.ones(1000)
    y = drop(x).numpy()
    assert set(np.unique(y)) == {0.0, 2.0} and 300 < np.count_nonzero(y) < 700
    assert drop.eval() is drop and not drop[0].training
    np.testing.assert_array_equal(drop(x).numpy(), x.numpy())
    assert drop.train().training and drop[0].training
    a, b = mlopt.randn(4, 3), mlopt.randn(4, 3)
    assert float(nn.MSELoss()(a, b)) == pytest.approx(float(((a - b) ** 2).mean()))
    assert nn.MSELoss(reduction="sum")(a, b).shape == ()
    target = mlopt.tensor([0, 2, 1, 2])
    assert float(nn.CrossEntropyLoss()(a, target)) == pytest.approx(
        float(F.cross_entropy(a, target)))


def test_state_dict_round_trip_and_errors():
    a, b = Block(), Block()
    state = a.state_dict()
    # Module by module, own parameters then buffers; a shared module under both names.
    assert list(state) == ["scale", "steps", "norm.weight", "norm.bias", "mlp.0.weight",
                           "mlp.0.bias", "mlp.2.weight", "shared.weight", "shared.bias"]
    b.load_state_dict(state)
    x = mlopt.randn(2, 6)
    np.testing.assert_array_equal(a(x).detach().numpy(), b(x).detach().numpy())
    with pytest.raises(RuntimeError, match="missing keys \\['scale'\\]"):
        b.load_state_dict({k: v for k, v in state.items() if k != "scale"})
    result = b.load_state_dict({"scale": mlopt.ones(6) * 2, "extra": mlopt.ones(1)}, strict=False)
    assert result.unexpected_keys == ["extra"] and "norm.weight" in result.missing_keys
    np.testing.assert_array_equal(b.scale.detach().numpy(), np.full(6, 2.0, np.float32))
    with pytest.raises(RuntimeError, match="size mismatch for scale"):
        b.load_state_dict({"scale": mlopt.ones(5)}, strict=False)


def test_to_keeps_parameter_objects_and_casts_floats_only():
    block = Block()
    params = list(block.parameters())
    opt = mlopt.optim.SGD(block.parameters(), lr=0.1)
    assert block.double() is block
    assert [id(p) for p in block.parameters()] == [id(p) for p in params]
    assert all(p.dtype == mlopt.float64 for p in params) and block.steps.dtype == mlopt.int64
    out = block(mlopt.randn(3, 6).double()).sum()
    out.backward()
    opt.step()  # the optimizer made before still holds the same parameters
    assert params[0].grad.dtype == mlopt.float64
    block.zero_grad()
    assert all(p.grad is None for p in params)


def test_a_compiled_module_follows_train_and_eval():
    mlopt.manual_seed(4)
    model = nn.Sequential(nn.Linear(8, 8), nn.Dropout(0.5))
    compiled = mlopt.compile(model)
    x = mlopt.randn(16, 8)
    trained = compiled(x).detach().numpy()
    assert (trained == 0).mean() > 0.3  # dropout on
    model.eval()
    np.testing.assert_allclose(compiled(x).detach().numpy(), model(x).detach().numpy(),
                               rtol=1e-6, atol=1e-6)  # dropout off, without a stale trace
    assert compiled.train() is compiled  # methods reach the module, and return the wrapper
    assert model.training and (compiled(x).detach().numpy() == 0).mean() > 0.3
    assert len(list(compiled.parameters())) == 2 and "Linear" in repr(compiled)
    compiled.eval()
    model[0].weight = nn.Parameter(mlopt.ones(8, 8))  # a new parameter: traced again
    np.testing.assert_allclose(compiled(x).detach().numpy(), model(x).detach().numpy(),
                               rtol=1e-5, atol=1e-5)
    import copy
    twin = copy.deepcopy(compiled)
    assert twin._orig_mod is not model
    np.testing.assert_allclose(twin(x).detach().numpy(), model(x).detach().numpy(), rtol=1e-6)


def test_a_compiled_module_matches_eager_and_trains():
    mlopt.manual_seed(1)
    block = Block()
    x = mlopt.randn(4, 6)
    compiled = mlopt.compile(block)
    np.testing.assert_allclose(compiled(x).detach().numpy(), block(x).detach().numpy(),
                               rtol=1e-5, atol=1e-6)
    opt = mlopt.optim.AdamW(block.parameters(), lr=1e-2)
    losses = []
    for _ in range(30):
        opt.zero_grad()
        loss = (compiled(x) - 1).square().mean()
        loss.backward()
        opt.step()
        losses.append(float(loss))
    assert losses[-1] < 0.5 * losses[0]


# ---- optimizers against NumPy -------------------------------------------------------------
def reference(name, kw, p0, grad_of, steps):
    lr = kw["lr"]
    p = p0.copy()
    buf = m = v = vmax = None
    for t in range(1, steps + 1):
        g = grad_of(p)
        if kw.get("maximize"):
            g = -g
        if name == "SGD":
            if kw.get("weight_decay"):
                g = g + kw["weight_decay"] * p
            mom = kw.get("momentum", 0)
            if mom:
                buf = g.copy() if buf is None else mom * buf + (1 - kw.get("dampening", 0)) * g
                g = g + mom * buf if kw.get("nesterov") else buf
            p = p - lr * g
        elif name == "RMSprop":
            if kw.get("weight_decay"):
                g = g + kw["weight_decay"] * p
            alpha = kw.get("alpha", 0.99)
            v = (1 - alpha) * g * g if v is None else alpha * v + (1 - alpha) * g * g
            avg = v
            if kw.get("centered"):
                m = (1 - alpha) * g if m is None else alpha * m + (1 - alpha) * g
                avg = v - m * m
            step = g / (np.sqrt(avg) + kw.get("eps", 1e-8))
            if kw.get("momentum"):
                buf = step if buf is None else kw["momentum"] * buf + step
                step = buf
            p = p - lr * step
        else:
            b1, b2 = kw.get("betas", (0.9, 0.999))
            wd = kw.get("weight_decay", 1e-2 if name == "AdamW" else 0)
            if name == "AdamW":
                p = p * (1 - lr * wd)
            elif wd:
                g = g + wd * p
            m = (1 - b1) * g if m is None else b1 * m + (1 - b1) * g
            v = (1 - b2) * g * g if v is None else b2 * v + (1 - b2) * g * g
            vmax = v if vmax is None or not kw.get("amsgrad") else np.maximum(vmax, v)
            second = vmax if kw.get("amsgrad") else v
            p = p - lr / (1 - b1 ** t) * m / (np.sqrt(second) / math.sqrt(1 - b2 ** t)
                                              + kw.get("eps", 1e-8))
    return p


CASES = [("SGD", dict(lr=0.1)), ("SGD", dict(lr=0.1, momentum=0.9, weight_decay=0.01)),
         ("SGD", dict(lr=0.05, momentum=0.9, nesterov=True)),
         ("SGD", dict(lr=0.05, momentum=0.5, dampening=0.3, maximize=True)),
         ("Adam", dict(lr=0.05)), ("Adam", dict(lr=0.05, weight_decay=0.1, amsgrad=True)),
         ("AdamW", dict(lr=0.05)),
         ("AdamW", dict(lr=0.05, betas=(0.8, 0.9), amsgrad=True, weight_decay=0.3)),
         ("RMSprop", dict(lr=0.01)),
         ("RMSprop", dict(lr=0.01, alpha=0.9, momentum=0.8, centered=True, weight_decay=0.1,
                          maximize=True))]


@pytest.mark.parametrize("name,kw", CASES, ids=[f"{n}-{i}" for i, (n, _) in enumerate(CASES)])
def test_optimizers_follow_pytorchs_update_rules(name, kw):
    rng = np.random.default_rng(3)
    a, c, p0 = rng.uniform(0.5, 2, 7), rng.standard_normal(7), rng.standard_normal(7)
    # loss = sum(a p^4 / 4 + c p): the gradient a p^3 + c changes every step
    p = nn.Parameter(mlopt.tensor(p0))
    opt = getattr(mlopt.optim, name)([p], **kw)
    for _ in range(8):
        opt.zero_grad()
        (mlopt.tensor(a) * p ** 4 / 4 + mlopt.tensor(c) * p).sum().backward()
        opt.step()
    want = reference(name, kw, p0, lambda q: a * q ** 3 + c, 8)
    np.testing.assert_allclose(p.detach().numpy(), want, rtol=1e-12, atol=1e-12)


@pytest.mark.parametrize("name,kw", CASES, ids=[f"{n}-{i}" for i, (n, _) in enumerate(CASES)])
def test_optimizers_match_pytorch(name, kw):
    torch = pytest.importorskip("torch")
    rng = np.random.default_rng(4)
    init = [rng.standard_normal(s) * 0.5 for s in ((8, 4), (8,), (1, 8), (1,))]
    x, y = rng.standard_normal((16, 4)), rng.standard_normal((16, 1))

    def train(lib, module):
        model = module.Sequential(module.Linear(4, 8), module.Tanh(), module.Linear(8, 1)).double()
        with lib.no_grad():
            for p, v in zip(model.parameters(), init):
                p.copy_(lib.tensor(v))
        opt = getattr(lib.optim, name)(model.parameters(), **kw)
        for _ in range(5):
            opt.zero_grad()
            ((model(lib.tensor(x)) - lib.tensor(y)) ** 2).mean().backward()
            opt.step()
        return [p.detach().numpy() for p in model.parameters()]

    for got, want in zip(train(mlopt, nn), train(torch, torch.nn)):
        np.testing.assert_allclose(got, want, rtol=1e-10, atol=1e-12)


@pytest.mark.parametrize("name,kw", CASES, ids=[f"{n}-{i}" for i, (n, _) in enumerate(CASES)])
@pytest.mark.parametrize("set_to_none", [True, False])
def test_compiled_training_steps_match_eager_with_a_scheduler(name, kw, set_to_none):
    """zero_grad, backward, step and a scheduler changing the lr between
    calls: the optimizer's state and step count carry over calls, the lr is
    read on every call (docs/python.md, optim)."""
    rng = np.random.default_rng(5)
    init = [rng.standard_normal(s) * 0.5 for s in ((8, 4), (8,), (1, 8), (1,))]
    x, y = rng.standard_normal((16, 4)), rng.standard_normal((16, 1))

    def train(compiled):
        model = nn.Sequential(nn.Linear(4, 8), nn.Tanh(), nn.Linear(8, 1)).double()
        with mlopt.no_grad():
            for p, v in zip(model.parameters(), init):
                p.copy_(mlopt.tensor(v))
        opt = getattr(mlopt.optim, name)(model.parameters(), **kw)
        sched = mlopt.optim.lr_scheduler.StepLR(opt, step_size=2, gamma=0.5)

        def step(x, y):
            opt.zero_grad(set_to_none=set_to_none)
            loss = ((model(x) - y) ** 2).mean()
            loss.backward()
            opt.step()
            return loss
        step = mlopt.compile(step) if compiled else step
        losses = []
        for _ in range(6):
            losses.append(step(mlopt.tensor(x), mlopt.tensor(y)).item())
            sched.step()
        return losses, [p.detach().numpy() for p in model.parameters()], opt, step

    want_losses, want, _, _ = train(False)
    losses, got, opt, step = train(True)
    np.testing.assert_allclose(losses, want_losses, rtol=1e-10)
    for g, w in zip(got, want):
        np.testing.assert_allclose(g, w, rtol=1e-10, atol=1e-12)
    first_step_eager = kw.get("dampening", 0) and kw.get("momentum")
    assert len(step.reasons) == (1 if first_step_eager else 0), step.reasons
    assert len(step.cache) <= 2  # (the first call may see no .grad, the second does)
    assert all(e.trace is not None for e in step.cache.values())  # later steps compiled
    for state in opt.state.values():  # concrete tensors, none of the trace's
        assert all(type(v) in (mlopt.Tensor, int) for v in state.values()), state
    if name != "SGD":
        assert all(s["step"] == 6 for s in opt.state.values())


def test_optimizer_groups_state_dict_and_errors():
    w, b = nn.Parameter(mlopt.ones(3)), nn.Parameter(mlopt.zeros(2))
    opt = mlopt.optim.SGD([{"params": [w]}, {"params": b, "lr": 0.5}], lr=0.1, momentum=0.9)
    assert [g["lr"] for g in opt.param_groups] == [0.1, 0.5]
    (w.sum() + b.sum() * 2).backward()
    opt.step()
    np.testing.assert_allclose(w.detach().numpy(), np.full(3, 0.9), rtol=1e-6)
    np.testing.assert_allclose(b.detach().numpy(), np.full(2, -1.0), rtol=1e-6)
    saved = opt.state_dict()
    assert sorted(saved["state"]) == [0, 1] and saved["param_groups"][1]["params"] == [1]
    again = mlopt.optim.SGD([{"params": [w]}, {"params": b}], lr=0.1, momentum=0.9)
    again.load_state_dict(saved)
    assert again.param_groups[1]["lr"] == 0.5
    np.testing.assert_array_equal(again.state[b]["momentum_buffer"].numpy(), np.full(2, 2.0))
    with pytest.raises(ValueError, match="empty parameter list"):
        mlopt.optim.Adam([])
    with pytest.raises(ValueError, match="more than one parameter group"):
        mlopt.optim.SGD([{"params": [w]}, {"params": [w]}], lr=0.1)
    with pytest.raises(ValueError, match="non-leaf"):
        mlopt.optim.SGD([w * 2], lr=0.1)
    frozen = nn.Parameter(mlopt.ones(2), requires_grad=False)  # frozen: kept, never updated
    mlopt.optim.SGD([frozen, w], lr=0.1).step()
    np.testing.assert_array_equal(frozen.detach().numpy(), np.ones(2, np.float32))
    with pytest.raises(ValueError, match="Nesterov"):
        mlopt.optim.SGD([w], lr=0.1, nesterov=True)
    w.grad = None
    assert opt.step() is None  # parameters without a .grad are left alone
    assert float(opt.step(lambda: mlopt.tensor(3.0))) == 3.0


def test_data_assignment_moves_storage_and_keeps_the_object():
    p = nn.Parameter(mlopt.ones(2, 3))
    alias = p.data
    p.data = mlopt.zeros(4)
    assert p.shape == (4,) and p.requires_grad and isinstance(p, nn.Parameter)
    np.testing.assert_array_equal(alias.numpy(), np.ones((2, 3), np.float32))  # old storage
    with pytest.raises(TypeError, match="data must be a Tensor"):
        p.data = [1.0]


def test_data_loader_batches_shuffles_and_collates():
    from mlopt.utils.data import DataLoader, TensorDataset, random_split
    x = mlopt.arange(10).reshape(10, 1).float()
    y = mlopt.arange(10)
    data = TensorDataset(x, y)
    assert len(data) == 10 and float(data[3][0][0]) == 3.0
    batches = list(DataLoader(data, batch_size=4))
    assert [b[0].shape[0] for b in batches] == [4, 4, 2]
    np.testing.assert_array_equal(batches[1][1].numpy(), [4, 5, 6, 7])
    assert len(DataLoader(data, batch_size=4, drop_last=True)) == 2
    mlopt.manual_seed(7)
    first = np.concatenate([b[1].numpy() for b in DataLoader(data, batch_size=3, shuffle=True)])
    mlopt.manual_seed(7)
    again = np.concatenate([b[1].numpy() for b in DataLoader(data, batch_size=3, shuffle=True)])
    assert sorted(first) == list(range(10)) and (first == again).all()
    assert list(first) != list(range(10))
    # Samples that are not a TensorDataset's: collated field by field.
    samples = [{"a": np.ones(2) * i, "b": (i, float(i))} for i in range(5)]
    batch = next(iter(DataLoader(samples, batch_size=5)))
    assert batch["a"].shape == (5, 2) and batch["b"][0].dtype == mlopt.int64
    np.testing.assert_array_equal(batch["b"][1].numpy(), np.arange(5.0))
    train, test = random_split(data, [0.8, 0.2])
    assert len(train) == 8 and len(test) == 2
    taken = [int(train[i][1]) for i in range(8)] + [int(test[i][1]) for i in range(2)]
    assert sorted(taken) == list(range(10))  # disjoint, and every sample once
    with pytest.raises(ValueError, match="Size mismatch"):
        TensorDataset(x, mlopt.arange(9))
    with pytest.raises(ValueError, match="batch_size"):
        DataLoader(data, batch_size=0)


def test_a_training_script_as_in_pytorch():
    """A small classifier trained the PyTorch way reaches high accuracy."""
    from mlopt.utils.data import DataLoader, TensorDataset
    rng = np.random.default_rng(0)
    centers = rng.standard_normal((3, 2)) * 3
    labels = rng.integers(0, 3, 300)
    points = (centers[labels] + rng.standard_normal((300, 2)) * 0.5).astype(np.float32)
    loader = DataLoader(TensorDataset(mlopt.tensor(points), mlopt.tensor(labels)),
                        batch_size=32, shuffle=True)
    mlopt.manual_seed(0)
    model = nn.Sequential(nn.Linear(2, 16), nn.ReLU(), nn.Linear(16, 3))
    opt = mlopt.optim.SGD(model.parameters(), lr=0.1, momentum=0.9)
    loss_fn = nn.CrossEntropyLoss()
    step = mlopt.compile(lambda x, y: loss_fn(model(x), y))
    for _ in range(5):
        for x, y in loader:
            opt.zero_grad()
            step(x, y).backward()
            opt.step()
    model.eval()
    with mlopt.no_grad():
        predicted = model(mlopt.tensor(points)).argmax(1).numpy()
    assert (predicted == labels).mean() > 0.9


class _NotAWeight:
    pass


DATA = os.path.join(os.path.dirname(__file__), "data")


def test_load_reads_torch_save_checkpoints():
    """data/torch_checkpoint.pt: torch.save (PyTorch 2.15) of a state dict
    with every common dtype, a transposed view and a row of one storage, an
    empty tensor, a Parameter and numbers; read without PyTorch."""
    got = mlopt.load(os.path.join(DATA, "torch_checkpoint.pt"))
    want = np.load(os.path.join(DATA, "torch_checkpoint_expected.npz"))
    assert list(got["model"]) == ["w", "b", "h", "bf", "steps", "mask", "t", "row", "empty"]
    dtypes = {"w": mlopt.float32, "b": mlopt.float64, "h": mlopt.float16, "bf": mlopt.bfloat16,
              "steps": mlopt.int64, "mask": mlopt.bool, "t": mlopt.float32}
    for name, tensor in got["model"].items():
        assert tensor.dtype == dtypes.get(name, mlopt.float32) and tuple(tensor.shape) == \
            want[name].shape, name
        np.testing.assert_array_equal(tensor.float().numpy() if name == "bf" else tensor.numpy(),
                                      want[name])
    assert isinstance(got["param"], nn.Parameter) and got["param"].requires_grad
    assert got["epoch"] == 3 and got["lr"] == 0.01


def _torch_zip(offset, size, stride, storage=b"\0" * 16, location="cpu", byteorder=None):
    """A torch.save file of {"w": a float tensor (offset, size, stride) over
    `storage`}, written opcode by opcode (no PyTorch needed)."""
    import io
    import struct
    import zipfile

    def text(x):
        return b"X" + struct.pack("<I", len(x)) + x.encode()

    def ints(xs):
        return b"(" + b"".join(b"J" + struct.pack("<i", n) for n in xs) + b"t"
    pid = b"(" + text("storage") + b"ctorch\nFloatStorage\n" + text("0") + text(location) + \
        b"K\x04tQ"
    body = (b"\x80\x02}" + text("w") + b"ctorch._utils\n_rebuild_tensor_v2\n(" + pid +
            b"J" + struct.pack("<i", offset) + ints(size) + ints(stride) + b"\x89}tRs.")
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as z:
        z.writestr("archive/data.pkl", body)
        z.writestr("archive/data/0", storage)
        if byteorder:
            z.writestr("archive/byteorder", byteorder)
    out.seek(0)
    return out


def test_load_refuses_torch_tensors_outside_their_storage():
    ok = mlopt.load(_torch_zip(1, (2,), (2,), np.arange(4, dtype="<f4").tobytes()))
    assert ok["w"].tolist() == [1.0, 3.0]
    for offset, size, stride, why in [(0, (64,), (1,), "reaches past its storage"),
                                      (0, (4,), (1 << 28,), "reaches past its storage"),
                                      (3, (4,), (-(1 << 26),), "not a valid view"),
                                      (-1, (3,), (1,), "not a valid view")]:
        with pytest.raises(pickle.UnpicklingError, match=why):
            mlopt.load(_torch_zip(offset, size, stride))
    with pytest.raises(pickle.UnpicklingError, match="not a whole number"):
        mlopt.load(_torch_zip(0, (1,), (1,), b"\0" * 5))
    big = np.array([1.5, -2.0, 3.25, 0.0], dtype=">f4").tobytes()
    assert mlopt.load(_torch_zip(0, (3,), (1,), big, byteorder="big"))["w"].tolist() == [
        1.5, -2.0, 3.25]
    saved_on_gpu1 = _torch_zip(0, (2,), (1,), np.ones(4, "<f4").tobytes(), location="cuda:1")
    moved = mlopt.load(saved_on_gpu1, map_location={"cuda:1": "cpu"})
    assert moved["w"].device.type == "cpu" and moved["w"].tolist() == [1.0, 1.0]


def test_weights_only_load_refuses_malformed_numpy_dtypes():
    import io
    # numpy.dtype("i8") with a BUILD state NumPy's __setstate__ crashed on (SIGSEGV)
    bad = (b"\x80\x04\x8c\x05numpy\x94\x8c\x05dtype\x94\x93\x8c\x02i8\x89\x88\x87R"
           b"(K\x03\x8c\x01<M\x4e\x4eJ\xff\xff\xff\xffJ\xff\xff\xff\xffK\x00tb.")
    with pytest.raises(pickle.UnpicklingError, match="not a plain dtype"):
        mlopt.load(io.BytesIO(bad))
    good = io.BytesIO()
    mlopt.save({"d": np.dtype(">f4"), "a": np.arange(3, dtype=np.int16)}, good)
    good.seek(0)
    back = mlopt.load(good)
    assert back["d"] == np.dtype(">f4") and back["a"].dtype == np.int16


def test_save_keeps_the_old_file_when_pickling_fails(tmp_path):
    path = tmp_path / "model.pt"
    mlopt.save({"w": mlopt.ones(3)}, path)
    with pytest.raises(Exception):
        mlopt.save({"w": mlopt.zeros(3), "bad": lambda: 0}, path)  # lambdas do not pickle
    np.testing.assert_array_equal(mlopt.load(path)["w"].numpy(), np.ones(3))
    assert [p.name for p in tmp_path.iterdir()] == ["model.pt"]  # no temporary left
    with pytest.raises(FileNotFoundError):
        mlopt.save({}, tmp_path / "missing" / "x.pt")
    os.chmod(path, 0o600)  # a private checkpoint stays private
    mlopt.save({"w": mlopt.ones(3)}, path)
    assert path.stat().st_mode & 0o777 == 0o600
    umask = os.umask(0o022)
    try:
        mlopt.save({}, tmp_path / "plain.pt")
        assert (tmp_path / "plain.pt").stat().st_mode & 0o777 == 0o644  # as open() makes it
    finally:
        os.umask(umask)
    (tmp_path / "link.pt").symlink_to(tmp_path / "model.pt")
    mlopt.save({"w": mlopt.zeros(1)}, tmp_path / "link.pt")  # writes through the link
    assert (tmp_path / "link.pt").is_symlink() and mlopt.load(tmp_path / "model.pt")["w"].tolist() == [0.0]


def test_save_and_load_state_dicts(tmp_path):
    import io
    mlopt.manual_seed(3)
    model = Block()
    opt = mlopt.optim.Adam(model.parameters(), lr=0.1)
    model(mlopt.randn(2, 6)).sum().backward()
    opt.step()
    path = tmp_path / "checkpoint.pt"
    mlopt.save({"model": model.state_dict(), "opt": opt.state_dict(), "epoch": 3,
                "array": np.arange(3.0)}, path)
    loaded = mlopt.load(path)
    assert loaded["epoch"] == 3 and list(loaded["model"]) == list(model.state_dict())
    np.testing.assert_array_equal(loaded["array"], np.arange(3.0))
    again = Block()
    again.load_state_dict(loaded["model"])
    x = mlopt.randn(3, 6)
    np.testing.assert_array_equal(again(x).detach().numpy(), model(x).detach().numpy())
    assert loaded["model"]["steps"].dtype == mlopt.int64
    opt2 = mlopt.optim.Adam(again.parameters(), lr=0.5)
    opt2.load_state_dict(loaded["opt"])
    assert opt2.param_groups[0]["lr"] == 0.1
    state = opt2.state[again.scale]
    assert state["step"] == 1
    np.testing.assert_array_equal(state["exp_avg"].numpy(),
                                  opt.state[model.scale]["exp_avg"].numpy())
    buffer = io.BytesIO()
    mlopt.save([mlopt.ones(2, dtype=mlopt.bfloat16), (1, "a")], buffer)
    buffer.seek(0)
    tensors = mlopt.load(buffer, map_location="cpu")
    assert tensors[0].dtype == mlopt.bfloat16 and tensors[1] == (1, "a")
    buffer = io.BytesIO()
    mlopt.save({"x": _NotAWeight()}, buffer)
    import pickle
    with pytest.raises(pickle.UnpicklingError, match="weights_only"):
        mlopt.load(io.BytesIO(buffer.getvalue()))
    assert isinstance(mlopt.load(io.BytesIO(buffer.getvalue()), weights_only=False)["x"],
                      _NotAWeight)


SCHEDULES = [("StepLR", dict(step_size=3, gamma=0.5)),
             ("MultiStepLR", dict(milestones=[5, 2], gamma=0.1)),
             ("ExponentialLR", dict(gamma=0.9)),
             ("CosineAnnealingLR", dict(T_max=6, eta_min=0.01)),
             ("LinearLR", dict(start_factor=0.25, total_iters=4)),
             ("LambdaLR", dict(lr_lambda=lambda epoch: 1 / (1 + epoch)))]


def schedule_reference(name, kw, base, epoch):
    if name == "StepLR":
        return base * kw["gamma"] ** (epoch // kw["step_size"])
    if name == "MultiStepLR":
        return base * kw["gamma"] ** sum(epoch >= m for m in kw["milestones"])
    if name == "ExponentialLR":
        return base * kw["gamma"] ** epoch
    if name == "CosineAnnealingLR":
        return kw["eta_min"] + (base - kw["eta_min"]) * (1 + math.cos(math.pi * epoch / 6)) / 2
    if name == "LinearLR":
        return base * (0.25 + 0.75 * min(epoch, 4) / 4)
    return base / (1 + epoch)


def _learning_rates(opt, sched, epochs=8):
    """get_last_lr() of each epoch, stepping the optimizer and the schedule."""
    seen = []
    for _ in range(epochs):
        seen.append(sched.get_last_lr())
        opt.step()
        sched.step()
    return seen


@pytest.mark.parametrize("name,kw", SCHEDULES, ids=[n for n, _ in SCHEDULES])
def test_lr_schedulers(name, kw):
    w, b = nn.Parameter(mlopt.ones(2)), nn.Parameter(mlopt.ones(1))
    opt = mlopt.optim.SGD([{"params": [w]}, {"params": [b], "lr": 0.2}], lr=1.0)
    seen = _learning_rates(opt, getattr(mlopt.optim.lr_scheduler, name)(opt, **kw))
    want = [[schedule_reference(name, kw, base, e) for base in (1.0, 0.2)] for e in range(8)]
    np.testing.assert_allclose(seen, want, rtol=1e-12)
    assert opt.param_groups[0]["lr"] == pytest.approx(schedule_reference(name, kw, 1.0, 8))
    try:
        import torch
    except ImportError:
        return
    tw = torch.nn.Parameter(torch.ones(2))
    tb = torch.nn.Parameter(torch.ones(1))
    topt = torch.optim.SGD([{"params": [tw]}, {"params": [tb], "lr": 0.2}], lr=1.0)
    torch_seen = _learning_rates(topt, getattr(torch.optim.lr_scheduler, name)(topt, **kw))
    np.testing.assert_allclose(seen, torch_seen, rtol=1e-12)


def test_two_schedulers_on_one_optimizer_compose():
    w = nn.Parameter(mlopt.ones(1))
    opt = mlopt.optim.SGD([w], lr=1.0)
    warmup = mlopt.optim.lr_scheduler.LinearLR(opt, start_factor=0.5, total_iters=2)
    decay = mlopt.optim.lr_scheduler.ExponentialLR(opt, gamma=0.5)
    seen = []
    for _ in range(4):
        seen.append(opt.param_groups[0]["lr"])
        opt.step()
        warmup.step()
        decay.step()
    np.testing.assert_allclose(seen, [0.5, 0.375, 0.25, 0.125])  # PyTorch's values


def test_module_edge_cases_as_pytorch():
    import copy
    import io
    import pickle
    calls = []

    class Child(nn.Linear):
        def train(self, mode=True):
            calls.append(mode)
            return super().train(mode)

    class Net(nn.Module):
        def __init__(self):
            super().__init__()
            self.a, self.b = Child(2, 2), nn.Linear(2, 2)
            self.register_buffer("cache", mlopt.zeros(2), persistent=False)
            self.register_buffer("count", mlopt.zeros(1))

    net = Net()
    net.eval()
    assert calls == [False] and not net.a.training
    assert "cache" not in net.state_dict() and "count" in net.state_dict()
    net.b = None  # unregisters the child
    assert [n for n, _ in net.named_parameters()] == ["a.weight", "a.bias"] and net.b is None
    with pytest.raises(TypeError, match="child module 'b'"):
        net.b = 3
    net.count = nn.Parameter(mlopt.ones(1))  # a parameter replaces the buffer
    assert "count" in dict(net.named_parameters()) and "count" not in dict(net.named_buffers())
    plain = nn.Sequential(nn.Linear(2, 2))  # (a local class does not pickle)
    for original, clone in ((net.a, copy.deepcopy(net).a),
                            (plain[0], pickle.loads(pickle.dumps(plain))[0])):
        assert isinstance(clone.weight, nn.Parameter) and clone.weight.requires_grad
        assert clone.weight is not original.weight
        np.testing.assert_array_equal(clone.weight.detach().numpy(),
                                      original.weight.detach().numpy())
    buffer = io.BytesIO()
    mlopt.save(net.a.weight, buffer)
    assert isinstance(mlopt.load(io.BytesIO(buffer.getvalue())), nn.Parameter)


def test_collation_of_namedtuples_floats_and_dataset_subclasses():
    import collections
    from mlopt.utils.data import DataLoader, TensorDataset
    Pair = collections.namedtuple("Pair", "x y")
    batch = next(iter(DataLoader([Pair(1.5, 2), Pair(2.5, 3)], batch_size=2)))
    assert type(batch) is Pair and batch.x.dtype == mlopt.float64
    np.testing.assert_array_equal(batch.y.numpy(), [2, 3])

    class Doubled(TensorDataset):  # its own __getitem__ is used, not the gather
        def __getitem__(self, i):
            (x,) = super().__getitem__(i)
            return (x * 2,)

    (x,) = next(iter(DataLoader(Doubled(mlopt.arange(4.0)), batch_size=4)))
    np.testing.assert_array_equal(x.numpy(), [0.0, 2.0, 4.0, 6.0])


def test_weights_only_refuses_other_numpy_modules():
    import io
    import pickle
    crafted = b"\x80\x04cnumpy.f2py.__main__\ndtype\n."
    with pytest.raises(pickle.UnpicklingError, match="not allowed"):
        mlopt.load(io.BytesIO(crafted))


def test_more_activation_and_loss_modules():
    x, t = mlopt.randn(4, 5), mlopt.rand(4, 5)
    np.testing.assert_array_equal(nn.LeakyReLU(0.3)(x).numpy(), F.leaky_relu(x, 0.3).numpy())
    np.testing.assert_array_equal(nn.ELU(alpha=2.0)(x).numpy(), F.elu(x, 2.0).numpy())
    np.testing.assert_array_equal(nn.Softplus(beta=3)(x).numpy(), F.softplus(x, 3).numpy())
    assert float(nn.BCELoss()(mlopt.sigmoid(x), t)) == pytest.approx(
        float(F.binary_cross_entropy(mlopt.sigmoid(x), t)))
    pw = mlopt.full((5,), 2.0)
    assert float(nn.BCEWithLogitsLoss(pos_weight=pw)(x, t)) == pytest.approx(
        float(F.binary_cross_entropy_with_logits(x, t, pos_weight=pw)))
    assert repr(nn.LeakyReLU()) == "LeakyReLU(negative_slope=0.01, inplace=False)"


def test_init_functions_fill_in_place_with_pytorchs_scales():
    from mlopt.nn import init
    mlopt.manual_seed(0)
    w = nn.Parameter(mlopt.empty(200, 300))
    fan_in, fan_out = 300, 200
    assert init.xavier_uniform_(w) is w and w.requires_grad
    bound = math.sqrt(6 / (fan_in + fan_out))
    values = w.detach().numpy()
    assert np.abs(values).max() <= bound and np.abs(values).max() > 0.98 * bound
    init.kaiming_normal_(w, nonlinearity="relu")
    assert w.detach().numpy().std() == pytest.approx(math.sqrt(2 / fan_in), rel=0.02)
    init.kaiming_uniform_(w, a=math.sqrt(5))  # Linear's default: bound 1 / sqrt(fan_in)
    assert np.abs(w.detach().numpy()).max() <= 1 / math.sqrt(fan_in) + 1e-7
    init.trunc_normal_(w, std=0.02, a=-0.03, b=0.03)
    assert np.abs(w.detach().numpy()).max() <= 0.03
    init.normal_(w, 1.0, 0.5)
    assert w.detach().numpy().mean() == pytest.approx(1.0, abs=0.01)
    init.zeros_(w)
    assert not w.detach().numpy().any()
    conv = mlopt.empty(8, 4, 3, 3)
    init.xavier_normal_(conv)
    assert conv.numpy().std() == pytest.approx(math.sqrt(2 / (4 * 9 + 8 * 9)), rel=0.1)
    assert init.calculate_gain("leaky_relu", 0.2) == pytest.approx(math.sqrt(2 / 1.04))
    with pytest.raises(ValueError, match="fewer than 2 dimensions"):
        init.xavier_uniform_(mlopt.empty(5))


@pytest.mark.parametrize("norm_type", [2.0, 1.0, math.inf])
def test_clip_grad_norm_and_value(norm_type):
    rng = np.random.default_rng(6)
    grads = [rng.standard_normal((3, 4)), rng.standard_normal(5)]
    params = [nn.Parameter(mlopt.zeros(*g.shape).double()) for g in grads]
    for p, g in zip(params, grads):
        p.grad = mlopt.tensor(g)
    flat = np.concatenate([g.ravel() for g in grads])
    total = np.abs(flat).max() if norm_type == math.inf else (
        (np.abs(flat) ** norm_type).sum() ** (1 / norm_type))
    got = nn.utils.clip_grad_norm_(params, 1.5, norm_type=norm_type)
    np.testing.assert_allclose(got.item(), total, rtol=1e-12)
    scale = min(1.0, 1.5 / (total + 1e-6))
    for p, g in zip(params, grads):
        np.testing.assert_allclose(p.grad.numpy(), g * scale, rtol=1e-12)
    nn.utils.clip_grad_value_(params, 0.1)
    assert all(np.abs(p.grad.numpy()).max() <= 0.1 for p in params)
    assert nn.utils.clip_grad_norm_([nn.Parameter(mlopt.ones(2))], 1.0).item() == 0.0  # no .grad


def test_clip_grad_norm_inside_a_compiled_step():
    w = mlopt.tensor([3.0, 4.0], requires_grad=True)

    @mlopt.compile
    def step(x):
        w.grad = None
        (w * x).sum().backward()
        norm = nn.utils.clip_grad_norm_([w], 1.0)
        with mlopt.no_grad():
            w.sub_(0.5 * w.grad)
        return norm
    for expected in ([2.7, 3.6], [2.4, 3.2]):
        assert abs(step(mlopt.tensor([3.0, 4.0])).item() - 5.0) < 1e-5
        np.testing.assert_allclose(w.grad.numpy(), [0.6, 0.8], rtol=1e-5)
        np.testing.assert_allclose(w.detach().numpy(), expected, rtol=1e-5)
    assert not step.reasons


def test_parameter_vectors_apply_and_containers():
    torch_like = nn.Sequential(nn.Linear(3, 4), nn.ReLU(), nn.Linear(4, 2))
    vec = nn.utils.parameters_to_vector(torch_like.parameters())
    assert tuple(vec.shape) == (3 * 4 + 4 + 4 * 2 + 2,)
    nn.utils.vector_to_parameters(mlopt.arange(vec.numel()).double(), torch_like.double().parameters())
    assert torch_like[2].bias.tolist() == [vec.numel() - 2.0, vec.numel() - 1.0]
    seen = []

    def init(module):
        seen.append(type(module).__name__)
        if isinstance(module, nn.Linear):
            nn.init.zeros_(module.bias)
            module.weight.data.normal_(0.0, 0.02)
    assert torch_like.apply(init) is torch_like
    assert seen == ["Linear", "ReLU", "Linear", "Sequential"]  # children first
    assert torch_like[0].bias.tolist() == [0.0] * 4
    big = mlopt.empty(20000).normal_(1.0, 0.5)
    assert abs(big.mean().item() - 1.0) < 0.02 and abs(big.std().item() - 0.5) < 0.02
    u = mlopt.empty(20000).uniform_(-2.0, 3.0)
    assert -2.0 <= u.min().item() and u.max().item() < 3.0 and abs(u.mean().item() - 0.5) < 0.05
    with pytest.raises(RuntimeError, match="leaf Variable"):
        nn.Linear(2, 2).weight.normal_()  # in place on a leaf that requires grad
    heads = nn.ModuleDict({"a": nn.Linear(2, 2), "b": nn.ReLU()})
    heads["c"] = nn.Linear(2, 1)
    assert list(heads) == ["a", "b", "c"] and "b" in heads and len(heads) == 3
    assert [n for n, _ in heads.named_parameters()] == ["a.weight", "a.bias", "c.weight", "c.bias"]
    assert isinstance(heads.pop("b"), nn.ReLU) and list(heads.keys()) == ["a", "c"]
    layers = nn.ModuleList([nn.ReLU(), nn.Tanh()])
    layers.insert(1, nn.Sigmoid())
    layers[0] = nn.GELU()
    del layers[2]
    assert [type(m).__name__ for m in layers] == ["GELU", "Sigmoid"]
    assert list(layers._modules) == ["0", "1"]
    assert torch_like.get_submodule("2") is torch_like[2]


def test_l1_smooth_l1_and_nll_losses():
    rng = np.random.default_rng(7)
    a, b = rng.standard_normal((4, 5)), rng.standard_normal((4, 5))
    d = np.abs(a - b)
    for beta in (1.0, 0.5):
        smooth = np.where(d < beta, 0.5 * d * d / beta, d - 0.5 * beta)
        np.testing.assert_allclose(nn.SmoothL1Loss(beta=beta)(mlopt.tensor(a), mlopt.tensor(b))
                                   .item(), smooth.mean(), rtol=1e-12)
    np.testing.assert_allclose(F.l1_loss(mlopt.tensor(a), mlopt.tensor(b), reduction="none")
                               .numpy(), d, rtol=1e-12)
    np.testing.assert_allclose(nn.L1Loss(reduction="sum")(mlopt.tensor(a), mlopt.tensor(b))
                               .item(), d.sum(), rtol=1e-12)
    logp = a - np.log(np.exp(a).sum(1, keepdims=True))
    target = np.array([1, 0, 4, 2])
    np.testing.assert_allclose(nn.NLLLoss()(mlopt.tensor(logp), mlopt.tensor(target)).item(),
                               -logp[np.arange(4), target].mean(), rtol=1e-12)
    with pytest.raises(ValueError, match="not a valid value for reduction"):
        F.l1_loss(mlopt.tensor(a), mlopt.tensor(b), reduction="avg")



def test_reduce_lr_on_plateau_as_pytorch():
    p = nn.Parameter(mlopt.zeros(1))
    opt = mlopt.optim.SGD([p], lr=1.0)
    sched = mlopt.optim.lr_scheduler.ReduceLROnPlateau(opt, factor=0.5, patience=1, cooldown=1,
                                                       min_lr=0.2)
    lrs = []
    for metric in [5.0, 4.0, 4.0, 4.0, 4.0, 4.0, 4.0, 4.0, 3.0, 3.0, 3.0, 3.0]:
        sched.step(mlopt.tensor(metric))
        lrs.append(opt.param_groups[0]["lr"])
    # (PyTorch 2.15 gives these: a cut after patience + 1 bad epochs, then cooldown)
    assert lrs == [1.0, 1.0, 1.0, 0.5, 0.5, 0.5, 0.25, 0.25, 0.25, 0.25, 0.2, 0.2]
    assert sched.get_last_lr() == [0.2]


def _adaptive_avg_pool_ref(x, oh, ow):
    h, w = x.shape[-2:]
    out = np.zeros(x.shape[:-2] + (oh, ow))
    for i in range(oh):
        for j in range(ow):
            r = slice((i * h) // oh, -((-(i + 1) * h) // oh))
            c = slice((j * w) // ow, -((-(j + 1) * w) // ow))
            out[..., i, j] = x[..., r, c].mean((-2, -1))
    return out


@pytest.mark.parametrize("size", [(1, 1), (3, 4), (7, 10), (2, 5), 5])
def test_adaptive_avg_pool2d_windows(size):
    x = np.random.default_rng(8).standard_normal((2, 3, 7, 10))
    oh, ow = (size, size) if isinstance(size, int) else size
    want = _adaptive_avg_pool_ref(x, oh, ow)
    for f in (nn.AdaptiveAvgPool2d(size), mlopt.compile(nn.AdaptiveAvgPool2d(size))):
        np.testing.assert_allclose(f(mlopt.tensor(x)).numpy(), want, rtol=1e-12, atol=1e-12)
    gradcheck(lambda a: F.adaptive_avg_pool2d(a, size), [mlopt.tensor(x[:1, :1])])


def test_conv1d_and_nearest_interpolate_against_numpy():
    rng = np.random.default_rng(9)
    x, w, b = rng.standard_normal((2, 4, 11)), rng.standard_normal((6, 2, 3)), rng.standard_normal(6)
    # groups=2, stride 2, padding 1, dilation 2: out[n, o, t] = b[o] + sum_{c,k} w[o, c, k]
    # xp[n, g*2 + c, 2t + 2k] over the padded input
    xp = np.pad(x, ((0, 0), (0, 0), (1, 1)))
    steps = (13 - 2 * 2 - 1) // 2 + 1
    want = np.zeros((2, 6, steps))
    for o in range(6):
        g = o // 3
        for t in range(steps):
            want[:, o, t] = b[o] + np.einsum("nck,ck->n", xp[:, 2 * g:2 * g + 2, 2 * t:2 * t + 5:2],
                                             w[o])
    got = F.conv1d(mlopt.tensor(x), mlopt.tensor(w), mlopt.tensor(b), stride=2, padding=1,
                   dilation=2, groups=2)
    np.testing.assert_allclose(got.numpy(), want, rtol=1e-12, atol=1e-12)
    layer = nn.Conv1d(4, 6, 3, padding=1)
    assert [n for n, _ in layer.named_parameters()] == ["weight", "bias"]
    assert tuple(layer.weight.shape) == (6, 4, 3) and tuple(layer(mlopt.ones(2, 4, 11)).shape) == (
        2, 6, 11)
    a = rng.standard_normal((1, 2, 5, 7))
    for kw, rows, cols in [(dict(scale_factor=2), 10, 14), (dict(size=(3, 9)), 3, 9)]:
        ri = np.floor(np.arange(rows) * 5 / rows).astype(int)
        ci = np.floor(np.arange(cols) * 7 / cols).astype(int)
        np.testing.assert_array_equal(F.interpolate(mlopt.tensor(a), **kw).numpy(),
                                      a[:, :, ri][:, :, :, ci])
    assert tuple(nn.Upsample(scale_factor=2)(mlopt.tensor(a)).shape) == (1, 2, 10, 14)
    with pytest.raises(NotImplementedError, match="bicubic"):
        F.interpolate(mlopt.tensor(a), scale_factor=2, mode="bicubic")


def _linear_ref(x, axis, out, align_corners):
    """1-D linear resampling of x along axis, as PyTorch's source points."""
    n = x.shape[axis]
    i = np.arange(out)
    src = i * ((n - 1) / (out - 1) if out > 1 else 0.0) if align_corners else \
        np.maximum((i + 0.5) * n / out - 0.5, 0.0)
    low = np.minimum(np.floor(src).astype(int), n - 1)
    high = np.minimum(low + 1, n - 1)
    shape = [1] * x.ndim
    shape[axis] = out
    w = (src - low).reshape(shape)
    return np.take(x, low, axis) * (1 - w) + np.take(x, high, axis) * w


@pytest.mark.parametrize("size,align_corners", [((10, 14), False), ((3, 9), False),
                                                 ((8, 4), True), ((1, 1), True)])
def test_bilinear_interpolate_matches_separable_numpy(size, align_corners):
    a = np.random.default_rng(10).standard_normal((2, 3, 5, 7))
    want = _linear_ref(_linear_ref(a, 2, size[0], align_corners), 3, size[1], align_corners)
    for f in (F.interpolate, mlopt.compile(F.interpolate)):
        got = f(mlopt.tensor(a), size=size, mode="bilinear", align_corners=align_corners)
        np.testing.assert_allclose(got.numpy(), want, rtol=1e-12, atol=1e-12)
    up = nn.Upsample(scale_factor=2, mode="bilinear", align_corners=align_corners)
    assert tuple(up(mlopt.tensor(a)).shape) == (2, 3, 10, 14)
    gradcheck(lambda x: F.interpolate(x, size=size, mode="bilinear",
                                      align_corners=align_corners), [mlopt.tensor(a[:1, :1])])



def test_compiled_steps_read_parameters_as_updated_and_step_once():
    """p.data after opt.step() in the same call reads the update (an EMA of
    the weights); two steps of one optimizer in a call run eagerly (its step
    count advances once per call); settings that change on every call stop
    recompiling at the limit, with one warning."""
    def run(compiled, twice=False):
        w = nn.Parameter(mlopt.tensor([1.0, -2.0], dtype=mlopt.float64))
        ema = mlopt.zeros(2, dtype=mlopt.float64)
        opt = mlopt.optim.Adam([w], lr=0.1, weight_decay=0.1)

        def step(x):
            for _ in range(2 if twice else 1):
                opt.zero_grad()
                (w * w * x).sum().backward()
                opt.step()
            ema.mul_(0.5).add_(0.5 * w.data)
            return ema
        step = mlopt.compile(step) if compiled else step
        for _ in range(3):
            step(mlopt.tensor([1.0, 2.0], dtype=mlopt.float64))
        return w.detach().numpy(), ema.numpy(), step
    for twice in (False, True):
        (w0, e0, _), (w1, e1, step) = run(False, twice), run(True, twice)
        np.testing.assert_allclose(w1, w0, rtol=1e-12)
        np.testing.assert_allclose(e1, e0, rtol=1e-12)
        assert any("twice" in r for r in step.reasons) == twice, step.reasons
    p = nn.Parameter(mlopt.ones(2))
    opt = mlopt.optim.SGD([p], lr=0.1, momentum=0.5)

    def sgd_step():
        opt.zero_grad()
        p.sum().backward()
        opt.step()
    compiled = mlopt.compile(sgd_step)
    with pytest.warns(UserWarning, match="recompiled") as caught:
        for k in range(mlopt._compile.RECOMPILE_LIMIT + 4):
            opt.param_groups[0]["weight_decay"] = 0.01 * k  # a guarded setting
            compiled()
    assert len(caught) == 1


def test_data_loader_samplers_and_generators():
    from mlopt.utils.data import (BatchSampler, DataLoader, RandomSampler, SequentialSampler,
                                  SubsetRandomSampler, TensorDataset, random_split)
    ds = TensorDataset(mlopt.arange(10), mlopt.arange(10) * 2)

    def epoch(**kw):
        return [b[0].tolist() for b in DataLoader(ds, batch_size=4, **kw)]
    first = epoch(shuffle=True, generator=mlopt.Generator().manual_seed(3))
    assert first == epoch(shuffle=True, generator=mlopt.Generator().manual_seed(3))
    assert sorted(sum(first, [])) == list(range(10)) and [len(b) for b in first] == [4, 4, 2]
    subset = epoch(sampler=SubsetRandomSampler([1, 3, 5, 7]))
    assert sorted(sum(subset, [])) == [1, 3, 5, 7]
    batches = DataLoader(ds, batch_sampler=BatchSampler(SequentialSampler(ds), 4, drop_last=True))
    assert [b[1].tolist() for b in batches] == [[0, 2, 4, 6], [8, 10, 12, 14]] and len(batches) == 2
    with pytest.raises(ValueError, match="mutually exclusive with shuffle"):
        DataLoader(ds, sampler=SequentialSampler(ds), shuffle=True)
    draws = list(RandomSampler(ds, replacement=True, num_samples=50))
    assert len(draws) == 50 and set(draws) <= set(range(10))
    parts = random_split(ds, [0.7, 0.3], generator=mlopt.Generator().manual_seed(1))
    assert [len(p) for p in parts] == [7, 3]
    g1, g2 = mlopt.Generator().manual_seed(5), mlopt.Generator().manual_seed(5)
    assert mlopt.randn(3, generator=g1).tolist() == mlopt.randn(3, generator=g2).tolist()
    assert mlopt.randperm(6, generator=g1).tolist() == mlopt.randperm(6, generator=g2).tolist()


def _conv_transpose_ref(x, w, b, stride, padding, output_padding, dilation, groups):
    """out[n, o, i*s + k*d - p, ...] += x[n, c, i, ...] w[c, o, k, ...], per group."""
    n, cin, h, wd = x.shape
    cout_g, kh, kw = w.shape[1:]
    (sh, sw), (ph, pw), (oh, ow), (dh, dw) = stride, padding, output_padding, dilation
    H = (h - 1) * sh - 2 * ph + dh * (kh - 1) + oh + 1
    W = (wd - 1) * sw - 2 * pw + dw * (kw - 1) + ow + 1
    out = np.zeros((n, cout_g * groups, H, W)) + b.reshape(1, -1, 1, 1)
    per = cin // groups
    for c in range(cin):
        g = c // per
        for i in range(h):
            for j in range(wd):
                for ki in range(kh):
                    for kj in range(kw):
                        r, q = i * sh + ki * dh - ph, j * sw + kj * dw - pw
                        if 0 <= r < H and 0 <= q < W:
                            out[:, g * cout_g:(g + 1) * cout_g, r, q] += \
                                x[:, c, i, j, None] * w[c, :, ki, kj]
    return out


@pytest.mark.parametrize("stride,padding,output_padding,dilation,groups", [
    ((1, 1), (0, 0), (0, 0), (1, 1), 1), ((2, 2), (1, 1), (1, 1), (1, 1), 1),
    ((2, 3), (1, 0), (0, 0), (2, 2), 1), ((2, 2), (0, 0), (0, 0), (1, 1), 2)])
def test_conv_transpose2d_against_numpy(stride, padding, output_padding, dilation, groups):
    rng = np.random.default_rng(13)
    x, w, b = rng.standard_normal((2, 4, 4, 3)), rng.standard_normal((4, 6 // groups, 3, 3)), \
        rng.standard_normal(6)
    want = _conv_transpose_ref(x, w, b, stride, padding, output_padding, dilation, groups)
    kw = dict(stride=stride, padding=padding, output_padding=output_padding, dilation=dilation,
              groups=groups)
    got = F.conv_transpose2d(mlopt.tensor(x), mlopt.tensor(w), mlopt.tensor(b), **kw)
    np.testing.assert_allclose(got.numpy(), want, rtol=1e-10, atol=1e-12)
    compiled = mlopt.compile(lambda a, v: F.conv_transpose2d(a, v, None, **kw))
    np.testing.assert_allclose(compiled(mlopt.tensor(x), mlopt.tensor(w)).numpy(),
                               want - b.reshape(1, -1, 1, 1), rtol=1e-10, atol=1e-12)
    gradcheck(lambda a, v: F.conv_transpose2d(a, v, None, **kw),
              [mlopt.tensor(x[:1, :, :2, :2]), mlopt.tensor(w)])
    layer = nn.ConvTranspose2d(4, 6, 3, stride=2, padding=1, output_padding=1)
    assert tuple(layer.weight.shape) == (4, 6, 3, 3)
    assert tuple(layer(mlopt.ones(2, 4, 5, 5)).shape) == (2, 6, 10, 10)


@pytest.mark.parametrize("kernel,dilation", [((2, 2), 1), ((4, 3), 1), ((2, 3), 2)])
def test_conv2d_same_padding_with_even_kernels(kernel, dilation):
    """padding='same' keeps the size; an odd total padding puts the extra row
    and column at the bottom and right, as PyTorch."""
    rng = np.random.default_rng(4)
    x, w = rng.standard_normal((2, 3, 7, 6)), rng.standard_normal((4, 3) + kernel)
    total = [dilation * (k - 1) for k in kernel]
    xp = np.pad(x, ((0, 0), (0, 0), (total[0] // 2, total[0] - total[0] // 2),
                    (total[1] // 2, total[1] - total[1] // 2)))
    want = np.zeros((2, 4, 7, 6))
    for i in range(7):
        for j in range(6):
            patch = xp[:, :, i:i + total[0] + 1:dilation, j:j + total[1] + 1:dilation]
            want[:, :, i, j] = np.einsum("nchw,ochw->no", patch, w)
    got = F.conv2d(mlopt.tensor(x), mlopt.tensor(w), padding="same", dilation=dilation)
    np.testing.assert_allclose(got.numpy(), want, rtol=1e-12, atol=1e-12)
