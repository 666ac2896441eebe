"""Does ``--hj`` pay on a PyTorch-GAN script? Plain against ``--hj`` at a λ sweep, on a known-factor set.

Every run is the real upstream script (a checkout at 36d3c77, copied and patched by
``hjgan_pytorch_gan.patching``) trained from scratch on images rendered by ``hjgan data`` (default: the
grey shaded ball, factors x, y, radius and light direction), then scored through a factor read-out trained
on rendered images alone: MIG and DCI (disentanglement), VP (no factors needed), FD on the read-out's
features and the valid fraction (quality), and seconds per iteration (cost). Welch's test over seeds
compares each setting with plain. Runs in the hosts environment (the scripts import torchvision):

    bash scripts/setup.sh --hosts
    .venv-hosts/bin/python benchmarks/pytorch_gan_known_factors.py --checkout ~/PyTorch-GAN --cache known.jsonl

(``--checkout`` defaults to ``HJGAN_PYTORCH_GAN_DIR``.) The defaults (gan, the MLP script: its plain run learns
the set in 1500 iterations on a CPU, dcgan's does not in 800; 20 settings: a λ sweep over five decades at
the output and at the recipe layers, lazy and sub-batch variants and a λ 1e-8 control that changes only the
random stream; 5 seeds: 100 runs) take about 50 minutes on 2 cores and write ``pytorch_gan_known_factors.{md,json,png}`` to
``docs/benchmarks``; ``--from-json`` redraws them; ``--cache FILE`` keeps finished runs, so an interrupted
benchmark resumes and a later call with more seeds trains only the new ones.

``--use finetune`` measures the other use: per model and seed one plain run of ``--pretrain-epochs`` epochs
saves a checkpoint (``--hj-save``), and every setting resumes it (``--hj-resume``) for one more epoch, ``plain``
included, so that plain and ``--hj`` have trained equally long. Its defaults (750 iterations after 1500 plain
ones; λ ramped in over the first 250 steps, as the Hessian Penalty's fine-tuning runs ramp it; 12 settings,
5 seeds) take about 25 minutes and write ``pytorch_gan_known_factors_finetune.*``.
"""
from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path

if not __package__:  # run as a file: make the `benchmarks` package importable
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from benchmarks.known import settings as known_settings  # noqa: E402
from benchmarks.known.experiment import add_run_arguments  # noqa: E402

NAME = "pytorch_gan_known_factors"
USES = ("scratch", "finetune")
DEFAULT_SETTINGS = ("plain", "hj", "out:1e-08", "out:0.0001", "out:0.001", "out:0.01", "out:0.1", "out:1",
                    "recipe:3e-05", "recipe:0.0001", "recipe:0.0003", "recipe:0.001", "recipe:0.01", "recipe:0.1",
                    "recipe:1", "recipe:0.0001:every=4", "recipe:0.0001:every=8", "out:0.0001:every=4",
                    "recipe:0.0001:sub=0.25", "recipe:0.001:every=4")
RAMP = 250  # G steps over which fine-tuning ramps λ in
FINETUNE_SETTINGS = ("plain", "hj", *(f"{layers}:{lam}:warmup={RAMP}" for layers in ("out", "recipe")
                                      for lam in ("0.0001", "0.001", "0.01", "0.1")),
                     "recipe:0.01", f"recipe:0.01:warmup={RAMP}:every=4")


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    default = os.environ.get("HJGAN_PYTORCH_GAN_DIR")
    parser.add_argument("--checkout", type=Path, default=Path(default) if default else None,
                        help="eriklindernoren/PyTorch-GAN checkout at 36d3c77 (default: $HJGAN_PYTORCH_GAN_DIR)")
    parser.add_argument("--models", nargs="+", default=["gan"], choices=sorted(known_settings.RECIPE_LAYERS),
                        help="z-only scripts with a recipe layer set (default: %(default)s)")
    parser.add_argument("--use", choices=USES, default="scratch",
                        help="scratch: train each setting from scratch; finetune: resume one plain run per seed "
                             "(default: %(default)s)")
    parser.add_argument("--settings", nargs="+", default=None, type=known_settings.check,
                        help="plain, hj (the defaults), out:LAMBDA or recipe:LAMBDA (λ_H; λ_J = λ_H·1e-3), "
                             "optionally :biased, :every=N, :sub=F, :warmup=N; default: "
                             f"{' '.join(DEFAULT_SETTINGS)} (scratch), {' '.join(FINETUNE_SETTINGS)} (finetune)")
    parser.add_argument("--size", type=int, default=16, help="image size, the scripts' --img_size")
    parser.add_argument("--iterations", type=int, default=None,
                        help="iterations per run, one epoch of that many batches (default: 1500 scratch, 750 finetune)")
    parser.add_argument("--pretrain-epochs", type=int, default=2,
                        help="finetune: epochs of the plain run each setting resumes (default: %(default)s)")
    parser.add_argument("--batch-size", type=int, default=32)
    parser.add_argument("--latent-dim", type=int, default=8, help="the scripts' --latent_dim (upstream: 100)")
    parser.add_argument("--vp-pairs", type=int, default=2000, help="image pairs for VP (0: skip)")
    add_run_arguments(parser, NAME, seeds=[0, 1, 2, 3, 4])
    args = parser.parse_args(argv)
    finetune = args.use == "finetune"
    args.settings = args.settings or list(FINETUNE_SETTINGS if finetune else DEFAULT_SETTINGS)
    args.iterations = args.iterations or (750 if finetune else 1500)
    args.name = args.name or (f"{NAME}_finetune" if finetune else NAME)
    if args.pretrain_epochs < 1:
        parser.error(f"--pretrain-epochs {args.pretrain_epochs}: must be >= 1")
    if args.from_json is None:
        if args.checkout is None or not (args.checkout / "implementations" / "dcgan" / "dcgan.py").is_file():
            parser.error("--checkout (or HJGAN_PYTORCH_GAN_DIR) must be an eriklindernoren/PyTorch-GAN checkout")
        if "plain" not in args.settings:
            parser.error("--settings must include plain: every other setting is compared with it")
        if args.vp_pairs and args.vp_pairs < 50 * args.latent_dim:
            parser.error(f"--vp-pairs {args.vp_pairs}: VP trains on 10% of the pairs, 5 per latent at least: use "
                         f">= {50 * args.latent_dim} for --latent-dim {args.latent_dim}, or 0 to skip VP")
        if args.size < 16 or args.size & (args.size - 1):
            parser.error(f"--size {args.size}: use a power of two >= 16 (dcgan's discriminator halves it four "
                         "times, the read-out takes powers of two)")
    args.settings = ["plain"] + [s for s in dict.fromkeys(args.settings) if s != "plain"]
    return args


def main(argv: list[str] | None = None) -> None:
    from benchmarks.known import report
    from benchmarks.known.experiment import run
    from benchmarks.pytorch_gan_table1 import command_line

    args = parse_args(argv)
    # the local paths (checkout, cache, output folder, read-out file) change no result
    shown = command_line(sys.argv[1:] if argv is None else argv, local=("--checkout", "--cache", "--out", "--readout"),
                         name=NAME)
    report.publish(args, shown, run)


if __name__ == "__main__":
    main()
