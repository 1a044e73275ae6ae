"""Every mlopt op compiled for the CPU (`mlopt-run`) against NumPy float64.

Each test writes a small module, runs it through `build/bin/mlopt-run` with a
private kernel cache (cpu_harness.Runner) and compares every result with a
reference computed in float64 (or with Python integers, for wraparound) from
the same inputs, following the numerics of docs/dialect.md.

Tolerances. Exactly rounded ops (add sub mul div sqrt, conversions, shape
ops, ...) must be within one unit in the last place of the result type.
f16/bf16 elementwise math is computed in f32 and rounded once, so it must be
within one half-type ulp of the exact value. f64 transcendental functions
call libm (<= 2 ulp). f32 transcendental functions use MLIR's polynomial
approximations, except sin/cos/atan2 (libm); `F32_MATH_TOL` holds the bounds
they must meet. Largest
errors measured against float64 (20k points per op from `_unary_inputs`,
i.e. the domains these tests use; 200k points over 10 decades for atan2):

    op       f32 measured                      f32 bound     f16 / bf16 measured
    exp      0.95 ulp; 4.4 ulp (rel 2.65e-7)   rel 3.5e-7    0.5 ulp / 0.5 ulp
             within 0.1 of overflow (x~88.7)
    expm1    2 ulp near 0; 4.4 ulp near 88.7   rel 3.5e-7    0.5 / 0.5
    log      0.74 ulp (rel 7.6e-8)             rel 2.5e-7    0.5 / 0.5
    log1p    2.0 ulp  (rel 1.7e-7)             rel 4e-7      0.5 / 0.5
    tanh     4.0 ulp  (rel 2.4e-7)             rel 4e-7      0.5 / 0.5
    sigmoid  2.0 ulp  (rel 1.3e-7)             rel 4e-7      0.5 / 0.5
    erf      4.1 ulp  (rel 2.4e-7)             rel 4e-7      0.5 / 0.5
    sqrt     0.5 ulp                           1 ulp         0.5 / 0.5
    rsqrt    1.4 ulp (1 / sqrt: two roundings) 2 ulp         0.5 / 0.5
    sin/cos  libm: 0.56 ulp (abs 3.2e-8)       abs 1e-6      abs 2.4e-4 / 2e-3
             on |x| <= 10                                    (half an ulp at 1)
    atan2    libm: 1.4 ulp                     rel 5e-6      0.5 / 0.5

Relative error of sin/cos is meaningless near their zeros, except that sin(x)
must be x for tiny x (test_sin_of_tiny_arguments_is_the_argument). sin/cos and
atan2 are libm calls (their polynomial approximations failed the large-argument
and special-value tests below), as are f64 log1p/expm1; f32 log rescales
subnormal inputs. Results below the smallest normal f32
(exp(x) for x < -87.3) flush to zero; the absolute floor of 1.2e-38 allows it.
"""
import math
import zlib

import numpy as np
import pytest

from cpu_harness import (ALL_TYPES, EPS, FLOATS, INT_BITS, INTS, NP_DTYPE,
                         NUMERIC, TINY, Runner, assert_close, assert_exact,
                         conv2d_reference, make, round_exact, tensor_type, wrap)

T = tensor_type
F32_MIN_NORMAL = 2.0 ** -126


@pytest.fixture
def run(tmp_path):
    return Runner(tmp_path).run


def seed(*parts):
    """A deterministic RNG seed from test parameters (hash() is salted)."""
    return zlib.crc32(repr(parts).encode())


def module(args, results, body):
    """func.func @f with `args` [(name, type)], `results` [(value, type)]."""
    sig = ", ".join(f"%{n}: {t}" for n, t in args)
    res = ", ".join(t for _, t in results)
    ret = ", ".join(f"%{v}" for v, _ in results)
    return (f"func.func @f({sig}) -> ({res}) {{\n{body}\n"
            f"  return {ret} : {res}\n}}\n")


# ===========================================================================
# Unary float ops
# ===========================================================================

SPECIALS = [0.0, -0.0, math.inf, -math.inf, math.nan, 1.0, -1.0, 0.5, -0.5,
            1.5, -1.5, 2.5, -2.5, 3.5]


def _erf(x):
    return np.vectorize(math.erf, otypes=[np.float64])(x)


def _sign(x):
    return np.where(np.isnan(x), 0.0, np.sign(x))


def _sigmoid(x):
    with np.errstate(over="ignore"):
        return 1.0 / (1.0 + np.exp(-x))


UNARY_REF = {
    "neg": np.negative, "abs": np.abs, "sign": _sign, "floor": np.floor,
    "ceil": np.ceil, "round": np.round,  # np.round: halfway cases to even
    "exp": np.exp, "log": np.log, "log1p": np.log1p, "expm1": np.expm1,
    "sqrt": np.sqrt, "rsqrt": lambda x: 1.0 / np.sqrt(x), "sin": np.sin,
    "cos": np.cos, "tanh": np.tanh, "sigmoid": _sigmoid, "erf": _erf,
}
EXACT_UNARY = {"neg", "abs", "sign", "floor", "ceil", "round"}

# (rtol, atol) for f32 transcendental functions, see the module docstring.
F32_MATH_TOL = {
    "exp": (3.5e-7, F32_MIN_NORMAL), "log": (2.5e-7, F32_MIN_NORMAL),
    "log1p": (4e-7, F32_MIN_NORMAL), "expm1": (3.5e-7, F32_MIN_NORMAL),
    "tanh": (4e-7, F32_MIN_NORMAL), "sigmoid": (4e-7, F32_MIN_NORMAL),
    "erf": (4e-7, F32_MIN_NORMAL), "sin": (1e-6, 1e-6), "cos": (1e-6, 1e-6),
    "sqrt": (EPS["f32"], 0.0), "rsqrt": (2 * EPS["f32"], 0.0),
}


