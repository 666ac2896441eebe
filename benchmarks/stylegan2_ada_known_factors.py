"""Does ``--hj`` pay on StyleGAN2-ADA? Plain against ``--hj=1`` at a λ sweep, on a known-factor set.

Every run is upstream's ``train.py`` (a checkout at d72cc7d patched with ``hjgan patch stylegan2-ada DIR
--cpu``, or ``HJGAN_STYLEGAN2_ADA_DIR``: a patched copy is made) with the tiny CPU network (``--cbase 512
--cmax 32``, batch 32, fp32, no augmentation) on a dataset zip that ``hjgan data`` rendered (default: the grey
shaded ball, factors x, y, radius and light direction). Each run's last snapshot (``G_ema``, z space,
constant noise) is scored through a factor read-out trained on rendered images alone: MIG and DCI of z's
coordinates along G's top Jacobian directions (z has 512 coordinates; ``benchmarks/known/stylegan2_ada.py``
says why), FD on the read-out's features and the valid fraction (quality), and upstream's sec/kimg (cost).
Welch's test over seeds compares each setting with plain:

    python benchmarks/stylegan2_ada_known_factors.py --repo ~/stylegan2-ada-pytorch --cache sg2.jsonl

Settings are the PyTorch-GAN benchmark's (``out:LAMBDA``, ``recipe:LAMBDA`` with ``:every=N``, ``:sub=F``,
``:biased``, ``:warmup=N``); ``recipe`` here is each synthesis block's last layer (``synthesis.b4.conv1``
up to the image's resolution: modulated, demodulated, the block's normalized activation), then the
output. ``--use finetune`` trains one plain run per seed for ``--pretrain-kimg`` and resumes every setting
from its snapshot (upstream's ``--resume``) for ``--kimg`` more, plain included. ``--cache FILE`` keeps
finished runs. Writes ``stylegan2_ada_known_factors[_finetune].{md,json,png}`` to ``docs/benchmarks``.
"""
from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

if not __package__:  # run as a file: make the `benchmarks` package importable
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from benchmarks.known import settings as known_settings  # noqa: E402
from benchmarks.known.experiment import add_run_arguments  # noqa: E402

NAME = "stylegan2_ada_known_factors"
MODEL = "stylegan2-ada"
UPSTREAM = "NVlabs/stylegan2-ada-pytorch d72cc7d"
DEFAULT_SETTINGS = ("plain", "hj", "out:1e-05", "out:0.0001", "out:0.001", "out:0.01", "recipe:0.0001",
                    "recipe:0.001", "out:0.001:every=4")
RAMP = 100  # G steps (3.2 kimg at batch 32) over which fine-tuning ramps λ in
FINETUNE_SETTINGS = ("plain", "hj", *(f"out:{lam}:warmup={RAMP}" for lam in ("1e-05", "0.0001", "0.001", "0.01")),
                     f"recipe:0.001:warmup={RAMP}")


def recipe_layers(size: int) -> tuple[str, ...]:
    """The synthesis blocks' last layers from 4×4 to ``size``, then the output."""
    return (*(f"synthesis.b{2 ** i}.conv1" for i in range(2, size.bit_length())), "output")


def flags(setting: str, size: int) -> list[str]:
    """train.py's options for ``setting`` (the known-factor settings' flags in its ``--hj=1`` form)."""
    out = known_settings.flags(setting, MODEL, recipe={MODEL: recipe_layers(size)})
    return ["--hj=1" if flag == "--hj" else flag for flag in out]


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--repo", type=Path, default=None,
                        help="a checkout patched with `hjgan patch stylegan2-ada DIR --cpu` (default: a patched "
                             "copy of $HJGAN_STYLEGAN2_ADA_DIR)")
    parser.add_argument("--use", choices=("scratch", "finetune"), default="scratch")
    parser.add_argument("--settings", nargs="+", default=None, type=known_settings.check,
                        help=f"default: {' '.join(DEFAULT_SETTINGS)} (scratch), {' '.join(FINETUNE_SETTINGS)} (finetune)")
    parser.add_argument("--size", type=int, default=16, choices=(16, 32), help="image size")
    parser.add_argument("--kimg", type=int, default=None,
                        help="thousands of images per run (default: 20 scratch, 8 finetune)")
    parser.add_argument("--pretrain-kimg", type=int, default=40, help="finetune: the plain run's length")
    parser.add_argument("--gamma", type=float, default=1.0, help="train.py's R1 weight (its auto: 0.0016 at 16 px)")
    parser.add_argument("--images", type=int, default=5000, help="rendered training images")
    add_run_arguments(parser, NAME, seeds=[0, 1, 2])
    args = parser.parse_args(argv)
    finetune = args.use == "finetune"
    args.settings = ["plain"] + [s for s in dict.fromkeys(args.settings or (FINETUNE_SETTINGS if finetune
                                                                            else DEFAULT_SETTINGS)) if s != "plain"]
    args.kimg = args.kimg or (8 if finetune else 20)
    args.name = args.name or (f"{NAME}_finetune" if finetune else NAME)
    return args


