#!/usr/bin/env bash
# Installs what enu needs from Debian's archive (and matplotlib from PyPI when
# the python3 on PATH is not Debian's), and the Python package's build and test
# tools into the virtual environment .venv (PyPI). Safe to run again: installs
# only what is missing.
set -euo pipefail

# clang, its sanitizer runtimes, llvm-symbolizer and Boost.Context: the check
# build that runs the CUDA kernels on the CPU emulation (cuda/emulation).
# strace: tests/robustness/kill_anywhere.py kills runs at chosen syscalls.
packages=(cmake g++ make libyaml-cpp-dev libgtest-dev libgmock-dev libbenchmark-dev libcli11-dev
          python3 python3-numpy python3-matplotlib python3-yaml python3-venv python3-dev openmpi-bin libopenmpi-dev
          clang libclang-rt-dev llvm libboost-context-dev strace)
missing=()
for p in "${packages[@]}"; do
  dpkg -s "$p" >/dev/null 2>&1 || missing+=("$p")
done
if ((${#missing[@]})); then
  sudo=""
  [ "$(id -u)" -eq 0 ] || sudo="sudo"
  echo "install.sh: installing ${missing[*]}"
  $sudo apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq "${missing[@]}" >/dev/null
fi
# The plots need matplotlib in whichever python3 comes first on PATH.
if ! python3 -c "import matplotlib, numpy, yaml" 2>/dev/null; then
  echo "install.sh: installing matplotlib, numpy and pyyaml for $(command -v python3)"
  python3 -m pip install -q matplotlib numpy pyyaml
fi
# The Python package (docs/python.md): tools/check.sh builds it into .venv with
# `pip install .`; these build it (scikit-build-core, nanobind) and test it.
cd "$(dirname "$0")/.."
[ -x .venv/bin/python ] || python3 -m venv .venv
python_tools=(numpy scikit-build-core nanobind pytest cma matplotlib)
if ! .venv/bin/python -c "import numpy, scikit_build_core, nanobind, pytest, cma, matplotlib" 2>/dev/null; then
  echo "install.sh: installing ${python_tools[*]} into .venv"
  .venv/bin/python -m pip install -q "${python_tools[@]}"
fi
if command -v nvcc >/dev/null 2>&1; then
  echo "install.sh: nvcc found: the CUDA backend will be built"
else
  echo "install.sh: nvcc not found: CPU-only build (install the CUDA toolkit for the GPU backend)"
fi