def _unary_inputs(op, dtype, rng):
    """Random points of the op's interesting domain plus special values."""
    n = 400
    if op in ("log", "sqrt", "rsqrt"):
        lo, hi = (-12, 12) if dtype == "f16" else (-30, 30)
        x = np.exp(rng.uniform(lo * 2.3, hi * 2.3, n))
    elif op == "log1p":
        x = np.concatenate([rng.uniform(-0.999, 2, n // 2),
                            10.0 ** rng.uniform(-8, 4, n // 4),
                            -(10.0 ** rng.uniform(-8, -0.5, n // 4))])
    elif op in ("exp", "expm1"):
        x = np.concatenate([rng.uniform(-100, 89, n // 2), rng.uniform(-1, 1, n // 4),
                            rng.uniform(-1e-4, 1e-4, n // 4)])
    elif op in ("sin", "cos"):
        x = np.concatenate([rng.uniform(-10, 10, n // 2), rng.uniform(-1, 1, n // 4),
                            rng.uniform(-1e-3, 1e-3, n // 4)])
    elif op in ("tanh", "sigmoid", "erf"):
        x = np.concatenate([rng.uniform(-12, 12, n // 2), rng.uniform(-1, 1, n // 4),
                            rng.uniform(-1e-3, 1e-3, n // 4)])
    else:  # exact ops: a wide range with many halfway cases
        x = np.concatenate([rng.standard_normal(n // 2) * 100,
                            np.round(rng.uniform(-50, 50, n // 2)) + 0.5])
    if dtype == "f16":
        x = np.clip(x, -60000, 60000)
    return np.concatenate([x, SPECIALS])


@pytest.mark.parametrize("dtype", FLOATS)
@pytest.mark.parametrize("op", list(UNARY_REF))
def test_unary_float(run, op, dtype):
    rng = np.random.default_rng(seed(op, dtype))
    x = make(_unary_inputs(op, dtype, rng), dtype)
    t = T([None], dtype)
    (got,) = run(module([("x", t)], [("y", t)], f"  %y = mlopt.{op} %x : {t}"), [x])
    with np.errstate(all="ignore"):
        ref = UNARY_REF[op](np.asarray(x, dtype=np.float64))
    if op in EXACT_UNARY:
        assert_exact(got, ref, dtype, what=op)
    elif dtype == "f64":
        assert_close(got, ref, dtype, rtol=2 * EPS["f64"], atol=1e-300, what=op)
    elif dtype == "f32":
        rtol, atol = F32_MATH_TOL[op]
        assert_close(got, ref, dtype, rtol=rtol, atol=atol, what=op)
    else:
        # Computed in f32, rounded once to the half type: within half an ulp
        # of it, plus the f32 error (absolute for sin/cos).
        # bf16 has f32's exponent range, so f32's flush of results below the
        # smallest normal shows up in bf16 too.
        atol = TINY[dtype] if dtype == "f16" else F32_MIN_NORMAL
        atol += 1e-6 if op in ("sin", "cos") else 0.0
        assert_close(got, ref, dtype, rtol=EPS[dtype], atol=atol, what=op)


@pytest.mark.parametrize("dtype", FLOATS)
def test_isnan(run, dtype):
    x = make([0.0, -0.0, math.nan, -math.nan, math.inf, -math.inf, 1.0, 65504.0], dtype)
    t = T([2, None], dtype)
    x = x.reshape(2, 4)
    (got,) = run(module([("x", t)], [("y", T([2, None], "i1"))],
                        f"  %y = mlopt.isnan %x : {t}"), [x])
    assert_exact(got, np.isnan(np.asarray(x, dtype=np.float64)), "i1")


@pytest.mark.parametrize("dtype", ["f32", "bf16", "f64"])
def test_sin_of_tiny_arguments_is_the_argument(run, dtype):
    """sin(x) = x to within an ulp for |x| < 1e-4 (and sin is odd)."""
    x = np.array([1e-7, -1e-7, -5e-8, 5e-8, -1e-6, 1e-6, -1e-5, -3e-5, -1e-4, 1e-10,
                  -1e-10, -1e-20])
    x = make(x, dtype)
    t = T([12], dtype)
    (got,) = run(module([("x", t)], [("y", t)], f"  %y = mlopt.sin %x : {t}"), [x])
    x64 = np.asarray(x, dtype=np.float64)
    assert_close(got, np.sin(x64), dtype, rtol=2 * EPS[dtype], atol=0.0, what="sin")


@pytest.mark.parametrize("op", ["sin", "cos"])
def test_sin_cos_large_arguments_f32(run, op):
    rng = np.random.default_rng(5)
    x = np.concatenate([rng.uniform(10, 1e4, 200), 10.0 ** rng.uniform(4, 30, 200)])
    x = make(x * rng.choice([-1, 1], x.size), "f32")
    t = T([None], "f32")
    (got,) = run(module([("x", t)], [("y", t)], f"  %y = mlopt.{op} %x : {t}"), [x])
    ref = getattr(np, op)(x.astype(np.float64))
    assert np.all(np.abs(got) <= 1), "sin/cos outside [-1, 1]"
    assert_close(got, ref, "f32", rtol=0.0, atol=1e-5, what=op)


def test_log_of_subnormal_f32(run):
    x = make([1e-40, 1e-45, 3e-39, 1.1e-38], "f32")
    t = T([4], "f32")
    (got,) = run(module([("x", t)], [("y", t)], f"  %y = mlopt.log %x : {t}"), [x])
    assert_close(got, np.log(x.astype(np.float64)), "f32", rtol=2.5e-7, what="log")


@pytest.mark.parametrize("dtype", FLOATS)
@pytest.mark.parametrize("op", ["log1p", "expm1"])
def test_log1p_expm1_tiny_arguments(run, op, dtype):
    """log1p(x) and expm1(x) keep full relative precision as x -> 0."""
    tiny = {"f16": [1e-3, -1e-3, 3e-4, -2e-4, 6.2e-5, 1e-7],
            "bf16": [1e-3, -1e-3, 1e-8, -1e-8, 1e-20, -1e-30],
            "f32": [1e-3, -1e-3, 1e-8, -1e-8, 1e-20, -1e-30],
            "f64": [1e-3, -1e-3, 1e-8, -1e-8, 4.85e-14, 1e-20, -1e-30]}[dtype]
    x = make(tiny, dtype)
    t = T([len(tiny)], dtype)
    (got,) = run(module([("x", t)], [("y", t)], f"  %y = mlopt.{op} %x : {t}"), [x])
    ref = UNARY_REF[op](np.asarray(x, np.float64))
    rtol = {"f32": F32_MATH_TOL[op][0], "f64": 2 * EPS["f64"]}.get(dtype, EPS[dtype])
    assert_close(got, ref, dtype, rtol=rtol, atol=TINY[dtype], what=op)


@pytest.mark.parametrize("dtype", ["f32", "f64"])
def test_transcendental_special_values(run, dtype):
    """inf, -inf, NaN, +-0 and domain edges give the C library's answers."""
    ops = ["exp", "log", "log1p", "expm1", "sqrt", "rsqrt", "tanh", "sigmoid", "erf",
           "sin", "cos"]
    x = make([0.0, -0.0, math.inf, -math.inf, math.nan, -1.0, -2.0, 1e-30, 50.0, -50.0,
              100.0, -100.0, 1000.0, -1000.0], dtype)
    t = T([x.size], dtype)
    body = "\n".join(f"  %{op} = mlopt.{op} %x : {t}" for op in ops)
    got = run(module([("x", t)], [(op, t) for op in ops], body), [x])
    x64 = np.asarray(x, dtype=np.float64)
    for op, g in zip(ops, got):
        with np.errstate(all="ignore"):
            ref = UNARY_REF[op](x64)
        if op in ("sin", "cos"):  # only the non-finite and small inputs here
            g, ref = g[:8], ref[:8]
        if dtype == "f64" and op in ("log1p", "expm1"):
            # 1e-30 is test_log1p_expm1_tiny_arguments' business.
            g, ref = np.delete(g, 7), np.delete(ref, 7)
        rtol, atol = F32_MATH_TOL.get(op, (EPS[dtype], 0.0)) if dtype == "f32" \
            else (2 * EPS[dtype], 1e-300)
        assert_close(g, ref, dtype, rtol=rtol, atol=atol, what=op)


# ===========================================================================
# Unary integer and bool ops
# ===========================================================================

@pytest.mark.parametrize("dtype", INTS)
def test_unary_int(run, dtype):
    bits = INT_BITS[dtype]
    lo, hi = -(1 << (bits - 1)), (1 << (bits - 1)) - 1
    vals = [0, 1, -1, lo, hi, lo + 1, 7, -7] + list(
        np.random.default_rng(0).integers(lo, hi, 24, dtype=NP_DTYPE[dtype]))
    x = make(vals, dtype).reshape(4, 8)
    t = T([None, 8], dtype)
    ops = ["neg", "abs", "sign"]
    body = "\n".join(f"  %{op} = mlopt.{op} %x : {t}" for op in ops)
    neg, ab, sg = run(module([("x", t)], [(op, t) for op in ops], body), [x])
    v = [int(a) for a in x.ravel()]
    assert_exact(neg, wrap([-a for a in v], dtype).reshape(4, 8), dtype, "neg")
    # abs(MIN) wraps to MIN, as two's complement arithmetic does.
    assert_exact(ab, wrap([abs(a) for a in v], dtype).reshape(4, 8), dtype, "abs")
    assert_exact(sg, np.sign(x), dtype, "sign")


def test_unary_bool(run):
    x = np.array([[True, False, True], [False, False, True]])
    t = T([None, 3], "i1")
    (got,) = run(module([("x", t)], [("y", t)], f"  %y = mlopt.not %x : {t}"), [x])
    assert_exact(got, ~x, "i1")


# ===========================================================================
# Binary float ops
# ===========================================================================

BIN_SPECIALS = [0.0, -0.0, 1.0, -1.0, 2.5, -3.0, math.inf, -math.inf, math.nan]


def _floor_div(x, y):
    with np.errstate(all="ignore"):
        return np.floor_divide(x, y)


BINARY_FLOAT_REF = {
    "add": np.add, "sub": np.subtract, "mul": np.multiply, "div": np.divide,
    "floor_div": _floor_div, "remainder": np.remainder, "pow": np.power,
    "maximum": np.maximum, "minimum": np.minimum, "atan2": np.arctan2,
}


def _binary_float_inputs(op, dtype, rng):
    n = 300
    big = 100.0 if dtype == "f16" else 1e4
    if op == "pow":
        x = np.concatenate([rng.uniform(0, 4, n // 2), -np.round(rng.uniform(0, 4, n // 2))])
        y = np.concatenate([rng.uniform(-6, 6, n // 2), np.round(rng.uniform(-6, 6, n // 2))])
    elif op == "atan2":  # special values: test_atan2_special_values
        x = rng.standard_normal(n) * 10.0 ** rng.integers(-3, 3, n)
        y = rng.standard_normal(n) * 10.0 ** rng.integers(-3, 3, n)
        return x, y
    else:
        x = rng.standard_normal(n) * big
        y = rng.standard_normal(n) * 10.0 ** rng.integers(-2, 3, n)
        if op in ("floor_div", "remainder"):  # exact multiples and negatives
            y[: n // 4] = np.round(y[: n // 4] * 3)
            y[: n // 4][y[: n // 4] == 0] = -2.0
            x[: n // 4] = np.round(x[: n // 4] / y[: n // 4]) * y[: n // 4]
    sx, sy = np.meshgrid(BIN_SPECIALS, BIN_SPECIALS)
    return np.concatenate([x, sx.ravel()]), np.concatenate([y, sy.ravel()])


@pytest.mark.parametrize("dtype", FLOATS)
@pytest.mark.parametrize("op", list(BINARY_FLOAT_REF))
def test_binary_float(run, op, dtype):
    rng = np.random.default_rng(seed(op, dtype))
    xs, ys = _binary_float_inputs(op, dtype, rng)
    x, y = make(xs, dtype), make(ys, dtype)
    t = T([None], dtype)
    (got,) = run(module([("x", t), ("y", t)], [("z", t)],
                        f"  %z = mlopt.{op} %x, %y : {t}"), [x, y])
    x64, y64 = np.asarray(x, dtype=np.float64), np.asarray(y, dtype=np.float64)
    with np.errstate(all="ignore"):
        ref = BINARY_FLOAT_REF[op](x64, y64)
    if op in ("maximum", "minimum"):
        assert_exact(got, ref, dtype, what=op)
        return
    rtol, atol = EPS[dtype], TINY[dtype]
    if op == "pow" and dtype in ("f32", "f64"):
        rtol = 2 * EPS[dtype]
    if op == "atan2" and dtype == "f32":
        # MLIR's atan approximation: measured max 4.1e-6 relative / 2.5e-6
        # absolute (40 ulp) over 200k points spanning 10 decades.
        rtol, atol = 5e-6, 1e-37
    if op == "remainder":  # fmod is exact; the sign fix-up adds y (one rounding)
        atol = EPS[dtype] * np.abs(y64)
    if op == "floor_div" and dtype in ("f16", "bf16"):
        # The quotient is an integer computed in f32; rounding it to the half
        # type is within an ulp of the half type.
        rtol = EPS[dtype]
    assert_close(got, ref, dtype, rtol=rtol, atol=atol, what=op)


@pytest.mark.parametrize("dtype", ["f32", "f16"])
def test_atan2_special_values(run, dtype):
    sx, sy = np.meshgrid(BIN_SPECIALS, BIN_SPECIALS)
    x, y = make(sx.ravel(), dtype), make(sy.ravel(), dtype)
    t = T([x.size], dtype)
    (got,) = run(module([("x", t), ("y", t)], [("z", t)],
                        f"  %z = mlopt.atan2 %x, %y : {t}"), [x, y])
    ref = np.arctan2(np.asarray(x, np.float64), np.asarray(y, np.float64))
    assert_close(got, ref, dtype, rtol=5e-6 if dtype == "f32" else EPS[dtype],
                 atol=TINY[dtype], what="atan2")


def test_atan2_special_values_f64(run):
    sx, sy = np.meshgrid(BIN_SPECIALS, BIN_SPECIALS)
    x, y = sx.ravel(), sy.ravel()
    t = T([x.size], "f64")
    (got,) = run(module([("x", t), ("y", t)], [("z", t)],
                        f"  %z = mlopt.atan2 %x, %y : {t}"), [x, y])
    assert_close(got, np.arctan2(x, y), "f64", rtol=2 * EPS["f64"], what="atan2")


# ===========================================================================
# Binary integer and bool ops
# ===========================================================================

def _py_div(a, b):  # truncating, 0 for b == 0
    if b == 0:
        return 0
    q = abs(a) // abs(b)
    return q if (a < 0) == (b < 0) else -q


def _py_floor_div(a, b):
    return 0 if b == 0 else a // b


def _py_rem(a, b):
    return 0 if b == 0 else a % b


@pytest.mark.parametrize("dtype", INTS)
def test_binary_int(run, dtype):
    """Wraparound, truncating div, Python floor_div/remainder, x / 0 = 0,
    MIN / -1 = MIN (wraps), MIN % -1 = 0."""
    bits = INT_BITS[dtype]
    lo, hi = -(1 << (bits - 1)), (1 << (bits - 1)) - 1
    rng = np.random.default_rng(bits)
    edge = [lo, hi, 0, 1, -1, 7, -7, 2, -2, lo + 1]
    ex, ey = np.meshgrid(edge, edge)
    xs = list(ex.ravel()) + list(rng.integers(-1000, 1000, 60)) + list(
        rng.integers(lo, hi, 30, dtype=NP_DTYPE[dtype]))
    ys = list(ey.ravel()) + list(rng.integers(-30, 30, 60)) + list(
        rng.integers(lo, hi, 30, dtype=NP_DTYPE[dtype]))
    x, y = make(xs, dtype), make(ys, dtype)
    # pow: non-negative exponents, large enough to wrap.
    px = make(rng.integers(-6, 7, 64), dtype)
    py = make(list(range(0, 64)), dtype)
    t, tp = T([None], dtype), T([64], dtype)
    ops = ["add", "sub", "mul", "div", "floor_div", "remainder", "maximum", "minimum"]
    body = "\n".join(f"  %{op} = mlopt.{op} %x, %y : {t}" for op in ops)
    body += f"\n  %pow = mlopt.pow %px, %py : {tp}"
    got = run(module([("x", t), ("y", t), ("px", tp), ("py", tp)],
                     [(op, t) for op in ops] + [("pow", tp)], body), [x, y, px, py])
    a, b = [int(v) for v in x], [int(v) for v in y]
    refs = {
        "add": [p + q for p, q in zip(a, b)], "sub": [p - q for p, q in zip(a, b)],
        "mul": [p * q for p, q in zip(a, b)],
        "div": [_py_div(p, q) for p, q in zip(a, b)],
        "floor_div": [_py_floor_div(p, q) for p, q in zip(a, b)],
        "remainder": [_py_rem(p, q) for p, q in zip(a, b)],
        "maximum": [max(p, q) for p, q in zip(a, b)],
        "minimum": [min(p, q) for p, q in zip(a, b)],
    }
    for op, g in zip(ops, got):
        assert_exact(g, wrap(refs[op], dtype), dtype, what=op)
    ref_pow = [int(p) ** int(q) for p, q in zip(px, py)]
    assert_exact(got[-1], wrap(ref_pow, dtype), dtype, what="pow")


def test_binary_bool(run):
    a = np.array([False, False, True, True] * 3).reshape(3, 4)
    b = np.array([False, True, False, True] * 3).reshape(3, 4)
    t = T([3, None], "i1")
    ops = ["and", "or", "xor"]
    body = "\n".join(f"  %{op} = mlopt.{op} %a, %b : {t}" for op in ops)
    got = run(module([("a", t), ("b", t)], [(op, t) for op in ops], body), [a, b])
    for op, g, ref in zip(ops, got, [a & b, a | b, a ^ b]):
        assert_exact(g, ref, "i1", what=op)


# ===========================================================================
# Comparisons and select
# ===========================================================================

CMP = {"eq": np.equal, "ne": np.not_equal, "lt": np.less, "le": np.less_equal,
       "gt": np.greater, "ge": np.greater_equal}


def _cmp_values(dtype):
    if dtype == "i1":
        return [False, True]
    if dtype in INTS:
        bits = INT_BITS[dtype]
        return [-(1 << (bits - 1)), (1 << (bits - 1)) - 1, 0, 1, -1, 5]
    return [0.0, -0.0, 1.0, -1.0, 1.5, math.inf, -math.inf, math.nan]


@pytest.mark.parametrize("dtype", ALL_TYPES)
def test_comparisons(run, dtype):
    """NaN compares false except with ne; bools compare false < true."""
    vals = _cmp_values(dtype)
    ex, ey = np.meshgrid(np.array(vals, dtype=object), np.array(vals, dtype=object))
    x, y = make(list(ex.ravel()), dtype), make(list(ey.ravel()), dtype)
    n = len(vals)
    # Tiled 4 times so the vectorized loop sees every pair too.
    x, y = np.tile(x.reshape(n, n), (4, 1)), np.tile(y.reshape(n, n), (4, 1))
    t, tb = T([None, n], dtype), T([None, n], "i1")
    body = "\n".join(f"  %{op} = mlopt.{op} %x, %y : {t}" for op in CMP)
    got = run(module([("x", t), ("y", t)], [(op, tb) for op in CMP], body), [x, y])
    xr = np.asarray(x) if dtype in ("i1",) + tuple(INTS) else np.asarray(x, np.float64)
    yr = np.asarray(y) if dtype in ("i1",) + tuple(INTS) else np.asarray(y, np.float64)
    for (op, fn), g in zip(CMP.items(), got):
        with np.errstate(invalid="ignore"):
            assert_exact(g, fn(xr, yr), "i1", what=op)


@pytest.mark.parametrize("dtype", ALL_TYPES)
def test_select(run, dtype):
    rng = np.random.default_rng(3)
    rows = 13
    cond = rng.random((rows, 5)) < 0.5
    if dtype == "i1":
        a, b = rng.random((rows, 5)) < 0.5, rng.random((rows, 5)) < 0.5
    elif dtype in INTS:
        a = make(rng.integers(-100, 100, rows * 5), dtype).reshape(rows, 5)
        b = make(rng.integers(-100, 100, rows * 5), dtype).reshape(rows, 5)
    else:
        k = rows * 5 - 3
        a = make(np.r_[rng.standard_normal(k), math.nan, math.inf, -0.0], dtype).reshape(rows, 5)
        b = make(np.r_[math.nan, -math.inf, 0.0, rng.standard_normal(k)], dtype).reshape(rows, 5)
    t = T([None, 5], dtype)
    (got,) = run(module([("c", T([None, 5], "i1")), ("a", t), ("b", t)], [("r", t)],
                        f"  %r = mlopt.select %c, %a, %b : {T([None, 5], 'i1')}, {t}"),
                 [cond, a, b])
    ref = np.where(cond, np.asarray(a), np.asarray(b))
    assert_exact(got, ref, dtype)
    if dtype in FLOATS:  # the sign of zero is moved, not recomputed
        assert np.array_equal(np.signbit(np.asarray(got)), np.signbit(ref))


# ===========================================================================
# convert
# ===========================================================================

def _convert_sources(dtype):
    """Normal-range values of `dtype` that probe rounding to nearest even,
    truncation toward zero, saturation, NaN, inf and wraparound. Subnormals
    and double-rounding traps have their own tests below."""
    if dtype == "i1":
        return [False, True, True, False]
    if dtype in INTS:
        vals = [0, 1, -1, 2, -3, 255, 256, -129, 65504, 65519, 65520, 70000, -70000,
                2**24 + 1, 2**24 + 3, 2**31 - 1, -2**31, 12345678]
        if dtype == "i64":
            vals += [2**31, -2**31 - 1, 2**32 + 5, 2**53 + 1, 2**63 - 1, -2**63]
        return vals
    vals = [0.0, -0.0, 0.5, -0.5, 0.9999, 1.5, -1.5, 2.5, -2.5, 100.7, -100.7, 255.9,
            1e4 + 0.5, 65504.0, 65519.99, 65520.0, 1e5, -1e5, 1e-3, -1e-3,
            1 + 2 ** -8, 1 + 2 ** -8 + 2 ** -20, 1 + 2 ** -11 + 2 ** -20,
            math.inf, -math.inf, math.nan]
    if dtype != "f16":
        vals += [2.0 ** 31, -2.0 ** 31, 2.0 ** 31 - 128, 3e9, -3e9, 2.0 ** 63,
                 -2.0 ** 63, 1e19, -1e19, 1e30, -1e30, 1e-30, 3.3e38]
    if dtype == "f64":
        vals += [2.0 ** 31 - 0.5, -2.0 ** 31 - 0.5, 2.0 ** 63 - 1024, 1e300, -1e300,
                 3.4028235e38, 3.40282357e38, 3.3961e38]
    return vals


def _convert_ref(src_vals, src, dst):
    """Reference for convert as docs/ops.md states it."""
    if dst == "i1":
        return np.array([(v != 0) if not (isinstance(v, float) and math.isnan(v)) else True
                         for v in src_vals])
    if dst in INTS:
        bits = INT_BITS[dst]
        lo, hi = -(1 << (bits - 1)), (1 << (bits - 1)) - 1
        out = []
        for v in src_vals:
            if src in INTS or src == "i1":
                out.append(int(v))
            elif math.isnan(v):
                out.append(0)
            elif math.isinf(v):
                out.append(hi if v > 0 else lo)
            else:
                out.append(min(max(int(v), lo), hi))  # int() truncates
        return wrap(out, dst)
    # to float: exactly rounded, nearest even
    vals = [int(v) if src in INTS or src == "i1" else float(v) for v in src_vals]
    return round_exact(vals, dst)


def _held(x, src):
    """The values a function receives (already rounded to the source type)."""
    if src in FLOATS:
        return [float(v) for v in np.asarray(x, np.float64)]
    return [bool(v) if src == "i1" else int(v) for v in x]


def _convert_module(src, dsts):
    t = T([None], src)
    body = "\n".join(f"  %{d} = mlopt.convert %x : {t} -> {T([None], d)}" for d in dsts)
    return module([("x", t)], [(d, T([None], d)) for d in dsts], body)


@pytest.fixture(scope="module")
def converted(tmp_path_factory):
    """Per source type, one module converting to all seven types (the
    results are computed once and checked pair by pair); if that module
    fails, one module per target type, so a broken pair stays alone."""
    cache = {}

    def get(src, dst):
        if src not in cache:
            # Tiled so the vectorized loop converts every value too.
            x = make(_convert_sources(src) * 3, src)
            runner = Runner(tmp_path_factory.mktemp(f"convert_{src}"))
            try:
                cache[src] = dict(zip(ALL_TYPES, runner.run(_convert_module(src, ALL_TYPES),
                                                            [x])))
            except AssertionError:
                cache[src] = {}
                for d in ALL_TYPES:
                    try:
                        (cache[src][d],) = runner.run(_convert_module(src, [d]), [x])
                    except AssertionError as e:
                        cache[src][d] = e
            cache[src]["x"] = x
        got = cache[src][dst]
        if isinstance(got, AssertionError):
            raise got
        return cache[src]["x"], got

    return get


@pytest.mark.parametrize("dst", ALL_TYPES)
@pytest.mark.parametrize("src", ALL_TYPES)
def test_convert(converted, src, dst):
    x, got = converted(src, dst)
    assert_exact(got, _convert_ref(_held(x, src), src, dst), dst, what=f"{src} -> {dst}")


# Values whose correctly rounded result differs from rounding twice (through
# f32 or f64): a tie in the target plus a sticky bit only the wider source
# holds.
ROUND_ONCE = {
    ("i32", "bf16"): [2**24 + 2**16 + 1, -(2**24 + 2**16 + 1), 2**30 + 2**22 + 1],
    ("i64", "bf16"): [2**24 + 2**16 + 1, 2**40 + 2**32 + 1, -(2**40 + 2**32 + 1)],
    ("i64", "f16"): [2048 + 1, 2**15 + 2**4 + 1, -(2**15 + 2**4 + 1)],
    ("i64", "f32"): [2**40 + 2**16 + 1, 2**62 + 2**38 + 1, -(2**62 + 2**38 + 1)],
    ("i32", "f16"): [2**15 + 2**4 + 1, -(2**15 + 2**4 + 1), 2049],
    ("i32", "f32"): [2**24 + 1, 2**30 + 2**6 + 1, -(2**30 + 2**6 + 1)],
    ("f64", "f16"): [1 + 2 ** -11 + 2 ** -30, -(1 + 2 ** -11 + 2 ** -30),
                     1000 + 2 ** -2 + 2 ** -40],
    ("f64", "bf16"): [1 + 2 ** -8 + 2 ** -30, -(1 + 2 ** -8 + 2 ** -30),
                      3 + 2 ** -6 + 2 ** -40],
    ("f64", "f32"): [1 + 2 ** -24 + 2 ** -60, -(1 + 2 ** -24 + 2 ** -60)],
    ("f32", "f16"): [1 + 2 ** -11 + 2 ** -20, 4 + 2 ** -9 + 2 ** -18],
    ("f32", "bf16"): [1 + 2 ** -8 + 2 ** -20, -(1 + 2 ** -8 + 2 ** -20)],
}


@pytest.mark.parametrize("src,dst", list(ROUND_ONCE))
def test_convert_rounds_once(run, src, dst):
    """Narrowing conversions round the exact value once, to nearest even."""
    x = make(ROUND_ONCE[(src, dst)], src)
    (got,) = run(_convert_module(src, [dst]), [x])
    assert_exact(got, _convert_ref(_held(x, src), src, dst), dst, what=f"{src} -> {dst}")


SUBNORMALS = {
    "f16": [2.0 ** -24, -(2.0 ** -24), 3 * 2.0 ** -20, 2.0 ** -15, 1e-5],
    "bf16": [1e-40, -1e-40, 2.0 ** -133, 5e-39],
    "f32": [1e-40, -1e-40, 1e-45, 5e-39, 3 * 2.0 ** -20, 2.0 ** -24],
    "f64": [1e-310, -1e-310, 1e-40, 1e-45, 7e-46, 2.0 ** -25, 2.0 ** -24 * 1.5],
}


@pytest.mark.parametrize("src,dst", [(s, d) for s in FLOATS for d in FLOATS if s != d])
def test_convert_subnormals(run, src, dst):
    """Subnormal inputs and results are kept (no flush to zero)."""
    x = make(SUBNORMALS[src] + [1.0], src)
    (got,) = run(_convert_module(src, [dst]), [x])
    assert_exact(got, _convert_ref(_held(x, src), src, dst), dst, what=f"{src} -> {dst}")


# ===========================================================================
# constant
# ===========================================================================

def test_constants_of_every_type(run):
    """Dense, splat and 0-d constants, returned directly (a global buffer the
    runtime must copy out) and used by an op on a run-time input."""
    consts = [
        ("h", "dense<[1.0, -2.5, 0x7C00, 0x7E00, 6.0e-08]> : tensor<5xf16>", T([5], "f16"),
         make([1.0, -2.5, math.inf, math.nan, 2.0 ** -24], "f16")),
        ("b", "dense<[[1.5, -7.8125e-03], [3.0e+38, 0x7F80]]> : tensor<2x2xbf16>",
         T([2, 2], "bf16"), make([[1.5, -2.0 ** -7], [3.0e38, math.inf]], "bf16")),
        ("s", "dense<0.1> : tensor<3xf32>", T([3], "f32"), make([0.1] * 3, "f32")),
        ("z", "dense<3.25> : tensor<f32>", T([], "f32"), np.float32(3.25)),
        ("d", "dense<[0.1, 1.0e+300, -4.9406564584124654e-324, 0x7FF0000000000000]> "
              ": tensor<4xf64>", T([4], "f64"),
         np.array([0.1, 1e300, -5e-324, math.inf])),
        ("o", "dense<[true, false, true]> : tensor<3xi1>", T([3], "i1"),
         np.array([True, False, True])),
        ("i", "dense<[-2147483648, 2147483647, 7]> : tensor<3xi32>", T([3], "i32"),
         np.array([-2**31, 2**31 - 1, 7], np.int32)),
        ("l", "dense<[[-9223372036854775808, 9223372036854775807], [0, -1]]> : tensor<2x2xi64>",
         T([2, 2], "i64"), np.array([[-2**63, 2**63 - 1], [0, -1]], np.int64)),
        ("e", "dense<7> : tensor<0x3xi64>", T([0, 3], "i64"), np.zeros((0, 3), np.int64)),
    ]
    body = "\n".join(f"  %{n} = mlopt.constant {v}" for n, v, _, _ in consts)
    body += f"\n  %sum = mlopt.add %x, %s : {T([3], 'f32')}"
    results = [(n, t) for n, _, t, _ in consts] + [("sum", T([3], "f32"))]
    x = np.float32([1, 2, 3])
    got = run(module([("x", T([3], "f32"))], results, body), [x])
    for (n, _, t, ref), g in zip(consts, got):
        dtype = t.split("x")[-1].rstrip(">") if "x" in t else t[7:-1]
        assert_exact(g, ref, dtype, what=n)
    assert_exact(got[-1], x + np.float32(0.1), "f32", what="x + constant")


def test_results_that_alias_inputs_or_each_other(run):
    """A function may return an argument, the same value twice, or a view."""
    t = T([2, 3], "f32")
    body = (f"  %y = mlopt.neg %x : {t}\n"
            f"  %r = mlopt.reshape %x : {t} -> {T([6], 'f32')}")
    x = np.arange(6, dtype=np.float32).reshape(2, 3)
    got = run(module([("x", t)], [("x", t), ("y", t), ("y", t), ("r", T([6], "f32")),
                                  ("x", t)], body), [x])
    for g, ref in zip(got, [x, -x, -x, x.ravel(), x]):
        assert_exact(g, ref, "f32")


# ===========================================================================
# Shape ops (every element type)
# ===========================================================================

def rand(dtype, shape, rng, lo=-100, hi=100):
    """Random values of `dtype`, exactly representable in it."""
    if dtype == "i1":
        return rng.random(shape) < 0.5
    if dtype in INTS:
        return rng.integers(lo, hi, shape).astype(NP_DTYPE[dtype])
    return make(np.round(rng.standard_normal(shape) * 50, 2), dtype)


def host(a):
    """An mlopt array as a plain NumPy array (bf16 values as float32)."""
    return np.asarray(a)


@pytest.mark.parametrize("dtype", ALL_TYPES)
def test_broadcast_in_dim(run, dtype):
    D = dtype
    args = [("a", T([3], D)), ("b", T([3, 1], D)), ("s", T([], D)), ("c", T([1, 1], D)),
            ("d", T([None, 1], D)), ("e", T([4], D))]
    results = [("r0", T([2, 3], D)), ("r1", T([3, 4], D)), ("r2", T([2, 3], D)),
               ("r3", T([5, 2, 4], D)), ("r4", T([None, 6], D)), ("r5", T([None, 4], D)),
               ("r6", T([None, 2, None], D)), ("r7", T([2, 3], D))]
    body = f"""  %c0 = arith.constant 0 : index
  %n = tensor.dim %d, %c0 : {T([None, 1], D)}
  %r0 = mlopt.broadcast_in_dim %a, dims = [1] : {T([3], D)} -> {T([2, 3], D)}
  %r1 = mlopt.broadcast_in_dim %b, dims = [0, 1] : {T([3, 1], D)} -> {T([3, 4], D)}
  %r2 = mlopt.broadcast_in_dim %s, dims = [] : {T([], D)} -> {T([2, 3], D)}
  %r3 = mlopt.broadcast_in_dim %c, dims = [0, 2] : {T([1, 1], D)} -> {T([5, 2, 4], D)}
  %r4 = mlopt.broadcast_in_dim %d, dims = [0, 1] sizes(%n) : {T([None, 1], D)} -> {T([None, 6], D)}
  %r5 = mlopt.broadcast_in_dim %e, dims = [1] sizes(%n) : {T([4], D)} -> {T([None, 4], D)}
  %r6 = mlopt.broadcast_in_dim %s, dims = [] sizes(%n, %n) : {T([], D)} -> {T([None, 2, None], D)}
  %t = mlopt.transpose %b, permutation = [1, 0] : {T([3, 1], D)} -> {T([1, 3], D)}
  %r7 = mlopt.broadcast_in_dim %t, dims = [0, 1] : {T([1, 3], D)} -> {T([2, 3], D)}"""
    src = module(args, results, body)
    rng = np.random.default_rng(seed("broadcast", dtype))
    a, b, s, c, e = (rand(D, sh, rng) for sh in [(3,), (3, 1), (), (1, 1), (4,)])
    for n in (3, 1, 0):  # one compiled function, several sizes
        d = rand(D, (n, 1), rng)
        got = run(src, [a, b, s, c, d, e])
        refs = [np.broadcast_to(host(a), (2, 3)), np.broadcast_to(host(b), (3, 4)),
                np.broadcast_to(host(s), (2, 3)),
                np.broadcast_to(host(c).reshape(1, 1, 1), (5, 2, 4)),
                np.broadcast_to(host(d), (n, 6)), np.broadcast_to(host(e), (n, 4)),
                np.broadcast_to(host(s), (n, 2, n)),
                np.broadcast_to(host(b).T, (2, 3))]
        for i, (g, ref) in enumerate(zip(got, refs)):
            assert_exact(g, ref, D, what=f"r{i} (n={n})")


@pytest.mark.parametrize("dtype", ALL_TYPES)
def test_reshape(run, dtype):
    D = dtype
    args = [("x", T([2, 3, 4], D)), ("y", T([None, 4], D)), ("s", T([1], D))]
    results = [("r0", T([6, 4], D)), ("r1", T([24], D)), ("r2", T([4, 3, 2], D)),
               ("r3", T([], D)), ("r4", T([None], D)), ("r5", T([2, None], D)),
               ("r6", T([None, 2, 2], D)), ("r7", T([1, 1, 1], D))]
    body = f"""  %c0 = arith.constant 0 : index
  %c2 = arith.constant 2 : index
  %c4 = arith.constant 4 : index
  %n = tensor.dim %y, %c0 : {T([None, 4], D)}
  %m = arith.muli %n, %c4 : index
  %h = arith.muli %n, %c2 : index
  %r0 = mlopt.reshape %x : {T([2, 3, 4], D)} -> {T([6, 4], D)}
  %r1 = mlopt.reshape %x : {T([2, 3, 4], D)} -> {T([24], D)}
  %r2 = mlopt.reshape %x : {T([2, 3, 4], D)} -> {T([4, 3, 2], D)}
  %r3 = mlopt.reshape %s : {T([1], D)} -> {T([], D)}
  %r4 = mlopt.reshape %y sizes(%m) : {T([None, 4], D)} -> {T([None], D)}
  %r5 = mlopt.reshape %y sizes(%h) : {T([None, 4], D)} -> {T([2, None], D)}
  %r6 = mlopt.reshape %y sizes(%n) : {T([None, 4], D)} -> {T([None, 2, 2], D)}
  %r7 = mlopt.reshape %r3 : {T([], D)} -> {T([1, 1, 1], D)}"""
    src = module(args, results, body)
    rng = np.random.default_rng(seed("reshape", dtype))
    x, s = rand(D, (2, 3, 4), rng), rand(D, (1,), rng)
    for n in (5, 0):
        y = rand(D, (n, 4), rng)
        got = run(src, [x, y, s])
        hx, hy = host(x), host(y)
        refs = [hx.reshape(6, 4), hx.reshape(24), hx.reshape(4, 3, 2), host(s).reshape(()),
                hy.reshape(-1), hy.reshape(2, 2 * n), hy.reshape(n, 2, 2),
                host(s).reshape(1, 1, 1)]
        for i, (g, ref) in enumerate(zip(got, refs)):
            assert_exact(g, ref, D, what=f"r{i} (n={n})")


@pytest.mark.parametrize("dtype", ALL_TYPES)
def test_transpose(run, dtype):
    D = dtype
    sh = (3, 17, 10)
    perms = [[0, 2, 1], [2, 0, 1], [1, 2, 0], [2, 1, 0]]
    args = [("x", T(sh, D)), ("y", T([None, 5], D))]
    results = [(f"r{i}", T([sh[p] for p in perm], D)) for i, perm in enumerate(perms)]
    results.append(("ry", T([5, None], D)))
    body = "\n".join(f"  %r{i} = mlopt.transpose %x, permutation = {perm} : {T(sh, D)} -> "
                     f"{T([sh[p] for p in perm], D)}" for i, perm in enumerate(perms))
    body += f"\n  %ry = mlopt.transpose %y, permutation = [1, 0] : {T([None, 5], D)} -> {T([5, None], D)}"
    src = module(args, results, body)
    rng = np.random.default_rng(seed("transpose", dtype))
    x = rand(D, sh, rng)
    for n in (9, 1):
        y = rand(D, (n, 5), rng)
        got = run(src, [x, y])
        refs = [host(x).transpose(p) for p in perms] + [host(y).T]
        for i, (g, ref) in enumerate(zip(got, refs)):
            assert_exact(g, ref, D, what=f"r{i} (n={n})")


@pytest.mark.parametrize("dtype", ALL_TYPES)
def test_slice(run, dtype):
    D = dtype
    cases = [  # (start, limit, step) on x[7, 10]
        ([0, 1], [7, 10], [1, 2]), ([2, 3], [7, 9], [3, 4]), ([3, 0], [3, 10], [1, 1]),
        ([6, 9], [7, 10], [5, 7]), ([0, 0], [7, 10], [7, 10]), ([1, 2], [6, 8], [1, 1])]

    def out_shape(start, limit, step):
        return [-(-(lim - st) // sp) for st, lim, sp in zip(start, limit, step)]

    args = [("x", T([7, 10], D)), ("y", T([None, 9], D))]
    results = [(f"r{i}", T(out_shape(*c), D)) for i, c in enumerate(cases)]
    results.append(("ry", T([2, 3], D)))
    body = "\n".join(f"  %r{i} = mlopt.slice %x, start = {c[0]}, limit = {c[1]}, step = {c[2]} "
                     f": {T([7, 10], D)} -> {T(out_shape(*c), D)}" for i, c in enumerate(cases))
    body += (f"\n  %ry = mlopt.slice %y, start = [1, 1], limit = [3, 9], step = [1, 3] "
             f": {T([None, 9], D)} -> {T([2, 3], D)}")
    src = module(args, results, body)
    rng = np.random.default_rng(seed("slice", dtype))
    x = rand(D, (7, 10), rng)
    for n in (3, 8):
        y = rand(D, (n, 9), rng)
        got = run(src, [x, y])
        refs = [host(x)[st[0]:lim[0]:sp[0], st[1]:lim[1]:sp[1]] for st, lim, sp in cases]
        refs.append(host(y)[1:3, 1:9:3])
        for i, (g, ref) in enumerate(zip(got, refs)):
            assert_exact(g, ref, D, what=f"r{i} (n={n})")


@pytest.mark.parametrize("dtype", ALL_TYPES)
def test_concat(run, dtype):
    D = dtype
    args = [("a", T([2, 3], D)), ("b", T([2, 5], D)), ("c", T([None, 3], D)),
            ("e", T([0, 3], D))]
    results = [("r0", T([2, 8], D)), ("r1", T([None, 3], D)), ("r2", T([2, 3], D)),
               ("r3", T([None, 6], D)), ("r4", T([2, 16], D))]
    body = f"""  %r0 = mlopt.concat %a, %b dim = 1 : {T([2, 3], D)}, {T([2, 5], D)} -> {T([2, 8], D)}
  %r1 = mlopt.concat %a, %c, %a dim = 0 : {T([2, 3], D)}, {T([None, 3], D)}, {T([2, 3], D)} -> {T([None, 3], D)}
  %r2 = mlopt.concat %e, %a, %e dim = 0 : {T([0, 3], D)}, {T([2, 3], D)}, {T([0, 3], D)} -> {T([2, 3], D)}
  %r3 = mlopt.concat %c, %c dim = 1 : {T([None, 3], D)}, {T([None, 3], D)} -> {T([None, 6], D)}
  %r4 = mlopt.concat %b, %a, %b, %a dim = 1 : {T([2, 5], D)}, {T([2, 3], D)}, {T([2, 5], D)}, {T([2, 3], D)} -> {T([2, 16], D)}"""
    src = module(args, results, body)
    rng = np.random.default_rng(seed("concat", dtype))
    a, b, e = rand(D, (2, 3), rng), rand(D, (2, 5), rng), rand(D, (0, 3), rng)
    for n in (4, 0):
        c = rand(D, (n, 3), rng)
        got = run(src, [a, b, c, e])
        A, B, C = host(a), host(b), host(c)
        refs = [np.concatenate([A, B], 1), np.concatenate([A, C, A], 0), A,
                np.concatenate([C, C], 1), np.concatenate([B, A, B, A], 1)]
        for i, (g, ref) in enumerate(zip(got, refs)):
            assert_exact(g, ref, D, what=f"r{i} (n={n})")


@pytest.mark.parametrize("dtype", ALL_TYPES)
def test_pad(run, dtype):
    D = dtype
    args = [("x", T([3, 4], D)), ("v", T([], D)), ("e", T([0, 2], D)),
            ("z", T([2, 1, 3], D))]
    results = [("r0", T([6, 7], D)), ("r1", T([3, 4], D)), ("r2", T([3, 4], D)),
               ("r3", T([2, 4, 3], D))]
    body = f"""  %r0 = mlopt.pad %x, %v, low = [1, 0], high = [2, 3] : {T([3, 4], D)}, {T([], D)} -> {T([6, 7], D)}
  %r1 = mlopt.pad %x, %v, low = [0, 0], high = [0, 0] : {T([3, 4], D)}, {T([], D)} -> {T([3, 4], D)}
  %r2 = mlopt.pad %e, %v, low = [2, 1], high = [1, 1] : {T([0, 2], D)}, {T([], D)} -> {T([3, 4], D)}
  %r3 = mlopt.pad %z, %v, low = [0, 1, 0], high = [0, 2, 0] : {T([2, 1, 3], D)}, {T([], D)} -> {T([2, 4, 3], D)}"""
    rng = np.random.default_rng(seed("pad", dtype))
    x, z, e = rand(D, (3, 4), rng), rand(D, (2, 1, 3), rng), rand(D, (0, 2), rng)
    v = make(math.nan, D) if D in FLOATS else rand(D, (), rng)
    got = run(module(args, results, body), [x, v, e, z])
    pv = host(v).item()
    refs = [np.pad(host(x), [(1, 2), (0, 3)], constant_values=pv), host(x),
            np.full((3, 4), pv), np.pad(host(z), [(0, 0), (1, 2), (0, 0)], constant_values=pv)]
    for i, (g, ref) in enumerate(zip(got, refs)):
        assert_exact(g, ref.astype(host(x).dtype), D, what=f"r{i}")


@pytest.mark.parametrize("dtype", ["f32", "i1"])
def test_pad_dynamic(run, dtype):
    D = dtype
    args = [("y", T([None, 2], D)), ("v", T([], D))]
    body = (f"  %r = mlopt.pad %y, %v, low = [2, 1], high = [0, 1] : {T([None, 2], D)}, "
            f"{T([], D)} -> {T([None, 4], D)}")
    src = module(args, [("r", T([None, 4], D))], body)
    rng = np.random.default_rng(1)
    v = rand(D, (), rng)
    for n in (3, 0):
        y = rand(D, (n, 2), rng)
        (got,) = run(src, [y, v])
        ref = np.pad(host(y), [(2, 0), (1, 1)], constant_values=host(v).item())
        assert_exact(got, ref, D, what=f"n={n}")


def _gather_ref(x, idx, dim):
    """torch.gather: the index may be smaller than x in the other dims."""
    x = host(x)
    sl = tuple(slice(None) if d == dim else slice(0, idx.shape[d]) for d in range(x.ndim))
    return np.take_along_axis(x[sl], idx.astype(np.int64), axis=dim)


@pytest.mark.parametrize("dtype", ALL_TYPES)
def test_gather(run, dtype):
    D = dtype
    args = [("x", T([4, 6], D)), ("i", T([4, 3], "i64")), ("j", T([2, 6], "i32")),
            ("y", T([None, 5], D)), ("k", T([None, 2], "i64")), ("m", T([2, 2], "i64")),
            ("w", T([2, 3, 4], D)), ("q", T([2, 2, 4], "i32"))]
    results = [("r0", T([4, 3], D)), ("r1", T([2, 6], D)), ("r2", T([None, 2], D)),
               ("r3", T([2, 2], D)), ("r4", T([2, 2, 4], D))]
    body = f"""  %r0 = mlopt.gather %x, %i, dim = 1 : {T([4, 6], D)}, {T([4, 3], 'i64')} -> {T([4, 3], D)}
  %r1 = mlopt.gather %x, %j, dim = 0 : {T([4, 6], D)}, {T([2, 6], 'i32')} -> {T([2, 6], D)}
  %r2 = mlopt.gather %y, %k, dim = 1 : {T([None, 5], D)}, {T([None, 2], 'i64')} -> {T([None, 2], D)}
  %r3 = mlopt.gather %x, %m, dim = 1 : {T([4, 6], D)}, {T([2, 2], 'i64')} -> {T([2, 2], D)}
  %r4 = mlopt.gather %w, %q, dim = 1 : {T([2, 3, 4], D)}, {T([2, 2, 4], 'i32')} -> {T([2, 2, 4], D)}"""
    src = module(args, results, body)
    rng = np.random.default_rng(seed("gather", dtype))
    x, w = rand(D, (4, 6), rng), rand(D, (2, 3, 4), rng)
    i = rng.integers(0, 6, (4, 3))
    j = rng.integers(0, 4, (2, 6)).astype(np.int32)
    m = np.array([[5, 0], [2, 2]])
    q = rng.integers(0, 3, (2, 2, 4)).astype(np.int32)
    for n in (3, 1):
        y, k = rand(D, (n, 5), rng), rng.integers(0, 5, (n, 2))
        got = run(src, [x, i, j, y, k, m, w, q])
        refs = [_gather_ref(x, i, 1), _gather_ref(x, j, 0), _gather_ref(y, k, 1),
                _gather_ref(x, m, 1), _gather_ref(w, q, 1)]
        for r, (g, ref) in enumerate(zip(got, refs)):
            assert_exact(g, ref, D, what=f"r{r} (n={n})")


@pytest.mark.parametrize("dtype", ALL_TYPES)
def test_index_select(run, dtype):
    D = dtype
    args = [("x", T([5, 4], D)), ("i", T([7], "i64")), ("j", T([3], "i32")),
            ("k", T([None], "i64")), ("z", T([2, 5, 3], D))]
    results = [("r0", T([7, 4], D)), ("r1", T([5, 3], D)), ("r2", T([None, 4], D)),
               ("r3", T([2, 3, 3], D)), ("r4", T([2, 5, None], D))]
    body = f"""  %r0 = mlopt.index_select %x, %i, dim = 0 : {T([5, 4], D)}, {T([7], 'i64')} -> {T([7, 4], D)}
  %r1 = mlopt.index_select %x, %j, dim = 1 : {T([5, 4], D)}, {T([3], 'i32')} -> {T([5, 3], D)}
  %r2 = mlopt.index_select %x, %k, dim = 0 : {T([5, 4], D)}, {T([None], 'i64')} -> {T([None, 4], D)}
  %r3 = mlopt.index_select %z, %j, dim = 1 : {T([2, 5, 3], D)}, {T([3], 'i32')} -> {T([2, 3, 3], D)}
  %r4 = mlopt.index_select %z, %k, dim = 2 : {T([2, 5, 3], D)}, {T([None], 'i64')} -> {T([2, 5, None], D)}"""
    src = module(args, results, body)
    rng = np.random.default_rng(seed("index_select", dtype))
    x, z = rand(D, (5, 4), rng), rand(D, (2, 5, 3), rng)
    i = np.array([4, 0, 0, 3, 4, 1, 0])  # repeats
    j = np.array([3, 0, 2], np.int32)
    for k in (np.array([2, 2, 0]), np.array([], np.int64)):
        got = run(src, [x, i, j, k, z])
        refs = [host(x)[i], host(x)[:, j], host(x)[k], host(z)[:, j], host(z)[:, :, k]]
        for r, (g, ref) in enumerate(zip(got, refs)):
            assert_exact(g, ref, D, what=f"r{r} (len k={len(k)})")


def _scatter_add_ref(acc, idx, src, dim, dtype):
    out = host(acc).astype(np.float64 if dtype in FLOATS else object).copy()
    s = host(src)
    for pos in np.ndindex(*idx.shape):
        target = list(pos)
        target[dim] = int(idx[pos])
        out[tuple(target)] += s[pos] if dtype in FLOATS else int(s[pos])
    if dtype in INTS:
        return wrap(out.ravel(), dtype).reshape(out.shape)
    return out


@pytest.mark.parametrize("dtype", NUMERIC)
def test_scatter_add(run, dtype):
    """Repeated indices accumulate; the index may be smaller than src and
    input. Float values are multiples of 1/4 so every sum is exact."""
    D = dtype
    args = [("a", T([6, 4], D)), ("i", T([5, 4], "i64")), ("s", T([5, 4], D)),
            ("b", T([3, 7], D)), ("j", T([2, 3], "i32")), ("t", T([3, 5], D)),
            ("c", T([None, 4], D)), ("k", T([None, 4], "i64")), ("u", T([None, 4], D))]
    results = [("r0", T([6, 4], D)), ("r1", T([3, 7], D)), ("r2", T([None, 4], D))]
    body = f"""  %r0 = mlopt.scatter_add %a, %i, %s, dim = 0 : {T([6, 4], D)}, {T([5, 4], 'i64')}, {T([5, 4], D)} -> {T([6, 4], D)}
  %r1 = mlopt.scatter_add %b, %j, %t, dim = 1 : {T([3, 7], D)}, {T([2, 3], 'i32')}, {T([3, 5], D)} -> {T([3, 7], D)}
  %r2 = mlopt.scatter_add %c, %k, %u, dim = 0 : {T([None, 4], D)}, {T([None, 4], 'i64')}, {T([None, 4], D)} -> {T([None, 4], D)}"""
    src = module(args, results, body)
    rng = np.random.default_rng(seed("scatter_add", dtype))

    def values(shape):
        if D in INTS:
            return rng.integers(-50, 50, shape).astype(NP_DTYPE[D])
        return make(rng.integers(-40, 40, shape) / 4, D)

    a, s, b, t = values((6, 4)), values((5, 4)), values((3, 7)), values((3, 5))
    if D in INTS:  # wraparound
        bits = INT_BITS[D]
        a[0, 0], s[:, 0] = (1 << (bits - 1)) - 1, 1
    i = np.array([[0, 1, 5, 5], [0, 1, 5, 2], [0, 3, 5, 2], [1, 3, 4, 2], [0, 0, 0, 0]])
    j = np.array([[6, 6, 0], [6, 1, 0]], np.int32)
    for n_acc, n_idx in ((5, 3), (2, 4)):
        c, u = values((n_acc, 4)), values((n_idx, 4))
        k = rng.integers(0, n_acc, (n_idx, 4))
        got = run(src, [a, i, s, b, j, t, c, k, u])
        refs = [_scatter_add_ref(a, i, s, 0, D), _scatter_add_ref(b, j, t, 1, D),
                _scatter_add_ref(c, k, u, 0, D)]
        for r, (g, ref) in enumerate(zip(got, refs)):
            assert_exact(g, ref, D, what=f"r{r} ({n_acc} rows, {n_idx} index rows)")


@pytest.mark.parametrize("dtype", NUMERIC)
def test_iota(run, dtype):
    """Static and dynamic sizes; the index converts like `convert` (nearest
    even for floats: 257 -> 256 in bf16, 2049 -> 2048 in f16)."""
    D = dtype
    args = [("x", T([None, 3], "f32"))]
    results = [("r0", T([5], D)), ("r1", T([2, 3], D)), ("r2", T([None, 4], D)),
               ("r3", T([None, None], D)), ("r4", T([1, 2100], D))]
    body = f"""  %c0 = arith.constant 0 : index
  %n = tensor.dim %x, %c0 : {T([None, 3], 'f32')}
  %r0 = mlopt.iota dim = 0 : {T([5], D)}
  %r1 = mlopt.iota dim = 1 : {T([2, 3], D)}
  %r2 = mlopt.iota dim = 0 sizes(%n) : {T([None, 4], D)}
  %r3 = mlopt.iota dim = 1 sizes(%n, %n) : {T([None, None], D)}
  %r4 = mlopt.iota dim = 1 : {T([1, 2100], D)}"""
    src = module(args, results, body)
    for n in (6, 0):
        got = run(src, [np.zeros((n, 3), np.float32)])
        refs = [np.arange(5), np.broadcast_to(np.arange(3), (2, 3)),
                np.broadcast_to(np.arange(n)[:, None], (n, 4)),
                np.broadcast_to(np.arange(n), (n, n)), np.arange(2100)[None, :]]
        for r, (g, ref) in enumerate(zip(got, refs)):
            if D in FLOATS:
                ref = round_exact([int(v) for v in ref.ravel()], D).reshape(ref.shape)
            assert_exact(g, ref, D, what=f"r{r} (n={n})")


# ===========================================================================
# Reductions
# ===========================================================================

REDUCE_VARIANTS = [  # (dims, keepdim) on x[n, 5, 6]
    ([1], False), ([0, 2], True), ([0, 1, 2], False), ([2], True), ([], False)]


def _reduced_shape(shape, dims, keepdim):
    return [1 if d in dims else s for d, s in enumerate(shape)] if keepdim else \
        [s for d, s in enumerate(shape) if d not in dims]


def _reduce_module(ops, dtype, shape):
    args = [("x", T(shape, dtype))]
    results, lines = [], []
    for op in ops:
        for v, (dims, keep) in enumerate(REDUCE_VARIANTS):
            rt = T(_reduced_shape(shape, dims, keep), dtype)
            results.append((f"{op}{v}", rt))
            lines.append(f"  %{op}{v} = mlopt.{op} %x, dims = {dims}{' keepdim' if keep else ''}"
                         f" : {T(shape, dtype)} -> {rt}")
    return module(args, results, "\n".join(lines))


def _np_reduce(op, x, dims, keep, dtype):
    """float64 (floats) or exact wrapped (ints) reference."""
    axis = tuple(dims)
    if dtype in INTS:
        bits = INT_BITS[dtype]
        lo, hi = -(1 << (bits - 1)), (1 << (bits - 1)) - 1
        obj = x.astype(object)
        if op == "sum":
            r = np.sum(obj, axis=axis, keepdims=keep, initial=0)
        elif op == "prod":
            r = np.prod(obj, axis=axis, keepdims=keep, initial=1)
        elif op == "max":
            r = np.max(obj, axis=axis, keepdims=keep, initial=lo)
        else:
            r = np.min(obj, axis=axis, keepdims=keep, initial=hi)
        r = np.asarray(r, dtype=object)
        return wrap(r.ravel(), dtype).reshape(r.shape)
    x = x.astype(np.float64)
    fn = {"sum": (np.sum, 0.0), "prod": (np.prod, 1.0), "max": (np.max, -np.inf),
          "min": (np.min, np.inf)}[op]
    return np.asarray(fn[0](x, axis=axis, keepdims=keep, initial=fn[1]))


@pytest.mark.parametrize("dtype", NUMERIC)
def test_reductions(run, dtype):
    """sum prod max min over one dim, several dims with keepdim, all dims
    (0-d result) and no dims; on 3 and on 0 rows (the identity)."""
    ops = ["sum", "prod", "max", "min"]
    src = _reduce_module(ops, dtype, [None, 5, 6])
    rng = np.random.default_rng(seed("reduce", dtype))
    for n in (3, 0):
        if dtype in INTS:  # products of 90 values in [-3, 3] wrap
            x = rng.integers(-3, 4, (n, 5, 6)).astype(NP_DTYPE[dtype])
            x[x == 0] = 1
        else:
            x = make(rng.uniform(0.5, 1.5, (n, 5, 6)) * rng.choice([-1, 1], (n, 5, 6)), dtype)
        got = iter(run(src, [x]))
        xh = host(x)
        acc = "f32" if dtype in ("f16", "bf16") else dtype
        for op in ops:
            for dims, keep in REDUCE_VARIANTS:
                g = next(got)
                ref = _np_reduce(op, xh, dims, keep, dtype)
                what = f"{op} dims={dims} keepdim={keep} n={n}"
                if dtype in INTS or op in ("max", "min") or not dims:
                    assert_exact(g, ref, dtype, what=what)
                    continue
                count = int(np.prod([xh.shape[d] for d in dims]))
                if op == "sum":
                    absum = _np_reduce("sum", np.abs(xh.astype(np.float64)), dims, keep, "f64")
                    assert_close(g, ref, dtype, rtol=EPS[dtype],
                                 atol=count * EPS[acc] * absum + TINY[dtype], what=what)
                else:
                    assert_close(g, ref, dtype, rtol=(count + 1) * EPS[acc] + EPS[dtype],
                                 atol=TINY[dtype], what=what)


@pytest.mark.parametrize("dtype", FLOATS)
def test_reductions_nan_and_inf(run, dtype):
    """max/min propagate NaN; sum/prod follow IEEE (inf - inf, 0 * inf = NaN)."""
    nan, inf = math.nan, math.inf
    rows = [[1, nan, 3, -2], [inf, 2, -1, 0], [-inf, -inf, 1, 2], [inf, -inf, 1, 1],
            [nan, nan, nan, nan], [0, inf, 2, 2], [-0.0, 0.0, -0.0, -0.0], [-inf] * 4]
    x = make(rows, dtype)
    t = T([8, None], dtype)
    ops = ["sum", "prod", "max", "min"]
    body = "\n".join(f"  %{op} = mlopt.{op} %x, dims = [1] : {t} -> {T([8], dtype)}" for op in ops)
    got = run(module([("x", t)], [(op, T([8], dtype)) for op in ops], body), [x])
    with np.errstate(invalid="ignore"):
        refs = [np.sum(np.asarray(x, np.float64), 1), np.prod(np.asarray(x, np.float64), 1),
                np.max(np.asarray(x, np.float64), 1), np.min(np.asarray(x, np.float64), 1)]
    for op, g, ref in zip(ops, got, refs):
        assert_exact(g, ref, dtype, what=op)


def test_any_all(run):
    shape = [None, 4, 3]
    args = [("x", T(shape, "i1"))]
    results, lines = [], []
    for op in ("any", "all"):
        for v, (dims, keep) in enumerate(REDUCE_VARIANTS):
            rt = T(_reduced_shape(shape, dims, keep), "i1")
            results.append((f"{op}{v}", rt))
            lines.append(f"  %{op}{v} = mlopt.{op} %x, dims = {dims}{' keepdim' if keep else ''}"
                         f" : {T(shape, 'i1')} -> {rt}")
    src = module(args, results, "\n".join(lines))
    rng = np.random.default_rng(7)
    for n in (5, 1, 0):
        x = rng.random((n, 4, 3)) < 0.8
        x[0:1, 0] = True  # an all-true row
        got = iter(run(src, [x]))
        for fn in (np.any, np.all):
            for dims, keep in REDUCE_VARIANTS:
                ref = fn(x, axis=tuple(dims), keepdims=keep) if dims else x
                assert_exact(next(got), ref, "i1", what=f"{fn.__name__} {dims} n={n}")


@pytest.mark.parametrize("dtype", NUMERIC)
def test_argmax_argmin(run, dtype):
    """First index on ties, the first NaN if there is one; keepdim; a row of
    only -inf (argmax) or +inf (argmin) gives 0."""
    D = dtype
    t = T([None, 7], D)
    results = [("a0", T([None], "i64")), ("a1", T([None], "i64")),
               ("a2", T([1, 7], "i64")), ("a3", T([1, 7], "i64")),
               ("a4", T([None, 1], "i64"))]
    body = f"""  %a0 = mlopt.argmax %x, dim = 1 : {t} -> {T([None], 'i64')}
  %a1 = mlopt.argmin %x, dim = 1 : {t} -> {T([None], 'i64')}
  %a2 = mlopt.argmax %x, dim = 0 keepdim : {t} -> {T([1, 7], 'i64')}
  %a3 = mlopt.argmin %x, dim = 0 keepdim : {t} -> {T([1, 7], 'i64')}
  %a4 = mlopt.argmin %x, dim = 1 keepdim : {t} -> {T([None, 1], 'i64')}"""
    src = module([("x", t)], results, body)
    rng = np.random.default_rng(seed("arg", dtype))
    nan, inf = math.nan, math.inf
    if D in INTS:
        bits = INT_BITS[D]
        lo, hi = -(1 << (bits - 1)), (1 << (bits - 1)) - 1
        special = [[lo] * 7, [hi] * 7, [3, 1, hi, 0, hi, lo, lo]]
    else:
        special = [[1, nan, 3, nan, 5, 5, 0], [-inf] * 7, [inf] * 7,
                   [2, 2, inf, -inf, inf, -inf, nan], [nan, 1, 2, 3, 4, 5, 6],
                   [0.0, -0.0, 0.0, -1, -1, 1, 1]]
    for n in (10, 1):
        x = rng.integers(-2, 3, (n, 7)).astype(np.float64 if D in FLOATS else NP_DTYPE[D])
        if n >= len(special):
            x[:len(special)] = np.array(special, dtype=x.dtype)
        x = make(x, D)
        got = run(src, [x])
        xr = np.asarray(x, np.float64) if D in FLOATS else host(x)
        refs = [np.argmax(xr, 1), np.argmin(xr, 1), np.argmax(xr, 0)[None, :],
                np.argmin(xr, 0)[None, :], np.argmin(xr, 1)[:, None]]
        for i, (g, ref) in enumerate(zip(got, refs)):
            assert_exact(g, ref.astype(np.int64), "i64", what=f"a{i} n={n}")


# ===========================================================================
# matmul
# ===========================================================================

MATMUL_CASES = {  # name: (lhs type shape, rhs type shape, (lhs, rhs) run shapes...)
    "2d": ([None, 7], [7, 5], [((4, 7), (7, 5)), ((1, 7), (7, 5))]),
    "2d_all_dynamic": ([None, None], [None, None], [((3, 16), (16, 9)), ((2, 1), (1, 1))]),
    "batched": ([3, 4, 6], [3, 6, 5], [((3, 4, 6), (3, 6, 5))]),
    "broadcast_batch": ([2, 1, 4, 6], [3, 6, 5], [((2, 1, 4, 6), (3, 6, 5))]),
    "rank3_lhs_rank2_rhs": ([2, None, 6], [6, 5], [((2, 3, 6), (6, 5)), ((2, 0, 6), (6, 5))]),
    "rank2_lhs_rank3_rhs": ([4, 6], [3, 6, 5], [((4, 6), (3, 6, 5))]),
    "size1_batch_both": ([1, 3, 4], [1, 4, 2], [((1, 3, 4), (1, 4, 2))]),
    "k0": ([3, 0], [0, 4], [((3, 0), (0, 4))]),
    "dynamic_batch": ([None, 3, 4], [None, 4, 2], [((2, 3, 4), (2, 4, 2)), ((0, 3, 4), (0, 4, 2))]),
    "large": ([None, 64], [64, 48], [((33, 64), (64, 48))]),
}


def _matmul_out_type(lt, rt):
    batch_l, batch_r = lt[:-2], rt[:-2]
    rank = max(len(batch_l), len(batch_r))
    batch_l = [1] * (rank - len(batch_l)) + list(batch_l)
    batch_r = [1] * (rank - len(batch_r)) + list(batch_r)
    batch = [b if a == 1 else a for a, b in zip(batch_l, batch_r)]
    return batch + [lt[-2], rt[-1]]


@pytest.mark.parametrize("dtype", NUMERIC)
@pytest.mark.parametrize("case", list(MATMUL_CASES))
def test_matmul(run, case, dtype):
    lt, rt, shapes = MATMUL_CASES[case]
    ot = _matmul_out_type(lt, rt)
    src = module([("a", T(lt, dtype)), ("b", T(rt, dtype))], [("c", T(ot, dtype))],
                 f"  %c = mlopt.matmul %a, %b : {T(lt, dtype)}, {T(rt, dtype)} -> {T(ot, dtype)}")
    rng = np.random.default_rng(seed("matmul", case, dtype))
    for ls, rs in shapes:
        if dtype in INTS:  # large enough for i32 products and sums to wrap
            hi = 70000 if dtype == "i32" else 2**40
            a = rng.integers(-hi, hi, ls, dtype=np.int64).astype(NP_DTYPE[dtype])
            b = rng.integers(-hi, hi, rs, dtype=np.int64).astype(NP_DTYPE[dtype])
        else:
            a, b = make(rng.standard_normal(ls), dtype), make(rng.standard_normal(rs), dtype)
        (got,) = run(src, [a, b])
        if dtype in INTS:
            ref = np.matmul(host(a).astype(object), host(b).astype(object))
            ref = np.asarray(ref, dtype=object)
            assert_exact(got, wrap(ref.ravel(), dtype).reshape(ref.shape), dtype, what=case)
            continue
        a64, b64 = np.asarray(a, np.float64), np.asarray(b, np.float64)
        ref = np.matmul(a64, b64)
        bound = np.matmul(np.abs(a64), np.abs(b64))
        k = ls[-1]
        acc = "f32" if dtype in ("f16", "bf16") else dtype
        assert_close(got, ref, dtype, rtol=EPS[dtype],
                     atol=(k + 1) * EPS[acc] * bound + TINY[dtype], what=f"{case} {ls}x{rs}")


# ===========================================================================
# conv2d
# ===========================================================================

CONV_CASES = {  # name: (x shape, w shape, stride, padding, dilation, groups)
    "basic": ((2, 3, 9, 9), (4, 3, 3, 3), [1, 1], [0, 0], [1, 1], 1),
    "stride": ((2, 3, 9, 10), (4, 3, 3, 3), [2, 3], [0, 0], [1, 1], 1),
    "padding": ((1, 2, 6, 7), (3, 2, 3, 3), [1, 1], [1, 2], [1, 1], 1),
    "stride_padding": ((2, 3, 9, 9), (5, 3, 3, 2), [2, 1], [1, 2], [1, 1], 1),
    "dilation": ((1, 3, 11, 12), (4, 3, 3, 3), [1, 1], [2, 0], [2, 3], 1),
    "groups": ((2, 6, 7, 7), (9, 2, 3, 3), [1, 1], [1, 1], [1, 1], 3),
    "depthwise": ((1, 4, 8, 8), (8, 1, 3, 3), [2, 2], [1, 1], [1, 1], 4),
    "kernel_1x1": ((2, 5, 4, 3), (6, 5, 1, 1), [1, 1], [0, 0], [1, 1], 1),
    "kernel_is_input": ((1, 2, 3, 3), (2, 2, 3, 3), [1, 1], [0, 0], [1, 1], 1),
    "everything": ((2, 4, 13, 11), (6, 2, 3, 2), [2, 3], [2, 1], [2, 2], 2),
    "dilation_no_padding": ((1, 3, 11, 12), (4, 3, 3, 3), [1, 1], [0, 0], [2, 3], 1),
    "groups_no_padding": ((2, 6, 7, 7), (9, 2, 3, 3), [2, 1], [0, 0], [1, 1], 3),
}


def _conv_out(xs, ws, stride, padding, dilation):
    return [xs[0], ws[0]] + [
        (xs[2 + i] + 2 * padding[i] - dilation[i] * (ws[2 + i] - 1) - 1) // stride[i] + 1
        for i in range(2)]


def _conv_src(case, dtype, dynamic_batch=False):
    xs, ws, stride, padding, dilation, groups = CONV_CASES[case]
    os_ = _conv_out(xs, ws, stride, padding, dilation)
    xt = T([None] + list(xs[1:]) if dynamic_batch else xs, dtype)
    ot = T([None] + os_[1:] if dynamic_batch else os_, dtype)
    wt = T(ws, dtype)
    return module([("x", xt), ("w", wt)], [("y", ot)],
                  f"  %y = mlopt.conv2d %x, %w, stride = {stride}, padding = {padding}, "
                  f"dilation = {dilation}, groups = {groups} : {xt}, {wt} -> {ot}")


def _check_conv(got, x, w, case, dtype):
    _, _, stride, padding, dilation, groups = CONV_CASES[case]
    ref = conv2d_reference(x, w, stride, padding, dilation, groups)
    bound = conv2d_reference(np.abs(np.asarray(x, np.float64)), np.abs(np.asarray(w, np.float64)),
                        stride, padding, dilation, groups)
    k = int(np.prod(CONV_CASES[case][1][1:]))
    acc = "f32" if dtype in ("f16", "bf16") else dtype
    assert_close(got, ref, dtype, rtol=EPS[dtype],
                 atol=(k + 1) * EPS[acc] * bound + TINY[dtype], what=case)


@pytest.mark.parametrize("case", list(CONV_CASES))
def test_conv2d_f32(run, case):
    xs, ws = CONV_CASES[case][:2]
    rng = np.random.default_rng(seed("conv", case))
    x, w = make(rng.standard_normal(xs), "f32"), make(rng.standard_normal(ws), "f32")
    (got,) = run(_conv_src(case, "f32"), [x, w])
    _check_conv(got, x, w, case, "f32")


@pytest.mark.parametrize("dtype", ["f16", "bf16", "f64"])
@pytest.mark.parametrize("case", ["stride_padding", "groups", "everything"])
def test_conv2d_other_types(run, case, dtype):
    xs, ws = CONV_CASES[case][:2]
    rng = np.random.default_rng(seed("conv", case, dtype))
    x, w = make(rng.standard_normal(xs), dtype), make(rng.standard_normal(ws), dtype)
    (got,) = run(_conv_src(case, dtype), [x, w])
    _check_conv(got, x, w, case, dtype)


@pytest.mark.parametrize("case", ["basic", "stride", "dilation_no_padding",
                                  "groups_no_padding", "kernel_1x1"])
def test_conv2d_dynamic_batch(run, case):
    """One compiled function on batches of 3, 1 and 0 images (no padding:
    padded dynamic inputs are test_conv2d_dynamic_batch_with_padding's)."""
    xs, ws = CONV_CASES[case][:2]
    src = _conv_src(case, "f32", dynamic_batch=True)
    rng = np.random.default_rng(seed("conv_dyn", case))
    w = make(rng.standard_normal(ws), "f32")
    for n in (3, 1, 0):
        x = make(rng.standard_normal((n,) + tuple(xs[1:])), "f32")
        (got,) = run(src, [x, w])
        _check_conv(got, x, w, case, "f32")


@pytest.mark.parametrize("case", ["padding", "depthwise", "everything"])
def test_conv2d_dynamic_batch_with_padding(run, case):
    xs, ws = CONV_CASES[case][:2]
    src = _conv_src(case, "f32", dynamic_batch=True)
    rng = np.random.default_rng(seed("conv_dyn", case))
    w = make(rng.standard_normal(ws), "f32")
    for n in (2, 1):
        x = make(rng.standard_normal((n,) + tuple(xs[1:])), "f32")
        (got,) = run(src, [x, w])
        _check_conv(got, x, w, case, "f32")


# ===========================================================================
# Dynamic shapes and broadcasting through a fused chain
# ===========================================================================

def test_dynamic_elementwise_chain_with_broadcast(run):
    """y = tanh(x * 2 + b) - max(x, dim 1) with b[1, m] and the row max
    broadcast back: one compiled function on several sizes, incl. 0 and 1."""
    tx = T([None, None], "f32")
    body = f"""  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %n = tensor.dim %x, %c0 : {tx}
  %m = tensor.dim %x, %c1 : {tx}
  %two = mlopt.constant dense<2.0> : tensor<f32>
  %twob = mlopt.broadcast_in_dim %two, dims = [] sizes(%n, %m) : tensor<f32> -> {tx}
  %bb = mlopt.broadcast_in_dim %b, dims = [0, 1] sizes(%n, %m) : {T([1, None], 'f32')} -> {tx}
  %x2 = mlopt.mul %x, %twob : {tx}
  %s = mlopt.add %x2, %bb : {tx}
  %t = mlopt.tanh %s : {tx}
  %mx = mlopt.max %x, dims = [1] keepdim : {tx} -> {T([None, 1], 'f32')}
  %mxb = mlopt.broadcast_in_dim %mx, dims = [0, 1] sizes(%n, %m) : {T([None, 1], 'f32')} -> {tx}
  %y = mlopt.sub %t, %mxb : {tx}"""
    src = module([("x", tx), ("b", T([1, None], "f32"))], [("y", tx), ("mx", T([None, 1], "f32"))],
                 body)
    rng = np.random.default_rng(11)
    for n, m in ((3, 5), (1, 1), (1, 7), (17, 33), (0, 4)):
        x = make(rng.standard_normal((n, m)), "f32")
        b = make(rng.standard_normal((1, m)), "f32")
        y, mx = run(src, [x, b])
        x64, b64 = x.astype(np.float64), b.astype(np.float64)
        ref_mx = np.max(x64, axis=1, keepdims=True, initial=-np.inf)
        assert_exact(mx, ref_mx, "f32", what=f"max {n}x{m}")
        ref = np.tanh(x64 * 2 + b64) - ref_mx
        assert_close(y, ref, "f32", rtol=4e-7, atol=4e-7 * np.abs(ref_mx), what=f"{n}x{m}")


@pytest.mark.parametrize("dtype", NUMERIC)
def test_elementwise_on_size0_size1_and_0d(run, dtype):
    """Elementwise ops on 0-d tensors, size-1 dims and size-0 dims."""
    D = dtype
    body = "\n".join([
        f"  %a = mlopt.add %s, %s : {T([], D)}",
        f"  %b = mlopt.mul %e, %e : {T([0, 3], D)}",
        f"  %c = mlopt.sub %o, %o : {T([1, 1, 1], D)}",
        f"  %d = mlopt.neg %dyn : {T([None, None], D)}"])
    src = module([("s", T([], D)), ("e", T([0, 3], D)), ("o", T([1, 1, 1], D)),
                  ("dyn", T([None, None], D))],
                 [("a", T([], D)), ("b", T([0, 3], D)), ("c", T([1, 1, 1], D)),
                  ("d", T([None, None], D))], body)
    rng = np.random.default_rng(seed("small", dtype))
    s, e, o = rand(D, (), rng), rand(D, (0, 3), rng), rand(D, (1, 1, 1), rng)
    for shape in ((0, 5), (1, 1), (5, 0)):
        dyn = rand(D, shape, rng)
        got = run(src, [s, e, o, dyn])
        refs = [host(s) + host(s), host(e) * host(e), host(o) - host(o), -host(dyn)]
        for i, (g, ref) in enumerate(zip(got, refs)):
            assert_exact(g, np.asarray(ref).astype(host(s).dtype), D, what=f"{i} {shape}")
