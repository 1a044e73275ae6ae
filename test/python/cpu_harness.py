"""Runs mlopt functions on the CPU through `mlopt-run` and checks the numbers.

`Runner(tmp_path).run(src, inputs)` writes `src` to a .mlir file, the inputs
to .npy files, runs `build/bin/mlopt-run` with a private disk cache (the
MLOPT_CACHE_DIR env var points into tmp_path, so tests never share compiled
kernels) and returns the results as NumPy arrays.

Element types travel as NumPy dtypes, except bf16: NumPy has no bf16, so an
mlopt bf16 tensor is a `Bf16` wrapper around float32 values that are exactly
representable in bf16 (`bf16(x)` rounds to nearest even first). On disk it is
the raw '<V2' layout mlopt-run reads and writes; results come back as float32
arrays of the same values, tagged `.bf16 = True` by `is_bf16`.

References are computed in float64 (Python integers for integer wraparound
and exact rounding), then compared with `assert_close`.
"""
from __future__ import annotations

import math
import os
import pathlib
import subprocess
import time
from fractions import Fraction

import numpy as np

from conftest import BUILD

MLOPT_RUN = BUILD / "bin" / "mlopt-run"

# ---------------------------------------------------------------------------
# Element types
# ---------------------------------------------------------------------------

FLOATS = ["f16", "bf16", "f32", "f64"]
INTS = ["i32", "i64"]
NUMERIC = FLOATS + INTS
ALL_TYPES = FLOATS + ["i1"] + INTS

NP_DTYPE = {"f16": np.float16, "f32": np.float32, "f64": np.float64,
            "i1": np.bool_, "i32": np.int32, "i64": np.int64,
            "bf16": np.float32}  # bf16 values are held in float32

# (significand bits incl. the hidden one, min normal exponent, max exponent)
FLOAT_FORMATS = {"f16": (11, -14, 15), "bf16": (8, -126, 127),
                 "f32": (24, -126, 127), "f64": (53, -1022, 1023)}

# One unit in the last place at 1.0 (machine epsilon) per float type.
EPS = {t: 2.0 ** (1 - FLOAT_FORMATS[t][0]) for t in FLOATS}
# Smallest positive subnormal: an absolute floor for comparisons.
TINY = {t: 2.0 ** (FLOAT_FORMATS[t][1] + 1 - FLOAT_FORMATS[t][0]) for t in FLOATS}
MAX_FLOAT = {t: float((2 - Fraction(2) ** (1 - FLOAT_FORMATS[t][0])) *
                      Fraction(2) ** FLOAT_FORMATS[t][2]) for t in FLOATS}
INT_BITS = {"i32": 32, "i64": 64}


def tensor_type(shape, dtype: str) -> str:
    """tensor<4x?xf32> for shape (4, None) and 'f32'; () is a 0-d tensor."""
    dims = ["?" if d is None else str(d) for d in shape]
    return "tensor<" + "".join(d + "x" for d in dims) + dtype + ">"


class Bf16(np.ndarray):
    """A float32 array whose values are bf16 values, to be passed as bf16."""


def bf16(values) -> np.ndarray:
    """Rounds to bf16 (nearest even, NaN kept) and tags the array as bf16."""
    rounded = round_to(np.asarray(values, dtype=np.float64), "bf16").astype(np.float32)
    return rounded.view(Bf16)


def is_bf16(array) -> bool:
    return isinstance(array, Bf16)


def _bf16_to_raw(values: np.ndarray) -> np.ndarray:
    bits = np.array(values, dtype=np.float32, order="C").view(np.uint32)
    return (bits >> 16).astype("<u2").view("V2")


def _save_bf16(path, raw: np.ndarray):
    """np.save writes a V2 array as '|V2'; mlopt-run reads bf16 as '<V2'."""
    shape = "(" + "".join(f"{d}, " for d in raw.shape).rstrip(" ")
    shape = (shape[:-1] if len(raw.shape) > 1 else shape) + ")"
    header = "{'descr': '<V2', 'fortran_order': False, 'shape': %s, }" % shape
    header += " " * ((64 - (10 + len(header) + 1) % 64) % 64) + "\n"
    with open(path, "wb") as f:
        f.write(b"\x93NUMPY\x01\x00" + len(header).to_bytes(2, "little"))
        f.write(header.encode("latin1"))
        f.write(np.array(raw, order="C").tobytes())


def _raw_to_bf16(raw: np.ndarray) -> np.ndarray:
    bits = np.array(raw, order="C").view("<u2").astype(np.uint32) << 16
    return bits.view(np.float32).view(Bf16)


