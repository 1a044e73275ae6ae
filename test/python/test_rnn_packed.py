"""mlopt.nn.utils.rnn (pad_sequence, pack_padded_sequence, pad_packed_sequence,
pack_sequence, PackedSequence) and RNN/LSTM/GRU on packed input: against
running each sequence alone (its valid steps only), finite differences, and
PyTorch's functions and modules with the same state dict where installed."""
import numpy as np
import pytest

import mlopt
import mlopt.nn as nn
from mlopt.nn.utils import rnn as rnn_utils
from mlopt.testing import gradcheck

RNG = np.random.default_rng(5)
I, H = 3, 4
LENGTHS = [5, 2, 4]  # unsorted: sorted order 0, 2, 1


def _seqs(dtype="float64"):
    return [RNG.standard_normal((n, I)).astype(dtype) for n in LENGTHS]


# ---- the helpers -----------------------------------------------------------------------------
@pytest.mark.parametrize("batch_first", [False, True])
@pytest.mark.parametrize("side", ["right", "left"])
def test_pad_sequence(batch_first, side):
    seqs = _seqs()
    out = rnn_utils.pad_sequence([mlopt.tensor(s) for s in seqs], batch_first=batch_first,
                                 padding_value=-1.5, padding_side=side).numpy()
    want = np.full((3, 5, I), -1.5)
    for i, s in enumerate(seqs):
        if side == "right":
            want[i, :len(s)] = s
        else:
            want[i, 5 - len(s):] = s
    np.testing.assert_array_equal(out, want if batch_first else want.transpose(1, 0, 2))


def test_pack_and_pad_round_trip():
    seqs = _seqs()
    padded = rnn_utils.pad_sequence([mlopt.tensor(s) for s in seqs], batch_first=True)
    packed = rnn_utils.pack_padded_sequence(padded, LENGTHS, batch_first=True,
                                            enforce_sorted=False)
    assert packed.batch_sizes.tolist() == [3, 3, 2, 2, 1]
    assert packed.sorted_indices.tolist() == [0, 2, 1]
    assert packed.unsorted_indices.tolist() == [0, 2, 1]
    # time-major, longest first: step 0 of sequences 0, 2, 1, ...
    want = np.concatenate([np.stack([seqs[i][t] for i in (0, 2, 1) if LENGTHS[i] > t])
                           for t in range(5)])
    np.testing.assert_array_equal(packed.data.numpy(), want)
    out, lengths = rnn_utils.pad_packed_sequence(packed, batch_first=True, total_length=7)
    assert lengths.tolist() == LENGTHS and tuple(out.shape) == (3, 7, I)
    np.testing.assert_array_equal(out.numpy()[:, :5], padded.numpy())
    assert not out.numpy()[:, 5:].any()
    assert [s.shape[0] for s in rnn_utils.unpack_sequence(packed)] == LENGTHS
    packed2 = rnn_utils.pack_sequence([mlopt.tensor(s) for s in seqs], enforce_sorted=False)
    np.testing.assert_array_equal(packed2.data.numpy(), want)


def test_pack_errors():
    x = mlopt.zeros(5, 3, I)
    with pytest.raises(RuntimeError, match="sorted in decreasing order"):
        rnn_utils.pack_padded_sequence(x, LENGTHS)
    with pytest.raises(RuntimeError, match="greater than 0"):
        rnn_utils.pack_padded_sequence(x, [5, 2, 0])
    with pytest.raises(ValueError, match="total_length"):
        rnn_utils.pad_packed_sequence(rnn_utils.pack_padded_sequence(x, [5, 4, 2]),
                                      total_length=3)


def test_packing_is_differentiable():
    seqs = [mlopt.tensor(s) for s in _seqs()]

    def fn(a, b, c):
        packed = rnn_utils.pack_sequence([a, b, c], enforce_sorted=False)
        return rnn_utils.pad_packed_sequence(packed, padding_value=0.5)[0] * 2
    gradcheck(fn, seqs)


