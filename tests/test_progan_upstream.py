"""End to end on the real pro-gan-pth 3.4, on the CPU, in the hosts interpreter.

pro-gan-pth needs torchvision, which the main environment does not have: every run goes through
``HJGAN_HOSTS_PYTHON`` (default ``.venv-hosts/bin/python``, made by ``bash scripts/setup.sh --hosts``),
by subprocess. The tests skip, saying why, when that interpreter, pro-gan-pth 3.4 or hjgan-progan is
missing there. Data: 8 real 28x28 Fashion-MNIST images (Debian's ``dataset-fashion-mnist``) when
installed, else 8 images of the project's squares testbed. Runs are tiny (depth 3: 4x4 then 8x8,
latent 16, one grey channel, batch 4, one epoch per depth, one repeat); upstream's channel counts
(512) are fixed by its script. About a minute in all on 2 cores.
"""
from __future__ import annotations

import re
import subprocess
import tempfile
import textwrap
from pathlib import Path

import pytest
from hosts import HOSTS_PYTHON, NO_HOSTS_PYTHON

from hjgan_plugin.datasets.idx import DEBIAN_FASHION_MNIST, read_idx

ROOT = Path(__file__).resolve().parents[1]
FASHION_MNIST = DEBIAN_FASHION_MNIST / "t10k-images-idx3-ubyte.gz"
TINY = ["--depth", "3", "--num_channels", "1", "--latent_size", "16", "--epochs", "1", "1", "--batch_sizes",
        "4", "4", "--batch_repeats", "1", "--num_workers", "0", "--feedback_factor", "1", "--checkpoint_factor",
        "1", "--num_feedback_samples", "4", "--flip_horizontal", "False"]
HJ = ["--hj", "--hj-exchange-every", "1", "--hj-lambda-h", "1e-4", "--hj-lambda-j", "1e-5"]
LOSSES = re.compile(r"d_loss: (\S+)\s+g_loss: (\S+)")
# one thread: identical float rounding in the runs compared bit for bit, no OpenMP stalls on a busy machine
SEEDED = "import sys, torch; torch.set_num_threads(1); torch.manual_seed(0); sys.argv = {argv!r}\n"


def _hosts(code: str, *args: str, check: bool = True, timeout: int = 120) -> subprocess.CompletedProcess:
    done = subprocess.run([str(HOSTS_PYTHON), *args, "-c", textwrap.dedent(code)], capture_output=True, text=True,
                          timeout=timeout, cwd=tempfile.gettempdir())  # not the checkout: '' is on sys.path
    if check and done.returncode != 0:
        raise AssertionError(f"hosts run failed ({done.returncode}):\n{done.stdout[-4000:]}\n{done.stderr[-4000:]}")
    return done


def _why_not() -> str | None:
    if not HOSTS_PYTHON.is_file():
        return NO_HOSTS_PYTHON
    probe = _hosts("""
        import importlib.metadata as m
        for dist in ("pro-gan-pth", "hjgan-progan", "tensorboard"):
            try:
                print(dist, m.version(dist))
            except m.PackageNotFoundError:
                print(dist, "missing")
        """, check=False, timeout=60)
    versions = dict(line.split() for line in probe.stdout.splitlines() if len(line.split()) == 2)
    if versions.get("pro-gan-pth") != "3.4":
        found = versions.get("pro-gan-pth", "missing")
        return (f"pro-gan-pth 3.4 is not installed in {HOSTS_PYTHON} (found: {found}): "
                "pip install --no-deps pro-gan-pth==3.4")
    for dist, hint in (("hjgan-progan", "pip install --no-deps -e integrations/progan"),
                       ("tensorboard", "pip install -e 'integrations/progan[train]'")):
        if versions.get(dist, "missing") == "missing":
            return f"{dist} is not installed in {HOSTS_PYTHON}: {hint}"
    return None


WHY_NOT = _why_not()
pytestmark = [pytest.mark.slow, pytest.mark.skipif(WHY_NOT is not None, reason=WHY_NOT or "")]


@pytest.fixture(scope="module")
def workdir(tmp_path_factory) -> Path:
    return tmp_path_factory.mktemp("progan")


@pytest.fixture(scope="module")
def images(workdir) -> Path:
    folder = workdir / "images"
    folder.mkdir()
    if FASHION_MNIST.is_file():
        from PIL import Image

        for i, img in enumerate(read_idx(FASHION_MNIST, ndim=3)[:8]):
            Image.fromarray(img).save(folder / f"{i:03d}.png")
    else:
        from hjgan_plugin.testbed.squares import write_pngs

        write_pngs(folder, n=8, channels=1)
    return folder


