"""Adagrad, Adadelta, Adamax, NAdam, RAdam and more lr schedulers (OneCycleLR,
CosineAnnealingWarmRestarts, ConstantLR, PolynomialLR, SequentialLR,
ChainedScheduler, CyclicLR): against NumPy references in float64, eager
against compiled training steps, and PyTorch (20 optimizer steps, 50
scheduler steps) where it is installed."""
import contextlib
import math
import warnings

import numpy as np
import pytest

import mlopt
import mlopt.nn as nn
from mlopt.optim import lr_scheduler as L


def reference(name, kw, p0, grad_fn, steps):
    """PyTorch's documented update rules, in NumPy float64."""
    p = p0.copy()
    zeros = np.zeros_like(p)
    m, v, u, prod = zeros.copy(), zeros.copy(), zeros.copy(), 1.0
    total = np.full_like(p, kw.get("initial_accumulator_value", 0.0))
    wd = kw.get("weight_decay", 0)
    b1, b2 = kw.get("betas", (0.9, 0.999))
    for t in range(1, steps + 1):
        g = grad_fn(p)
        g = -g if kw.get("maximize") else g
        if name in ("NAdam", "RAdam") and kw.get("decoupled_weight_decay"):
            p = p * (1 - kw.get("lr", 2e-3 if name == "NAdam" else 1e-3) * wd)
        elif wd:
            g = g + wd * p
        if name == "Adagrad":
            lr = kw.get("lr", 1e-2) / (1 + (t - 1) * kw.get("lr_decay", 0))
            total = total + g * g
            p = p - lr * g / (np.sqrt(total) + kw.get("eps", 1e-10))
        elif name == "Adadelta":
            rho, eps = kw.get("rho", 0.9), kw.get("eps", 1e-6)
            v = rho * v + (1 - rho) * g * g
            delta = np.sqrt(u + eps) / np.sqrt(v + eps) * g
            u = rho * u + (1 - rho) * delta * delta
            p = p - kw.get("lr", 1.0) * delta
        elif name == "Adamax":
            m = b1 * m + (1 - b1) * g
            u = np.maximum(b2 * u, np.abs(g) + kw.get("eps", 1e-8))
            p = p - kw.get("lr", 2e-3) / (1 - b1 ** t) * m / u
        elif name == "NAdam":
            lr, md = kw.get("lr", 2e-3), kw.get("momentum_decay", 4e-3)
            mu = b1 * (1 - 0.5 * 0.96 ** (t * md))
            mu_next = b1 * (1 - 0.5 * 0.96 ** ((t + 1) * md))
            prod *= mu
            m = b1 * m + (1 - b1) * g
            v = b2 * v + (1 - b2) * g * g
            denom = np.sqrt(v / (1 - b2 ** t)) + kw.get("eps", 1e-8)
            p = p - lr * (1 - mu) / (1 - prod) * g / denom \
                - lr * mu_next / (1 - prod * mu_next) * m / denom
        elif name == "RAdam":
            lr = kw.get("lr", 1e-3)
            m = b1 * m + (1 - b1) * g
            v = b2 * v + (1 - b2) * g * g
            m_hat = m / (1 - b1 ** t)
            rho_inf = 2 / (1 - b2) - 1
            rho_t = rho_inf - 2 * t * b2 ** t / (1 - b2 ** t)
            if rho_t > 5:
                rect = math.sqrt((rho_t - 4) * (rho_t - 2) * rho_inf
                                 / ((rho_inf - 4) * (rho_inf - 2) * rho_t))
                p = p - lr * m_hat * rect * math.sqrt(1 - b2 ** t) / (np.sqrt(v)
                                                                      + kw.get("eps", 1e-8))
            else:
                p = p - lr * m_hat
    return p


CASES = [("Adagrad", dict(lr=0.1)),
         ("Adagrad", dict(lr=0.1, lr_decay=0.05, weight_decay=0.1,
                          initial_accumulator_value=0.5, maximize=True)),
         ("Adadelta", dict()), ("Adadelta", dict(lr=0.5, rho=0.8, eps=1e-5, weight_decay=0.05)),
         ("Adamax", dict(lr=0.05)),
         ("Adamax", dict(lr=0.05, betas=(0.8, 0.9), weight_decay=0.1, maximize=True)),
         ("NAdam", dict(lr=0.05)),
         ("NAdam", dict(lr=0.05, weight_decay=0.1, momentum_decay=0.01, betas=(0.8, 0.99))),
         ("NAdam", dict(lr=0.05, weight_decay=0.1, decoupled_weight_decay=True)),
         ("RAdam", dict(lr=0.05)), ("RAdam", dict(lr=0.05, weight_decay=0.1, betas=(0.9, 0.99))),
         ("RAdam", dict(lr=0.05, weight_decay=0.1, decoupled_weight_decay=True, maximize=True))]
