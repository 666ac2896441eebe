"""The PyTorch-GAN benchmarks' pieces (benchmarks/table1): drawing samples from each model's generator, the
settings' flags, one worker run of a script, resuming from the cache, the pages and the figures. Both
benchmarks on the real upstream scripts run in tests/test_pytorch_gan_upstream.py (opt-in)."""
from __future__ import annotations

import argparse
import json
import math
import textwrap

import pytest
import torch
from torch import nn

from benchmarks.pytorch_gan_table1 import command_line, parse_args
from benchmarks.table1 import experiment, report, worker
from benchmarks.table1.models import MODELS, REMEDIES, SAMPLED, SETTINGS, flags, sampler
from hjgan_plugin.datasets.idx import DEBIAN_FASHION_MNIST


class _G(nn.Module):
    """Takes the inputs of one convention and checks them."""

    def __init__(self, model: str, opt: argparse.Namespace):
        super().__init__()
        self.model, self.opt = model, opt
        self.fc = nn.Linear(opt.latent_dim, opt.img_size ** 2)

    def forward(self, z, *extra):
        if self.model in ("cgan", "acgan"):
            (labels,) = extra
            assert labels.dtype == torch.int64 and 0 <= labels.min() and labels.max() < self.opt.n_classes
        elif self.model == "infogan":
            one_hot, code = extra
            assert torch.equal(one_hot.sum(1), torch.ones(len(z))) and code.abs().max() <= 1
            assert code.shape == (len(z), self.opt.code_dim)
        else:
            assert not extra
        return torch.tanh(self.fc(z)).view(len(z), 1, self.opt.img_size, self.opt.img_size)


@pytest.mark.parametrize("model", SAMPLED)
def test_sampler_calls_each_generator_as_its_script_does(model):
    opt = argparse.Namespace(latent_dim=6, img_size=8, n_classes=10, code_dim=2)
    G = _G(model, opt)
    script = {"opt": opt, "decoder" if model == "aae" else "generator": G}
    sample = sampler(model, script)
    x = sample(130, 7)
    assert x.shape == (130, 1, 8, 8) and 0 <= float(x.min()) and float(x.max()) <= 1
    assert torch.equal(x, sample(130, 7)) and not torch.equal(x, sample(130, 8))


def test_sampler_refuses_an_unknown_model():
    with pytest.raises(ValueError, match="unknown model 'wgan'; the benchmarks sample from began, bgan"):
        sampler("wgan", {})


def test_settings_flags_are_table1_s_or_a_mode_collapse_config_s_host_flags():
    assert flags("exchange", 150) == ("--hj", "--hj-penalty", "none", "--hj-exchange-every", "1")
    assert flags("topk:0.75", 300) == ("--hj", "--hj-penalty", "none", "--hj-topk-nu", "0.75", "--hj-topk-gamma",
                                       "0.99", "--hj-topk-period", "3")  # k decays 100 times over the run
    assert flags("unrolled:5:0.001", 300) == ("--hj", "--hj-penalty", "none", "--hj-unrolled-steps", "5",
                                              "--hj-unrolled-lr", "0.001")
    assert flags("sn", 10) == ("--hj", "--hj-penalty", "none", "--hj-spectral-norm", "1")
    assert flags("plain", 10) == ()
    args = parse_args(["--from-json", "x.json", "--settings", "unrolled:5:0.001", "topk:0.75", "plain"], REMEDIES)
    assert args.settings == ["plain", "unrolled:5:0.001", "topk:0.75"] and args.suite == "pytorch_gan_remedies"
    assert args.models == ["gan", "dcgan", "lsgan", "bgan"] and args.img_size == 32 and args.seeds == [0, 1, 2, 3, 4]
    with pytest.raises(SystemExit):
        parse_args(["--from-json", "x.json", "--settings", "plain", "topk"])  # topk needs its nu


