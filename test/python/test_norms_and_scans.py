"""BatchNorm, InstanceNorm, GroupNorm and cumsum (compositions of other ops): values
against NumPy in float64, gradients against finite differences, running
statistics and modules against PyTorch where it is installed."""
import numpy as np
import pytest

import mlopt
import mlopt.nn as nn
import mlopt.nn.functional as F
from mlopt.testing import gradcheck

RNG = np.random.default_rng(7)


def batch_norm_ref(x, mean, var, w, b, eps=1e-5):
    shape = [1, -1] + [1] * (x.ndim - 2)
    return (x - mean.reshape(shape)) / np.sqrt(var.reshape(shape) + eps) * w.reshape(shape) \
        + b.reshape(shape)


@pytest.mark.parametrize("shape", [(5, 3), (4, 3, 6), (2, 3, 4, 5), (2, 3, 2, 2, 3)])
@pytest.mark.parametrize("compiled", [False, True])
def test_batch_norm_training_and_running_stats(shape, compiled):
    x = RNG.standard_normal(shape) * 2 + 0.5
    w, b = RNG.standard_normal(3), RNG.standard_normal(3)
    rm, rv = RNG.standard_normal(3), RNG.random(3) + 0.5
    dims = tuple(i for i in range(len(shape)) if i != 1)
    count = x.size // 3
    mean, var = x.mean(dims), x.var(dims)
    running_mean, running_var = mlopt.tensor(rm), mlopt.tensor(rv)

    def f(x, w, b):
        return F.batch_norm(x, running_mean, running_var, w, b, training=True, momentum=0.25)
    f = mlopt.compile(f) if compiled else f
    out = f(mlopt.tensor(x), mlopt.tensor(w), mlopt.tensor(b))
    np.testing.assert_allclose(out.numpy(), batch_norm_ref(x, mean, var, w, b), atol=1e-12)
    np.testing.assert_allclose(running_mean.numpy(), 0.75 * rm + 0.25 * mean, atol=1e-12)
    np.testing.assert_allclose(running_var.numpy(),
                               0.75 * rv + 0.25 * var * count / (count - 1), atol=1e-12)
    # eval: the running statistics normalize
    out = F.batch_norm(mlopt.tensor(x), running_mean, running_var, mlopt.tensor(w),
                       mlopt.tensor(b))
    np.testing.assert_allclose(out.numpy(), batch_norm_ref(
        x, running_mean.numpy(), running_var.numpy(), w, b), atol=1e-12)


@pytest.mark.parametrize("training", [True, False])
def test_batch_norm_gradients_match_finite_differences(training):
    x = RNG.standard_normal((4, 3, 2))
    w, b = RNG.standard_normal(3), RNG.standard_normal(3)
    rm, rv = RNG.standard_normal(3), RNG.random(3) + 0.5

    def f(x, w, b):
        return F.batch_norm(x, mlopt.tensor(rm), mlopt.tensor(rv), w, b, training=training)
    gradcheck(f, [mlopt.tensor(a) for a in (x, w, b)], atol=1e-6)


def test_batch_norm_errors_name_the_shapes():
    with pytest.raises(ValueError, match=r"more than 1 value per channel.*\(1, 3\)"):
        F.batch_norm(mlopt.ones(1, 3), None, None, training=True)
    with pytest.raises(RuntimeError, match=r"weight should have shape \(3,\).*\(2, 3, 4\).*\(4,\)"):
        F.batch_norm(mlopt.ones(2, 3, 4), mlopt.zeros(3), mlopt.ones(3), mlopt.ones(4))
    with pytest.raises(ValueError, match=r"expected 4D input \(got 3D input\)"):
        nn.BatchNorm2d(3)(mlopt.ones(2, 3, 4))
    with pytest.raises(ValueError, match=r"expected 2D or 3D input \(got 4D input\)"):
        nn.BatchNorm1d(3)(mlopt.ones(2, 3, 4, 4))
    with pytest.raises(RuntimeError, match=r"divisible by num_groups.*\(2, 6, 3\).*num_groups=4"):
        F.group_norm(mlopt.ones(2, 6, 3), 4)


