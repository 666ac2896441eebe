"""One training run of the lazy-regularization benchmark, read as the stability study reads it: MIG and
the valid fraction averaged over the last checkpoints (the reading with the smallest seed spread)."""
from __future__ import annotations

import statistics
from typing import Any

CHECKPOINTS, EVERY = 5, 125
"""Checkpoints read at the end of training and the iterations between them."""


def checkpoint_its(iters: int, n: int = CHECKPOINTS, every: int = EVERY) -> list[int]:
    """The last ``n`` checkpoint iterations, ``every`` apart, ending at ``iters`` (none before iteration 1)."""
    return sorted({max(1, iters - i * every) for i in range(n)})


def averaged(points: list[dict[str, Any]], key: str) -> float:
    """``key`` (``mig`` or ``valid``) averaged over a run's checkpoint read-outs."""
    return statistics.mean(p[key] for p in points)


def run_one(job: dict[str, Any]) -> dict[str, Any]:
    """Train the squares testbed with ``job["plugin"]`` (attach options or None) for ``job["iters"]``
    iterations with ``job["seed"]`` and G's learning rate ``job["lr_g"]``; one torch thread."""
    import torch

    from hjgan_plugin.testbed.training import train

    torch.set_num_threads(1)
    run = train(job["plugin"], iters=job["iters"], seed=job["seed"], log=lambda _: None,
                checkpoints=checkpoint_its(job["iters"]), lr_g=job["lr_g"])
    points = run["history"]["checkpoints"]
    return {"config": job["config"], "seed": job["seed"], "iters": job["iters"], "lr_g": job["lr_g"],
            "mig": averaged(points, "mig"), "valid": averaged(points, "valid"), "checkpoints": points,
            "train_seconds": run["seconds"]}
