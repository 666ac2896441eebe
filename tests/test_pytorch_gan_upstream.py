"""The twelve patched PyTorch-GAN scripts, run for real (opt-in: needs a checkout).

    HJGAN_PYTORCH_GAN_DIR=~/PyTorch-GAN python -m pytest -q tests/test_pytorch_gan_upstream.py

``HJGAN_PYTORCH_GAN_DIR`` is a clean eriklindernoren/PyTorch-GAN checkout at 36d3c77 (only its
``implementations/`` is read; it is copied, never changed). The scripts import torchvision, so they run
in a subprocess under ``HJGAN_HOSTS_PYTHON`` (default ``.venv-hosts/bin/python``, made by
``bash scripts/setup.sh --hosts``), which must have hjgan_pytorch_gan installed. Each script trains one
epoch over 128 real Fashion-MNIST images (Debian's ``dataset-fashion-mnist``, laid out as torchvision's
MNIST by ``hjgan data mnist DIR --subset 128``) at ``--batch_size 64``, with ``torch`` and ``numpy``
seeded by a wrapper (the scripts have no seed option) and one thread.
"""
from __future__ import annotations

import json
import os
import shutil
import subprocess
from pathlib import Path

import pytest
from hosts import HOSTS_PYTHON, NO_HOSTS_PYTHON
from click.testing import CliRunner

from hjgan_pytorch_gan import MODELS
from hjgan_pytorch_gan import patching as ptg_patching
from hjgan_plugin.cli import main as cli_main
from hjgan_plugin.datasets.idx import DEBIAN_FASHION_MNIST
from hjgan_plugin.patching import sha256

ROOT = Path(__file__).resolve().parents[1]
CHECKOUT = os.environ.get("HJGAN_PYTORCH_GAN_DIR")
PYTHON = str(HOSTS_PYTHON)
FASHION = DEBIAN_FASHION_MNIST
RUN = ("import runpy, sys, numpy, torch; torch.manual_seed(0); numpy.random.seed(0); "
       "sys.argv = sys.argv[1:]; runpy.run_path(sys.argv[0], run_name='__main__')")
ARGS = ["--n_epochs", "1", "--batch_size", "64"]

if not CHECKOUT or not (Path(CHECKOUT) / "implementations" / "gan" / "gan.py").is_file():
    pytest.skip("set HJGAN_PYTORCH_GAN_DIR to an eriklindernoren/PyTorch-GAN checkout at 36d3c77 to run the "
                "upstream scripts", allow_module_level=True)
if not HOSTS_PYTHON.is_file():
    pytest.skip(NO_HOSTS_PYTHON, allow_module_level=True)
if not FASHION.is_dir():
    pytest.skip(f"no Fashion-MNIST IDX files in {FASHION} (apt-get install dataset-fashion-mnist)",
                allow_module_level=True)


def copy_checkout(dest: Path) -> Path:
    shutil.copytree(Path(CHECKOUT) / "implementations", dest / "implementations",
                    ignore=lambda d, names: [n for n in names if Path(d).name == "implementations" and n not in MODELS])
    done = CliRunner().invoke(cli_main, ["data", "mnist", str(dest / "data" / "mnist"), "--from", str(FASHION),
                                         "--subset", "128"])
    assert done.exit_code == 0, done.output
    return dest


@pytest.fixture(scope="module")
def patched(tmp_path_factory) -> Path:
    repo = copy_checkout(tmp_path_factory.mktemp("patched"))
    ptg_patching.patch(repo)
    return repo