IDS = [f"{n}-{i}" for i, (n, _) in enumerate(CASES)]


@pytest.mark.parametrize("name,kw", CASES, ids=IDS)
def test_optimizers_follow_pytorchs_update_rules(name, kw):
    rng = np.random.default_rng(3)
    a, c, p0 = rng.uniform(0.5, 2, 7), rng.standard_normal(7), rng.standard_normal(7)
    # loss = sum(a p^4 / 4 + c p): the gradient a p^3 + c changes every step
    p = nn.Parameter(mlopt.tensor(p0))
    opt = getattr(mlopt.optim, name)([p], **kw)
    for _ in range(20):
        opt.zero_grad()
        (mlopt.tensor(a) * p ** 4 / 4 + mlopt.tensor(c) * p).sum().backward()
        opt.step()
    want = reference(name, kw, p0, lambda q: a * q ** 3 + c, 20)
    np.testing.assert_allclose(p.detach().numpy(), want, rtol=1e-11, atol=1e-12)
    assert all(s["step"] == 20 for s in opt.state.values())


def _train(lib, module, name, kw, init, x, y, steps):
    """A small MLP from `init`, trained `steps` steps on (x, y)."""
    model = module.Sequential(module.Linear(4, 8), module.Tanh(), module.Linear(8, 1)).double()
    with lib.no_grad():
        for p, v in zip(model.parameters(), init):
            p.copy_(lib.tensor(v))
    opt = getattr(lib.optim, name)(model.parameters(), **kw)
    _continue(model, opt, x, y, steps, lib)
    return model, opt


def _continue(model, opt, x, y, steps, lib=mlopt):
    for _ in range(steps):
        opt.zero_grad()
        ((model(lib.tensor(x)) - lib.tensor(y)) ** 2).mean().backward()
        opt.step()


def _problem(seed):
    rng = np.random.default_rng(seed)
    init = [rng.standard_normal(s) * 0.5 for s in ((8, 4), (8,), (1, 8), (1,))]
    return init, rng.standard_normal((16, 4)), rng.standard_normal((16, 1))


@contextlib.contextmanager
def _torch_float64(torch):
    """NAdam's mu_product is a tensor of PyTorch's default dtype; mlopt keeps
    it in float64, so the comparison runs PyTorch with float64 scalars."""
    old = torch.get_default_dtype()
    torch.set_default_dtype(torch.float64)
    try:
        yield
    finally:
        torch.set_default_dtype(old)


@pytest.mark.parametrize("name,kw", CASES, ids=IDS)
def test_optimizers_match_pytorch_over_20_steps(name, kw):
    torch = pytest.importorskip("torch")
    init, x, y = _problem(4)
    got, _ = _train(mlopt, nn, name, kw, init, x, y, 20)
    with _torch_float64(torch):
        want, _ = _train(torch, torch.nn, name, kw, init, x, y, 20)
    for g, w in zip(got.parameters(), want.parameters()):
        np.testing.assert_allclose(g.detach().numpy(), w.detach().numpy(), rtol=1e-10,
                                   atol=1e-12)