def _protocol(args: argparse.Namespace) -> str:
    tiny = (f"Upstream {UPSTREAM} `train.py`, `--cbase 512 --cmax 32 --batch 32 --fp32 1 --aug noaug --gamma "
            f"{args.gamma:g}`, on {args.images} rendered images")
    if args.use == "scratch":
        return f"{tiny}, each setting trained from scratch for {args.kimg} kimg."
    return (f"{tiny}: one plain run of {args.pretrain_kimg} kimg per seed, then every setting resumed from its "
            f"snapshot (`--resume`) for {args.kimg} kimg more, plain included; cost is the resumed runs' sec/kimg.")


def jobs(args: argparse.Namespace, repo: Path, data: Path, work: Path) -> list[dict[str, Any]]:
    common = {"model": MODEL, "worker": "benchmarks.known.stylegan2_ada", "checkout": str(repo), "data": str(data),
              "batch_size": 32, "samples": args.samples, "factors": args.factors, "size": args.size,
              "gamma": args.gamma, "readout": str(work / "readout.pt"), "real": str(work / "real.pt"),
              "work": str(work)}
    gamma = ["--gamma", f"{args.gamma:g}"]
    out = []
    for seed in args.seeds:
        pre = {**common, "setting": "pretrain", "seed": seed, "flags": gamma, "kimg": args.pretrain_kimg,
               "score": False, "outdir": str(work / "runs" / f"pretrain-{seed}"),
               "save": str(work / "runs" / f"pretrain-{seed}")}
        for setting in args.settings:
            job = {**common, "setting": setting, "seed": seed, "flags": gamma + flags(setting, args.size),
                   "kimg": args.kimg, "grid": seed == args.seeds[0],
                   "outdir": str(work / "runs" / f"{setting}-{seed}".replace(":", "_"))}
            if args.use == "finetune":
                job.update(use="finetune", pretrain_kimg=args.pretrain_kimg, pretrain=pre)
            out.append(job)
    return sorted(out, key=lambda job: args.settings.index(job["setting"]))  # seeds' pretraining runs in parallel


def run(args: argparse.Namespace) -> dict[str, Any]:
    from hjgan_plugin.datasets.host_formats import write_known_factor_set
    from hjgan_plugin.datasets.known_factors import factor_set

    from benchmarks.common.machine import load_average
    from benchmarks.known.experiment import cache_key, readout, run_jobs
    from benchmarks.stylegan2_ada_tiny import prepare_repo

    start = time.perf_counter()
    with tempfile.TemporaryDirectory(prefix="hjgan-sg2-known-") as tmp:
        work = Path(tmp)
        repo = prepare_repo(args.repo, work)
        data = write_known_factor_set(work / "data", factor_set(args.factors), "stylegan2-zip", args.size,
                                      args.images, seed=1).data_path
        ro = readout(args.readout or work / "readout.pt", args.factors, args.size, work, args.samples,
                     n_train=args.readout_images, epochs=args.readout_epochs)
        print(f"read-out: held-out {ro}", flush=True)
        todo = jobs(args, repo, data, work)
        rows, trained = run_jobs(todo, ro, args, lambda job: {
            k: v for k, v in cache_key(job).items() if k not in ("data", "outdir", "worker")})
    k = rows[0].get("directions", 4)
    return {"settings": {key: v for key, v in vars(args).items() if key not in ("repo", "cache", "readout", "out")}
            | {"models": [MODEL], "host": "StyleGAN2-ADA", "upstream": UPSTREAM, "protocol": _protocol(args),
               "latent_dim": k, "batch_size": 32, "iterations": args.kimg * 1000 // 32,
               "traversal": f"each row moves z along one of G's top {k} Jacobian directions, -2 to 2",
               "flags": {MODEL: {s: flags(s, args.size) for s in args.settings}}},
            "readout": ro, "rows": rows,
            "machine": {"cpus": os.cpu_count(), "load_after": load_average(), "seconds": time.perf_counter() - start,
                        "trained": trained, "runs": len(todo)}}


def main(argv: list[str] | None = None) -> None:
    from benchmarks.known import report
    from benchmarks.pytorch_gan_table1 import command_line

    args = parse_args(argv)
    # the local paths (checkout, cache, output folder, read-out file) change no result
    shown = command_line(sys.argv[1:] if argv is None else argv, local=("--repo", "--cache", "--out", "--readout"),
                         name=NAME, python="python")
    report.publish(args, shown, run)


if __name__ == "__main__":
    main()