SCRIPT = textwrap.dedent('''
    import argparse, torch
    parser = argparse.ArgumentParser()
    parser.add_argument("--n_epochs", type=int)
    parser.add_argument("--latent_dim", type=int, default=4)
    parser.add_argument("--img_size", type=int, default=8)
    parser.add_argument("--hj", action="store_true")
    opt = parser.parse_args()
    assert open("../../data/marker").read() == "data"  # run from its own folder, as upstream's scripts are
    generator = torch.nn.Sequential(torch.nn.Linear(opt.latent_dim, opt.img_size ** 2), torch.nn.Tanh())
    optimizer = torch.optim.SGD(generator.parameters(), lr=0.1)
    for i in range(5):
        optimizer.zero_grad()
        generator(torch.randn(16, opt.latent_dim)).pow(2).mean().backward()
        optimizer.step()
        print(f"[Epoch 0/1] [Batch {i}/5] [G loss: 0.1]")
    if opt.hj:
        raise ValueError("pytorch-gan x: the weight exchange pairs nothing (because)")
''')


@pytest.mark.skipif(not DEBIAN_FASHION_MNIST.is_dir(), reason=f"no Fashion-MNIST IDX files in {DEBIAN_FASHION_MNIST}")
def test_worker_runs_a_script_in_its_folder_seeded_and_scores_it(tmp_path):
    from hjgan_plugin.metrics.fashion import FashionClassifier, load_fashion_split, resize

    folder = tmp_path / "implementations" / "bgan"
    folder.mkdir(parents=True)
    (folder / "bgan.py").write_text(SCRIPT)
    (tmp_path / "data").mkdir()
    (tmp_path / "data" / "marker").write_text("data")
    clf = FashionClassifier(seed=0, epochs=1, size=8)
    clf.split = lambda name: tuple(t[:500] for t in FashionClassifier.split(clf, name))  # a quick fit
    clf.fit().save(tmp_path / "clf.pt")
    torch.save(resize(load_fashion_split("test")[0][:300], 8), tmp_path / "real.pt")
    job = {"checkout": str(tmp_path), "model": "bgan", "setting": "plain", "seed": 3, "args": ["--n_epochs", "1"],
           "flags": [], "iterations": 5, "samples": 200, "classifier": str(tmp_path / "clf.pt"),
           "real": str(tmp_path / "real.pt")}
    first, again = worker.run(job), worker.run(job)
    assert first["grid"] == again["grid"] and first["fd_fashion"] == again["fd_fashion"]  # seeded
    assert first["last_log"] == "[Epoch 0/1] [Batch 4/5] [G loss: 0.1]"
    assert 1 <= first["is_fashion"] <= 10 and first["fd_fashion"] > 0 and first["seconds_per_iteration"] > 0
    assert len(first["grid"]) == 64 and len(first["grid"][0]) == 8
    refused = worker.run({**job, "setting": "exchange", "flags": ["--hj"]})
    assert refused["refused"].endswith("pairs nothing (because)") and math.isnan(refused["is_fashion"])
    elsewhere = tmp_path / "elsewhere" / "implementations" / "bgan"
    elsewhere.mkdir(parents=True)
    (elsewhere / "bgan.py").write_text(SCRIPT)
    with pytest.raises(FileNotFoundError):  # no data beside it: the script's own error comes through
        worker.run({**job, "checkout": str(tmp_path / "elsewhere")})


def _result(models=("bgan", "cgan"), seeds=(0, 1, 2)) -> dict:
    rows = []
    for model in models:
        for setting in SETTINGS:
            for seed in seeds:
                if model == "cgan" and setting == "exchange":
                    rows.append({"model": model, "setting": setting, "seed": seed, "refused": "pairs nothing (D)",
                                 "is_fashion": None, "fd_fashion": None, "seconds_per_iteration": None})
                    continue
                better = {"plain": 0.0, "hj": 1.0, "exchange": 0.01}[setting]
                rows.append({"model": model, "setting": setting, "seed": seed, "is_fashion": 2 + better + 0.1 * seed,
                             "fd_fashion": 50 - 10 * better + seed, "seconds_per_iteration": 0.1 * (1 + better),
                             "grid": [[[0.5] * 4] * 4] * 64})
    return {"settings": {"models": list(models), "settings": list(SETTINGS), "seeds": list(seeds), "iterations": 10,
                         "batch_size": 32, "img_size": 4, "samples": 300, "workers": 2, "threads_per_worker": 1,
                         "upstream": "eriklindernoren/PyTorch-GAN 36d3c77",
                         "flags": {k: list(v) for k, v in SETTINGS.items()}},
            "classifier": {"epochs": 3, "size": 4, "test_accuracy": 0.8, "seconds": 1.0},
            "real": {"is_fashion": 7.0, "fd_fashion": 1.0}, "rows": rows,
            "machine": {"cpus": 2, "load_after": [2.0, 2.0, 2.0], "seconds": 60.0}}


