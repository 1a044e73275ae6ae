"""nn.TransformerDecoderLayer, nn.TransformerDecoder and nn.Transformer:
PyTorch's state-dict keys, the causal and padding masks' effects,
finite-difference gradients, compiled against eager, and the same outputs
and gradients as PyTorch's modules with the same state dict where it is
installed."""
import math

import numpy as np
import pytest

import mlopt
import mlopt.nn as nn
from mlopt.testing import gradcheck

RNG = np.random.default_rng(11)
E, HEADS, FF = 8, 2, 16


def _tensor(*shape):
    return mlopt.tensor(RNG.standard_normal(shape))


def test_square_subsequent_mask():
    mask = nn.Transformer.generate_square_subsequent_mask(4).numpy()
    want = np.triu(np.full((4, 4), -np.inf), 1)
    want[np.tril_indices(4)] = 0.0
    np.testing.assert_array_equal(mask, want)
    assert mask.dtype == np.float32
    assert nn.Transformer.generate_square_subsequent_mask(3, dtype=mlopt.float64).dtype \
        == mlopt.float64


def test_state_dict_keys():
    layer = nn.TransformerDecoderLayer(E, HEADS, FF)
    assert list(layer.state_dict()) == [
        "self_attn.in_proj_weight", "self_attn.in_proj_bias", "self_attn.out_proj.weight",
        "self_attn.out_proj.bias", "multihead_attn.in_proj_weight",
        "multihead_attn.in_proj_bias", "multihead_attn.out_proj.weight",
        "multihead_attn.out_proj.bias", "linear1.weight", "linear1.bias", "linear2.weight",
        "linear2.bias", "norm1.weight", "norm1.bias", "norm2.weight", "norm2.bias",
        "norm3.weight", "norm3.bias"]
    model = nn.Transformer(E, HEADS, 2, 1, FF)
    keys = list(model.state_dict())
    assert keys[0] == "encoder.layers.0.self_attn.in_proj_weight"
    assert "encoder.norm.weight" in keys and "decoder.layers.0.norm3.bias" in keys
    assert keys[-1] == "decoder.norm.bias"
    assert not any(k.startswith("decoder.layers.1") for k in keys)


@pytest.mark.parametrize("norm_first", [False, True])
def test_causal_mask_hides_later_targets(norm_first):
    mlopt.manual_seed(0)
    dec = nn.TransformerDecoder(nn.TransformerDecoderLayer(E, HEADS, FF, dropout=0.0,
                                                           norm_first=norm_first), 2,
                                nn.LayerNorm(E)).double()
    tgt, memory = _tensor(5, 2, E), _tensor(6, 2, E)
    mask = nn.Transformer.generate_square_subsequent_mask(5, dtype=mlopt.float64)
    out = dec(tgt, memory, tgt_mask=mask).numpy()
    changed = tgt.numpy().copy()
    changed[3:] += RNG.standard_normal(changed[3:].shape)
    out2 = dec(mlopt.tensor(changed), memory, tgt_mask=mask).numpy()
    np.testing.assert_allclose(out2[:3], out[:3], rtol=1e-12, atol=1e-12)
    assert np.abs(out2[3:] - out[3:]).max() > 1e-3
    # tgt_is_causal with no mask builds the same mask
    np.testing.assert_allclose(dec(tgt, memory, tgt_is_causal=True).numpy()[:3], out[:3],
                               rtol=1e-12, atol=1e-12)


def test_memory_key_padding_mask_hides_memory():
    mlopt.manual_seed(1)
    layer = nn.TransformerDecoderLayer(E, HEADS, FF, dropout=0.0, batch_first=True).double()
    tgt, memory = _tensor(2, 3, E), _tensor(2, 4, E)
    pad = mlopt.tensor(np.array([[False, False, True, True], [False, False, False, True]]))
    out = layer(tgt, memory, memory_key_padding_mask=pad).numpy()
    changed = memory.numpy().copy()
    changed[0, 2:] = 7.0
    changed[1, 3] = -3.0
    out2 = layer(tgt, mlopt.tensor(changed), memory_key_padding_mask=pad).numpy()
    np.testing.assert_allclose(out2, out, rtol=1e-12, atol=1e-12)


def test_gradients_against_finite_differences():
    mlopt.manual_seed(2)
    layer = nn.TransformerDecoderLayer(4, 2, 6, dropout=0.0, norm_first=True).double()
    mask = nn.Transformer.generate_square_subsequent_mask(3, dtype=mlopt.float64)
    gradcheck(lambda t, m: layer(t, m, tgt_mask=mask), [_tensor(3, 1, 4), _tensor(2, 1, 4)])


