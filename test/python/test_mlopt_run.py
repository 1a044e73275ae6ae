"""mlopt-run as a user runs it: inputs, outputs, errors, caches, object files."""
import os
import subprocess

import numpy as np
import pytest

from conftest import BUILD, REPO

MLP = REPO / "examples" / "mlp.mlir"
ADD = """func.func @f(%x: tensor<?x4xf32>, %y: tensor<?x4xf32>) -> tensor<?x4xf32> {
  %r = mlopt.add %x, %y : tensor<?x4xf32>
  return %r : tensor<?x4xf32>
}
"""


@pytest.fixture
def run(tmp_path):
    env = dict(os.environ, MLOPT_CACHE_DIR=str(tmp_path / "cache"))

    def go(*args):
        return subprocess.run([str(BUILD / "bin" / "mlopt-run"), *map(str, args)],
                              capture_output=True, text=True, env=env, timeout=120)

    return go


def test_runs_on_npy_inputs_and_writes_results(run, tmp_path):
    src = tmp_path / "add.mlir"
    src.write_text(ADD)
    x = np.arange(12, dtype=np.float32).reshape(3, 4)
    np.save(tmp_path / "x.npy", x)
    out = run(src, f"--input={tmp_path / 'x.npy'}", f"--input={tmp_path / 'x.npy'}",
              f"--output-dir={tmp_path}")
    assert out.returncode == 0, out.stderr
    np.testing.assert_array_equal(np.load(tmp_path / "result0.npy"), 2 * x)
    assert "(cache miss)" in out.stdout
    again = run(src, f"--input={tmp_path / 'x.npy'}", f"--input={tmp_path / 'x.npy'}")
    assert "(cache disk)" in again.stdout


def test_wrong_input_shape_names_both_types(run, tmp_path):
    src = tmp_path / "add.mlir"
    src.write_text(ADD)
    out = run(src, "--input=random:3x5", "--input=random:3x4")
    assert out.returncode == 1
    assert "tensor<3x5xf32>" in out.stderr and "tensor<?x4xf32>" in out.stderr


@pytest.mark.parametrize("args, message", [
    (["--input=random:3x4"], "takes 2 inputs"),
    (["--input=random:3x4", "--input=random:3xq"], "bad shape"),
    (["--input=/nonexistent.npy", "--input=random:3x4"], "cannot open"),
    (["--function=nope", "--input=random:3x4", "--input=random:3x4"], "no public function"),
    (["--iterations=-5", "--input=random:3x4", "--input=random:3x4"], "at least 1"),
    (["-O", "99", "--input=random:3x4", "--input=random:3x4"], "-O must be 0, 1, 2 or 3"),
])
def test_bad_invocations_fail_cleanly(run, tmp_path, args, message):
    src = tmp_path / "add.mlir"
    src.write_text(ADD)
    out = run(src, *args)
    assert out.returncode == 1
    assert message in out.stderr, out.stderr


def test_malformed_npy_is_an_error(run, tmp_path):
    src = tmp_path / "add.mlir"
    src.write_text(ADD)
    (tmp_path / "bad.npy").write_bytes(b"\x93NUMPY\x01\x00\x20\x00{'descr': '<f4', 'shape'")
    out = run(src, f"--input={tmp_path / 'bad.npy'}", "--input=random:3x4")
    assert out.returncode == 1
    assert "bad.npy" in out.stderr


def test_malformed_module_is_a_located_error(run, tmp_path):
    src = tmp_path / "bad.mlir"
    src.write_text("func.func @f(%x: tensor<4xf32>) -> tensor<4xf32> {\n  %r = mlopt.exp %x\n}\n")
    out = run(src)
    assert out.returncode == 1
    assert "bad.mlir:2:" in out.stderr


def test_example_mlp_computes_softmax_rows(run, tmp_path):
    out = run(MLP, "--input=random:8x256", "--input=random:256x512", "--input=random:512",
              "--input=random:512x10", "--input=random:10", f"--output-dir={tmp_path}")
    assert out.returncode == 0, out.stderr
    probs = np.load(tmp_path / "result0.npy")
    assert probs.shape == (8, 10)
    np.testing.assert_allclose(probs.sum(axis=1), 1.0, rtol=1e-5)


