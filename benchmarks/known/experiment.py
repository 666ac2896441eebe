"""The known-factor runs of the PyTorch-GAN scripts: a patched checkout on a rendered set, the read-out, jobs."""
from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path
from typing import Any

from ..common import ROOT
from ..common.cache import run_cached
from ..common.machine import load_average
from ..common.pool import thread_pool
from ..table1.experiment import job_folder
from .settings import flags as setting_flags


def add_run_arguments(parser: argparse.ArgumentParser, name: str, seeds: list[int]) -> None:
    """The options every known-factor benchmark takes (set, scores, read-out, workers, cache, page name,
    output), after the host's own."""
    from hjgan_plugin.datasets.known_factors import FACTOR_SETS

    from ..common.results import add_output_arguments

    parser.add_argument("--seeds", nargs="+", type=int, default=seeds)
    parser.add_argument("--factors", default="shaded-grey", choices=sorted(FACTOR_SETS))
    parser.add_argument("--samples", type=int, default=2000, help="generated (and real) images per score")
    parser.add_argument("--workers", type=int, default=2, help="runs at a time, one thread each")
    parser.add_argument("--readout", type=Path, default=None,
                        help="a FactorReadout file to reuse or create (default: train one in the run's folder)")
    parser.add_argument("--readout-images", type=int, default=20000, help="rendered images the read-out trains on")
    parser.add_argument("--readout-epochs", type=int, default=8)
    parser.add_argument("--cache", type=Path, default=None,
                        help="JSON-lines file of finished runs: reused, and each new run appended (resumable)")
    parser.add_argument("--name", default=None,
                        help=f"file stem of the page, JSON and figure (default {name}, or {name}_finetune)")
    add_output_arguments(parser, from_json="redraw the page and figure from this JSON instead of running")


def prepare(checkout: Path, work: Path, factors: str, size: int, images: int, models: list[str]) -> Path:
    """A patched copy of ``checkout``'s scripts in ``work`` whose ``data/mnist`` holds ``images`` rendered
    images of the set ``factors`` at ``size`` pixels in torchvision's MNIST layout (``hjgan data``'s writer)."""
    from hjgan_pytorch_gan import MODELS as SCRIPTS
    from hjgan_pytorch_gan import patching

    from hjgan_plugin.datasets.host_formats import write_known_factor_set
    from hjgan_plugin.datasets.known_factors import factor_set

    repo = work / "checkout"
    for script in SCRIPTS:  # the version check reads all twelve
        shutil.copytree(checkout / "implementations" / script, repo / "implementations" / script)
    patching.patch(repo)
    write_known_factor_set(repo / "data" / "mnist", factor_set(factors), "mnist", size, images, seed=1)
    return repo


def readout(path: Path, factors: str, size: int, work: Path, samples: int, **fit: Any) -> dict[str, Any]:
    """The read-out (trained once, seed 0, or loaded from ``path``; ``fit``: ``n_train``, ``epochs``) and
    ``samples`` real rendered images (seed 2, unseen by the read-out and the scripts) saved for the FD; its
    held-out report."""
    import torch

    from hjgan_plugin.metrics.factor_readout import FactorReadout

    torch.set_num_threads(2)
    start = time.perf_counter()
    model = FactorReadout.cached(path, factors, size, progress=True, **fit)
    real, _ = model.rendered(samples, seed=2)
    torch.save(real, work / "real.pt")
    shutil.copy2(path, work / "readout.pt") if path != work / "readout.pt" else None
    return {**model.report, "config": model.config(), "seconds": time.perf_counter() - start}


def _name(job: dict[str, Any]) -> str:
    return f"{job['model']}-{job['setting']}-{job['seed']}".replace(":", "_").replace("/", "_")


_LOCK = threading.Lock()
_PRETRAINING: dict[str, threading.Lock] = {}


def _pretrained(job: dict[str, Any]) -> dict[str, Any]:
    """The plain run a fine-tuning job starts from (trained once per model and seed, by whichever of its jobs
    comes first; the others wait for it): its row, with the checkpoint it saved."""
    pre = job["pretrain"]
    with _LOCK:
        lock = _PRETRAINING.setdefault(pre["save"], threading.Lock())
    with lock:
        done = Path(pre["save"] + ".json")
        if not done.exists():
            done.write_text(json.dumps(_run_job(pre)))
        return json.loads(done.read_text())


def _run_job(job: dict[str, Any]) -> dict[str, Any]:
    if job.get("pretrain"):  # fine-tuning: the plain checkpoint first, then this run resumes it
        pre = _pretrained(job)  # a host that names its own snapshot returns it in the row
        resume = pre.pop("snapshot", None) or job["pretrain"]["save"]
        row = _run_job({k: v for k, v in job.items() if k != "pretrain"} | {"resume": resume})
        return row | {"pretrain_seconds": pre["train_seconds"],
                      "pretrain_seconds_per_iteration": pre["seconds_per_iteration"]}
    name, work = _name(job), Path(job["work"])
    job_path, result_path = work / f"{name}.job.json", work / f"{name}.result.json"
    job_path.write_text(json.dumps(job))
    env = {**os.environ, "OMP_NUM_THREADS": "1", "PYTHONWARNINGS": "ignore",
           "PYTHONPATH": os.pathsep.join(filter(None, [str(ROOT), os.environ.get("PYTHONPATH")]))}
    worker = job.get("worker", "benchmarks.known.worker")  # the host's: train one run, score it
    done = subprocess.run([sys.executable, "-m", worker, str(job_path), str(result_path)],
                          env=env, capture_output=True, text=True)
    if done.returncode != 0:
        raise RuntimeError(f"{name} failed:\n{done.stdout[-2000:]}\n{done.stderr[-4000:]}")
    return json.loads(result_path.read_text())


