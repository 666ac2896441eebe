#!/usr/bin/env bash
# Create .venv and install hjgan_plugin with its test/demo extras, every host integration under
# integrations/ (each is a distribution of its own, found through the `hjgan` entry points) with what its
# trainer imports, and the example plugin examples/hjgan-msgan (its term is off until --hj-msgan-weight).
# Idempotent: reinstalls when a pyproject.toml changed since the last install.
# CPU machines: torch is pinned to 2.13.0 (the CPU build); an unpinned torch would pull a multi-GB
# CUDA build. On a GPU cluster, install your own torch first and set HJGAN_TORCH=skip.
#
# --hosts: a second environment, .venv-hosts, for host trainers that import torchvision (the PyTorch-GAN
# scripts, pro-gan-pth): torch 2.14.1 + torchvision 0.29.1 (PyPI's torchvision does not import beside the
# CPU torch 2.13.0; these two are about 5.5 GB and run on the CPU), with the same editable installs.
set -euo pipefail
cd "$(dirname "$0")/.."
PY=${PYTHON:-python3}
VENV=.venv
TORCH_PINS=("torch==${HJGAN_TORCH_VERSION:-2.13.0}")
if [ "${1:-}" = "--hosts" ]; then
  VENV=.venv-hosts
  TORCH_PINS=("torch==${HJGAN_HOSTS_TORCH_VERSION:-2.14.1}" "torchvision==${HJGAN_HOSTS_TORCHVISION_VERSION:-0.29.1}")
fi
[ -x $VENV/bin/python ] || "$PY" -m venv $VENV
if ! $VENV/bin/python -c "import torch" 2>/dev/null || { [ $VENV = .venv-hosts ] && ! $VENV/bin/python -c "import torchvision" 2>/dev/null; }; then
  if [ "${HJGAN_TORCH:-}" != "skip" ]; then
    $VENV/bin/pip install -q "${TORCH_PINS[@]}"
  fi
fi
stamp=$VENV/.hjgan-pyproject.sha256
want=$(cat pyproject.toml integrations/*/pyproject.toml examples/hjgan-msgan/pyproject.toml | sha256sum | cut -d' ' -f1)
if [ "$(cat "$stamp" 2>/dev/null)" != "$want" ] \
   || ! $VENV/bin/python -c "import importlib.metadata as m; m.distribution('hjgan_plugin')" 2>/dev/null; then
  args=(-e ".[test]")
  for dir in integrations/*/; do
    # an integration's [train] extra holds what its trainer imports; a host marked `environment = "hosts"`
    # under [tool.hjgan] (its trainer needs torchvision) gets it only in .venv-hosts
    extra=$(grep -q '^train = ' "$dir/pyproject.toml" && echo "[train]" || true)
    if [ $VENV = .venv ] && grep -q '^environment = "hosts"' "$dir/pyproject.toml"; then extra=; fi
    args+=(-e "${dir%/}$extra")
  done
  $VENV/bin/pip install -q "${args[@]}" -e examples/hjgan-msgan
  echo "$want" > "$stamp"
fi
if [ $VENV = .venv-hosts ] \
   && ! $VENV/bin/python -c "import importlib.metadata as m; assert m.version('pro-gan-pth') == '3.4'" 2>/dev/null; then
  $VENV/bin/pip install -q --no-deps pro-gan-pth==3.4   # ProGAN; its own pins do not resolve on Python 3.11 / torch 2.x
fi
