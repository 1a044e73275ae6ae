"""Bad input never crashes the driver: every mangled file exits 1 with a
diagnostic located as file:line:col, within a time limit."""
import random
import re

import pytest

from conftest import REPO

LOCATED = re.compile(rb"[^\s:]+:\d+:\d+: error: ")
SEED_FILES = sorted((REPO / "test").rglob("*.mlir")) + sorted((REPO / "examples").glob("*.mlir"))


def seeds():
    """Valid inputs to mangle: every chunk of every lit test, and the examples."""
    chunks = []
    for path in SEED_FILES:
        for chunk in path.read_bytes().split(b"// -----"):
            if b"mlopt." in chunk and b"expected-error" not in chunk:
                chunks.append(chunk)
    return chunks


def check(run_mlopt, data, tmp_path, name):
    out = run_mlopt(data, filename=tmp_path / name)
    # 0 is fine when mangling left a valid program; anything else must be a
    # clean failure: exit 1 (a signal shows as a negative code) with a location.
    assert out.returncode in (0, 1), (out.returncode, data[:300], out.stderr[-2000:])
    if out.returncode == 1:
        assert LOCATED.search(out.stderr), (data[:300], out.stderr[-2000:])


def mutate(rng, data: bytes) -> bytes:
    data = bytearray(data)
    for _ in range(rng.randint(1, 4)):
        kind = rng.randrange(6)
        pos = rng.randrange(len(data) + 1)
        if kind == 0 and data:  # flip a byte
            data[min(pos, len(data) - 1)] = rng.randrange(256)
        elif kind == 1:  # delete a span
            del data[pos:pos + rng.randint(1, 16)]
        elif kind == 2:  # duplicate a span
            data[pos:pos] = data[pos:pos + rng.randint(1, 32)]
        elif kind == 3:  # insert a token that often means something
            data[pos:pos] = rng.choice([b"?", b"x", b"0", b"-1", b"<", b">", b"(", b")",
                                        b"[", b"]", b"{", b"}", b",", b"\"", b"%0",
                                        b"tensor<", b"dense<", b"i1", b"f16",
                                        b"9223372036854775807", b"0x", b"\x00",
                                        b"\xff\xfe", b"#map", b"^bb0:"])
        elif kind == 4:  # swap a digit
            digits = [i for i, c in enumerate(data) if 48 <= c <= 57]
            if digits:
                data[rng.choice(digits)] = rng.choice(b"0123456789")
        else:  # swap two element types
            text = bytes(data)
            for a, b in [(b"f32", b"i1"), (b"f32", b"i64"), (b"xf", b"x?xf"),
                         (b"4x", b"0x"), (b"[1]", b"[7]"), (b"[0, 1]", b"[1, 1]")]:
                if a in text and rng.random() < 0.5:
                    text = text.replace(a, b, 1)
            data = bytearray(text)
    return bytes(data)


@pytest.mark.parametrize("seed", range(8))
def test_mutated_valid_programs(run_mlopt, tmp_path, seed):
    rng = random.Random(seed)
    corpus = seeds()
    assert corpus, "no seed programs found"
    for i in range(40):
        check(run_mlopt, mutate(rng, rng.choice(corpus)), tmp_path, f"m{seed}_{i}.mlir")


def test_truncated_programs(run_mlopt, tmp_path):
    rng = random.Random(1234)
    corpus = seeds()
    for i in range(60):
        chunk = rng.choice(corpus)
        cut = rng.randrange(1, len(chunk))
        check(run_mlopt, chunk[:cut], tmp_path, f"t{i}.mlir")


def test_random_bytes(run_mlopt, tmp_path):
    rng = random.Random(99)
    for i in range(40):
        data = bytes(rng.randrange(256) for _ in range(rng.randint(1, 400)))
        check(run_mlopt, data, tmp_path, f"r{i}.mlir")


@pytest.mark.parametrize("opener", [b"(", b"[", b"{", b"<", b"tensor<", b"dense<["])
def test_deep_nesting_is_refused_not_a_stack_overflow(run_mlopt, tmp_path, opener):
    data = b"func.func @f() { %0 = mlopt.constant " + opener * 200000
    out = run_mlopt(data, filename=tmp_path / "deep.mlir")
    assert out.returncode == 1
    assert LOCATED.search(out.stderr), out.stderr[-500:]


