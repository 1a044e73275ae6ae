"""Rprop, ASGD, LBFGS and mlopt.optim.swa_utils (AveragedModel, SWALR,
update_bn): NumPy float64 references, compiled training steps against
eager, LBFGS convergence, and PyTorch's trajectories over 20 steps where
it is installed."""
import numpy as np
import pytest

import mlopt
import mlopt.nn as nn
from mlopt.optim import swa_utils

RNG = np.random.default_rng(17)


def _problem(seed):
    rng = np.random.default_rng(seed)
    x, y = rng.standard_normal((16, 4)), rng.standard_normal((16, 1))
    init = [rng.standard_normal((8, 4)) * 0.5, rng.standard_normal(8) * 0.1,
            rng.standard_normal((1, 8)) * 0.5, rng.standard_normal(1) * 0.1]
    return init, x, y


def _model(init):
    model = nn.Sequential(nn.Linear(4, 8), nn.Tanh(), nn.Linear(8, 1)).double()
    with mlopt.no_grad():
        for p, v in zip(model.parameters(), init):
            p.copy_(mlopt.tensor(v))
    return model


def _train(name, kw, steps=20, compiled=False, seed=0):
    init, x, y = _problem(seed)
    model = _model(init)
    opt = getattr(mlopt.optim, name)(model.parameters(), **kw)

    def step(a, b):
        opt.zero_grad()
        loss = ((model(a) - b) ** 2).mean()
        loss.backward()
        opt.step()
        return loss
    fn = mlopt.compile(step) if compiled else step
    losses = [fn(mlopt.tensor(x), mlopt.tensor(y)).item() for _ in range(steps)]
    return losses, [p.detach().numpy() for p in model.parameters()], opt, fn


# ---- NumPy references ----------------------------------------------------------------------
def test_rprop_against_numpy():
    p0 = RNG.standard_normal(5)
    target = RNG.standard_normal(5)
    p = mlopt.tensor(p0).requires_grad_()
    opt = mlopt.optim.Rprop([p], lr=0.1, etas=(0.4, 1.3), step_sizes=(1e-3, 0.25))
    ref, prev, size = p0.copy(), np.zeros(5), np.full(5, 0.1)
    for _ in range(15):
        opt.zero_grad()
        ((p - mlopt.tensor(target)) ** 3).abs().sum().backward()
        opt.step()
        g = 3 * (ref - target) ** 2 * np.sign(ref - target)
        s = np.sign(g * prev)
        factor = np.where(s > 0, 1.3, np.where(s < 0, 0.4, 1.0))
        size = np.clip(size * factor, 1e-3, 0.25)
        g = np.where(s < 0, 0.0, g)
        ref = ref - np.sign(g) * size
        prev = g
    np.testing.assert_allclose(p.detach().numpy(), ref, rtol=1e-12)
    np.testing.assert_allclose(opt.state[p]["step_size"].numpy(), size, rtol=1e-12)


def test_asgd_against_numpy():
    p0 = RNG.standard_normal(4)
    p = mlopt.tensor(p0).requires_grad_()
    lr, lambd, alpha, t0, wd = 0.05, 1e-3, 0.75, 3, 0.01
    opt = mlopt.optim.ASGD([p], lr=lr, lambd=lambd, alpha=alpha, t0=t0, weight_decay=wd)
    ref, ax, eta, mu = p0.copy(), np.zeros(4), float(np.float32(lr)), 1.0
    for step in range(1, 11):
        opt.zero_grad()
        (p ** 4).sum().backward()
        opt.step()
        g = 4 * ref ** 3 + wd * ref
        ref = ref * (1 - lambd * eta) - eta * g
        ax = ref.copy() if mu == 1 else ax + (ref - ax) * mu
        eta = float(np.float32(lr / (1 + lambd * lr * step) ** alpha))
        mu = float(np.float32(1 / max(1, step - t0)))
    np.testing.assert_allclose(p.detach().numpy(), ref, rtol=1e-12)
    np.testing.assert_allclose(opt.state[p]["ax"].numpy(), ax, rtol=1e-12)
    assert opt.state[p]["eta"] == eta and opt.state[p]["mu"] == mu


