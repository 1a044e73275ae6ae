"""The mlopt driver as a user runs it: round trips, pipelines, exit codes."""
import re
import subprocess

from conftest import REPO

EXAMPLE = REPO / "examples" / "mlp.mlir"


def test_example_round_trips_exactly(run_mlopt):
    first = run_mlopt(EXAMPLE.read_bytes())
    assert first.returncode == 0, first.stderr.decode()
    second = run_mlopt(first.stdout)
    assert second.returncode == 0, second.stderr.decode()
    assert second.stdout == first.stdout


def test_simplify_folds_the_example(run_mlopt):
    out = run_mlopt(EXAMPLE.read_bytes(), "--mlopt-simplify")
    assert out.returncode == 0, out.stderr.decode()
    text = out.stdout.decode()
    # The transpose pair and the duplicate max/exp chain are gone; the
    # multiply by 1.0 folded away.
    assert "mlopt.transpose" not in text
    assert text.count("mlopt.max ") == 1
    assert text.count("mlopt.exp ") == 1
    assert text.count("mlopt.mul ") == 6  # gelu; the temperature multiply is gone
    # The result is still valid input.
    assert run_mlopt(out.stdout).returncode == 0


def test_help_lists_passes_and_pipelines(mlopt_bin):
    out = subprocess.run([str(mlopt_bin), "--help"], capture_output=True, timeout=20)
    assert out.returncode == 0
    text = out.stdout.decode()
    for flag in ("--mlopt-simplify", "--mlopt-refine-shapes", "--canonicalize", "--cse"):
        assert flag in text


def test_missing_file_is_an_error(mlopt_bin, tmp_path):
    out = subprocess.run([str(mlopt_bin), str(tmp_path / "nope.mlir")],
                         capture_output=True, timeout=20)
    assert out.returncode == 1
    assert b"nope.mlir" in out.stderr


def test_verifier_error_is_located(run_mlopt, tmp_path):
    src = b"""func.func @f(%x: tensor<2x3xf32>) -> tensor<3x3xf32> {
  %t = mlopt.transpose %x, permutation = [0, 0] : tensor<2x3xf32> -> tensor<3x3xf32>
  return %t : tensor<3x3xf32>
}
"""
    out = run_mlopt(src, filename=tmp_path / "bad.mlir")
    assert out.returncode == 1
    err = out.stderr.decode()
    assert re.search(r"bad\.mlir:2:\d+: error: .*not a permutation", err), err


def test_output_file_is_not_written_on_failure(mlopt_bin, tmp_path):
    bad = tmp_path / "bad.mlir"
    bad.write_text("func.func @f() {\n  %0 = mlopt.exp\n}\n")
    out_file = tmp_path / "out.mlir"
    out = subprocess.run([str(mlopt_bin), str(bad), "-o", str(out_file)],
                         capture_output=True, timeout=20)
    assert out.returncode == 1
    assert not out_file.exists()


def test_fusion_caps_kernel_bodies_so_long_chains_compile_in_linear_time(run_mlopt):
    """Fusing a chain op by op copies ever longer bodies (n^2: a 4800-op chain
    took 1.4 s in mlopt-fuse-elementwise); bodies stop at 256 ops, so a chain
    of 600 multiply-adds becomes several kernels, each at most that long."""
    lines = ["func.func @chain(%x: tensor<8xf32>) -> tensor<8xf32> {",
             "  %c = mlopt.constant dense<1.0001> : tensor<8xf32>"]
    value = "%x"
    for i in range(600):
        lines.append(f"  %m{i} = mlopt.mul {value}, %c : tensor<8xf32>")
        lines.append(f"  %a{i} = mlopt.add %m{i}, %c : tensor<8xf32>")
        value = f"%a{i}"
    lines += [f"  return {value} : tensor<8xf32>", "}"]
    out = run_mlopt("\n".join(lines).encode(), "--convert-mlopt-to-linalg", "--canonicalize",
                    "--mlopt-fuse-elementwise")
    assert out.returncode == 0, out.stderr[-500:]
    bodies = out.stdout.decode().split("linalg.generic")[1:]
    assert 4 <= len(bodies) <= 12, len(bodies)
    for body in bodies:
        assert body.count("arith.") <= 256
