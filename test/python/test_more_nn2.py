"""nn.init (orthogonal_, eye_, dirac_, sparse_), Conv3d, ConvTranspose1d,
EmbeddingBag / F.embedding_bag, F.unfold / F.fold, LocalResponseNorm,
UpsamplingNearest2d / UpsamplingBilinear2d, LazyLinear and
mlopt.utils.checkpoint: against NumPy float64 references and finite
differences, and against PyTorch's modules with the same state dict where
it is installed."""
import math

import numpy as np
import pytest

import mlopt
import mlopt.nn as nn
import mlopt.nn.functional as F
from mlopt.testing import gradcheck
from mlopt.utils.checkpoint import checkpoint, checkpoint_sequential

RNG = np.random.default_rng(3)


def t(a):
    return mlopt.tensor(np.asarray(a, dtype=np.float64))


# ---- init ------------------------------------------------------------------------------------
def test_init_functions():
    mlopt.manual_seed(0)
    for shape in ((4, 6), (6, 4), (3, 2, 2)):
        w = nn.init.orthogonal_(mlopt.empty(*shape), gain=2.0).numpy().reshape(shape[0], -1)
        gram = w @ w.T if w.shape[0] <= w.shape[1] else w.T @ w
        np.testing.assert_allclose(gram, 4 * np.eye(len(gram)), atol=1e-5)
    np.testing.assert_array_equal(nn.init.eye_(mlopt.empty(3, 5)).numpy(), np.eye(3, 5))
    w = nn.init.sparse_(mlopt.empty(10, 6), sparsity=0.3, std=0.5).numpy()
    assert ((w == 0).sum(0) == 3).all()
    with pytest.raises(ValueError):
        nn.init.eye_(mlopt.empty(2, 2, 2))
    # a dirac kernel passes each (group's) input channel through
    x = t(RNG.standard_normal((2, 4, 5, 6)))
    w = nn.init.dirac_(mlopt.empty(4, 2, 3, 3).double(), groups=2)
    np.testing.assert_allclose(F.conv2d(x, w, padding=1, groups=2).numpy(), x.numpy())
    w = nn.init.dirac_(mlopt.empty(3, 3, 3, 3, 3))
    assert w.numpy().sum() == 3 and w.numpy()[1, 1, 1, 1, 1] == 1
    assert nn.init.calculate_gain("leaky_relu", 0.2) == pytest.approx(math.sqrt(2 / 1.04))
    w = nn.init.trunc_normal_(mlopt.empty(1000), std=2.0, a=-1.0, b=1.5).numpy()
    assert w.min() >= -1.0 and w.max() <= 1.5


# ---- convolutions -----------------------------------------------------------------------------
def conv3d_ref(x, w, b, stride, padding, dilation, groups):
    n, c, *size = x.shape
    o, cg, *k = w.shape
    x = np.pad(x, [(0, 0), (0, 0)] + [(p, p) for p in padding])
    out_size = [(x.shape[2 + i] - dilation[i] * (k[i] - 1) - 1) // stride[i] + 1
                for i in range(3)]
    out = np.zeros((n, o, *out_size))
    og = o // groups
    for oc in range(o):
        g = oc // og
        for idx in np.ndindex(*out_size):
            patch = x[:, g * cg:(g + 1) * cg,
                      idx[0] * stride[0]:idx[0] * stride[0] + dilation[0] * (k[0] - 1) + 1:
                      dilation[0],
                      idx[1] * stride[1]:idx[1] * stride[1] + dilation[1] * (k[1] - 1) + 1:
                      dilation[1],
                      idx[2] * stride[2]:idx[2] * stride[2] + dilation[2] * (k[2] - 1) + 1:
                      dilation[2]]
            out[(slice(None), oc) + idx] = (patch * w[oc]).sum((1, 2, 3, 4))
    return out + (0 if b is None else b.reshape(1, -1, 1, 1, 1))


@pytest.mark.parametrize("stride, padding, dilation, groups",
                         [((1, 1, 1), (1, 1, 1), (1, 1, 1), 1),
                          ((2, 1, 2), (0, 1, 2), (1, 2, 1), 2)])
