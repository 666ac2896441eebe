"""The PyTorch-GAN integration without an upstream checkout (runs in CI).

The stand-ins below are written for these tests: they have the *layer layout* (module names, layer
types and order, width ratios) and the ``forward`` signatures of the twelve scripts' networks at
36d3c77, at a sixteenth of the width, so names and pairings are the scripts'. The real scripts run in
tests/test_pytorch_gan_upstream.py (opt-in).
"""
from __future__ import annotations

import argparse
import hashlib
import json
from pathlib import Path

import numpy as np
import pytest
import torch
from click.testing import CliRunner
from torch import nn

from hjgan_plugin.cli import main as cli_main
from hjgan_plugin.exchange import resolve_pairs
from hjgan_plugin.patching import PatchError, PatchSet
from hjgan_pytorch_gan import MODELS, hj
from hjgan_pytorch_gan import patching as ptg_patching
from hjgan_pytorch_gan.adapters import CONVENTIONS, registered
from hjgan_pytorch_gan.report import format_line

pytestmark = pytest.mark.usefixtures("one_thread")
LATENT, CH, SIZE, CLASSES, CODE = 6, 1, 8, 3, 2
FLAT = CH * SIZE * SIZE


# ------------------------------------------------------------------------------------------ stand-ins
def mlp(widths, normalize_from=1, head=nn.Tanh):
    """Linear blocks ``[Linear, (BatchNorm1d), LeakyReLU]`` and a last Linear + ``head``."""
    layers = []
    for i, (a, b) in enumerate(zip(widths[:-2], widths[1:-1])):
        layers += [nn.Linear(a, b)] + ([nn.BatchNorm1d(b, 0.8)] if i >= normalize_from else []) + [nn.LeakyReLU(0.2)]
    return nn.Sequential(*layers, nn.Linear(widths[-2], widths[-1]), *([head()] if head else []))


class MLPG(nn.Module):  # gan, wgan_gp, bgan; cgan with labels
    def __init__(self, n_classes=0):
        super().__init__()
        if n_classes:
            self.label_emb = nn.Embedding(n_classes, n_classes)
        self.model = mlp([LATENT + n_classes, 8, 16, 32, 80, FLAT])  # upstream 128-256-512-1024

    def forward(self, z):
        return self.model(z).view(z.shape[0], CH, SIZE, SIZE)


class CondMLPG(MLPG):
    def __init__(self):
        super().__init__(CLASSES)

    def forward(self, noise, labels):
        return super().forward(torch.cat((self.label_emb(labels), noise), -1))


class MLPD(nn.Module):
    def __init__(self, n_in=FLAT, widths=(32, 16)):
        super().__init__()
        self.model = mlp([n_in, *widths, 1], normalize_from=99, head=nn.Sigmoid)

    def forward(self, img):
        return self.model(img.view(img.shape[0], -1))


class CondMLPD(nn.Module):  # cgan: labels embedded and concatenated to the image, 512-wide (here 32)
    def __init__(self):
        super().__init__()
        self.label_embedding = nn.Embedding(CLASSES, CLASSES)
        self.model = nn.Sequential(nn.Linear(CLASSES + FLAT, 32), nn.LeakyReLU(0.2),
                                   nn.Linear(32, 32), nn.Dropout(0.4), nn.LeakyReLU(0.2),
                                   nn.Linear(32, 32), nn.Dropout(0.4), nn.LeakyReLU(0.2), nn.Linear(32, 1))

    def forward(self, img, labels):
        return self.model(torch.cat((img.view(img.shape[0], -1), self.label_embedding(labels)), -1))


