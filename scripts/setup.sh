#!/usr/bin/env bash
# Create .venv and install hjgan_plugin with its test/demo extras. Idempotent: reinstalls when
# pyproject.toml changed since the last install (new dependencies reach existing venvs too).
# CPU machines: torch is pinned to 2.13.0 (the CPU build); an unpinned torch would pull a multi-GB
# CUDA build. On a GPU cluster, install your own torch first and set HJGAN_TORCH=skip.
set -euo pipefail
cd "$(dirname "$0")/.."
PY=${PYTHON:-python3}
[ -x .venv/bin/python ] || "$PY" -m venv .venv
if ! .venv/bin/python -c "import torch" 2>/dev/null; then
  if [ "${HJGAN_TORCH:-}" != "skip" ]; then
    .venv/bin/pip install -q "torch==${HJGAN_TORCH_VERSION:-2.13.0}"
  fi
fi
stamp=.venv/.hjgan-pyproject.sha256
want=$(sha256sum pyproject.toml | cut -d' ' -f1)
if [ "$(cat "$stamp" 2>/dev/null)" != "$want" ] \
   || ! .venv/bin/python -c "import importlib.metadata as m; m.distribution('hjgan_plugin')" 2>/dev/null; then
  .venv/bin/pip install -q -e ".[test]"
  echo "$want" > "$stamp"
fi