def test_emits_an_object_file_for_ahead_of_time_use(run, tmp_path):
    obj = tmp_path / "mlp.o"
    out = run(MLP, f"--emit-object={obj}")
    assert out.returncode == 0, out.stderr
    data = obj.read_bytes()
    assert data[:4] == b"\x7fELF"
    assert b"mlopt_invoke_mlp" in data


def test_threads_setting_gives_identical_results(run, tmp_path):
    src = tmp_path / "exp.mlir"
    src.write_text("""func.func @f(%x: tensor<?x?xf32>) -> tensor<?xf32> {
  %e = mlopt.exp %x : tensor<?x?xf32>
  %s = mlopt.sum %e, dims = [1] : tensor<?x?xf32> -> tensor<?xf32>
  return %s : tensor<?xf32>
}
""")
    x = np.random.default_rng(0).standard_normal((512, 256)).astype(np.float32)
    np.save(tmp_path / "x.npy", x)
    results = []
    for threads in ("1", "2"):
        env = dict(os.environ, MLOPT_NUM_THREADS=threads, MLOPT_CACHE_DIR=str(tmp_path / "c"))
        out = subprocess.run([str(BUILD / "bin" / "mlopt-run"), str(src),
                              f"--input={tmp_path / 'x.npy'}", f"--output-dir={tmp_path}"],
                             capture_output=True, text=True, env=env, timeout=120)
        assert out.returncode == 0, out.stderr
        results.append(np.load(tmp_path / "result0.npy"))
    np.testing.assert_array_equal(results[0], results[1])
    np.testing.assert_allclose(results[0], np.exp(x.astype(np.float64)).sum(1), rtol=1e-5)


DYNAMIC_SIZES = {
    # 3000 elements reshaped to (n, n) = 3000x3000 would read past the input.
    "reshape": ("""func.func @f(%a: tensor<?xf32>) -> tensor<?x?xf32> {
  %c0 = arith.constant 0 : index
  %n = tensor.dim %a, %c0 : tensor<?xf32>
  %r = mlopt.reshape %a sizes(%n, %n) : tensor<?xf32> -> tensor<?x?xf32>
  return %r : tensor<?x?xf32>
}""", [np.arange(3000, dtype=np.float32)], "cannot reshape 'tensor<3000xf32>'"),
    # A dim of size 3 cannot stretch to 5.
    "broadcast": ("""func.func @f(%a: tensor<?xf32>, %b: tensor<?xf32>) -> tensor<?x?xf32> {
  %c0 = arith.constant 0 : index
  %n = tensor.dim %b, %c0 : tensor<?xf32>
  %r = mlopt.broadcast_in_dim %a, dims = [1] sizes(%n, %n) : tensor<?xf32> -> tensor<?x?xf32>
  return %r : tensor<?x?xf32>
}""", [np.ones(3, np.float32), np.ones(5, np.float32)], "operand dim 0 has size 3 but result dim 1 has size 5"),
    # n - 5 with n = 3: a negative size.
    "negative": ("""func.func @f(%a: tensor<?xf32>) -> tensor<?xf32> {
  %c0 = arith.constant 0 : index
  %c5 = arith.constant 5 : index
  %n = tensor.dim %a, %c0 : tensor<?xf32>
  %m = arith.subi %n, %c5 : index
  %r = mlopt.iota dim = 0 sizes(%m) : tensor<?xf32>
  return %r : tensor<?xf32>
}""", [np.ones(3, np.float32)], "has a negative size -2", 6),
    # (n, n, n) with n = 3000: 108 GB.
    "huge": ("""func.func @f(%a: tensor<?xf32>) -> tensor<?x?x?xf32> {
  %c0 = arith.constant 0 : index
  %n = tensor.dim %a, %c0 : tensor<?xf32>
  %r = mlopt.broadcast_in_dim %a, dims = [2] sizes(%n, %n, %n) : tensor<?xf32> -> tensor<?x?x?xf32>
  return %r : tensor<?x?x?xf32>
}""", [np.ones(3000, np.float32)], "does not fit in this machine's memory"),
    "dim out of range": ("""func.func @f(%a: tensor<?xf32>) -> tensor<?xf32> {
  %c3 = arith.constant 3 : index
  %n = tensor.dim %a, %c3 : tensor<?xf32>
  %r = mlopt.iota dim = 0 sizes(%n) : tensor<?xf32>
  return %r : tensor<?xf32>
}""", [np.ones(3, np.float32)], "dim 3 is out of range for rank 1", 3),
    # A cast to a size the value does not have would read past it.
    "cast": ("""func.func @f(%a: tensor<?xf32>) -> tensor<5xf32> {
  %r = mlopt.exp %a : tensor<?xf32>
  %s = tensor.cast %r : tensor<?xf32> to tensor<5xf32>
  return %s : tensor<5xf32>
}""", [np.ones(3, np.float32)], "casts a value of type 'tensor<3xf32>' to 'tensor<5xf32>'", 3),
    "division by zero": ("""func.func @f(%a: tensor<?xf32>) -> tensor<?xf32> {
  %c0 = arith.constant 0 : index
  %n = tensor.dim %a, %c0 : tensor<?xf32>
  %z = arith.subi %n, %n : index
  %m = arith.divsi %n, %z : index
  %r = mlopt.iota dim = 0 sizes(%m) : tensor<?xf32>
  return %r : tensor<?xf32>
}""", [np.ones(3, np.float32)], "divides by zero", 5),
}