class ConvG(nn.Module):  # dcgan/began/acgan/sgan/infogan (leading BatchNorm), lsgan/ebgan (without)
    def __init__(self, n_in=LATENT, leading_bn=True):
        super().__init__()
        self.init = SIZE // 4
        self.l1 = nn.Sequential(nn.Linear(n_in, 16 * self.init ** 2))
        self.conv_blocks = nn.Sequential(*([nn.BatchNorm2d(16)] if leading_bn else []), nn.Upsample(scale_factor=2),
                                         nn.Conv2d(16, 16, 3, 1, 1), nn.BatchNorm2d(16, 0.8), nn.LeakyReLU(0.2),
                                         nn.Upsample(scale_factor=2), nn.Conv2d(16, 8, 3, 1, 1),
                                         nn.BatchNorm2d(8, 0.8), nn.LeakyReLU(0.2),
                                         nn.Conv2d(8, CH, 3, 1, 1), nn.Tanh())

    def forward(self, z):
        return self.conv_blocks(self.l1(z).view(z.shape[0], 16, self.init, self.init))


class ACGANG(ConvG):
    def __init__(self):
        super().__init__()
        self.label_emb = nn.Embedding(CLASSES, LATENT)

    def forward(self, noise, labels):
        return super().forward(self.label_emb(labels) * noise)


class InfoG(ConvG):
    def __init__(self):
        super().__init__(LATENT + CLASSES + CODE)

    def forward(self, noise, labels, code):
        return super().forward(torch.cat((noise, labels, code), -1))


