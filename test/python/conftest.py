"""Shared fixtures: where the build is and how to run the mlopt driver."""
import os
import pathlib
import subprocess
import threading

import pytest

REPO = pathlib.Path(__file__).resolve().parents[2]
BUILD = pathlib.Path(os.environ.get("MLOPT_BUILD_DIR", REPO / "build"))


@pytest.fixture(scope="session")
def mlopt_bin():
    path = BUILD / "bin" / "mlopt"
    if not path.exists():
        pytest.fail(f"{path} is missing: run `make build` first")
    return path


@pytest.fixture(scope="session")
def run_mlopt(mlopt_bin):
    """Runs mlopt on input bytes; returns the CompletedProcess."""

    def run(data: bytes, *args, filename=None, timeout=20):
        if filename is None:
            return subprocess.run([str(mlopt_bin), *args, "-"], input=data,
                                  capture_output=True, timeout=timeout)
        pathlib.Path(filename).write_bytes(data)
        return subprocess.run([str(mlopt_bin), *args, str(filename)],
                              capture_output=True, timeout=timeout)

    return run


def pytest_configure(config):
    config.addinivalue_line("markers", "gpu: needs a CUDA GPU (skipped without one)")


def pytest_collection_modifyitems(config, items):
    """MLOPT_TEST_SHARD=i/n keeps every n-th test from the i-th (0-based), so
    n processes run a suite side by side (tools/gpu-check)."""
    shard = os.environ.get("MLOPT_TEST_SHARD")
    if not shard:
        return
    index, count = (int(part) for part in shard.split("/"))
    if not 0 <= index < count:
        raise pytest.UsageError(f"MLOPT_TEST_SHARD={shard}: want i/n with 0 <= i < n")
    config.hook.pytest_deselected(items=[t for k, t in enumerate(items) if k % count != index])
    items[:] = [t for k, t in enumerate(items) if k % count == index]


def run_in_threads(work, arg_tuples):
    """Calls work(*args) for each tuple, each on a thread of its own, all at
    once; returns (args, exception) for each call that raised."""
    errors = []

    def call(args):
        try:
            work(*args)
        except Exception as e:  # noqa: BLE001 - returned to the test
            errors.append((args, e))

    threads = [threading.Thread(target=call, args=(args,)) for args in arg_tuples]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return errors
