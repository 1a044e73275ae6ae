"""The CUDA backend.

Everywhere (no GPU needed, NVRTC only): every kernel emitted for the autodiff
op tables (forward and backward graphs, f32 and f64, plus f16/bf16/int
cases) compiles with NVRTC for sm_80 and sm_90, and asking for CUDA without
a driver raises a clear RuntimeError. Every forward and gradient program of
the tables, and some targeted ones, also run on the CPU through
cuda_emulator.py (their CUDA C compiled as C++, a thread per CUDA thread;
cuBLAS steps as NumPy matmuls), against the CPU backend's results.

On a GPU (skipped with the reason otherwise): eager ops, @compile and
backward() on CUDA tensors give the CPU's results, over the same tables and
odd shapes; device moves, factories and mixed-device errors behave as in
PyTorch.
"""
import numpy as np
import pytest

import mlopt
import mlopt.nn.functional as F
from mlopt import _C

import cuda_emulator
from conftest import run_in_threads
from mlopt._compile import _lifted_value
from test_autograd import COMPOSITES, PRIMITIVES

HAS_GPU = mlopt.cuda.is_available()


def gpu(test):
    """Runs on a GPU only (`-m gpu` selects these: tools/gpu-check)."""
    skip = pytest.mark.skipif(not HAS_GPU, reason="no CUDA GPU here: "
                              + (mlopt.cuda.unavailable_reason() or "?"))
    return pytest.mark.gpu(skip(test))


nvrtc = pytest.mark.skipif(not _C.nvrtc_available(), reason="NVRTC (CUDA toolkit) not found")

TABLE = {**{"p_" + k: v for k, v in PRIMITIVES.items()},
         **{"c_" + k: v for k, v in COMPOSITES.items()}}

EXTRA = {
    "f16_chain": (lambda a, b: F.relu(a * b + 1).sum(1), lambda: [
        mlopt.randn(5, 33).half(), mlopt.randn(5, 33).half()]),
    "bf16_softmax": (lambda a: F.softmax(a, -1), lambda: [mlopt.randn(4, 40).bfloat16()]),
    "i32_ops": (lambda a, b: (a * b + a // 3, (a > b).sum(0), a.max(1).values), lambda: [
        mlopt.randint(-9, 9, (6, 7), dtype=mlopt.int32),
        mlopt.randint(1, 9, (6, 7), dtype=mlopt.int32)]),
    "i64_cumsum_argmax": (lambda a: (a.argmax(1), a.sum()), lambda: [
        mlopt.randint(-9, 9, (6, 7))]),
    "bool_any_all": (lambda a: ((a > 0).any(1), (a > -5).all(0)), lambda: [
        mlopt.randn(6, 7)]),
    "column_sum": (lambda a: a.sum(0), lambda: [mlopt.randn(300, 37)]),
    "full_sum": (lambda a: a.sum(), lambda: [mlopt.randn(123, 45)]),
    "split_full_sum": (lambda a: (a.sum(), (a * a).mean()), lambda: [mlopt.randn(300, 1000)]),
    "cached_rows": (lambda a, b: F.layer_norm(a + b, (6000,)) * (a + b).sum(-1, keepdim=True),
                    lambda: [mlopt.randn(3, 6000), mlopt.randn(3, 6000)]),
    "cached_rows_f16": (lambda a: F.softmax(a, -1), lambda: [mlopt.randn(3, 999).half()]),
    "cached_rows_two_types": (
        lambda a: a.double().exp() / a.float().exp().sum(-1, keepdim=True).double(),
        lambda: [mlopt.randn(4, 1000).half()]),
    "wide_rows": (lambda a: F.layer_norm(a, (a.shape[-1],)), lambda: [mlopt.randn(3, 20000)]),
    "odd_softmax": (lambda a: F.softmax(a, 1), lambda: [mlopt.randn(7, 3, 5)]),
    "transposed_in": (lambda a: (a.T * 2).exp(), lambda: [mlopt.randn(6, 10)]),
    "mlp": (lambda x, w1, b1, w2: F.gelu(x @ w1.T + b1) @ w2.T, lambda: [
        mlopt.randn(16, 32), mlopt.randn(64, 32), mlopt.randn(64), mlopt.randn(8, 64)]),
    "bmm_t": (lambda a, b: a @ b.transpose(1, 2), lambda: [
        mlopt.randn(3, 5, 8), mlopt.randn(3, 6, 8)]),
    "empty": (lambda a: a * 2, lambda: [mlopt.randn(0, 4)]),
}


