"""@mlopt.compile never changes a function's result: compiled against eager,
guards and recompiles, graph breaks that fall back to eager, fullgraph."""
import numpy as np
import pytest

import mlopt
import mlopt.nn.functional as F


def same(a, b, tol=1e-5):
    np.testing.assert_allclose(a.double().numpy(), b.double().numpy(), rtol=tol, atol=tol)


@pytest.fixture
def x():
    mlopt.manual_seed(3)
    return mlopt.randn(6, 8)


W = mlopt.randn(8, 5)
B = mlopt.randn(5)


def mlp(x):
    return F.gelu(x @ W + B).sum(dim=1)


def norms(x):
    return F.layer_norm(x, (8,)), F.rms_norm(x, (8,), eps=1e-6), F.softmax(x, -1)


def shapes(x):
    y = x.reshape(2, 3, 8).transpose(1, 2)
    return y[:, 1:7:2, ::-1 if False else 1].unsqueeze(0).expand(2, 2, 3, 3).sum((0, 3))


def structured(x):
    return {"max": x.amax(1), "pair": [x.argmax(0), (x * 2).mean()], "none": None}


def promotion(x):
    i = mlopt.arange(8)
    return x + i, (i * 3) // 2, x.to(mlopt.float64).exp(), (x > 0) & (x < 1)


@pytest.mark.parametrize("fn", [mlp, norms, shapes, promotion], ids=lambda f: f.__name__)
def test_compiled_equals_eager(fn, x):
    compiled = mlopt.compile(fn)
    eager = fn(x)
    got = compiled(x)
    assert not compiled.reasons, compiled.reasons
    eager = eager if isinstance(eager, tuple) else (eager,)
    got = got if isinstance(got, tuple) else (got,)
    for a, b in zip(got, eager):
        assert a.shape == b.shape and a.dtype == b.dtype
        same(a, b)
    again = compiled(x)  # served by the cache
    same(again if not isinstance(again, tuple) else again[0], eager[0])
    assert len(compiled.cache) == 1


def test_nested_outputs_keep_their_structure(x):
    got = mlopt.compile(structured)(x)
    assert set(got) == {"max", "pair", "none"} and got["none"] is None
    same(got["max"], x.amax(1))
    assert got["pair"][0].dtype == mlopt.int64
    same(got["pair"][1], (x * 2).mean())


def test_guards_recompile_on_shape_dtype_and_scalar_value(x):
    calls = []

    def f(x, k, flag):
        calls.append(1)
        return x * k if flag else x - k

    c = mlopt.compile(f)
    same(c(x, 2.0, True), x * 2)
    same(c(x, 2.0, True), x * 2)
    assert len(c.cache) == 1 and len(calls) == 1  # traced once, then compiled code
    same(c(x, 3.0, True), x * 3)
    same(c(x, 3.0, False), x - 3)
    same(c(x[:3], 3.0, False), x[:3] - 3)
    same(c(x.double(), 3.0, False), x.double() - 3)
    assert len(c.cache) == 5


def test_captured_tensors_are_inputs_not_constants(x):
    w = mlopt.ones(8)

    @mlopt.compile
    def f(x):
        return x * w

    same(f(x), x)
    w.mul_(3)  # an optimizer-style update between calls
    same(f(x), x * 3)


@pytest.mark.parametrize("body, reason", [
    (lambda x: x * 2 if x.sum() > 0 else x, "bool()"),
    (lambda x: x * x.max().item(), ".item()"),
    (lambda x: mlopt.tensor(x.numpy() + 1), "NumPy"),
    (lambda x: (print(x), x)[1], "printing"),
    (lambda x: x[:1].expand(6, 8).fill_(1), "expanded"),  # (add_ raises, as PyTorch)
    (lambda x: x[x > 0], "advanced indexing"),
    (lambda x: x.__setitem__(x > 100, x[0, :0]), "depends on the mask"),
    (lambda x: x.__setitem__(mlopt.tensor([0, 0]), 1.0), "integer-tensor"),
])
def test_graph_breaks_run_eagerly_with_the_reason(body, reason, x, capsys):
    expected = body(x.clone())
    compiled = mlopt.compile(body)
    got = compiled(x.clone())
    if got is not None:
        same(got, expected)
    assert any(reason in r for r in compiled.reasons), compiled.reasons
    assert reason in mlopt.explain(body, x.clone())


def test_fullgraph_names_the_source_line(x):
    def f(x):
        return x * x.sum().item()  # the breaking line

    with pytest.raises(RuntimeError, match=r"test_compile.py:\d+.*the breaking line"):
        mlopt.compile(f, fullgraph=True)(x)


def test_recompile_limit_warns_and_runs_eagerly(x):
    c = mlopt.compile(lambda x, k: x + k)
    for k in range(mlopt._compile.RECOMPILE_LIMIT):
        c(x, k)
    with pytest.warns(UserWarning, match="recompiled"):
        same(c(x, 100), x + 100)