def test_page_has_verdicts_refusals_cost_and_the_paper_table(tmp_path):
    result = json.loads(json.dumps(_result()))  # as read back from the JSON
    text = report.render(result, "CMD")
    line = next(row for row in text.splitlines() if row.startswith("| bgan |"))
    assert "3.10 ± 0.10" in line and "<0.001 (better)" in line and "2.00×" in line
    assert "| cgan |" in text and "refused¹" in text and "¹ cgan: pairs nothing (D)" in text
    assert "better than plain on 2 of 2 models (bgan, cgan)" in text  # --hj, both metrics
    assert "better than plain on 0 of 1 models, worse on 0, no difference at p < 0.05 on the rest; " \
           "not run on cgan (refused or failed)." in text  # the exchange: +0.01 is noise at this spread
    assert "| began | 1.366 ± 0.179 | 1.388 ± 0.242 |" not in text  # only the models run
    assert "| bgan | 1.250 ± 0.175 | 1.372 ± 0.187 | <0.001 | <0.001 |" in text
    assert "IS-fashion" in text and "not IS or FID" in text
    report.write(result, tmp_path, "CMD")
    assert (tmp_path / "pytorch_gan_table1.png").stat().st_size > 0


def test_command_line_leaves_out_the_local_checkout_and_arguments_are_checked():
    assert command_line(["--checkout", "/home/me/PyTorch-GAN", "--seeds", "0", "1"]) == \
        ".venv-hosts/bin/python benchmarks/pytorch_gan_table1.py --seeds 0 1"
    assert command_line(["--checkout=/x", "--models", "cgan", "--cache", "r.jsonl"]).endswith("pytorch_gan_table1.py --models cgan")
    with pytest.raises(SystemExit):
        parse_args(["--checkout", "/nowhere"])
    with pytest.raises(SystemExit):
        parse_args(["--from-json", "x.json", "--models", "wgan"])
    assert command_line(["--seeds", "0"], REMEDIES) == ".venv-hosts/bin/python benchmarks/pytorch_gan_remedies.py --seeds 0"
    # a shown option that only starts like a local one stays, with its value
    assert command_line(["--readout", "r.pt", "--readout-images", "2000"], local=("--readout",)).endswith(
        ".py --readout-images 2000")


def test_differences_between_collapsed_generators_are_not_verdicts():
    result = json.loads(json.dumps(_result(models=("began",))))
    for row in result["rows"]:
        row["is_fashion"] = 1.0 + 0.001 * row["seed"] + (0.002 if row["setting"] == "hj" else 0)
    text = report.render(result, "CMD")
    line = next(row for row in text.splitlines() if row.startswith("| began |"))
    assert "(both collapsed)" in line and "(better)" not in line
    assert "both collapsed (IS-fashion < 1.1) on 1 (began)" in text