def _train(out: Path, images: Path, *extra: str, upstream: bool = False) -> subprocess.CompletedProcess:
    if upstream:  # upstream's own progan_train, with only the torch 2.x fixes
        argv = ["progan_train", str(images), str(out), *TINY]
        code = SEEDED.format(argv=argv) + ("from hjgan_progan import compat; compat.apply()\n"
                                           "from pro_gan_pytorch_scripts.train import main; main()\n")
    else:
        argv = ["hjgan", "progan", "train", str(images), str(out), *TINY, *extra]
        code = SEEDED.format(argv=argv) + "from hjgan_plugin.cli import main; main()\n"
    return _hosts(code)


@pytest.fixture(scope="module")
def hj_run(workdir, images) -> tuple[Path, str]:
    out = workdir / "hj"
    return out, _train(out, images, *HJ).stdout


def test_hj_run_prints_scalars_and_follows_the_depth(hj_run):
    _, stdout = hj_run
    assert "hj: depth 2: weight exchange pairing (function progan_depth_2): 2 pair(s)" in stdout
    assert "hj: depth 3: weight exchange pairing (function progan_depth_3): 5 pair(s)" in stdout
    steps = [line for line in stdout.splitlines() if line.startswith("hj: step ")]
    assert len(steps) == 4  # upstream's 4 feedback points: 2 batches at each depth
    for key in ("hj_hessian", "hj_jacobian", "hj_penalty", "hj_ramp", "exchange/count", "exchange/mean_cosine"):
        assert all(f" {key}: " in line for line in steps), key
    assert "exchange/count: 4" in steps[-1]  # one exchange after each D step


def test_hj_run_writes_its_scalars_to_upstreams_tensorboard_log(hj_run):
    out, _ = hj_run
    done = _hosts(f"""
        from tensorboard.backend.event_processing.event_accumulator import EventAccumulator
        acc = EventAccumulator({str(out / "logs" / "tensorboard")!r}); acc.Reload()
        for tag in sorted(acc.Tags()["scalars"]):
            print(tag, [e.step for e in acc.Scalars(tag)], [round(e.value, 6) for e in acc.Scalars(tag)])
        """)
    tags = {line.split(" ", 1)[0]: line for line in done.stdout.splitlines()}
    for tag in ("dis_loss", "gen_loss", "hj_hessian", "hj_jacobian", "hj_penalty", "hj_alpha", "exchange/count"):
        assert tag in tags, (tag, sorted(tags))
    assert tags["hj_penalty"].split(" [", 2)[1] == tags["gen_loss"].split(" [", 2)[1]  # same steps: 1, 2, 3, 4]
    assert tags["exchange/count"].endswith("[1.0, 2.0, 3.0, 4.0]")


def test_checkpoint_loads_without_hjgan_plugin(hj_run):
    """``-S``: site-packages is put on sys.path without its .pth files, so the editable installs of
    hjgan_plugin and hjgan_progan are out of reach; pro-gan-pth and torch are there."""
    out, _ = hj_run
    compat_py = ROOT / "integrations" / "progan" / "hjgan_progan" / "compat.py"
    site = _hosts("import os, pro_gan_pytorch; print(os.path.dirname(os.path.dirname(pro_gan_pytorch.__file__)))")
    done = _hosts(f"""
        import importlib.util, sys
        sys.path.append({site.stdout.strip()!r})
        assert importlib.util.find_spec("hjgan_plugin") is None and importlib.util.find_spec("hjgan_progan") is None
        import torch
        from pro_gan_pytorch.networks import create_generator_from_saved_model
        gen = create_generator_from_saved_model({str(out / "models" / "depth_3_epoch_1.bin")!r})
        saved = torch.load({str(out / "models" / "depth_3_epoch_1.bin")!r}, weights_only=True)
        spec = importlib.util.spec_from_file_location("progan_compat", {str(compat_py)!r})
        compat = importlib.util.module_from_spec(spec); spec.loader.exec_module(compat); compat.apply()
        img = gen(torch.randn(2, 16), 3, 1.0)
        assert "hjgan_plugin" not in sys.modules
        print("loaded", type(gen).__name__, gen.depth, tuple(img.shape), sorted(saved), saved["hj"]["steps"])
        """, "-S")
    assert "loaded Generator 3 (2, 1, 8, 8)" in done.stdout
    assert "['dis_optim', 'discriminator', 'gen_optim', 'generator', 'hj', 'shadow_generator']" in done.stdout
    assert "{'G': 4, 'D': 4}" in done.stdout


def _files(out: Path) -> list[str]:
    """Relative paths, the tensorboard event file's name (time, host, pid) reduced to its folder."""
    return sorted(str(p.relative_to(out).parent if "tfevents" in p.name else p.relative_to(out))
                  for p in out.rglob("*") if p.is_file())