# ---- the modules on packed input ---------------------------------------------------------------
CONFIGS = [("RNN", {}), ("RNN", {"nonlinearity": "relu", "num_layers": 2}),
           ("LSTM", {"num_layers": 2, "bidirectional": True}),
           ("LSTM", {"proj_size": 2, "bidirectional": True}),
           ("GRU", {"bidirectional": True}), ("GRU", {"num_layers": 2, "batch_first": True})]


def _initial(name, kw, batch, rng):
    dirs = 2 if kw.get("bidirectional") else 1
    layers = kw.get("num_layers", 1) * dirs
    h0 = rng.standard_normal((layers, batch, kw.get("proj_size") or H))
    if name == "LSTM":
        return h0, rng.standard_normal((layers, batch, H))
    return h0, None


@pytest.mark.parametrize("name, kw", CONFIGS)
def test_packed_equals_each_sequence_alone(name, kw):
    """Outputs at valid steps and h_n/c_n equal the module run on each
    sequence by itself (unbatched, exactly its steps), with hx given."""
    mlopt.manual_seed(1)
    module = getattr(nn, name)(I, H, **kw).double()
    seqs = _seqs()
    h0, c0 = _initial(name, kw, 3, RNG)
    hx = mlopt.tensor(h0) if c0 is None else (mlopt.tensor(h0), mlopt.tensor(c0))
    packed = rnn_utils.pack_sequence([mlopt.tensor(s) for s in seqs], enforce_sorted=False)
    out, state = module(packed, hx)
    assert isinstance(out, rnn_utils.PackedSequence)
    assert out.batch_sizes.tolist() == packed.batch_sizes.tolist()
    padded, lengths = rnn_utils.pad_packed_sequence(out, batch_first=True)
    assert lengths.tolist() == LENGTHS
    for i, s in enumerate(seqs):
        x = mlopt.tensor(s)  # unbatched: no batch dim, batch_first or not
        hi = mlopt.tensor(h0[:, i])
        one_out, one_state = module(x, hi if c0 is None else (hi, mlopt.tensor(c0[:, i])))
        np.testing.assert_allclose(padded.numpy()[i, :len(s)], one_out.numpy(), rtol=1e-12,
                                   atol=1e-12)
        assert not padded.numpy()[i, len(s):].any()
        if c0 is None:
            np.testing.assert_allclose(state.numpy()[:, i], one_state.numpy(), rtol=1e-12)
        else:
            np.testing.assert_allclose(state[0].numpy()[:, i], one_state[0].numpy(), rtol=1e-12)
            np.testing.assert_allclose(state[1].numpy()[:, i], one_state[1].numpy(), rtol=1e-12)


def test_packed_gradients_against_finite_differences():
    mlopt.manual_seed(2)
    lstm = nn.LSTM(I, 2, bidirectional=True).double()
    seqs = [mlopt.tensor(s) for s in _seqs()]

    def fn(a, b, c):
        packed = rnn_utils.pack_sequence([a, b, c], enforce_sorted=False)
        out, (h, cn) = lstm(packed)
        return out.data, h, cn
    gradcheck(fn, seqs)


def test_packed_with_a_compiled_function_matches_eager():
    mlopt.manual_seed(3)
    gru = nn.GRU(I, H).double()
    padded = mlopt.tensor(RNG.standard_normal((5, 3, I)))
    lengths = [5, 4, 2]

    def fn(x):
        out, h = gru(rnn_utils.pack_padded_sequence(x, lengths))
        return rnn_utils.pad_packed_sequence(out)[0].sum() + h.sum()
    want = fn(padded).item()
    compiled = mlopt.compile(fn)
    assert compiled(padded).item() == pytest.approx(want, rel=1e-12)
    assert compiled(padded).item() == pytest.approx(want, rel=1e-12)
    assert not compiled.reasons, compiled.reasons  # (lengths as Python ints: traced)