def test_batch_norm_module_trains_under_compile_as_in_eager():
    """Running statistics and num_batches_tracked update in place, in eager
    and through a compiled call; eval uses them; momentum=None averages."""
    x = RNG.standard_normal((8, 4, 3, 3)).astype(np.float32)
    eager, compiled_module = nn.BatchNorm2d(4), nn.BatchNorm2d(4)
    step = mlopt.compile(lambda m, x: m(x).relu().sum())
    for _ in range(3):
        want = eager(mlopt.tensor(x)).relu().sum()
        got = step(compiled_module, mlopt.tensor(x))
        np.testing.assert_allclose(got.item(), want.item(), rtol=1e-5)
    for name in ("running_mean", "running_var"):
        np.testing.assert_allclose(getattr(compiled_module, name).numpy(),
                                   getattr(eager, name).numpy(), rtol=1e-5, atol=1e-6)
    assert compiled_module.num_batches_tracked.item() == eager.num_batches_tracked.item() == 3
    x64 = x.astype(np.float64)
    mean, var = x64.mean((0, 2, 3)), x64.var((0, 2, 3)) * 72 / 71
    np.testing.assert_allclose(eager.running_mean.numpy(), (1 - 0.9 ** 3) * mean, rtol=1e-5)
    np.testing.assert_allclose(eager.running_var.numpy(), 0.9 ** 3 + (1 - 0.9 ** 3) * var,
                               rtol=1e-5)
    eager.eval()
    np.testing.assert_allclose(eager(mlopt.tensor(x)).numpy(), batch_norm_ref(
        x64, eager.running_mean.numpy(), eager.running_var.numpy(), np.ones(4), np.zeros(4)),
        atol=1e-5)
    average = nn.BatchNorm1d(4, momentum=None, affine=False)
    batches = [RNG.standard_normal((5, 4)) for _ in range(3)]
    for batch in batches:
        average(mlopt.tensor(batch))
    np.testing.assert_allclose(average.running_mean.numpy(),
                               np.mean([b.mean(0) for b in batches], 0), atol=1e-6)
    stateless = nn.BatchNorm1d(4, track_running_stats=False).eval()
    batch = batches[0]
    np.testing.assert_allclose(stateless(mlopt.tensor(batch)).numpy(), batch_norm_ref(
        batch, batch.mean(0), batch.var(0), np.ones(4), np.zeros(4)), atol=1e-12)
    assert stateless.running_mean is None and "running_mean" not in stateless.state_dict()


def test_group_norm_values_and_gradients():
    x = RNG.standard_normal((2, 6, 4))
    w, b = RNG.standard_normal(6), RNG.standard_normal(6)
    g = x.reshape(2, 3, -1)
    ref = ((g - g.mean(2, keepdims=True)) / np.sqrt(g.var(2, keepdims=True) + 1e-5)).reshape(
        x.shape) * w[:, None] + b[:, None]
    for f in (F.group_norm, mlopt.compile(F.group_norm)):
        np.testing.assert_allclose(f(mlopt.tensor(x), 3, mlopt.tensor(w), mlopt.tensor(b))
                                   .numpy(), ref, atol=1e-12)
    gradcheck(lambda a, w, b: F.group_norm(a, 3, w, b),
              [mlopt.tensor(a) for a in (x, w, b)], atol=1e-6)
    module = nn.GroupNorm(3, 6)
    assert [n for n, _ in module.named_parameters()] == ["weight", "bias"]
    assert repr(module) == "GroupNorm(3, 6, eps=1e-05, affine=True)"


def test_instance_norm_values_running_stats_and_unbatched_input():
    x = RNG.standard_normal((3, 2, 5, 4)) * 2 + 1
    mean, var = x.mean((2, 3), keepdims=True), x.var((2, 3), keepdims=True)
    ref = (x - mean) / np.sqrt(var + 1e-5)
    norm = nn.InstanceNorm2d(2, track_running_stats=True, momentum=0.5)
    np.testing.assert_allclose(norm(mlopt.tensor(x)).numpy(), ref, atol=1e-12)
    np.testing.assert_allclose(mlopt.compile(lambda a: F.instance_norm(a))(mlopt.tensor(x))
                               .numpy(), ref, atol=1e-12)
    np.testing.assert_allclose(norm.running_mean.numpy(), 0.5 * mean.mean(0).ravel(), atol=1e-6)
    np.testing.assert_allclose(norm.running_var.numpy(), 0.5 + 0.5 * (
        x.var((2, 3), ddof=1).mean(0)), atol=1e-6)
    norm.eval()  # the running statistics normalize now
    rm, rv = norm.running_mean.numpy(), norm.running_var.numpy()
    np.testing.assert_allclose(norm(mlopt.tensor(x)).numpy(), (x - rm[:, None, None]) / np.sqrt(
        rv[:, None, None] + 1e-5), atol=1e-6)
    frozen = nn.InstanceNorm2d(2, track_running_stats=True, momentum=None)
    frozen(mlopt.tensor(x))  # PyTorch's InstanceNorm: momentum=None leaves them
    np.testing.assert_array_equal(frozen.running_mean.numpy(), np.zeros(2))
    np.testing.assert_array_equal(frozen.running_var.numpy(), np.ones(2))
    plain = nn.InstanceNorm1d(2)
    assert list(plain.state_dict()) == [] and plain.weight is None
    unbatched = x[0, :, :, 0]  # (C, L)
    np.testing.assert_allclose(plain(mlopt.tensor(unbatched)).numpy(), (
        unbatched - unbatched.mean(1, keepdims=True)) / np.sqrt(
            unbatched.var(1, keepdims=True) + 1e-5), atol=1e-12)
    with pytest.raises(ValueError, match=r"expected 3D or 4D input \(got 2D input\)"):
        nn.InstanceNorm2d(2)(mlopt.ones(2, 3))