def test_transformer_compiled_matches_eager_and_trains():
    mlopt.manual_seed(3)
    model = nn.Transformer(E, HEADS, 1, 1, FF, dropout=0.0, batch_first=True).double()
    src, tgt = _tensor(2, 5, E), _tensor(2, 4, E)
    mask = model.generate_square_subsequent_mask(4, dtype=mlopt.float64)

    def loss_fn(s, t):
        return (model(s, t, tgt_mask=mask) ** 2).mean()
    want = loss_fn(src, tgt).item()
    compiled = mlopt.compile(loss_fn)
    assert compiled(src, tgt).item() == pytest.approx(want, rel=1e-10)
    opt = mlopt.optim.Adam(model.parameters(), lr=1e-2)
    first = None
    for _ in range(5):
        opt.zero_grad()
        loss = loss_fn(src, tgt)
        loss.backward()
        opt.step()
        first = loss.item() if first is None else first
    assert loss.item() < first


def test_unbatched_input():
    mlopt.manual_seed(4)
    layer = nn.TransformerDecoderLayer(E, HEADS, FF, dropout=0.0).double()
    tgt, memory = _tensor(3, 1, E), _tensor(4, 1, E)
    np.testing.assert_allclose(layer(tgt[:, 0], memory[:, 0]).numpy(),
                               layer(tgt, memory).numpy()[:, 0], rtol=1e-12, atol=1e-12)


# ---- against PyTorch -------------------------------------------------------------------------
def _load(ours, theirs):
    assert list(ours.state_dict()) == list(theirs.state_dict())
    ours.load_state_dict({k: mlopt.tensor(v.detach().numpy())
                          for k, v in theirs.state_dict().items()})


def _compare(torch, ours, theirs, args, kwargs_fn):
    results = []
    for lib, module in ((torch, theirs), (mlopt, ours)):
        xs = [lib.tensor(a, requires_grad=True) for a in args]
        out = module(*xs, **kwargs_fn(lib))
        (out * lib.tensor(np.cos(np.arange(out.numel())).reshape(tuple(out.shape)))).sum() \
            .backward()
        results.append((out.detach().numpy(), [x.grad.numpy() for x in xs],
                        {n: p.grad.numpy() for n, p in module.named_parameters()}))
    (to, tg, tp), (oo, og, op) = results
    np.testing.assert_allclose(oo, to, rtol=1e-9, atol=1e-11)
    for a, b in zip(og, tg):
        np.testing.assert_allclose(a, b, rtol=1e-9, atol=1e-11)
    for n in tp:
        np.testing.assert_allclose(op[n], tp[n], rtol=1e-9, atol=1e-11, err_msg=n)


@pytest.mark.filterwarnings("ignore:Support for mismatched key_padding_mask")
@pytest.mark.parametrize("norm_first, batch_first, activation",
                         [(False, False, "relu"), (True, True, "gelu")])
def test_decoder_matches_pytorch(norm_first, batch_first, activation):
    torch = pytest.importorskip("torch")
    kw = dict(dim_feedforward=FF, dropout=0.0, activation=activation, norm_first=norm_first,
              batch_first=batch_first)
    theirs = torch.nn.TransformerDecoder(torch.nn.TransformerDecoderLayer(E, HEADS, **kw), 2,
                                         torch.nn.LayerNorm(E)).double()
    ours = nn.TransformerDecoder(nn.TransformerDecoderLayer(E, HEADS, **kw), 2,
                                 nn.LayerNorm(E)).double()
    _load(ours, theirs)
    tshape, mshape = ((2, 4, E), (2, 5, E)) if batch_first else ((4, 2, E), (5, 2, E))
    tgt, memory = RNG.standard_normal(tshape), RNG.standard_normal(mshape)
    tpad = np.array([[False] * 4, [False, False, False, True]])
    mpad = np.array([[False] * 5, [False, False, True, True, True]])

    def kwargs(lib):
        return dict(tgt_mask=(lib.nn.Transformer.generate_square_subsequent_mask(4).double()
                              if lib is torch else
                              nn.Transformer.generate_square_subsequent_mask(
                                  4, dtype=mlopt.float64)),
                    tgt_key_padding_mask=lib.tensor(tpad),
                    memory_key_padding_mask=lib.tensor(mpad))
    _compare(torch, ours, theirs, [tgt, memory], kwargs)


def test_transformer_matches_pytorch():
    torch = pytest.importorskip("torch")
    kw = dict(d_model=E, nhead=HEADS, num_encoder_layers=2, num_decoder_layers=1,
              dim_feedforward=FF, dropout=0.0, batch_first=True)
    theirs = torch.nn.Transformer(**kw).double()
    ours = nn.Transformer(**kw).double()
    _load(ours, theirs)
    src, tgt = RNG.standard_normal((2, 5, E)), RNG.standard_normal((2, 3, E))
    mem_mask = np.zeros((3, 5))
    mem_mask[:, 4] = -math.inf

    def kwargs(lib):
        mask = lib.nn.Transformer.generate_square_subsequent_mask(3, dtype=lib.float64)
        return dict(tgt_mask=mask, memory_mask=lib.tensor(mem_mask))
    _compare(torch, ours, theirs, [src, tgt], kwargs)
