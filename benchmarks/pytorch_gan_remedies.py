"""Mode-collapse remedies on the PyTorch-GAN scripts: gan, dcgan, lsgan and bgan on Fashion-MNIST, each
plain, with top-k generator updates (ν 0.75) and with the unrolled GAN (K 5, η 0.001, and 0.0001 and
0.01 around it), over 5 seeds.

The two remedies, at the settings the mode-collapse remedies suite (``mode_collapse_remedies.py``) found
best on ring, grid and stacked digits (η, calibrated there on the ring only, a decade either side),
through the scripts' own ``--hj-*`` flags; the four scripts are
those whose patches pass the real batch and whose adapters know the per-sample G loss and the D loss,
so both remedies run on all of them. Everything else is the Table 1 benchmark's
(``pytorch_gan_table1.py``): the real upstream scripts, patched; the project's Fashion-MNIST classifier
scores (IS-fashion, FD-fashion); Welch's test over seeds against plain. ``--img-size 32`` by default:
at 16 dcgan's and lsgan's discriminators stop learning (D's output stays at 0.5). Runs in the hosts
environment:

    bash scripts/setup.sh --hosts
    .venv-hosts/bin/python benchmarks/pytorch_gan_remedies.py --checkout ~/PyTorch-GAN --cache runs.jsonl

The defaults take about 65 minutes on 2 cores and write ``pytorch_gan_remedies.{md,json,png}`` to
``docs/benchmarks``; ``--from-json`` redraws them.
"""
from __future__ import annotations

import sys
from pathlib import Path

if not __package__:  # run as a file: make the `benchmarks` package importable
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from benchmarks.pytorch_gan_table1 import main as run_suite  # noqa: E402
from benchmarks.table1.models import REMEDIES  # noqa: E402


def main(argv: list[str] | None = None) -> None:
    run_suite(argv, REMEDIES, __doc__)


if __name__ == "__main__":
    main()
