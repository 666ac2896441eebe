"""One run of the Table 1 benchmark, in its own process: train one patched PyTorch-GAN script, score it.

    python -m benchmarks.table1.worker JOB.json RESULT.json

``JOB.json`` names the patched checkout, the model, the setting's flags, the seed, the script's
arguments, the classifier file and the real reference file. The script runs as ``__main__`` from its own
folder (it reads ``../../data/mnist``), with ``torch`` and ``numpy`` seeded first (the scripts have no
seed option); then ``samples`` images are drawn from its generator and scored. The result holds
IS-fashion, FD-fashion, the run's wall time and the training loop's seconds per iteration (from the
first optimizer step to the last), the script's last log line, what the exchange paired and
64 samples (as lists of floats) for the figure. A setting the plugin refuses for the model (an exchange
that pairs nothing) gives a row with ``refused`` (the message) and NaN scores.
"""
from __future__ import annotations

import contextlib
import io
import json
import os
import runpy
import sys
import time
from pathlib import Path

import numpy as np
import torch
from torch.optim.optimizer import register_optimizer_step_post_hook


def train_script(job: dict) -> tuple[dict | None, float, list[float], list[str], str]:
    """Run the job's patched script as ``__main__`` from its folder, ``torch``/``numpy`` seeded first.
    Returns its module globals (``None`` if the plugin refused the setting), the wall seconds, the times of
    its optimizer steps, its printed lines and the refusal's message (``""`` when it ran)."""
    torch.set_num_threads(1)
    folder = Path(job["checkout"]) / "implementations" / job["model"]
    argv = [f"{job['model']}.py", *job["args"], *job["flags"]]
    torch.manual_seed(job["seed"])
    np.random.seed(job["seed"])
    log = io.StringIO()
    cwd = os.getcwd()
    steps: list[float] = []  # when each optimizer step ended: the training loop's clock, without start-up
    hook = register_optimizer_step_post_hook(lambda *_: steps.append(time.perf_counter()))
    start = time.perf_counter()
    script, refused = None, ""
    try:
        os.chdir(folder)
        sys.argv = argv
        with contextlib.redirect_stdout(log):
            script = runpy.run_path(argv[0], run_name="__main__")
    except ValueError as exc:  # the plugin's refusal (cgan's exchange pairs nothing): a row that says so
        if "pairs nothing" not in str(exc):
            raise
        refused = str(exc)
    finally:
        os.chdir(cwd)
        hook.remove()
    return script, time.perf_counter() - start, steps, log.getvalue().splitlines(), refused


def run(job: dict) -> dict:
    from hjgan_plugin.metrics.fashion import FashionClassifier, fd_fashion, is_fashion

    from ..common.results import image_list
    from .models import sampler

    script, seconds, steps, lines, refused = train_script(job)
    if script is None:
        return {"model": job["model"], "setting": job["setting"], "seed": job["seed"], "refused": refused,
                **dict.fromkeys(("is_fashion", "fd_fashion", "train_seconds", "seconds_per_iteration"), float("nan"))}
    fake = sampler(job["model"], script)(job["samples"], 10_000 + job["seed"])
    clf = FashionClassifier.load(job["classifier"])
    real = torch.load(job["real"], weights_only=True)
    finite = bool(torch.isfinite(fake).all())
    return {
        "model": job["model"], "setting": job["setting"], "seed": job["seed"],
        "is_fashion": is_fashion(fake, clf)["is_mean"] if finite else float("nan"),
        "fd_fashion": fd_fashion(real, fake, clf) if finite else float("nan"),
        "train_seconds": seconds, "iterations": job["iterations"],
        "seconds_per_iteration": (steps[-1] - steps[0]) / (job["iterations"] - 1),
        "last_log": next((line for line in reversed(lines) if line.startswith("[Epoch")), ""),
        "pairing": [line for line in lines if line.startswith("[hj] ") and not line.startswith("[hj] [")],
        "grid": image_list(fake[:64].squeeze(1)),
    }


def main(argv: list[str] | None = None) -> None:
    job_path, result_path = argv or sys.argv[1:]
    result = run(json.loads(Path(job_path).read_text()))
    Path(result_path).write_text(json.dumps(result))


if __name__ == "__main__":
    main()
