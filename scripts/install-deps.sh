#!/usr/bin/env bash
# Installs what the build and the tests need, only what is missing, quietly.
# Debian packages (LLVM/MLIR 19, GoogleTest, fmt, ccache, Ninja, OpenBLAS,
# LLVM's OpenMP runtime) and Python packages from PyPI (NumPy, pybind11,
# pytest, lit).
set -euo pipefail

PYTHON=${PYTHON:-python3}
APT_PACKAGES=(cmake g++ ninja-build ccache llvm-19-dev llvm-19-tools libmlir-19-dev
              mlir-19-tools libgtest-dev libfmt-dev libopenblas-dev libomp-19-dev)
PY_MODULES=(numpy pybind11 pytest lit)

missing=()
for pkg in "${APT_PACKAGES[@]}"; do
  dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q "install ok installed" ||
    missing+=("$pkg")
done
if ((${#missing[@]})); then
  echo "install-deps: installing ${missing[*]}"
  sudo=""
  [ "$(id -u)" -eq 0 ] || sudo="sudo"
  export DEBIAN_FRONTEND=noninteractive
  $sudo apt-get update -qq
  $sudo apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

missing=()
for module in "${PY_MODULES[@]}"; do
  "$PYTHON" -c "import $module" 2>/dev/null || missing+=("$module")
done
if ((${#missing[@]})); then
  echo "install-deps: pip installing ${missing[*]}"
  "$PYTHON" -m pip install -q --disable-pip-version-check --root-user-action=ignore "${missing[@]}"
fi
