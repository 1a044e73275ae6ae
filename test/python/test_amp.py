"""Mixed precision (mlopt.amp): autocast's casts of matmul, linear and conv2d
against explicit casts, its scoping (nesting, decorators, threads, compiled
traces), and GradScaler's dynamic scale against PyTorch."""
import threading

import numpy as np
import pytest

import mlopt
import mlopt.nn as nn
import mlopt.nn.functional as F


def _x(*shape):
    return mlopt.tensor(np.linspace(-1.0, 1.0, int(np.prod(shape))).reshape(shape),
                        dtype=mlopt.float32)


def test_autocast_casts_matmul_linear_and_conv_inputs():
    x, w, b = _x(3, 4), _x(5, 4), _x(5)
    img, k = _x(1, 2, 5, 5), _x(3, 2, 3, 3)
    with mlopt.autocast("cpu"):
        assert mlopt.is_autocast_enabled("cpu") and not mlopt.is_autocast_enabled("cuda")
        out = F.linear(x, w, b)
        prod = x @ w.T
        conv = F.conv2d(img, k, _x(3), padding=1)
        wide = x.double() @ w.double().T  # float64 is never cast, as in PyTorch
        mixed = x @ w.T.to(mlopt.bfloat16)  # mixed inputs meet in bfloat16
    assert out.dtype is prod.dtype is conv.dtype is mixed.dtype is mlopt.bfloat16
    assert wide.dtype is mlopt.float64
    bf = mlopt.bfloat16
    np.testing.assert_array_equal(out.float().numpy(),
                                  F.linear(x.to(bf), w.to(bf), b.to(bf)).float().numpy())
    np.testing.assert_array_equal(conv.float().numpy(), F.conv2d(
        img.to(bf), k.to(bf), _x(3).to(bf), padding=1).float().numpy())
    assert (x @ w.T).dtype is mlopt.float32  # off again outside


def test_autocast_scopes_nesting_decorators_and_threads():
    x = _x(2, 2)
    with mlopt.autocast("cpu", dtype=mlopt.float16):
        assert (x @ x).dtype is mlopt.float16
        with mlopt.autocast("cpu", enabled=False):
            assert (x @ x).dtype is mlopt.float32
        assert mlopt.get_autocast_dtype("cpu") is mlopt.float16
        seen = []
        thread = threading.Thread(target=lambda: seen.append((x @ x).dtype))
        thread.start()
        thread.join()
        assert seen == [mlopt.float32]  # autocast is per thread, as in PyTorch

    @mlopt.autocast("cpu")
    def f(a):
        return a @ a
    assert f(x).dtype is mlopt.bfloat16 and (x @ x).dtype is mlopt.float32
    with pytest.warns(UserWarning, match="Disabling autocast"):
        with mlopt.autocast("cpu", dtype=mlopt.float32):
            assert (x @ x).dtype is mlopt.float32
    with pytest.raises(RuntimeError, match="unsupported autocast device_type"):
        mlopt.autocast("tpu")


def test_autocast_gradients_reach_float32_parameters():
    mlopt.manual_seed(0)
    lin = nn.Linear(4, 3)
    x = _x(2, 4)
    with mlopt.autocast("cpu"):
        loss = lin(x).float().square().sum()
    loss.backward()
    assert lin.weight.grad.dtype is mlopt.float32
    bf = mlopt.bfloat16
    w = lin.weight.detach().to(bf).float().requires_grad_()
    b = lin.bias.detach().to(bf).float().requires_grad_()
    ref = (F.linear(x.to(bf), w.to(bf), b.to(bf)).float().square().sum())
    ref.backward()
    np.testing.assert_allclose(lin.weight.grad.numpy(), w.grad.numpy(), rtol=1e-2, atol=1e-2)


def test_compiled_functions_follow_the_autocast_state():
    x, w = _x(3, 4), _x(4, 2)

    @mlopt.compile
    def f(a, b):
        return (a @ b).relu()
    plain = f(x, w)
    with mlopt.autocast("cpu"):
        fast = f(x, w)
    again = f(x, w)
    assert plain.dtype is again.dtype is mlopt.float32 and fast.dtype is mlopt.bfloat16
    bf = mlopt.bfloat16
    np.testing.assert_array_equal(fast.float().numpy(),
                                  (x.to(bf) @ w.to(bf)).relu().float().numpy())