def inputs_of(name, dtype=None):
    if name in EXTRA:
        return EXTRA[name][0], EXTRA[name][1]()
    fn, inputs = TABLE[name]
    if dtype is not None:
        inputs = [x.to(dtype) if x.dtype.is_floating_point else x for x in inputs]
    return fn, inputs


def traces_of(fn, inputs):
    """The traces @compile makes of fn (forward) and of its gradient."""
    compiled = mlopt.compile(fn, fullgraph=True)
    compiled(*inputs)
    traces = [e.trace for e in compiled.cache.values() if e.trace is not None]
    floats = [i for i, x in enumerate(inputs) if x.dtype.is_floating_point]
    outs = fn(*inputs)
    outs = outs if isinstance(outs, tuple) else (outs,)
    if floats and any(o.dtype.is_floating_point for o in outs):
        def loss(*xs):
            outs = fn(*xs)
            outs = outs if isinstance(outs, tuple) else (outs,)
            return sum(o.float().sum() for o in outs if o.dtype.is_floating_point)
        g = mlopt.compile(mlopt.grad(loss, argnums=tuple(floats)), fullgraph=True)
        g(*inputs)
        traces += [e.trace for e in g.cache.values() if e.trace is not None]
    return traces


@nvrtc
@pytest.mark.parametrize("name", sorted(TABLE) + sorted(EXTRA))
def test_every_emitted_kernel_compiles_for_sm80_and_sm90(name):
    dtypes = [mlopt.float32, mlopt.float64] if name in TABLE else [None]
    for dtype in dtypes:
        fn, inputs = inputs_of(name, dtype)
        for trace in traces_of(fn, inputs):
            source = trace.cuda_source
            for arch in (80, 90):
                image = _C.nvrtc_compile(source, arch)
                assert image[:4] == b"\x7fELF"


def _grad_of(loss):
    return mlopt.grad(loss, argnums=(0,))


# name -> (function, inputs): small programs run by cuda_emulator.
EMULATED = {
    # Row tiles: block reductions, row loops with cached rows and values.
    "softmax_rows": (lambda x: F.softmax(x, -1), lambda: [mlopt.randn(3, 1000)]),
    "log_softmax_odd": (lambda x: F.log_softmax(x, -1), lambda: [mlopt.randn(2, 999)]),
    "layer_norm_partial_step": (lambda x, w, b: F.layer_norm(x, (6000,), w, b), lambda: [
        mlopt.randn(2, 6000), mlopt.randn(6000), mlopt.randn(6000)]),
    "rmsnorm_two_rows_cached": (
        lambda x, r: (x + r) * mlopt.rsqrt(((x + r) * (x + r)).mean(-1, keepdim=True) + 1e-6),
        lambda: [mlopt.randn(3, 2048), mlopt.randn(3, 2048)]),
    # exp of f16 -> f64 and of f16 -> f32 in one row tile: two cached values
    # (a shared one would give the f64 result f32's rounding, 6e-8 off).
    "exp_in_two_types": (
        lambda a: (a.double().exp(), a.float().exp(), a.float().exp().sum(-1, keepdim=True)),
        lambda: [mlopt.randn(2, 1000).half()]),
    # Rows of every leading dim: a block per (batch, head, query) row.
    "attention_rows": (lambda x: F.softmax(x * 0.5, -1), lambda: [mlopt.randn(2, 3, 5, 40)]),
    "layer_norm_3d": (lambda x, w: F.layer_norm(x, (40,), w), lambda: [
        mlopt.randn(2, 3, 40), mlopt.randn(40)]),
    # Long reductions: split into blocks, fills folded into the reductions.
    "split_sums": (lambda x: (x.sum(), (x * x).mean(), x.amax()), lambda: [
        mlopt.randn(40, 1000)]),
    # Gradients of gathers: scatter-adds with repeated indices (atomicAdd).
    "gather_grad": (_grad_of(lambda a, i: (a.gather(1, i) * 3.0).sum()), lambda: [
        mlopt.randn(5, 10), mlopt.randint(0, 10, (5, 7))]),
    "index_select_grad_f64": (_grad_of(lambda a, i: (a.index_select(0, i) ** 2).sum()), lambda: [
        mlopt.randn(6, 4).double(), mlopt.randint(0, 6, (40,))]),
    "embedding_grad": (_grad_of(lambda w, i: (F.embedding(i, w) * 0.5).sum()), lambda: [
        mlopt.randn(9, 8), mlopt.randint(0, 9, (3, 11))]),
    # Half precision: compare-and-swap on the word that holds the half.
    "embedding_grad_f16": (_grad_of(lambda w, i: (F.embedding(i, w).float() * 0.5).sum()),
                           lambda: [mlopt.randn(9, 7).half(), mlopt.randint(0, 9, (3, 11))]),
    "gather_grad_bf16": (_grad_of(lambda a, i: a.gather(1, i).float().sum()), lambda: [
        mlopt.randn(5, 9).bfloat16(), mlopt.randint(0, 9, (5, 6))]),
    # Pointwise: 4 points per thread with float4, a broadcast, an odd size.
    "gelu_chain": (lambda x, a, b: F.gelu(x * a + b, approximate="tanh"), lambda: [
        mlopt.randn(6, 64), mlopt.randn(64), mlopt.randn(64)]),
    "odd_pointwise_f64": (lambda x: (x.exp() - 1) / (x * x + 1), lambda: [
        mlopt.randn(5, 7).double()]),
}