def run(repo: Path, model: str, *extra: str) -> tuple[str, dict[str, bytes]]:
    """Run one script; its stdout and the images it wrote (cleared first)."""
    folder = repo / "implementations" / model
    shutil.rmtree(folder / "images", ignore_errors=True)
    env = {**os.environ, "OMP_NUM_THREADS": "1", "PYTHONWARNINGS": "ignore"}
    done = subprocess.run([PYTHON, "-c", RUN, f"{model}.py", *ARGS, *extra], cwd=folder, env=env,
                          capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, f"{model} {extra}:\n{done.stdout[-2000:]}\n{done.stderr[-4000:]}"
    images = {str(p.relative_to(folder)): p.read_bytes() for p in sorted((folder / "images").rglob("*.png"))}
    return done.stdout, images


def epoch_lines(stdout: str) -> list[str]:
    return [line for line in stdout.splitlines() if line.startswith("[Epoch")]


def test_every_patch_applies_to_a_clean_copy_and_reverses(tmp_path):
    repo = copy_checkout(tmp_path)
    files = ptg_patching.PATCHES.manifest()["files"]
    assert all(sha256(repo / rel) == h["original"] for rel, h in files.items()), "the checkout is not 36d3c77"
    assert ptg_patching.patch(repo, check_only=True).applied == ptg_patching.NAMES
    assert all(sha256(repo / rel) == h["original"] for rel, h in files.items())
    ptg_patching.patch(repo)
    assert all(sha256(repo / rel) in h["patched"] for rel, h in files.items())
    ptg_patching.patch(repo, reverse=True)
    assert all(sha256(repo / rel) == h["original"] for rel, h in files.items())


@pytest.fixture(scope="module")
def reference(tmp_path_factory, patched) -> Path:
    """Upstream plus only the fixes: the patched scripts without their four hj lines (for ten of the
    twelve, byte-identical to upstream, which is checked; bgan and began do not run unfixed)."""
    repo = copy_checkout(tmp_path_factory.mktemp("reference"))
    for model in MODELS:
        rel = f"implementations/{model}/{model}.py"
        lines = (patched / rel).read_text().splitlines(keepends=True)
        kept = [line for line in lines if not ("hj" in line or "session" in line)]
        assert len(lines) - len(kept) == 4
        (repo / rel).write_text("".join(kept))
        assert (sha256(repo / rel) == ptg_patching.PATCHES.manifest()["files"][rel]["original"]) == \
            (model not in ("bgan", "began"))
    return repo


@pytest.mark.parametrize("model", list(MODELS))
def test_without_hj_the_losses_and_images_are_upstream_s(model, patched, reference):
    out, images = run(patched, model)
    ref_out, ref_images = run(reference, model)
    assert epoch_lines(out) == epoch_lines(ref_out) and len(epoch_lines(out)) >= 1
    assert images and images == ref_images
    assert "[hj]" not in out


@pytest.mark.parametrize("model", list(MODELS))
def test_with_hj_the_penalty_runs_and_the_exchange_reports_its_pairs(model, patched):
    exchange = [] if model == "cgan" else ["--hj-exchange-every", "1"]
    out, images = run(patched, model, "--hj", "--hj-lambda-h", "0.01", *exchange)
    assert "[hj] [G step 0] [hessian: " in out and images
    assert len(epoch_lines(out)) == (1 if model == "wgan_gp" else 2)  # wgan_gp: G (and its log) every n_critic
    if exchange:
        n_pairs = 2 if model in ("began", "ebgan") else 1
        assert f"[hj] {model}: weight exchange pairing (function " in out and f": {n_pairs} pair(s)" in out
        assert "[exchanges: 1]" in out


def test_remedies_run_through_a_scripts_flags_and_refuse_a_script_without_per_sample_losses(patched):
    out, images = run(patched, "gan", "--hj", "--hj-penalty", "none", "--hj-topk-nu", "0.5", "--hj-topk-gamma",
                      "0.5", "--hj-topk-period", "1", "--hj-spectral-norm", "1")
    assert "[hj] [G step 0] [top-k term: 0.000000] [top-k k: 64]" in out and "[top-k k: 32]" in out and images
    folder = patched / "implementations" / "acgan"
    done = subprocess.run([PYTHON, "-c", RUN, "acgan.py", *ARGS, "--hj", "--hj-topk-nu", "0.5"], cwd=folder,
                          env={**os.environ, "OMP_NUM_THREADS": "1"}, capture_output=True, text=True, timeout=300)
    assert done.returncode != 0
    assert "--hj-topk-nu needs the trainer's generator loss per sample, and adapter 'pytorch-gan-cond'" in done.stderr


def test_unrolled_runs_through_lsgan_s_flags_and_wgan_gp_refuses_it(patched):
    """lsgan's patch passes the real batch and its adapter the script's D loss; wgan_gp's has no D loss."""
    out, images = run(patched, "lsgan", "--hj", "--hj-penalty", "none", "--hj-unrolled-steps", "2",
                      "--hj-unrolled-lr", "0.001")
    assert "[hj] [G step 0] [unrolled term: " in out and images
    folder = patched / "implementations" / "wgan_gp"
    done = subprocess.run([PYTHON, "-c", RUN, "wgan_gp.py", *ARGS, "--hj", "--hj-unrolled-steps", "2"], cwd=folder,
                          env={**os.environ, "OMP_NUM_THREADS": "1"}, capture_output=True, text=True, timeout=300)
    assert done.returncode != 0
    assert "--hj-unrolled-steps needs the trainer's G and D losses, and adapter 'pytorch-gan'" in done.stderr


def run_benchmark(command: list[str]) -> subprocess.CompletedProcess:
    """One benchmark command in the hosts environment, from the repository root; it must succeed."""
    done = subprocess.run(command, cwd=ROOT, env={**os.environ, "PYTHONWARNINGS": "ignore"}, capture_output=True,
                          text=True, timeout=900)
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    return done


def test_table1_benchmark_end_to_end_on_two_models(tmp_path):
    """benchmarks/pytorch_gan_table1.py on the real scripts, tiny: two models, two seeds, three settings;
    cgan's exchange is the refusal row."""
    out = tmp_path / "out"
    env = {**os.environ, "PYTHONWARNINGS": "ignore"}
    done = subprocess.run([PYTHON, str(ROOT / "benchmarks" / "pytorch_gan_table1.py"), "--checkout", CHECKOUT,
                           "--models", "bgan", "cgan", "--seeds", "0", "1", "--iterations", "8", "--samples", "300",
                           "--classifier-epochs", "1", "--out", str(out)],
                          cwd=ROOT, env=env, capture_output=True, text=True, timeout=900)
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    result = json.loads((out / "pytorch_gan_table1.json").read_text())
    assert len(result["rows"]) == 12 and result["classifier"]["size"] == 16
    refused = [r for r in result["rows"] if r.get("refused")]
    assert {(r["model"], r["setting"]) for r in refused} == {("cgan", "exchange")}
    scored = [r for r in result["rows"] if not r.get("refused")]
    assert all(1 <= r["is_fashion"] <= 10 and r["fd_fashion"] > 0 for r in scored)
    assert any("[hj] bgan: weight exchange pairing" in line for r in scored for line in r["pairing"])
    page = (out / "pytorch_gan_table1.md").read_text()
    assert "| bgan |" in page and "refused¹" in page and "--checkout" not in page
    assert (out / "pytorch_gan_table1.png").stat().st_size > 0


def test_remedies_benchmark_end_to_end_resumes_from_its_cache(tmp_path):
    """benchmarks/pytorch_gan_remedies.py on the real scripts, tiny: gan and bgan, one seed, three of its settings,
    then again on the same cache: nothing is trained twice and the page is the same but for the timing."""
    out, cache = tmp_path / "out", tmp_path / "runs.jsonl"
    command = [PYTHON, str(ROOT / "benchmarks" / "pytorch_gan_remedies.py"), "--checkout", CHECKOUT, "--models", "gan",
               "bgan", "--seeds", "0", "--iterations", "8", "--img-size", "16", "--samples", "300",
               "--classifier-epochs", "1", "--settings", "plain", "topk:0.75", "unrolled:5:0.001", "--cache", str(cache),
               "--out", str(out)]
    run_benchmark(command)
    result = json.loads((out / "pytorch_gan_remedies.json").read_text())
    assert [r["setting"] for r in result["rows"] if r["model"] == "gan"] == ["plain", "topk:0.75", "unrolled:5:0.001"]
    assert all(1 <= r["is_fashion"] <= 10 and not r.get("refused") for r in result["rows"])
    assert len(cache.read_text().splitlines()) == 6
    assert "0 of 6 runs trained" in run_benchmark(command).stdout
    assert json.loads((out / "pytorch_gan_remedies.json").read_text())["rows"] == result["rows"]
    assert "| gan |" in (out / "pytorch_gan_remedies.md").read_text()


def known_factor_command(tmp_path: Path, *options: str) -> list[str]:
    """The known-factor benchmark, tiny (8 iterations, 400 samples, a one-epoch read-out), with a cache and an
    output folder in ``tmp_path``."""
    return [PYTHON, str(ROOT / "benchmarks" / "pytorch_gan_known_factors.py"), "--checkout", CHECKOUT, *options,
            "--iterations", "8", "--samples", "400", "--vp-pairs", "400", "--readout-images", "2000",
            "--readout-epochs", "1", "--cache", str(tmp_path / "runs.jsonl"), "--out", str(tmp_path / "out")]


def test_known_factor_benchmark_end_to_end_resumes_from_its_cache(tmp_path):
    """benchmarks/pytorch_gan_known_factors.py on the real gan and dcgan scripts, tiny: plain and the recipe
    layers (which must name modules of upstream's generators) on the shaded-grey set, then again on the
    same cache: nothing is trained twice."""
    out = tmp_path / "out"
    command = known_factor_command(tmp_path, "--models", "gan", "dcgan", "--settings", "plain", "recipe:0.01:every=2",
                                   "--seeds", "0")
    assert "4 of 4 runs trained" in run_benchmark(command).stdout
    result = json.loads((out / "pytorch_gan_known_factors.json").read_text())
    assert [(r["model"], r["setting"]) for r in result["rows"]] == [
        ("gan", "plain"), ("gan", "recipe:0.01:every=2"), ("dcgan", "plain"), ("dcgan", "recipe:0.01:every=2")]
    assert all(0 <= r["mig"] <= 1 and r["fd"] > 0 and 0 <= r["valid"] <= 1 for r in result["rows"])
    assert result["rows"][0]["hj_log"] == "" and result["rows"][1]["hj_log"].startswith("[hj] [G step")
    assert result["readout"]["config"]["n_train"] == 2000 and result["settings"]["size"] == 16
    assert "0 of 4 runs trained" in run_benchmark(command).stdout
    page = (out / "pytorch_gan_known_factors.md").read_text()
    assert "| recipe layers, λ_H 0.01, every 2 |" in page and "## dcgan" in page and "One seed: a screen" in page
    assert "--checkout" not in page and (out / "pytorch_gan_known_factors.png").stat().st_size > 0


@pytest.mark.parametrize("model", ["gan", "infogan", "aae"])
def test_a_plain_run_saved_with_hj_save_is_fine_tuned_with_hj_and_its_ramp(model, patched, tmp_path):
    """``--hj-save`` on a plain run writes a checkpoint that torch alone reads (infogan's third optimizer and
    aae's encoder included); ``--hj-resume`` with ``--hj --hj-warmup`` fine-tunes it, the ramp from 0."""
    path = tmp_path / f"{model}.pt"
    out, _ = run(patched, model, "--hj-save", str(path))
    assert f"[hj] saved {path} (2 generator steps)" in out and "[hj] [" not in out
    read = subprocess.run([PYTHON, "-c", "import sys, torch; s = torch.load(sys.argv[1], weights_only=True); "
                           "print(s['model'], sorted(k for k in s if k.startswith(('optimizer', 'encoder'))))",
                           str(path)], capture_output=True, text=True, check=True).stdout.split(" ", 1)
    extra = {"infogan": ["optimizer_info"], "aae": ["encoder"]}.get(model, [])
    assert read[0] == model and eval(read[1]) == sorted(["optimizer_D", "optimizer_G", *extra])  # noqa: S307
    tuned = tmp_path / f"{model}-tuned.pt"
    out, _ = run(patched, model, "--hj-resume", str(path), "--hj", "--hj-warmup", "4", "--hj-lambda-h", "0.01",
                 "--hj-save", str(tuned))
    assert f"[hj] resumed {model} from {path} (2 generator steps)" in out and "[hj] [G step" in out
    assert f"[hj] saved {tuned} (4 generator steps)" in out
    ramp = [line for line in out.splitlines() if line.startswith("[hj] [G step")]
    assert "[ramp: 0.25]" in ramp[0], ramp[0]  # the fine-tuning run's first step: 1/4 of the ramp from the resume
    if model == "gan":
        with pytest.raises(AssertionError, match="written by gan.py, not dcgan.py"):
            run(patched, "dcgan", "--hj-resume", str(path))


def test_known_factor_benchmark_fine_tunes_one_plain_run_per_seed(tmp_path):
    """``--use finetune``: one plain run per model and seed (``--hj-save``), every setting resumed from it, plain
    included; a second call on the same cache trains nothing."""
    out = tmp_path / "out"
    command = known_factor_command(tmp_path, "--use", "finetune", "--settings", "plain", "recipe:0.01:warmup=4",
                                   "--seeds", "0", "1")
    assert "4 of 4 runs trained" in run_benchmark(command).stdout
    result = json.loads((out / "pytorch_gan_known_factors_finetune.json").read_text())
    rows = result["rows"]
    assert [(r["setting"], r["seed"]) for r in rows] == [("plain", 0), ("recipe:0.01:warmup=4", 0),
                                                         ("plain", 1), ("recipe:0.01:warmup=4", 1)]
    assert all(r["pretrain_seconds"] > 0 and 0 <= r["mig"] <= 1 for r in rows)
    assert rows[0]["hj_log"] == "" and rows[1]["hj_log"].startswith("[hj] [G step 7]")
    assert result["settings"]["use"] == "finetune" and result["settings"]["pretrain_epochs"] == 2
    assert "0 of 4 runs trained" in run_benchmark(command).stdout
    page = (out / "pytorch_gan_known_factors_finetune.md").read_text()
    assert "fine-tuning a plain run" in page and "trained plain for 16 iterations once per seed" in page
    assert "| recipe layers, λ_H 0.01, ramp 4 |" in page