def test_shape_errors_raise_while_tracing(x):
    with pytest.raises(RuntimeError, match=r"\[6, 8\] and \[3\]"):
        mlopt.compile(lambda x: x + mlopt.ones(3))(x)


def test_dump_ir(tmp_path, monkeypatch):
    # A fresh cache, and a shape no other test uses: the lowering really runs.
    monkeypatch.setenv("MLOPT_DUMP_IR", str(tmp_path / "dump"))
    monkeypatch.setenv("MLOPT_CACHE_DIR", str(tmp_path / "cache"))

    def dumped(x):
        return x.exp() * 3

    x = mlopt.ones(7, 13)
    same(mlopt.compile(dumped)(x), x.exp() * 3)
    text = (tmp_path / "dump" / "dumped.traced.mlir").read_text()
    assert "mlopt.exp" in text and "tensor<7x13xf32>" in text
    stages = sorted((tmp_path / "dump").rglob("*_convert-mlopt-to-linalg.mlir"))
    assert stages, list((tmp_path / "dump").rglob("*"))
    # Every stage replays with the mlopt driver.
    from conftest import BUILD
    import subprocess
    out = subprocess.run([str(BUILD / "bin" / "mlopt"), str(stages[0])], capture_output=True,
                         timeout=60)
    assert out.returncode == 0, out.stderr.decode()


def test_in_place_updates_of_inputs_are_written_back(x):
    def step(x, lr):
        x.mul_(2)
        x -= lr
        return x.sum()

    eager_x, compiled_x = x.clone(), x.clone()
    expected = step(eager_x, 0.5)
    compiled = mlopt.compile(step)
    got = compiled(compiled_x, 0.5)
    assert not compiled.reasons, compiled.reasons
    same(got, expected)
    same(compiled_x, eager_x)
    same(compiled(compiled_x, 0.5), step(eager_x, 0.5))  # cached path writes back too
    same(compiled_x, eager_x)


def test_optimizer_style_update_of_captured_weights(x):
    w_eager, w_compiled = mlopt.ones(8, 3), mlopt.ones(8, 3)

    def make(w):
        def train_step(x):
            loss_grad = x.mT @ (x @ w) / x.shape[0]  # a fake gradient
            w.sub_(0.01 * loss_grad)
            return (x @ w).sum()
        return train_step

    eager, compiled = make(w_eager), mlopt.compile(make(w_compiled))
    for _ in range(5):
        same(compiled(x), eager(x), 1e-4)
    assert not compiled.reasons, compiled.reasons
    same(w_compiled, w_eager, 1e-5)


def test_returned_input_is_the_input_object(x):
    @mlopt.compile
    def inc(t):
        t.add_(1)
        return t

    a = mlopt.zeros(3)
    assert inc(a) is a and inc(a) is a
    same(a, mlopt.full([3], 2.0))


def test_integer_tensor_indexing_compiles(x):
    table = mlopt.randn(10, 4)
    ids = mlopt.tensor([[1, 3], [0, 9]])  # (embedding refuses -1, as PyTorch; x[:, -8] wraps)

    def f(x, ids):
        return F.embedding(ids, table).sum(-1), x[:, mlopt.tensor([7, -8, 2])], x[..., ids[0]]

    compiled = mlopt.compile(f)
    got, expected = compiled(x, ids), f(x, ids)
    assert not compiled.reasons, compiled.reasons
    for a, b in zip(got, expected):
        assert a.shape == b.shape
        same(a, b)


def _views_1(x):
    x[1:3, ::2] = 0
    return x * 2


def _views_2(x):
    v = x[0]
    v.add_(1)  # through a view of an input
    return x.sum()


def _views_3(x):
    y = x * 2
    y[:, 1] += 5  # an intermediate
    return y


def _views_4(x):
    y = x.clone()
    y[y > 0] = 0  # a bool mask with a scalar
    return y, x


def _views_5(x):
    t = x.T
    t[0] = 7  # a transposed view
    return x


def _views_6(x):
    v = x.view(48)
    w = x[1]  # a view taken before the update sees it
    v[3:10:3] = -1
    return w + 0, v + 0


def _views_7(x):
    a = x[:, 1:]
    b = a[::2]
    b.mul_(10)  # a view of a view
    return a + 0


def _views_8(x):
    x += 1
    x[2] -= 3
    d = x.detach()
    d[0, 0] = 100  # detach shares memory
    return x


def _views_9(x):
    x.unsqueeze(0)[0, :, 5].fill_(2)
    x[..., None][3:4] = 9
    return None


@pytest.mark.parametrize("body", [_views_1, _views_2, _views_3, _views_4, _views_5,
                                  _views_6, _views_7, _views_8, _views_9])
