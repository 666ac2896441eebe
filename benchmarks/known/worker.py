"""One known-factor run, in its own process: train one patched PyTorch-GAN script on a rendered set, score it.

    python -m benchmarks.known.worker JOB.json RESULT.json

The job is the Table 1 worker's (:func:`benchmarks.table1.worker.train_script`) plus the read-out file and the
real rendered images; the result holds MIG, DCI, VP, FD and the valid fraction
(:func:`hjgan_plugin.metrics.known_factor_scores.known_factor_scores`), the training loop's seconds per
iteration, the mean penalty terms the script logged, and a traversal grid of the first seed.
"""
from __future__ import annotations

import json
import sys
from pathlib import Path

import torch

from ..table1.worker import train_script

TRAVERSE = (-2.0, -1.0, 0.0, 1.0, 2.0)
SHOWN_LATENTS = 12  # traversal rows kept for the figure


def _generator(script: dict, model: str):
    G = script["generator"]
    opt = script["opt"]

    def fn(z: torch.Tensor) -> torch.Tensor:  # the mode the script leaves G in, as the scripts sample
        return ((G(z) + 1) / 2).reshape(len(z), opt.channels, opt.img_size, opt.img_size)

    return fn, opt.latent_dim


def traversal(G, latent_dim: int, seed: int, rows: int = 3) -> list:
    """Each latent moved alone from ``rows`` base points (drawn in one batch, for G's BatchNorm statistics);
    the first base point's images of the first :data:`SHOWN_LATENTS` latents, ``len(TRAVERSE)`` per latent."""
    base = torch.randn(rows, latent_dim, generator=torch.Generator().manual_seed(seed))
    z = base[:, None, None, :].repeat(1, latent_dim, len(TRAVERSE), 1)
    for d in range(latent_dim):
        z[:, d, :, d] = torch.tensor(TRAVERSE)
    with torch.no_grad():  # one batch of 64 or so: BatchNorm statistics of a batch the size of training's
        images = G(z.reshape(-1, latent_dim)).clamp(0, 1)
    kept = images[: min(latent_dim, SHOWN_LATENTS) * len(TRAVERSE)]  # the first base point's, as the page shows
    return [[round(float(v), 3) for v in img.flatten()] for img in kept]


def run(job: dict) -> dict:
    from hjgan_plugin.metrics.factor_readout import FactorReadout
    from hjgan_plugin.metrics.known_factor_scores import known_factor_scores

    if job.get("resume"):  # fine-tuning: the script starts from the plain run's checkpoint
        job = {**job, "flags": [*job["flags"], "--hj-resume", job["resume"]]}
    script, seconds, steps, lines, refused = train_script(job)
    row = {"model": job["model"], "setting": job["setting"], "seed": job["seed"], "train_seconds": seconds,
           "seconds_per_iteration": (steps[-1] - steps[0]) / max(1, len(steps) // 2 - 1) if steps else float("nan")}
    if script is None:
        return {**row, "refused": refused}
    if job.get("score") is False:  # a pretraining run: its checkpoint is what counts
        return row
    G, latent_dim = _generator(script, job["model"])
    readout = FactorReadout.load(job["readout"])
    real = torch.load(job["real"], weights_only=True)
    torch.manual_seed(0)
    row.update(known_factor_scores(G, latent_dim, readout, real, n=job["samples"], vp_pairs=job["vp_pairs"],
                                   seed=10_000 + job["seed"]))
    penalties = [line for line in lines if line.startswith("[hj] [")]
    row["last_log"] = next((line for line in reversed(lines) if line.startswith("[Epoch")), "")
    row["hj_log"] = penalties[-1] if penalties else ""
    if job.get("grid"):
        row["grid"] = traversal(G, latent_dim, job["seed"])
    return row


def main(argv: list[str] | None = None) -> None:
    job_path, result_path = argv or sys.argv[1:]
    Path(result_path).write_text(json.dumps(run(json.loads(Path(job_path).read_text()))))


if __name__ == "__main__":
    main()
