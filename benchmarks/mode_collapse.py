"""Mode-collapse benchmark: a plain GAN vs the weight-exchange variants of docs/design.md §4 vs the MSGAN
mode-seeking term, on the 2D ring (8 modes), the 2D grid (25 modes) and Stacked Digits (1000 modes).

Every run trains a small non-saturating GAN from scratch and measures it:

- **ring / grid** (``hjgan_plugin.datasets.mixtures``: PacGAN's grid, a VEEGAN-style ring): G and D are
  MLPs ``2 -> width -> width -> 2`` (ReLU) and ``2 -> width -> width -> 1`` (LeakyReLU 0.2), z ~ N(0, I_2),
  fresh real samples every batch. Measured on ``--samples`` generated points (2500, as VEEGAN and PacGAN)
  with ``hjgan_plugin.metrics.mode_coverage``: modes with >= 1 high-quality point (loose, the papers'
  count), with >= 20 (strict), the high-quality fraction (within 3 std of the nearest mode) and the reverse
  KL of the HQ mode histogram vs uniform.
- **digits** (Stacked-MNIST's protocol on scikit-learn's 8x8 digits, ``hjgan_plugin.datasets.digits``;
  each channel an independent train-split digit): G ``16 -> width -> width -> 192`` with a sigmoid,
  reshaped to 3x8x8; D ``192 -> width -> width -> 1``. Measured on ``--digit-samples`` images (10,000)
  with ``stacked_mode_stats`` and the project's ``DigitClassifier`` (trained once per benchmark, seed 0):
  modes covered, reverse KL vs uniform over the 1000 modes, and a quality gate [ours]: the fraction of
  images whose three digits are all classified with softmax probability >= 0.9 (a diffuse generator also
  "covers" modes when its noise gets classified).

Configs (all but the baseline go through ``hjgan_plugin.attach(G, D, optimizer_G=..., optimizer_D=...,
penalty="none", ...)``, the path a user takes; the baseline attaches nothing):

- ``baseline``: the plain GAN;
- ``blend:<every>:<eta>``: the weight exchange, ``exchange_variant="blend"``; the sweep: a per-iteration pull
  η/every = 1e-2 exchanged every 10 or every 100 steps (10/0.1, 100/1) and a pull of 1e-3 every step (1/0.001);
- ``msgan:<weight>``: the MSGAN term (Mao et al., CVPR 2019) from the example third-party plugin
  ``examples/hjgan-msgan``, registered with the plugin manager and called through the same
  ``hjgan_generator_loss_terms`` hook as the built-in penalty (``session.generator_penalty``); the weight
  is the plugin's option, ``attach(..., msgan_weight=<weight>)`` (``--hj-msgan-weight``);
- then, at the blend setting chosen from the data of the runs above (best mean rank over datasets and
  metrics, see ``benchmarks.collapse.analysis.choose_setting``) or at ``--control-setting``:
  ``blend-norm``, and the two controls with none of G's information, ``random-control`` (fresh noise of
  G's norm at every exchange) and
  ``random-fixed`` (one noise tensor per pair, rescaled to G's norm: the matched control).

The sweep runs on ring and grid; digits (the costliest) runs the baseline, MSGAN, the chosen setting,
``blend-norm`` and the controls, unless ``--digits-sweep``. Reference rows (no training): real samples of
each dataset and, for ring/grid, ``uniform_spray`` (points uniform over the modes' bounding box: a diffuse
generator). Metrics are logged at checkpoints during training (2D: every run; digits: the baseline) and
the iteration where the baseline stops improving is reported; the default iterations are where a longer
``--baseline-only`` check (``mode_collapse.baseline_plateau.json``, cited in the table) found the
baseline's plateau. Runs go to ``--workers`` processes with one torch thread each; every config uses
the same seeds, so a seed gives every config the same initial weights and data stream. The parts live in
``benchmarks/collapse/`` (configs, networks, training, metrics, report, figure).

    python benchmarks/mode_collapse.py                   # ~28 min on 2 cores: docs/benchmarks/mode_collapse.*
    python benchmarks/mode_collapse.py --from-json docs/benchmarks/mode_collapse.json   # redraw .md/.png only
    python benchmarks/mode_collapse.py --seeds 0 --iters 30 --samples 300 --digit-samples 300 \\
        --classifier-epochs 1 --workers 1 --out /tmp/x   # smoke run
"""
from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any

if not __package__:  # run as a file (python benchmarks/mode_collapse.py): make the `benchmarks` package importable
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from benchmarks.collapse.analysis import plateau_line  # noqa: E402,F401  (tests read these from the script)
from benchmarks.collapse.configs import (DATASETS, DEFAULT_ITERS, DEFAULT_LR, MSGAN_WEIGHT, SWEEP,  # noqa: E402,F401
                                         Config)
from benchmarks.collapse.experiment import run, write_docs  # noqa: E402
from benchmarks.common.results import add_output_arguments, read_json  # noqa: E402


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--seeds", type=int, nargs="+", default=[0, 1, 2, 3, 4])
    parser.add_argument("--datasets", nargs="+", choices=DATASETS, default=list(DATASETS))
    parser.add_argument("--iters", type=int, default=None, help="training iterations on every dataset (overrides the next three)")
    parser.add_argument("--ring-iters", type=int, default=DEFAULT_ITERS["ring"])
    parser.add_argument("--grid-iters", type=int, default=DEFAULT_ITERS["grid"])
    parser.add_argument("--digit-iters", type=int, default=DEFAULT_ITERS["digits"])
    parser.add_argument("--lr", type=float, default=DEFAULT_LR["ring"], help="Adam learning rate on ring and grid")
    parser.add_argument("--digit-lr", type=float, default=DEFAULT_LR["digits"])
    parser.add_argument("--batch", type=int, default=64)
    parser.add_argument("--width", type=int, default=128)
    parser.add_argument("--samples", type=int, default=2500, help="generated points per 2D model (VEEGAN/PacGAN: 2500)")
    parser.add_argument("--digit-samples", type=int, default=10_000, help="generated images per digits model")
    parser.add_argument("--checkpoints", type=int, default=10, help="metric checkpoints during 2D training")
    parser.add_argument("--digit-checkpoints", type=int, default=8,
                        help="metric checkpoints during digits training (baseline only)")
    parser.add_argument("--configs", nargs="+", type=Config.parse, default=None,
                        help="phase-one configs (default: baseline, the blend sweep and MSGAN)")
    parser.add_argument("--digits-sweep", action="store_true",
                        help="also run the whole blend sweep on digits (default: only the chosen setting; ~+15 min)")
    parser.add_argument("--baseline-only", action="store_true",
                        help="train only the baseline (a longer plateau check); writes mode_collapse.baseline_plateau.json")
    parser.add_argument("--control-setting", default=None,
                        help="'every,eta' for blend-norm and the controls (default: chosen from the data)")
    parser.add_argument("--msgan-weight", type=float, default=MSGAN_WEIGHT)
    parser.add_argument("--classifier-epochs", type=int, default=15)
    parser.add_argument("--workers", type=int, default=2)
    add_output_arguments(parser, from_json="no training: rewrite the .md and .png in --out from a json this script wrote")
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> dict[str, Any]:
    args = parse_args(argv)
    if args.from_json is not None:
        result = read_json(args.from_json)
        write_docs(result, args.out)
        return result
    import torch

    threads = torch.get_num_threads()
    torch.set_num_threads(1)  # like the workers: the main process fits the classifier while they start
    try:
        return run(args)
    finally:
        torch.set_num_threads(threads)


if __name__ == "__main__":
    main()