@pytest.mark.parametrize("name,kw", CASES, ids=IDS)
def test_optimizer_state_dicts_resume_and_load_pytorchs(name, kw):
    init, x, y = _problem(5)
    straight, _ = _train(mlopt, nn, name, kw, init, x, y, 10)
    model, opt = _train(mlopt, nn, name, kw, init, x, y, 5)
    saved = opt.state_dict()
    assert sorted(saved["state"]) == [0, 1, 2, 3]
    fresh = getattr(mlopt.optim, name)(model.parameters(), **kw)
    fresh.load_state_dict(saved)
    _continue(model, fresh, x, y, 5)
    for g, w in zip(model.parameters(), straight.parameters()):
        np.testing.assert_allclose(g.detach().numpy(), w.detach().numpy(), rtol=1e-12)
    try:
        import torch
    except ImportError:
        return
    # a PyTorch optimizer's state after 5 steps loads into mlopt's (its keys,
    # its tensor step counts and NAdam's mu_product tensor)
    with _torch_float64(torch):
        tmodel, topt = _train(torch, torch.nn, name, kw, init, x, y, 5)
        twant, _ = _train(torch, torch.nn, name, kw, init, x, y, 10)
    state = topt.state_dict()
    converted = {"param_groups": state["param_groups"],
                 "state": {i: {k: mlopt.tensor(v.numpy()) if torch.is_tensor(v) else v
                               for k, v in s.items()} for i, s in state["state"].items()}}
    model, _ = _train(mlopt, nn, name, kw, [p.detach().numpy() for p in tmodel.parameters()],
                      x, y, 0)
    opt = getattr(mlopt.optim, name)(model.parameters(), **kw)
    opt.load_state_dict(converted)
    _continue(model, opt, x, y, 5)
    for g, w in zip(model.parameters(), twant.parameters()):
        np.testing.assert_allclose(g.detach().numpy(), w.detach().numpy(), rtol=1e-10,
                                   atol=1e-12)


@pytest.mark.parametrize("name,kw", CASES, ids=IDS)
def test_compiled_training_steps_match_eager(name, kw):
    """A whole training step under @mlopt.compile with a scheduler changing
    the lr between calls: the same losses and parameters as eager, the step
    counts (and NAdam's mu_product, RAdam's switch to the rectified step)
    advancing per call, every call after the first compiled."""
    init, x, y = _problem(6)

    def train(compiled):
        model = nn.Sequential(nn.Linear(4, 8), nn.Tanh(), nn.Linear(8, 1)).double()
        with mlopt.no_grad():
            for p, v in zip(model.parameters(), init):
                p.copy_(mlopt.tensor(v))
        opt = getattr(mlopt.optim, name)(model.parameters(), **kw)
        sched = L.OneCycleLR(opt, max_lr=0.1, total_steps=10, cycle_momentum=False)

        def step(x, y):
            opt.zero_grad()
            loss = ((model(x) - y) ** 2).mean()
            loss.backward()
            opt.step()
            return loss
        step = mlopt.compile(step) if compiled else step
        losses = [step(mlopt.tensor(x), mlopt.tensor(y)).item() for _ in range(1)]
        sched.step()
        for _ in range(8):
            losses.append(step(mlopt.tensor(x), mlopt.tensor(y)).item())
            sched.step()
        return losses, [p.detach().numpy() for p in model.parameters()], opt, step

    want_losses, want, want_opt, _ = train(False)
    losses, got, opt, step = train(True)
    np.testing.assert_allclose(losses, want_losses, rtol=1e-10)
    for g, w in zip(got, want):
        np.testing.assert_allclose(g, w, rtol=1e-10, atol=1e-12)
    assert not step.reasons, step.reasons
    assert len(step.cache) <= 2 and all(e.trace is not None for e in step.cache.values())
    for state, twin in zip(opt.state.values(), want_opt.state.values()):
        assert state["step"] == 9
        assert all(type(v) in (mlopt.Tensor, int, float) for v in state.values()), state
        if name == "NAdam":
            assert state["mu_product"] == pytest.approx(twin["mu_product"], rel=1e-15)


@pytest.mark.parametrize("name,kw", [("SGD", dict(lr=0.1, momentum=0.9)),
                                     ("SGD", dict(lr=0.1, momentum=0.8, nesterov=True)),
                                     ("Adam", dict(lr=0.1)), ("AdamW", dict(lr=0.1)),
                                     ("RMSprop", dict(lr=0.01, momentum=0.9))],
                         ids=["sgd", "sgd-nesterov", "adam", "adamw", "rmsprop"])
