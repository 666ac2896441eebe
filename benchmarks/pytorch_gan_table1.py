"""The paper's Table 1 protocol in miniature: the nine Table 1 models of the PyTorch-GAN collection on
Fashion-MNIST, each plain, with ``--hj`` (the joint penalty) and with the weight exchange on, over seeds.

Every run is the real upstream script (a checkout at 36d3c77, copied and patched by
``hjgan_pytorch_gan.patching``; the checkout itself is not changed) trained from scratch, then scored
on its generator's samples with the project's Fashion-MNIST classifier: IS-fashion and FD-fashion
(``hjgan_plugin.metrics.fashion``; not IS or FID). Welch's test over seeds compares each setting with
plain. Runs in the hosts environment (the scripts import torchvision):

    bash scripts/setup.sh --hosts
    .venv-hosts/bin/python benchmarks/pytorch_gan_table1.py --checkout ~/PyTorch-GAN

(``--checkout`` defaults to ``HJGAN_PYTORCH_GAN_DIR``.) The defaults take about 30 minutes on 2 cores and
write ``pytorch_gan_table1.{md,json,png}`` to ``docs/benchmarks``; ``--from-json`` redraws them;
``--cache FILE`` keeps finished runs, so an interrupted benchmark resumes. ``pytorch_gan_remedies.py`` is
the same benchmark over the mode-collapse remedies.
"""
from __future__ import annotations

import argparse
import os
import shlex
import sys
from pathlib import Path

if not __package__:  # run as a file (python benchmarks/pytorch_gan_table1.py): make the `benchmarks` package importable
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from benchmarks.common.results import add_output_arguments, dumps_compact, read_json  # noqa: E402
from benchmarks.table1.models import SAMPLED, TABLE1, Suite, check_setting  # noqa: E402
from hjgan_plugin.datasets.idx import DEBIAN_FASHION_MNIST  # noqa: E402


def parse_args(argv: list[str] | None = None, suite: Suite = TABLE1, doc: str | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=(doc or __doc__).split("\n\n")[0],
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    default = os.environ.get("HJGAN_PYTORCH_GAN_DIR")
    parser.add_argument("--checkout", type=Path, default=Path(default) if default else None,
                        help="eriklindernoren/PyTorch-GAN checkout at 36d3c77 (default: $HJGAN_PYTORCH_GAN_DIR)")
    parser.add_argument("--fashion", type=Path, default=DEBIAN_FASHION_MNIST,
                        help="folder of the four Fashion-MNIST IDX files (default: Debian's dataset-fashion-mnist)")
    parser.add_argument("--models", nargs="+", default=list(suite.models), choices=SAMPLED)
    parser.add_argument("--settings", nargs="+", default=list(suite.settings), type=check_setting,
                        help="plain, hj, exchange, or a mode-collapse config (topk:0.75, unrolled:5:0.001, sn, "
                             "msgan:0.1); default: %(default)s")
    parser.add_argument("--seeds", nargs="+", type=int, default=list(suite.seeds))
    parser.add_argument("--iterations", type=int, default=suite.iterations,
                        help="iterations per run (one epoch over that many batches)")
    parser.add_argument("--batch-size", type=int, default=32)
    parser.add_argument("--img-size", type=int, default=suite.img_size,
                        help="the scripts' --img_size (default %(default)s)")
    parser.add_argument("--samples", type=int, default=2000, help="generated (and real reference) images per score")
    parser.add_argument("--workers", type=int, default=2, help="runs at a time, one thread each")
    parser.add_argument("--classifier", type=Path, default=None,
                        help="a FashionClassifier file to reuse (default: train one, seed 0)")
    parser.add_argument("--classifier-epochs", type=int, default=3)
    parser.add_argument("--cache", type=Path, default=None,
                        help="JSON-lines file of finished runs: reused, and each new run appended (resumable)")
    add_output_arguments(parser, from_json="redraw the page and figure from this JSON instead of running")
    args = parser.parse_args(argv)
    args.suite = suite.name
    if args.from_json is None:
        if args.checkout is None or not (args.checkout / "implementations" / "gan" / "gan.py").is_file():
            parser.error("--checkout (or HJGAN_PYTORCH_GAN_DIR) must be an eriklindernoren/PyTorch-GAN checkout")
        if "plain" not in args.settings:
            parser.error("--settings must include plain: every other setting is compared with it")
    args.settings = ["plain"] + [s for s in dict.fromkeys(args.settings) if s != "plain"]  # plain first
    return args


def command_line(argv: list[str], suite: Suite = TABLE1, local: tuple[str, ...] = ("--checkout", "--cache"),
                 name: str | None = None, python: str = ".venv-hosts/bin/python") -> str:
    """The command as the page shows it: ``python`` (default the hosts interpreter) running
    ``benchmarks/NAME.py`` (default: the suite's), without the ``local`` path options (``--checkout``,
    ``--cache``: they change no result)."""
    shown, skip = [], False
    for arg in argv:
        if skip or arg in local or arg.startswith(tuple(f"{flag}=" for flag in local)):
            skip = arg in local  # `--cache FILE` skips FILE too; `--cache=FILE` is one argument
            continue
        shown.append(shlex.quote(arg))
    return " ".join([f"{python} benchmarks/{name or suite.name}.py", *shown])


def main(argv: list[str] | None = None, suite: Suite = TABLE1, doc: str | None = None) -> None:
    args = parse_args(argv, suite, doc)
    from benchmarks.table1 import report

    shown = command_line(sys.argv[1:] if argv is None else argv, suite)
    if args.from_json is not None:
        result = read_json(args.from_json)
        suite = report.suite_of(result)
    else:
        from benchmarks.table1.experiment import run

        result = run(args)
        result["command"] = shown
        args.out.mkdir(parents=True, exist_ok=True)
        (args.out / f"{suite.name}.json").write_text(dumps_compact(result))
    report.write(result, args.out, result.get("command") or shown)
    print(f"wrote {args.out / (suite.name + '.md')}")


if __name__ == "__main__":
    main()