def test_without_hj_the_run_is_upstreams(workdir, images):
    ours = _train(workdir / "plain", images)
    theirs = _train(workdir / "upstream", images, upstream=True)
    assert LOSSES.findall(ours.stdout) == LOSSES.findall(theirs.stdout) and len(LOSSES.findall(ours.stdout)) == 4
    assert "hj:" not in ours.stdout
    assert _files(workdir / "plain") == _files(workdir / "upstream")
    done = _hosts(f"""
        import torch
        for name in ("depth_2_epoch_1.bin", "depth_3_epoch_1.bin"):
            a = torch.load({str(workdir / "plain" / "models")!r} + "/" + name, weights_only=True)
            b = torch.load({str(workdir / "upstream" / "models")!r} + "/" + name, weights_only=True)
            assert sorted(a) == sorted(b) and "hj" not in a, sorted(a)
            for key in ("generator", "discriminator", "shadow_generator"):
                sa, sb = a[key]["state_dict"], b[key]["state_dict"]
                assert a[key]["conf"] == b[key]["conf"] and sa.keys() == sb.keys()
                assert all(torch.equal(sa[k], sb[k]) for k in sa), (name, key)
            for key in ("gen_optim", "dis_optim"):
                for state_a, state_b in zip(a[key]["state"].values(), b[key]["state"].values()):
                    assert all(torch.equal(state_a[k], state_b[k]) for k in state_a), (name, key)
        print("identical")
        """)
    assert "identical" in done.stdout


def test_fine_tuning_a_saved_model_ramps_the_penalty_up(hj_run):
    """A resumed generator with ``warmup=4``: the session starts at step 0, so the ramp is 1/4, 2/4, 3/4;
    the adapter's pairing also holds on upstream's real networks at every depth."""
    out, _ = hj_run
    done = _hosts(f"""
        import torch
        torch.set_num_threads(1); torch.manual_seed(0)
        from hjgan_progan.adapter import pair_parameters
        from hjgan_progan.progan import HJProGAN
        from pro_gan_pytorch.losses import WganGP
        from pro_gan_pytorch.networks import Discriminator, Generator
        path = {str(out / "models" / "depth_3_epoch_1.bin")!r}
        progan = HJProGAN.from_checkpoint(path, warmup=4, lambda_h=1e-4, lambda_j=1e-5)
        saved = torch.load(path, weights_only=True)
        assert all(torch.equal(p, saved["generator"]["state_dict"][n]) for n, p in progan.gen.state_dict().items())
        opt = torch.optim.Adam(progan.gen.parameters(), lr=1e-3, betas=(0.0, 0.99))
        real, ramps = torch.rand(4, 1, 8, 8) * 2 - 1, []
        for _ in range(3):
            progan.optimize_generator(WganGP(), opt, torch.randn(4, 16), real, 3, 1.0)
            last = progan.hj_session.last  # the weight applied: hj_penalty over the unramped Eq. 15 sum
            full = 0.5 * 1e-4 * last["hj_hessian"] + 0.5 * 1e-5 * last["hj_jacobian"]
            ramps.append(round(last["hj_penalty"] / full, 4))
        print("ramps", ramps, progan.hj_session.steps)
        G = Generator(depth=4, num_channels=1, latent_size=16)
        D = Discriminator(depth=4, num_channels=1, latent_size=16)
        print("pairs", [len(pair_parameters(G, D, d)) for d in (2, 3, 4)])
        """)
    assert "ramps [0.25, 0.5, 0.75] {'G': 3, 'D': 0}" in done.stdout, done.stdout
    assert "pairs [2, 5, 7]" in done.stdout


def test_discover_reads_a_checkpoint_at_its_depth(hj_run):
    """hjgan discover --adapter progan on upstream's own .bin: the EMA generator at the file's depth."""
    out, _ = hj_run
    path = out / "models" / "depth_3_epoch_1.bin"
    done = _hosts(f"""
        import sys
        from hjgan_plugin.cli import main
        sys.argv = ["hjgan", "discover", "--adapter", "progan", "--checkpoint", {str(path)!r}, "--num-directions",
                    "3", "--method", "jacobian", "--sampling", "zero", "--steps", "3", "--out", {str(out / "dirs")!r},
                    "--no-progress"]
        main()
        """, check=False)
    assert done.returncode == 0, done.stdout[-2000:] + done.stderr[-3000:]
    assert "pro-gan-pth the EMA (shadow) generator" in done.stderr and "depth 3 of 3 (8px), latent 16-d" in done.stderr
    shape = _hosts(f"""
        from hjgan_plugin.discovery import Directions
        print(tuple(Directions.load({str(out / "dirs" / "directions.pt")!r}).directions.shape))
        """).stdout
    assert "(3, 16)" in shape and (out / "dirs" / "traversal.png").stat().st_size > 0
    wrong = _hosts(f"""
        from hjgan_progan.loading import load
        try:
            load({str(out / "dirs" / "directions.pt")!r})
        except ValueError as exc:
            print(exc)
        """).stdout
    assert "is not a pro-gan-pth 3.4 checkpoint" in wrong
    trained = _hosts(f"""
        from hjgan_progan.loading import load
        print(load({str(path)!r}, ema=False).description)
        """).stdout
    assert "pro-gan-pth the trained generator (no EMA)" in trained and "depth 3 of 3 (8px)" in trained
