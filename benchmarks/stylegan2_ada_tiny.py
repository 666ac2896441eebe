"""Wall time of a tiny StyleGAN2-ADA run with and without the plugin, on this machine.

Needs a checkout patched with ``hjgan patch stylegan2-ada DIR --cpu`` (DIR, or ``HJGAN_STYLEGAN2_ADA_DIR``
pointing at an unpatched checkout: then a patched copy is made in a temporary directory). Builds the
64-image 16x16 squares dataset with upstream's ``dataset_tool.py`` and runs the same tiny configuration as
tests/test_stylegan2_ada_upstream.py (32 feature maps, batch 32, 1 kimg = 32 iterations, fp32) for each
setting, interleaved ``--repeats`` times so that load on the machine hits every setting alike.

Reported per setting: the whole process's wall time (start-up, network construction, the sample grids,
snapshots) and upstream's own ``sec/kimg`` of the training tick (tick 1: 32 iterations, no maintenance).

    python benchmarks/stylegan2_ada_tiny.py --repo DIR [--repeats 3] [--out docs/benchmarks]
"""
from __future__ import annotations

import argparse
import os
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import torch

if not __package__:  # run as a file (python benchmarks/stylegan2_ada_tiny.py): make the `benchmarks` package importable
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from benchmarks.common.markdown import table  # noqa: E402
from benchmarks.common.results import add_output_arguments, write_json  # noqa: E402

TINY = ["--gpus", "1", "--cbase", "512", "--cmax", "32", "--batch", "32", "--kimg", "1", "--snap", "1",
        "--metrics", "none", "--aug", "noaug", "--fp32", "1", "--workers", "1", "--seed", "0"]
SETTINGS = {
    "upstream (--hj=0)": ["--hj=0"],
    "--hj=1 (joint, z, every step)": ["--hj=1"],
    "--hj=1 --hj-interval 4": ["--hj=1", "--hj-interval", "4"],
    "--hj=1 --hj-space w": ["--hj=1", "--hj-space", "w"],
}


def prepare_repo(repo: Path | None, work: Path) -> Path:
    from hjgan_stylegan2_ada.patching import CPU_PATCH, HJ_PATCH, is_applied, patch

    if repo is None:
        source = os.environ.get("HJGAN_STYLEGAN2_ADA_DIR")
        if not source:
            raise SystemExit("pass --repo DIR (patched with `hjgan patch stylegan2-ada DIR --cpu`) or set "
                             "HJGAN_STYLEGAN2_ADA_DIR to an upstream checkout")
        repo = work / "stylegan2-ada-pytorch"
        shutil.copytree(source, repo, ignore=shutil.ignore_patterns(".git", "__pycache__"))
        patch(repo, cpu=True)
    elif not (is_applied(repo, HJ_PATCH) and is_applied(repo, CPU_PATCH)):
        raise SystemExit(f"{repo}: apply the patches first: hjgan patch stylegan2-ada {repo} --cpu")
    return repo


def make_dataset(repo: Path, work: Path, n: int = 64) -> Path:
    """``n`` squares PNGs packed by upstream's ``dataset_tool.py`` into ``work/squares16.zip``."""
    from hjgan_plugin.testbed.squares import write_pngs

    images = work / "images"
    write_pngs(images, n=n, seed=0)
    dest = work / "squares16.zip"
    subprocess.run([sys.executable, "dataset_tool.py", "--source", str(images), "--dest", str(dest)], cwd=repo,
                   check=True, capture_output=True)
    return dest


def run_once(repo: Path, data: Path, outdir: Path, extra: list[str], threads: int | None = None) -> dict[str, Any]:
    """One ``train.py`` run of the tiny configuration (``extra`` overrides it: click keeps an option's last
    value; ``threads``: its OMP_NUM_THREADS, default inherited): wall time, tick 1's ``sec/kimg``, every
    tick's, and the last snapshot written."""
    start = time.perf_counter()
    env = None if threads is None else {**os.environ, "OMP_NUM_THREADS": str(threads)}
    done = subprocess.run([sys.executable, "train.py", "--outdir", str(outdir), "--data", str(data), *TINY, *extra],
                          cwd=repo, capture_output=True, text=True, env=env)
    wall = time.perf_counter() - start
    if done.returncode != 0:
        raise RuntimeError(f"train.py {' '.join(extra)} failed:\n{done.stdout[-3000:]}\n{done.stderr[-3000:]}")
    ticks = [float(v) for v in re.findall(r"^tick \d+ .*?sec/kimg\s+([0-9.]+)", done.stdout, flags=re.M)]
    snapshots = sorted(Path(outdir).glob("*/network-snapshot-*.pkl"), key=lambda p: p.stat().st_mtime)
    return {"wall_s": wall, "sec_per_kimg": ticks[1], "ticks_sec_per_kimg": ticks,
            "snapshot": str(snapshots[-1]) if snapshots else None}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repo", type=Path, default=None)
    parser.add_argument("--repeats", type=int, default=3)
    add_output_arguments(parser)
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        repo = prepare_repo(args.repo, work)
        data = make_dataset(repo, work)
        results: dict[str, list[dict[str, float]]] = {name: [] for name in SETTINGS}
        for r in range(args.repeats):
            for name, extra in SETTINGS.items():
                results[name].append(run_once(repo, data, work / f"runs{r}", extra))
                print(f"repeat {r}: {name}: {results[name][-1]}", flush=True)
    base = statistics.median(x["sec_per_kimg"] for x in results["upstream (--hj=0)"])
    rows = []
    for name, runs in results.items():
        wall = [x["wall_s"] for x in runs]
        kimg = [x["sec_per_kimg"] for x in runs]
        rows.append({"setting": name, "wall_s_median": statistics.median(wall), "wall_s": wall,
                     "sec_per_kimg_median": statistics.median(kimg), "sec_per_kimg": kimg,
                     "train_time_vs_upstream": statistics.median(kimg) / base})
    lines = [
        "# Tiny StyleGAN2-ADA run on this CPU, with and without the plugin",
        "",
        f"`python benchmarks/stylegan2_ada_tiny.py --repeats {args.repeats}`; device: CPU "
        f"({os.cpu_count()} cores), torch {torch.__version__}; settings interleaved, medians.",
        "Network: `--cbase 512 --cmax 32` (32 feature maps), 16x16 RGB, batch 32, 1 kimg (32 iterations), fp32.",
        "",
    ]
    lines += table(["setting", "wall time of the run (s)", "training sec/kimg (tick 1)", "training time vs upstream"],
                   [[row["setting"], f"{row['wall_s_median']:.1f}", f"{row['sec_per_kimg_median']:.2f}",
                     f"{row['train_time_vs_upstream']:.2f}x"] for row in rows])
    text = "\n".join(lines) + "\n"
    print(text)
    args.out.mkdir(parents=True, exist_ok=True)
    (args.out / "stylegan2_ada_tiny_cpu.md").write_text(text)
    write_json(args.out / "stylegan2_ada_tiny_cpu.json", rows)
    return 0


if __name__ == "__main__":
    sys.exit(main())