def test_conv3d_against_numpy(stride, padding, dilation, groups):
    x = RNG.standard_normal((2, 4, 5, 6, 7))
    conv = nn.Conv3d(4, 6, (3, 2, 3), stride, padding, dilation, groups).double()
    assert tuple(conv.weight.shape) == (6, 4 // groups, 3, 2, 3)
    got = conv(t(x)).numpy()
    want = conv3d_ref(x, conv.weight.detach().numpy(), conv.bias.detach().numpy(), stride,
                      padding, dilation, groups)
    np.testing.assert_allclose(got, want, rtol=1e-11, atol=1e-12)
    np.testing.assert_allclose(conv(t(x[0])).numpy(), want[0], rtol=1e-11, atol=1e-12)


def test_conv3d_same_padding_and_gradients():
    w = t(RNG.standard_normal((2, 2, 2, 3, 2)))
    x = t(RNG.standard_normal((1, 2, 3, 4, 3)))
    assert tuple(F.conv3d(x, w, padding="same").shape) == (1, 2, 3, 4, 3)
    gradcheck(lambda a, b, c: F.conv3d(a, b, c, stride=(1, 2, 1), padding=1),
              [x, w, t(RNG.standard_normal(2))])


def conv_transpose1d_ref(x, w, b, stride, padding, output_padding, dilation, groups):
    n, cin, length = x.shape
    cout_g, k = w.shape[1], w.shape[2]
    out_len = (length - 1) * stride - 2 * padding + dilation * (k - 1) + output_padding + 1
    full = np.zeros((n, cout_g * groups, out_len + 2 * padding + k * dilation))
    cin_g = cin // groups
    for c in range(cin):
        g = c // cin_g
        for i in range(length):
            for j in range(k):
                full[:, g * cout_g:(g + 1) * cout_g, i * stride + j * dilation] += \
                    x[:, c, i:i + 1] * w[c, :, j]
    return full[:, :, padding:padding + out_len] + b.reshape(1, -1, 1)


def test_conv_transpose1d_against_numpy():
    x = RNG.standard_normal((2, 4, 5))
    for stride, padding, output_padding, dilation, groups in ((1, 0, 0, 1, 1),
                                                                (2, 1, 1, 2, 2)):
        conv = nn.ConvTranspose1d(4, 6, 3, stride, padding, output_padding, groups,
                                  dilation=dilation).double()
        assert tuple(conv.weight.shape) == (4, 6 // groups, 3)
        want = conv_transpose1d_ref(x, conv.weight.detach().numpy(),
                                    conv.bias.detach().numpy(), stride, padding,
                                    output_padding, dilation, groups)
        np.testing.assert_allclose(conv(t(x)).numpy(), want, rtol=1e-11, atol=1e-12)
    conv = nn.ConvTranspose1d(4, 2, 3, stride=2).double()
    assert tuple(conv(t(x), output_size=[12]).shape) == (2, 2, 12)


# ---- unfold / fold ------------------------------------------------------------------------------
def unfold_ref(x, k, d, p, s):
    n, c, h, w = x.shape
    x = np.pad(x, [(0, 0), (0, 0), (p[0], p[0]), (p[1], p[1])])
    oh = (x.shape[2] - d[0] * (k[0] - 1) - 1) // s[0] + 1
    ow = (x.shape[3] - d[1] * (k[1] - 1) - 1) // s[1] + 1
    cols = np.zeros((n, c, k[0], k[1], oh, ow))
    for i in range(k[0]):
        for j in range(k[1]):
            cols[:, :, i, j] = x[:, :, i * d[0]:i * d[0] + s[0] * (oh - 1) + 1:s[0],
                                 j * d[1]:j * d[1] + s[1] * (ow - 1) + 1:s[1]]
    return cols.reshape(n, c * k[0] * k[1], oh * ow)


def test_unfold_and_fold():
    x = RNG.standard_normal((2, 3, 6, 7))
    k, d, p, s = (2, 3), (2, 1), (1, 2), (2, 1)
    cols = F.unfold(t(x), k, d, p, s).numpy()
    np.testing.assert_allclose(cols, unfold_ref(x, k, d, p, s))
    np.testing.assert_allclose(nn.Unfold(k, d, p, s)(t(x[0])).numpy(), cols[0])
    y = RNG.standard_normal(cols.shape)  # fold is unfold's adjoint
    folded = F.fold(t(y), (6, 7), k, d, p, s).numpy()
    assert folded.shape == x.shape
    np.testing.assert_allclose((folded * x).sum(), (y * cols).sum(), rtol=1e-12)
    ones = nn.Fold((4, 5), 2)(nn.Unfold(2)(t(np.ones((1, 1, 4, 5))))).numpy()
    np.testing.assert_allclose(ones[0, 0], np.outer([1, 2, 2, 1], [1, 2, 2, 2, 1]))
    gradcheck(lambda a: F.fold(F.unfold(a, 2, padding=1) * 1.5, (3, 4), 2, padding=1),
              [t(RNG.standard_normal((1, 2, 3, 4)))])
    with pytest.raises(RuntimeError, match="sliding blocks"):
        F.fold(t(np.zeros((1, 4, 5))), (3, 3), 2)


# ---- EmbeddingBag -------------------------------------------------------------------------------
def bag_ref(weight, ids, offsets, mode, psw=None, padding_idx=None, last=False):
    ends = list(offsets[1:]) + ([] if last else [len(ids)])
    starts = list(offsets[:-1]) if last else list(offsets)
    out = []
    for a, b in zip(starts, ends):
        rows = [(weight[i] * (1 if psw is None else psw[j])) for j, i in
                enumerate(ids[a:b], a) if i != padding_idx]
        if not rows:
            out.append(np.zeros(weight.shape[1]))
        elif mode == "sum":
            out.append(np.sum(rows, 0))
        elif mode == "mean":
            out.append(np.mean(rows, 0))
        else:
            out.append(np.max(rows, 0))
    return np.array(out)


@pytest.mark.parametrize("mode", ["sum", "mean", "max"])
def test_embedding_bag_against_numpy(mode):
    mlopt.manual_seed(1)
    bag = nn.EmbeddingBag(10, 3, mode=mode).double()
    w = bag.weight.detach().numpy()
    ids, offsets = np.array([1, 2, 4, 5, 4, 3, 2, 9]), np.array([0, 3, 3, 6])  # an empty bag
    got = bag(mlopt.tensor(ids), mlopt.tensor(offsets)).numpy()
    np.testing.assert_allclose(got, bag_ref(w, ids, offsets, mode), rtol=1e-12)
    two_d = ids.reshape(2, 4)
    np.testing.assert_allclose(bag(mlopt.tensor(two_d)).numpy(),
                               bag_ref(w, ids, [0, 4], mode), rtol=1e-12)
    last = nn.EmbeddingBag(10, 3, mode=mode, include_last_offset=True, padding_idx=4).double()
    last.load_state_dict(bag.state_dict())
    np.testing.assert_allclose(
        last(mlopt.tensor(ids), mlopt.tensor(np.array([0, 3, 3, 6, 8]))).numpy(),
        bag_ref(w, ids, [0, 3, 3, 6, 8], mode, padding_idx=4, last=True), rtol=1e-12)
    if mode == "sum":
        psw = RNG.standard_normal(8)
        np.testing.assert_allclose(bag(mlopt.tensor(ids), mlopt.tensor(offsets),
                                       per_sample_weights=t(psw)).numpy(),
                                   bag_ref(w, ids, offsets, mode, psw), rtol=1e-12)
    gradcheck(lambda wt: F.embedding_bag(mlopt.tensor(ids), wt, mlopt.tensor(offsets),
                                         mode=mode), [t(w)])


def test_embedding_bag_errors():
    bag = nn.EmbeddingBag(5, 2, mode="mean")
    with pytest.raises(NotImplementedError, match="per_sample_weights"):
        bag(mlopt.tensor([1, 2]), mlopt.tensor([0]), per_sample_weights=mlopt.ones(2))
    with pytest.raises(ValueError, match="offsets has to be None"):
        bag(mlopt.tensor([[1, 2]]), mlopt.tensor([0]))
    with pytest.raises(ValueError, match="offsets has to be a 1D Tensor"):
        bag(mlopt.tensor([1, 2]))


# ---- LocalResponseNorm, upsampling, LazyLinear --------------------------------------------------
def test_local_response_norm():
    x = RNG.standard_normal((2, 5, 3, 4))
    size, alpha, beta, k = 3, 0.1, 0.75, 2.0
    sq = np.pad(x ** 2, [(0, 0), (size // 2, (size - 1) // 2), (0, 0), (0, 0)])
    div = np.stack([sq[:, c:c + size].sum(1) for c in range(5)], 1) / size
    want = x / (k + alpha * div) ** beta
    np.testing.assert_allclose(nn.LocalResponseNorm(size, alpha, beta, k)(t(x)).numpy(), want,
                               rtol=1e-12)
    gradcheck(lambda a: F.local_response_norm(a, 2, 0.5), [t(RNG.standard_normal((1, 3, 4)))])


def test_upsampling_modules():
    x = t(RNG.standard_normal((1, 2, 3, 4)))
    np.testing.assert_array_equal(nn.UpsamplingNearest2d(scale_factor=2)(x).numpy(),
                                  x.numpy().repeat(2, 2).repeat(2, 3))
    up = nn.UpsamplingBilinear2d(size=(5, 7))(x).numpy()
    assert up.shape == (1, 2, 5, 7)
    np.testing.assert_allclose(up[..., ::2, ::2], x.numpy(), rtol=1e-12)  # align_corners


def test_lazy_linear():
    mlopt.manual_seed(2)
    lazy = nn.LazyLinear(3)
    assert lazy.weight is None and lazy.has_uninitialized_params()
    out = lazy(mlopt.randn(4, 7))
    assert tuple(out.shape) == (4, 3) and tuple(lazy.weight.shape) == (3, 7)
    assert np.abs(lazy.weight.detach().numpy()).max() <= 1 / math.sqrt(7)
    other = nn.LazyLinear(3)
    other.load_state_dict(lazy.state_dict())
    np.testing.assert_array_equal(other.weight.numpy(), lazy.weight.numpy())


# ---- checkpoint ---------------------------------------------------------------------------------
def test_checkpoint_results_and_gradients():
    mlopt.manual_seed(3)
    model = nn.Sequential(nn.Linear(4, 5), nn.Tanh(), nn.Linear(5, 3), nn.ReLU(),
                          nn.Linear(3, 2)).double()
    x = t(RNG.standard_normal((6, 4)))
    grads = []
    for run in (lambda a: model(a),
                lambda a: checkpoint(model, a, use_reentrant=False),
                lambda a: checkpoint_sequential(model, 2, a, use_reentrant=False),
                lambda a: checkpoint(lambda u, scale=1.0: model(u) * scale, a, scale=1.0)):
        model.zero_grad()
        a = x.detach().requires_grad_()
        out = run(a)
        (out ** 2).sum().backward()
        grads.append([out.detach().numpy(), a.grad.numpy()] +
                     [p.grad.numpy() for p in model.parameters()])
    for other in grads[1:]:
        for a, b in zip(grads[0], other):
            np.testing.assert_array_equal(a, b)


# ---- against PyTorch ----------------------------------------------------------------------------
def _load(ours, theirs):
    assert list(ours.state_dict()) == list(theirs.state_dict())
    ours.load_state_dict({k: mlopt.tensor(v.detach().numpy())
                          for k, v in theirs.state_dict().items()})


def test_layers_match_pytorch():
    torch = pytest.importorskip("torch")
    cases = [
        ("Conv3d", (4, 6, (3, 2, 3)), dict(stride=(2, 1, 1), padding=1, groups=2),
         (2, 4, 5, 4, 5)),
        ("ConvTranspose1d", (4, 6, 3), dict(stride=2, padding=1, output_padding=1, groups=2,
                                            dilation=1), (2, 4, 5)),
        ("LocalResponseNorm", (3,), dict(alpha=0.2, beta=0.6, k=1.5), (2, 5, 3, 3)),
        ("Unfold", ((2, 3),), dict(dilation=(1, 2), padding=1, stride=(2, 1)), (2, 3, 5, 6)),
        ("Fold", ((4, 5), 2), dict(padding=1), (2, 8, 30)),
        ("UpsamplingNearest2d", (), dict(scale_factor=2), (1, 2, 3, 2)),
        ("UpsamplingBilinear2d", (), dict(size=(5, 4)), (1, 2, 3, 2)),
    ]
    for name, args, kw, shape in cases:
        theirs = getattr(torch.nn, name)(*args, **kw).double()
        ours = getattr(nn, name)(*args, **kw).double()
        _load(ours, theirs)
        x = RNG.standard_normal(shape)
        tx, ox = torch.tensor(x, requires_grad=True), t(x).requires_grad_()
        to, oo = theirs(tx), ours(ox)
        np.testing.assert_allclose(oo.detach().numpy(), to.detach().numpy(), rtol=1e-11,
                                   atol=1e-12, err_msg=name)
        weight = np.cos(np.arange(to.numel())).reshape(tuple(to.shape))
        (to * torch.tensor(weight)).sum().backward()
        (oo * t(weight)).sum().backward()
        np.testing.assert_allclose(ox.grad.numpy(), tx.grad.numpy(), rtol=1e-11, atol=1e-12)
        for (n, p), (_, q) in zip(theirs.named_parameters(), ours.named_parameters()):
            np.testing.assert_allclose(q.grad.numpy(), p.grad.numpy(), rtol=1e-11, atol=1e-12,
                                       err_msg=f"{name}.{n}")


@pytest.mark.parametrize("mode", ["sum", "mean", "max"])
def test_embedding_bag_matches_pytorch(mode):
    torch = pytest.importorskip("torch")
    theirs = torch.nn.EmbeddingBag(10, 3, mode=mode, padding_idx=2).double()
    ours = nn.EmbeddingBag(10, 3, mode=mode, padding_idx=2).double()
    _load(ours, theirs)
    ids, offsets = np.array([1, 2, 4, 5, 4, 3, 2, 9]), np.array([0, 3, 3, 6])
    psw = RNG.standard_normal(8) if mode == "sum" else None
    outs = []
    for lib, module in ((torch, theirs), (mlopt, ours)):
        kw = {} if psw is None else {"per_sample_weights": lib.tensor(psw)}
        out = module(lib.tensor(ids), lib.tensor(offsets), **kw)
        (out * lib.tensor(np.arange(12.0).reshape(4, 3))).sum().backward()
        outs.append((out.detach().numpy(), module.weight.grad.numpy()))
    np.testing.assert_allclose(outs[1][0], outs[0][0], rtol=1e-12)
    np.testing.assert_allclose(outs[1][1], outs[0][1], rtol=1e-12)