class ConvD(nn.Module):  # dcgan/lsgan: "model"; acgan/sgan/infogan: "conv_blocks" and extra heads
    def __init__(self, body="model", heads=0):
        super().__init__()
        blocks = []
        for i, (a, b) in enumerate(((CH, 2), (2, 4), (4, 8), (8, 16))):
            blocks += [nn.Conv2d(a, b, 3, 2, 1), nn.LeakyReLU(0.2), nn.Dropout2d(0.25)]
            blocks += [nn.BatchNorm2d(b, 0.8)] if i else []
        setattr(self, body, nn.Sequential(*blocks))
        self.body, self.heads = body, heads
        self.adv_layer = nn.Sequential(nn.Linear(16 * (SIZE // 16 or 1) ** 2, 1))
        if heads:
            self.aux_layer = nn.Sequential(nn.Linear(16, CLASSES), nn.Softmax(dim=1))
        if heads > 1:
            self.latent_layer = nn.Sequential(nn.Linear(16, CODE))

    def forward(self, img):
        out = getattr(self, self.body)(img).view(img.shape[0], -1)
        outs = [layer(out) for layer in (self.adv_layer, getattr(self, "aux_layer", None),
                                         getattr(self, "latent_layer", None)) if layer is not None]
        return outs[0] if len(outs) == 1 else tuple(outs)


class AutoencoderD(nn.Module):  # began; ebgan: an "embedding" Linear apart and a (recon, embedding) tuple
    def __init__(self, ebgan=False):
        super().__init__()
        self.ebgan, down = ebgan, 8 * (SIZE // 2) ** 2  # 8 channels, as G's last conv reads (upstream 64)
        self.down = nn.Sequential(nn.Conv2d(CH, 8, 3, 2, 1), nn.ReLU())
        if ebgan:
            self.embedding = nn.Linear(down, 2)
        self.fc = nn.Sequential(*([] if ebgan else [nn.Linear(down, 2)]), nn.BatchNorm1d(2, 0.8), nn.ReLU(),
                                nn.Linear(2, down), nn.BatchNorm1d(down), nn.ReLU())
        self.up = nn.Sequential(nn.Upsample(scale_factor=2), nn.Conv2d(8, CH, 3, 1, 1))

    def forward(self, img):
        out = self.down(img).view(img.shape[0], -1)
        emb = self.embedding(out) if self.ebgan else None
        out = self.up(self.fc(emb if self.ebgan else out).view(img.shape[0], 8, SIZE // 2, SIZE // 2))
        return (out, emb) if self.ebgan else out


class Encoder(nn.Module):  # aae: its forward (image -> reparameterized code) is not called here
    def __init__(self):
        super().__init__()
        self.model = nn.Sequential(nn.Linear(FLAT, 32), nn.LeakyReLU(0.2), nn.Linear(32, 32), nn.BatchNorm1d(32),
                                   nn.LeakyReLU(0.2))
        self.mu, self.logvar = nn.Linear(32, LATENT), nn.Linear(32, LATENT)


class Decoder(nn.Module):
    def __init__(self):
        super().__init__()
        self.model = mlp([LATENT, 32, 32, FLAT])

    def forward(self, z):
        return self.model(z).view(z.shape[0], CH, SIZE, SIZE)


def aae_nets():
    return Encoder(), Decoder(), MLPD(LATENT, (32, 16))  # D judges codes: latent -> 512 -> 256 -> 1


def inputs(model, n=4):
    labels = torch.randint(0, CLASSES, (n,))
    if model in ("cgan", "acgan"):
        return (labels,)
    if model == "infogan":
        return nn.functional.one_hot(labels, CLASSES).float(), torch.rand(n, CODE) * 2 - 1
    return ()


def networks(model):
    """(G, D, extra attach kwargs) with the model's layout."""
    if model == "aae":
        encoder, decoder, D = aae_nets()
        return decoder, D, {"encoder": encoder}
    G = {"gan": MLPG, "wgan_gp": MLPG, "bgan": MLPG, "cgan": CondMLPG, "acgan": ACGANG, "infogan": InfoG,
         "lsgan": lambda: ConvG(leading_bn=False), "ebgan": lambda: ConvG(leading_bn=False)}.get(model, ConvG)()
    D = {"gan": MLPD, "wgan_gp": MLPD, "bgan": MLPD, "cgan": CondMLPD, "began": AutoencoderD,
         "ebgan": lambda: AutoencoderD(ebgan=True), "acgan": lambda: ConvD("conv_blocks", 1),
         "sgan": lambda: ConvD("conv_blocks", 1), "infogan": lambda: ConvD("conv_blocks", 2)}.get(model, ConvD)()
    return G, D, {}


def options(*argv):
    parser = argparse.ArgumentParser()
    parser.add_argument("--latent_dim", type=int, default=LATENT)
    hj.add_options(parser)
    return parser.parse_args(list(argv))


def adam(*modules):
    return torch.optim.Adam([p for m in modules for p in m.parameters()], lr=1e-3)


# the pairs each script's networks get (the same names as in the upstream runs)
EXPECTED_PAIRS = {
    **dict.fromkeys(("gan", "wgan_gp", "bgan"), [("model.5.weight", "model.2.weight", "transpose")]),
    "dcgan": [("conv_blocks.6.weight", "model.11.weight", "conv_adjoint")],
    "lsgan": [("conv_blocks.5.weight", "model.11.weight", "conv_adjoint")],
    **dict.fromkeys(("acgan", "sgan", "infogan"), [("conv_blocks.6.weight", "conv_blocks.11.weight", "conv_adjoint")]),
    **{model: [(f"conv_blocks.{i}.weight", "down.0.weight", "conv_adjoint"),
               (f"conv_blocks.{i}.weight", "up.1.weight", "identity")] for model, i in (("began", 9), ("ebgan", 8))},
    "aae": [("encoder.mu.weight", "model.0.weight", "transpose")],
}


# ------------------------------------------------------------------------------------------ tests
def test_every_script_has_a_convention_and_the_adapters_are_registered():
    assert sorted(MODELS) == sorted(["gan", "dcgan", "wgan_gp", "began", "bgan", "ebgan", "infogan", "cgan", "aae",
                                     "acgan", "lsgan", "sgan"])
    assert {a.name for a in registered()} == set(CONVENTIONS) == set(MODELS.values())
    assert ptg_patching.NAMES == tuple(f"{m}.patch" for m in MODELS)


@pytest.mark.parametrize("model", sorted(MODELS))
def test_one_iteration_with_penalty_and_exchange(model, capsys):
    torch.manual_seed(0)
    G, D, extra = networks(model)
    opt_G, opt_D = adam(G, *extra.values()), adam(D)
    every = "0" if model == "cgan" else "1"  # cgan pairs nothing (its own test)
    opt = options("--hj", "--hj-exchange-every", every, "--hj-lambda-h", "0.5")
    if model == "infogan":
        extra["optimizer_info"] = opt_info = adam(G, D)
    session = hj.attach(opt, G, D, opt_G, opt_D, model=model, **extra)
    args = inputs(model)
    z = session.fresh_z(4) if model == "aae" else torch.randn(4, LATENT)
    fake = G(z, *args)
    out = D(fake, *args) if model == "cgan" else D(z) if model == "aae" else D(fake)
    first = out[0] if isinstance(out, tuple) else out
    penalty = session.generator_penalty(z, *args, G_z=fake)
    assert penalty.item() > 0 and torch.isfinite(penalty)
    (first.mean() + penalty).backward()
    opt_G.step()
    opt_D.zero_grad()
    opt_D.step()
    if model == "infogan":
        opt_info.step()
    core = session.session
    assert core.steps == {"G": 2 if model == "infogan" else 1, "D": 1}
    printed = capsys.readouterr().out
    assert "[hj] [G step 0] [hessian: " in printed and "[penalty: " in printed
    if model == "cgan":
        assert core.exchange is None
        return
    assert [(p.g_name, p.d_name, p.adjoint) for p in core.exchange.report.pairs] == EXPECTED_PAIRS[model]
    assert core.exchange.count == 1 and f"[hj] {model}: weight exchange pairing" in printed


def test_core_positional_mirror_pairs_nothing_where_the_aligned_one_pairs():
    G, D, _ = networks("gan")
    with pytest.raises(ValueError, match="nothing to exchange"):
        resolve_pairs(G, D, "mirror")
    session = hj.attach(options("--hj", "--hj-exchange-every", "1"), G, D, adam(G), adam(D), model="gan")
    assert session.session.exchange.report.n_pairs == 1
    with pytest.raises(ValueError, match="nothing to exchange"):  # the core's pairing stays selectable
        hj.attach(options("--hj", "--hj-exchange-every", "1", "--hj-exchange-pairing", "mirror"), G, D, adam(G),
                  adam(D), model="gan")


def test_cgan_pairs_nothing_and_says_why():
    G, D, _ = networks("cgan")
    with pytest.raises(ValueError, match=r"pytorch-gan cgan: the weight exchange pairs nothing \(D's input layer"):
        hj.attach(options("--hj", "--hj-exchange-every", "1"), G, D, adam(G), adam(D), model="cgan")


def test_began_pairing_writes_one_g_tensor_twice_so_both_directions_are_refused():
    G, D, _ = networks("began")
    with pytest.raises(ValueError, match="appear in more than one pair"):
        hj.attach(options("--hj", "--hj-exchange-every", "1", "--hj-exchange-direction", "both"), G, D, adam(G),
                  adam(D), model="began")


def test_aae_penalty_regularizes_the_decoder_on_fresh_z():
    torch.manual_seed(0)
    decoder, D, extra = networks("aae")
    session = hj.attach(options("--hj"), decoder, D, adam(decoder, extra["encoder"]), adam(D), model="aae", **extra)
    z = session.fresh_z(5)
    assert z.shape == (5, LATENT)
    session.generator_penalty(z).backward()
    assert all(p.grad is None for p in extra["encoder"].parameters())
    assert decoder.model[0].weight.grad.abs().sum() > 0


def test_infogan_refuses_an_even_interval():
    G, D, _ = networks("infogan")
    with pytest.raises(ValueError, match="odd interval"):
        hj.attach(options("--hj", "--hj-interval", "2"), G, D, adam(G), adam(D), model="infogan",
                  optimizer_info=adam(G, D))


def train_step(G, D, opt_G, opt_D, session, z):
    fake = G(z)
    g_loss = nn.functional.binary_cross_entropy(D(fake), torch.ones(len(z), 1))
    if session is not None:  # the patched script's line
        g_loss = g_loss + session.generator_penalty(z, G_z=fake)
    opt_G.zero_grad()
    g_loss.backward()
    opt_G.step()
    d_loss = nn.functional.binary_cross_entropy(D(fake.detach()), torch.zeros(len(z), 1))
    opt_D.zero_grad()
    d_loss.backward()
    opt_D.step()
    return g_loss.item(), d_loss.item()


def test_without_hj_nothing_changes():
    results = []
    for patched in (False, True):
        torch.manual_seed(0)
        np.random.seed(0)
        G, D, _ = networks("gan")
        opt_G, opt_D = adam(G), adam(D)
        state = torch.get_rng_state(), np.random.get_state()[1].copy()
        session = hj.attach(options(), G, D, opt_G, opt_D, model="gan") if patched else None
        assert torch.equal(state[0], torch.get_rng_state()) and np.array_equal(state[1], np.random.get_state()[1])
        if patched:
            assert session is hj.OFF and session.generator_penalty(torch.zeros(2, LATENT)) == 0
            assert session.fresh_z(4) is None and not opt_G._optimizer_step_post_hooks
        losses = [train_step(G, D, opt_G, opt_D, session, torch.randn(8, LATENT)) for _ in range(2)]
        results.append((losses, [p.detach().clone() for p in (*G.parameters(), *D.parameters())]))
    assert results[0][0] == results[1][0]
    assert all(torch.equal(a, b) for a, b in zip(results[0][1], results[1][1]))


class ThreeInputG(MLPG):
    def forward(self, noise, labels, style):  # a script changed by hand
        return super().forward(noise)


def test_unknown_generator_inputs_name_the_adapter_hook():
    G, D = ThreeInputG(), MLPD()
    with pytest.raises(ValueError, match=r"forward\(noise, labels, style\).*generator\(z\).*hjgan_register_adapters"):
        hj.attach(options("--hj"), G, D, adam(G), adam(D), model="gan")
    with pytest.raises(ValueError, match=r"'cogan' is not one of the pytorch-gan scripts.*hjgan_register_adapters"):
        hj.attach(options("--hj"), G, D, adam(G), adam(D), model="cogan")


def test_penalty_with_the_wrong_inputs_says_what_to_pass():
    G, D, _ = networks("cgan")
    session = hj.attach(options("--hj"), G, D, adam(G), adam(D), model="cgan")
    with pytest.raises(TypeError, match=r"pass generator_penalty\(z, labels\)"):
        session.generator_penalty(torch.randn(4, LATENT))


def test_log_line_is_in_the_scripts_style():
    line = format_line({"hj_hessian": 1.5, "hj_jacobian": float("nan"), "hj_penalty": 0.25, "exchange/count": 2.0}, 3)
    assert line == "[hj] [G step 3] [hessian: 1.500000] [penalty: 0.250000] [exchanges: 2]"


# ------------------------------------------------------------------------------------------ patches
PATCH_DIR = Path(ptg_patching.PATCHES.folder)


def test_patch_files_and_manifest_agree():
    manifest = ptg_patching.PATCHES.manifest()
    assert manifest["commit"].startswith("36d3c77") and set(manifest["patches"]) == set(ptg_patching.NAMES)
    for model in MODELS:
        text = (PATCH_DIR / f"{model}.patch").read_text()
        head, diff = text.split("diff --git", 1)
        assert head.startswith("# hjgan_plugin for eriklindernoren/PyTorch-GAN 36d3c77")
        assert all(line.startswith("# ") for line in head.splitlines())
        assert f"a/implementations/{model}/{model}.py" in diff and text.count("diff --git") == 1
        added = [line for line in diff.splitlines() if line.startswith("+") and not line.startswith("+++")]
        glue = [line for line in added if "hj" in line or "session" in line]
        assert len(glue) == 4 and len(added) - len(glue) == (model in ("bgan", "began"))  # + the upstream fix
        assert len(manifest["files"][f"implementations/{model}/{model}.py"]["patched"]) == 1
    assert "mnist_loader" in (PATCH_DIR / "bgan.patch").read_text().split("diff --git")[0]
    assert ".data[0]" in (PATCH_DIR / "began.patch").read_text().split("diff --git")[0]


def fake_checkout(root: Path, content: str = "print('not upstream')\n") -> Path:
    for model in MODELS:
        path = root / "implementations" / model / f"{model}.py"
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(content)
    return root


def snapshot(root: Path) -> dict[str, bytes]:
    return {str(p.relative_to(root)): p.read_bytes() for p in sorted(root.rglob("*")) if p.is_file()}


def test_wrong_version_is_refused_with_nothing_changed(tmp_path):
    repo = fake_checkout(tmp_path / "repo")
    before = snapshot(repo)
    with pytest.raises(PatchError, match=r"is not eriklindernoren/PyTorch-GAN at 36d3c77.*gan/gan.py differs"):
        ptg_patching.patch(repo)
    assert snapshot(repo) == before
    result = CliRunner().invoke(cli_main, ["patch", "pytorch-gan", str(repo)])
    assert result.exit_code != 0 and "Nothing was changed" in result.output and snapshot(repo) == before
    with pytest.raises(PatchError, match="not a eriklindernoren/PyTorch-GAN checkout"):
        ptg_patching.patch(tmp_path)


def synthetic_set(tmp_path: Path, broken: bool) -> tuple[PatchSet, Path]:
    """Two synthetic scripts and their patches; ``broken``: the second patch's context is wrong."""
    repo, folder = tmp_path / "repo", tmp_path / "patches"
    folder.mkdir()
    files = {}
    for model in ("gan", "dcgan"):
        rel = f"implementations/{model}/{model}.py"
        (repo / rel).parent.mkdir(parents=True, exist_ok=True)
        (repo / rel).write_text("a = 1\nb = 2\n")
        context = "b = 3" if broken and model == "dcgan" else "b = 2"
        (folder / f"{model}.patch").write_text(
            f"# synthetic\ndiff --git a/{rel} b/{rel}\n--- a/{rel}\n+++ b/{rel}\n"
            f"@@ -1,2 +1,3 @@\n a = 1\n+hj = True\n {context}\n")
        files[rel] = {"original": hashlib.sha256(b"a = 1\nb = 2\n").hexdigest(),
                      "patched": [hashlib.sha256(b"a = 1\nhj = True\nb = 2\n").hexdigest()]}
    (folder / "upstream.json").write_text(json.dumps({"repository": "x/y", "commit": "0" * 40, "patches": {},
                                                      "files": files}))
    return PatchSet(folder=folder, host="x/y", marker="implementations/gan/gan.py"), repo


def test_a_patch_that_does_not_apply_leaves_every_file_as_it_was(tmp_path, monkeypatch):
    patch_set, repo = synthetic_set(tmp_path, broken=True)
    monkeypatch.setattr(ptg_patching, "PATCHES", patch_set)
    before = snapshot(repo)
    with pytest.raises(PatchError, match="do\\(es\\) not apply.*nothing was changed"):
        ptg_patching.patch(repo, models=["gan", "dcgan"])
    assert snapshot(repo) == before


def test_apply_check_and_reverse_on_a_matching_checkout(tmp_path, monkeypatch):
    patch_set, repo = synthetic_set(tmp_path, broken=False)
    monkeypatch.setattr(ptg_patching, "PATCHES", patch_set)
    monkeypatch.setattr(ptg_patching, "NAMES", ("gan.patch", "dcgan.patch"))
    before = snapshot(repo)
    checked = ptg_patching.patch_messages(repo, cpu=False, reverse=False, check_only=True)
    assert checked[0].startswith("applied gan.patch")
    assert snapshot(repo) == before
    lines = ptg_patching.patch_messages(repo, cpu=True, reverse=False, check_only=False)
    assert lines[-1].startswith("--cpu: nothing to add")
    assert "hj = True" in (repo / "implementations/gan/gan.py").read_text()
    with pytest.raises(PatchError, match="already patched"):
        ptg_patching.patch(repo)
    ptg_patching.patch(repo, reverse=True)
    assert snapshot(repo) == before
    with pytest.raises(PatchError, match="no pytorch-gan patch"):
        ptg_patching.patch(repo, models=["cogan"])