@pytest.mark.parametrize("line_search_fn", [None, "strong_wolfe"])
def test_lbfgs_minimizes_a_quadratic(line_search_fn):
    a = RNG.standard_normal((6, 6))
    a = a @ a.T + np.eye(6)
    b = RNG.standard_normal(6)
    x = mlopt.zeros(6, dtype=mlopt.float64).requires_grad_()
    opt = mlopt.optim.LBFGS([x], lr=1 if line_search_fn else 0.2, max_iter=100,
                            history_size=5, line_search_fn=line_search_fn,
                            tolerance_grad=1e-12, tolerance_change=1e-14)
    A, B = mlopt.tensor(a), mlopt.tensor(b)

    def closure():
        opt.zero_grad()
        loss = 0.5 * (x * (A @ x)).sum() - (B * x).sum()
        loss.backward()
        return loss
    for _ in range(3):
        opt.step(closure)
    np.testing.assert_allclose(x.detach().numpy(), np.linalg.solve(a, b), rtol=1e-6,
                               atol=1e-8)
    assert opt.state[x]["func_evals"] > 1 and len(opt.state[x]["old_dirs"]) <= 5


def test_lbfgs_inside_compile_runs_eagerly():
    x = mlopt.tensor([1.5, -0.5], dtype=mlopt.float64).requires_grad_()
    opt = mlopt.optim.LBFGS([x], line_search_fn="strong_wolfe")

    def closure():
        opt.zero_grad()
        loss = ((x - 1) ** 2).sum() + (x[0] * x[1]) ** 2
        loss.backward()
        return loss

    @mlopt.compile
    def step():
        return opt.step(closure)
    first = step().item()
    second = step().item()
    assert second < first


@pytest.mark.parametrize("name, kw", [("Rprop", {"lr": 0.01}),
                                      ("ASGD", {"lr": 0.05, "t0": 4, "weight_decay": 0.01}),
                                      ("Rprop", {"lr": 0.02, "maximize": True})])
def test_compiled_steps_match_eager(name, kw):
    want_losses, want, want_opt, _ = _train(name, kw, steps=8)
    losses, got, opt, fn = _train(name, kw, steps=8, compiled=True)
    np.testing.assert_allclose(losses, want_losses, rtol=1e-10)
    for g, w in zip(got, want):
        np.testing.assert_allclose(g, w, rtol=1e-10, atol=1e-12)
    assert not fn.reasons, fn.reasons
    for state, twin in zip(opt.state.values(), want_opt.state.values()):
        assert state["step"] == twin["step"] == 8
        for k, v in twin.items():
            if isinstance(v, mlopt.Tensor):
                np.testing.assert_allclose(state[k].numpy(), v.numpy(), rtol=1e-10, atol=1e-13)
            else:
                assert state[k] == v, k


# ---- swa_utils --------------------------------------------------------------------------------
def test_averaged_model_and_update_bn():
    mlopt.manual_seed(4)
    model = nn.Sequential(nn.Linear(3, 4), nn.BatchNorm1d(4), nn.Linear(4, 2)).double()
    swa = swa_utils.AveragedModel(model)
    assert list(swa.state_dict())[0] == "n_averaged"  # (own buffers first, as PyTorch)
    snaps = []
    for _ in range(4):
        with mlopt.no_grad():
            for p in model.parameters():
                p.add_(mlopt.tensor(RNG.standard_normal(tuple(p.shape))))
        snaps.append([p.detach().numpy().copy() for p in model.parameters()])
        swa.update_parameters(model)
    assert swa.n_averaged.item() == 4
    for i, p in enumerate(swa.module.parameters()):
        np.testing.assert_allclose(p.detach().numpy(), np.mean([s[i] for s in snaps], 0),
                                   rtol=1e-12)
    ema = swa_utils.AveragedModel(model, multi_avg_fn=swa_utils.get_ema_multi_avg_fn(0.9))
    ema.update_parameters(model)
    w0 = model[0].weight.detach().numpy().copy()
    with mlopt.no_grad():
        model[0].weight.add_(1.0)
    ema.update_parameters(model)
    np.testing.assert_allclose(ema.module[0].weight.detach().numpy(), w0 + 0.1, rtol=1e-12)
    # update_bn: running statistics of the whole data set (cumulative average)
    data = [mlopt.tensor(RNG.standard_normal((8, 3))) for _ in range(3)]
    swa.eval()
    swa_utils.update_bn([(d, None) for d in data], swa)
    bn = swa.module[1]
    h = np.concatenate([swa.module[0](d).detach().numpy() for d in data])
    np.testing.assert_allclose(bn.running_mean.numpy(), h.mean(0), rtol=1e-10)
    assert bn.momentum == 0.1 and not swa.training
    out = swa(data[0])
    assert tuple(out.shape) == (8, 2)


