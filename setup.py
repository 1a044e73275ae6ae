"""`pip install -e .` (or `pip install .`): builds with `make build`, then
installs the package from build/python (mlopt/*.py and the extension mlopt._C).
`make` alone already makes `import mlopt` work; this is for those who prefer pip."""
import pathlib
import subprocess
import sys

from setuptools import find_packages, setup

ROOT = pathlib.Path(__file__).resolve().parent
# The interpreter behind any venv or pip build environment: the build (and
# its CMake cache) must not point at a temporary environment.
BASE_PYTHON = getattr(sys, "_base_executable", None) or sys.executable
subprocess.check_call(["make", "build", f"PYTHON={BASE_PYTHON}"], cwd=ROOT)

setup(
    name="mlopt",
    version="0.1.0",
    description="PyTorch-style tensors on a JIT graph tracer and kernel-fusion compiler",
    package_dir={"": "build/python"},
    packages=find_packages("build/python", include=["mlopt", "mlopt.*"]),
    package_data={"mlopt": ["_C*.so"]},
    install_requires=["numpy"],
    python_requires=">=3.9",
)