emulator = pytest.mark.skipif(not cuda_emulator.available(), reason="g++ not found")


def _host(x):  # bf16 has no NumPy type: its bits, from the exact f32 value
    if x.dtype is mlopt.bfloat16:
        return (x.float().numpy().view(np.uint32) >> 16).astype(np.uint16)
    return x.numpy()


# Emulated against the CPU backend, per result dtype: reduction orders differ
# (f32), f64 is f64 throughout, halves round once.
EMULATION_DTYPE_TOLERANCE = {mlopt.float16: 2e-3, mlopt.bfloat16: 1e-2, mlopt.float64: 1e-11}


def _emulate(compiled, inputs, tol=None):
    """Runs each trace of `compiled` (called once on `inputs`) through the
    emulator and compares it with the CPU backend's run of the same trace
    (`tol`: for f32 and f64 results, instead of the defaults)."""
    entries = [e for e in compiled.cache.values() if e.trace is not None]
    assert entries
    for entry in entries:
        program = entry.trace.cuda_program
        # The trace's inputs: the arguments, then what it captured (constants).
        trace_inputs = inputs + [_lifted_value(x, inputs) for x in entry.lifted]
        want = [mlopt.Tensor(b) for b in entry.trace.run([x._buf for x in trace_inputs])]
        if _C.nvrtc_available():  # what runs here also compiles for a GPU
            for unit in program["units"]:
                assert _C.nvrtc_compile(unit, 80)[:4] == b"\x7fELF"
        got = cuda_emulator.run(program, [_host(x) for x in trace_inputs])
        assert len(got) == len(want)
        for g, w in zip(got, want):
            if w.dtype is mlopt.bfloat16:
                g = (g.astype(np.uint32) << 16).view(np.float32)
            t = EMULATION_DTYPE_TOLERANCE.get(w.dtype, 1e-5)
            if tol is not None and w.dtype in (mlopt.float32, mlopt.float64):
                t = tol
            assert g.shape == tuple(w.shape)
            exact = w.numpy() if w.dtype in (mlopt.float32, mlopt.float64) else to_numpy(w)
            np.testing.assert_allclose(np.asarray(g, np.float64), exact, rtol=t, atol=t)


@emulator
@pytest.mark.parametrize("name", sorted(EMULATED))
def test_cuda_programs_emulated_on_cpu_match_cpu(name):
    fn, make = EMULATED[name]
    inputs = make()
    compiled = mlopt.compile(fn, fullgraph=True)
    compiled(*inputs)
    _emulate(compiled, inputs)