def make(values, dtype: str) -> np.ndarray:
    """An input array of mlopt element type `dtype` (values rounded to it)."""
    if dtype == "bf16":
        return bf16(values)
    if dtype in INTS:
        return np.asarray(values).astype(NP_DTYPE[dtype])
    with np.errstate(over="ignore"):  # out-of-range values become inf on purpose
        return np.asarray(values, dtype=NP_DTYPE[dtype])


# ---------------------------------------------------------------------------
# Exact rounding (references for conversions and half types)
# ---------------------------------------------------------------------------

def _round_fraction(value: Fraction, fmt: str) -> float:
    p, emin, emax = FLOAT_FORMATS[fmt]
    if value == 0:
        return 0.0
    sign = -1.0 if value < 0 else 1.0
    a = abs(value)
    e = a.numerator.bit_length() - a.denominator.bit_length()
    if Fraction(2) ** e > a:
        e -= 1
    assert Fraction(2) ** e <= a < Fraction(2) ** (e + 1)
    ulp = Fraction(2) ** (max(e, emin) - (p - 1))
    q = round(a / ulp) * ulp  # Fraction.__round__ rounds half to even
    if q > Fraction(MAX_FLOAT[fmt]):
        return sign * math.inf
    return sign * float(q)


def round_exact(values, fmt: str) -> np.ndarray:
    """Correctly rounded (nearest even) values of Python ints/floats in `fmt`,
    as float64; inf and NaN pass through."""
    out = []
    for v in values:
        if isinstance(v, (float, np.floating)) and not math.isfinite(v):
            out.append(float(v))
        else:
            out.append(_round_fraction(Fraction(int(v) if isinstance(v, (int, np.integer))
                                                else float(v)), fmt))
    return np.array(out, dtype=np.float64)


def round_to(x: np.ndarray, fmt: str) -> np.ndarray:
    """Float64 values correctly rounded to float format `fmt` (vectorized,
    nearest even; NaN and inf kept), as float64."""
    x = np.asarray(x, dtype=np.float64)
    if fmt == "f64":
        return x.copy()
    if fmt in ("f16", "f32"):
        with np.errstate(over="ignore"):
            return x.astype(NP_DTYPE[fmt]).astype(np.float64)
    p, emin, _ = FLOAT_FORMATS[fmt]
    out = x.copy()
    finite = np.isfinite(x) & (x != 0)
    _, e = np.frexp(x[finite])  # |x| in [2^(e-1), 2^e)
    ulp = np.ldexp(1.0, np.maximum(e - 1, emin) - (p - 1))
    q = np.round(x[finite] / ulp) * ulp
    q[np.abs(q) > MAX_FLOAT[fmt]] = np.inf * np.sign(q[np.abs(q) > MAX_FLOAT[fmt]])
    out[finite] = q
    return out


# ---------------------------------------------------------------------------
# Running
# ---------------------------------------------------------------------------

class CompileOrRunError(AssertionError):
    """mlopt-run failed: the compiler crashed, rejected the module, or the
    compiled function failed at run time."""


class Runner:
    def __init__(self, tmp_path: pathlib.Path):
        self.dir = pathlib.Path(tmp_path)
        self.cache = self.dir / "cache"
        self.calls = 0

    def run(self, src: str, inputs=(), function: str | None = None, timeout=60):
        """Compiles `src`, calls `function` (default: the only one) on
        `inputs` and returns the list of results."""
        self.calls += 1
        work = self.dir / f"call{self.calls}"
        work.mkdir()
        mlir = work / "module.mlir"
        mlir.write_text(src)
        args = [str(MLOPT_RUN), str(mlir), f"--output-dir={work}"]
        if function:
            args.append(f"--function={function}")
        for i, value in enumerate(inputs):
            path = work / f"input{i}.npy"
            if is_bf16(value):
                _save_bf16(path, _bf16_to_raw(value))
            else:
                np.save(path, np.array(value, order="C"))
            args.append(f"--input={path}")
        env = dict(os.environ, MLOPT_CACHE_DIR=str(self.cache))
        for attempt in range(30):
            # A concurrent rebuild replaces the binary: wait for it.
            try:
                proc = subprocess.run(args, capture_output=True, timeout=timeout, env=env)
                break
            except (PermissionError, FileNotFoundError, OSError):
                if attempt == 29:
                    raise
                time.sleep(5)
        if proc.returncode != 0:
            raise CompileOrRunError(
                f"mlopt-run exited with {proc.returncode} on {mlir}\n"
                f"stderr:\n{proc.stderr.decode(errors='replace')[-4000:]}")
        results = []
        for i in range(len(list(work.glob("result*.npy")))):
            array = np.load(work / f"result{i}.npy")
            if array.dtype.kind == "V":
                array = _raw_to_bf16(array)
            results.append(array)
        return results


