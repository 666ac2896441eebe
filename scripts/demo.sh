#!/usr/bin/env bash
# Set up (if needed) and run the main demo: a GAN trained on procedurally rendered squares, with and
# without the plugin; writes demo_out/demo.png and prints a table. Extra arguments go to the demo.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
exec .venv/bin/python -m hjgan_plugin.demo --out demo_out "$@"
