"""Every command and code block the READMEs show runs here, so none can go stale.

- ``bash``/``console`` blocks: each command is run (the cheap ones on files made here), or, where a run
  needs what CI does not have (an upstream checkout, a GPU cluster), named in :data:`RUN_ELSEWHERE` with
  the test that runs it; a command in neither place fails :func:`test_every_command_is_accounted_for`;
- ``python`` blocks run in order on small networks;
- the ``hjgan plugins`` output shown is what the installed console script prints;
- every link to a file or a design-doc section points at something that exists.
"""
from __future__ import annotations

import os
import re
import shlex
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
import torch

ROOT = Path(__file__).resolve().parents[1]
READMES = [ROOT / "README.md", *sorted((ROOT / "integrations").glob("*/README.md")),
           ROOT / "examples" / "hjgan-msgan" / "README.md"]
FENCE = re.compile(r"^```(\w*)\n(.*?)^```", re.MULTILINE | re.DOTALL)
UPSTREAM_TEST = "tests/test_stylegan2_ada_upstream.py"
PROGAN_TEST = "tests/test_progan_upstream.py"
# commands whose real run needs an upstream checkout (opt-in, HJGAN_STYLEGAN2_ADA_DIR) or is CI itself
RUN_ELSEWHERE = {
    "bash scripts/test.sh": ".ci/run",
    "hjgan patch stylegan2-ada ~/stylegan2-ada-pytorch": f"{UPSTREAM_TEST}::test_patch_on_patched_checkout_says_so",
    "cd ~/stylegan2-ada-pytorch && python train.py --outdir runs --data data.zip --gpus 8 --hj=1 --hj-lambda-h 0.1":
        f"{UPSTREAM_TEST}::test_hj_run_reports_stats_records_options_and_pickles_load_without_plugin",
    "hjgan stylegan2-ada train --repo ~/stylegan2-ada-pytorch --outdir runs --data data.zip --hj=1 --hj-space w":
        f"{UPSTREAM_TEST}::test_launcher_runs_unpatched_train_py",
    "HJGAN_STYLEGAN2_ADA_DIR=~/stylegan2-ada-pytorch bash scripts/test.sh tests/test_stylegan2_ada_upstream.py":
        UPSTREAM_TEST,
    'pip install -e ".[train]"': "scripts/setup.sh",
    "pip install --no-deps pro-gan-pth==3.4": "scripts/setup.sh",
    "pip install torchvision": "scripts/setup.sh",
    "bash scripts/setup.sh --hosts": ".ci/run",
    "bash scripts/setup.sh --hosts && bash scripts/test.sh tests/test_progan_adapter.py tests/test_progan_upstream.py":
        ".ci/run",
    "hjgan progan train TRAIN_PATH OUTPUT_DIR [progan_train's options] --hj [--hj-*]":
        f"{PROGAN_TEST}::test_hj_run_prints_scalars_and_follows_the_depth",
    "hjgan progan train ~/images runs --depth 7 --latent_size 256 --hj --hj-lambda-h 1e-4 --hj-exchange-every 1":
        f"{PROGAN_TEST}::test_hj_run_prints_scalars_and_follows_the_depth",
    "hjgan patch pytorch-gan ~/PyTorch-GAN":
        "tests/test_pytorch_gan_upstream.py::test_every_patch_applies_to_a_clean_copy_and_reverses",
    "cd ~/PyTorch-GAN/implementations/cgan && python cgan.py --hj --hj-lambda-h 0.01":
        "tests/test_pytorch_gan_upstream.py::test_with_hj_the_penalty_runs_and_the_exchange_reports_its_pairs",
    "cd ~/PyTorch-GAN/implementations/gan && python gan.py --latent_dim 8 --hj-save plain.pt":
        "tests/test_pytorch_gan_upstream.py::test_a_plain_run_saved_with_hj_save_is_fine_tuned_with_hj_and_its_ramp",
    "python gan.py --latent_dim 8 --hj-resume plain.pt --hj --hj-warmup 250 --hj-save tuned.pt":
        "tests/test_pytorch_gan_upstream.py::test_a_plain_run_saved_with_hj_save_is_fine_tuned_with_hj_and_its_ramp",
    "HJGAN_PYTORCH_GAN_DIR=~/PyTorch-GAN bash scripts/test.sh tests/test_pytorch_gan_upstream.py":
        "tests/test_pytorch_gan_upstream.py",
    "hjgan progan train --help": "tests/test_progan_adapter.py::test_launcher_adds_the_hj_flags_to_upstreams_own_parser",
    "pip install ./examples/hjgan-msgan": "scripts/setup.sh",
    ".venv-hosts/bin/python benchmarks/pytorch_gan_table1.py --checkout ~/PyTorch-GAN":
        "tests/test_pytorch_gan_upstream.py::test_table1_benchmark_end_to_end_on_two_models",
    ".venv-hosts/bin/python benchmarks/pytorch_gan_remedies.py --checkout ~/PyTorch-GAN --cache runs-ptgan.jsonl":
        "tests/test_pytorch_gan_upstream.py::test_remedies_benchmark_end_to_end_resumes_from_its_cache",
    ".venv-hosts/bin/python benchmarks/pytorch_gan_known_factors.py --checkout ~/PyTorch-GAN --use finetune "
    "--cache finetune.jsonl": "tests/test_pytorch_gan_upstream.py::test_known_factor_benchmark_fine_tunes_one_plain_run_per_seed",
    ".venv-hosts/bin/python benchmarks/pytorch_gan_known_factors.py --checkout ~/PyTorch-GAN --cache known.jsonl":
        "tests/test_pytorch_gan_upstream.py::test_known_factor_benchmark_end_to_end_resumes_from_its_cache",
    "HJGAN_STYLEGAN2_ADA_DIR=~/stylegan2-ada-pytorch python benchmarks/stylegan2_ada_known_factors.py --use finetune --cache sg2.jsonl":
        f"{UPSTREAM_TEST}::test_known_factor_benchmark_fine_tunes_and_resumes_from_its_cache",
    "python benchmarks/mode_collapse_remedies.py --cache runs.jsonl":
        "tests/test_mode_collapse_remedies.py::test_remedies_suite_end_to_end",
    "hjgan traverse dirs/directions.pt --generator hjgan_plugin.testbed.bumps:make --samples 2 --gif walk.gif":
        "tests/test_discovery.py::test_cli_discover_then_traverse_with_a_gif",
}