def script_args(args: argparse.Namespace, epochs: int = 1) -> list[str]:
    """The script's own options for a run of ``epochs`` epochs (no sample images written)."""
    return ["--n_epochs", str(epochs), "--batch_size", str(args.batch_size), "--img_size", str(args.size),
            "--latent_dim", str(args.latent_dim), "--sample_interval", "1000000000"]


def _pretrain_job(job: dict[str, Any], args: argparse.Namespace, repo: Path, work: Path) -> dict[str, Any]:
    """The plain run of ``job``'s model and seed for ``args.pretrain_epochs`` epochs, saved by ``--hj-save``."""
    save = work / "pretrained" / f"{job['model']}-{job['seed']}.pt"
    save.parent.mkdir(exist_ok=True)
    pre = {**job, "setting": "pretrain", "flags": ["--hj-save", str(save)],
           "args": script_args(args, args.pretrain_epochs), "score": False,
           "iterations": args.iterations * args.pretrain_epochs, "grid": False, "save": str(save)}
    pre["checkout"] = str(job_folder(repo, work, pre))
    return pre


def jobs(args: argparse.Namespace, repo: Path, work: Path) -> list[dict[str, Any]]:
    """One job per seed, model and setting of ``args`` (:mod:`.settings` gives each setting's flags). With
    ``args.use == "finetune"`` each job resumes its model's and seed's plain run (``args.pretrain_epochs``
    epochs, one per model and seed, shared by its settings) for one more epoch."""
    out = []
    pretrain: dict[tuple[str, int], dict[str, Any]] = {}
    for seed in args.seeds:
        for model in args.models:
            for setting in args.settings:
                job = {"model": model, "setting": setting, "seed": seed, "flags": setting_flags(setting, model),
                       "args": script_args(args),
                       "iterations": args.iterations, "samples": args.samples, "vp_pairs": args.vp_pairs,
                       "factors": args.factors, "grid": seed == args.seeds[0],
                       "readout": str(work / "readout.pt"), "real": str(work / "real.pt"), "work": str(work)}
                job["checkout"] = str(job_folder(repo, work, job))
                if args.use == "finetune":
                    job.update(use="finetune", pretrain_epochs=args.pretrain_epochs)
                    if (model, seed) not in pretrain:
                        pretrain[model, seed] = _pretrain_job(job, args, repo, work)
                    job["pretrain"] = pretrain[model, seed]
                out.append(job)
    return out


def cache_key(job: dict[str, Any]) -> dict[str, Any]:
    """What a finished row depends on: the job without its paths."""
    return {k: v for k, v in job.items() if k not in ("checkout", "readout", "real", "work", "grid", "pretrain")}


def run_jobs(todo: list[dict[str, Any]], ro: dict[str, Any], args: argparse.Namespace,
             key: Any) -> tuple[list[dict[str, Any]], int]:
    """``todo`` in ``args.workers`` threads (each job's own process), those in ``args.cache`` read back (by
    ``key(job)``), each new row printed as it finishes; the rows in the jobs' order and how many trained."""
    for job in todo:  # a row depends on the read-out that scored it
        job["readout_config"] = ro["config"]
    done: list[dict[str, Any]] = []

    def report_row(row: dict[str, Any]) -> None:
        done.append(row)
        print(f"[{len(done)}/{len(todo)}] {row['model']} {row['setting']:28s} seed {row['seed']}  "
              f"MIG {row.get('mig', float('nan')):.3f}  DCI {row.get('dci_d', float('nan')):.3f}  "
              f"VP {row.get('vp', float('nan')):.3f}  FD {row.get('fd', float('nan')):8.2f}  "
              f"valid {row.get('valid', float('nan')):.3f}  {row['seconds_per_iteration'] * 1000:.0f} ms/it",
              flush=True)

    with thread_pool(args.workers) as mapper:
        rows = run_cached(_run_job, todo, mapper, key, args.cache, report_row)
    print(f"{len(done)} of {len(todo)} runs trained", flush=True)
    return rows, len(done)


def run(args: argparse.Namespace) -> dict[str, Any]:
    """Every run ``args`` asks for, in ``args.workers`` processes, those in ``args.cache``
    read back; the result."""
    start = time.perf_counter()
    with tempfile.TemporaryDirectory(prefix="hjgan-known-") as tmp:
        work = Path(tmp)
        repo = prepare(args.checkout, work, args.factors, args.size, args.iterations * args.batch_size, args.models)
        ro = readout(args.readout or work / "readout.pt", args.factors, args.size, work, args.samples,
                     n_train=args.readout_images, epochs=args.readout_epochs)
        print(f"read-out: held-out {ro}", flush=True)
        todo = jobs(args, repo, work)
        rows, trained = run_jobs(todo, ro, args, cache_key)
    return {"settings": {k: v for k, v in vars(args).items() if k not in ("checkout", "cache", "readout", "out")}
            | {"flags": {m: {s: setting_flags(s, m) for s in args.settings} for m in args.models},
               "upstream": "eriklindernoren/PyTorch-GAN 36d3c77"},
            "readout": ro, "rows": rows,
            "machine": {"cpus": os.cpu_count(), "load_after": load_average(), "seconds": time.perf_counter() - start,
                        "trained": trained, "runs": len(todo)}}
