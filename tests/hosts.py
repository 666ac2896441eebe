"""Where the host trainers' tests find their second environment (shared by the test modules).

The PyTorch-GAN scripts, pro-gan-pth and torchvision itself run in ``.venv-hosts`` (``bash scripts/setup.sh
--hosts``), or the interpreter ``HJGAN_HOSTS_PYTHON`` names; the tests that need it skip, saying why,
without it.
"""
from __future__ import annotations

import os
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
HOSTS_PYTHON = Path(os.environ.get("HJGAN_HOSTS_PYTHON", ROOT / ".venv-hosts" / "bin" / "python"))
NO_HOSTS_PYTHON = f"no hosts interpreter at {HOSTS_PYTHON} (bash scripts/setup.sh --hosts makes it; or set HJGAN_HOSTS_PYTHON)"
