"""The PyTorch-GAN benchmarks' runs: a patched copy of the checkout, the data, the classifier, the jobs."""
from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from ..common import ROOT
from ..common.cache import run_cached
from ..common.machine import load_average
from ..common.pool import thread_pool
from .models import flags
from .report import FIGURE_SAMPLES


def prepare(checkout: Path, work: Path, fashion: Path, images: int) -> Path:
    """A patched copy of ``checkout``'s scripts in ``work``, with ``images`` training images
    of Fashion-MNIST in the torchvision layout the scripts read (``data/mnist``)."""
    from hjgan_pytorch_gan import MODELS as SCRIPTS
    from hjgan_pytorch_gan import patching

    from hjgan_plugin.datasets.torchvision_mnist import write_mnist_layout

    repo = work / "checkout"
    for script in SCRIPTS:  # the version check reads all twelve
        shutil.copytree(checkout / "implementations" / script, repo / "implementations" / script)
    patching.patch(repo)
    write_mnist_layout(repo / "data" / "mnist", fashion, subset=images)
    return repo


def job_folder(repo: Path, work: Path, job: dict[str, Any]) -> Path:
    """Each run gets its own copy of its script's folder (the scripts write ``images/`` next to themselves)
    beside a link to the shared data."""
    root = work / "runs" / _name(job)
    shutil.copytree(repo / "implementations" / job["model"], root / "implementations" / job["model"])
    (root / "data").symlink_to(repo / "data")
    return root


def classifier(path: Path, fashion: Path, epochs: int, size: int) -> dict[str, Any]:
    """Train the Fashion-MNIST classifier at the runs' image size once (seed 0), or load it from ``path``;
    its held-out accuracy."""
    import torch

    from hjgan_plugin.metrics.fashion import FashionClassifier

    torch.set_num_threads(2)
    start = time.perf_counter()
    if path.is_file():
        clf = FashionClassifier.load(path)
        if clf.size != size:
            raise ValueError(f"--classifier {path} works at {clf.size}x{clf.size}, the runs at --img-size {size}")
    else:
        clf = FashionClassifier(seed=0, epochs=epochs, folder=fashion, size=size).fit(progress=True)
        clf.save(path)
    return {"epochs": clf.epochs, "size": clf.size, "test_accuracy": clf.accuracy("test"),
            "seconds": time.perf_counter() - start}


def real_reference(path: Path, fashion: Path, img_size: int, n: int) -> dict[str, Any]:
    """``n`` held-out (t10k) images taken through the scripts' own resize to ``img_size``, for FD-fashion,
    and the IS-fashion and FD-fashion of ``n`` other held-out images (what a perfect generator scores)."""
    import torch

    from hjgan_plugin.metrics.fashion import FashionClassifier, fd_fashion, is_fashion, load_fashion_split, resize

    x, _ = load_fashion_split("test", fashion)
    if 2 * n > len(x):
        raise ValueError(f"--samples {n}: the real reference needs 2 x {n} of the {len(x)} held-out images")
    x = resize(x, img_size).clamp(0, 1)
    torch.save(x[:n].clone(), path)
    clf = FashionClassifier.load(path.parent / "classifier.pt")
    return {"is_fashion": is_fashion(x[n:2 * n], clf)["is_mean"], "fd_fashion": fd_fashion(x[:n], x[n:2 * n], clf)}


def _name(job: dict[str, Any]) -> str:
    return f"{job['model']}-{job['setting'].replace(':', '_')}-{job['seed']}"


def _run_job(job: dict[str, Any]) -> dict[str, Any]:
    name, work = _name(job), Path(job["work"])
    job_path, result_path = work / f"{name}.job.json", work / f"{name}.result.json"
    job_path.write_text(json.dumps(job))
    env = {**os.environ, "OMP_NUM_THREADS": "1", "PYTHONWARNINGS": "ignore",
           "PYTHONPATH": os.pathsep.join(filter(None, [str(ROOT), os.environ.get("PYTHONPATH")]))}
    done = subprocess.run([sys.executable, "-m", "benchmarks.table1.worker", str(job_path), str(result_path)],
                          env=env, capture_output=True, text=True)
    if done.returncode != 0:
        raise RuntimeError(f"{name} failed:\n{done.stdout[-2000:]}\n{done.stderr[-4000:]}")
    return json.loads(result_path.read_text())