def test_swalr_schedule():
    p = mlopt.zeros(1).requires_grad_()
    opt = mlopt.optim.SGD([p], lr=1.0)
    sched = swa_utils.SWALR(opt, swa_lr=0.1, anneal_epochs=4, anneal_strategy="linear")
    lrs = [opt.param_groups[0]["lr"]]
    for _ in range(6):
        opt.step()
        sched.step()
        lrs.append(opt.param_groups[0]["lr"])
    np.testing.assert_allclose(lrs, [1.0, 0.775, 0.55, 0.325, 0.1, 0.1, 0.1], rtol=1e-12)


# ---- against PyTorch -----------------------------------------------------------------------------
OPTS = [("Rprop", {}), ("Rprop", {"lr": 0.05, "etas": (0.3, 1.5), "step_sizes": (1e-4, 0.1),
                                  "maximize": False}),
        ("ASGD", {}), ("ASGD", {"lr": 0.05, "lambd": 1e-2, "alpha": 0.5, "t0": 5,
                                "weight_decay": 0.01}),
        ("LBFGS", {"lr": 0.5, "max_iter": 4, "history_size": 3}),
        ("LBFGS", {"line_search_fn": "strong_wolfe", "max_iter": 5, "history_size": 4})]


@pytest.mark.parametrize("name, kw", OPTS)
def test_trajectories_match_pytorch(name, kw):
    torch = pytest.importorskip("torch")
    init, x, y = _problem(1)
    results = []
    for lib in (torch, mlopt):
        model = lib.nn.Sequential(lib.nn.Linear(4, 8), lib.nn.Tanh(),
                                  lib.nn.Linear(8, 1)).double()
        with lib.no_grad():
            for p, v in zip(model.parameters(), init):
                p.copy_(lib.tensor(v))
        opt = getattr(lib.optim, name)(model.parameters(), **kw)
        xs, ys = lib.tensor(x), lib.tensor(y)

        def closure():
            opt.zero_grad()
            loss = ((model(xs) - ys) ** 2).mean()
            loss.backward()
            return loss
        losses = [float(opt.step(closure).detach()) for _ in range(20)]
        results.append((losses, [p.detach().numpy() for p in model.parameters()]))
    (tl, tp), (ol, op) = results
    if name != "LBFGS":
        np.testing.assert_allclose(ol, tl, rtol=1e-10)
        for a, b in zip(op, tp):
            np.testing.assert_allclose(a, b, rtol=1e-9, atol=1e-11)
        return
    # LBFGS: its float64 dot products round differently from PyTorch's (1e-16),
    # which its curvature pairs amplify about 10x per step: equal to 1e-10 over
    # the first 8 steps, then loosely
    np.testing.assert_allclose(ol[:8], tl[:8], rtol=1e-10)
    np.testing.assert_allclose(ol, tl, rtol=1e-4, atol=1e-10)
    for a, b in zip(op, tp):
        np.testing.assert_allclose(a, b, rtol=1e-3, atol=1e-6)


def test_swa_matches_pytorch():
    torch = pytest.importorskip("torch")
    init, x, y = _problem(2)
    results = []
    for lib in (torch, mlopt):
        tsw = lib.optim.swa_utils
        model = lib.nn.Sequential(lib.nn.Linear(4, 8), lib.nn.Tanh(),
                                  lib.nn.Linear(8, 1)).double()
        with lib.no_grad():
            for p, v in zip(model.parameters(), init):
                p.copy_(lib.tensor(v))
        swa = tsw.AveragedModel(model)
        opt = lib.optim.SGD(model.parameters(), lr=0.1)
        sched = tsw.SWALR(opt, swa_lr=0.02, anneal_epochs=3)
        lrs = []
        for _ in range(8):
            opt.zero_grad()
            ((model(lib.tensor(x)) - lib.tensor(y)) ** 2).mean().backward()
            opt.step()
            swa.update_parameters(model)
            sched.step()
            lrs.append(sched.get_last_lr()[0])
        results.append((lrs, [p.detach().numpy() for p in swa.parameters()],
                        int(swa.n_averaged.item())))
    (tl, tp, tn), (ol, op, on) = results
    np.testing.assert_allclose(ol, tl, rtol=1e-13)
    assert tn == on
    for a, b in zip(op, tp):
        np.testing.assert_allclose(a, b, rtol=1e-12, atol=1e-14)