def test_in_place_updates_through_views_match_eager(body, x):
    eager_in, compiled_in = x.clone(), x.clone()
    expected = body(eager_in)
    compiled = mlopt.compile(body, fullgraph=True)
    for _ in range(2):  # the second call runs the cached program
        got_in = compiled_in.clone()
        got = compiled(got_in)
    leaves_e = expected if isinstance(expected, tuple) else (expected,)
    leaves_g = got if isinstance(got, tuple) else (got,)
    for e, g in zip(leaves_e, leaves_g):
        if e is not None:
            same(g, e)
    same(got_in, eager_in)
    assert compiled.reasons == []


def test_random_ops_follow_eager_seeding():
    f = mlopt.compile(lambda x: x + mlopt.rand(3, 2) * mlopt.randn(2), fullgraph=True)
    zero = mlopt.zeros(3, 2)
    mlopt.manual_seed(7)
    got = [f(zero), f(zero)]  # a fresh draw per call
    mlopt.manual_seed(7)
    expected = [mlopt.rand(3, 2) * mlopt.randn(2) for _ in range(2)]
    for g, e in zip(got, expected):
        same(g, e)
    assert not np.allclose(got[0].numpy(), got[1].numpy())


def test_dropout_compiles_with_eager_masks():
    import mlopt.nn.functional as F
    f = mlopt.compile(lambda x: F.dropout(x, 0.25, training=True), fullgraph=True)
    x = mlopt.ones(64)
    mlopt.manual_seed(5)
    got = f(x)
    mlopt.manual_seed(5)
    same(got, F.dropout(x, 0.25, training=True))
    assert set(np.unique(got.numpy())) <= {0.0, np.float32(1 / 0.75)}


def test_bitwise_ops_compiled_match_numpy():
    a = np.array([5, 3, -8, 0, 2**40], dtype=np.int64)
    b = np.array([3, 6, 7, -1, 2**40 + 1], dtype=np.int64)
    f = mlopt.compile(lambda a, b: (a & b, a | b, a ^ b, ~a, ~(a > 2)), fullgraph=True)
    got = f(mlopt.tensor(a), mlopt.tensor(b))
    for g, e in zip(got, (a & b, a | b, a ^ b, ~a, ~(a > 2))):
        np.testing.assert_array_equal(g.numpy(), e)


def _mlp_head(x):
    return F.softmax(F.gelu(x @ W + B), dim=-1).sum(1)


def test_a_changing_dim_becomes_dynamic():
    f = mlopt.compile(_mlp_head)
    for n in [3, 4, 5, 9, 1, 0, 33, 2]:
        x = mlopt.randn(n, 8)
        same(f(x), _mlp_head(x))
    # 3 (static), one dynamic program for every n >= 2, and static 1 and 0.
    assert len(f.cache) == 4
    assert sum(1 for k in f.cache if k[0] == "dynamic") == 1


def test_dynamic_false_and_true():
    static = mlopt.compile(_mlp_head, dynamic=False)
    dynamic = mlopt.compile(_mlp_head, dynamic=True)
    for n in [3, 4, 5]:
        x = mlopt.randn(n, 8)
        same(static(x), _mlp_head(x))
        same(dynamic(x), _mlp_head(x))
    assert len(static.cache) == 3
    assert len(dynamic.cache) == 1


def test_dims_used_as_numbers_specialize_and_stay_right():
    def body(x, y):
        x.add_(1)  # written back at any size
        flat = x.reshape(x.shape[0] * 8)  # needs the value of the dim
        return flat.sum(), (x * y).sum(0)
    f = mlopt.compile(body)
    for n in [3, 4, 5]:
        x, y = mlopt.randn(n, 8), mlopt.randn(n, 8)
        xe = x.clone()
        got, expected = f(x, y), body(xe, y)
        same(got[0], expected[0])
        same(got[1], expected[1])
        same(x, xe)
    assert f.reasons == []
    # The reshape pins dim 0 of x static (and y's, the same size: duck
    # sizing); later sizes recompile statically without a dynamic retry.
    assert (0, 0) in list(f.static_dims.values())[0]
    assert len(f.cache) == 3


def test_duck_sizing_keys_equal_dims_together():
    f = mlopt.compile(lambda x, y: x * y.sum(1, keepdim=True))
    for n in [3, 4, 6]:
        x, y = mlopt.randn(n, 5), mlopt.randn(n, 7)
        same(f(x, y), x * y.sum(1, keepdim=True))
    # Batch dims that now differ are another guard: broadcasting still errors.
    with pytest.raises(RuntimeError, match="size"):
        f(mlopt.randn(4, 5), mlopt.randn(6, 7))


def test_mlopt_log_compile_reports_guard_misses_kernels_and_times(monkeypatch, capsys):
    monkeypatch.setenv("MLOPT_LOG", "compile")
    f = mlopt.compile(lambda x: (x * 2 + 1).exp().sum(1))
    f(mlopt.randn(3, 4))
    f(mlopt.randn(5, 4))
    err = capsys.readouterr().err
    assert err.count("guard miss for <lambda>") == 2
    assert "dims [(0, 0)] (argument leaf, dim) changed, now dynamic" in err
    assert "1 kernels" in err and " ms" in err