def test_compiled_steps_follow_a_cycled_momentum(name, kw):
    """OneCycleLR's default cycle_momentum changes SGD's and RMSprop's
    momentum or Adam's betas every step: a compiled step reads them on every
    call, like the lr, so it matches eager with one trace."""
    init, x, y = _problem(6)

    def train(compiled):
        model = nn.Sequential(nn.Linear(4, 8), nn.Tanh(), nn.Linear(8, 1)).double()
        with mlopt.no_grad():
            for p, v in zip(model.parameters(), init):
                p.copy_(mlopt.tensor(v))
        opt = getattr(mlopt.optim, name)(model.parameters(), **kw)
        sched = L.OneCycleLR(opt, max_lr=0.1, total_steps=12)

        def step(x, y):
            opt.zero_grad()
            loss = ((model(x) - y) ** 2).mean()
            loss.backward()
            opt.step()
            return loss
        step = mlopt.compile(step) if compiled else step
        losses = []
        for _ in range(10):
            losses.append(step(mlopt.tensor(x), mlopt.tensor(y)).item())
            sched.step()
        return losses, [p.detach().numpy() for p in model.parameters()], opt, step

    want_losses, want, want_opt, _ = train(False)
    losses, got, opt, step = train(True)
    key = "betas" if "Adam" in name else "momentum"
    assert opt.param_groups[0][key] == want_opt.param_groups[0][key]
    assert opt.param_groups[0][key] != kw.get(key, (0.9, 0.999))  # it did cycle
    np.testing.assert_allclose(losses, want_losses, rtol=1e-10)
    for g, w in zip(got, want):
        np.testing.assert_allclose(g, w, rtol=1e-10, atol=1e-12)
    assert not step.reasons, step.reasons
    assert step.retraces == 0 and not step.gave_up
    assert len(step.cache) <= 2 and all(e.trace is not None for e in step.cache.values())


def test_optimizer_argument_errors():
    p = [nn.Parameter(mlopt.ones(2))]
    for make, match in [(lambda: mlopt.optim.Adagrad(p, lr=-1), "lr"),
                        (lambda: mlopt.optim.Adagrad(p, lr_decay=-1), "lr_decay"),
                        (lambda: mlopt.optim.Adadelta(p, rho=1.5), "rho"),
                        (lambda: mlopt.optim.Adamax(p, betas=(1.0, 0.9)), "index 0"),
                        (lambda: mlopt.optim.NAdam(p, momentum_decay=-1), "momentum_decay"),
                        (lambda: mlopt.optim.RAdam(p, betas=(0.9, 1.0)), "index 1"),
                        (lambda: mlopt.optim.RAdam(p, eps=-1), "eps")]:
        with pytest.raises(ValueError, match=match):
            make()
    opt = mlopt.optim.NAdam(p)
    assert opt.defaults["lr"] == 2e-3 and opt.defaults["momentum_decay"] == 4e-3
    assert mlopt.optim.Adadelta(p).defaults["lr"] == 1.0
    assert mlopt.optim.Adagrad(p).defaults["eps"] == 1e-10


def test_optimizer_defaults_match_pytorch():
    torch = pytest.importorskip("torch")
    for name in ("Adagrad", "Adadelta", "Adamax", "NAdam", "RAdam"):
        mine = getattr(mlopt.optim, name)([nn.Parameter(mlopt.ones(1))]).defaults
        theirs = getattr(torch.optim, name)([torch.nn.Parameter(torch.ones(1))]).defaults
        for key, value in mine.items():
            assert theirs[key] == value, (name, key)


# ---- schedulers -------------------------------------------------------------------------------
def _sgd(lib, lr=1.0, momentum=0.9):
    w = lib.nn.Parameter(lib.ones(2))
    b = lib.nn.Parameter(lib.ones(1))
    return lib.optim.SGD([{"params": [w]}, {"params": [b], "lr": 0.2 * lr}], lr=lr,
                         momentum=momentum)


def _adam(lib):
    w = lib.nn.Parameter(lib.ones(2))
    return lib.optim.Adam([w], lr=0.1)


def _sequence(opt, sched, steps=50, key=None):
    """get_last_lr() (and a momentum key) of each epoch, stepping both."""
    seen = []
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # (PyTorch's order warnings)
        for _ in range(steps):
            row = list(sched.get_last_lr())
            if key == "betas":
                row += [g["betas"][0] for g in opt.param_groups]
            elif key:
                row += [g[key] for g in opt.param_groups]
            seen.append(row)
            opt.step()
            sched.step()
    return np.array(seen)


def _cyclic(base, high, up, down, e, mode="triangular", gamma=1.0):
    total = up + down
    cycle = math.floor(1 + e / total)
    x = 1.0 + e / total - cycle
    ratio = up / total
    scale = x / ratio if x <= ratio else (x - 1) / (ratio - 1)
    factor = {"triangular": 1.0, "triangular2": 1 / 2.0 ** (cycle - 1),
              "exp_range": gamma ** e}[mode]
    return base + (high - base) * scale * factor