def test_remedies_page_compares_each_remedy_with_plain_and_leaves_out_the_paper_table(tmp_path):
    settings = list(REMEDIES.settings)
    rows = [{"model": model, "setting": setting, "seed": seed, "train_seconds": 30.0,
             "is_fashion": 2 + (0.5 if setting == "topk:0.75" and model == "gan" else 0) + 0.05 * seed,
             "fd_fashion": (500 if model == "bgan" and setting == "plain" else 50) + seed, "seconds_per_iteration": 0.1 * (3 if setting.startswith("unrolled") else 1),
             "grid": [[[0.5] * 4] * 4] * 64}
            for model in REMEDIES.models for setting in settings for seed in range(5)]
    result = json.loads(json.dumps({**_result(), "rows": rows}))
    result["settings"].update(suite=REMEDIES.name, models=list(REMEDIES.models), settings=settings, cache=True,
                              seeds=list(range(5)), flags={s: list(flags(s, 10)) for s in settings})
    text = report.render(result, "CMD")
    assert text.startswith("# Mode-collapse remedies on four PyTorch-GAN models")
    assert "Generated by `benchmarks/pytorch_gan_remedies.py`" in text and "mode_collapse_remedies.md" in text
    assert "- **top-k ν=0.75**, IS-fashion: better than plain on 1 of 4 models (gan), worse on 0" in text
    assert "- **unrolled K=5, η=0.001**, IS-fashion: better than plain on 0 of 4 models" in text
    assert "- **unrolled K=5, η=0.001**, FD-fashion: better than plain on 1 of 4 models (bgan against a weak " \
           "baseline), worse on 0" in text
    assert "- Weak baselines (plain FD-fashion over 2× the lowest, gan's 52): bgan 502. A setting" in text
    assert "Cost, relative to a plain iteration: top-k ν=0.75 1.00×–1.00×; unrolled K=5, η=0.001 3.00×–3.00×; " \
           "unrolled K=5, η=0.0001 3.00×–3.00×" in text
    assert "with rows from a cache: a setting's runs and plain's may have been timed in different invocations" in text
    assert "the runs' own wall times add up to 50.0 min" in text  # 100 runs of 30 s, some read from the cache
    assert "The paper's Table 1" not in text and "none --hj-unrolled-steps 5 --hj-unrolled-lr 0.001`" in text
    report.write(result, tmp_path, "CMD")
    assert (tmp_path / "pytorch_gan_remedies.md").read_text() == text + "\n"
    assert (tmp_path / "pytorch_gan_remedies.png").stat().st_size > 0 and not (tmp_path / "pytorch_gan_table1.md").exists()


def test_a_finished_run_is_read_back_from_the_cache_not_trained_again(tmp_path):
    from benchmarks.common.cache import run_cached
    from benchmarks.common.pool import thread_pool

    trained = []

    def fake_run(job):
        trained.append(job["seed"])
        return {"model": job["model"], "setting": job["setting"], "seed": job["seed"], "is_fashion": 2.0}

    job = {"model": "gan", "setting": "plain", "seed": 0, "flags": [], "args": [], "iterations": 5, "samples": 10,
           "classifier_epochs": 1, "checkout": "/a", "classifier": "/a/c.pt", "real": "/a/r.pt", "work": "/a"}
    cache = tmp_path / "runs.jsonl"
    with thread_pool(2) as mapper:
        first = run_cached(fake_run, [job, {**job, "seed": 1}], mapper, experiment.cache_key, cache)
        moved = {**job, "checkout": "/b", "classifier": "/b/c.pt", "real": "/b/r.pt", "work": "/b"}  # another temp dir
        again = run_cached(fake_run, [moved, {**job, "iterations": 6}], mapper, experiment.cache_key, cache)
    assert sorted(trained) == [0, 0, 1] and again[0] == first[0]  # only the job with other iterations trained again


def test_a_failed_run_stops_the_runs_not_started_yet():
    import threading
    import time

    from benchmarks.common.pool import thread_pool

    started = []
    lock = threading.Lock()

    def job(i):
        with lock:
            started.append(i)
        if i == 0:
            raise RuntimeError("run 0 failed")
        time.sleep(0.05)
        return i

    begin = time.perf_counter()
    with pytest.raises(RuntimeError, match="run 0 failed"):
        with thread_pool(1) as mapper:
            list(mapper(job, range(50)))
    assert len(started) < 5 and time.perf_counter() - begin < 1.0  # not the 50 × 0.05 s of the rest