def blocks(path: Path, *languages: str) -> list[str]:
    return [body for lang, body in FENCE.findall(path.read_text()) if lang in languages]


def commands(path: Path) -> list[str]:
    """The commands of a README's shell blocks, comments and ``$`` prompts removed, output lines skipped."""
    out = []
    for lang, body in FENCE.findall(path.read_text()):
        if lang not in ("bash", "console"):
            continue
        for line in body.splitlines():
            if lang == "console":
                if not line.startswith("$ "):
                    continue  # the command's output
                line = line[2:]
            line = re.sub(r"\s+#.*$", "", line).strip()
            if line and not line.startswith("#"):
                out.append(line)
    return out


def _run(command: str, cwd: Path, timeout: int = 600) -> subprocess.CompletedProcess:
    env = dict(os.environ, PATH=f"{Path(sys.executable).parent}{os.pathsep}{os.environ['PATH']}")
    return subprocess.run(command, shell=True, cwd=cwd, env=env, capture_output=True, text=True, timeout=timeout)


# --------------------------------------------------------------------------------------------- commands
@pytest.fixture(scope="module")
def sample_files(tmp_path_factory) -> Path:
    from hjgan_plugin.datasets import grid

    folder = tmp_path_factory.mktemp("samples")
    rng = np.random.default_rng(0)
    np.save(folder / "samples.npy", grid(2500, torch.Generator().manual_seed(0))[0].numpy())
    np.save(folder / "train.npy", rng.normal(size=(2000, 2)))
    np.save(folder / "generated.npy", rng.normal(size=(2000, 2)))
    latents = rng.normal(size=(2000, 3))
    np.save(folder / "latents.npy", latents)
    np.save(folder / "factors.npy", latents[:, :2] + 0.1 * rng.normal(size=(2000, 2)))
    return folder


RUN_HERE = {
    "hjgan game --game 1,3,0.25": ("alpha = 0.111111, beta = 0.272727",),
    "hjgan eval modes samples.npy --mixture grid": ("modes", "hq_fraction"),
    "hjgan eval ndb train.npy generated.npy --k 100": ("ndb", "jsd"),
    "hjgan eval factors latents.npy factors.npy": ("mig", "dci"),
    "hjgan plugins": ("plugins (entry-point group 'hjgan'):",),
    "hjgan data shaded-grey kf --size 16 --n 200": ("wrote 200 16x16 shaded-grey images", "--img_size 16 --channels 1"),
    "hjgan data shaded kf-rgb --format stylegan2-zip --size 16 --n 200": ("for StyleGAN2-ADA train.py", "dataset.zip"),
    "hjgan data dsprites kf-pg --format folder --size 16 --n 200": ("for ProGAN", "--num_channels 1"),
    "hjgan discover --generator hjgan_plugin.testbed.bumps:make --latent-dim 4 --num-directions 4 --method joint "
    "--steps 200 --out dirs": ("wrote dirs/directions.pt", "wrote dirs/traversal.png", "wrote dirs/loss.png"),
}


def test_every_command_is_accounted_for():
    shown = {c for path in READMES for c in commands(path)}
    demo = {c for c in shown if c.startswith("bash scripts/demo.sh")}
    reference = {c for c in shown if "tests/test_reference_implementations.py" in c}
    unaccounted = shown - set(RUN_HERE) - set(RUN_ELSEWHERE) - demo - reference
    assert not unaccounted, f"README commands no test runs: {sorted(unaccounted)}; add them to this file"
    assert demo and reference
    for where in RUN_ELSEWHERE.values():
        file, _, test = where.partition("::")
        assert (ROOT / file).exists(), where
        if test:
            assert f"def {test}(" in (ROOT / file).read_text(), f"{where} does not exist"
    assert "bash scripts/test.sh" in (ROOT / ".ci" / "run").read_text()