def test_repeated_calls_take_the_fast_path_and_still_honour_guards():
    """The per-call fast path (positional tensors keyed by size, dtype and
    requires_grad) gives the same results as the full guard check."""
    captured = mlopt.tensor([1.0, 2.0, 3.0])
    f = mlopt.compile(lambda x: x * captured + 1)
    a32 = mlopt.tensor([1.0, 1.0, 1.0])
    a64 = mlopt.tensor([1.0, 1.0, 1.0], dtype=mlopt.float64)
    for _ in range(3):
        np.testing.assert_allclose(f(a32).numpy(), [2, 3, 4])
        assert f(a64).dtype is mlopt.float64
    captured.add_(1)  # captured tensors are read on every call
    np.testing.assert_allclose(f(a32).numpy(), [3, 4, 5])
    np.testing.assert_allclose(f(mlopt.ones(2, 3) * 2).numpy(), [[5, 7, 9]] * 2)

    def bump(x):
        x.add_(1)
        return x * 2
    g = mlopt.compile(bump)
    y = mlopt.zeros(2)
    for i in range(1, 4):  # written-back inputs never take the fast path
        out = g(y)
        np.testing.assert_array_equal(y.numpy(), [i, i])
        np.testing.assert_array_equal(out.numpy(), [2 * i, 2 * i])


def test_x_times_its_own_transpose_compiled():
    """x @ x.T passes one buffer as both BLAS operands, only B transposed."""
    rng = np.random.default_rng(4)
    for shape in [(3, 5), (5, 3), (4, 4)]:
        x = mlopt.tensor(rng.standard_normal(shape), dtype=mlopt.float32)
        got = mlopt.compile(lambda x: x @ x.T)(x).numpy()
        ref = x.numpy().astype(np.float64) @ x.numpy().astype(np.float64).T
        np.testing.assert_allclose(got, ref, rtol=1e-5, atol=1e-5)


FUSED = {
    "softmax": lambda x, d: F.softmax(x, d),
    "log_softmax": lambda x, d: F.log_softmax(x, d),
    "layer_norm": lambda x, d: F.layer_norm(x, (x.shape[-1],)),
    "rms_norm": lambda x, d: F.rms_norm(x, (x.shape[-1],)),
    "reduce_broadcast": lambda x, d: (x * x).sum(d, keepdim=True) * x - x.amax(d, keepdim=True),
    "siblings": lambda x, d: (x.sin() + 1, x.cos(), x.sum(d)),
}


@pytest.mark.parametrize("name", sorted(FUSED))
@pytest.mark.parametrize("shape,dim", [((1, 1), -1), ((0, 5), -1), ((3, 7), -1), ((3, 7), 0),
                                       ((2, 3, 5), 1), ((2, 3, 5), -1), ((1, 4096), -1),
                                       ((4097, 3), -1), ((6, 1), -1), ((5, 0), 0)],
                         ids=str)
@pytest.mark.parametrize("dtype", ["float32", "float64", "float16"])
def test_fused_reductions_on_odd_shapes_equal_eager(name, shape, dim, dtype):
    """Row fusion and sibling fusion over empty, single-row, odd and
    non-dividing shapes and reduced dims other than the last."""
    if name in ("layer_norm", "rms_norm") and shape[-1] == 0:
        pytest.skip("normalizing over an empty dim")
    if shape == (5, 0) and name not in ("siblings",):
        pytest.skip("reductions over an empty dim raise, as in PyTorch")
    fn = FUSED[name]
    x = mlopt.tensor(np.random.default_rng(0).standard_normal(shape)).to(getattr(mlopt, dtype))
    eager = fn(x, dim)
    compiled = mlopt.compile(lambda x: fn(x, dim))(x)
    eager = eager if isinstance(eager, tuple) else (eager,)
    compiled = compiled if isinstance(compiled, tuple) else (compiled,)
    # Fused code may round differently (one FMA, another summation order).
    tol = {"float16": 1e-2, "float32": 1e-4, "float64": 1e-10}[dtype]
    for e, c in zip(eager, compiled):
        assert e.shape == c.shape
        np.testing.assert_allclose(c.float().numpy(), e.float().numpy(), rtol=tol, atol=tol)


def test_a_compiled_method_binds_to_its_instance():
    class Net:
        def __init__(self, scale):
            self.w = mlopt.full((8,), scale)

        @mlopt.compile
        def forward(self, x):
            return x * self.w

    x = mlopt.ones(8)
    assert Net(2.0).forward(x).tolist() == [2.0] * 8
    assert Net(3.0).forward(x).tolist() == [3.0] * 8  # another instance, its own weights
    assert isinstance(Net.__dict__["forward"], mlopt._compile.CompiledFunction)


