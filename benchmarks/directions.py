"""Direction discovery on a frozen generator, measured: every method of ``hjgan_plugin.discovery``

1. on ``hjgan_plugin.testbed.bumps.Bumps``, whose true directions are known and rotated away from the
   latent axes: the matched |cos| to them, the MIG of the coefficients, wall time, beside random
   orthonormal directions;
2. on the squares testbed's G trained without any penalty (discovery as the only disentangling step):
   MIG of the coefficients against the factors, beside G's own axes, and traversals.

    python benchmarks/directions.py [--known-seeds 0 1 2 3 4] [--trained-seeds 0 1 2] [--out docs/benchmarks]
    HJGAN_STYLEGAN2_ADA_DIR=~/stylegan2-ada-pytorch python benchmarks/directions.py --stylegan2-ada-pkl PKL

3. opt-in, ``--stylegan2-ada-pkl``: the same on a StyleGAN2-ADA pickle trained on the squares PNGs
   (``hjgan_plugin.testbed.squares.write_pngs``), in z and w space.

About 6 minutes on 2 cores; writes ``directions.{md,json,png}``; ``--from-json`` redraws them.
"""
from __future__ import annotations

import argparse
import os
import platform
import statistics
import sys
import time
from pathlib import Path

if not __package__:  # run as a file (python benchmarks/directions.py): make the `benchmarks` package importable
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from benchmarks.common import ROOT  # noqa: E402
from benchmarks.common.machine import load_average, loads_text  # noqa: E402
from benchmarks.common.results import add_output_arguments, command_line, read_json, write_result  # noqa: E402


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--known-seeds", nargs="+", type=int, default=[0, 1, 2, 3, 4])
    parser.add_argument("--trained-seeds", nargs="*", type=int, default=[0, 1, 2],
                        help="seeds of the trained squares G (none: skip that suite)")
    parser.add_argument("--steps", type=int, default=300, help="Adam steps of the iterative methods")
    parser.add_argument("--iters", type=int, default=2000, help="training iterations of the squares G")
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--stylegan2-ada-pkl", default=None,
                        help="also run every method on this StyleGAN2-ADA pickle trained on the squares PNGs "
                             "(needs HJGAN_STYLEGAN2_ADA_DIR; z and w space)")
    add_output_arguments(parser, from_json="redraw the page and figure from this JSON instead of running")
    return parser.parse_args(argv)


def _penalty_training_mig() -> str | None:
    """The joint penalty's MIG from the disentanglement benchmark's JSON, if present."""
    from benchmarks.common.results import read_json as read

    path = ROOT / "docs" / "benchmarks" / "disentanglement.json"
    if not path.exists():
        return None
    vals = [r["mig"] for r in read(path) if r["config"] == "joint"]
    return f"{statistics.mean(vals):.2f} ± {statistics.stdev(vals):.2f}" if len(vals) > 1 else None


def main(argv: list[str] | None = None) -> None:
    args = parse_args(argv)
    from benchmarks.discovery import report

    if args.from_json is not None:
        result = read_json(args.from_json)
    else:
        import torch

        from benchmarks.discovery.runs import known_factors, trained_squares

        torch.set_num_threads(args.threads)
        start = time.perf_counter()
        rows = known_factors(args.known_seeds, args.steps)
        trained, pictures = trained_squares(args.trained_seeds, args.steps, args.iters) if args.trained_seeds else ([], {})
        if args.stylegan2_ada_pkl:
            from benchmarks.discovery.runs import stylegan2_ada

            sg2_rows, sg2_pictures = stylegan2_ada(args.stylegan2_ada_pkl, args.steps)
            trained += sg2_rows
            pictures.update(sg2_pictures)
        result = {"settings": {"known_seeds": args.known_seeds, "trained_seeds": args.trained_seeds,
                               "steps": args.steps, "iters": args.iters,
                               "stylegan2_ada_pkl": args.stylegan2_ada_pkl},
                  "rows": rows + trained, "pictures": pictures, "penalty_training_mig": _penalty_training_mig(),
                  "machine": f"{os.cpu_count()} CPUs ({platform.machine()}), torch {torch.__version__}, "
                             f"{args.threads} threads, {time.perf_counter() - start:.0f} s in all, load average {loads_text(load_average())}"}
        result["command"] = command_line("benchmarks/directions.py", argv)
        write_result(args.out, "directions", result)
    report.write(result, args.out, result.get("command", "python benchmarks/directions.py"))
    print(f"wrote {args.out / 'directions.md'}")


if __name__ == "__main__":
    main()