def _transformer_block(x, ln1_w, ln1_b, wqkv, wo, ln2_w, ln2_b, w1, w2, heads=2):
    """Attention and MLP, pre-norm (as bench/run.py's, smaller)."""
    batch, seq, width = x.shape
    h = F.layer_norm(x, (width,), ln1_w, ln1_b)
    qkv = F.linear(h, wqkv).reshape(batch, seq, 3, heads, width // heads).permute(2, 0, 3, 1, 4)
    att = F.scaled_dot_product_attention(qkv[0], qkv[1], qkv[2], is_causal=True)
    x = x + F.linear(att.transpose(1, 2).reshape(batch, seq, width), wo)
    h = F.layer_norm(x, (width,), ln2_w, ln2_b)
    return x + F.linear(F.gelu(F.linear(h, w1), approximate="tanh"), w2)


@emulator
def test_transformer_block_emulated_on_cpu_matches_cpu():
    """A whole block's CUDA program, forward and backward: kernels, cuBLAS
    steps (transposed, batched, at offsets) and the host plan between."""
    width = 32
    inputs = [mlopt.randn(2, 16, width), mlopt.ones(width), mlopt.zeros(width),
              mlopt.randn(3 * width, width) * 0.2, mlopt.randn(width, width) * 0.2,
              mlopt.ones(width), mlopt.zeros(width), mlopt.randn(4 * width, width) * 0.2,
              mlopt.randn(width, 4 * width) * 0.2]
    forward = mlopt.compile(_transformer_block, fullgraph=True)
    forward(*inputs)
    _emulate(forward, inputs)
    backward = mlopt.compile(mlopt.grad(lambda *a: _transformer_block(*a).sum(),
                                        argnums=tuple(range(9))), fullgraph=True)
    backward(*inputs)
    _emulate(backward, inputs, tol=2e-5)


# A gradient that cancels to ~1e-13, where both backends show float32
# noise; an f64 result divided by an f32 sum (its summation order).
EMULATION_TOLERANCE = {"cached_rows": 1e-3, "cached_rows_two_types": 1e-6}


@emulator
@pytest.mark.parametrize("grad", [False, True], ids=["forward", "gradient"])
@pytest.mark.parametrize("name", sorted(TABLE) + sorted(EXTRA))
def test_every_table_program_emulated_on_cpu_matches_cpu(name, grad):
    """Every forward and gradient program of the op tables (f32) runs through
    the emulator: the CUDA C the GPU would run, checked without one."""
    _emulate_table_program(name, grad, mlopt.float32)


@emulator
@pytest.mark.parametrize("dtype", [mlopt.float64, mlopt.float16], ids=["f64", "f16"])
@pytest.mark.parametrize("name", sorted(TABLE))
def test_table_forward_programs_emulated_in_f64_and_f16(name, dtype):
    """The tables' forward programs in f64 (double math, atomics and
    shuffles) and f16 (computed in f32, rounded once when stored)."""
    _emulate_table_program(name, False, dtype)


def _emulate_table_program(name, grad, dtype):
    fn, inputs = inputs_of(name, dtype if name in TABLE else None)
    floats = tuple(i for i, x in enumerate(inputs) if x.dtype.is_floating_point)
    if grad:
        outs = fn(*inputs)
        outs = outs if isinstance(outs, tuple) else (outs,)
        if not floats or not any(o.dtype.is_floating_point for o in outs):
            pytest.skip("no float output to differentiate")

        def loss(*xs, forward=fn):
            outs = forward(*xs)
            outs = outs if isinstance(outs, tuple) else (outs,)
            return sum(o.float().sum() for o in outs if o.dtype.is_floating_point)
        fn = mlopt.grad(loss, argnums=floats)
    compiled = mlopt.compile(fn, fullgraph=True)
    compiled(*inputs)
    _emulate(compiled, inputs, EMULATION_TOLERANCE.get(name))


@nvrtc
def test_nvrtc_memory_stays_mapped_between_compiles():
    # NVRTC's ~10 MiB per compile stays in the heap (runtime/Cuda.cpp,
    # keepNvrtcMemoryMapped) instead of ~2300 pages faulted in afresh each time.
    import os, resource
    if any(os.environ.get(v) for v in ("MALLOC_MMAP_THRESHOLD_", "MALLOC_TRIM_THRESHOLD_")):
        pytest.skip("the user's malloc thresholds are kept")
    compiled = mlopt.compile(lambda x: F.layer_norm(x, (1024,)), fullgraph=True)
    compiled(mlopt.randn(4, 1024))
    source = next(e.trace for e in compiled.cache.values() if e.trace).cuda_source

    def faults():
        return resource.getrusage(resource.RUSAGE_THREAD).ru_minflt
    _C.nvrtc_compile(source + "// first\n", 90)
    before = faults()
    _C.nvrtc_compile(source + "// again\n", 90)
    assert faults() - before < 500


def test_cuda_without_a_driver_raises_clearly():
    if HAS_GPU:
        pytest.skip("a GPU is present")
    for make in (lambda: mlopt.zeros(3, device="cuda"), lambda: mlopt.ones(2).cuda(),
                 lambda: mlopt.tensor([1.0], device="cuda:0"), lambda: mlopt.cuda.synchronize()):
        with pytest.raises(RuntimeError, match="CUDA is not available"):
            make()
    assert mlopt.cuda.device_count() == 0
    assert mlopt.ones(2).device.type == "cpu" and not mlopt.ones(2).is_cuda


# ---- on a GPU -------------------------------------------------------------------------

def to_numpy(x):
    return x.cpu().float().numpy() if x.dtype.is_floating_point else x.cpu().numpy()


def assert_close(got, want, dtype):
    outs_g = got if isinstance(got, tuple) else (got,)
    outs_w = want if isinstance(want, tuple) else (want,)
    tol = {mlopt.float64: 1e-9, mlopt.float16: 2e-2, mlopt.bfloat16: 5e-2}.get(dtype, 2e-4)
    for g, w in zip(outs_g, outs_w):
        assert g.device.type == "cuda" and g.shape == w.shape and g.dtype == w.dtype
        np.testing.assert_allclose(to_numpy(g), to_numpy(w), rtol=tol, atol=tol)


def dtype_of(inputs):
    floats = [x.dtype for x in inputs if x.dtype.is_floating_point]
    return floats[0] if floats else None


@gpu
@pytest.mark.parametrize("name", sorted(TABLE) + sorted(EXTRA))
def test_eager_and_compiled_on_cuda_match_cpu(name):
    fn, inputs = inputs_of(name, mlopt.float32 if name in TABLE else None)
    want = fn(*inputs)
    on_gpu = [x.cuda() for x in inputs]
    assert_close(fn(*on_gpu), want, dtype_of(inputs))  # eager
    assert_close(mlopt.compile(fn)(*on_gpu), want, dtype_of(inputs))


# Functions that make tensors of their own (masks, paddings, indices, index
# orders found on the host) next to their input: the results stay on CUDA.
ON_DEVICE = {
    "tril": (lambda x: mlopt.tril(x, 1), lambda: [mlopt.randn(5, 6)]),
    "triu": (lambda x: mlopt.triu(x), lambda: [mlopt.randn(2, 4, 4)]),
    "pad": (lambda x: F.pad(x, (1, 2, 0, 1), value=3.0), lambda: [mlopt.randn(3, 4)]),
    "max_pool2d_padded": (lambda x: F.max_pool2d(x, 3, 1, padding=1),
                          lambda: [mlopt.randn(1, 2, 5, 5)]),
    "cumsum": (lambda x: x.cumsum(1), lambda: [mlopt.randn(3, 37)]),
    "batch_norm": (lambda x, m, v: F.batch_norm(x, m, v, training=True),
                   lambda: [mlopt.randn(4, 3, 5), mlopt.zeros(3), mlopt.ones(3)]),
    "group_norm": (lambda x: F.group_norm(x, 2), lambda: [mlopt.randn(2, 4, 6)]),
    "sort": (lambda x: x.sort(1, descending=True), lambda: [mlopt.randn(4, 9)]),
    "topk": (lambda x: x.topk(3), lambda: [mlopt.randn(4, 9)]),
    "masked_select": (lambda x: x.masked_select(x > 0), lambda: [mlopt.randn(4, 9)]),
    "nonzero": (lambda x: (x > 0).nonzero(), lambda: [mlopt.randn(4, 9)]),
    "unique": (lambda x: x.round().unique(return_counts=True), lambda: [mlopt.randn(4, 9)]),
    "one_hot": (lambda i: F.one_hot(i, 5), lambda: [mlopt.randint(0, 5, (6,))]),
}


# The ones that compile whole (the rest find an order or positions on the
# host), forward and gradient, through the emulator.
TRACEABLE_ON_DEVICE = ["batch_norm", "cumsum", "group_norm", "max_pool2d_padded", "one_hot",
                       "pad", "tril", "triu"]


@emulator
@pytest.mark.parametrize("name", TRACEABLE_ON_DEVICE)
def test_functions_making_tensors_emulated_on_cpu_match_cpu(name):
    fn, make = ON_DEVICE[name]
    inputs = make()
    programs = [fn]
    if inputs[0].dtype.is_floating_point:
        programs.append(_grad_of(lambda *xs: (fn(*xs) * fn(*xs)).sum()))
    for program in programs:
        compiled = mlopt.compile(program, fullgraph=True)
        compiled(*inputs)
        _emulate(compiled, inputs)


@gpu
@pytest.mark.parametrize("name", sorted(ON_DEVICE))
def test_functions_making_tensors_keep_cuda_inputs_on_cuda(name):
    fn, make = ON_DEVICE[name]
    inputs = make()
    want = fn(*[x.clone() for x in inputs])
    got = fn(*[x.cuda() for x in inputs])
    for g, w in zip(got if isinstance(got, tuple) else (got,),
                    want if isinstance(want, tuple) else (want,)):
        assert g.device.type == "cuda" and g.shape == w.shape and g.dtype == w.dtype
        np.testing.assert_allclose(to_numpy(g), to_numpy(w), rtol=1e-5, atol=1e-5)


@gpu
@pytest.mark.parametrize("name", sorted(TABLE))
def test_backward_on_cuda_matches_cpu(name):
    fn, inputs = inputs_of(name, mlopt.float64)

    def grads(xs):
        xs = [x.detach().requires_grad_() if x.dtype.is_floating_point else x for x in xs]
        outs = fn(*xs)
        outs = outs if isinstance(outs, tuple) else (outs,)
        sum(o.sum() * (i + 1) for i, o in enumerate(outs)).backward()
        return [x.grad for x in xs if x.dtype.is_floating_point]

    want = grads(inputs)
    got = grads([x.cuda() for x in inputs])
    for g, w in zip(got, want):
        assert g.device.type == "cuda"
        np.testing.assert_allclose(g.cpu().numpy(), w.numpy(), rtol=1e-8, atol=1e-10)


@gpu
# Rows of 1000 and 6000 end in a partial step of the unrolled row loop, 999
# takes 16 single-element steps, 8192 the full register cache, 40000 too
# many steps to unroll; (3, 50000) and (300, 1000) have split full sums.
@pytest.mark.parametrize("shape", [(1,), (3,), (5, 7), (4, 1024), (2, 3, 8193), (129, 33),
                                   (1, 1, 1), (3, 1000), (2, 999), (3, 6000), (4, 8192),
                                   (2, 40000), (300, 1000)])
def test_odd_shapes_fused_reductions(shape):
    x = mlopt.randn(*shape)
    r = mlopt.randn(*shape)

    def rmsnorm(a):
        h = a + r
        return h * mlopt.rsqrt((h * h).mean(-1, keepdim=True) + 1e-6)

    fns = [lambda a: F.softmax(a, -1), lambda a: F.log_softmax(a, 0),
           lambda a: F.layer_norm(a, (a.shape[-1],)), lambda a: (a.sum(-1), a.amax(0)),
           lambda a: F.gelu(a * 1.5 + 0.5), rmsnorm, lambda a: (a.sum(), (a * a).mean())]
    for fn in fns:  # (r, captured on the CPU, moves to the GPU with the trace)
        assert_close(mlopt.compile(fn)(x.cuda()), fn(x), mlopt.float32)


@gpu
def test_row_value_cache_keeps_types_apart():
    # exp of x in f32 (cached by the sum's row loop) and exp of x in f64 are
    # different values: their difference is f32's rounding error, not 0.
    x = mlopt.randn(4, 1000).half()

    def f(a):
        s = a.float().exp().sum(-1, keepdim=True)
        return (a.double().exp() - a.float().exp().double()) + 0 * s.double()

    got = to_numpy(mlopt.compile(f)(x.cuda())).astype(np.float64)
    assert np.count_nonzero(got) > got.size // 2
    # Within the f32 exp's error on either side (CUDA's expf: 2 ulp).
    ulp = np.spacing(np.exp(x.float().numpy()))
    assert np.all(np.abs(got - f(x).numpy()) <= 3 * ulp)


@gpu
def test_advanced_index_assignment_on_cuda():
    def fill(x, i, v):
        x[i] = 1.5                       # integer tensor index, a scalar
        x[[1, 3], 2] = v                 # a list and an int, a tensor of values
        x[x > 7.5] = -1                  # a mask
        x[:, [0, 3]] = x[:, [3, 0]] * 2  # on a view, values read from x
        return x

    base, i, v = mlopt.randn(5, 4), mlopt.tensor([0, 2, 2]), mlopt.tensor([7.0, 8.0])
    want = fill(base.clone(), i, v)
    got = fill(base.cuda(), i.cuda(), v.cuda())
    assert got.is_cuda
    np.testing.assert_array_equal(got.cpu().numpy(), want.numpy())


@gpu
def test_device_moves_factories_and_errors():
    x = mlopt.randn(3, 4)
    y = x.cuda()
    assert y.is_cuda and y.device == mlopt.device("cuda") and str(y.device) == "cuda"
    np.testing.assert_array_equal(y.cpu().numpy(), x.numpy())
    np.testing.assert_array_equal(x.to("cuda").to("cpu").numpy(), x.numpy())
    assert mlopt.zeros(2, 3, device="cuda").is_cuda
    np.testing.assert_array_equal(mlopt.ones(2, device="cuda").cpu().numpy(), [1, 1])
    np.testing.assert_array_equal(mlopt.arange(5, device="cuda").cpu().numpy(), np.arange(5))
    assert mlopt.zeros_like(y).is_cuda and mlopt.randn(4, device="cuda").is_cuda
    assert (y * 2).is_cuda and (y + 1.5).is_cuda and float((y.sum() * 0 + 3).item()) == 3.0
    with pytest.raises(TypeError, match="cpu"):
        y.numpy()
    with pytest.raises(RuntimeError, match="same device"):
        y + x
    # Views and in-place updates of CUDA tensors.
    z = y.clone()
    z[1:, ::2] = 7.0
    ref = x.clone()
    ref[1:, ::2] = 7.0
    np.testing.assert_array_equal(z.cpu().numpy(), ref.numpy())
    np.testing.assert_array_equal(y.T.contiguous().cpu().numpy(), x.numpy().T)
    assert "device='cuda:0'" in repr(y) or "cuda" in repr(y)


@gpu
def test_training_step_on_cuda_matches_cpu():
    rng = np.random.default_rng(0)
    data = [rng.standard_normal(s).astype(np.float32) for s in [(32, 16), (64, 16), (64,), (4, 64)]]

    def run(device):
        x, w1, b1, w2 = [mlopt.tensor(d, device=device) for d in data]
        params = [w1, b1, w2]
        for p in params:
            p.requires_grad_()

        @mlopt.compile
        def step(x):
            loss = (F.gelu(x @ w1.T + b1) @ w2.T).square().mean()
            loss.backward()
            return loss

        losses = []
        for _ in range(3):
            losses.append(float(step(x)))
            with mlopt.no_grad():
                for p in params:
                    p -= 0.1 * p.grad
                    p.grad = None
        return losses, [p.detach().cpu().numpy() for p in params]

    cpu_losses, cpu_params = run("cpu")
    gpu_losses, gpu_params = run("cuda")
    np.testing.assert_allclose(gpu_losses, cpu_losses, rtol=1e-4)
    for g, c in zip(gpu_params, cpu_params):
        np.testing.assert_allclose(g, c, rtol=1e-3, atol=1e-4)


def _graph_state(compiled):
    return [e.trace.cuda_graph for e in compiled.cache.values() if e.trace is not None]


GRAPHED = {  # name -> function of (x, w, b): kernels only, a GEMM only, both
    "kernels": lambda x, w, b: (F.softmax(x * 2 + 1, -1), x.sum(), x[:, :3]),
    "gemm": lambda x, w, b: x @ w,
    "both": lambda x, w, b: (F.softmax(F.gelu(x @ w + b), -1), (x @ w).sum()),
}


@gpu
@pytest.mark.parametrize("name", sorted(GRAPHED))
def test_cuda_graphs_replay_with_new_inputs_and_keep_old_results(name):
    """mode="reduce-overhead": the first call runs the program, the second
    captures a CUDA graph, later ones replay it; each call's inputs are its
    own and earlier results stay as they were."""
    fn = GRAPHED[name]
    rng = np.random.default_rng(1)
    w, b = (rng.standard_normal(s).astype(np.float32) for s in ((32, 16), (16,)))
    compiled = mlopt.compile(fn, mode="reduce-overhead")
    mw, mb = mlopt.tensor(w, device="cuda"), mlopt.tensor(b, device="cuda")
    xs = [rng.standard_normal((8, 32)).astype(np.float32) for _ in range(5)]
    results = []
    for k, x in enumerate(xs):
        results.append(compiled(mlopt.tensor(x, device="cuda"), mw, mb))
        assert _graph_state(compiled) == ["none" if k == 0 else "captured"], k
    # A strided input takes the same copy in: every other column of x0's
    # columns repeated twice is x0.
    wide = mlopt.tensor(np.repeat(xs[0], 2, axis=1), device="cuda")[:, ::2]
    assert not wide.is_contiguous()
    results.append(compiled(wide, mw, mb))
    xs.append(xs[0])
    for k, (x, got) in enumerate(zip(xs, results)):
        want = fn(mlopt.tensor(x), mlopt.tensor(w), mlopt.tensor(b))
        want = want if isinstance(want, tuple) else (want,)
        got = got if isinstance(got, tuple) else (got,)
        for g, v in zip(got, want):
            assert g.device.type == "cuda"
            np.testing.assert_allclose(g.cpu().numpy(), v.numpy(), rtol=2e-4, atol=2e-4,
                                       err_msg=f"call {k}")


@gpu
def test_cuda_graphs_from_threads_and_beside_eager_work():
    compiled = mlopt.compile(lambda x: (x * 2 + 1).exp().sum(-1), mode="reduce-overhead")
    base = mlopt.randn(64, 100, device="cuda")
    compiled(base), compiled(base)
    assert _graph_state(compiled) == ["captured"]
    sums = {}

    def work(k):
        for i in range(20):
            x = base + (k * 20 + i)
            eager = (x * 3).sum()  # eager launches on the stream meanwhile
            got = compiled(x * 0.01)
            want = (((x * 0.01) * 2 + 1).exp()).sum(-1)
            np.testing.assert_allclose(got.cpu().numpy(), want.cpu().numpy(), rtol=1e-5)
            sums[k, i] = float(eager)

    errors = run_in_threads(work, [(k,) for k in range(4)])
    assert not errors, errors
    assert len(sums) == 80


@gpu
def test_module_and_optimizer_on_cuda_match_cpu():
    def train(device):
        mlopt.manual_seed(5)
        model = mlopt.nn.Sequential(mlopt.nn.Linear(16, 32), mlopt.nn.GELU(),
                                    mlopt.nn.LayerNorm(32), mlopt.nn.Linear(32, 4))
        model.to(device)
        opt = mlopt.optim.Adam(model.parameters(), lr=1e-2)
        step = mlopt.compile(lambda x: model(x).square().mean())
        x = mlopt.tensor(np.random.default_rng(0).standard_normal((8, 16)).astype(np.float32),
                         device=device)
        for _ in range(3):
            opt.zero_grad()
            step(x).backward()
            opt.step()
        assert all(p.device.type == device for p in model.parameters())
        return [p.detach().cpu().numpy() for p in model.parameters()]

    for g, c in zip(train("cuda"), train("cpu")):
        np.testing.assert_allclose(g, c, rtol=1e-4, atol=1e-5)


@gpu
def test_save_and_load_keep_the_device():
    import io
    buffer = io.BytesIO()
    x = mlopt.randn(3, 4, device="cuda")
    mlopt.save({"x": x, "y": x.cpu()}, buffer)
    loaded = mlopt.load(io.BytesIO(buffer.getvalue()))
    assert loaded["x"].device.type == "cuda" and loaded["y"].device.type == "cpu"
    np.testing.assert_array_equal(loaded["x"].cpu().numpy(), x.cpu().numpy())
    assert mlopt.load(io.BytesIO(buffer.getvalue()), map_location="cpu")["x"].device.type == "cpu"


@gpu
def test_autocast_and_grad_scaler_on_cuda():
    """torch.cuda.amp's training loop: float16 matmuls (cuBLAS, f32
    accumulation) close to float32, and the scaler's steps on the GPU."""
    mlopt.manual_seed(0)
    model = mlopt.nn.Sequential(mlopt.nn.Linear(64, 32), mlopt.nn.ReLU(),
                                mlopt.nn.Linear(32, 1)).cuda()
    x, y = mlopt.randn(16, 64).cuda(), mlopt.randn(16, 1).cuda()
    with mlopt.cuda.amp.autocast():
        half = model(x)
    assert half.dtype is mlopt.float16 and half.device.type == "cuda"
    np.testing.assert_allclose(half.float().cpu().numpy(), model(x).cpu().numpy(), atol=2e-2)
    opt = mlopt.optim.SGD(model.parameters(), lr=0.01)
    scaler = mlopt.cuda.amp.GradScaler(init_scale=256.0)
    losses = []
    for _ in range(5):
        opt.zero_grad()
        with mlopt.autocast("cuda"):
            loss = ((model(x).float() - y) ** 2).mean()
        scaler.scale(loss).backward()
        scaler.step(opt)
        scaler.update()
        losses.append(loss.item())
    assert scaler.get_scale() == 256.0 and losses[-1] < losses[0]