@pytest.mark.parametrize("command", sorted(RUN_HERE))
def test_command_runs(command, sample_files):
    assert any(command in c for path in READMES for c in commands(path))
    done = _run(command, sample_files, timeout=300)
    assert done.returncode == 0, done.stderr[-2000:]
    for word in RUN_HERE[command]:
        assert word in done.stdout, (word, done.stdout[-2000:])


def test_plugins_output_is_what_the_readme_shows():
    shown = next(b for b in blocks(ROOT / "README.md", "console") if "$ hjgan plugins" in b)
    expected = shown.split("\n", 1)[1].rstrip("\n")
    assert _run("hjgan plugins", ROOT).stdout.rstrip("\n") == expected


@pytest.mark.slow
def test_demo_command_runs(tmp_path):
    (command,) = {c for c in commands(ROOT / "README.md") if c.startswith("bash scripts/demo.sh")}
    done = _run(f"{command} --iters 20 --eval-samples 2000 --log-every 10 --out {tmp_path}", ROOT, timeout=600)
    assert done.returncode == 0, done.stderr[-3000:]
    assert (tmp_path / "demo.png").stat().st_size > 10_000 and "plugin" in done.stdout


def test_reference_test_command_runs():
    (command,) = {c for c in commands(ROOT / "README.md") if "test_reference_implementations.py" in c}
    for var in ("HJGAN_HESSIAN_PENALTY_DIR", "HJGAN_OROJAR_DIR"):  # this machine's checkouts, if it has them
        if os.environ.get(var):
            command = re.sub(rf"{var}=\S+", f"{var}={shlex.quote(os.environ[var])}", command)
        folder = Path(os.path.expanduser(re.search(rf"{var}=(\S+)", command).group(1)))
        if not folder.is_dir():
            pytest.skip(f"{var}: no checkout at {folder} (set {var} to a checkout to run the README's command)")
    done = _run(command, ROOT)
    assert done.returncode == 0, done.stdout[-3000:]
    assert re.search(r"\d+ (passed|skipped)", done.stdout)


# ----------------------------------------------------------------------------------------------- python
def test_python_blocks_run(tmp_path, monkeypatch):
    import argparse

    import torch.nn.functional as F

    from hjgan_plugin import HJConfig, capture
    from nets import mlp

    torch.manual_seed(0)
    z_dim, batch = 3, 8
    G, D = mlp(z_dim, 16, 4), mlp(4, 16, 1)
    logged: list = []
    scope = dict(torch=torch, F=F, argparse=argparse, HJConfig=HJConfig, capture=capture, G=G, D=D,
                 z_dim=z_dim, batch=batch, z=torch.randn(batch, z_dim), log=logged.append,
                 loader=[torch.randn(batch, 4) for _ in range(3)],
                 opt_G=torch.optim.Adam(G.parameters(), 1e-3), opt_D=torch.optim.Adam(D.parameters(), 1e-3))
    monkeypatch.chdir(tmp_path)  # what the blocks save lands here
    for body in blocks(ROOT / "README.md", "python"):
        exec(compile(body, "README.md", "exec"), scope)  # noqa: S102 - the README's own code
    assert scope["found"].directions.shape == (4, 4) and (tmp_path / "directions.pt").is_file()
    assert len(logged) == 3 and all({"hj_penalty", "hj_hessian", "hj_alpha"} <= set(s) for s in logged)
    assert float(scope["loss"].detach()) > 0 and float(scope["both"].total.detach()) > 0
    assert scope["config"].enabled and scope["config"].lambda_h == 1e-4


# ------------------------------------------------------------------------------------------------ links
def _slug(heading: str) -> str:
    return re.sub(r"[^\w\- ]", "", heading.strip().lower()).replace(" ", "-")


@pytest.mark.parametrize("path", READMES + [ROOT / "docs" / "design.md"], ids=lambda p: str(p.relative_to(ROOT)))
def test_links_resolve(path):
    text = path.read_text()
    for target in re.findall(r"\]\(([^)\s]+)\)", text):
        if target.startswith(("http://", "https://")):
            continue
        file, _, anchor = target.partition("#")
        dest = (path.parent / file).resolve() if file else path
        assert dest.exists(), f"{path.name}: link to {target} (no such file)"
        assert "../shared" not in target and "SPEC" not in target
        if anchor and dest.suffix == ".md":
            slugs = {_slug(h) for h in re.findall(r"^#+ (.+)$", dest.read_text(), re.MULTILINE)}
            assert anchor in slugs, f"{path.name}: no section #{anchor} in {dest.name}"


@pytest.mark.parametrize("path", READMES + [ROOT / "docs" / "design.md"], ids=lambda p: str(p.relative_to(ROOT)))
def test_no_pointer_outside_the_repository(path):
    text = path.read_text()
    assert "../shared" not in text and "SPEC" not in text
    assert not re.search(r"\bissue \d+", text, re.IGNORECASE)