def _one_cycle(high, total, e, pct=0.3, div=25.0, final=1e4, linear=False, three=False):
    low = high / div
    phases = [(pct * total - 1, low, high)]
    if three:
        phases += [(2 * pct * total - 2, high, low), (total - 1, low, low / final)]
    else:
        phases += [(total - 1, high, low / final)]
    start = 0.0
    for i, (end, a, b) in enumerate(phases):
        if e <= end or i == len(phases) - 1:
            t = (e - start) / (end - start)
            return (b - a) * t + a if linear else b + (a - b) / 2 * (math.cos(math.pi * t) + 1)
        start = end


def _warm_restarts(base, e, T0, mult, low):
    Ti, Tcur = T0, e
    while Tcur >= Ti:
        Tcur -= Ti
        Ti *= mult
    return low + (base - low) * (1 + math.cos(math.pi * Tcur / Ti)) / 2


def _cosine(base, e, T, low=0.0):
    return low + (base - low) * (1 + math.cos(math.pi * e / T)) / 2


SCHEDULES = [
    ("ConstantLR", lambda L, o: L.ConstantLR(o, factor=0.5, total_iters=4),
     lambda base, e: base * (0.5 if e < 4 else 1.0)),
    ("PolynomialLR", lambda L, o: L.PolynomialLR(o, total_iters=30, power=2.0),
     lambda base, e: base * (1 - min(e, 30) / 30) ** 2),
    ("CosineAnnealingWarmRestarts",
     lambda L, o: L.CosineAnnealingWarmRestarts(o, T_0=5, T_mult=2, eta_min=0.01),
     lambda base, e: _warm_restarts(base, e, 5, 2, 0.01)),
    ("CosineAnnealingWarmRestarts-1",
     lambda L, o: L.CosineAnnealingWarmRestarts(o, T_0=7),
     lambda base, e: _warm_restarts(base, e, 7, 1, 0.0)),
    ("CyclicLR", lambda L, o: L.CyclicLR(o, base_lr=[0.1, 0.05], max_lr=[1.0, 0.5],
                                         step_size_up=5, step_size_down=3), None),
    ("OneCycleLR", lambda L, o: L.OneCycleLR(o, max_lr=[1.0, 0.4], total_steps=50), None),
    ("SequentialLR", lambda L, o: L.SequentialLR(o, [
        L.LinearLR(o, start_factor=0.1, total_iters=5), L.CosineAnnealingLR(o, T_max=15),
        L.ExponentialLR(o, gamma=0.9)], milestones=[5, 20]),
     lambda base, e: (base * (0.1 + 0.9 * min(e, 5) / 5) if e < 5 else
                      _cosine(base, e - 5, 15) if e < 20 else base * 0.9 ** (e - 20))),
    ("ChainedScheduler", lambda L, o: L.ChainedScheduler([
        L.ConstantLR(o, factor=0.25, total_iters=6), L.ExponentialLR(o, gamma=0.95)]),
     lambda base, e: base * (0.25 if e < 6 else 1.0) * 0.95 ** e),
]


def _references(name):
    """The expected [group 0, group 1] lrs of epochs 0..49."""
    if name == "CyclicLR":
        return [[_cyclic(0.1, 1.0, 5, 3, e), _cyclic(0.05, 0.5, 5, 3, e)] for e in range(50)]
    if name == "OneCycleLR":
        return [[_one_cycle(1.0, 50, e), _one_cycle(0.4, 50, e)] for e in range(50)]
    ref = dict((n, r) for n, _, r in SCHEDULES)[name]
    return [[ref(1.0, e), ref(0.2, e)] for e in range(50)]


@pytest.mark.parametrize("name,make,ref", SCHEDULES, ids=[s[0] for s in SCHEDULES])
def test_schedulers_match_closed_forms(name, make, ref):
    opt = _sgd(mlopt)
    seen = _sequence(opt, make(L, opt))
    np.testing.assert_allclose(seen, _references(name), rtol=1e-10, atol=1e-15)