def test_packed_hidden_size_errors():
    lstm = nn.LSTM(I, H)
    packed = rnn_utils.pack_sequence([mlopt.randn(3, I), mlopt.randn(2, I)])
    with pytest.raises(RuntimeError, match="Expected hidden\\[0\\] size"):
        lstm(packed, (mlopt.zeros(1, 3, H), mlopt.zeros(1, 2, H)))
    with pytest.raises(RuntimeError, match="input_size"):
        nn.GRU(I + 1, H)(packed)


# ---- against PyTorch -------------------------------------------------------------------------
@pytest.mark.parametrize("name, kw", CONFIGS)
def test_packed_modules_match_pytorch(name, kw):
    torch = pytest.importorskip("torch")
    tu = torch.nn.utils.rnn
    theirs = getattr(torch.nn, name)(I, H, **kw).double()
    ours = getattr(nn, name)(I, H, **kw).double()
    ours.load_state_dict({k: mlopt.tensor(v.detach().numpy())
                          for k, v in theirs.state_dict().items()})
    seqs = _seqs()
    bf = kw.get("batch_first", False)
    h0, c0 = _initial(name, kw, 3, RNG)
    t_seqs = [torch.tensor(s, requires_grad=True) for s in seqs]
    o_seqs = [mlopt.tensor(s).requires_grad_() for s in seqs]
    t_h = (torch.tensor(h0, requires_grad=True),) + \
        (() if c0 is None else (torch.tensor(c0, requires_grad=True),))
    o_h = (mlopt.tensor(h0).requires_grad_(),) + \
        (() if c0 is None else (mlopt.tensor(c0).requires_grad_(),))
    results = []
    for lib, utils, module, xs, hs in ((torch, tu, theirs, t_seqs, t_h),
                                       (mlopt, rnn_utils, ours, o_seqs, o_h)):
        padded = utils.pad_sequence(xs, batch_first=bf)
        packed = utils.pack_padded_sequence(padded, lib.tensor(LENGTHS), batch_first=bf,
                                            enforce_sorted=False)
        out, state = module(packed, hs[0] if len(hs) == 1 else hs)
        unpacked, lengths = utils.pad_packed_sequence(out, batch_first=bf)
        states = [state] if len(hs) == 1 else list(state)
        loss = (unpacked * unpacked).sum() + sum((s * s * 0.5).sum() for s in states)
        loss.backward()
        results.append(([unpacked.detach().numpy(), out.data.detach().numpy(),
                         lengths.numpy()] + [s.detach().numpy() for s in states],
                        [x.grad.numpy() for x in xs] + [h.grad.numpy() for h in hs],
                        {n: p.grad.numpy() for n, p in module.named_parameters()}))
    (tv, tg, tp), (ov, og, op) = results
    for a, b in zip(tv + tg, ov + og):
        np.testing.assert_allclose(b, a, rtol=1e-10, atol=1e-12)
    for n in tp:
        np.testing.assert_allclose(op[n], tp[n], rtol=1e-10, atol=1e-12)


def test_helpers_match_pytorch():
    torch = pytest.importorskip("torch")
    tu = torch.nn.utils.rnn
    seqs = _seqs()
    for side in ("left", "right"):
        np.testing.assert_array_equal(
            rnn_utils.pad_sequence([mlopt.tensor(s) for s in seqs], True, 2.0, side).numpy(),
            tu.pad_sequence([torch.tensor(s) for s in seqs], True, 2.0, side).numpy())
    for enforce in (False, True):
        order = seqs if not enforce else sorted(seqs, key=len, reverse=True)
        t = tu.pack_sequence([torch.tensor(s) for s in order], enforce_sorted=enforce)
        o = rnn_utils.pack_sequence([mlopt.tensor(s) for s in order], enforce_sorted=enforce)
        np.testing.assert_array_equal(o.data.numpy(), t.data.numpy())
        assert o.batch_sizes.tolist() == t.batch_sizes.tolist()
        for a, b in ((o.sorted_indices, t.sorted_indices),
                     (o.unsorted_indices, t.unsorted_indices)):
            assert (a is None) == (b is None) and (a is None or a.tolist() == b.tolist())