def jobs(args: argparse.Namespace, repo: Path, work: Path) -> list[dict[str, Any]]:
    out = []
    for seed in args.seeds:
        for model in args.models:
            for setting in args.settings:
                job = {"model": model, "setting": setting, "seed": seed, "flags": list(flags(setting, args.iterations)),
                       "args": ["--n_epochs", "1", "--batch_size", str(args.batch_size), "--img_size",
                                str(args.img_size), "--sample_interval", "1000000000"],
                       "iterations": args.iterations, "samples": args.samples,
                       "classifier": str(work / "classifier.pt"), "real": str(work / "real.pt"),
                       "classifier_epochs": args.classifier_epochs, "work": str(work)}
                job["checkout"] = str(job_folder(repo, work, job))
                out.append(job)
    return out


def cache_key(job: dict[str, Any]) -> dict[str, Any]:
    """What a finished row depends on: the job without its paths (the classifier is retrained, seed 0, at
    the same epochs and size)."""
    return {k: v for k, v in job.items() if k not in ("checkout", "classifier", "real", "work")}


def run(args: argparse.Namespace) -> dict[str, Any]:
    """Everything ``args`` asks for: the runs, in ``args.workers`` processes, those already in
    ``args.cache`` read back; the result. Of the sample grids only the figure's are kept (the first seed's
    first :data:`.report.FIGURE_SAMPLES`)."""
    start = time.perf_counter()
    with tempfile.TemporaryDirectory(prefix="hjgan-table1-") as tmp:
        work = Path(tmp)
        repo = prepare(args.checkout, work, args.fashion, args.iterations * args.batch_size)
        clf = classifier(args.classifier or work / "classifier.pt", args.fashion, args.classifier_epochs, args.img_size)
        if args.classifier:
            shutil.copy2(args.classifier, work / "classifier.pt")
        real = real_reference(work / "real.pt", args.fashion, args.img_size, args.samples)
        print(f"classifier: held-out accuracy {clf['test_accuracy']:.4f}; real held-out images: IS-fashion "
              f"{real['is_fashion']:.2f}, FD-fashion {real['fd_fashion']:.2f}", flush=True)
        todo = jobs(args, repo, work)
        done = []

        def report_row(row: dict[str, Any]) -> None:
            done.append(row)
            print(f"[{len(done)}] {row['model']:8s} {row['setting']:16s} seed {row['seed']}  "
                  f"IS-fashion {row['is_fashion']:.2f}  FD-fashion {row['fd_fashion']:7.2f}  "
                  f"({row['train_seconds']:.0f}s)", flush=True)

        with thread_pool(args.workers) as mapper:  # each job is a subprocess already
            rows = run_cached(_run_job, todo, mapper, cache_key, args.cache, report_row)
        if args.cache is not None:
            print(f"{len(done)} of {len(todo)} runs trained, the rest read from {args.cache}", flush=True)
    for row in rows:
        if row["seed"] != args.seeds[0]:
            row.pop("grid", None)
        elif "grid" in row:
            row["grid"] = row["grid"][:FIGURE_SAMPLES]
    result = {
        "settings": {"suite": args.suite, "models": list(args.models), "settings": list(args.settings), "seeds": list(args.seeds),
                     "iterations": args.iterations, "batch_size": args.batch_size, "img_size": args.img_size,
                     "samples": args.samples, "workers": args.workers, "threads_per_worker": 1, "cache": args.cache is not None,
                     "upstream": "eriklindernoren/PyTorch-GAN 36d3c77",
                     "flags": {s: list(flags(s, args.iterations)) for s in args.settings}},
        "classifier": clf, "real": real, "rows": rows,
        "machine": {"cpus": os.cpu_count(), "load_after": load_average(),
                    "seconds": time.perf_counter() - start},
    }
    return result