@pytest.mark.parametrize("name,make,ref", SCHEDULES, ids=[s[0] for s in SCHEDULES])
def test_schedulers_match_pytorch_over_50_steps(name, make, ref):
    torch = pytest.importorskip("torch")
    opt, topt = _sgd(mlopt), _sgd(torch)
    key = "momentum" if name in ("CyclicLR", "OneCycleLR") else None
    seen = _sequence(opt, make(L, opt), key=key)
    want = _sequence(topt, make(torch.optim.lr_scheduler, topt), key=key)
    np.testing.assert_allclose(seen, want, rtol=1e-13, atol=1e-16)
    assert [g["lr"] for g in opt.param_groups] == pytest.approx(
        [g["lr"] for g in topt.param_groups], rel=1e-13)


CYCLES = [dict(base_lr=0.01, max_lr=0.1, step_size_up=4, mode="triangular2"),
          dict(base_lr=0.01, max_lr=0.1, step_size_up=3, step_size_down=6, mode="exp_range",
               gamma=0.97),
          dict(base_lr=0.01, max_lr=0.1, step_size_up=4, scale_fn=lambda x: 0.5 ** x,
               scale_mode="iterations", base_momentum=0.7, max_momentum=0.95)]
ONE_CYCLES = [dict(max_lr=0.3, epochs=5, steps_per_epoch=9, anneal_strategy="linear",
                   pct_start=0.25),
              dict(max_lr=0.3, total_steps=45, three_phase=True, div_factor=10.0,
                   final_div_factor=100.0, base_momentum=0.8, max_momentum=0.9)]


@pytest.mark.parametrize("kw", CYCLES + ONE_CYCLES, ids=[f"cyclic-{i}" for i in range(3)]
                         + ["onecycle-linear", "onecycle-three-phase"])
def test_cyclic_schedules_with_momentum_and_betas(kw):
    """The lr and the momentum (SGD) or beta1 (Adam) of each step: NumPy's
    formulas, and PyTorch's sequence where it is installed."""
    one = "max_lr" in kw and "base_lr" not in kw
    Sched = L.OneCycleLR if one else L.CyclicLR
    steps = 45
    for make, key in ((_sgd, "momentum"), (_adam, "betas")):
        opt = make(mlopt)
        seen = _sequence(opt, Sched(opt, **kw), steps=steps, key=key)
        if one and kw.get("three_phase"):
            lrs = [_one_cycle(0.3, 45, e, div=10.0, final=100.0, three=True)
                   for e in range(steps)]
        elif one:
            lrs = [_one_cycle(0.3, 45, e, pct=0.25, linear=True) for e in range(steps)]
        elif "scale_fn" in kw:
            lrs = [0.01 + 0.09 * (_cyclic(0, 1, 4, 4, e) * 0.5 ** e) for e in range(steps)]
        else:
            lrs = [_cyclic(0.01, 0.1, kw["step_size_up"], kw.get("step_size_down") or
                           kw["step_size_up"], e, kw["mode"], kw.get("gamma", 1.0))
                   for e in range(steps)]
        np.testing.assert_allclose(seen[:, 0], lrs, rtol=1e-12)
        assert np.all(seen[:, -1] <= kw.get("max_momentum", 0.95 if one else 0.9) + 1e-12)
        try:
            import torch
        except ImportError:
            continue
        topt = make(torch)
        want = _sequence(topt, getattr(torch.optim.lr_scheduler, Sched.__name__)(topt, **kw),
                         steps=steps, key=key)
        np.testing.assert_allclose(seen, want, rtol=1e-13, atol=1e-16)


def test_warm_restarts_take_fractional_epochs():
    opt = _sgd(mlopt, momentum=0)
    sched = L.CosineAnnealingWarmRestarts(opt, T_0=3, T_mult=2, eta_min=0.05)
    epochs = [e + i / 4 for e in range(12) for i in range(4)]
    seen = []
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        for epoch in epochs:
            sched.step(epoch)
            seen.append(sched.get_last_lr())
    want = []
    for epoch in epochs:
        Ti, cur = 3, epoch
        while cur >= Ti:
            cur -= Ti
            Ti *= 2
        want.append([0.05 + (b - 0.05) * (1 + math.cos(math.pi * cur / Ti)) / 2
                     for b in (1.0, 0.2)])
    np.testing.assert_allclose(seen, want, rtol=1e-12)
    try:
        import torch
    except ImportError:
        return
    topt = _sgd(torch, momentum=0)
    tsched = torch.optim.lr_scheduler.CosineAnnealingWarmRestarts(topt, T_0=3, T_mult=2,
                                                                  eta_min=0.05)
    theirs = []
    for epoch in epochs:
        tsched.step(epoch)
        theirs.append(tsched.get_last_lr())
    np.testing.assert_allclose(seen, theirs, rtol=1e-13)