@pytest.mark.parametrize("case", sorted(DYNAMIC_SIZES))
def test_sizes_read_from_inputs_are_checked_before_running(run, tmp_path, case):
    text, arrays, message, *line = DYNAMIC_SIZES[case]
    src = tmp_path / "f.mlir"
    src.write_text(text)
    args = []
    for i, a in enumerate(arrays):
        np.save(tmp_path / f"in{i}.npy", a)
        args.append(f"--input={tmp_path / f'in{i}.npy'}")
    out = run(src, *args)
    assert out.returncode == 1, out.stdout
    assert message in out.stderr and f"f.mlir:{line[0] if line else 4}:" in out.stderr


@pytest.mark.parametrize("body, args", [
    ("""func.func @f(%a: tensor<4xf32>, %p: tensor<f32>) -> tensor<4611686018427387912xf32> {
  %r = mlopt.pad %a, %p, low = [4611686018427387904], high = [4] : tensor<4xf32>, tensor<f32> -> tensor<4611686018427387912xf32>
  return %r : tensor<4611686018427387912xf32>
}""", ["--input=random:4", "--input=random:scalar"]),
    ("""func.func @f(%a: tensor<f32>) -> tensor<4611686018427387904x4xf32> {
  %r = mlopt.broadcast_in_dim %a, dims = [] : tensor<f32> -> tensor<4611686018427387904x4xf32>
  return %r : tensor<4611686018427387904x4xf32>
}""", ["--input=random:scalar"]),
    ("""func.func @f() -> tensor<100000000000xf32> {
  %c = mlopt.constant dense<1.0> : tensor<100000000000xf32>
  return %c : tensor<100000000000xf32>
}""", []),
])
def test_tensors_larger_than_memory_are_a_located_error(run, tmp_path, body, args):
    src = tmp_path / "huge.mlir"
    src.write_text(body)
    out = run(src, *args)
    assert out.returncode == 1
    assert "huge.mlir:2:" in out.stderr and "does not fit in this machine's memory" in out.stderr


def test_output_dir_is_created_and_help_lists_only_its_options(run, tmp_path):
    src = tmp_path / "add.mlir"
    src.write_text(ADD)
    out = run(src, "--input=random:2x4", "--input=random:2x4", f"--output-dir={tmp_path / 'new' / 'dir'}")
    assert out.returncode == 0, out.stderr
    assert (tmp_path / "new" / "dir" / "result0.npy").exists()
    help_text = run("--help").stdout
    assert "--output-dir" in help_text and "amdgpu" not in help_text