# ---------------------------------------------------------------------------
# Comparing
# ---------------------------------------------------------------------------

def assert_exact(got, expected, dtype: str | None = None, what=""):
    """Same shape, same values (NaN where NaN; -0.0 == 0.0)."""
    got = np.asarray(got)
    expected = np.asarray(expected)
    assert got.shape == expected.shape, f"{what}: shape {got.shape} != {expected.shape}"
    if dtype is not None:
        want = NP_DTYPE[dtype]
        assert got.dtype == want, f"{what}: dtype {got.dtype} != {np.dtype(want)}"
    if got.dtype.kind == "f" or expected.dtype.kind == "f":
        g = got.astype(np.float64)
        e = expected.astype(np.float64)
        bad = ~((g == e) | (np.isnan(g) & np.isnan(e)))
    else:
        bad = got != expected
    if bad.any():
        idx = np.argwhere(bad)[:8]
        details = ", ".join(f"{tuple(i)}: got {got[tuple(i)]!r} want {expected[tuple(i)]!r}"
                            for i in idx)
        raise AssertionError(f"{what}: {int(bad.sum())} of {bad.size} elements differ: {details}")


def assert_close(got, expected, dtype: str, rtol=None, atol=None, what=""):
    """Float comparison against a float64 reference: NaN where NaN, inf where
    inf (same sign), otherwise |got - ref| <= atol + rtol * |ref|. The default
    tolerance is one unit in the last place of `dtype` (correct rounding is
    within half of one)."""
    got = np.asarray(got)
    expected = np.asarray(expected, dtype=np.float64)
    assert got.shape == expected.shape, f"{what}: shape {got.shape} != {expected.shape}"
    want = NP_DTYPE[dtype]
    assert got.dtype == want, f"{what}: dtype {got.dtype} != {np.dtype(want)}"
    rtol = EPS[dtype] if rtol is None else rtol
    atol = TINY[dtype] if atol is None else atol
    g = got.astype(np.float64)
    # An exact value beyond the type's range rounds to +-inf.
    expected = np.where(np.isinf(round_to(expected, dtype)), round_to(expected, dtype),
                        expected)
    nan_g, nan_e = np.isnan(g), np.isnan(expected)
    inf_e = np.isinf(expected)
    with np.errstate(invalid="ignore"):
        err = np.abs(g - expected)
        ok = (nan_g & nan_e) | (inf_e & (g == expected)) | \
             (~nan_e & ~inf_e & (err <= atol + rtol * np.abs(expected)))
    if not ok.all():
        bad = ~ok
        idx = np.argwhere(bad)[:8]
        details = ", ".join(f"{tuple(i)}: got {g[tuple(i)]!r} want {expected[tuple(i)]!r}"
                            for i in idx)
        raise AssertionError(f"{what}: {int(bad.sum())} of {bad.size} elements off "
                             f"(rtol={rtol:g}, atol={atol:g}): {details}")


def wrap(values, dtype: str) -> np.ndarray:
    """Python integers wrapped to two's complement `dtype`."""
    bits = INT_BITS[dtype]
    out = []
    for v in values:
        v = int(v) & ((1 << bits) - 1)
        out.append(v - (1 << bits) if v >= 1 << (bits - 1) else v)
    return np.array(out, dtype=NP_DTYPE[dtype])


def conv2d_reference(x, w, stride, padding, dilation, groups):
    """Direct float64 convolution, NCHW / OIHW, as F.conv2d without bias."""
    x = np.asarray(x, np.float64)
    w = np.asarray(w, np.float64)
    n, c, h, wd = x.shape
    o, cg, kh, kw = w.shape
    xp = np.pad(x, [(0, 0), (0, 0), (padding[0],) * 2, (padding[1],) * 2])
    ho = (h + 2 * padding[0] - dilation[0] * (kh - 1) - 1) // stride[0] + 1
    wo = (wd + 2 * padding[1] - dilation[1] * (kw - 1) - 1) // stride[1] + 1
    out = np.zeros((n, o, ho, wo))
    og = o // groups
    for g in range(groups):
        for oc in range(g * og, (g + 1) * og):
            for i in range(kh):
                for j in range(kw):
                    patch = xp[:, g * cg:(g + 1) * cg,
                               i * dilation[0]: i * dilation[0] + stride[0] * (ho - 1) + 1: stride[0],
                               j * dilation[1]: j * dilation[1] + stride[1] * (wo - 1) + 1: stride[1]]
                    out[:, oc] += np.einsum("nchw,c->nhw", patch, w[oc, :, i, j])
    return out