def test_step_with_an_epoch_uses_closed_forms():
    opt = _sgd(mlopt)
    sched = L.StepLR(opt, step_size=3, gamma=0.5)
    with pytest.warns(UserWarning, match="epoch parameter"):
        sched.step(7)
    assert sched.get_last_lr() == pytest.approx([0.25, 0.05])
    for Sched, kw, want in [(L.ExponentialLR, dict(gamma=0.5), 1 / 8),
                            (L.MultiStepLR, dict(milestones=[1, 2, 5]), 0.01),
                            (L.LinearLR, dict(start_factor=0.5, total_iters=4), 0.875),
                            (L.ConstantLR, dict(factor=0.5, total_iters=3), 1.0),
                            (L.PolynomialLR, dict(total_iters=6, power=2.0), 0.25),
                            (L.CosineAnnealingLR, dict(T_max=6), 0.5)]:
        opt = _sgd(mlopt)
        sched = Sched(opt, **kw)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            sched.step(3)
        assert sched.get_last_lr()[0] == pytest.approx(want, rel=1e-12), Sched.__name__


def test_composite_schedulers_state_dicts_and_errors():
    opt = _sgd(mlopt)
    make = dict((n, m) for n, m, _ in SCHEDULES)
    seq = make["SequentialLR"](L, opt)
    first = _sequence(opt, seq, steps=12)
    saved = seq.state_dict()
    assert len(saved["_schedulers"]) == 3 and "optimizer" not in saved
    rest = _sequence(opt, seq, steps=10)
    opt2 = _sgd(mlopt)
    seq2 = make["SequentialLR"](L, opt2)
    _sequence(opt2, seq2, steps=12)
    seq2.load_state_dict(saved)
    np.testing.assert_allclose(_sequence(opt2, seq2, steps=10), rest, rtol=1e-14)
    np.testing.assert_allclose(first[:, 0], [r[0] for r in _references("SequentialLR")[:12]],
                               rtol=1e-12)
    cyc = L.CyclicLR(_sgd(mlopt), 0.1, 1.0, step_size_up=2, scale_fn=lambda x: 1.0)
    state = cyc.state_dict()
    assert state["_scale_fn_custom"] is None
    cyc.load_state_dict(state)
    other = _sgd(mlopt)
    with pytest.raises(ValueError, match="same optimizer"):
        L.ChainedScheduler([L.ConstantLR(opt), L.ConstantLR(other)])
    with pytest.raises(ValueError, match="number of milestones"):
        L.SequentialLR(opt, [L.ConstantLR(opt), L.ConstantLR(opt)], milestones=[2, 3])
    with pytest.raises(ValueError, match="ReduceLROnPlateau"):
        L.SequentialLR(opt, [L.ConstantLR(opt), L.ReduceLROnPlateau(opt)], milestones=[2])
    with pytest.raises(ValueError, match="Tried to step 4 times"):
        one = L.OneCycleLR(_sgd(mlopt), max_lr=1.0, total_steps=3)
        for _ in range(4):
            one.step()
    with pytest.raises(ValueError, match="total_steps OR"):
        L.OneCycleLR(opt, max_lr=1.0)
    with pytest.raises(ValueError, match="max_lr must have the same length"):
        L.OneCycleLR(opt, max_lr=[1.0], total_steps=5)
    with pytest.raises(ValueError, match="momentum or beta1"):
        w = nn.Parameter(mlopt.ones(1))
        L.CyclicLR(mlopt.optim.Adagrad([w]), 0.1, 1.0)
    with pytest.raises(ValueError, match="T_0"):
        L.CosineAnnealingWarmRestarts(opt, T_0=0)
    with pytest.raises(ValueError, match="between 0 and 1"):
        L.ConstantLR(opt, factor=2.0)


@pytest.mark.parametrize("name", ["SGD", "Adam", "AdamW", "RMSprop", "Adagrad", "Adadelta",
                                  "Adamax", "NAdam", "RAdam"])