def test_namedtuples_and_sizes_keep_their_types(x):
    import collections
    values, indices = mlopt.compile(lambda x: x.max(1))(x)
    eager = x.max(1)
    same(values, eager.values)
    assert indices.tolist() == eager.indices.tolist()
    assert type(mlopt.compile(lambda x: x.max(1))(x)) is type(eager)
    shape = mlopt.compile(lambda x: (x + 1, x.shape))(x)[1]
    assert isinstance(shape, mlopt.Size) and shape == (6, 8)
    Pair = collections.namedtuple("Pair", "a b")
    same(mlopt.compile(lambda p: p.a * p.b)(Pair(x, x + 1)), x * (x + 1))


def test_numpy_arguments_are_guarded_by_content():
    f = mlopt.compile(lambda x, arr: x * mlopt.tensor(arr))
    arr = np.array([1.0, 2.0], np.float32)
    assert f(mlopt.ones(2), arr).tolist() == [1.0, 2.0]
    arr[:] = [5.0, 6.0]  # the same array object, new values
    assert f(mlopt.ones(2), arr).tolist() == [5.0, 6.0]


def fd_grad(f, w, eps=1e-3):
    """Central differences of the scalar f() with respect to every element of w."""
    base = w.numpy().astype(np.float64)
    grad = np.zeros_like(base)
    for i in np.ndindex(base.shape):
        for sign in (1, -1):
            v = base.copy()
            v[i] += sign * eps
            with mlopt.no_grad():
                w.copy_(mlopt.tensor(v.astype(np.float32)))
                grad[i] += sign * f().item() / (2 * eps)
    with mlopt.no_grad():
        w.copy_(mlopt.tensor(base.astype(np.float32)))
    return grad