@pytest.mark.parametrize("shape,dim", [((7,), 0), ((3, 5), 1), ((3, 5), 0), ((2, 33, 3), 1),
                                       ((2, 3, 64), -1), ((4, 0), 1), ((1,), -1)])
def test_cumsum_matches_numpy_eager_compiled_and_in_gradients(shape, dim):
    x = RNG.standard_normal(shape)
    ref = np.cumsum(x, dim)
    np.testing.assert_allclose(mlopt.cumsum(mlopt.tensor(x), dim).numpy(), ref, atol=1e-12)
    np.testing.assert_allclose(mlopt.compile(lambda a: a.cumsum(dim))(mlopt.tensor(x)).numpy(),
                               ref, atol=1e-12)
    weights = RNG.standard_normal(shape)
    a = mlopt.tensor(x, requires_grad=True)
    (a.cumsum(dim) * mlopt.tensor(weights)).sum().backward()
    # d/dx_i sum_j w_j cumsum_j = sum_{j >= i} w_j: a reversed cumsum of w
    want = np.flip(np.cumsum(np.flip(weights, dim), dim), dim)
    np.testing.assert_allclose(a.grad.numpy(), want, atol=1e-12)


def test_cumsum_dtypes_and_errors_as_pytorch():
    assert mlopt.tensor([1, 2, 3], dtype=mlopt.int32).cumsum(0).dtype == mlopt.int64
    assert mlopt.tensor([True, False, True]).cumsum(0).tolist() == [1, 1, 2]
    assert mlopt.cumsum(mlopt.tensor([1, 2]), 0, dtype=mlopt.float32).dtype == mlopt.float32
    assert mlopt.tensor(2.5).cumsum(0).item() == 2.5
    x = mlopt.tensor([1.0, 2.0])
    assert x.cumsum(0) is not x
    with pytest.raises(IndexError, match="Dimension out of range"):
        mlopt.cumsum(mlopt.ones(2, 3), 2)


def test_modules_and_running_stats_match_pytorch():
    torch = pytest.importorskip("torch")
    for name, shape in [("BatchNorm1d", (6, 3)), ("BatchNorm1d", (6, 3, 5)),
                        ("BatchNorm2d", (4, 3, 5, 6)), ("BatchNorm3d", (2, 3, 2, 3, 4))]:
        theirs, ours = getattr(torch.nn, name)(3, momentum=0.3), getattr(nn, name)(3, momentum=0.3)
        x = (RNG.standard_normal(shape) * 3 + 1).astype(np.float32)
        for _ in range(3):
            want = theirs(torch.tensor(x)).detach().numpy()
            got = ours(mlopt.tensor(x)).numpy()
            np.testing.assert_allclose(got, want, atol=2e-6)
        for key, value in theirs.state_dict().items():
            np.testing.assert_allclose(ours.state_dict()[key].numpy(), value.numpy(), atol=2e-6)
        assert list(ours.state_dict()) == list(theirs.state_dict())
        theirs.eval(), ours.eval()
        np.testing.assert_allclose(ours(mlopt.tensor(x)).numpy(),
                                   theirs(torch.tensor(x)).detach().numpy(), atol=2e-6)
        # a PyTorch state dict loads
        fresh = getattr(nn, name)(3)
        fresh.load_state_dict({k: mlopt.tensor(v.numpy()) for k, v in theirs.state_dict().items()})
        assert fresh.num_batches_tracked.item() == 3
    for name, kw in [("InstanceNorm1d", {}), ("InstanceNorm2d", {"affine": True}),
                     ("InstanceNorm2d", {"track_running_stats": True})]:
        theirs, ours = getattr(torch.nn, name)(4, **kw), getattr(nn, name)(4, **kw)
        x = (RNG.standard_normal((2, 4, 5, 3)[:4 if "2d" in name else 3]) * 2).astype(np.float32)
        for mode in ("train", "eval"):
            getattr(theirs, mode)(), getattr(ours, mode)()
            np.testing.assert_allclose(ours(mlopt.tensor(x)).numpy(),
                                       theirs(torch.tensor(x)).detach().numpy(), atol=2e-6)
        assert list(ours.state_dict()) == list(theirs.state_dict())
    x = RNG.standard_normal((3, 4, 5, 5)).astype(np.float32)
    np.testing.assert_allclose(nn.GroupNorm(2, 4)(mlopt.tensor(x)).numpy(),
                               torch.nn.GroupNorm(2, 4)(torch.tensor(x)).detach().numpy(),
                               atol=2e-6)
    x = RNG.standard_normal((3, 9))
    np.testing.assert_allclose(mlopt.tensor(x).cumsum(1).numpy(),
                               torch.tensor(x).cumsum(1).numpy(), atol=1e-12)