def test_compiled_steps_keep_each_groups_lr(name):
    """A backbone/head split: each parameter group's lr (set by a scheduler
    too) is read from its own group on every compiled call."""
    def run(compiled):
        a = nn.Parameter(mlopt.tensor([1.0, -2.0], dtype=mlopt.float64))
        b = nn.Parameter(mlopt.tensor([0.5, 3.0], dtype=mlopt.float64))
        opt = getattr(mlopt.optim, name)([{"params": [a]}, {"params": [b], "lr": 0.3}], lr=0.1)
        sched = L.LambdaLR(opt, [lambda k: 1.0, lambda k: 0.5 ** k])

        def step():
            opt.zero_grad()
            ((a * a).sum() + (b * b * b).sum()).backward()
            opt.step()
        step = mlopt.compile(step) if compiled else step
        for _ in range(4):
            step()
            sched.step()
        return a.detach().numpy(), b.detach().numpy()
    (a0, b0), (a1, b1) = run(False), run(True)
    np.testing.assert_allclose(a1, a0, rtol=1e-12)
    np.testing.assert_allclose(b1, b0, rtol=1e-12)


def test_multiplicative_lr_and_implementation_switches():
    w = nn.Parameter(mlopt.ones(2))
    opt = mlopt.optim.SGD([w], lr=1.0, foreach=None, fused=None, differentiable=False)
    sched = L.MultiplicativeLR(opt, lambda epoch: 0.5 if epoch % 2 else 0.9)
    lrs = []
    for _ in range(5):
        opt.step()
        sched.step()
        lrs.append(opt.param_groups[0]["lr"])
    np.testing.assert_allclose(lrs, [0.5, 0.45, 0.225, 0.2025, 0.10125], rtol=1e-15)
    for name in ("Adam", "AdamW"):
        getattr(mlopt.optim, name)([w], foreach=True, fused=False, capturable=False)
    mlopt.optim.RMSprop([w], foreach=False, capturable=False)


@pytest.mark.parametrize("name,kw", [("SGD", dict(lr=0.1, momentum=0.9, dampening=0.1)),
                                     ("Adam", dict(lr=0.1, amsgrad=True)),
                                     ("RMSprop", dict(lr=0.01, centered=True)),
                                     ("Adagrad", dict(lr=0.1))])
def test_eager_steps_run_fused_with_the_same_results(name, kw, monkeypatch):
    """Eager step() runs its updates as one compiled function: the same
    parameters as the updates op by op, through a scheduler, parameters
    without a .grad and a settings change."""
    init, x, y = _problem(6)

    def train(fused):
        monkeypatch.setattr(mlopt.optim.Optimizer, "fuse_steps", fused)
        model = nn.Sequential(nn.Linear(4, 8), nn.Tanh(), nn.Linear(8, 1)).double()
        with mlopt.no_grad():
            for p, v in zip(model.parameters(), init):
                p.copy_(mlopt.tensor(v))
        opt = getattr(mlopt.optim, name)(model.parameters(), **kw)
        sched = L.StepLR(opt, 2, 0.5)
        for k in range(8):
            opt.zero_grad()
            ((model(mlopt.tensor(x)) - mlopt.tensor(y)) ** 2).mean().backward()
            if k == 3:
                model[2].bias.grad = None  # skipped this step
            if k == 5:
                opt.param_groups[0]["weight_decay"] = 0.01
            opt.step()
            sched.step()
        return [p.detach().numpy() for p in model.parameters()], opt
    want, _ = train(False)
    got, opt = train(True)
    for g, w in zip(got, want):
        np.testing.assert_allclose(g, w, rtol=1e-12, atol=1e-14)
    assert opt._fused_step.cache and not opt._fused_step.gave_up
    import copy
    twin = copy.deepcopy(opt)  # the compiled step stays behind
    assert "_fused_step" not in twin.__dict__


def test_fused_step_follows_a_parameter_whose_shape_changes():
    w = nn.Parameter(mlopt.ones(3))
    opt = mlopt.optim.SGD([w], lr=0.5)
    for _ in range(2):
        opt.zero_grad()
        (w * w).sum().backward()
        opt.step()
    w.data = mlopt.ones(5)  # plain SGD has no state of the old shape
    opt.zero_grad()
    (w * w).sum().backward()
    opt.step()
    np.testing.assert_array_equal(w.detach().numpy(), np.zeros(5))