def _scaler_run(lib, scaler):
    lin = lib.nn.Linear(3, 2)
    with lib.no_grad():
        lin.weight.copy_(lib.tensor([[0.1, -0.2, 0.3], [0.4, 0.5, -0.6]]))
        lin.bias.copy_(lib.tensor([0.05, -0.05]))
    opt = lib.optim.SGD(lin.parameters(), lr=0.1)
    x = lib.tensor([[1.0, 2.0, 3.0]])
    scales, biases = [], []
    for i in range(7):
        opt.zero_grad()
        loss = lin(x).sum() * (float("inf") if i in (2, 3) else 1.0)
        scaler.scale(loss).backward()
        scaler.step(opt)
        scaler.update()
        scales.append(scaler.get_scale())
        biases.append(lin.bias.detach().numpy().copy())
    return scales, biases


def test_grad_scaler_backs_off_skips_and_grows():
    scaler = mlopt.amp.GradScaler("cpu", init_scale=1024.0, growth_interval=2)
    scales, biases = _scaler_run(mlopt, scaler)
    assert scales == [1024.0, 2048.0, 1024.0, 512.0, 512.0, 1024.0, 1024.0]
    np.testing.assert_allclose(biases[1], biases[2])  # inf steps are skipped
    np.testing.assert_allclose(biases[1], biases[3])
    np.testing.assert_allclose(biases[0], [-0.05, -0.15], rtol=1e-6)
    state = scaler.state_dict()
    other = mlopt.amp.GradScaler("cpu")
    other.load_state_dict(state)
    assert other.get_scale() == 1024.0 and other.state_dict() == state
    off = mlopt.amp.GradScaler("cpu", enabled=False)
    loss = mlopt.ones(1, requires_grad=True).sum()
    assert off.scale(loss) is loss and off.get_scale() == 1.0 and off.state_dict() == {}


def test_grad_scaler_matches_pytorch():
    torch = pytest.importorskip("torch")
    mine = _scaler_run(mlopt, mlopt.amp.GradScaler("cpu", init_scale=1024.0, growth_interval=2))
    theirs = _scaler_run(torch, torch.amp.GradScaler("cpu", init_scale=1024.0,
                                                     growth_interval=2))
    assert mine[0] == theirs[0]
    np.testing.assert_allclose(np.array(mine[1]), np.array(theirs[1]), rtol=1e-6)


def test_cuda_scaler_without_a_gpu_disables_itself():
    if mlopt.cuda.is_available():
        pytest.skip("a GPU is present")
    with pytest.warns(UserWarning, match="CUDA is not available"):
        scaler = mlopt.cuda.amp.GradScaler()
    assert not scaler.is_enabled()
    with mlopt.cuda.amp.autocast():
        assert mlopt.is_autocast_enabled("cuda")
        assert (_x(2, 2) @ _x(2, 2)).dtype is mlopt.float32  # CPU tensors: not cast


def test_losses_run_in_float32_under_autocast():
    """As PyTorch's autocast: a loss of bfloat16 logits is computed (and
    returned) in float32, from the same bfloat16 values."""
    rng = np.random.default_rng(0)
    x = mlopt.tensor(rng.standard_normal((8, 16)), dtype=mlopt.float32)
    w = mlopt.tensor(rng.standard_normal((16, 5)) * 0.1, dtype=mlopt.float32)
    y = mlopt.tensor(rng.integers(0, 5, 8))
    with mlopt.autocast("cpu"):
        logits = x @ w
        loss = F.cross_entropy(logits, y)
        mse = F.mse_loss(logits, mlopt.zeros(8, 5))
    assert logits.dtype is mlopt.bfloat16
    assert loss.dtype is mlopt.float32 and mse.dtype is mlopt.float32
    want = F.cross_entropy(logits.float(), y)
    assert loss.item() == want.item()