def test_backward_reaches_through_a_compiled_call():
    """torch.compile(model) then loss.backward(): the outputs require grad and
    the gradient reaches arguments and captured parameters."""
    rng = np.random.default_rng(1)
    w = mlopt.tensor(rng.standard_normal((4, 3)).astype(np.float32), requires_grad=True)
    b = mlopt.tensor(rng.standard_normal(3).astype(np.float32), requires_grad=True)
    x = mlopt.tensor(rng.standard_normal((5, 4)).astype(np.float32), requires_grad=True)
    y = mlopt.tensor([0, 1, 2, 0, 1])

    def forward(x):
        h = x @ w + b
        return F.relu(h), h.amax(1)

    model = mlopt.compile(forward)

    def loss_of(f):
        out, peak = f(x)
        return F.cross_entropy(out, y) + 0.1 * peak.sum() + 1e-3 * (w * w).sum()

    grads = {}
    for name, f in (("eager", forward), ("compiled", model), ("compiled again", model)):
        for t in (w, b, x):
            t.grad = None
        loss = loss_of(f)
        assert loss.requires_grad
        loss.backward()
        grads[name] = [t.grad.numpy().copy() for t in (w, b, x)]
    for name in ("compiled", "compiled again"):
        for got, want in zip(grads[name], grads["eager"]):
            np.testing.assert_allclose(got, want, rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(grads["compiled"][0], fd_grad(lambda: loss_of(model), w),
                               rtol=2e-2, atol=2e-3)
    with mlopt.no_grad():
        assert not model(x)[0].requires_grad


def test_backward_through_a_compiled_call_replays_its_random_numbers():
    w = mlopt.ones(64, requires_grad=True)
    f = mlopt.compile(lambda x: F.dropout(x * w, 0.5, True))
    for _ in range(2):  # the second call takes the fast path
        w.grad = None
        out = f(mlopt.ones(64))
        out.sum().backward()
        kept = (out.detach() != 0).float()
        assert 0 < kept.sum().item() < 64
        np.testing.assert_allclose(w.grad.numpy(), 2 * kept.numpy())


def test_a_compiled_training_step_stays_compiled_with_captured_parameters():
    w = mlopt.tensor([1.0, 2.0], requires_grad=True)

    @mlopt.compile
    def step(x):
        loss = (w * x).sum() + (w * w.detach()).sum()  # detach: no gradient through it
        loss.backward()
        with mlopt.no_grad():
            w.sub_(0.1 * w.grad)
            w.grad = None
        return loss

    for expected in ([0.8, 1.7], [0.62, 1.43]):
        step(mlopt.ones(2))
        np.testing.assert_allclose(w.detach().numpy(), expected, rtol=1e-6)
    assert not step.reasons and len(step.cache) == 1


def test_detach_and_no_grad_stop_gradients_in_traces():
    x = mlopt.tensor([1.0, 2.0, 3.0])
    assert mlopt.grad(lambda x: (x * x.detach()).sum())(x).tolist() == [1.0, 2.0, 3.0]

    def f(x):
        with mlopt.no_grad():
            t = x * 3
        return (x * t).sum()
    assert mlopt.grad(f)(x).tolist() == [3.0, 6.0, 9.0]


@pytest.mark.parametrize("n", [1 << 20, 3 * (1 << 20)])
def test_long_sums_are_accurate(n):
    """mlopt-split-reductions: blocks of ~4096, then the partial sums (one
    loop of 64 vector lanes was 1.5e-4 off at 2^20 elements of 0.1)."""
    a = np.full(n, 0.1, np.float32)
    exact = a.astype(np.float64).sum()
    got = mlopt.compile(lambda x: x.sum())(mlopt.from_numpy(a)).item()
    assert abs(got - exact) / exact < 2e-6
    mean = mlopt.compile(lambda x: (x * x).mean())(mlopt.from_numpy(a)).item()
    assert abs(mean - 0.01) / 0.01 < 2e-6


@pytest.mark.parametrize("shape", [(512, 1, 64, 64), (32, 3, 128, 128)])
def test_sums_over_dims_apart_are_accurate(shape):
    """BatchNorm's (0, 2, 3): summed run by run, innermost first, each run in
    blocks (one loop over all three was 1e-3 and 5e-5 off here)."""
    a = np.full(shape, 0.1, np.float32)
    exact = a[:, 0].astype(np.float64).sum()
    for f in (lambda x: x.sum((0, 2, 3)), mlopt.compile(lambda x: x.mean((0, 2, 3)) * (
            x.numel() // x.shape[1]))):
        got = f(mlopt.from_numpy(a)).numpy()
        assert got.shape == (shape[1],)
        np.testing.assert_allclose(got, exact, rtol=1e-5)
    np.testing.assert_allclose(mlopt.from_numpy(a).sum((0, 2, 3), keepdim=True).numpy(),
                               a.astype(np.float64).sum((0, 2, 3), keepdims=True), rtol=1e-5)
    assert tuple(mlopt.from_numpy(a).sum((0, 2)).shape) == a.sum((0, 2)).shape


def test_results_llvm_can_prove_nan_are_written():
    """exp of a constant NaN (a NaN times the input, the mean of an empty
    row): its polynomial's float-to-int conversion was poison, so LLVM
    dropped the stores and the output kept stale memory (codegen/ExpandMath)."""
    for f, x in [(lambda a: (a * float("nan")).exp(), mlopt.ones(3)),
                 (lambda a: a.mean(-1).exp(), mlopt.ones(3, 0)),
                 (lambda a: a.mean(-1).sigmoid(), mlopt.ones(3, 0))]:
        for _ in range(3):  # (stale memory differs between runs)
            assert np.isnan(mlopt.compile(f)(x).numpy()).all()


def test_functions_too_large_to_compile_run_op_by_op():
    """Over 10000 ops a compile takes minutes and gigabytes (fusion grows
    faster than linearly; an eager chain's gradient of 20000 ops passed 24
    GB): such traces run op by op on the eager kernels, never compiled."""
    def chain(x):
        for _ in range(1800):  # 6 ops each
            x = x * 1.0001 + 0.0
        return x
    compiled = mlopt.compile(chain)
    for scale in (1.0, 2.0):
        got = compiled(mlopt.full((3,), scale, dtype=mlopt.float64))
        np.testing.assert_allclose(got.numpy(), scale * 1.0001 ** 1800, rtol=1e-12)
    trace = next(iter(compiled.cache.values())).trace
    assert trace.compile_state == "op by op (too many ops to compile)"


def test_long_eager_sums_are_accurate():
    """Eager reductions that split (long, few results) compile per shape."""
    a = np.full((2048, 2048), 0.1, np.float32)
    x = mlopt.from_numpy(a)
    exact = 0.1 * 2048 * 2048
    assert abs(x.sum().item() - exact) / exact < 2e-6
    np.testing.assert_allclose(x.reshape(4, -1).mean(1).numpy(), 0.1, rtol=2e-6)
    np.testing.assert_allclose(x.sum(1).numpy(), 204.8, rtol=1e-6)  # rows: not split


def test_backward_through_compiled_losses_that_fill_tensors_they_create():
    """cross_entropy and log_softmax write into tensors they create (zeros,
    masks): their compiled outputs still reach the inputs."""
    rng = np.random.default_rng(2)
    x = mlopt.tensor(rng.standard_normal((4, 3)).astype(np.float32), requires_grad=True)
    t = mlopt.tensor([0, 2, 1, 1])
    grads = []
    for f in (lambda x, t: F.cross_entropy(x, t, label_smoothing=0.1),
              mlopt.compile(lambda x, t: F.cross_entropy(x, t, label_smoothing=0.1))):
        x.grad = None
        f(x, t).backward()
        grads.append(x.grad.numpy().copy())
    np.testing.assert_allclose(grads[1], grads[0], rtol=1e-5, atol=1e-7)


def test_in_place_update_of_a_leaf_that_requires_grad_raises_under_compile():
    x = mlopt.ones(3, requires_grad=True)
    with pytest.raises(RuntimeError, match="leaf Variable that requires grad"):
        mlopt.compile(lambda t: t.add_(1))(x)
    with mlopt.no_grad():
        mlopt.compile(lambda t: t.add_(1))(x)  # as optimizers do
    assert x.tolist() == [2.0, 2.0, 2.0]


def test_backward_through_a_captured_non_leaf_and_retain_grad_in_traces():
    w = mlopt.tensor([1.0, 2.0, 3.0], requires_grad=True)
    w2 = w * 2  # captured by the compiled function: not a leaf
    f = mlopt.compile(lambda x: (x * w2).sum())
    f(mlopt.ones(3)).backward()
    assert w.grad.tolist() == [2.0, 2.0, 2.0]
    g = mlopt.compile(lambda x: (x.retain_grad(), x * 2)[1])  # a no-op when traced
    assert g(mlopt.ones(2)).tolist() == [2.0, 2.0]


def test_big_intermediates_that_fusion_removes_compile():
    """Only arguments, results and constants must fit in memory: an 80k x
    80k product that is summed is never materialized."""
    a = mlopt.ones(80000)
    out = mlopt.compile(lambda a: (a[:, None] * a[None, :]).amax())(a)
    assert out.item() == 1.0


def test_one_tensor_passed_twice_matches_eager_on_every_call():
    # The call fast path keys on argument types; a trace of one tensor in two
    # places is not one of two tensors, and an argument passed in two places
    # sees the other's in-place update, as in eager.
    def f(a, b):
        a.add_(1.0)
        return b * 2

    def g(a, b, c):
        c.mul_(3.0)
        return a + b

    def h(a, b):  # no update: calls take the fast path after the first
        return a * 2 + b

    ch = mlopt.compile(h)
    x, y = mlopt.tensor([1.0, 2.0]), mlopt.tensor([3.0, 4.0])
    for _ in range(3):
        for a, b in ((x, x), (x, y), (y, y), (y, x)):
            np.testing.assert_array_equal(ch(a, b).numpy(), h(a, b).numpy())
    cf, cg = mlopt.compile(f), mlopt.compile(g)
    for _ in range(3):
        for fn, compiled, picks in ((f, cf, [(0, 1), (0, 0), (1, 1)]),
                                    (g, cg, [(0, 1, 0), (0, 1, 1), (0, 1, 2)])):
            for pick in picks:
                eager_args = [mlopt.tensor([1.0, 2.0]), mlopt.tensor([3.0, 4.0]),
                              mlopt.tensor([5.0, 6.0])]
                ours = [mlopt.tensor([1.0, 2.0]), mlopt.tensor([3.0, 4.0]),
                        mlopt.tensor([5.0, 6.0])]
                want = fn(*[eager_args[i] for i in pick])
                got = compiled(*[ours[i] for i in pick])
                np.testing.assert_array_equal(got.numpy(), want.numpy())
                for a, b in zip(ours, eager_args):
                    np.testing.assert_array_equal(a.numpy(), b.numpy())


def test_gradient_of_slices_keeps_the_sign_of_zero_as_eager():
    # The gradients of x[0] and x[1] join into one tensor: a -0.0 in them
    # stays -0.0, as in eager backward (a sum of zero-pads would make +0.0).
    a, b = mlopt.tensor([-0.0, 1.0]), mlopt.tensor([2.0, -0.0])

    def f(x):
        return (x[0] * a).sum() + (x[1] * b).sum()
    x = mlopt.tensor([[1.0, 2.0], [3.0, 4.0]], requires_grad=True)
    f(x).backward()
    compiled = mlopt.compile(mlopt.grad(f), fullgraph=True)(mlopt.tensor([[1.0, 2.0], [3.0, 4.0]]))
    np.testing.assert_array_equal(compiled.numpy(), x.grad.numpy())
    np.testing.assert_array_equal(np.signbit(compiled.numpy()), np.signbit(x.grad.numpy()))
    assert np.signbit(compiled.numpy()).tolist() == [[True, False], [False, True]]


def test_compile_modes_and_options_as_torch():
    fn = lambda x: (x * 2).exp()  # noqa: E731
    x = mlopt.randn(5, 3)
    want = np.exp(x.numpy().astype(np.float64) * 2)
    for kwargs in ({}, {"mode": "default"}, {"mode": "reduce-overhead"}, {"mode": "max-autotune"},
                   {"mode": "max-autotune-no-cudagraphs"}, {"backend": "inductor"},
                   {"options": {"triton.cudagraphs": True}}):
        compiled = mlopt.compile(fn, **kwargs)
        for _ in range(3):  # CUDA graphs only for CUDA programs: the CPU runs as it did
            np.testing.assert_allclose(compiled(x).numpy(), want, rtol=1e-6)
    assert mlopt.compile(fn, disable=True) is fn
    assert mlopt.compile(disable=True)(fn) is fn
    with pytest.raises(RuntimeError, match="Unrecognized mode='fast'"):
        mlopt.compile(fn, mode="fast")
    with pytest.raises(RuntimeError, match="Either mode or options"):
        mlopt.compile(fn, mode="reduce-overhead", options={"triton.cudagraphs": True})
    with pytest.raises(RuntimeError, match="Either mode or options"):
        mlopt.compile(fn, mode="default", options={})
    np.testing.assert_allclose(mlopt.compile(model=fn, backend="cudagraphs")(x).numpy(), want,
                               rtol=1e-6)
    with pytest.raises(TypeError):
        mlopt.compile(fn, fullgrahp=True)  # a misspelt option is an error, as in torch


VIEW_OUTPUTS = {
    "reshape": lambda x: x.reshape(2, 3),
    "transpose of a reshape": lambda x: x.reshape(2, 3).t(),
    "slice": lambda x: x[1:5:2],
    "detach": lambda x: x.detach(),
    "expand": lambda x: x[:1].expand(3),
    "unsqueeze, with a computed result": lambda x: (x.unsqueeze(0), x * 2),
    "view of an input updated in place": lambda x: x.add_(1).view(2, 3),
    "update through the view": lambda x: x.view(2, 3).mul_(2),
    "contiguous of a transpose (a copy)": lambda x: x.reshape(2, 3).t().contiguous(),
    "contiguous of a contiguous view": lambda x: x.view(2, 3).contiguous(),
    "same-shape reshape of a transpose (a copy)": lambda x: x.reshape(2, 3).t().reshape(3, 2),
    "unsqueeze of a transpose": lambda x: x.reshape(2, 3).t().unsqueeze(0),
    "squeeze": lambda x: x.reshape(1, 6).squeeze(0),
}


@pytest.mark.parametrize("name", VIEW_OUTPUTS)
def test_outputs_that_view_an_input_are_views_as_in_eager(name):
    fn = VIEW_OUTPUTS[name]

    def run(f):
        x = mlopt.arange(6, dtype=mlopt.float32)
        out = f(x)
        first = out[0] if isinstance(out, tuple) else out
        first.fill_(100.0)  # writes the input where the output views it (fill: an expand too)
        return x.numpy().tolist(), first.numpy().tolist(), first.is_contiguous()

    compiled = mlopt.compile(fn)
    expected = run(fn)
    assert run(compiled) == expected
    assert run(compiled) == expected  # (the cached program too)


def test_gradients_reach_an_input_through_a_view_output():
    xn = np.arange(6.0)
    x = mlopt.tensor(xn, requires_grad=True)
    out = mlopt.compile(lambda x: (x.reshape(2, 3), (x * x).sum()))(x)
    (out[0].t() * 3).sum().backward()
    np.testing.assert_allclose(x.grad.numpy(), np.full(6, 3.0))
    x.grad = None
    out[1].backward()
    np.testing.assert_allclose(x.grad.numpy(), 2 * xn)


def test_gradients_of_a_call_that_updates_an_argument_in_place():
    # backward() replays the function: on the argument as it was before the
    # call, not as the call left it. (Eager raises here, as PyTorch does: x
    # was saved for the product's gradient and then changed.)
    xn = np.linspace(-1, 1, 5)

    def step(x, w):
        loss = ((x * w).tanh() ** 2).sum()
        x.add_(1.0)
        return loss

    compiled = mlopt.compile(step)
    for f in (compiled, compiled):  # traced and compiled, then the cached program
        x = mlopt.tensor(xn, dtype=mlopt.float64)
        w = mlopt.tensor(np.full(5, 0.5), dtype=mlopt.float64, requires_grad=True)
        f(x, w).backward()
        t = np.tanh(xn * 0.5)
        np.testing.assert_allclose(w.grad.numpy(), 2 * t * (1 - t ** 2) * xn, rtol=1e-12)
        np.testing.assert_allclose(x.numpy(), xn + 1)


def test_a_view_made_under_no_grad_comes_back_without_grad():
    def fn(x):
        with mlopt.no_grad():
            return x.view(-1)

    x = mlopt.ones(2, 3, requires_grad=True)
    assert not fn(x).requires_grad
    assert not mlopt.compile(fn)(x).requires_grad


def test_replay_of_an_argument_passed_twice_and_updated():
    def fn(a, b):
        b.mul_(2)  # a is b: the product reads the doubled values
        return (a * w).sum()

    w = mlopt.ones(3, requires_grad=True)
    x = mlopt.tensor([1.0, 2.0, 3.0])
    mlopt.compile(fn)(x, x).backward()
    np.testing.assert_allclose(w.grad.numpy(), [2.0, 4.0, 6.0])
    np.testing.assert_allclose(x.numpy(), [2.0, 4.0, 6.0])