@pytest.mark.parametrize("text", [
    b"!t = " + b"() -> (" * 200000 + b"i32" + b")" * 200000,  # arrows do not close brackets
    b"#m = affine_map<(d0) -> (" + b"-" * 200000 + b"d0)>",  # unary minus recurses too
    b"#m = affine_map<(d0) -> (" + b"- " * 200000 + b"d0)>",
    # runs of signs between brackets add up until the brackets close
    b"#m = affine_map<(d0) -> (" + (b"-" * 500 + b"(") * 600 + b"d0" + b")" * 600 + b")>",
])
def test_deep_function_types_and_minus_chains_are_refused(run_mlopt, tmp_path, text):
    out = run_mlopt(text, filename=tmp_path / "deep.mlir")
    assert out.returncode == 1 and LOCATED.search(out.stderr), out.stderr[-500:]


def test_output_over_the_input_keeps_it_on_failure(run_mlopt, tmp_path):
    """-o naming the input: read whole first (a mapped input truncated under
    the parser was SIGBUS), output written only after success (a failure
    deleted the input)."""
    good = (REPO / "examples" / "mlp.mlir").read_bytes() + b"\n// " + b"x" * 20000 + b"\n"
    path = tmp_path / "m.mlir"
    for data, code in [(good + b"garbage {\n", 1), (good, 0)]:
        out = run_mlopt(data, "-o", str(path), filename=path)
        assert out.returncode == code, out.stderr[-500:]
        if code:
            assert path.read_bytes() == data and LOCATED.search(out.stderr)
        else:
            assert b"func.func" in path.read_bytes() and b"xxxx" not in path.read_bytes()


@pytest.mark.parametrize("text", [
    b"",
    b"\x00\x00\x00",
    b"func.func",
    b"\"mlopt.add\"() : () -> ()",
    b"%0 = \"mlopt.transpose\"() <{permutation = 3 : i32}> : () -> tensor<2xf32>",
    b"func.func @f(%x: tensor<2xf32>) { %0 = \"mlopt.concat\"() <{dim = 0 : i64}> : () -> tensor<2xf32> \n return }",
    b"func.func @f(%x: tensor<9223372036854775807x9223372036854775807xf32>) -> tensor<1xf32> {\n"
    b"  %0 = mlopt.reshape %x : tensor<9223372036854775807x9223372036854775807xf32> -> tensor<1xf32>\n"
    b"  return %0 : tensor<1xf32>\n}",
    b"func.func @f() -> tensor<1099511627776x1099511627776xf32> {\n"
    b"  %0 = mlopt.constant dense<1.0> : tensor<1099511627776x1099511627776xf32>\n"
    b"  %1 = mlopt.exp %0 : tensor<1099511627776x1099511627776xf32>\n"
    b"  return %1 : tensor<1099511627776x1099511627776xf32>\n}",
    b"func.func @f(%x: tensor<4xf32>) -> tensor<4xf32> {\n"
    b"  %0 = \"mlopt.select\"(%x) : (tensor<4xf32>) -> tensor<4xf32>\n"
    b"  return %0 : tensor<4xf32>\n}",
])
def test_hand_written_bad_inputs(run_mlopt, tmp_path, text):
    out = run_mlopt(text, "--mlopt-simplify", filename=tmp_path / "bad.mlir")
    assert out.returncode in (0, 1), (out.returncode, out.stderr[-2000:])
    if out.returncode == 1:
        assert LOCATED.search(out.stderr) or b"error" in out.stderr, out.stderr[-2000:]


@pytest.mark.parametrize("pipeline", ["mlopt-simplify", "mlopt-lower-to-llvm",
                                      "mlopt-lower-to-cuda"])
@pytest.mark.parametrize("anchor", ["func.func", "any"])
def test_module_pipelines_nested_elsewhere_fail_cleanly(run_mlopt, tmp_path, pipeline, anchor):
    """MLIR stops the process when module passes are added under another
    anchor; the named pipelines fail with a located diagnostic instead."""
    out = run_mlopt((REPO / "examples" / "mlp.mlir").read_bytes(),
                    f"--pass-pipeline=builtin.module({anchor}({pipeline}))",
                    filename=tmp_path / "m.mlir")
    assert out.returncode == 1, out.stderr[-500:]
    assert f"'{pipeline}' is a pipeline on builtin.module".encode() in out.stderr
