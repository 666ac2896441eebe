"""One StyleGAN2-ADA known-factor run, in its own process: upstream's ``train.py`` (the tiny CPU network) on a
rendered set's dataset zip, its last snapshot scored through the factor read-out.

    python -m benchmarks.known.stylegan2_ada JOB.json RESULT.json

StyleGAN2-ADA's z has 512 coordinates (``train.py`` fixes ``z_dim``), too many for a factor to own one: MIG
and DCI read each sample's coordinates along G's own top ``k`` Jacobian directions (eigenvectors of
E[JᵀJ] of ``G_ema`` in z space, ``k`` = the set's factor count; ``hjgan discover --method sefa``), the
same procedure for every run, whatever trained it. VP would move one of the 512 coordinates: it is not
scored. FD and the valid fraction read the images as for the other hosts.
"""
from __future__ import annotations

import json
import statistics
import sys
from pathlib import Path
from typing import Any

import torch

TRAVERSE = (-2.0, -1.0, 0.0, 1.0, 2.0)


def _train(job: dict[str, Any]) -> dict[str, Any]:
    from ..stylegan2_ada_tiny import run_once

    extra = ["--kimg", str(job["kimg"]), "--snap", "1000", "--seed", str(job["seed"]), "--mirror", "0",
             *job["flags"]] + (["--resume", job["resume"]] if job.get("resume") else [])
    run = run_once(Path(job["checkout"]), Path(job["data"]), Path(job["outdir"]), extra, threads=1)
    ticks = run["ticks_sec_per_kimg"][1:] or run["ticks_sec_per_kimg"]
    sec_per_kimg = statistics.median(ticks)
    return {"snapshot": run["snapshot"], "train_seconds": run["wall_s"], "sec_per_kimg": sec_per_kimg,
            "seconds_per_iteration": sec_per_kimg * job["batch_size"] / 1000}


def score(snapshot: str, checkout: str, readout_path: str, real_path: str, samples: int, seed: int,
          grid: bool) -> dict[str, Any]:
    """MIG/DCI along ``G_ema``'s top Jacobian directions, FD and valid of ``samples`` images of ``snapshot``;
    with ``grid``, the traversal of each direction from one base point (for the figure)."""
    from hjgan_stylegan2_ada.loading import load

    from hjgan_plugin.discovery import discover_directions
    from hjgan_plugin.metrics.factor_readout import FactorReadout
    from hjgan_plugin.metrics.known_factor_scores import known_factor_scores

    readout = FactorReadout.load(readout_path)
    loaded = load(snapshot, space="z", checkout=checkout)

    def G(z: torch.Tensor) -> torch.Tensor:  # upstream's [-1, 1] image, grey or RGB as trained
        return (loaded.G(z) + 1) / 2

    k = len(readout.set.factor_names)
    top = discover_directions(loaded.G, loaded.latent_dim, k, method="sefa", seed=seed).directions
    row = known_factor_scores(G, loaded.latent_dim, readout, torch.load(real_path, weights_only=True), n=samples,
                              vp_pairs=0, seed=10_000 + seed, coordinates=lambda z: z @ top.T)
    row["directions"] = k
    if grid:
        base = torch.randn(1, loaded.latent_dim, generator=torch.Generator().manual_seed(seed))
        z = torch.cat([base + t * d for d in top for t in TRAVERSE])
        with torch.no_grad():
            images = G(z).clamp(0, 1).mean(1)  # grey for the figure
        row["grid"] = [[round(float(v), 3) for v in img.flatten()] for img in images]
    return row


def run(job: dict[str, Any]) -> dict[str, Any]:
    trained = _train(job)
    row = {"model": job["model"], "setting": job["setting"], "seed": job["seed"],
           **{k: v for k, v in trained.items() if k != "snapshot"}}
    if job.get("score") is False:  # a pretraining run: its snapshot is what counts
        return row | {"snapshot": trained["snapshot"]}
    torch.set_num_threads(1)
    return row | score(trained["snapshot"], job["checkout"], job["readout"], job["real"], job["samples"],
                       job["seed"], job.get("grid", False))


def main(argv: list[str] | None = None) -> None:
    job_path, result_path = argv or sys.argv[1:]
    Path(result_path).write_text(json.dumps(run(json.loads(Path(job_path).read_text()))))


if __name__ == "__main__":
    main()
