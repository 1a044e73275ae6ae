"""nn.MultiheadAttention and nn.TransformerEncoder(Layer): against NumPy in
float64 (masks, batch_first, unbatched input), eager against compiled with
gradients, and against PyTorch's modules with the same weights where it is
installed."""
import numpy as np
import pytest

import mlopt
import mlopt.nn as nn

RNG = np.random.default_rng(12)
E, H = 8, 2


def softmax(x):
    e = np.exp(x - x.max(-1, keepdims=True))
    return e / e.sum(-1, keepdims=True)


def mha_ref(module, q, k, v, attn_mask=None, key_padding_mask=None):
    """(L, N, E) inputs; PyTorch's math: bool masks mark what is NOT attended to."""
    w = module.in_proj_weight.detach().numpy()
    b = module.in_proj_bias.detach().numpy()
    proj = [x @ w[i * E:(i + 1) * E].T + b[i * E:(i + 1) * E] for i, x in enumerate((q, k, v))]
    L, N, S, d = q.shape[0], q.shape[1], k.shape[0], E // H
    qh, kh, vh = (p.reshape(p.shape[0], N, H, d).transpose(1, 2, 0, 3) for p in proj)
    scores = qh @ kh.transpose(0, 1, 3, 2) / np.sqrt(d)
    if attn_mask is not None:
        scores = np.where(attn_mask, -np.inf, scores) if attn_mask.dtype == bool \
            else scores + attn_mask
    if key_padding_mask is not None:
        scores = np.where(key_padding_mask[:, None, None, :], -np.inf, scores)
    weights = softmax(scores)
    out = (weights @ vh).transpose(2, 0, 1, 3).reshape(L, N, E)
    out = out @ module.out_proj.weight.detach().numpy().T + module.out_proj.bias.detach().numpy()
    return out, weights.mean(1)


@pytest.mark.parametrize("mask", ["none", "causal_bool", "float", "key_padding"])
def test_multihead_attention_matches_numpy(mask):
    module = nn.MultiheadAttention(E, H).double()
    q, k = RNG.standard_normal((5, 3, E)), RNG.standard_normal((6, 3, E))
    kw = {}
    if mask == "causal_bool":
        kw["attn_mask"] = np.triu(np.ones((5, 6), bool), 1)
    elif mask == "float":
        kw["attn_mask"] = RNG.standard_normal((5, 6))
    elif mask == "key_padding":
        kw["key_padding_mask"] = np.array([[False] * 5 + [True]] * 3)
    want, want_w = mha_ref(module, q, k, k, **kw)
    out, weights = module(mlopt.tensor(q), mlopt.tensor(k), mlopt.tensor(k),
                          **{n: mlopt.tensor(m) for n, m in kw.items()})
    np.testing.assert_allclose(out.detach().numpy(), want, rtol=1e-10, atol=1e-12)
    np.testing.assert_allclose(weights.detach().numpy(), want_w, rtol=1e-10, atol=1e-12)


def test_multihead_attention_layouts_and_parameters():
    module = nn.MultiheadAttention(E, H, batch_first=True).double()
    assert [n for n, _ in module.named_parameters()] == [
        "in_proj_weight", "in_proj_bias", "out_proj.weight", "out_proj.bias"]
    assert module.in_proj_bias.tolist() == [0.0] * 3 * E and module.out_proj.bias.tolist() == [0.0] * E
    x = RNG.standard_normal((3, 5, E))
    out, _ = module(mlopt.tensor(x), mlopt.tensor(x), mlopt.tensor(x))
    want, _ = mha_ref(module, x.transpose(1, 0, 2), x.transpose(1, 0, 2), x.transpose(1, 0, 2))
    np.testing.assert_allclose(out.detach().numpy(), want.transpose(1, 0, 2), rtol=1e-10)
    single, w = module(mlopt.tensor(x[0]), mlopt.tensor(x[0]), mlopt.tensor(x[0]))  # unbatched
    np.testing.assert_allclose(single.detach().numpy(), want[:, 0], rtol=1e-10)
    assert tuple(w.shape) == (5, 5)
    assert module(mlopt.tensor(x), mlopt.tensor(x), mlopt.tensor(x), need_weights=False)[1] is None


@pytest.mark.parametrize("norm_first", [False, True])
def test_transformer_encoder_eager_compiled_and_gradients(norm_first):
    mlopt.manual_seed(0)
    layer = nn.TransformerEncoderLayer(E, H, 16, dropout=0.0, batch_first=True,
                                       norm_first=norm_first).double()
    encoder = nn.TransformerEncoder(layer, 2).double()
    assert len(list(encoder.parameters())) == 2 * len(list(layer.parameters()))
    x = RNG.standard_normal((2, 5, E))
    eager = encoder(mlopt.tensor(x))
    compiled = mlopt.compile(encoder)(mlopt.tensor(x))
    np.testing.assert_allclose(compiled.detach().numpy(), eager.detach().numpy(), rtol=1e-10,
                               atol=1e-12)
    a = mlopt.tensor(x, requires_grad=True)
    (encoder(a, is_causal=True, mask=mlopt.tensor(np.triu(np.ones((5, 5), bool), 1))) ** 2
     ).sum().backward()
    assert np.isfinite(a.grad.numpy()).all() and np.abs(a.grad.numpy()).sum() > 0
    # causal: the first position's output depends on the first input only
    b = mlopt.tensor(x, requires_grad=True)
    mask = mlopt.tensor(np.triu(np.ones((5, 5), bool), 1))
    encoder(b, mask=mask)[:, 0].sum().backward()
    assert np.abs(b.grad.numpy()[:, 1:]).max() == 0


def test_transformer_layers_match_pytorch():
    torch = pytest.importorskip("torch")
    for norm_first in (False, True):
        theirs = torch.nn.TransformerEncoderLayer(E, H, 16, dropout=0.0, batch_first=True,
                                                  norm_first=norm_first,
                                                  activation="gelu").double()
        ours = nn.TransformerEncoderLayer(E, H, 16, dropout=0.0, batch_first=True,
                                          norm_first=norm_first, activation="gelu").double()
        assert list(ours.state_dict()) == list(theirs.state_dict())
        ours.load_state_dict({k: mlopt.tensor(v.numpy()) for k, v in theirs.state_dict().items()})
        x = RNG.standard_normal((3, 5, E))
        mask = torch.nn.Transformer.generate_square_subsequent_mask(5).double()
        np.testing.assert_allclose(
            ours(mlopt.tensor(x), src_mask=mlopt.tensor(mask.numpy())).detach().numpy(),
            theirs(torch.tensor(x), src_mask=mask).detach().numpy(), rtol=1e-10, atol=1e-12)
